//! The one error type of the library and the CLI; `main` alone turns it into an exit code.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in artclass.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or stream could not be read or written.
    #[error("{}: {source}", printable(path))]
    Io {
        /// The file, or a name in angle brackets where there is no path (`<stdin>`, `<stdout>`).
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// User input (a CSV row, an article, a directory) is not usable; `origin` names the
    /// file and, where there is one, the line and column.
    #[error("{origin}: {message}")]
    Input {
        /// The input's printable name (`<stdin>` for standard input), with `:line` for a row.
        origin: String,
        /// What is wrong with it, in one line.
        message: String,
    },
    /// A model file that is missing, truncated, corrupted, foreign or too new.
    #[error("model {origin}: {message}")]
    Model {
        /// The model file's printable path, or the name given to
        /// [`persist::from_bytes`](crate::persist::from_bytes).
        origin: String,
        /// Why the model cannot be used.
        message: String,
    },
    /// A command line that cannot work as given, whatever the data: `main` exits with 2 for
    /// it, as for the mistakes the argument parser catches. The message starts with the flag.
    #[error("{0}")]
    Usage(String),
    /// The data cannot make a model: one label only, no term left after analysis and
    /// pruning, texts and labels of different counts.
    #[error("{0}")]
    Data(String),
    /// A training setting out of its range. The message names the builder method's setting
    /// and, in brackets, the command's flag.
    #[error("invalid setting: {0}")]
    Params(String),
    /// What this model or this file format cannot do: saving a model loaded for scoring only,
    /// or an old format asked to store a setting it has no place for.
    #[error("{0}")]
    Unsupported(String),
    /// A check of artclass's own work failed (a worker thread that panicked, a fitted state
    /// of an unexpected shape): a bug, not something the input or the settings can cause.
    #[error("internal error (a bug in artclass, please report it): {0}")]
    Internal(String),
    /// The estimator refused the data.
    #[error("naive Bayes estimator: {0}")]
    Estimator(#[from] linfa_bayes::NaiveBayesError),
}

/// `Result` with artclass's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// linfa's errors reach artclass through the estimator, as linfa-bayes's own do (linfa's
/// `Fit` asks its error type for this).
impl From<linfa::Error> for Error {
    fn from(error: linfa::Error) -> Self {
        Error::Estimator(linfa_bayes::NaiveBayesError::BaseCrate(error))
    }
}

impl Error {
    /// An [`Error::Io`] naming `path` (printable in the message, see [`printable`]).
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// An [`Error::Input`] at `origin`: a file's name, with `:line` where there is one.
    pub fn input(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input {
            origin: origin.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Model`] for the model file named `origin`.
    pub fn model(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Model {
            origin: origin.into(),
            message: message.into(),
        }
    }

    /// True when the reader of our output went away (`artclass … | head -1`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Io { source, .. } => source.kind() == io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}

/// `path` for a message: its control characters escaped (a tab or a line break in a name
/// would break the message's line), the bytes of a name that is not UTF-8 shown as
/// replacement characters.
pub fn printable(path: &Path) -> String {
    printable_text(&path.display().to_string())
}

/// `text` for a one-line message: `\t`, `\n`, `\r` for those, `<U+0001>` for the other
/// control characters and for noncharacters such as U+FFFE.
pub fn printable_text(text: &str) -> String {
    if !text.chars().any(unprintable) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\t' => "\\t".to_string(),
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            c if unprintable(c) => format!("<U+{:04X}>", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// A control character, or a noncharacter (U+FDD0 to U+FDEF, U+xFFFE, U+xFFFF): neither
/// belongs in a name, and XML refuses both.
pub fn unprintable(c: char) -> bool {
    c.is_control() || ('\u{FDD0}'..='\u{FDEF}').contains(&c) || (c as u32) & 0xFFFE == 0xFFFE
}
