//! peaqOS Machine Credit Rating service: a chain indexer, the scoring pipeline
//! ([`peaqos_mcr_model`]) and the public MCR API with the hosted service's endpoints and JSON
//! shapes.
//!
//! ```no_run
//! # async fn demo(contracts: peaqos_types::network::ContractAddresses) -> Result<(), peaqos_mcr::McrError> {
//! let config = peaqos_mcr::McrServiceConfig::devnet("http://127.0.0.1:8545", contracts);
//! let mcr = peaqos_mcr::spawn(config).await?;
//! println!("MCR API at {}", mcr.url());
//! mcr.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod api;
#[cfg(feature = "bench")]
pub mod bench;
mod cache;
pub mod cli;
mod dashboard;
mod error;
pub mod fx_refresh;
pub mod history;
pub mod indexer;
mod partner;
pub mod store;
pub mod verify;
pub mod view;

pub use error::McrError;

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use indexer::{IndexedContracts, Indexer, IndexerSettings, IndexerStatus};
use peaqos_mcr_model::ScoringConfig;
use peaqos_types::network::ContractAddresses;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Default requests per minute and IP (the hosted API's figure).
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 90;
/// Default confirmations on public chains.
pub const DEFAULT_CONFIRMATIONS: u64 = 10;
/// Default SQLite file.
pub const DEFAULT_DATABASE_URL: &str = "mcr.sqlite";

/// Everything the service needs.
#[derive(Debug, Clone)]
pub struct McrServiceConfig {
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// Contract addresses (`admin_flags` optional; `did_registry` is the DID precompile).
    pub contracts: ContractAddresses,
    /// EVM chain id for the Machine Card; `None`: ask the node.
    pub chain_id: Option<u64>,
    /// SQLite path / `sqlite:` URL, or a `postgres://` URL.
    pub database_url: String,
    /// Listen address (127.0.0.1:8000 by default; port 0 picks one).
    pub listen: SocketAddr,
    /// Public base URL the Machine Card links to (its image and MCR endpoints); `None`:
    /// `http://<bound address>`.
    pub public_url: Option<String>,
    /// First block to index.
    pub start_block: u64,
    /// Blocks to stay behind the head (0 on a devnet).
    pub confirmations: u64,
    /// Response cache TTL (zero disables).
    pub cache_ttl: Duration,
    /// Requests per minute and IP (0 disables).
    pub rate_limit_per_minute: u32,
    /// Let `public` machines point `data_api` at loopback (devnet and tests).
    pub allow_loopback_partner_data: bool,
    /// A newer ECB history (`.csv` or `.zip`) instead of the vendored one.
    pub fx_path: Option<PathBuf>,
    /// ECB XML feeds the table is refreshed from (empty: no refresh). Default: the ECB's
    /// 90-day and daily feeds; none on a devnet.
    pub fx_feeds: Vec<String>,
    /// Time between refreshes (a failed one is retried after at most 5 minutes).
    pub fx_refresh_interval: Duration,
    /// Where the last good refreshed table is kept (ECB CSV), read back at start; `None`: not
    /// kept.
    pub fx_cache_path: Option<PathBuf>,
    /// Events after the table's last row are not FX-degraded (devnets, whose amounts are test
    /// values and whose table is the shipped one by design; see docs/MCR-MODEL.md).
    pub fx_pinned: bool,
    /// Poll interval once caught up.
    pub poll_interval: Duration,
    /// First `eth_getLogs` range width.
    pub initial_log_range: u64,
    /// Widest `eth_getLogs` range.
    pub max_log_range: u64,
    /// View calls (`getEvents`, `machineWalletOf`, ...) the indexer keeps in flight.
    pub rpc_concurrency: usize,
    /// Model parameters.
    pub scoring: ScoringConfig,
    /// Source chains whose RPC the trust-level-1 checks use: chain id -> JSON-RPC URL (http or
    /// https; loopback allowed). Events naming another chain stay unverified.
    pub source_chain_rpcs: std::collections::BTreeMap<u64, String>,
    /// The Machine NFT bridge, for "where is the NFT" (`/machine/{did}`); `None`: the NFT is
    /// only looked up on this chain.
    pub nft_bridge: Option<NftBridgeConfig>,
}

/// Where the Machine NFT may be besides this chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftBridgeConfig {
    /// MachineNFTAdapter on this chain (a token it owns is locked: bridged away).
    pub adapter: alloy::primitives::Address,
    /// MachineNFTBase on Base.
    pub base_nft: Option<alloy::primitives::Address>,
    /// Base JSON-RPC (the Base owner is read there); `None`: reported as unknown.
    pub base_rpc_url: Option<String>,
}

