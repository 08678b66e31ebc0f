//! `peaqos devnet`.

use crate::CliError;
use clap::Args;
use peaqos_devnet::{ChainKind, DevnetConfig, DevnetError};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Run an embedded local peaq chain.
///
/// Serves Ethereum JSON-RPC with the peaq precompiles (DID 0x…0800, Batch 0x…0805, native ERC-20
/// 0x…0809) and the peaqOS contracts deployed behind their proxies. Ten dev accounts from the
/// mnemonic "test test … junk" hold 10,000 PEAQ each; account 0 owns the contracts.
///
/// Examples:
///   peaqos devnet --env-out .env            # start, write a ready .env for the CLI and SDK
///   peaqos devnet --state chain.json        # keep everything across restarts
///   peaqos devnet --block-time 6            # 6 s blocks like peaq mainnet
///   peaqos devnet --chain base              # a second chain playing Base (id 31338, port 8546)
///   peaqos devnet --bridge --env-out .env   # with LayerZero and the Machine NFT bridge (peaq side)
///   peaqos devnet --chain base --bridge --env-out .env   # ... and its Base side
///   peaqos relayer run --dev                # then relay between them
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DevnetArgs {
    /// Which chain to run: peaq (id 31337, precompiles, peaqOS contracts) or base (id 31338, the
    /// same dev accounts, no peaq precompiles or contracts).
    #[arg(long, value_enum, default_value_t = Chain::Peaq)]
    chain: Chain,
    /// Address to listen on. Anything but loopback exposes the dev keys' chain to the network.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// JSON-RPC port (0 picks a free one) [default: 8545 for peaq, 8546 for base].
    #[arg(long, short)]
    port: Option<u16>,
    /// Seconds between blocks. Without it every transaction is mined at once in its own block.
    #[arg(long, value_name = "SECS", value_parser = parse_block_time)]
    block_time: Option<Duration>,
    /// Load the chain from FILE when it exists; save it there on Ctrl-C (and on `peaqos_saveState`).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Write a `.env` (mode 0600) with the RPC URL, dev account 0's key and every contract address.
    #[arg(long, value_name = "FILE")]
    env_out: Option<PathBuf>,
    /// Widest block range one eth_getLogs call may ask for.
    #[arg(long, default_value_t = 10_000, value_name = "BLOCKS")]
    max_log_range: u64,
    /// Base URL of the MCR API, used by the NFTs' tokenURI.
    #[arg(long, value_name = "URL", default_value = peaqos_types::constants::DEFAULT_MCR_API_URL)]
    token_uri_base: String,
    /// Print the ready line as one JSON object (rpc url, chain id, accounts, contracts).
    #[arg(long)]
    json: bool,
    /// Deploy LayerZero (EndpointV2 with eid 30302 on peaq / 30184 on base, SendUln302 and
    /// ReceiveUln302) from contracts/node_modules, a local DVN and executor, and this chain's side
    /// of the Machine NFT bridge
    /// (MachineNFTAdapter / MachineNFTBase), peered with the other side's deterministic address.
    /// Dev account 8 is the relayer (the DVN's one verifier). Needs `cd contracts && npm ci`.
    #[arg(long)]
    bridge: bool,
}

/// `--chain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Chain {
    /// The peaq devnet.
    Peaq,
    /// The chain playing Base for the bridge.
    Base,
}

impl From<Chain> for ChainKind {
    fn from(c: Chain) -> Self {
        match c {
            Chain::Peaq => ChainKind::Peaq,
            Chain::Base => ChainKind::Base,
        }
    }
}

