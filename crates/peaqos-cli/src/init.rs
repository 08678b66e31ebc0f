//! `peaqos init`: writes the `.env` the other commands read.

use crate::ui::Ui;
use crate::{CliError, env, whoami};
use clap::{Args, ValueEnum};
use peaqos_sdk::{Network, PeaqosClient, preset_addresses};
use peaqos_types::network::env as vars;
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

/// Where the signing key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeySource {
    /// Paste an existing 0x private key (hidden input; non-interactive: PEAQOS_PRIVATE_KEY).
    Paste,
    /// Generate a fresh key.
    Generate,
    /// Sign with an OWS vault wallet (writes PEAQOS_OWS_WALLET).
    Wallet,
}

/// Write a `.env` (mode 0600) with the network, the key, the RPC / MCR API / Gas Station URLs
/// and the network's contract addresses, then run `whoami`.
///
/// Examples:
///   peaqos init                                            # asks
///   peaqos init --non-interactive --network devnet --key-source generate
///   PEAQOS_PRIVATE_KEY=0x... peaqos init --non-interactive --network testnet --force
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct InitArgs {
    /// Do not ask: take everything from flags and the environment.
    #[arg(long)]
    pub non_interactive: bool,
    /// Overwrite an existing env file.
    #[arg(long)]
    pub force: bool,
    /// Network preset (addresses and default URLs).
    #[arg(long, value_parser = parse_network)]
    pub network: Option<Network>,
    /// Key source (non-interactive default: paste when PEAQOS_PRIVATE_KEY is set).
    #[arg(long, value_enum)]
    pub key_source: Option<KeySource>,
    /// OWS wallet name (key source `wallet`).
    #[arg(long, value_name = "NAME")]
    pub wallet: Option<String>,
    /// JSON-RPC URL (default: the network's).
    #[arg(long, value_name = "URL")]
    pub rpc_url: Option<String>,
    /// MCR API URL (default: the network's).
    #[arg(long, value_name = "URL")]
    pub mcr_api_url: Option<String>,
    /// Gas Station URL (default: the network's).
    #[arg(long, value_name = "URL")]
    pub gas_station_url: Option<String>,
    /// Do not run whoami at the end (no node needed).
    #[arg(long)]
    pub no_whoami: bool,
    /// whoami output as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_network(s: &str) -> Result<Network, String> {
    s.parse::<Network>().map_err(|e| e.to_string())
}

/// The values `init` writes, in file order.
pub fn env_entries(
    network: Network,
    key: &KeyChoice,
    rpc_url: &str,
    mcr_api_url: &str,
    gas_station_url: &str,
) -> Vec<(String, String)> {
    let mut out = vec![
        (
            vars::PEAQOS_NETWORK.to_string(),
            network.as_str().to_string(),
        ),
        (vars::PEAQOS_RPC_URL.to_string(), rpc_url.to_string()),
    ];
    match key {
        KeyChoice::Key(k) => out.push((vars::PEAQOS_PRIVATE_KEY.to_string(), k.clone())),
        KeyChoice::Wallet(w) => out.push((vars::PEAQOS_OWS_WALLET.to_string(), w.clone())),
    }
    for (k, v) in preset_addresses(network).to_env_pairs() {
        out.push((k.to_string(), v));
    }
    out.push((
        vars::PEAQOS_MCR_API_URL.to_string(),
        mcr_api_url.to_string(),
    ));
    out.push((
        vars::PEAQOS_GAS_STATION_URL.to_string(),
        gas_station_url.to_string(),
    ));
    out
}

/// The signer written to the file.
#[derive(Clone)]
pub enum KeyChoice {
    /// A 0x private key.
    Key(String),
    /// An OWS wallet name.
    Wallet(String),
}

impl std::fmt::Debug for KeyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyChoice::Key(_) => f.write_str("Key([REDACTED])"),
            KeyChoice::Wallet(w) => write!(f, "Wallet({w})"),
        }
    }
}

