//! Splitting text into raw word tokens, before any normalisation.

/// Apostrophes seen in real text: ASCII, typographic (’) and the modifier letter (ʼ).
pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// Hyphens joining compound words: ASCII and the Unicode hyphen / non-breaking hyphen.
pub(crate) fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// Letters and digits start and make up words. U+02BC, the modifier letter apostrophe, is a
/// letter to Unicode but an apostrophe in text (`lʼécole`): it is a joiner here, so that
/// elisions and apostrophe splitting notice it as they notice `’`.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && c != '\u{02BC}'
}

/// Invisible format characters that web text puts inside words: the soft hyphen (`&shy;`,
/// a hyphenation hint), the zero-width non-joiner and joiner, the word joiner and U+FEFF (a
/// byte-order mark, or the old word joiner). They do not split a word, and the analyzer drops
/// them from its term. The zero-width space U+200B is not one of them: it separates words.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// Characters that continue the word before them without starting one: combining marks
/// (general category M, such as the U+0301 of a decomposed `é`, so that NFD text keeps its
/// words whole) and the [invisible](is_invisible) format characters.
pub(crate) fn continues_word(c: char) -> bool {
    is_invisible(c) || unicode_normalization::char::is_combining_mark(c)
}

/// Scripts written without spaces between words: Han, Hiragana and Katakana (half-width
/// forms included: NFKC comes later), Thai, Lao, Khmer and Myanmar. Their runs are one token
/// to the tokenizer, a whole clause, which no other text repeats; Hangul is written with
/// spaces and is not one of them.
pub(crate) fn is_unspaced(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}'     // Thai, Lao
        | '\u{1000}'..='\u{109F}'   // Myanmar
        | '\u{1780}'..='\u{17FF}'   // Khmer
        | '\u{3005}'..='\u{3007}'   // 々 〆 〇
        | '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{31F0}'..='\u{31FF}'   // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}'   // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
        | '\u{FF66}'..='\u{FF9F}'   // half-width Katakana
        | '\u{20000}'..='\u{3134F}' // CJK extensions B to G
    )
}

/// Calls `emit` with the pieces of a token that holds [unspaced](is_unspaced) characters:
/// each run of them as its overlapping pairs of characters (`足球比赛` → `足球`, `球比`,
/// `比赛`; a lone character as itself), as Lucene's CJK bigrams do, since without a
/// dictionary a pair is the likeliest unit of meaning; the rest of the token as it is
/// (`AI技术` → `AI`, `技术`), less a `.` or `@` left at its edge (`AI.技术`, `张三@example.com`:
/// dotted words join at those only between letters of one kind). A character keeps the
/// marks that follow it (a Thai vowel or tone mark, a Japanese voicing mark, written apart
/// or half-width: NFKC, which joins those, comes later). Returns false, having emitted
/// nothing, for a token without such characters.
pub(crate) fn for_each_unspaced_pair<'t>(token: &'t str, mut emit: impl FnMut(&'t str)) -> bool {
    if !token.chars().any(is_unspaced) {
        return false;
    }
    // Units (a character with the marks after it) come one by one, without a buffer: this
    // runs on every such token of a feed, before the word caches.
    let mut pairs = UnspacedRuns {
        token,
        run: None,
        previous_start: 0,
    };
    let mut unit: Option<Unit> = None;
    for (at, c) in token.char_indices() {
        let end = at + c.len_utf8();
        match unit.as_mut() {
            Some(last) if continues_word(c) || matches!(c, '\u{FF9E}' | '\u{FF9F}') => {
                last.end = end
            }
            _ => {
                if let Some(done) = unit.take() {
                    pairs.push(done, &mut emit);
                }
                unit = Some(Unit {
                    start: at,
                    end,
                    unspaced: is_unspaced(c),
                });
            }
        }
    }
    if let Some(done) = unit {
        pairs.push(done, &mut emit);
    }
    pairs.finish(&mut emit);
    true
}

/// A character of a token with the marks after it, as byte offsets.
#[derive(Clone, Copy)]
struct Unit {
    start: usize,
    end: usize,
    unspaced: bool,
}

