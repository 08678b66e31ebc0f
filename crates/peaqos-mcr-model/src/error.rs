//! The crate's error type.

/// Errors loading an FX table (scoring itself cannot fail).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    /// The file could not be read.
    #[error("cannot read FX rates file {path}: {message}")]
    Io {
        /// File path.
        path: String,
        /// OS error text.
        message: String,
    },
    /// The zip archive is unreadable or has no CSV entry.
    #[error("invalid FX rates archive: {0}")]
    Zip(String),
    /// The CSV does not follow the ECB `eurofxref-hist.csv` format.
    #[error("invalid FX rates CSV (line {line}): {message}")]
    Csv {
        /// 1-based line number (0 when not tied to a line).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An ECB XML feed is malformed.
    #[error("invalid ECB XML feed: {0}")]
    Xml(String),
    /// The CSV has no rows.
    #[error("FX rates have no rows")]
    Empty,
}
