//! `artclass score`: stream a CSV file, append predictions to every row, keep row order.
//!
//! A reader thread parses the input into bounded chunks; each chunk is cut into parts that
//! the workers score as they get to them, the parts of the next chunk queued behind those of
//! the current one, so that no worker waits at a chunk's end. Each worker keeps its own
//! scorer (and word cache) from part to part and formats its output rows itself; the main
//! thread only writes the parts in input order as they come back. With `--threads 1`
//! everything runs on one thread. OUT (and the rejects file) are temporary files renamed
//! into place only when the run is complete.

use super::{ModelArg, parse_delimiter, refuse_overwriting, refuse_stdout, stdout_error};
use artclass::input::{self, Columns, CsvInput, CsvRecords, Row};
use artclass::persist::{self, AtomicFile};
use artclass::{Classifier, Error, Result, Scorer};
use std::io::{self, IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// CSV file with a header line; `-` reads stdin
    #[arg(long, value_name = "IN.csv")]
    input: PathBuf,
    /// Where to write the scored CSV; `-` writes stdout. Never the input file
    #[arg(long, value_name = "OUT.csv")]
    output: PathBuf,
    /// CSV column holding the article text
    #[arg(long, value_name = "NAME", default_value = "text")]
    text_column: String,
    /// CSV field delimiter of input and output (one ASCII character, or `tab`)
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    delimiter: u8,
    /// Write bad rows (ragged, misquoted, text not UTF-8) to this CSV with their line and reason, and go
    /// on [default: stop at the first bad row]
    #[arg(long, value_name = "PATH")]
    rejects: Option<PathBuf>,
    /// No progress bar and no summary line on stderr
    #[arg(long)]
    quiet: bool,
}

/// Rows per chunk, and bytes per chunk: whichever comes first. Small enough that memory stays
/// flat (a few chunks in flight), large enough that handing a chunk to the workers is free.
const CHUNK_ROWS: usize = 2048;
const CHUNK_BYTES: usize = 1 << 20;
/// Parts per worker in a chunk, for load balance between long and short rows.
const PARTS_PER_WORKER: usize = 8;
/// Chunks whose parts are handed to the workers at once: the next one's parts are queued
/// while the last parts of the current one are scored.
const CHUNKS_IN_FLIGHT: usize = 2;

/// What the run did, for the summary line.
#[derive(Default)]
struct Stats {
    rows: u64,
    rejected: u64,
    /// Rows whose text is empty or has no word the model knows: scored from the priors alone.
    no_known_word: u64,
    bytes: u64,
}

