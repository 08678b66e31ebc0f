//! `peaqos`: the terminal face of peaqOS.

mod bench;
mod demo;
mod devnet;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// peaqOS: on-chain identity, events and credit ratings for machines.
#[derive(Debug, Parser)]
#[command(name = "peaqos", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole flow (register, mint, DID, events, registerFor) on an embedded devnet.
    Demo(demo::DemoArgs),
    /// Run an embedded local peaq chain (JSON-RPC on 127.0.0.1:8545, contracts deployed).
    Devnet(devnet::DevnetArgs),
    /// The Gas Station: a 2FA-gated faucet funding fresh machine wallets.
    #[command(name = "gas-station", subcommand)]
    GasStation(GasStationCommand),
    /// Measure transaction throughput of the embedded devnet (or of a local node with --rpc).
    Bench(bench::BenchArgs),
}

#[derive(Debug, Subcommand)]
enum GasStationCommand {
    /// Serve the Gas Station API (127.0.0.1:8090 by default).
    Serve(peaqos_gas_station::cli::ServeArgs),
}

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PEAQOS_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose, cli.quiet);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::GasStation(GasStationCommand::Serve(args)) => {
                peaqos_gas_station::cli::run(args).await.map_err(|e| match e {
                    peaqos_gas_station::GasStationError::Config(_) => CliError::config(e.to_string()),
                    other => CliError::network(other.to_string()),
                })
            }
            Command::Demo(args) => demo::run(args, cli.quiet).await,
            Command::Devnet(args) => devnet::run(args, cli.quiet).await,
            Command::Bench(args) => bench::run(args, cli.quiet).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.exit_code)
        }
    }
}

/// An error with the documented exit code (1 user, 2 network/chain, 3 configuration).
#[derive(Debug)]
pub struct CliError {
    /// Exit code.
    pub exit_code: u8,
    /// What to tell the user.
    pub message: String,
}

impl CliError {
    /// Exit code 1.
    pub fn user(message: impl Into<String>) -> Self {
        Self { exit_code: 1, message: message.into() }
    }
    /// Exit code 2.
    pub fn network(message: impl Into<String>) -> Self {
        Self { exit_code: 2, message: message.into() }
    }
    /// Exit code 3.
    pub fn config(message: impl Into<String>) -> Self {
        Self { exit_code: 3, message: message.into() }
    }
}
