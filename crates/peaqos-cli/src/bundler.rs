//! `peaqos bundler`: an ERC-4337 v0.6 bundler for EntryPoint
//! `0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789` against any JSON-RPC node (the devnet, peaq,
//! agung), serving the bundler JSON-RPC methods on 127.0.0.1:4337 (see docs/AA.md).

use crate::CliError;
use crate::error::exit;
use alloy::primitives::Address;
use alloy::providers::{Provider, RootProvider};
use alloy::signers::local::PrivateKeySigner;
use clap::{Args, ValueEnum};
use peaqos_aa::{BundlerConfig, BundlerError, BundlingMode};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable with the bundler's private key (0x hex).
pub const BUNDLER_KEY_ENV: &str = "PEAQOS_BUNDLER_KEY";

/// When to bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// As soon as operations wait.
    Auto,
    /// Only on debug_bundler_sendBundleNow.
    Manual,
}

/// Run an ERC-4337 v0.6 bundler against a JSON-RPC node.
///
/// It accepts UserOperations after the EntryPoint's simulateValidation, bundles them into
/// handleOps transactions signed and paid by its own key (refunded by the accounts through the
/// EntryPoint), and answers receipts from the EntryPoint's logs. It refuses to start when its key
/// holds nothing or the EntryPoint is not deployed on the node's chain. The mempool is kept in a
/// JSON file (per chain, in the per-user data directory unless --mempool-file is given) and
/// survives restarts; with --no-mempool-file it is in memory only.
///
/// Examples:
///   peaqos bundler --rpc http://127.0.0.1:8545 --key-file bundler.key
///   PEAQOS_BUNDLER_KEY=0x... peaqos bundler --rpc https://peaq.api.onfinality.io/public
#[derive(Debug, Args)]
pub struct BundlerArgs {
    /// JSON-RPC URL of the node.
    #[arg(long, env = "PEAQOS_RPC_URL", value_name = "URL")]
    pub rpc: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = peaqos_aa::DEFAULT_PORT)]
    pub port: u16,
    /// File holding the bundler's private key (0x hex; keep it mode 0600).
    #[arg(long, value_name = "FILE", conflicts_with = "private_key")]
    pub key_file: Option<PathBuf>,
    /// The bundler's private key (prefer the environment variable or --key-file: a command line
    /// is visible to other users).
    #[arg(long, env = BUNDLER_KEY_ENV, hide_env_values = true, value_name = "HEX")]
    pub private_key: Option<String>,
    /// The EntryPoint v0.6 to serve.
    #[arg(long, default_value_t = peaqos_types::constants::ENTRY_POINT_V06)]
    pub entry_point: Address,
    /// Who receives the operations' gas payments [default: the bundler's address].
    #[arg(long)]
    pub beneficiary: Option<Address>,
    /// When to bundle.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,
    /// Most operations per bundle.
    #[arg(long, default_value_t = 64)]
    pub max_bundle_size: usize,
    /// Most gas per bundle (sum of the operations' limits).
    #[arg(long, default_value_t = 25_000_000)]
    pub max_bundle_gas: u64,
    /// Auto mode retry interval in milliseconds while operations wait.
    #[arg(long, default_value_t = 1000)]
    pub auto_interval_ms: u64,
    /// The mempool file [default: <data dir>/bundler/mempool-<chain id>.json, the data dir being
    /// $XDG_DATA_HOME/peaqos or ~/.local/share/peaqos].
    #[arg(long, value_name = "FILE", conflicts_with = "no_mempool_file")]
    pub mempool_file: Option<PathBuf>,
    /// Keep the mempool in memory only (lost on restart).
    #[arg(long)]
    pub no_mempool_file: bool,
    /// Most operations waiting in the mempool.
    #[arg(long, default_value_t = 4096)]
    pub mempool_capacity: usize,
    /// How many blocks back receipts are looked up in the EntryPoint's logs.
    #[arg(long, default_value_t = 50_000)]
    pub lookback_blocks: u64,
    /// Do not serve the debug_bundler_* methods.
    #[arg(long)]
    pub no_debug: bool,
}

