//! One error type for every command, carrying the documented exit code, and the one table
//! that maps every error of the other crates to an exit code ([`exit`]).

use peaqos_sdk::PeaqosError;
use std::io::Write;
use std::process::ExitCode;

/// The exit-code table of `peaqos`, the only one: 0 success, 1 user / validation / limit errors,
/// 2 network / RPC / chain / API errors, 3 configuration errors. The SDK, MCR, Gas Station and
/// wallet errors are mapped here, nowhere else.
pub mod exit {
    use peaqos_sdk::{ErrorCode, PeaqosError};
    use peaqos_types::error::ErrorCategory;

    /// Success (also a closed stdout: `peaqos show ... | head -1`).
    pub const OK: u8 = 0;
    /// Bad input, validation, limits, usage errors, a declined prompt.
    pub const USER: u8 = 1;
    /// Network, RPC, chain (reverts), MCR API, Gas Station.
    pub const NETWORK: u8 = 2;
    /// Missing or invalid configuration: no signer, unknown vault wallet, wrong passphrase,
    /// unreadable env / key / FX files.
    pub const CONFIG: u8 = 3;

    /// The exit code of a documented error code.
    pub fn for_code(code: ErrorCode) -> u8 {
        match code {
            ErrorCode::WalletNotConfigured
            | ErrorCode::WalletNotFound
            | ErrorCode::InvalidPassphrase => CONFIG,
            c => match c.category() {
                ErrorCategory::Validation | ErrorCategory::Limit => USER,
                _ => NETWORK,
            },
        }
    }

    /// An SDK error: its code's exit code; without a code (a node error such as insufficient
    /// funds) 2.
    pub fn for_sdk(e: &PeaqosError) -> u8 {
        e.code().map_or(NETWORK, for_code)
    }

    /// An MCR service error: configuration and FX data (an FX file given in the configuration
    /// that cannot be loaded) 3, the rest 2.
    pub fn for_mcr(e: &peaqos_mcr::McrError) -> u8 {
        match e {
            peaqos_mcr::McrError::Config(_) | peaqos_mcr::McrError::Fx(_) => CONFIG,
            _ => NETWORK,
        }
    }

    /// A Gas Station service error: configuration 3, the rest 2.
    pub fn for_gas_station(e: &peaqos_gas_station::GasStationError) -> u8 {
        match e {
            peaqos_gas_station::GasStationError::Config(_) => CONFIG,
            _ => NETWORK,
        }
    }

    /// A wallet (vault) error: a declined prompt 1, else its code's exit code.
    pub fn for_wallet(e: &peaqos_wallet::WalletError) -> u8 {
        match e {
            peaqos_wallet::WalletError::Aborted => USER,
            other => for_code(other.code()),
        }
    }
}

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
    /// Prefixes the message with what was being done.
    pub fn context(mut self, what: &str) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
    /// The reader of stdout went away (`peaqos show ... | head -1`): a normal end, exit 0 and
    /// nothing printed (as ripgrep does).
    pub fn broken_pipe() -> Self {
        Self {
            exit_code: exit::OK,
            message: String::new(),
            detail: None,
        }
    }
    /// Prints the one-line error (and detail with `-v`) and returns the exit code. A closed
    /// stdout ([`CliError::broken_pipe`]) prints nothing and exits 0; a closed stderr is
    /// ignored.
    pub fn report(&self, verbose: u8) -> ExitCode {
        if self.exit_code == exit::OK {
            return ExitCode::SUCCESS;
        }
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: {}", self.message);
        if verbose > 0
            && let Some(d) = &self.detail
        {
            let _ = writeln!(err, "  {d}");
        }
        ExitCode::from(self.exit_code)
    }
}

/// A failed write to stdout: a closed pipe is a normal end ([`CliError::broken_pipe`]), any
/// other failure a user-visible error.
impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::broken_pipe()
        } else {
            CliError::user(format!("cannot write the output: {e}"))
        }
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
        let exit = exit::for_sdk(&e);
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

