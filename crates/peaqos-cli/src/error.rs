//! One error type for every command, carrying the documented exit code.

use peaqos_sdk::PeaqosError;
use std::process::ExitCode;

/// An error with the documented exit code (1 user, 2 network/chain/API, 3 configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// Exit code.
    pub exit_code: u8,
    /// What to tell the user (one line: the code and what to do).
    pub message: String,
    /// Further detail, printed with `-v`.
    pub detail: Option<String>,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl CliError {
    /// Exit code 1: bad input, validation, limits.
    pub fn user(message: impl Into<String>) -> Self {
        Self {
            exit_code: 1,
            message: message.into(),
            detail: None,
        }
    }
    /// Exit code 2: network, RPC, chain, API.
    pub fn network(message: impl Into<String>) -> Self {
        Self {
            exit_code: 2,
            message: message.into(),
            detail: None,
        }
    }
    /// Exit code 3: missing or invalid configuration.
    pub fn config(message: impl Into<String>) -> Self {
        Self {
            exit_code: 3,
            message: message.into(),
            detail: None,
        }
    }
    /// Adds detail shown with `-v`.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    /// Prefixes the message with what was being done.
    pub fn context(mut self, what: &str) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
    /// Prints the one-line error (and detail with `-v`) and returns the exit code.
    pub fn report(&self, verbose: u8) -> ExitCode {
        eprintln!("error: {}", self.message);
        if verbose > 0
            && let Some(d) = &self.detail
        {
            eprintln!("  {d}");
        }
        ExitCode::from(self.exit_code)
    }
}

/// What to do about an SDK error, by code.
fn hint(e: &PeaqosError) -> Option<&'static str> {
    use peaqos_sdk::ErrorCode as C;
    Some(match e.code()? {
        C::NetworkError | C::Timeout => "is the node / service running and the URL right?",
        C::Invalid2fa => "wait for a fresh code from your authenticator and retry",
        C::TwoFaLocked => "too many invalid codes: wait before retrying",
        C::AlreadyRegistered => {
            "query the MCR API with the address to find the existing machine id"
        }
        C::NotFound => "check the DID; the MCR service may not have indexed it yet",
        C::ReceiptAwaitFailed => "re-run the command: it reconciles the sent transaction",
        C::WalletNotConfigured | C::WalletNotFound | C::InvalidPassphrase => {
            "check PEAQOS_OWS_WALLET / OWS_PASSPHRASE or run `peaqos wallet list`"
        }
        _ => return None,
    })
}

impl From<PeaqosError> for CliError {
    fn from(e: PeaqosError) -> Self {
        let exit = u8::try_from(e.exit_code()).unwrap_or(2);
        let code = e.code_str().unwrap_or("RPC_ERROR");
        let mut message = format!("[{code}] {e}");
        if let Some(h) = hint(&e) {
            message.push_str(&format!(" ({h})"));
        }
        let mut err = Self {
            exit_code: exit,
            message,
            detail: None,
        };
        if let Some(tx) = e.tx_hash() {
            err.detail = Some(format!("transaction {tx}"));
        }
        err
    }
}

/// Maps a configuration-time SDK error (reading the environment) to exit code 3.
pub fn config_from_sdk(e: PeaqosError) -> CliError {
    let msg = match e.as_validation() {
        Some(v) => v.message.clone(),
        None => e.to_string(),
    };
    CliError::config(format!(
        "configuration: {msg} (set it in the env file or the shell, or run `peaqos init`)"
    ))
}

/// MCR service errors: configuration 3, the rest 2.
pub fn from_mcr(e: peaqos_mcr::McrError) -> CliError {
    match e {
        peaqos_mcr::McrError::Config(_) => CliError::config(e.to_string()),
        other => CliError::network(other.to_string()),
    }
}

/// Wallet errors: their documented code's exit code (3 for a missing wallet or passphrase),
/// 1 when the user declined.
pub fn from_wallet(e: peaqos_wallet::WalletError) -> CliError {
    let code = e.code();
    let exit = match e {
        peaqos_wallet::WalletError::Aborted => 1,
        _ => u8::try_from(code.exit_code()).unwrap_or(3),
    };
    CliError {
        exit_code: exit,
        message: format!("[{code}] {e}"),
        detail: None,
    }
}

/// Chain transport errors.
pub fn rpc<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> CliError + '_ {
    move |e| CliError::network(format!("[NETWORK_ERROR] {what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use peaqos_sdk::{ErrorCode, ValidationError};

    #[test]
    fn sdk_errors_keep_their_exit_codes_and_codes() {
        let v: CliError = PeaqosError::from(ValidationError::new("x", "c", "x is bad")).into();
        assert_eq!(v.exit_code, 1);
        assert!(v.message.contains("VALIDATION_ERROR") && v.message.contains("x is bad"));
        let a: CliError = PeaqosError::Api {
            code: ErrorCode::NotFound,
            status: Some(404),
            message: "no".into(),
        }
        .into();
        assert_eq!(a.exit_code, 2);
        assert!(a.message.starts_with("[NOT_FOUND]"));
        let c = config_from_sdk(PeaqosError::from(ValidationError::new(
            "k",
            "required",
            "PEAQOS_PRIVATE_KEY is required",
        )));
        assert_eq!(c.exit_code, 3);
        assert!(c.message.contains("PEAQOS_PRIVATE_KEY"));
    }
}
