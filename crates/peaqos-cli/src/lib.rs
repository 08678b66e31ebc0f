//! `peaqos`: the terminal face of peaqOS, as a library so tests can start the same stack
//! ([`stack::start_stack`]) the `up` and `demo` commands run.
//!
//! Exit codes: 0 success, 1 user / validation / usage error, 2 network / RPC / chain / API
//! error, 3 configuration error ([`CliError`], the table in [`error::exit`]). A closed stdout
//! (`peaqos show ... | head -1`) is a normal end.

pub mod account;
pub mod activate;
pub mod bench;
pub mod bridge;
pub mod bundler;
pub mod demo;
pub mod devnet;
pub mod env;
pub mod error;
pub mod init;
pub mod journal;
pub mod mcp;
pub mod node;
pub mod out;
pub mod qualify;
pub mod relayer;
pub mod show;
pub mod skill;
pub mod stack;
pub mod ui;
pub mod up;
pub mod whoami;

pub use error::CliError;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// peaqOS: on-chain identity, events and credit ratings for machines.
#[derive(Debug, Parser)]
#[command(name = "peaqos", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More output: progress details, error causes (repeat for debug logs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors (no progress on stderr).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// The .env file to read (variables already set in the shell win).
    #[arg(long, global = true, value_name = "FILE", default_value = ".env")]
    pub env_file: PathBuf,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a .env (mode 0600): network, key, RPC / MCR / Gas Station URLs, contract addresses.
    Init(init::InitArgs),
    /// Show the configured identity: address, network, RPC, chain id, balance, contracts.
    Whoami(whoami::WhoamiArgs),
    /// Activate a machine in six idempotent steps (balance, 2FA, funding, register, NFT, DID).
    Activate(activate::ActivateArgs),
    /// Submit events and read ratings (event, events, mcr).
    #[command(subcommand)]
    Qualify(qualify::QualifyCommand),
    /// Read machine profiles and operator fleets from the MCR API.
    #[command(subcommand)]
    Show(show::ShowCommand),
    /// Devnet + MCR service + Gas Station in one process, ready for the CLI and SDKs.
    Up(up::UpArgs),
    /// A fleet of machines with 90 days of history, rated, on an embedded stack (under a minute).
    Demo(demo::DemoArgs),
    /// Run an embedded local peaq chain (JSON-RPC on 127.0.0.1:8545, contracts deployed).
    Devnet(devnet::DevnetArgs),
    /// The Gas Station: a 2FA-gated faucet funding fresh machine wallets.
    #[command(name = "gas-station", subcommand)]
    GasStation(GasStationCommand),
    /// The MCR service: chain indexer, scoring and the MCR API.
    #[command(subcommand)]
    Mcr(McrCommand),
    /// OWS vault wallets: create, import, list, show, use, export, delete.
    #[command(subcommand)]
    Wallet(peaqos_wallet::cli::WalletCommand),
    /// Move a Machine NFT between peaq and Base (send, wait, status).
    #[command(subcommand)]
    Bridge(bridge::BridgeCommand),
    /// The LayerZero relayer between the peaq and Base chains (run, status).
    #[command(subcommand)]
    Relayer(relayer::RelayerCommand),
    /// Measure transaction throughput of the embedded devnet (or of a local node with --rpc).
    Bench(bench::BenchArgs),
    /// An ERC-4337 v0.6 bundler against any JSON-RPC node (127.0.0.1:4337 by default).
    Bundler(bundler::BundlerArgs),
    /// Machine smart accounts: address, deploy, call (through a bundler), status.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// The peaqOS ROS 2 node (peaqos_node) on DDS: `--config peaq_robot.yaml`, against any RPC.
    Node(node::NodeArgs),
    /// An MCP server on stdio for AI agents: whoami, activate, events, ratings, fleet, funding.
    Mcp(mcp::McpArgs),
    /// The peaqos agent skill: install it for Claude Code, Cursor or Windsurf.
    #[command(subcommand)]
    Skill(skill::SkillCommand),
}

