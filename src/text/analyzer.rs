use super::known::KnownWords;
use super::language::{Apostrophe, Language};
use super::markup::as_displayed;
use super::orthography::{before_stemming, fold, lowercase};
use super::tokenizer::{
    Dots, TokenFlags, continues_word, for_each_unspaced_pair, is_apostrophe, is_hyphen,
    is_invisible, raw_tokens_flagged,
};
use compact_str::CompactString;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Every setting of the analyzer chain. Stored whole in each model file, stop words and
/// elisions included, so that a newer artclass (or a newer stop-word crate) scores an old
/// model exactly as it was trained.
///
/// Its serde form is the model file's encoding, in which the settings added after format 4
/// travel apart (`persist`): it is not a configuration format of its own, and a round trip
/// through it alone loses them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnalyzerConfig {
    /// The language whose Snowball stemmer runs; [`AnalyzerConfig::preset`] takes its stop
    /// words and elisions too (`--lang`).
    pub language: Language,
    /// Lowercase words dropped before stemming.
    pub stop_words: Vec<String>,
    /// Leading elided words (`l`, `qu`…) removed before an apostrophe; empty = split there.
    pub elisions: Vec<String>,
    /// Apply the language's Snowball stemmer.
    pub stem: bool,
    /// Remove diacritics after stemming, so `école` and `ecole` meet (those the language's
    /// writers often leave out: `año` keeps its ñ, see `orthography::fold`).
    pub fold_accents: bool,
    /// Words shorter than this many characters are dropped.
    pub min_word_chars: usize,
    /// Keep `.` and `@` between letters or digits inside the word, so host names, e-mail
    /// addresses, versions and abbreviations (`cs.cmu.edu`, `bob@aol.com`, `3.1`, `u.s`) are
    /// one word each instead of pieces such as `edu` or `com` that every e-mail header shares.
    /// Stored by `persist` apart from the rest of this struct.
    #[serde(skip)]
    pub dotted_words: bool,
    /// The rules for scripts other than the Latin, Greek and Cyrillic ones, which models from
    /// before format 9 did not have (false when such a model is read, so that it keeps
    /// reading text as it was trained): scripts written without spaces (Chinese, Japanese,
    /// Thai…) cut into overlapping pairs of characters; accents folded only in the scripts
    /// whose marks are accents (Latin, Greek, Cyrillic, Hebrew, Arabic), not where a mark is
    /// part of the letter (Devanagari, Thai, Japanese); Arabic tatweel dropped whatever the
    /// language. Stored by `persist` apart from the rest of this struct.
    #[serde(skip)]
    pub script_rules: bool,
    /// The rules for text copied from web pages, which models from before format 10 did not
    /// have (false when such a model is read): HTML tags and comments dropped and character
    /// references decoded (`&eacute;` is `é`), a full stop that glues two sentences
    /// (`gratuite.Retours`) separating them even among dotted words, and in French the
    /// inclusive endings after a dot dropped (`salarié.e.s` is `salarié`, as `salarié·e·s`
    /// already was). Stored by `persist` apart from the rest of this struct.
    #[serde(skip)]
    pub web_rules: bool,
}

impl AnalyzerConfig {
    /// The language's preset: its stop words and elisions, stemming, accent folding, dotted
    /// words kept whole, words of any length (single letters such as a grade or the `c` of a
    /// language name carry meaning; the stop-word list removes the empty ones). Chosen by
    /// measurement on four public sets (README, "Choosing the defaults").
    pub fn preset(language: Language) -> Self {
        AnalyzerConfig {
            language,
            stop_words: language.stop_words(),
            elisions: language.elisions(),
            stem: true,
            fold_accents: true,
            min_word_chars: 1,
            dotted_words: true,
            script_rules: true,
            web_rules: true,
        }
    }
}

const TATWEEL: char = '\u{0640}';

/// French inclusive writing with dots (`salarié.e.s`, `tou.te.s`, `client.e`): the word
/// before its endings, as `salarié·e·s` with middle dots, which never join a word, gives it.
/// A single ending that is also a common country domain (`.es`, `.se`) is left alone:
/// `amazon.es` stays a host name (`.ne`, Niger's, is rarer than `citoyen.ne`).
fn without_inclusive_endings(token: &str) -> &str {
    const ENDINGS: &[&str] = &[
        "e", "s", "es", "ne", "nes", "te", "tes", "le", "les", "se", "ses", "x", "rice", "rices",
        "trice", "trices", "ère", "ères", "euse", "euses", "ale", "ales", "ve", "ves", "ice",
        "ices",
    ];
    const ALONE: &[&str] = &[
        "e", "ne", "te", "tes", "le", "rice", "trice", "ère", "euse", "ale", "ice", "ices",
    ];
    let mut parts = token.split('.');
    let Some(word) = parts.next() else {
        return token;
    };
    let endings: Vec<&str> = parts.collect();
    let inclusive = word.chars().count() >= 2
        && word.chars().next_back().is_some_and(char::is_lowercase)
        && match endings.as_slice() {
            [] => false,
            [one] => ALONE.contains(one),
            many => many.iter().all(|e| ENDINGS.contains(e)),
        };
    if inclusive { word } else { token }
}

/// A ready-to-run analyzer chain built from an [`AnalyzerConfig`].
pub struct Analyzer {
    config: AnalyzerConfig,
    stop_words: FxHashSet<String>,
    elisions: FxHashSet<String>,
    stemmer: Option<rust_stemmers::Stemmer>,
}

impl Analyzer {
    /// Prepares the chain once for every text: stop words and elisions lowercased for lookup
    /// (stop words also accent-folded, with [`AnalyzerConfig::fold_accents`]), stemmer made.
    pub fn new(config: AnalyzerConfig) -> Self {
        let language = config.language;
        let mut stop_words: FxHashSet<String> = FxHashSet::default();
        for word in &config.stop_words {
            let lower = lowercase(language, word);
            if config.fold_accents {
                // Text typed without accents (`etait`) must meet the list too, unless the
                // folded form is a word of its own (Turkish `şu` folds to `su`, water).
                let folded = fold(language, &lower, config.script_rules);
                if !language.content_words().contains(&folded.as_str()) {
                    stop_words.insert(folded);
                }
            }
            stop_words.insert(lower);
        }
        let elisions = config
            .elisions
            .iter()
            .map(|e| lowercase(language, e))
            .collect();
        let stemmer = config
            .stem
            .then(|| rust_stemmers::Stemmer::create(config.language.stemmer()));
        Analyzer {
            config,
            stop_words,
            elisions,
            stemmer,
        }
    }

