//! Smart-account figures on an embedded devnet (docs/PERFORMANCE.md, "Smart accounts"):
//!
//! 1. gas of one `submitEvent` sent directly by a machine key against the same call through a
//!    UserOperation of a machine smart account (alone in its bundle): the bundle transaction's
//!    gas, what the account is charged (`actualGasUsed`), and the first operation that also
//!    deploys the account;
//! 2. UserOperations/s through the bundler with 1, 10 and 50 operations per bundle, from a fleet
//!    of 50 machine accounts (one event each per operation); operations are signed before the
//!    clock starts; the timed section is `eth_sendUserOperation` of a bundle's
//!    operations (8 in flight; each is simulated through `eth_call`) and
//!    `debug_bundler_sendBundleNow` (estimate, sign, send `handleOps`, wait for the receipt);
//! 3. `eth_estimateUserOperationGas` latency for a deployed account and for one that the operation
//!    deploys (`initCode`).
//!
//! `cargo run --release -p peaqos-aa --example bench_aa -- [OPS_PER_SIZE=100] [ESTIMATES=50]`
//!
//! A measurement tool: it prints figures and asserts nothing about time.

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use peaqos_aa::{BundlerConfig, BundlingMode, GasEstimate, UserOperation, user_op_hash};
use peaqos_contracts::EventRegistry;
use peaqos_sdk::aa::{BundlerClient, SmartAccount, deposit_to};
use peaqos_sdk::{PeaqosClient, PeaqosConfig, PrivateKey, TxCall};
use peaqos_testkit::{Ev, EvExt, TestNet, peaq};
use peaqos_types::constants::ENTRY_POINT_V06;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const EP: Address = ENTRY_POINT_V06;

fn sdk(net: &TestNet, key: &PrivateKeySigner) -> PeaqosClient {
    PeaqosClient::new(PeaqosConfig::new(
        net.url(),
        Some(PrivateKey::from(key)),
        net.contracts(),
    ))
    .expect("client")
}

fn event(er: Address, machine_id: u64, ts: u64) -> TxCall {
    let call: EventRegistry::submitEventCall = Ev::revenue("USD", ts).call(U256::from(machine_id));
    TxCall {
        to: er,
        data: call.abi_encode().into(),
        value: U256::ZERO,
    }
}

