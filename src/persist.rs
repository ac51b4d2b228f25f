//! The model file: a fixed header, then a payload of metadata and raw tables.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "ARTCLASS"
//! 8       4     format version, u32 little-endian
//! 12      8     payload length in bytes, u64 little-endian
//! 20      4     CRC-32 of the scoring part, u32 little-endian
//! 24      4     CRC-32 of the training part (0 when there is none), u32 little-endian
//! 28            payload, scoring part:
//!         8       metadata length m, u64 little-endian
//!         m       metadata (postcard): analyzer settings, feature settings, alpha,
//!                 decision rule (multinomial / complement / complement-norm), labels,
//!                 words, n-grams (as word ids; empty from format 6 on), idf, documents
//!                 per label, priors, whether the training part follows; then the
//!                 settings stored apart ([`Extra`]): dotted words, n-gram min-df; then
//!                 (format 7 on) the n-grams' term frequency (before: the words'); then
//!                 (format 6 on) N, the number of n-grams, F = words + N
//!                 (postcard); then (format 9 on) whether the analyzer has its
//!                 script rules (`AnalyzerConfig::script_rules`, postcard); then (format
//!                 10 on) the probabilities' temperature (`model::calibrate`, f64,
//!                 postcard), already folded into the weights, and whether the analyzer
//!                 has its web rules (`AnalyzerConfig::web_rules`, postcard)
//!         p       zeros, so that the weights start at a multiple of 64 bytes in the file
//!                 (format 5; none in format 4)
//!         4·F·K   scoring weights, f32 little-endian, feature-major (`model::scoring_weights`)
//!               (format 5 on) the training's raw words (`text::KnownWords`):
//!         q       zeros, so that what follows starts at a multiple of 8 bytes
//!         8       S, the number of slots, u64 little-endian
//!         24·S    slots: packed word (two u64), value (u64), little-endian
//!               (format 6 on) the n-grams and their lookup tables, ready to use
//!               (`features::Vocabulary`), all little-endian:
//!         8       N again, u64
//!         12·N    keys: 3 word ids (u32), `u32::MAX` after a bigram's two, sorted
//!         r       zeros, so that what follows starts at a multiple of 8 bytes
//!         8       T, the table's number of slots (a power of two), u64
//!         16·T    slots: key (3 × u32), feature id (u32; `u32::MAX`: empty)
//!         8       B, the filter's number of 64-bit words (a power of two), u64
//!         8·B     filter bits (u64)
//!               training part (optional), for each of the K labels:
//!         8       n, the number of features with a non-zero training sum, u64 little-endian
//!         12·n    n × (feature id u32, sum f64), little-endian, by increasing feature id
//! ```
//!
//! The training part holds the sufficient statistics, sparse (a label's documents use a small
//! part of the vocabulary): linfa-bayes's dense tables are a function of them
//! (`model::exact_tables_of`), fitted again, bit for bit, when a full model is loaded.
//!
//! Loading checks magic, version and announced length against the real size before anything
//! else, checks every table size against the metadata before allocating it, and verifies the
//! checksum of each part it reads before trusting a single value, so a truncated, corrupted,
//! foreign, older or newer file is refused with a clear message and never causes a huge
//! allocation. The tables are raw arrays, so a model loads at memory speed; scoring reads the
//! first part only, with its own checksum, and a model file is mapped in memory so that its
//! weights are read in place, never copied (see `table::F32Table`), its n-gram tables too (format
//! 6: building them was half of a large model's loading time). Saving writes a temporary
//! file beside the target and renames it over the target only when complete.

use crate::error::{Error, Result};
use crate::features::{FeatureConfig, IndexedWords, MAX_NGRAMS, NgramKey, Vectorizer, Vocabulary};
use crate::model::{Classifier, NbKind, NbTables, scoring_weights};
use crate::table::{Plain, Table};
use crate::text::{Analyzer, AnalyzerConfig, KnownWords, Language};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The 8 bytes every model file starts with, which tell it from any other file.
pub const MAGIC: &[u8; 8] = b"ARTCLASS";
/// Bump on any change to the payload's layout, or to what it may hold that an older reader
/// would take for damage. Versions before 4 were never released.
pub const FORMAT_VERSION: u32 = 10;
/// The oldest format read: 4 differs from 5 only by the padding before the weights and the
/// known words, 5 from 6 by the n-grams' place and their tables, which 5 builds at load, 6
/// from 7 by the n-grams' term frequency, which 6 takes from the words', 7 from 8 by the
/// words' place (in the metadata, decoded into strings and indexed at load; 8 stores them
/// as tables after the n-grams', with their index), 8 from 9 by the analyzer's rules for the
/// scripts written without spaces, which 8 reads as clauses, and by the languages after French
/// and English, an index in the metadata that 8 has no value for, 9 from 10 by the
/// probabilities' temperature, 1 before, and the analyzer's web rules, which 9 does without.
pub const OLDEST_FORMAT_VERSION: u32 = 4;
/// Where the weights start in the file (format 5 on), in bytes: a cache line.
const WEIGHTS_ALIGN: u64 = 64;
const HEADER_LEN: u64 = 28;

#[derive(Serialize)]
struct MetaRef<'a> {
    analyzer: &'a AnalyzerConfig,
    features: &'a FeatureConfig,
    alpha: f64,
    kind: NbKind,
    labels: &'a [String],
    words: Vec<&'a str>,
    ngrams: &'a [NgramKey],
    idf: &'a [f64],
    class_count: Vec<u64>,
    prior: &'a [f64],
    has_counts: bool,
}

/// Settings that live in the config structs but are stored apart (`#[serde(skip)]` there),
/// written right after [`Meta`].
#[derive(Serialize, Deserialize, Default, PartialEq)]
struct Extra {
    dotted_words: bool,
    min_df_ngrams: Option<u64>,
}

#[derive(Deserialize)]
struct Meta {
    analyzer: AnalyzerConfig,
    features: FeatureConfig,
    alpha: f64,
    kind: NbKind,
    labels: Vec<String>,
    words: Vec<String>,
    ngrams: Vec<NgramKey>,
    idf: Vec<f64>,
    class_count: Vec<u64>,
    prior: Vec<f64>,
    has_counts: bool,
}

/// What to load from a model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    /// Everything, training counts included: the model can be saved again or turned into
    /// linfa-bayes's `MultinomialNb`.
    Full,
    /// What scoring needs: the scoring part; the training part is neither read nor checked.
    Scoring,
}

/// Writes the model file format to `out`.
pub fn write_model<W: Write>(model: &Classifier, out: &mut W) -> Result<()> {
    write_model_as(model, out, FORMAT_VERSION)
}

/// [`write_model`] in format `version`: 5 (the n-grams in the metadata, their tables built
/// at load) is written only to test that such files still load.
fn write_model_as<W: Write>(model: &Classifier, out: &mut W, version: u32) -> Result<()> {
    let mut image = file_image(model, version)?;
    let (scoring, exact) = image.write_hashed(HEADER_LEN..image.len, |_, _| Ok(()))?;
    image.set_checksums(scoring.finalize(), exact.finalize());
    image.write_range(0..image.len, |_, bytes| out.write_all(bytes))
}

/// A model file as the byte slices it is made of, in order: the tables' own memory where it
/// already holds their bytes (a little-endian CPU), so that saving copies them only once,
/// into the file.
struct FileImage<'a> {
    pieces: Vec<std::borrow::Cow<'a, [u8]>>,
    /// Where the training part begins; the scoring part begins after the header.
    training_start: u64,
    len: u64,
}

impl FileImage<'_> {
    /// Calls `f(offset, bytes)` on the bytes of `range`, in order, in slices of at most
    /// [`WRITEBACK_EVERY`] bytes that never straddle the two parts.
    fn write_range(
        &self,
        range: std::ops::Range<u64>,
        mut f: impl FnMut(u64, &[u8]) -> std::io::Result<()>,
    ) -> Result<()> {
        let mut offset = 0u64;
        for piece in &self.pieces {
            let piece_end = offset + piece.len() as u64;
            let mut at = offset.max(range.start);
            while at < piece_end.min(range.end) {
                let mut end = piece_end.min(range.end).min(at + WRITEBACK_EVERY);
                if at < self.training_start && end > self.training_start {
                    end = self.training_start;
                }
                let bytes = &piece[(at - offset) as usize..(end - offset) as usize];
                f(at, bytes).map_err(|e| Error::io("<model>", e))?;
                at = end;
            }
            offset = piece_end;
        }
        Ok(())
    }

    /// [`FileImage::write_range`], the bytes also hashed: the CRC-32 states of the scoring
    /// and the training parts' bytes within `range`.
    fn write_hashed(
        &self,
        range: std::ops::Range<u64>,
        mut f: impl FnMut(u64, &[u8]) -> std::io::Result<()>,
    ) -> Result<(crc32fast::Hasher, crc32fast::Hasher)> {
        let (mut scoring, mut exact) = (crc32fast::Hasher::new(), crc32fast::Hasher::new());
        let range = range.start.max(HEADER_LEN)..range.end;
        self.write_range(range, |at, bytes| {
            if at < self.training_start {
                scoring.update(bytes);
            } else {
                exact.update(bytes);
            }
            f(at, bytes)
        })?;
        Ok((scoring, exact))
    }

    fn set_checksums(&mut self, scoring: u32, exact: u32) {
        let header = self.pieces[0].to_mut();
        header[20..24].copy_from_slice(&scoring.to_le_bytes());
        header[24..28].copy_from_slice(&exact.to_le_bytes());
    }
}

/// `values` as the little-endian bytes a model file holds: their own memory on a
/// little-endian CPU, each appended by `append` otherwise.
fn le_bytes<T: Plain>(
    values: &[T],
    append: impl Fn(&T, &mut Vec<u8>),
) -> std::borrow::Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        return std::borrow::Cow::Borrowed(crate::table::plain_bytes(values));
    }
    let mut bytes = Vec::with_capacity(std::mem::size_of_val(values));
    for value in values {
        append(value, &mut bytes);
    }
    std::borrow::Cow::Owned(bytes)
}

