//! `artclass score`: stream a CSV file, append predictions to every row, keep row order.
//!
//! Rows are read in bounded chunks; each chunk is cut into one contiguous part per worker,
//! each worker keeps its own scorer (and word cache) across chunks, and the chunk is written
//! in input order. The output file is a temporary file renamed over OUT only once complete.

use super::{ModelArg, parse_delimiter, stdout_error};
use artclass::input::CsvInput;
use artclass::persist::AtomicFile;
use artclass::{Classifier, Error, Prediction, Result, Scorer};
use rayon::prelude::*;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// CSV file with a header line; `-` reads stdin
    #[arg(long, value_name = "IN.csv")]
    input: String,
    /// Where to write the scored CSV; `-` writes stdout. Never the input file
    #[arg(long, value_name = "OUT.csv")]
    output: String,
    /// CSV column holding the article text
    #[arg(long, value_name = "NAME", default_value = "text")]
    text_column: String,
    /// CSV field delimiter of input and output (one character, or `tab`)
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    delimiter: u8,
}

/// Rows per chunk: enough to keep every core busy, small enough to keep memory flat.
const CHUNK_ROWS: usize = 4096;

pub fn run(args: Args) -> Result<()> {
    refuse_overwriting_input(&args.input, &args.output)?;
    let model = args.model.load()?;
    let mut input = CsvInput::open(&args.input, args.delimiter)?;
    let text_index = input.column(&args.text_column)?;

    match args.output.as_str() {
        "-" => {
            let stdout = io::stdout().lock();
            score_stream(
                &model,
                &mut input,
                text_index,
                args.delimiter,
                stdout,
                "<stdout>",
            )
        }
        path => {
            // On any error the file is dropped and deleted: OUT is never left half-written.
            let mut file = AtomicFile::create(Path::new(path))?;
            score_stream(
                &model,
                &mut input,
                text_index,
                args.delimiter,
                &mut file,
                path,
            )?;
            file.commit()
        }
    }
}

fn score_stream(
    model: &Classifier,
    input: &mut CsvInput,
    text_index: usize,
    delimiter: u8,
    sink: impl Write,
    sink_name: &str,
) -> Result<()> {
    let write_error = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) if sink_name == "<stdout>" => stdout_error(e),
        csv::ErrorKind::Io(e) => Error::io(sink_name, e),
        other => Error::input(sink_name, format!("{other:?}")),
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .buffer_capacity(1 << 20)
        .from_writer(sink);
    let mut header = input.headers().clone();
    header.push_field(b"predicted");
    header.push_field(b"confidence");
    for label in model.labels() {
        header.push_field(format!("prob_{label}").as_bytes());
    }
    writer.write_byte_record(&header).map_err(write_error)?;

    let workers = rayon::current_num_threads().max(1);
    let mut scorers: Vec<Scorer> = (0..workers).map(|_| model.scorer()).collect();
    let mut records: Vec<csv::ByteRecord> = vec![csv::ByteRecord::new(); CHUNK_ROWS];
    let mut predictions: Vec<Option<Prediction>> = vec![None; CHUNK_ROWS];
    let mut cell = String::new();
    loop {
        let mut filled = 0;
        while filled < CHUNK_ROWS && input.read(&mut records[filled])? {
            filled += 1;
        }
        if filled == 0 {
            break;
        }
        let part = filled.div_ceil(workers);
        let columns = input.columns();
        records[..filled]
            .par_chunks(part)
            .zip(predictions[..filled].par_chunks_mut(part))
            .zip(scorers.par_iter_mut())
            .try_for_each(|((rows, outs), scorer)| -> Result<()> {
                for (row, out) in rows.iter().zip(outs) {
                    let text = columns.field(row, text_index)?;
                    *out = Some(scorer.predict_proba(text));
                }
                Ok(())
            })?;
        for (record, prediction) in records[..filled].iter_mut().zip(&predictions[..filled]) {
            let Some(prediction) = prediction else {
                continue;
            };
            let (best, confidence) = prediction.best();
            record.push_field(model.labels()[best].as_bytes());
            push_probability(record, &mut cell, confidence);
            for &p in &prediction.probabilities {
                push_probability(record, &mut cell, p);
            }
            writer.write_byte_record(record).map_err(write_error)?;
        }
        if filled < CHUNK_ROWS {
            break;
        }
    }
    writer.flush().map_err(|e| {
        if sink_name == "<stdout>" {
            stdout_error(e)
        } else {
            Error::io(sink_name, e)
        }
    })
}

fn push_probability(record: &mut csv::ByteRecord, cell: &mut String, p: f64) {
    use std::fmt::Write as _;
    cell.clear();
    let _ = write!(cell, "{p:.6}");
    record.push_field(cell.as_bytes());
}

/// Refuses `--output` naming the input file, whatever the spelling of the path.
fn refuse_overwriting_input(input: &str, output: &str) -> Result<()> {
    if input == "-" || output == "-" {
        return Ok(());
    }
    let same = match (
        Path::new(input).canonicalize(),
        canonical_target(Path::new(output)),
    ) {
        (Ok(a), Some(b)) => a == b,
        _ => input == output,
    };
    if same {
        return Err(Error::Params(format!(
            "--output {output} is the input file; refusing to overwrite the input"
        )));
    }
    Ok(())
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
