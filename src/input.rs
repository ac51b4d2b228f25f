//! Reading articles: CSV files (or stdin) and directories of `.txt` files, with errors that
//! name the file, line and column.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Labelled texts for training or evaluation, with where each came from.
#[derive(Debug, Default)]
pub struct LabeledTexts {
    pub texts: Vec<String>,
    pub labels: Vec<String>,
}

/// `-` means standard input; anything else is a path.
pub fn display_name(path: &str) -> String {
    if path == "-" {
        "<stdin>".to_string()
    } else {
        path.to_string()
    }
}

/// A CSV reader over a file or stdin that knows its name and header.
pub struct CsvInput {
    records: CsvRecords,
    columns: Columns,
}

/// The record-reading half of a [`CsvInput`], which can move to a reader thread.
pub struct CsvRecords {
    reader: csv::Reader<Box<dyn Read + Send>>,
    name: String,
}

impl CsvRecords {
    /// Reads the next record into `record`; false at end of input.
    pub fn read(&mut self, record: &mut csv::ByteRecord) -> Result<bool> {
        self.reader
            .read_byte_record(record)
            .map_err(|e| csv_error(&self.name, e))
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
    pub fn open(path: &str, delimiter: u8) -> Result<Self> {
        Self::open_with(path, delimiter, false)
    }

    /// Opens a CSV file; with `flexible`, rows of another length are returned, not refused,
    /// for the caller to check.
    pub fn open_with(path: &str, delimiter: u8, flexible: bool) -> Result<Self> {
        let name = display_name(path);
        let source: Box<dyn Read + Send> = if path == "-" {
            Box::new(io::stdin())
        } else {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                return Err(Error::input(name, "is a directory, expected a CSV file"));
            }
            Box::new(file)
        };
        // The CSV reader's own buffer, large: no second buffer to copy through, few reads.
        let mut reader = csv::ReaderBuilder::new()
            .buffer_capacity(1 << 20)
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(flexible)
            .from_reader(source);
        let headers = reader
            .byte_headers()
            .map_err(|e| csv_error(&name, e))?
            .clone();
        if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
            return Err(Error::input(name, "empty file: expected a CSV header line"));
        }
        if let Some(i) = headers.iter().position(|h| std::str::from_utf8(h).is_err()) {
            return Err(Error::input(
                name,
                format!("line 1: header field {} is not valid UTF-8", i + 1),
            ));
        }
        Ok(CsvInput {
            records: CsvRecords {
                reader,
                name: name.clone(),
            },
            columns: Columns { name, headers },
        })
    }

    /// The reader and the header, apart.
    pub fn into_parts(self) -> (CsvRecords, Columns) {
        (self.records, self.columns)
    }

    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    pub fn headers(&self) -> &csv::ByteRecord {
        &self.columns.headers
    }

    /// Index of the column called `column`, or an error listing the columns there are.
    pub fn column(&self, column: &str) -> Result<usize> {
        self.columns.column(column)
    }

    /// Reads the next record into `record`; false at end of input.
    pub fn read(&mut self, record: &mut csv::ByteRecord) -> Result<bool> {
        self.records.read(record)
    }
}

impl Columns {
    pub fn headers(&self) -> &csv::ByteRecord {
        &self.headers
    }

    /// The ragged-row message for a record of `len` fields, if its length is not the header's.
    pub fn ragged(&self, len: usize) -> Option<String> {
        (len != self.headers.len()).then(|| {
            format!(
                "ragged row: {len} fields where the header has {}",
                self.headers.len()
            )
        })
    }

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
                let names: Vec<String> = self
                    .headers
                    .iter()
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect();
                Error::input(
                    &self.name,
                    format!("no column '{column}' (columns: {})", names.join(", ")),
                )
            })
    }

    /// A field of a record as UTF-8, or an error naming line and column.
    pub fn field<'r>(&self, record: &'r csv::ByteRecord, index: usize) -> Result<&'r str> {
        let bytes = record.get(index).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|_| {
            Error::input(
                format!("{}:{}", self.name, line_of(record)),
                format!(
                    "column '{}' is not valid UTF-8",
                    String::from_utf8_lossy(&self.headers[index])
                ),
            )
        })
    }

    /// `name:line` of a record, for messages.
    pub fn origin(&self, record: &csv::ByteRecord) -> String {
        format!("{}:{}", self.name, line_of(record))
    }
}