impl McrServiceConfig {
    /// Defaults for a public chain: `mcr.sqlite`, 127.0.0.1:8000, 10 confirmations, 1 h cache,
    /// 90 requests/min, loopback partner data refused.
    pub fn new(rpc_url: impl Into<String>, contracts: ContractAddresses) -> Self {
        Self {
            rpc_url: rpc_url.into(),
            contracts,
            chain_id: None,
            database_url: DEFAULT_DATABASE_URL.into(),
            listen: SocketAddr::from((
                [127, 0, 0, 1],
                peaqos_types::constants::DEFAULT_MCR_API_PORT,
            )),
            public_url: None,
            start_block: 0,
            confirmations: DEFAULT_CONFIRMATIONS,
            cache_ttl: Duration::from_secs(peaqos_types::constants::DEFAULT_MCR_CACHE_TTL_SECS),
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            allow_loopback_partner_data: false,
            fx_path: None,
            fx_feeds: vec![
                fx_refresh::ECB_90D_URL.to_owned(),
                fx_refresh::ECB_DAILY_URL.to_owned(),
            ],
            fx_refresh_interval: fx_refresh::DEFAULT_FX_REFRESH_INTERVAL,
            fx_cache_path: None,
            fx_pinned: false,
            poll_interval: Duration::from_secs(2),
            initial_log_range: 1_000,
            max_log_range: 10_000,
            rpc_concurrency: indexer::DEFAULT_RPC_CONCURRENCY,
            scoring: ScoringConfig::default(),
            source_chain_rpcs: std::collections::BTreeMap::new(),
            nft_bridge: None,
        }
    }

    /// Devnet defaults: no confirmations, loopback partner data allowed, 250 ms polling, the
    /// shipped FX table pinned and not refreshed (offline).
    pub fn devnet(rpc_url: impl Into<String>, contracts: ContractAddresses) -> Self {
        Self {
            confirmations: 0,
            allow_loopback_partner_data: true,
            fx_feeds: Vec::new(),
            fx_pinned: true,
            poll_interval: Duration::from_millis(250),
            ..Self::new(rpc_url, contracts)
        }
    }

    fn indexed_contracts(&self) -> IndexedContracts {
        IndexedContracts {
            identity_registry: self.contracts.identity_registry,
            identity_staking: self.contracts.identity_staking,
            event_registry: self.contracts.event_registry,
            machine_nft: self.contracts.machine_nft,
            admin_flags: self.contracts.admin_flags,
            did_registry: self.contracts.did_registry,
        }
    }
}

/// A read-only provider for `url`.
pub fn provider(url: &str) -> Result<DynProvider, McrError> {
    let url = url
        .parse()
        .map_err(|e| McrError::Config(format!("invalid RPC URL: {e}")))?;
    Ok(ProviderBuilder::new().connect_http(url).erased())
}

/// A running service.
#[derive(Debug)]
pub struct McrHandle {
    server: peaqos_server::Server,
    status: Arc<IndexerStatus>,
    store: store::Store,
    cache: Arc<cache::Cache>,
    fx: Arc<fx_refresh::FxRates>,
    shutdown: watch::Sender<bool>,
    indexer: tokio::task::JoinHandle<()>,
    fx_refresher: Option<tokio::task::JoinHandle<()>>,
    source_checker: tokio::task::JoinHandle<()>,
}

impl McrHandle {
    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Last fully indexed block.
    pub fn indexed_block(&self) -> u64 {
        self.status.indexed_block()
    }

    /// Indexer figures (lag, head, range, reorgs).
    pub fn status(&self) -> &Arc<IndexerStatus> {
        &self.status
    }

    /// The database.
    pub fn store(&self) -> &store::Store {
        &self.store
    }

    /// The response cache.
    pub fn cache(&self) -> &Arc<cache::Cache> {
        &self.cache
    }

    /// The FX table in use and its refresh status.
    pub fn fx(&self) -> &Arc<fx_refresh::FxRates> {
        &self.fx
    }

