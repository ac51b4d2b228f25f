//! Reading articles: CSV files (or stdin) and directories of `.txt` files, with errors that
//! name the file, line and column.

use crate::error::{Error, Result};
use crate::features::MIN_CHUNK_DOCS;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

mod quoting;
use quoting::{QuoteCheck, QuoteProblem};

/// Labelled texts for training or evaluation, in input order.
#[derive(Debug, Default)]
pub struct LabeledTexts {
    /// The articles' texts, in input order.
    pub texts: Vec<String>,
    /// Each text's label, at the same index: trimmed and in NFC ([`checked_label`]), never
    /// empty.
    pub labels: Vec<String>,
}

/// How messages name an input: `<stdin>` for `-`, otherwise the path, with its control
/// characters escaped (a tab or a line break in a name would break the message's line) and
/// the bytes of a name that is not UTF-8 shown as replacement characters (the file itself is
/// opened by its own bytes).
pub fn display_name(path: &Path) -> String {
    if is_stdin(path) {
        return "<stdin>".to_string();
    }
    crate::error::printable(path)
}

/// `-`, standard input.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// A CSV reader over a file or stdin that knows its name and header.
pub struct CsvInput {
    records: CsvRecords,
    columns: Columns,
}

/// The record-reading half of a [`CsvInput`], which can move to a reader thread.
pub struct CsvRecords {
    reader: csv::Reader<QuoteCheck<Box<dyn Read + Send>>>,
    name: String,
    /// The input file again, to read a misquoted row's bytes back from (positioned reads,
    /// which leave the reader's offset alone).
    file: Option<File>,
}

/// UTF-8's byte-order mark, U+FEFF.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn strip_boms(mut field: &[u8]) -> &[u8] {
    while let Some(rest) = field.strip_prefix(BOM) {
        field = rest;
    }
    field
}

/// The longest misquoted row read back from the file: a quote never closed makes the rest
/// of the input one row.
const MAX_RAW_ROW: u64 = 1 << 20;

/// What [`CsvRecords::read`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Row {
    /// A record.
    Read,
    /// A record whose quoting is wrong: why, and the row's bytes as they are in the file
    /// (where the input can be read again: a file, not stdin); the record holds what the
    /// parser made of it.
    Misquoted {
        /// Why the quoting is wrong, as a message for the user.
        reason: String,
        /// The row's bytes as in the file, without the line ends around it; `None` where they
        /// cannot be read back (stdin, a pipe, a row over 1 MiB).
        raw: Option<Vec<u8>>,
    },
    /// The end of the input: no record was read.
    End,
}

impl CsvRecords {
    /// Reads the next record into `record`.
    pub fn read(&mut self, record: &mut csv::ByteRecord) -> Result<Row> {
        let read = self.reader.read_byte_record(record);
        let end = self.reader.position().byte();
        let read = match read {
            Ok(read) => read,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| self.reader.get_mut().line_at(p.byte()));
                // A misquoted row is often ragged too (strict readers refuse that): the
                // quoting is the cause to name.
                let ragged = matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. });
                return Err(match self.reader.get_mut().problem_up_to(end) {
                    Some(problem) if ragged => Error::input(
                        format!("{}:{}", self.name, line.unwrap_or(0)),
                        misquoted(problem, record, line.unwrap_or(1)),
                    ),
                    _ => csv_error(&self.name, e, line),
                });
            }
        };
        if !read {
            return Ok(Row::End);
        }
        // The record's line, counted from the bytes (see `QuoteCheck::line_at`), replaces
        // the csv crate's.
        if let Some(mut position) = record.position().cloned() {
            position.set_line(self.reader.get_mut().line_at(position.byte()));
            record.set_position(Some(position));
        }
        Ok(match self.reader.get_mut().problem_up_to(end) {
            None => Row::Read,
            Some(problem) => Row::Misquoted {
                reason: misquoted(problem, record, line_of(record)),
                raw: record
                    .position()
                    .and_then(|start| self.raw_row(start.byte(), end)),
            },
        })
    }

    /// The bytes of the row between `start` and `end` in the input file, without the line
    /// ends around it, if the input is a file and the row not too long.
    fn raw_row(&self, start: u64, end: u64) -> Option<Vec<u8>> {
        let file = self.file.as_ref()?;
        if end < start || end - start > MAX_RAW_ROW {
            return None;
        }
        let mut bytes = vec![0; (end - start) as usize];
        #[cfg(unix)]
        std::os::unix::fs::FileExt::read_exact_at(file, &mut bytes, start).ok()?;
        #[cfg(not(unix))]
        {
            let _ = file;
            return None;
        }
        // The parser's start may be at the line end before the row (the `\n` of a `\r\n`).
        let first = bytes.iter().position(|&b| b != b'\n' && b != b'\r')?;
        let last = bytes.iter().rposition(|&b| b != b'\n' && b != b'\r')?;
        Some(bytes[first..=last].to_vec())
    }

    /// Bytes of input consumed so far.
    pub fn byte_offset(&self) -> u64 {
        self.reader.position().byte()
    }
}

