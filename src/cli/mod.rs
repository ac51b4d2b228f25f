//! Command-line interface: argument parsing shared by the subcommands, one module each.

mod classify;
mod eval;
mod score;
mod train;

use artclass::features::{DEFAULT_MIN_DF_NGRAMS, FeatureConfig, MAX_NGRAMS, Norm, TermFrequency};
use artclass::model::{DEFAULT_ALPHA, DEFAULT_KIND, NbKind};
use artclass::text::AnalyzerConfig;
use artclass::{Classifier, ClassifierParams, Error, Language, Result, ValidClassifierParams};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Sort articles by theme (French by default) with a naive Bayes model.
///
/// Without --model, the built-in model files articles under coworking, customer_relation,
/// training or ecommerce.
#[derive(Parser)]
#[command(name = "artclass", version, max_term_width = 100)]
struct Cli {
    /// Worker threads, 1 to 1024 [default: all cores]
    #[arg(long, global = true, value_name = "N", value_parser = in_range(1, MAX_THREADS))]
    threads: Option<usize>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model from labelled articles
    Train(train::Args),
    /// Classify articles, one per file (or one from stdin)
    ///
    /// Prints a line per article, tab-separated: the file, the most probable label, its
    /// probability, then the other labels as `label=probability`, most probable first. For a
    /// program, or labels holding `=`, read `--json` instead.
    Classify(classify::Args),
    /// Add predictions and probabilities to every row of a CSV file
    ///
    /// Appends `predicted`, `confidence`, `known_features` and one `prob_<label>` column per
    /// label. `known_features` counts the distinct words and word pairs of the model found in
    /// the text: 0 flags a row scored from the labels' priors alone (an empty text, or no word
    /// the model knows).
    Score(score::Args),
    /// Measure a model on labelled articles
    Eval(eval::Args),
}

pub fn run() -> Result<()> {
    let command = Cli::command();
    let training_ids: Vec<String> = command
        .find_subcommand("eval")
        .and_then(|eval| eval.get_groups().find(|g| g.get_id() == "TrainingArgs"))
        .map(|group| group.get_args().map(|id| id.to_string()).collect())
        .unwrap_or_default();
    let matches = command.get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some((_, sub)) = matches.subcommand() {
        match &mut cli.command {
            Command::Train(args) => args.csv.note_given(sub),
            Command::Eval(args) => {
                args.csv.note_given(sub);
                refuse_training_flags_without_cv(args, sub, &training_ids)?;
            }
            Command::Classify(_) | Command::Score(_) => {}
        }
    }
    if let Some(threads) = cli.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| Error::Params(format!("--threads {threads}: {e}")))?;
    }
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Score(args) => score::run(args),
        Command::Eval(args) => eval::run(args),
    }
}

