use serde::{Deserialize, Serialize};
use std::fmt;

/// A language preset: which stop words, elisions, Snowball stemmer and letter rules (how
/// words are lowercased and which diacritics fold) the analyzer uses.
///
/// Model files store the variant's index: a new language goes after the last one, never
/// between, so that every model file keeps its language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[non_exhaustive]
pub enum Language {
    /// French: elisions (l’, qu’, jusqu’…), French stop words, French Snowball stemmer.
    #[cfg_attr(feature = "cli", value(name = "fr"))]
    French,
    /// English: English stop words, English (Porter2) Snowball stemmer.
    #[cfg_attr(feature = "cli", value(name = "en"))]
    English,
    /// German: ß read as ss, umlauts folded; `geht’s` is `geht`.
    #[cfg_attr(feature = "cli", value(name = "de"))]
    German,
    /// Spanish: accents folded but ñ kept (año is not ano).
    #[cfg_attr(feature = "cli", value(name = "es"))]
    Spanish,
    /// Italian: elisions (l’, dell’, un’, quest’…), accents folded.
    #[cfg_attr(feature = "cli", value(name = "it"))]
    Italian,
    /// Portuguese: accents and cedilla folded.
    #[cfg_attr(feature = "cli", value(name = "pt"))]
    Portuguese,
    /// Dutch: trema and accents folded; `auto’s` is `auto`.
    #[cfg_attr(feature = "cli", value(name = "nl"))]
    Dutch,
    /// Danish: æ, ø and å kept as letters.
    #[cfg_attr(feature = "cli", value(name = "da"))]
    Danish,
    /// Swedish: å, ä and ö kept as letters.
    #[cfg_attr(feature = "cli", value(name = "sv"))]
    Swedish,
    /// Norwegian (Bokmål and Nynorsk stop words): æ, ø and å kept as letters.
    #[cfg_attr(feature = "cli", value(name = "no", alias = "nb", alias = "nn"))]
    Norwegian,
    /// Finnish: ä, ö and å kept as letters.
    #[cfg_attr(feature = "cli", value(name = "fi"))]
    Finnish,
    /// Hungarian: every accented vowel kept (kor, kór and kör are three words).
    #[cfg_attr(feature = "cli", value(name = "hu"))]
    Hungarian,
    /// Romanian: ș/ş and ț/ţ read alike, diacritics folded; `s-a`, `n-a` lose their clitic.
    #[cfg_attr(feature = "cli", value(name = "ro"))]
    Romanian,
    /// Russian: ё read as е, й kept.
    #[cfg_attr(feature = "cli", value(name = "ru"))]
    Russian,
    /// Greek: tonos and final sigma do not matter, as in capitals.
    #[cfg_attr(feature = "cli", value(name = "el"))]
    Greek,
    /// Arabic: tashkeel and tatweel dropped, hamza forms of alef, alef maksura and teh
    /// marbuta folded, و/ف before the article removed, a word without the article stemmed
    /// as with it (`وزير` meets `الوزير`).
    #[cfg_attr(feature = "cli", value(name = "ar"))]
    Arabic,
    /// Turkish: I/ı and İ/i lowercased the Turkish way, letters folded to ASCII; the case
    /// ending after an apostrophe dropped (`Ankara’nın` is `Ankara`).
    #[cfg_attr(feature = "cli", value(name = "tr"))]
    Turkish,
    /// Tamil: nothing folded (its vowel signs are combining marks).
    #[cfg_attr(feature = "cli", value(name = "ta"))]
    Tamil,
}

/// What an apostrophe inside a word means in a language without elisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Apostrophe {
    /// It separates two words (`don't` → `don`, `t`).
    Splits,
    /// An ending follows it that the word does without: Turkish case endings on names
    /// (`Ankara’nın`), the Dutch plural of words ending in a vowel (`auto’s`), the German
    /// clitic `’s` (`geht’s`).
    EndsTheWord,
}

impl Language {
    /// Every preset, in the order of the model file's variant indexes.
    pub const ALL: [Language; 18] = [
        Language::French,
        Language::English,
        Language::German,
        Language::Spanish,
        Language::Italian,
        Language::Portuguese,
        Language::Dutch,
        Language::Danish,
        Language::Swedish,
        Language::Norwegian,
        Language::Finnish,
        Language::Hungarian,
        Language::Romanian,
        Language::Russian,
        Language::Greek,
        Language::Arabic,
        Language::Turkish,
        Language::Tamil,
    ];