/// A CSV source's name and header: enough to decode fields and name lines in errors, and
/// shareable between threads while the reader stays with one.
pub struct Columns {
    name: String,
    headers: csv::ByteRecord,
}

impl CsvInput {
    /// Opens a CSV file (`-` for stdin) whose rows must all have the header's field count.
    pub fn open(path: &Path, delimiter: u8) -> Result<Self> {
        Self::open_with(path, delimiter, false)
    }

    /// Opens a CSV file; with `flexible`, rows of another length are returned, not refused,
    /// for the caller to check.
    pub fn open_with(path: &Path, delimiter: u8, flexible: bool) -> Result<Self> {
        let name = display_name(path);
        if is_stdin(path) {
            return Self::from_reader(Box::new(io::stdin()), name, delimiter, flexible, 1 << 20);
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let metadata = file.metadata().map_err(|e| Error::io(path, e))?;
        if metadata.is_dir() {
            return Err(Error::input(name, "is a directory, expected a CSV file"));
        }
        // Only a regular file can be read again at an offset (not a pipe, not a FIFO).
        let again = metadata.is_file().then(|| file.try_clone().ok()).flatten();
        let mut input = Self::from_reader(Box::new(file), name, delimiter, flexible, 1 << 20)?;
        input.records.file = again;
        Ok(input)
    }

    /// [`CsvInput::open_with`] of an open `source` called `name`, parsed through a buffer of
    /// `buffer` bytes.
    fn from_reader(
        source: Box<dyn Read + Send>,
        name: String,
        delimiter: u8,
        flexible: bool,
        buffer: usize,
    ) -> Result<Self> {
        // The CSV reader's own buffer, large: no second buffer to copy through, few reads.
        let mut reader = csv::ReaderBuilder::new()
            .buffer_capacity(buffer)
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(flexible)
            .from_reader(QuoteCheck::new(source, delimiter));
        let mut headers = reader
            .byte_headers()
            .map_err(|e| csv_error(&name, e, Some(1)))?
            .clone();
        // The csv crate drops one byte-order mark; a file that went through two tools that
        // each added one has another, which would hide the first column's name.
        if headers.get(0).is_some_and(|first| first.starts_with(BOM)) {
            headers = headers
                .iter()
                .enumerate()
                .map(|(i, field)| match i {
                    0 => strip_boms(field),
                    _ => field,
                })
                .collect();
        }
        let header_end = reader.position().byte();
        if let Some(problem) = reader.get_mut().problem_up_to(header_end) {
            return Err(Error::input(
                format!("{name}:1"),
                format!("header line: {}", misquoted(problem, &headers, 1)),
            ));
        }
        if headers.is_empty() || (headers.len() == 1 && headers[0].trim_ascii().is_empty()) {
            return Err(Error::input(name, "empty file: expected a CSV header line"));
        }
        if let Some(i) = headers.iter().position(|h| std::str::from_utf8(h).is_err()) {
            return Err(Error::input(
                name,
                format!(
                    "line 1: header field {} is not valid UTF-8{}",
                    i + 1,
                    encoding_hint(headers.as_slice())
                ),
            ));
        }
        // UTF-8 text holds no zero byte; UTF-16 (without a byte-order mark, which makes the
        // header invalid UTF-8, above) has one in every ASCII character.
        if headers.as_slice().contains(&0) {
            return Err(Error::input(
                format!("{name}:1"),
                format!("the header {ZERO_BYTES}"),
            ));
        }
        Ok(CsvInput {
            records: CsvRecords {
                reader,
                name: name.clone(),
                file: None,
            },
            columns: Columns { name, headers },
        })
    }

    /// The reader and the header, apart.
    pub fn into_parts(self) -> (CsvRecords, Columns) {
        (self.records, self.columns)
    }

    /// The input's name and header: what decodes fields and names lines in errors.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// The header's fields (each valid UTF-8, checked when opened).
    pub fn headers(&self) -> &csv::ByteRecord {
        &self.columns.headers
    }

    /// Index of the column called `column`, or an error listing the columns there are.
    pub fn column(&self, column: &str) -> Result<usize> {
        self.columns.column(column)
    }

    /// Reads the next record into `record`; false at end of input. A misquoted record is an
    /// error naming its line.
    pub fn read(&mut self, record: &mut csv::ByteRecord) -> Result<bool> {
        match self.records.read(record)? {
            Row::Read => Ok(true),
            Row::End => Ok(false),
            Row::Misquoted { reason, .. } => Err(Error::input(self.columns.origin(record), reason)),
        }
    }
}

impl Columns {
    /// The header's fields (each valid UTF-8, checked when opened).
    pub fn headers(&self) -> &csv::ByteRecord {
        &self.headers
    }