    /// Waits until block `n` is indexed (event-driven, bounded by `timeout`).
    pub async fn wait_for_block(&self, n: u64, timeout: Duration) -> Result<(), McrError> {
        let mut rx = self.status.subscribe();
        let wait = async {
            loop {
                if self
                    .status
                    .has_cursor
                    .load(std::sync::atomic::Ordering::Relaxed)
                    && *rx.borrow_and_update() >= n
                {
                    return Ok(());
                }
                if rx.changed().await.is_err() {
                    return Err(McrError::Server("indexer stopped".into()));
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.map_err(|_| {
            McrError::Timeout(format!(
                "block {n} not indexed within {timeout:?} (at {})",
                self.indexed_block()
            ))
        })?
    }

    /// Stops the indexer and the server.
    pub async fn shutdown(self) -> Result<(), McrError> {
        // The indexer may have stopped already; it is joined below either way.
        let _ = self.shutdown.send(true);
        let indexed = self.indexer.await;
        if let Some(r) = self.fx_refresher {
            let _ = r.await;
        }
        let _ = self.source_checker.await;
        let served = self.server.shutdown().await;
        self.store.close().await;
        indexed.map_err(|e| McrError::Server(format!("indexer task: {e}")))?;
        Ok(served?)
    }

    /// Waits until the server stops (on a shutdown from elsewhere or a failure).
    pub async fn wait(&mut self) -> Result<(), McrError> {
        Ok(self.server.wait().await?)
    }
}

/// Starts the indexer task and the HTTP server.
pub async fn spawn(config: McrServiceConfig) -> Result<McrHandle, McrError> {
    let fx_settings = fx_refresh::FxSettings {
        base_path: config.fx_path.clone(),
        feeds: config.fx_feeds.clone(),
        interval: config.fx_refresh_interval.max(Duration::from_secs(1)),
        cache_path: config.fx_cache_path.clone(),
        pinned: config.fx_pinned,
    };
    let fx = Arc::new(fx_refresh::load(&fx_settings)?);
    let provider = provider(&config.rpc_url)?;
    let chain_id = match config.chain_id {
        Some(id) => id,
        None => provider
            .get_chain_id()
            .await
            .map_err(|e| McrError::Rpc(format!("eth_chainId: {e}")))?,
    };
    let store = store::Store::connect(&config.database_url).await?;
    let contracts = config.indexed_contracts();
    let settings = IndexerSettings {
        start_block: config.start_block,
        confirmations: config.confirmations,
        initial_range: config.initial_log_range,
        max_range: config.max_log_range,
        poll_interval: config.poll_interval,
        rpc_concurrency: config.rpc_concurrency,
    };
    let status = IndexerStatus::new(settings.initial_range);
    let cache = Arc::new(cache::Cache::new(config.cache_ttl));
    let indexer = Indexer::new(
        provider.clone(),
        store.clone(),
        contracts,
        settings,
        Arc::clone(&status),
        Arc::clone(&cache),
    );
    indexer.load_cursor().await?;

    let listener = peaqos_server::bind_addr(config.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| McrError::Http(peaqos_server::ServerError::Serve(e)))?;
    let public_url = config.public_url.as_deref().map_or_else(
        || format!("http://{addr}"),
        |u| u.trim_end_matches('/').to_owned(),
    );
    let checker_status = Arc::new(verify::CheckerStatus::new(
        config.source_chain_rpcs.keys().copied().collect(),
    ));
    let checker = verify::SourceChecker {
        store: store.clone(),
        cache: Arc::clone(&cache),
        providers: verify::SourceChecker::providers(&config.source_chain_rpcs)?,
        status: Arc::clone(&checker_status),
        interval: config.poll_interval,
    };
    let nft_bridge = match &config.nft_bridge {
        Some(b) => Some(api::NftBridge {
            adapter: b.adapter,
            base_nft: b.base_nft,
            base: match &b.base_rpc_url {
                Some(u) => {
                    verify::validate_rpc_url(0, u)?;
                    Some((crate::provider(u)?, u.clone()))
                }
                None => None,
            },
        }),
        None => None,
    };
    let state = api::AppState {
        store: store.clone(),
        cache: Arc::clone(&cache),
        status: Arc::clone(&status),
        fx: Arc::clone(&fx),
        scoring: Arc::new(config.scoring.clone()),
        chain_id,
        contracts,
        provider,
        limiter: Arc::new(api::RateLimiter::new(config.rate_limit_per_minute)),
        partner: partner::PartnerFetcher::new(config.allow_loopback_partner_data),
        public_url,
        source_checks: checker_status,
        nft_bridge,
    };
    let (tx, rx) = watch::channel(false);
    let server = peaqos_server::serve(listener, api::router(state))?;
    let fx_refresher = (!fx_settings.feeds.is_empty()).then(|| {
        tokio::spawn(fx_refresh::run(
            Arc::clone(&fx),
            fx_settings,
            Arc::clone(&cache),
            rx.clone(),
        ))
    });
    let source_checker = tokio::spawn(checker.run(rx.clone()));
    let indexer = tokio::spawn(indexer.run(rx));
    tracing::info!(%addr, "MCR API listening");
    Ok(McrHandle {
        server,
        status,
        store,
        cache,
        fx,
        shutdown: tx,
        indexer,
        fx_refresher,
        source_checker,
    })
}
