//! The gas budget of `submitEvent` (contracts/README.md), asserted on gas used: a machine's third
//! or later event ("USD", a 32-byte data hash, no source tx, empty metadata) <= 100,000 gas as a
//! transaction, for a self-registered machine and for a proxy-registered one sent by the proxy,
//! and <= 80,000 per event inside a `batchAll` of 100. `cargo test -- --nocapture` prints the
//! figures.

use crate::util::*;
use alloy::network::TransactionBuilder;
use alloy::primitives::U256;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use peaqos_contracts::EventRegistry;
use peaqos_contracts::precompiles::Batch;
use peaqos_testkit::{Ev, TestNet, events, latest_timestamp, mined};
use peaqos_types::constants::BATCH_PRECOMPILE_ADDRESS;

const TX_BUDGET: u64 = 100_000;
const BATCH_BUDGET_PER_EVENT: u64 = 80_000;

/// Gas of `n` single `submitEvent` transactions of the budget event from `p`; checks each one.
async fn single_gas(
    net: &TestNet,
    p: &DynProvider,
    id: U256,
    first_index: u64,
    n: u64,
) -> Vec<u64> {
    let er = event_registry(net, p);
    let mut gas = Vec::new();
    for i in 0..n {
        let ev = budget_event(latest_timestamp(p).await);
        let r = mined(submit(&er, id, &ev)).await;
        check_submitted(&er, &r, id, first_index + i, &ev).await;
        gas.push(r.gas_used);
    }
    gas
}

#[tokio::test]
async fn submit_event_within_100k_gas_from_the_third_event() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let self_gas = single_gas(&net, &m.p, m.id, 0, 5).await;

    let op = net.provider(1);
    let pm = register_for(&net, &op).await;
    let proxy_gas = single_gas(&net, &op, pm.id, 0, 5).await;
    // the machine key of a proxy-registered machine (the machine address is read as well)
    let machine_key_gas = single_gas(&net, &pm.p, pm.id, 5, 3).await;

    println!("GAS submitEvent, self-registered machine, events 1..5: {self_gas:?}");
    println!(
        "GAS submitEvent, proxy-registered machine sent by the proxy, events 1..5: {proxy_gas:?}"
    );
    println!(
        "GAS submitEvent, proxy-registered machine sent by the machine key, events 6..8: {machine_key_gas:?}"
    );
    for (who, gas) in [("self", &self_gas), ("proxy", &proxy_gas)] {
        for (i, g) in gas.iter().enumerate().skip(2) {
            assert!(
                *g <= TX_BUDGET,
                "{who}: event {} used {g} gas, over the {TX_BUDGET} budget",
                i + 1
            );
        }
        // every later event of the same shape costs the same
        assert!(gas[2..].windows(2).all(|w| w[0] == w[1]), "{who}: {gas:?}");
        // the first event pays for reading the registry's full record and the bond
        assert!(gas[0] > gas[2], "{who}: {gas:?}");
    }
    for g in &machine_key_gas {
        assert!(*g <= TX_BUDGET, "machine key of a proxy machine: {g}");
    }

    // the devnet charges the Paris intrinsic cost, so the figures compare with any Paris EVM:
    // 21,000 for a plain transfer, plus 4 / 16 gas per zero / non-zero calldata byte
    let er = event_registry(&net, &m.p);
    let ev = budget_event(latest_timestamp(&m.p).await);
    let input = submit(&er, m.id, &ev).calldata().clone();
    assert_eq!(
        input.len(),
        420,
        "4 + 10 head words + currency (2 words) + metadata length word"
    );
    let to = net.address(8);
    let r =
        m.p.send_transaction(TransactionRequest::default().to(to).value(U256::from(1)))
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
    assert_eq!(r.gas_used, 21_000);
    let r =
        m.p.send_transaction(
            TransactionRequest::default()
                .to(to)
                .with_input(input.clone()),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(r.gas_used, 21_000 + calldata_cost(&input));
    println!(
        "GAS submitEvent intrinsic = 21000 + calldata {} ({} bytes)",
        calldata_cost(&input),
        input.len()
    );
}

/// 100 budget events in one `batchAll`, after the machine's first two events.
async fn batch_of_100(net: &TestNet, p: &DynProvider, id: U256) -> u64 {
    let er = event_registry(net, p);
    for i in 0..2 {
        let ev = budget_event(latest_timestamp(p).await);
        let r = mined(submit(&er, id, &ev)).await;
        check_submitted(&er, &r, id, i, &ev).await;
    }
    let now = latest_timestamp(p).await;
    let evs: Vec<Ev> = (0..100u64)
        .map(|i| Ev {
            value: U256::from(1_000 + i),
            ..budget_event(now - i)
        })
        .collect();
    let r = batch_submit(net, p, id, &evs).await;
    // every subcall succeeded and every event was stored, in order
    let ok = events::<Batch::SubcallSucceeded>(&r, BATCH_PRECOMPILE_ADDRESS);
    assert_eq!(ok.len(), 100);
    let logs = events::<EventRegistry::EventSubmitted>(&r, *er.address());
    assert_eq!(
        logs.iter()
            .map(|l| l.eventIndex.to::<u64>())
            .collect::<Vec<_>>(),
        (2..102).collect::<Vec<u64>>()
    );
    assert_eq!(er.getEventCount(id).call().await.unwrap(), U256::from(102));
    let stored = er
        .getEvents(id, U256::from(2), U256::from(100))
        .call()
        .await
        .unwrap();
    assert_eq!(
        stored,
        evs.iter().map(|e| record(id, e)).collect::<Vec<_>>()
    );
    r.gas_used
}