    /// The ragged-row message for a record of `len` fields, if its length is not the header's.
    pub fn ragged(&self, len: usize) -> Option<String> {
        (len != self.headers.len()).then(|| ragged_row(len, self.headers.len()))
    }

    /// How messages name the input: `<stdin>`, or its printable path ([`display_name`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Index of the column called `column`, or an error listing the columns there are, or
    /// naming the positions of a name the header holds more than once (which one was meant
    /// is not for artclass to guess).
    pub fn column(&self, column: &str) -> Result<usize> {
        let positions: Vec<usize> = self
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == column.as_bytes())
            .map(|(i, _)| i + 1)
            .collect();
        if positions.len() > 1 {
            let positions: Vec<String> = positions.iter().map(usize::to_string).collect();
            return Err(Error::input(
                &self.name,
                format!(
                    "the header names column '{column}' more than once (columns {})",
                    positions.join(", ")
                ),
            ));
        }
        positions
            .first()
            .map(|&position| position - 1)
            .ok_or_else(|| {
                // Quoted, so that a space around a name shows (`' text'`).
                let names: Vec<String> = self
                    .headers
                    .iter()
                    .map(|h| format!("'{}'", String::from_utf8_lossy(h).escape_debug()))
                    .collect();
                Error::input(
                    &self.name,
                    format!(
                        "no column '{column}' (columns: {}){}",
                        names.join(", "),
                        self.column_hint(column)
                    ),
                )
            })
    }

    /// When the header is one field that another delimiter would split into columns, one of
    /// them `column` (a `;`-separated export read with `,`): which `--delimiter` to give. When
    /// a column's name differs from `column` only by spaces around it or by case: that one.
    fn column_hint(&self, column: &str) -> String {
        let near = self.headers.iter().find(|h| {
            std::str::from_utf8(h).is_ok_and(|h| h.trim().eq_ignore_ascii_case(column.trim()))
        });
        if let Some(near) = near {
            return format!(
                ": did you mean '{}'?",
                String::from_utf8_lossy(near).escape_debug()
            );
        }
        if self.headers.len() != 1 {
            return String::new();
        }
        let only = &self.headers[0];
        [(b';', "';'"), (b',', "','"), (b'\t', "tab"), (b'|', "'|'")]
            .iter()
            .find(|(delimiter, _)| {
                only.split(|b| b == delimiter)
                    .any(|name| name == column.as_bytes())
            })
            .map(|(_, flag)| {
                format!(": the header looks separated by {flag}, try --delimiter {flag}")
            })
            .unwrap_or_default()
    }