    /// The settings the chain was built from.
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// The terms of `text`, in order.
    pub fn words(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_raw_word(text, |word| {
            if let Some(term) = self.normalize_word(word) {
                out.push(term);
            }
        });
        out
    }

    /// Like [`Analyzer::words`], for hot loops: each distinct raw word is normalised once and
    /// `resolve`d once into a `V` (a term id, say), and the `V` of every kept word is appended
    /// to `out`, in order. Dropped words (stop words, numbers…) are not emitted.
    ///
    /// The lookups run in passes over the text: the first packs each word and prefetches its
    /// cache slot, the second reads the slots and, for the words they miss, prefetches their
    /// slot in `known`, the third resolves those. The slots are independent memory reads, so
    /// they overlap instead of waiting for each other (profiled: waiting on them was most of
    /// the analyzer's time).
    ///
    /// `known` holds the words whose value is known in advance (the training's, see
    /// [`KnownWords`]): they skip the analyzer chain. Empty, every word goes through it.
    pub fn resolve_words<V: Copy + From<u32>>(
        &self,
        text: &str,
        cache: &mut WordCache<V>,
        known: &KnownWords,
        mut resolve: impl FnMut(&str) -> V,
        out: &mut Vec<V>,
    ) {
        let mut pending = std::mem::take(&mut cache.pending);
        pending.clear();
        self.for_each_raw_word(text, |word| match pack_short(word) {
            Some(key) => {
                let slot = hot_slot(key, cache.hot_shift);
                crate::prefetch(&cache.hot[slot]);
                pending.push(PendingWord::Packed(key, slot));
            }
            None => pending.push(PendingWord::Resolved(self.lookup_slow(
                word,
                cache,
                &mut resolve,
            ))),
        });
        // Two ways per set: the most recent word first.
        for word in pending.iter_mut() {
            if let PendingWord::Packed(key, set) = *word {
                let packed = split(key);
                let (first, second) = (cache.hot[set], cache.hot[set + 1]);
                if first.0 == packed {
                    *word = PendingWord::Resolved(first.1);
                } else if second.0 == packed {
                    cache.hot[set] = second;
                    cache.hot[set + 1] = first;
                    *word = PendingWord::Resolved(second.1);
                } else {
                    known.prefetch(key);
                }
            }
        }
        for &word in &pending {
            let value = match word {
                PendingWord::Resolved(value) => value,
                PendingWord::Packed(key, set) => {
                    let packed = split(key);
                    let first = cache.hot[set];
                    // A word missed twice in this text is in the set since its first time.
                    if first.0 == packed {
                        first.1
                    } else {
                        let value = match known.get(key) {
                            Some(value) => value.map(V::from),
                            None => {
                                let mut buffer = [0u8; 16];
                                let word = unpack_short(key, &mut buffer);
                                self.lookup_slow(word, cache, &mut resolve)
                            }
                        };
                        cache.hot[set + 1] = first;
                        cache.hot[set] = (packed, value);
                        cache.hot_stored += 1;
                        value
                    }
                }
            };
            if let Some(value) = value {
                out.push(value);
            }
        }
        cache.pending = pending;
        if cache.hot_stored > cache.hot.len() / 8 && cache.hot.len() < HOT_SLOTS {
            cache.grow_hot();
        }
    }

    /// The analyzer chain for a word the first level of the cache does not hold, through the
    /// map level for a long word. A short word is not put in the map: the first level keeps
    /// it (and, should it let it go, it is normalised again when it comes back).
    fn lookup_slow<V: Copy>(
        &self,
        word: &str,
        cache: &mut WordCache<V>,
        resolve: &mut impl FnMut(&str) -> V,
    ) -> Option<V> {
        let short = pack_short(word);
        if short.is_none()
            && let Some(&value) = cache.map.get(word)
        {
            return value;
        }
        let value = self.normalize_word(word).map(|term| resolve(&term));
        match (&mut cache.recorded, short) {
            (Some(recorded), Some(key)) => recorded.push((key, value)),
            (_, Some(_)) => {}
            (_, None) => {
                if cache.map.len() >= cache.capacity {
                    // The first level's values stay right: they do not depend on the map.
                    cache.map.clear();
                }
                cache.map.insert(CompactString::from(word), value);
            }
        }
        value
    }

    /// Splits text into raw words: tokens, less leading elisions, split at hyphens and (for
    /// languages without elisions) at or after apostrophes ([`Apostrophe`]). A one-letter
    /// prefix stays joined to what follows (`e-commerce` → `ecommerce`, `m-learning` →
    /// `mlearning`), where the language allows ([`Language::joins_one_letter_prefix`]).
    fn for_each_raw_word(&self, text: &str, mut emit: impl FnMut(&str)) {
        let mut joined = String::new();
        let script_rules = self.config.script_rules;
        let web_rules = self.config.web_rules;
        let text = if web_rules {
            as_displayed(text)
        } else {
            Cow::Borrowed(text)
        };
        let dots = match (self.config.dotted_words, web_rules) {
            (false, _) => Dots::Separate,
            (true, false) => Dots::Join,
            (true, true) => Dots::JoinWords,
        };
        let inclusive = web_rules && self.config.language == Language::French;
        raw_tokens_flagged(
            &text,
            dots,
            |token,
             TokenFlags {
                 joined: has_joiner,
                 unspaced,
                 dotted,
             }| {
                let token = match dotted && inclusive {
                    true => without_inclusive_endings(token),
                    false => token,
                };
                if script_rules && unspaced {
                    let mut emit_pieces = |word: &str| {
                        if !for_each_unspaced_pair(word, &mut emit) {
                            emit(word);
                        }
                    };
                    if has_joiner {
                        self.split_joined(token, &mut joined, &mut emit_pieces);
                    } else {
                        emit_pieces(token);
                    }
                } else if has_joiner {
                    self.split_joined(token, &mut joined, &mut emit);
                } else {
                    emit(token);
                }
            },
        );
    }

