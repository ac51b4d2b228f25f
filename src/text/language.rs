use serde::{Deserialize, Serialize};
use std::fmt;

/// A language preset: which stop words, elisions and Snowball stemmer the analyzer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Language {
    /// French: elisions (l’, qu’, jusqu’…), French stop words, French Snowball stemmer.
    #[cfg_attr(feature = "cli", value(name = "fr"))]
    French,
    /// English: English stop words, English (Porter2) Snowball stemmer.
    #[cfg_attr(feature = "cli", value(name = "en"))]
    English,
}

impl Language {
    /// ISO 639-1 code, as used on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Language::French => "fr",
            Language::English => "en",
        }
    }

    pub(crate) fn stemmer(self) -> rust_stemmers::Algorithm {
        match self {
            Language::French => rust_stemmers::Algorithm::French,
            Language::English => rust_stemmers::Algorithm::English,
        }
    }

    /// The Snowball stop-word list of the language (NLTK's copy, via the `stop-words` crate).
    pub fn stop_words(self) -> Vec<String> {
        let list = match self {
            Language::French => stop_words::get(stop_words::Language::French),
            Language::English => stop_words::get(stop_words::Language::English),
        };
        list.iter().map(|w| w.to_string()).collect()
    }

    /// Leading elided articles and pronouns, written before an apostrophe (`l’État`).
    /// A language without elisions splits words at apostrophes instead.
    pub fn elisions(self) -> Vec<String> {
        let list: &[&str] = match self {
            Language::French => &[
                "l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
            ],
            Language::English => &[],
        };
        list.iter().map(|w| w.to_string()).collect()
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The language of an ISO 639-1 code (`fr`, `en`), as [`Language::code`] writes it.
impl std::str::FromStr for Language {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        [Language::French, Language::English]
            .into_iter()
            .find(|language| language.code() == code)
            .ok_or_else(|| format!("no language preset '{code}' (there are: fr, en)"))
    }
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn codes_read_back() {
        for language in [Language::French, Language::English] {
            assert_eq!(language.code().parse::<Language>(), Ok(language));
        }
        assert!("de".parse::<Language>().is_err());
    }
}