    /// A field of a record as UTF-8, or an error naming line and column.
    pub fn field<'r>(&self, record: &'r csv::ByteRecord, index: usize) -> Result<&'r str> {
        self.utf8_field(record, index)
            .map_err(|reason| Error::input(self.origin(record), reason))
    }

    /// A field of a record as UTF-8, or why not (naming the column).
    pub fn utf8_field<'r>(
        &self,
        record: &'r csv::ByteRecord,
        index: usize,
    ) -> std::result::Result<&'r str, String> {
        let bytes = record.get(index).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|_| {
            format!(
                "column '{}' is not valid UTF-8{}",
                String::from_utf8_lossy(self.headers.get(index).unwrap_or_default()),
                encoding_hint(bytes)
            )
        })
    }

    /// `name:line` of a record, for messages.
    pub fn origin(&self, record: &csv::ByteRecord) -> String {
        format!("{}:{}", self.name, line_of(record))
    }
}

/// What text that is not UTF-8 probably is, said after the error: UTF-16 (a byte-order mark,
/// or a zero byte every other byte: Excel's "Unicode text"), or else a one-byte encoding such
/// as Windows-1252, the default of many French spreadsheet exports.
pub fn encoding_hint(bytes: &[u8]) -> &'static str {
    let zeros_every_other = |start: usize| {
        let sample = &bytes[..bytes.len().min(64)];
        sample.len() >= 4 && sample.iter().skip(start).step_by(2).all(|&b| b == 0)
    };
    if bytes.starts_with(b"\xff\xfe")
        || bytes.starts_with(b"\xfe\xff")
        || zeros_every_other(0)
        || zeros_every_other(1)
    {
        ": the file looks like UTF-16; save it as UTF-8"
    } else {
        ": Windows-1252 or Latin-1? Convert the file with `iconv -f WINDOWS-1252 -t UTF-8`"
    }
}

/// Why text that is valid UTF-8 but for its zero bytes is refused: UTF-16 without a
/// byte-order mark is just that when its characters are ASCII.
const ZERO_BYTES: &str =
    "holds zero bytes: the file looks like UTF-16 (or is not text); save it as UTF-8";

/// 1-based line where a record starts.
pub fn line_of(record: &csv::ByteRecord) -> u64 {
    record.position().map(|p| p.line()).unwrap_or(0)
}

/// Why `record`, starting on `line`, is misquoted, with how far it runs: a stray quote pulls
/// the lines after it into the row.
fn misquoted(problem: QuoteProblem, record: &csv::ByteRecord, line: u64) -> String {
    let fields = record.as_slice();
    // A line end at the very end of an unclosed field is the input's last, not a line more.
    let fields = fields
        .strip_suffix(b"\r\n")
        .or_else(|| fields.strip_suffix(b"\n"))
        .or_else(|| fields.strip_suffix(b"\r"))
        .unwrap_or(fields);
    let lines = line_breaks(fields);
    let last = line.max(1) + lines;
    match problem {
        QuoteProblem::NeverClosed => format!(
            "a quoted field is never closed: the row runs to the end of the input (line {last})"
        ),
        QuoteProblem::TextAfterQuote if lines > 0 => format!(
            "text follows the closing quote of a quoted field, which runs on to line {last}: \
             a quote inside it is not doubled (\"\") and rows may have merged into it"
        ),
        QuoteProblem::TextAfterQuote => {
            "text follows the closing quote of a quoted field: a quote inside it is not doubled (\"\")"
                .to_string()
        }
    }
}

fn ragged_row(len: usize, expected: usize) -> String {
    let fields = if len == 1 { "field" } else { "fields" };
    format!("ragged row: {len} {fields} where the header has {expected}")
}

/// Line ends in `bytes`: `\n`, `\r\n` or a lone `\r`.
fn line_breaks(bytes: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let cr = memchr::memchr_iter(b'\r', bytes).count();
    let crlf = memchr::memmem::find_iter(bytes, b"\r\n").count();
    (lf + cr - crlf) as u64
}

/// `error` of the csv crate as ours; `line` where the row starts, counted from the bytes.
fn csv_error(name: &str, error: csv::Error, line: Option<u64>) -> Error {
    let origin = match line {
        Some(line) => format!("{name}:{line}"),
        None => name.to_string(),
    };
    match error.into_kind() {
        csv::ErrorKind::Io(e) => Error::io(name, e),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::input(origin, ragged_row(len as usize, expected_len as usize)),
        csv::ErrorKind::Utf8 { err, .. } => Error::input(origin, format!("invalid UTF-8: {err}")),
        other => Error::input(origin, format!("unreadable CSV: {other:?}")),
    }
}