/// The bundler's data directory: `$XDG_DATA_HOME/peaqos/bundler`, else
/// `$HOME/.local/share/peaqos/bundler` (absolute bases only).
pub fn default_data_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let get = |k: &str| env(k).filter(|v| !v.trim().is_empty()).map(PathBuf::from);
    get("XDG_DATA_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| {
            get("HOME")
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local/share"))
        })
        .map(|b| b.join("peaqos").join("bundler"))
}

/// The exit code of a bundler error: configuration (key, EntryPoint, mempool file) 3, the node
/// and the server 2.
pub fn exit_code(e: &BundlerError) -> u8 {
    match e {
        BundlerError::Config(_)
        | BundlerError::Unfunded { .. }
        | BundlerError::NoEntryPoint { .. }
        | BundlerError::MempoolFile { .. }
        | BundlerError::Persist { .. } => exit::CONFIG,
        _ => exit::NETWORK,
    }
}

fn from_bundler(e: BundlerError) -> CliError {
    CliError {
        exit_code: exit_code(&e),
        message: e.to_string(),
        detail: std::error::Error::source(&e).map(|s| s.to_string()),
    }
}

fn read_key(args: &BundlerArgs) -> Result<PrivateKeySigner, CliError> {
    let text = match (&args.key_file, &args.private_key) {
        (Some(path), _) => {
            warn_if_shared(path);
            std::fs::read_to_string(path).map_err(|e| {
                CliError::config(format!("bundler key file {}: {e}", path.display()))
            })?
        }
        (None, Some(k)) => k.clone(),
        (None, None) => {
            return Err(CliError::config(format!(
                "the bundler needs a key: --key-file FILE or {BUNDLER_KEY_ENV}"
            )));
        }
    };
    text.trim().parse().map_err(|_| {
        CliError::config("the bundler key is not a valid private key (0x + 64 hex digits)")
    })
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(path)
        && m.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(file = %path.display(), "the bundler key file is readable by other users: chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &Path) {}

/// The bundler configuration of `args` (`env` for the data directory; `chain_id` names the
/// default mempool file).
pub fn config(
    args: &BundlerArgs,
    env: &dyn Fn(&str) -> Option<String>,
    chain_id: u64,
) -> Result<BundlerConfig, CliError> {
    let signer = read_key(args)?;
    let mut cfg = BundlerConfig::new(args.rpc.trim(), signer);
    cfg.host = args.host.clone();
    cfg.port = args.port;
    cfg.entry_point = args.entry_point;
    cfg.beneficiary = args.beneficiary;
    cfg.mode = match args.mode {
        Mode::Auto => BundlingMode::Auto,
        Mode::Manual => BundlingMode::Manual,
    };
    cfg.max_bundle_size = args.max_bundle_size;
    cfg.max_bundle_gas = args.max_bundle_gas;
    cfg.auto_interval = Duration::from_millis(args.auto_interval_ms.max(10));
    cfg.mempool_capacity = args.mempool_capacity;
    cfg.lookback_blocks = args.lookback_blocks;
    cfg.debug_api = !args.no_debug;
    cfg.mempool_file = if args.no_mempool_file {
        None
    } else {
        match &args.mempool_file {
            Some(p) => Some(p.clone()),
            None => Some(
                default_data_dir(env)
                    .ok_or_else(|| {
                        CliError::config(
                            "no per-user data directory (HOME / XDG_DATA_HOME unset or relative): pass --mempool-file FILE or --no-mempool-file",
                        )
                    })?
                    .join(format!("mempool-{chain_id}.json")),
            ),
        }
    };
    Ok(cfg)
}

/// Runs the bundler until Ctrl-C.
pub async fn run(args: BundlerArgs) -> Result<(), CliError> {
    let url: alloy::transports::http::reqwest::Url = args
        .rpc
        .trim()
        .parse()
        .map_err(|_| CliError::config(format!("--rpc {:?} is not a URL", args.rpc)))?;
    let chain_id = RootProvider::<alloy::network::Ethereum>::new_http(url)
        .get_chain_id()
        .await
        .map_err(|e| {
            CliError::network(format!("[NETWORK_ERROR] cannot reach {}: {e}", args.rpc))
        })?;
    let cfg = config(&args, &|k| std::env::var(k).ok(), chain_id)?;
    let file = cfg.mempool_file.clone();
    let handle = peaqos_aa::spawn(cfg).await.map_err(from_bundler)?;
    let b = handle.bundler();
    eprintln!(
        "Bundler listening on {} (chain {}, EntryPoint {}, key {}, {} mode, mempool {})",
        handle.url(),
        b.chain_id(),
        b.entry_point(),
        b.address(),
        match b.mode() {
            BundlingMode::Auto => "auto",
            BundlingMode::Manual => "manual",
        },
        file.as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "in memory only".into()),
    );
    let waited = peaqos_server::until_ctrl_c().await;
    handle.shutdown().await.map_err(from_bundler)?;
    waited.map_err(|e| CliError::network(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: BundlerArgs,
    }

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let m: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults_and_the_per_chain_mempool_file() {
        let cli =
            Cli::try_parse_from(["x", "--rpc", "http://127.0.0.1:8545", "--private-key", KEY])
                .unwrap();
        let cfg = config(&cli.args, &env_of(&[("HOME", "/home/u")]), 9990).unwrap();
        assert_eq!((cfg.host.as_str(), cfg.port), ("127.0.0.1", 4337));
        assert_eq!(cfg.entry_point, peaqos_types::constants::ENTRY_POINT_V06);
        assert_eq!(cfg.mode, BundlingMode::Auto);
        assert_eq!(
            cfg.mempool_file.unwrap(),
            PathBuf::from("/home/u/.local/share/peaqos/bundler/mempool-9990.json")
        );
        assert!(cfg.debug_api);
        let cli = Cli::try_parse_from([
            "x",
            "--rpc",
            "http://n",
            "--private-key",
            KEY,
            "--no-mempool-file",
            "--mode",
            "manual",
            "--no-debug",
        ])
        .unwrap();
        let cfg = config(&cli.args, &env_of(&[]), 1).unwrap();
        assert!(cfg.mempool_file.is_none());
        assert_eq!(cfg.mode, BundlingMode::Manual);
        assert!(!cfg.debug_api);
        // Without a data directory the file must be named.
        let cli = Cli::try_parse_from(["x", "--rpc", "http://n", "--private-key", KEY]).unwrap();
        let e = config(&cli.args, &env_of(&[("HOME", "rel")]), 1).unwrap_err();
        assert_eq!(e.exit_code, exit::CONFIG);
        assert!(e.message.contains("--mempool-file"), "{e}");
    }

    #[test]
    fn the_key_comes_from_a_file_or_the_environment_never_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, format!("{KEY}\n")).unwrap();
        let cli = Cli::try_parse_from([
            "x",
            "--rpc",
            "http://n",
            "--key-file",
            path.to_str().unwrap(),
            "--no-mempool-file",
        ])
        .unwrap();
        let cfg = config(&cli.args, &env_of(&[]), 1).unwrap();
        assert_eq!(
            cfg.signer.address(),
            KEY.parse::<PrivateKeySigner>().unwrap().address()
        );
        let cli = Cli::try_parse_from(["x", "--rpc", "http://n", "--no-mempool-file"]).unwrap();
        if cli.args.private_key.is_none() {
            let e = config(&cli.args, &env_of(&[]), 1).unwrap_err();
            assert_eq!(e.exit_code, exit::CONFIG);
            assert!(e.message.contains(BUNDLER_KEY_ENV), "{e}");
        }
        let bad = Cli::try_parse_from([
            "x",
            "--rpc",
            "http://n",
            "--private-key",
            "0x1234",
            "--no-mempool-file",
        ])
        .unwrap();
        let e = config(&bad.args, &env_of(&[]), 1).unwrap_err();
        assert!(!e.message.contains("0x1234"), "{e}");
        assert!(
            Cli::try_parse_from([
                "x",
                "--rpc",
                "http://n",
                "--key-file",
                "f",
                "--private-key",
                KEY
            ])
            .is_err()
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(
            exit_code(&BundlerError::Unfunded {
                address: Address::ZERO,
                chain_id: 1
            }),
            exit::CONFIG
        );
        assert_eq!(
            exit_code(&BundlerError::Internal("x".into())),
            exit::NETWORK
        );
    }
}
