//! The local peaqOS stack in one process: the embedded devnet, the MCR service (indexer +
//! API), the Gas Station (funded from dev account 8), the ERC-4337 bundler (paying from dev
//! account 9) and, when LayerZero's packages are installed, the chain playing Base with the
//! Machine NFT bridge and its relayer (dev account 7), used by `peaqos up`, `peaqos demo` and
//! the tests.

use crate::CliError;
use crate::error::from_mcr;
use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use peaqos_bridge::{
    BridgeError, LzArtifacts, RelayChain, RelayerConfig, RelayerHandle, Side, SideDeployment,
};
use peaqos_contracts::{IdentityRegistry, MachineNFT};
use peaqos_devnet::{ChainKind, DevnetConfig, DevnetHandle};
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
/// The dev account whose key is the bridge's DVN verifier and pays the relayer's deliveries on
/// both chains (not 8: that is the Gas Station's hot wallet on peaq, and two writers of one
/// key's nonces would race).
pub const RELAYER_DEV_ACCOUNT: u32 = 7;

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
    /// The Base devnet's JSON-RPC (when the bridge runs).
    pub base: u16,
}

impl StackPorts {
    /// The default ports: 8545, 8000, 8090, 4337 and 8546 (Base).
    pub fn defaults() -> Self {
        Self {
            devnet: peaqos_types::constants::DEFAULT_DEVNET_PORT,
            mcr: peaqos_types::constants::DEFAULT_MCR_API_PORT,
            gas_station: 8090,
            bundler: peaqos_aa::DEFAULT_PORT,
            base: peaqos_devnet::DEFAULT_BASE_DEVNET_PORT,
        }
    }
    /// Free ports everywhere (tests, demo).
    pub fn ephemeral() -> Self {
        Self {
            devnet: 0,
            mcr: 0,
            gas_station: 0,
            bundler: 0,
            base: 0,
        }
    }
}

/// Whether [`start_stack_with`] runs the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BridgeMode {
    /// Run it when LayerZero's packages are installed (`cd contracts && npm ci`); otherwise run
    /// without it and say why ([`Stack::bridge_off`]).
    #[default]
    Auto,
    /// Do not run it (`--no-bridge`).
    Off,
}

/// What [`start_stack_with`] starts.
#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    /// Ports (0 picks a free one).
    pub ports: StackPorts,
    /// The peaq chain's state file; the databases, the Base chain (`base-chain.json`) and the
    /// relayer's cursor (`relayer.json`) live in `<state>.d/`.
    pub state: Option<PathBuf>,
    /// The bridge.
    pub bridge: BridgeMode,
    /// The `contracts/` directory LayerZero's bytecode is read from (`node_modules`); `None`:
    /// the source tree's.
    pub contracts_dir: Option<PathBuf>,
}

impl Default for StackPorts {
    fn default() -> Self {
        Self::defaults()
    }
}

/// The Base devnet, both sides of the Machine NFT bridge and the relayer between them.
#[derive(Debug)]
pub struct StackBridge {
    /// The chain playing Base (chain id 31338).
    pub base: DevnetHandle,
    /// The peaq side (MachineNFTAdapter and its endpoint).
    pub peaq_side: SideDeployment,
    /// The Base side (MachineNFTBase and its endpoint).
    pub base_side: SideDeployment,
    /// The relayer's address (dev account [`RELAYER_DEV_ACCOUNT`]).
    pub relayer_address: Address,
    /// The relayer's durable cursor.
    pub relayer_state: PathBuf,
    relayer: RelayerHandle,
}

