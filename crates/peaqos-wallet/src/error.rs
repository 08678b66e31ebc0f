//! The crate's single error type, carrying the documented OWS codes.

use peaqos_types::error::{ErrorCode, ValidationError};

/// Every failure of the wallet layer.
///
/// Messages never contain secrets (passphrases, mnemonics, keys).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// No wallet with that name or id in the vault (`WALLET_NOT_FOUND`).
    #[error("wallet not found: '{0}'")]
    WalletNotFound(String),
    /// Wrong vault passphrase: the AES-GCM tag did not verify (`INVALID_PASSPHRASE`).
    #[error("invalid passphrase: decryption failed")]
    InvalidPassphrase,
    /// Malformed caller input or wallet file (`INVALID_INPUT`, a [`ValidationError`]).
    #[error(transparent)]
    InvalidInput(#[from] ValidationError),
    /// The chain family is not supported (`CHAIN_NOT_SUPPORTED`).
    #[error("chain not supported: '{0}'")]
    ChainNotSupported(String),
    /// Neither a passphrase argument nor `OWS_PASSPHRASE` was given.
    #[error("no vault passphrase: pass one or set OWS_PASSPHRASE")]
    PassphraseMissing,
    /// A wallet with this name already exists.
    #[error("wallet name already exists: '{0}'")]
    DuplicateName(String),
    /// The user declined a confirmation prompt (CLI).
    #[error("aborted")]
    Aborted,
    /// File-system failure.
    #[error("{context}: {source}")]
    Io {
        /// What was being done (path included, no secrets).
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A signing failure other than the ones above.
    #[error("signing failed: {0}")]
    Signing(String),
}

impl WalletError {
    /// The stable documented code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            WalletError::WalletNotFound(_) => ErrorCode::WalletNotFound,
            WalletError::InvalidPassphrase => ErrorCode::InvalidPassphrase,
            WalletError::InvalidInput(_) | WalletError::DuplicateName(_) => ErrorCode::InvalidInput,
            WalletError::ChainNotSupported(_) => ErrorCode::ChainNotSupported,
            WalletError::PassphraseMissing
            | WalletError::Aborted
            | WalletError::Io { .. }
            | WalletError::Signing(_) => ErrorCode::WalletNotConfigured,
        }
    }

    /// Shorthand for an `INVALID_INPUT` error.
    pub fn invalid(field: &str, constraint: &str, message: impl Into<String>) -> Self {
        WalletError::InvalidInput(ValidationError::new(field, constraint, message))
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        WalletError::Io {
            context: context.into(),
            source,
        }
    }
}
