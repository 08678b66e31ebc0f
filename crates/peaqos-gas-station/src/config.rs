//! Configuration: chains with their hot wallets and limits, 2FA rules, storage, listener.

use crate::clock::{Clock, SystemClock};
use crate::crypto::ServerKey;
use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use peaqos_types::constants::{AGUNG_CHAIN_ID, DEVNET_CHAIN_ID, PEAQ_MAINNET_CHAIN_ID};
use std::num::NonZeroU32;
use std::sync::Arc;

/// One PEAQ in wei.
pub(crate) const PEAQ: u128 = 1_000_000_000_000_000_000;

/// Default listening port.
pub(crate) const DEFAULT_PORT: u16 = peaqos_types::constants::DEFAULT_GAS_STATION_PORT;

/// Per-chain funding limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingLimits {
    /// Amount sent per funding (wei).
    pub fund_amount: U256,
    /// Targets holding at least this much are answered `skipped` (wei).
    pub min_gas_balance: U256,
    /// Funding requests allowed per owner within [`FundingLimits::rate_window_secs`].
    pub rate_limit_requests: u32,
    /// Rate-limit window in seconds.
    pub rate_window_secs: u64,
    /// Funded amount per owner per UTC day (wei).
    pub owner_daily_cap: U256,
    /// Funded amount per target wallet per UTC day (wei).
    pub wallet_daily_cap: U256,
}

impl Default for FundingLimits {
    /// 2 PEAQ per funding (a 1 PEAQ bond plus gas), skip at 1.5 PEAQ, 10 requests per owner per
    /// minute, 20 PEAQ per owner and 4 PEAQ per wallet per UTC day.
    fn default() -> Self {
        Self {
            fund_amount: U256::from(2 * PEAQ),
            min_gas_balance: U256::from(3 * PEAQ / 2),
            rate_limit_requests: 10,
            rate_window_secs: 60,
            owner_daily_cap: U256::from(20 * PEAQ),
            wallet_daily_cap: U256::from(4 * PEAQ),
        }
    }
}

/// A chain the faucet pays on.
#[derive(Clone)]
pub struct ChainSettings {
    /// EVM chain id (also accepted as `chainId`, as number or decimal string).
    pub chain_id: u64,
    /// Names accepted as `chainId` (by default `peaq` for 3338, `agung` for 9990, `devnet` and
    /// `peaq-devnet` for 31337, none for other ids).
    pub aliases: Vec<String>,
    /// JSON-RPC URL.
    pub rpc_url: String,
    /// The hot wallet paying the fundings.
    pub hot_wallet: PrivateKeySigner,
    /// Limits.
    pub limits: FundingLimits,
    /// Gas limit of a funding transfer (21,000 for a plain transfer to an EOA).
    pub gas_limit: u64,
}

impl std::fmt::Debug for ChainSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainSettings")
            .field("chain_id", &self.chain_id)
            .field("aliases", &self.aliases)
            .field("rpc_url", &self.rpc_url)
            .field("hot_wallet", &self.hot_wallet.address())
            .field("limits", &self.limits)
            .field("gas_limit", &self.gas_limit)
            .finish()
    }
}

/// The names a known chain id answers to as `chainId` by default: `peaq` (3338), `agung` (9990),
/// `devnet` and `peaq-devnet` (31337, the embedded devnet).
pub(crate) fn default_aliases(chain_id: u64) -> &'static [&'static str] {
    match chain_id {
        PEAQ_MAINNET_CHAIN_ID => &["peaq"],
        AGUNG_CHAIN_ID => &["agung"],
        DEVNET_CHAIN_ID => &["devnet", "peaq-devnet"],
        _ => &[],
    }
}

/// The chain id of a known alias (case-insensitive).
pub(crate) fn chain_id_for_alias(alias: &str) -> Option<u64> {
    [PEAQ_MAINNET_CHAIN_ID, AGUNG_CHAIN_ID, DEVNET_CHAIN_ID]
        .into_iter()
        .find(|id| {
            default_aliases(*id)
                .iter()
                .any(|a| a.eq_ignore_ascii_case(alias.trim()))
        })
}

impl ChainSettings {
    /// A chain with default limits and the default aliases of its id.
    pub fn new(chain_id: u64, rpc_url: impl Into<String>, hot_wallet: PrivateKeySigner) -> Self {
        Self {
            chain_id,
            aliases: default_aliases(chain_id)
                .iter()
                .map(|a| (*a).to_owned())
                .collect(),
            rpc_url: rpc_url.into(),
            hot_wallet,
            limits: FundingLimits::default(),
            gas_limit: 21_000,
        }
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: FundingLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// 2FA rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorSettings {
    /// Consecutive invalid codes that lock an owner.
    pub max_failed_attempts: u32,
    /// Lockout length in seconds.
    pub lockout_secs: u64,
    /// How long a QR image URL is served, in seconds.
    pub qr_ttl_secs: u64,
}

impl Default for TwoFactorSettings {
    /// 5 attempts, 15 minutes lockout, QR images for 120 s.
    fn default() -> Self {
        Self {
            max_failed_attempts: 5,
            lockout_secs: 900,
            qr_ttl_secs: 120,
        }
    }
}

/// The per-client-IP limit on the POST endpoints (setup, confirm, fund), in front of the
/// per-owner rate limit of [`FundingLimits`]. A client gets a burst of `requests`, refilled
/// evenly over `window_secs` (GCRA); beyond it every POST answers `RATE_LIMITED` (429). IPv6
/// clients are counted per /64. Per process: replicas each count their own clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRateLimit {
    /// Requests per client IP per window.
    pub requests: NonZeroU32,
    /// Window in seconds (at least 1).
    pub window_secs: u64,
}

