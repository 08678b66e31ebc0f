//! `peaqos gas-station serve`: command-line arguments and the serve loop.
//!
//! The library reads no process environment: the binary passes an environment lookup
//! (`|name| std::env::var(name).ok()`) to [`ServeArgs::to_config`] / [`run`], and tests pass a map.

use crate::config::{
    ChainSettings, DEFAULT_PORT, FundingLimits, GasStationConfig, IpRateLimit, TwoFactorSettings,
    chain_id_for_alias,
};
use crate::crypto::ServerKey;
use crate::error::GasStationError;
use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use std::path::{Path, PathBuf};

/// Environment variable with the hot-wallet private key (0x hex).
pub const HOT_WALLET_KEY_ENV: &str = "PEAQOS_GAS_STATION_HOT_WALLET_KEY";
/// Environment variable holding the server key as 64 hex digits (wins over any key file).
pub const SERVER_KEY_ENV: &str = "PEAQOS_GAS_STATION_KEY";
/// Environment variable with the database URL (when `--database-url` is not given).
pub const DATABASE_URL_ENV: &str = "PEAQOS_GAS_STATION_DATABASE_URL";
/// File name of the server key in the data directory.
pub const SERVER_KEY_FILE: &str = "server.key";
/// File name of the SQLite database in the data directory.
pub const DATABASE_FILE: &str = "gas-station.sqlite";

/// The Gas Station's per-user data directory: `$XDG_DATA_HOME/peaqos/gas-station`, else
/// `$HOME/.local/share/peaqos/gas-station`. The base must be an absolute path; without one the
/// key file and the database must be given explicitly.
pub fn default_data_dir(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, GasStationError> {
    let get = |k: &str| env(k).filter(|v| !v.trim().is_empty()).map(PathBuf::from);
    let base = get("XDG_DATA_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| {
            get("HOME")
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local/share"))
        })
        .ok_or_else(|| {
            GasStationError::Config(
                "no per-user data directory (HOME / XDG_DATA_HOME unset or relative): pass \
                 --key-file (or set PEAQOS_GAS_STATION_KEY) and --database-url"
                    .into(),
            )
        })?;
    Ok(base.join("peaqos").join("gas-station"))
}

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
    /// sqlite://FILE or postgres://... [default: PEAQOS_GAS_STATION_DATABASE_URL, else
    /// sqlite://<data dir>/gas-station.sqlite]
    #[arg(long)]
    pub database_url: Option<String>,
    /// Server key file (created with mode 0600 when missing), used when PEAQOS_GAS_STATION_KEY
    /// is not set [default: <data dir>/server.key; the data dir is
    /// $XDG_DATA_HOME/peaqos/gas-station or ~/.local/share/peaqos/gas-station].
    #[arg(long)]
    pub key_file: Option<PathBuf>,
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
    /// POST requests (setup, confirm, fund) per client IP per --ip-rate-window-secs; 0 turns
    /// the per-IP limit off (e.g. behind a reverse proxy, where every client shares its address).
    #[arg(long, default_value_t = 60)]
    pub ip_rate_limit: u32,
    /// Window of the per-IP limit in seconds.
    #[arg(long, default_value_t = 60)]
    pub ip_rate_window_secs: u64,
    /// Lockout after 5 invalid codes, in seconds.
    #[arg(long, default_value_t = 900)]
    pub lockout_secs: u64,
    /// Replica name (keep stable across restarts; unique per replica).
    #[arg(long, default_value = "default")]
    pub replica_id: String,
}