    /// ISO 639-1 code, as used on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Language::French => "fr",
            Language::English => "en",
            Language::German => "de",
            Language::Spanish => "es",
            Language::Italian => "it",
            Language::Portuguese => "pt",
            Language::Dutch => "nl",
            Language::Danish => "da",
            Language::Swedish => "sv",
            Language::Norwegian => "no",
            Language::Finnish => "fi",
            Language::Hungarian => "hu",
            Language::Romanian => "ro",
            Language::Russian => "ru",
            Language::Greek => "el",
            Language::Arabic => "ar",
            Language::Turkish => "tr",
            Language::Tamil => "ta",
        }
    }

    pub(crate) fn stemmer(self) -> rust_stemmers::Algorithm {
        use rust_stemmers::Algorithm;
        match self {
            Language::French => Algorithm::French,
            Language::English => Algorithm::English,
            Language::German => Algorithm::German,
            Language::Spanish => Algorithm::Spanish,
            Language::Italian => Algorithm::Italian,
            Language::Portuguese => Algorithm::Portuguese,
            Language::Dutch => Algorithm::Dutch,
            Language::Danish => Algorithm::Danish,
            Language::Swedish => Algorithm::Swedish,
            Language::Norwegian => Algorithm::Norwegian,
            Language::Finnish => Algorithm::Finnish,
            Language::Hungarian => Algorithm::Hungarian,
            Language::Romanian => Algorithm::Romanian,
            Language::Russian => Algorithm::Russian,
            Language::Greek => Algorithm::Greek,
            Language::Arabic => Algorithm::Arabic,
            Language::Turkish => Algorithm::Turkish,
            Language::Tamil => Algorithm::Tamil,
        }
    }

    /// The Snowball stop-word list of the language (NLTK's copy, via the `stop-words` crate),
    /// with the few corrections and additions below.
    pub fn stop_words(self) -> Vec<String> {
        use stop_words::Language as Nltk;
        let nltk = match self {
            Language::French => Nltk::French,
            Language::English => Nltk::English,
            Language::German => Nltk::German,
            Language::Spanish => Nltk::Spanish,
            Language::Italian => Nltk::Italian,
            Language::Portuguese => Nltk::Portuguese,
            Language::Dutch => Nltk::Dutch,
            Language::Danish => Nltk::Danish,
            Language::Swedish => Nltk::Swedish,
            Language::Norwegian => Nltk::Norwegian,
            Language::Finnish => Nltk::Finnish,
            Language::Hungarian => Nltk::Hungarian,
            Language::Romanian => Nltk::Romanian,
            Language::Russian => Nltk::Russian,
            Language::Greek => Nltk::Greek,
            Language::Arabic => Nltk::Arabic,
            Language::Turkish => Nltk::Turkish,
            Language::Tamil => Nltk::Tamil,
        };
        let mut words: Vec<String> = stop_words::get(nltk)
            .iter()
            .map(|w| match self {
                // NLTK's Hungarian list was read as Latin-1 once: its ő and ű came out as õ
                // and û (`elõtt`), letters Hungarian does not have.
                Language::Hungarian => w.replace('õ', "ő").replace('û', "ű"),
                _ => w.to_string(),
            })
            .collect();
        let content_words = self.content_words();
        words.retain(|w| !content_words.contains(&w.as_str()));
        let added: &[&str] = match self {
            // Elided σε, με, το/τα, θα, να, πού, από, για, δε (`σ’ αγαπώ`, `απ’ το`): the
            // apostrophe splits, and the one or two letters left are grammar, not topic. And
            // the modern articles, contractions and auxiliaries, which NLTK's mostly ancient
            // list lacks.
            Language::Greek => &[
                "σ",
                "μ",
                "τ",
                "θ",
                "ν",
                "π",
                "απ",
                "γι",
                "δ",
                "ένα",
                "ενός",
                "μια",
                "μία",
                "μιας",
                "στο",
                "στον",
                "στη",
                "στην",
                "στα",
                "στους",
                "στις",
                "της",
                "τους",
                "μας",
                "σας",
                "έχει",
                "έχουν",
                "είχε",
                "ήταν",
                "είναι",
                "θα",
                "να",
                "που",
                "πως",
                "όπως",
            ],
            // The article `bir`, missing from a list of 53 words.
            Language::Turkish => &["bir"],
            // `is` (also).
            Language::Hungarian => &["is"],
            // The list's `tallä` and `tuotä` are typing slips for these.
            Language::Finnish => &["tällä", "tuota"],
            // The clitics before a hyphen (`s-a`, `n-a`, `l-am`, `v-am`), which the list lacks,
            // and `printr-` (listed with its hyphen, so never met as a word).
            Language::Romanian => &["s", "n", "l", "v", "printr"],
            _ => &[],
        };
        words.extend(added.iter().map(|w| w.to_string()));
        words
    }

    /// Frequent content words of news in the language that its stop list holds, or that a
    /// stop word becomes once its accents are folded: a stop list must not drop them
    /// (`Estados Unidos`, currencies and gold, Real Madrid, north and right, the surname
    /// Nagy, `Weg`, `meer`, `drept`, and Turkish `su`, water, which `şu` folds to).
    pub(crate) fn content_words(self) -> &'static [&'static str] {
        match self {
            Language::Spanish => &["estado", "estados", "sentido", "sentidos"],
            Language::Arabic => &[
                "دولار",
                "ذهب",
                "ريال",
                "شمال",
                "جنوب",
                "يمين",
                "جنيه",
                "دينار",
                "درهم",
                "ليرة",
                "يورو",
            ],
            Language::German => &["weg"],
            Language::Dutch => &["meer"],
            Language::Hungarian => &["nagy", "új", "cikk"],
            Language::Romanian => &["drept", "zi"],
            Language::Turkish => &["su"],
            _ => &[],
        }
    }

    /// Leading elided articles, prepositions and pronouns, written before an apostrophe
    /// (`l’État`, `dell’azienda`). A language without elisions splits words at apostrophes,
    /// or (German, Dutch, Turkish) drops the ending after one.
    pub fn elisions(self) -> Vec<String> {
        let list: &[&str] = match self {
            Language::French => &[
                "l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
            ],
            // Articles and articulated prepositions (l’anno, un’altra, gl’italiani, dell’,
            // all’, nell’, sull’…), pronouns and particles (m’, t’, s’, v’, c’è, ch’),
            // demonstratives and quantifiers (quest’anno, quell’uomo, nessun’altra) and the
            // usual truncations (com’è, dov’è, cos’è, anch’io, senz’altro, tutt’altro).
            Language::Italian => &[
                "l", "gl", "un", "d", "c", "ch", "m", "t", "s", "v", "all", "dall", "dell", "nell",
                "sull", "coll", "pell", "agl", "dagl", "degl", "negl", "sugl", "quest", "quell",
                "nessun", "alcun", "ciascun", "qualcun", "com", "dov", "cos", "quant", "anch",
                "senz", "tutt",
            ],
            _ => &[],
        };
        list.iter().map(|w| w.to_string()).collect()
    }

    /// What an apostrophe inside a word means where there are no elisions.
    pub(crate) fn apostrophe(self) -> Apostrophe {
        match self {
            Language::Turkish | Language::Dutch | Language::German => Apostrophe::EndsTheWord,
            _ => Apostrophe::Splits,
        }
    }

    /// Whether a one-letter first part of a hyphenated word joins the next (`e-commerce` →
    /// `ecommerce`). Not in Romanian, where it is a clitic pronoun or negation (`s-a`, `n-a`,
    /// `l-am`) that would make a new word of the verb after it.
    pub(crate) fn joins_one_letter_prefix(self) -> bool {
        self != Language::Romanian
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The share of the words of `texts` that are each preset's stop words, by preset, in
/// [`Language::ALL`]'s order, from at most the first `max_words` words, and the number of
/// words read: in any language a
/// third to a half of running text is its function words, so the preset whose list covers
/// the most is the text's language, and one that covers few is not (`train` warns of a
/// preset that does not fit the text).
pub fn stop_word_shares<S: AsRef<str>>(
    texts: &[S],
    max_words: usize,
) -> (Vec<(Language, f64)>, usize) {
    // Each stop word once, with a bit per preset that lists it.
    let mut lists: rustc_hash::FxHashMap<String, u32> = rustc_hash::FxHashMap::default();
    for (bit, language) in Language::ALL.into_iter().enumerate() {
        for word in language.stop_words() {
            *lists.entry(word.to_lowercase()).or_default() |= 1 << bit;
        }
    }
    let mut hits = [0usize; Language::ALL.len()];
    let mut words = 0;
    let mut lower = String::new();
    'texts: for text in texts {
        let mut done = false;
        super::raw_tokens(text.as_ref(), |token| {
            if done {
                return;
            }
            lower.clear();
            lower.extend(token.chars().flat_map(char::to_lowercase));
            if let Some(&bits) = lists.get(lower.as_str()) {
                for (bit, hit) in hits.iter_mut().enumerate() {
                    *hit += (bits >> bit & 1) as usize;
                }
            }
            words += 1;
            done = words >= max_words;
        });
        if done {
            break 'texts;
        }
    }
    let shares = Language::ALL
        .into_iter()
        .zip(hits)
        .map(|(language, hit)| (language, hit as f64 / words.max(1) as f64))
        .collect();
    (shares, words)
}