/// Reads labelled texts from a CSV file (`text_column`, `label_column`) or from a directory
/// with one sub-directory per label holding `.txt` files. Empty texts and labels are errors.
pub fn read_labeled(
    path: &Path,
    text_column: &str,
    label_column: &str,
    delimiter: u8,
) -> Result<LabeledTexts> {
    let mut out = LabeledTexts::default();
    for chunk in labeled_chunks(path, text_column, label_column, delimiter)? {
        let chunk = chunk?;
        out.texts.extend(chunk.texts);
        out.labels.extend(chunk.labels);
    }
    Ok(out)
}

/// [`read_labeled`] in chunks of at most [`MIN_CHUNK_DOCS`] documents, in input order, for
/// training while the input is read ([`crate::ValidClassifierParams::fit_chunks`]). A CSV
/// file (or stdin) is read as the chunks are taken; a directory is read whole first. The
/// same checks, the same errors; an input without a document is an error.
pub fn labeled_chunks(
    path: &Path,
    text_column: &str,
    label_column: &str,
    delimiter: u8,
) -> Result<LabeledChunks> {
    let source = if !is_stdin(path) && path.is_dir() {
        return listed_chunks(path, label_directories(path)?.labels);
    } else {
        if text_column == label_column {
            return Err(Error::Usage(format!(
                "--text-column and --label-column both name '{text_column}'"
            )));
        }
        let input = CsvInput::open(path, delimiter)?;
        ChunkSource::Csv {
            text_index: input.column(text_column)?,
            label_index: input.column(label_column)?,
            input: Box::new(input),
            text_column: text_column.to_string(),
            label_column: label_column.to_string(),
            record: csv::ByteRecord::new(),
        }
    };
    Ok(LabeledChunks {
        source,
        name: display_name(path),
        any: false,
        finished: false,
    })
}

/// [`labeled_chunks`] of the training directory `root` as [`label_directories`] listed it:
/// for a caller that has listed it already, to read exactly the files it checked.
pub fn listed_chunks(root: &Path, listing: Vec<LabelDirectory>) -> Result<LabeledChunks> {
    let all = read_listing(root, listing)?;
    Ok(LabeledChunks {
        source: ChunkSource::Read {
            texts: all.texts.into_iter(),
            labels: all.labels.into_iter(),
        },
        name: display_name(root),
        any: false,
        finished: false,
    })
}

/// The chunks of [`labeled_chunks`].
pub struct LabeledChunks {
    source: ChunkSource,
    name: String,
    /// Whether a chunk has been handed out: an input without one is an error.
    any: bool,
    finished: bool,
}

enum ChunkSource {
    Csv {
        input: Box<CsvInput>,
        text_index: usize,
        label_index: usize,
        text_column: String,
        label_column: String,
        record: csv::ByteRecord,
    },
    Read {
        texts: std::vec::IntoIter<String>,
        labels: std::vec::IntoIter<String>,
    },
}

impl LabeledChunks {
    fn next_chunk(&mut self) -> Result<LabeledTexts> {
        let mut out = LabeledTexts::default();
        match &mut self.source {
            ChunkSource::Csv {
                input,
                text_index,
                label_index,
                text_column,
                label_column,
                record,
            } => {
                while out.texts.len() < MIN_CHUNK_DOCS && input.read(record)? {
                    let columns = input.columns();
                    let text = columns.field(record, *text_index)?;
                    let label = clean_label(columns.field(record, *label_index)?, || {
                        columns.origin(record)
                    })?;
                    if text.trim().is_empty() {
                        return Err(Error::input(
                            columns.origin(record),
                            format!("empty article in column '{text_column}'"),
                        ));
                    }
                    if label.is_empty() {
                        return Err(Error::input(
                            columns.origin(record),
                            format!("empty label in column '{label_column}'"),
                        ));
                    }
                    out.texts.push(text.to_string());
                    out.labels.push(label);
                }
            }
            ChunkSource::Read { texts, labels } => {
                out.texts.extend(texts.by_ref().take(MIN_CHUNK_DOCS));
                out.labels.extend(labels.by_ref().take(MIN_CHUNK_DOCS));
            }
        }
        Ok(out)
    }
}

