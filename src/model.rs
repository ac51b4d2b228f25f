//! The estimator: linfa-bayes's multinomial naive Bayes, fed and scored sparsely.
//!
//! Multinomial NB only needs, per class, the sum of its documents' feature counts. We build
//! those sums from sparse rows (cost ∝ tokens) and let linfa-bayes fit on one summed row per
//! class, a classes × vocabulary matrix instead of documents × vocabulary. linfa-bayes takes a
//! class's prior from its number of rows, so we then give each class its document count back:
//! the result is the exact state `MultinomialNb::fit` reaches on the dense matrix (tested).
//! Scoring adds the log-probabilities of a document's known features: cost ∝ tokens.

pub mod calibrate;
mod collect;

use crate::error::{Error, Result};
use crate::features::{
    self, CountScratch, FeatureConfig, NO_WORD, Norm, SparseRow, TermFrequency, TransformScratch,
    Vectorizer, Vocabulary,
};
use crate::table::F32Table;
use crate::text::{Analyzer, AnalyzerConfig, Language};
use linfa::prelude::*;
use linfa_bayes::{MultinomialNb, MultinomialNbParams};
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Which naive Bayes decision rule the classifier uses. Both are fitted by linfa-bayes's
/// `MultinomialNb`; they differ in what it is fed and how its log-probabilities are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum NbKind {
    /// Each label's word distribution from its own documents; score = log prior + Σ x·log P.
    Multinomial,
    /// Each label's distribution from all *other* labels' documents (Rennie et al. 2003, as
    /// scikit-learn's `ComplementNB`); score = −Σ x·log P(complement). More data per
    /// estimate, less sensitive to unbalanced labels.
    Complement,
    /// The complement rule with each label's weights −log P(complement) divided by their sum
    /// over the vocabulary (Rennie et al. 2003 "WCNB", scikit-learn's `ComplementNB(norm=True)`),
    /// so that labels whose complement spreads its mass over more words do not get larger
    /// weights. Fitted like the complement rule: only a factor per label at scoring time.
    ComplementNorm,
}

impl NbKind {
    /// Whether each label is modelled by the documents of the other labels.
    pub fn is_complement(self) -> bool {
        matches!(self, NbKind::Complement | NbKind::ComplementNorm)
    }
}

/// Builder for [`Classifier`] training settings, as linfa's estimators have them: set, then
/// [`check`](ClassifierParams::check) (also linfa's [`ParamGuard`]) into
/// [`ValidClassifierParams`], which fit.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassifierParams(ValidClassifierParams);

/// Checked training settings, ready to [`fit`](ValidClassifierParams::fit) (also linfa's
/// [`Fit`], on [`Articles`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ValidClassifierParams {
    analyzer: AnalyzerConfig,
    features: FeatureConfig,
    alpha: f64,
    kind: NbKind,
    calibrate: bool,
}

/// Largest smoothing `check` accepts: far above any count a normalised document gives, every
/// label's distribution is flat long before (and `ln` of the sums would overflow at 1e308).
pub const MAX_ALPHA: f64 = 1e6;

/// Default decision rule.
pub const DEFAULT_KIND: NbKind = NbKind::ComplementNorm;

/// Default additive smoothing (with unit-length documents, a small value is right).
pub const DEFAULT_ALPHA: f64 = 0.02;

impl ClassifierParams {
    /// The language's analyzer preset, [`FeatureConfig::default`], smoothing [`DEFAULT_ALPHA`].
    pub fn new(language: Language) -> Self {
        ClassifierParams(ValidClassifierParams {
            analyzer: AnalyzerConfig::preset(language),
            features: FeatureConfig::default(),
            alpha: DEFAULT_ALPHA,
            kind: DEFAULT_KIND,
            calibrate: true,
        })
    }

    /// Fit the probabilities' temperature on held-out training documents (`--calibrate`,
    /// on by default; see [`calibrate`]): it changes no label, only how sure the
    /// probabilities are. Off, the scores' softmax is taken as it is (a temperature of 1).
    pub fn calibrate(mut self, calibrate: bool) -> Self {
        self.0.calibrate = calibrate;
        self
    }

    /// Naive Bayes decision rule (`--nb`); [`DEFAULT_KIND`] by default.
    pub fn kind(mut self, kind: NbKind) -> Self {
        self.0.kind = kind;
        self
    }

    /// The analyzer chain's settings, in place of the language's preset (`--lang`, `--stem`,
    /// `--min-word-chars`, `--dotted-words`, `--stop-words`).
    pub fn analyzer(mut self, analyzer: AnalyzerConfig) -> Self {
        self.0.analyzer = analyzer;
        self
    }

    /// Word n-grams of order 1 to `ngrams` become features (`--ngrams`, 1 to
    /// [`features::MAX_NGRAMS`]).
    pub fn ngrams(mut self, ngrams: usize) -> Self {
        self.0.features.ngrams = ngrams;
        self
    }

    /// Drop words found in fewer training documents than this (`--min-df`, at least 1).
    pub fn min_df(mut self, min_df: usize) -> Self {
        self.0.features.min_df = min_df;
        self
    }

    /// `--min-df-ngrams`: see [`FeatureConfig::min_df_ngrams`].
    pub fn min_df_ngrams(mut self, min_df_ngrams: Option<usize>) -> Self {
        self.0.features.min_df_ngrams = min_df_ngrams;
        self
    }

    /// Additive smoothing of the label distributions (`--alpha`): larger flattens them.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.0.alpha = alpha;
        self
    }

    /// How a word's count in a document becomes its weight (`--tf`).
    pub fn tf(mut self, tf: TermFrequency) -> Self {
        self.0.features.tf = tf;
        self
    }

    /// `--ngram-tf`: see [`FeatureConfig::ngram_tf`].
    pub fn ngram_tf(mut self, tf: TermFrequency) -> Self {
        self.0.features.ngram_tf = tf;
        self
    }

    /// Multiply weights by the inverse document frequency (`--idf`).
    pub fn idf(mut self, idf: bool) -> Self {
        self.0.features.idf = idf;
        self
    }

    /// Scaling of each document's weights (`--norm`).
    pub fn norm(mut self, norm: Norm) -> Self {
        self.0.features.norm = norm;
        self
    }

    /// Checks the settings: an [`Error::Params`] names the setting of the first one out of
    /// range, and its command-line flag (smoothing not a positive number up to
    /// [`MAX_ALPHA`], n-gram order, a minimum of 0).
    pub fn check(self) -> Result<ValidClassifierParams> {
        self.check_ref()?;
        Ok(self.0)
    }

    /// [`ClassifierParams::check`], keeping the builder.
    pub fn check_ref(&self) -> Result<&ValidClassifierParams> {
        let params = &self.0;
        if !(params.alpha.is_finite() && params.alpha > 0.0 && params.alpha <= MAX_ALPHA) {
            return Err(Error::Params(format!(
                "alpha (--alpha) must be a number above 0 and at most {MAX_ALPHA}, not {}",
                params.alpha
            )));
        }
        if !(1..=features::MAX_NGRAMS).contains(&params.features.ngrams) {
            return Err(Error::Params(format!(
                "ngrams (--ngrams) must be between 1 and {}, not {}",
                features::MAX_NGRAMS,
                params.features.ngrams
            )));
        }
        if params.features.min_df == 0 {
            return Err(Error::Params("min_df (--min-df) must be at least 1".into()));
        }
        if params.features.min_df_ngrams == Some(0) {
            return Err(Error::Params(
                "min_df_ngrams (--min-df-ngrams) must be at least 1".into(),
            ));
        }
        if params.analyzer.min_word_chars == 0 {
            return Err(Error::Params(
                "min_word_chars (--min-word-chars) must be at least 1".into(),
            ));
        }
        Ok(params)
    }
}

