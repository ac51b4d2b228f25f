//! Vocabulary and bag-of-words extraction.
//!
//! Training extracts in parallel chunks, each with a chunk-local term table, then merges the
//! chunks serially in input order and sorts the final vocabulary, so the vocabulary and every
//! vector are the same whatever the number of threads. Scoring maps each raw word straight to
//! a feature id through a per-thread cache: cost grows with tokens, never with the vocabulary.

use crate::error::{Error, Result};
use crate::text::{Analyzer, WordCache};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// A document as (feature id, count) pairs, sorted by feature id.
pub type SparseRow = Vec<(u32, f64)>;

/// Largest supported word n-gram order.
pub const MAX_NGRAMS: usize = 3;

/// How a term's count in a document becomes its weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum TermFrequency {
    /// The count itself.
    Raw,
    /// 1 + ln(count): a word repeated ten times is not ten times the evidence.
    Log,
}

/// Scaling of each document's weight vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Norm {
    /// Keep the weights: long articles weigh more than short ones.
    None,
    /// Weights sum to 1.
    L1,
    /// Euclidean length 1.
    L2,
}

/// How terms become features and features become weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Word n-grams of order 1 to `ngrams` are features (1 = single words).
    pub ngrams: usize,
    /// Features seen in fewer training documents than this are dropped.
    pub min_df: usize,
    pub tf: TermFrequency,
    /// Multiply weights by the smoothed inverse document frequency, ln((1+n)/(1+df)) + 1.
    pub idf: bool,
    pub norm: Norm,
}

/// The defaults are the built-in model's settings, chosen by measurement (README, "Choosing
/// the defaults"): word bigrams, features in two documents or more, raw counts, unit length.
impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            ngrams: 2,
            min_df: 2,
            tf: TermFrequency::Raw,
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

/// The sorted feature terms; an n-gram is its words joined by single spaces.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    terms: Vec<String>,
    unigrams: FxHashMap<String, u32>,
    ngrams: FxHashMap<Box<[u32]>, u32>,
}

