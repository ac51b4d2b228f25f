//! `artclass classify`: one article per file, or one from stdin.

use super::{ModelArg, print, stdout, stdout_error};
use artclass::{Classifier, Prediction, Result, input};
use rayon::prelude::*;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// Show only the K most probable labels [default: all labels]
    #[arg(long, value_name = "K", value_parser = super::in_range(1, usize::MAX))]
    top: Option<usize>,
    /// Print one JSON object per article: {"file", "label", "probabilities", "known_features"}
    /// (distinct words and word pairs of the model found; 0: the label is the priors' alone)
    #[arg(long)]
    json: bool,
    /// Article files, each holding one article; `-` or none reads one article from stdin
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Files read and classified per parallel batch: bounds memory on long file lists.
const BATCH: usize = 256;

pub fn run(args: Args) -> Result<()> {
    let model = args.model.load()?;
    let files = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let mut out = stdout();
    // An article that cannot be read (missing, not UTF-8, empty) is named on stderr and the
    // others are still classified, as grep goes on past a file it cannot read; the run then
    // fails. Alone, its error is the run's.
    let mut unreadable = 0;
    for batch in files.chunks(BATCH) {
        let predictions: Vec<Result<Prediction>> = batch
            .par_iter()
            .map_init(
                || model.scorer(),
                |scorer, file| input::read_article(file).map(|text| scorer.predict_proba(&text)),
            )
            .collect();
        for (file, prediction) in batch.iter().zip(predictions) {
            let file = file.to_string_lossy();
            let prediction = match prediction {
                Ok(prediction) => prediction,
                Err(error) if files.len() == 1 => return Err(error),
                Err(error) => {
                    out.flush().map_err(stdout_error)?;
                    eprintln!("artclass: {error}");
                    unreadable += 1;
                    continue;
                }
            };
            print(&mut out, &render(&model, &file, &prediction, &args))?;
            if prediction.known_features == 0 {
                // Said where a reader of either output format sees it, not only in the JSON.
                out.flush().map_err(stdout_error)?;
                eprintln!(
                    "artclass: {file}: no word the model knows; the label says nothing of the text \
                     (the labels' priors, or all labels alike with the complement rules)"
                );
            }
        }
    }
    out.flush().map_err(stdout_error)?;
    // Rewritten in place meanwhile, the model may have classified with other weights.
    model.check_model_file_unchanged()?;
    if unreadable > 0 {
        return Err(artclass::Error::input(
            "classify",
            format!(
                "{unreadable} of {} articles could not be read (named above); the others \
                 are classified",
                files.len()
            ),
        ));
    }
    Ok(())
}

fn render(model: &Classifier, file: &str, prediction: &Prediction, args: &Args) -> String {
    let mut ranked: Vec<(&str, f64)> = model
        .labels()
        .iter()
        .map(String::as_str)
        .zip(prediction.probabilities.iter().copied())
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.truncate(args.top.unwrap_or(usize::MAX));
    if args.json {
        let probabilities: serde_json::Map<String, serde_json::Value> = ranked
            .iter()
            .map(|&(l, p)| (l.to_string(), serde_json::json!(p)))
            .collect();
        let object = serde_json::json!({
            "file": file,
            "label": ranked[0].0,
            "probabilities": probabilities,
            "known_features": prediction.known_features,
        });
        format!("{object}\n")
    } else {
        let (label, p) = ranked[0];
        let mut line = format!("{file}\t{label}\t{p:.3}");
        for (other, p) in &ranked[1..] {
            line.push_str(&format!("\t{other}={p:.3}"));
        }
        line.push('\n');
        line
    }
}
