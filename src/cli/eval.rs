//! `artclass eval`: accuracy, macro-F1, per-label scores and confusion matrix, of a model on a
//! test set, or of training settings by stratified K-fold cross-validation (`--cv K`).

use super::{
    LabeledCsvArgs, ModelArg, TrainingArgs, display_width, pad_left_to, pad_to, print,
    refuse_overwriting, refuse_stdout, stdout, stdout_error,
};
use artclass::crossval::{CrossValidation, cross_validate};
use artclass::metrics::Evaluation;
use artclass::{Classifier, Error, Result, input};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// Labelled articles: CSV file with a header (`-` for stdin), or a directory with one
    /// sub-directory of `.txt` articles per label
    #[arg(long, value_name = "TEST.csv")]
    input: PathBuf,
    #[command(flatten)]
    pub(super) csv: LabeledCsvArgs,
    /// Print one JSON object: documents, accuracy, macro_f1, log_loss, calibration_error,
    /// per_label, labels, confusion. With --cv, accuracy and macro_f1 are the folds' means
    /// (with _std, and per_fold); log_loss, calibration_error, per_label and confusion, as
    /// out_of_fold, are of the out-of-fold predictions all together
    #[arg(long)]
    json: bool,
    /// Instead of testing a model, cross-validate the training settings below on --input with
    /// K stratified folds [default: off]
    #[arg(long, value_name = "K", conflicts_with = "model", value_parser = super::in_range(2, usize::MAX))]
    cv: Option<usize>,
    /// Also draw the confusion matrix as an SVG heat map at PATH (.svg) [default: no picture]
    #[arg(long, value_name = "PATH")]
    plot: Option<PathBuf>,
    /// Seed of the fold assignment for --cv
    #[arg(long, value_name = "N", default_value_t = 42)]
    seed: u64,
    #[command(flatten)]
    training: TrainingArgs,
}

impl Args {
    /// Whether `--cv` was given: the training settings then shape its models.
    pub(super) fn cross_validates(&self) -> bool {
        self.cv.is_some()
    }
}

pub fn run(args: Args) -> Result<()> {
    if let Some(plot) = &args.plot
        && plot
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
            != Some("svg")
    {
        return Err(Error::Usage(format!(
            "--plot {}: the picture is an SVG file, name it with .svg",
            artclass::error::printable(plot)
        )));
    }
    if let Some(plot) = &args.plot {
        refuse_stdout("--plot", plot, "the picture is an SVG file")?;
        let mut reads = vec![("input file", args.input.as_path())];
        reads.extend(args.model.path().map(|model| ("model file", model)));
        refuse_overwriting("--plot", plot, &reads)?;
        artclass::persist::check_output_path(plot)?;
    }
    let read = || args.csv.read(&args.input);
    let picture = |evaluation: &Evaluation, title: String| {
        args.plot
            .as_ref()
            .map(|_| artclass::plot::confusion_svg(evaluation, &title))
    };
    let (text, picture) = match args.cv {
        Some(k) => {
            let params = args.training.params()?;
            let data = read()?;
            warn_labels_in_one_fold(&data.labels, k);
            if let Some(warning) = args.training.language_mismatch(&data.texts) {
                eprintln!("artclass: warning: {warning}");
            }
            let cv = cross_validate(&params, &data.texts, &data.labels, k, args.seed)?;
            let title = format!(
                "{k}-fold cross-validation of {}",
                input::display_name(&args.input)
            );
            let text = match args.json {
                true => cv_json(&cv, k, args.seed),
                false => cv_table(&cv, k, args.seed),
            };
            (text, picture(&cv.pooled, title))
        }
        None => {
            // The model first: a bad --model fails before a large input is read.
            let model = args.model.load()?;
            let data = read()?;
            let evaluation = evaluate_model(&model, &data)?;
            // Rewritten in place meanwhile, the model may have scored with other weights.
            model.check_model_file_unchanged()?;
            warn_unknown_labels(&model, &evaluation, &args.input);
            let title = format!("artclass eval on {}", input::display_name(&args.input));
            let text = match args.json {
                true => render_json(&evaluation),
                false => render_table(&evaluation),
            };
            (text, picture(&evaluation, title))
        }
    };
    // The figures first: should the picture fail to be written, they are not lost with it.
    let mut out = stdout();
    print(&mut out, &text)?;
    out.flush().map_err(stdout_error)?;
    match (&args.plot, picture) {
        (Some(path), Some(svg)) => artclass::persist::write_atomically(path, svg.as_bytes()),
        _ => Ok(()),
    }
}