async fn rpc(url: &str, method: &str, params: Value) -> Value {
    let r: Value = alloy::transports::http::reqwest::Client::new()
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    if let Some(e) = r.get("error") {
        panic!("{method}: {e}");
    }
    r["result"].clone()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let ops_per_size: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let estimates: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);

    let net = TestNet::start().await;
    let bundler_key = net.funded_key(1000).await;
    let mut cfg = BundlerConfig::new(net.url(), bundler_key.clone());
    cfg.port = 0;
    cfg.mode = BundlingMode::Manual;
    cfg.receipt_poll_interval = Duration::from_millis(5);
    let handle = peaqos_aa::spawn(cfg).await.expect("bundler");
    let url = handle.url();
    let chain_id = handle.bundler().chain_id();
    let er = net.contracts().event_registry;
    let bundler = BundlerClient::new(&url)
        .unwrap()
        .with_poll_interval(Duration::from_millis(5));

    // ---- 1. gas -----------------------------------------------------------------------------
    let direct_key = net.funded_key(10).await;
    let direct_id = net.register(&direct_key).await;
    let p = net.provider_for(direct_key.clone());
    let ts = net.chain_time().await;
    let first_direct = net
        .submit_event(&p, direct_id, &Ev::revenue("USD", ts))
        .await
        .gas_used;
    let direct = net
        .submit_event(&p, direct_id, &Ev::revenue("USD", ts))
        .await
        .gas_used;

    let owner = net.funded_key(400).await;
    let owner_client = sdk(&net, &owner);
    let machine = PrivateKeySigner::random();
    let account_addr = owner_client
        .get_smart_account_address(owner.address(), machine.address(), U256::ZERO)
        .await
        .unwrap();
    deposit_to(&owner_client, account_addr, peaq(10))
        .await
        .unwrap();
    let machine_id = owner_client.register_for(account_addr).await.unwrap();
    let account = SmartAccount::new(
        &sdk(&net, &machine),
        bundler.clone(),
        owner.address(),
        machine.address(),
        U256::ZERO,
        machine.clone(),
    )
    .await
    .unwrap();
    let mut gas_rows = Vec::new();
    for label in ["first (deploys the account)", "second", "third"] {
        let op = account
            .user_operation()
            .calls(&[event(er, machine_id, ts)])
            .unwrap()
            .build_signed()
            .await
            .unwrap();
        let hash = account.send_user_operation(&op).await.unwrap();
        rpc(&url, "debug_bundler_sendBundleNow", json!([])).await;
        let r = bundler
            .wait_for_user_operation_receipt(hash, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(r.success);
        gas_rows.push((
            label,
            r.receipt.gas_used,
            r.actual_gas_used.to::<u64>(),
            op.pre_verification_gas.to::<u64>(),
            op.call_gas_limit.to::<u64>() + op.verification_gas_limit.to::<u64>(),
        ));
    }

    // ---- 2. throughput ----------------------------------------------------------------------
    // 50 machines, each with its own deployed, funded account (deployed by a first operation that
    // is not timed); every operation submits one event with the account's next sequential nonce,
    // and a bundle holds at most one operation per account.
    let fleet = 50usize;
    let mut machines = Vec::with_capacity(fleet);
    for _ in 0..fleet {
        let key = PrivateKeySigner::random();
        let acc = SmartAccount::new(
            &sdk(&net, &key),
            bundler.clone(),
            owner.address(),
            key.address(),
            U256::ZERO,
            key.clone(),
        )
        .await
        .unwrap();
        deposit_to(&owner_client, acc.address(), peaq(1))
            .await
            .unwrap();
        let id = owner_client.register_for(acc.address()).await.unwrap();
        let op = acc
            .user_operation()
            .calls(&[event(er, id, ts)])
            .unwrap()
            .build_signed()
            .await
            .unwrap();
        acc.send_user_operation(&op).await.unwrap();
        machines.push((key, acc.address(), id, 1u64));
    }
    rpc(&url, "debug_bundler_sendBundleNow", json!([])).await;
    // One estimate for a deployed account, reused (preVerificationGas with room for other
    // senders' calldata).
    let template = account
        .user_operation()
        .calls(&[event(er, machine_id, ts)])
        .unwrap()
        .build()
        .await
        .unwrap();
    let mut throughput = Vec::new();
    let mut next = 0usize;
    for size in [1usize, 10, 50] {
        let n = ops_per_size.div_ceil(size) * size;
        let mut ops = Vec::with_capacity(n);
        for _ in 0..n {
            let (key, sender, id, nonce) = &mut machines[next % fleet];
            next += 1;
            let mut op = UserOperation {
                sender: *sender,
                nonce: U256::from(*nonce),
                call_data: peaqos_sdk::aa::encode_calls(&[event(er, *id, ts)]).unwrap(),
                pre_verification_gas: template.pre_verification_gas + U256::from(200),
                ..template.clone()
            };
            *nonce += 1;
            let h = user_op_hash(&op, EP, chain_id);
            op.signature =
                Bytes::copy_from_slice(&key.sign_message_sync(h.as_slice()).unwrap().as_bytes());
            ops.push(op);
        }
        let (mut accept, mut bundle) = (Duration::ZERO, Duration::ZERO);
        let mut bundle_gas = 0u64;
        let t0 = Instant::now();
        for chunk in ops.chunks(size) {
            let t = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for group in chunk.chunks(8) {
                for op in group {
                    let b = bundler.clone();
                    let op = op.clone();
                    set.spawn(async move { b.send_user_operation(&op).await });
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap().expect("accepted");
                }
            }
            accept += t.elapsed();
            let t = Instant::now();
            let tx: B256 =
                serde_json::from_value(rpc(&url, "debug_bundler_sendBundleNow", json!([])).await)
                    .unwrap();
            bundle += t.elapsed();
            let receipt = net
                .reader()
                .get_transaction_receipt(tx)
                .await
                .unwrap()
                .unwrap();
            bundle_gas += receipt.gas_used;
        }
        let total = t0.elapsed();
        throughput.push((size, n, total, accept, bundle, bundle_gas / n as u64));
    }

    // ---- 3. estimate latency ----------------------------------------------------------------
    let deployed_op = account
        .user_operation()
        .calls(&[event(er, machine_id, ts)])
        .unwrap()
        .gas(GasEstimate {
            pre_verification_gas: U256::ZERO,
            verification_gas_limit: U256::ZERO,
            call_gas_limit: U256::ZERO,
        })
        .build()
        .await
        .unwrap();
    let counterfactual = {
        let m2 = PrivateKeySigner::random();
        let a2 = SmartAccount::new(
            &sdk(&net, &m2),
            bundler.clone(),
            owner.address(),
            m2.address(),
            U256::ZERO,
            m2.clone(),
        )
        .await
        .unwrap();
        owner_client
            .send_transaction(a2.address(), Bytes::new(), peaq(1))
            .await
            .unwrap();
        a2.user_operation()
            .calls(&[TxCall {
                to: owner.address(),
                data: Bytes::new(),
                value: U256::ZERO,
            }])
            .unwrap()
            .gas(GasEstimate {
                pre_verification_gas: U256::ZERO,
                verification_gas_limit: U256::ZERO,
                call_gas_limit: U256::ZERO,
            })
            .build()
            .await
            .unwrap()
    };
    let mut lat = Vec::new();
    for op in [&deployed_op, &counterfactual] {
        let mut d = Vec::with_capacity(estimates);
        for _ in 0..estimates {
            let t = Instant::now();
            bundler.estimate_user_operation_gas(op).await.unwrap();
            d.push(t.elapsed());
        }
        d.sort();
        lat.push(d);
    }

    // ---- report -----------------------------------------------------------------------------
    println!("## gas of one submitEvent (USD revenue event)");
    println!("direct submitEvent by the machine key: first {first_direct}, then {direct}");
    println!(
        "| UserOperation | bundle tx gasUsed | actualGasUsed (charged) | preVerificationGas | call+verification limits |"
    );
    for (label, tx, used, pvg, limits) in &gas_rows {
        println!("| {label} | {tx} | {used} | {pvg} | {limits} |");
    }
    println!();
    println!("## UserOperations/s through the bundler (8 sends in flight, then sendBundleNow)");
    println!(
        "| ops/bundle | ops | total | ops/s | accept/op | bundle (estimate+send+receipt) | bundle gas/op |"
    );
    for (size, n, total, accept, bundle, gas_per_op) in &throughput {
        println!(
            "| {size} | {n} | {:.2} s | {:.1} | {} | {} per bundle | {gas_per_op} |",
            total.as_secs_f64(),
            *n as f64 / total.as_secs_f64(),
            ms(*accept / *n as u32),
            ms(*bundle / (*n / *size) as u32),
        );
    }
    println!();
    println!("## eth_estimateUserOperationGas latency ({estimates} calls each)");
    for (label, d) in ["deployed account", "counterfactual (initCode)"]
        .iter()
        .zip(&lat)
    {
        println!(
            "{label}: median {}, p90 {}, max {}",
            ms(percentile(d, 50.0)),
            ms(percentile(d, 90.0)),
            ms(*d.last().unwrap())
        );
    }
    handle.shutdown().await.unwrap();
}
