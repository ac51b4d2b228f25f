//! Stratified K-fold cross-validation: every label spread evenly over the folds, the same
//! folds for the same seed on every machine (ChaCha8 stream).

use crate::error::{Error, Result};
use crate::metrics::Evaluation;
use crate::model::ValidClassifierParams;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The fold (0..k) of each document: per label, documents are shuffled then dealt round-robin,
/// continuing where the previous label stopped so fold sizes differ by at most one.
pub fn stratified_folds(labels: &[String], k: usize, seed: u64) -> Result<Vec<usize>> {
    if k < 2 || k > labels.len() {
        return Err(Error::Params(format!(
            "the number of folds (--cv) must be between 2 and the number of documents ({}), not {k}",
            labels.len()
        )));
    }
    let mut names: Vec<&String> = labels.iter().collect();
    names.sort();
    names.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold_of = vec![0; labels.len()];
    let mut next = 0;
    for name in names {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| &labels[i] == name).collect();
        members.shuffle(&mut rng);
        for i in members {
            fold_of[i] = next % k;
            next += 1;
        }
    }
    Ok(fold_of)
}

/// Out-of-fold results of a cross-validation.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossValidation {
    /// One evaluation per fold, on that fold's documents.
    pub folds: Vec<Evaluation>,
    /// All out-of-fold predictions together.
    pub pooled: Evaluation,
}

impl CrossValidation {
    /// Mean and (population) standard deviation of a per-fold metric.
    pub fn mean_std(&self, metric: impl Fn(&Evaluation) -> f64) -> (f64, f64) {
        let values: Vec<f64> = self.folds.iter().map(metric).collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt())
    }
}

/// Trains on K−1 folds and predicts the remaining one, K times.
pub fn cross_validate(
    params: &ValidClassifierParams,
    texts: &[String],
    labels: &[String],
    k: usize,
    seed: u64,
) -> Result<CrossValidation> {
    if texts.len() != labels.len() {
        return Err(Error::Data(format!(
            "{} texts but {} labels",
            texts.len(),
            labels.len()
        )));
    }
    // As training reads them (trimmed, NFC), so that the folds' models and the truth agree.
    let labels: Vec<String> = labels
        .iter()
        .map(|label| {
            crate::input::checked_label(label).map_err(|message| Error::input("labels", message))
        })
        .collect::<Result<_>>()?;
    let labels = labels.as_slice();
    let fold_of = stratified_folds(labels, k, seed)?;
    let mut names: Vec<String> = labels.to_vec();
    names.sort();
    names.dedup();
    let index_of = |label: &String| names.binary_search(label).unwrap_or(0);
    let truth: Vec<usize> = labels.iter().map(index_of).collect();
    let mut predicted = vec![0; texts.len()];
    let mut p_true = vec![0.0; texts.len()];
    let mut confidence = vec![0.0; texts.len()];
    let mut folds = Vec::with_capacity(k);
    for fold in 0..k {
        let (train, test): (Vec<usize>, Vec<usize>) =
            (0..texts.len()).partition(|&i| fold_of[i] != fold);
        let train_texts: Vec<&str> = train.iter().map(|&i| texts[i].as_str()).collect();
        let train_labels: Vec<&str> = train.iter().map(|&i| labels[i].as_str()).collect();
        let model = params
            .fit(&train_texts, &train_labels)
            .map_err(|e| match e {
                // "needs at least two labels" and the like: say which training it was.
                Error::Data(message) => Error::Data(format!(
                    "--cv {k}: training on all but fold {} of {k}: {message}",
                    fold + 1
                )),
                other => other,
            })?;
        let scored: Vec<(usize, f64, f64)> = test
            .par_iter()
            .map_init(
                || model.scorer(),
                |scorer, &i| {
                    let prediction = scorer.predict_proba(&texts[i]);
                    // The fold's model may lack a rare label: map through names.
                    let (best, sure) = prediction.best();
                    let best = index_of(&model.labels()[best]);
                    let p = model
                        .label_index(&labels[i])
                        .map_or(0.0, |c| prediction.probabilities[c]);
                    (best, p, sure)
                },
            )
            .collect();
        for (&i, (best, p, sure)) in test.iter().zip(scored) {
            predicted[i] = best;
            p_true[i] = p;
            confidence[i] = sure;
        }
        let fold_truth: Vec<usize> = test.iter().map(|&i| truth[i]).collect();
        let fold_predicted: Vec<usize> = test.iter().map(|&i| predicted[i]).collect();
        let fold_p: Vec<f64> = test.iter().map(|&i| p_true[i]).collect();
        let fold_confidence: Vec<f64> = test.iter().map(|&i| confidence[i]).collect();
        folds.push(
            Evaluation::new(names.clone(), &fold_truth, &fold_predicted)
                .with_log_loss(&fold_p)
                .with_calibration_error(&fold_confidence, &fold_truth, &fold_predicted),
        );
    }
    let pooled = Evaluation::new(names, &truth, &predicted)
        .with_log_loss(&p_true)
        .with_calibration_error(&confidence, &truth, &predicted);
    Ok(CrossValidation { folds, pooled })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_balanced_and_seeded() {
        let labels: Vec<String> = (0..50)
            .map(|i| if i < 30 { "a" } else { "b" }.to_string())
            .collect();
        let folds = stratified_folds(&labels, 5, 7).unwrap();
        for fold in 0..5 {
            let a = (0..30).filter(|&i| folds[i] == fold).count();
            let b = (30..50).filter(|&i| folds[i] == fold).count();
            assert_eq!((a, b), (6, 4), "fold {fold}");
        }
        assert_eq!(folds, stratified_folds(&labels, 5, 7).unwrap());
        assert_ne!(folds, stratified_folds(&labels, 5, 8).unwrap());
        assert!(stratified_folds(&labels, 1, 7).is_err());
        assert!(stratified_folds(&labels, 51, 7).is_err());
    }

    #[test]
    fn texts_and_labels_are_checked_and_labels_read_as_training_reads_them() {
        let params = crate::ClassifierParams::new(crate::Language::French)
            .check()
            .unwrap();
        let texts: Vec<String> = (0..12)
            .map(|i| {
                if i % 2 == 0 {
                    format!("bureau partagé coworking {i}")
                } else {
                    format!("panier livraison commande {i}")
                }
            })
            .collect();
        let err = cross_validate(&params, &texts, &texts[..6], 3, 0).unwrap_err();
        assert!(
            matches!(&err, Error::Data(m) if m == "12 texts but 6 labels"),
            "{err}"
        );
        let labels = |a: &str, b: &str| -> Vec<String> {
            (0..12)
                .map(|i| if i % 2 == 0 { a } else { b }.to_string())
                .collect()
        };
        let plain = cross_validate(&params, &texts, &labels("cafe\u{301}", "shop"), 3, 0).unwrap();
        let spaced = cross_validate(&params, &texts, &labels(" café ", "shop "), 3, 0).unwrap();
        assert_eq!(plain.pooled, spaced.pooled);
        assert_eq!(plain.pooled.labels, ["café", "shop"]);
        assert_eq!(plain.pooled.accuracy(), 1.0);
    }
}