impl ParamGuard for ClassifierParams {
    type Checked = ValidClassifierParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&ValidClassifierParams> {
        ClassifierParams::check_ref(self)
    }

    fn check(self) -> Result<ValidClassifierParams> {
        ClassifierParams::check(self)
    }
}

impl ValidClassifierParams {
    /// The analyzer chain's settings.
    pub fn analyzer(&self) -> &AnalyzerConfig {
        &self.analyzer
    }

    /// The feature settings (n-grams, min-df, tf, idf, norm).
    pub fn features(&self) -> &FeatureConfig {
        &self.features
    }

    /// The additive smoothing.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The decision rule.
    pub fn kind(&self) -> NbKind {
        self.kind
    }

    /// Whether training calibrates the probabilities ([`ClassifierParams::calibrate`]).
    pub fn calibrates(&self) -> bool {
        self.calibrate
    }

    /// Fits a classifier on `texts` with their `labels` (same length), on the current rayon
    /// pool. Labels are sorted by name; there must be at least two.
    pub fn fit<T: AsRef<str> + Sync, L: AsRef<str>>(
        &self,
        texts: &[T],
        labels: &[L],
    ) -> Result<Classifier> {
        if texts.len() != labels.len() {
            return Err(Error::Data(format!(
                "{} texts but {} labels",
                texts.len(),
                labels.len()
            )));
        }
        let chunk_len = features::chunk_len(texts.len());
        let chunks =
            texts
                .chunks(chunk_len)
                .zip(labels.chunks(chunk_len))
                .map(|(texts, labels)| {
                    Ok((
                        texts.iter().map(AsRef::as_ref).collect::<Vec<&str>>(),
                        labels.iter().map(|l| l.as_ref().to_string()).collect(),
                    ))
                });
        self.estimate(self.extract(chunks)?)
    }

    /// [`ValidClassifierParams::fit`] of labelled texts that come in chunks, in input order
    /// (rows of a CSV file being read): each chunk is analysed while the next is read, and
    /// its texts are freed once analysed ([`features::fit_transform_chunks`]), so the naive
    /// Bayes fit, the largest step in memory, runs without them. The first error of `chunks`
    /// stops the reading and is returned.
    pub fn fit_chunks<T: AsRef<str> + Send>(
        &self,
        chunks: impl Iterator<Item = Result<(Vec<T>, Vec<String>)>>,
    ) -> Result<Classifier> {
        let extracted = self.extract(chunks)?;
        crate::return_free_memory();
        self.estimate(extracted)
    }

    /// Labels, targets, vocabulary and the texts' word ids: everything
    /// [`ValidClassifierParams::fit`] needs from the texts.
    fn extract<T: AsRef<str> + Send>(
        &self,
        chunks: impl Iterator<Item = Result<(Vec<T>, Vec<String>)>>,
    ) -> Result<Extracted> {
        let params = self;
        let analyzer = Analyzer::new(params.analyzer.clone());
        let mut labels: Vec<String> = Vec::new();
        let texts = chunks.map(|chunk| {
            let (texts, chunk_labels) = chunk?;
            if texts.len() != chunk_labels.len() {
                return Err(Error::Data(format!(
                    "{} texts but {} labels",
                    texts.len(),
                    chunk_labels.len()
                )));
            }
            // As the CLI reads them: one name, one label, on one line.
            for label in chunk_labels {
                let label = crate::input::checked_label(&label)
                    .map_err(|message| Error::input("labels", message))?;
                if label.is_empty() {
                    return Err(Error::input("labels", "an empty label"));
                }
                labels.push(label);
            }
            Ok(texts)
        });
        let extraction = features::fit_transform_chunks(&analyzer, &params.features, texts)?;

        let mut names = labels.clone();
        names.sort();
        names.dedup();
        if names.len() < 2 {
            return Err(Error::Data(format!(
                "training needs at least two labels, found {}{}",
                names.len(),
                names.first().map(|n| format!(" ({n})")).unwrap_or_default()
            )));
        }
        let targets: Vec<usize> = labels
            .iter()
            .map(|l| names.binary_search(l).unwrap_or(0))
            .collect();
        if extraction.vocabulary.is_empty() {
            return Err(Error::Data(
                "no term is left to learn from: the texts are empty or only stop words and numbers, \
                 or --min-df or --min-word-chars is too high"
                    .into(),
            ));
        }

        let idf = if params.features.idf {
            features::inverse_document_frequencies(&extraction.document_frequency, labels.len())
        } else {
            Vec::new()
        };
        Ok(Extracted {
            analyzer,
            names,
            targets,
            extraction,
            idf,
        })
    }

    /// The fit of [`ValidClassifierParams::fit`] once the texts are no longer needed.
    fn estimate(&self, extracted: Extracted) -> Result<Classifier> {
        let params = self;
        let Extracted {
            analyzer,
            names,
            targets,
            extraction,
            idf,
        } = extracted;
        let mut tokens = vec![0u64; names.len()];
        for (doc, &label) in extraction.docs.iter().zip(&targets) {
            tokens[label] += doc.iter().filter(|&&w| w != NO_WORD).count() as u64;
        }
        let vectorizer = Vectorizer::new(
            analyzer,
            params.features.clone(),
            extraction.vocabulary,
            idf,
        )
        .map_err(Error::Internal)?
        .with_known_words(extraction.known_words);
        let (tables, calibration) = fit_multinomial(
            extraction.docs,
            &vectorizer,
            &targets,
            names.len(),
            params.alpha,
            params.kind,
            params
                .calibrate
                .then_some(extraction.document_frequency.as_slice()),
        )?;
        let mut model =
            Classifier::from_tables(vectorizer, names, params.alpha, params.kind, tables)
                .map_err(Error::Internal)?;
        model.training_tokens = Some(tokens);
        model.calibration = calibration;
        Ok(model)
    }
}

/// Texts as linfa records, an article each, for linfa's traits: [`Fit`] on
/// `DatasetBase::new(Articles(texts), labels)` trains a [`Classifier`], whose [`Predict`]
/// gives each article's most probable label. Both have inherent methods of the same names
/// ([`ValidClassifierParams::fit`], [`Classifier::predict`]), so call the traits' by path:
///
/// ```
/// use artclass::{Articles, ClassifierParams, Language};
/// use linfa::prelude::*;
///
/// let texts = vec!["Des bureaux partagés en coworking", "Le service client répond"];
/// let labels = vec!["coworking", "customer_relation"];
/// let dataset = DatasetBase::new(Articles(texts), labels);
/// let params = ParamGuard::check(ClassifierParams::new(Language::French))?;
/// let model = Fit::fit(&params, &dataset)?;
/// let predicted: Vec<String> = Predict::predict(&model, &dataset);
/// assert_eq!(predicted, ["coworking", "customer_relation"]);
/// # Ok::<(), artclass::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Articles<T>(pub Vec<T>);

impl<T> Records for Articles<T> {
    type Elem = T;

    fn nsamples(&self) -> usize {
        self.0.len()
    }

    /// One: the text, which the classifier turns into its own features.
    fn nfeatures(&self) -> usize {
        1
    }
}

impl<T: AsRef<str> + Sync, L: AsRef<str>> Fit<Articles<T>, Vec<L>, Error>
    for ValidClassifierParams
{
    type Object = Classifier;

    fn fit(&self, dataset: &DatasetBase<Articles<T>, Vec<L>>) -> Result<Classifier> {
        ValidClassifierParams::fit(self, &dataset.records.0, &dataset.targets)
    }
}

