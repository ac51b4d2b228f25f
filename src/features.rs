//! Vocabulary and bag-of-words extraction.
//!
//! Training extracts in parallel chunks, each with a chunk-local term table, then merges the
//! chunks serially in input order and sorts the final vocabulary, so the vocabulary and every
//! vector are the same whatever the number of threads. Scoring maps each raw word straight to
//! a feature id through a per-thread cache: cost grows with tokens, never with the vocabulary.

use crate::error::{Error, Result};
use crate::table::Table;
use crate::text::{Analyzer, DROPPED, KnownWords, WordCache};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// A document as (feature id, count) pairs, sorted by feature id.
pub type SparseRow = Vec<(u32, f64)>;

/// Largest supported word n-gram order.
pub const MAX_NGRAMS: usize = 3;

/// How a term's count in a document becomes its weight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum TermFrequency {
    /// The count itself.
    #[default]
    Raw,
    /// 1 + ln(count): a word repeated ten times is not ten times the evidence.
    Log,
    /// 1 for any count: presence only, so a long quoted reply or a repeated signature does
    /// not outweigh the rest of the text (Rennie et al. 2003 and Schneider 2005 on email).
    Binary,
}

/// Scaling of each document's weight vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Norm {
    /// Keep the weights: long articles weigh more than short ones.
    None,
    /// Weights sum to 1.
    L1,
    /// Euclidean length 1.
    L2,
}

/// [`FeatureConfig::min_df_ngrams`] by default.
pub const DEFAULT_MIN_DF_NGRAMS: usize = 2;

/// How terms become features and features become weights.
///
/// Its serde form is the model file's encoding, in which the settings added after format 4
/// travel apart (`persist`): it is not a configuration format of its own, and a round trip
/// through it alone loses them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Word n-grams of order 1 to `ngrams` are features (1 = single words).
    pub ngrams: usize,
    /// Words seen in fewer training documents than this are dropped.
    pub min_df: usize,
    /// The same threshold for n-grams (`None`: `min_df`). A word seen once is often a name
    /// or a rare term that says a lot; a pair of words seen once is mostly chance, and there
    /// are many more of them (on 20newsgroups, 883 k pairs against 114 k words), so by
    /// default n-grams need two documents and words one. An n-gram needs its words kept
    /// anyway. Stored by `persist` apart from the rest of this struct.
    #[serde(skip)]
    pub min_df_ngrams: Option<usize>,
    /// How a word's count in a document becomes its weight.
    pub tf: TermFrequency,
    /// The same for n-grams. A phrase repeated in one document is mostly a quoted reply, a
    /// signature or a page's boilerplate, not more evidence: counted once, n-grams scored
    /// better in cross-validation on every training set tried (README, "Choosing the
    /// defaults"). Stored by `persist` apart from the rest of this struct; models written
    /// before it existed weigh n-grams as words (`tf`).
    #[serde(skip)]
    pub ngram_tf: TermFrequency,
    /// Multiply weights by the smoothed inverse document frequency, ln((1+n)/(1+df)) + 1.
    pub idf: bool,
    /// Scaling of each document's weights, after tf and idf (`--norm`).
    pub norm: Norm,
}

/// The defaults are the built-in model's settings, chosen by measurement (README, "Choosing
/// the defaults"): word bigrams, every word, bigrams in two documents or more, raw word
/// counts, n-grams counted once per document, unit length.
impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            ngrams: 2,
            min_df: 1,
            min_df_ngrams: Some(DEFAULT_MIN_DF_NGRAMS),
            tf: TermFrequency::Raw,
            ngram_tf: TermFrequency::Binary,
            idf: false,
            norm: Norm::L2,
        }
    }
}

/// Smoothed inverse document frequencies, as scikit-learn's `TfidfTransformer` computes them.
pub fn inverse_document_frequencies(document_frequency: &[u32], documents: usize) -> Vec<f64> {
    let n = documents as f64;
    document_frequency
        .iter()
        .map(|&df| ((1.0 + n) / (1.0 + f64::from(df))).ln() + 1.0)
        .collect()
}

/// An n-gram as the ids of its words, padded with [`NO_WORD`].
pub type NgramKey = [u32; MAX_NGRAMS];

/// Padding of [`NgramKey`]s shorter than [`MAX_NGRAMS`].
pub const NO_WORD: u32 = u32::MAX;

/// The features: sorted words (ids `0..words`), then sorted n-grams of those words. N-grams
/// are stored as word ids, never as strings: compact on disk and in memory, and looked up
/// during scoring without building a string.
///
/// Scoring looks up the n-gram ending at every token, and most word sequences of a text are
/// not features: a bit filter small enough to stay in the CPU cache answers most of those
/// without touching memory, and an open-addressing table of the keys, read at one place,
/// answers the rest (profiled: a binary search in sorted keys was a quarter of scoring time).
#[derive(Clone)]
pub struct Vocabulary {
    words: IndexedWords,
    ngrams: Table<NgramKey>,
    /// Linear-probing table of n-grams ([`NgramSlot`]), at most two thirds full.
    ngram_table: Table<NgramSlot>,
    /// One bit per n-gram hash value, about 8 bits per n-gram.
    ngram_filter: Table<u64>,
}

/// A slot of the n-gram table: the key's three word ids, then its feature id ([`NO_WORD`]
/// in an empty slot). Plain `u32`s, so that a model file can hold the table ready to use.
pub type NgramSlot = [u32; MAX_NGRAMS + 1];

/// The single words of a [`Vocabulary`], checked and indexed: the part that does not
/// depend on the n-grams, so that a model's loading can make it while it reads the rest.
///
/// Three plain tables, so that a model file holds them ready to use: loading a 20newsgroups
/// model once spent 12 of its 20 ms decoding its 376 k words into strings and indexing them.
#[derive(Clone)]
pub struct IndexedWords {
    /// The words one after the other, UTF-8.
    text: Table<u8>,
    /// Where each word ends in `text` (it starts where the one before ends).
    ends: Table<u32>,
    /// Linear-probing index of the words, a power of two long, at most two thirds full:
    /// per slot a word id ([`NO_WORD`] when empty) and the low half of its [`stored_hash`].
    index: Table<[u32; 2]>,
}

/// Two are equal when they hold the same words (however their tables are held).
impl PartialEq for IndexedWords {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for IndexedWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A 64-bit hash of a word's bytes that a stored index can rely on: written here, so that
/// no dependency's update can change it.
fn stored_hash(word: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash = (word.len() as u64).wrapping_mul(K);
    let mut chunks = word.chunks_exact(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        hash = (hash.rotate_left(23) ^ u64::from_le_bytes(bytes)).wrapping_mul(K);
    }
    let mut last = 0u64;
    for (i, &byte) in chunks.remainder().iter().enumerate() {
        last |= u64::from(byte) << (8 * i);
    }
    hash = (hash.rotate_left(23) ^ last).wrapping_mul(K);
    hash ^ (hash >> 29)
}

impl IndexedWords {
    /// Checks that the words are sorted, unique and without spaces, and indexes them.
    pub fn new<S: AsRef<str>>(words: &[S]) -> std::result::Result<Self, String> {
        let total: usize = words.iter().map(|w| w.as_ref().len()).sum();
        if words.len() >= NO_WORD as usize || total > u32::MAX as usize {
            return Err(format!("{} words is more than supported", words.len()));
        }
        let mut text = Vec::with_capacity(total);
        let mut ends = Vec::with_capacity(words.len());
        for word in words {
            text.extend_from_slice(word.as_ref().as_bytes());
            ends.push(text.len() as u32);
        }
        let slots = (words.len() + words.len() / 2).next_power_of_two().max(2);
        let mut index = vec![[NO_WORD, 0]; slots];
        // As for the n-gram table: the slots of the words a few places ahead are fetched
        // while this one is stored.
        const AHEAD: usize = 16;
        let slot_of = |word: &S| {
            let hash = stored_hash(word.as_ref().as_bytes());
            (hash, (hash >> 32) as usize & (slots - 1))
        };
        for (id, word) in (0u32..).zip(words) {
            if let Some(ahead) = words.get(id as usize + AHEAD) {
                crate::prefetch(&index[slot_of(ahead).1]);
            }
            let (hash, mut slot) = slot_of(word);
            while index[slot][0] != NO_WORD {
                slot = (slot + 1) & (slots - 1);
            }
            index[slot] = [id, hash as u32];
        }
        let indexed = IndexedWords {
            text: text.into(),
            ends: ends.into(),
            index: index.into(),
        };
        indexed.check_words()?;
        Ok(indexed)
    }