#[tokio::test]
async fn batch_all_of_100_events_within_80k_gas_per_event() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let total = batch_of_100(&net, &m.p, m.id).await;
    let op = net.provider(1);
    let pm = register_for(&net, &op).await;
    let total_proxy = batch_of_100(&net, &op, pm.id).await;
    println!(
        "GAS batchAll of 100 submitEvent: self {total} ({} per event), proxy {total_proxy} ({} per event)",
        total / 100,
        total_proxy / 100
    );
    for (who, t) in [("self", total), ("proxy", total_proxy)] {
        assert!(
            t <= 100 * BATCH_BUDGET_PER_EVENT,
            "{who}: {t} gas for 100 events, over {BATCH_BUDGET_PER_EVENT} per event"
        );
    }
}

/// Inside one `batchAll` the accounts and slots an earlier subcall touched are warm for the next
/// (EIP-2929, as on the node): an event batched after another costs clearly less than the same
/// event as a transaction of its own minus the intrinsic 21,000.
#[tokio::test]
async fn batch_subcalls_see_earlier_subcalls_warm() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let er = event_registry(&net, &m.p);
    let now = latest_timestamp(&m.p).await;
    for _ in 0..2 {
        mined(submit(&er, m.id, &budget_event(now))).await;
    }
    let single = mined(submit(&er, m.id, &budget_event(now))).await.gas_used;
    let one = batch_submit(&net, &m.p, m.id, &[budget_event(now)])
        .await
        .gas_used;
    let two = batch_submit(&net, &m.p, m.id, &[budget_event(now), budget_event(now)])
        .await
        .gas_used;
    let marginal = two - one;
    println!(
        "GAS single {single}, batch of 1 {one}, batch of 2 {two}: a second batched event {marginal}"
    );
    // the calldata of the subcall is paid inside the batch's own calldata; the cold accesses
    // (EventRegistry proxy and implementation, IdentityRegistry, their slots) are not paid again
    assert!(
        marginal + 21_000 + 10_000 < single,
        "a warm batched event ({marginal}) must save the intrinsic cost and the cold accesses \
         of a transaction of its own ({single})"
    );
    assert_eq!(er.getEventCount(m.id).call().await.unwrap(), U256::from(6));
}

/// The DID precompile charges what peaq's node charges: a database read or write up front, the
/// pallet's benchmarked weight at 25,000 weight per gas, and the log. Figures worked out by hand
/// from the weights (see `precompiles/did.rs`), on top of the transaction's intrinsic cost.
#[tokio::test]
async fn did_writes_cost_what_peaqs_node_charges() {
    use alloy::primitives::Bytes;
    use peaqos_contracts::precompiles::DidRegistry;
    use peaqos_types::constants::DID_PRECOMPILE_ADDRESS;

    let net = TestNet::start().await;
    let p = net.provider(3);
    let me = net.address(3);
    let did = DidRegistry::new(DID_PRECOMPILE_ADDRESS, &p);
    let name = Bytes::from_static(b"x");
    let value = Bytes::from(vec![7u8; 100]);

    let call = did.addAttribute(me, name.clone(), value.clone(), 0);
    let input = call.calldata().clone();
    let r = mined(call).await;
    // 4,000 + (170,106,824 + 5,039 x 100 + 250,000,000) / 25,000 = 20,824; the AddAttribute log
    // carries 5 head words, the name (2 words) and the value (1 + 4 words): 384 bytes -> 3,822
    assert_eq!(r.gas_used, 21_000 + calldata_cost(&input) + 20_824 + 3_822);

    let call = did.updateAttribute(me, name.clone(), Bytes::from(vec![9u8; 3]), 0);
    let input = call.calldata().clone();
    let r = mined(call).await;
    // 29,720 whatever the length; the log: 5 + 2 + 2 words = 288 bytes -> 3,054
    assert_eq!(r.gas_used, 21_000 + calldata_cost(&input) + 29_720 + 3_054);

    let call = did.removeAttribute(me, name.clone());
    let input = call.calldata().clone();
    let r = mined(call).await;
    // 11,429; RemoveAttribte(did_account, name): 2 head words + 2 for the name = 128 bytes -> 1,774
    assert_eq!(r.gas_used, 21_000 + calldata_cost(&input) + 11_429 + 1_774);
    println!(
        "GAS DID addAttribute (100-byte value) {} precompile gas, update 32,774, remove 13,203",
        20_824 + 3_822
    );
}
