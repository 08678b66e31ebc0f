//! The crate's error type and the HTTP status of every Gas Station error code.

use axum::http::StatusCode;
use peaqos_types::ErrorCode;
use serde_json::Value;

/// Every error the Gas Station produces.
///
/// [`GasStationError::Api`] carries one of the 20 documented faucet codes and becomes the
/// `{"status":"error","code","message"}` envelope; the other variants are start-up / storage
/// failures and surface as `INTERNAL_ERROR` when they reach a client. Messages never contain
/// secrets (TOTP secrets, keys).
#[derive(Debug, thiserror::Error)]
pub enum GasStationError {
    /// A documented faucet error code with its message and, for `REQUEST_ALREADY_PROCESSED`,
    /// the original result as `data`.
    #[error("{code}: {message}")]
    Api {
        /// One of the 20 faucet codes.
        code: ErrorCode,
        /// Human-readable message.
        message: String,
        /// Extra envelope data (the original result of an already processed request).
        data: Option<Value>,
    },
    /// Invalid configuration (missing chain, bad key, ...).
    #[error("configuration error: {0}")]
    Config(String),
    /// Storage failure.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Schema migration failure.
    #[error("database migration error: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A stored value that does not read back (a journal row, a sealed secret).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The HTTP server could not listen or stopped with an error.
    #[error(transparent)]
    Http(#[from] peaqos_server::ServerError),
    /// A task of the service failed.
    #[error("server error: {0}")]
    Server(String),
}

impl GasStationError {
    /// A faucet error with `code` and `message`.
    pub fn api(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Api {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The documented code this error surfaces as.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Api { code, .. } => *code,
            _ => ErrorCode::InternalError,
        }
    }

    /// The HTTP status of this error (see [`http_status`]).
    pub fn status(&self) -> StatusCode {
        http_status(self.code())
    }
}

impl From<sqlx::Error> for GasStationError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for GasStationError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(e)
    }
}

/// The 20 documented Gas Station codes, in the order of the seed's error table.
pub const FAUCET_CODES: [ErrorCode; 20] = [
    ErrorCode::Invalid2fa,
    ErrorCode::TwoFaNotConfigured,
    ErrorCode::TwoFaNotActive,
    ErrorCode::TwoFaLocked,
    ErrorCode::DuplicateRequest,
    ErrorCode::RequestAlreadyProcessed,
    ErrorCode::RateLimited,
    ErrorCode::CapExceededOwner,
    ErrorCode::CapExceededWallet,
    ErrorCode::InvalidPayload,
    ErrorCode::InvalidOwnerAddress,
    ErrorCode::InvalidTargetAddress,
    ErrorCode::InvalidChainId,
    ErrorCode::InvalidRequestId,
    ErrorCode::TransferFailed,
    ErrorCode::ChainRpcError,
    ErrorCode::QrNotFound,
    ErrorCode::QrExpired,
    ErrorCode::QrGenerationFailed,
    ErrorCode::InternalError,
];

/// Codes beyond the seed's 20 that peaq's clients rely on: `2FA_ALREADY_CONFIGURED` (setup
/// without a code for an active owner; peaq's CLI skips enrolment on it).
pub const COMPAT_CODES: [ErrorCode; 1] = [ErrorCode::TwoFaAlreadyConfigured];

/// The HTTP status the server answers with for each faucet code (documented in
/// `docs/GAS-STATION.md` and `/openapi.json`). Non-faucet codes map to 500.
pub fn http_status(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::InvalidPayload
        | C::InvalidOwnerAddress
        | C::InvalidTargetAddress
        | C::InvalidChainId
        | C::InvalidRequestId => StatusCode::BAD_REQUEST,
        C::Invalid2fa => StatusCode::UNAUTHORIZED,
        C::TwoFaNotConfigured | C::TwoFaNotActive => StatusCode::FORBIDDEN,
        C::TwoFaLocked => StatusCode::LOCKED,
        C::DuplicateRequest | C::RequestAlreadyProcessed | C::TwoFaAlreadyConfigured => {
            StatusCode::CONFLICT
        }
        C::RateLimited | C::CapExceededOwner | C::CapExceededWallet => {
            StatusCode::TOO_MANY_REQUESTS
        }
        C::QrNotFound => StatusCode::NOT_FOUND,
        C::QrExpired => StatusCode::GONE,
        C::TransferFailed | C::ChainRpcError => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Short description of each faucet code (used by `/openapi.json`).
pub fn describe(code: ErrorCode) -> &'static str {
    use ErrorCode as C;
    match code {
        C::Invalid2fa => "TOTP code did not match the secret, or was already used in its time step",
        C::TwoFaNotConfigured => "Owner never completed setup",
        C::TwoFaNotActive => "Setup done but never confirmed",
        C::TwoFaAlreadyConfigured => {
            "Setup without twoFactorCode for an owner whose 2FA is active (send a current code to \
             replace the secret)"
        }
        C::TwoFaLocked => "Owner locked after too many invalid codes",
        C::DuplicateRequest => "A request with this requestId is still in flight",
        C::RequestAlreadyProcessed => {
            "This requestId has already completed (original result in data)"
        }
        C::RateLimited => "Per-owner funding rate or per-client-IP request rate exceeded",
        C::CapExceededOwner => "Owner daily funding cap (UTC day) exceeded",
        C::CapExceededWallet => "Target wallet daily funding cap (UTC day) exceeded",
        C::InvalidPayload => "Request body malformed: bad JSON, unknown field, wrong type",
        C::InvalidOwnerAddress => "ownerAddress is neither 0x hex (valid checksum) nor SS58",
        C::InvalidTargetAddress => "targetWalletAddress is not a 0x hex address",
        C::InvalidChainId => "chainId is neither an alias nor the decimal id of a configured chain",
        C::InvalidRequestId => "requestId is not a UUID",
        C::TransferFailed => "On-chain transfer rejected, reverted or stalled",
        C::ChainRpcError => "The faucet's upstream RPC failed",
        C::QrNotFound => "QR token does not exist (or was replaced by a newer setup)",
        C::QrExpired => "QR token older than its time to live (~2 minutes)",
        C::QrGenerationFailed => "The faucet could not render the QR image",
        _ => "Unhandled server-side failure",
    }
}