/// `peaqos gas-station ...`.
#[derive(Debug, Subcommand)]
pub enum GasStationCommand {
    /// Serve the Gas Station API (127.0.0.1:8090 by default).
    Serve(peaqos_gas_station::cli::ServeArgs),
}

/// `peaqos mcr ...`.
#[derive(Debug, Subcommand)]
pub enum McrCommand {
    /// Serve the MCR API (127.0.0.1:8000 by default) and index the chain.
    Serve(peaqos_mcr::cli::ServeArgs),
}

fn init_tracing(verbose: u8, quiet: bool, command: &Command) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0 | 1) => "warn",
        (false, 2) => "info,peaqos=debug",
        _ => "debug",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("PEAQOS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    if matches!(command, Command::Mcp(_)) {
        // rmcp's debug lines dump every request, tool arguments (2FA codes) included.
        filter = filter.add_directive(mcp::LOG_CAP.parse().expect("a valid directive"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// The exit code of a command line clap refused or answered itself: `--help` and
/// `--version` succeed (0); a usage error and a missing subcommand (a bare `peaqos`, or
/// `peaqos qualify`, which print the help on stderr) are user errors (1), where clap would
/// give 2 and 0.
pub fn parse_exit_code(kind: clap::error::ErrorKind) -> u8 {
    match kind {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            error::exit::OK
        }
        _ => error::exit::USER,
    }
}

/// The binary's entry point: parse, load the env file, start tracing, run, map errors to exit
/// codes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(parse_exit_code(e.kind()));
        }
    };
    let verbose = cli.verbose;
    // Before any thread exists: variables from the env file, the shell's winning. Tracing
    // starts after it, so `PEAQOS_LOG` set in the file counts.
    let loaded = env::load_env_file(&cli.env_file, &cli.command);
    init_tracing(cli.verbose, cli.quiet, &cli.command);
    match loaded {
        Err(e) => return e.report(verbose),
        Ok(true) => {
            tracing::debug!(target: "peaqos", file = %cli.env_file.display(), "read the env file")
        }
        Ok(false) => {}
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return CliError::user(format!("cannot start the async runtime: {e}")).report(verbose);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(verbose),
    }
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = ui::Ui::new(cli.quiet, cli.verbose);
    let env_file = cli.env_file.clone();
    match cli.command {
        Command::Init(args) => init::run(args, &env_file, &ctx).await,
        Command::Whoami(args) => whoami::run(args, &ctx).await,
        Command::Activate(args) => activate::run(args, &ctx).await,
        Command::Qualify(cmd) => qualify::run(cmd, &ctx).await,
        Command::Show(cmd) => show::run(cmd, &ctx).await,
        Command::Up(args) => up::run(args, &ctx).await,
        Command::Demo(args) => demo::run(args, &ctx).await,
        Command::GasStation(GasStationCommand::Serve(args)) => {
            peaqos_gas_station::cli::run(args, |k| std::env::var(k).ok())
                .await
                .map_err(|e| match e {
                    peaqos_gas_station::GasStationError::Config(_) => {
                        CliError::config(e.to_string())
                    }
                    other => CliError::network(other.to_string()),
                })
        }
        Command::Mcr(McrCommand::Serve(args)) => {
            peaqos_mcr::cli::run(args, |k| std::env::var(k).ok())
                .await
                .map_err(error::from_mcr)
        }
        Command::Wallet(cmd) => peaqos_wallet::cli::run(cmd, &env_file, &|k| std::env::var(k).ok())
            .await
            .map_err(error::from_wallet),
        Command::Devnet(args) => devnet::run(args, cli.quiet).await,
        Command::Bench(args) => bench::run(args, &ctx).await,
        Command::Bridge(cmd) => bridge::run(cmd, &ctx).await,
        Command::Relayer(cmd) => relayer::run(cmd).await,
        Command::Bundler(args) => bundler::run(args).await,
        Command::Account(cmd) => account::run(cmd, &ctx).await,
        Command::Node(args) => node::run(args).await,
        Command::Mcp(args) => mcp::run(args, &ctx).await,
        Command::Skill(cmd) => skill::run(cmd, &ctx).await,
    }
}