impl<T: AsRef<str> + Sync> PredictInplace<Articles<T>, Vec<String>> for Classifier {
    fn predict_inplace(&self, articles: &Articles<T>, labels: &mut Vec<String>) {
        labels.clear();
        labels.extend(
            self.predict_proba_batch(&articles.0)
                .iter()
                .map(|prediction| self.labels[prediction.best().0].clone()),
        );
    }

    fn default_target(&self, articles: &Articles<T>) -> Vec<String> {
        Vec::with_capacity(articles.0.len())
    }
}

/// What [`ValidClassifierParams::fit`] learns from the texts, before estimating.
struct Extracted {
    analyzer: Analyzer,
    names: Vec<String>,
    targets: Vec<usize>,
    extraction: features::Extraction,
    idf: Vec<f64>,
}

/// Each label's training sums (the weights of its documents, added up per feature) and the
/// naive Bayes tables linfa-bayes fits on them, with document counts and priors restored.
///
/// Labels are summed in parallel, each by one thread in input order into one dense buffer
/// per thread, and each document's weighted counts are made just before they are added
/// (`docs` holds its word ids): the count vectors of the whole training set are never held
/// at once. (Timed on 20newsgroups, 2 threads, runs a few minutes apart: making them all,
/// then adding them up, took 84 ms; this takes 50–70.)
///
/// With `calibrate_with` (the features' document frequencies), the documents of a few folds
/// are kept to fit the probabilities' temperature ([`calibrate`]) once the full model's
/// log-probabilities are known.
fn fit_multinomial(
    mut docs: Vec<Vec<u32>>,
    vectorizer: &Vectorizer,
    targets: &[usize],
    n_classes: usize,
    alpha: f64,
    kind: NbKind,
    calibrate_with: Option<&[u32]>,
) -> Result<(NbTables, Option<calibrate::Calibration>)> {
    let n_features = vectorizer.vocabulary().len();
    let mut documents = vec![0usize; n_classes];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &class) in targets.iter().enumerate() {
        documents[class] += 1;
        members[class].push(i);
    }
    let vocabulary = vectorizer.vocabulary();
    let ngrams = vectorizer.config().ngrams;
    // One dense buffer per thread, left all zeros after each label, rather than fresh pages
    // (zeroed by the kernel, one fault each) for every label.
    let sums: Vec<SparseRow> = members
        .par_iter()
        .map_init(
            || {
                (
                    vec![0.0; n_features],
                    CountScratch::default(),
                    SparseRow::new(),
                )
            },
            |(sum, scratch, row), members| {
                for &doc in members {
                    vocabulary.count_into(&docs[doc], ngrams, scratch, row);
                    vectorizer.weigh(row);
                    for &(feature, value) in row.iter() {
                        sum[feature as usize] += value;
                    }
                }
                (0u32..)
                    .zip(sum.iter_mut())
                    .map(|(feature, value)| (feature, std::mem::take(value)))
                    .filter(|&(_, value)| value != 0.0)
                    .collect()
            },
        )
        .collect();
    let held_out: Vec<Vec<(usize, Vec<u32>)>> = if calibrate_with.is_some() {
        calibrate::held_out_folds(targets, n_classes)
    } else {
        Vec::new()
    }
    .into_iter()
    .map(|fold| {
        fold.into_iter()
            .map(|doc| (targets[doc], std::mem::take(&mut docs[doc])))
            .collect()
    })
    .collect();
    // The documents are summed: free them before the dense per-class arrays are made.
    drop(docs);
    crate::return_free_memory();
    let total = complement_total(&sums, n_features, kind);
    let log_absent = log_absent(total.as_deref(), n_features, alpha);
    let log_prob = fit_classes(&sums, total.as_deref(), n_features, alpha, |h| {
        LabelLogProb::new(h, &log_absent, alpha)
    })?;
    drop(total);
    // linfa-bayes's working arrays, freed, before the weights are made.
    crate::return_free_memory();
    let l1: Vec<f64> = if kind == NbKind::ComplementNorm {
        log_prob
            .par_iter()
            .map(|label| label.values(&log_absent, 0).map(f64::abs).sum())
            .collect()
    } else {
        Vec::new()
    };
    let calibration =
        if let (Some(document_frequency), false) = (calibrate_with, held_out.is_empty()) {
            let full = calibrate::FullModel {
                sums: &sums,
                class_count: &documents,
                vectorizer,
                kind,
                alpha,
                log_total: log_prob.iter().map(|label| label.log_total).collect(),
                l1: &l1,
                log_absent: &log_absent,
                document_frequency,
            };
            calibrate::calibrate(&calibrate::held_out_scores(&full, &held_out), n_classes)
        } else {
            None
        };
    drop(held_out);
    // The folds' tables, freed (their pages would otherwise add to the weights' peak).
    crate::return_free_memory();
    let temperature = calibration.map_or(1.0, |c| c.temperature);
    let weights = centred_weights(
        n_features,
        n_classes,
        kind,
        temperature,
        |class| l1[class],
        |first, block| {
            for (class, label) in log_prob.iter().enumerate() {
                let column = block.iter_mut().skip(class).step_by(n_classes);
                for (cell, value) in column.zip(label.values(&log_absent, first)) {
                    *cell = value;
                }
            }
        },
    );
    drop(log_prob);
    let total_documents: usize = documents.iter().sum();
    let tables = NbTables {
        // The same expression linfa-bayes uses, so the result is bit-identical to its own.
        prior: documents
            .iter()
            .map(|&d| d as f64 / total_documents as f64)
            .collect(),
        class_count: documents,
        weights: weights.into(),
        sums: Some(sums),
        temperature,
    };
    Ok((tables, calibration))
}

/// Fits linfa-bayes's `MultinomialNb` on each label's training sums (or, for the complement
/// rules, the sums of every other label), into feature-major tables.
///
/// linfa-bayes estimates each class from that class's rows alone (only the priors look at
/// every class, and those are kept apart), so fitting one class at a time gives the very
/// numbers a single fit would. One class at a time, a few in parallel: the dense
/// classes × features arrays are never all held at once in linfa's layout, and the classes
/// share the cores. The model file stores the sparse sums and not these dense tables, which
/// are a function of them: this function, run again, gives them back to the bit.
pub fn exact_tables_of(
    sums: &[SparseRow],
    n_features: usize,
    alpha: f64,
    kind: NbKind,
) -> Result<ExactTables> {
    let k = sums.len();
    let total = complement_total(sums, n_features, kind);
    let classes = fit_classes(sums, total.as_deref(), n_features, alpha, |h| h)?;
    let mut log_prob = vec![0.0; n_features * k];
    let mut feature_count = vec![0.0; n_features * k];
    for (class, histogram) in classes.iter().enumerate() {
        for j in 0..n_features {
            log_prob[j * k + class] = histogram.feature_log_prob[j];
            feature_count[j * k + class] = histogram.feature_count[j];
        }
    }
    Ok(ExactTables {
        log_prob,
        feature_count,
    })
}

/// For the complement rules, every label's sums added up, which the complement of a label
/// is taken from; `None` for the multinomial rule.
///
/// Added sparsely, in label order: the same sums, bit for bit, as adding the dense rows (a
/// feature a label lacks adds 0.0, which changes no sum of positive numbers).
fn complement_total(sums: &[SparseRow], n_features: usize, kind: NbKind) -> Option<Vec<f64>> {
    match kind {
        NbKind::Multinomial => None,
        NbKind::Complement | NbKind::ComplementNorm => {
            let mut total = vec![0.0; n_features];
            for sum in sums {
                for &(feature, value) in sum {
                    total[feature as usize] += value;
                }
            }
            Some(total)
        }
    }
}

