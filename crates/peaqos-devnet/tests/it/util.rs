//! Helpers shared by the modules of the devnet's integration tests: contract handles, revert
//! checks (by error name, through eth_call, eth_estimateGas and a mined transaction), machine
//! registration through one provider per key, event records and small chain steps.

use alloy::contract::{CallBuilder, CallDecoder, Error as ContractError};
use alloy::eips::BlockId;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256, b256, keccak256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Revert, SolCall, SolError, SolEvent, SolInterface};
use peaqos_contracts::precompiles::{Batch, NativeErc20};
use peaqos_contracts::{
    AdminFlags, ERC1967Proxy, EventRegistry, IdentityRegistry, IdentityStaking, MachineNFT,
};
use peaqos_testkit::{Ev, EvExt, TestNet, event, mined};
use peaqos_types::constants::{BATCH_PRECOMPILE_ADDRESS, NATIVE_ERC20_PRECOMPILE_ADDRESS};
use std::fmt::Debug;

pub(crate) type Registry = IdentityRegistry::IdentityRegistryInstance<DynProvider>;
pub(crate) type Staking = IdentityStaking::IdentityStakingInstance<DynProvider>;
pub(crate) type Events = EventRegistry::EventRegistryInstance<DynProvider>;
pub(crate) type Nft = MachineNFT::MachineNFTInstance<DynProvider>;
pub(crate) type Flags = AdminFlags::AdminFlagsInstance<DynProvider>;

/// `IdentityRegistry.MachineStatus`.
pub(crate) const STATUS_NONE: u8 = 0;
pub(crate) const STATUS_PENDING: u8 = 1;
pub(crate) const STATUS_VERIFIED: u8 = 2;
pub(crate) const STATUS_REJECTED: u8 = 3;
pub(crate) const STATUS_DEACTIVATED: u8 = 4;

/// `IdentityStaking.StakeStatus`.
pub(crate) const STAKE_NONE: u8 = 0;
pub(crate) const STAKE_ACTIVE: u8 = 1;

/// ERC-1967 implementation slot: `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`.
pub(crate) const IMPLEMENTATION_SLOT: B256 =
    b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");

/// Gas limit of a transaction sent on purpose to revert (no estimation, so that it is mined).
const REVERT_GAS: u64 = 3_000_000;

// ------------------------------------------------------------------------------------------------
// reverts

/// Name of the error in ABI-encoded revert data, decoded completely with the generated error enum
/// of each peaqOS contract (`IdentityRegistry::IdentityRegistryErrors`, ...); `Error` for an
/// `Error(string)` (the precompiles' reverts). Panics on anything else.
pub(crate) fn revert_name(data: &[u8]) -> String {
    macro_rules! try_set {
        ($set:ty) => {
            if let Ok(decoded) = <$set as SolInterface>::abi_decode(data) {
                let name = <$set>::name_by_selector(decoded.selector()).expect("known selector");
                return name.to_string();
            }
        };
    }
    try_set!(IdentityRegistry::IdentityRegistryErrors);
    try_set!(IdentityStaking::IdentityStakingErrors);
    try_set!(EventRegistry::EventRegistryErrors);
    try_set!(MachineNFT::MachineNFTErrors);
    try_set!(AdminFlags::AdminFlagsErrors);
    if Revert::abi_decode(data).is_ok() {
        return "Error".into();
    }
    panic!(
        "revert data {} is no error of the peaqOS contracts",
        Bytes::copy_from_slice(data)
    )
}

/// The name of error type `E` (`AlreadyRegistered` for `AlreadyRegistered()`).
fn name_of<E: SolError>() -> &'static str {
    E::SIGNATURE
        .split('(')
        .next()
        .expect("signature has a name")
}

/// Checks that `data` is exactly `expected` and that the contracts' error enums name it so.
fn check_data<E: SolError + PartialEq + Debug>(data: &[u8], expected: &E, path: &str) {
    assert_eq!(
        revert_name(data),
        name_of::<E>(),
        "{path}: revert data {}",
        Bytes::copy_from_slice(data)
    );
    assert_eq!(
        E::abi_decode(data).ok().as_ref(),
        Some(expected),
        "{path}: arguments"
    );
    assert_eq!(
        data,
        expected.abi_encode().as_slice(),
        "{path}: exact bytes"
    );
}