    /// A token holding joiners, less its leading elisions, split at hyphens and (for
    /// languages without elisions) apostrophes; `joined` is scratch space.
    fn split_joined(&self, token: &str, joined: &mut String, emit: &mut impl FnMut(&str)) {
        let token = self.strip_elisions(token);
        let mut parts = token.split(is_hyphen).peekable();
        let mut first = true;
        while let Some(part) = parts.next() {
            let single_letter_prefix =
                first && self.config.language.joins_one_letter_prefix() && is_single_letter(part);
            first = false;
            if single_letter_prefix && parts.peek().is_some() {
                if let Some(next) = parts.next() {
                    joined.clear();
                    joined.push_str(part);
                    joined.push_str(next);
                    self.emit_apostrophe_parts(joined, emit);
                }
                continue;
            }
            self.emit_apostrophe_parts(part, emit);
        }
    }

    fn emit_apostrophe_parts(&self, part: &str, emit: &mut impl FnMut(&str)) {
        if !self.elisions.is_empty() {
            // `aujourd’hui`, `presqu’île`: one word in an eliding language.
            emit(part);
            return;
        }
        let mut pieces = part.split(is_apostrophe);
        match self.config.language.apostrophe() {
            Apostrophe::Splits => pieces.for_each(&mut *emit),
            Apostrophe::EndsTheWord => emit(pieces.next().unwrap_or(part)),
        }
    }

    fn strip_elisions<'t>(&self, mut token: &'t str) -> &'t str {
        if self.elisions.is_empty() {
            return token;
        }
        while let Some((head, tail)) = token.split_once(is_apostrophe) {
            if head.len() > 8
                || tail.is_empty()
                || !self
                    .elisions
                    .contains(&lowercase(self.config.language, &compatibility_form(head)))
            {
                break;
            }
            token = tail;
        }
        token
    }

    /// Compatibility form, lowercase, ligatures, numbers, length, stop words, stem, accents:
    /// one word to its term. An ASCII word is its own compatibility form and skips that step.
    fn normalize_word(&self, word: &str) -> Option<String> {
        let language = self.config.language;
        if word.is_ascii() {
            return self.normalize_lowercase(&lowercase(language, word));
        }
        // A number stays one even where NFKC spells it otherwise (`½` → `1⁄2`, `Ⅳ` → `IV`).
        if word.chars().all(char::is_numeric) {
            return None;
        }
        let word = compatibility_form(word);
        // Tatweel (ـ) stretches an Arabic-script line for justification: `اللاعـــب` is
        // `اللاعب`. A word of tatweel alone is nothing (and empty, it is dropped below).
        if self.config.script_rules && word.contains(TATWEEL) {
            let word: String = word.chars().filter(|&c| c != TATWEEL).collect();
            return self.normalize_lowercase(&lowercase(language, &word));
        }
        self.normalize_lowercase(&lowercase(language, &word))
    }

    /// [`Analyzer::normalize_word`] of a word already lowercased by [`lowercase`].
    fn normalize_lowercase(&self, lower: &str) -> Option<String> {
        if lower.chars().all(char::is_numeric) {
            return None;
        }
        if lower.chars().count() < self.config.min_word_chars {
            return None;
        }
        if self.stop_words.contains(lower) {
            return None;
        }
        let language = self.config.language;
        let folded_is_stop = || {
            self.config.fold_accents
                && self
                    .stop_words
                    .contains(&fold(language, lower, self.config.script_rules))
        };
        if !lower.is_ascii() && folded_is_stop() {
            return None;
        }
        let stem = match &self.stemmer {
            Some(stemmer) => match stemmer.stem(&before_stemming(language, lower)) {
                // The Greek stemmer removes some words whole as an ending (`όταν`): the word
                // stays, rather than every such word becoming one empty term.
                stem if stem.is_empty() => lower.to_string(),
                stem => stem.into_owned(),
            },
            None => lower.to_string(),
        };
        let term = if self.config.fold_accents && !stem.is_ascii() {
            fold(language, &stem, self.config.script_rules)
        } else {
            stem
        };
        // A word of marks alone (`ा`, a lone half-width voicing mark) folds to nothing: no
        // term, rather than an empty one that the vocabulary refuses. Older models kept it
        // (they could not hold it either), and their n-grams count on the word being there.
        if term.is_empty() && self.config.script_rules {
            return None;
        }
        Some(term)
    }
}

/// Memo of raw word → resolved term for [`Analyzer::resolve_words`]; one per worker thread.
///
/// Two levels: a two-way set-associative table of short words (packed into 16 bytes,
/// compared in two instructions, its set computed and prefetched ahead of the read), and a
/// map of the long words. Profiling showed the map's entries missing the CPU cache on most
/// tokens; the first level serves almost every token of a feed. The map once held the short
/// words too, in case the first level let them go: filling it with every new word of a
/// thread cost more (inserts, and a page fault per 4 KiB of it) than normalising again the
/// few that come back. Both have a bounded size (the map is cleared when full), so memory
/// stays flat on endless streams and does not grow with the number of distinct words a
/// thread meets.
pub struct WordCache<V> {
    /// (packed word in two halves, its value); key 0 is an empty slot, as no word packs to
    /// 0. Halves rather than a `u128`, whose alignment would pad each slot to 32 bytes.
    hot: Vec<([u64; 2], Option<V>)>,
    /// 64 − log2 of `hot`'s length: the shift that takes a hash to a slot.
    hot_shift: u32,
    /// Words stored in `hot` since it was made (or grew, counting those it kept).
    hot_stored: usize,
    map: FxHashMap<CompactString, Option<V>>,
    capacity: usize,
    /// Scratch of [`Analyzer::resolve_words`], kept to reuse its allocation.
    pending: Vec<PendingWord<V>>,
    /// Every short word the analyzer chain ran on, packed, with its value, when recording
    /// (training, for [`KnownWords`](super::KnownWords)); a word may appear more than once.
    recorded: Option<Vec<(u128, Option<V>)>>,
}

