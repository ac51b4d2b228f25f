//! Classification metrics: accuracy, per-label precision / recall / F1, macro-F1, confusion.

use serde::Serialize;

/// Scores of one label.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabelScores {
    /// The label's name, from [`Evaluation::labels`].
    pub label: String,
    /// Share of the documents predicted as this label that truly are it (0 if none was).
    pub precision: f64,
    /// Share of this label's documents that were predicted as it (0 if it has none).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Number of documents whose true label this is.
    pub support: usize,
}

/// A confusion matrix with the metrics derived from it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// The label names that the indices of `confusion` refer to.
    pub labels: Vec<String>,
    /// `confusion[truth][predicted]`, indices into `labels`.
    pub confusion: Vec<Vec<usize>>,
    /// Mean −ln p(true label): how much to trust the probabilities (lower is better; 0 for
    /// certain and right). `None` when no probabilities were given.
    pub log_loss: Option<f64>,
    /// See [`calibration_error`]; `None` when no probabilities were given.
    pub calibration_error: Option<f64>,
}

/// Probabilities below this count as this, so one confident mistake costs ~34.5, not ∞.
const LOG_LOSS_FLOOR: f64 = 1e-15;

/// Mean negative log of the probabilities given to the true labels.
pub fn log_loss(true_label_probabilities: &[f64]) -> f64 {
    let n = true_label_probabilities.len().max(1) as f64;
    true_label_probabilities
        .iter()
        .map(|p| -p.max(LOG_LOSS_FLOOR).ln())
        .sum::<f64>()
        / n
}

/// Bins of [`calibration_error`], each 0.1 wide.
const CALIBRATION_BINS: usize = 10;

