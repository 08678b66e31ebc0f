//! `peaqos up`: devnet + MCR service + Gas Station + bundler (+ the Base devnet, the Machine NFT
//! bridge and its relayer) in one process.

use crate::CliError;
use crate::stack::{BridgeMode, StackOptions, StackPorts, start_stack_with};
use crate::ui::Ui;
use clap::Args;
use std::path::PathBuf;

/// Run the whole local stack: the embedded devnet, the MCR service (indexer + API), the Gas
/// Station (funded from dev account 8) and the ERC-4337 bundler (paying from dev account 9), all on
/// 127.0.0.1; with LayerZero's packages installed (`cd contracts && npm ci`) also the chain playing
/// Base (chain id 31338), the Machine NFT bridge on both chains and its relayer (dev account 7).
///
/// Examples:
///   peaqos up --env-out .env                 # then: peaqos whoami, peaqos activate, ...
///   peaqos up --state chain.json             # keep chain and databases across restarts
///   peaqos up --with-node                    # and the ROS 2 node peaqos_node (see peaqos node)
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct UpArgs {
    /// Write a ready .env (mode 0600): RPC, dev account 0's key, contracts, MCR, Gas Station and bundler URLs.
    #[arg(long, value_name = "FILE")]
    pub env_out: Option<PathBuf>,
    /// Load the chain from FILE when it exists and save it there on Ctrl-C; the databases live in FILE.d/.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Devnet JSON-RPC port (0 picks a free one).
    #[arg(long, default_value_t = 8545)]
    pub devnet_port: u16,
    /// MCR API port.
    #[arg(long, default_value_t = 8000)]
    pub mcr_port: u16,
    /// Gas Station port.
    #[arg(long, default_value_t = 8090)]
    pub gas_station_port: u16,
    /// ERC-4337 bundler port.
    #[arg(long, default_value_t = 4337)]
    pub bundler_port: u16,
    /// JSON-RPC port of the devnet playing Base (chain id 31338; 0 picks a free one).
    #[arg(long, default_value_t = 8546)]
    pub base_port: u16,
    /// Run without the Base devnet, the Machine NFT bridge and the relayer.
    #[arg(long)]
    pub no_bridge: bool,
    /// Print the ready line as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also run the ROS 2 node `peaqos_node` in this process, on this stack's RPC, contracts, MCR
    /// API and Gas Station (ROS side from ROS_DOMAIN_ID / RMW_IMPLEMENTATION, as `peaqos node`).
    #[arg(long)]
    pub with_node: bool,
    /// peaq_robot.yaml for --with-node: wallet registry, default addresses, limits (the stack's
    /// URLs and contracts win over it).
    #[arg(long, value_name = "FILE", requires = "with_node")]
    pub node_config: Option<PathBuf>,
}

/// Runs until Ctrl-C.
pub async fn run(args: UpArgs, ui: &Ui) -> Result<(), CliError> {
    let ports = StackPorts {
        devnet: args.devnet_port,
        mcr: args.mcr_port,
        gas_station: args.gas_station_port,
        bundler: args.bundler_port,
        base: args.base_port,
    };
    ui.info("starting devnet, MCR service, Gas Station and bundler ...");
    let stack = start_stack_with(StackOptions {
        ports,
        state: args.state.clone(),
        bridge: if args.no_bridge {
            BridgeMode::Off
        } else {
            BridgeMode::Auto
        },
        contracts_dir: crate::env::var("PEAQOS_CONTRACTS_DIR").map(PathBuf::from),
    })
    .await?;
    if let Some(p) = &args.env_out {
        peaqos_devnet::write_secret_file(p, &stack.env_text())
            .map_err(|e| CliError::config(format!("cannot write {}: {e}", p.display())))?;
    }
    let node = if args.with_node {
        Some(crate::node::start_for_stack(&stack, args.node_config.as_deref()).await?)
    } else {
        None
    };
    if args.json {
        crate::outln!(
            "{}",
            serde_json::json!({
                "status": "ready",
                "rpcUrl": stack.rpc_url(),
                "chainId": peaqos_types::constants::DEVNET_CHAIN_ID,
                "mcrApiUrl": stack.mcr_url(),
                "dashboardUrl": format!("{}/dashboard", stack.mcr_url()),
                "gasStationUrl": stack.gas_station_url(),
                "bundlerUrl": stack.bundler_url(),
                "contracts": stack.devnet.deployment(),
                "bridge": stack.bridge_summary(),
                "envFile": args.env_out,
                "ros2Node": node.as_ref().map(crate::node::ready_json),
            })
        )?;
    } else {
        crate::outln!("peaqos up: ready")?;
        crate::outln!(
            "  devnet       {}  (chain id {})",
            stack.rpc_url(),
            peaqos_types::constants::DEVNET_CHAIN_ID
        )?;
        crate::outln!("  MCR API      {}", stack.mcr_url())?;
        crate::outln!("  dashboard    {}/dashboard", stack.mcr_url())?;
        crate::outln!(
            "  Gas Station  {}  (hot wallet: dev account {})",
            stack.gas_station_url(),
            crate::stack::GAS_STATION_DEV_ACCOUNT
        )?;
        crate::outln!(
            "  bundler      {}  (EntryPoint v0.6 {}, pays from dev account {})",
            stack.bundler_url(),
            stack.devnet.deployment().entry_point,
            crate::stack::BUNDLER_DEV_ACCOUNT
        )?;
        crate::stack::print_bridge_lines(&stack)?;
        if let Some(n) = &node {
            crate::outln!(
                "  ROS 2 node   /peaqos_node  ({})",
                crate::node::ready_text(n)
            )?;
        }
        if let Some(p) = &args.env_out {
            crate::outln!("  env file     {} (mode 0600)", p.display())?;
        }
    }
    peaqos_server::until_ctrl_c()
        .await
        .map_err(|e| CliError::user(e.to_string()))?;
    drop(node);
    ui.info(if args.state.is_some() {
        "shutting down and saving state"
    } else {
        "shutting down"
    });
    stack.shutdown().await
}