/// 1-based line where a record starts.
pub fn line_of(record: &csv::ByteRecord) -> u64 {
    record.position().map(|p| p.line()).unwrap_or(0)
}

fn csv_error(name: &str, error: csv::Error) -> Error {
    let line = error.position().map(|p| p.line());
    let origin = match line {
        Some(line) => format!("{name}:{line}"),
        None => name.to_string(),
    };
    match error.into_kind() {
        csv::ErrorKind::Io(e) => Error::io(name, e),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::input(
            origin,
            format!("ragged row: {len} fields where the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { err, .. } => Error::input(origin, format!("invalid UTF-8: {err}")),
        other => Error::input(origin, format!("unreadable CSV: {other:?}")),
    }
}

/// Reads labelled texts from a CSV file (`text_column`, `label_column`) or from a directory
/// with one sub-directory per label holding `.txt` files. Empty texts and labels are errors.
pub fn read_labeled(
    path: &str,
    text_column: &str,
    label_column: &str,
    delimiter: u8,
) -> Result<LabeledTexts> {
    let out = if path != "-" && Path::new(path).is_dir() {
        read_label_directories(Path::new(path))?
    } else {
        read_labeled_csv(path, text_column, label_column, delimiter)?
    };
    if out.texts.is_empty() {
        return Err(Error::input(display_name(path), "no documents"));
    }
    Ok(out)
}

fn read_labeled_csv(
    path: &str,
    text_column: &str,
    label_column: &str,
    delimiter: u8,
) -> Result<LabeledTexts> {
    let mut input = CsvInput::open(path, delimiter)?;
    let text_index = input.column(text_column)?;
    let label_index = input.column(label_column)?;
    let mut out = LabeledTexts::default();
    let mut record = csv::ByteRecord::new();
    while input.read(&mut record)? {
        let columns = input.columns();
        let text = columns.field(&record, text_index)?;
        let label = columns.field(&record, label_index)?.trim();
        if text.trim().is_empty() {
            return Err(Error::input(
                columns.origin(&record),
                format!("empty article in column '{text_column}'"),
            ));
        }
        if label.is_empty() {
            return Err(Error::input(
                columns.origin(&record),
                format!("empty label in column '{label_column}'"),
            ));
        }
        out.texts.push(text.to_string());
        out.labels.push(label.to_string());
    }
    Ok(out)
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

fn read_label_directories(root: &Path) -> Result<LabeledTexts> {
    let mut out = LabeledTexts::default();
    for label_dir in sorted_entries(root)?.into_iter().filter(|p| p.is_dir()) {
        let label = label_dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                Error::input(
                    label_dir.display().to_string(),
                    "directory name is not valid UTF-8",
                )
            })?
            .to_string();
        for file in sorted_entries(&label_dir)? {
            if file.extension().and_then(|e| e.to_str()) != Some("txt") {
                continue;
            }
            let text = read_article(&file)?;
            out.texts.push(text);
            out.labels.push(label.clone());
        }
    }
    if out.texts.is_empty() {
        return Err(Error::input(
            root.display().to_string(),
            "no .txt files in label sub-directories (expected DIR/<label>/<article>.txt)",
        ));
    }
    Ok(out)
}

/// Reads one article from a file, or from stdin for `-`; it must be UTF-8 and not blank.
pub fn read_article(path: &Path) -> Result<String> {
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("<stdin>", e))?;
        bytes
    } else {
        std::fs::read(path).map_err(|e| Error::io(path, e))?
    };
    let name = display_name(&path.to_string_lossy());
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            name.clone(),
            format!(
                "not valid UTF-8 (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    if text.trim().is_empty() {
        return Err(Error::input(name, "empty article"));
    }
    Ok(text)
}