pub fn run(args: Args) -> Result<()> {
    let output_is_stdout = input::is_stdin(&args.output);
    let mut reads = vec![("input file", args.input.as_path())];
    reads.extend(args.model.path().map(|model| ("model file", model)));
    refuse_overwriting("--output", &args.output, &reads)?;
    if let Some(rejects) = &args.rejects {
        refuse_stdout("--rejects", rejects, "bad rows go to a file of their own")?;
        reads.push(match output_is_stdout {
            true => ("standard output", Path::new("/dev/stdout")),
            false => ("output file", args.output.as_path()),
        });
        refuse_overwriting("--rejects", rejects, &reads)?;
    }
    // The model loads while the input's header and first chunks are read; its errors come
    // first all the same.
    let threaded = rayon::current_num_threads() > 1;
    let (model, input) = std::thread::scope(|scope| {
        let loading = scope.spawn(|| args.model.load());
        let input = CsvInput::open_with(&args.input, args.delimiter, true).and_then(|input| {
            let text_index = input.column(&args.text_column)?;
            let (records, columns) = input.into_parts();
            let chunks = Chunks::start(records, columns.headers().len(), threaded);
            Ok((chunks, columns, text_index))
        });
        (loading.join(), input)
    });
    let model = model.map_err(|_| Error::Internal("loading the model failed".into()))??;
    let (chunks, columns, text_index) = input?;
    let added = added_columns(&model);
    refuse_clashing_columns(&columns, &added)?;
    let total_bytes = (!input::is_stdin(&args.input))
        .then(|| std::fs::metadata(&args.input).ok().map(|m| m.len()))
        .flatten();
    let progress = progress_bar(total_bytes, args.quiet);
    let started = Instant::now();

    let mut rejects = match &args.rejects {
        Some(path) => Some(Rejects::create(path, args.delimiter)?),
        None => None,
    };
    let job = Job {
        model: &model,
        added: &added,
        columns: &columns,
        text_index,
        delimiter: args.delimiter,
        progress: &progress,
    };
    let stats = match output_is_stdout {
        true => {
            let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
            let stats = job.run(chunks, &mut out, rejects.as_mut(), "<stdout>")?;
            out.flush().map_err(stdout_error)?;
            model.check_model_file_unchanged()?;
            stats
        }
        false => {
            let path = &args.output;
            let name = artclass::error::printable(path);
            let file = AtomicFile::create(path)?;
            let mut out = SyncingWriter::new(&file, &name, threaded)?;
            let stats = job.run(chunks, &mut out, rejects.as_mut(), &name)?;
            out.finish()?;
            // Rewritten in place mid-run, the model may have scored rows with other weights.
            model.check_model_file_unchanged()?;
            file.commit()?;
            stats
        }
    };
    if let Some(rejects) = rejects {
        rejects.commit()?;
    }
    progress.finish_and_clear();
    if !args.quiet {
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "artclass: scored {} row{} ({} rejected, {} without a known word) in {:.2} s: {:.1} MB/s, {:.0} rows/s",
            stats.rows,
            if stats.rows == 1 { "" } else { "s" },
            stats.rejected,
            stats.no_known_word,
            seconds,
            stats.bytes as f64 / 1e6 / seconds.max(1e-9),
            stats.rows as f64 / seconds.max(1e-9)
        );
    }
    Ok(())
}

fn progress_bar(total_bytes: Option<u64>, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    // Within 80 columns at the widest: bar 16, `1023.99 MiB/1023.99 MiB` 23, `1023.99 MiB/s` 13,
    // `ETA 59m` 7, `1234567890 rows` 15, and 5 spaces.
    let bar = match total_bytes {
        Some(total) => indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:16} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {binary_bytes} {binary_bytes_per_sec} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    bar
}

/// Writes OUT, syncing every [`SYNC_EVERY`] bytes so that the final sync before the rename
/// is short. With more than one thread it writes on a thread of its own, so the disk writes
/// overlap scoring; with `--threads 1`, inline, so that one thread means one core.
struct SyncingWriter {
    mode: WriterMode,
    buffer: Vec<u8>,
    path: String,
}

enum WriterMode {
    Inline(Sink),
    Threaded {
        sender: Option<mpsc::SyncSender<Vec<u8>>>,
        /// Buffers the thread has written, sent back to be filled again.
        written: mpsc::Receiver<Vec<u8>>,
        thread: Option<std::thread::JoinHandle<io::Result<()>>>,
    },
}

/// The output file, and how much was written to it since it was last synced.
struct Sink {
    handle: std::fs::File,
    /// A device or a pipe (`--output /dev/null`) has nothing to sync.
    regular: bool,
    unsynced: u64,
    writeback: persist::Writeback,
}

impl Sink {
    fn put(&mut self, buffer: &[u8]) -> io::Result<()> {
        self.handle.write_all(buffer)?;
        if !self.regular {
            return Ok(());
        }
        self.unsynced += buffer.len() as u64;
        if self.unsynced >= SYNC_EVERY {
            self.handle.sync_data()?;
            self.unsynced = 0;
            self.writeback.synced();
        } else {
            self.writeback.wrote(&self.handle, buffer.len());
        }
        Ok(())
    }
}

const SYNC_EVERY: u64 = 64 << 20;
const WRITE_BUFFER: usize = 1 << 20;