/// MCR service errors, through [`exit::for_mcr`].
pub fn from_mcr(e: peaqos_mcr::McrError) -> CliError {
    CliError {
        exit_code: exit::for_mcr(&e),
        message: e.to_string(),
        detail: None,
    }
}

/// Gas Station service errors, through [`exit::for_gas_station`].
pub fn from_gas_station(e: peaqos_gas_station::GasStationError) -> CliError {
    CliError {
        exit_code: exit::for_gas_station(&e),
        message: e.to_string(),
        detail: None,
    }
}

/// Wallet errors, through [`exit::for_wallet`] (3 for a missing wallet or passphrase, 1 when
/// the user declined).
pub fn from_wallet(e: peaqos_wallet::WalletError) -> CliError {
    CliError {
        exit_code: exit::for_wallet(&e),
        message: format!("[{}] {e}", e.code()),
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
    fn the_exit_code_table() {
        use exit::*;
        for (code, want) in [
            (ErrorCode::ValidationError, USER),
            (ErrorCode::ValueCapExceeded, USER),
            (ErrorCode::RateLimitExceeded, USER),
            (ErrorCode::InvalidInput, USER),
            (ErrorCode::MachineNotFound, NETWORK),
            (ErrorCode::TxReverted, NETWORK),
            (ErrorCode::ReceiptAwaitFailed, NETWORK),
            (ErrorCode::NetworkError, NETWORK),
            (ErrorCode::NotFound, NETWORK),
            (ErrorCode::Invalid2fa, NETWORK),
            (ErrorCode::ChainNotSupported, NETWORK),
            (ErrorCode::WalletNotConfigured, CONFIG),
            (ErrorCode::WalletNotFound, CONFIG),
            (ErrorCode::InvalidPassphrase, CONFIG),
        ] {
            assert_eq!(for_code(code), want, "{code}");
        }
        // SDK errors: by code, none gives 2 (the SDK has no exit codes of its own).
        let v = PeaqosError::from(ValidationError::new("m", "c", "bad"));
        assert_eq!(for_sdk(&v), USER);
        let no_code = PeaqosError::Rpc {
            code: None,
            rpc_code: Some(-32000),
            message: "insufficient funds".into(),
            tx_hash: None,
            revert_data: None,
        };
        assert_eq!(for_sdk(&no_code), NETWORK);
        let no_signer = PeaqosError::Rpc {
            code: Some(ErrorCode::WalletNotConfigured),
            rpc_code: None,
            message: "no signer".into(),
            tx_hash: None,
            revert_data: None,
        };
        assert_eq!(for_sdk(&no_signer), CONFIG);
        // The MCR service: a configured FX file that cannot be loaded is configuration.
        use peaqos_mcr::McrError;
        assert_eq!(for_mcr(&McrError::Config("x".into())), CONFIG);
        assert_eq!(for_mcr(&McrError::Fx("no such file".into())), CONFIG);
        assert_eq!(
            from_mcr(McrError::Fx("no such file".into())).exit_code,
            CONFIG
        );
        assert_eq!(for_mcr(&McrError::Rpc("down".into())), NETWORK);
        assert_eq!(for_mcr(&McrError::Timeout("t".into())), NETWORK);
        use peaqos_gas_station::GasStationError;
        assert_eq!(
            for_gas_station(&GasStationError::Config("x".into())),
            CONFIG
        );
        assert_eq!(
            for_gas_station(&GasStationError::Server("x".into())),
            NETWORK
        );
        use peaqos_wallet::WalletError;
        assert_eq!(for_wallet(&WalletError::Aborted), USER);
        assert_eq!(for_wallet(&WalletError::InvalidPassphrase), CONFIG);
        assert_eq!(for_wallet(&WalletError::PassphraseMissing), CONFIG);
        assert_eq!(for_wallet(&WalletError::DuplicateName("w".into())), USER);
    }

    #[test]
    fn a_closed_stdout_is_a_normal_end() {
        let e = CliError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(e.exit_code, exit::OK);
        assert_eq!(e.report(0), ExitCode::SUCCESS);
        let other = CliError::from(std::io::Error::other("disk full"));
        assert_eq!(other.exit_code, exit::USER);
    }

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
