//! Temperature scaling: how sharp the probabilities are, fitted on held-out training documents.
//!
//! A naive Bayes score adds up every word as independent evidence, and the complement rules'
//! scale is a convention, so the softmax of the scores is no calibrated probability. Measured
//! on 20newsgroups' test split with the defaults: where the model said 0.15, it was right
//! 73 % of the time, and its log-loss was 1.02. One factor β on the words' part of every
//! label's score (softmax(log prior + β·Σ x·log P), a temperature of 1/β; the complement
//! rules have no prior part, and a text without a known word keeps the priors) changes no
//! decision; it is chosen to minimise the
//! log-loss of training documents held out in folds, each scored by the model fitted without
//! its fold.
//!
//! A fold's model is not fitted again: holding documents out changes the sums only on their
//! own features, so the fold's log-probabilities there (linfa-bayes's expression,
//! ln(count + α) − ln Σ(count + α)) and each label's normalising sum are updated from the full
//! model's. The cost grows with the held-out documents' features, not with the vocabulary
//! times the folds (`tests::folds_score_as_models_fitted_without_them` checks the result
//! against models fitted by linfa-bayes on each fold's documents). It is exact when every
//! feature the fold's model lacks is in no document it learns from (the default min-df of
//! words, 1); two things are approximate: a training document that loses an n-gram pruned
//! in the fold keeps its other weights as they were scaled with it, and with `--idf` the
//! documents are weighed by the full set's idf.

use super::NbKind;
use crate::features::{CountScratch, SparseRow, Vectorizer};
use rayon::prelude::*;

/// Fewest folds the training documents are dealt into, per label: each fold's model learns
/// from four fifths of them at least.
const FOLDS: usize = 5;
/// Held-out documents wanted: folds are scored until this many are. One number is fitted:
/// on 20newsgroups, out-of-fold samples of 1 000 documents gave temperatures within 11 % of
/// the one fitted on all 11 314, where the log-loss barely moves; more only cost time.
const ENOUGH_DOCUMENTS: usize = 1000;
/// Fewer held-out documents than this leave the scores as they are: too few to tell.
pub const MIN_DOCUMENTS: usize = 100;
/// The factor is kept within [1/`MAX_FACTOR`, `MAX_FACTOR`] (a temperature from 0.2 to 5): a
/// training set that its own folds classify without error would otherwise push it without
/// bound, to probabilities of 1. The public sets and the built-in corpus fit 0.32 to 0.93.
pub const MAX_FACTOR: f64 = 5.0;

/// What the calibration found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// The temperature: probabilities are the softmax of the scores divided by it (below 1,
    /// sharper; above 1, softer).
    pub temperature: f64,
    /// Held-out training documents it was fitted on.
    pub documents: usize,
    /// Their log-loss (mean −ln of the probability of the true label) before and after.
    pub log_loss_before: f64,
    /// See `log_loss_before`.
    pub log_loss_after: f64,
    /// Whether the temperature stopped at a bound of its range (1/[`MAX_FACTOR`] or
    /// [`MAX_FACTOR`]): the held-out documents asked for more (filed all right, say), and
    /// the probabilities are less to be trusted than the log-loss says.
    pub at_bound: bool,
}

/// The documents of each fold to hold out, by index, in the order they are scored: each
/// label's documents dealt in turn to [`FOLDS`] folds, or more, of about [`ENOUGH_DOCUMENTS`]
/// each, and folds taken until that many are held out. Labels of a single document are never
/// held out (their fold's model would lack the label). Empty when all folds together hold
/// fewer than [`MIN_DOCUMENTS`].
pub(crate) fn held_out_folds(targets: &[usize], n_classes: usize) -> Vec<Vec<usize>> {
    let mut position = vec![0usize; n_classes];
    let mut documents = vec![0usize; n_classes];
    for &label in targets {
        documents[label] += 1;
    }
    let n_folds = FOLDS.max(targets.len() / ENOUGH_DOCUMENTS);
    // Each label starts at a fold of its own, so that the first folds do not get the first
    // document of every small label.
    for (label, position) in position.iter_mut().enumerate() {
        *position = label % n_folds;
    }
    let mut folds = vec![Vec::new(); n_folds];
    for (doc, &label) in targets.iter().enumerate() {
        if documents[label] >= 2 {
            folds[position[label] % n_folds].push(doc);
        }
        position[label] += 1;
    }
    if folds.iter().map(Vec::len).sum::<usize>() < MIN_DOCUMENTS {
        return Vec::new();
    }
    let mut held = 0;
    folds
        .into_iter()
        .take_while(|fold| {
            let more = held < ENOUGH_DOCUMENTS;
            held += fold.len();
            more
        })
        .collect()
}