/// A word between the passes of [`Analyzer::resolve_words`]: packed with its hot slot,
/// or already resolved (a long word, or one the cache held).
#[derive(Clone, Copy)]
enum PendingWord<V> {
    Packed(u128, usize),
    Resolved(Option<V>),
}

/// Slots of the first level at most: 2¹⁸ × 24 bytes. Its reads are prefetched, so it may
/// outgrow the inner CPU caches; large enough that the distinct words of a big feed rarely
/// collide (20newsgroups' test split has 113,000).
const HOT_SLOTS: usize = 1 << 18;
/// Slots of the first level to start with (96 KB), eight times more each time an eighth of
/// them have been filled: a short text does not pay for making 6 MB (measured: 2.3 ms of
/// the 19 ms `classify` of one text took with a large model). Two ways per set hold a word
/// and the one before it; filled to a half, a tenth of the sets had a third word coming and
/// going, normalised again each time (criterion's extraction: 52 MiB/s, against 62 at an
/// eighth and 58 at full size from the start).
const FIRST_HOT_SLOTS: usize = 1 << 12;

impl<V: Copy> WordCache<V> {
    /// A cache with room for 65,536 long words ([`WordCache::with_capacity`]).
    pub fn new() -> Self {
        Self::with_capacity(1 << 16)
    }