/// The bytes of a model file in format `version`, its checksums left at zero.
fn file_image(model: &Classifier, version: u32) -> Result<FileImage<'_>> {
    use std::borrow::Cow;
    let sums = model.training_sums().ok_or_else(|| {
        Error::Unsupported(
            "a model loaded for scoring only cannot be saved: load it in full".into(),
        )
    })?;
    let language = model.analyzer_config().language;
    if version < 9 && !matches!(language, Language::French | Language::English) {
        return Err(Error::Unsupported(format!(
            "format {version} cannot store the language preset '{language}' (only fr and en)"
        )));
    }
    let weights = model.scoring_weights();
    let meta = MetaRef {
        analyzer: model.analyzer_config(),
        features: model.feature_config(),
        alpha: model.alpha(),
        kind: model.kind(),
        labels: model.labels(),
        // From format 8 on, in raw tables after the n-grams.
        words: if version >= 8 {
            Vec::new()
        } else {
            model.vocabulary().words().iter().collect()
        },
        // From format 6 on, in raw tables after the known words.
        ngrams: if version >= 6 {
            &[]
        } else {
            model.vocabulary().ngrams()
        },
        idf: model.vectorizer().idf(),
        class_count: model.class_counts().iter().map(|&c| c as u64).collect(),
        prior: model.priors(),
        has_counts: true,
    };
    let features = model.feature_config();
    let extra = Extra {
        dotted_words: model.analyzer_config().dotted_words,
        min_df_ngrams: features.min_df_ngrams.map(|m| m as u64),
    };
    if version < 7 && features.ngram_tf != features.tf {
        return Err(Error::Unsupported(format!(
            "format {version} cannot store an n-gram term frequency that differs from the words'"
        )));
    }
    let script_rules = model.analyzer_config().script_rules;
    if version < 9 && script_rules {
        return Err(Error::Unsupported(format!(
            "format {version} cannot store the analyzer's rules for scripts written without spaces"
        )));
    }
    let script_rules = (version >= 9).then_some(script_rules);
    let temperature = model.temperature();
    if version < 10 && temperature != 1.0 {
        return Err(Error::Unsupported(format!(
            "format {version} cannot store a calibrated temperature ({temperature})"
        )));
    }
    let temperature = (version >= 10).then_some(temperature);
    let web_rules = model.analyzer_config().web_rules;
    if version < 10 && web_rules {
        return Err(Error::Unsupported(format!(
            "format {version} cannot store the analyzer's rules for web text"
        )));
    }
    let ngram_tf = (version >= 7).then_some(features.ngram_tf);
    let ngram_count = (version >= 6).then_some(model.vocabulary().ngrams().len() as u64);
    let word_count = (version >= 8).then_some(model.vocabulary().words().len() as u64);
    let meta = postcard::to_allocvec(&meta)
        .and_then(|meta| postcard::to_extend(&extra, meta))
        .and_then(|meta| match ngram_tf {
            Some(tf) => postcard::to_extend(&tf, meta),
            None => Ok(meta),
        })
        .and_then(|meta| match ngram_count {
            Some(count) => postcard::to_extend(&count, meta),
            None => Ok(meta),
        })
        .and_then(|meta| match word_count {
            Some(count) => postcard::to_extend(&count, meta),
            None => Ok(meta),
        })
        .and_then(|meta| match script_rules {
            Some(rules) => postcard::to_extend(&rules, meta),
            None => Ok(meta),
        })
        .and_then(|meta| match temperature {
            Some(temperature) => postcard::to_extend(&temperature, meta)
                .and_then(|meta| postcard::to_extend(&web_rules, meta)),
            None => Ok(meta),
        })
        .map_err(|e| Error::Internal(format!("encoding the model: {e}")))?;
    let training_len: u64 = sums.iter().map(|row| 8 + 12 * row.len() as u64).sum();
    let padding = weights_padding(version, HEADER_LEN + 8 + meta.len() as u64);
    let weights_end = HEADER_LEN + 8 + meta.len() as u64 + padding + 4 * weights.len() as u64;
    let known = model.vectorizer().known_words().cells();
    let known_padding = padding_to(weights_end, 8);
    let known_end = weights_end + known_padding + 8 + 8 * known.len() as u64;
    let ngrams = model.vocabulary().ngrams();
    let (slots, filter) = model.vocabulary().ngram_tables();
    let ngrams_padding = padding_to(known_end + 8 + 12 * ngrams.len() as u64, 8);
    let ngrams_len = if version >= 6 {
        8 + 12 * ngrams.len() as u64
            + ngrams_padding
            + 8
            + 16 * slots.len() as u64
            + 8
            + 8 * filter.len() as u64
    } else {
        0
    };
    let (text, ends, index) = model.vocabulary().words().tables();
    let text_end = known_end + ngrams_len + 8 + text.len() as u64;
    let ends_padding = padding_to(text_end, 8);
    let index_padding = padding_to(text_end + ends_padding + 8 + 4 * ends.len() as u64, 8);
    let words_len = if version >= 8 {
        8 + text.len() as u64
            + ends_padding
            + 8
            + 4 * ends.len() as u64
            + index_padding
            + 8
            + 8 * index.len() as u64
    } else {
        0
    };
    let payload_len = known_end - HEADER_LEN + ngrams_len + words_len + training_len;

    let mut header = vec![0u8; HEADER_LEN as usize];
    header[0..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&version.to_le_bytes());
    header[12..20].copy_from_slice(&payload_len.to_le_bytes());
    let count = |n: usize| Cow::Owned((n as u64).to_le_bytes().to_vec());
    let zeros = |n: u64| Cow::Owned(vec![0; n as usize]);
    let mut pieces: Vec<Cow<[u8]>> = vec![
        Cow::Owned(header),
        count(meta.len()),
        Cow::Owned(meta),
        zeros(padding),
        le_bytes(weights, |w, b| b.extend_from_slice(&w.to_le_bytes())),
        zeros(known_padding),
        count(known.len() / 3),
        le_bytes(known, |cell, b| b.extend_from_slice(&cell.to_le_bytes())),
    ];
    if version >= 6 {
        pieces.extend([
            count(ngrams.len()),
            le_bytes(ngrams, append_u32s),
            zeros(ngrams_padding),
            count(slots.len()),
            le_bytes(slots, append_u32s),
            count(filter.len()),
            le_bytes(filter, |bits, b| b.extend_from_slice(&bits.to_le_bytes())),
        ]);
    }
    if version >= 8 {
        pieces.extend([
            count(text.len()),
            Cow::Borrowed(text),
            zeros(ends_padding),
            count(ends.len()),
            le_bytes(ends, |end, b| b.extend_from_slice(&end.to_le_bytes())),
            zeros(index_padding),
            count(index.len()),
            le_bytes(index, append_u32s),
        ]);
    }
    let training_start = HEADER_LEN + payload_len - training_len;
    // (feature, value) pairs have padding in memory: each label's row is encoded, on all
    // threads (a core for 8 ms on 20newsgroups otherwise).
    let rows: Vec<Vec<u8>> = sums
        .par_iter()
        .map(|row| {
            let mut bytes = Vec::with_capacity(8 + 12 * row.len());
            bytes.extend_from_slice(&(row.len() as u64).to_le_bytes());
            for &(feature, value) in row.iter() {
                bytes.extend_from_slice(&feature.to_le_bytes());
                bytes.extend_from_slice(&value.to_le_bytes());
            }
            bytes
        })
        .collect();
    pieces.extend(rows.into_iter().map(Cow::Owned));
    let image = FileImage {
        pieces,
        training_start,
        len: HEADER_LEN + payload_len,
    };
    let written: u64 = image.pieces.iter().map(|p| p.len() as u64).sum();
    if written != image.len {
        return Err(Error::Internal(format!(
            "encoding the model: {written} bytes where {} were planned",
            image.len
        )));
    }
    Ok(image)
}

/// The model as the bytes of a model file.
pub fn to_bytes(model: &Classifier) -> Result<Vec<u8>> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    write_model(model, &mut cursor)?;
    Ok(cursor.into_inner())
}

/// Reads a model from the bytes of a model file; `origin` names it in errors.
pub fn from_bytes(bytes: &[u8], origin: &str, load: Load) -> Result<Classifier> {
    read_model(bytes, None, origin, load).map(|(model, _)| model)
}

/// Reads a model file. It is mapped in memory where the system allows it, so that scoring
/// reads its weights in place (`table::F32Table`); otherwise it is read as a stream
/// (`read_stream`). A mapped model remembers its file (`ModelFile`), so that a run can
/// tell whether the file was rewritten under it
/// ([`Classifier::check_model_file_unchanged`]).
///
/// A mapped file truncated while in use (rewritten in place by `cp`, not replaced by a
/// rename) makes the next read of its weights raise SIGBUS, which ends the process unless
/// it handles that signal (the `artclass` command does). A program that cannot rule that
/// out reads the file into memory and loads it with [`from_bytes`] instead.
pub fn load(path: impl AsRef<Path>, load: Load) -> Result<Classifier> {
    let path = path.as_ref();
    let origin = crate::error::printable(path);
    let mut file = std::fs::File::open(path).map_err(|e| {
        Error::model(
            &origin,
            if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                e.to_string()
            },
        )
    })?;
    // Taken before the bytes are read, so that a change while they are read shows too.
    let metadata = file.metadata();
    if metadata.as_ref().is_ok_and(|m| m.is_dir()) {
        return Err(Error::model(
            &origin,
            "is a directory, expected a model file",
        ));
    }
    let stamp = metadata.map(|m| Stamp::of(&m));
    // SAFETY: the map is private and read-only, and it is only read through slices checked
    // against its length. What `F32Table` says about files changed under a map applies.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => {
            let map = Arc::new(map);
            let (model, scoring) = read_model(&map, Some(&map), &origin, load)?;
            let Ok(stamp) = stamp else {
                return Ok(model);
            };
            Ok(model.with_model_file(ModelFile {
                file,
                origin,
                stamp,
                map,
                scoring,
            }))
        }
        Err(_) => {
            let bytes = read_stream(&mut file, &origin)?;
            read_model(&bytes, None, &origin, load).map(|(model, _)| model)
        }
    }
}

/// Bytes past the announced payload that [`read_stream`] counts before it gives up counting:
/// enough to name a few stray bytes exactly, few enough that an endless stream is refused
/// at once.
const STREAM_EXTRA_COUNTED: u64 = 1 << 20;

/// The bytes of a model file that cannot be mapped (a pipe, `<(…)`, some special file
/// systems), read as the header says: the header first, so that a stream that is no model
/// is refused after its first bytes, then at most the length it announces, the buffer
/// growing as bytes arrive (an announced length is never allocated up front). A stream
/// longer than announced is refused here, as a longer file is by [`read_model`], which
/// refuses a shorter one.
fn read_stream(stream: &mut impl Read, origin: &str) -> Result<Vec<u8>> {
    let fail = |message: String| Error::model(origin, message);
    let unreadable = |e: std::io::Error| fail(format!("unreadable: {e}"));
    let mut bytes = Vec::with_capacity(HEADER_LEN as usize);
    stream
        .by_ref()
        .take(HEADER_LEN)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    let header = Header::check(&bytes, bytes.len() as u64).map_err(fail)?;
    stream
        .by_ref()
        .take(header.declared)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 - HEADER_LEN == header.declared {
        // Counted, not kept; up to a bound, so that an endless stream ends the count too.
        let extra = std::io::copy(
            &mut stream.by_ref().take(STREAM_EXTRA_COUNTED),
            &mut std::io::sink(),
        )
        .map_err(unreadable)?;
        if extra == STREAM_EXTRA_COUNTED {
            return Err(fail(format!(
                "at least {extra} unexpected bytes after the payload"
            )));
        }
        header.check_length(header.declared + extra).map_err(fail)?;
    }
    Ok(bytes)
}

/// The model file a model was mapped from, kept open, and what the system said of it at
/// load: rewritten in place while the model is in use (`cp new.artclass live.artclass`), it
/// changes the weights under the map mid-run (or, truncated, makes reading them fault: see
/// `main`'s handler of SIGBUS). [`ModelFile::check_unchanged`] tells; a file replaced by a
/// rename (`mv`, `train --output`) leaves the mapped one as it was.
pub(crate) struct ModelFile {
    file: std::fs::File,
    origin: String,
    stamp: Stamp,
    map: Arc<memmap2::Mmap>,
    scoring: ScoringPart,
}

/// Where a model file's scoring part lies, and its checksum, as loaded.
struct ScoringPart {
    range: std::ops::Range<usize>,
    checksum: u32,
}

/// What `fstat` says of a file that a rewrite changes: identity, size, modification and
/// status change times (to the nanosecond where the system keeps them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl Stamp {
    #[cfg(unix)]
    fn of(metadata: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    fn of(metadata: &std::fs::Metadata) -> Self {
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or((0, 0), |d| {
                (d.as_secs() as i64, i64::from(d.subsec_nanos()))
            });
        Stamp {
            device: 0,
            inode: 0,
            size: metadata.len(),
            modified,
            changed: modified,
        }
    }

    /// Whether the two differ by the status change time alone.
    fn same_content_times(&self, other: &Stamp) -> bool {
        (self.device, self.inode, self.size, self.modified)
            == (other.device, other.inode, other.size, other.modified)
    }
}

impl ModelFile {
    /// Fails, naming the file, when it is no longer as it was loaded: resized, modified, or
    /// (its status changed alone) with a scoring part that no longer hashes as it did.
    pub(crate) fn check_unchanged(&self) -> Result<()> {
        let now = self
            .file
            .metadata()
            .map_err(|e| Error::model(&self.origin, format!("unreadable: {e}")))?;
        let now = Stamp::of(&now);
        if now == self.stamp {
            return Ok(());
        }
        // The status change time alone moves when the file is renamed, linked, unlinked
        // (renamed over: the supported way to replace a model), or its mode changes; also when
        // it is rewritten and its modification time set back (`cp -p`, `rsync -t`): the
        // content, hashed again, tells.
        if now.same_content_times(&self.stamp)
            && (self.map.get(self.scoring.range.clone()))
                .is_some_and(|bytes| crc32fast::hash(bytes) == self.scoring.checksum)
        {
            return Ok(());
        }
        Err(Error::model(
            &self.origin,
            "was rewritten in place while in use, so the results may mix two models; replace \
             a model with mv or train --output, not cp, and run again",
        ))
    }
}