/// The full model, as the folds' updates need it.
pub(crate) struct FullModel<'a> {
    /// Each label's training sums.
    pub sums: &'a [SparseRow],
    /// Training documents per label.
    pub class_count: &'a [usize],
    pub vectorizer: &'a Vectorizer,
    pub kind: NbKind,
    pub alpha: f64,
    /// Per label, linfa-bayes's ln Σ_f (count + α) (the counts: the label's sums, or for the
    /// complement rules every other label's).
    pub log_total: Vec<f64>,
    /// Per label, Σ_f |log P(f)|: for [`NbKind::ComplementNorm`], empty for the other rules.
    pub l1: &'a [f64],
    /// Per feature, ln(count + α) for a label whose sums lack it (the count is 0, or for the
    /// complement rules every label's sum).
    pub log_absent: &'a [f64],
    /// Per feature, the training documents that have it.
    pub document_frequency: &'a [u32],
}

/// Held-out documents' scores before the softmax, `n × k`, document-major: the prior's part
/// (the log prior for the multinomial rule, 0 for the complement rules) and the words'. The
/// temperature divides the words' part only: a text without a known word keeps the priors.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct HeldOut {
    pub prior: Vec<f64>,
    pub words: Vec<f64>,
    /// Each document's true label.
    pub labels: Vec<usize>,
}

/// The scores of each fold's documents under the model fitted without that fold: `folds`
/// gives each fold's documents as (label, word ids).
pub(crate) fn held_out_scores(model: &FullModel, folds: &[Vec<(usize, Vec<u32>)>]) -> HeldOut {
    let mut held = HeldOut::default();
    for fold in folds {
        let (prior, words) = fold_scores(model, fold);
        held.prior.extend(prior);
        held.words.extend(words);
        held.labels.extend(fold.iter().map(|(label, _)| *label));
    }
    held
}