    /// A cache whose map of long words (over 15 bytes) is cleared once it holds `capacity`
    /// (at least 1); the table of short words has a bound of its own.
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        WordCache {
            hot: vec![([0; 2], None); FIRST_HOT_SLOTS],
            hot_shift: 64 - FIRST_HOT_SLOTS.trailing_zeros(),
            hot_stored: 0,
            // Long words only: a few thousand per thread on a feed; it grows if need be.
            map: FxHashMap::with_capacity_and_hasher(capacity.min(1 << 12), Default::default()),
            capacity,
            pending: Vec::new(),
            recorded: None,
        }
    }

    /// A cache that records the words the analyzer chain runs on (`WordCache::recorded`).
    pub fn recording() -> Self {
        WordCache {
            recorded: Some(Vec::new()),
            ..Self::new()
        }
    }

    /// Replaces the first level with one eight times larger (at most [`HOT_SLOTS`]), holding
    /// the same words.
    fn grow_hot(&mut self) {
        let slots = (self.hot.len() * 8).min(HOT_SLOTS);
        let old = std::mem::replace(&mut self.hot, crate::huge_page_vec(slots, ([0; 2], None)));
        self.hot_shift = 64 - slots.trailing_zeros();
        self.hot_stored = 0;
        // Each set's older word first, so that the more recent one stays first in its set.
        for pair in old.chunks_exact(2) {
            for &(packed, value) in pair.iter().rev() {
                if packed != [0, 0] {
                    let set = hot_slot(
                        u128::from(packed[0]) | u128::from(packed[1]) << 64,
                        self.hot_shift,
                    );
                    self.hot[set + 1] = self.hot[set];
                    self.hot[set] = (packed, value);
                    self.hot_stored += 1;
                }
            }
        }
    }

    /// The words recorded so far (see [`WordCache::recording`]), taken out of the cache.
    pub fn take_recorded(&mut self) -> Vec<(u128, Option<V>)> {
        self.recorded
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

fn split(key: u128) -> [u64; 2] {
    [key as u64, (key >> 64) as u64]
}

/// The first of the two slots of `key`'s set, in a first level of 2^(64 − `shift`) slots.
fn hot_slot(key: u128, shift: u32) -> usize {
    let mixed = (key as u64 ^ (key >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> shift) as usize & !1
}

impl<V: Copy> Default for WordCache<V> {
    fn default() -> Self {
        Self::new()
    }
}

/// A word of up to 15 bytes as one number: its bytes, then its length in the top byte (so no
/// two words share a key, and 0 is no word). Built from a few overlapping loads rather than a
/// copy into a buffer: profiled, reading the buffer back stalled on the copy's byte stores.
fn pack_short(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    let len = bytes.len();
    let load4 = |at: usize| {
        let mut chunk = [0u8; 4];
        chunk.copy_from_slice(&bytes[at..at + 4]);
        u64::from(u32::from_le_bytes(chunk))
    };
    let load8 = |at: usize| {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(chunk)
    };
    // Each arm ORs in the word's last bytes at their own positions; overlapping bytes are the
    // same bytes, so the OR leaves them as they are.
    let (low, high) = match len {
        0 => return None,
        1..=3 => {
            let byte = |at: usize| u64::from(bytes[at]) << (8 * at);
            (byte(0) | byte(len / 2) | byte(len - 1), 0)
        }
        4..=7 => (load4(0) | load4(len - 4) << (8 * (len - 4)), 0),
        8 => (load8(0), 0),
        9..=15 => (load8(0), load8(len - 8) >> (8 * (16 - len))),
        _ => return None,
    };
    Some(u128::from(low) | u128::from(high | (len as u64) << 56) << 64)
}

/// The word packed by [`pack_short`], spelled out in `buffer`.
fn unpack_short(key: u128, buffer: &mut [u8; 16]) -> &str {
    *buffer = key.to_le_bytes();
    let len = usize::from(buffer[15]).min(15);
    // The bytes came from a `&str`, so this never fails.
    std::str::from_utf8(&buffer[..len]).unwrap_or_default()
}

/// Whether a part of a hyphenated word is one letter (`e` of `e-commerce`), counting a letter
/// with its combining marks (`e\u{301}`) as one, as NFC would write it.
fn is_single_letter(part: &str) -> bool {
    if part.is_ascii() {
        return part.len() <= 1;
    }
    part.chars()
        .filter(|&c| !continues_word(c))
        .nth(1)
        .is_none()
}

/// `word` without its invisible format characters, in NFKC: decomposed accents composed
/// (`e\u{301}` → `é`) and compatibility characters spelled plainly (`ﬁ` → `fi`, full-width
/// `Ａ` → `A`, `m²` → `m2`), so that every spelling of a word meets the same term. ASCII
/// words, and most others, come back borrowed.
fn compatibility_form(word: &str) -> Cow<'_, str> {
    if word.is_ascii()
        || (!word.chars().any(is_invisible) && is_nfkc_quick(word.chars()) == IsNormalized::Yes)
    {
        return Cow::Borrowed(word);
    }
    Cow::Owned(word.chars().filter(|&c| !is_invisible(c)).nfkc().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::char::is_combining_mark;

    /// Each preset's chain on a few words: a stop word dropped, two inflections stemmed
    /// alike, and the language's letter rules (see `orthography`).
    #[test]
    fn each_language_cases() {
        type Cases = &'static [(&'static str, &'static [&'static str])];
        let languages: &[(Language, Cases)] = &[
            (
                Language::German,
                &[
                    ("die Regierungen der Regierung", &["regier", "regier"]),
                    // ß is ss, in capitals too; umlauts fold.
                    ("Straße Strasse STRASSE", &["strass", "strass", "strass"]),
                    ("Häuser Hauser", &["haus", "haus"]),
                    // The clitic `’s` and a possessive apostrophe end the word.
                    ("wie geht's? Anna’s Imbiss", &["geht", "anna", "imbiss"]),
                    ("E-Mail", &["email"]),
                ],
            ),
            (
                Language::Spanish,
                &[
                    ("los niños del niño", &["niñ", "niñ"]),
                    // ñ is kept: año (year) and ano are two words; accents fold.
                    ("año ano AÑO", &["año", "ano", "año"]),
                    ("casas casa según segun", &["cas", "cas", "segun", "segun"]),
                    // `estado` is a form of estar to NLTK, and a country to the news.
                    ("los Estados Unidos", &["estad", "unid"]),
                ],
            ),
            (
                Language::Italian,
                &[
                    ("i giornali del giornale", &["giornal", "giornal"]),
                    ("città citta perché", &["citt", "citt"]),
                    ("c'è c’è più", &[]),
                ],
            ),
            (
                Language::Portuguese,
                &[
                    ("as políticas não são a política", &["polit", "polit"]),
                    ("ação acao", &["aca", "aca"]),
                ],
            ),
            (
                Language::Dutch,
                &[
                    ("de regeringen en een regering", &["reger", "reger"]),
                    // The plural `’s` ends the word; the trema folds.
                    ("auto's foto’s auto", &["auto", "foto", "auto"]),
                    ("ideeën ideeen", &["ideeen", "ideeen"]),
                ],
            ),
            (
                Language::Danish,
                &[
                    ("regeringen og regeringer", &["regering", "regering"]),
                    // æ is a letter, not a ligature; å is kept.
                    ("æble ÆBLE", &["æbl", "æbl"]),
                    ("får far", &["får", "far"]),
                ],
            ),
            (
                Language::Swedish,
                &[
                    ("regeringen och regeringar", &["regering", "regering"]),
                    ("får far häst hast", &["får", "far", "häst", "hast"]),
                    ("idé ide", &["ide", "ide"]),
                ],
            ),
            (
                Language::Norwegian,
                &[
                    ("regjeringen og regjeringer", &["regjering", "regjering"]),
                    ("år ar", &["år", "ar"]),
                ],
            ),
            (
                Language::Finnish,
                &[
                    ("taloissa ja talossa", &["talo", "talo"]),
                    ("säätiö saatio", &["säätiö", "saatio"]),
                ],
            ),
            (
                Language::Hungarian,
                &[
                    ("a házak és a házban", &["ház", "ház"]),
                    // Vowel length and ő, ű are letters; the list's õ reads as ő.
                    ("kör kor kór", &["kör", "kor", "kór"]),
                    ("előtt ők ELŐTT", &[]),
                ],
            ),
            (
                Language::Romanian,
                &[
                    ("guvernul și guvernului", &["guvern", "guvern"]),
                    // Comma below and cedilla alike; diacritics fold.
                    ("științele ştiinţele", &["stiint", "stiint"]),
                    // Clitics before a hyphen go, a one-letter one does not join the verb.
                    ("s-a n-a l-am într-o printr-un", &[]),
                ],
            ),
            (
                Language::Russian,
                &[
                    (
                        "правительства и правительство",
                        &["правительств", "правительств"],
                    ),
                    // ё is е before the stemmer; й stays.
                    ("путём путем ПУТЁМ", &["пут", "пут", "пут"]),
                    ("район раион её", &["район", "раион"]),
                ],
            ),
            (
                Language::Greek,
                &[
                    ("οι δρόμοι και τους δρόμους", &["δρομ", "δρομ"]),
                    // Capitals without tonos, final sigma: the list's `αυτεσ` meets both.
                    ("ΔΡΟΜΟΙ αυτές ΑΥΤΕΣ", &["δρομ"]),
                    // Elided σε and από, with or without a space.
                    ("σ' αγαπώ σ’αγαπώ απ’ το", &["αγαπ", "αγαπ"]),
                    // A word the stemmer takes whole stays itself.
                    ("όταν", &["οταν"]),
                ],
            ),
            (
                Language::Arabic,
                &[
                    // Currencies and gold are news, not stop words.
                    ("دولار ذهب", &["دولار", "ذهب"]),
                    // Tatweel and tashkeel change nothing.
                    ("العربية الـعـربية العَرَبِيَّة", &["عرب", "عرب", "عرب"]),
                    // و and ف before the article go.
                    ("والكتاب الكتاب فالكتاب", &["كتاب", "كتاب", "كتاب"]),
                    // A bare word meets the word with its article: a و or ف that starts it
                    // stays, the endings go alike.
                    ("وزير الوزير فريق الفريق", &["وزير", "وزير", "فريق", "فريق"]),
                    ("فرنسا وزارة الوزارة", &["فرنسا", "وزار", "وزار"]),
                    (
                        "انتخابات الانتخابات بالانتخابات برلمان البرلمان",
                        &["انتخاب", "انتخاب", "انتخاب", "برلم", "برلم"],
                    ),
                    // Stop words with a hamza, tashkeel or a yeh for alef maksura.
                    ("في فِي إلى الى", &[]),
                ],
            ),
            (
                Language::Turkish,
                &[
                    ("kitaplar ve kitapları", &["kitap", "kitap"]),
                    // I is ı, İ is i; letters fold to ASCII.
                    ("IŞIK ışık isik", &["isik", "isik", "isik"]),
                    ("İstanbul Istanbul ISTANBUL", &["istanbul"; 3]),
                    // The case ending after an apostrophe goes.
                    ("İstanbul'da İstanbul’un", &["istanbul", "istanbul"]),
                    ("çok cok", &[]),
                    // `şu` goes, `su` (water) stays, though `şu` folds to it.
                    ("şu su kesintisi", &["su", "kesintis"]),
                ],
            ),
            (
                Language::Tamil,
                &[
                    ("இந்த பள்ளிகள் பள்ளி", &["பள்ளி", "பள்ளி"]),
                    ("அரசாங்கம் அரசாங்கத்தின்", &["அரசாங்கம்", "அரசாங்கம்"]),
                ],
            ),
        ];
        for (language, cases) in languages {
            let analyzer = Analyzer::new(AnalyzerConfig::preset(*language));
            for (text, expected) in *cases {
                assert_eq!(analyzer.words(text), *expected, "{language}: {text:?}");
                // Through the caches too.
                let mut cache = WordCache::new();
                let mut terms = Vec::new();
                assert_eq!(
                    resolve_terms(&analyzer, text, &mut cache, &mut terms),
                    *expected,
                    "{language}, cached: {text:?}"
                );
            }
        }
        assert_eq!(
            Language::ALL.len(),
            languages.len() + 2,
            "one case per language"
        );
    }

    #[test]
    fn italian_elisions_with_every_apostrophe() {
        let analyzer = Analyzer::new(AnalyzerConfig::preset(Language::Italian));
        for apostrophe in ['\'', '’', 'ʼ'] {
            let text = "L'anno dell'azienda, un'altra quest'anno all'interno nell'ambito \
                        gl'italiani sull'isola c'è dov'è anch'io"
                .replace('\'', &apostrophe.to_string());
            assert_eq!(
                analyzer.words(&text),
                [
                    "anno", "azi", "altra", "anno", "intern", "ambit", "italian", "isol"
                ],
                "with {apostrophe:?}"
            );
        }
        // An apostrophe after a word that is not an elision keeps the word whole.
        assert_eq!(analyzer.words("po'"), ["po"]);
        assert_eq!(analyzer.words("rock'n'roll"), ["rock'n'roll"]);
    }

    #[test]
    fn folding_can_be_turned_off_for_every_language() {
        let mut config = AnalyzerConfig::preset(Language::Spanish);
        config.fold_accents = false;
        config.stem = false;
        assert_eq!(Analyzer::new(config).words("según"), ["según"]);
        // Letter rules that are not folding stay: Turkish I, Greek final sigma, Russian ё.
        for (language, text, expected) in [
            (Language::Turkish, "IŞIK", "ışık"),
            (Language::Greek, "ΟΔΟΣ", "οδοσ"),
            (Language::Russian, "ЁЛКИ", "елки"),
        ] {
            let mut config = AnalyzerConfig::preset(language);
            config.fold_accents = false;
            config.stem = false;
            assert_eq!(Analyzer::new(config).words(text), [expected], "{language}");
        }
    }

    fn french() -> Analyzer {
        Analyzer::new(AnalyzerConfig::preset(Language::French))
    }

    #[test]
    fn web_leftovers_read_as_the_page_shows_them() {
        let analyzer = french();
        let same = [
            (
                "<p>Commande passée sur le site,<br/>toujours pas reçue.</p>",
                "Commande passée sur le site, toujours pas reçue.",
            ),
            (
                "s&eacute;curit&#233; et r&eacute;clamation&nbsp;: l&rsquo;&eacute;quipe",
                "sécurité et réclamation : l’équipe",
            ),
            (
                "Livraison gratuite.Retours sous 30 jours.Paiement sécurisé.",
                "Livraison gratuite. Retours sous 30 jours. Paiement sécurisé.",
            ),
            (
                "Les salarié.e.s et tou.te.s les client.e.s, l’étudiant.e, les lecteur.ice.s",
                "Les salarié et tou les client, l’étudiant, les lecteur",
            ),
        ];
        for (web, plain) in same {
            assert_eq!(analyzer.words(web), analyzer.words(plain), "{web}");
        }
        // Host names and the like stay whole; a country's domain is no inclusive ending.
        for whole in ["leland.Stanford.EDU", "amazon.es", "cs.cmu.edu"] {
            assert_eq!(analyzer.words(whole).len(), 1, "{whole}");
        }
        // Without the rules (models from before them), the leftovers stay as they were read.
        let mut config = AnalyzerConfig::preset(Language::French);
        config.web_rules = false;
        let before = Analyzer::new(config);
        assert_eq!(before.words("<p>commande</p>"), ["p", "command", "p"]);
        assert_eq!(before.words("gratuite.Retours"), ["gratuite.retour"]);
        assert_eq!(before.words("salarié.e.s").len(), 1);
        assert_ne!(before.words("salarié.e.s"), analyzer.words("salarié"));
        // Other languages read markup alike, and keep dotted endings.
        let english = Analyzer::new(AnalyzerConfig::preset(Language::English));
        assert_eq!(
            english.words("<b>r&eacute;sum&eacute;</b>"),
            english.words("résumé")
        );
        assert_eq!(english.words("client.e.s").len(), 1);
    }

    #[test]
    fn french_cases() {
        let analyzer = french();
        let cases: &[(&str, &[&str])] = &[
            // Elisions, with both apostrophes; stop words go.
            ("l’État", &["etat"]),
            ("l'État", &["etat"]),
            ("qu'il vienne", &["vien"]),
            ("qu’il vienne", &["vien"]),
            ("jusqu’à lorsqu'elle", &[]),
            ("d’aujourd’hui", &["aujourd'hui"]),
            ("aujourd'hui", &["aujourd'hui"]),
            // Hyphens: compound words split, one-letter prefixes joined.
            ("peut-être", &["peut", "etre"]),
            ("e-commerce", &["ecommerc"]),
            ("E-Commerce", &["ecommerc"]),
            ("ecommerce", &["ecommerc"]),
            ("tiers-lieux", &["tier", "lieux"]),
            // Unicode lowercase, and accents meet after stemming.
            ("ÉCOLE", &["ecol"]),
            ("école", &["ecol"]),
            ("ecole", &["ecol"]),
            ("ÇA VA", &["ca", "va"]),
            // Ligatures.
            ("Œuvre cœur", &["oeuvr", "coeur"]),
            ("ex æquo", &["ex", "aequo"]),
            // Numbers and symbols dropped, mixed tokens kept.
            ("2 000 €", &[]),
            ("12,5 %", &[]),
            ("COVID-19 en 2020", &["covid"]),
            ("la 5G", &["5g"]),
            // Stop words, also without their accents.
            ("il était une fois", &["fois"]),
            ("il etait une fois", &["fois"]),
        ];
        for (text, expected) in cases {
            assert_eq!(analyzer.words(text), *expected, "analysis of {text:?}");
        }
    }

    /// A French text with accents on most of its words, capitals and elisions included.
    const ACCENTED: &str = "L’École des métiers a ouvert à Besançon : élèves, employés et \
                            indépendants y suivent une formation qualifiante. Ça démarre déjà ; \
                            Noël, Œuvre, naïve, où, âge, Évry.";

    #[test]
    fn decomposed_accents_give_the_terms_of_composed_ones() {
        let nfd: String = ACCENTED.nfd().collect();
        assert_ne!(nfd, ACCENTED, "the text has accents to decompose");
        assert!(nfd.chars().any(is_combining_mark));
        for analyzer in [french(), Analyzer::new(unfolded_french())] {
            let expected = analyzer.words(ACCENTED);
            assert!(expected.len() > 15, "{expected:?}");
            assert_eq!(analyzer.words(&nfd), expected);
            // Through the caches too, NFC words first so that the NFD ones meet cached terms.
            let mut cache = WordCache::new();
            let mut terms = Vec::new();
            assert_eq!(
                resolve_terms(&analyzer, ACCENTED, &mut cache, &mut terms),
                expected
            );
            assert_eq!(
                resolve_terms(&analyzer, &nfd, &mut cache, &mut terms),
                expected
            );
        }
        let analyzer = Analyzer::new(unfolded_french());
        assert_eq!(analyzer.words("Les e\u{301}coles"), ["les", "écoles"]);
    }

    #[test]
    fn invisible_characters_inside_a_word_are_dropped() {
        let analyzer = french();
        let cases: &[(&str, &str)] = &[
            ("co\u{AD}working", "coworking"),
            ("for\u{AD}ma\u{AD}tion", "formation"),
            ("télé\u{200D}travail", "télétravail"),
            ("com\u{2060}merce", "commerce"),
            ("\u{FEFF}clients", "clients"),
            ("client\u{AD} fidèle", "client fidèle"),
            // Before a hyphen the one-letter prefix still joins, before an elision it goes.
            ("e\u{AD}-commerce", "e-commerce"),
            ("l\u{AD}’école", "l’école"),
        ];
        for (text, plain) in cases {
            let expected = analyzer.words(plain);
            assert!(!expected.is_empty(), "{plain}");
            assert_eq!(analyzer.words(text), expected, "analysis of {text:?}");
        }
        // The zero-width space separates words.
        assert_eq!(analyzer.words("co\u{200B}working"), ["co", "working"]);
        assert_ne!(
            analyzer.words("co\u{200B}working"),
            analyzer.words("coworking")
        );
    }

    #[test]
    fn the_modifier_letter_apostrophe_elides_like_the_others() {
        let analyzer = french();
        assert_eq!(analyzer.words("lʼécole"), ["ecol"]);
        assert_eq!(
            analyzer.words("quʼil vienne dʼaujourdʼhui"),
            analyzer.words("qu’il vienne d’aujourd’hui")
        );
        let english = Analyzer::new(AnalyzerConfig::preset(Language::English));
        assert_eq!(
            english.words("The customersʼ orders donʼt ship"),
            ["custom", "order", "ship"]
        );
    }

    #[test]
    fn compatibility_characters_read_as_their_plain_spelling() {
        let analyzer = french();
        let cases: &[(&str, &str)] = &[
            ("ﬁnance", "finance"),
            ("ﬂux", "flux"),
            ("eﬀort", "effort"),
            ("ＦＯＲＭＡＴＩＯＮ", "formation"),
            ("𝕏", "x"),
            ("200 m²", "200 m2"),
        ];
        for (text, plain) in cases {
            let expected = analyzer.words(plain);
            assert!(!expected.is_empty(), "{plain}");
            assert_eq!(analyzer.words(text), expected, "analysis of {text:?}");
        }
        // Numbers stay numbers, whichever way NFKC spells them.
        assert_eq!(analyzer.words("½ ¾ ² Ⅳ"), Vec::<String>::new());
    }

    #[test]
    fn packed_words_are_their_bytes_then_their_length() {
        let text = "abcdefghijklmnop éèàçœ’x";
        for start in 0..text.len() {
            for end in start + 1..=text.len().min(start + 16) {
                let Some(word) = text.get(start..end) else {
                    continue;
                };
                let mut expected = [0u8; 16];
                let packed = pack_short(word);
                if word.len() > 15 {
                    assert_eq!(packed, None);
                    continue;
                }
                expected[..word.len()].copy_from_slice(word.as_bytes());
                expected[15] = word.len() as u8;
                assert_eq!(packed, Some(u128::from_le_bytes(expected)), "{word:?}");
                let mut buffer = [0u8; 16];
                assert_eq!(
                    unpack_short(u128::from_le_bytes(expected), &mut buffer),
                    word
                );
            }
        }
        assert_eq!(pack_short(""), None);
    }

    #[test]
    fn english_splits_at_apostrophes() {
        let analyzer = Analyzer::new(AnalyzerConfig::preset(Language::English));
        assert_eq!(
            analyzer.words("The customers' orders don't ship"),
            ["custom", "order", "ship"]
        );
    }

    /// `text`'s terms through [`Analyzer::resolve_words`] and `cache`, each new term added to
    /// `terms` (whose positions are the values the cache holds).
    fn resolve_terms(
        analyzer: &Analyzer,
        text: &str,
        cache: &mut WordCache<u32>,
        terms: &mut Vec<String>,
    ) -> Vec<String> {
        let mut seen = Vec::new();
        analyzer.resolve_words(
            text,
            cache,
            &KnownWords::empty(),
            |term| {
                terms.push(term.to_string());
                (terms.len() - 1) as u32
            },
            &mut seen,
        );
        seen.iter().map(|&i| terms[i as usize].clone()).collect()
    }

    #[test]
    fn cached_path_matches_plain_path() {
        let analyzer = french();
        let text = "L’e-commerce progresse : les clients d’aujourd’hui achètent en ligne. \
                    Les CLIENTS achètent, les clients reviennent.";
        let mut cache = WordCache::with_capacity(3);
        let cached = resolve_terms(&analyzer, text, &mut cache, &mut Vec::new());
        assert_eq!(cached, analyzer.words(text));
    }

    #[test]
    fn the_first_level_grows_keeping_its_words() {
        let analyzer = french();
        let text: String = (0..3_000).map(|i| format!("mot{i} ")).collect();
        let mut cache = WordCache::new();
        assert_eq!(cache.hot.len(), FIRST_HOT_SLOTS);
        let mut terms: Vec<String> = Vec::new();
        let first = resolve_terms(&analyzer, &text, &mut cache, &mut terms);
        assert_eq!(first, analyzer.words(&text));
        assert_eq!(terms.len(), 3_000);
        assert_eq!(cache.hot.len(), 8 * FIRST_HOT_SLOTS, "grew once");
        let kept = cache.hot_stored;
        assert!(kept > 2_000 && kept < 3_000, "{kept} words kept of 3 000");
        // The words the small first level held are kept through the growth; those it let go
        // while the text was read are normalised again (and a few that three words of the
        // text share a set of the larger one: at most 1 %).
        let again = resolve_terms(&analyzer, &text, &mut cache, &mut terms);
        assert_eq!(again, first);
        let normalised_again = terms.len() - 3_000;
        assert!(
            (3_000 - kept..3_000 - kept + 30).contains(&normalised_again),
            "{normalised_again} normalised again, {kept} kept"
        );
        let third = resolve_terms(&analyzer, &text, &mut cache, &mut terms);
        assert_eq!(third, first);
        assert!(terms.len() - 3_000 - normalised_again < 30);
        let more: String = (3_000..40_000).map(|i| format!("mot{i} ")).collect();
        assert_eq!(
            resolve_terms(&analyzer, &more, &mut cache, &mut terms),
            analyzer.words(&more)
        );
        assert_eq!(cache.hot.len(), HOT_SLOTS, "grew to its largest");
    }

    #[test]
    fn threads_with_their_own_caches_agree_with_the_plain_path() {
        use rayon::prelude::*;
        let analyzer = french();
        let texts: Vec<String> = (0..64)
            .map(|i| {
                format!(
                    "Les CLIENTS d’aujourd’hui, les Clients et les clients n°{i} : \
                     Formation{} E-COMMERCE e-commerce Coworking{}",
                    i % 7,
                    i % 5
                )
            })
            .collect();
        let resolved: Vec<Vec<String>> = texts
            .par_iter()
            // Each thread's cache holds ids into that thread's own term list.
            .map_init(
                || (WordCache::new(), Vec::new()),
                |(cache, terms): &mut (WordCache<u32>, Vec<String>), text| {
                    resolve_terms(&analyzer, text, cache, terms)
                },
            )
            .collect();
        for (text, words) in texts.iter().zip(&resolved) {
            assert_eq!(*words, analyzer.words(text), "{text}");
        }
    }

    #[test]
    fn dotted_words_stay_whole() {
        let mut config = AnalyzerConfig::preset(Language::English);
        assert!(config.dotted_words, "the preset keeps dotted words");
        assert_eq!(
            Analyzer::new(config.clone()).words("Mail bob@cs.cmu.edu about 3.1"),
            ["mail", "bob@cs.cmu.edu", "3.1"]
        );
        config.dotted_words = false;
        config.min_word_chars = 2;
        assert_eq!(
            Analyzer::new(config).words("Mail bob@cs.cmu.edu about 3.1"),
            ["mail", "bob", "cs", "cmu", "edu"]
        );
    }

    /// French without stemming, accent folding nor stop words: terms keep their accents.
    fn unfolded_french() -> AnalyzerConfig {
        let mut config = AnalyzerConfig::preset(Language::French);
        config.stem = false;
        config.fold_accents = false;
        config.stop_words.clear();
        config
    }

    #[test]
    fn settings_change_the_chain() {
        let analyzer = Analyzer::new(unfolded_french());
        assert_eq!(analyzer.words("Les écoles"), ["les", "écoles"]);
    }

    #[test]
    fn scripts_without_spaces_are_read_in_pairs_unless_the_model_predates_it() {
        let text = "足球比赛今天举行，球队赢了。Le coworking-Tesla技术";
        let analyzer = Analyzer::new(AnalyzerConfig::preset(Language::French));
        assert_eq!(
            analyzer.words(text),
            [
                "足球",
                "球比",
                "比赛",
                "赛今",
                "今天",
                "天举",
                "举行",
                "球队",
                "队赢",
                "赢了",
                "coworking",
                "tesl",
                "技术"
            ]
        );
        // A word of marks alone is no term (an empty one would break the vocabulary).
        assert!(analyzer.words("ा \u{064E} ﾞ").is_empty());
        // Arabic stretched with tatweel, read with French rules: the plain word.
        assert_eq!(analyzer.words("اللاعـــب ـــ اللاعب"), ["اللاعب", "اللاعب"]);
        let mut before = AnalyzerConfig::preset(Language::French);
        before.script_rules = false;
        assert_eq!(
            Analyzer::new(before).words(text),
            ["足球比赛今天举行", "球队赢了", "coworking", "tesla技术"]
        );
    }
}
