//! `peaqos mcr serve`: the arguments and the entry point the CLI wires in.
//!
//! The library reads no process environment: the binary passes an environment lookup
//! (`|name| std::env::var(name).ok()`) to [`run`] / [`config_from_args`], and tests pass a map.
//! A flag wins over its variable; empty variables count as unset.

use crate::{McrError, McrServiceConfig};
use peaqos_types::network::{ContractAddresses, Network, env};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `peaqos mcr serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// JSON-RPC endpoint of the chain to index [default: PEAQOS_RPC_URL; one is required].
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// Network preset for the contract addresses (mainnet, testnet); the *_ADDRESS variables win
    /// [default: PEAQOS_NETWORK].
    #[arg(long)]
    pub network: Option<String>,
    /// SQLite file or URL, or a postgres:// URL [default: MCR_DATABASE_URL, else mcr.sqlite].
    #[arg(long)]
    pub database_url: Option<String>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Public base URL of this service, where the Machine Card's image and MCR endpoints point
    /// [default: MCR_PUBLIC_URL, else http://<listen address>].
    #[arg(long)]
    pub public_url: Option<String>,
    /// First block to index.
    #[arg(long, default_value_t = 0)]
    pub start_block: u64,
    /// Confirmations to wait (default: 0 on the devnet chain id 31337, 10 elsewhere).
    #[arg(long)]
    pub confirmations: Option<u64>,
    /// Response cache TTL in seconds, 0 disables [default: MCR_CACHE_TTL, else 3600].
    #[arg(long)]
    pub cache_ttl: Option<u64>,
    /// Requests per minute and client IP (0 disables).
    #[arg(long, default_value_t = crate::DEFAULT_RATE_LIMIT_PER_MINUTE)]
    pub rate_limit: u32,
    /// Allow `data_api` targets on loopback for public machines (devnet only).
    #[arg(long)]
    pub allow_loopback_partner_data: bool,
    /// A newer ECB history file (eurofxref-hist .csv or .zip).
    #[arg(long)]
    pub fx_path: Option<PathBuf>,
    /// ECB XML feed to refresh the FX table from, repeatable [default: the ECB's 90-day and
    /// daily feeds; none on the devnet chain id 31337].
    #[arg(long = "fx-feed-url", value_name = "URL")]
    pub fx_feed_urls: Vec<String>,
    /// Do not refresh the FX table (keep the shipped or --fx-path table).
    #[arg(long, conflicts_with = "fx_feed_urls")]
    pub no_fx_refresh: bool,
    /// Seconds between FX refreshes.
    #[arg(long, default_value_t = crate::fx_refresh::DEFAULT_FX_REFRESH_INTERVAL.as_secs())]
    pub fx_refresh_secs: u64,
    /// Where the last good refreshed FX table is kept and read back at start.
    #[arg(long, default_value = "mcr-fx-rates.csv")]
    pub fx_cache: PathBuf,
    /// Poll interval in milliseconds once caught up.
    #[arg(long, default_value_t = 2_000)]
    pub poll_interval_ms: u64,
    /// A source chain whose RPC checks trust-level-1 events: CHAIN_ID=URL (http or https;
    /// repeatable). Events naming another chain stay unverified.
    #[arg(long = "source-chain-rpc", value_name = "CHAIN_ID=URL", value_parser = parse_source_chain_rpc)]
    pub source_chain_rpcs: Vec<(u64, String)>,
    /// MachineNFTAdapter on this chain: a token it holds is reported as bridged
    /// [env: MACHINE_NFT_ADAPTER_ADDRESS].
    #[arg(long, value_name = "ADDRESS")]
    pub machine_nft_adapter: Option<alloy::primitives::Address>,
    /// Base JSON-RPC, where a bridged token's owner is read [env: BASE_RPC_URL].
    #[arg(long, value_name = "URL")]
    pub base_rpc_url: Option<String>,
    /// MachineNFTBase on Base [env: BASE_MACHINE_NFT_ADDRESS].
    #[arg(long, value_name = "ADDRESS")]
    pub base_machine_nft: Option<alloy::primitives::Address>,
}

/// `CHAIN_ID=URL` of `--source-chain-rpc`.
pub fn parse_source_chain_rpc(s: &str) -> Result<(u64, String), String> {
    let (id, url) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not CHAIN_ID=URL"))?;
    let id: u64 = id
        .trim()
        .parse()
        .map_err(|_| format!("{id:?} is not a chain id"))?;
    let url = url.trim().to_owned();
    crate::verify::validate_rpc_url(id, &url).map_err(|e| e.to_string())?;
    Ok((id, url))
}

/// Environment variable of the database URL (when `--database-url` is not given).
pub const DATABASE_URL_ENV: &str = "MCR_DATABASE_URL";
/// Environment variable of the public base URL (when `--public-url` is not given).
pub const PUBLIC_URL_ENV: &str = "MCR_PUBLIC_URL";
/// Environment variable of the cache TTL in seconds (when `--cache-ttl` is not given).
pub const CACHE_TTL_ENV: &str = "MCR_CACHE_TTL";

/// The flag's value, else the variable's (not empty).
fn flag_or_env(
    flag: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
    var: &str,
) -> Option<String> {
    flag.map(str::to_owned)
        .or_else(|| lookup(var).filter(|v| !v.trim().is_empty()))
}

/// The RPC URL: `--rpc-url`, else `PEAQOS_RPC_URL`.
pub fn rpc_url(
    args: &ServeArgs,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, McrError> {
    flag_or_env(args.rpc_url.as_deref(), lookup, env::PEAQOS_RPC_URL).ok_or_else(|| {
        McrError::Config(format!("--rpc-url or {} is required", env::PEAQOS_RPC_URL))
    })
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
    let lookup: &dyn Fn(&str) -> Option<String> = &lookup;
    let network = flag_or_env(args.network.as_deref(), lookup, env::PEAQOS_NETWORK);
    let preset = match network.as_deref().filter(|s| !s.is_empty()) {
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
    let mut c = McrServiceConfig::new(rpc_url(args, lookup)?, contracts);
    c.chain_id = Some(chain_id);
    c.database_url = flag_or_env(args.database_url.as_deref(), lookup, DATABASE_URL_ENV)
        .unwrap_or_else(|| crate::DEFAULT_DATABASE_URL.to_owned());
    c.listen = args.listen;
    let public_url = flag_or_env(args.public_url.as_deref(), lookup, PUBLIC_URL_ENV);
    c.public_url = match public_url.as_deref().map(str::trim) {
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
    let cache_ttl = match args.cache_ttl {
        Some(s) => s,
        None => match lookup(CACHE_TTL_ENV).filter(|v| !v.trim().is_empty()) {
            Some(v) => v.trim().parse().map_err(|_| {
                McrError::Config(format!(
                    "{CACHE_TTL_ENV} must be a number of seconds, got {v:?}"
                ))
            })?,
            None => peaqos_types::constants::DEFAULT_MCR_CACHE_TTL_SECS,
        },
    };
    c.cache_ttl = Duration::from_secs(cache_ttl);
    c.rate_limit_per_minute = args.rate_limit;
    c.allow_loopback_partner_data = args.allow_loopback_partner_data;
    c.fx_path = args.fx_path.clone();
    if args.no_fx_refresh || (devnet && args.fx_feed_urls.is_empty()) {
        c.fx_feeds.clear();
    } else if !args.fx_feed_urls.is_empty() {
        c.fx_feeds.clone_from(&args.fx_feed_urls);
    }
    c.fx_refresh_interval = Duration::from_secs(args.fx_refresh_secs.max(1));
    c.fx_cache_path = Some(args.fx_cache.clone());
    c.fx_pinned = devnet;
    c.poll_interval = Duration::from_millis(args.poll_interval_ms.max(10));
    c.source_chain_rpcs = args.source_chain_rpcs.iter().cloned().collect();
    let address = |flag: Option<alloy::primitives::Address>, var: &str| match flag {
        Some(a) => Ok(Some(a)),
        None => lookup(var)
            .filter(|v| !v.trim().is_empty())
            .map(|v| {
                v.trim()
                    .parse::<alloy::primitives::Address>()
                    .map_err(|_| McrError::Config(format!("{var} is not an address: {v:?}")))
            })
            .transpose(),
    };
    if let Some(adapter) = address(args.machine_nft_adapter, "MACHINE_NFT_ADAPTER_ADDRESS")? {
        c.nft_bridge = Some(crate::NftBridgeConfig {
            adapter,
            base_nft: address(args.base_machine_nft, "BASE_MACHINE_NFT_ADDRESS")?,
            base_rpc_url: flag_or_env(args.base_rpc_url.as_deref(), lookup, "BASE_RPC_URL"),
        });
    }
    Ok(c)
}

/// Runs the service until Ctrl-C; `env` as in [`config_from_args`].
pub async fn run(args: ServeArgs, env: impl Fn(&str) -> Option<String>) -> Result<(), McrError> {
    use alloy::providers::Provider;
    let provider = crate::provider(&rpc_url(&args, &env)?)?;
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|e| McrError::Rpc(format!("eth_chainId: {e}")))?;
    let config = config_from_args(&args, &env, chain_id)?;
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
    fn source_chain_rpcs_and_the_bridge_from_flags_and_env() {
        let cli = Cli::try_parse_from([
            "x",
            "--rpc-url",
            "http://127.0.0.1:8545",
            "--network",
            "mainnet",
            "--source-chain-rpc",
            "8453=https://base.example",
            "--source-chain-rpc",
            "31338=http://127.0.0.1:8546",
        ])
        .unwrap();
        let adapter = "0x00000000000000000000000000000000000000aa";
        let env = |k: &str| (k == "MACHINE_NFT_ADAPTER_ADDRESS").then(|| adapter.to_owned());
        let c = config_from_args(&cli.serve, env, 3338).unwrap();
        assert_eq!(c.source_chain_rpcs[&8453], "https://base.example");
        assert_eq!(c.source_chain_rpcs[&31338], "http://127.0.0.1:8546");
        let b = c.nft_bridge.unwrap();
        assert_eq!(
            b.adapter,
            adapter.parse::<alloy::primitives::Address>().unwrap()
        );
        assert_eq!((b.base_nft, b.base_rpc_url), (None, None));
        for bad in ["8453", "x=http://a", "8453=ftp://a", "8453=nope"] {
            assert!(
                Cli::try_parse_from(["x", "--source-chain-rpc", bad]).is_err(),
                "{bad}"
            );
        }
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
        assert_eq!(
            c.fx_feeds,
            [
                crate::fx_refresh::ECB_90D_URL,
                crate::fx_refresh::ECB_DAILY_URL
            ]
        );
        assert!(!c.fx_pinned);
        let c = config_from_args(&cli.serve, |_| None, 31337).unwrap();
        assert!(
            c.fx_feeds.is_empty() && c.fx_pinned,
            "a devnet stays offline"
        );
        let cli = Cli::try_parse_from([
            "x",
            "--rpc-url",
            "http://127.0.0.1:8545",
            "--network",
            "mainnet",
            "--fx-feed-url",
            "http://127.0.0.1:1/daily.xml",
            "--fx-refresh-secs",
            "60",
        ])
        .unwrap();
        let c = config_from_args(&cli.serve, |_| None, 31337).unwrap();
        assert_eq!(c.fx_feeds, ["http://127.0.0.1:1/daily.xml"]);
        assert_eq!(c.fx_refresh_interval, Duration::from_secs(60));
        let cli = Cli::try_parse_from([
            "x",
            "--rpc-url",
            "http://127.0.0.1:8545",
            "--network",
            "mainnet",
            "--no-fx-refresh",
        ])
        .unwrap();
        assert!(
            config_from_args(&cli.serve, |_| None, 3338)
                .unwrap()
                .fx_feeds
                .is_empty()
        );
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

    #[test]
    fn the_lookup_fills_what_no_flag_gives() {
        let vars: std::collections::HashMap<&str, &str> = [
            (env::PEAQOS_RPC_URL, "http://127.0.0.1:9545"),
            (env::PEAQOS_NETWORK, "mainnet"),
            (DATABASE_URL_ENV, "sqlite://from-env.sqlite"),
            (PUBLIC_URL_ENV, "https://env.example"),
            (CACHE_TTL_ENV, "60"),
        ]
        .into_iter()
        .collect();
        let lookup = |k: &str| vars.get(k).map(|v| v.to_string());
        let cli = Cli::try_parse_from(["x"]).unwrap();
        let c = config_from_args(&cli.serve, lookup, 3338).unwrap();
        assert_eq!(c.rpc_url, "http://127.0.0.1:9545");
        assert_eq!(c.contracts, peaqos_types::network::MAINNET_ADDRESSES);
        assert_eq!(c.database_url, "sqlite://from-env.sqlite");
        assert_eq!(c.public_url.as_deref(), Some("https://env.example"));
        assert_eq!(c.cache_ttl, Duration::from_secs(60));
        // flags win
        let cli = Cli::try_parse_from([
            "x",
            "--rpc-url",
            "http://127.0.0.1:8545",
            "--database-url",
            "sqlite://flag.sqlite",
            "--cache-ttl",
            "0",
        ])
        .unwrap();
        let c = config_from_args(&cli.serve, lookup, 3338).unwrap();
        assert_eq!(c.rpc_url, "http://127.0.0.1:8545");
        assert_eq!(c.database_url, "sqlite://flag.sqlite");
        assert_eq!(c.cache_ttl, Duration::ZERO);
        // defaults without either
        let cli =
            Cli::try_parse_from(["x", "--rpc-url", "http://h:1", "--network", "peaq"]).unwrap();
        let c = config_from_args(&cli.serve, |_| None, 3338).unwrap();
        assert_eq!(c.database_url, crate::DEFAULT_DATABASE_URL);
        assert_eq!(
            c.cache_ttl,
            Duration::from_secs(peaqos_types::constants::DEFAULT_MCR_CACHE_TTL_SECS)
        );
        // no RPC URL at all, and a TTL that is not a number: configuration errors
        let cli = Cli::try_parse_from(["x", "--network", "mainnet"]).unwrap();
        let e = config_from_args(&cli.serve, |_| None, 3338).unwrap_err();
        assert!(matches!(e, McrError::Config(_)), "{e}");
        assert!(e.to_string().contains("PEAQOS_RPC_URL"), "{e}");
        let e = config_from_args(
            &cli.serve,
            |k| match k {
                CACHE_TTL_ENV => Some("soon".into()),
                _ => lookup(k),
            },
            3338,
        )
        .unwrap_err();
        assert!(e.to_string().contains("MCR_CACHE_TTL"), "{e}");
    }
}