/// [`held_out_scores`] of one fold: its prior and words parts.
fn fold_scores(model: &FullModel, fold: &[(usize, Vec<u32>)]) -> (Vec<f64>, Vec<f64>) {
    let k = model.sums.len();
    let vocabulary = model.vectorizer.vocabulary();
    let n_features = vocabulary.len();
    let ngrams = model.vectorizer.config().ngrams;
    let complement = model.kind.is_complement();
    // The held-out documents as the full model's training summed them.
    let counts: Vec<SparseRow> = fold
        .par_iter()
        .map_init(CountScratch::default, |scratch, (_, words)| {
            let mut row = SparseRow::new();
            vocabulary.count_into(words, ngrams, scratch, &mut row);
            row
        })
        .collect();
    let rows: Vec<SparseRow> = counts
        .par_iter()
        .map(|counts| {
            let mut row = counts.clone();
            model.vectorizer.weigh(&mut row);
            row
        })
        .collect();
    // Their features, numbered densely.
    let mut features: Vec<u32> = rows.iter().flatten().map(|&(f, _)| f).collect();
    features.par_sort_unstable();
    features.dedup();
    let mut slot = vec![u32::MAX; n_features];
    for (i, &feature) in features.iter().enumerate() {
        slot[feature as usize] = i as u32;
    }
    let m = features.len();
    // Every label's sums and the held-out documents' on those features.
    let mut total = vec![0.0; m];
    for sum in model.sums {
        for &(feature, value) in sum {
            let i = slot[feature as usize];
            if i != u32::MAX {
                total[i as usize] += value;
            }
        }
    }
    let mut held = vec![0.0; m];
    let mut held_documents = vec![0u32; m];
    let mut held_per_label = vec![0.0; k];
    for (row, (label, _)) in rows.iter().zip(fold) {
        for &(feature, value) in row {
            let i = slot[feature as usize] as usize;
            held[i] += value;
            held_documents[i] += 1;
            held_per_label[*label] += value;
        }
    }
    let held_all: f64 = held_per_label.iter().sum();
    let all: f64 = model.sums.iter().flatten().map(|&(_, v)| v).sum();
    // The fold's vocabulary: the features that keep their min-df without the fold, n-grams
    // of its words only (a word pruned breaks the n-grams it was in). A held-out document
    // loses the others, as a text loses the words a model does not know.
    let config = model.vectorizer.config();
    let n_words = vocabulary.words().len();
    let min_df = |feature: usize| {
        if feature < n_words {
            config.min_df
        } else {
            config.min_df_ngrams.unwrap_or(config.min_df)
        }
    };
    let mut kept: Vec<bool> = features
        .iter()
        .zip(&held_documents)
        .map(|(&feature, &held)| {
            let feature = feature as usize;
            model.document_frequency[feature].saturating_sub(held) as usize >= min_df(feature)
        })
        .collect();
    for i in 0..m {
        let feature = features[i] as usize;
        if kept[i] && feature >= n_words {
            kept[i] = vocabulary.ngrams()[feature - n_words]
                .iter()
                .take_while(|&&word| word != crate::features::NO_WORD)
                .all(|&word| kept[slot[word as usize] as usize]);
        }
    }
    let fold_features = n_features - kept.iter().filter(|&&k| !k).count();
    // Each held-out document without those features: n-grams of the words it loses are lost
    // too, so its counts need no recounting, only weighing again. (A training document that
    // loses an n-gram this way keeps its other weights as they were scaled with it: the
    // update is exact when every feature the fold loses is its own, as with the default
    // min-df of words, 1, and approximate for n-grams at their min-df.)
    let fold_rows: Vec<Vec<(u32, f64)>> = counts
        .into_par_iter()
        .map(|mut row| {
            row.retain(|&(feature, _)| kept[slot[feature as usize] as usize]);
            model.vectorizer.weigh(&mut row);
            // By the features' dense numbers, which the labels' tables below use.
            row.iter()
                .map(|&(feature, x)| (slot[feature as usize], x))
                .collect()
        })
        .collect();
    let alpha = model.alpha;
    let normalised = !model.l1.is_empty();
    // ln(count + α) before and after the fold of a label that has none of the feature, in
    // its sums or its held-out documents: most labels for most features, the same for all.
    // Logarithms are most of the cost; each label takes only those of its own features.
    let absent_after: Vec<f64> = (0..m)
        .into_par_iter()
        .map(|i| {
            let after = if complement { total[i] - held[i] } else { 0.0 };
            (after.max(0.0) + alpha).ln()
        })
        .collect();
    let held_count = |label: usize| fold.iter().filter(|(l, _)| *l == label).count();
    // Per label: its normalising sum in the fold's model, and Σ x·log P of each document.
    let per_label: Vec<(f64, Vec<f64>)> = (0..k)
        .into_par_iter()
        .map_init(
            || (vec![0.0; m], vec![0.0; m]),
            |(sum, mine), label| {
                sum.fill(0.0);
                mine.fill(0.0);
                let mut label_total = 0.0;
                for &(feature, value) in &model.sums[label] {
                    label_total += value;
                    let i = slot[feature as usize];
                    if i != u32::MAX {
                        sum[i as usize] = value;
                    }
                }
                for (row, (l, _)) in rows.iter().zip(fold) {
                    if *l == label {
                        for &(feature, value) in row {
                            mine[slot[feature as usize] as usize] += value;
                        }
                    }
                }
                // Σ_f of the label's fitted counts in the fold's model.
                let fold_count = if complement {
                    (all - held_all) - (label_total - held_per_label[label])
                } else {
                    label_total - held_per_label[label]
                };
                let fold_log_total = (fold_count.max(0.0) + fold_features as f64 * alpha).ln();
                // Σ_f ln(count + α) over the full vocabulary, less the fold's features,
                // plus the kept ones' new values: the fold's.
                let mut full_logs = 0.0;
                let mut fold_logs = 0.0;
                // `sum` becomes the fold's log-probabilities, on the kept features.
                for i in 0..m {
                    let (log_before, log_after) = if sum[i] == 0.0 && mine[i] == 0.0 {
                        (model.log_absent[features[i] as usize], absent_after[i])
                    } else {
                        let (before, after) = if complement {
                            (total[i] - sum[i], (total[i] - held[i]) - (sum[i] - mine[i]))
                        } else {
                            (sum[i], sum[i] - mine[i])
                        };
                        let log_before = (before + alpha).ln();
                        let log_after = if after == before {
                            log_before
                        } else {
                            (after.max(0.0) + alpha).ln()
                        };
                        (log_before, log_after)
                    };
                    if normalised {
                        full_logs += log_before;
                    }
                    if kept[i] {
                        fold_logs += log_after;
                        sum[i] = log_after - fold_log_total;
                    }
                }
                let fold_l1 = match model.l1.get(label) {
                    Some(&l1) => {
                        let all_logs = n_features as f64 * model.log_total[label] - l1;
                        fold_features as f64 * fold_log_total - (all_logs - full_logs + fold_logs)
                    }
                    None => 0.0,
                };
                let scores = fold_rows
                    .iter()
                    .map(|row| row.iter().map(|&(i, x)| x * sum[i as usize]).sum())
                    .collect();
                (fold_l1, scores)
            },
        )
        .collect();
    let scale: Vec<f64> = if model.kind == NbKind::ComplementNorm {
        let mean = per_label.iter().map(|(l1, _)| l1).sum::<f64>() / k as f64;
        per_label
            .iter()
            .map(|&(l1, _)| if l1 > 0.0 { mean / l1 } else { 1.0 })
            .collect()
    } else {
        vec![1.0; k]
    };
    let fold_documents: usize = model.class_count.iter().sum::<usize>() - fold.len();
    let bias: Vec<f64> = (0..k)
        .map(|label| match model.kind {
            NbKind::Multinomial => {
                ((model.class_count[label] - held_count(label)) as f64 / fold_documents as f64).ln()
            }
            NbKind::Complement | NbKind::ComplementNorm => 0.0,
        })
        .collect();
    let sign = if complement { -1.0 } else { 1.0 };
    let mut words = vec![0.0; fold.len() * k];
    for (doc, out) in words.chunks_exact_mut(k).enumerate() {
        for (label, cell) in out.iter_mut().enumerate() {
            *cell = sign * scale[label] * per_label[label].1[doc];
        }
    }
    (bias.repeat(fold.len()), words)
}