fn evaluate_model(model: &Classifier, data: &input::LabeledTexts) -> Result<Evaluation> {
    // A model trained before labels were normalised keeps its labels as they were written
    // (`café` decomposed, as a macOS directory name gives it): each true label, read
    // normalised, is matched to the model's own spelling of it.
    let true_labels = spelled_as_the_model(model.labels(), &data.labels);
    let scored: Vec<(usize, f64, f64)> = data
        .texts
        .par_iter()
        .zip(&true_labels)
        .map_init(
            || model.scorer(),
            |scorer, (text, label)| {
                let prediction = scorer.predict_proba(text);
                let p_true = model
                    .label_index(label)
                    .map_or(0.0, |c| prediction.probabilities[c]);
                let (best, confidence) = prediction.best();
                (best, p_true, confidence)
            },
        )
        .collect();
    let predicted: Vec<usize> = scored.iter().map(|s| s.0).collect();
    let p_true: Vec<f64> = scored.iter().map(|s| s.1).collect();
    let confidence: Vec<f64> = scored.iter().map(|s| s.2).collect();
    // True labels the model does not know still count, as errors, after the model's labels.
    let mut labels: Vec<String> = model.labels().to_vec();
    let mut unknown: Vec<&String> = true_labels
        .iter()
        .copied()
        .filter(|l| !labels.contains(l))
        .collect();
    unknown.sort();
    unknown.dedup();
    labels.extend(unknown.into_iter().cloned());
    let truth: Vec<usize> = true_labels
        .iter()
        .map(|l| {
            labels
                .iter()
                .position(|m| m == *l)
                .ok_or_else(|| Error::Internal(format!("label {l} lost")))
        })
        .collect::<Result<_>>()?;
    Ok(Evaluation::new(labels, &truth, &predicted)
        .with_log_loss(&p_true)
        .with_calibration_error(&confidence, &truth, &predicted))
}

/// Each of `labels` (read normalised) as `model_labels` spell it: the same, or, for a model
/// that kept a label as written (decomposed, a zero-width space after it), that spelling.
/// A label the model does not have stays as it is.
fn spelled_as_the_model<'a>(model_labels: &'a [String], labels: &'a [String]) -> Vec<&'a String> {
    let spelled: std::collections::HashMap<String, &String> = model_labels
        .iter()
        .map(|label| (input::normalize_label(label), label))
        .collect();
    labels
        .iter()
        .map(|label| spelled.get(label).copied().unwrap_or(label))
        .collect()
}

/// Says which true labels the model cannot predict (the evaluation lists them after the
/// model's own): a test set labelled `Sport` for a model trained on `sport` would otherwise
/// only show as a low score.
fn warn_unknown_labels(model: &Classifier, evaluation: &Evaluation, input: &Path) {
    let listed: Vec<String> = evaluation
        .labels
        .iter()
        .zip(&evaluation.confusion)
        .skip(model.labels().len())
        .map(|(label, row)| {
            let documents: usize = row.iter().sum();
            let s = if documents == 1 { "" } else { "s" };
            format!("{label} ({documents} document{s})")
        })
        .collect();
    if !listed.is_empty() {
        eprintln!(
            "artclass: {}: labels the model does not have, counted as errors: {}",
            input::display_name(input),
            listed.join(", ")
        );
    }
}

fn evaluation_json(evaluation: &Evaluation) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    map.insert("documents".into(), evaluation.total().into());
    map.insert("accuracy".into(), evaluation.accuracy().into());
    map.insert("macro_f1".into(), evaluation.macro_f1().into());
    map.insert("log_loss".into(), serde_json::json!(evaluation.log_loss));
    map.insert(
        "calibration_error".into(),
        serde_json::json!(evaluation.calibration_error),
    );
    map.insert(
        "per_label".into(),
        serde_json::json!(evaluation.per_label()),
    );
    map.insert("labels".into(), serde_json::json!(evaluation.labels));
    map.insert("confusion".into(), serde_json::json!(evaluation.confusion));
    map
}

fn render_json(evaluation: &Evaluation) -> String {
    format!(
        "{}\n",
        serde_json::Value::Object(evaluation_json(evaluation))
    )
}

/// A label with one document is missing from the training of the fold that tests it, where
/// it can only be predicted wrong: worth knowing before reading the scores. (Folds are dealt
/// per label, so a label with two documents or more is trained in every fold.)
fn warn_labels_in_one_fold(labels: &[String], k: usize) {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for label in labels {
        *counts.entry(label).or_default() += 1;
    }
    let single: Vec<String> = counts
        .iter()
        .filter(|&(_, &n)| n == 1)
        .map(|(label, _)| format!("'{label}'"))
        .collect();
    let (each, fold, holds, it) = match single.len() {
        0 => return,
        1 => ("", "the fold", "holds", "it"),
        _ => (" each", "the folds", "hold", "them"),
    };
    eprintln!(
        "artclass: warning: one document{each} for {} in {k}-fold cross-validation: {fold} \
         that {holds} {it} {} without {it}, and {} {it} wrong",
        single.join(", "),
        if single.len() == 1 { "trains" } else { "train" },
        if single.len() == 1 {
            "predicts"
        } else {
            "predict"
        },
    );
}