/// The training settings of `eval` (and `--seed`) shape `--cv` only: without it, `eval`
/// tests a model as it was trained, and a setting given would be ignored, so it is refused.
fn refuse_training_flags_without_cv(
    args: &eval::Args,
    matches: &clap::ArgMatches,
    training_ids: &[String],
) -> Result<()> {
    if args.cross_validates() {
        return Ok(());
    }
    let given: Vec<String> = training_ids
        .iter()
        .map(String::as_str)
        .chain(["seed"])
        .filter(|id| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
        .map(|id| format!("--{}", id.replace('_', "-")))
        .collect();
    if given.is_empty() {
        return Ok(());
    }
    let (s, shape) = match given.len() {
        1 => ("", "shapes"),
        _ => ("s", "shape"),
    };
    Err(Error::Usage(format!(
        "{}: training setting{s} {shape} the models of --cv only; without --cv, eval tests \
         a model as it was trained (--model, or the built-in one)",
        given.join(", ")
    )))
}

/// `--model`, shared by the commands that use a model.
#[derive(clap::Args)]
struct ModelArg {
    /// Model file written by `artclass train` [default: the built-in model]
    #[arg(long, value_name = "MODEL")]
    model: Option<PathBuf>,
}

impl ModelArg {
    /// The model file given, if any (the built-in model has none).
    fn path(&self) -> Option<&Path> {
        self.model.as_deref()
    }

    fn load(&self) -> Result<Classifier> {
        match &self.model {
            Some(path) if artclass::input::is_stdin(path) => Err(Error::Usage(
                "--model -: a model is read from a file (standard input is for articles); \
                 give its path"
                    .into(),
            )),
            Some(path) => artclass::persist::load(path, artclass::persist::Load::Scoring),
            None => artclass::default_model(),
        }
    }
}

/// How to read labelled CSV input, shared by `train` and `eval`.
#[derive(clap::Args)]
struct LabeledCsvArgs {
    /// CSV column holding the article text
    #[arg(long, value_name = "NAME", default_value = "text")]
    text_column: String,
    /// CSV column holding each article's label
    #[arg(long, value_name = "NAME", default_value = "label")]
    label_column: String,
    /// CSV field delimiter (one ASCII character, or `tab`)
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    delimiter: u8,
    /// Which of the flags above the command line gave (filled in by [`run`]): a directory
    /// input has no columns, and a flag given for nothing is refused, not ignored.
    #[arg(skip)]
    given: Vec<&'static str>,
}

impl LabeledCsvArgs {
    /// The flags' ids and names, as clap knows them and as the user typed them.
    const FLAGS: [(&'static str, &'static str); 3] = [
        ("text_column", "--text-column"),
        ("label_column", "--label-column"),
        ("delimiter", "--delimiter"),
    ];

    /// Notes which CSV flags `matches` (a subcommand's) got from the command line.
    fn note_given(&mut self, matches: &clap::ArgMatches) {
        self.given = Self::FLAGS
            .iter()
            .filter(|(id, _)| {
                matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            })
            .map(|&(_, flag)| flag)
            .collect();
    }

    /// Reads `input` in chunks (see [`artclass::input::labeled_chunks`]); a directory is
    /// listed first, and what it holds that is not read is named on stderr.
    fn chunks(&self, input: &Path) -> Result<artclass::input::LabeledChunks> {
        if is_directory(input) {
            self.refuse_for_directory(input)?;
            let listing = artclass::input::label_directories(input)?;
            warn_skipped(input, &listing);
            return artclass::input::listed_chunks(input, listing.labels);
        }
        artclass::input::labeled_chunks(
            input,
            &self.text_column,
            &self.label_column,
            self.delimiter,
        )
    }

    /// Reads all of `input`, as [`LabeledCsvArgs::chunks`] does.
    fn read(&self, input: &Path) -> Result<artclass::input::LabeledTexts> {
        let mut all = artclass::input::LabeledTexts::default();
        for chunk in self.chunks(input)? {
            let chunk = chunk?;
            all.texts.extend(chunk.texts);
            all.labels.extend(chunk.labels);
        }
        Ok(all)
    }

    fn refuse_for_directory(&self, input: &Path) -> Result<()> {
        if self.given.is_empty() || !is_directory(input) {
            return Ok(());
        }
        let (apply, them) = match self.given.len() {
            1 => ("applies", "it"),
            _ => ("apply", "them"),
        };
        Err(Error::Usage(format!(
            "{} {apply} to CSV input, but --input {} is a directory of articles \
             (DIR/<label>/*.txt), which has no columns: drop {them}",
            self.given.join(", "),
            artclass::error::printable(input),
        )))
    }
}

/// Columns a label takes on a terminal (`日本語` six, a decomposed `é` one), for tables.
fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` padded with spaces to `width` columns on a terminal.
fn pad_to(text: &str, width: usize) -> String {
    format!(
        "{text}{}",
        " ".repeat(width.saturating_sub(display_width(text)))
    )
}

/// `text` right-aligned in `width` columns on a terminal.
fn pad_left_to(text: &str, width: usize) -> String {
    format!(
        "{}{text}",
        " ".repeat(width.saturating_sub(display_width(text)))
    )
}

/// Whether `--input` names a directory of articles (`-` is stdin, whatever is in `.`).
fn is_directory(input: &Path) -> bool {
    !artclass::input::is_stdin(input) && input.is_dir()
}

/// Names, on stderr, what a training directory holds that is not read (a few of them, and
/// how many more).
fn warn_skipped(root: &Path, listing: &artclass::input::Listing) {
    const SHOWN: usize = 5;
    if listing.skipped.is_empty() {
        return;
    }
    let mut named: Vec<String> = listing
        .skipped
        .iter()
        .take(SHOWN)
        .map(|(path, why)| {
            let shown = path.strip_prefix(root).unwrap_or(path);
            format!("{} ({why})", artclass::error::printable(shown))
        })
        .collect();
    if listing.skipped.len() > SHOWN {
        named.push(format!("and {} more", listing.skipped.len() - SHOWN));
    }
    eprintln!(
        "artclass: warning: {}: not read: {}",
        artclass::error::printable(root),
        named.join(", ")
    );
}

/// Training settings, shared by `train` and `eval --cv`.
#[derive(clap::Args)]
struct TrainingArgs {
    /// Analyzer language: stop words, elisions, stemmer and letter rules (any case; `nb` and
    /// `nn` are `no`)
    #[arg(long, value_enum, ignore_case = true, default_value_t = Language::French)]
    lang: Language,
    /// Use word n-grams of order 1 to N as features (N: 1, 2 or 3)
    #[arg(long, value_name = "N", default_value_t = FeatureConfig::default().ngrams, value_parser = in_range(1, MAX_NGRAMS))]
    ngrams: usize,
    /// Drop words found in fewer than N training documents
    #[arg(long, value_name = "N", default_value_t = FeatureConfig::default().min_df, value_parser = in_range(1, usize::MAX))]
    min_df: usize,
    /// Drop n-grams found in fewer than N training documents
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_DF_NGRAMS, value_parser = in_range(1, usize::MAX))]
    min_df_ngrams: usize,
    /// Term-frequency weighting of words: raw counts, 1 + ln(count), or binary (presence)
    #[arg(long, value_enum, value_name = "TF", default_value_t = FeatureConfig::default().tf)]
    tf: TermFrequency,
    /// The same for n-grams (binary: a phrase counts once per document, however often a
    /// quoted reply or a signature repeats it)
    #[arg(long, value_enum, value_name = "TF", default_value_t = FeatureConfig::default().ngram_tf)]
    ngram_tf: TermFrequency,
    /// Multiply by inverse document frequency
    #[arg(long, value_name = "BOOL", default_value_t = FeatureConfig::default().idf, action = clap::ArgAction::Set)]
    idf: bool,
    /// Normalise each document's weights to length 1 (l2) or sum 1 (l1)
    #[arg(long, value_enum, value_name = "NORM", default_value_t = FeatureConfig::default().norm)]
    norm: Norm,
    /// Additive (Laplace/Lidstone) smoothing of the naive Bayes model
    #[arg(long, value_name = "A", default_value_t = DEFAULT_ALPHA, value_parser = parse_alpha)]
    alpha: f64,
    /// Naive Bayes decision rule: multinomial, complement (each label against the others), or
    /// complement-norm (complement with per-label weight normalisation, Rennie et al. 2003)
    #[arg(long, value_enum, value_name = "RULE", default_value_t = DEFAULT_KIND)]
    nb: NbKind,
    /// Stem words with the language's Snowball stemmer
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    stem: bool,
    /// Drop words shorter than N characters
    #[arg(long, value_name = "N", default_value_t = AnalyzerConfig::preset(Language::French).min_word_chars, value_parser = in_range(1, usize::MAX))]
    min_word_chars: usize,
    /// Keep `.` and `@` inside words: host names, e-mail addresses, versions as one word
    #[arg(long, value_name = "BOOL", default_value_t = AnalyzerConfig::preset(Language::French).dotted_words, action = clap::ArgAction::Set)]
    dotted_words: bool,
    /// Drop the language's stop words
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    stop_words: bool,
    /// Fold the accents the language's writers often leave out, so that `école` and `ecole`
    /// meet (which accents: see --lang; never the marks that are letters, as in Hindi or Thai)
    #[arg(long, value_name = "BOOL", default_value_t = AnalyzerConfig::preset(Language::French).fold_accents, action = clap::ArgAction::Set)]
    fold_accents: bool,
    /// Read text copied from web pages as the page shows it: HTML tags dropped, character
    /// references decoded (`&eacute;`), a full stop glued to the next sentence
    /// (`gratuite.Retours`) splitting it, French inclusive endings (`salarié.e.s`) dropped
    #[arg(long, value_name = "BOOL", default_value_t = AnalyzerConfig::preset(Language::French).web_rules, action = clap::ArgAction::Set)]
    web_rules: bool,
    /// Fit how sure the probabilities are (a temperature) on training documents held out in
    /// folds, so that a label given 0.8 is right about 80 % of the time; no label changes.
    /// Needs 100 documents in labels of two or more
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    calibrate: bool,
}

/// How much text `train` keeps to tell its language: some ten thousand words.
const LANGUAGE_SAMPLE_BYTES: usize = 64 * 1024;

impl TrainingArgs {
    /// A warning when `texts` read like another preset's language than `--lang`: most of
    /// their words are that preset's stop words, few are this one's (English trained with
    /// the default `--lang fr` keeps `the` and `of` as terms and stems with French rules).
    fn language_mismatch(&self, texts: &[String]) -> Option<String> {
        let (shares, words) = artclass::text::stop_word_shares(texts, 10_000);
        if words < 200 {
            return None;
        }
        let chosen = shares.iter().find(|(l, _)| *l == self.lang)?.1;
        let (best, best_share) = shares.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
        (best != self.lang && best_share >= 0.15 && chosen < best_share / 2.0).then(|| {
            format!(
                "the texts look like --lang {best} ({:.0} % of their words are its stop words, \
                 {:.0} % those of --lang {}, the preset in use): was --lang {best} meant?",
                100.0 * best_share,
                100.0 * chosen,
                self.lang
            )
        })
    }

    /// Whether `--calibrate` is on.
    pub(crate) fn calibrates(&self) -> bool {
        self.calibrate
    }

    fn params(&self) -> Result<ValidClassifierParams> {
        let mut analyzer = AnalyzerConfig::preset(self.lang);
        analyzer.stem = self.stem;
        analyzer.min_word_chars = self.min_word_chars;
        analyzer.dotted_words = self.dotted_words;
        analyzer.fold_accents = self.fold_accents;
        analyzer.web_rules = self.web_rules;
        if !self.stop_words {
            analyzer.stop_words.clear();
        }
        ClassifierParams::new(self.lang)
            .analyzer(analyzer)
            .kind(self.nb)
            .ngrams(self.ngrams)
            .min_df(self.min_df)
            .min_df_ngrams(Some(self.min_df_ngrams))
            .tf(self.tf)
            .ngram_tf(self.ngram_tf)
            .idf(self.idf)
            .norm(self.norm)
            .alpha(self.alpha)
            .calibrate(self.calibrate)
            .check()
    }
}

/// More worker threads than any machine this runs on has cores: each costs its own memory
/// and start-up (10,000 took half a minute to classify one sentence).
const MAX_THREADS: usize = 1024;

/// A whole number from `min` to `max`, checked by clap: out of range is a malformed command
/// line (exit 2), like any other.
fn in_range(
    min: usize,
    max: usize,
) -> impl Fn(&str) -> std::result::Result<usize, String> + Clone + Send + Sync + 'static {
    move |value| {
        let number: usize = value.parse().map_err(|e| format!("{e}"))?;
        match (number < min, number > max) {
            (false, false) => Ok(number),
            _ if max == usize::MAX => Err(format!("must be at least {min}")),
            _ => Err(format!("must be from {min} to {max}")),
        }
    }
}

/// Smoothing: a finite number above 0.
fn parse_alpha(value: &str) -> std::result::Result<f64, String> {
    match value.parse::<f64>() {
        Ok(alpha) if alpha.is_finite() && alpha > 0.0 => Ok(alpha),
        Ok(_) => Err("the smoothing must be a finite number above 0".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// A CSV field delimiter: one ASCII character, or `tab` / `\t`.
fn parse_delimiter(value: &str) -> std::result::Result<u8, String> {
    match value {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "\"" | "\n" | "\r" => Err(format!(
            "{value:?} cannot separate fields: it quotes them or ends lines"
        )),
        _ if value.len() == 1 && value.is_ascii() => Ok(value.as_bytes()[0]),
        _ => Err(format!(
            "expected one ASCII character or 'tab', not {value:?}"
        )),
    }
}

/// Wraps an output error with the name of the stream.
fn stdout_error(error: io::Error) -> Error {
    Error::io("<stdout>", error)
}

/// Standard output, buffered; callers flush it.
fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// Writes `text` to stdout, mapping errors (a closed pipe among them).
fn print(out: &mut impl Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes()).map_err(stdout_error)
}

/// Refuses `output` (the value of `flag`) when writing it would replace what the command
/// reads: one of `inputs` (what each is, then its path; `-` is standard input, compared as
/// the file it is redirected from), or a `.txt` file inside an input directory (an article
/// there, or one the next time the directory is read). The same file is found by its
/// identity (device and inode) and by canonical path, so that `./`, `..`, symbolic links
/// and redirections do not hide a clash.
fn refuse_overwriting(flag: &str, output: &Path, inputs: &[(&str, &Path)]) -> Result<()> {
    if output == Path::new("-") {
        return Ok(());
    }
    let written = artclass::persist::output_target(output)?;
    let (written_id, written_path) = (file_id(&written), canonical_target(&written));
    for &(what, input) in inputs {
        let input = if input == Path::new("-") {
            Path::new("/dev/stdin")
        } else {
            input
        };
        let input_path = artclass::persist::output_target(input)
            .ok()
            .and_then(|input| canonical_target(&input));
        let same = (written_id.is_some() && file_id(input) == written_id)
            || (written_path.is_some() && input_path == written_path);
        if same {
            return Err(Error::Usage(format!(
                "{flag} {}: that is the {what}; refusing to overwrite the {what}",
                artclass::error::printable(output)
            )));
        }
        let inside = match (&written_path, &input_path) {
            (Some(written), Some(input)) => {
                input.is_dir() && written.starts_with(input) && artclass::input::is_article(written)
            }
            _ => false,
        };
        if inside {
            return Err(Error::Usage(format!(
                "{flag} {}: a .txt file inside the {what} {} is read as an article; write \
                 it elsewhere",
                artclass::error::printable(output),
                artclass::error::printable(input)
            )));
        }
    }
    Ok(())
}

/// The device and inode of the file at `path` (links followed), where there is one.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Whether `path` is where this process's standard output goes (`/dev/stdout`, or the file
/// it is redirected to): a model written there would be mixed with the report.
fn is_stdout(path: &Path) -> bool {
    let id = file_id(path);
    id.is_some() && id == file_id(Path::new("/dev/stdout"))
}

/// The canonical path `path` would have, whether or not it exists yet.
fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(path) = path.canonicalize() {
        return Some(path);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(path.file_name()?))
}

/// Refuses `-` for an output that only a file can take.
fn refuse_stdout(flag: &str, output: &Path, why: &str) -> Result<()> {
    if output == Path::new("-") {
        return Err(Error::Usage(format!("{flag} -: {why}; give a file path")));
    }
    Ok(())
}
