//! The Gas Station's logic, called by the HTTP handlers ([`crate::http`]) and by tests
//! directly. One concern per module:
//!
//! * `wire`: request bodies and success envelopes;
//! * `two_factor`: TOTP enrolment, confirmation, verification, lockout, QR images;
//! * `limits`: the per-owner rate limit and the daily caps (fail closed);
//! * `fund`: idempotent claims, the balance check and finishing a request;
//! * `sender`: nonce allocation, signing, the journal write and the broadcast;
//! * `reconcile`: start-up recovery and the periodic reconciler.

mod fund;
mod limits;
mod reconcile;
mod sender;
mod two_factor;
mod wire;

pub(crate) use wire::{CODE_2FA_ACTIVATED, CODE_SUCCESS, CODE_SUFFICIENT_BALANCE};
pub use wire::{
    ChainIdValue, ConfirmData, ConfirmRequest, FundOutcome, FundRequest, SetupData, SetupRequest,
};

use crate::address::{OwnerAddress, parse_owner};
use crate::config::{ChainSettings, CrashPoint, GasStationConfig};
use crate::error::GasStationError;
use crate::store::Store;
use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use peaqos_types::ErrorCode;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

type Result<T> = std::result::Result<T, GasStationError>;

fn api(code: ErrorCode, msg: impl Into<String>) -> GasStationError {
    GasStationError::api(code, msg)
}

/// Per-chain runtime: RPC client, hot wallet and its serialized nonce.
#[derive(Debug)]
pub struct ChainRuntime {
    /// Configuration.
    pub settings: ChainSettings,
    provider: DynProvider,
    wallet: Address,
    wallet_key: String,
    /// Next nonce to use; `None` means "resync from the chain and the journal first".
    nonce: tokio::sync::Mutex<Option<u64>>,
}

impl ChainRuntime {
    /// The hot wallet address.
    pub fn wallet(&self) -> Address {
        self.wallet
    }

    /// A read-only RPC client of this chain.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }
}

/// The Gas Station service (shared by every handler).
#[derive(Debug)]
pub struct Service {
    cfg: GasStationConfig,
    store: Store,
    chains: HashMap<u64, Arc<ChainRuntime>>,
    base_url: String,
    /// Requests this process is currently paying (skipped by the periodic reconciler).
    inflight: parking_lot::Mutex<HashSet<String>>,
    /// Set by an injected crash (test builds only).
    #[cfg(test)]
    crashed: std::sync::atomic::AtomicBool,
}

pub(super) fn signer_hex(a: &Address) -> String {
    format!("{a:#x}")
}

impl Service {
    /// Connects storage and RPC clients. Does not touch the chain (see [`Service::recover`]).
    pub async fn new(cfg: GasStationConfig, base_url: String) -> Result<Self> {
        if cfg.chains.is_empty() {
            return Err(GasStationError::Config(
                "at least one chain must be configured".into(),
            ));
        }
        let store = Store::connect(&cfg.database_url).await?;
        let mut chains = HashMap::new();
        for c in &cfg.chains {
            let url = c.rpc_url.parse().map_err(|_| {
                GasStationError::Config(format!("bad RPC URL for chain {}", c.chain_id))
            })?;
            let provider = ProviderBuilder::new()
                .disable_recommended_fillers()
                .connect_http(url)
                .erased();
            let wallet = c.hot_wallet.address();
            let rt = ChainRuntime {
                settings: c.clone(),
                provider,
                wallet,
                wallet_key: signer_hex(&wallet),
                nonce: tokio::sync::Mutex::new(None),
            };
            if chains.insert(c.chain_id, Arc::new(rt)).is_some() {
                return Err(GasStationError::Config(format!(
                    "chain {} configured twice",
                    c.chain_id
                )));
            }
        }
        Ok(Self {
            cfg,
            store,
            chains,
            base_url,
            inflight: parking_lot::Mutex::new(HashSet::new()),
            #[cfg(test)]
            crashed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &GasStationConfig {
        &self.cfg
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(super) fn now(&self) -> u64 {
        self.cfg.clock.now()
    }

    /// Fails every call once an injected crash happened (test builds only; always `Ok`
    /// otherwise).
    pub(super) fn check_alive(&self) -> Result<()> {
        #[cfg(test)]
        if self.has_crashed() {
            return Err(api(
                ErrorCode::InternalError,
                "the service stopped (injected crash)",
            ));
        }
        Ok(())
    }

    /// Stops the service at `point` when a crash-recovery test asks for it (`crash_after`, test
    /// builds only; a no-op otherwise), then fails like every later call.
    pub(super) fn crash_point(&self, point: CrashPoint) -> Result<()> {
        #[cfg(test)]
        if self.cfg.crash_after == Some(point) {
            self.crashed
                .store(true, std::sync::atomic::Ordering::SeqCst);
            tracing::warn!(?point, "injected crash");
        }
        #[cfg(not(test))]
        let _ = point;
        self.check_alive()
    }

    /// `true` once an injected crash happened (test builds only).
    #[cfg(test)]
    pub(crate) fn has_crashed(&self) -> bool {
        self.crashed.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn owner(&self, s: &str) -> Result<OwnerAddress> {
        parse_owner(s).ok_or_else(|| {
            api(
                ErrorCode::InvalidOwnerAddress,
                "ownerAddress must be a 0x address or an SS58 address",
            )
        })
    }
}
