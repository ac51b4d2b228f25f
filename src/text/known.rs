//! The raw words met in training, each with what the analyzer and the vocabulary made of it,
//! stored in the model so that scoring starts warm.
//!
//! Profiled on a 14 MB input, the first sight of each word (Snowball stemming, then the
//! vocabulary lookup) cost as much as the rest of the run: every thread meets some hundred
//! thousand distinct words, and stems each once. Most of them were already met in training.
//! The table is an open-addressing hash table of packed words (the first level of
//! [`WordCache`](super::WordCache) uses the same packing), written as it is in memory so that a
//! mapped model file is used in place.

use crate::features::NO_WORD;
use crate::table::Table;
use rayon::prelude::*;

/// The value of a word the analyzer drops (stop word, number, too short); other values are
/// a word id or [`NO_WORD`], a word outside the vocabulary.
pub const DROPPED: u32 = NO_WORD - 1;

/// Packed word → word id, [`NO_WORD`] or [`DROPPED`]. Three `u64` per slot: the packed word's
/// two halves and the value; a slot whose halves are both 0 is empty (no word packs to 0).
#[derive(Debug)]
pub struct KnownWords {
    slots: Table<u64>,
}

/// `key` hashed to 64 bits. The home slot grows with it ([`home_slot`]), so that keys sorted
/// by hash are sorted by home slot whatever the table's size.
fn hash(key: u128) -> u64 {
    (key as u64 ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The slot where probing for `key` starts, in a table of `n_slots`: the hash scaled to the
/// table (any size, so the table can be three quarters full rather than up to twice that
/// size). Stored in model files: changing it is a format change.
fn home_slot(key: u128, n_slots: usize) -> usize {
    ((u128::from(hash(key)) * n_slots as u128) >> 64) as usize
}

impl KnownWords {
    /// No words: every word goes through the analyzer.
    pub fn empty() -> Self {
        KnownWords {
            slots: Vec::new().into(),
        }
    }

    /// A table of `entries`, packed words with their values; a word listed more than once
    /// must have the same value each time. The same entries give the same table, in any
    /// order.
    pub fn build(mut entries: Vec<(u128, u32)>) -> Self {
        // By hash, so by home slot: the table is then filled front to back, each word at or
        // just after the slot where the previous one went, where inserting in key order
        // missed the cache on every word (measured: twice as fast on 20newsgroups' 144,000
        // words), and equal words are next to each other.
        entries.par_sort_unstable_by_key(|&(key, _)| (hash(key), key));
        entries.dedup_by_key(|(key, _)| *key);
        if entries.is_empty() {
            return Self::empty();
        }
        // Three quarters full, so that probes stay short.
        let slots = entries.len() + entries.len() / 3 + 1;
        let mut table = vec![0u64; 3 * slots];
        for &(key, value) in &entries {
            let mut slot = home_slot(key, slots);
            while table[3 * slot] != 0 || table[3 * slot + 1] != 0 {
                slot = (slot + 1) % slots;
            }
            table[3 * slot] = key as u64;
            table[3 * slot + 1] = (key >> 64) as u64;
            table[3 * slot + 2] = u64::from(value);
        }
        KnownWords {
            slots: table.into(),
        }
    }

    /// A table read from a model file, checked: whole slots, at least one of them empty (so
    /// that every probe ends), values that are word ids below `n_words`,
    /// [`NO_WORD`] or [`DROPPED`]. (A word stored twice would only make one copy unreachable,
    /// and finding one costs a probe per word: not checked.)
    pub fn from_table(slots: Table<u64>, n_words: usize) -> Result<Self, String> {
        if slots.is_empty() {
            return Ok(KnownWords { slots });
        }
        if !slots.len().is_multiple_of(3) {
            return Err(format!("{} known-word cells is not a table", slots.len()));
        }
        let mut empty = 0usize;
        let mut bad_value = false;
        for slot in slots.chunks_exact(3) {
            let is_empty = (slot[0] | slot[1]) == 0;
            empty += usize::from(is_empty);
            let value = slot[2];
            bad_value |= !is_empty
                && value >= n_words as u64
                && value != u64::from(NO_WORD)
                && value != u64::from(DROPPED);
        }
        if empty == 0 || bad_value {
            return Err("known words out of range".into());
        }
        Ok(KnownWords { slots })
    }

    /// The table as stored: three `u64` per slot.
    pub fn cells(&self) -> &[u64] {
        &self.slots
    }

    /// Number of words in the table.
    pub fn len(&self) -> usize {
        self.slots
            .chunks_exact(3)
            .filter(|slot| (slot[0] | slot[1]) != 0)
            .count()
    }

    /// True when the table holds no word: every word goes through the analyzer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The slot holding `key`, if any.
    fn position(&self, key: u128) -> Option<usize> {
        let n_slots = self.slots.len() / 3;
        if n_slots == 0 {
            return None;
        }
        let (low, high) = (key as u64, (key >> 64) as u64);
        let mut slot = home_slot(key, n_slots);
        loop {
            let cells = &self.slots[3 * slot..3 * slot + 3];
            if cells[0] == low && cells[1] == high {
                return Some(slot);
            }
            if (cells[0] | cells[1]) == 0 {
                return None;
            }
            slot = if slot + 1 == n_slots { 0 } else { slot + 1 };
        }
    }

    /// Starts loading the slot where a probe for `key` starts (see [`KnownWords::get`]).
    pub fn prefetch(&self, key: u128) {
        let n_slots = self.slots.len() / 3;
        if n_slots > 0 {
            crate::prefetch(&self.slots[3 * home_slot(key, n_slots)]);
        }
    }

    /// What the analyzer and the vocabulary made of the packed word `key` in training:
    /// `Some(None)` for a dropped word, `Some(Some(id))` for a word id or [`NO_WORD`], `None`
    /// for a word not met in training.
    pub fn get(&self, key: u128) -> Option<Option<u32>> {
        let slot = self.position(key)?;
        let value = self.slots[3 * slot + 2] as u32;
        Some((value != DROPPED).then_some(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> u128 {
        // Distinct, non-zero, and many sharing a home slot in a small table.
        u128::from(i + 1) << 64 | u128::from(i % 3)
    }

    #[test]
    fn every_word_is_found_and_others_are_not() {
        let entries: Vec<(u128, u32)> = (0..1000)
            .map(|i| (key(i), [i as u32, NO_WORD, DROPPED][i as usize % 3]))
            .collect();
        let known = KnownWords::build(entries.clone());
        assert_eq!(known.len(), 1000);
        // Repeats and order change nothing.
        let mut shuffled: Vec<(u128, u32)> = entries.iter().rev().copied().collect();
        shuffled.extend_from_slice(&entries[..100]);
        assert_eq!(KnownWords::build(shuffled).cells(), known.cells());
        for &(k, value) in &entries {
            let expected = (value != DROPPED).then_some(value);
            assert_eq!(known.get(k), Some(expected));
        }
        for i in 1000..1100 {
            assert_eq!(known.get(key(i)), None);
        }
        assert_eq!(KnownWords::empty().get(key(1)), None);

        let back = KnownWords::from_table(known.cells().to_vec().into(), 1000).unwrap();
        assert_eq!(back.get(key(3)), Some(Some(3)));
    }

    #[test]
    fn refuses_tables_that_scoring_could_trip_on() {
        let known = KnownWords::build(vec![(key(1), 5), (key(2), 6)]);
        let cells = known.cells().to_vec();
        // A word id past the vocabulary.
        assert!(KnownWords::from_table(cells.clone().into(), 6).is_err());
        assert!(KnownWords::from_table(cells.clone().into(), 7).is_ok());
        // No empty slot: a probe for a missing word would never end.
        let full: Vec<u64> = (0..4u64).flat_map(|i| [i + 1, 0, 0]).collect();
        assert!(KnownWords::from_table(full.into(), 7).is_err());
        // Not whole slots.
        assert!(KnownWords::from_table(vec![0; 4].into(), 7).is_err());
    }
}