fn cv_json(cv: &CrossValidation, k: usize, seed: u64) -> String {
    let (accuracy, accuracy_std) = cv.mean_std(Evaluation::accuracy);
    let (macro_f1, macro_f1_std) = cv.mean_std(Evaluation::macro_f1);
    let mut map = evaluation_json(&cv.pooled);
    map.insert("folds".into(), k.into());
    map.insert("seed".into(), seed.into());
    map.insert("accuracy".into(), accuracy.into());
    map.insert("accuracy_std".into(), accuracy_std.into());
    map.insert("macro_f1".into(), macro_f1.into());
    map.insert("macro_f1_std".into(), macro_f1_std.into());
    // `accuracy` and `macro_f1` above are means over the folds; `per_label`, `confusion` and
    // `log_loss` (and `calibration_error`) are of the out-of-fold predictions all together,
    // as are these.
    map.insert(
        "out_of_fold".into(),
        serde_json::json!({
            "accuracy": cv.pooled.accuracy(),
            "macro_f1": cv.pooled.macro_f1(),
            "log_loss": cv.pooled.log_loss,
            "calibration_error": cv.pooled.calibration_error,
        }),
    );
    map.insert(
        "per_fold".into(),
        cv.folds
            .iter()
            .map(|f| serde_json::json!({"documents": f.total(), "accuracy": f.accuracy(), "macro_f1": f.macro_f1()}))
            .collect(),
    );
    format!("{}\n", serde_json::Value::Object(map))
}

fn cv_table(cv: &CrossValidation, k: usize, seed: u64) -> String {
    let (accuracy, accuracy_std) = cv.mean_std(Evaluation::accuracy);
    let (macro_f1, macro_f1_std) = cv.mean_std(Evaluation::macro_f1);
    let mut s = format!(
        "{k}-fold stratified cross-validation (seed {seed}) on {} documents\n\
         accuracy {accuracy:.4} ± {accuracy_std:.4}   macro-F1 {macro_f1:.4} ± {macro_f1_std:.4}\n\n\
         fold  documents  accuracy  macro-F1\n",
        cv.pooled.total()
    );
    for (i, fold) in cv.folds.iter().enumerate() {
        s.push_str(&format!(
            "{:>4}  {:>9}  {:>8.4}  {:>8.4}\n",
            i + 1,
            fold.total(),
            fold.accuracy(),
            fold.macro_f1()
        ));
    }
    s.push_str("\nout-of-fold predictions, all folds together:\n");
    s.push_str(&render_table(&cv.pooled));
    s
}

fn render_table(evaluation: &Evaluation) -> String {
    let width = evaluation
        .labels
        .iter()
        .map(|label| display_width(label))
        .max()
        .unwrap_or(5)
        .max(5);
    let mut s = format!(
        "documents {}   accuracy {:.4}   macro-F1 {:.4}",
        evaluation.total(),
        evaluation.accuracy(),
        evaluation.macro_f1()
    );
    if let Some(log_loss) = evaluation.log_loss {
        s.push_str(&format!("   log-loss {log_loss:.4}"));
    }
    if let Some(error) = evaluation.calibration_error {
        s.push_str(&format!("   calibration error {error:.4}"));
    }
    s.push_str("\n\n");
    s.push_str(&format!(
        "{}  {:>9}  {:>6}  {:>6}  {:>7}\n",
        pad_to("label", width),
        "precision",
        "recall",
        "f1",
        "support"
    ));
    for score in evaluation.per_label() {
        s.push_str(&format!(
            "{}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}\n",
            pad_to(&score.label, width),
            score.precision,
            score.recall,
            score.f1,
            score.support
        ));
    }
    s.push_str("\nconfusion matrix (rows: true label, columns: predicted)\n");
    s.push_str(&pad_to("", width));
    let column = |label: &str| display_width(label).max(5);
    for label in &evaluation.labels {
        s.push_str(&format!("  {}", pad_left_to(label, column(label))));
    }
    s.push('\n');
    for (label, row) in evaluation.labels.iter().zip(&evaluation.confusion) {
        s.push_str(&pad_to(label, width));
        for (other, count) in evaluation.labels.iter().zip(row) {
            s.push_str(&format!("  {count:>w$}", w = column(other)));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_labels_take_the_spelling_of_a_model_that_kept_them_as_written() {
        let model = [
            "cafe\u{301}".to_string(),
            "sport\u{200b}".to_string(),
            "thé".to_string(),
        ];
        let read: Vec<String> = ["café", "sport", "thé", "autre"]
            .iter()
            .map(|l| l.to_string())
            .collect();
        let spelled = spelled_as_the_model(&model, &read);
        assert_eq!(
            spelled,
            [&model[0], &model[1], &model[2], &read[3]],
            "{spelled:?}"
        );
    }
}