impl SyncingWriter {
    fn new(file: &AtomicFile, path: &str, threaded: bool) -> Result<Self> {
        let handle = file.handle().map_err(|e| Error::io(path, e))?;
        let regular = handle.metadata().is_ok_and(|m| m.is_file());
        let mut sink = Sink {
            handle,
            regular,
            unsynced: 0,
            writeback: persist::Writeback::default(),
        };
        let mode = if threaded {
            let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(4);
            let (give_back, written) = mpsc::channel::<Vec<u8>>();
            let thread = std::thread::spawn(move || -> io::Result<()> {
                for mut buffer in receiver {
                    sink.put(&buffer)?;
                    buffer.clear();
                    // Reused rather than freed: a fresh megabyte is a page fault per 4 KiB.
                    let _ = give_back.send(buffer);
                }
                Ok(())
            });
            WriterMode::Threaded {
                sender: Some(sender),
                written,
                thread: Some(thread),
            }
        } else {
            WriterMode::Inline(sink)
        };
        Ok(SyncingWriter {
            mode,
            buffer: Vec::with_capacity(WRITE_BUFFER),
            path: path.to_string(),
        })
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let (sender, empty) = match &mut self.mode {
            WriterMode::Inline(sink) => {
                sink.put(&self.buffer)?;
                self.buffer.clear();
                return Ok(());
            }
            WriterMode::Threaded {
                sender, written, ..
            } => {
                let empty = written
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(WRITE_BUFFER));
                (sender, empty)
            }
        };
        let full = std::mem::replace(&mut self.buffer, empty);
        let sent = sender
            .as_ref()
            .map(|s| s.send(full).is_ok())
            .unwrap_or(false);
        if sent {
            return Ok(());
        }
        // The thread is gone: its error says why (disk full…).
        Err(self
            .stop()
            .err()
            .unwrap_or_else(|| io::Error::other("the output writer stopped")))
    }

    /// Closes the channel and waits for the thread: its result, or why it is gone.
    fn stop(&mut self) -> io::Result<()> {
        match &mut self.mode {
            WriterMode::Inline(_) => Ok(()),
            WriterMode::Threaded { sender, thread, .. } => {
                *sender = None;
                match thread.take().map(|t| t.join()) {
                    Some(Ok(result)) => result,
                    _ => Err(io::Error::other("the output writer stopped")),
                }
            }
        }
    }

    /// Writes what is left and waits for the writer thread.
    fn finish(mut self) -> Result<()> {
        self.send()
            .and_then(|()| self.stop())
            .map_err(|e| Error::io(&self.path, e))
    }
}

impl Write for SyncingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= WRITE_BUFFER {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A chunk of input rows and where the input stood after it.
struct Chunk {
    rows: ChunkRows,
    end_offset: u64,
}

/// A chunk's records, and which of them are misquoted (index, why, and the row's bytes as
/// in the file where they could be read again): shared by its parts.
#[derive(Default)]
struct ChunkRows {
    records: Vec<csv::ByteRecord>,
    misquoted: Vec<(usize, String, Option<Vec<u8>>)>,
}

/// Reads the next chunk. Each record starts with room for twice the previous chunk's mean
/// row: a record that grows from nothing doubles (and copies) itself ten times for a 2 kB
/// row, which profiling showed to be a tenth of the reading. The room given in advance is
/// at most twice a chunk in all, so that a chunk of huge rows followed by short ones does not
/// reserve a huge room for each of them.
fn read_chunk(records: &mut CsvRecords, fields: usize, mean_row: &mut usize) -> Result<Chunk> {
    let mut chunk = ChunkRows {
        records: Vec::with_capacity(CHUNK_ROWS),
        misquoted: Vec::new(),
    };
    let mut bytes = 0;
    let mut reserved = 0;
    while chunk.records.len() < CHUNK_ROWS && bytes < CHUNK_BYTES {
        let room = (2 * *mean_row).min((2 * CHUNK_BYTES).saturating_sub(reserved));
        reserved += room;
        let mut record = csv::ByteRecord::with_capacity(room, fields);
        match records.read(&mut record)? {
            Row::End => break,
            Row::Read => {}
            Row::Misquoted { reason, raw } => {
                chunk.misquoted.push((chunk.records.len(), reason, raw))
            }
        }
        bytes += record.as_slice().len();
        chunk.records.push(record);
    }
    if !chunk.records.is_empty() {
        *mean_row = (bytes / chunk.records.len()).clamp(16, CHUNK_BYTES / 2);
    }
    Ok(Chunk {
        rows: chunk,
        end_offset: records.byte_offset(),
    })
}

/// Where the chunks come from: read in turn by the scoring thread itself (one thread), or
/// by a reader thread of their own, one chunk ahead.
enum Chunks {
    Inline {
        records: Box<CsvRecords>,
        fields: usize,
        mean_row: usize,
    },
    Reader(mpsc::Receiver<Result<Chunk>>),
}

impl Chunks {
    fn start(mut records: CsvRecords, fields: usize, threaded: bool) -> Self {
        let mut mean_row = 256;
        if !threaded {
            return Chunks::Inline {
                records: Box::new(records),
                fields,
                mean_row,
            };
        }
        // Handed over when the workers need it: the reader reads one chunk ahead of the
        // two being scored. (A queue of two more chunks only held more memory: 1.7 k more
        // page faults on the 14 MB file, and no speed.)
        let (sender, receiver) = mpsc::sync_channel::<Result<Chunk>>(0);
        // Not joined: it ends at the end of the input, on an error, or when the receiver is
        // gone (the run failed), and a process that stops early does not wait for it.
        std::thread::spawn(move || {
            loop {
                let chunk = read_chunk(&mut records, fields, &mut mean_row);
                let last = chunk.as_ref().map_or(true, |c| c.rows.records.is_empty());
                if sender.send(chunk).is_err() || last {
                    break;
                }
            }
        });
        Chunks::Reader(receiver)
    }