impl Iterator for LabeledChunks {
    type Item = Result<LabeledTexts>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let chunk = match self.next_chunk() {
            Ok(chunk) => chunk,
            Err(e) => {
                self.finished = true;
                return Some(Err(e));
            }
        };
        if chunk.texts.is_empty() {
            self.finished = true;
            return (!self.any).then(|| Err(Error::input(self.name.clone(), "no documents")));
        }
        self.any = true;
        Some(Ok(chunk))
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if !entry.file_name().to_string_lossy().starts_with('.') {
            entries.push(entry.path());
        }
    }
    entries.sort();
    Ok(entries)
}

/// A label, its directory and its articles.
pub type LabelDirectory = (String, PathBuf, Vec<PathBuf>);

/// A training directory as [`label_directories`] lists it.
#[derive(Debug, Default)]
pub struct Listing {
    /// The label directories with at least one article, in the order they are read.
    pub labels: Vec<LabelDirectory>,
    /// What the directory holds that is not read, and why: for a warning, since a file put
    /// in the wrong place would otherwise go missing from training without a word.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// A training directory's label directories (label, path) and the article files of each,
/// in the order they are read: what [`listed_chunks`] reads, and what `train` must not
/// write over. Names starting with `.` are passed over, as hidden.
pub fn label_directories(root: &Path) -> Result<Listing> {
    let mut listing = Listing::default();
    for entry in sorted_entries(root)? {
        if !entry.is_dir() {
            listing
                .skipped
                .push((entry, "outside the label directories"));
            continue;
        }
        let name = entry.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            Error::input(display_name(&entry), "directory name is not valid UTF-8")
        })?;
        let origin = || display_name(&entry);
        let label = clean_label(name, origin)?;
        if label.is_empty() {
            return Err(Error::input(origin(), "a label directory's name is blank"));
        }
        let mut articles = Vec::new();
        for file in sorted_entries(&entry)? {
            if file.is_dir() {
                listing
                    .skipped
                    .push((file, "a directory inside a label directory"));
            } else if is_article(&file) {
                articles.push(file);
            } else {
                listing.skipped.push((file, "not a .txt file"));
            }
        }
        if articles.is_empty() {
            listing
                .skipped
                .push((entry, "a label directory without a .txt article"));
        } else {
            listing.labels.push((label, entry, articles));
        }
    }
    Ok(listing)
}

/// A `.txt` file, whatever the case of its extension: an article in a label directory.
pub fn is_article(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
}

fn read_listing(root: &Path, listing: Vec<LabelDirectory>) -> Result<LabeledTexts> {
    let mut out = LabeledTexts::default();
    for (label, _, articles) in listing {
        for file in articles {
            out.texts.push(read_article(&file)?);
            out.labels.push(label.clone());
        }
    }
    if out.texts.is_empty() {
        return Err(Error::input(
            display_name(root),
            "no .txt files in label sub-directories (expected DIR/<label>/<article>.txt)",
        ));
    }
    Ok(out)
}

/// A label as read, made the one name it is meant to be: spaces and invisible characters
/// (zero-width space, word joiner, byte-order mark) around it dropped, and put in Unicode
/// NFC, so that `café` typed on macOS (whose file names are decomposed, NFD) and elsewhere
/// is one label. Refuses a label holding a control character (a tab, a line break) or a
/// noncharacter: labels are printed tab-separated, one result per line, and are columns'
/// names in `score`'s output. An empty label is left to the caller to name.
fn clean_label(raw: &str, origin: impl FnOnce() -> String) -> Result<String> {
    checked_label(raw).map_err(|message| Error::input(origin(), message))
}

