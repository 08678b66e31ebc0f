//! `peaqos gas-station serve`: command-line arguments and the serve loop.

use crate::config::{
    ChainSettings, DEFAULT_PORT, FundingLimits, GasStationConfig, TwoFactorSettings,
    chain_id_for_alias,
};
use crate::crypto::ServerKey;
use crate::error::GasStationError;
use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use std::path::PathBuf;

/// Environment variable with the hot-wallet private key (0x hex).
pub const HOT_WALLET_KEY_ENV: &str = "PEAQOS_GAS_STATION_HOT_WALLET_KEY";

/// Arguments of `peaqos gas-station serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Public base URL used in qrImageUrl (default http://HOST:PORT).
    #[arg(long)]
    pub public_url: Option<String>,
    /// sqlite://FILE or postgres://...
    #[arg(
        long,
        env = "PEAQOS_GAS_STATION_DATABASE_URL",
        default_value = "sqlite://gas-station.db"
    )]
    pub database_url: String,
    /// Server key file (created with mode 0600 when missing) used when PEAQOS_GAS_STATION_KEY
    /// is not set.
    #[arg(long, default_value = "gas-station.key")]
    pub key_file: PathBuf,
    /// A chain to pay on: ID_OR_ALIAS=RPC_URL (peaq, agung, devnet or a numeric id); repeatable.
    #[arg(long = "chain", required = true, value_name = "ID_OR_ALIAS=RPC_URL")]
    pub chains: Vec<String>,
    /// File holding the hot-wallet private key (0x hex); otherwise
    /// PEAQOS_GAS_STATION_HOT_WALLET_KEY.
    #[arg(long)]
    pub hot_wallet_key_file: Option<PathBuf>,
    /// Amount per funding, in wei.
    #[arg(long)]
    pub fund_amount: Option<U256>,
    /// Targets holding at least this (wei) are answered `skipped`.
    #[arg(long)]
    pub min_gas_balance: Option<U256>,
    /// Funding requests per owner per rate window.
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Rate-limit window in seconds.
    #[arg(long)]
    pub rate_window_secs: Option<u64>,
    /// Daily funded amount per owner (wei).
    #[arg(long)]
    pub owner_daily_cap: Option<U256>,
    /// Daily funded amount per target wallet (wei).
    #[arg(long)]
    pub wallet_daily_cap: Option<U256>,
    /// Lockout after 5 invalid codes, in seconds.
    #[arg(long, default_value_t = 900)]
    pub lockout_secs: u64,
    /// Replica name (keep stable across restarts; unique per replica).
    #[arg(long, default_value = "default")]
    pub replica_id: String,
}

fn hot_wallet(args: &ServeArgs) -> Result<PrivateKeySigner, GasStationError> {
    let text = match &args.hot_wallet_key_file {
        Some(p) => std::fs::read_to_string(p).map_err(|e| {
            GasStationError::Config(format!("hot wallet key file {}: {e}", p.display()))
        })?,
        None => std::env::var(HOT_WALLET_KEY_ENV).map_err(|_| {
            GasStationError::Config(format!("set {HOT_WALLET_KEY_ENV} or --hot-wallet-key-file"))
        })?,
    };
    text.trim().parse().map_err(|_| {
        GasStationError::Config("the hot wallet key is not a valid private key".into())
    })
}

impl ServeArgs {
    /// Builds the configuration (reads keys from env / files).
    pub fn to_config(&self) -> Result<GasStationConfig, GasStationError> {
        let key = match ServerKey::from_env()? {
            Some(k) => k,
            None => ServerKey::load_or_create(&self.key_file)?,
        };
        let wallet = hot_wallet(self)?;
        let d = FundingLimits::default();
        let limits = FundingLimits {
            fund_amount: self.fund_amount.unwrap_or(d.fund_amount),
            min_gas_balance: self.min_gas_balance.unwrap_or(d.min_gas_balance),
            rate_limit_requests: self.rate_limit.unwrap_or(d.rate_limit_requests),
            rate_window_secs: self.rate_window_secs.unwrap_or(d.rate_window_secs),
            owner_daily_cap: self.owner_daily_cap.unwrap_or(d.owner_daily_cap),
            wallet_daily_cap: self.wallet_daily_cap.unwrap_or(d.wallet_daily_cap),
        };
        let mut chains = Vec::new();
        for spec in &self.chains {
            let (id, url) = spec.split_once('=').ok_or_else(|| {
                GasStationError::Config(format!("--chain {spec:?}: expected ID_OR_ALIAS=RPC_URL"))
            })?;
            let chain_id = id
                .parse::<u64>()
                .ok()
                .or_else(|| chain_id_for_alias(id))
                .ok_or_else(|| GasStationError::Config(format!("unknown chain {id:?}")))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(GasStationError::Config(format!(
                    "--chain {id}: RPC URL must be http(s)"
                )));
            }
            chains.push(
                ChainSettings::new(chain_id, url, wallet.clone()).with_limits(limits.clone()),
            );
        }
        let mut cfg = GasStationConfig::new(self.database_url.clone(), key, chains);
        cfg.host = self.host.clone();
        cfg.port = self.port;
        cfg.public_url = self.public_url.clone();
        cfg.replica_id = self.replica_id.clone();
        cfg.two_factor = TwoFactorSettings {
            lockout_secs: self.lockout_secs,
            ..TwoFactorSettings::default()
        };
        Ok(cfg)
    }
}

/// Runs the server until Ctrl-C.
pub async fn run(args: ServeArgs) -> Result<(), GasStationError> {
    let handle = crate::spawn(args.to_config()?).await?;
    eprintln!("Gas Station listening on {}", handle.url());
    let _ = tokio::signal::ctrl_c().await;
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
    fn parses_chains_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let keyfile = dir.path().join("hot.key");
        std::fs::write(&keyfile, format!("0x{}\n", "11".repeat(32))).unwrap();
        let cli = Cli::try_parse_from([
            "x",
            "--chain",
            "devnet=http://127.0.0.1:8545",
            "--chain",
            "9990=https://agung.example",
            "--hot-wallet-key-file",
            keyfile.to_str().unwrap(),
            "--key-file",
            dir.path().join("srv.key").to_str().unwrap(),
            "--fund-amount",
            "5",
            "--port",
            "0",
        ])
        .unwrap();
        let cfg = cli.serve.to_config().unwrap();
        assert_eq!(cfg.chains.len(), 2);
        assert_eq!(cfg.chains[0].chain_id, 31337);
        assert_eq!(cfg.chains[1].aliases, vec!["agung".to_owned()]);
        assert_eq!(cfg.chains[0].limits.fund_amount, U256::from(5));
        assert_eq!(cfg.port, 0);
        let bad = Cli::try_parse_from([
            "x",
            "--chain",
            "mars=http://x",
            "--hot-wallet-key-file",
            keyfile.to_str().unwrap(),
        ])
        .unwrap();
        assert!(bad.serve.to_config().is_err());
        let bad = Cli::try_parse_from([
            "x",
            "--chain",
            "devnet=ftp://x",
            "--hot-wallet-key-file",
            keyfile.to_str().unwrap(),
        ])
        .unwrap();
        assert!(bad.serve.to_config().is_err());
        assert!(Cli::try_parse_from(["x"]).is_err());
    }
}