/// The language of an ISO 639-1 code (`fr`, `en`, `de`…), as [`Language::code`] writes it.
impl std::str::FromStr for Language {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        // Any case (`EN`), and Bokmål's and Nynorsk's own codes for Norwegian.
        let wanted = match code.to_ascii_lowercase().as_str() {
            "nb" | "nn" => "no".to_string(),
            lower => lower.to_string(),
        };
        Language::ALL
            .into_iter()
            .find(|language| language.code() == wanted)
            .ok_or_else(|| {
                let codes: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
                format!(
                    "no language preset '{code}' (there are: {})",
                    codes.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn the_language_of_a_text_has_the_most_stop_words() {
        let best = |text: &str| {
            let (shares, _) = super::stop_word_shares(&[text], 10_000);
            shares
                .into_iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap()
                .0
        };
        assert_eq!(
            best("The minister said that the vote of the house was a defeat for the party."),
            Language::English
        );
        assert_eq!(
            best("Le ministre a dit que le vote de la chambre était une défaite pour le parti."),
            Language::French
        );
        assert_eq!(
            best("Der Minister sagte, dass die Abstimmung eine Niederlage für die Partei war."),
            Language::German
        );
        let (shares, words) = super::stop_word_shares(&["the of and", "le de et"], 3);
        assert_eq!(words, 3);
        let english = shares
            .iter()
            .find(|(l, _)| *l == Language::English)
            .unwrap();
        assert_eq!(english.1, 1.0, "only the first three words are read");
    }

    #[test]
    fn codes_read_back() {
        for language in Language::ALL {
            assert_eq!(language.code().parse::<Language>(), Ok(language));
        }
        assert_eq!("EN".parse::<Language>(), Ok(Language::English));
        assert_eq!("nb".parse::<Language>(), Ok(Language::Norwegian));
        assert_eq!("nn".parse::<Language>(), Ok(Language::Norwegian));
        let error = "xx".parse::<Language>().unwrap_err();
        assert!(error.contains("fr, en, de, es"), "{error}");
        assert!(error.ends_with("tr, ta)"), "{error}");
    }

    /// `ALL` is the variants in declaration order: the model file stores that index.
    #[test]
    fn all_is_in_variant_order_and_old_indexes_stay() {
        for (index, language) in Language::ALL.into_iter().enumerate() {
            let bytes = postcard::to_allocvec(&language).unwrap();
            assert_eq!(bytes, [index as u8], "{language}");
            assert_eq!(postcard::from_bytes::<Language>(&bytes), Ok(language));
        }
        // A variant left out of `ALL` would decode here.
        assert!(postcard::from_bytes::<Language>(&[Language::ALL.len() as u8]).is_err());
        assert_eq!(postcard::to_allocvec(&Language::French).unwrap(), [0]);
        assert_eq!(postcard::to_allocvec(&Language::English).unwrap(), [1]);
    }

    #[test]
    fn every_preset_has_a_stemmer_and_stop_words_in_nfc() {
        use unicode_normalization::UnicodeNormalization;
        for language in Language::ALL {
            let words = language.stop_words();
            assert!(words.len() > 40, "{language}: {} stop words", words.len());
            for word in words.iter().chain(&language.elisions()) {
                let nfkc: String = word.nfkc().collect();
                assert_eq!(&nfkc, word, "{language}");
            }
            let stemmer = rust_stemmers::Stemmer::create(language.stemmer());
            assert!(!stemmer.stem("abc").is_empty());
        }
    }

    #[test]
    fn hungarian_stop_words_have_their_own_letters() {
        let words = Language::Hungarian.stop_words();
        assert!(words.iter().all(|w| !w.contains(['õ', 'û'])));
        for word in ["előtt", "ő", "őket"] {
            assert!(words.iter().any(|w| w == word), "{word}");
        }
    }
}