impl StackBridge {
    /// The Base devnet's JSON-RPC URL.
    pub fn base_url(&self) -> String {
        self.base.url()
    }
    /// The ready line's / `--json`'s view of the bridge.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "enabled": true,
            "baseRpcUrl": self.base_url(),
            "baseChainId": peaqos_devnet::BASE_DEVNET_CHAIN_ID,
            "machineNftAdapter": self.peaq_side.oapp,
            "baseMachineNft": self.base_side.oapp,
            "peaq": self.peaq_side,
            "base": self.base_side,
            "relayer": {
                "address": self.relayer_address,
                "devAccount": RELAYER_DEV_ACCOUNT,
                "state": self.relayer_state,
            },
        })
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
    /// The Base devnet, the bridge and its relayer, when they run.
    pub bridge: Option<StackBridge>,
    /// Why the bridge does not run (`None` when it does).
    pub bridge_off: Option<String>,
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
    /// Contract addresses (with MachineNFTAdapter when the bridge runs).
    pub fn contracts(&self) -> ContractAddresses {
        let mut a = contracts_of(&self.devnet.deployment());
        if let Some(b) = &self.bridge {
            a.machine_nft_adapter = Some(b.peaq_side.oapp);
        }
        a
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
        if let Some(b) = &self.bridge {
            f.set_addresses(&self.contracts())
                .set(crate::devnet::BASE_RPC_URL, &b.base_url())
                .set(
                    crate::devnet::BASE_MACHINE_NFT_ADDRESS,
                    &b.base_side.oapp.to_string(),
                );
        }
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
    /// The ready line's / `--json`'s view of the bridge: its addresses and relayer, or
    /// `{"enabled": false, "reason": ...}`.
    pub fn bridge_summary(&self) -> serde_json::Value {
        match (&self.bridge, &self.bridge_off) {
            (Some(b), _) => b.summary(),
            (None, reason) => serde_json::json!({"enabled": false, "reason": reason}),
        }
    }
    /// Stops the services (the devnets save their state files when they have one).
    pub async fn shutdown(self) -> Result<(), CliError> {
        let bridge = match self.bridge {
            Some(b) => {
                let relayer = b.relayer.shutdown().await;
                let base = b.base.shutdown().await;
                Some((relayer, base))
            }
            None => None,
        };
        let bundler = self.bundler.shutdown().await;
        let gs = self.gas_station.shutdown().await;
        let mcr = self.mcr.shutdown().await;
        let dev = self.devnet.shutdown().await;
        bundler.map_err(|e| CliError::network(format!("bundler shutdown: {e}")))?;
        gs.map_err(|e| CliError::network(format!("Gas Station shutdown: {e}")))?;
        mcr.map_err(from_mcr)?;
        dev.map_err(|e| CliError::network(format!("devnet shutdown: {e}")))?;
        if let Some((relayer, base)) = bridge {
            relayer.map_err(|e| CliError::network(format!("relayer: {e}")))?;
            base.map_err(|e| CliError::network(format!("Base devnet shutdown: {e}")))?;
        }
        Ok(())
    }
}

/// [`start_stack_with`] with the bridge when LayerZero's packages are installed.
pub async fn start_stack(ports: StackPorts, state: Option<PathBuf>) -> Result<Stack, CliError> {
    start_stack_with(StackOptions {
        ports,
        state,
        ..StackOptions::default()
    })
    .await
}

/// Starts devnet, MCR service, Gas Station and bundler (and, per `bridge`, the Base devnet, the
/// bridge on both chains and the relayer) and returns once they answer (`eth_chainId` and
/// `/health`). With `state`, the chain is loaded from / saved to that file and the databases
/// live next to it (`<state>.d/`); otherwise everything is in a temporary directory.
pub async fn start_stack_with(opts: StackOptions) -> Result<Stack, CliError> {
    let StackOptions {
        ports,
        state,
        bridge: bridge_mode,
        contracts_dir,
    } = opts;
    let keep_state = state.is_some();
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

    let (bridge, bridge_off) = match bridge_mode {
        BridgeMode::Off => (None, Some("--no-bridge".to_string())),
        BridgeMode::Auto => {
            let dir = contracts_dir.unwrap_or_else(peaqos_bridge::deploy::default_contracts_dir);
            match LzArtifacts::load(&dir) {
                Ok(artifacts) => (
                    Some(start_bridge(&rpc, ports.base, &data_dir, keep_state, &artifacts).await?),
                    None,
                ),
                Err(e) => (None, Some(bridge_off_reason(&e))),
            }
        }
    };

    let mut mcr_cfg = McrServiceConfig::devnet(rpc.clone(), contracts);
    mcr_cfg.chain_id = Some(DEVNET_CHAIN_ID);
    mcr_cfg.listen = std::net::SocketAddr::from(([127, 0, 0, 1], ports.mcr));
    mcr_cfg.database_url = data_dir.join("mcr.sqlite").display().to_string();
    mcr_cfg.allow_loopback_partner_data = true;
    mcr_cfg.poll_interval = Duration::from_millis(100);
    // Trust level 1 is checked against both local chains, by their own ids and by the mainnet
    // ids the SDKs accept as `sourceChainId` (3338 peaq, 8453 Base), which the devnets stand in
    // for here as the devnet stands in for agung at the Gas Station. The Machine Card follows
    // the NFT.
    mcr_cfg
        .source_chain_rpcs
        .insert(DEVNET_CHAIN_ID, rpc.clone());
    mcr_cfg
        .source_chain_rpcs
        .insert(peaqos_types::constants::PEAQ_MAINNET_CHAIN_ID, rpc.clone());
    if let Some(b) = &bridge {
        mcr_cfg
            .source_chain_rpcs
            .insert(peaqos_devnet::BASE_DEVNET_CHAIN_ID, b.base_url());
        mcr_cfg
            .source_chain_rpcs
            .insert(peaqos_types::constants::BASE_CHAIN_ID, b.base_url());
        mcr_cfg.nft_bridge = Some(peaqos_mcr::NftBridgeConfig {
            adapter: b.peaq_side.oapp,
            base_nft: Some(b.base_side.oapp),
            base_rpc_url: Some(b.base_url()),
        });
    }
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
        bridge,
        bridge_off,
        data_dir,
        _temp: temp,
    };
    wait_ready(&stack, Duration::from_secs(30)).await?;
    Ok(stack)
}