/// One document's scores before the softmax, prior + β·words, label by label.
fn scaled<'a>(
    prior: &'a [f64],
    words: &'a [f64],
    beta: f64,
) -> impl Iterator<Item = f64> + Clone + 'a {
    prior.iter().zip(words).map(move |(p, w)| p + beta * w)
}

impl HeldOut {
    /// Each document's prior part, words part and true label, in order.
    fn documents(&self, k: usize) -> impl Iterator<Item = (&[f64], &[f64], usize)> {
        self.prior
            .chunks_exact(k)
            .zip(self.words.chunks_exact(k))
            .zip(&self.labels)
            .map(|((prior, words), &y)| (prior, words, y))
    }
}

/// Mean −ln p(true label) of `held` under softmax(prior + β·words).
pub(crate) fn log_loss(held: &HeldOut, k: usize, beta: f64) -> f64 {
    let total: f64 = held
        .documents(k)
        .map(|(prior, words, y)| {
            let z = scaled(prior, words, beta);
            let max = z.clone().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.map(|v| (v - max).exp()).sum();
            max + sum.ln() - (prior[y] + beta * words[y])
        })
        .sum();
    total / held.labels.len().max(1) as f64
}

/// The derivative of [`log_loss`] in β (times n): E_p[words] − words of the true label,
/// summed; it grows with β, the log-loss being convex in it. Summed in order, on one thread:
/// a parallel sum's order, and so its last bits, would depend on the number of threads, and
/// so could the model.
fn slope(held: &HeldOut, k: usize, beta: f64) -> f64 {
    held.documents(k)
        .map(|(prior, words, y)| {
            let z = scaled(prior, words, beta);
            let max = z.clone().fold(f64::NEG_INFINITY, f64::max);
            let (mut sum, mut weighted) = (0.0, 0.0);
            for (v, w) in z.zip(words) {
                let e = (v - max).exp();
                sum += e;
                weighted += e * w;
            }
            weighted / sum - words[y]
        })
        .sum()
}