/// The payload of a model file, read in order; each part's checksum is computed over the
/// bytes it spans once they are known to be in the file.
struct Payload<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// A stored table: where its entries start in the file, and their bytes.
type StoredTable<'a> = (usize, &'a [u8]);

impl<'a> Payload<'a> {
    fn remaining(&self) -> u64 {
        (self.bytes.len() - self.at) as u64
    }

    /// The next `n` bytes, or `None` past the end.
    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let end = self.at.checked_add(usize::try_from(n).ok()?)?;
        let bytes = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        let bytes = self.take(8)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    /// Takes `n` bytes of padding: whether they were there, and zeros.
    fn zeros(&mut self, n: u64) -> bool {
        self.take(n).is_some_and(|pad| pad.iter().all(|&b| b == 0))
    }

    /// A table stored as its number of entries (u64) and then the entries, `entry_bytes`
    /// each; `None` when the file is too short for it.
    fn table(&mut self, entry_bytes: u64) -> Option<StoredTable<'a>> {
        let entries = self.u64()?;
        let start = HEADER_LEN as usize + self.at;
        let bytes = entries
            .checked_mul(entry_bytes)
            .and_then(|len| self.take(len))?;
        Some((start, bytes))
    }

    /// The checksum of the bytes from `start` to where the reading stands.
    fn checksum_from(&self, start: usize) -> u32 {
        crc32fast::hash(&self.bytes[start..self.at])
    }
}

/// `bytes` decoded as little-endian values of `N` bytes each (a multiple of `N` bytes).
fn decode<const N: usize, T>(bytes: &[u8], decode: fn([u8; N]) -> T) -> Vec<T> {
    let mut out = crate::with_huge_page_capacity(bytes.len() / N);
    out.extend(
        bytes
            .chunks_exact(N)
            .map(|b| decode(b.try_into().unwrap_or([0; N]))),
    );
    out
}

/// Zero bytes written after the metadata so that the weights start at a multiple of
/// [`WEIGHTS_ALIGN`] in the file (format 5 on), where a mapped file can be read as `f32`.
fn weights_padding(version: u32, weights_offset: u64) -> u64 {
    if version >= 5 {
        padding_to(weights_offset, WEIGHTS_ALIGN)
    } else {
        0
    }
}

/// Zero bytes from `offset` to the next multiple of `align`.
fn padding_to(offset: u64, align: u64) -> u64 {
    offset.next_multiple_of(align) - offset
}

fn append_u32s<const N: usize>(values: &[u32; N], out: &mut Vec<u8>) {
    for value in values {
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// `N` little-endian `u32`s from their `B` (= 4·`N`) bytes: the reader's side of
/// [`append_u32s`].
fn u32s_le<const B: usize, const N: usize>(bytes: [u8; B]) -> [u32; N] {
    std::array::from_fn(|i| {
        let at = 4 * i;
        u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
    })
}

/// The CRC-32 of `bytes[range]`, its two halves hashed at once. When the bytes are the
/// mapped file's, the pages of each half within `populate` (the weights) are first mapped
/// in one call rather than one fault per few pages (a hint: a kernel's refusal changes
/// nothing). Mapping the smaller tables that way too was slower (measured).
fn checksum_in_halves(
    bytes: &[u8],
    range: std::ops::Range<usize>,
    map: Option<&Arc<memmap2::Mmap>>,
    populate: std::ops::Range<usize>,
) -> u32 {
    let middle = range.start + range.len() / 2;
    let hash = |part: std::ops::Range<usize>| {
        #[cfg(target_os = "linux")]
        if let Some(map) = map {
            let (start, end) = (part.start.max(populate.start), part.end.min(populate.end));
            if start < end {
                let _ = map.advise_range(memmap2::Advice::PopulateRead, start, end - start);
            }
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&bytes[part]);
        hasher
    };
    let (mut first, second) = rayon::join(|| hash(range.start..middle), || hash(middle..range.end));
    first.combine(&second);
    first.finalize()
}

/// A stored table's values (`N` bytes each), read in place from the mapped file `map` when
/// there is one, decoded otherwise.
fn table_of<T: Plain, const N: usize>(
    map: Option<&Arc<memmap2::Mmap>>,
    (start, bytes): StoredTable,
    decode_value: fn([u8; N]) -> T,
) -> Table<T> {
    map.and_then(|map| Table::view(map, start, bytes.len() / N))
        .unwrap_or_else(|| decode(bytes, decode_value).into())
}

/// A model file's header, checked: format version, announced payload length, checksums.
struct Header {
    version: u32,
    /// The payload's length in bytes, as the header announces it.
    declared: u64,
    scoring_checksum: u32,
    exact_checksum: u32,
}

impl Header {
    /// Reads `header`, the first [`HEADER_LEN`] bytes of a file of `size` bytes (all of
    /// them when it is shorter): refuses a foreign file, a format this version does not read,
    /// and a header cut short.
    fn check(header: &[u8], size: u64) -> std::result::Result<Header, String> {
        if header.len() < MAGIC.len() || &header[..MAGIC.len()] != MAGIC {
            return Err("not an artclass model file (no ARTCLASS header)".into());
        }
        let truncated =
            || format!("truncated: {size} bytes, shorter than the {HEADER_LEN}-byte header");
        if header.len() < 12 {
            return Err(truncated());
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let version = u32_at(8);
        if version > FORMAT_VERSION {
            return Err(format!(
                "format version {version} is newer than this artclass reads ({FORMAT_VERSION}); upgrade artclass"
            ));
        }
        if version == 0 {
            return Err("format version 0 does not exist: the file is corrupted".into());
        }
        if version < OLDEST_FORMAT_VERSION {
            return Err(format!(
                "format version {version} is older than this artclass reads ({OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}); train the model again"
            ));
        }
        if header.len() < HEADER_LEN as usize {
            return Err(truncated());
        }
        let mut len_bytes = [0u8; 8];
        len_bytes.copy_from_slice(&header[12..20]);
        Ok(Header {
            version,
            declared: u64::from_le_bytes(len_bytes),
            scoring_checksum: u32_at(20),
            exact_checksum: u32_at(24),
        })
    }

    /// Refuses a payload of `actual` bytes that is not the length announced.
    fn check_length(&self, actual: u64) -> std::result::Result<(), String> {
        let declared = self.declared;
        match actual.cmp(&declared) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Less => Err(format!(
                "truncated: payload is {actual} bytes, the header announces {declared}"
            )),
            std::cmp::Ordering::Greater => Err(format!(
                "{} unexpected bytes after the payload",
                actual - declared
            )),
        }
    }
}

/// The table of a CRC-32 computed a byte at a time (crc32fast's: reflected, polynomial
/// 0xEDB88320), for [`checksums_hold_somewhere`], which needs the checksum at every offset.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// Whether `payload` splits somewhere into a scoring part and a training part whose CRC-32s
/// are `scoring` and `training`: whether its bytes are those that were written, when its
/// structure is too damaged to say where the scoring part ends. A slow path (a byte at a
/// time, about 0.1 s for 60 MB), for files already found broken.
fn checksums_hold_somewhere(payload: &[u8], scoring: u32, training: u32) -> bool {
    let mut state = !0u32;
    let mut at = 0;
    loop {
        // A match by chance (one offset in 4 billion) is caught by the training part's.
        if !state == scoring && crc32fast::hash(&payload[at..]) == training {
            return true;
        }
        let Some(&byte) = payload.get(at) else {
            return false;
        };
        state = CRC_TABLE[((state ^ u32::from(byte)) & 0xff) as usize] ^ (state >> 8);
        at += 1;
    }
}

/// What a postcard decoding error means, for a user: postcard's own messages name its
/// internals ("Serde Deserialization Error").
fn undecodable_because(error: &postcard::Error) -> &'static str {
    use postcard::Error as E;
    match error {
        E::DeserializeUnexpectedEnd => "it ends too early",
        E::DeserializeBadVarint => "a number is malformed",
        E::DeserializeBadBool => "a yes/no setting is neither",
        E::DeserializeBadChar | E::DeserializeBadUtf8 => "a text is not valid UTF-8",
        E::DeserializeBadOption | E::DeserializeBadEnum => "a setting has an unknown value",
        _ => "a value is out of range",
    }
}

/// Where the scoring part's tables lie in a payload, as its metadata and the tables' own
/// counts say, each checked against the file's size; read before the scoring part's
/// checksum can be computed, since they say where that part ends.
struct Layout<'a> {
    meta: Meta,
    word_count: u64,
    ngram_count: u64,
    temperature: f64,
    cells: usize,
    weights_start: usize,
    weights: StoredTable<'a>,
    known: Option<StoredTable<'a>>,
    ngram_tables: Option<(StoredTable<'a>, StoredTable<'a>, StoredTable<'a>)>,
    word_tables: Option<(StoredTable<'a>, StoredTable<'a>, StoredTable<'a>)>,
    /// The payload, read up to the end of the scoring part.
    payload: Payload<'a>,
}

/// Reads the [`Layout`] of `payload`, in format `version`; `origin` names the file in errors.
fn layout<'a>(payload: &'a [u8], version: u32, origin: &str) -> Result<Layout<'a>> {
    let fail = |message: String| Error::model(origin, message);
    let corrupted = |what: &str| fail(format!("corrupted: {what}"));
    let mut payload = Payload {
        bytes: payload,
        at: 0,
    };
    let meta_len = payload
        .u64()
        .ok_or_else(|| corrupted("payload too short"))?;
    let meta = payload
        .take(meta_len)
        .ok_or_else(|| corrupted("metadata longer than the file"))?;
    let undecodable = |e: postcard::Error| {
        corrupted(&format!(
            "the metadata cannot be decoded ({})",
            undecodable_because(&e)
        ))
    };
    let (mut meta, rest) = postcard::take_from_bytes::<Meta>(meta).map_err(undecodable)?;
    // Format 6 adds the number of n-grams, whose keys follow the known words; format 7 the
    // n-grams' term frequency before it (older models weigh n-grams as words).
    let (extra, rest) = postcard::take_from_bytes::<Extra>(rest).map_err(undecodable)?;
    let (ngram_tf, rest) = if version >= 7 {
        postcard::take_from_bytes(rest).map_err(undecodable)?
    } else {
        (meta.features.tf, rest)
    };
    meta.features.ngram_tf = ngram_tf;
    let (ngram_count, rest) = if version >= 6 {
        postcard::take_from_bytes::<u64>(rest).map_err(undecodable)?
    } else {
        (meta.ngrams.len() as u64, rest)
    };
    // Format 8 adds the number of words, whose tables follow the n-grams'; format 9 the
    // script rules after it (older models read every script as they were trained to).
    let (word_count, rest) = if version >= 8 {
        if !meta.words.is_empty() {
            return Err(corrupted("words in the metadata"));
        }
        postcard::take_from_bytes::<u64>(rest).map_err(undecodable)?
    } else {
        (meta.words.len() as u64, rest)
    };
    if version < 9 && !matches!(meta.analyzer.language, Language::French | Language::English) {
        return Err(corrupted(&format!(
            "language '{}' in format {version}, which holds only fr and en",
            meta.analyzer.language
        )));
    }
    let (script_rules, rest) = if version >= 9 {
        postcard::take_from_bytes::<bool>(rest).map_err(undecodable)?
    } else {
        (false, rest)
    };
    meta.analyzer.script_rules = script_rules;
    // Format 10 adds the temperature (a model before it took the softmax as it was) and the
    // web rules (a model before them reads markup as text).
    let (temperature, web_rules) = if version >= 10 {
        let (temperature, rest) = postcard::take_from_bytes::<f64>(rest).map_err(undecodable)?;
        (
            temperature,
            postcard::from_bytes::<bool>(rest).map_err(undecodable)?,
        )
    } else {
        (1.0, false)
    };
    meta.analyzer.web_rules = web_rules;
    // Training fits it within 0.2–5 (`model::calibrate::MAX_FACTOR`); a file is trusted
    // within a wider range, never near 0, where the weights would overflow.
    if !(0.01..=100.0).contains(&temperature) {
        return Err(fail(format!("invalid temperature {temperature}")));
    }
    meta.analyzer.dotted_words = extra.dotted_words;
    meta.features.min_df_ngrams = extra.min_df_ngrams.map(|m| m as usize);
    let padding = weights_padding(version, HEADER_LEN + 8 + meta_len);
    if !payload.zeros(padding) {
        return Err(corrupted("padding after the metadata"));
    }
    let k = meta.labels.len();
    let features = word_count.saturating_add(ngram_count);
    let remaining = payload.remaining();
    let cells = match features.checked_mul(k as u64) {
        Some(cells)
            if cells.checked_mul(4).is_some_and(|scoring| {
                if meta.has_counts {
                    scoring.saturating_add(8 * k as u64) <= remaining
                } else if version >= 5 {
                    scoring <= remaining
                } else {
                    scoring == remaining
                }
            }) =>
        {
            cells as usize
        }
        _ => return Err(corrupted("table sizes disagree with the file size")),
    };
    if !(meta.alpha.is_finite() && meta.alpha > 0.0) {
        return Err(fail(format!("invalid smoothing alpha {}", meta.alpha)));
    }
    if !(1..=MAX_NGRAMS).contains(&meta.features.ngrams) {
        return Err(fail(format!(
            "invalid n-gram order {}",
            meta.features.ngrams
        )));
    }
    let weights_start = HEADER_LEN as usize + payload.at;
    // Where the tables lie, each checked against the file's size before anything is read.
    let weights = payload
        .take(4 * cells as u64)
        .map(|bytes| (weights_start, bytes))
        .ok_or_else(|| corrupted("weights longer than the file"))?;
    let (mut known, mut ngram_tables) = (None, None);
    if version >= 5 {
        let padding = padding_to(weights_start as u64 + 4 * cells as u64, 8);
        if !payload.zeros(padding) {
            return Err(corrupted("padding after the weights"));
        }
        known = Some(
            payload
                .table(24)
                .ok_or_else(|| corrupted("known words longer than the file"))?,
        );
    }
    if version >= 6 {
        let keys = payload
            .table(12)
            .ok_or_else(|| corrupted("n-grams longer than the file"))?;
        if keys.1.len() as u64 != 12 * ngram_count {
            return Err(corrupted("n-gram count"));
        }
        if !payload.zeros(padding_to(HEADER_LEN + payload.at as u64, 8)) {
            return Err(corrupted("padding after the n-grams"));
        }
        let slots = payload
            .table(16)
            .ok_or_else(|| corrupted("n-gram table longer than the file"))?;
        let filter = payload
            .table(8)
            .ok_or_else(|| corrupted("n-gram filter longer than the file"))?;
        ngram_tables = Some((keys, slots, filter));
    }
    let mut word_tables = None;
    if version >= 8 {
        let text = payload
            .table(1)
            .ok_or_else(|| corrupted("words longer than the file"))?;
        let aligned =
            |payload: &mut Payload| payload.zeros(padding_to(HEADER_LEN + payload.at as u64, 8));
        if !aligned(&mut payload) {
            return Err(corrupted("padding after the words"));
        }
        let ends = payload
            .table(4)
            .ok_or_else(|| corrupted("word ends longer than the file"))?;
        if ends.1.len() as u64 != 4 * word_count {
            return Err(corrupted("word count"));
        }
        if !aligned(&mut payload) {
            return Err(corrupted("padding after the word ends"));
        }
        let index = payload
            .table(8)
            .ok_or_else(|| corrupted("word index longer than the file"))?;
        word_tables = Some((text, ends, index));
    }
    if version >= 6 && !meta.ngrams.is_empty() {
        return Err(corrupted("n-grams in the metadata"));
    }
    if !meta.has_counts && payload.remaining() != 0 {
        return Err(corrupted("bytes left after the scoring part"));
    }
    Ok(Layout {
        meta,
        word_count,
        ngram_count,
        temperature,
        cells,
        weights_start,
        weights,
        known,
        ngram_tables,
        word_tables,
        payload,
    })
}

