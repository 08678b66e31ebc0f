//! SDK event throughput on an embedded devnet (or `PEAQOS_RPC_URL` with `PEAQOS_MACHINE_IDS`,
//! comma-separated machines the key may submit for).
//!
//! `cargo run --release -p peaqos-sdk --features bench --example bench_sdk -- [events] [concurrency] [batch] [machines]`
//! (defaults 2000 32 100 20).

use peaqos_sdk::bench::bench_events;
use peaqos_sdk::{PeaqosClient, PeaqosConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let arg = |i: usize, d: usize| args.get(i).copied().unwrap_or(d);
    let (events, concurrency, batch, machines) =
        (arg(0, 2000), arg(1, 32), arg(2, 100), arg(3, 20));

    if std::env::var("PEAQOS_RPC_URL").is_ok() {
        let client = PeaqosClient::from_env()?;
        let ids: Vec<u64> = std::env::var("PEAQOS_MACHINE_IDS")?
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()?;
        println!(
            "{}",
            bench_events(&client, &ids, events, concurrency, batch).await?
        );
        return Ok(());
    }
    let devnet = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral()).await?;
    let cfg = PeaqosConfig::new(
        devnet.url(),
        Some((&devnet.signer(0)).into()),
        peaqos_sdk::devnet_addresses(),
    );
    let client = PeaqosClient::new(cfg)?;
    let mut ids = Vec::with_capacity(machines);
    for _ in 0..machines {
        ids.push(
            client
                .register_for(PeaqosClient::generate_keypair().0)
                .await?,
        );
    }
    println!(
        "embedded devnet, operator {} (register_for)",
        client.address()
    );
    println!(
        "{}",
        bench_events(&client, &ids, events, concurrency, batch).await?
    );
    devnet.shutdown().await?;
    Ok(())
}
