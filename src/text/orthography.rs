//! Each language's letter rules: how a word is lowercased before its stop words and stemmer
//! see it, and how a stem is folded after. French and English keep the rules artclass
//! always had, so that their models score as they were trained.
//!
//! A language folds the diacritics that its writers often leave out, and keeps the letters
//! that they always type and that tell words apart (a search engine's usual choice).

use super::language::Language;
use super::tokenizer::is_apostrophe;
use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Unicode lowercase, with the language's letter rules, ligatures spelled out and every
/// apostrophe made ASCII: the form that stop words, elisions and the stemmer are matched in.
pub(crate) fn lowercase(language: Language, word: &str) -> String {
    if word
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        return word.to_string();
    }
    match language {
        Language::French
        | Language::English
        | Language::Spanish
        | Language::Italian
        | Language::Portuguese
        | Language::Dutch
        | Language::Finnish
        | Language::Hungarian
        | Language::Tamil => lowercase_spelled(word, Ligatures::Spelled),
        // æ is a letter of Danish and Norwegian (and ä's cousin in Swedish), not a ligature:
        // `æble` must reach the stemmer as it is written.
        Language::Danish | Language::Swedish | Language::Norwegian => {
            lowercase_spelled(word, Ligatures::AeIsALetter)
        }
        // Unicode's case folding of ß, and the only spelling in Switzerland: `Straße` and
        // `Strasse` are one word (the German stemmer does the same, this also without it).
        Language::German => lowercase_spelled(word, Ligatures::Spelled).replace('ß', "ss"),
        // Turkish pairs I with ı and İ with i; Unicode's default pairs I with i, which turns
        // `ISIK` into `isik` and `İstanbul` into `i̇stanbul` (with a combining dot). The
        // Turkish stemmer needs the right vowels.
        Language::Turkish => {
            let dotted: String = word
                .chars()
                .map(|c| match c {
                    'I' => 'ı',
                    'İ' => 'i',
                    c => c,
                })
                .collect();
            lowercase_spelled(&dotted, Ligatures::Spelled)
        }
        // Capitals drop the tonos (`ΑΥΤΕΣ`, `αυτές`), so a case-blind match must ignore it;
        // ς is σ at the end of a word (the stop-word list writes `αυτεσ`). The Greek stemmer
        // removes both too: this makes stop words and unstemmed words agree with it.
        // Marks of other scripts stay (a Japanese voicing mark is part of the letter).
        Language::Greek => fold_marks(
            &lowercase_spelled(word, Ligatures::Spelled),
            true,
            |_, _| false,
        )
        .chars()
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect(),
        // ё is written е in most Russian text; the stemmer knows only е (`путём` would keep
        // its ending). й is a letter of its own, never written и: it stays.
        Language::Russian => lowercase_spelled(word, Ligatures::Spelled).replace('ё', "е"),
        // ș and ț (comma below) are the standard letters, ş and ţ (cedilla) the older
        // encodings' and the stemmer's and stop-word list's: one spelling for both.
        Language::Romanian => lowercase_spelled(word, Ligatures::Spelled)
            .replace('ș', "ş")
            .replace('ț', "ţ"),
        // Tashkeel (vowel marks, shadda, sukun) is optional vocalisation and tatweel (ـ) a
        // stretch of the line: neither changes the word.
        Language::Arabic => lowercase_spelled(word, Ligatures::Spelled)
            .chars()
            .filter(|&c| !is_tashkeel_or_tatweel(c))
            .collect(),
    }
}

/// How [`lowercase_spelled`] treats æ (œ is always spelled out).
#[derive(Clone, Copy, PartialEq)]
enum Ligatures {
    Spelled,
    AeIsALetter,
}

