//! The environment: the `.env` file (shell variables win) and the clients built from it.

use crate::error::config_from_sdk;
use crate::{CliError, Command};
use peaqos_sdk::{McrClient, Network, PeaqosClient};
use peaqos_types::network::env as vars;
use std::path::Path;

/// Loads `path` into the process environment without overriding variables already set (the
/// shell wins); `true` when a file was read. A missing file is fine; a malformed one is a
/// configuration error. `init` reads nothing (it writes the file). Must run before any thread
/// is started (and before tracing, so `PEAQOS_LOG` may come from the file).
///
/// The layout is the one peaq's `peaqos init` writes too (`PEAQOS_PRIVATE_KEY` or
/// `PEAQOS_OWS_WALLET`, `PEAQOS_RPC_URL`, `PEAQOS_MCR_API_URL`, `PEAQOS_NETWORK`,
/// `PEAQOS_GAS_STATION_URL`, the six `*_ADDRESS` variables); an empty value (`KEY=`) counts as
/// unset, so a network preset fills it.
pub fn load_env_file(path: &Path, command: &Command) -> Result<bool, CliError> {
    if matches!(command, Command::Init(_)) || !path.exists() {
        return Ok(false);
    }
    dotenvy::from_path(path)
        .map(|()| true)
        .map_err(|e| CliError::config(format!("cannot read the env file {}: {e}", path.display())))
}

/// A variable, trimmed, `None` when unset or empty.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `PEAQOS_NETWORK` parsed (exit 3 when invalid).
pub fn network() -> Result<Option<Network>, CliError> {
    match var(vars::PEAQOS_NETWORK) {
        None => Ok(None),
        Some(n) => n
            .parse::<Network>()
            .map(Some)
            .map_err(|e| CliError::config(format!("configuration: {}: {e}", vars::PEAQOS_NETWORK))),
    }
}

/// `PEAQOS_OWS_WALLET` when set.
pub fn wallet_name(lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    lookup(vars::PEAQOS_OWS_WALLET)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The signing client of `lookup`'s configuration, through the SDK's
/// [`PeaqosClient::from_env_lookup`]: the OWS vault wallet named by `PEAQOS_OWS_WALLET`
/// (passphrase from `OWS_PASSPHRASE`; it wins over `PEAQOS_PRIVATE_KEY`), else
/// `PEAQOS_PRIVATE_KEY`.
pub fn client_from(lookup: &dyn Fn(&str) -> Option<String>) -> Result<PeaqosClient, CliError> {
    let wallet = wallet_name(lookup);
    PeaqosClient::from_env_lookup(lookup).map_err(|e| {
        use peaqos_sdk::ErrorCode as C;
        match (&wallet, e.code()) {
            // Vault failures: their documented code and exit code, with the wallet named.
            (
                Some(name),
                Some(
                    C::WalletNotConfigured
                    | C::WalletNotFound
                    | C::InvalidPassphrase
                    | C::ChainNotSupported,
                ),
            ) => CliError::from(e).context(&format!("{} {name}", vars::PEAQOS_OWS_WALLET)),
            _ => config_from_sdk(e),
        }
    })
}

/// The signing client (`load_client()` of the Python CLI) from the process environment: exit 3
/// when configuration is missing or invalid.
pub fn client() -> Result<PeaqosClient, CliError> {
    client_from(&|k| std::env::var(k).ok())
}

/// A client signing with `key` (hex), sharing the environment's RPC URL and contracts.
pub fn client_with_key(
    base: &PeaqosClient,
    key_hex: &str,
    field: &str,
) -> Result<PeaqosClient, CliError> {
    let key = peaqos_sdk::PrivateKey::parse(field, key_hex)
        .map_err(|e| CliError::config(format!("configuration: {}", e.message)))?;
    let mut cfg = base.config().clone();
    cfg.private_key = Some(key);
    PeaqosClient::new(cfg).map_err(config_from_sdk)
}

/// The MCR API URL: `PEAQOS_MCR_API_URL`, else the network preset's, else the local default.
pub fn mcr_api_url() -> Result<String, CliError> {
    Ok(var(vars::PEAQOS_MCR_API_URL).unwrap_or_else(|| {
        network()
            .ok()
            .flatten()
            .map(|n| n.default_mcr_api_url())
            .unwrap_or(peaqos_types::constants::DEFAULT_MCR_API_URL)
            .to_string()
    }))
}

/// A standalone MCR API client (no key needed).
pub fn mcr() -> Result<McrClient, CliError> {
    let url = mcr_api_url()?;
    McrClient::new(&url)
        .map_err(|e| CliError::config(format!("configuration: {}: {e}", vars::PEAQOS_MCR_API_URL)))
}

/// The Gas Station URL: `PEAQOS_GAS_STATION_URL`, else the network preset's.
pub fn gas_station_url() -> Option<String> {
    var(vars::PEAQOS_GAS_STATION_URL).or_else(|| {
        network()
            .ok()
            .flatten()
            .map(|n| n.default_gas_station_url().to_string())
    })
}