fn hot_wallet(
    args: &ServeArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PrivateKeySigner, GasStationError> {
    let text = match &args.hot_wallet_key_file {
        Some(p) => std::fs::read_to_string(p).map_err(|e| {
            GasStationError::Config(format!("hot wallet key file {}: {e}", p.display()))
        })?,
        None => env(HOT_WALLET_KEY_ENV).ok_or_else(|| {
            GasStationError::Config(format!("set {HOT_WALLET_KEY_ENV} or --hot-wallet-key-file"))
        })?,
    };
    text.trim().parse().map_err(|_| {
        GasStationError::Config("the hot wallet key is not a valid private key".into())
    })
}

fn server_key(
    args: &ServeArgs,
    env: &dyn Fn(&str) -> Option<String>,
    data_dir: &dyn Fn() -> Result<PathBuf, GasStationError>,
) -> Result<ServerKey, GasStationError> {
    if let Some(hex) = env(SERVER_KEY_ENV).filter(|v| !v.trim().is_empty()) {
        return ServerKey::from_hex(&hex);
    }
    let path = match &args.key_file {
        Some(p) => p.clone(),
        None => data_dir()?.join(SERVER_KEY_FILE),
    };
    ServerKey::load_or_create(&path)
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

impl ServeArgs {
    /// Builds the configuration. `env` looks up environment variables ([`SERVER_KEY_ENV`],
    /// [`HOT_WALLET_KEY_ENV`], [`DATABASE_URL_ENV`], and `XDG_DATA_HOME` / `HOME` for
    /// [`default_data_dir`]); key files are read (the server key file created when missing).
    pub fn to_config(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<GasStationConfig, GasStationError> {
        let env: &dyn Fn(&str) -> Option<String> = &env;
        let data_dir = || default_data_dir(env);
        let key = server_key(self, env, &data_dir)?;
        let wallet = hot_wallet(self, env)?;
        let database_url = match self
            .database_url
            .clone()
            .or_else(|| env(DATABASE_URL_ENV).filter(|v| !v.trim().is_empty()))
        {
            Some(u) => u,
            None => sqlite_url(&data_dir()?.join(DATABASE_FILE)),
        };
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
        let mut cfg = GasStationConfig::new(database_url, key, chains);
        cfg.host = self.host.clone();
        cfg.port = self.port;
        cfg.public_url = self.public_url.clone();
        cfg.replica_id = self.replica_id.clone();
        cfg.ip_rate_limit = IpRateLimit::new(self.ip_rate_limit, self.ip_rate_window_secs);
        cfg.two_factor = TwoFactorSettings {
            lockout_secs: self.lockout_secs,
            ..TwoFactorSettings::default()
        };
        Ok(cfg)
    }
}

/// Runs the server until Ctrl-C; `env` as in [`ServeArgs::to_config`].
pub async fn run(
    args: ServeArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(), GasStationError> {
    let handle = crate::spawn(args.to_config(env)?).await?;
    println!("Gas Station listening on {}", handle.url());
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

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const HOT: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn default_key_and_database_live_in_the_per_user_data_dir() {
        let home = tempfile::tempdir().unwrap();
        let cli = Cli::try_parse_from(["x", "--chain", "devnet=http://127.0.0.1:8545"]).unwrap();
        let h = home.path().to_str().unwrap();
        let cfg = cli
            .serve
            .to_config(env_of(&[("HOME", h), (HOT_WALLET_KEY_ENV, HOT)]))
            .unwrap();
        let dir = home.path().join(".local/share/peaqos/gas-station");
        let key_path = dir.join(SERVER_KEY_FILE);
        assert!(key_path.is_file(), "server key created at {key_path:?}");
        assert_eq!(
            cfg.database_url,
            format!("sqlite://{}", dir.join(DATABASE_FILE).display())
        );
        // The same key on the next start.
        let again = cli
            .serve
            .to_config(env_of(&[("HOME", h), (HOT_WALLET_KEY_ENV, HOT)]))
            .unwrap();
        let sealed = cfg.server_key.seal(b"s", "ctx").unwrap();
        assert_eq!(again.server_key.open(&sealed, "ctx").unwrap(), b"s");
        assert_eq!(
            cfg.chains[0].hot_wallet.address(),
            HOT.parse::<PrivateKeySigner>().unwrap().address()
        );

        // XDG_DATA_HOME wins over HOME.
        let xdg = tempfile::tempdir().unwrap();
        let env = env_of(&[("HOME", h), ("XDG_DATA_HOME", xdg.path().to_str().unwrap())]);
        assert_eq!(
            default_data_dir(&env).unwrap(),
            xdg.path().join("peaqos/gas-station")
        );
        // Never a relative (source-tree) path: relative or missing bases are refused.
        for env in [
            env_of(&[("HOME", "relative/home")]),
            env_of(&[("XDG_DATA_HOME", "data"), ("HOME", "")]),
            env_of(&[]),
        ] {
            let e = default_data_dir(&env).unwrap_err();
            assert!(e.to_string().contains("--key-file"), "{e}");
        }
        let e = cli
            .serve
            .to_config(env_of(&[(HOT_WALLET_KEY_ENV, HOT)]))
            .unwrap_err();
        assert!(matches!(e, GasStationError::Config(_)), "{e}");
    }

    #[test]
    fn explicit_paths_and_environment_values() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("srv.key");
        let cli = Cli::try_parse_from([
            "x",
            "--chain",
            "devnet=http://127.0.0.1:8545",
            "--key-file",
            key_file.to_str().unwrap(),
            "--database-url",
            "sqlite://explicit.sqlite",
        ])
        .unwrap();
        let off = Cli::try_parse_from([
            "x",
            "--chain",
            "devnet=http://127.0.0.1:8545",
            "--key-file",
            key_file.to_str().unwrap(),
            "--database-url",
            "sqlite://explicit.sqlite",
            "--ip-rate-limit",
            "0",
        ])
        .unwrap();
        let cfg = off
            .serve
            .to_config(env_of(&[(HOT_WALLET_KEY_ENV, HOT)]))
            .unwrap();
        assert_eq!(cfg.ip_rate_limit, None, "--ip-rate-limit 0 turns it off");
        // No HOME needed when both paths are given.
        let cfg = cli
            .serve
            .to_config(env_of(&[
                (HOT_WALLET_KEY_ENV, HOT),
                (DATABASE_URL_ENV, "postgres://ignored"),
            ]))
            .unwrap();
        assert!(key_file.is_file());
        assert_eq!(cfg.database_url, "sqlite://explicit.sqlite");

        // The server key from the environment: no file is created; the database URL too.
        let cli = Cli::try_parse_from(["x", "--chain", "devnet=http://127.0.0.1:8545"]).unwrap();
        let key_hex = "ab".repeat(32);
        let cfg = cli
            .serve
            .to_config(env_of(&[
                (HOT_WALLET_KEY_ENV, HOT),
                (SERVER_KEY_ENV, &key_hex),
                (DATABASE_URL_ENV, "postgres://db.example/gs"),
            ]))
            .unwrap();
        assert_eq!(cfg.database_url, "postgres://db.example/gs");
        let sealed = ServerKey::from_hex(&key_hex)
            .unwrap()
            .seal(b"s", "c")
            .unwrap();
        assert_eq!(cfg.server_key.open(&sealed, "c").unwrap(), b"s");
        // No hot wallet anywhere.
        let e = cli
            .serve
            .to_config(env_of(&[(SERVER_KEY_ENV, &key_hex)]))
            .unwrap_err();
        assert!(e.to_string().contains(HOT_WALLET_KEY_ENV), "{e}");
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
            "--database-url",
            "sqlite://unused.sqlite",
            "--fund-amount",
            "5",
            "--port",
            "0",
        ])
        .unwrap();
        let cfg = cli.serve.to_config(no_env).unwrap();
        assert_eq!(cfg.chains.len(), 2);
        assert_eq!(cfg.chains[0].chain_id, 31337);
        assert_eq!(cfg.chains[1].aliases, vec!["agung".to_owned()]);
        assert_eq!(cfg.chains[0].limits.fund_amount, U256::from(5));
        assert_eq!(cfg.port, 0);
        assert_eq!(cfg.ip_rate_limit, Some(IpRateLimit::default()));
        let srv_key = dir.path().join("srv.key");
        for (chain, why) in [
            ("mars=http://x", "unknown chain"),
            ("devnet=ftp://x", "must be http(s)"),
        ] {
            let bad = Cli::try_parse_from([
                "x",
                "--chain",
                chain,
                "--hot-wallet-key-file",
                keyfile.to_str().unwrap(),
                "--key-file",
                srv_key.to_str().unwrap(),
                "--database-url",
                "sqlite://unused.sqlite",
            ])
            .unwrap();
            let e = bad.serve.to_config(no_env).unwrap_err();
            assert!(e.to_string().contains(why), "{e}");
        }
        assert!(Cli::try_parse_from(["x"]).is_err());
    }
}