    /// Words and index made by [`IndexedWords::new`] and stored (a model file's, read in
    /// place): checked, not built again. The checks are those every lookup relies on to stay
    /// in bounds and to end, and the words' own: UTF-8, sorted, unique, without spaces.
    pub fn from_tables(
        text: Table<u8>,
        ends: Table<u32>,
        index: Table<[u32; 2]>,
    ) -> std::result::Result<Self, String> {
        let slots = index.len();
        if !slots.is_power_of_two() || slots < 2 || ends.len() >= NO_WORD as usize {
            return Err("word index of a size it is never made".into());
        }
        check_probing_table(
            "word index",
            index.iter().map(|&[id, _]| id),
            0..ends.len() as u64,
        )?;
        if std::str::from_utf8(&text).is_err() {
            return Err("words: not UTF-8".into());
        }
        let indexed = IndexedWords { text, ends, index };
        indexed.check_words()?;
        Ok(indexed)
    }

    /// Ends in order, within the text, at character boundaries; words sorted, unique, not
    /// empty and without spaces.
    fn check_words(&self) -> std::result::Result<(), String> {
        let text = &self.text[..];
        let mut start = 0;
        let mut previous: &[u8] = &[];
        for (id, &end) in self.ends.iter().enumerate() {
            let word = text
                .get(start..end as usize)
                .ok_or("words: ends out of order")?;
            let boundary = |at: usize| text.get(at).is_none_or(|&b| (b as i8) >= -0x40);
            if !boundary(start) || !boundary(end as usize) {
                return Err("words: an end inside a character".into());
            }
            if word.is_empty() || word.contains(&b' ') {
                return Err(format!("invalid word {:?}", String::from_utf8_lossy(word)));
            }
            if id > 0 && previous >= word {
                return Err(format!(
                    "words not sorted and unique near {:?} / {:?}",
                    String::from_utf8_lossy(previous),
                    String::from_utf8_lossy(word)
                ));
            }
            previous = word;
            start = end as usize;
        }
        if start != text.len() {
            return Err("words: text left after the last word".into());
        }
        Ok(())
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there is no word.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn bytes(&self, id: usize) -> &[u8] {
        let start = match id.checked_sub(1) {
            Some(before) => self.ends.get(before).map_or(0, |&end| end as usize),
            None => 0,
        };
        let end = self.ends.get(id).map_or(0, |&end| end as usize);
        self.text.get(start..end).unwrap_or_default()
    }

    /// Word `id`; empty out of range.
    pub fn word(&self, id: usize) -> &str {
        std::str::from_utf8(self.bytes(id)).unwrap_or_default()
    }

    /// The words in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> {
        (0..self.len()).map(|id| self.word(id))
    }

    /// The id of `word` (its position in sorted order), if it is one of them.
    pub fn id(&self, word: &str) -> Option<u32> {
        let hash = stored_hash(word.as_bytes());
        let mask = self.index.len() - 1;
        let mut slot = (hash >> 32) as usize & mask;
        loop {
            let [id, tag] = self.index[slot];
            if id == NO_WORD {
                return None;
            }
            if tag == hash as u32 && self.bytes(id as usize) == word.as_bytes() {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The tables, as [`IndexedWords::from_tables`] takes them back.
    pub fn tables(&self) -> (&[u8], &[u32], &[[u32; 2]]) {
        (&self.text, &self.ends, &self.index)
    }
}

/// The key of the n-gram of the 2 or 3 word ids in `window`; `None` when one of them is
/// [`NO_WORD`] (a word outside the vocabulary breaks n-grams).
///
/// Built element by element: `copy_from_slice` of a run-time length compiled to a call to
/// `memcpy` for every n-gram (seen in the profiles of scoring and training).
#[inline]
fn ngram_key(window: &[u32]) -> Option<NgramKey> {
    if window.contains(&NO_WORD) {
        return None;
    }
    match *window {
        [a, b] => Some([a, b, NO_WORD]),
        [a, b, c] => Some([a, b, c]),
        _ => None,
    }
}

fn slot_of(key: &NgramKey, id: u32) -> NgramSlot {
    let mut slot = [id; MAX_NGRAMS + 1];
    slot[..MAX_NGRAMS].copy_from_slice(key);
    slot
}

/// The invariants of a vocabulary's n-grams: sorted, unique, each of 2 to [`MAX_NGRAMS`]
/// ids of the `n_words` words, padded with [`NO_WORD`].
fn check_ngrams(ngrams: &[NgramKey], n_words: usize) -> std::result::Result<(), String> {
    if n_words + ngrams.len() >= u32::MAX as usize {
        return Err(format!(
            "{} features is more than supported",
            n_words + ngrams.len()
        ));
    }
    if ngrams.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err("n-grams not sorted and unique".into());
    }
    let n_words = n_words as u32;
    for key in ngrams {
        let order = key.iter().take_while(|&&w| w != NO_WORD).count();
        if order < 2
            || key[order..].iter().any(|&w| w != NO_WORD)
            || key[..order].iter().any(|&w| w >= n_words)
        {
            return Err(format!("invalid n-gram {key:?}"));
        }
    }
    Ok(())
}

/// What a stored linear-probing table needs for its lookups to stay in bounds and to end,
/// given the id of each slot ([`NO_WORD`] when empty): every id within `ids`, one slot per
/// id, and a slot left empty.
fn check_probing_table(
    what: &str,
    slots: impl ExactSizeIterator<Item = u32>,
    ids: std::ops::Range<u64>,
) -> std::result::Result<(), String> {
    let n_slots = slots.len();
    let mut filled = 0;
    for id in slots.filter(|&id| id != NO_WORD) {
        if !ids.contains(&u64::from(id)) {
            return Err(format!("{what}: id {id} out of range"));
        }
        filled += 1;
    }
    let expected = ids.end - ids.start;
    if filled != expected || filled == n_slots as u64 {
        return Err(format!(
            "{what}: {filled} of {n_slots} slots filled for {expected} entries"
        ));
    }
    Ok(())
}

/// A well-mixed 64-bit hash of an n-gram key: its top bits pick the table slot, its low bits
/// the filter bit.
fn ngram_hash(key: &NgramKey) -> u64 {
    let pair = u64::from(key[0]) | (u64::from(key[1]) << 32);
    let mixed = (pair ^ u64::from(key[2]).wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    mixed ^ (mixed >> 31)
}

impl std::fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocabulary")
            .field("words", &self.words().len())
            .field("ngrams", &self.ngrams.len())
            .finish()
    }
}

/// The lookup table and bit filter of `ngrams`, whose ids follow `n_words` words' ids, once
/// the n-grams are checked.
fn ngram_tables(
    ngrams: &[NgramKey],
    n_words: usize,
) -> std::result::Result<(Vec<NgramSlot>, Vec<u64>), String> {
    check_ngrams(ngrams, n_words)?;
    let slots = (ngrams.len() + ngrams.len() / 2).next_power_of_two().max(2);
    // Ordinary pages: measured, huge ones saved nothing here once the inserts below were
    // prefetched, and a kernel compacting memory to find them stalled one load in three.
    let mut ngram_table: Vec<NgramSlot> = vec![[NO_WORD; MAX_NGRAMS + 1]; slots];
    let filter_bits = (ngrams.len() * 8).next_power_of_two().max(64);
    let mut ngram_filter = crate::huge_page_vec(filter_bits / 64, 0u64);
    // The slots of the n-grams a few places ahead are fetched while this one is stored:
    // one cache miss per n-gram otherwise, most of the loading time (measured).
    const AHEAD: usize = 16;
    for (i, key) in ngrams.iter().enumerate() {
        if let Some(ahead) = ngrams.get(i + AHEAD) {
            let hash = ngram_hash(ahead);
            crate::prefetch(&ngram_table[(hash >> 32) as usize & (slots - 1)]);
            crate::prefetch(&ngram_filter[(hash as usize & (filter_bits - 1)) / 64]);
        }
        let hash = ngram_hash(key);
        let bit = hash as usize & (filter_bits - 1);
        ngram_filter[bit / 64] |= 1 << (bit % 64);
        let mut slot = (hash >> 32) as usize & (slots - 1);
        while ngram_table[slot][MAX_NGRAMS] != NO_WORD {
            slot = (slot + 1) & (slots - 1);
        }
        ngram_table[slot] = slot_of(key, (n_words + i) as u32);
    }
    Ok((ngram_table, ngram_filter))
}

fn hash_word(word: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(word)
}

impl Vocabulary {
    /// Builds the lookup tables, checking the invariants scoring relies on: words sorted,
    /// unique and without spaces; n-grams sorted, unique, of 2 to [`MAX_NGRAMS`] known words.
    pub fn new<S: AsRef<str> + Sync>(
        words: &[S],
        ngrams: Vec<NgramKey>,
    ) -> std::result::Result<Self, String> {
        // The word index and the n-gram tables are built at once, on two threads: on
        // 20newsgroups each took a core for several milliseconds at the end of training's
        // extraction, the other one idle.
        let n_words = words.len();
        let (words, tables) = rayon::join(
            || IndexedWords::new(words),
            || ngram_tables(&ngrams, n_words),
        );
        let words = words?;
        let (ngram_table, ngram_filter) = tables?;
        Ok(Vocabulary {
            words,
            ngrams: ngrams.into(),
            ngram_table: ngram_table.into(),
            ngram_filter: ngram_filter.into(),
        })
    }