/// A JSON-RPC revert (code 3, "execution reverted", revert data) carrying exactly `expected`.
fn check_rpc_revert<E: SolError + PartialEq + Debug>(
    err: &ContractError,
    expected: &E,
    path: &str,
) {
    let ContractError::TransportError(t) = err else {
        panic!("{path}: expected a JSON-RPC revert, got {err:?}");
    };
    let resp = t
        .as_error_resp()
        .unwrap_or_else(|| panic!("{path}: not a JSON-RPC error response: {t:?}"));
    assert_eq!(resp.code, 3, "{path}: JSON-RPC code of a revert: {resp:?}");
    assert!(
        resp.message.starts_with("execution reverted"),
        "{path}: {}",
        resp.message
    );
    let data = resp
        .as_revert_data()
        .unwrap_or_else(|| panic!("{path}: no revert data in {resp:?}"));
    check_data(&data, expected, path);
}

/// Asserts that the call reverts with exactly `expected` (decoded by name with the contracts'
/// error enums, and byte for byte):
///
/// 1. through `eth_call`;
/// 2. through `send()`, whose gas estimation must refuse it with code 3 and the revert data
///    (an explicit nonce keeps alloy's nonce cache out of it: a send that fails in estimation
///    must not leave the provider's cached nonce ahead of the chain; the devnet's
///    eth_estimateGas ignores the nonce);
/// 3. as a transaction sent with a fixed gas limit: mined with status 0 and no logs, and the
///    same transaction replayed with eth_call on the state before its block reverts with the
///    same data (the devnet keeps no revert data in receipts).
///
/// Returns the failed receipt (its fee was charged, its nonce used).
pub(crate) async fn expect_revert<P, D, E>(
    cb: &CallBuilder<P, D>,
    expected: E,
) -> TransactionReceipt
where
    P: Provider + Clone,
    D: CallDecoder + Clone + Unpin,
    E: SolError + PartialEq + Debug,
{
    match cb.call().await {
        Ok(_) => panic!("eth_call succeeded, expected {expected:?}"),
        Err(e) => check_rpc_revert(&e, &expected, "eth_call"),
    }
    match cb.clone().nonce(1 << 62).send().await {
        Ok(pending) => panic!(
            "send succeeded (tx {}), expected {expected:?}",
            pending.tx_hash()
        ),
        Err(e) => check_rpc_revert(&e, &expected, "eth_estimateGas"),
    }
    let r = cb
        .clone()
        .gas(REVERT_GAS)
        .send()
        .await
        .expect("a transaction with a fixed gas limit is accepted")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(!r.status(), "mined successfully, expected {expected:?}");
    assert!(
        r.inner.logs().is_empty(),
        "a reverted transaction has no logs"
    );
    let n = r.block_number.expect("mined");
    let replay = cb
        .clone()
        .into_transaction_request()
        .with_from(r.from)
        .with_gas_limit(REVERT_GAS);
    let err = cb
        .provider
        .call(replay)
        .block(BlockId::number(n - 1))
        .await
        .expect_err("the replayed transaction reverts");
    let data = err
        .as_error_resp()
        .and_then(|e| e.as_revert_data())
        .unwrap_or_else(|| panic!("replay: no revert data in {err:?}"));
    check_data(&data, &expected, "mined transaction (replayed)");
    r
}

// ------------------------------------------------------------------------------------------------
// contract handles

pub(crate) fn registry(net: &TestNet, p: &DynProvider) -> Registry {
    IdentityRegistry::new(net.handle.deployment().identity_registry, p.clone())
}
pub(crate) fn staking(net: &TestNet, p: &DynProvider) -> Staking {
    IdentityStaking::new(net.handle.deployment().identity_staking, p.clone())
}
pub(crate) fn event_registry(net: &TestNet, p: &DynProvider) -> Events {
    EventRegistry::new(net.handle.deployment().event_registry, p.clone())
}
pub(crate) fn machine_nft(net: &TestNet, p: &DynProvider) -> Nft {
    MachineNFT::new(net.handle.deployment().machine_nft, p.clone())
}
pub(crate) fn admin_flags(net: &TestNet, p: &DynProvider) -> Flags {
    AdminFlags::new(net.handle.deployment().admin_flags, p.clone())
}
pub(crate) fn wpeaq(p: &DynProvider) -> NativeErc20::NativeErc20Instance<DynProvider> {
    NativeErc20::new(NATIVE_ERC20_PRECOMPILE_ADDRESS, p.clone())
}