    /// The next chunk; an empty one at the end of the input.
    fn next(&mut self) -> Result<Chunk> {
        match self {
            Chunks::Inline {
                records,
                fields,
                mean_row,
            } => read_chunk(records, *fields, mean_row),
            Chunks::Reader(receiver) => receiver
                .recv()
                .map_err(|_| Error::Internal("the CSV reader thread stopped".into()))?,
        }
    }
}

/// A bad row: its line, why, and the row itself as CSV.
struct Reject {
    line: u64,
    reason: String,
    row: Vec<u8>,
}

/// One worker's share of a chunk: formatted output rows, and the rows it refused.
#[derive(Default)]
struct Part {
    output: Vec<u8>,
    rejects: Vec<Reject>,
    rows: u64,
    no_known_word: u64,
}

struct Job<'a> {
    model: &'a Classifier,
    /// Names of the columns added after the input's.
    added: &'a [Vec<u8>],
    columns: &'a Columns,
    text_index: usize,
    delimiter: u8,
    progress: &'a indicatif::ProgressBar,
}

impl Job<'_> {
    fn run(
        &self,
        mut chunks: Chunks,
        out: &mut impl Write,
        mut rejects: Option<&mut Rejects>,
        out_name: &str,
    ) -> Result<Stats> {
        let write_error = |e: io::Error| {
            if out_name == "<stdout>" {
                stdout_error(e)
            } else {
                Error::io(out_name, e)
            }
        };
        let mut fields: Vec<Vec<u8>> = self.columns.headers().iter().map(<[u8]>::to_vec).collect();
        fields.extend_from_slice(self.added);
        let longest = fields.iter().map(Vec::len).max().unwrap_or(0);
        let mut header = csv_writer(self.delimiter, longest).from_writer(Vec::new());
        header
            .write_record(&fields)
            .map_err(|e| Error::io(out_name, e.into()))?;
        let header = header
            .into_inner()
            .map_err(|e| Error::Internal(format!("formatting CSV output: {e}")))?;
        out.write_all(&header).map_err(write_error)?;

        let workers = rayon::current_num_threads().max(1);
        let mut stats = Stats::default();
        let mut emit = |part: Part, stats: &mut Stats| -> Result<()> {
            if let Some(reject) = part.rejects.first() {
                match rejects.as_deref_mut() {
                    Some(file) => file.write(&part.rejects)?,
                    None => {
                        return Err(Error::input(
                            format!("{}:{}", self.columns.name(), reject.line),
                            format!(
                                "{} (use --rejects PATH to set bad rows aside)",
                                reject.reason
                            ),
                        ));
                    }
                }
            }
            out.write_all(&part.output).map_err(write_error)?;
            stats.rows += part.rows;
            stats.rejected += part.rejects.len() as u64;
            stats.no_known_word += part.no_known_word;
            Ok(())
        };
        if workers == 1 {
            // One thread means one core: read, score and write in turn.
            let mut scorer = self.model.scorer();
            loop {
                let chunk = chunks.next()?;
                if chunk.rows.records.is_empty() {
                    return Ok(stats);
                }
                let part = self.score_part(&chunk.rows, 0..chunk.rows.records.len(), &mut scorer);
                emit(part?, &mut stats)?;
                self.chunk_done(&mut stats, chunk.end_offset);
            }
        }
        // One scorer (and word cache) per worker, lent to whichever part runs: parts are many
        // more than workers so that long and short rows balance out, caches stay warm. Made
        // by the workers on their first part, so that their caches are allocated in parallel.
        let scorers: std::sync::Mutex<Vec<Scorer>> = std::sync::Mutex::new(Vec::new());
        let scorers = &scorers;
        // The parts of the chunks in flight are scored as the workers get to them, and
        // written in input order as they come back: no worker waits for the last part
        // of a chunk nor for the writing of the previous one before it starts the next.
        rayon::in_place_scope(|pool| -> Result<Stats> {
            let (done, results) = mpsc::channel::<(u64, Result<Part>)>();
            let mut finished: std::collections::BTreeMap<u64, Result<Part>> =
                std::collections::BTreeMap::new();
            // (parts spawned up to the end of a chunk, where the chunk ends in the input)
            let mut in_flight: std::collections::VecDeque<(u64, u64)> =
                std::collections::VecDeque::new();
            let (mut spawned, mut written) = (0u64, 0u64);
            let mut end_of_input = false;
            // An input error met reading ahead comes after the rows before it, whose own
            // errors (a bad row) come first.
            let mut read_error = None;
            loop {
                while !end_of_input && in_flight.len() < CHUNKS_IN_FLIGHT {
                    let chunk = match chunks.next() {
                        Ok(chunk) => chunk,
                        Err(e) => {
                            read_error = Some(e);
                            end_of_input = true;
                            break;
                        }
                    };
                    if chunk.rows.records.is_empty() {
                        end_of_input = true;
                        break;
                    }
                    let rows = std::sync::Arc::new(chunk.rows);
                    let len = rows.records.len();
                    let part_len = len.div_ceil(workers * PARTS_PER_WORKER).max(1);
                    for start in (0..len).step_by(part_len) {
                        let (rows, done) = (std::sync::Arc::clone(&rows), done.clone());
                        let number = spawned;
                        pool.spawn(move |_| {
                            let end = (start + part_len).min(rows.records.len());
                            // Every part sends a result, even one that panicked, so
                            // that the writer never waits for it forever.
                            let part = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                let lent = scorers.lock().map(|mut p| p.pop()).unwrap_or(None);
                                let mut scorer = lent.unwrap_or_else(|| self.model.scorer());
                                let part = self.score_part(&rows, start..end, &mut scorer);
                                if let Ok(mut pool) = scorers.lock() {
                                    pool.push(scorer);
                                }
                                part
                            }))
                            .unwrap_or_else(|_| {
                                Err(Error::Internal("a worker thread failed".into()))
                            });
                            // The receiver is gone only when the run already failed.
                            let _ = done.send((number, part));
                        });
                        spawned += 1;
                    }
                    in_flight.push_back((spawned, chunk.end_offset));
                }
                if written == spawned {
                    return read_error.map_or(Ok(stats), Err);
                }
                let part = loop {
                    if let Some(part) = finished.remove(&written) {
                        break part;
                    }
                    let (number, part) = results
                        .recv()
                        .map_err(|_| Error::Internal("a worker thread failed".into()))?;
                    finished.insert(number, part);
                };
                emit(part?, &mut stats)?;
                written += 1;
                if let Some(&(last, end_offset)) = in_flight.front()
                    && last == written
                {
                    in_flight.pop_front();
                    self.chunk_done(&mut stats, end_offset);
                }
            }
        })
    }

    /// Counts a chunk as written, up to `end_offset` bytes of the input.
    fn chunk_done(&self, stats: &mut Stats, end_offset: u64) {
        self.progress.inc(end_offset - stats.bytes);
        stats.bytes = end_offset;
        self.progress.set_message(format!("{} rows", stats.rows));
    }

    /// Scores `rows.records[range]`.
    fn score_part(
        &self,
        rows: &ChunkRows,
        range: std::ops::Range<usize>,
        scorer: &mut Scorer,
    ) -> Result<Part> {
        // Why a row is set aside, and its bytes as in the file when the parser's reading of
        // them is not the row (misquoted).
        let misquoted = |index: usize| {
            rows.misquoted
                .binary_search_by_key(&index, |(at, _, _)| *at)
                .ok()
                .map(|found| {
                    let (_, reason, raw) = &rows.misquoted[found];
                    (reason.clone(), raw.clone())
                })
        };
        let first = range.start;
        let rows_here = &rows.records[range];
        let mut part = Part::default();
        // A row's bytes: at least its longest field.
        let longest = rows_here.iter().map(|r| r.as_slice().len()).max();
        let mut writer = csv_writer(self.delimiter, longest.unwrap_or(0)).from_writer(
            Vec::with_capacity(rows_here.iter().map(|r| r.as_slice().len() + 256).sum()),
        );
        let mut cell = Vec::with_capacity(8);
        let mut counts = itoa::Buffer::new();
        let csv_error = |e: csv::Error| Error::Internal(format!("formatting CSV output: {e}"));
        for (index, row) in (first..).zip(rows_here) {
            let line = artclass::input::line_of(row);
            // The quoting first: a stray quote is also why such a row may look ragged.
            let bad = misquoted(index).or_else(|| Some((self.columns.ragged(row.len())?, None)));
            let text = match bad {
                Some(bad) => Err(bad),
                None => self
                    .columns
                    .utf8_field(row, self.text_index)
                    .map_err(|reason| (reason, None)),
            };
            let text = match text {
                Ok(text) => text,
                Err((reason, raw)) => {
                    part.rejects.push(Reject {
                        line,
                        reason,
                        row: raw.unwrap_or_else(|| raw_row(row, self.delimiter)),
                    });
                    continue;
                }
            };
            let prediction = scorer.predict_proba(text);
            if prediction.known_features == 0 {
                part.no_known_word += 1;
            }
            let (best, confidence) = prediction.best();
            for field in row {
                writer.write_field(field).map_err(csv_error)?;
            }
            writer
                .write_field(self.model.labels()[best].as_bytes())
                .map_err(csv_error)?;
            format_probability(confidence, &mut cell);
            writer.write_field(&cell).map_err(csv_error)?;
            writer
                .write_field(counts.format(prediction.known_features))
                .map_err(csv_error)?;
            for &p in &prediction.probabilities {
                format_probability(p, &mut cell);
                writer.write_field(&cell).map_err(csv_error)?;
            }
            writer.write_record(None::<&[u8]>).map_err(csv_error)?;
            part.rows += 1;
        }
        part.output = writer
            .into_inner()
            .map_err(|e| Error::Internal(format!("formatting CSV output: {e}")))?;
        Ok(part)
    }
}