impl Vocabulary {
    /// Builds the lookup tables, checking the invariants scoring relies on: terms sorted and
    /// unique, and every word of an n-gram present as a feature itself.
    pub fn from_terms(terms: Vec<String>) -> std::result::Result<Self, String> {
        if terms.len() >= u32::MAX as usize {
            return Err(format!("{} terms is more than supported", terms.len()));
        }
        if let Some(pair) = terms.windows(2).find(|pair| pair[0] >= pair[1]) {
            return Err(format!(
                "terms not sorted and unique near {:?} / {:?}",
                pair[0], pair[1]
            ));
        }
        let mut unigrams = FxHashMap::default();
        for (id, term) in terms.iter().enumerate() {
            if term.is_empty() {
                return Err("empty term".into());
            }
            if !term.contains(' ') {
                unigrams.insert(term.clone(), id as u32);
            }
        }
        let mut ngrams = FxHashMap::default();
        for (id, term) in terms.iter().enumerate() {
            if !term.contains(' ') {
                continue;
            }
            let words: Option<Box<[u32]>> =
                term.split(' ').map(|w| unigrams.get(w).copied()).collect();
            match words {
                Some(words) if words.len() <= MAX_NGRAMS => {
                    ngrams.insert(words, id as u32);
                }
                _ => return Err(format!("n-gram {term:?} has a word that is not a feature")),
            }
        }
        Ok(Vocabulary {
            terms,
            unigrams,
            ngrams,
        })
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The feature id of a term (`"client"`, `"servic client"`).
    pub fn get(&self, term: &str) -> Option<u32> {
        if term.contains(' ') {
            let words: Option<Vec<u32>> = term
                .split(' ')
                .map(|w| self.unigrams.get(w).copied())
                .collect();
            words.and_then(|w| self.ngrams.get(w.as_slice()).copied())
        } else {
            self.unigrams.get(term).copied()
        }
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
}

/// Per-thread scratch space for [`Vectorizer::transform`].
#[derive(Default)]
pub struct TransformScratch {
    cache: WordCache<Option<u32>>,
    ids: Vec<u32>,
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
        })
    }

    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// Turns raw counts into weights: term-frequency transform, idf, normalisation.
    pub fn weigh(&self, row: &mut SparseRow) {
        if self.config.tf == TermFrequency::Log {
            for (_, value) in row.iter_mut() {
                *value = 1.0 + value.ln();
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

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// The weighted features of `text` (see [`Vectorizer::weigh`]).
    pub fn transform(&self, text: &str, scratch: &mut TransformScratch) -> SparseRow {
        let mut row = self.counts(text, scratch);
        self.weigh(&mut row);
        row
    }

    /// The counts of `text`'s known features. Words outside the vocabulary still break
    /// n-grams, exactly as they did when the vocabulary was built.
    pub fn counts(&self, text: &str, scratch: &mut TransformScratch) -> SparseRow {
        let TransformScratch { cache, ids } = scratch;
        ids.clear();
        let n = self.config.ngrams;
        let mut window: [Option<u32>; MAX_NGRAMS] = [None; MAX_NGRAMS];
        let mut seen = 0usize;
        let vocabulary = &self.vocabulary;
        self.analyzer.for_each_word(
            text,
            cache,
            |term| vocabulary.unigrams.get(term).copied(),
            |word| {
                if let Some(id) = word {
                    ids.push(id);
                }
                if n > 1 {
                    window.rotate_left(1);
                    window[MAX_NGRAMS - 1] = word;
                    seen += 1;
                    for order in 2..=n.min(seen) {
                        let gram = &window[MAX_NGRAMS - order..];
                        let key: Option<Vec<u32>> = gram.iter().copied().collect();
                        if let Some(id) =
                            key.and_then(|k| vocabulary.ngrams.get(k.as_slice()).copied())
                        {
                            ids.push(id);
                        }
                    }
                }
            },
        );
        count_sorted(ids)
    }
}

/// Sorts ids and run-length encodes them into a [`SparseRow`].
fn count_sorted(ids: &mut [u32]) -> SparseRow {
    ids.sort_unstable();
    let mut row: SparseRow = Vec::new();
    for &id in ids.iter() {
        match row.last_mut() {
            Some((last, count)) if *last == id => *count += 1.0,
            _ => row.push((id, 1.0)),
        }
    }
    row
}

/// Documents per parallel work unit: large enough that each chunk's word cache pays off.
const CHUNK_DOCS: usize = 256;

/// One chunk's extraction: its own term table and, per document, (local term, count).
struct ChunkTerms {
    terms: Vec<Box<str>>,
    docs: Vec<Vec<(u32, u32)>>,
}

fn extract_chunk(analyzer: &Analyzer, ngrams: usize, texts: &[&str]) -> ChunkTerms {
    let mut terms: Vec<Box<str>> = Vec::new();
    let mut index: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut intern = |term: &str, terms: &mut Vec<Box<str>>| -> u32 {
        if let Some(&id) = index.get(term) {
            return id;
        }
        let id = terms.len() as u32;
        terms.push(term.into());
        index.insert(term.into(), id);
        id
    };
    let mut cache: WordCache<u32> = WordCache::new();
    let mut docs = Vec::with_capacity(texts.len());
    let mut words: Vec<u32> = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    let mut gram = String::new();
    for text in texts {
        words.clear();
        analyzer.for_each_word(
            text,
            &mut cache,
            |term| intern(term, &mut terms),
            |id| words.push(id),
        );
        ids.clear();
        ids.extend_from_slice(&words);
        for order in 2..=ngrams {
            for window in words.windows(order) {
                gram.clear();
                for (i, &w) in window.iter().enumerate() {
                    if i > 0 {
                        gram.push(' ');
                    }
                    gram.push_str(&terms[w as usize]);
                }
                ids.push(intern(&gram, &mut terms));
            }
        }
        ids.sort_unstable();
        let mut doc: Vec<(u32, u32)> = Vec::new();
        for &id in &ids {
            match doc.last_mut() {
                Some((last, count)) if *last == id => *count += 1,
                _ => doc.push((id, 1)),
            }
        }
        docs.push(doc);
    }
    ChunkTerms { terms, docs }
}

/// What [`fit_transform`] learns from the training texts.
pub struct Extraction {
    pub vocabulary: Vocabulary,
    /// Raw counts of each text, in input order.
    pub rows: Vec<SparseRow>,
    /// Number of texts each feature occurs in.
    pub document_frequency: Vec<u32>,
}

/// Builds the vocabulary of `texts` and their count vectors, on the current rayon pool.
pub fn fit_transform(
    analyzer: &Analyzer,
    config: &FeatureConfig,
    texts: &[&str],
) -> Result<Extraction> {
    if !(1..=MAX_NGRAMS).contains(&config.ngrams) {
        return Err(Error::Params(format!(
            "--ngrams must be between 1 and {MAX_NGRAMS}, not {}",
            config.ngrams
        )));
    }
    let chunks: Vec<ChunkTerms> = texts
        .par_chunks(CHUNK_DOCS)
        .map(|chunk| extract_chunk(analyzer, config.ngrams, chunk))
        .collect();

    // Serial merge in input order: global ids and document frequencies.
    let mut index: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut global_terms: Vec<Box<str>> = Vec::new();
    let mut df: Vec<u32> = Vec::new();
    let mut docs: Vec<Vec<(u32, u32)>> = Vec::with_capacity(texts.len());
    for chunk in chunks {
        let remap: Vec<u32> = chunk
            .terms
            .into_iter()
            .map(|term| {
                *index.entry(term.clone()).or_insert_with(|| {
                    global_terms.push(term);
                    df.push(0);
                    (global_terms.len() - 1) as u32
                })
            })
            .collect();
        for doc in chunk.docs {
            let doc: Vec<(u32, u32)> = doc
                .into_iter()
                .map(|(id, c)| (remap[id as usize], c))
                .collect();
            for &(id, _) in &doc {
                df[id as usize] += 1;
            }
            docs.push(doc);
        }
    }

    // Prune rare terms; an n-gram survives only with all its words.
    let min_df = config.min_df.max(1) as u32;
    let kept_word = |term: &str| index.get(term).is_some_and(|&id| df[id as usize] >= min_df);
    let mut kept: Vec<(usize, &str)> = global_terms
        .iter()
        .enumerate()
        .filter(|(id, term)| {
            df[*id] >= min_df && (!term.contains(' ') || term.split(' ').all(kept_word))
        })
        .map(|(id, term)| (id, &**term))
        .collect();
    kept.sort_unstable_by(|a, b| a.1.cmp(b.1));
    let mut final_id = vec![u32::MAX; global_terms.len()];
    for (new, &(old, _)) in kept.iter().enumerate() {
        final_id[old] = new as u32;
    }
    let terms: Vec<String> = kept.iter().map(|&(_, term)| term.to_string()).collect();
    let document_frequency: Vec<u32> = kept.iter().map(|&(old, _)| df[old]).collect();
    let vocabulary =
        Vocabulary::from_terms(terms).map_err(|e| Error::Params(format!("vocabulary: {e}")))?;

    let rows = docs
        .into_par_iter()
        .map(|doc| {
            let mut row: SparseRow = doc
                .into_iter()
                .filter_map(|(id, count)| {
                    let id = final_id[id as usize];
                    (id != u32::MAX).then_some((id, f64::from(count)))
                })
                .collect();
            row.sort_unstable_by_key(|&(id, _)| id);
            row
        })
        .collect();
    Ok(Extraction {
        vocabulary,
        rows,
        document_frequency,
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
        assert_eq!(one.vocabulary.terms(), four.vocabulary.terms());
        assert_eq!(one.rows, four.rows);
        assert_eq!(one.document_frequency, four.document_frequency);
        let vocab1 = one.vocabulary;
        assert!(vocab1.get("client").is_some());
        assert!(vocab1.get("servic client").is_some());
        // Words seen once are pruned by min_df = 2.
        assert!(vocab1.get("mot3").is_some());
        assert_eq!(vocab1.get("numero 17"), None);
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
            let vectorizer =
                Vectorizer::new(analyzer(), config, extraction.vocabulary, Vec::new()).unwrap();
            let mut scratch = TransformScratch::default();
            for (text, row) in texts.iter().zip(&extraction.rows) {
                assert_eq!(
                    &vectorizer.counts(text, &mut scratch),
                    row,
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
        let vocabulary = Vocabulary::from_terms(vec!["a".into(), "b".into()]).unwrap();
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
    fn vocabulary_rejects_broken_term_lists() {
        assert!(Vocabulary::from_terms(vec!["b".into(), "a".into()]).is_err());
        assert!(Vocabulary::from_terms(vec!["a".into(), "a".into()]).is_err());
        assert!(Vocabulary::from_terms(vec!["a".into(), "a b".into()]).is_err());
        assert!(Vocabulary::from_terms(vec!["a".into(), "a b".into(), "b".into()]).is_ok());
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