/// linfa-bayes's fit of each class (on its sums, or with `total` on its complement: every
/// other label's sums), in parallel, keeping what `keep` takes of each.
fn fit_classes<T: Send>(
    sums: &[SparseRow],
    total: Option<&[f64]>,
    n_features: usize,
    alpha: f64,
    keep: impl Fn(ClassHistogram) -> T + Sync,
) -> Result<Vec<T>> {
    let k = sums.len();
    // Each thread fills one dense row per class into the same buffer, which linfa reads
    // through a view.
    (0..k)
        .into_par_iter()
        .map_init(
            || Array2::<f64>::zeros((1, n_features)),
            |row, class| {
                let mut dense = row.row_mut(0);
                match total {
                    None => {
                        dense.fill(0.0);
                        for &(feature, value) in &sums[class] {
                            dense[feature as usize] = value;
                        }
                    }
                    // The complement: every other label's sums (`t - 0.0` is `t`).
                    Some(total) => {
                        dense.assign(&ndarray::ArrayView1::from(total));
                        for &(feature, value) in &sums[class] {
                            let feature = feature as usize;
                            dense[feature] = total[feature] - value;
                        }
                    }
                }
                let dataset = linfa::DatasetBase::new(row.view(), Array1::from_elem(1, 0));
                let fitted: MultinomialNb<f64, usize> =
                    MultinomialNbParams::new().alpha(alpha).fit(&dataset)?;
                drop(dataset);
                let histogram = histograms_of(fitted)?
                    .pop()
                    .ok_or_else(|| Error::Internal("the fitted model lost a class".into()))?;
                if histogram.feature_count.len() != n_features
                    || histogram.feature_log_prob.len() != n_features
                {
                    return Err(Error::Internal("the fitted model lost features".into()));
                }
                Ok(keep(histogram))
            },
        )
        .collect()
}

/// One class of a fitted `MultinomialNb`: a field-for-field serde mirror of linfa-bayes's
/// private `ClassHistogram`, which its serde form lets us read and rebuild.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassHistogram {
    /// The label's training documents (linfa's number of rows of the class).
    pub class_count: usize,
    /// The label's prior probability: its share of the training documents.
    pub prior: f64,
    /// Per feature, the label's summed training weights (for the complement rules, the other
    /// labels'), unsmoothed.
    pub feature_count: Array1<f64>,
    /// Per feature, the smoothed log-probability of the feature given the label (for the
    /// complement rules, given the other labels).
    pub feature_log_prob: Array1<f64>,
}

/// Serde mirror of `MultinomialNb<f64, usize>`.
#[derive(Serialize, Deserialize)]
struct MultinomialNbMirror {
    class_info: HashMap<usize, ClassHistogram>,
}

/// The classes of a fitted model, by label (see [`collect`]).
fn histograms_of(nb: MultinomialNb<f64, usize>) -> Result<Vec<ClassHistogram>> {
    let mut classes = collect::classes_of(&nb)
        .map_err(|e| Error::Internal(format!("reading the fitted model: {e}")))?;
    drop(nb);
    classes.sort_by_key(|(class, _)| *class);
    if classes
        .iter()
        .enumerate()
        .any(|(i, (class, _))| i != *class)
    {
        return Err(Error::Internal("the fitted model lost a class".into()));
    }
    Ok(classes.into_iter().map(|(_, h)| h).collect())
}

/// A trained classifier: analyzer, vocabulary, labels and the fitted naive Bayes state.
///
/// The state is kept as flat feature-major tables (`[feature * classes + class]`), so scoring
/// one token reads one contiguous slice. Scoring reads only [`scoring_weights`]; linfa's
/// exact tables are only needed to save the model or rebuild linfa's object, and a model
/// loaded to score leaves them out.
pub struct Classifier {
    vectorizer: Vectorizer,
    labels: Vec<String>,
    alpha: f64,
    kind: NbKind,
    class_count: Vec<usize>,
    prior: Vec<f64>,
    /// What every label's score starts from: the log prior (multinomial rule) or 0.
    bias: Vec<f64>,
    weights: F32Table,
    /// Each label's training sums; `None` in a scoring-only model.
    sums: Option<Vec<SparseRow>>,
    /// Words kept as features in each label's training documents; known right after `fit`.
    training_tokens: Option<Vec<u64>>,
    /// The file the model was mapped from, to tell whether it changed under the map; `None`
    /// for a model trained, built in, or read whole.
    model_file: Option<crate::persist::ModelFile>,
    /// See [`NbTables::temperature`].
    temperature: f64,
    /// How the temperature was fitted; known right after `fit`.
    calibration: Option<calibrate::Calibration>,
}

/// What a model is, in brief: its tables would fill a screen.
impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("language", &self.analyzer_config().language)
            .field("labels", &self.labels)
            .field("features", &self.vocabulary().len())
            .field("kind", &self.kind)
            .field("alpha", &self.alpha)
            .finish_non_exhaustive()
    }
}

/// linfa-bayes's fitted state, transposed to `n_features × n_classes`, feature-major: what
/// [`exact_tables_of`] computes from the training sums.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactTables {
    /// linfa's `feature_log_prob`.
    pub log_prob: Vec<f64>,
    /// linfa's `feature_count`.
    pub feature_count: Vec<f64>,
}

/// The naive Bayes state of a [`Classifier`] in its flat, feature-major form.
pub struct NbTables {
    /// Training documents of each label, in the order of [`Classifier::labels`].
    pub class_count: Vec<usize>,
    /// Prior probability of each label, its share of the training documents, in the same
    /// order.
    pub prior: Vec<f64>,
    /// `n_features × n_classes`, feature-major: [`scoring_weights`] of the exact tables.
    pub weights: F32Table,
    /// Per label, the sums of its training documents' weights, sorted by feature, zeros left
    /// out; `None` for a scoring-only model.
    pub sums: Option<Vec<SparseRow>>,
    /// The probabilities' temperature ([`calibrate`]), already folded into `weights`: 1 for
    /// a model not calibrated.
    pub temperature: f64,
}

/// What scoring adds up, per feature and label: the log-probability (negated for the
/// complement rule, where a likely word of the complement is evidence against the label),
/// less its mean over the labels.
///
/// Adding the same number to every label's score leaves the softmax unchanged, so centring
/// loses nothing; it leaves small numbers (differences between labels), which `f32` holds to
/// about 1e-7 of their size. Half the bytes of `f64`: the table of a large model fits in the
/// CPU's last-level cache, and loads twice as fast.
///
/// For [`NbKind::ComplementNorm`] each label's factor (`label_scales`) is folded in before
/// centring, and so is 1 / `temperature` ([`calibrate`]), so scoring costs exactly what the
/// plain complement rule costs.
pub fn scoring_weights(
    log_prob: &[f64],
    classes: usize,
    kind: NbKind,
    temperature: f64,
) -> Vec<f32> {
    let classes = classes.max(1);
    let n_features = log_prob.len() / classes;
    centred_weights(
        n_features,
        classes,
        kind,
        temperature,
        |class| {
            (0..n_features)
                .map(|feature| log_prob[feature * classes + class].abs())
                .sum()
        },
        |first, block| block.copy_from_slice(&log_prob[first * classes..][..block.len()]),
    )
}

/// Features per block of [`centred_weights`].
const WEIGHT_BLOCK: usize = 4096;

