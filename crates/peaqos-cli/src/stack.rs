//! The local peaqOS stack in one process: the embedded devnet, the MCR service (indexer +
//! API), the Gas Station (funded from dev account 8) and the ERC-4337 bundler (paying from dev
//! account 9), used by `peaqos up`, `peaqos demo` and the tests.

use crate::CliError;
use crate::error::from_mcr;
use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use peaqos_contracts::{IdentityRegistry, MachineNFT};
use peaqos_devnet::{DevnetConfig, DevnetHandle};
use peaqos_gas_station::{ChainSettings, GasStationConfig, GasStationHandle, ServerKey};
use peaqos_mcr::{McrHandle, McrServiceConfig};
use peaqos_sdk::{PeaqosClient, PeaqosConfig, PrivateKey};
use peaqos_types::ContractAddresses;
use peaqos_types::constants::DEVNET_CHAIN_ID;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The dev account whose key funds the Gas Station's hot wallet.
pub const GAS_STATION_DEV_ACCOUNT: u32 = 8;
/// The dev account whose key signs and pays the bundler's `handleOps`.
pub const BUNDLER_DEV_ACCOUNT: u32 = 9;

/// Ports of the services (0 picks a free one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackPorts {
    /// Devnet JSON-RPC.
    pub devnet: u16,
    /// MCR API.
    pub mcr: u16,
    /// Gas Station API.
    pub gas_station: u16,
    /// ERC-4337 bundler JSON-RPC.
    pub bundler: u16,
}

impl StackPorts {
    /// The default ports: 8545, 8000, 8090, 4337.
    pub fn defaults() -> Self {
        Self {
            devnet: peaqos_types::constants::DEFAULT_DEVNET_PORT,
            mcr: peaqos_types::constants::DEFAULT_MCR_API_PORT,
            gas_station: 8090,
            bundler: peaqos_aa::DEFAULT_PORT,
        }
    }
    /// Free ports everywhere (tests, demo).
    pub fn ephemeral() -> Self {
        Self {
            devnet: 0,
            mcr: 0,
            gas_station: 0,
            bundler: 0,
        }
    }
}