fn lowercase_spelled(word: &str, ligatures: Ligatures) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    for c in word.to_lowercase().chars() {
        match c {
            'œ' => out.push_str("oe"),
            'æ' if ligatures == Ligatures::Spelled => out.push_str("ae"),
            c if is_apostrophe(c) => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

/// Arabic fathatan to sukun (U+064B–U+0652) and tatweel (U+0640).
fn is_tashkeel_or_tatweel(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{0652}' | '\u{0640}')
}

/// The word the stemmer is given. For Arabic: without the conjunction و or ف before the
/// article (`والكتاب`), which Snowball's Arabic stemmer leaves on (Larkey's light stemmer
/// removes it; the article goes in the stemmer), only with three letters after the article,
/// so that `والد` (father) keeps its root. And a word of three letters or more without the
/// article (alone, or after one letter: `بال`, `لل`) is given it: the stemmer treats a bare
/// word otherwise, taking a first و, ف or ب off as a conjunction or preposition (`وزير`,
/// minister, was `زير`; `فريق`, team, `ريق`) and other endings than with the article
/// (`انتخابات` was `انتخابا`, `الانتخابات` `انتخاب`), so that a headline without articles
/// met none of the body's words. A real conjunction or preposition before a bare word
/// (`وقال`, `بانتخابات`) then stays on: rarer in news than those nouns.
pub(crate) fn before_stemming(language: Language, lower: &str) -> Cow<'_, str> {
    if language != Language::Arabic {
        return Cow::Borrowed(lower);
    }
    if let Some(rest) = lower.strip_prefix('و').or_else(|| lower.strip_prefix('ف'))
        && let Some(after_article) = rest.strip_prefix("ال")
        && after_article.chars().count() >= 3
    {
        return Cow::Borrowed(rest);
    }
    let mut chars = lower.chars();
    let with_article = lower.starts_with("ال")
        || lower.starts_with("لل")
        || (chars.next().is_some() && chars.as_str().starts_with("ال"));
    if with_article || lower.chars().count() < 3 {
        Cow::Borrowed(lower)
    } else {
        Cow::Owned(format!("ال{lower}"))
    }
}

/// Removes the diacritics the language's writers often leave out, after stemming, so that
/// `école` and `ecole` meet; keeps the letters they do not. With the script rules
/// ([`AnalyzerConfig::script_rules`](super::AnalyzerConfig::script_rules)), only from the
/// scripts whose marks are accents ([`marks_are_optional`]): in Devanagari, Thai or
/// Japanese a mark is part of the letter (`काम` and `कम`, `バス` and `ハス` are different
/// words), and a Korean syllable stays whole.
pub(crate) fn fold(language: Language, word: &str, script_rules: bool) -> String {
    if word.is_ascii() {
        return word.to_string();
    }
    let kept: &[char] = match language {
        // The fold artclass always had: every combining mark.
        Language::French | Language::English if !script_rules => return fold_every_mark(word),
        Language::French | Language::English => &[],
        // Its vowel signs and virama are combining marks: removing them rewrites the word.
        Language::Tamil => return word.to_string(),
        // año (year) is not ano: ñ is a letter. Other accents are often left out online.
        Language::Spanish => &['ñ'],
        // Letters of their own alphabets, always typed, and telling words apart (får, far).
        Language::Danish | Language::Swedish | Language::Norwegian => &['å', 'ä', 'ö'],
        Language::Finnish => &['ä', 'ö', 'å'],
        // Vowel length and rounding are letters (kor, kór, kör; öt, őt).
        Language::Hungarian => &['á', 'é', 'í', 'ó', 'ö', 'ő', 'ú', 'ü', 'ű'],
        // й is never written и (мой, мои).
        Language::Russian => &['й'],
        // German umlauts fold as a search engine's German normalisation does; Italian,
        // Portuguese, Dutch and Romanian text often goes without its diacritics, Turkish
        // too (typed on keyboards without ç, ğ, ı, ş), Greek and Arabic lose theirs in
        // `lowercase` already.
        Language::German
        | Language::Italian
        | Language::Portuguese
        | Language::Dutch
        | Language::Romanian
        | Language::Greek
        | Language::Arabic
        | Language::Turkish => &[],
    };
    fold_marks(word, script_rules, |c, out| {
        let letter = match (language, c) {
            _ if kept.contains(&c) => c,
            // ı has no dot to remove: with the others folded, `ışık` and `isik` meet (and
            // `Istanbul`, lowercased the Turkish way, meets `İstanbul`).
            (Language::Turkish, 'ı') => 'i',
            // Alef maksura and teh marbuta are written as yeh and heh in much text (`الى`).
            (Language::Arabic, 'ى') => 'ي',
            (Language::Arabic, 'ة') => 'ه',
            _ => return false,
        };
        out.push(letter);
        true
    })
}

/// `word` without its combining marks: every one, or with `script_rules` only those of the
/// letters whose marks are [optional](marks_are_optional) (the others' letters are not
/// decomposed). `letter` may write a letter its own way (a letter kept, a letter spelled
/// otherwise) and says whether it did.
fn fold_marks(
    word: &str,
    script_rules: bool,
    mut letter: impl FnMut(char, &mut String) -> bool,
) -> String {
    let mut out = String::with_capacity(word.len());
    // Whether the marks after the last letter are accents to remove.
    let mut optional_marks = true;
    for c in word.chars() {
        if script_rules && is_combining_mark(c) {
            if !optional_marks {
                out.push(c);
            }
        } else if script_rules && !marks_are_optional(c) {
            optional_marks = false;
            out.push(c);
        } else {
            optional_marks = true;
            if !letter(c, &mut out) {
                decompose_canonical(c, |part| {
                    if !is_combining_mark(part) {
                        out.push(part);
                    }
                });
            }
        }
    }
    out
}

/// Letters of the scripts whose combining marks are accents, vowel points or stress marks
/// that text often goes without: Latin, Greek, Cyrillic, Hebrew and Arabic (and the marks'
/// own block, for a mark that starts a word).
fn marks_are_optional(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{052F}'   // Latin, IPA, combining marks, Greek, Cyrillic
        | '\u{0590}'..='\u{06FF}' // Hebrew, Arabic
        | '\u{0750}'..='\u{077F}' // Arabic supplement
        | '\u{08A0}'..='\u{08FF}' // Arabic extended-A
        | '\u{1C80}'..='\u{1C8F}' // Cyrillic extended-C
        | '\u{1E00}'..='\u{1FFF}' // Latin extended additional, Greek extended
        | '\u{2C60}'..='\u{2C7F}' // Latin extended-C
        | '\u{2DE0}'..='\u{2DFF}' // Cyrillic extended-A
        | '\u{A640}'..='\u{A69F}' // Cyrillic extended-B
        | '\u{A720}'..='\u{A7FF}' // Latin extended-D
        | '\u{AB30}'..='\u{AB6F}' // Latin extended-E
        | '\u{FB00}'..='\u{FDFF}' // Latin, Hebrew and Arabic presentation forms
        | '\u{FE70}'..='\u{FEFF}' // Arabic presentation forms-B
    )
}

