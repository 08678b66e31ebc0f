//! `peaqos mcr serve`: the arguments and the entry point the CLI wires in.

use crate::{McrError, McrServiceConfig};
use peaqos_types::network::{ContractAddresses, Network, env};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `peaqos mcr serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// JSON-RPC endpoint of the chain to index.
    #[arg(long, env = "PEAQOS_RPC_URL")]
    pub rpc_url: String,
    /// Network preset for the contract addresses (mainnet, testnet); the *_ADDRESS variables win.
    #[arg(long, env = "PEAQOS_NETWORK")]
    pub network: Option<String>,
    /// SQLite file or URL, or a postgres:// URL.
    #[arg(long, env = "MCR_DATABASE_URL", default_value = crate::DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Public base URL of this service, where the Machine Card's image and MCR endpoints point
    /// (default: http://<listen address>).
    #[arg(long, env = "MCR_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// First block to index.
    #[arg(long, default_value_t = 0)]
    pub start_block: u64,
    /// Confirmations to wait (default: 0 on the devnet chain id 31337, 10 elsewhere).
    #[arg(long)]
    pub confirmations: Option<u64>,
    /// Response cache TTL in seconds (0 disables).
    #[arg(long, env = "MCR_CACHE_TTL", default_value_t = peaqos_types::constants::DEFAULT_MCR_CACHE_TTL_SECS)]
    pub cache_ttl: u64,
    /// Requests per minute and client IP (0 disables).
    #[arg(long, default_value_t = crate::DEFAULT_RATE_LIMIT_PER_MINUTE)]
    pub rate_limit: u32,
    /// Allow `data_api` targets on loopback for public machines (devnet only).
    #[arg(long)]
    pub allow_loopback_partner_data: bool,
    /// A newer ECB history file (eurofxref-hist .csv or .zip).
    #[arg(long)]
    pub fx_path: Option<PathBuf>,
    /// Poll interval in milliseconds once caught up.
    #[arg(long, default_value_t = 2_000)]
    pub poll_interval_ms: u64,
}

/// Builds the service configuration from the arguments and `lookup` (the environment).
pub fn config_from_args<F>(
    args: &ServeArgs,
    lookup: F,
    chain_id: u64,
) -> Result<McrServiceConfig, McrError>
where
    F: Fn(&str) -> Option<String>,
{
    let preset = match args.network.as_deref().filter(|s| !s.is_empty()) {
        Some(n) => n
            .parse::<Network>()
            .map_err(|e| McrError::Config(e.to_string()))?
            .preset_addresses(),
        None => None,
    };
    let contracts = match preset {
        Some(p) => {
            let overlay: Vec<(&str, String)> = p.to_env_pairs();
            ContractAddresses::from_env_lookup(|k| {
                lookup(k).filter(|v| !v.trim().is_empty()).or_else(|| {
                    overlay
                        .iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, v)| v.clone())
                })
            })
        }
        None => ContractAddresses::from_env_lookup(|k| {
            lookup(k).or_else(|| {
                (k == env::DID_REGISTRY_ADDRESS)
                    .then(|| peaqos_types::constants::DID_PRECOMPILE_ADDRESS.to_string())
                    .or_else(|| {
                        (k == env::BATCH_PRECOMPILE_ADDRESS)
                            .then(|| peaqos_types::constants::BATCH_PRECOMPILE_ADDRESS.to_string())
                    })
            })
        }),
    }
    .map_err(|e| McrError::Config(e.message))?;
    let devnet = chain_id == peaqos_types::constants::DEVNET_CHAIN_ID;
    let mut c = McrServiceConfig::new(args.rpc_url.clone(), contracts);
    c.chain_id = Some(chain_id);
    c.database_url = args.database_url.clone();
    c.listen = args.listen;
    c.public_url = match args.public_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u.to_owned()),
        Some(u) => {
            return Err(McrError::Config(format!(
                "MCR_PUBLIC_URL must be an http(s) URL, got {u:?}"
            )));
        }
    };
    c.start_block = args.start_block;
    c.confirmations = args.confirmations.unwrap_or(if devnet {
        0
    } else {
        crate::DEFAULT_CONFIRMATIONS
    });
    c.cache_ttl = Duration::from_secs(args.cache_ttl);
    c.rate_limit_per_minute = args.rate_limit;
    c.allow_loopback_partner_data = args.allow_loopback_partner_data;
    c.fx_path = args.fx_path.clone();
    c.poll_interval = Duration::from_millis(args.poll_interval_ms.max(10));
    Ok(c)
}

/// Runs the service until Ctrl-C.
pub async fn run(args: ServeArgs) -> Result<(), McrError> {
    use alloy::providers::Provider;
    let provider = crate::provider(&args.rpc_url)?;
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|e| McrError::Rpc(format!("eth_chainId: {e}")))?;
    let config = config_from_args(&args, |k| std::env::var(k).ok(), chain_id)?;
    let handle = crate::spawn(config).await?;
    println!("MCR API listening on {}", handle.url());
    peaqos_server::until_ctrl_c().await?;
    handle.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn devnet_defaults_and_presets() {
        let cli = Cli::try_parse_from([
            "x",
            "--rpc-url",
            "http://127.0.0.1:8545",
            "--network",
            "mainnet",
        ])
        .unwrap();
        let c = config_from_args(&cli.serve, |_| None, 3338).unwrap();
        assert_eq!(c.contracts, peaqos_types::network::MAINNET_ADDRESSES);
        assert_eq!(c.confirmations, 10);
        assert_eq!(c.public_url, None);
        let cli = Cli::try_parse_from([
            "x",
            "--rpc-url",
            "http://127.0.0.1:8545",
            "--network",
            "mainnet",
            "--public-url",
            "https://mcr.example",
        ])
        .unwrap();
        let c = config_from_args(&cli.serve, |_| None, 3338).unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://mcr.example"));
        let cli = Cli::try_parse_from([
            "x",
            "--rpc-url",
            "http://127.0.0.1:8545",
            "--network",
            "mainnet",
            "--public-url",
            "mcr.example",
        ])
        .unwrap();
        assert!(config_from_args(&cli.serve, |_| None, 3338).is_err());
        let cli = Cli::try_parse_from(["x", "--rpc-url", "http://127.0.0.1:8545", "--network", ""])
            .unwrap();
        let err = config_from_args(&cli.serve, |_| None, 31337).unwrap_err();
        assert!(
            err.to_string()
                .contains("IDENTITY_REGISTRY_ADDRESS is required"),
            "{err}"
        );
    }
}