/// `map` is the mapped file whose bytes `bytes` are, if it is one: the weights are then
/// read in place. Returns the model and where its scoring part lies, with its checksum.
fn read_model(
    bytes: &[u8],
    map: Option<&Arc<memmap2::Mmap>>,
    origin: &str,
    load: Load,
) -> Result<(Classifier, ScoringPart)> {
    let fail = |message: String| Error::model(origin, message);
    let size = bytes.len() as u64;
    let header =
        Header::check(&bytes[..bytes.len().min(HEADER_LEN as usize)], size).map_err(fail)?;
    header.check_length(size - HEADER_LEN).map_err(fail)?;
    let (version, scoring_checksum, exact_checksum) = (
        header.version,
        header.scoring_checksum,
        header.exact_checksum,
    );
    let corrupted = |what: &str| fail(format!("corrupted: {what}"));
    let mismatch = || fail("checksum mismatch: the file is corrupted".into());
    // The checksum comes first for the user: a fault found in the structure before it could
    // be computed is reported as a mismatch unless the bytes are those that were written.
    let payload = &bytes[HEADER_LEN as usize..];
    let Layout {
        mut meta,
        word_count,
        ngram_count,
        temperature,
        cells,
        weights_start,
        weights,
        known,
        ngram_tables,
        word_tables,
        mut payload,
    } = layout(payload, version, origin).map_err(|error| {
        match checksums_hold_somewhere(payload, scoring_checksum, exact_checksum) {
            true => error,
            false => mismatch(),
        }
    })?;
    let k = meta.labels.len();
    let features = word_count.saturating_add(ngram_count);
    // The vocabulary is made (format 6: its words indexed, its stored tables checked; before:
    // its tables built) while the scoring part's checksum is computed and the known words
    // are checked: together they are most of the loading time, they do not depend on each
    // other, and each is cut in two so that two threads share them evenly.
    let (words, ngrams) = (
        std::mem::take(&mut meta.words),
        std::mem::take(&mut meta.ngrams),
    );
    let n_words = usize::try_from(word_count).map_err(|_| corrupted("word count"))?;
    let (vocabulary, (checksum, (weights, known))) = rayon::join(
        || match ngram_tables {
            None => Vocabulary::new(&words, ngrams),
            Some((keys, slots, filter)) => Vocabulary::from_tables(
                n_words,
                || match word_tables {
                    None => IndexedWords::new(&words),
                    Some((text, ends, index)) => IndexedWords::from_tables(
                        table_of(map, text, |[byte]: [u8; 1]| byte),
                        table_of(map, ends, u32::from_le_bytes),
                        table_of(map, index, u32s_le::<8, 2>),
                    ),
                },
                table_of(map, keys, u32s_le::<12, 3>),
                table_of(map, slots, u32s_le::<16, 4>),
                table_of(map, filter, u64::from_le_bytes),
            ),
        },
        || {
            rayon::join(
                || {
                    checksum_in_halves(
                        bytes,
                        HEADER_LEN as usize..HEADER_LEN as usize + payload.at,
                        map,
                        weights_start..weights_start + 4 * cells,
                    )
                },
                || {
                    let known = known.map_or_else(
                        || Vec::new().into(),
                        |known| table_of(map, known, u64::from_le_bytes),
                    );
                    (
                        table_of(map, weights, f32::from_le_bytes),
                        KnownWords::from_table(known, n_words),
                    )
                },
            )
        },
    );
    if checksum != scoring_checksum {
        return Err(mismatch());
    }
    let scoring = ScoringPart {
        range: HEADER_LEN as usize..HEADER_LEN as usize + payload.at,
        checksum,
    };
    let sums = if meta.has_counts && load == Load::Full {
        let training_start = payload.at;
        let mut sums = Vec::with_capacity(k);
        for _ in 0..k {
            let n = payload
                .u64()
                .ok_or_else(|| corrupted("training sums longer than the file"))?;
            let entries = (n <= features)
                .then(|| payload.take(n * 12))
                .flatten()
                .ok_or_else(|| corrupted("training sums longer than the file"))?;
            sums.push(decode(entries, |b: [u8; 12]| {
                let mut feature = [0u8; 4];
                let mut value = [0u8; 8];
                feature.copy_from_slice(&b[..4]);
                value.copy_from_slice(&b[4..]);
                (u32::from_le_bytes(feature), f64::from_le_bytes(value))
            }));
        }
        if payload.remaining() != 0 {
            return Err(corrupted("bytes left after the training sums"));
        }
        if payload.checksum_from(training_start) != exact_checksum {
            return Err(mismatch());
        }
        Some(sums)
    } else {
        None
    };

    // The bytes are what was written; now check that what was written makes sense.
    let vocabulary = vocabulary.map_err(|e| fail(format!("vocabulary: {e}")))?;
    let vectorizer = Vectorizer::new(
        Analyzer::new(meta.analyzer),
        meta.features,
        vocabulary,
        meta.idf,
    )
    .map_err(|e| fail(format!("idf: {e}")))?;
    let known = known.map_err(|e| fail(format!("known words: {e}")))?;
    let vectorizer = vectorizer.with_known_words(known);
    let tables = NbTables {
        class_count: meta.class_count.iter().map(|&c| c as usize).collect(),
        prior: meta.prior,
        weights,
        sums,
        temperature,
    };
    let model = Classifier::from_tables(vectorizer, meta.labels, meta.alpha, meta.kind, tables)
        .map_err(fail)?;
    if load == Load::Full {
        // Both parts were written together; the weights must be those of the sums.
        let exact = model.exact_tables()?;
        if scoring_weights(
            &exact.log_prob,
            model.labels().len(),
            model.kind(),
            model.temperature(),
        ) != model.scoring_weights()
        {
            return Err(corrupted(
                "the scoring weights disagree with the training sums",
            ));
        }
    }
    Ok((model, scoring))
}

/// Writes a model file atomically: readers see the old file or the complete new one.
pub fn save(model: &Classifier, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let mut file = AtomicFile::create(path)?;
    let mut image = file_image(model, FORMAT_VERSION)?;
    // A model cut short is no model: a reader that leaves early (`| head -c 10`) fails the
    // run, unlike one of text output, which may stop reading when it has what it wants.
    let in_place = |e: Error| match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Error::input(
                crate::error::printable(path),
                "the reader closed the pipe before the model was whole",
            )
        }
        Error::Io { source, .. } => Error::io(path, source),
        other => other,
    };
    let handle = file.handle().map_err(|e| Error::io(path, e))?;
    if !file.writes_in_place() && handle.metadata().is_ok_and(|m| m.is_file()) {
        write_in_halves(&mut image, &handle).map_err(in_place)?;
    } else {
        // A device, a pipe, or a descriptor (opened for appending, which puts every
        // positioned write at the end): written in order.
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        write_model(model, &mut out).map_err(in_place)?;
        // Flushed here, its error seen: dropped, the buffer would write its last megabyte
        // and ignore a full disk or a closed pipe.
        out.flush().map_err(|e| in_place(Error::io(path, e)))?;
    }
    file.commit()
}

/// Writes a model file's image to a regular file in two halves at once, each hashed as it is
/// written, then the header with the checksums. (Written in order through one buffer, the
/// 20newsgroups model's 58 MB took a core for 26-34 ms, copied twice on the way.)
fn write_in_halves(image: &mut FileImage, file: &std::fs::File) -> Result<()> {
    let page = 4096;
    let middle = (HEADER_LEN + (image.len - HEADER_LEN) / 2).next_multiple_of(page);
    let middle = middle.min(image.len);
    let write_half = |range: std::ops::Range<u64>| {
        let mut unflushed = range.start..range.start;
        image.write_hashed(range, |at, bytes| {
            write_at(file, bytes, at)?;
            unflushed.end = at + bytes.len() as u64;
            if unflushed.end - unflushed.start >= WRITEBACK_EVERY {
                Writeback::hand_over(file, unflushed.start, unflushed.end - unflushed.start);
                unflushed.start = unflushed.end;
            }
            Ok(())
        })
    };
    let (first, second) = rayon::join(
        || write_half(HEADER_LEN..middle),
        || write_half(middle..image.len),
    );
    let ((mut scoring, mut exact), (scoring_end, exact_end)) = (first?, second?);
    scoring.combine(&scoring_end);
    exact.combine(&exact_end);
    image.set_checksums(scoring.finalize(), exact.finalize());
    let header = &image.pieces[0];
    write_at(file, header, 0).map_err(|e| Error::io("<model>", e))
}