/// [`normalize_label`], then refused, with why, if it holds a control character or a
/// noncharacter. What every label goes through: as read here, and in training given labels
/// by a library user.
pub fn checked_label(raw: &str) -> std::result::Result<String, String> {
    let label = normalize_label(raw);
    match label.chars().find(|&c| crate::error::unprintable(c)) {
        None => Ok(label),
        Some(bad) => Err(format!(
            "label '{}' holds {} (U+{:04X}): labels are one-line names",
            crate::error::printable_text(&label),
            match bad.is_control() {
                true => "a control character",
                false => "a noncharacter",
            },
            bad as u32
        )),
    }
}

/// `raw` as labels are read since 2026-11-23: spaces and invisible characters around it
/// dropped, in NFC. For matching a label against those of a model trained before, which
/// kept its labels as they were written.
pub fn normalize_label(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let label = raw.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
    });
    match label.is_ascii() {
        true => label.to_string(),
        false => label.nfc().collect(),
    }
}

/// Reads one article from a file, or from stdin for `-`; it must be UTF-8 and not blank.
pub fn read_article(path: &Path) -> Result<String> {
    let bytes = if is_stdin(path) {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("<stdin>", e))?;
        bytes
    } else {
        std::fs::read(path).map_err(|e| match e.kind() {
            io::ErrorKind::IsADirectory => Error::input(
                display_name(path),
                "is a directory, expected an article file",
            ),
            _ => Error::io(path, e),
        })?
    };
    let name = display_name(path);
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            name.clone(),
            format!(
                "not valid UTF-8 (first bad byte at offset {}){}",
                e.utf8_error().valid_up_to(),
                encoding_hint(e.as_bytes())
            ),
        )
    })?;
    // Notepad's UTF-8 starts with a byte-order mark (two, after two such tools): not part
    // of the article.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.trim_start_matches('\u{feff}').to_string(),
        None => text,
    };
    if text.trim().is_empty() {
        return Err(Error::input(name, "empty article"));
    }
    // UTF-8 text holds no zero byte; UTF-16 without a byte-order mark is valid UTF-8 when
    // all its characters are ASCII, with a zero byte in each.
    if text.contains('\0') {
        return Err(Error::input(name, ZERO_BYTES));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out at most `piece` bytes per read.
    struct Pieces {
        bytes: Vec<u8>,
        at: usize,
        piece: usize,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.piece).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// The line of each row of `csv` (or of the error that stops it), read in pieces of
    /// `piece` bytes through a parser buffer of `buffer` bytes.
    fn row_lines(csv: &str, piece: usize, buffer: usize) -> Vec<std::result::Result<u64, String>> {
        let source = Pieces {
            bytes: csv.as_bytes().to_vec(),
            at: 0,
            piece,
        };
        let input = CsvInput::from_reader(Box::new(source), "t.csv".into(), b',', false, buffer);
        let (mut records, _) = input.unwrap().into_parts();
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        loop {
            match records.read(&mut record) {
                Ok(Row::End) => return lines,
                Ok(_) => lines.push(Ok(line_of(&record))),
                Err(e) => {
                    lines.push(Err(e.to_string()));
                    return lines;
                }
            }
        }
    }

    #[test]
    fn rows_are_numbered_by_their_first_line_whatever_the_line_ends() {
        // Rows start on lines 2, 4 (after a blank line), 7 (after a field of two lines and a
        // blank line) and 8; the last is ragged, and names its line.
        let lines = [
            "id,text",
            "1,a",
            "",
            "2,\"x",
            "y\"",
            "",
            "3,c",
            "4,d,extra",
            "",
        ];
        for end in ["\n", "\r\n", "\r"] {
            let csv = lines.join(end);
            for piece in [1, 2, 3, 5, 64] {
                for buffer in [1, 3, 1 << 10] {
                    let case = format!("{end:?}, pieces of {piece}, buffer {buffer}");
                    let got = row_lines(&csv, piece, buffer);
                    assert_eq!(got[..3], [Ok(2), Ok(4), Ok(7)], "{case}");
                    let error = got[3].as_ref().unwrap_err();
                    assert!(error.starts_with("t.csv:8: ragged row"), "{case}: {error}");
                }
            }
        }
        // Mixed line ends, and a BOM.
        let csv = "\u{feff}id,text\r\n1,a\n2,b\r3,c\r\n\r\n4,d";
        assert_eq!(row_lines(csv, 4, 8), vec![Ok(2), Ok(3), Ok(4), Ok(6)]);
    }

    #[test]
    fn a_misquoted_row_says_how_far_it_runs_whatever_the_line_ends() {
        for end in ["\n", "\r\n", "\r"] {
            let csv = ["id,text", "1,ok", "2,\"never closed", "more", "3,ok", ""].join(end);
            let source = Box::new(std::io::Cursor::new(csv.into_bytes()));
            let input = CsvInput::from_reader(source, "t.csv".into(), b',', true, 1 << 10);
            let (mut records, _) = input.unwrap().into_parts();
            let mut record = csv::ByteRecord::new();
            assert_eq!(records.read(&mut record).unwrap(), Row::Read);
            assert_eq!(line_of(&record), 2);
            let Row::Misquoted { reason, .. } = records.read(&mut record).unwrap() else {
                panic!("{end:?}: the second row is misquoted");
            };
            assert_eq!(line_of(&record), 3, "{end:?}");
            assert!(reason.contains("(line 5)"), "{end:?}: {reason}");
        }
    }

    fn chunks_of(path: &Path) -> Vec<Result<LabeledTexts>> {
        labeled_chunks(path, "text", "label", b',')
            .unwrap()
            .collect()
    }

    #[test]
    fn csv_rows_come_in_order_in_bounded_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.csv");
        let rows = 2 * MIN_CHUNK_DOCS + 3;
        let mut csv = String::from("label,text\n");
        for i in 0..rows {
            csv.push_str(&format!("l{},\"texte {i}\nsur deux lignes\"\n", i % 3));
        }
        std::fs::write(&path, csv).unwrap();
        let chunks: Vec<LabeledTexts> = chunks_of(&path).into_iter().map(Result::unwrap).collect();
        let sizes: Vec<usize> = chunks.iter().map(|c| c.texts.len()).collect();
        assert_eq!(sizes, [MIN_CHUNK_DOCS, MIN_CHUNK_DOCS, 3]);
        let texts: Vec<&String> = chunks.iter().flat_map(|c| &c.texts).collect();
        assert_eq!(texts.len(), rows);
        assert_eq!(texts[300], "texte 300\nsur deux lignes");
        let last: Vec<String> = (2 * MIN_CHUNK_DOCS..rows)
            .map(|i| format!("l{}", i % 3))
            .collect();
        assert_eq!(chunks[2].labels, last);
    }

    #[test]
    fn a_bad_row_in_a_later_chunk_is_named_and_ends_the_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.csv");
        let mut csv = String::from("label,text\n");
        for i in 0..MIN_CHUNK_DOCS + 10 {
            csv.push_str(&format!("a,texte {i}\n"));
        }
        csv.push_str(",sans label\nb,encore\n");
        std::fs::write(&path, csv).unwrap();
        let chunks = chunks_of(&path);
        assert_eq!(chunks.len(), 2);
        assert!(chunks[0].is_ok());
        let error = chunks[1].as_ref().unwrap_err().to_string();
        let line = MIN_CHUNK_DOCS + 12;
        assert!(
            error.contains(&format!("train.csv:{line}: empty label in column 'label'")),
            "{error}"
        );
    }

    #[test]
    fn no_document_is_an_error_and_directories_come_in_chunks_too() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "label,text\n").unwrap();
        let chunks = chunks_of(&empty);
        assert_eq!(chunks.len(), 1);
        let error = chunks[0].as_ref().unwrap_err().to_string();
        assert!(error.ends_with("empty.csv: no documents"), "{error}");

        let root = dir.path().join("corpus");
        for label in ["a", "b"] {
            std::fs::create_dir_all(root.join(label)).unwrap();
            for i in 0..MIN_CHUNK_DOCS {
                std::fs::write(root.join(label).join(format!("{i:03}.txt")), "un texte").unwrap();
            }
        }
        let chunks: Vec<LabeledTexts> = chunks_of(&root).into_iter().map(Result::unwrap).collect();
        assert_eq!(chunks.len(), 2);
        assert!(chunks[0].labels.iter().all(|l| l == "a"));
        assert!(chunks[1].labels.iter().all(|l| l == "b"));
    }
}