/// Writes a probability with six decimals (`0.123457`), as `{:.6}` would but without the
/// general float formatter: 22 of these per output row add up.
fn format_probability(p: f64, out: &mut Vec<u8>) {
    let micros = (p.clamp(0.0, 1.0) * 1e6).round() as u64;
    out.clear();
    out.push(b'0' + (micros / 1_000_000) as u8);
    out.push(b'.');
    let fraction = micros % 1_000_000;
    let mut digits = [b'0'; 6];
    let mut rest = fraction;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend_from_slice(&digits);
}

/// Fields up to this long go through csv's default 8 KiB buffer: a few rescans of such a field
/// cost less than a buffer of its size (sized for every part, that cost 0.7 % more instructions
/// on 20newsgroups' test.csv; with this floor, 0.07 %).
const LONG_FIELD: usize = 64 << 10;

/// A CSV writer whose buffer holds a field of `longest` bytes even if every byte is a quote, so
/// that csv_core gets each field in at most two calls (what fits before a flush, the rest after):
/// each call scans the rest of the field for a quote, and with the 8 KiB default a long field
/// was written in time quadratic in its length.
fn csv_writer(delimiter: u8, longest: usize) -> csv::WriterBuilder {
    let mut builder = csv::WriterBuilder::new();
    builder.delimiter(delimiter);
    if longest > LONG_FIELD {
        builder.buffer_capacity(longest.saturating_mul(2).saturating_add(2));
    }
    builder
}

