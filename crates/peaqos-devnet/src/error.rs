//! The devnet's one error type.

/// Everything that can go wrong inside the devnet, with the JSON-RPC code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// Malformed or out-of-range parameters (`-32602`).
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// A transaction the chain refuses before execution (`-32000`).
    #[error("{0}")]
    InvalidTransaction(String),
    /// Something the devnet cannot serve (`-32000`), e.g. historical state.
    #[error("{0}")]
    Unsupported(String),
    /// A range or result limit was exceeded (`-32005`).
    #[error("{0}")]
    LimitExceeded(String),
    /// State file problems.
    #[error("state file {path}: {reason}")]
    State {
        /// File involved.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Could not bind or serve.
    #[error("server: {0}")]
    Server(String),
    /// A bug or an impossible state (`-32603`).
    #[error("internal error: {0}")]
    Internal(String),
}

impl DevnetError {
    /// JSON-RPC error code.
    pub fn rpc_code(&self) -> i64 {
        match self {
            Self::InvalidParams(_) => -32602,
            Self::InvalidTransaction(_) | Self::Unsupported(_) => -32000,
            Self::LimitExceeded(_) => -32005,
            Self::State { .. } | Self::Server(_) | Self::Internal(_) => -32603,
        }
    }
}