/// [`scoring_weights`] of log-probabilities held in any form: `l1(class)` is the sum of a
/// label's absolute log-probabilities in feature order, `fill(first, block)` writes those
/// of the features from `first` on into `block`, feature-major. Feature-major tables and
/// linfa's per-label arrays so give the same weights, bit for bit (the same additions in
/// the same order).
fn centred_weights(
    n_features: usize,
    classes: usize,
    kind: NbKind,
    temperature: f64,
    l1: impl Fn(usize) -> f64 + Sync,
    fill: impl Fn(usize, &mut [f64]) + Sync,
) -> Vec<f32> {
    let scale = label_scales(kind, n_features, classes, l1);
    let factor = 1.0 / temperature;
    let sign = match kind {
        NbKind::Multinomial => 1.0,
        NbKind::Complement | NbKind::ComplementNorm => -1.0,
    };
    let mut weights = vec![0f32; n_features * classes];
    weights
        .par_chunks_mut(classes * WEIGHT_BLOCK)
        .enumerate()
        .for_each_init(
            || (Vec::new(), vec![0.0; classes]),
            |(log_prob, row), (block, out)| {
                log_prob.resize(out.len(), 0.0);
                fill(block * WEIGHT_BLOCK, log_prob);
                for (out, log_prob) in out
                    .chunks_exact_mut(classes)
                    .zip(log_prob.chunks_exact(classes))
                {
                    for ((v, &s), &p) in row.iter_mut().zip(&scale).zip(log_prob) {
                        *v = sign * s * p * factor;
                    }
                    let mean = row.iter().sum::<f64>() / classes as f64;
                    for (w, &v) in out.iter_mut().zip(row.iter()) {
                        *w = (v - mean) as f32;
                    }
                }
            },
        );
    weights
}

/// ln(count + α) of a feature a label's row lacks, as linfa-bayes computes it: the count is
/// 0, or for the complement rules the feature's `total`.
fn log_absent(total: Option<&[f64]>, n_features: usize, alpha: f64) -> Vec<f64> {
    match total {
        None => vec![(0.0 + alpha).ln(); n_features],
        Some(total) => total
            .par_iter()
            .map(|&count| (count + alpha).ln())
            .collect(),
    }
}

/// One label's log-probabilities as linfa-bayes fitted them, held as their difference from
/// those of the features the label's row lacks, `log_absent − ln(smoothed total)`: most of a
/// label's features are such, so the tables of every label take a fraction of their dense
/// size while the weights are made from them (on 20newsgroups, training's peak memory was
/// the 20 dense tables next to the weights). Exact by construction: a value that differs by
/// one bit from that expression is kept as it is.
struct LabelLogProb {
    log_total: f64,
    /// The features whose value is not the shared expression, ascending, and their values.
    features: Vec<u32>,
    values: Vec<f64>,
}

impl LabelLogProb {
    fn new(histogram: ClassHistogram, log_absent: &[f64], alpha: f64) -> Self {
        // linfa-bayes's expression for the smoothed total, so that the shared expression is
        // bit for bit what it computed for the features the label lacks.
        let log_total = histogram.feature_count.mapv(|x| x + alpha).sum().ln();
        let (mut features, mut values) = (Vec::new(), Vec::new());
        for (feature, (&value, &absent)) in
            (0u32..).zip(histogram.feature_log_prob.iter().zip(log_absent))
        {
            if value.to_bits() != (absent - log_total).to_bits() {
                features.push(feature);
                values.push(value);
            }
        }
        LabelLogProb {
            log_total,
            features,
            values,
        }
    }

    /// The log-probabilities from feature `first` to the last.
    fn values<'a>(&'a self, log_absent: &'a [f64], first: usize) -> impl Iterator<Item = f64> + 'a {
        let mut next = self.features.partition_point(|&f| (f as usize) < first);
        (first..log_absent.len()).map(move |feature| {
            if self
                .features
                .get(next)
                .is_some_and(|&f| f as usize == feature)
            {
                next += 1;
                self.values[next - 1]
            } else {
                log_absent[feature] - self.log_total
            }
        })
    }
}

impl Classifier {
    /// Assembles a classifier from flat tables, checking that every part agrees.
    pub fn from_tables(
        vectorizer: Vectorizer,
        labels: Vec<String>,
        alpha: f64,
        kind: NbKind,
        tables: NbTables,
    ) -> std::result::Result<Self, String> {
        let k = labels.len();
        let cells = vectorizer.vocabulary().len() * k;
        if k < 2 || tables.class_count.len() != k || tables.prior.len() != k {
            return Err(format!(
                "{k} labels for {} classes and {} priors",
                tables.class_count.len(),
                tables.prior.len()
            ));
        }
        if labels.windows(2).any(|w| w[0] >= w[1]) {
            return Err("labels are not sorted and unique".into());
        }
        if tables.weights.len() != cells {
            return Err(format!(
                "tables do not match {} features × {k} classes",
                vectorizer.vocabulary().len()
            ));
        }
        // All exponent bits set: infinite or NaN. Or-ed over the table rather than
        // `any(is_finite)`, which stops early and so is not vectorised: 6 million weights in
        // a large model, checked on every load, in blocks on all threads.
        const EXPONENT: u32 = 0x7f80_0000;
        let non_finite = tables
            .weights
            .par_chunks(1 << 16)
            .map(|block| {
                block
                    .iter()
                    .fold(false, |seen, w| seen | (w.to_bits() & EXPONENT == EXPONENT))
            })
            .reduce(|| false, |a, b| a | b);
        if tables.prior.iter().any(|p| !(*p > 0.0 && *p <= 1.0))
            || non_finite
            || !(tables.temperature.is_finite() && tables.temperature > 0.0)
        {
            return Err("probabilities out of range".into());
        }
        if let Some(sums) = &tables.sums {
            let n_features = vectorizer.vocabulary().len() as u32;
            let valid = |row: &SparseRow| {
                row.windows(2).all(|pair| pair[0].0 < pair[1].0)
                    && row
                        .iter()
                        .all(|&(f, v)| f < n_features && v.is_finite() && v > 0.0)
            };
            if sums.len() != k || !sums.iter().all(valid) {
                return Err("training sums out of range".into());
            }
        }
        // The temperature divides the words' part alone: a text without a known word keeps
        // the priors.
        let bias = match kind {
            NbKind::Multinomial => tables.prior.iter().map(|p| p.ln()).collect(),
            NbKind::Complement | NbKind::ComplementNorm => vec![0.0; k],
        };
        Ok(Classifier {
            vectorizer,
            labels,
            alpha,
            kind,
            class_count: tables.class_count,
            prior: tables.prior,
            bias,
            weights: tables.weights,
            sums: tables.sums,
            training_tokens: None,
            model_file: None,
            temperature: tables.temperature,
            calibration: None,
        })
    }

    /// The model, remembering the file it was mapped from (see
    /// [`Classifier::check_model_file_unchanged`]).
    pub(crate) fn with_model_file(mut self, file: crate::persist::ModelFile) -> Self {
        self.model_file = Some(file);
        self
    }

    /// Fails, naming the file, when the model file this model was mapped from was rewritten
    /// in place since it was loaded (its weights may have changed mid-run): for a command to
    /// call before it commits its output. Nothing to check for a model trained, built in or
    /// read whole.
    pub fn check_model_file_unchanged(&self) -> Result<()> {
        self.model_file
            .as_ref()
            .map_or(Ok(()), crate::persist::ModelFile::check_unchanged)
    }