// ------------------------------------------------------------------------------------------------
// machines

/// A registered machine: its key, the one provider that sends for that key, its id and the
/// registration receipt.
pub(crate) struct Machine {
    pub key: PrivateKeySigner,
    pub p: DynProvider,
    pub id: U256,
    pub receipt: TransactionReceipt,
}

impl Machine {
    pub(crate) fn address(&self) -> Address {
        self.key.address()
    }
}

/// The machine id of a registration receipt's `Registered` log.
pub(crate) fn registered_id(net: &TestNet, r: &TransactionReceipt) -> U256 {
    event::<IdentityRegistry::Registered>(r, net.handle.deployment().identity_registry).machineId
}

/// A fresh key funded with 10 PEAQ and its provider.
pub(crate) async fn funded(net: &TestNet) -> (PrivateKeySigner, DynProvider) {
    let key = net.funded_key(10).await;
    let p = net.provider_for(key.clone());
    (key, p)
}

/// A funded machine key that registers itself with `minBond`.
pub(crate) async fn register_self(net: &TestNet) -> Machine {
    let (key, p) = funded(net).await;
    let reg = registry(net, &p);
    let bond = reg.minBond().call().await.unwrap();
    let receipt = mined(reg.register().value(bond)).await;
    let id = registered_id(net, &receipt);
    assert_eq!(
        reg.machineIdOfOwner(key.address()).call().await.unwrap(),
        id
    );
    Machine {
        key,
        p,
        id,
        receipt,
    }
}

/// A fresh funded machine key registered by `operator` (a proxy) with `minBond`.
pub(crate) async fn register_for(net: &TestNet, operator: &DynProvider) -> Machine {
    let (key, p) = funded(net).await;
    let reg = registry(net, operator);
    let bond = reg.minBond().call().await.unwrap();
    let receipt = mined(reg.registerFor(key.address()).value(bond)).await;
    let id = registered_id(net, &receipt);
    assert_eq!(
        reg.machineIdOfOwner(key.address()).call().await.unwrap(),
        id
    );
    Machine {
        key,
        p,
        id,
        receipt,
    }
}

// ------------------------------------------------------------------------------------------------
// events

/// The `submitEvent` call builder of `ev` for `machine_id`.
pub(crate) fn submit<'a>(
    er: &'a Events,
    machine_id: U256,
    ev: &Ev,
) -> alloy::contract::SolCallBuilder<&'a DynProvider, EventRegistry::submitEventCall> {
    er.call_builder(&ev.call(machine_id))
}

/// The record `getEventAt` must return for `ev` stored for `machine_id`.
pub(crate) fn record(machine_id: U256, ev: &Ev) -> EventRegistry::MachineEvent {
    EventRegistry::MachineEvent {
        machineId: machine_id,
        eventType: ev.event_type,
        value: ev.value,
        timestamp: ev.timestamp,
        dataHash: ev.data_hash,
        trustLevel: ev.trust_level,
        sourceChainId: ev.source_chain_id,
        sourceTxHash: ev.source_tx_hash,
        metadata: ev.metadata.clone(),
        currency: ev.currency.clone(),
    }
}