fn parse_block_time(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err("block time must be between 0 and 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn devnet_error(e: DevnetError) -> CliError {
    match e {
        DevnetError::State { .. } => CliError::config(e.to_string()),
        DevnetError::Server(_) => CliError::network(e.to_string()),
        other => CliError::user(other.to_string()),
    }
}

/// Runs the devnet until Ctrl-C.
pub async fn run(args: DevnetArgs, quiet: bool) -> Result<(), CliError> {
    let started = Instant::now();
    let kind = ChainKind::from(args.chain);
    let mut config = DevnetConfig::of_kind(kind);
    config.host = args.host.clone();
    config.port = args.port.unwrap_or(kind.default_port());
    config.block_time = args.block_time;
    config.state = args.state.clone();
    config.chain.max_log_range = args.max_log_range.max(1);
    config.base_uri = Some(args.token_uri_base.trim_end_matches('/').to_string());
    if !is_loopback(&args.host) {
        tracing::warn!(host = %args.host, "listening beyond loopback: anyone who can reach this port can use the dev accounts");
    }
    let handle = peaqos_devnet::spawn(config).await.map_err(devnet_error)?;
    let url = handle.url();
    let d = handle.deployment();
    let bridge = if args.bridge {
        Some(install_bridge(kind, &url).await?)
    } else {
        None
    };
    if let Some(path) = &args.env_out {
        let text = match kind {
            ChainKind::Peaq => {
                let mut f = peaqos_devnet::env_file(&url, &d);
                if let Some(b) = &bridge {
                    let mut a = d.contract_addresses();
                    a.machine_nft_adapter = Some(b.oapp);
                    f.set_addresses(&a);
                }
                f.render()
            }
            // The Base devnet adds its entries to the peaq devnet's file (or starts one).
            ChainKind::Base => {
                let mut f = match std::fs::read_to_string(path) {
                    Ok(t) => peaqos_types::EnvFile::parse(&t),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        peaqos_types::EnvFile::new()
                    }
                    Err(e) => {
                        return Err(CliError::config(format!(
                            "cannot read {}: {e}",
                            path.display()
                        )));
                    }
                };
                f.set(BASE_RPC_URL, &url);
                if let Some(b) = &bridge {
                    f.set(BASE_MACHINE_NFT_ADDRESS, &b.oapp.to_string());
                }
                f.render()
            }
        };
        peaqos_devnet::write_secret_file(path, &text)
            .map_err(|e| CliError::config(format!("cannot write {}: {e}", path.display())))?;
    }
    let accounts = handle.node().accounts().to_vec();
    if args.json {
        let v = serde_json::json!({
            "rpcUrl": url,
            "chainId": handle.node().chain_id(),
            "accounts": accounts,
            "contracts": d,
            "bridge": bridge,
            "startupMs": started.elapsed().as_millis() as u64,
        });
        crate::outln!("{v}")?;
    } else if !quiet {
        crate::outln!(
            "peaqos devnet (chain id {}) on {url}",
            handle.node().chain_id()
        )?;
        crate::outln!()?;
        crate::outln!(
            "Dev accounts (10,000 PEAQ each; mnemonic \"test test ... junk\", m/44'/60'/0'/0/i):"
        )?;
        for (i, a) in accounts.iter().enumerate() {
            crate::outln!("  ({i}) {a}")?;
        }
        crate::outln!()?;
        if kind == ChainKind::Base {
            crate::outln!(
                "No peaq precompiles and no peaqOS contracts (a chain playing Base for the bridge)."
            )?;
        } else {
            print_peaq_contracts(&d)?;
        }
        if let Some(b) = &bridge {
            crate::outln!()?;
            crate::outln!("Machine NFT bridge (LayerZero V2, eid {}):", b.eid)?;
            crate::outln!("  EndpointV2        {}", b.endpoint)?;
            crate::outln!("  SendUln302        {}", b.send_lib)?;
            crate::outln!("  ReceiveUln302     {}", b.receive_lib)?;
            crate::outln!("  LocalDVN          {}", b.dvn)?;
            crate::outln!("  LocalExecutor     {}", b.executor)?;
            let name = match kind {
                ChainKind::Peaq => "MachineNFTAdapter",
                ChainKind::Base => "MachineNFTBase   ",
            };
            crate::outln!("  {name} {}", b.oapp)?;
            crate::outln!("  peer              {}", b.peer)?;
            crate::outln!(
                "  verifier          {} (dev account 8: peaqos relayer run --dev)",
                b.verifier
            )?;
        }
        if let Some(p) = &args.env_out {
            crate::outln!()?;
            crate::outln!(
                "Wrote {} (mode 0600). Private keys are never printed.",
                p.display()
            )?;
        }
        if let Some(p) = &args.state {
            crate::outln!("State file: {} (saved on Ctrl-C)", p.display())?;
        }
        crate::outln!()?;
        crate::outln!(
            "peaqos devnet: ready in {} ms",
            started.elapsed().as_millis()
        )?;
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::user(format!("cannot wait for Ctrl-C: {e}")))?;
    eprintln!(
        "shutting down{}",
        if args.state.is_some() {
            " and saving state"
        } else {
            ""
        }
    );
    handle.shutdown().await.map_err(devnet_error)?;
    Ok(())
}

/// `BASE_RPC_URL`: the Base chain's JSON-RPC URL (peaq's SDK takes it for bridging from Base).
pub const BASE_RPC_URL: &str = "BASE_RPC_URL";
/// `BASE_MACHINE_NFT_ADDRESS`: MachineNFTBase on the Base chain.
pub const BASE_MACHINE_NFT_ADDRESS: &str = "BASE_MACHINE_NFT_ADDRESS";

/// Deploys this chain's side of the bridge (idempotent: a reloaded state keeps it).
async fn install_bridge(
    kind: ChainKind,
    url: &str,
) -> Result<peaqos_bridge::SideDeployment, CliError> {
    let artifacts = peaqos_bridge::LzArtifacts::locate_with(&|k| std::env::var(k).ok())
        .map_err(|e| CliError::config(e.to_string()))?;
    let side = match kind {
        ChainKind::Peaq => peaqos_bridge::Side::Peaq,
        ChainKind::Base => peaqos_bridge::Side::Base,
    };
    // The peaq devnet's MachineNFT is at its deterministic genesis address on both sides.
    let machine_nft = peaqos_sdk::devnet_addresses().machine_nft;
    let relayer =
        peaqos_devnet::genesis::dev_signer(peaqos_bridge::deploy::DEFAULT_RELAYER_DEV_INDEX);
    peaqos_bridge::install(
        url,
        side,
        &artifacts,
        peaqos_devnet::genesis::dev_signer(0),
        machine_nft,
        relayer.address(),
    )
    .await
    .map_err(|e| CliError::network(format!("installing the bridge: {e}")))
}

fn print_peaq_contracts(d: &peaqos_devnet::Deployment) -> Result<(), CliError> {
    crate::outln!("Contracts (owner: account 0):")?;
    crate::outln!("  IdentityRegistry  {}", d.identity_registry)?;
    crate::outln!("  IdentityStaking   {}", d.identity_staking)?;
    crate::outln!("  EventRegistry     {}", d.event_registry)?;
    crate::outln!("  MachineNFT        {}", d.machine_nft)?;
    crate::outln!("  AdminFlags        {}", d.admin_flags)?;
    crate::outln!(
        "  DID precompile    {}",
        peaqos_types::constants::DID_PRECOMPILE_ADDRESS
    )?;
    crate::outln!(
        "  Batch precompile  {}",
        peaqos_types::constants::BATCH_PRECOMPILE_ADDRESS
    )?;
    crate::outln!(
        "  Native ERC-20     {}",
        peaqos_types::constants::NATIVE_ERC20_PRECOMPILE_ADDRESS
    )?;
    Ok(())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