    /// The probabilities' temperature: they are the softmax of the naive Bayes scores divided
    /// by it (1 for a model not calibrated, see [`calibrate`]).
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// How [`Classifier::temperature`] was fitted, for a model just trained with
    /// calibration on; `None` otherwise (a model loaded, or too few documents to tell).
    pub fn calibration(&self) -> Option<&calibrate::Calibration> {
        self.calibration.as_ref()
    }

    /// Prior probability of each label.
    pub fn priors(&self) -> &[f64] {
        &self.prior
    }

    /// What scoring adds up ([`scoring_weights`]), `n_features × n_labels`, feature-major.
    pub fn scoring_weights(&self) -> &[f32] {
        &self.weights
    }

    /// Whether [`Classifier::scoring_weights`] are read in place from a mapped model file.
    pub fn weights_are_mapped(&self) -> bool {
        self.weights.is_mapped()
    }

    /// Each label's training sums (see [`NbTables::sums`]); `None` for a model loaded for
    /// scoring only.
    pub fn training_sums(&self) -> Option<&[SparseRow]> {
        self.sums.as_deref()
    }

    /// linfa-bayes's exact state, fitted again from the training sums. Needs the training
    /// sums, which a scoring-only model does not have.
    pub fn exact_tables(&self) -> Result<ExactTables> {
        let sums = self.sums.as_ref().ok_or_else(|| {
            Error::Unsupported(
                "this model was loaded for scoring only, without its training counts".into(),
            )
        })?;
        exact_tables_of(sums, self.vocabulary().len(), self.alpha, self.kind)
    }

    /// Words kept as features in each label's training documents (after analysis and
    /// pruning): known for a model just trained, `None` for one loaded from a file.
    pub fn training_tokens(&self) -> Option<&[u64]> {
        self.training_tokens.as_deref()
    }

    /// Number of training documents of each label.
    pub fn class_counts(&self) -> &[usize] {
        &self.class_count
    }

    /// The fitted naive Bayes state, one entry per label, in linfa-bayes's form. Needs the
    /// training counts, which a scoring-only model does not have.
    pub fn classes(&self) -> Result<Vec<ClassHistogram>> {
        let exact = self.exact_tables()?;
        let k = self.labels.len();
        let column = |table: &[f64], c: usize| table.iter().skip(c).step_by(k).copied().collect();
        Ok((0..k)
            .map(|c| ClassHistogram {
                class_count: self.class_count[c],
                prior: self.prior[c],
                feature_count: column(&exact.feature_count, c),
                feature_log_prob: column(&exact.log_prob, c),
            })
            .collect())
    }

    /// Labels in the order of every probability vector.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Position of `label` in [`labels`](Self::labels), if the model knows it: as written,
    /// or read as training reads labels (trimmed, NFC: [`crate::input::normalize_label`]).
    pub fn label_index(&self, label: &str) -> Option<usize> {
        let find = |label: &str| self.labels.binary_search_by(|l| l.as_str().cmp(label)).ok();
        find(label).or_else(|| {
            let normalized = crate::input::normalize_label(label);
            (normalized != label).then(|| find(&normalized)).flatten()
        })
    }

    /// The additive smoothing the model was trained with (`--alpha`).
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The decision rule the model was trained with (`--nb`).
    pub fn kind(&self) -> NbKind {
        self.kind
    }

    /// The analyzer settings the model was trained with, which scoring uses too.
    pub fn analyzer_config(&self) -> &AnalyzerConfig {
        self.vectorizer.analyzer().config()
    }

    /// The feature settings the model was trained with, which scoring uses too.
    pub fn feature_config(&self) -> &FeatureConfig {
        self.vectorizer.config()
    }

    /// The model's features: words, then n-grams.
    pub fn vocabulary(&self) -> &Vocabulary {
        self.vectorizer.vocabulary()
    }

    /// What turns a text into the model's weighted features, as in training.
    pub fn vectorizer(&self) -> &Vectorizer {
        &self.vectorizer
    }

    /// The same state as a linfa-bayes `MultinomialNb` (classes numbered like [`labels`]),
    /// fitted on the weighted counts of [`Classifier::vectorizer`].
    ///
    /// For the complement rules ([`NbKind::is_complement`], the default's among them) it is
    /// the model of each label's *complement*: its `predict` picks, for each row, the label
    /// whose complement fits the row best, the opposite of artclass's decision; and the
    /// weight normalisation and the temperature are not in it. Use it to read the fitted
    /// tables; classify with [`Classifier::predict`] or a [`Scorer`].
    ///
    /// [`labels`]: Classifier::labels
    pub fn to_linfa(&self) -> Result<MultinomialNb<f64, usize>> {
        let mirror = MultinomialNbMirror {
            class_info: self.classes()?.into_iter().enumerate().collect(),
        };
        let bytes = postcard::to_allocvec(&mirror)
            .map_err(|e| Error::Internal(format!("rebuilding the linfa model: {e}")))?;
        postcard::from_bytes(&bytes)
            .map_err(|e| Error::Internal(format!("rebuilding the linfa model: {e}")))
    }

    /// Probabilities of each label for a sparse row (a numerically stable softmax of the
    /// joint log-likelihoods). `out` holds a probability per label, and the row's feature ids
    /// are the model's own ([`Scorer`] makes both).
    pub(crate) fn predict_proba_row(&self, row: &SparseRow, out: &mut [f64]) {
        /// Rows ahead whose weights are fetched while this one is added: they are scattered
        /// over a table larger than the CPU's inner caches, most on pages the TLB does not
        /// hold. (Measured, 40 MB, one thread, runs alternated: 16 ahead took 4 % less CPU
        /// than 8; 12 and 20 about the same as 16, 32 and 4 more.)
        const AHEAD: usize = 16;
        let k = self.labels.len();
        let out = &mut out[..k];
        out.copy_from_slice(&self.bias);
        for (i, &(feature, count)) in row.iter().enumerate() {
            if let Some(&(ahead, _)) = row.get(i + AHEAD) {
                let start = ahead as usize * k;
                crate::prefetch(&self.weights[start]);
                crate::prefetch(&self.weights[start + k - 1]);
            }
            let start = feature as usize * k;
            for (o, w) in out.iter_mut().zip(&self.weights[start..start + k]) {
                *o += count * f64::from(*w);
            }
        }
        softmax(out);
    }

    /// [`Scorer::predict_proba`] of each text, in order, on rayon's threads, each with a
    /// scorer of its own.
    pub fn predict_proba_batch<T: AsRef<str> + Sync>(&self, texts: &[T]) -> Vec<Prediction> {
        texts
            .par_iter()
            .map_init(
                || self.scorer(),
                |scorer, text| scorer.predict_proba(text.as_ref()),
            )
            .collect()
    }

    /// The most probable label for one text, and its probability. As
    /// [`Classifier::predict_proba`], it makes a [`Scorer`] for the call.
    ///
    /// A text without a word the model knows (an empty one, say) gets the priors with the
    /// multinomial rule, and the same probability for every label with the complement rules:
    /// the label then says nothing of the text. [`Scorer::predict_proba`] tells, by its
    /// [`Prediction::known_features`].
    pub fn predict(&self, text: &str) -> (&str, f64) {
        let (best, probability) = self.scorer().predict_proba(text).best();
        (&self.labels[best], probability)
    }

    /// Probabilities of each label for one text, in the order of [`Classifier::labels`]. It
    /// makes a [`Scorer`] for the call: for many texts, keep one per thread
    /// ([`Classifier::scorer`]), whose word cache then serves them all.
    pub fn predict_proba(&self, text: &str) -> Vec<f64> {
        self.scorer().predict_proba(text).probabilities
    }