/// Checks the one `EventSubmitted` log of `r` (fields and topics: signature, machineId,
/// eventIndex, keccak256(currency)) and that `getEventAt` returns every submitted field.
pub(crate) async fn check_submitted(
    er: &Events,
    r: &TransactionReceipt,
    machine_id: U256,
    index: u64,
    ev: &Ev,
) {
    let log = event::<EventRegistry::EventSubmitted>(r, *er.address());
    assert_eq!(
        log,
        EventRegistry::EventSubmitted {
            machineId: machine_id,
            eventIndex: U256::from(index),
            eventType: ev.event_type,
            value: ev.value,
            currency: keccak256(ev.currency.as_bytes()),
        },
        "EventSubmitted fields"
    );
    let raw = r
        .inner
        .logs()
        .iter()
        .find(|l| l.address() == *er.address())
        .expect("a log of EventRegistry");
    assert_eq!(
        raw.topics(),
        [
            EventRegistry::EventSubmitted::SIGNATURE_HASH,
            B256::from(machine_id),
            B256::from(U256::from(index)),
            keccak256(ev.currency.as_bytes()),
        ]
    );
    assert_eq!(
        er.getEventAt(machine_id, U256::from(index))
            .call()
            .await
            .unwrap(),
        record(machine_id, ev),
        "getEventAt({machine_id}, {index})"
    );
}

/// A USD revenue event of 500 at `ts` with a 32-byte data hash, no source and no metadata: the
/// event the gas budget is stated for.
pub(crate) fn budget_event(ts: u64) -> Ev {
    Ev {
        data_hash: keccak256(ts.to_be_bytes()),
        ..Ev::revenue("USD", ts)
    }
}

/// Sends `events` for `machine_id` from `p`'s wallet in one `batchAll` with a fixed gas limit;
/// asserts success and returns the receipt.
pub(crate) async fn batch_submit(
    net: &TestNet,
    p: &DynProvider,
    machine_id: U256,
    events: &[Ev],
) -> TransactionReceipt {
    let er = net.handle.deployment().event_registry;
    let calls: Vec<Bytes> = events
        .iter()
        .map(|e| e.call(machine_id).abi_encode().into())
        .collect();
    let batch = Batch::new(BATCH_PRECOMPILE_ADDRESS, p);
    mined(
        batch
            .batchAll(vec![er; calls.len()], vec![], calls, vec![])
            .gas(40_000_000),
    )
    .await
}

// ------------------------------------------------------------------------------------------------
// chain

/// The timestamp of the block of `r`.
pub(crate) async fn block_timestamp(p: &DynProvider, r: &TransactionReceipt) -> u64 {
    let n = r.block_number.expect("mined");
    p.get_block_by_number(n.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp
}

/// Pins the timestamp of the next block (and of eth_call / eth_estimateGas until it is mined).
pub(crate) async fn pin_next_timestamp(p: &DynProvider, ts: u64) {
    let _: serde_json::Value = p
        .raw_request("evm_setNextBlockTimestamp".into(), (ts,))
        .await
        .unwrap();
}

/// The fee a receipt paid.
pub(crate) fn fee(r: &TransactionReceipt) -> U256 {
    U256::from(r.gas_used) * U256::from(r.effective_gas_price)
}

/// Paris calldata cost: 4 gas per zero byte, 16 per non-zero byte.
pub(crate) fn calldata_cost(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// The implementation behind an ERC-1967 proxy.
pub(crate) async fn implementation_of(p: &DynProvider, proxy: Address) -> Address {
    let word = p
        .get_storage_at(proxy, IMPLEMENTATION_SLOT.into())
        .await
        .unwrap();
    Address::from_word(B256::from(word))
}

/// Deploys `implementation_code` and an ERC-1967 proxy in front of it initialised with `init`,
/// from `p`'s wallet; returns the proxy address.
pub(crate) async fn deploy_proxy(
    p: &DynProvider,
    implementation_code: &Bytes,
    init: impl SolCall,
) -> Address {
    let implementation = p
        .send_transaction(
            alloy::rpc::types::TransactionRequest::default()
                .with_deploy_code(implementation_code.clone()),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap()
        .contract_address
        .expect("implementation deployed");
    *ERC1967Proxy::deploy(p, implementation, init.abi_encode().into())
        .await
        .unwrap()
        .address()
}

/// A second IdentityStaking proxy on WPEAQ, deployed and owned by `p0`'s wallet (dev account 0:
/// pass the test's one provider of that key, so that its nonce cache stays right).
pub(crate) async fn second_staking(p0: &DynProvider, owner: Address) -> Address {
    deploy_proxy(
        p0,
        &IdentityStaking::BYTECODE,
        IdentityStaking::initializeCall {
            _stakingToken: NATIVE_ERC20_PRECOMPILE_ADDRESS,
            _owner: owner,
        },
    )
    .await
}