impl IpRateLimit {
    /// `requests` per `window_secs`; `None` when either is 0 (the limit is off).
    pub fn new(requests: u32, window_secs: u64) -> Option<Self> {
        let requests = NonZeroU32::new(requests)?;
        (window_secs > 0).then_some(Self {
            requests,
            window_secs,
        })
    }
}

impl Default for IpRateLimit {
    /// 60 requests per client IP per minute.
    fn default() -> Self {
        Self {
            requests: const { NonZeroU32::new(60).unwrap() },
            window_secs: 60,
        }
    }
}

/// Where a crash-recovery test "crashes": the service stops there when `crash_after` names it.
/// `crash_after` exists in this crate's test builds only; in every other build nothing happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrashPoint {
    /// After the signed transaction is journalled, before it is broadcast.
    AfterJournal,
    /// After the node accepted the transaction, before its receipt is recorded.
    AfterBroadcast,
}

/// Everything [`crate::spawn`] needs.
#[derive(Debug, Clone)]
pub struct GasStationConfig {
    /// Listen host (127.0.0.1 by default).
    pub host: String,
    /// Listen port (8090 by default; 0 picks a free one).
    pub port: u16,
    /// Base URL put in front of `qrImageUrl` (defaults to `http://<bound address>`).
    pub public_url: Option<String>,
    /// `sqlite://path` (created when missing) or `postgres://...`.
    pub database_url: String,
    /// Key sealing TOTP secrets at rest.
    pub server_key: ServerKey,
    /// Chains the faucet pays on.
    pub chains: Vec<ChainSettings>,
    /// 2FA rules.
    pub two_factor: TwoFactorSettings,
    /// Per-client-IP limit on the POST endpoints; `None` (the default here; `serve` turns it
    /// on) switches it off.
    pub ip_rate_limit: Option<IpRateLimit>,
    /// Name of this replica: startup recovery only touches claims this replica made. Keep it
    /// stable across restarts; give every replica sharing a PostgreSQL database its own.
    pub replica_id: String,
    /// Seconds to wait for a funding receipt before answering `TRANSFER_FAILED` (the request
    /// stays in flight and is finished by the reconciler).
    pub receipt_timeout_secs: u64,
    /// Period of the background reconciler in seconds (0 disables it; start-up recovery
    /// always runs).
    pub reconcile_interval_secs: u64,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Fault injection for the crash-recovery tests (test builds of this crate only).
    #[cfg(test)]
    pub(crate) crash_after: Option<CrashPoint>,
}

impl GasStationConfig {
    /// A configuration with defaults for everything but storage, key and chains.
    pub fn new(
        database_url: impl Into<String>,
        server_key: ServerKey,
        chains: Vec<ChainSettings>,
    ) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            public_url: None,
            database_url: database_url.into(),
            server_key,
            chains,
            two_factor: TwoFactorSettings::default(),
            ip_rate_limit: None,
            replica_id: "default".into(),
            receipt_timeout_secs: 60,
            reconcile_interval_secs: 15,
            clock: Arc::new(SystemClock),
            #[cfg(test)]
            crash_after: None,
        }
    }

    /// Resolves a `chainId` value (a decimal id such as "3338", or an alias such as "peaq") to
    /// a configured chain; `None` for anything else, including known but unconfigured chains.
    pub fn chain(&self, id_or_alias: &str) -> Option<&ChainSettings> {
        let s = id_or_alias.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s
                .parse::<u64>()
                .ok()
                .and_then(|id| self.chains.iter().find(|c| c.chain_id == id));
        }
        self.chains
            .iter()
            .find(|c| c.aliases.iter().any(|a| a.eq_ignore_ascii_case(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_rate_limit_zero_is_off() {
        assert_eq!(IpRateLimit::new(0, 60), None);
        assert_eq!(IpRateLimit::new(5, 0), None);
        let l = IpRateLimit::new(5, 10).unwrap();
        assert_eq!((l.requests.get(), l.window_secs), (5, 10));
        assert_eq!(IpRateLimit::default(), IpRateLimit::new(60, 60).unwrap());
    }

    #[test]
    fn aliases_resolve_to_configured_chains_only() {
        let key = PrivateKeySigner::random();
        let cfg = GasStationConfig::new(
            "sqlite://x.db",
            ServerKey::generate(),
            vec![
                ChainSettings::new(31337, "http://127.0.0.1:8545", key.clone()),
                ChainSettings::new(3338, "http://127.0.0.1:1", key),
            ],
        );
        assert_eq!(cfg.chain("devnet").unwrap().chain_id, 31337);
        assert_eq!(cfg.chain("DEVNET").unwrap().chain_id, 31337);
        assert_eq!(cfg.chain("peaq-devnet").unwrap().chain_id, 31337);
        assert_eq!(cfg.chain("31337").unwrap().chain_id, 31337);
        assert_eq!(cfg.chain("peaq").unwrap().chain_id, 3338);
        assert_eq!(cfg.chain(" 3338 ").unwrap().chain_id, 3338);
        assert!(cfg.chain("agung").is_none());
        assert!(cfg.chain("9990").is_none());
        assert!(cfg.chain("base").is_none());
        assert!(cfg.chain("+3338").is_none());
        assert!(cfg.chain("").is_none());
        assert!(cfg.chain("99999999999999999999999").is_none());
        assert_eq!(chain_id_for_alias("Agung"), Some(9990));
        assert_eq!(chain_id_for_alias("base"), None);
        assert_eq!(chain_id_for_alias("peaq-devnet"), Some(31337));
        let dbg = format!("{:?}", cfg.chains[0]);
        assert!(dbg.contains("hot_wallet"));
        assert!(!dbg.to_lowercase().contains("secret"));
    }
}