/// The run of units of one kind under way in [`for_each_unspaced_pair`]: an unspaced run's
/// pairs go out as its units come, the rest once it ends.
struct UnspacedRuns<'t> {
    token: &'t str,
    /// The run's first unit, with the end of its last one and its number of units.
    run: Option<(Unit, usize)>,
    /// Where the run's last unit starts.
    previous_start: usize,
}

impl<'t> UnspacedRuns<'t> {
    fn push(&mut self, unit: Unit, emit: &mut impl FnMut(&'t str)) {
        match self.run.as_mut() {
            Some((run, count)) if run.unspaced == unit.unspaced => {
                if unit.unspaced {
                    emit(&self.token[self.previous_start..unit.end]);
                }
                run.end = unit.end;
                *count += 1;
            }
            _ => {
                self.finish(emit);
                self.run = Some((unit, 1));
            }
        }
        self.previous_start = unit.start;
    }

    fn finish(&mut self, emit: &mut impl FnMut(&'t str)) {
        match self.run.take() {
            Some((run, _)) if !run.unspaced => {
                let piece = self.token[run.start..run.end].trim_matches(['.', '@']);
                if !piece.is_empty() {
                    emit(piece);
                }
            }
            Some((run, 1)) => emit(&self.token[run.start..run.end]),
            _ => {}
        }
    }
}

/// Byte classes for the ASCII fast path: letters and digits, other ASCII, and bytes of
/// multi-byte characters (which need decoding).
const ASCII_WORD: u8 = 1;
const ASCII_OTHER: u8 = 0;
const NON_ASCII: u8 = 2;
static BYTE_CLASS: [u8; 256] = {
    let mut table = [NON_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = if (b as u8).is_ascii_alphanumeric() {
            ASCII_WORD
        } else {
            ASCII_OTHER
        };
        b += 1;
    }
    table
};

/// The eight bytes of `bytes` at `pos`, as one little-endian number, if there are eight.
#[inline(always)]
fn load8(bytes: &[u8], pos: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(pos..pos + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LOW_BITS: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `x` that lies strictly between `low` and `high` (both at most
/// 127; bytes of 128 and more never count). Exact per byte: no carry or borrow crosses into
/// the next byte (the "hasbetween" bit trick).
#[inline(always)]
fn bytes_between(x: u64, low: u64, high: u64) -> u64 {
    let seven = x & (LOW_BITS * 127);
    (LOW_BITS * (127 + high) - seven) & !x & (seven + LOW_BITS * (127 - low)) & HIGH_BITS
}

/// The high bit of each ASCII letter or digit among the eight bytes of `x`.
#[inline(always)]
fn ascii_word_mask(x: u64) -> u64 {
    // `| 0x20` folds A–Z onto a–z and moves no other byte into a–z.
    bytes_between(x, b'0' as u64 - 1, b'9' as u64 + 1)
        | bytes_between(x | (LOW_BITS * 0x20), b'a' as u64 - 1, b'z' as u64 + 1)
}

/// The high bit of each byte of `x` that is part of a multi-byte character.
#[inline(always)]
fn non_ascii_mask(x: u64) -> u64 {
    x & HIGH_BITS
}

/// How many of the first bytes have their high bit clear in `mask` (a mask of high bits):
/// the length of the leading run of bytes *not* flagged.
#[inline(always)]
fn leading_bytes(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Calls `emit` with each raw token of `text`: a run of letters and digits, possibly joined by
/// apostrophes or hyphens that stand between two such characters (`l’État`, `e-commerce`).
/// Combining marks and invisible format characters after a letter or digit stay in the token
/// (`continues_word`). Everything else (spaces, the zero-width space, punctuation, symbols
/// such as `€`) separates tokens.
pub fn raw_tokens<'t>(text: &'t str, mut emit: impl FnMut(&'t str)) {
    raw_tokens_flagged(text, Dots::Separate, |token, _| emit(token));
}

/// What a `.` or `@` between two word characters does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dots {
    /// Separates words, as other punctuation.
    Separate,
    /// Continues the word (see
    /// [`AnalyzerConfig::dotted_words`](super::AnalyzerConfig::dotted_words)).
    Join,
    /// Continues the word, but for a full stop that glues two sentences (see
    /// [`glued_sentences`]).
    JoinWords,
}

/// What [`raw_tokens_flagged`] noticed in a token, so that the common plain token skips the
/// work the others need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TokenFlags {
    /// It holds a joiner (apostrophe or hyphen): elisions and hyphens to split.
    pub joined: bool,
    /// It holds a character of the scripts written without spaces: to cut into pairs
    /// ([`for_each_unspaced_pair`]).
    pub unspaced: bool,
    /// It holds a `.` or `@` that [`Dots`] joined.
    pub dotted: bool,
}

/// [`raw_tokens`], with what each token holds ([`TokenFlags`]). `dots` says whether a `.` or
/// `@` between two word characters continues the token.
pub(crate) fn raw_tokens_flagged<'t>(
    text: &'t str,
    dots: Dots,
    mut emit: impl FnMut(&'t str, TokenFlags),
) {
    let bytes = text.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        // Fast skip of ASCII separators, the bulk of non-word bytes: eight at a time.
        if let Some(chunk) = load8(bytes, pos) {
            let skip = leading_bytes(ascii_word_mask(chunk) | non_ascii_mask(chunk));
            if skip > 0 {
                pos += skip;
                continue;
            }
        } else if BYTE_CLASS[bytes[pos] as usize] == ASCII_OTHER {
            pos += 1;
            continue;
        }
        let c = match text[pos..].chars().next() {
            Some(c) => c,
            None => break,
        };
        if !is_word_char(c) {
            pos += c.len_utf8();
            continue;
        }
        let start = pos;
        let (end, flags) = scan_word(text, pos, dots);
        pos = end;
        emit(&text[start..pos], flags);
    }
}

/// Returns the end of the token starting at `start` (which is a word character) and its
/// [`TokenFlags`] (for unspaced characters, only those outside ASCII are looked at, as they
/// are decoded anyway).
fn scan_word(text: &str, start: usize, dots: Dots) -> (usize, TokenFlags) {
    let bytes = text.as_bytes();
    let mut pos = start;
    let mut joined = false;
    let mut unspaced = false;
    let mut dotted = false;
    let flags = |joined, unspaced, dotted| TokenFlags {
        joined,
        unspaced,
        dotted,
    };
    loop {
        // Word characters; ASCII ones without decoding, eight at a time.
        while let Some(chunk) = load8(bytes, pos) {
            let word = leading_bytes(!ascii_word_mask(chunk) & HIGH_BITS);
            pos += word;
            if word < 8 {
                break;
            }
        }
        while pos < bytes.len() {
            match BYTE_CLASS[bytes[pos] as usize] {
                ASCII_WORD => {
                    pos += 1;
                    continue;
                }
                ASCII_OTHER => break,
                _ => {}
            }
            match text[pos..].chars().next() {
                Some(c) if is_word_char(c) || continues_word(c) => {
                    pos += c.len_utf8();
                    unspaced |= is_unspaced(c);
                }
                _ => break,
            }
        }
        // A joiner continues the token only when a word character follows it. Every joiner
        // but `'` and `-` is multi-byte, so any other ASCII byte ends the token at once.
        match bytes.get(pos) {
            None => return (pos, flags(joined, unspaced, dotted)),
            Some(&b @ (b'.' | b'@'))
                if dots != Dots::Separate
                    && text[pos + 1..].chars().next().is_some_and(is_word_char) =>
            {
                if b == b'.' && dots == Dots::JoinWords && !dotted && glued_sentences(text, pos) {
                    return (pos, flags(joined, unspaced, dotted));
                }
                dotted = true;
                pos += 1;
                continue;
            }
            Some(&b) if b < 0x80 && b != b'\'' && b != b'-' => {
                return (pos, flags(joined, unspaced, dotted));
            }
            _ => {}
        }
        let mut rest = text[pos..].chars();
        match (rest.next(), rest.next()) {
            (Some(j), Some(next)) if (is_apostrophe(j) || is_hyphen(j)) && is_word_char(next) => {
                pos += j.len_utf8();
                joined = true;
            }
            _ => return (pos, flags(joined, unspaced, dotted)),
        }
    }
}

/// Whether the `.` at `dot`, in a word that has no other, ends a sentence the next one is
/// glued to, as text copied from a web page often has them (`gratuite.Retours sous 30
/// jours`, `né en 1990.Depuis`): a lowercase letter or a digit before it, a capital and a
/// lowercase letter (or an apostrophe:
/// `L’équipe`) after it, and no `.` or `@` after the next word, which would make the whole a
/// host name or an address (`leland.Stanford.EDU`, `jean.Martin@exemple.fr`).
fn glued_sentences(text: &str, dot: usize) -> bool {
    if !text[..dot]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_lowercase() || c.is_ascii_digit())
    {
        return false;
    }
    let mut after = text[dot + 1..].char_indices();
    match (after.next(), after.next()) {
        (Some((_, capital)), Some((_, next)))
            if capital.is_uppercase() && (next.is_lowercase() || is_apostrophe(next)) => {}
        _ => return false,
    }
    let rest = &text[dot + 1..];
    let word_end = rest
        .char_indices()
        .find(|&(_, c)| !is_word_char(c))
        .map_or(rest.len(), |(at, _)| at);
    let mut tail = rest[word_end..].chars();
    !matches!(
        (tail.next(), tail.next()),
        (Some('.' | '@'), Some(c)) if is_word_char(c)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        raw_tokens(text, |t| out.push(t));
        out
    }

    #[test]
    fn dotted_keeps_hosts_addresses_and_versions_whole() {
        let mut out = Vec::new();
        raw_tokens_flagged(
            "From: bob@cs.cmu.edu, U.S. Windows 3.1. End. Next e-mail.",
            Dots::Join,
            |t, flags| out.push((t, flags.joined)),
        );
        let expected = [
            ("From", false),
            ("bob@cs.cmu.edu", false),
            ("U.S", false),
            ("Windows", false),
            ("3.1", false),
            ("End", false),
            ("Next", false),
            ("e-mail", true),
        ];
        assert_eq!(out, expected);
        assert_eq!(tokens("bob@cs.cmu.edu"), ["bob", "cs", "cmu", "edu"]);
    }

    #[test]
    fn glued_sentences_split_where_host_names_do_not() {
        fn split(text: &str) -> Vec<&str> {
            let mut out = Vec::new();
            raw_tokens_flagged(text, Dots::JoinWords, |t, _| out.push(t));
            out
        }
        assert_eq!(
            split(
                "Livraison gratuite.Retours sous 30 jours.Paiement sécurisé.L’équipe répond 1990.Depuis"
            ),
            [
                "Livraison",
                "gratuite",
                "Retours",
                "sous",
                "30",
                "jours",
                "Paiement",
                "sécurisé",
                "L’équipe",
                "répond",
                "1990",
                "Depuis"
            ]
        );
        for whole in [
            "leland.Stanford.EDU",
            "jean.Martin@exemple.fr",
            "cs.cmu.edu",
            "U.S",
            "ASP.Net",
            "3.1",
            "salarié.e.s",
            "www.Example.com",
        ] {
            assert_eq!(split(whole), [whole]);
        }
        // The same text joined whole when the rule is off (models from before it).
        let mut out = Vec::new();
        raw_tokens_flagged("gratuite.Retours", Dots::Join, |t, _| out.push(t));
        assert_eq!(out, ["gratuite.Retours"]);
    }

    #[test]
    fn eight_byte_masks_agree_with_the_byte_classes() {
        let mut bytes: Vec<u8> = (0..=255u8).collect();
        bytes.extend((0..=255u8).rev());
        for chunk in bytes.windows(8) {
            let x = load8(chunk, 0).unwrap();
            for (i, &b) in chunk.iter().enumerate() {
                let flag = |mask: u64| mask >> (8 * i + 7) & 1 == 1;
                assert_eq!(
                    flag(ascii_word_mask(x)),
                    BYTE_CLASS[b as usize] == ASCII_WORD,
                    "{b}"
                );
                assert_eq!(
                    flag(non_ascii_mask(x)),
                    BYTE_CLASS[b as usize] == NON_ASCII,
                    "{b}"
                );
            }
        }
    }

    #[test]
    fn long_words_and_runs_of_separators_cross_eight_byte_chunks() {
        let text =
            "Anticonstitutionnellement,   ;;;;;;;;;; déjà-vu          X1234567890abcdefZ l’État";
        assert_eq!(
            tokens(text),
            [
                "Anticonstitutionnellement",
                "déjà-vu",
                "X1234567890abcdefZ",
                "l’État"
            ]
        );
    }

    #[test]
    fn combining_marks_and_invisible_characters_stay_in_the_word() {
        let cases: &[(&str, &[&str])] = &[
            // NFD: a letter, then its accent as a combining mark (U+0301, U+0327, U+0300).
            (
                "e\u{301}cole c\u{327}a\u{300}",
                &["e\u{301}cole", "c\u{327}a\u{300}"],
            ),
            // Soft hyphen, zero-width non-joiner and joiner, word joiner, U+FEFF.
            ("co\u{AD}working", &["co\u{AD}working"]),
            (
                "a\u{200C}b c\u{200D}d e\u{2060}f g\u{FEFF}h",
                &["a\u{200C}b", "c\u{200D}d", "e\u{2060}f", "g\u{FEFF}h"],
            ),
            // The zero-width space separates.
            ("co\u{200B}working", &["co", "working"]),
            // A mark or an invisible character with no word before it starts none.
            ("\u{301}\u{AD} \u{AD}mot", &["mot"]),
        ];
        for (text, expected) in cases {
            assert_eq!(tokens(text), *expected, "tokens of {text:?}");
        }
    }

    #[test]
    fn the_modifier_letter_apostrophe_is_a_joiner() {
        let mut out = Vec::new();
        raw_tokens_flagged("lʼécole ʼseul finʼ", Dots::Separate, |t, flags| {
            out.push((t, flags.joined))
        });
        assert_eq!(out, [("lʼécole", true), ("seul", false), ("fin", false)]);
    }

    fn unspaced_pairs(token: &str) -> Vec<&str> {
        let mut out = Vec::new();
        if !for_each_unspaced_pair(token, |t| out.push(t)) {
            out.push(token);
        }
        out
    }

    #[test]
    fn scripts_without_spaces_become_overlapping_pairs() {
        assert_eq!(unspaced_pairs("足球比赛"), ["足球", "球比", "比赛"]);
        assert_eq!(unspaced_pairs("的"), ["的"]);
        assert_eq!(unspaced_pairs("AI技术2024年"), ["AI", "技术", "2024", "年"]);
        // Hiragana, Katakana with a voicing mark written apart (U+3099), Thai with its vowel
        // and tone marks: each character keeps its marks.
        assert_eq!(unspaced_pairs("バス"), ["バス"]);
        assert_eq!(
            unspaced_pairs("ハ\u{3099}スです"),
            ["ハ\u{3099}ス", "スで", "です"]
        );
        assert_eq!(unspaced_pairs("ข้าวขาว"), ["ข้า", "าว", "วข", "ขา", "าว"]);
        // Scripts written with spaces are left alone.
        assert_eq!(unspaced_pairs("서울"), ["서울"]);
        // Half-width Katakana keeps its voicing marks, as full-width does once in NFKC.
        assert_eq!(unspaced_pairs("ｶﾞｲﾄﾞ"), ["ｶﾞｲ", "ｲﾄﾞ"]);
        // A dotted word ends where the script changes, without the dot.
        assert_eq!(unspaced_pairs("张三@example.com"), ["张三", "example.com"]);
        assert_eq!(unspaced_pairs("AI.技术"), ["AI", "技术"]);
        assert_eq!(unspaced_pairs("école"), ["école"]);
        assert_eq!(unspaced_pairs("Москва"), ["Москва"]);
    }

    #[test]
    fn splits_on_spaces_punctuation_and_symbols() {
        let cases: &[(&str, &[&str])] = &[
            ("Bonjour, le monde !", &["Bonjour", "le", "monde"]),
            ("l’État et l'école", &["l’État", "et", "l'école"]),
            ("e-commerce — 2 000 €", &["e-commerce", "2", "000"]),
            ("fin- de ligne ' seul", &["fin", "de", "ligne", "seul"]),
            ("«guillemets» (parenthèses)", &["guillemets", "parenthèses"]),
            ("", &[]),
            ("l’", &["l"]),
        ];
        for (text, expected) in cases {
            assert_eq!(tokens(text), *expected, "tokens of {text:?}");
        }
    }
}
