//! `artclass train`: fit a model and write it atomically.

use super::{parse_delimiter, print, stdout, stdout_error};
use artclass::features::FeatureConfig;
use artclass::model::DEFAULT_ALPHA;
use artclass::{ClassifierParams, Language, Result, input, persist};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// CSV file with a header line (`-` for stdin), or a directory holding one sub-directory
    /// per label with one `.txt` article per file
    #[arg(long, value_name = "PATH")]
    input: String,
    /// Where to write the model (replaced only once complete)
    #[arg(long, value_name = "MODEL")]
    output: PathBuf,
    /// CSV column holding the article text
    #[arg(long, value_name = "NAME", default_value = "text")]
    text_column: String,
    /// CSV column holding the label
    #[arg(long, value_name = "NAME", default_value = "label")]
    label_column: String,
    /// CSV field delimiter (one character, or `tab`)
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    delimiter: u8,
    /// Analyzer language: stop words, elisions and stemmer
    #[arg(long, value_enum, default_value_t = Language::French)]
    lang: Language,
    /// Use word n-grams of order 1 to N as features
    #[arg(long, value_name = "N", default_value_t = FeatureConfig::default().ngrams)]
    ngrams: usize,
    /// Drop features found in fewer than N training documents
    #[arg(long, value_name = "N", default_value_t = FeatureConfig::default().min_df)]
    min_df: usize,
    /// Additive (Laplace/Lidstone) smoothing of the naive Bayes model
    #[arg(long, value_name = "A", default_value_t = DEFAULT_ALPHA)]
    alpha: f64,
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let params = ClassifierParams::new(args.lang)
        .ngrams(args.ngrams)
        .min_df(args.min_df)
        .alpha(args.alpha)
        .check()?;
    let data = input::read_labeled(
        &args.input,
        &args.text_column,
        &args.label_column,
        args.delimiter,
    )?;
    let model = params.fit(&data.texts, &data.labels)?;
    persist::save(&model, &args.output)?;
    let elapsed = started.elapsed().as_secs_f64();

    let bytes: usize = data.texts.iter().map(String::len).sum();
    let width = model
        .labels()
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = stdout();
    let mut summary = format!(
        "trained on {} documents ({:.1} MB) in {:.2} s\n",
        data.texts.len(),
        bytes as f64 / 1e6,
        elapsed
    );
    summary.push_str(&format!("{:<width$}  documents\n", "label"));
    for (label, class) in model.labels().iter().zip(model.classes()) {
        summary.push_str(&format!("{label:<width$}  {:>9}\n", class.class_count));
    }
    summary.push_str(&format!(
        "vocabulary: {} features (lang {}, ngrams {}, min-df {}), alpha {}\nmodel written to {}\n",
        model.vocabulary().len(),
        args.lang,
        args.ngrams,
        args.min_df,
        args.alpha,
        args.output.display()
    ));
    print(&mut out, &summary)?;
    out.flush().map_err(stdout_error)
}
