//! The crate's error type.

use peaqos_types::error::ErrorCode;

/// Every failure of the MCR service.
#[derive(Debug, thiserror::Error)]
pub enum McrError {
    /// Bad configuration (exit code 3).
    #[error("configuration error: {0}")]
    Config(String),
    /// Storage (SQLite / PostgreSQL) failure.
    #[error("storage error: {0}")]
    Storage(#[from] sqlx::Error),
    /// Schema migration failure.
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// JSON-RPC / chain failure.
    #[error("chain RPC error: {0}")]
    Rpc(String),
    /// The HTTP server could not listen or stopped with an error.
    #[error(transparent)]
    Http(#[from] peaqos_server::ServerError),
    /// A background task of the service failed or stopped.
    #[error("server error: {0}")]
    Server(String),
    /// A wait timed out.
    #[error("timed out: {0}")]
    Timeout(String),
    /// FX data could not be loaded.
    #[error("FX data error: {0}")]
    Fx(String),
}

impl McrError {
    /// The documented error code closest to this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            McrError::Config(_) | McrError::Fx(_) => ErrorCode::ValidationError,
            McrError::Rpc(_) => ErrorCode::NetworkError,
            McrError::Timeout(_) => ErrorCode::Timeout,
            _ => ErrorCode::ServerError,
        }
    }
}
