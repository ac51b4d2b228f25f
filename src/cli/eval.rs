//! `artclass eval`: accuracy, macro-F1, per-label scores and confusion matrix.

use super::{ModelArg, parse_delimiter, print, stdout, stdout_error};
use artclass::metrics::Evaluation;
use artclass::{Result, input};
use rayon::prelude::*;
use std::io::Write;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// Labelled test set: CSV file with a header (`-` for stdin), or a directory with one
    /// sub-directory of `.txt` articles per label
    #[arg(long, value_name = "TEST.csv")]
    input: String,
    /// CSV column holding the article text
    #[arg(long, value_name = "NAME", default_value = "text")]
    text_column: String,
    /// CSV column holding the true label
    #[arg(long, value_name = "NAME", default_value = "label")]
    label_column: String,
    /// CSV field delimiter (one character, or `tab`)
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    delimiter: u8,
    /// Print one JSON object: accuracy, macro_f1, per_label, labels, confusion
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let model = args.model.load()?;
    let data = input::read_labeled(
        &args.input,
        &args.text_column,
        &args.label_column,
        args.delimiter,
    )?;
    let predicted: Vec<usize> = data
        .texts
        .par_iter()
        .map_init(
            || model.scorer(),
            |scorer, text| scorer.predict_proba(text).best().0,
        )
        .collect();

    // True labels the model does not know still count, as errors, after the model's labels.
    let mut labels: Vec<String> = model.labels().to_vec();
    let mut unknown: Vec<&String> = data.labels.iter().filter(|l| !labels.contains(l)).collect();
    unknown.sort();
    unknown.dedup();
    labels.extend(unknown.into_iter().cloned());
    let truth: Vec<usize> = data
        .labels
        .iter()
        .map(|l| labels.iter().position(|m| m == l).unwrap_or(0))
        .collect();
    let evaluation = Evaluation::new(labels, &truth, &predicted);

    let mut out = stdout();
    let text = if args.json {
        render_json(&evaluation)
    } else {
        render_table(&evaluation)
    };
    print(&mut out, &text)?;
    out.flush().map_err(stdout_error)
}

fn render_json(evaluation: &Evaluation) -> String {
    let object = serde_json::json!({
        "documents": evaluation.total(),
        "accuracy": evaluation.accuracy(),
        "macro_f1": evaluation.macro_f1(),
        "per_label": evaluation.per_label(),
        "labels": evaluation.labels,
        "confusion": evaluation.confusion,
    });
    format!("{object}\n")
}

fn render_table(evaluation: &Evaluation) -> String {
    let width = evaluation
        .labels
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(5)
        .max(5);
    let mut s = format!(
        "documents {}   accuracy {:.4}   macro-F1 {:.4}\n\n",
        evaluation.total(),
        evaluation.accuracy(),
        evaluation.macro_f1()
    );
    s.push_str(&format!(
        "{:<width$}  {:>9}  {:>6}  {:>6}  {:>7}\n",
        "label", "precision", "recall", "f1", "support"
    ));
    for score in evaluation.per_label() {
        s.push_str(&format!(
            "{:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}\n",
            score.label, score.precision, score.recall, score.f1, score.support
        ));
    }
    s.push_str("\nconfusion matrix (rows: true label, columns: predicted)\n");
    s.push_str(&format!("{:<width$}", ""));
    for label in &evaluation.labels {
        s.push_str(&format!("  {label:>w$}", w = label.len().max(5)));
    }
    s.push('\n');
    for (label, row) in evaluation.labels.iter().zip(&evaluation.confusion) {
        s.push_str(&format!("{label:<width$}"));
        for (other, count) in evaluation.labels.iter().zip(row) {
            s.push_str(&format!("  {count:>w$}", w = other.len().max(5)));
        }
        s.push('\n');
    }
    s
}