/// The ready block's bridge lines: the Base devnet, the two OApps and the relayer, or one line
/// saying why the bridge is off.
pub fn print_bridge_lines(stack: &Stack) -> Result<(), CliError> {
    match (&stack.bridge, &stack.bridge_off) {
        (Some(b), _) => {
            crate::outln!(
                "  Base devnet  {}  (chain id {})",
                b.base_url(),
                peaqos_devnet::BASE_DEVNET_CHAIN_ID
            )?;
            crate::outln!(
                "  bridge       MachineNFTAdapter {} (eid {}) <-> MachineNFTBase {} (eid {})",
                b.peaq_side.oapp,
                b.peaq_side.eid,
                b.base_side.oapp,
                b.base_side.eid
            )?;
            crate::outln!(
                "  relayer      {} (dev account {}), cursor {}",
                b.relayer_address,
                RELAYER_DEV_ACCOUNT,
                b.relayer_state.display()
            )?;
        }
        (None, reason) => {
            crate::outln!(
                "  bridge       off: {}",
                reason.as_deref().unwrap_or("not started")
            )?;
        }
    }
    Ok(())
}

/// Why the bridge does not run, with how to enable it, on one line.
fn bridge_off_reason(e: &BridgeError) -> String {
    match e {
        // Both already say `cd contracts && npm ci`.
        BridgeError::LzNotInstalled { .. } | BridgeError::LzVersion { .. } => e.to_string(),
        other => format!("{other}; `cd contracts && npm ci` reinstalls LayerZero's packages"),
    }
}

/// The Base devnet (its chain in `<data>/base-chain.json` when the stack keeps state), the
/// bridge on both chains (idempotent: a reloaded chain keeps it) and the relayer, cursor in
/// `<data>/relayer.json`.
async fn start_bridge(
    peaq_rpc: &str,
    base_port: u16,
    data_dir: &Path,
    keep_state: bool,
    artifacts: &LzArtifacts,
) -> Result<StackBridge, CliError> {
    let mut cfg = DevnetConfig::of_kind(ChainKind::Base);
    cfg.port = base_port;
    cfg.state = keep_state.then(|| data_dir.join("base-chain.json"));
    let base = peaqos_devnet::spawn(cfg)
        .await
        .map_err(|e| CliError::network(format!("Base devnet: {e}")))?;
    let base_url = base.url();
    let relayer_key = base.signer(RELAYER_DEV_ACCOUNT);
    let relayer_address = relayer_key.address();
    // The peaq devnet's MachineNFT is at its deterministic genesis address.
    let machine_nft = peaqos_sdk::devnet_addresses().machine_nft;
    let owner = base.signer(0);
    let install = |url: String, side: Side| {
        let owner = owner.clone();
        async move {
            peaqos_bridge::install(&url, side, artifacts, owner, machine_nft, relayer_address)
                .await
                .map_err(|e| {
                    CliError::network(format!("installing the bridge ({}): {e}", side.name()))
                })
        }
    };
    let (peaq_side, base_side) = tokio::try_join!(
        install(peaq_rpc.to_string(), Side::Peaq),
        install(base_url.clone(), Side::Base)
    )?;
    let relayer_state = data_dir.join("relayer.json");
    let mut rc = RelayerConfig::new(
        RelayChain::from_deployment(peaq_rpc, &peaq_side),
        RelayChain::from_deployment(&base_url, &base_side),
        relayer_key,
        relayer_state.clone(),
    );
    rc.poll_interval = Duration::from_millis(100);
    let relayer =
        peaqos_bridge::spawn(rc).map_err(|e| CliError::network(format!("relayer: {e}")))?;
    Ok(StackBridge {
        base,
        peaq_side,
        base_side,
        relayer_address,
        relayer_state,
        relayer,
    })
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
