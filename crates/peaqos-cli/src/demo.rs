//! `peaqos demo`: the whole peaqOS flow against an embedded devnet, with printed results.

use crate::CliError;
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use clap::Args;
use peaqos_contracts::precompiles::{Batch, DidRegistry};
use peaqos_contracts::{EventRegistry, IdentityRegistry, MachineNFT};
use peaqos_devnet::DevnetConfig;
use peaqos_types::constants::{BATCH_PRECOMPILE_ADDRESS, DID_PRECOMPILE_ADDRESS};
use serde_json::json;
use std::time::Instant;

/// Run the whole flow on an embedded devnet and print what happened.
///
/// Starts a devnet on a free loopback port, then: funds a fresh machine key, registers it with a
/// 1 PEAQ bond, mints its Machine NFT, writes its six DID attributes in one batchAll, submits
/// revenue and activity events, registers a second machine through an operator (registerFor),
/// and reads everything back. Nothing leaves this machine.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of revenue events to submit.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    revenue_events: u32,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn chain_err(what: &str) -> impl Fn(alloy::contract::Error) -> CliError + '_ {
    move |e| CliError::network(format!("{what}: {e}"))
}

fn step(n: u32, text: &str, quiet: bool) {
    if !quiet {
        eprintln!("[{n}/7] {text}");
    }
}

fn provider(url: &str, signer: PrivateKeySigner) -> Result<DynProvider, CliError> {
    let url = url
        .parse()
        .map_err(|e| CliError::config(format!("bad RPC URL {url}: {e}")))?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
        .erased())
}