    /// A scorer with its own caches: make one per thread.
    pub fn scorer(&self) -> Scorer<'_> {
        Scorer {
            model: self,
            scratch: TransformScratch::default(),
            row: SparseRow::new(),
        }
    }
}

/// Per-label factors of the complement log-probabilities for [`NbKind::ComplementNorm`]:
/// Rennie's weight normalisation divides label `c`'s weights by Σ_f |log P(f | not c)|;
/// multiplying back by the mean of those sums keeps the decision the same and the scores on
/// the scale of the plain complement rule, so the probabilities stay as soft. 1 otherwise.
fn label_scales(
    kind: NbKind,
    n_features: usize,
    k: usize,
    l1: impl Fn(usize) -> f64 + Sync,
) -> Vec<f64> {
    if kind != NbKind::ComplementNorm || n_features == 0 {
        return vec![1.0; k];
    }
    // One label per task, each summed in feature order: the same bits as one loop over all.
    let l1: Vec<f64> = (0..k).into_par_iter().map(&l1).collect();
    let mean = l1.iter().sum::<f64>() / k as f64;
    l1.iter()
        .map(|&sum| if sum > 0.0 { mean / sum } else { 1.0 })
        .collect()
}

fn softmax(values: &mut [f64]) {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        total += *v;
    }
    for v in values.iter_mut() {
        *v /= total;
    }
}

/// Scores texts with a [`Classifier`], reusing per-thread caches between texts.
pub struct Scorer<'m> {
    model: &'m Classifier,
    scratch: TransformScratch,
    /// The current text's features, kept to reuse the allocation.
    row: SparseRow,
}

/// A text's scores.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// One probability per label, in [`Classifier::labels`] order.
    pub probabilities: Vec<f64>,
    /// How many distinct features of the model the text has; 0 means the answer is the
    /// prior alone (an empty text, or no word the model knows).
    pub known_features: usize,
}

impl Prediction {
    /// Index and probability of the most probable label (first one on ties).
    pub fn best(&self) -> (usize, f64) {
        self.probabilities.iter().copied().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |best, (i, p)| {
                if p > best.1 { (i, p) } else { best }
            },
        )
    }
}

