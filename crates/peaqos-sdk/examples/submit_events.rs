//! The submit-events guide: validation, a revenue event, an activity event, a cross-chain
//! revenue event (trust level 1 with its source transaction) and an atomic batch.
//!
//! `cargo run -p peaqos-sdk --example submit_events` (embedded devnet unless `PEAQOS_RPC_URL`;
//! with a real network set `PEAQOS_MACHINE_ID` to a machine the key may submit for).

use alloy::primitives::{B256, U256};
use peaqos_sdk::constants::{BASE_CHAIN_ID, TRUST_HARDWARE_SIGNED, TRUST_ON_CHAIN_VERIFIABLE};
use peaqos_sdk::{
    PeaqosClient, PeaqosConfig, Result, SubmitEventParams, compute_data_hash,
    validate_submit_event_params,
};

/// The hashes the guide produced.
#[derive(Debug)]
pub struct Submitted {
    /// The machine the events belong to.
    pub machine_id: u64,
    /// Single submissions.
    pub single: Vec<B256>,
    /// The batch transaction hash (one per event, all equal).
    pub batch: Vec<B256>,
}

/// Runs the guide; registers a machine for the client's key when `machine_id` is `None`.
pub async fn run(config: PeaqosConfig, machine_id: Option<u64>) -> Result<Submitted> {
    let client = PeaqosClient::new(config)?;
    let machine_id = match machine_id {
        Some(id) => id,
        None => match client.machine_id_of_owner(client.address()).await? {
            0 => client.register_machine().await?,
            id => id,
        },
    };
    let now = client.latest_block_timestamp().await?;
    let mut single = Vec::new();

    // Revenue: $125.00 in cents, with the raw payload hashed into dataHash.
    let raw = br#"{"invoice":"INV-1","amount_cents":12500}"#.to_vec();
    let mut revenue = SubmitEventParams::revenue(machine_id, U256::from(12_500), "USD", now);
    revenue.raw_data = Some(raw.clone());
    validate_submit_event_params(&revenue)?; // what submit_event checks first
    let (tx, data_hash) = client.submit_event(&revenue).await?;
    assert_eq!(data_hash, compute_data_hash(&raw));
    println!("revenue {tx} dataHash {data_hash}");
    single.push(tx);

    // Activity: 42 completed tasks, signed by attested hardware, with JSON metadata.
    let mut activity = SubmitEventParams::activity(machine_id, U256::from(42), now);
    activity.trust_level = TRUST_HARDWARE_SIGNED;
    activity.metadata = br#"{"tasks":42}"#.to_vec();
    let (tx, _) = client.submit_event(&activity).await?;
    println!("activity {tx}");
    single.push(tx);

    // Cross-chain revenue paid on Base: trust level 1 requires the source transaction.
    let mut cross = SubmitEventParams::revenue(machine_id, U256::from(5_000), "USDC", now);
    cross.trust_level = TRUST_ON_CHAIN_VERIFIABLE;
    cross.source_chain_id = BASE_CHAIN_ID;
    cross.source_tx_hash = Some(format!("0x{}", "1f".repeat(32)));
    let (tx, _) = client.submit_event(&cross).await?;
    println!("cross-chain revenue {tx}");
    single.push(tx);

    // A day of hourly revenue in one atomic batch (currency explicit on every event).
    let batch: Vec<SubmitEventParams> = (0..24u64)
        .map(|h| {
            SubmitEventParams::revenue(
                machine_id,
                U256::from(250 + h),
                "EUR",
                now.saturating_sub(h * 3600),
            )
        })
        .collect();
    let hashes = client.batch_submit_events(&batch).await?;
    println!("batch of {} events in {}", hashes.len(), hashes[0]);
    Ok(Submitted {
        machine_id,
        single,
        batch: hashes,
    })
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    if std::env::var("PEAQOS_RPC_URL").is_ok() {
        let id = std::env::var("PEAQOS_MACHINE_ID")
            .ok()
            .map(|s| peaqos_types::event::parse_machine_id(&s))
            .transpose()?;
        run(
            PeaqosConfig::from_env_lookup(|k| std::env::var(k).ok())?,
            id,
        )
        .await?;
        return Ok(());
    }
    let devnet = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral()).await?;
    println!("embedded devnet at {}", devnet.url());
    let cfg = PeaqosConfig::new(
        devnet.url(),
        Some((&devnet.signer(2)).into()),
        peaqos_sdk::devnet_addresses(),
    );
    run(cfg, None).await?;
    devnet.shutdown().await?;
    Ok(())
}
