//! `peaqos devnet`: an embedded local peaq chain.
//!
//! revm executes transactions; blocks, receipts and logs are kept in memory (and in a state file
//! with `--state`); the peaq precompiles (DID `0x…0800`, Batch `0x…0805`, native ERC-20
//! `0x…0809`) behave as on the real node; the peaqOS contracts are deployed behind their proxies at
//! genesis. Ethereum JSON-RPC is served over HTTP on 127.0.0.1 by default.
//!
//! ```no_run
//! # async fn demo() -> Result<(), peaqos_devnet::DevnetError> {
//! let devnet = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral()).await?;
//! println!("RPC at {}", devnet.url());
//! devnet.shutdown().await?;
//! # Ok(()) }
//! ```

mod chain;
mod error;
pub mod genesis;
mod history;
mod node;
mod persist;
mod precompiles;
pub mod rpc;

pub use chain::ChainConfig;
pub use error::{DevnetError, StateProblem, TxRejected, Unsupported};
pub use genesis::{BASE_DEVNET_CHAIN_ID, ChainKind, DEFAULT_BASE_DEVNET_PORT};
pub use node::Node;
pub use peaqos_contracts::Deployment;

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to run a devnet.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// Address to listen on (127.0.0.1 unless configured otherwise).
    pub host: String,
    /// Port (8545 by default; 0 picks a free one).
    pub port: u16,
    /// `None`: one block per transaction at once. `Some(d)`: a block every `d`.
    pub block_time: Option<Duration>,
    /// Load from / save to this file.
    pub state: Option<PathBuf>,
    /// Chain parameters.
    pub chain: ChainConfig,
    /// Base URI for the NFTs' `tokenURI` (the MCR API).
    pub base_uri: Option<String>,
    /// The chain this devnet plays (peaq unless told otherwise).
    pub kind: ChainKind,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: peaqos_types::constants::DEFAULT_DEVNET_PORT,
            block_time: None,
            state: None,
            chain: ChainConfig::default(),
            base_uri: None,
            kind: ChainKind::Peaq,
        }
    }
}

impl DevnetConfig {
    /// A devnet on a free loopback port with no state file (for tests and embedding).
    pub fn ephemeral() -> Self {
        Self {
            port: 0,
            ..Self::default()
        }
    }

    /// A devnet of `kind` with that kind's port and chain parameters.
    pub fn of_kind(kind: ChainKind) -> Self {
        Self {
            port: kind.default_port(),
            chain: kind.chain_config(),
            kind,
            ..Self::default()
        }
    }
}

/// Builds the node: from the state file when it exists, otherwise a fresh genesis.
pub fn build_node(config: &DevnetConfig) -> Result<Node, DevnetError> {
    let signers = genesis::dev_signers();
    let accounts: Vec<Address> = signers.iter().map(|s| s.address()).collect();
    let instant = config.block_time.is_none();
    if let Some(path) = &config.state
        && path.exists()
    {
        let (chain, deployment) = persist::load(path, config.chain.clone(), instant)?;
        return Ok(Node::new(chain, accounts, deployment, Some(path.clone())));
    }
    let mut chain = chain::Chain::new(config.chain.clone(), instant, None);
    let deployment = match config.kind {
        ChainKind::Peaq => genesis::build(&mut chain, &accounts, config.base_uri.as_deref())?,
        ChainKind::Base => genesis::build_base(&mut chain, &accounts),
    };
    Ok(Node::new(chain, accounts, deployment, config.state.clone()))
}

/// A running devnet.
#[derive(Debug)]
pub struct DevnetHandle {
    node: Node,
    server: peaqos_server::Server,
    miner: Option<tokio::task::JoinHandle<()>>,
}

impl DevnetHandle {
    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The node (direct access to the chain, for tools and tests).
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Contract addresses.
    pub fn deployment(&self) -> Deployment {
        self.node.deployment()
    }

    /// Signer of dev account `i` (0..10).
    pub fn signer(&self, i: u32) -> PrivateKeySigner {
        genesis::dev_signer(i)
    }

    /// Stops serving and, with a state file, saves the chain.
    pub async fn shutdown(mut self) -> Result<(), DevnetError> {
        if let Some(m) = self.miner.take() {
            m.abort();
        }
        self.server.shutdown().await?;
        if self.node.save_path().is_some() {
            self.node.save()?;
        }
        Ok(())
    }

    /// Waits until the server stops on its own (it does not, unless it fails).
    pub async fn wait(&mut self) -> Result<(), DevnetError> {
        Ok(self.server.wait().await?)
    }
}

/// Largest JSON-RPC request body (a batch included): larger ones are answered -32600.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

async fn rpc_handler(State(node): State<Node>, body: Result<Bytes, BytesRejection>) -> Response {
    let out = match body {
        // Notifications only: no JSON-RPC answer, an empty HTTP body.
        Ok(body) => match rpc::handle_body(&node, &body) {
            Some(out) => out,
            None => return StatusCode::NO_CONTENT.into_response(),
        },
        // An oversized or unreadable body is a JSON-RPC error too, not a bare HTTP one.
        Err(e) => serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600,
            "message": format!("unreadable request body (at most {MAX_BODY_BYTES} bytes): {}", e.body_text())}}),
    };
    let mut resp = (StatusCode::OK, serde_json::to_vec(&out).unwrap_or_default()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Starts a devnet and serves JSON-RPC until [`DevnetHandle::shutdown`].
pub async fn spawn(config: DevnetConfig) -> Result<DevnetHandle, DevnetError> {
    let node = build_node(&config)?;
    serve(node, &config).await
}

/// Serves an already built node.
pub async fn serve(node: Node, config: &DevnetConfig) -> Result<DevnetHandle, DevnetError> {
    let listener = peaqos_server::bind(&config.host, config.port).await?;
    let app = axum::Router::new()
        .route("/", axum::routing::post(rpc_handler))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(node.clone());
    let server = peaqos_server::serve(listener, app)?;
    let miner = config.block_time.map(|period| {
        let node = node.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                node.mine();
            }
        })
    });
    tracing::info!(addr = %server.addr(), "devnet listening");
    Ok(DevnetHandle {
        node,
        server,
        miner,
    })
}

/// The `.env` for the CLI and SDK (ours and peaq's): network, RPC, dev account 0's key, every
/// contract address, the local MCR API and Gas Station URLs. Callers running the services on other
/// ports `set` their URLs before rendering.
pub fn env_file(rpc_url: &str, deployment: &Deployment) -> peaqos_types::EnvFile {
    use peaqos_types::constants::{DEFAULT_GAS_STATION_URL, DEFAULT_MCR_API_URL};
    let key = genesis::dev_signer(0).to_bytes();
    let mut f = peaqos_types::EnvFile::new();
    f.comment("Written by peaqos: a local devnet, dev account 0.")
        .set("PEAQOS_NETWORK", "devnet")
        .set("PEAQOS_RPC_URL", rpc_url)
        .set("PEAQOS_PRIVATE_KEY", &key.to_string())
        .set_addresses(&deployment.contract_addresses())
        .set("PEAQOS_MCR_API_URL", DEFAULT_MCR_API_URL)
        .set("PEAQOS_GAS_STATION_URL", DEFAULT_GAS_STATION_URL);
    f
}

/// [`env_file`] as text.
pub fn env_file_text(rpc_url: &str, deployment: &Deployment) -> String {
    env_file(rpc_url, deployment).render()
}

/// Writes `text` to `path` with mode 0600 (it holds a private key).
pub fn write_secret_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
