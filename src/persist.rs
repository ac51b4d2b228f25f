//! The model file: a fixed header, then a postcard-encoded payload.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "ARTCLASS"
//! 8       4     format version, u32 little-endian
//! 12      8     payload length in bytes, u64 little-endian
//! 20      4     CRC-32 of the payload, u32 little-endian
//! 24      n     payload (postcard): analyzer settings, feature settings, alpha, labels,
//!               vocabulary, fitted naive Bayes state
//! ```
//!
//! Loading checks magic, version, length and checksum before decoding a single byte of the
//! payload, so a truncated, corrupted, foreign or newer file is refused with a clear message,
//! and nothing is allocated from an untrusted length. Saving writes a temporary file beside
//! the target and renames it over the target only when complete.

use crate::error::{Error, Result};
use crate::features::{FeatureConfig, Vectorizer, Vocabulary};
use crate::model::{ClassHistogram, Classifier};
use crate::text::{Analyzer, AnalyzerConfig};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

pub const MAGIC: &[u8; 8] = b"ARTCLASS";
/// Bump on any change to the payload's layout.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 24;

#[derive(Serialize)]
struct PayloadRef<'a> {
    analyzer: &'a AnalyzerConfig,
    features: &'a FeatureConfig,
    alpha: f64,
    labels: &'a [String],
    vocabulary: &'a [String],
    idf: &'a [f64],
    classes: &'a [ClassHistogram],
}

#[derive(Deserialize)]
struct Payload {
    analyzer: AnalyzerConfig,
    features: FeatureConfig,
    alpha: f64,
    labels: Vec<String>,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    classes: Vec<ClassHistogram>,
}

/// The model as the bytes of a model file.
pub fn to_bytes(model: &Classifier) -> Result<Vec<u8>> {
    let payload = PayloadRef {
        analyzer: model.analyzer_config(),
        features: model.feature_config(),
        alpha: model.alpha(),
        labels: model.labels(),
        vocabulary: model.vocabulary().terms(),
        idf: model.vectorizer().idf(),
        classes: model.classes(),
    };
    let mut bytes = vec![0u8; HEADER_LEN];
    let mut bytes = postcard::to_extend(&payload, std::mem::take(&mut bytes))
        .map_err(|e| Error::Params(format!("encoding the model: {e}")))?;
    let payload_len = (bytes.len() - HEADER_LEN) as u64;
    let checksum = crc32fast::hash(&bytes[HEADER_LEN..]);
    bytes[0..8].copy_from_slice(MAGIC);
    bytes[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes[12..20].copy_from_slice(&payload_len.to_le_bytes());
    bytes[20..24].copy_from_slice(&checksum.to_le_bytes());
    Ok(bytes)
}

/// Reads a model from the bytes of a model file; `origin` names it in errors.
pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Classifier> {
    let fail = |message: String| Error::model(origin, message);
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(fail(
            "not an artclass model file (no ARTCLASS header)".into(),
        ));
    }
    if bytes.len() < HEADER_LEN {
        return Err(fail(format!(
            "truncated: {} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        )));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version > FORMAT_VERSION {
        return Err(fail(format!(
            "format version {version} is newer than this artclass reads ({FORMAT_VERSION}); \
             upgrade artclass"
        )));
    }
    if version == 0 {
        return Err(fail(
            "format version 0 does not exist: the file is corrupted".into(),
        ));
    }
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&bytes[12..20]);
    let declared = u64::from_le_bytes(len_bytes);
    let actual = (bytes.len() - HEADER_LEN) as u64;
    if declared != actual {
        return Err(fail(if actual < declared {
            format!("truncated: payload is {actual} bytes, the header announces {declared}")
        } else {
            format!("{} unexpected bytes after the payload", actual - declared)
        }));
    }
    let checksum = u32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    let payload = &bytes[HEADER_LEN..];
    if crc32fast::hash(payload) != checksum {
        return Err(fail("checksum mismatch: the file is corrupted".into()));
    }
    let payload: Payload =
        postcard::from_bytes(payload).map_err(|e| fail(format!("undecodable payload: {e}")))?;
    if !(payload.alpha.is_finite() && payload.alpha > 0.0) {
        return Err(fail(format!("invalid smoothing alpha {}", payload.alpha)));
    }
    if !(1..=crate::features::MAX_NGRAMS).contains(&payload.features.ngrams) {
        return Err(fail(format!(
            "invalid n-gram order {}",
            payload.features.ngrams
        )));
    }
    let vocabulary =
        Vocabulary::from_terms(payload.vocabulary).map_err(|e| fail(format!("vocabulary: {e}")))?;
    let vectorizer = Vectorizer::new(
        Analyzer::new(payload.analyzer),
        payload.features,
        vocabulary,
        payload.idf,
    )
    .map_err(|e| fail(format!("idf: {e}")))?;
    Classifier::from_parts(vectorizer, payload.labels, payload.alpha, payload.classes).map_err(fail)
}

/// Reads a model file.
pub fn load(path: &Path) -> Result<Classifier> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::model(
            path.display().to_string(),
            if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                e.to_string()
            },
        )
    })?;
    from_bytes(&bytes, &path.display().to_string())
}