fn fold_every_mark(word: &str) -> String {
    word.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_keep_their_rules() {
        for language in [Language::French, Language::English] {
            assert_eq!(
                lowercase(language, "Œuvre ÆQUO l’État"),
                "oeuvre aequo l'état"
            );
            assert_eq!(lowercase(language, "İI"), "i\u{307}i");
            for script_rules in [false, true] {
                assert_eq!(fold(language, "çàñåäöйё", script_rules), "canaaoие");
                assert_eq!(fold(language, "ø", script_rules), "ø");
            }
        }
    }

    #[test]
    fn marks_that_are_letters_stay_with_the_script_rules() {
        for language in Language::ALL {
            // Devanagari vowel signs, Thai vowel and tone marks, a Japanese voicing mark
            // (composed, then written apart), a Korean syllable.
            for word in ["काम", "हिंदी", "ข้าว", "バス", "ハ\u{3099}ス", "서울"]
            {
                assert_eq!(fold(language, word, true), word, "{language} {word}");
            }
            // The Greek preset's lowercasing keeps them too.
            if language == Language::Greek {
                for word in ["バス", "ハ\u{3099}ス", "काम", "서울"] {
                    assert_eq!(lowercase(language, word), word);
                }
                assert_eq!(lowercase(language, "Αυτές"), "αυτεσ");
            }
            // Hebrew points go, as Latin accents do (Tamil folds nothing).
            if language != Language::Tamil {
                assert_eq!(fold(language, "שָׁלוֹם", true), "שלום", "{language}");
            }
        }
        // A model from before them read those words without their marks.
        assert_eq!(fold(Language::French, "काम", false), "कम");
        assert_eq!(fold(Language::French, "서울", false).chars().count(), 5);
    }

    #[test]
    fn arabic_conjunction_goes_before_a_long_enough_word() {
        assert_eq!(before_stemming(Language::Arabic, "والكتاب"), "الكتاب");
        assert_eq!(before_stemming(Language::Arabic, "فالكتاب"), "الكتاب");
        assert_eq!(before_stemming(Language::Arabic, "والد"), "والد");
        assert_eq!(before_stemming(Language::Arabic, "وزير"), "الوزير");
        assert_eq!(before_stemming(Language::French, "والكتاب"), "والكتاب");
    }
}
