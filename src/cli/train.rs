//! `artclass train`: fit a model and write it atomically.

use super::{
    LabeledCsvArgs, TrainingArgs, is_stdout, print, refuse_overwriting, refuse_stdout, stdout,
    stdout_error,
};
use artclass::{Error, Result, input, persist};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// CSV file with a header line (`-` for stdin), or a directory holding one sub-directory
    /// per label with one `.txt` article per file
    #[arg(long, value_name = "PATH")]
    input: PathBuf,
    /// Where to write the model (replaced only once complete)
    #[arg(long, value_name = "MODEL")]
    output: PathBuf,
    #[command(flatten)]
    pub(super) csv: LabeledCsvArgs,
    #[command(flatten)]
    training: TrainingArgs,
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let params = args.training.params()?;
    refuse_stdout("--output", &args.output, "a model is a binary file")?;
    // What training reads: the CSV, or the directory, its label directories and articles
    // (any of which may be a link to elsewhere).
    let input = args.input.as_path();
    let directory = super::is_directory(input);
    if directory {
        args.csv.refuse_for_directory(input)?;
    }
    let listed = match directory {
        true => Some(input::label_directories(input)?),
        false => None,
    };
    let mut reads = vec![(
        match directory {
            true => "input directory",
            false => "input file",
        },
        input,
    )];
    for (_, label_directory, articles) in listed.iter().flat_map(|listing| &listing.labels) {
        reads.push(("label directory", label_directory));
        reads.extend(
            articles
                .iter()
                .map(|article| ("article", article.as_path())),
        );
    }
    refuse_overwriting("--output", &args.output, &reads)?;
    persist::check_output_path(&args.output)?;
    let (mut bytes, mut documents) = (0usize, 0usize);
    // The first texts, to tell whether the language preset fits them.
    let mut sample: Vec<String> = Vec::new();
    let mut sample_bytes = 0;
    // Read as it is analysed: each chunk of rows goes to the workers while the next is read.
    // A directory is read as listed above: exactly the files checked.
    let chunks = match listed {
        Some(listing) => {
            super::warn_skipped(input, &listing);
            input::listed_chunks(input, listing.labels)?
        }
        None => args.csv.chunks(input)?,
    };
    let chunks = chunks.map(|chunk| {
        chunk.map(|chunk| {
            bytes += chunk.texts.iter().map(String::len).sum::<usize>();
            documents += chunk.texts.len();
            for text in &chunk.texts {
                if sample_bytes >= super::LANGUAGE_SAMPLE_BYTES {
                    break;
                }
                sample_bytes += text.len();
                sample.push(text.clone());
            }
            (chunk.texts, chunk.labels)
        })
    });
    // What the data lacks is said of the input it came from.
    let model = params.fit_chunks(chunks).map_err(|e| match e {
        Error::Data(message) => Error::input(input::display_name(&args.input), message),
        other => other,
    })?;
    // A model sent to standard output (`--output /dev/stdout`): the report goes to stderr,
    // or it would be mixed into the model.
    let report_to_stderr = is_stdout(&args.output);
    persist::save(&model, &args.output)?;
    let language_warning = args.training.language_mismatch(&sample);
    let elapsed = started.elapsed().as_secs_f64();

    let width = model
        .labels()
        .iter()
        .map(|label| super::display_width(label))
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = stdout();
    let mut summary = format!(
        "trained on {} documents ({:.1} MB) in {:.2} s\n",
        documents,
        bytes as f64 / 1e6,
        elapsed
    );
    summary.push_str(&format!(
        "{}  {:>9}  {:>11}\n",
        super::pad_to("label", width),
        "documents",
        "tokens"
    ));
    let tokens = model.training_tokens().unwrap_or_default();
    let mut without_tokens = Vec::new();
    for (i, (label, documents)) in model.labels().iter().zip(model.class_counts()).enumerate() {
        let label_tokens = tokens.get(i).copied().unwrap_or(0);
        if label_tokens == 0 {
            without_tokens.push(format!("'{label}'"));
        }
        summary.push_str(&format!(
            "{}  {documents:>9}  {label_tokens:>11}\n",
            super::pad_to(label, width)
        ));
    }
    let features = model.feature_config();
    summary.push_str(&format!(
        "vocabulary after pruning: {} ({}, {}; lang {}{}, ngrams {}, min-df {}, min-df-ngrams {}, tf {}, ngram-tf {}, idf {}, norm {}), {} naive Bayes, alpha {}\n",
        counted(model.vocabulary().len(), "feature"),
        counted(model.vocabulary().words().len(), "word"),
        counted(model.vocabulary().ngrams().len(), "n-gram"),
        model.analyzer_config().language,
        analyzer_changes(model.analyzer_config()),
        features.ngrams,
        features.min_df,
        features.min_df_ngrams.unwrap_or(features.min_df),
        flag_value(features.tf),
        flag_value(features.ngram_tf),
        features.idf,
        flag_value(features.norm),
        flag_value(model.kind()),
        short_number(model.alpha()),
    ));
    summary.push_str(&calibration_line(&model, args.training.calibrates()));
    summary.push_str(&format!(
        "model written to {}\n",
        artclass::error::printable(&args.output)
    ));
    if report_to_stderr {
        eprint!("{summary}");
    } else {
        print(&mut out, &summary)?;
        out.flush().map_err(stdout_error)?;
    }
    if let Some(warning) = language_warning {
        eprintln!("artclass: warning: {warning}");
    }
    for group in labels_differing_in_case(model.labels()) {
        let mut names: Vec<String> = group.iter().map(|label| format!("'{label}'")).collect();
        let last = names.pop().unwrap_or_default();
        eprintln!(
            "artclass: warning: labels {} and {last} differ only in case and were trained as \
             different labels: one theme spelled {} ways?",
            names.join(", "),
            match group.len() {
                2 => "two".to_string(),
                3 => "three".to_string(),
                n => n.to_string(),
            }
        );
    }
    if !without_tokens.is_empty() {
        let (s, has) = match without_tokens.len() {
            1 => ("", "has"),
            _ => ("s", "have"),
        };
        eprintln!(
            "artclass: warning: label{s} {} {has} no token left after analysis (only stop \
             words, numbers or short words): no word of a text can point to {}",
            without_tokens.join(", "),
            if s.is_empty() { "it" } else { "them" }
        );
    }
    Ok(())
}