/// Expected calibration error: documents binned by the probability given to their predicted
/// label (0–0.1, 0.1–0.2, …), and the gap between each bin's mean probability and its share of
/// right predictions, weighted by the bin's share of the documents. 0 when a label given 0.8
/// is right 80 % of the time; the log-loss also counts how sharp the probabilities are, this
/// only whether they can be taken at their word. 0 without documents.
pub fn calibration_error(confidence: &[f64], correct: &[bool]) -> f64 {
    let mut bins = [(0usize, 0.0f64, 0usize); CALIBRATION_BINS];
    for (&p, &right) in confidence.iter().zip(correct) {
        let bin = ((p * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
        bins[bin].0 += 1;
        bins[bin].1 += p;
        bins[bin].2 += usize::from(right);
    }
    let n = confidence.len().min(correct.len()).max(1) as f64;
    bins.iter()
        .filter(|(count, _, _)| *count > 0)
        .map(|&(_, sum, right)| (sum - right as f64).abs() / n)
        .sum()
}

impl Evaluation {
    /// `truth` and `predicted` index into `labels`; they must have the same length.
    ///
    /// # Panics
    ///
    /// If their lengths differ, or an index is not below `labels.len()`.
    pub fn new(labels: Vec<String>, truth: &[usize], predicted: &[usize]) -> Self {
        assert_eq!(
            truth.len(),
            predicted.len(),
            "as many predictions as true labels"
        );
        let n = labels.len();
        let mut confusion = vec![vec![0; n]; n];
        for (&t, &p) in truth.iter().zip(predicted) {
            confusion[t][p] += 1;
        }
        Evaluation {
            labels,
            confusion,
            log_loss: None,
            calibration_error: None,
        }
    }

    /// Adds the log-loss of the probabilities the model gave each document's true label.
    pub fn with_log_loss(mut self, true_label_probabilities: &[f64]) -> Self {
        self.log_loss = Some(log_loss(true_label_probabilities));
        self
    }

    /// Adds the [`calibration_error`] of the probabilities the model gave each document's
    /// predicted label, in the order of the documents given to [`Evaluation::new`] (whose
    /// truth and predictions tell which were right).
    pub fn with_calibration_error(
        mut self,
        confidence: &[f64],
        truth: &[usize],
        predicted: &[usize],
    ) -> Self {
        let correct: Vec<bool> = truth.iter().zip(predicted).map(|(t, p)| t == p).collect();
        self.calibration_error = Some(calibration_error(confidence, &correct));
        self
    }

    /// Number of documents evaluated.
    pub fn total(&self) -> usize {
        self.confusion.iter().flatten().sum()
    }

    /// Share of the documents whose predicted label is the true one (0 without documents).
    pub fn accuracy(&self) -> f64 {
        let correct: usize = (0..self.labels.len()).map(|i| self.confusion[i][i]).sum();
        ratio(correct, self.total())
    }

    /// Per-label scores for labels that occur in the truth or the predictions.
    pub fn per_label(&self) -> Vec<LabelScores> {
        let n = self.labels.len();
        (0..n)
            .filter_map(|i| {
                let support: usize = self.confusion[i].iter().sum();
                let predicted: usize = (0..n).map(|t| self.confusion[t][i]).sum();
                if support == 0 && predicted == 0 {
                    return None;
                }
                let hits = self.confusion[i][i];
                let precision = ratio(hits, predicted);
                let recall = ratio(hits, support);
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                Some(LabelScores {
                    label: self.labels[i].clone(),
                    precision,
                    recall,
                    f1,
                    support,
                })
            })
            .collect()
    }

    /// Unweighted mean of the F1 of labels in the truth or the predictions (as scikit-learn).
    pub fn macro_f1(&self) -> f64 {
        let scores = self.per_label();
        if scores.is_empty() {
            return 0.0;
        }
        scores.iter().map(|s| s.f1).sum::<f64>() / scores.len() as f64
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_scores() {
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        // truth: a a a b b c ; predicted: a a b b c c
        let eval = Evaluation::new(labels, &[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2]);
        assert_eq!(
            eval.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]
        );
        assert!((eval.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        let s = eval.per_label();
        assert!((s[0].precision - 1.0).abs() < 1e-12 && (s[0].recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((s[1].precision - 0.5).abs() < 1e-12 && (s[1].recall - 0.5).abs() < 1e-12);
        assert!((s[2].precision - 0.5).abs() < 1e-12 && (s[2].recall - 1.0).abs() < 1e-12);
        let f1 = [0.8, 0.5, 2.0 / 3.0];
        assert!((eval.macro_f1() - f1.iter().sum::<f64>() / 3.0).abs() < 1e-12);
    }

    #[test]
    fn calibration_error_weighs_each_bin_gap_by_its_documents() {
        // Four documents said 0.85 (three right), two said 0.35 (one right), one 1.0 (right).
        let confidence = [0.85, 0.85, 0.85, 0.85, 0.35, 0.35, 1.0];
        let correct = [true, true, true, false, true, false, true];
        let expected = (4.0 * (0.85f64 - 0.75).abs() + 2.0 * (0.35f64 - 0.5).abs()) / 7.0;
        assert!((calibration_error(&confidence, &correct) - expected).abs() < 1e-12);
        // Right every time at 0.9: under-confident by 0.1.
        assert!((calibration_error(&[0.9; 10], &[true; 10]) - 0.1).abs() < 1e-12);
        assert_eq!(calibration_error(&[], &[]), 0.0);
    }

    #[test]
    fn log_loss_is_mean_negative_log_probability() {
        assert!((log_loss(&[1.0, 0.5]) - 0.5 * 2f64.ln()).abs() < 1e-12);
        assert!((log_loss(&[0.0]) - 1e15f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn labels_never_seen_are_left_out_of_the_average() {
        let labels = vec!["a".to_string(), "b".to_string(), "unused".to_string()];
        let eval = Evaluation::new(labels, &[0, 1], &[0, 1]);
        assert_eq!(eval.per_label().len(), 2);
        assert_eq!(eval.macro_f1(), 1.0);
    }
}