#[cfg(unix)]
fn write_at(file: &std::fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(not(unix))]
fn write_at(file: &std::fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    let mut file = file;
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

/// Refuses an output path that is a directory, or whose directory does not exist, is not a
/// directory or does not let this process create files in it, and returns the file to write
/// ([`output_target`]) and its directory. Commands that work long before they write
/// (`train`, `eval --plot`) call it first, so that a mistyped path fails at once, not after
/// the work. A device, a pipe or a descriptor is written in place and needs none of this.
pub fn check_output_path(path: &Path) -> Result<(PathBuf, PathBuf)> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(Error::input(
            crate::error::printable(path),
            "is a directory: give the path of a file to write",
        ));
    }
    let target = output_target(path)?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if written_in_place(path) {
        return Ok((target, dir));
    }
    let cannot = |why: String| {
        Error::input(
            crate::error::printable(path),
            format!(
                "cannot be written: its directory {} {why}",
                crate::error::printable(&dir)
            ),
        )
    };
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(cannot("is not a directory".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(cannot("does not exist".into()));
        }
        Err(e) => return Err(cannot(format!("cannot be reached ({})", os_message(&e)))),
    }
    if let Err(e) = may_create_files_in(&dir) {
        return Err(cannot(format!(
            "does not take new files ({})",
            os_message(&e)
        )));
    }
    Ok((target, dir))
}

/// Whether this process may create files in `dir` (write and search permission, a file
/// system not mounted read-only), as its effective user.
fn may_create_files_in(dir: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let dir = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
        // SAFETY: a valid C string, read by the call only.
        let status = unsafe {
            libc::faccessat(
                libc::AT_FDCWD,
                dir.as_ptr(),
                libc::W_OK | libc::X_OK,
                libc::AT_EACCESS,
            )
        };
        if status != 0 {
            let error = std::io::Error::last_os_error();
            // Some container sandboxes refuse faccessat2 itself (EPERM, ENOSYS): no answer,
            // and creating the file will tell.
            if matches!(error.raw_os_error(), Some(libc::EPERM | libc::ENOSYS)) {
                return Ok(());
            }
            return Err(error);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = dir;
    Ok(())
}

/// An OS error's own words (`Permission denied (os error 13)`), without what a crate added
/// to them (tempfile names the temporary file it could not create).
fn os_message(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => error.to_string(),
    }
}