fn prompt(question: &str, default: &str) -> Result<String, CliError> {
    eprint!("{question} [{default}]: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::user(format!("cannot read the answer: {e}")))?;
    let line = line.trim();
    Ok(if line.is_empty() {
        default.to_string()
    } else {
        line.to_string()
    })
}

fn check_key(k: &str) -> Result<String, CliError> {
    peaqos_sdk::PrivateKey::parse(vars::PEAQOS_PRIVATE_KEY, k)
        .map(|p| p.expose_hex())
        .map_err(|e| CliError::config(format!("configuration: {}", e.message)))
}

fn check_url(name: &str, u: &str) -> Result<(), CliError> {
    let ok = (u.starts_with("http://") || u.starts_with("https://"))
        && reqwest::Url::parse(u).is_ok_and(|p| p.host_str().is_some());
    if ok {
        Ok(())
    } else {
        Err(CliError::user(format!(
            "{name} must be an http(s) URL, got {u:?}"
        )))
    }
}

/// Runs `init`.
pub async fn run(args: InitArgs, env_file: &Path, ui: &Ui) -> Result<(), CliError> {
    if env_file.exists() && !args.force {
        return Err(CliError::user(format!(
            "{} exists; pass --force to overwrite it",
            env_file.display()
        )));
    }
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(CliError::user(
            "stdin is not a terminal: use --non-interactive (values from flags and the environment)",
        ));
    }
    let env_network = env::network()?;
    let network = match args.network.or(env_network) {
        Some(n) if !interactive => n,
        None if !interactive => {
            return Err(CliError::config(
                "configuration: --network (or PEAQOS_NETWORK) is required with --non-interactive",
            ));
        }
        preset => {
            let d = preset.unwrap_or(Network::Testnet);
            parse_network(&prompt("Network (mainnet, testnet, devnet)", d.as_str())?)
                .map_err(CliError::user)?
        }
    };
    let source = match args.key_source {
        Some(s) => s,
        None if !interactive => {
            if env::var(vars::PEAQOS_PRIVATE_KEY).is_some() {
                KeySource::Paste
            } else if args.wallet.is_some() || env::var(vars::PEAQOS_OWS_WALLET).is_some() {
                KeySource::Wallet
            } else {
                return Err(CliError::config(
                    "configuration: PEAQOS_PRIVATE_KEY is required (or pass --key-source generate)",
                ));
            }
        }
        None => match prompt("Private key source (paste, generate, wallet)", "paste")?.as_str() {
            "paste" => KeySource::Paste,
            "generate" => KeySource::Generate,
            "wallet" => KeySource::Wallet,
            other => return Err(CliError::user(format!("unknown key source {other:?}"))),
        },
    };
    let key = match source {
        KeySource::Paste => {
            let k = match env::var(vars::PEAQOS_PRIVATE_KEY) {
                Some(k) if !interactive => k,
                _ if !interactive => {
                    return Err(CliError::config(
                        "configuration: PEAQOS_PRIVATE_KEY is required",
                    ));
                }
                _ => rpassword::prompt_password("Private key (0x..., hidden): ")
                    .map_err(|e| CliError::user(format!("cannot read the key: {e}")))?,
            };
            KeyChoice::Key(check_key(k.trim())?)
        }
        KeySource::Generate => {
            let (addr, k) = PeaqosClient::generate_keypair();
            ui.info(format!(
                "generated a new key for {addr} (stored only in the env file)"
            ));
            KeyChoice::Key(k.expose_hex())
        }
        KeySource::Wallet => {
            let name = match args
                .wallet
                .clone()
                .or_else(|| env::var(vars::PEAQOS_OWS_WALLET))
            {
                Some(n) => n,
                None if interactive => prompt("OWS wallet name", "")?,
                None => {
                    return Err(CliError::config(
                        "configuration: --wallet (or PEAQOS_OWS_WALLET) is required",
                    ));
                }
            };
            if name.is_empty() {
                return Err(CliError::user("a wallet name is required"));
            }
            KeyChoice::Wallet(name)
        }
    };
    let pick = |flag: &Option<String>,
                var: &str,
                default: &str,
                question: &str|
     -> Result<String, CliError> {
        let v = flag
            .clone()
            .or_else(|| env::var(var))
            .unwrap_or_else(|| default.to_string());
        if interactive {
            prompt(question, &v)
        } else {
            Ok(v)
        }
    };
    let rpc_url = pick(
        &args.rpc_url,
        vars::PEAQOS_RPC_URL,
        network.default_rpc_url(),
        "RPC URL",
    )?;
    let mcr = pick(
        &args.mcr_api_url,
        vars::PEAQOS_MCR_API_URL,
        network.default_mcr_api_url(),
        "MCR API URL",
    )?;
    let gs = pick(
        &args.gas_station_url,
        vars::PEAQOS_GAS_STATION_URL,
        network.default_gas_station_url(),
        "Gas Station URL",
    )?;
    check_url(vars::PEAQOS_RPC_URL, &rpc_url)?;
    check_url(vars::PEAQOS_MCR_API_URL, &mcr)?;
    check_url(vars::PEAQOS_GAS_STATION_URL, &gs)?;

    let entries = env_entries(network, &key, &rpc_url, &mcr, &gs);
    let mut text = String::from(
        "# Written by `peaqos init`. Holds a private key: keep it private (mode 0600).\n",
    );
    for (k, v) in &entries {
        text.push_str(&format!("{k}={v}\n"));
    }
    peaqos_devnet::write_secret_file(env_file, &text)
        .map_err(|e| CliError::config(format!("cannot write {}: {e}", env_file.display())))?;
    ui.info(format!("wrote {} (mode 0600)", env_file.display()));
    if args.no_whoami {
        return Ok(());
    }
    // Shell variables win over the file, as for every other command.
    let file: BTreeMap<String, String> = entries.into_iter().collect();
    let lookup = move |k: &str| {
        std::env::var(k)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| file.get(k).cloned())
    };
    whoami::report(&lookup, args.json, ui).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_carry_the_preset_addresses_and_never_both_signers() {
        let e = env_entries(
            Network::Devnet,
            &KeyChoice::Wallet("w".into()),
            "http://127.0.0.1:8545",
            "http://a",
            "http://b",
        );
        let keys: Vec<&str> = e.iter().map(|(k, _)| k.as_str()).collect();
        assert!(
            keys.contains(&"IDENTITY_REGISTRY_ADDRESS")
                && keys.contains(&"BATCH_PRECOMPILE_ADDRESS")
        );
        assert!(keys.contains(&"PEAQOS_OWS_WALLET") && !keys.contains(&"PEAQOS_PRIVATE_KEY"));
        assert_eq!(
            format!("{:?}", KeyChoice::Key("0xsecret".into())),
            "Key([REDACTED])"
        );
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("X", "http://127.0.0.1:8000").is_ok());
        assert_eq!(check_url("X", "ftp://x").unwrap_err().exit_code, 1);
        assert_eq!(check_key("0x12").unwrap_err().exit_code, 3);
    }
}