/// A row as the CSV line it came from (re-quoted as needed), without line terminator.
fn raw_row(row: &csv::ByteRecord, delimiter: u8) -> Vec<u8> {
    let mut writer = csv_writer(delimiter, row.as_slice().len())
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = writer.write_byte_record(row);
    let mut bytes = writer.into_inner().unwrap_or_default();
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    bytes
}

/// The `--rejects` file: `line,reason,row`, written atomically like OUT. Each part's rejects
/// are formatted by a [`csv_writer`] sized to their longest row, then written at once.
struct Rejects {
    file: AtomicFile,
    path: PathBuf,
    delimiter: u8,
}

impl Rejects {
    fn create(path: &Path, delimiter: u8) -> Result<Self> {
        let mut rejects = Rejects {
            file: AtomicFile::create(path)?,
            path: path.to_path_buf(),
            delimiter,
        };
        let mut writer = csv_writer(delimiter, 0).from_writer(Vec::new());
        writer
            .write_record(["line", "reason", "row"])
            .map_err(|e| Error::io(path, e.into()))?;
        rejects.put(writer)?;
        Ok(rejects)
    }

    fn write(&mut self, rejects: &[Reject]) -> Result<()> {
        let longest = rejects
            .iter()
            .map(|r| r.row.len().max(r.reason.len()))
            .max();
        let mut writer = csv_writer(self.delimiter, longest.unwrap_or(0)).from_writer(Vec::new());
        let mut line = itoa::Buffer::new();
        for reject in rejects {
            writer
                .write_record([
                    line.format(reject.line).as_bytes(),
                    reject.reason.as_bytes(),
                    &reject.row,
                ])
                .map_err(|e| Error::io(&self.path, e.into()))?;
        }
        self.put(writer)
    }