impl Scorer<'_> {
    /// The probabilities of each label for `text` and how many of the model's features it
    /// holds, reusing this scorer's caches (the result is the same without them).
    pub fn predict_proba(&mut self, text: &str) -> Prediction {
        let row = &mut self.row;
        self.model
            .vectorizer
            .transform_into(text, &mut self.scratch, row);
        let mut probabilities = vec![0.0; self.model.labels.len()];
        self.model.predict_proba_row(row, &mut probabilities);
        Prediction {
            probabilities,
            known_features: row.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa_bayes::NaiveBayes;

    /// Scoring adds `f32` weights (see [`scoring_weights`]): probabilities agree with
    /// linfa's `f64` ones to about 1e-8, far below the six decimals `score` prints.
    const SCORING_TOLERANCE: f64 = 1e-6;

    fn corpus() -> (Vec<&'static str>, Vec<&'static str>) {
        let docs = [
            (
                "Nouvel espace de coworking avec bureaux partagés et postes nomades.",
                "coworking",
            ),
            (
                "Le coworking du village accueille des indépendants et des télétravailleurs.",
                "coworking",
            ),
            (
                "Les freelances louent un poste dans un tiers-lieu partagé.",
                "coworking",
            ),
            (
                "Le service client répond aux réclamations par téléphone et par chat.",
                "customer_relation",
            ),
            (
                "Le centre de contact mesure la satisfaction client avec le NPS.",
                "customer_relation",
            ),
            (
                "La formation professionnelle financée par le CPF attire les salariés.",
                "training",
            ),
            (
                "Une reconversion grâce à une formation en ligne certifiante.",
                "training",
            ),
            (
                "La boutique en ligne améliore son taux de conversion et la livraison.",
                "ecommerce",
            ),
            (
                "Le panier moyen progresse sur la place de marché en ligne.",
                "ecommerce",
            ),
        ];
        docs.iter().copied().unzip()
    }

    /// Parameters keeping every word and n-gram: the corpus above is too small to prune.
    fn every_feature() -> ClassifierParams {
        ClassifierParams::new(Language::French)
            .min_df(1)
            .min_df_ngrams(Some(1))
    }

    #[test]
    fn settings_out_of_range_are_refused_before_any_work() {
        for alpha in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e308, MAX_ALPHA * 2.0] {
            let err = ClassifierParams::new(Language::French)
                .alpha(alpha)
                .check()
                .unwrap_err();
            assert!(
                matches!(&err, Error::Params(m) if m.starts_with("alpha")),
                "{err}"
            );
        }
        let params = ClassifierParams::new(Language::French).alpha(MAX_ALPHA);
        assert_eq!(params.check_ref().unwrap().alpha(), MAX_ALPHA);
        // linfa's guard says the same.
        let err = ParamGuard::check(ClassifierParams::new(Language::French).ngrams(0));
        assert!(matches!(err, Err(Error::Params(_))));
    }

    #[test]
    fn labels_are_found_as_written_or_as_training_reads_them() {
        let model = fit_corpus(every_feature());
        let index = model.label_index("training").unwrap();
        assert_eq!(model.label_index(" training\u{200B}"), Some(index));
        assert_eq!(model.label_index("Training"), None);
    }

    /// `params` fitted on [`corpus`].
    fn fit_corpus(params: ClassifierParams) -> Classifier {
        let (texts, labels) = corpus();
        params.check().unwrap().fit(&texts, &labels).unwrap()
    }

    fn dense(model: &Classifier, texts: &[&str]) -> Array2<f64> {
        let mut x = Array2::zeros((texts.len(), model.vocabulary().len()));
        let mut scratch = TransformScratch::default();
        for (i, text) in texts.iter().enumerate() {
            for (j, c) in model.vectorizer().transform(text, &mut scratch) {
                x[[i, j as usize]] = c;
            }
        }
        x
    }

    #[test]
    fn sparse_fit_equals_linfa_dense_fit_and_probabilities_match() {
        let (texts, labels) = corpus();
        for alpha in [1.0, 0.1, 0.01] {
            let model = fit_corpus(
                every_feature()
                    .kind(NbKind::Multinomial)
                    .norm(Norm::None)
                    .alpha(alpha)
                    .ngrams(2),
            );
            // linfa-bayes on the dense documents × vocabulary matrix, the reference.
            let x = dense(&model, &texts);
            let y: Array1<usize> = labels
                .iter()
                .map(|l| model.labels().iter().position(|m| m == l).unwrap())
                .collect();
            let reference = MultinomialNbParams::new()
                .alpha(alpha)
                .fit(&Dataset::new(x.clone(), y))
                .unwrap();
            assert_eq!(model.to_linfa().unwrap(), reference, "alpha {alpha}");

            let queries = [
                "Un espace de coworking pour les indépendants.",
                "La satisfaction du client et le service après-vente.",
                "Formation en ligne et panier moyen.",
                "mot inconnu",
            ];
            let (expected, classes) = reference.predict_proba(dense(&model, &queries).view());
            assert_eq!(
                classes,
                (0..model.labels().len())
                    .collect::<Vec<_>>()
                    .iter()
                    .collect::<Vec<_>>()
            );
            for (i, query) in queries.iter().enumerate() {
                let ours = model.predict_proba(query);
                for (c, p) in ours.iter().enumerate() {
                    assert!(
                        (p - expected[[i, c]]).abs() < SCORING_TOLERANCE,
                        "{query}: {p} vs {}",
                        expected[[i, c]]
                    );
                }
            }
        }
    }

    #[test]
    fn weighted_features_match_linfa_on_the_same_dense_weights() {
        let (texts, labels) = corpus();
        let model = fit_corpus(
            every_feature()
                .kind(NbKind::Multinomial)
                .tf(TermFrequency::Log)
                .idf(true)
                .norm(Norm::L2)
                .alpha(0.05),
        );
        let y: Array1<usize> = labels
            .iter()
            .map(|l| model.labels().iter().position(|m| m == l).unwrap())
            .collect();
        let reference = MultinomialNbParams::new()
            .alpha(0.05)
            .fit(&Dataset::new(dense(&model, &texts), y))
            .unwrap();
        let queries = [
            "Un coworking et un service client.",
            "La formation en ligne.",
        ];
        let (expected, _) = reference.predict_proba(dense(&model, &queries).view());
        for (i, query) in queries.iter().enumerate() {
            for (c, p) in model.predict_proba(query).iter().enumerate() {
                assert!(
                    (p - expected[[i, c]]).abs() < SCORING_TOLERANCE,
                    "{query}: {p} vs {}",
                    expected[[i, c]]
                );
            }
        }
    }

    #[test]
    fn label_tables_keep_only_the_label_features_and_give_the_dense_weights() {
        for kind in [
            NbKind::Multinomial,
            NbKind::Complement,
            NbKind::ComplementNorm,
        ] {
            let model = fit_corpus(every_feature().kind(kind));
            // Training made its weights from the compact tables; the dense path, from linfa's
            // fit again, must give them to the bit.
            let exact = model.exact_tables().unwrap();
            let k = model.labels().len();
            let dense = scoring_weights(&exact.log_prob, k, kind, model.temperature());
            assert!(
                dense
                    .iter()
                    .zip(model.scoring_weights())
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{kind:?}"
            );
            let sums = model.training_sums().unwrap();
            let n = model.vocabulary().len();
            let total = complement_total(sums, n, kind);
            let log_absent = log_absent(total.as_deref(), n, model.alpha());
            for (class, histogram) in model.classes().unwrap().into_iter().enumerate() {
                let dense_column = histogram.feature_log_prob.to_vec();
                let label = LabelLogProb::new(histogram, &log_absent, model.alpha());
                // What the label's own rows have, and nothing else, is held apart.
                let own: Vec<u32> = sums[class].iter().map(|&(f, _)| f).collect();
                assert!(
                    label.features.iter().all(|f| own.binary_search(f).is_ok()),
                    "{kind:?}"
                );
                assert!(
                    label.features.len() * 2 > own.len(),
                    "{kind:?}: few kept apart"
                );
                for first in [0, 1, n / 2, n - 1] {
                    let back: Vec<f64> = label.values(&log_absent, first).collect();
                    assert!(
                        back.iter()
                            .zip(&dense_column[first..])
                            .all(|(a, b)| a.to_bits() == b.to_bits())
                            && back.len() == n - first,
                        "{kind:?} from {first}"
                    );
                }
            }
        }
    }

    #[test]
    fn complement_fit_equals_linfa_on_dense_complement_rows() {
        let (texts, labels) = corpus();
        let model = fit_corpus(
            every_feature()
                .norm(Norm::None)
                .kind(NbKind::Complement)
                .alpha(0.5),
        );
        let x = dense(&model, &texts);
        let k = model.labels().len();
        let y: Vec<usize> = labels
            .iter()
            .map(|l| model.labels().iter().position(|m| m == l).unwrap())
            .collect();
        // One row per label: the sum of every document of the other labels.
        let mut complement = Array2::<f64>::zeros((k, x.ncols()));
        for (row, &label) in x.rows().into_iter().zip(&y) {
            for c in (0..k).filter(|&c| c != label) {
                let mut target = complement.row_mut(c);
                target += &row;
            }
        }
        let reference = MultinomialNbParams::new()
            .alpha(0.5)
            .fit(&Dataset::new(complement, Array1::from_iter(0..k)))
            .unwrap();
        let ours = model.classes().unwrap();
        let theirs = histograms_of(reference.clone()).unwrap();
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a.feature_count, b.feature_count);
            assert_eq!(a.feature_log_prob, b.feature_log_prob);
        }
        // Score: minus the complement log-likelihood (no prior), then softmax.
        let query = "Un espace de coworking pour les indépendants.";
        let q = dense(&model, &[query]);
        let scores: Vec<f64> = theirs
            .iter()
            .map(|h| -q.row(0).dot(&h.feature_log_prob))
            .collect();
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = scores.iter().map(|s| (s - max).exp()).sum();
        for (c, p) in model.predict_proba(query).iter().enumerate() {
            assert!((p - (scores[c] - max).exp() / total).abs() < SCORING_TOLERANCE);
        }
        assert_eq!(
            model.labels()[model.scorer().predict_proba(query).best().0],
            "coworking"
        );
    }

    #[test]
    fn normalized_complement_divides_each_label_by_its_l1_norm() {
        let fit = |kind| fit_corpus(every_feature().kind(kind).alpha(0.1));
        let plain = fit(NbKind::Complement);
        let normed = fit(NbKind::ComplementNorm);
        // Same fitted state as the complement rule: only scoring differs.
        let log_prob = &normed.exact_tables().unwrap().log_prob;
        assert_eq!(&plain.exact_tables().unwrap().log_prob, log_prob);
        let k = normed.labels().len();
        let l1: Vec<f64> = (0..k)
            .map(|c| log_prob.iter().skip(c).step_by(k).map(|p| p.abs()).sum())
            .collect();
        let mean = l1.iter().sum::<f64>() / k as f64;
        let query = "Un espace de coworking pour les indépendants.";
        let q = dense(&normed, &[query]);
        let h = normed.classes().unwrap();
        // scikit-learn's ComplementNB(norm=True): Σ x·logP / Σ logP, here times the mean norm.
        let scores: Vec<f64> = (0..k)
            .map(|c| q.row(0).dot(&h[c].feature_log_prob) / -l1[c] * mean)
            .collect();
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = scores.iter().map(|s| (s - max).exp()).sum();
        for (c, p) in normed.predict_proba(query).iter().enumerate() {
            assert!((p - (scores[c] - max).exp() / total).abs() < SCORING_TOLERANCE);
        }
    }

    #[test]
    fn predicts_the_obvious_theme() {
        let model = fit_corpus(every_feature());
        let prediction = model
            .scorer()
            .predict_proba("Un coworking ouvre des bureaux partagés.");
        assert_eq!(model.labels()[prediction.best().0], "coworking");
        assert!(prediction.known_features >= 3);
        let unknown = model.scorer().predict_proba("zzz qqq");
        assert_eq!(unknown.known_features, 0);
    }

    #[test]
    fn refuses_bad_settings_and_single_label() {
        assert!(
            ClassifierParams::new(Language::French)
                .alpha(0.0)
                .check()
                .is_err()
        );
        assert!(
            ClassifierParams::new(Language::French)
                .alpha(f64::NAN)
                .check()
                .is_err()
        );
        assert!(
            ClassifierParams::new(Language::French)
                .ngrams(0)
                .check()
                .is_err()
        );
        assert!(
            ClassifierParams::new(Language::French)
                .min_df(0)
                .check()
                .is_err()
        );
        let params = ClassifierParams::new(Language::French).check().unwrap();
        let err = params
            .fit(&["un texte", "un autre"], &["a", "a"])
            .err()
            .unwrap();
        assert!(err.to_string().contains("at least two labels"), "{err}");
    }
}