/// Groups of labels that differ only in case (`Coworking`, `coworking`): most likely one
/// theme spelled two ways in the training data, which training keeps apart.
/// What the calibration made of the probabilities, or why there is none.
fn calibration_line(model: &artclass::Classifier, asked: bool) -> String {
    match model.calibration() {
        Some(c) => format!(
            "probabilities calibrated on {} held-out documents: temperature {:.3} (their log-loss {:.4} before, {:.4} after){}\n",
            c.documents,
            c.temperature,
            c.log_loss_before,
            c.log_loss_after,
            if c.at_bound {
                "; the temperature stopped at a bound of its range (0.2 to 5): the held-out \
                 documents asked for more, and the probabilities are less to be trusted than \
                 that log-loss says"
            } else {
                ""
            }
        ),
        None if asked => format!(
            "probabilities not calibrated: fewer than {} documents in labels of two or more\n",
            artclass::model::calibrate::MIN_DOCUMENTS
        ),
        None => "probabilities not calibrated (--calibrate false)\n".into(),
    }
}

fn labels_differing_in_case(labels: &[String]) -> Vec<Vec<&str>> {
    let mut groups: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for label in labels {
        groups.entry(label.to_lowercase()).or_default().push(label);
    }
    groups
        .into_values()
        .filter(|group| group.len() > 1)
        .collect()
}

/// A setting as spelled on the command line (`complement-norm`, not `ComplementNorm`).
fn flag_value(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// `n` and the noun, plural unless `n` is 1.
fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A setting as typed: `0.02`, and `1e300` rather than its three hundred digits.
fn short_number(value: f64) -> String {
    if value == 0.0 || (1e-4..1e6).contains(&value.abs()) {
        value.to_string()
    } else {
        format!("{value:e}")
    }
}

/// The analyzer settings that differ from the language's preset, as `, flag value` each:
/// a report that says `lang de` alone means the whole German chain ran.
fn analyzer_changes(analyzer: &artclass::text::AnalyzerConfig) -> String {
    let preset = artclass::text::AnalyzerConfig::preset(analyzer.language);
    let mut changes = String::new();
    if analyzer.stem != preset.stem {
        changes.push_str(&format!(", stem {}", analyzer.stem));
    }
    if analyzer.stop_words != preset.stop_words {
        changes.push_str(&format!(", stop-words {}", !analyzer.stop_words.is_empty()));
    }
    if analyzer.fold_accents != preset.fold_accents {
        changes.push_str(&format!(", fold-accents {}", analyzer.fold_accents));
    }
    if analyzer.min_word_chars != preset.min_word_chars {
        changes.push_str(&format!(", min-word-chars {}", analyzer.min_word_chars));
    }
    if analyzer.dotted_words != preset.dotted_words {
        changes.push_str(&format!(", dotted-words {}", analyzer.dotted_words));
    }
    if analyzer.web_rules != preset.web_rules {
        changes.push_str(&format!(", web-rules {}", analyzer.web_rules));
    }
    changes
}