/// A running stack. Dropping it without [`Stack::shutdown`] stops the servers without saving.
#[derive(Debug)]
pub struct Stack {
    /// The devnet.
    pub devnet: DevnetHandle,
    /// The MCR service.
    pub mcr: McrHandle,
    /// The Gas Station.
    pub gas_station: GasStationHandle,
    /// The ERC-4337 bundler.
    pub bundler: peaqos_aa::BundlerHandle,
    data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

/// The devnet's contracts as the SDK's address set.
pub fn contracts_of(d: &peaqos_devnet::Deployment) -> ContractAddresses {
    d.contract_addresses()
}

impl Stack {
    /// Devnet JSON-RPC URL.
    pub fn rpc_url(&self) -> String {
        self.devnet.url()
    }
    /// MCR API URL.
    pub fn mcr_url(&self) -> String {
        self.mcr.url()
    }
    /// Gas Station URL.
    pub fn gas_station_url(&self) -> String {
        self.gas_station.url()
    }
    /// Bundler URL.
    pub fn bundler_url(&self) -> String {
        self.bundler.url()
    }
    /// Contract addresses.
    pub fn contracts(&self) -> ContractAddresses {
        contracts_of(&self.devnet.deployment())
    }
    /// Dev account `i`'s signer (10,000 PEAQ at genesis).
    pub fn dev_signer(&self, i: u32) -> PrivateKeySigner {
        self.devnet.signer(i)
    }
    /// Where the SQLite databases and the Gas Station server key live.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
    /// A ready `.env` for the CLI and SDKs (dev account 0's key, the stack's URLs).
    pub fn env_text(&self) -> String {
        let mut f = peaqos_devnet::env_file(&self.rpc_url(), &self.devnet.deployment());
        f.set("PEAQOS_MCR_API_URL", &self.mcr_url())
            .set("PEAQOS_GAS_STATION_URL", &self.gas_station_url())
            .set("PEAQOS_BUNDLER_URL", &self.bundler_url());
        f.render()
    }
    /// Waits until the MCR indexer has processed the chain's current head.
    pub async fn wait_indexed(&self, timeout: Duration) -> Result<(), CliError> {
        let head = self.devnet.node().read(|c| c.latest().header.number);
        self.mcr
            .wait_for_block(head, timeout)
            .await
            .map_err(from_mcr)
    }
    /// Stops the services (the devnet saves its state file when it has one).
    pub async fn shutdown(self) -> Result<(), CliError> {
        let bundler = self.bundler.shutdown().await;
        let gs = self.gas_station.shutdown().await;
        let mcr = self.mcr.shutdown().await;
        let dev = self.devnet.shutdown().await;
        bundler.map_err(|e| CliError::network(format!("bundler shutdown: {e}")))?;
        gs.map_err(|e| CliError::network(format!("Gas Station shutdown: {e}")))?;
        mcr.map_err(from_mcr)?;
        dev.map_err(|e| CliError::network(format!("devnet shutdown: {e}")))?;
        Ok(())
    }
}

/// Starts devnet, MCR service and Gas Station and returns once all three answer (`eth_chainId`
/// and `/health`). With `state`, the chain is loaded from / saved to that file and the
/// databases live next to it (`<state>.d/`); otherwise everything is in a temporary directory.
pub async fn start_stack(ports: StackPorts, state: Option<PathBuf>) -> Result<Stack, CliError> {
    let (data_dir, temp) = match &state {
        Some(s) => {
            let mut d = s.clone().into_os_string();
            d.push(".d");
            let d = PathBuf::from(d);
            std::fs::create_dir_all(&d)
                .map_err(|e| CliError::config(format!("cannot create {}: {e}", d.display())))?;
            (d, None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("peaqos-up-")
                .tempdir()
                .map_err(|e| {
                    CliError::config(format!("cannot create a temporary directory: {e}"))
                })?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let devnet = peaqos_devnet::spawn(DevnetConfig {
        port: ports.devnet,
        state,
        base_uri: Some(format!("http://127.0.0.1:{}", ports.mcr)),
        ..DevnetConfig::default()
    })
    .await
    .map_err(|e| CliError::network(format!("devnet: {e}")))?;
    let rpc = devnet.url();
    let contracts = contracts_of(&devnet.deployment());

    let mut mcr_cfg = McrServiceConfig::devnet(rpc.clone(), contracts);
    mcr_cfg.chain_id = Some(DEVNET_CHAIN_ID);
    mcr_cfg.listen = std::net::SocketAddr::from(([127, 0, 0, 1], ports.mcr));
    mcr_cfg.database_url = data_dir.join("mcr.sqlite").display().to_string();
    mcr_cfg.allow_loopback_partner_data = true;
    mcr_cfg.poll_interval = Duration::from_millis(100);
    let mcr = peaqos_mcr::spawn(mcr_cfg).await.map_err(from_mcr)?;
    // The devnet started before the MCR service had its port (0: picked now; a saved chain:
    // whatever port it was saved with): point tokenURI at the service actually listening.
    sync_base_uri(&devnet, &mcr.url()).await?;

    let key = ServerKey::load_or_create(&data_dir.join("gas-station.key"))
        .map_err(|e| CliError::config(format!("Gas Station key: {e}")))?;
    let mut chain = ChainSettings::new(
        DEVNET_CHAIN_ID,
        rpc.clone(),
        devnet.signer(GAS_STATION_DEV_ACCOUNT),
    );
    // peaq's CLI knows only mainnet and testnet and asks for chain "agung" on every non-mainnet
    // network: in this local stack the devnet stands in for agung (the Gas Station pays nothing
    // on a real agung here).
    chain.aliases.push("agung".into());
    let mut gs_cfg = GasStationConfig::new(
        format!("sqlite://{}", data_dir.join("gas-station.db").display()),
        key,
        vec![chain],
    );
    gs_cfg.port = ports.gas_station;
    gs_cfg.replica_id = "peaqos-up".into();
    let gas_station = peaqos_gas_station::spawn(gs_cfg)
        .await
        .map_err(|e| CliError::network(format!("Gas Station: {e}")))?;

    let mut bundler_cfg =
        peaqos_aa::BundlerConfig::new(rpc.clone(), devnet.signer(BUNDLER_DEV_ACCOUNT));
    bundler_cfg.port = ports.bundler;
    bundler_cfg.entry_point = devnet.deployment().entry_point;
    let bundler = peaqos_aa::spawn(bundler_cfg)
        .await
        .map_err(|e| CliError::network(format!("bundler: {e}")))?;

    let stack = Stack {
        devnet,
        mcr,
        gas_station,
        bundler,
        data_dir,
        _temp: temp,
    };
    wait_ready(&stack, Duration::from_secs(30)).await?;
    Ok(stack)
}

/// Points `tokenURI` of the IdentityRegistry (`{base}/machines/{id}`) and of the MachineNFT
/// (`{base}/metadata/{id}`) at `mcr_url`: `setBaseURI` from dev account 0 (the contracts'
/// owner) on each contract whose current base (its latest `BaseURISet` log: the contracts have
/// no getter) differs. Returns how many contracts changed.
pub async fn sync_base_uri(devnet: &DevnetHandle, mcr_url: &str) -> Result<usize, CliError> {
    use alloy::providers::Provider;
    use alloy::rpc::types::Filter;
    use alloy::sol_types::SolEvent;
    let contracts = contracts_of(&devnet.deployment());
    let owner = PeaqosClient::new(PeaqosConfig::new(
        devnet.url(),
        Some(PrivateKey::from(&devnet.signer(0))),
        contracts,
    ))?;
    let want = mcr_url.trim_end_matches('/').to_string();
    let mut changed = 0;
    for (to, topic, call) in [
        (
            contracts.identity_registry,
            IdentityRegistry::BaseURISet::SIGNATURE_HASH,
            IdentityRegistry::setBaseURICall {
                newBaseURI: want.clone(),
            }
            .abi_encode(),
        ),
        (
            contracts.machine_nft,
            MachineNFT::BaseURISet::SIGNATURE_HASH,
            MachineNFT::setBaseURICall {
                _baseURI: want.clone(),
            }
            .abi_encode(),
        ),
    ] {
        let filter = Filter::new()
            .address(to)
            .event_signature(topic)
            .from_block(0u64);
        let logs =
            owner.provider().get_logs(&filter).await.map_err(|e| {
                CliError::network(format!("[RPC_ERROR] eth_getLogs BaseURISet: {e}"))
            })?;
        let current = logs
            .last()
            .and_then(|l| IdentityRegistry::BaseURISet::decode_log_data(l.data()).ok())
            .map(|e| e.baseURI);
        if current.as_deref() == Some(want.as_str()) {
            continue;
        }
        let r = owner.send_transaction(to, call.into(), U256::ZERO).await?;
        if !r.status() {
            return Err(CliError::network(format!(
                "[TX_REVERTED] setBaseURI({want}) on {to} reverted"
            )));
        }
        changed += 1;
    }
    Ok(changed)
}

/// Polls the three services until they answer or `timeout` passes.
async fn wait_ready(stack: &Stack, timeout: Duration) -> Result<(), CliError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| CliError::network(format!("HTTP client: {e}")))?;
    let deadline = Instant::now() + timeout;
    let rpc = stack.rpc_url();
    let body = serde_json::json!({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]});
    let mut last = String::new();
    loop {
        let chain = http.post(&rpc).json(&body).send().await;
        let chain_ok = match chain {
            Ok(r) => {
                r.json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|v| v["result"].as_str().map(str::to_owned))
                    == Some(format!("{DEVNET_CHAIN_ID:#x}"))
            }
            Err(e) => {
                last = format!("devnet: {e}");
                false
            }
        };
        let mut health_ok = true;
        for (name, url) in [
            ("MCR API", stack.mcr_url()),
            ("Gas Station", stack.gas_station_url()),
        ] {
            match http.get(format!("{url}/health")).send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => {
                    health_ok = false;
                    last = format!("{name}: /health answered {}", r.status());
                }
                Err(e) => {
                    health_ok = false;
                    last = format!("{name}: {e}");
                }
            }
        }
        if chain_ok && health_ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(CliError::network(format!(
                "the stack did not become ready: {last}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