    /// A vocabulary from lookup tables made by [`Vocabulary::new`] and stored (a model
    /// file's, read in place): checked, not built again. The checks are those every lookup
    /// relies on to stay in bounds and to end: the n-grams valid as in `new`, the table a
    /// power of two long with an empty slot, one slot per n-gram and its feature ids in
    /// range, the filter a power of two long. `words` makes (and checks) the `n_words` words
    /// while the n-gram tables are checked: both are a large part of loading a model.
    pub fn from_tables(
        n_words: usize,
        words: impl FnOnce() -> std::result::Result<IndexedWords, String> + Send,
        ngrams: Table<NgramKey>,
        ngram_table: Table<NgramSlot>,
        ngram_filter: Table<u64>,
    ) -> std::result::Result<Self, String> {
        let check_tables = || {
            check_ngrams(&ngrams, n_words)?;
            let slots = ngram_table.len();
            if !slots.is_power_of_two() || slots < 2 || !ngram_filter.len().is_power_of_two() {
                return Err("n-gram tables of a size they are never made".into());
            }
            check_probing_table(
                "n-gram table",
                ngram_table.iter().map(|slot| slot[MAX_NGRAMS]),
                n_words as u64..(n_words + ngrams.len()) as u64,
            )
        };
        let (words, checked) = rayon::join(words, check_tables);
        let words = words?;
        checked?;
        if words.len() != n_words {
            return Err(format!(
                "{} words where {n_words} were announced",
                words.len()
            ));
        }
        Ok(Vocabulary {
            words,
            ngrams,
            ngram_table,
            ngram_filter,
        })
    }

    /// The n-gram table and filter, as [`Vocabulary::from_tables`] takes them back.
    pub fn ngram_tables(&self) -> (&[NgramSlot], &[u64]) {
        (&self.ngram_table, &self.ngram_filter)
    }

    /// The single-word features, sorted; their ids are their positions.
    pub fn words(&self) -> &IndexedWords {
        &self.words
    }

    /// The n-gram features as word ids, sorted; their ids follow the words'.
    pub fn ngrams(&self) -> &[NgramKey] {
        &self.ngrams
    }

    /// Number of features, words and n-grams: feature ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.words.len() + self.ngrams.len()
    }

    /// True when there is no feature.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The feature id of a single word, which is its word id, if the word is a feature.
    pub fn word_id(&self, word: &str) -> Option<u32> {
        self.words.id(word)
    }

    /// The feature id of the n-gram `key`, if it is a feature.
    pub fn ngram_id(&self, key: &NgramKey) -> Option<u32> {
        let hash = ngram_hash(key);
        if !self.may_hold(hash) {
            return None;
        }
        self.probe(key, hash)
    }

    fn filter_word(&self, hash: u64) -> (&u64, u64) {
        let bit = hash as usize & (self.ngram_filter.len() * 64 - 1);
        (&self.ngram_filter[bit / 64], 1 << (bit % 64))
    }

    fn may_hold(&self, hash: u64) -> bool {
        let (word, bit) = self.filter_word(hash);
        word & bit != 0
    }

    fn table_slot(&self, hash: u64) -> usize {
        (hash >> 32) as usize & (self.ngram_table.len() - 1)
    }