/// Runs the demo.
pub async fn run(args: DemoArgs, quiet: bool) -> Result<(), CliError> {
    let started = Instant::now();
    step(1, "starting an embedded devnet", quiet);
    let devnet = peaqos_devnet::spawn(DevnetConfig::ephemeral())
        .await
        .map_err(|e| CliError::network(e.to_string()))?;
    let url = devnet.url();
    let d = devnet.deployment();

    step(2, "funding a fresh machine key from dev account 1", quiet);
    let machine = PrivateKeySigner::random();
    let funder = provider(&url, devnet.signer(1))?;
    let tx = alloy::rpc::types::TransactionRequest::default()
        .to(machine.address())
        .value(U256::from(5u64) * U256::from(10u64).pow(U256::from(18)));
    funder
        .send_transaction(tx)
        .await
        .map_err(|e| CliError::network(e.to_string()))?
        .get_receipt()
        .await
        .map_err(|e| CliError::network(e.to_string()))?;
    let p = provider(&url, machine.clone())?;

    step(3, "registering the machine (1 PEAQ bond)", quiet);
    let registry = IdentityRegistry::new(d.identity_registry, &p);
    let bond = registry
        .minBond()
        .call()
        .await
        .map_err(chain_err("minBond"))?;
    let r = registry
        .register()
        .value(bond)
        .send()
        .await
        .map_err(chain_err("register"))?
        .get_receipt()
        .await
        .map_err(|e| CliError::network(e.to_string()))?;
    let machine_id = r
        .inner
        .logs()
        .iter()
        .find_map(|l| IdentityRegistry::Registered::decode_log(&l.inner).ok())
        .map(|e| e.machineId)
        .ok_or_else(|| CliError::network("no Registered event in the receipt"))?;
    let register_tx = r.transaction_hash;

    step(4, "minting the Machine NFT", quiet);
    let nft = MachineNFT::new(d.machine_nft, &p);
    let r = nft
        .mint(machine_id, machine.address())
        .send()
        .await
        .map_err(chain_err("mint"))?
        .get_receipt()
        .await
        .map_err(|e| CliError::network(e.to_string()))?;
    let mint_tx = r.transaction_hash;
    let token_id = nft
        .tokenIdOf(machine_id)
        .call()
        .await
        .map_err(chain_err("tokenIdOf"))?;

    step(5, "writing six DID attributes in one batchAll", quiet);
    let did = format!("did:peaq:{}", machine.address());
    let attrs: Vec<(&str, String)> = vec![
        ("machineId", machine_id.to_string()),
        ("nftTokenId", token_id.to_string()),
        ("operator", did.clone()),
        ("documentation_url", "https://docs.example.com/robot".into()),
        ("data_api", "https://api.example.com/robot".into()),
        ("data_visibility", "public".into()),
    ];
    let calls: Vec<Bytes> = attrs
        .iter()
        .map(|(n, v)| {
            DidRegistry::addAttributeCall {
                did_account: machine.address(),
                name: n.as_bytes().to_vec().into(),
                value: v.as_bytes().to_vec().into(),
                validity_for: 0,
            }
            .abi_encode()
            .into()
        })
        .collect();
    let r = Batch::new(BATCH_PRECOMPILE_ADDRESS, &p)
        .batchAll(
            vec![DID_PRECOMPILE_ADDRESS; calls.len()],
            vec![],
            calls,
            vec![],
        )
        .send()
        .await
        .map_err(chain_err("batchAll"))?
        .get_receipt()
        .await
        .map_err(|e| CliError::network(e.to_string()))?;
    let did_tx = r.transaction_hash;
    let reader = DidRegistry::new(DID_PRECOMPILE_ADDRESS, &p);
    let mut read_back = serde_json::Map::new();
    for (n, _) in &attrs {
        let a = reader
            .readAttribute(machine.address(), n.as_bytes().to_vec().into())
            .call()
            .await
            .map_err(chain_err("readAttribute"))?;
        read_back.insert((*n).to_string(), json!(String::from_utf8_lossy(&a.value)));
    }

    step(6, "submitting revenue and activity events", quiet);
    let events = EventRegistry::new(d.event_registry, &p);
    let now = p
        .get_block(alloy::eips::BlockId::latest())
        .await
        .map_err(|e| CliError::network(e.to_string()))?
        .map(|b| b.header.timestamp)
        .unwrap_or_default();
    let mut submitted = Vec::new();
    for i in 0..args.revenue_events + 1 {
        let revenue = i < args.revenue_events;
        let raw = format!("{{\"session\":{i},\"kwh\":{}}}", 10 + i);
        let data_hash: B256 = keccak256(raw.as_bytes());
        let (ty, value, currency) = if revenue {
            (0u8, U256::from(250 + 50 * i), "USD")
        } else {
            (1u8, U256::from(42), "")
        };
        let r = events
            .submitEvent(
                machine_id,
                ty,
                value,
                currency.into(),
                U256::from(now),
                data_hash,
                0,
                U256::ZERO,
                B256::ZERO,
                Bytes::new(),
            )
            .send()
            .await
            .map_err(chain_err("submitEvent"))?
            .get_receipt()
            .await
            .map_err(|e| CliError::network(e.to_string()))?;
        submitted.push(json!({
            "type": if revenue { "revenue" } else { "activity" },
            "value": value.to_string(),
            "currency": currency,
            "txHash": r.transaction_hash,
            "dataHash": data_hash,
            "gasUsed": r.gas_used,
        }));
    }
    let event_count = events
        .eventCount(machine_id)
        .call()
        .await
        .map_err(chain_err("eventCount"))?;

    step(
        7,
        "registering a second machine through an operator (registerFor)",
        quiet,
    );
    let operator = provider(&url, devnet.signer(2))?;
    let fleet_machine: Address = PrivateKeySigner::random().address();
    let r = IdentityRegistry::new(d.identity_registry, &operator)
        .registerFor(fleet_machine)
        .value(bond)
        .send()
        .await
        .map_err(chain_err("registerFor"))?
        .get_receipt()
        .await
        .map_err(|e| CliError::network(e.to_string()))?;
    let fleet_id = r
        .inner
        .logs()
        .iter()
        .find_map(|l| IdentityRegistry::Registered::decode_log(&l.inner).ok())
        .map(|e| e.machineId)
        .ok_or_else(|| CliError::network("no Registered event in the receipt"))?;
    let fleet_operator = IdentityRegistry::new(d.identity_registry, &p)
        .operatorOf(fleet_id)
        .call()
        .await
        .map_err(chain_err("operatorOf"))?;

    let summary = json!({
        "rpcUrl": url,
        "machine": {
            "machineId": machine_id.to_string(),
            "tokenId": token_id.to_string(),
            "did": did,
            "address": machine.address().to_string(),
            "registerTx": register_tx,
            "mintTx": mint_tx,
            "didTx": did_tx,
            "didAttributes": read_back,
            "eventCount": event_count.to_string(),
            "events": submitted,
        },
        "proxy": {
            "machineId": fleet_id.to_string(),
            "machineAddress": fleet_machine.to_string(),
            "operator": fleet_operator.to_string(),
            "operatorDid": format!("did:peaq:{fleet_operator}"),
        },
        "elapsedMs": started.elapsed().as_millis() as u64,
    });
    if args.json {
        println!("{summary}");
    } else {
        println!("Machine ID:       {machine_id}");
        println!("Token ID:         {token_id}");
        println!("Machine DID:      {did}");
        println!(
            "DID attributes:   {}",
            read_back
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!("Events on chain:  {event_count}");
        for e in &submitted {
            println!(
                "  {:<8} {:>5} {:<3}  tx {}  gas {}",
                e["type"].as_str().unwrap_or_default(),
                e["value"].as_str().unwrap_or_default(),
                e["currency"].as_str().unwrap_or_default(),
                e["txHash"].as_str().unwrap_or_default(),
                e["gasUsed"]
            );
        }
        println!(
            "Proxy machine:    id {fleet_id}, address {fleet_machine}, operator did:peaq:{fleet_operator}"
        );
        println!(
            "Done in {} ms on an embedded devnet ({url}).",
            started.elapsed().as_millis()
        );
    }
    devnet
        .shutdown()
        .await
        .map_err(|e| CliError::network(e.to_string()))?;
    Ok(())
}