/// The factor β within [1/`MAX_FACTOR`, `MAX_FACTOR`] that minimises the log-loss of
/// `held`: where its slope changes sign, found by bisection on ln β.
pub(crate) fn fit_factor(held: &HeldOut, k: usize) -> f64 {
    let (mut low, mut high) = (-MAX_FACTOR.ln(), MAX_FACTOR.ln());
    if slope(held, k, 1.0 / MAX_FACTOR) >= 0.0 {
        return 1.0 / MAX_FACTOR;
    }
    if slope(held, k, MAX_FACTOR) <= 0.0 {
        return MAX_FACTOR;
    }
    // 25 halvings: ln β to within 2·ln 5 / 2²⁵, a few millionths.
    for _ in 0..25 {
        let middle = 0.5 * (low + high);
        if slope(held, k, middle.exp()) < 0.0 {
            low = middle;
        } else {
            high = middle;
        }
    }
    (0.5 * (low + high)).exp()
}

/// The calibration of a model from its held-out scores, `None` with too few.
pub(crate) fn calibrate(held: &HeldOut, k: usize) -> Option<Calibration> {
    if held.labels.len() < MIN_DOCUMENTS {
        return None;
    }
    let beta = fit_factor(held, k);
    Some(Calibration {
        temperature: 1.0 / beta,
        documents: held.labels.len(),
        log_loss_before: log_loss(held, k, 1.0),
        log_loss_after: log_loss(held, k, beta),
        at_bound: beta == MAX_FACTOR || beta == 1.0 / MAX_FACTOR,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Classifier, ClassifierParams};
    use crate::text::Language;

    /// 150 short documents of three labels: each word from its label's pool or a shared one,
    /// and now and then a word no other document has (a feature only its fold holds).
    fn corpus() -> (Vec<String>, Vec<String>) {
        let pools = [
            (
                "coworking",
                ["bureau", "partagé", "coworking", "nomade", "poste", "loyer"],
            ),
            (
                "ecommerce",
                [
                    "panier",
                    "livraison",
                    "commande",
                    "boutique",
                    "paiement",
                    "retour",
                ],
            ),
            (
                "training",
                [
                    "formation",
                    "stage",
                    "diplôme",
                    "cours",
                    "apprenant",
                    "certificat",
                ],
            ),
        ];
        let shared = [
            "ville", "projet", "équipe", "client", "service", "lundi", "rapide",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        let (mut texts, mut labels) = (Vec::new(), Vec::new());
        for doc in 0..150 {
            let (label, pool) = pools[doc % 3];
            let mut words: Vec<String> = (0..5 + next(8))
                .map(|_| match next(10) {
                    0..6 => pool[next(pool.len())].to_string(),
                    _ => shared[next(shared.len())].to_string(),
                })
                .collect();
            if next(4) == 0 {
                let rare: String = [doc / 26, doc % 26]
                    .iter()
                    .map(|&i| char::from(b'a' + i as u8))
                    .collect();
                words.insert(next(words.len()), format!("zorglub{rare}"));
            }
            texts.push(words.join(" "));
            labels.push(label.to_string());
        }
        (texts, labels)
    }

    fn params(kind: NbKind) -> ClassifierParams {
        ClassifierParams::new(Language::French).kind(kind)
    }

    /// What [`held_out_scores`] needs of a model fitted on `texts`, from its linfa-bayes
    /// tables.
    fn full_model<'a>(
        model: &'a Classifier,
        texts: &[String],
        log_absent: &'a mut Vec<f64>,
        document_frequency: &'a mut Vec<u32>,
        l1: &'a mut Vec<f64>,
    ) -> FullModel<'a> {
        let k = model.labels().len();
        let exact = model.exact_tables().unwrap();
        let n_features = exact.log_prob.len() / k;
        let alpha = model.alpha();
        let sums = model.training_sums().unwrap();
        let mut total = vec![0.0; n_features];
        for &(feature, value) in sums.iter().flatten() {
            total[feature as usize] += value;
        }
        *document_frequency = vec![0; n_features];
        let mut scratch = crate::features::TransformScratch::default();
        for text in texts {
            for (feature, _) in model.vectorizer().counts(text, &mut scratch) {
                document_frequency[feature as usize] += 1;
            }
        }
        *log_absent = match model.kind() {
            NbKind::Multinomial => vec![alpha.ln(); n_features],
            _ => total.iter().map(|t| (t + alpha).ln()).collect(),
        };
        fn column(table: &[f64], label: usize, k: usize) -> impl Iterator<Item = &f64> {
            table.iter().skip(label).step_by(k)
        }
        FullModel {
            sums,
            class_count: model.class_counts(),
            vectorizer: model.vectorizer(),
            kind: model.kind(),
            alpha,
            log_total: (0..k)
                .map(|c| {
                    column(&exact.feature_count, c, k)
                        .map(|x| x + alpha)
                        .sum::<f64>()
                        .ln()
                })
                .collect(),
            l1: {
                *l1 = match model.kind() {
                    NbKind::ComplementNorm => (0..k)
                        .map(|c| column(&exact.log_prob, c, k).map(|x| x.abs()).sum())
                        .collect(),
                    _ => Vec::new(),
                };
                l1
            },
            log_absent,
            document_frequency,
        }
    }

    fn softmax(scores: &[f64]) -> Vec<f64> {
        let mut out = scores.to_vec();
        super::super::softmax(&mut out);
        out
    }

    #[test]
    fn folds_score_as_models_fitted_without_them() {
        let (texts, labels) = corpus();
        for kind in [
            NbKind::ComplementNorm,
            NbKind::Complement,
            NbKind::Multinomial,
        ] {
            // With min-df 1, a feature the fold's model lacks is in no document it learns from,
            // and the update is exact.
            let params = params(kind)
                .min_df(1)
                .min_df_ngrams(Some(1))
                .calibrate(false);
            let full = params
                .clone()
                .check()
                .unwrap()
                .fit(&texts, &labels)
                .unwrap();
            let held: Vec<usize> = (0..texts.len()).filter(|i| i % 4 == 1).collect();
            let rest: Vec<usize> = (0..texts.len()).filter(|i| i % 4 != 1).collect();
            let fold_model = params
                .check()
                .unwrap()
                .fit(
                    &rest.iter().map(|&i| &texts[i]).collect::<Vec<_>>(),
                    &rest.iter().map(|&i| &labels[i]).collect::<Vec<_>>(),
                )
                .unwrap();
            let fold: Vec<(usize, Vec<u32>)> = held
                .iter()
                .map(|&i| {
                    let label = full.label_index(&labels[i]).unwrap();
                    (label, full.vectorizer().word_ids(&texts[i]))
                })
                .collect();
            let (mut log_absent, mut document_frequency, mut l1) =
                (Vec::new(), Vec::new(), Vec::new());
            let model = full_model(
                &full,
                &texts,
                &mut log_absent,
                &mut document_frequency,
                &mut l1,
            );
            let scores = held_out_scores(&model, &[fold]);
            let k = full.labels().len();
            assert_eq!(scores.words.len(), held.len() * k);
            let z: Vec<f64> = scores
                .prior
                .iter()
                .zip(&scores.words)
                .map(|(p, w)| p + w)
                .collect();
            for ((&doc, z), &label) in held.iter().zip(z.chunks_exact(k)).zip(&scores.labels) {
                assert_eq!(full.labels()[label], labels[doc]);
                let expected = fold_model.predict_proba(&texts[doc]);
                for (got, want) in softmax(z).iter().zip(&expected) {
                    assert!(
                        (got - want).abs() < 1e-6,
                        "{kind:?}, document {doc}: {got} {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn calibrated_probabilities_are_the_scores_divided_by_the_temperature() {
        let (texts, labels) = corpus();
        for kind in [NbKind::ComplementNorm, NbKind::Multinomial] {
            let plain = params(kind).calibrate(false).check().unwrap();
            let plain = plain.fit(&texts, &labels).unwrap();
            assert_eq!(plain.temperature(), 1.0);
            assert!(plain.calibration().is_none());
            let calibrated = params(kind).check().unwrap().fit(&texts, &labels).unwrap();
            let calibration = *calibrated.calibration().unwrap();
            // Every document held out once: 150 is under the documents wanted.
            assert_eq!(calibration.documents, 150);
            assert_eq!(calibration.temperature, calibrated.temperature());
            assert!(calibration.log_loss_after <= calibration.log_loss_before);
            let temperature = calibration.temperature;
            assert!((temperature - 1.0).abs() > 0.01, "{kind:?}: {temperature}");
            for text in [
                "un bureau partagé en ville",
                "panier",
                "formation et service client",
            ] {
                // The words' part divided by the temperature, the priors' kept (all 0 but for
                // the multinomial rule): ln p = ln prior + words − a constant.
                let priors: Vec<f64> = match kind {
                    NbKind::Multinomial => plain.priors().iter().map(|p| p.ln()).collect(),
                    _ => vec![0.0; plain.labels().len()],
                };
                let scaled: Vec<f64> = plain
                    .predict_proba(text)
                    .iter()
                    .zip(&priors)
                    .map(|(p, prior)| prior + (p.ln() - prior) / temperature)
                    .collect();
                let got = calibrated.predict_proba(text);
                for (got, want) in got.iter().zip(softmax(&scaled)) {
                    assert!((got - want).abs() < 1e-6, "{kind:?} {text}: {got} {want}");
                }
                assert_eq!(calibrated.predict(text).0, plain.predict(text).0);
            }
        }
    }

    #[test]
    fn the_temperature_is_the_same_with_any_number_of_threads() {
        let (texts, labels) = corpus();
        let fit = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    params(NbKind::ComplementNorm)
                        .check()
                        .unwrap()
                        .fit(&texts, &labels)
                        .unwrap()
                })
        };
        let one = fit(1);
        for threads in [2, 3, 8] {
            let many = fit(threads);
            assert_eq!(one.temperature().to_bits(), many.temperature().to_bits());
            assert_eq!(one.scoring_weights(), many.scoring_weights());
        }
    }

    #[test]
    fn the_factor_minimises_the_log_loss() {
        // Three labels; words that say the truth a little too softly, and priors that lean
        // the wrong way for two documents.
        let held = HeldOut {
            prior: [-1.2, -0.9, -1.2].repeat(5),
            words: [
                0.9, 0.1, 0.0, 0.2, 0.7, 0.1, 0.1, 0.0, 0.8, 0.6, 0.5, 0.0, 0.1, 0.3, 0.9,
            ]
            .iter()
            .map(|w| 3.0 * w)
            .collect(),
            labels: vec![0, 1, 2, 1, 2],
        };
        let beta = fit_factor(&held, 3);
        assert!(beta > 1.0);
        let at = |b: f64| log_loss(&held, 3, b);
        assert!(at(beta) < at(beta * 1.01) && at(beta) < at(beta / 1.01));
        assert!(at(beta) < at(1.0));
        // A set its scores tell without error pushes the factor to its bound, no further,
        // and says so.
        let separable = HeldOut {
            prior: vec![0.0; 4],
            words: vec![5.0, 0.0, 0.0, 5.0],
            labels: vec![0, 1],
        };
        assert_eq!(fit_factor(&separable, 2), MAX_FACTOR);
        let mut many = separable.clone();
        for _ in 0..60 {
            many.prior.extend_from_slice(&separable.prior);
            many.words.extend_from_slice(&separable.words);
            many.labels.extend_from_slice(&separable.labels);
        }
        let calibration = calibrate(&many, 2).unwrap();
        assert!(calibration.at_bound);
        assert_eq!(calibration.temperature, 1.0 / MAX_FACTOR);
    }

    #[test]
    fn folds_are_dealt_per_label_and_skip_single_documents() {
        let targets: Vec<usize> = (0..300).map(|i| i % 2).chain([2]).collect();
        let folds = held_out_folds(&targets, 3);
        assert_eq!(folds.len(), FOLDS);
        assert_eq!(folds.iter().map(Vec::len).sum::<usize>(), 300);
        assert!(folds.iter().all(|fold| !fold.contains(&300)));
        for fold in &folds {
            let zeros = fold.iter().filter(|&&d| targets[d] == 0).count();
            assert_eq!(zeros * 2, fold.len());
        }
        assert!(held_out_folds(&[0, 1, 0, 1], 2).is_empty());
        // A large set: folds of about the documents wanted, one of them scored.
        let many: Vec<usize> = (0..20_000).map(|i| i % 4).collect();
        let folds = held_out_folds(&many, 4);
        assert_eq!(folds.len(), 1);
        assert_eq!(folds[0].len(), 1000);
    }
}