    /// Writes out what `writer` formatted.
    fn put(&mut self, writer: csv::Writer<Vec<u8>>) -> Result<()> {
        let bytes = writer
            .into_inner()
            .map_err(|e| Error::io(&self.path, io::Error::other(e.to_string())))?;
        self.file
            .write_all(&bytes)
            .map_err(|e| Error::io(&self.path, e))
    }

    fn commit(self) -> Result<()> {
        self.file.commit()
    }
}

/// The columns `score` adds after the input's, in order.
fn added_columns(model: &Classifier) -> Vec<Vec<u8>> {
    let mut names = vec![
        b"predicted".to_vec(),
        b"confidence".to_vec(),
        b"known_features".to_vec(),
    ];
    names.extend(
        model
            .labels()
            .iter()
            .map(|l| format!("prob_{l}").into_bytes()),
    );
    names
}

/// An input that already has a column `score` adds (a file scored before) would give an
/// output with two columns of one name, and tools that pick a column by name take the first:
/// the old prediction.
fn refuse_clashing_columns(columns: &Columns, added: &[Vec<u8>]) -> Result<()> {
    let clashing: Vec<String> = added
        .iter()
        .filter(|name| columns.headers().iter().any(|h| h == name.as_slice()))
        .map(|name| format!("'{}'", String::from_utf8_lossy(name)))
        .collect();
    if clashing.is_empty() {
        return Ok(());
    }
    Err(Error::input(
        columns.name(),
        format!(
            "the header already has {} that score adds ({}): a file scored before? Remove or \
             rename {} first: the output would have two columns of one name",
            if clashing.len() == 1 {
                "a column"
            } else {
                "columns"
            },
            clashing.join(", "),
            if clashing.len() == 1 { "it" } else { "them" },
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::format_probability;

    #[test]
    fn probabilities_have_six_decimals() {
        let mut out = Vec::new();
        for (p, expected) in [
            (0.0, "0.000000"),
            (1.0, "1.000000"),
            (0.1234564, "0.123456"),
            (0.9999996, "1.000000"),
            (0.5, "0.500000"),
            (3e-7, "0.000000"),
            (7e-7, "0.000001"),
        ] {
            format_probability(p, &mut out);
            assert_eq!(std::str::from_utf8(&out).unwrap(), expected, "{p}");
        }
    }
}