/// Writes a model file atomically: readers see the old file or the complete new one.
pub fn save(model: &Classifier, path: &Path) -> Result<()> {
    let bytes = to_bytes(model)?;
    write_atomically(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it to `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// A file that appears at its path only when [`AtomicFile::commit`] is called: until then
/// it is a temporary file beside it, deleted if dropped (an error, a panic).
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".artclass-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        Ok(AtomicFile {
            temp,
            path: path.to_path_buf(),
        })
    }

    /// Syncs the data and renames the file to its path, replacing what was there.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let file = self.temp.as_file();
        file.sync_all().map_err(|e| Error::io(&path, e))?;
        // Temporary files are private (0600); a model or a CSV is an ordinary file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0o644);
            file.set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io(&path, e))?;
        }
        self.temp
            .persist(&path)
            .map_err(|e| Error::io(&path, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ClassifierParams;
    use crate::text::Language;

    fn model() -> Classifier {
        ClassifierParams::new(Language::French)
            .ngrams(2)
            .min_df(1)
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

    fn error_of(bytes: &[u8]) -> String {
        match from_bytes(bytes, "test.model") {
            Ok(_) => panic!("loaded a broken model"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn round_trip_is_exact() {
        let model = model();
        let bytes = to_bytes(&model).unwrap();
        let back = from_bytes(&bytes, "test.model").unwrap();
        assert_eq!(back.labels(), model.labels());
        assert_eq!(back.vocabulary().terms(), model.vocabulary().terms());
        assert_eq!(back.classes(), model.classes());
        assert_eq!(back.analyzer_config(), model.analyzer_config());
        assert_eq!(back.feature_config(), model.feature_config());
        assert_eq!(to_bytes(&back).unwrap(), bytes);
    }

    #[test]
    fn refuses_truncated_corrupted_foreign_and_newer_files() {
        let bytes = to_bytes(&model()).unwrap();
        for cut in [0, 5, 8, 20, bytes.len() / 2, bytes.len() - 1] {
            let message = error_of(&bytes[..cut]);
            assert!(
                message.contains("truncated") || message.contains("not an artclass model"),
                "cut at {cut}: {message}"
            );
        }
        let mut flipped = bytes.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 0x40;
        assert!(error_of(&flipped).contains("checksum mismatch"));

        assert!(error_of(b"id,label,text\n1,a,b\n").contains("not an artclass model"));

        let mut newer = bytes.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert!(error_of(&newer).contains("newer than this artclass reads"));

        // A huge announced length must not be trusted (no allocation, clear message).
        let mut huge = bytes.clone();
        huge[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(error_of(&huge).contains("truncated"));

        let mut longer = bytes;
        longer.extend_from_slice(b"junk");
        assert!(error_of(&longer).contains("unexpected bytes"));
    }

    #[test]
    fn a_valid_checksum_over_an_inconsistent_payload_is_still_refused() {
        let bytes = to_bytes(&model()).unwrap();
        // Re-encode a payload with one label dropped, and a correct header around it.
        let payload: Payload = postcard::from_bytes(&bytes[HEADER_LEN..]).unwrap();
        let broken = PayloadRef {
            analyzer: &payload.analyzer,
            features: &payload.features,
            alpha: payload.alpha,
            labels: &payload.labels[..1],
            vocabulary: &payload.vocabulary,
            idf: &payload.idf,
            classes: &payload.classes,
        };
        let body = postcard::to_allocvec(&broken).unwrap();
        let mut file = Vec::new();
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        file.extend_from_slice(&(body.len() as u64).to_le_bytes());
        file.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        file.extend_from_slice(&body);
        assert!(error_of(&file).contains("labels for"));
    }

    #[test]
    fn save_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.artclass");
        std::fs::write(&path, b"old").unwrap();
        save(&model(), &path).unwrap();
        assert!(load(&path).is_ok());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }
}
