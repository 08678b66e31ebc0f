//! peaqOS Gas Station: a 2FA-gated faucet that never pays twice.
//!
//! * `POST /2fa/setup` / `/faucet/2fa/setup`, `POST /2fa/confirm` / `/faucet/2fa/confirm`:
//!   TOTP enrolment (RFC 6238, SHA-1, 6 digits, 30 s), QR image at the returned URL for ~2 min.
//! * `POST /faucet/fund`: 2FA, per-owner rate limit, daily caps per owner and per target wallet
//!   (UTC day), idempotency by `requestId`, then a transfer from the chain's hot wallet — or
//!   `skipped` when the target already holds `min_gas_balance`.
//! * Every transfer is signed and written to a journal before it is broadcast; start-up (and a
//!   periodic reconciler) finishes or rebroadcasts journalled transfers, so a crash at any
//!   point never pays a request twice nor leaves a nonce gap.
//! * Storage: SQLite (default) or PostgreSQL through sqlx.
//!
//! ```no_run
//! # async fn demo(rpc: String, key: alloy::signers::local::PrivateKeySigner, data_dir: std::path::PathBuf) -> Result<(), peaqos_gas_station::GasStationError> {
//! use peaqos_gas_station::{ChainSettings, GasStationConfig, ServerKey, spawn};
//! // data_dir: a per-user directory outside any source tree (see `cli::default_data_dir`).
//! let cfg = GasStationConfig::new(
//!     format!("sqlite://{}", data_dir.join("gas-station.sqlite").display()),
//!     ServerKey::load_or_create(&data_dir.join("server.key"))?,
//!     vec![ChainSettings::new(31337, rpc, key)],
//! );
//! let gs = spawn(cfg).await?;
//! println!("Gas Station at {}", gs.url());
//! gs.shutdown().await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod address;
pub mod cli;
mod clock;
mod config;
mod crypto;
pub mod error;
mod http;
mod ip_limit;
mod openapi;
mod qr;
mod service;
mod store;
mod totp;

// The crash-recovery tests: their harness (shared with the integration tests) names this crate.
#[cfg(test)]
extern crate self as peaqos_gas_station;
#[cfg(test)]
mod crash_tests;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ChainSettings, FundingLimits, GasStationConfig, IpRateLimit, TwoFactorSettings};
pub use crypto::ServerKey;
pub use error::GasStationError;
pub use service::{
    ChainIdValue, ConfirmData, ConfirmRequest, FundOutcome, FundRequest, Service, SetupData,
    SetupRequest,
};
pub use store::{JournalRow, Store};
pub use totp::{TotpError, current_code_for, totp_now};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A running Gas Station.
#[derive(Debug)]
pub struct GasStationHandle {
    service: Arc<Service>,
    server: peaqos_server::Server,
    reconciler: Option<tokio::task::JoinHandle<()>>,
}

impl GasStationHandle {
    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The service (direct calls from tests and tools).
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// Stops serving (in-flight requests finish) and closes the database.
    pub async fn shutdown(mut self) -> Result<(), GasStationError> {
        if let Some(r) = self.reconciler.take() {
            r.abort();
        }
        let res = self.server.shutdown().await;
        self.service.store().close().await;
        Ok(res?)
    }

    /// Waits until the server stops (it does not, unless it fails).
    pub async fn wait(&mut self) -> Result<(), GasStationError> {
        Ok(self.server.wait().await?)
    }
}

/// Binds the listener, opens storage, runs start-up recovery (journal reconciliation), then
/// serves until [`GasStationHandle::shutdown`].
pub async fn spawn(config: GasStationConfig) -> Result<GasStationHandle, GasStationError> {
    let listener = peaqos_server::bind(&config.host, config.port).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| GasStationError::Http(peaqos_server::ServerError::Serve(e)))?;
    let base_url = config
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{addr}"));
    let interval = config.reconcile_interval_secs;
    let service = Arc::new(Service::new(config, base_url).await?);
    service.recover().await?;
    let server = peaqos_server::serve(listener, http::router(service.clone()))?;
    let reconciler = (interval > 0).then(|| {
        let s = service.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(interval));
            tick.tick().await;
            loop {
                tick.tick().await;
                #[cfg(test)]
                if s.has_crashed() {
                    break;
                }
                s.reconcile_all().await;
            }
        })
    });
    tracing::info!(%addr, "gas station listening");
    Ok(GasStationHandle {
        service,
        server,
        reconciler,
    })
}