    fn probe(&self, key: &NgramKey, hash: u64) -> Option<u32> {
        let mask = self.ngram_table.len() - 1;
        let mut slot = self.table_slot(hash);
        loop {
            let stored = &self.ngram_table[slot];
            let id = stored[MAX_NGRAMS];
            if id == NO_WORD {
                return None;
            }
            if stored[..MAX_NGRAMS] == key[..] {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Appends to `out` the feature ids of the n-grams of `order` words in `words`, a text's
    /// words in order ([`NO_WORD`], a word outside the vocabulary, breaks n-grams). In
    /// passes, so that the memory reads of different n-grams overlap: hash and prefetch the
    /// filter bits, test them and prefetch the table slots, then probe.
    pub fn ngram_ids(
        &self,
        words: &[u32],
        order: usize,
        candidates: &mut Vec<(NgramKey, u64)>,
        out: &mut Vec<u32>,
    ) {
        candidates.clear();
        candidates.reserve(words.len());
        for window in words.windows(order) {
            if let Some(key) = ngram_key(window) {
                let hash = ngram_hash(&key);
                crate::prefetch(self.filter_word(hash).0);
                candidates.push((key, hash));
            }
        }
        // Compacted in place, by hand: `retain` and `extend` with a filter were a tenth of
        // scoring's n-gram work.
        let mut kept = 0;
        for i in 0..candidates.len() {
            let hash = candidates[i].1;
            if self.may_hold(hash) {
                crate::prefetch(&self.ngram_table[self.table_slot(hash)]);
                candidates[kept] = candidates[i];
                kept += 1;
            }
        }
        candidates.truncate(kept);
        out.reserve(kept);
        for (key, hash) in candidates.iter() {
            if let Some(id) = self.probe(key, *hash) {
                out.push(id);
            }
        }
    }

    /// The raw counts of a text's features, into `row` (cleared first), by feature id: its
    /// words, given as word ids ([`NO_WORD`] for a word outside the vocabulary, which breaks
    /// n-grams), and its n-grams of order 2 to `ngrams`. Training and scoring both count
    /// with this, so a text gets the same vector in both.
    pub fn count_into(
        &self,
        words: &[u32],
        ngrams: usize,
        scratch: &mut CountScratch,
        row: &mut SparseRow,
    ) {
        let CountScratch { candidates, ids } = scratch;
        ids.clear();
        ids.reserve(words.len());
        for &word in words {
            if word != NO_WORD {
                ids.push(word);
            }
        }
        for order in 2..=ngrams {
            self.ngram_ids(words, order, candidates, ids);
        }
        ids.sort_unstable();
        row.clear();
        row.extend(
            ids.chunk_by(|a, b| a == b)
                .map(|run| (run[0], run.len() as f64)),
        );
    }

    /// The feature id of a term (`"client"`, or an n-gram `"servic client"`).
    pub fn get(&self, term: &str) -> Option<u32> {
        if !term.contains(' ') {
            return self.word_id(term);
        }
        let mut key = [NO_WORD; MAX_NGRAMS];
        for (i, word) in term.split(' ').enumerate() {
            *key.get_mut(i)? = self.word_id(word)?;
        }
        self.ngram_id(&key)
    }

    /// The text of a feature: a word, or an n-gram's words joined by spaces.
    pub fn term(&self, id: u32) -> Option<String> {
        let id = id as usize;
        let words = self.words();
        if id < words.len() {
            return Some(words.word(id).to_string());
        }
        let key = self.ngrams.get(id - words.len())?;
        let words: Vec<&str> = key
            .iter()
            .take_while(|&&w| w != NO_WORD)
            .map(|&w| words.word(w as usize))
            .collect();
        Some(words.join(" "))
    }
}

/// Analyzer + feature settings + vocabulary (+ idf): turns a text into a weighted
/// [`SparseRow`], the same way for training rows and for new texts.
pub struct Vectorizer {
    analyzer: Analyzer,
    config: FeatureConfig,
    vocabulary: Vocabulary,
    /// One weight per feature when `config.idf`, else empty.
    idf: Vec<f64>,
    /// The training's raw words, resolved: consulted before the analyzer chain.
    known: KnownWords,
}

/// Scratch space for [`Vocabulary::count_into`], kept to reuse its allocations.
#[derive(Default)]
pub struct CountScratch {
    candidates: Vec<(NgramKey, u64)>,
    ids: Vec<u32>,
}

/// Per-thread scratch space for [`Vectorizer::transform`].
#[derive(Default)]
pub struct TransformScratch {
    cache: WordCache<u32>,
    /// The text's words as word ids, [`NO_WORD`] for those outside the vocabulary.
    words: Vec<u32>,
    counting: CountScratch,
}

impl Vectorizer {
    /// `idf` must hold one weight per feature when `config.idf` is set, and be empty otherwise.
    pub fn new(
        analyzer: Analyzer,
        config: FeatureConfig,
        vocabulary: Vocabulary,
        idf: Vec<f64>,
    ) -> std::result::Result<Self, String> {
        let expected = if config.idf { vocabulary.len() } else { 0 };
        if idf.len() != expected {
            return Err(format!("{} idf weights for {expected} expected", idf.len()));
        }
        if idf.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
            return Err("idf weights out of range".into());
        }
        Ok(Vectorizer {
            analyzer,
            config,
            vocabulary,
            idf,
            known: KnownWords::empty(),
        })
    }

    /// The vectorizer with `known` consulted before the analyzer chain: it must hold what
    /// this analyzer and vocabulary make of each word ([`Extraction::known_words`]).
    pub fn with_known_words(mut self, known: KnownWords) -> Self {
        self.known = known;
        self
    }

    /// The training's raw words, with what this vectorizer makes of each: consulted before the
    /// analyzer chain. Empty unless given by [`Vectorizer::with_known_words`].
    pub fn known_words(&self) -> &KnownWords {
        &self.known
    }

    /// One idf weight per feature, by feature id, when [`FeatureConfig::idf`] is set; empty
    /// otherwise.
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// Turns raw counts into weights: term-frequency transform, idf, normalisation.
    pub fn weigh(&self, row: &mut SparseRow) {
        let (word_tf, ngram_tf) = (self.config.tf, self.config.ngram_tf);
        if (word_tf, ngram_tf) != (TermFrequency::Raw, TermFrequency::Raw) {
            // Word ids come before n-gram ids.
            let words = self.vocabulary.words().len() as u32;
            for (feature, value) in row.iter_mut() {
                let tf = if *feature < words { word_tf } else { ngram_tf };
                match tf {
                    TermFrequency::Raw => {}
                    TermFrequency::Log => *value = 1.0 + value.ln(),
                    TermFrequency::Binary => *value = 1.0,
                }
            }
        }
        if self.config.idf {
            for (feature, value) in row.iter_mut() {
                *value *= self.idf[*feature as usize];
            }
        }
        let norm = match self.config.norm {
            Norm::None => return,
            Norm::L1 => row.iter().map(|(_, v)| v.abs()).sum::<f64>(),
            Norm::L2 => row.iter().map(|(_, v)| v * v).sum::<f64>().sqrt(),
        };
        if norm > 0.0 {
            for (_, value) in row.iter_mut() {
                *value /= norm;
            }
        }
    }

    /// The analyzer chain a text goes through before its words are looked up.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The feature settings this vectorizer counts and weighs by (n-gram order, tf, idf, norm).
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// The features: words, then n-grams.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// The weighted features of `text` (see [`Vectorizer::weigh`]).
    pub fn transform(&self, text: &str, scratch: &mut TransformScratch) -> SparseRow {
        let mut row = SparseRow::new();
        self.transform_into(text, scratch, &mut row);
        row
    }

    /// [`Vectorizer::transform`] into `row`, reusing its allocation (scoring, row after row).
    pub fn transform_into(&self, text: &str, scratch: &mut TransformScratch, row: &mut SparseRow) {
        self.counts_into(text, scratch, row);
        self.weigh(row);
    }

    /// The counts of `text`'s known features. Words outside the vocabulary still break
    /// n-grams, exactly as they did when the vocabulary was built.
    pub fn counts(&self, text: &str, scratch: &mut TransformScratch) -> SparseRow {
        let mut row = SparseRow::new();
        self.counts_into(text, scratch, &mut row);
        row
    }

    /// The word ids of `text`, [`NO_WORD`] for a word outside the vocabulary: what counting
    /// starts from.
    #[cfg(test)]
    pub(crate) fn word_ids(&self, text: &str) -> Vec<u32> {
        let mut scratch = TransformScratch::default();
        let mut words = Vec::new();
        self.analyzer.resolve_words(
            text,
            &mut scratch.cache,
            &self.known,
            |term| self.vocabulary.word_id(term).unwrap_or(NO_WORD),
            &mut words,
        );
        words
    }

    fn counts_into(&self, text: &str, scratch: &mut TransformScratch, row: &mut SparseRow) {
        let TransformScratch {
            cache,
            words,
            counting,
        } = scratch;
        let vocabulary = &self.vocabulary;
        words.clear();
        self.analyzer.resolve_words(
            text,
            cache,
            &self.known,
            |term| vocabulary.word_id(term).unwrap_or(NO_WORD),
            words,
        );
        vocabulary.count_into(words, self.config.ngrams, counting, row);
    }
}

/// Fewest documents per parallel work unit (see [`chunk_len`]).
pub const MIN_CHUNK_DOCS: usize = 256;

/// A document's words in order, as word ids.
type WordSequence = Vec<u32>;

/// A raw word packed as the word cache packs it, with its worker-local term id (`None`:
/// dropped by the analyzer).
type RecordedWord = (u128, Option<u32>);

/// A worker's word table, lent to each chunk it analyses, so that a word is normalised (and
/// stemmed) once per worker rather than once per chunk: profiled, normalising the distinct
/// words of every chunk anew was a third of the training time.
///
/// The words are kept end to end in one string, and the index holds only their ids: no
/// allocation per word, where a boxed word and a boxed key cost two (measured: freeing them
/// was 17–20 ms of a 20newsgroups training).
struct WordTable {
    text: String,
    /// Where each word ends in `text`; it starts where the previous one ends.
    ends: Vec<usize>,
    index: hashbrown::HashTable<u32>,
    /// Records every raw word it resolves, for [`Extraction::known_words`].
    cache: WordCache<u32>,
}

impl WordTable {
    fn new() -> Self {
        WordTable {
            text: String::new(),
            ends: Vec::new(),
            index: hashbrown::HashTable::new(),
            cache: WordCache::recording(),
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn word(&self, id: u32) -> &str {
        word_in(&self.text, &self.ends, id)
    }

    fn words(&self) -> impl Iterator<Item = &str> {
        (0..self.len() as u32).map(|id| self.word(id))
    }

    fn find(&self, word: &str) -> Option<u32> {
        find_in(&self.text, &self.ends, &self.index, hash_word(word), word)
    }
}

/// The id of `word` (whose hash is `hash`) in the table made of `text`, `ends` and `index`.
fn find_in(
    text: &str,
    ends: &[usize],
    index: &hashbrown::HashTable<u32>,
    hash: u64,
    word: &str,
) -> Option<u32> {
    index
        .find(hash, |&id| word_in(text, ends, id) == word)
        .copied()
}

fn word_in<'a>(text: &'a str, ends: &[usize], id: u32) -> &'a str {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] };
    &text[start..ends[id]]
}

/// The id of `term` in the table made of `text`, `ends` and `index`, added if new.
fn intern(
    text: &mut String,
    ends: &mut Vec<usize>,
    index: &mut hashbrown::HashTable<u32>,
    term: &str,
) -> u32 {
    let hash = hash_word(term);
    if let Some(id) = find_in(text, ends, index, hash, term) {
        return id;
    }
    text.push_str(term);
    ends.push(text.len());
    let id = (ends.len() - 1) as u32;
    index.insert_unique(hash, id, |&id| hash_word(word_in(text, ends, id)));
    id
}

fn analyze_chunk<T: AsRef<str>>(
    analyzer: &Analyzer,
    texts: &[T],
    table: &mut WordTable,
) -> Vec<WordSequence> {
    let WordTable {
        text,
        ends,
        index,
        cache,
    } = table;
    let mut sequence = Vec::new();
    texts
        .iter()
        .map(|article| {
            sequence.clear();
            analyzer.resolve_words(
                article.as_ref(),
                cache,
                &KnownWords::empty(),
                |term| intern(text, ends, index, term),
                &mut sequence,
            );
            // Kept until the end of extraction: one allocation of the exact size, rather
            // than the growing vector's.
            sequence.to_vec()
        })
        .collect()
}

/// An n-gram of word ids below [`PackedGram::MAX_WORDS`] as one `u64`: 21 bits per word,
/// the first word highest, [`NO_WORD`] as the largest field value, so that numbers sort as
/// the keys do.
struct PackedGram;

impl PackedGram {
    const BITS: u32 = 64 / MAX_NGRAMS as u32;
    const FIELD: u64 = (1 << Self::BITS) - 1;
    const MAX_WORDS: usize = Self::FIELD as usize;

    fn pack(key: NgramKey) -> u64 {
        key.iter().fold(0, |packed, &w| {
            let field = if w == NO_WORD {
                Self::FIELD
            } else {
                u64::from(w)
            };
            (packed << Self::BITS) | field
        })
    }

    fn unpack(packed: u64) -> NgramKey {
        let mut key = [NO_WORD; MAX_NGRAMS];
        for (i, w) in key.iter_mut().enumerate() {
            let shift = Self::BITS * (MAX_NGRAMS - 1 - i) as u32;
            let field = (packed >> shift) & Self::FIELD;
            if field != Self::FIELD {
                *w = field as u32;
            }
        }
        key
    }
}

/// The n-grams (of 2 to `ngrams` words, none outside the vocabulary) found in at least
/// `min_df` documents, sorted, with their document frequencies. Keys are sorted as `K`
/// (`pack` must keep their order).
fn frequent_grams<K: Ord + Copy + Send + Sync>(
    docs: &[WordSequence],
    ngrams: usize,
    min_df: u32,
    pack: impl Fn(NgramKey) -> K + Sync,
    unpack: impl Fn(K) -> NgramKey,
) -> (Vec<NgramKey>, Vec<u32>) {
    let mut distinct: Vec<K> = docs
        .par_iter()
        .flat_map_iter(|doc| {
            let mut grams = Vec::with_capacity(doc.len() * (ngrams - 1));
            for order in 2..=ngrams {
                for window in doc.windows(order) {
                    if let Some(key) = ngram_key(window) {
                        grams.push(pack(key));
                    }
                }
            }
            grams.sort_unstable();
            grams.dedup();
            grams
        })
        .collect();
    distinct.par_sort_unstable();
    let mut kept = Vec::new();
    let mut df = Vec::new();
    for run in distinct.chunk_by(|a, b| a == b) {
        if run.len() as u32 >= min_df {
            kept.push(unpack(run[0]));
            df.push(run.len() as u32);
        }
    }
    (kept, df)
}

/// What [`fit_transform`] learns from the training texts.
pub struct Extraction {
    /// The features kept: words and n-grams that reached their min-df, sorted.
    pub vocabulary: Vocabulary,
    /// Each text's words as word ids ([`NO_WORD`] for a pruned word), in input order: its
    /// raw counts are [`Vocabulary::count_into`] of them, made when needed rather than kept
    /// (the estimator adds them up label by label).
    pub docs: Vec<Vec<u32>>,
    /// Number of texts each feature occurs in.
    pub document_frequency: Vec<u32>,
    /// Every short raw word of the texts with its word id, [`NO_WORD`] or [`DROPPED`]: for
    /// [`Vectorizer::with_known_words`].
    pub known_words: KnownWords,
}

/// Builds the vocabulary of `texts` and their words as word ids, on the current rayon pool.
///
/// 1. Chunks of texts are analysed in parallel, each into its own word table.
/// 2. The word tables are merged serially in input order (they are small: distinct words),
///    words are counted per document, pruned and sorted: final word ids.
/// 3. N-grams are built from final word ids; their document frequencies come from one
///    parallel sort of every document's distinct n-grams.
///
/// Every step's result is sorted or in input order, so the vocabulary and the word ids are
/// the same whatever the number of threads. No step hashes n-grams into a growing table, which
/// profiling showed to be most of the cost (and the serial merge of such tables).
pub fn fit_transform(
    analyzer: &Analyzer,
    config: &FeatureConfig,
    texts: &[&str],
) -> Result<Extraction> {
    fit_transform_chunks(
        analyzer,
        config,
        texts
            .chunks(chunk_len(texts.len()))
            .map(|chunk| Ok(chunk.to_vec())),
    )
}

/// Documents per chunk when `documents` texts in memory are cut into chunks for
/// [`fit_transform_chunks`]: a quarter of each thread's share, for load balance, and at
/// least [`MIN_CHUNK_DOCS`].
pub fn chunk_len(documents: usize) -> usize {
    documents
        .div_ceil(4 * rayon::current_num_threads())
        .max(MIN_CHUNK_DOCS)
}

/// [`fit_transform`] of texts that come in chunks, in input order (rows of a CSV file being
/// read, say). `chunks` is read on the calling thread while the chunks already read are
/// analysed on the rayon pool, and each chunk's texts are freed once analysed: reading the
/// input overlaps the analysis instead of coming before it. How the texts are cut into
/// chunks changes nothing in the result. The first error of `chunks` stops the reading and
/// is returned.
pub fn fit_transform_chunks<T: AsRef<str> + Send>(
    analyzer: &Analyzer,
    config: &FeatureConfig,
    chunks: impl Iterator<Item = Result<Vec<T>>>,
) -> Result<Extraction> {
    if !(1..=MAX_NGRAMS).contains(&config.ngrams) {
        return Err(Error::Params(format!(
            "ngrams (--ngrams) must be between 1 and {MAX_NGRAMS}, not {}",
            config.ngrams
        )));
    }
    // Which table a chunk used depends on scheduling, so ids are only local until the merge
    // below; every later step sorts, so nothing depends on it.
    let tables: std::sync::Mutex<Vec<(usize, WordTable)>> = std::sync::Mutex::new(Vec::new());
    let next_table = std::sync::atomic::AtomicUsize::new(0);
    // (chunk number, table id, the chunk's documents), in the order the chunks were done.
    let analysed: std::sync::Mutex<Vec<(usize, usize, Vec<WordSequence>)>> =
        std::sync::Mutex::new(Vec::new());
    let analyse = |number: usize, chunk: Vec<T>| {
        let lent = tables.lock().map(|mut pool| pool.pop()).unwrap_or(None);
        let (id, mut table) = lent.unwrap_or_else(|| {
            let id = next_table.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            (id, WordTable::new())
        });
        let docs = analyze_chunk(analyzer, &chunk, &mut table);
        drop(chunk);
        if let Ok(mut pool) = tables.lock() {
            pool.push((id, table));
        }
        if let Ok(mut done) = analysed.lock() {
            done.push((number, id, docs));
        }
    };
    // One thread means one core: the chunks are then analysed as they are read, in turn.
    let inline = rayon::current_num_threads() == 1;
    let mut sent = 0;
    rayon::in_place_scope(|scope| -> Result<()> {
        let analyse = &analyse;
        for (number, chunk) in chunks.enumerate() {
            let chunk = chunk?;
            sent += 1;
            if inline {
                analyse(number, chunk);
            } else {
                scope.spawn(move |_| analyse(number, chunk));
            }
        }
        Ok(())
    })?;
    let worker_failed = || Error::Internal("a worker thread failed".into());
    let mut analysed = analysed.into_inner().map_err(|_| worker_failed())?;
    if analysed.len() != sent {
        return Err(worker_failed());
    }
    analysed.sort_unstable_by_key(|&(number, ..)| number);
    let mut chunk_docs: Vec<(usize, Vec<WordSequence>)> = analysed
        .into_iter()
        .map(|(_, table, docs)| (table, docs))
        .collect();
    let mut tables = tables.into_inner().map_err(|_| worker_failed())?;
    tables.sort_by_key(|&(id, _)| id);
    let recorded: Vec<(usize, Vec<RecordedWord>)> = tables
        .iter_mut()
        .map(|(id, table)| (*id, table.cache.take_recorded()))
        .collect();

    // Words: one id per distinct word. The first table's ids are kept, and its index serves
    // the other tables' lookups (in parallel); only the words it lacks get a new id, one
    // after the other. (Measured on 20newsgroups: 7–12 ms, against 14–19 ms to insert every
    // table's words into a new map, serially.)
    let mut word_maps: Vec<Vec<u32>> = vec![Vec::new(); next_table.into_inner()];
    let mut words: Vec<&str> = Vec::new();
    if let Some(((first_id, first), others)) = tables.split_first() {
        words.extend(first.words());
        word_maps[*first_id] = (0..first.len() as u32).collect();
        let mut added: FxHashMap<&str, u32> = FxHashMap::default();
        for (id, table) in others {
            let found: Vec<Option<u32>> = (0..table.len() as u32)
                .into_par_iter()
                .map(|word| first.find(table.word(word)))
                .collect();
            word_maps[*id] = table
                .words()
                .zip(found)
                .map(|(word, found)| {
                    found.unwrap_or_else(|| {
                        *added.entry(word).or_insert_with(|| {
                            words.push(word);
                            (words.len() - 1) as u32
                        })
                    })
                })
                .collect();
        }
    }
    // Global ids in place, and each chunk's document frequencies. (Sorting each document's
    // ids to find its distinct words costs less than marking them in an array of every
    // word: measured on 20newsgroups, 30-35 ms of CPU against 106-115, the array's reads
    // missing the inner caches.)
    let chunk_df: Vec<Vec<u32>> = chunk_docs
        .par_iter_mut()
        .map(|(table, docs)| {
            let map = &word_maps[*table];
            let mut df = vec![0u32; words.len()];
            let mut distinct = Vec::new();
            for doc in docs.iter_mut() {
                for id in doc.iter_mut() {
                    *id = map[*id as usize];
                }
                distinct.clear();
                distinct.extend_from_slice(doc);
                distinct.sort_unstable();
                distinct.dedup();
                for &id in &distinct {
                    df[id as usize] += 1;
                }
            }
            df
        })
        .collect();
    let mut word_df = vec![0u32; words.len()];
    for df in &chunk_df {
        for (total, n) in word_df.iter_mut().zip(df) {
            *total += n;
        }
    }
    drop(chunk_df);

    // Prune rare words and sort the rest by text: their final ids.
    let min_df = config.min_df.max(1) as u32;
    let mut kept_words: Vec<u32> = (0..words.len() as u32)
        .filter(|&w| word_df[w as usize] >= min_df)
        .collect();
    kept_words.par_sort_unstable_by(|&a, &b| words[a as usize].cmp(words[b as usize]));
    let mut word_final = vec![NO_WORD; words.len()];
    for (new, &old) in kept_words.iter().enumerate() {
        word_final[old as usize] = new as u32;
    }
    let mut docs: Vec<WordSequence> = chunk_docs.into_iter().flat_map(|(_, docs)| docs).collect();
    // The known-word table (11-18 ms, mostly serial, on 20newsgroups) is built while the
    // n-grams are counted, which leave a core idle part of the time: training 8-19 ms faster
    // (benches/compare.py, 20 and 24 paired runs).
    let min_df_ngrams = config.min_df_ngrams.map_or(min_df, |m| m.max(1) as u32);
    let (known_words, (kept_grams, gram_df)) = rayon::join(
        || {
            // Every raw word met, with its final value; a word met by several workers, or
            // twice by one, has the same value each time.
            let mut known = Vec::with_capacity(recorded.iter().map(|(_, words)| words.len()).sum());
            for (table, words) in recorded {
                let map = &word_maps[table];
                known.extend(words.into_iter().map(|(key, local)| {
                    let value = local.map_or(DROPPED, |l| word_final[map[l as usize] as usize]);
                    (key, value)
                }));
            }
            KnownWords::build(known)
        },
        || {
            docs.par_iter_mut().for_each(|doc| {
                for id in doc.iter_mut() {
                    *id = word_final[*id as usize];
                }
            });
            // N-grams of kept words: each document's distinct ones, all sorted together,
            // give their document frequencies. (Not kept per document: built again later, it
            // costs less than the memory.) Sorted as single numbers when the word ids fit
            // (profiled: sorting three-word arrays was a fifth of training).
            if kept_words.len() < PackedGram::MAX_WORDS {
                frequent_grams(
                    &docs,
                    config.ngrams,
                    min_df_ngrams,
                    PackedGram::pack,
                    PackedGram::unpack,
                )
            } else {
                frequent_grams(&docs, config.ngrams, min_df_ngrams, |k| k, |k| k)
            }
        },
    );

    let mut document_frequency: Vec<u32> =
        kept_words.iter().map(|&w| word_df[w as usize]).collect();
    document_frequency.extend(gram_df);
    let kept: Vec<&str> = kept_words.iter().map(|&w| words[w as usize]).collect();
    let vocabulary = Vocabulary::new(&kept, kept_grams)
        .map_err(|e| Error::Internal(format!("vocabulary: {e}")))?;

    Ok(Extraction {
        vocabulary,
        docs,
        document_frequency,
        known_words,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{AnalyzerConfig, Language};

    fn analyzer() -> Analyzer {
        Analyzer::new(AnalyzerConfig::preset(Language::French))
    }

    fn sample_texts() -> Vec<String> {
        let base = [
            "Le service client répond aux clients en ligne.",
            "Un espace de coworking ouvre ses portes au centre-ville.",
            "La formation professionnelle en ligne séduit les salariés.",
            "La boutique en ligne livre les clients en point relais.",
            "Les clients du coworking suivent une formation.",
        ];
        // Enough documents to span several chunks.
        (0..700)
            .map(|i| format!("{} Numéro {} mot{}", base[i % base.len()], i, i % 13))
            .collect()
    }

    #[test]
    fn packed_grams_sort_as_their_keys() {
        let top = PackedGram::MAX_WORDS as u32 - 1;
        let mut keys: Vec<NgramKey> = vec![
            [0, 0, NO_WORD],
            [0, 0, 0],
            [0, 0, top],
            [0, 1, NO_WORD],
            [0, top, 5],
            [1, 0, NO_WORD],
            [7, 3, 2],
            [7, 3, NO_WORD],
            [top, top, top],
            [top, top, NO_WORD],
            [top, 0, 0],
        ];
        for key in &keys {
            assert_eq!(PackedGram::unpack(PackedGram::pack(*key)), *key);
        }
        let mut packed: Vec<u64> = keys.iter().map(|&k| PackedGram::pack(k)).collect();
        keys.sort_unstable();
        packed.sort_unstable();
        let unpacked: Vec<NgramKey> = packed.into_iter().map(PackedGram::unpack).collect();
        assert_eq!(unpacked, keys);
    }

    fn assert_same_extraction(a: &Extraction, b: &Extraction, case: &str) {
        assert_eq!(a.vocabulary.words(), b.vocabulary.words(), "{case}");
        assert_eq!(a.vocabulary.ngrams(), b.vocabulary.ngrams(), "{case}");
        assert_eq!(a.docs, b.docs, "{case}");
        assert_eq!(a.document_frequency, b.document_frequency, "{case}");
        assert_eq!(a.known_words.cells(), b.known_words.cells(), "{case}");
    }

    #[test]
    fn same_result_with_one_or_many_threads() {
        let texts = sample_texts();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let config = FeatureConfig {
            ngrams: 2,
            min_df: 2,
            ..FeatureConfig::default()
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| fit_transform(&analyzer(), &config, &texts).unwrap())
        };
        let one = run(1);
        let four = run(4);
        assert_same_extraction(&one, &four, "1 or 4 threads");
        assert!(!one.known_words.is_empty());
        let vocab1 = one.vocabulary;
        assert!(vocab1.get("client").is_some());
        assert!(vocab1.get("servic client").is_some());
        // Words seen once are pruned by min_df = 2.
        assert!(vocab1.get("mot3").is_some());
        assert_eq!(vocab1.get("numero 17"), None);
    }

    #[test]
    fn chunks_change_nothing_and_an_error_stops_the_reading() {
        let texts = sample_texts();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let config = FeatureConfig {
            ngrams: 3,
            min_df: 2,
            ..FeatureConfig::default()
        };
        let whole = fit_transform(&analyzer(), &config, &texts).unwrap();
        for (threads, chunk) in [(1, 1), (2, 7), (4, 100), (2, texts.len())] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let chunked = pool
                .install(|| {
                    let chunks = texts.chunks(chunk).map(|c| Ok(c.to_vec()));
                    fit_transform_chunks(&analyzer(), &config, chunks)
                })
                .unwrap();
            assert_same_extraction(&chunked, &whole, &format!("chunks of {chunk}"));
        }
        let mut read = 0;
        let chunks = texts.chunks(10).enumerate().map(|(i, c)| {
            read += 1;
            if i == 3 {
                Err(Error::input("feed.csv:42", "broken row"))
            } else {
                Ok(c.to_vec())
            }
        });
        let Err(error) = fit_transform_chunks(&analyzer(), &config, chunks) else {
            panic!("the error was lost");
        };
        assert_eq!(error.to_string(), "feed.csv:42: broken row");
        assert_eq!(read, 4, "the chunks after the error are not read");
    }

    #[test]
    fn counts_words_and_ngrams_that_no_unknown_word_breaks() {
        let words = ["alpha", "beta", "gamma"].map(String::from).to_vec();
        // Ids 3, 4, 5: `alpha beta gamma`, `alpha beta`, `beta gamma` (keys sort that way).
        let ngrams = vec![[0, 1, 2], [0, 1, NO_WORD], [1, 2, NO_WORD]];
        let vocabulary = Vocabulary::new(&words, ngrams).unwrap();
        let (mut scratch, mut row) = (CountScratch::default(), SparseRow::new());
        // alpha beta gamma <unknown> alpha beta alpha
        let text = [0, 1, 2, NO_WORD, 0, 1, 0];
        vocabulary.count_into(&text, 2, &mut scratch, &mut row);
        assert_eq!(row, [(0, 3.0), (1, 2.0), (2, 1.0), (4, 2.0), (5, 1.0)]);
        vocabulary.count_into(&text, 3, &mut scratch, &mut row);
        assert_eq!(
            row,
            [(0, 3.0), (1, 2.0), (2, 1.0), (3, 1.0), (4, 2.0), (5, 1.0)]
        );
        vocabulary.count_into(&text, 1, &mut scratch, &mut row);
        assert_eq!(row, [(0, 3.0), (1, 2.0), (2, 1.0)]);
        vocabulary.count_into(&[], 2, &mut scratch, &mut row);
        assert!(row.is_empty());
    }

    #[test]
    fn ngrams_have_their_own_min_df() {
        let texts = ["alpha beta gamma", "alpha beta delta", "gamma alpha delta"];
        let config = |min_df_ngrams| FeatureConfig {
            min_df: 2,
            min_df_ngrams,
            ..FeatureConfig::default()
        };
        let terms = |config: FeatureConfig| {
            let vocabulary = fit_transform(&analyzer(), &config, &texts)
                .unwrap()
                .vocabulary;
            (0..vocabulary.len() as u32)
                .filter_map(|id| vocabulary.term(id))
                .collect::<Vec<_>>()
        };
        // (Stemmed words.) `beta` is in two texts; `gamma alpha` in one, `alpha beta` in two.
        assert_eq!(
            terms(config(None)),
            ["alpha", "bet", "delt", "gamm", "alpha bet"]
        );
        assert_eq!(
            terms(config(Some(1))),
            [
                "alpha",
                "bet",
                "delt",
                "gamm",
                "alpha bet",
                "alpha delt",
                "bet delt",
                "bet gamm",
                "gamm alpha"
            ]
        );
    }

    #[test]
    fn transform_reproduces_training_vectors() {
        let texts = sample_texts();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        for ngrams in 1..=3 {
            let config = FeatureConfig {
                ngrams,
                min_df: 3,
                ..FeatureConfig::default()
            };
            let extraction = fit_transform(&analyzer(), &config, &texts).unwrap();
            let vectorizer = Vectorizer::new(analyzer(), config, extraction.vocabulary, Vec::new())
                .unwrap()
                .with_known_words(extraction.known_words);
            let mut scratch = TransformScratch::default();
            let (mut counting, mut trained) = (CountScratch::default(), SparseRow::new());
            for (text, doc) in texts.iter().zip(&extraction.docs) {
                vectorizer
                    .vocabulary()
                    .count_into(doc, ngrams, &mut counting, &mut trained);
                assert!(!trained.is_empty());
                assert_eq!(
                    vectorizer.counts(text, &mut scratch),
                    trained,
                    "ngrams {ngrams}: {text}"
                );
            }
        }
    }

    #[test]
    fn known_words_change_no_vector() {
        let texts = sample_texts();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        // Training texts, then texts with words training never met (long ones too), other
        // casings, elisions, stop words and numbers.
        let mut probes: Vec<String> = texts.iter().step_by(37).map(|t| t.to_string()).collect();
        probes.extend([
            "LE SERVICE CLIENT répond, l’équipe aussi : 42 clients, anticonstitutionnellement."
                .to_string(),
            "Coworking ; coworkings ; COWORKING-CLUB ; formation2 ; Numéro numéros".to_string(),
            "qu'il réponde aux clients d’aujourd’hui en ligne, en ligne !".to_string(),
        ]);
        for ngrams in 1..=3 {
            let config = FeatureConfig {
                ngrams,
                min_df: 2,
                ..FeatureConfig::default()
            };
            let plain = fit_transform(&analyzer(), &config, &texts).unwrap();
            let warm = fit_transform(&analyzer(), &config, &texts).unwrap();
            let plain =
                Vectorizer::new(analyzer(), config.clone(), plain.vocabulary, Vec::new()).unwrap();
            let known = warm.known_words;
            // Every word of the sample texts is short enough to be recorded.
            assert!(known.len() > 700, "{} known words", known.len());
            let warm = Vectorizer::new(analyzer(), config, warm.vocabulary, Vec::new())
                .unwrap()
                .with_known_words(known);
            let (mut a, mut b) = (TransformScratch::default(), TransformScratch::default());
            for text in &probes {
                assert_eq!(
                    warm.counts(text, &mut a),
                    plain.counts(text, &mut b),
                    "ngrams {ngrams}: {text}"
                );
            }
        }
    }

    #[test]
    fn weighting_applies_log_tf_idf_and_norm() {
        let config = FeatureConfig {
            tf: TermFrequency::Log,
            idf: true,
            norm: Norm::L2,
            ..FeatureConfig::default()
        };
        let idf = inverse_document_frequencies(&[1, 3], 3);
        assert!((idf[0] - (2.0f64.ln() + 1.0)).abs() < 1e-12 && (idf[1] - 1.0).abs() < 1e-12);
        let vocabulary = Vocabulary::new(&["a", "b"], Vec::new()).unwrap();
        let vectorizer = Vectorizer::new(analyzer(), config, vocabulary, idf.clone()).unwrap();
        let mut row = vec![(0, 1.0), (1, std::f64::consts::E)];
        vectorizer.weigh(&mut row);
        // log tf: 1 and 2; idf; then unit length.
        let (a, b) = (idf[0], 2.0);
        let norm = (a * a + b * b).sqrt();
        assert!((row[0].1 - a / norm).abs() < 1e-12 && (row[1].1 - b / norm).abs() < 1e-12);
        assert!(
            Vectorizer::new(
                analyzer(),
                vectorizer.config().clone(),
                vectorizer.vocabulary().clone(),
                vec![1.0]
            )
            .is_err()
        );
    }

    #[test]
    fn binary_tf_keeps_presence_only() {
        let config = FeatureConfig {
            tf: TermFrequency::Binary,
            norm: Norm::None,
            ..FeatureConfig::default()
        };
        let vocabulary = Vocabulary::new(&["a", "b"], Vec::new()).unwrap();
        let vectorizer = Vectorizer::new(analyzer(), config, vocabulary, Vec::new()).unwrap();
        let mut row = vec![(0, 1.0), (1, 7.0)];
        vectorizer.weigh(&mut row);
        assert_eq!(row, [(0, 1.0), (1, 1.0)]);
    }

    #[test]
    fn ngrams_have_their_own_tf() {
        // Words "a", "b" (ids 0, 1), n-gram "a b" (id 2).
        let vocabulary = Vocabulary::new(&["a", "b"], vec![[0, 1, NO_WORD]]).unwrap();
        let weigh = |tf, ngram_tf| {
            let config = FeatureConfig {
                tf,
                ngram_tf,
                norm: Norm::None,
                ..FeatureConfig::default()
            };
            let vectorizer =
                Vectorizer::new(analyzer(), config, vocabulary.clone(), Vec::new()).unwrap();
            let mut row = vec![(0, 3.0), (1, 1.0), (2, 3.0)];
            vectorizer.weigh(&mut row);
            row
        };
        use TermFrequency::{Binary, Log, Raw};
        assert_eq!(FeatureConfig::default().ngram_tf, Binary);
        assert_eq!(weigh(Raw, Binary), [(0, 3.0), (1, 1.0), (2, 1.0)]);
        assert_eq!(weigh(Raw, Raw), [(0, 3.0), (1, 1.0), (2, 3.0)]);
        assert_eq!(weigh(Binary, Raw), [(0, 1.0), (1, 1.0), (2, 3.0)]);
        let log3 = 1.0 + 3f64.ln();
        assert_eq!(weigh(Log, Binary), [(0, log3), (1, 1.0), (2, 1.0)]);
    }

    #[test]
    fn indexed_words_find_every_word_and_only_them() {
        // Lengths around the hash's 8-byte steps, non-ASCII words, and prefixes of words.
        let mut words: Vec<String> = [
            "a",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "clé",
            "été",
            "ŝ",
            "中文",
            "ﬁn",
        ]
        .iter()
        .map(|w| w.to_string())
        .chain((0..3000).map(|i| format!("w{i}")))
        .collect();
        words.sort();
        let indexed = IndexedWords::new(&words).unwrap();
        assert_eq!(indexed.len(), words.len());
        for (id, word) in words.iter().enumerate() {
            assert_eq!(indexed.id(word), Some(id as u32), "{word}");
            assert_eq!(indexed.word(id), word);
        }
        assert!(indexed.iter().eq(words.iter().map(String::as_str)));
        for absent in [
            "",
            "ab",
            "abcdefghijklmno",
            "cl",
            "été ",
            "w3000",
            "W1",
            "中",
        ] {
            assert_eq!(indexed.id(absent), None, "{absent}");
        }
        assert_eq!(indexed.word(words.len()), "");
        // Stored and read back, the tables are the same words.
        let (text, ends, index) = indexed.tables();
        let back = IndexedWords::from_tables(
            text.to_vec().into(),
            ends.to_vec().into(),
            index.to_vec().into(),
        )
        .unwrap();
        assert_eq!(back, indexed);
        assert_eq!(back.id("clé"), indexed.id("clé"));
    }

    #[test]
    fn vocabulary_rejects_broken_term_lists() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let gram = |a: u32, b: u32| [a, b, NO_WORD];
        assert!(Vocabulary::new(&words(&["b", "a"]), vec![]).is_err());
        assert!(Vocabulary::new(&words(&["a", "a"]), vec![]).is_err());
        assert!(Vocabulary::new(&words(&["a b"]), vec![]).is_err());
        assert!(Vocabulary::new(&words(&["a"]), vec![gram(0, 1)]).is_err());
        assert!(Vocabulary::new(&words(&["a", "b"]), vec![gram(1, 0), gram(0, 1)]).is_err());
        assert!(Vocabulary::new(&words(&["a", "b"]), vec![[0, NO_WORD, 1]]).is_err());
        let ok = Vocabulary::new(&words(&["a", "b"]), vec![gram(0, 1), gram(1, 1)]).unwrap();
        assert_eq!(ok.get("a b"), Some(2));
        assert_eq!(ok.get("b b"), Some(3));
        assert_eq!(ok.get("b a"), None);
        assert_eq!(ok.term(3).as_deref(), Some("b b"));
    }

    #[test]
    fn rejects_unsupported_ngram_order() {
        let config = FeatureConfig {
            ngrams: 4,
            ..FeatureConfig::default()
        };
        assert!(fit_transform(&analyzer(), &config, &["texte"]).is_err());
    }
}