/// Whether writing `path` writes into what is there (a device, a pipe, a descriptor) rather
/// than replacing it (see [`AtomicFile::create`]).
fn written_in_place(path: &Path) -> bool {
    names_a_descriptor(path) || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Whether `path` names a descriptor of this process (`/dev/stdout`, `/dev/fd/3`,
/// `/proc/self/fd/1`): whatever it is open on (a terminal, a pipe, or a file the shell
/// truncated or opened for appending), it is to be written, not replaced.
fn names_a_descriptor(path: &Path) -> bool {
    let descriptors =
        |path: &Path| path.starts_with("/dev/fd") || path.starts_with("/proc/self/fd");
    descriptors(path) || std::fs::read_link(path).is_ok_and(|target| descriptors(&target))
}

/// The file that writing to `path` is meant for: the one a symbolic link points to, through
/// any chain of links, so that the links stay links and the last target gets the new
/// content (renaming a file over a link would replace the link and leave its target as it
/// was); otherwise `path` itself. A loop of links is an error, as the system gives it.
pub fn output_target(path: &Path) -> Result<PathBuf> {
    if let Ok(target) = path.canonicalize() {
        return Ok(target);
    }
    // Not there (yet): follow the links by hand to the name that does not exist.
    let mut target = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::read_link(&target) {
            // `join` keeps an absolute link target as it is.
            Ok(next) => target = target.parent().unwrap_or(Path::new("")).join(next),
            Err(_) => return Ok(target),
        }
    }
    Err(Error::io(
        path,
        std::io::Error::other("too many levels of symbolic links"),
    ))
}

/// Links followed at most by [`output_target`], as Linux's own limit.
const MAX_LINKS: usize = 40;

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it to `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// Temporary files of [`AtomicFile`]s not yet committed, for [`remove_pending_files`].
static PENDING: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

fn pending() -> Pending {
    Pending(
        PENDING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    )
}

/// [`PENDING`], locked. What is added to it or taken from it is also published in (or
/// withdrawn from) [`crate::pending`] (Linux), whose C strings a handler of SIGBUS reads
/// without locking.
struct Pending(std::sync::MutexGuard<'static, Vec<std::path::PathBuf>>);

impl Pending {
    fn push(&mut self, path: std::path::PathBuf) {
        #[cfg(target_os = "linux")]
        crate::pending::register(&path);
        self.0.push(path);
    }

    fn retain(&mut self, mut keep: impl FnMut(&std::path::PathBuf) -> bool) {
        self.0.retain(|path| {
            let kept = keep(path);
            #[cfg(target_os = "linux")]
            if !kept {
                crate::pending::unregister(path);
            }
            kept
        });
    }
}

/// Set, under [`PENDING`]'s lock, once the process is going because of a signal: no
/// temporary file is renamed into place after that (see [`AtomicFile::commit`]).
static DYING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Deletes the temporary files of every uncommitted [`AtomicFile`]: for a handler of a
/// signal that ends the process, since destructors do not run then. A commit under way
/// finishes first (it holds the lock across its rename); none starts after: any later
/// [`AtomicFile::commit`] waits for the process to end. Not for any other use.
#[doc(hidden)]
pub fn remove_pending_files() {
    let mut pending = pending();
    DYING.store(true, std::sync::atomic::Ordering::SeqCst);
    for path in std::mem::take(&mut *pending.0) {
        let _ = std::fs::remove_file(&path);
        #[cfg(target_os = "linux")]
        crate::pending::unregister(&path);
    }
}

/// A file that appears at its path only when [`AtomicFile::commit`] is called: until then
/// it is a temporary file beside it, deleted if dropped (an error, a panic) or, through
/// [`remove_pending_files`], if the process is interrupted.
pub struct AtomicFile {
    temp: Option<tempfile::NamedTempFile>,
    /// The target itself, when it is a device or a pipe (see [`AtomicFile::create`]).
    direct: Option<std::fs::File>,
    temp_path: std::path::PathBuf,
    path: std::path::PathBuf,
    writeback: Writeback,
}

/// How often (in bytes written) a file's pages are handed to the disk ([`Writeback`]). The
/// final sync waits for at most this much: on the 14 MB test split's 15 MB output, its
/// `fsync` took 3.1–4.4 ms with 8 MB, 0.5–0.7 ms with 1 MB (strace, 3 runs each).
const WRITEBACK_EVERY: u64 = 1 << 20;

/// Hands a file's pages to the disk every `WRITEBACK_EVERY` bytes written, without waiting
/// for them, so that the disk works while the program goes on and a final sync waits for
/// little more than the last pages. (Measured on a 40 MB model file: its sync and rename took
/// 22–27 ms when the whole file was left to the sync, 10 ms with this.) A hint: where it is
/// not available, the sync does all the work.
#[derive(Default)]
pub struct Writeback {
    /// Bytes written since the pages were last handed over (or synced).
    unflushed: u64,
}

impl Writeback {
    /// `bytes` more were written to `file`.
    pub fn wrote(&mut self, file: &std::fs::File, bytes: usize) {
        self.unflushed += bytes as u64;
        if self.unflushed < WRITEBACK_EVERY {
            return;
        }
        self.unflushed = 0;
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: the descriptor is an open file's; sync_file_range only schedules the
            // writing of its pages and touches no memory of ours. Its result is a hint's.
            unsafe {
                libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = file;
    }

    /// Hands `len` bytes written at `offset` of `file` to the disk, without waiting for them.
    pub fn hand_over(file: &std::fs::File, offset: u64, len: u64) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: as in `wrote`.
            unsafe {
                libc::sync_file_range(
                    file.as_raw_fd(),
                    offset as libc::off64_t,
                    len as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (file, offset, len);
    }

    /// The file was just synced: nothing is left to hand over.
    pub fn synced(&mut self) {
        self.unflushed = 0;
    }
}

impl AtomicFile {
    /// A temporary file beside `path`, renamed to it by [`commit`](Self::commit). When `path`
    /// is a device or a pipe (`--output /dev/null`, a FIFO), it is written directly instead:
    /// renaming a file over it would replace the device (for root, `/dev/null` itself) with a
    /// regular file, and a device holds no half-written file anyway.
    pub fn create(path: &Path) -> Result<Self> {
        if written_in_place(path) {
            let file = std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            return Ok(AtomicFile {
                temp: None,
                direct: Some(file),
                temp_path: std::path::PathBuf::new(),
                path: path.to_path_buf(),
                writeback: Writeback::default(),
            });
        }
        let (path, dir) = check_output_path(path)?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".artclass-").suffix(".tmp");
        // Read and write for all, less what the umask takes away (the kernel applies it as
        // the file is created): the mode of any new file, not tempfile's private 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(&dir).map_err(|e| {
            Error::input(
                crate::error::printable(&path),
                format!("cannot be written: {}", os_message(&e)),
            )
        })?;
        let temp_path = temp.path().to_path_buf();
        pending().push(temp_path.clone());
        Ok(AtomicFile {
            temp: Some(temp),
            direct: None,
            temp_path,
            path,
            writeback: Writeback::default(),
        })
    }

    /// Whether the target itself is written (a device, a pipe, a descriptor), not a
    /// temporary file renamed to it.
    pub fn writes_in_place(&self) -> bool {
        self.direct.is_some()
    }

    /// Another handle on the file being written (same file position), for a writer thread.
    pub fn handle(&self) -> std::io::Result<std::fs::File> {
        match (&self.temp, &self.direct) {
            (Some(temp), _) => temp.as_file().try_clone(),
            (None, Some(file)) => file.try_clone(),
            (None, None) => Err(std::io::Error::other("file already committed")),
        }
    }

    fn file(&mut self) -> std::io::Result<&mut std::fs::File> {
        match (&mut self.temp, &mut self.direct) {
            (Some(temp), _) => Ok(temp.as_file_mut()),
            (None, Some(file)) => Ok(file),
            (None, None) => Err(std::io::Error::other("file already committed")),
        }
    }

    /// Syncs the data and renames the file to its path, replacing what was there.
    pub fn commit(mut self) -> Result<()> {
        let path = self.path.clone();
        if let Some(mut file) = self.direct.take() {
            return file.flush().map_err(|e| Error::io(&path, e));
        }
        let temp = self.file().map_err(|e| Error::io(&path, e))?;
        temp.sync_all().map_err(|e| Error::io(&path, e))?;
        // A file replaced keeps its mode; a new one has the mode the umask gives new files,
        // as it was created with.
        if let Ok(existing) = std::fs::metadata(&path) {
            temp.set_permissions(existing.permissions())
                .map_err(|e| Error::io(&path, e))?;
        }
        if let Some(temp) = self.temp.take() {
            // The file replaced is freed, its blocks and cached pages, when its last name and
            // descriptor go: 14 ms for a 58 MB model, after the rename (measured). With a
            // descriptor kept across the rename and closed on a thread of its own, that
            // overlaps with what the process does next, unmapping and freeing its memory.
            let replaced = open_replaced(&path);
            // Renamed under the lock of the pending files, unless a signal's clean-up has
            // begun: the file is then gone or going, and so is the process (the handler
            // raises the signal again), which waits here rather than report its removal.
            let pending = pending();
            if DYING.load(std::sync::atomic::Ordering::SeqCst) {
                drop(pending);
                loop {
                    std::thread::park();
                }
            }
            temp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
            drop(pending);
            if let Some(replaced) = replaced {
                // Not joined: the process waits for a closing descriptor as it exits. Should
                // no thread start, the descriptor closes here.
                let _ = std::thread::Builder::new().spawn(move || drop(replaced));
            }
        }
        Ok(())
    }
}

/// The regular file at `path`, open for reading, if there is one. Without blocking: should
/// the path have become a FIFO meanwhile, opening it does not wait for a writer.
fn open_replaced(path: &Path) -> Option<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        pending().retain(|p| p != &self.temp_path);
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.file()?.write(buf)?;
        // The temporary file only: a device written directly has nothing to hand over.
        if let Some(temp) = &self.temp {
            self.writeback.wrote(temp.as_file(), written);
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file()?.flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.file()?.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn descriptors_are_written_not_replaced() {
        for path in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/2"] {
            if Path::new(path).exists() {
                assert!(names_a_descriptor(Path::new(path)), "{path}");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        assert!(!names_a_descriptor(&dir.path().join("out.csv")));
        assert!(!names_a_descriptor(Path::new("/dev/shm/out.csv")));
    }
    use crate::features::NO_WORD;
    use crate::model::ClassifierParams;
    use std::borrow::Cow;

    fn model() -> Classifier {
        model_with(FeatureConfig::default().ngram_tf, true)
    }

    /// [`model`] with its n-grams weighed by `ngram_tf`, and with or without the analyzer's
    /// script rules: formats before 7 store only the words' term frequency, which was the
    /// n-grams' too, and formats before 9 no script rules.
    fn model_with(ngram_tf: crate::features::TermFrequency, script_rules: bool) -> Classifier {
        let mut analyzer = crate::text::AnalyzerConfig::preset(Language::French);
        analyzer.script_rules = script_rules;
        // The web rules came with format 10, after the script rules.
        analyzer.web_rules = script_rules;
        ClassifierParams::new(Language::French)
            .analyzer(analyzer)
            .ngram_tf(ngram_tf)
            .ngrams(2)
            .min_df(1)
            .min_df_ngrams(Some(1))
            .idf(true)
            .check()
            .unwrap()
            .fit(
                &[
                    "Le coworking ouvre ses bureaux partagés.",
                    "Le service client répond vite.",
                ],
                &["coworking", "customer_relation"],
            )
            .unwrap()
    }

    #[test]
    fn calibrated_models_keep_their_temperature() {
        let subjects = [
            ("coworking", "bureau partagé coworking poste nomade"),
            ("ecommerce", "panier livraison commande boutique paiement"),
        ];
        let (mut texts, mut labels) = (Vec::new(), Vec::new());
        for doc in 0..120 {
            let (label, words) = subjects[doc % 2];
            let words: Vec<&str> = words.split(' ').collect();
            // Some documents share a word with the other label, so that folds err now and then.
            let other = subjects[(doc + 1) % 2]
                .1
                .split(' ')
                .nth(doc % 5)
                .unwrap_or("");
            let text = format!("{} {} {other}", words[doc % 5], words[(doc / 5) % 5]);
            texts.push(if doc % 3 == 0 { text } else { words.join(" ") });
            labels.push(label);
        }
        let model = ClassifierParams::new(Language::French)
            .check()
            .unwrap()
            .fit(&texts, &labels)
            .unwrap();
        let temperature = model.temperature();
        assert!(model.calibration().is_some() && temperature != 1.0);
        let bytes = to_bytes(&model).unwrap();
        let text = "un panier livré au bureau";
        for load in [Load::Full, Load::Scoring] {
            let back = from_bytes(&bytes, "calibrated", load).unwrap();
            assert_eq!(back.temperature(), temperature);
            assert_eq!(back.predict_proba(text), model.predict_proba(text));
        }
        assert_eq!(
            to_bytes(&from_bytes(&bytes, "calibrated", Load::Full).unwrap()).unwrap(),
            bytes
        );
        // Format 9 has no temperature: it refuses a calibrated model, and a model written in
        // it reads with the softmax as it is.
        let mut nine = std::io::Cursor::new(Vec::new());
        let err = write_model_as(&model, &mut nine, 9).unwrap_err();
        assert!(
            matches!(&err, Error::Unsupported(m) if m.contains("temperature")),
            "{err}"
        );
        let plain = ClassifierParams::new(Language::French).calibrate(false);
        let plain = plain.check().unwrap().fit(&texts, &labels).unwrap();
        // Nor the web rules, which come with the temperature.
        let err = write_model_as(&plain, &mut nine, 9).unwrap_err();
        assert!(
            matches!(&err, Error::Unsupported(m) if m.contains("web text")),
            "{err}"
        );
        let mut analyzer = crate::text::AnalyzerConfig::preset(Language::French);
        analyzer.web_rules = false;
        let plain = ClassifierParams::new(Language::French)
            .analyzer(analyzer)
            .calibrate(false)
            .check()
            .unwrap()
            .fit(&texts, &labels)
            .unwrap();
        write_model_as(&plain, &mut nine, 9).unwrap();
        let back = from_bytes(&nine.into_inner(), "nine", Load::Full).unwrap();
        assert_eq!(back.temperature(), 1.0);
        assert!(!back.analyzer_config().web_rules);
        assert_eq!(back.predict_proba(text), plain.predict_proba(text));
        assert!(
            from_bytes(&bytes, "ten", Load::Scoring)
                .unwrap()
                .analyzer_config()
                .web_rules
        );
        // The temperature and the web rules end the metadata; a damaged temperature is
        // refused, the checksum made right again behind its back.
        let meta_len = u64::from_le_bytes(bytes[28..36].try_into().unwrap()) as usize;
        assert_eq!(bytes[36 + meta_len - 1], 1);
        let at = 36 + meta_len - 9;
        assert_eq!(bytes[at..at + 8], temperature.to_le_bytes());
        let scoring_end = sections(&bytes, model.scoring_weights().len()).end;
        for bad in [-1.0f64, 0.0, f64::NAN] {
            let damaged = rewritten(&bytes, scoring_end, at, &bad.to_le_bytes());
            let err = from_bytes(&damaged, "m", Load::Scoring)
                .unwrap_err()
                .to_string();
            assert!(err.contains("invalid temperature"), "{err}");
        }
    }

    /// Sets the scoring part's checksum (bytes `HEADER_LEN..scoring_end`) right again after
    /// `bytes` were changed, as a bug in the writer would leave them.
    fn recheck_scoring(bytes: &mut [u8], scoring_end: usize) {
        let crc = crc32fast::hash(&bytes[HEADER_LEN as usize..scoring_end]);
        bytes[20..24].copy_from_slice(&crc.to_le_bytes());
    }

    /// A copy of `bytes` with `value` written at `at` and the scoring checksum made right
    /// again: a table damaged behind the checksum's back.
    fn rewritten(bytes: &[u8], scoring_end: usize, at: usize, value: &[u8]) -> Vec<u8> {
        let mut damaged = bytes.to_vec();
        damaged[at..at + value.len()].copy_from_slice(value);
        recheck_scoring(&mut damaged, scoring_end);
        damaged
    }

    fn error_of(bytes: &[u8]) -> String {
        match from_bytes(bytes, "test.model", Load::Full) {
            Ok(_) => panic!("loaded a broken model"),
            Err(e) => e.to_string(),
        }
    }

    /// Every preset comes back from the file as it went in, stop words and all. Format 8,
    /// which older artclass releases read, has no value for the languages after French and
    /// English: such a model cannot be written in it, even without the script rules.
    #[test]
    fn every_language_round_trips_and_format_8_holds_only_the_first_two() {
        let texts = [
            "Zorbix quantal vemora, zorbix trelling quantal.",
            "Plimsoll garvet ombrach; plimsoll garvet nerrow.",
        ];
        let fit = |language, script_rules| {
            let mut analyzer = crate::text::AnalyzerConfig::preset(language);
            analyzer.script_rules = script_rules;
            analyzer.web_rules = script_rules;
            ClassifierParams::new(language)
                .analyzer(analyzer)
                .min_df(1)
                .check()
                .unwrap()
                .fit(&texts, &["first", "second"])
                .unwrap()
        };
        for language in Language::ALL {
            let model = fit(language, true);
            let bytes = to_bytes(&model).unwrap();
            assert_eq!(bytes[8..12], FORMAT_VERSION.to_le_bytes(), "{language}");
            let back = from_bytes(&bytes, "test.model", Load::Full).unwrap();
            assert_eq!(back.analyzer_config().language, language);
            assert_eq!(back.analyzer_config(), model.analyzer_config());
            assert_eq!(to_bytes(&back).unwrap(), bytes, "{language}");
            let text = "quantal zorbix";
            assert_eq!(back.predict_proba(text), model.predict_proba(text));
            assert_eq!(model.predict(text).0, "first", "{language}");

            let mut eight = std::io::Cursor::new(Vec::new());
            let written = write_model_as(&fit(language, false), &mut eight, 8);
            if matches!(language, Language::French | Language::English) {
                assert!(written.is_ok());
            } else {
                let error = written.unwrap_err().to_string();
                assert!(error.contains(&format!("'{language}'")), "{error}");
            }
        }

        // Nor is such a file read: its language index (the metadata's first byte) is damage.
        let model = fit(Language::French, false);
        let mut eight = std::io::Cursor::new(Vec::new());
        write_model_as(&model, &mut eight, 8).unwrap();
        let eight = eight.into_inner();
        let meta_start = HEADER_LEN as usize + 8;
        assert_eq!(eight[meta_start], 0, "French is variant 0");
        let scoring_end = sections(&eight, model.scoring_weights().len()).end;
        let german = rewritten(&eight, scoring_end, meta_start, &[2]);
        assert!(
            error_of(&german).contains("language 'de' in format 8, which holds only fr and en"),
            "{}",
            error_of(&german)
        );
    }

    #[test]
    fn round_trip_is_exact() {
        let model = model();
        let bytes = to_bytes(&model).unwrap();
        let back = from_bytes(&bytes, "test.model", Load::Full).unwrap();
        assert_eq!(back.labels(), model.labels());
        assert_eq!(back.vocabulary().words(), model.vocabulary().words());
        assert_eq!(back.vocabulary().ngrams(), model.vocabulary().ngrams());
        assert_eq!(back.classes().unwrap(), model.classes().unwrap());
        assert_eq!(back.analyzer_config(), model.analyzer_config());
        assert_eq!(back.feature_config(), model.feature_config());
        assert_eq!(to_bytes(&back).unwrap(), bytes);

        let scoring = from_bytes(&bytes, "test.model", Load::Scoring).unwrap();
        let text = "Un coworking et son service client.";
        assert_eq!(scoring.predict_proba(text), model.predict_proba(text));
        assert!(scoring.classes().is_err() && to_bytes(&scoring).is_err());
    }

    #[test]
    fn round_trip_keeps_the_settings_stored_apart() {
        let mut analyzer = crate::text::AnalyzerConfig::preset(Language::English);
        analyzer.dotted_words = true;
        analyzer.min_word_chars = 1;
        let model = ClassifierParams::new(Language::English)
            .analyzer(analyzer)
            .min_df(1)
            .min_df_ngrams(Some(1))
            .tf(crate::features::TermFrequency::Binary)
            .ngram_tf(crate::features::TermFrequency::Log)
            .kind(NbKind::ComplementNorm)
            .check()
            .unwrap()
            .fit(
                &["Mail bob@cs.cmu.edu about X 3.1", "The game ended 3 to 1"],
                &["comp", "sport"],
            )
            .unwrap();
        let bytes = to_bytes(&model).unwrap();
        assert_eq!(bytes[8..12], FORMAT_VERSION.to_le_bytes());
        let back = from_bytes(&bytes, "test.model", Load::Scoring).unwrap();
        assert_eq!(back.analyzer_config(), model.analyzer_config());
        assert!(back.analyzer_config().dotted_words);
        assert_eq!(back.feature_config(), model.feature_config());
        assert_eq!(back.feature_config().min_df_ngrams, Some(1));
        assert_eq!(
            back.feature_config().ngram_tf,
            crate::features::TermFrequency::Log
        );
        assert_eq!(back.kind(), NbKind::ComplementNorm);
        assert!(back.vocabulary().get("bob@cs.cmu.edu").is_some());
        let text = "bob@cs.cmu.edu wrote about 3.1";
        assert_eq!(back.predict_proba(text), model.predict_proba(text));

        // And the values that differ from the preset.
        let mut analyzer = crate::text::AnalyzerConfig::preset(Language::English);
        analyzer.dotted_words = false;
        let plain = ClassifierParams::new(Language::English)
            .analyzer(analyzer)
            .min_df(1)
            .check()
            .unwrap()
            .fit(
                &["Mail bob@cs.cmu.edu", "The game ended"],
                &["comp", "sport"],
            )
            .unwrap();
        let back = from_bytes(&to_bytes(&plain).unwrap(), "test.model", Load::Full).unwrap();
        assert!(!back.analyzer_config().dotted_words);
        assert!(back.vocabulary().get("cmu").is_some());
        assert_eq!(back.feature_config(), plain.feature_config());
    }

    #[test]
    fn refuses_truncated_corrupted_foreign_and_newer_files() {
        let bytes = to_bytes(&model()).unwrap();
        for cut in [0, 5, 8, 20, 30, bytes.len() / 2, bytes.len() - 1] {
            let message = error_of(&bytes[..cut]);
            assert!(
                message.contains("truncated") || message.contains("not an artclass model"),
                "cut at {cut}: {message}"
            );
        }
        // A flipped bit anywhere in the payload is caught.
        for at in [20, 24, 40, bytes.len() / 2, bytes.len() - 3] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x40;
            let message = error_of(&flipped);
            assert!(message.contains("corrupted"), "flip at {at}: {message}");
        }

        assert!(error_of(b"id,label,text\n1,a,b\n").contains("not an artclass model"));

        // A scoring load reads and checks the scoring part only: a flip there is caught, a
        // flip in the training part (the last bytes) is left to full loads.
        let scoring = |bytes: &[u8]| from_bytes(bytes, "test.model", Load::Scoring);
        let mut in_scoring_part = bytes.clone();
        in_scoring_part[HEADER_LEN as usize + 9] ^= 0x40;
        assert!(scoring(&in_scoring_part).is_err());
        let mut in_exact_part = bytes.clone();
        let last = in_exact_part.len() - 1;
        in_exact_part[last] ^= 0x40;
        assert!(scoring(&in_exact_part).is_ok());
        assert!(error_of(&in_exact_part).contains("checksum mismatch"));

        let mut older = bytes.clone();
        older[8..12].copy_from_slice(&1u32.to_le_bytes());
        assert!(error_of(&older).contains("older than this artclass reads"));

        let mut newer = bytes.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert!(error_of(&newer).contains("newer than this artclass reads"));

        // A huge announced length must not be trusted (no allocation, clear message).
        let mut huge = bytes.clone();
        huge[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(error_of(&huge).contains("truncated"));
        let mut huge_meta = bytes.clone();
        huge_meta[28..36].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        assert!(error_of(&huge_meta).contains("corrupted"));

        let mut longer = bytes;
        longer.extend_from_slice(b"junk");
        assert!(error_of(&longer).contains("unexpected bytes"));
    }

    #[test]
    fn damage_before_the_checksum_is_known_is_reported_as_a_mismatch() {
        // The metadata says where the scoring part ends, so it is read before its checksum
        // can be computed: a fault found there is the checksum's to report.
        let model = model();
        let bytes = to_bytes(&model).unwrap();
        let parts = sections(&bytes, model.scoring_weights().len());
        for at in HEADER_LEN as usize..parts.meta_end + 16 {
            for flip in [0x01, 0x5a, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                for load in [Load::Full, Load::Scoring] {
                    let message = match from_bytes(&damaged, "test.model", load) {
                        Ok(_) => panic!("flip {flip:#x} at {at}: loaded"),
                        Err(e) => e.to_string(),
                    };
                    assert!(
                        message.ends_with("checksum mismatch: the file is corrupted"),
                        "flip {flip:#x} at {at}: {message}"
                    );
                }
            }
        }
        // Bytes that are those written (the checksum made right again) report their own
        // fault, in a user's words: not postcard's ("Serde Deserialization Error").
        let mut undecodable = 0;
        for at in HEADER_LEN as usize + 8..parts.meta_end {
            let damaged = rewritten(&bytes, parts.end, at, &[bytes[at] ^ 0x5a]);
            if let Err(e) = from_bytes(&damaged, "test.model", Load::Scoring) {
                let message = e.to_string();
                assert!(!message.contains("checksum"), "at {at}: {message}");
                for internal in ["Serde", "Found", "Tried", "varint", "Hit the end"] {
                    assert!(!message.contains(internal), "at {at}: {message}");
                }
                undecodable += message.contains("the metadata cannot be decoded") as usize;
            }
        }
        assert!(undecodable > 0);
    }

    #[test]
    fn checksums_are_found_at_any_split() {
        let payload: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for split in [0, 1, 150, 299, 300] {
            let scoring = crc32fast::hash(&payload[..split]);
            let training = crc32fast::hash(&payload[split..]);
            assert!(
                checksums_hold_somewhere(&payload, scoring, training),
                "{split}"
            );
            assert!(!checksums_hold_somewhere(&payload, scoring ^ 1, training));
            assert!(!checksums_hold_somewhere(&payload, scoring, training ^ 1));
        }
    }

    #[test]
    fn a_stream_is_read_as_far_as_its_header_announces() {
        let bytes = to_bytes(&model()).unwrap();
        assert_eq!(read_stream(&mut bytes.as_slice(), "s").unwrap(), bytes);
        let error = |e: Error| e.to_string();
        // Endless bytes that are no model: refused after the header's worth.
        let message = error(read_stream(&mut std::io::repeat(b'y'), "s").unwrap_err());
        assert!(message.contains("no ARTCLASS header"), "{message}");
        // A model followed by endless bytes, or by a few.
        let mut endless = bytes.as_slice().chain(std::io::repeat(0));
        let message = error(read_stream(&mut endless, "s").unwrap_err());
        assert!(
            message.contains("at least 1048576 unexpected bytes"),
            "{message}"
        );
        let mut longer = bytes.as_slice().chain(&b"junk"[..]);
        let message = error(read_stream(&mut longer, "s").unwrap_err());
        assert!(
            message.ends_with(": 4 unexpected bytes after the payload"),
            "{message}"
        );
        // A huge announced length is not allocated: the bytes there are are read, and
        // refused as a file that short would be.
        let mut huge = bytes[..HEADER_LEN as usize].to_vec();
        huge[12..20].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        huge.extend_from_slice(&[0; 100]);
        let read = read_stream(&mut huge.as_slice(), "s").unwrap();
        assert!(read.capacity() < 1 << 20);
        assert!(error_of(&read).contains("truncated: payload is 100 bytes"));
        // Shorter than a header, or a newer format: refused before the payload is read.
        let message = error(read_stream(&mut &bytes[..10], "s").unwrap_err());
        assert!(message.contains("truncated: 10 bytes"), "{message}");
        let mut newer = bytes[..HEADER_LEN as usize].to_vec();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let mut newer = newer.as_slice().chain(std::io::repeat(0));
        let message = error(read_stream(&mut newer, "s").unwrap_err());
        assert!(
            message.contains("newer than this artclass reads"),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_model_file_rewritten_in_place_is_told_from_one_renamed_over() {
        use std::os::unix::fs::{FileExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.artclass");
        // Dated in the past, so that a change now shows whatever the clock's tick.
        let backdate = |path: &Path| {
            let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
            file.set_modified(past).unwrap();
            file.metadata().unwrap().modified().unwrap()
        };
        save(&model(), &path).unwrap();
        backdate(&path);
        let loaded = load(&path, Load::Scoring).unwrap();
        loaded.check_model_file_unchanged().unwrap();
        // Replaced by a rename (unlinked: its status changes), its mode changed: no harm.
        save(&model(), &path).unwrap();
        loaded.check_model_file_unchanged().unwrap();
        backdate(&path);
        let loaded = load(&path, Load::Scoring).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        loaded.check_model_file_unchanged().unwrap();
        // Its bytes written over themselves: the times tell.
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        file.write_all_at(&bytes, 0).unwrap();
        let message = loaded.check_model_file_unchanged().unwrap_err().to_string();
        assert!(
            message.contains("m.artclass: was rewritten in place"),
            "{message}"
        );
        // A weight changed and the modification time set back as it was (`cp -p`, `rsync
        // -t`): the content tells.
        let when = backdate(&path);
        let loaded = load(&path, Load::Scoring).unwrap();
        let weights = sections(&bytes, loaded.scoring_weights().len()).weights;
        file.write_all_at(&[bytes[weights] ^ 1], weights as u64)
            .unwrap();
        file.set_modified(when).unwrap();
        let message = loaded.check_model_file_unchanged().unwrap_err().to_string();
        assert!(message.contains("rewritten in place"), "{message}");
        // Read whole, or built in: nothing to check.
        assert!(
            from_bytes(&bytes, "b", Load::Scoring)
                .unwrap()
                .check_model_file_unchanged()
                .is_ok()
        );
    }

    /// Where the scoring part's sections of a model file start (format 5 on): the weights,
    /// the known words, then (format 6) the n-grams, their table and filter, and where it ends.
    struct Sections {
        meta_end: usize,
        weights: usize,
        known: usize,
        ngrams: Option<[usize; 3]>,
        /// Format 8: where the words' text, ends and index tables start.
        words: Option<[usize; 3]>,
        end: usize,
    }

    fn sections(bytes: &[u8], weights: usize) -> Sections {
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
        let meta_end = HEADER_LEN as usize + 8 + u64_at(28);
        let weights_at = meta_end.next_multiple_of(WEIGHTS_ALIGN as usize);
        let known = (weights_at + 4 * weights).next_multiple_of(8);
        let known_end = known + 8 + 24 * u64_at(known);
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        let (ngrams, end) = if version >= 6 {
            let keys = known_end;
            let table = (keys + 8 + 12 * u64_at(keys)).next_multiple_of(8);
            let filter = table + 8 + 16 * u64_at(table);
            (Some([keys, table, filter]), filter + 8 + 8 * u64_at(filter))
        } else {
            (None, known_end)
        };
        let (words, end) = if version >= 8 {
            let text = end;
            let ends = (text + 8 + u64_at(text)).next_multiple_of(8);
            let index = (ends + 8 + 4 * u64_at(ends)).next_multiple_of(8);
            (Some([text, ends, index]), index + 8 + 8 * u64_at(index))
        } else {
            (None, end)
        };
        Sections {
            meta_end,
            weights: weights_at,
            known,
            ngrams,
            words,
            end,
        }
    }

    #[test]
    fn a_model_file_is_scored_in_place_and_formats_4_to_8_still_load() {
        let model = model();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.artclass");
        save(&model, &path).unwrap();
        let text = "Un coworking et son service client.";
        let mapped = load(&path, Load::Scoring).unwrap();
        if cfg!(all(unix, target_endian = "little")) {
            assert!(mapped.weights_are_mapped());
        }
        assert_eq!(mapped.scoring_weights(), model.scoring_weights());
        assert_eq!(mapped.predict_proba(text), model.predict_proba(text));
        assert_eq!(mapped.vocabulary().ngrams(), model.vocabulary().ngrams());
        assert_eq!(
            mapped.vocabulary().ngram_tables(),
            model.vocabulary().ngram_tables()
        );
        assert_eq!(mapped.vocabulary().words(), model.vocabulary().words());
        assert_eq!(
            mapped.vocabulary().words().tables(),
            model.vocabulary().words().tables()
        );
        assert_eq!(
            to_bytes(&load(&path, Load::Full).unwrap()).unwrap(),
            std::fs::read(&path).unwrap()
        );

        // Format 8: no script rules, which a model from before them reads without.
        let mut eight = std::io::Cursor::new(Vec::new());
        let err = write_model_as(&model, &mut eight, 8)
            .unwrap_err()
            .to_string();
        assert!(err.contains("scripts written without spaces"), "{err}");
        let model = model_with(FeatureConfig::default().ngram_tf, false);
        write_model_as(&model, &mut eight, 8).unwrap();
        let eight = eight.into_inner();
        assert_eq!(eight[8..12], 8u32.to_le_bytes());
        let back = from_bytes(&eight, "eight.model", Load::Full).unwrap();
        assert!(!back.analyzer_config().script_rules);
        assert_eq!(back.predict_proba(text), model.predict_proba(text));
        assert_eq!(to_bytes(&back).unwrap(), to_bytes(&model).unwrap());
        assert!(
            load(&path, Load::Full)
                .unwrap()
                .analyzer_config()
                .script_rules
        );

        // Format 7: the words in the metadata, indexed at load.
        let mut seven = std::io::Cursor::new(Vec::new());
        write_model_as(&model, &mut seven, 7).unwrap();
        let seven = seven.into_inner();
        assert_eq!(seven[8..12], 7u32.to_le_bytes());
        assert!(
            sections(&seven, model.scoring_weights().len())
                .words
                .is_none()
        );
        let back = from_bytes(&seven, "seven.model", Load::Full).unwrap();
        assert_eq!(back.vocabulary().words(), model.vocabulary().words());
        assert_eq!(back.predict_proba(text), model.predict_proba(text));
        assert_eq!(to_bytes(&back).unwrap(), to_bytes(&model).unwrap());

        // Format 6: n-grams weighed as words, which older formats cannot say otherwise.
        let mut six = std::io::Cursor::new(Vec::new());
        let err = write_model_as(&model, &mut six, 6).unwrap_err().to_string();
        assert!(err.contains("n-gram term frequency"), "{err}");
        use crate::features::TermFrequency::Raw;
        let model = model_with(Raw, false);
        write_model_as(&model, &mut six, 6).unwrap();
        let six = six.into_inner();
        assert_eq!(six[8..12], 6u32.to_le_bytes());
        let back = from_bytes(&six, "six.model", Load::Full).unwrap();
        assert_eq!(back.feature_config().ngram_tf, Raw);
        assert_eq!(back.feature_config(), model.feature_config());
        assert_eq!(back.predict_proba(text), model.predict_proba(text));
        assert_eq!(to_bytes(&back).unwrap(), to_bytes(&model).unwrap());

        // Format 5: the n-grams in the metadata, their tables built at load.
        let mut five = std::io::Cursor::new(Vec::new());
        write_model_as(&model, &mut five, 5).unwrap();
        let five = five.into_inner();
        let back = from_bytes(&five, "five.model", Load::Full).unwrap();
        assert_eq!(back.predict_proba(text), model.predict_proba(text));
        assert_eq!(
            back.vocabulary().ngram_tables(),
            model.vocabulary().ngram_tables()
        );
        assert_eq!(to_bytes(&back).unwrap(), to_bytes(&model).unwrap());

        // Format 4: format 5 without the padding before the weights nor the known words.
        let parts = sections(&five, model.scoring_weights().len());
        assert!(parts.ngrams.is_none());
        let weights_end = parts.weights + 4 * model.scoring_weights().len();
        assert!(
            parts.end > parts.known + 8,
            "the model knows its training words"
        );
        let mut old = five[..parts.meta_end].to_vec();
        old.extend_from_slice(&five[parts.weights..weights_end]);
        let scoring_crc = crc32fast::hash(&old[HEADER_LEN as usize..]);
        old.extend_from_slice(&five[parts.end..]);
        old[8..12].copy_from_slice(&4u32.to_le_bytes());
        let payload = (old.len() as u64 - HEADER_LEN).to_le_bytes();
        old[12..20].copy_from_slice(&payload);
        old[20..24].copy_from_slice(&scoring_crc.to_le_bytes());
        let back = from_bytes(&old, "old.model", Load::Full).unwrap();
        assert!(back.vectorizer().known_words().is_empty());
        assert_eq!(back.predict_proba(text), model.predict_proba(text));

        // This model's metadata leaves a gap (its length is fixed by these texts and labels).
        let model = ClassifierParams::new(Language::French)
            .check()
            .unwrap()
            .fit(
                &["Le coworking ouvre ses bureaux.", "Le service client."],
                &["coworking", "client"],
            )
            .unwrap();
        let bytes = to_bytes(&model).unwrap();
        let parts = sections(&bytes, model.scoring_weights().len());
        assert!(parts.weights > parts.meta_end);
        let mut dirty = bytes.clone();
        dirty[parts.meta_end] = 1;
        assert!(error_of(&dirty).contains("checksum mismatch"));
        recheck_scoring(&mut dirty, parts.end);
        assert!(error_of(&dirty).contains("corrupted: padding"));
    }

    #[test]
    fn stored_ngram_tables_that_would_break_lookups_are_refused() {
        let model = model();
        let bytes = to_bytes(&model).unwrap();
        let parts = sections(&bytes, model.scoring_weights().len());
        let [_, table, filter] = parts.ngrams.unwrap();
        let slots = (filter - table - 8) / 16;
        let damage = |at: usize, value: u32| {
            let damaged = rewritten(&bytes, parts.end, at, &value.to_le_bytes());
            from_bytes(&damaged, "damaged.model", Load::Scoring)
                .err()
                .map(|e| e.to_string())
        };
        let id_at = |slot: usize| table + 8 + 16 * slot + 12;
        let id = |slot: usize| {
            u32::from_le_bytes(bytes[id_at(slot)..id_at(slot) + 4].try_into().unwrap())
        };
        let filled = (0..slots).find(|&slot| id(slot) != NO_WORD).unwrap();
        let empty = (0..slots).find(|&slot| id(slot) == NO_WORD).unwrap();
        let features = model.vocabulary().len() as u32;
        let error = damage(id_at(filled), features).unwrap();
        assert!(error.contains("out of range"), "{error}");
        let error = damage(id_at(empty), features - 1).unwrap();
        assert!(error.contains("slots filled"), "{error}");
        let error = damage(id_at(filled), NO_WORD).unwrap();
        assert!(error.contains("slots filled"), "{error}");
        // A table a lookup could loop in forever: every slot filled.
        let words = vec!["a".to_string(), "b".to_string()];
        let full = Vocabulary::new(&words, vec![[0, 1, NO_WORD], [1, 0, NO_WORD]]).unwrap();
        let (table, filter) = full.ngram_tables();
        assert_eq!(table.len(), 4);
        let mut crowded = table.to_vec();
        for (i, slot) in crowded.iter_mut().enumerate() {
            slot[MAX_NGRAMS] = 2 + (i as u32 % 2);
        }
        let refused = Vocabulary::from_tables(
            words.len(),
            || IndexedWords::new(&words),
            full.ngrams().to_vec().into(),
            crowded.into(),
            filter.to_vec().into(),
        );
        assert!(refused.is_err());
    }

    #[test]
    fn stored_word_tables_that_would_break_lookups_are_refused() {
        let model = model();
        let bytes = to_bytes(&model).unwrap();
        let parts = sections(&bytes, model.scoring_weights().len());
        let [text, ends, index] = parts.words.unwrap();
        let n_words = model.vocabulary().words().len();
        let slots = (parts.end - index - 8) / 8;
        let damage = |at: usize, value: &[u8]| error_of(&rewritten(&bytes, parts.end, at, value));
        let id_at = |slot: usize| index + 8 + 8 * slot;
        let id = |slot: usize| {
            u32::from_le_bytes(bytes[id_at(slot)..id_at(slot) + 4].try_into().unwrap())
        };
        let filled = (0..slots).find(|&slot| id(slot) != NO_WORD).unwrap();
        let empty = (0..slots).find(|&slot| id(slot) == NO_WORD).unwrap();
        let error = damage(id_at(filled), &(n_words as u32).to_le_bytes());
        assert!(error.contains("out of range"), "{error}");
        let error = damage(id_at(empty), &0u32.to_le_bytes());
        assert!(error.contains("slots filled"), "{error}");
        let error = damage(id_at(filled), &NO_WORD.to_le_bytes());
        assert!(error.contains("slots filled"), "{error}");
        // The first two words swapped (`client`… before `coworking`…): no longer sorted.
        let words = model.vocabulary().words();
        let (first, second) = (words.word(0), words.word(1));
        let swapped = [second.as_bytes(), first.as_bytes()].concat();
        assert_eq!(
            first.len(),
            second.len(),
            "the test swaps words of one length"
        );
        let error = damage(text + 8, &swapped);
        assert!(error.contains("not sorted"), "{error}");
        // A word's last byte made the first byte of a two-byte character.
        let error = damage(text + 8 + first.len() - 1, &[0xC3]);
        assert!(error.contains("UTF-8"), "{error}");
        let error = damage(text + 8, b" ");
        assert!(error.contains("invalid word"), "{error}");
        // An end past the next one.
        let error = damage(ends + 8, &u32::MAX.to_le_bytes());
        assert!(error.contains("out of order"), "{error}");
        // A table a lookup could loop in forever: every slot filled.
        let words = IndexedWords::new(&["a", "b"]).unwrap();
        let (text, ends, index) = words.tables();
        assert_eq!(index.len(), 4);
        let crowded: Vec<[u32; 2]> = (0..4).map(|i| [i % 2, 0]).collect();
        let refused =
            IndexedWords::from_tables(text.to_vec().into(), ends.to_vec().into(), crowded.into());
        assert!(refused.is_err());
    }

    #[test]
    fn damaged_files_with_valid_checksums_are_refused_or_safe() {
        // Past the checksum: random bytes of the scoring part changed, its CRC made right
        // again, so that only the structural checks stand between the bytes and scoring.
        use rand::{Rng, SeedableRng};
        let model = model();
        let bytes = to_bytes(&model).unwrap();
        let parts = sections(&bytes, model.scoring_weights().len());
        let (weights_at, scoring_end) = (parts.weights, parts.end);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (mut refused, mut loaded) = (0, 0);
        for _ in 0..3000 {
            let mut damaged = bytes.clone();
            // Mostly the tables after the metadata, sometimes the metadata.
            let from = if rng.random_bool(0.8) { weights_at } else { 36 };
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(from..scoring_end);
                damaged[at] = rng.random();
            }
            recheck_scoring(&mut damaged, scoring_end);
            match from_bytes(&damaged, "damaged.model", Load::Scoring) {
                Ok(back) => {
                    loaded += 1;
                    let probabilities = back.predict_proba("Un coworking et son service client.");
                    assert_eq!(probabilities.len(), 2);
                }
                Err(e) => {
                    refused += 1;
                    assert!(e.to_string().contains("damaged.model"), "{e}");
                }
            }
        }
        // Both outcomes happen: weights and word values can change and stay valid.
        assert!(
            refused > 0 && loaded > 0,
            "{refused} refused, {loaded} loaded"
        );
    }

    #[test]
    fn an_image_written_in_halves_is_the_image_written_in_order() {
        // Pieces of odd sizes around the 1 MB slices and the page-aligned middle, the
        // training part starting inside one of them.
        let sizes = [28usize, 8, 3_000_001, 5, 1 << 20, 17, 1_500_000, 3];
        let image = || FileImage {
            pieces: (sizes.iter().enumerate())
                .map(|(i, &n)| Cow::Owned((0..n).map(|j| (i * 31 + j * 7) as u8).collect()))
                .collect(),
            training_start: 3_000_042 + 12_345,
            len: sizes.iter().sum::<usize>() as u64,
        };
        let mut in_order = image();
        let (scoring, exact) = in_order
            .write_hashed(HEADER_LEN..in_order.len, |_, _| Ok(()))
            .unwrap();
        in_order.set_checksums(scoring.finalize(), exact.finalize());
        let mut expected = Vec::new();
        in_order
            .write_range(0..in_order.len, |_, bytes| {
                expected.extend_from_slice(bytes);
                Ok(())
            })
            .unwrap();

        let mut file = tempfile::tempfile().unwrap();
        write_in_halves(&mut image(), &file).unwrap();
        let mut written = Vec::new();
        file.read_to_end(&mut written).unwrap();
        assert!(written == expected, "the same bytes");
        let crc_at = |at: usize| u32::from_le_bytes(written[at..at + 4].try_into().unwrap());
        let training_start = 3_000_042 + 12_345;
        assert_eq!(crc_at(20), crc32fast::hash(&written[28..training_start]));
        assert_eq!(crc_at(24), crc32fast::hash(&written[training_start..]));
    }

    #[test]
    fn save_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.artclass");
        std::fs::write(&path, b"old").unwrap();
        save(&model(), &path).unwrap();
        assert!(load(&path, Load::Full).is_ok());
        assert_eq!(std::fs::read(&path).unwrap(), to_bytes(&model()).unwrap());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }
}
