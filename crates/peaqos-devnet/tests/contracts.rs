//! Contract test suite: every function, event and custom error of the peaqOS contracts
//! (contracts/README.md), driven through alloy against the embedded devnet.
//!
//! Every revert is checked twice, through `.call()` (eth_call) and through `.send()` (the gas
//! filler's eth_estimateGas, which must answer JSON-RPC code 3 with the revert data), and decoded
//! into the exact custom error with its arguments.

use alloy::contract::{CallBuilder, CallDecoder, Error as ContractError};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256, b256, keccak256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolError, SolEvent, SolValue};
use peaqos_contracts::upgrade_test::IdentityRegistryV2;
use peaqos_contracts::{
    AdminFlags, ERC1967Proxy, EventRegistry, IdentityRegistry, IdentityStaking, MachineNFT,
};
use peaqos_testkit::{Ev, EvExt, TestNet, event, latest_timestamp, mined, peaq, sent};
use peaqos_types::constants::DEFAULT_MCR_API_URL;
use std::fmt::Debug;

type Registry = IdentityRegistry::IdentityRegistryInstance<DynProvider>;
type Staking = IdentityStaking::IdentityStakingInstance<DynProvider>;
type Events = EventRegistry::EventRegistryInstance<DynProvider>;
type Nft = MachineNFT::MachineNFTInstance<DynProvider>;
type Flags = AdminFlags::AdminFlagsInstance<DynProvider>;

/// `IdentityRegistry.MachineStatus` (README order).
const STATUS_NONE: u8 = 0;
const STATUS_PENDING: u8 = 1;
const STATUS_VERIFIED: u8 = 2;
const STATUS_REJECTED: u8 = 3;
const STATUS_DEACTIVATED: u8 = 4;

/// ERC-1967 implementation slot: `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`.
const IMPLEMENTATION_SLOT: B256 =
    b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");

// ------------------------------------------------------------------------------------------------
// revert decoding

/// The revert data of a failed call; panics (with the error) when the error carries none.
fn revert_data(err: &ContractError) -> Bytes {
    err.as_revert_data()
        .unwrap_or_else(|| panic!("no revert data in error: {err:?}"))
}

/// Name of the custom error a reverted call returned, looked up by selector in the error sets of
/// all five contracts (the revert data must decode completely into that error).
fn revert_name(err: ContractError) -> String {
    let data = revert_data(&err);
    assert!(data.len() >= 4, "revert data has no selector: {data}");
    let selector: [u8; 4] = data[..4].try_into().expect("4 bytes");
    // The decoded value proves the arguments are well formed, not just the selector.
    macro_rules! try_set {
        ($set:ty) => {
            if let Some(name) = <$set>::name_by_selector(selector) {
                assert!(
                    err.as_decoded_interface_error::<$set>().is_some(),
                    "revert data {data} has the selector of {name} but does not decode"
                );
                return name.to_string();
            }
        };
    }
    try_set!(IdentityRegistry::IdentityRegistryErrors);
    try_set!(IdentityStaking::IdentityStakingErrors);
    try_set!(EventRegistry::EventRegistryErrors);
    try_set!(MachineNFT::MachineNFTErrors);
    try_set!(AdminFlags::AdminFlagsErrors);
    panic!("revert data {data} is no custom error of the peaqOS contracts")
}

/// Decodes `err` as exactly `E` (selector and arguments) and checks how it was reported.
fn assert_error<E: SolError + PartialEq + Debug>(err: ContractError, expected: &E, path: &str) {
    if let ContractError::TransportError(t) = &err {
        let resp = t
            .as_error_resp()
            .unwrap_or_else(|| panic!("{path}: not a JSON-RPC error response: {t:?}"));
        assert_eq!(
            resp.code, 3,
            "{path}: JSON-RPC code of a revert must be 3: {resp:?}"
        );
    } else {
        panic!("{path}: expected a JSON-RPC revert, got {err:?}");
    }
    let decoded = err.as_decoded_error::<E>();
    assert_eq!(
        decoded.as_ref(),
        Some(expected),
        "{path}: revert data {:?}",
        err.as_revert_data()
    );
    let name = E::SIGNATURE.split('(').next().expect("name");
    assert_eq!(revert_name(err), name, "{path}");
}

/// Asserts that the call reverts with exactly `expected`, both through eth_call and through
/// `send()` (eth_estimateGas). Nothing is mined.
async fn expect_revert<P, D, E>(cb: &CallBuilder<P, D>, expected: E)
where
    P: Provider + Clone,
    D: CallDecoder + Clone + Unpin,
    E: SolError + PartialEq + Debug,
{
    match cb.call().await {
        Ok(_) => panic!("eth_call succeeded, expected {expected:?}"),
        Err(e) => assert_error(e, &expected, "call"),
    }
    // An explicit nonce keeps alloy's default CachedNonceManager out of the way: it reserves a
    // nonce while the gas filler runs, and a send that then fails in eth_estimateGas would leave
    // the provider's cached nonce one ahead of the chain, so that the provider's next transaction
    // waits forever in the devnet's queue (documented alloy behaviour, not a devnet bug). The
    // devnet's eth_estimateGas ignores the nonce; an unexpected success is never mined.
    match cb.clone().nonce(1 << 62).send().await {
        Ok(pending) => panic!(
            "send succeeded (tx {}), expected {expected:?}",
            pending.tx_hash()
        ),
        Err(e) => assert_error(e, &expected, "send"),
    }
}

// ------------------------------------------------------------------------------------------------
// helpers

fn registry(net: &TestNet, p: &DynProvider) -> Registry {
    IdentityRegistry::new(net.handle.deployment().identity_registry, p.clone())
}
fn staking(net: &TestNet, p: &DynProvider) -> Staking {
    IdentityStaking::new(net.handle.deployment().identity_staking, p.clone())
}
fn event_registry(net: &TestNet, p: &DynProvider) -> Events {
    EventRegistry::new(net.handle.deployment().event_registry, p.clone())
}
fn machine_nft(net: &TestNet, p: &DynProvider) -> Nft {
    MachineNFT::new(net.handle.deployment().machine_nft, p.clone())
}
fn admin_flags(net: &TestNet, p: &DynProvider) -> Flags {
    AdminFlags::new(net.handle.deployment().admin_flags, p.clone())
}

/// A funded machine key that registers itself; returns (key, its provider, machine id, receipt).
async fn register_self(net: &TestNet) -> (PrivateKeySigner, DynProvider, U256, TransactionReceipt) {
    let key = net.funded_key(10).await;
    let p = net.provider_for(key.clone());
    let reg = registry(net, &p);
    let bond = reg.minBond().call().await.unwrap();
    let r = mined(reg.register().value(bond)).await;
    let id = reg.machineIdOf(key.address()).call().await.unwrap();
    assert_ne!(id, U256::ZERO);
    (key, p, id, r)
}

/// A fresh machine key (funded) registered by `operator`; returns (key, machine provider, id, receipt).
async fn register_for(
    net: &TestNet,
    operator: &DynProvider,
) -> (PrivateKeySigner, DynProvider, U256, TransactionReceipt) {
    let key = net.funded_key(10).await;
    let reg = registry(net, operator);
    let bond = reg.minBond().call().await.unwrap();
    let r = mined(reg.registerFor(key.address()).value(bond)).await;
    let id = reg.machineIdOf(key.address()).call().await.unwrap();
    assert_ne!(id, U256::ZERO);
    (key.clone(), net.provider_for(key), id, r)
}

async fn block_timestamp(p: &DynProvider, r: &TransactionReceipt) -> u64 {
    let n = r.block_number.expect("mined");
    p.get_block_by_number(n.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp
}

/// Pins the timestamp of the next block (and of eth_call / eth_estimateGas until it is mined).
async fn pin_next_timestamp(p: &DynProvider, ts: u64) {
    let _: serde_json::Value = p
        .raw_request("evm_setNextBlockTimestamp".into(), (ts,))
        .await
        .unwrap();
}

/// Paris calldata cost: 4 gas per zero byte, 16 per non-zero byte.
fn calldata_cost(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

fn submit<'a>(
    er: &'a Events,
    machine_id: U256,
    ev: &Ev,
) -> alloy::contract::SolCallBuilder<&'a DynProvider, EventRegistry::submitEventCall> {
    er.call_builder(&ev.call(machine_id))
}

/// The README commitment, computed in Rust from a log:
/// keccak256(abi.encode(machineId, index, submitter, eventType, value, keccak256(bytes(currency)),
/// timestamp, dataHash, trustLevel, sourceChainId, sourceTxHash, keccak256(metadata))).
fn rust_commitment(e: &EventRegistry::EventSubmitted) -> B256 {
    let encoded = (
        e.machineId,
        e.eventIndex,
        e.submitter,
        U256::from(e.eventType),
        e.value,
        keccak256(e.currency.as_bytes()),
        e.timestamp,
        e.dataHash,
        U256::from(e.trustLevel),
        e.sourceChainId,
        e.sourceTxHash,
        keccak256(&e.metadata),
    )
        .abi_encode_params();
    assert_eq!(encoded.len(), 12 * 32, "12 ABI words");
    keccak256(encoded)
}

/// `computeCommitment` on chain for a log's fields.
async fn chain_commitment(er: &Events, e: &EventRegistry::EventSubmitted) -> B256 {
    er.computeCommitment(
        e.machineId,
        e.eventIndex,
        e.submitter,
        e.eventType,
        e.value,
        e.currency.clone(),
        e.timestamp,
        e.dataHash,
        e.trustLevel,
        e.sourceChainId,
        e.sourceTxHash,
        e.metadata.clone(),
    )
    .call()
    .await
    .unwrap()
}

/// Checks a log against what was submitted and the stored commitment against both recomputations.
async fn check_submitted(
    er: &Events,
    r: &TransactionReceipt,
    machine_id: U256,
    index: u64,
    submitter: Address,
    ev: &Ev,
) -> EventRegistry::EventSubmitted {
    let log = event::<EventRegistry::EventSubmitted>(r, *er.address());
    let expected = EventRegistry::EventSubmitted {
        machineId: machine_id,
        eventIndex: U256::from(index),
        submitter,
        eventType: ev.event_type,
        value: ev.value,
        currency: ev.currency.clone(),
        timestamp: ev.timestamp,
        dataHash: ev.data_hash,
        trustLevel: ev.trust_level,
        sourceChainId: ev.source_chain_id,
        sourceTxHash: ev.source_tx_hash,
        metadata: ev.metadata.clone(),
    };
    assert_eq!(log, expected, "EventSubmitted fields");
    // topics: signature, machineId, eventIndex, submitter
    let raw = r
        .inner
        .logs()
        .iter()
        .find(|l| l.address() == *er.address())
        .unwrap();
    let topics = raw.topics();
    assert_eq!(topics.len(), 4);
    assert_eq!(topics[0], EventRegistry::EventSubmitted::SIGNATURE_HASH);
    assert_eq!(topics[1], B256::from(machine_id));
    assert_eq!(topics[2], B256::from(U256::from(index)));
    assert_eq!(topics[3], submitter.into_word());

    let stored = er
        .eventCommitment(machine_id, U256::from(index))
        .call()
        .await
        .unwrap();
    assert_ne!(stored, B256::ZERO, "commitment stored");
    assert_eq!(
        stored,
        chain_commitment(er, &log).await,
        "eventCommitment == computeCommitment(log)"
    );
    assert_eq!(
        stored,
        rust_commitment(&log),
        "eventCommitment == keccak256(abi.encode(...)) in Rust"
    );
    log
}

// ================================================================================================
// 1. custom error decoding

#[tokio::test]
async fn revert_surfaces_as_decodable_custom_error() {
    let net = TestNet::start().await;
    let key = net.funded_key(10).await;
    let p = net.provider_for(key.clone());
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    let wrong = bond - U256::from(1);

    // eth_call: the raw revert data is the ABI encoding of the custom error
    let err = reg.register().value(wrong).call().await.unwrap_err();
    let expected = IdentityRegistry::IncorrectBondAmount {
        sent: wrong,
        required: bond,
    };
    assert_eq!(revert_data(&err), Bytes::from(expected.abi_encode()));
    match err.as_decoded_interface_error::<IdentityRegistry::IdentityRegistryErrors>() {
        Some(IdentityRegistry::IdentityRegistryErrors::IncorrectBondAmount(e)) => {
            assert_eq!(e.sent, wrong);
            assert_eq!(e.required, bond);
        }
        other => panic!("unexpected decoding {other:?}"),
    }
    assert_eq!(revert_name(err), "IncorrectBondAmount");

    // send(): eth_estimateGas answers code 3 with the same data
    let err = reg.register().value(wrong).send().await.unwrap_err();
    let ContractError::TransportError(t) = &err else {
        panic!("not a transport error: {err:?}")
    };
    let resp = t.as_error_resp().expect("error response");
    assert_eq!(resp.code, 3);
    assert!(
        resp.message.starts_with("execution reverted"),
        "{}",
        resp.message
    );
    assert_eq!(
        err.as_decoded_error::<IdentityRegistry::IncorrectBondAmount>(),
        Some(expected.clone())
    );
    assert_eq!(revert_name(err), "IncorrectBondAmount");

    // the shared helper does both
    expect_revert(&reg.register().value(wrong), expected).await;
    // nothing was registered and nothing was mined from this key
    assert_eq!(
        reg.machineIdOf(key.address()).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(p.get_transaction_count(key.address()).await.unwrap(), 0);
}

/// A reverting call sent with a fixed gas limit (no estimation) is mined with status 0, no logs,
/// no state change and the bond back with the sender (only the fee is charged).
#[tokio::test]
async fn reverted_transaction_is_mined_without_effects() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let key = net.funded_key(10).await;
    let p = net.provider_for(key.clone());
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    let before = p.get_balance(key.address()).await.unwrap();
    let staking_before = p.get_balance(d.identity_staking).await.unwrap();
    let r = sent(reg.register().value(bond + U256::from(1)).gas(500_000)).await;
    assert!(!r.status());
    assert!(r.inner.logs().is_empty());
    let fee = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    assert_eq!(p.get_balance(key.address()).await.unwrap(), before - fee);
    assert_eq!(
        p.get_balance(d.identity_staking).await.unwrap(),
        staking_before
    );
    assert_eq!(reg.nextMachineId().call().await.unwrap(), U256::from(1));
    assert_eq!(
        reg.machineIdOf(key.address()).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(p.get_transaction_count(key.address()).await.unwrap(), 1);
    // the same provider goes on to register normally
    mined(reg.register().value(bond)).await;
    assert_eq!(
        reg.machineIdOf(key.address()).call().await.unwrap(),
        U256::from(1)
    );
}

// ================================================================================================
// 2. IdentityRegistry

#[tokio::test]
async fn register_self_happy_path() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    let stk0 = staking(&net, &p0);
    assert_eq!(reg0.nextMachineId().call().await.unwrap(), U256::from(1));
    assert_eq!(reg0.staking().call().await.unwrap(), d.identity_staking);
    assert_eq!(
        stk0.identityRegistry().call().await.unwrap(),
        d.identity_registry
    );
    assert_eq!(reg0.name().call().await.unwrap(), "peaqOS Identity");
    assert_eq!(reg0.symbol().call().await.unwrap(), "PEAQID");
    let bond = reg0.minBond().call().await.unwrap();
    assert_eq!(bond, peaq(1));
    let staking_before = p0.get_balance(d.identity_staking).await.unwrap();
    let total_before = stk0.totalStaked().call().await.unwrap();

    for expected_id in 1u64..=2 {
        let key = net.funded_key(10).await;
        let p = net.provider_for(key.clone());
        let reg = registry(&net, &p);
        let machine = key.address();
        // the return value, as seen by eth_call
        assert_eq!(
            reg.register().value(bond).call().await.unwrap(),
            U256::from(expected_id)
        );
        let balance_before = p.get_balance(machine).await.unwrap();
        let r = mined(reg.register().value(bond)).await;
        let id = U256::from(expected_id);

        let ev = event::<IdentityRegistry::Registered>(&r, d.identity_registry);
        assert_eq!(
            ev,
            IdentityRegistry::Registered {
                machineId: id,
                machine,
                operator: machine,
                bond
            }
        );
        let transfer = event::<IdentityRegistry::Transfer>(&r, d.identity_registry);
        assert_eq!(
            transfer,
            IdentityRegistry::Transfer {
                from: Address::ZERO,
                to: machine,
                tokenId: id
            }
        );
        let staked = event::<IdentityStaking::Staked>(&r, d.identity_staking);
        assert_eq!(
            staked,
            IdentityStaking::Staked {
                machineId: id,
                amount: bond
            }
        );

        assert_eq!(
            reg.nextMachineId().call().await.unwrap(),
            id + U256::from(1)
        );
        assert_eq!(reg.machineIdOf(machine).call().await.unwrap(), id);
        assert_eq!(reg.machineWalletOf(id).call().await.unwrap(), machine);
        assert_eq!(reg.operatorOf(id).call().await.unwrap(), machine);
        assert_eq!(reg.machineStatus(id).call().await.unwrap(), STATUS_PENDING);
        assert!(reg.machineExists(id).call().await.unwrap());
        let auth = reg.machineAuth(id).call().await.unwrap();
        assert_eq!(
            (auth.wallet, auth.operator, auth.status),
            (machine, machine, STATUS_PENDING)
        );
        assert_eq!(reg.ownerOf(id).call().await.unwrap(), machine);
        assert_eq!(reg.balanceOf(machine).call().await.unwrap(), U256::from(1));

        let stk = staking(&net, &p);
        assert_eq!(stk.bondOf(id).call().await.unwrap(), bond);
        assert!(stk.isStaked(id).call().await.unwrap());
        // the machine paid exactly the bond plus gas
        let fee = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
        assert_eq!(
            p.get_balance(machine).await.unwrap(),
            balance_before - bond - fee
        );
    }
    let two = U256::from(2);
    assert_eq!(
        stk0.totalStaked().call().await.unwrap(),
        total_before + bond * two
    );
    assert_eq!(
        p0.get_balance(d.identity_staking).await.unwrap(),
        staking_before + bond * two
    );
    // the registry itself keeps nothing
    assert_eq!(
        p0.get_balance(d.identity_registry).await.unwrap(),
        U256::ZERO
    );
    // unknown ids
    let three = U256::from(3);
    assert!(!reg0.machineExists(three).call().await.unwrap());
    assert_eq!(reg0.machineStatus(three).call().await.unwrap(), STATUS_NONE);
    assert_eq!(
        reg0.machineWalletOf(three).call().await.unwrap(),
        Address::ZERO
    );
    assert_eq!(reg0.operatorOf(three).call().await.unwrap(), Address::ZERO);
    assert!(!stk0.isStaked(three).call().await.unwrap());
    assert_eq!(stk0.bondOf(three).call().await.unwrap(), U256::ZERO);
    assert_eq!(
        reg0.machineIdOf(net.address(5)).call().await.unwrap(),
        U256::ZERO
    );
}

#[tokio::test]
async fn register_for_records_operator() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let op = net.provider(1);
    let operator = net.address(1);
    let (key, _mp, id, r) = register_for(&net, &op).await;
    let machine = key.address();
    assert_eq!(id, U256::from(1));
    let bond = peaq(1);
    assert_eq!(
        event::<IdentityRegistry::Registered>(&r, d.identity_registry),
        IdentityRegistry::Registered {
            machineId: id,
            machine,
            operator,
            bond
        }
    );
    let reg = registry(&net, &op);
    assert_eq!(reg.machineIdOf(machine).call().await.unwrap(), id);
    assert_eq!(
        reg.machineIdOf(operator).call().await.unwrap(),
        U256::ZERO,
        "the operator is no machine"
    );
    assert_eq!(reg.machineWalletOf(id).call().await.unwrap(), machine);
    assert_eq!(reg.operatorOf(id).call().await.unwrap(), operator);
    assert_eq!(reg.machineStatus(id).call().await.unwrap(), STATUS_PENDING);
    assert!(reg.machineExists(id).call().await.unwrap());
    let auth = reg.machineAuth(id).call().await.unwrap();
    assert_eq!(
        (auth.wallet, auth.operator, auth.status),
        (machine, operator, STATUS_PENDING)
    );
    // the Identity NFT goes to the machine, not to the operator
    assert_eq!(reg.ownerOf(id).call().await.unwrap(), machine);
    assert_eq!(reg.balanceOf(operator).call().await.unwrap(), U256::ZERO);
    let stk = staking(&net, &op);
    assert_eq!(stk.bondOf(id).call().await.unwrap(), bond);
    assert!(stk.isStaked(id).call().await.unwrap());
    assert_eq!(stk.totalStaked().call().await.unwrap(), bond);
    assert_eq!(reg.nextMachineId().call().await.unwrap(), U256::from(2));
    // the operator can register a second machine: ids keep counting
    let (_, _, id2, _) = register_for(&net, &op).await;
    assert_eq!(id2, U256::from(2));
    assert_eq!(reg.operatorOf(id2).call().await.unwrap(), operator);
}

#[tokio::test]
async fn register_with_wrong_bond_reverts_incorrect_bond_amount() {
    let net = TestNet::start().await;
    let key = net.funded_key(10).await;
    let p = net.provider_for(key.clone());
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    for sent in [
        U256::ZERO,
        bond - U256::from(1),
        bond + U256::from(1),
        bond * U256::from(2),
    ] {
        let expected = IdentityRegistry::IncorrectBondAmount {
            sent,
            required: bond,
        };
        expect_revert(&reg.register().value(sent), expected.clone()).await;
        expect_revert(&reg.registerFor(net.address(6)).value(sent), expected).await;
    }
    assert_eq!(reg.nextMachineId().call().await.unwrap(), U256::from(1));
    assert_eq!(
        staking(&net, &p).totalStaked().call().await.unwrap(),
        U256::ZERO
    );
}

#[tokio::test]
async fn register_twice_reverts_already_registered() {
    let net = TestNet::start().await;
    let (key, p, _id, _) = register_self(&net).await;
    let machine = key.address();
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    let expected = IdentityRegistry::AlreadyRegistered { machine };
    expect_revert(&reg.register().value(bond), expected.clone()).await;
    // another operator cannot re-register it either
    let reg1 = registry(&net, &net.provider(1));
    expect_revert(&reg1.registerFor(machine).value(bond), expected.clone()).await;
    // AlreadyRegistered is checked before the bond amount
    expect_revert(&reg1.registerFor(machine).value(U256::ZERO), expected).await;
    // an operator-registered machine cannot self-register afterwards
    let (k2, p2, _, _) = register_for(&net, &net.provider(1)).await;
    expect_revert(
        &registry(&net, &p2).register().value(bond),
        IdentityRegistry::AlreadyRegistered {
            machine: k2.address(),
        },
    )
    .await;
    assert_eq!(reg.nextMachineId().call().await.unwrap(), U256::from(3));
}

#[tokio::test]
async fn register_for_zero_address_reverts_invalid_machine_address() {
    let net = TestNet::start().await;
    let reg = registry(&net, &net.provider(1));
    let bond = reg.minBond().call().await.unwrap();
    expect_revert(
        &reg.registerFor(Address::ZERO).value(bond),
        IdentityRegistry::InvalidMachineAddress {},
    )
    .await;
    // checked first: even with a wrong bond
    expect_revert(
        &reg.registerFor(Address::ZERO).value(U256::ZERO),
        IdentityRegistry::InvalidMachineAddress {},
    )
    .await;
}

#[tokio::test]
async fn identity_nft_is_soulbound() {
    let net = TestNet::start().await;
    let (key, p, id, _) = register_self(&net).await;
    let machine = key.address();
    let to = net.address(5);
    let reg = registry(&net, &p);
    let sb = IdentityRegistry::IdentityNFTSoulbound {};
    expect_revert(&reg.transferFrom(machine, to, id), sb.clone()).await;
    expect_revert(&reg.safeTransferFrom_0(machine, to, id), sb.clone()).await;
    expect_revert(
        &reg.safeTransferFrom_1(machine, to, id, Bytes::from_static(b"x")),
        sb.clone(),
    )
    .await;
    expect_revert(&reg.approve(to, id), sb.clone()).await;
    expect_revert(&reg.setApprovalForAll(to, true), sb.clone()).await;
    // not even the contract owner can move it
    let reg0 = registry(&net, &net.provider(0));
    expect_revert(&reg0.approve(to, id), sb).await;
    assert_eq!(reg.ownerOf(id).call().await.unwrap(), machine);
    assert_eq!(reg.getApproved(id).call().await.unwrap(), Address::ZERO);
}

#[tokio::test]
async fn set_min_bond_is_owner_only_and_applies() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    let old = reg0.minBond().call().await.unwrap();
    let new = peaq(2);
    let r = mined(reg0.setMinBond(new)).await;
    assert_eq!(
        event::<IdentityRegistry::MinBondUpdated>(&r, d.identity_registry),
        IdentityRegistry::MinBondUpdated {
            oldMinBond: old,
            newMinBond: new
        }
    );
    assert_eq!(reg0.minBond().call().await.unwrap(), new);

    let key = net.funded_key(10).await;
    let p = net.provider_for(key.clone());
    let reg = registry(&net, &p);
    expect_revert(
        &reg.register().value(old),
        IdentityRegistry::IncorrectBondAmount {
            sent: old,
            required: new,
        },
    )
    .await;
    mined(reg.register().value(new)).await;
    let id = reg.machineIdOf(key.address()).call().await.unwrap();
    assert_eq!(staking(&net, &p).bondOf(id).call().await.unwrap(), new);

    let stranger = net.address(3);
    let reg3 = registry(&net, &net.provider(3));
    expect_revert(
        &reg3.setMinBond(old),
        IdentityRegistry::OwnableUnauthorizedAccount { account: stranger },
    )
    .await;
    // a machine is no owner either
    expect_revert(
        &reg.setMinBond(old),
        IdentityRegistry::OwnableUnauthorizedAccount {
            account: key.address(),
        },
    )
    .await;
    assert_eq!(reg0.minBond().call().await.unwrap(), new);
    assert_eq!(reg0.owner().call().await.unwrap(), d.owner);
    assert_eq!(d.owner, net.address(0));
}

#[tokio::test]
async fn set_machine_status_and_deactivate() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let (_, _, id, _) = register_self(&net).await;
    let reg0 = registry(&net, &net.provider(0));

    let mut current = STATUS_PENDING;
    for status in [
        STATUS_VERIFIED,
        STATUS_REJECTED,
        STATUS_PENDING,
        STATUS_VERIFIED,
    ] {
        let r = mined(reg0.setMachineStatus(id, status)).await;
        assert_eq!(
            event::<IdentityRegistry::MachineStatusChanged>(&r, d.identity_registry),
            IdentityRegistry::MachineStatusChanged {
                machineId: id,
                oldStatus: current,
                newStatus: status
            }
        );
        assert_eq!(reg0.machineStatus(id).call().await.unwrap(), status);
        current = status;
    }
    let r = mined(reg0.deactivate(id)).await;
    assert_eq!(
        event::<IdentityRegistry::MachineStatusChanged>(&r, d.identity_registry),
        IdentityRegistry::MachineStatusChanged {
            machineId: id,
            oldStatus: current,
            newStatus: STATUS_DEACTIVATED
        }
    );
    assert_eq!(
        reg0.machineStatus(id).call().await.unwrap(),
        STATUS_DEACTIVATED
    );
    assert!(
        reg0.machineExists(id).call().await.unwrap(),
        "a deactivated machine still exists"
    );

    let unknown = U256::from(99);
    expect_revert(
        &reg0.setMachineStatus(unknown, STATUS_VERIFIED),
        IdentityRegistry::MachineNotFound { machineId: unknown },
    )
    .await;
    expect_revert(
        &reg0.deactivate(unknown),
        IdentityRegistry::MachineNotFound { machineId: unknown },
    )
    .await;
    expect_revert(
        &reg0.setMachineStatus(id, STATUS_NONE),
        IdentityRegistry::InvalidMachineStatus {
            status: STATUS_NONE,
        },
    )
    .await;

    let stranger = net.address(2);
    let reg2 = registry(&net, &net.provider(2));
    let unauthorized = IdentityRegistry::OwnableUnauthorizedAccount { account: stranger };
    expect_revert(
        &reg2.setMachineStatus(id, STATUS_VERIFIED),
        unauthorized.clone(),
    )
    .await;
    expect_revert(&reg2.deactivate(id), unauthorized).await;
    assert_eq!(
        reg0.machineStatus(id).call().await.unwrap(),
        STATUS_DEACTIVATED
    );
}

#[tokio::test]
async fn base_uri_and_token_uri() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let (_, _, id, _) = register_self(&net).await;
    let (_, _, id2, _) = register_self(&net).await;
    let reg0 = registry(&net, &net.provider(0));
    let base = reg0.baseURI().call().await.unwrap();
    assert_eq!(base, DEFAULT_MCR_API_URL);
    assert_eq!(
        reg0.tokenURI(id).call().await.unwrap(),
        format!("{base}/machines/{id}")
    );
    assert_eq!(
        reg0.tokenURI(id2).call().await.unwrap(),
        format!("{base}/machines/{id2}")
    );
    let unknown = U256::from(42);
    expect_revert(
        &reg0.tokenURI(unknown),
        IdentityRegistry::ERC721NonexistentToken { tokenId: unknown },
    )
    .await;

    let new_base = "https://mcr.example.org/api";
    let r = mined(reg0.setBaseURI(new_base.into())).await;
    assert_eq!(
        event::<IdentityRegistry::BaseURIUpdated>(&r, d.identity_registry),
        IdentityRegistry::BaseURIUpdated {
            baseURI: new_base.into()
        }
    );
    assert_eq!(reg0.baseURI().call().await.unwrap(), new_base);
    assert_eq!(
        reg0.tokenURI(id).call().await.unwrap(),
        format!("{new_base}/machines/{id}")
    );

    let reg4 = registry(&net, &net.provider(4));
    expect_revert(
        &reg4.setBaseURI("https://evil".into()),
        IdentityRegistry::OwnableUnauthorizedAccount {
            account: net.address(4),
        },
    )
    .await;
    assert_eq!(reg0.baseURI().call().await.unwrap(), new_base);
}

// ================================================================================================
// 3. IdentityStaking

#[tokio::test]
async fn stake_for_only_from_identity_registry() {
    let net = TestNet::start().await;
    let (_, _, id, _) = register_self(&net).await;
    for i in [0u32, 1] {
        // neither a stranger nor the owner may stake directly
        let stk = staking(&net, &net.provider(i));
        expect_revert(
            &stk.stakeFor(U256::from(7)).value(peaq(1)),
            IdentityStaking::NotIdentityRegistry {},
        )
        .await;
        expect_revert(
            &stk.stakeFor(id).value(peaq(1)),
            IdentityStaking::NotIdentityRegistry {},
        )
        .await;
    }
    let stk = staking(&net, &net.provider(0));
    assert_eq!(stk.totalStaked().call().await.unwrap(), peaq(1));
    assert!(!stk.isStaked(U256::from(7)).call().await.unwrap());
}

#[tokio::test]
async fn paused_staking_blocks_registration() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let stk0 = staking(&net, &p0);
    assert!(!stk0.paused().call().await.unwrap());
    // only the owner pauses
    let stk5 = staking(&net, &net.provider(5));
    expect_revert(
        &stk5.pause(),
        IdentityStaking::OwnableUnauthorizedAccount {
            account: net.address(5),
        },
    )
    .await;

    let r = mined(stk0.pause()).await;
    assert_eq!(
        event::<IdentityStaking::Paused>(&r, d.identity_staking),
        IdentityStaking::Paused {
            account: net.address(0)
        }
    );
    assert!(stk0.paused().call().await.unwrap());

    let key = net.funded_key(10).await;
    let p = net.provider_for(key.clone());
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    // the staking's EnforcedPause bubbles up through the registry
    expect_revert(
        &reg.register().value(bond),
        IdentityStaking::EnforcedPause {},
    )
    .await;
    expect_revert(
        &registry(&net, &net.provider(1))
            .registerFor(net.address(7))
            .value(bond),
        IdentityStaking::EnforcedPause {},
    )
    .await;
    assert_eq!(reg.nextMachineId().call().await.unwrap(), U256::from(1));
    expect_revert(&stk0.pause(), IdentityStaking::EnforcedPause {}).await;
    expect_revert(
        &stk5.unpause(),
        IdentityStaking::OwnableUnauthorizedAccount {
            account: net.address(5),
        },
    )
    .await;

    let r = mined(stk0.unpause()).await;
    assert_eq!(
        event::<IdentityStaking::Unpaused>(&r, d.identity_staking),
        IdentityStaking::Unpaused {
            account: net.address(0)
        }
    );
    expect_revert(&stk0.unpause(), IdentityStaking::ExpectedPause {}).await;
    mined(reg.register().value(bond)).await;
    let id = reg.machineIdOf(key.address()).call().await.unwrap();
    assert_eq!(id, U256::from(1));
    assert!(stk0.isStaked(id).call().await.unwrap());
}

#[tokio::test]
async fn staking_has_no_withdrawal_and_rejects_plain_transfers() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let (_, _, _id, _) = register_self(&net).await;
    // the ABI has no way out: exactly the documented functions (README), none of which pays out
    let mut names: Vec<&str> = IdentityStaking::IdentityStakingCalls::SIGNATURES
        .iter()
        .map(|s| s.split('(').next().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "UPGRADE_INTERFACE_VERSION",
            "bondOf",
            "identityRegistry",
            "initialize",
            "isStaked",
            "owner",
            "pause",
            "paused",
            "proxiableUUID",
            "renounceOwnership",
            "setIdentityRegistry",
            "stakeFor",
            "totalStaked",
            "transferOwnership",
            "unpause",
            "upgradeToAndCall",
        ]
    );

    let p = net.provider(2);
    let from = net.address(2);
    let held = p.get_balance(d.identity_staking).await.unwrap();
    assert_eq!(held, peaq(1));
    let tx = TransactionRequest::default()
        .from(from)
        .to(d.identity_staking)
        .value(U256::from(1000));
    // eth_call and eth_estimateGas: a revert with empty data (no receive / fallback)
    let err = p.call(tx.clone()).await.unwrap_err();
    let resp = err.as_error_resp().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(resp.code, 3, "{resp:?}");
    assert_eq!(resp.as_revert_data().unwrap_or_default(), Bytes::new());
    let err = p.estimate_gas(tx.clone()).await.unwrap_err();
    let resp = err.as_error_resp().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(resp.code, 3, "{resp:?}");
    assert_eq!(resp.as_revert_data().unwrap_or_default(), Bytes::new());
    // sent anyway with a fixed gas limit: mined, failed, balances unchanged but for the fee
    let before = p.get_balance(from).await.unwrap();
    let r = p
        .send_transaction(tx.with_gas_limit(100_000))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(!r.status(), "a plain transfer to IdentityStaking must fail");
    assert_eq!(p.get_balance(d.identity_staking).await.unwrap(), held);
    let fee = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    assert_eq!(p.get_balance(from).await.unwrap(), before - fee);
    // same with calldata that matches no function (fallback)
    let tx = TransactionRequest::default()
        .from(from)
        .to(d.identity_staking)
        .value(U256::from(1))
        .input(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]).into());
    let err = p.call(tx).await.unwrap_err();
    assert_eq!(err.as_error_resp().map(|e| e.code), Some(3), "{err:?}");
}

// ================================================================================================
// 4. EventRegistry

#[tokio::test]
async fn submit_revenue_and_activity_events() {
    let net = TestNet::start().await;
    let (key, p, id, _) = register_self(&net).await;
    let machine = key.address();
    let er = event_registry(&net, &p);
    let d = net.handle.deployment();
    assert_eq!(
        er.identityRegistry().call().await.unwrap(),
        d.identity_registry
    );
    assert_eq!(
        er.identityStaking().call().await.unwrap(),
        d.identity_staking
    );
    assert_eq!(er.EVENT_TYPE_REVENUE().call().await.unwrap(), 0);
    assert_eq!(er.EVENT_TYPE_ACTIVITY().call().await.unwrap(), 1);
    assert_eq!(er.MAX_TRUST_LEVEL().call().await.unwrap(), 2);
    assert_eq!(
        er.MAX_METADATA_BYTES().call().await.unwrap(),
        U256::from(4096)
    );
    assert_eq!(er.eventCount(id).call().await.unwrap(), U256::ZERO);
    assert_eq!(
        er.eventCommitment(id, U256::ZERO).call().await.unwrap(),
        B256::ZERO
    );

    let now = latest_timestamp(&p).await;
    let revenue = Ev {
        machine_id: U256::ZERO,
        event_type: 0,
        value: U256::from(123_456_789u64),
        currency: "USD".into(),
        timestamp: U256::from(now - 60),
        data_hash: keccak256(b"invoice #1"),
        trust_level: 1,
        source_chain_id: U256::from(3338),
        source_tx_hash: keccak256(b"source tx"),
        metadata: Bytes::from_static(br#"{"kind":"charging","kwh":12.5}"#),
    };
    assert_eq!(
        submit(&er, id, &revenue).call().await.unwrap(),
        U256::ZERO,
        "returned index"
    );
    let r = mined(submit(&er, id, &revenue)).await;
    assert_eq!(r.inner.logs().len(), 1, "one log per event");
    let log0 = check_submitted(&er, &r, id, 0, machine, &revenue).await;
    assert_eq!(er.eventCount(id).call().await.unwrap(), U256::from(1));

    let activity = Ev {
        data_hash: keccak256(b"activity"),
        trust_level: 2,
        metadata: Bytes::from_static(b"{\"uptime\":3600}"),
        ..Ev::activity(now)
    };
    assert_eq!(
        submit(&er, id, &activity).call().await.unwrap(),
        U256::from(1)
    );
    let r = mined(submit(&er, id, &activity)).await;
    let log1 = check_submitted(&er, &r, id, 1, machine, &activity).await;
    assert_eq!(er.eventCount(id).call().await.unwrap(), U256::from(2));

    // a third one with extreme values
    let extreme = Ev {
        value: U256::MAX,
        currency: "ABCDEFGHIJ".into(),
        timestamp: U256::ZERO,
        data_hash: B256::repeat_byte(0xff),
        source_chain_id: U256::MAX,
        source_tx_hash: B256::repeat_byte(0xee),
        metadata: Bytes::from(vec![0xab; 33]),
        trust_level: 2,
        ..Ev::revenue("", now)
    };
    let r = mined(submit(&er, id, &extreme)).await;
    let log2 = check_submitted(&er, &r, id, 2, machine, &extreme).await;
    assert_eq!(er.eventCount(id).call().await.unwrap(), U256::from(3));

    // commitments differ per event and there is nothing past the count
    assert_ne!(rust_commitment(&log0), rust_commitment(&log1));
    assert_ne!(rust_commitment(&log1), rust_commitment(&log2));
    assert_eq!(
        er.eventCommitment(id, U256::from(3)).call().await.unwrap(),
        B256::ZERO
    );
    // a commitment binds the submitter: the same fields from someone else hash differently
    let forged = EventRegistry::EventSubmitted {
        submitter: net.address(1),
        ..log0.clone()
    };
    assert_ne!(
        rust_commitment(&forged),
        er.eventCommitment(id, U256::ZERO).call().await.unwrap()
    );
    assert_eq!(
        rust_commitment(&forged),
        chain_commitment(&er, &forged).await
    );
    // other machines have no events
    assert_eq!(
        er.eventCount(id + U256::from(1)).call().await.unwrap(),
        U256::ZERO
    );
}

#[tokio::test]
async fn machine_wallet_and_operator_submit_stranger_cannot() {
    let net = TestNet::start().await;
    let op = net.provider(1);
    let operator = net.address(1);
    let (key, mp, id, _) = register_for(&net, &op).await;
    let machine = key.address();
    let now = latest_timestamp(&op).await;

    let ev = Ev::revenue("USD", now);
    let r = mined(submit(&event_registry(&net, &mp), id, &ev)).await;
    check_submitted(&event_registry(&net, &mp), &r, id, 0, machine, &ev).await;

    let ev = Ev::activity(now);
    let er_op = event_registry(&net, &op);
    let r = mined(submit(&er_op, id, &ev)).await;
    check_submitted(&er_op, &r, id, 1, operator, &ev).await;

    // a stranger, the contracts' owner and another machine are all refused
    let stranger = net.funded_key(1).await;
    let er_s = event_registry(&net, &net.provider_for(stranger.clone()));
    expect_revert(
        &submit(&er_s, id, &Ev::revenue("USD", now)),
        EventRegistry::NotAuthorizedSubmitter {
            submitter: stranger.address(),
        },
    )
    .await;
    let er_owner = event_registry(&net, &net.provider(0));
    expect_revert(
        &submit(&er_owner, id, &Ev::revenue("USD", now)),
        EventRegistry::NotAuthorizedSubmitter {
            submitter: net.address(0),
        },
    )
    .await;
    let (other, other_p, other_id, _) = register_self(&net).await;
    expect_revert(
        &submit(
            &event_registry(&net, &other_p),
            id,
            &Ev::revenue("USD", now),
        ),
        EventRegistry::NotAuthorizedSubmitter {
            submitter: other.address(),
        },
    )
    .await;
    // and the first machine cannot submit for the other one
    expect_revert(
        &submit(
            &event_registry(&net, &mp),
            other_id,
            &Ev::revenue("USD", now),
        ),
        EventRegistry::NotAuthorizedSubmitter { submitter: machine },
    )
    .await;
    assert_eq!(er_op.eventCount(id).call().await.unwrap(), U256::from(2));
    assert_eq!(er_op.eventCount(other_id).call().await.unwrap(), U256::ZERO);
}

#[tokio::test]
async fn submit_event_machine_checks_in_order() {
    let net = TestNet::start().await;
    let (_key, mp, id, _) = register_self(&net).await;
    let now = latest_timestamp(&mp).await;
    let er = event_registry(&net, &mp);
    let stranger = net.provider(3);
    let er_s = event_registry(&net, &stranger);
    let good = Ev::revenue("USD", now);
    // every field invalid as well: the machine check comes first
    let bad = Ev {
        event_type: 2,
        trust_level: 3,
        timestamp: U256::from(now + 100_000),
        metadata: Bytes::from(vec![0; 5000]),
        currency: "x".into(),
        ..good.clone()
    };

    // MachineNotFound: unknown ids (0 and one past the last), before the submitter check
    for unknown in [U256::ZERO, id + U256::from(1)] {
        expect_revert(
            &submit(&er, unknown, &good),
            EventRegistry::MachineNotFound { machineId: unknown },
        )
        .await;
        expect_revert(
            &submit(&er_s, unknown, &bad),
            EventRegistry::MachineNotFound { machineId: unknown },
        )
        .await;
    }
    // NotAuthorizedSubmitter comes before the field checks
    expect_revert(
        &submit(&er_s, id, &bad),
        EventRegistry::NotAuthorizedSubmitter {
            submitter: net.address(3),
        },
    )
    .await;

    // a Verified / Rejected machine may still submit
    let reg0 = registry(&net, &net.provider(0));
    mined(reg0.setMachineStatus(id, STATUS_VERIFIED)).await;
    mined(submit(&er, id, &good)).await;
    mined(reg0.setMachineStatus(id, STATUS_REJECTED)).await;
    mined(submit(&er, id, &good)).await;
    assert_eq!(er.eventCount(id).call().await.unwrap(), U256::from(2));

    // MachineDeactivated: once the owner deactivates, for the machine and for anyone else
    mined(reg0.deactivate(id)).await;
    expect_revert(
        &submit(&er, id, &good),
        EventRegistry::MachineDeactivated { machineId: id },
    )
    .await;
    expect_revert(
        &submit(&er_s, id, &bad),
        EventRegistry::MachineDeactivated { machineId: id },
    )
    .await;
    // reactivating (owner sets Pending) lets it submit again
    mined(reg0.setMachineStatus(id, STATUS_PENDING)).await;
    mined(submit(&er, id, &good)).await;
    assert_eq!(er.eventCount(id).call().await.unwrap(), U256::from(3));
}

/// MachineNotBonded cannot happen with the devnet deployment (registration always bonds and bonds
/// cannot be withdrawn), so it is constructed with a second IdentityStaking proxy that holds no
/// bond, and an EventRegistry / MachineNFT proxy wired to the real IdentityRegistry and that
/// empty staking. Deployed from account 0 with the committed artifacts.
async fn unbonded_wiring(net: &TestNet) -> (Address, Address) {
    let p0 = net.provider(0);
    let owner = net.address(0);
    let d = net.handle.deployment();
    let staking_impl = IdentityStaking::deploy(&p0).await.unwrap();
    let init = IdentityStaking::initializeCall { owner_: owner }.abi_encode();
    let empty_staking = ERC1967Proxy::deploy(&p0, *staking_impl.address(), init.into())
        .await
        .unwrap();
    let empty_staking = *empty_staking.address();

    let er_impl = EventRegistry::deploy(&p0).await.unwrap();
    let init = EventRegistry::initializeCall {
        owner_: owner,
        registry_: d.identity_registry,
        staking_: empty_staking,
    }
    .abi_encode();
    let er = *ERC1967Proxy::deploy(&p0, *er_impl.address(), init.into())
        .await
        .unwrap()
        .address();

    let nft_impl = MachineNFT::deploy(&p0).await.unwrap();
    let init = MachineNFT::initializeCall {
        owner_: owner,
        registry_: d.identity_registry,
        staking_: empty_staking,
        baseURI_: DEFAULT_MCR_API_URL.into(),
    }
    .abi_encode();
    let nft = *ERC1967Proxy::deploy(&p0, *nft_impl.address(), init.into())
        .await
        .unwrap()
        .address();

    let s = IdentityStaking::new(empty_staking, &p0);
    assert_eq!(s.totalStaked().call().await.unwrap(), U256::ZERO);
    (er, nft)
}

#[tokio::test]
async fn submit_event_machine_not_bonded() {
    let net = TestNet::start().await;
    let (_key, mp, id, _) = register_self(&net).await;
    let (er_addr, _) = unbonded_wiring(&net).await;
    let er = EventRegistry::new(er_addr, mp.clone());
    assert!(
        !IdentityStaking::new(er.identityStaking().call().await.unwrap(), &mp)
            .isStaked(id)
            .call()
            .await
            .unwrap()
    );
    let now = latest_timestamp(&mp).await;
    expect_revert(
        &submit(&er, id, &Ev::revenue("USD", now)),
        EventRegistry::MachineNotBonded { machineId: id },
    )
    .await;
    // checked before the submitter
    let er_s = EventRegistry::new(er_addr, net.provider(3));
    expect_revert(
        &submit(&er_s, id, &Ev::revenue("USD", now)),
        EventRegistry::MachineNotBonded { machineId: id },
    )
    .await;
    // and after the existence check
    let unknown = id + U256::from(1);
    expect_revert(
        &submit(&er, unknown, &Ev::revenue("USD", now)),
        EventRegistry::MachineNotFound { machineId: unknown },
    )
    .await;
    // the real EventRegistry accepts the same event
    mined(submit(
        &event_registry(&net, &mp),
        id,
        &Ev::revenue("USD", now),
    ))
    .await;
}

#[tokio::test]
async fn submit_event_field_checks_in_order() {
    let net = TestNet::start().await;
    let (key, mp, id, _) = register_self(&net).await;
    let er = event_registry(&net, &mp);
    let now = latest_timestamp(&mp).await;
    // pin the pending block time so that FutureTimestamp's blockTimestamp is known exactly
    let block_time = now + 5;
    pin_next_timestamp(&mp, block_time).await;
    let future = block_time + 1000;
    let good = Ev::revenue("USD", block_time);

    // each case also breaks every later rule, proving the order
    let all_bad = Ev {
        event_type: 2,
        trust_level: 3,
        timestamp: U256::from(future),
        metadata: Bytes::from(vec![7; 4097]),
        currency: "usd".into(),
        ..good.clone()
    };
    expect_revert(
        &submit(&er, id, &all_bad),
        EventRegistry::InvalidEventType { eventType: 2 },
    )
    .await;
    expect_revert(
        &submit(
            &er,
            id,
            &Ev {
                event_type: 255,
                ..all_bad.clone()
            },
        ),
        EventRegistry::InvalidEventType { eventType: 255 },
    )
    .await;
    let case = Ev {
        event_type: 0,
        ..all_bad.clone()
    };
    expect_revert(
        &submit(&er, id, &case),
        EventRegistry::InvalidTrustLevel { trustLevel: 3 },
    )
    .await;
    let case = Ev {
        trust_level: 2,
        ..case
    };
    expect_revert(
        &submit(&er, id, &case),
        EventRegistry::FutureTimestamp {
            timestamp: U256::from(future),
            blockTimestamp: U256::from(block_time),
        },
    )
    .await;
    let case = Ev {
        timestamp: U256::from(block_time),
        ..case
    };
    expect_revert(
        &submit(&er, id, &case),
        EventRegistry::MetadataTooLarge {
            length: U256::from(4097),
        },
    )
    .await;
    let case = Ev {
        metadata: Bytes::from(vec![7; 4096]),
        ..case
    };
    expect_revert(
        &submit(&er, id, &case),
        EventRegistry::InvalidCurrencyShape {},
    )
    .await;
    // one second in the future is already too far
    expect_revert(
        &submit(
            &er,
            id,
            &Ev {
                timestamp: U256::from(block_time + 1),
                ..good.clone()
            },
        ),
        EventRegistry::FutureTimestamp {
            timestamp: U256::from(block_time + 1),
            blockTimestamp: U256::from(block_time),
        },
    )
    .await;

    // fixed: 4096 bytes of metadata, timestamp == block time, trust level 2 are accepted
    let ok = Ev {
        currency: "USD".into(),
        ..case
    };
    let r = mined(submit(&er, id, &ok)).await;
    assert_eq!(
        block_timestamp(&mp, &r).await,
        block_time,
        "the pinned block time was used"
    );
    check_submitted(&er, &r, id, 0, key.address(), &ok).await;
    assert_eq!(er.eventCount(id).call().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn currency_shape_rules() {
    let net = TestNet::start().await;
    let (key, mp, id, _) = register_self(&net).await;
    let er = event_registry(&net, &mp);
    let now = latest_timestamp(&mp).await;
    for bad in [
        "usd",
        "US",
        "ABCDEFGHIJK",
        "US-D",
        "",
        "U",
        "USd",
        "US D",
        "ÜSD",
        "USD\0",
    ] {
        expect_revert(
            &submit(&er, id, &Ev::revenue(bad, now)),
            EventRegistry::InvalidCurrencyShape {},
        )
        .await;
    }
    // activity events must carry no currency
    for bad in ["USD", "X"] {
        let ev = Ev {
            currency: bad.into(),
            ..Ev::activity(now)
        };
        expect_revert(
            &submit(&er, id, &ev),
            EventRegistry::InvalidCurrencyShape {},
        )
        .await;
    }
    let mut index = 0u64;
    for good in ["USD", "HKD", "JPY", "USDC", "ABCDEFGHIJ", "0X1", "EUR2"] {
        let ev = Ev::revenue(good, now);
        let r = mined(submit(&er, id, &ev)).await;
        check_submitted(&er, &r, id, index, key.address(), &ev).await;
        index += 1;
    }
    assert_eq!(er.eventCount(id).call().await.unwrap(), U256::from(index));
}

#[tokio::test]
async fn submit_event_gas() {
    let net = TestNet::start().await;
    let (key, mp, id, _) = register_self(&net).await;
    let er = event_registry(&net, &mp);
    let now = latest_timestamp(&mp).await;
    let ev = Ev::revenue("USD", now);
    let mut gas = Vec::new();
    let mut calldata_gas = 0;
    for index in 0..3u64 {
        let r = mined(submit(&er, id, &ev)).await;
        check_submitted(&er, &r, id, index, key.address(), &ev).await;
        gas.push(r.gas_used);
        let tx = mp
            .get_transaction_by_hash(r.transaction_hash)
            .await
            .unwrap()
            .unwrap();
        let input = alloy::consensus::Transaction::input(&tx).clone();
        assert_eq!(
            input.len(),
            420,
            "4 + 10 head words + currency (2 words) + metadata length word"
        );
        calldata_gas = calldata_cost(&input);
    }
    // the devnet charges the Paris intrinsic cost: 21,000 for a plain transfer, plus 4 / 16 gas per
    // zero / non-zero calldata byte (so the figures above are comparable with any Paris EVM)
    let input = submit(&er, id, &ev).calldata().clone();
    let to = net.address(8);
    let r = mp
        .send_transaction(TransactionRequest::default().to(to).value(U256::from(1)))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(r.gas_used, 21_000);
    let r = mp
        .send_transaction(
            TransactionRequest::default()
                .to(to)
                .input(input.clone().into()),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(r.gas_used, 21_000 + calldata_cost(&input));
    // operator != wallet
    let (_k2, _mp2, id2, _) = register_for(&net, &net.provider(1)).await;
    let er_op = event_registry(&net, &net.provider(1));
    let mut gas_op = Vec::new();
    for _ in 0..3u64 {
        let r = mined(submit(&er_op, id2, &ev)).await;
        gas_op.push(r.gas_used);
    }
    println!(
        "GAS submitEvent first={}, second={}, third={}",
        gas[0], gas[1], gas[2]
    );
    println!(
        "GAS submitEvent (operator != wallet) first={}, second={}, third={}",
        gas_op[0], gas_op[1], gas_op[2]
    );
    println!(
        "GAS submitEvent intrinsic=21000 + calldata={calldata_gas} (420 bytes, value 500, \"USD\", zero hashes, empty metadata)"
    );
    for (i, g) in gas.iter().chain(gas_op.iter()).enumerate() {
        assert!(
            *g <= 100_000,
            "event {i} used {g} gas, over the 100,000 budget"
        );
    }
}

// ================================================================================================
// 5. MachineNFT

#[tokio::test]
async fn machine_nft_token_ids_are_independent_of_machine_ids() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let (ka, pa, id_a, _) = register_self(&net).await;
    let (kb, pb, id_b, _) = register_self(&net).await;
    assert_eq!((id_a, id_b), (U256::from(1), U256::from(2)));
    let nft_b = machine_nft(&net, &pb);
    assert_eq!(nft_b.name().call().await.unwrap(), "peaqOS Machine");
    assert_eq!(nft_b.symbol().call().await.unwrap(), "PEAQM");
    assert_eq!(nft_b.nextTokenId().call().await.unwrap(), U256::from(1));
    assert_eq!(
        nft_b.identityRegistry().call().await.unwrap(),
        d.identity_registry
    );
    assert_eq!(
        nft_b.identityStaking().call().await.unwrap(),
        d.identity_staking
    );

    // the second machine mints first and gets token 1
    assert_eq!(
        nft_b.mint(id_b, kb.address()).call().await.unwrap(),
        U256::from(1)
    );
    let r = mined(nft_b.mint(id_b, kb.address())).await;
    assert_eq!(
        event::<MachineNFT::MachineNFTMinted>(&r, d.machine_nft),
        MachineNFT::MachineNFTMinted {
            machineId: id_b,
            tokenId: U256::from(1),
            recipient: kb.address()
        }
    );
    assert_eq!(
        event::<MachineNFT::Transfer>(&r, d.machine_nft),
        MachineNFT::Transfer {
            from: Address::ZERO,
            to: kb.address(),
            tokenId: U256::from(1)
        }
    );
    let nft_a = machine_nft(&net, &pa);
    let r = mined(nft_a.mint(id_a, ka.address())).await;
    assert_eq!(
        event::<MachineNFT::MachineNFTMinted>(&r, d.machine_nft),
        MachineNFT::MachineNFTMinted {
            machineId: id_a,
            tokenId: U256::from(2),
            recipient: ka.address()
        }
    );
    assert_eq!(nft_a.tokenIdOf(id_b).call().await.unwrap(), U256::from(1));
    assert_eq!(nft_a.tokenIdOf(id_a).call().await.unwrap(), U256::from(2));
    assert_eq!(nft_a.machineIdOf(U256::from(1)).call().await.unwrap(), id_b);
    assert_eq!(nft_a.machineIdOf(U256::from(2)).call().await.unwrap(), id_a);
    assert_eq!(
        nft_a.machineIdOf(U256::from(3)).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        nft_a.tokenIdOf(U256::from(3)).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(nft_a.nextTokenId().call().await.unwrap(), U256::from(3));
    assert_eq!(
        nft_a.ownerOf(U256::from(1)).call().await.unwrap(),
        kb.address()
    );
    assert_eq!(
        nft_a.ownerOf(U256::from(2)).call().await.unwrap(),
        ka.address()
    );

    let base = nft_a.baseURI().call().await.unwrap();
    assert_eq!(base, DEFAULT_MCR_API_URL);
    for t in [1u64, 2] {
        assert_eq!(
            nft_a.tokenURI(U256::from(t)).call().await.unwrap(),
            format!("{base}/metadata/{t}")
        );
    }
    expect_revert(
        &nft_a.tokenURI(U256::from(3)),
        MachineNFT::ERC721NonexistentToken {
            tokenId: U256::from(3),
        },
    )
    .await;

    // owner-only base URI
    let nft0 = machine_nft(&net, &net.provider(0));
    let r = mined(nft0.setBaseURI("https://mcr.example".into())).await;
    assert_eq!(
        event::<MachineNFT::BaseURIUpdated>(&r, d.machine_nft),
        MachineNFT::BaseURIUpdated {
            baseURI: "https://mcr.example".into()
        }
    );
    assert_eq!(
        nft_a.tokenURI(U256::from(1)).call().await.unwrap(),
        "https://mcr.example/metadata/1"
    );
    expect_revert(
        &nft_a.setBaseURI("x".into()),
        MachineNFT::OwnableUnauthorizedAccount {
            account: ka.address(),
        },
    )
    .await;
}

#[tokio::test]
async fn machine_nft_operator_mint_must_target_machine() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let op = net.provider(1);
    let operator = net.address(1);
    let (key, _mp, id, _) = register_for(&net, &op).await;
    let nft = machine_nft(&net, &op);
    expect_revert(
        &nft.mint(id, operator),
        MachineNFT::RecipientMustBeMachineOwner {
            recipient: operator,
        },
    )
    .await;
    expect_revert(
        &nft.mint(id, net.address(7)),
        MachineNFT::RecipientMustBeMachineOwner {
            recipient: net.address(7),
        },
    )
    .await;
    let r = mined(nft.mint(id, key.address())).await;
    assert_eq!(
        event::<MachineNFT::MachineNFTMinted>(&r, d.machine_nft),
        MachineNFT::MachineNFTMinted {
            machineId: id,
            tokenId: U256::from(1),
            recipient: key.address()
        }
    );
    assert_eq!(
        nft.ownerOf(U256::from(1)).call().await.unwrap(),
        key.address()
    );
    assert_eq!(nft.tokenIdOf(id).call().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn machine_nft_machine_wallet_may_mint_to_any_recipient() {
    let net = TestNet::start().await;
    let (_key, mp, id, _) = register_self(&net).await;
    let nft = machine_nft(&net, &mp);
    let recipient = net.address(6);
    mined(nft.mint(id, recipient)).await;
    assert_eq!(nft.ownerOf(U256::from(1)).call().await.unwrap(), recipient);
    assert_eq!(nft.tokenIdOf(id).call().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn machine_nft_mint_reverts() {
    let net = TestNet::start().await;
    let (key, mp, id, _) = register_self(&net).await;
    let machine = key.address();
    let stranger = net.address(4);
    let nft_s = machine_nft(&net, &net.provider(4));
    let nft = machine_nft(&net, &mp);

    let unknown = id + U256::from(1);
    expect_revert(
        &nft.mint(unknown, machine),
        MachineNFT::MachineNotFound { machineId: unknown },
    )
    .await;
    expect_revert(
        &nft_s.mint(U256::ZERO, Address::ZERO),
        MachineNFT::MachineNotFound {
            machineId: U256::ZERO,
        },
    )
    .await;
    // zero recipient is checked before the caller
    expect_revert(
        &nft_s.mint(id, Address::ZERO),
        MachineNFT::InvalidAddress {},
    )
    .await;
    expect_revert(&nft.mint(id, Address::ZERO), MachineNFT::InvalidAddress {}).await;
    expect_revert(
        &nft_s.mint(id, stranger),
        MachineNFT::NotMachineOwner { caller: stranger },
    )
    .await;
    expect_revert(
        &nft_s.mint(id, machine),
        MachineNFT::NotMachineOwner { caller: stranger },
    )
    .await;
    // the contracts' owner is no machine owner
    let nft0 = machine_nft(&net, &net.provider(0));
    expect_revert(
        &nft0.mint(id, machine),
        MachineNFT::NotMachineOwner {
            caller: net.address(0),
        },
    )
    .await;
    assert_eq!(nft.nextTokenId().call().await.unwrap(), U256::from(1));

    mined(nft.mint(id, machine)).await;
    // AlreadyMinted comes before the recipient and caller checks
    expect_revert(
        &nft.mint(id, machine),
        MachineNFT::AlreadyMinted { machineId: id },
    )
    .await;
    expect_revert(
        &nft_s.mint(id, Address::ZERO),
        MachineNFT::AlreadyMinted { machineId: id },
    )
    .await;
    assert_eq!(nft.nextTokenId().call().await.unwrap(), U256::from(2));
}

#[tokio::test]
async fn machine_nft_mint_machine_not_bonded() {
    let net = TestNet::start().await;
    let (key, mp, id, _) = register_self(&net).await;
    let (_, nft_addr) = unbonded_wiring(&net).await;
    let nft = MachineNFT::new(nft_addr, mp.clone());
    expect_revert(
        &nft.mint(id, key.address()),
        MachineNFT::MachineNotBonded { machineId: id },
    )
    .await;
    // before AlreadyMinted / InvalidAddress / NotMachineOwner
    let nft_s = MachineNFT::new(nft_addr, net.provider(4));
    expect_revert(
        &nft_s.mint(id, Address::ZERO),
        MachineNFT::MachineNotBonded { machineId: id },
    )
    .await;
    // the real MachineNFT mints
    mined(machine_nft(&net, &mp).mint(id, key.address())).await;
}

#[tokio::test]
async fn machine_nft_is_transferable() {
    let net = TestNet::start().await;
    let (key, mp, id, _) = register_self(&net).await;
    let machine = key.address();
    let nft = machine_nft(&net, &mp);
    mined(nft.mint(id, machine)).await;
    let token = nft.tokenIdOf(id).call().await.unwrap();
    let d = net.handle.deployment();

    let a = net.address(5);
    let r = mined(nft.transferFrom(machine, a, token)).await;
    assert_eq!(
        event::<MachineNFT::Transfer>(&r, d.machine_nft),
        MachineNFT::Transfer {
            from: machine,
            to: a,
            tokenId: token
        }
    );
    assert_eq!(nft.ownerOf(token).call().await.unwrap(), a);
    // the new holder approves someone who moves it on with safeTransferFrom
    let nft_a = machine_nft(&net, &net.provider(5));
    mined(nft_a.approve(net.address(6), token)).await;
    assert_eq!(
        nft_a.getApproved(token).call().await.unwrap(),
        net.address(6)
    );
    let nft_6 = machine_nft(&net, &net.provider(6));
    mined(nft_6.safeTransferFrom_0(a, net.address(7), token)).await;
    assert_eq!(nft.ownerOf(token).call().await.unwrap(), net.address(7));
    // the machine id mapping follows the token, not the holder
    assert_eq!(nft.machineIdOf(token).call().await.unwrap(), id);
    assert_eq!(nft.tokenIdOf(id).call().await.unwrap(), token);
    // the machine can no longer move it
    expect_revert(
        &nft.transferFrom(net.address(7), machine, token),
        MachineNFT::ERC721InsufficientApproval {
            operator: machine,
            tokenId: token,
        },
    )
    .await;
    // and the Identity NFT stayed with the machine
    assert_eq!(
        registry(&net, &mp).ownerOf(id).call().await.unwrap(),
        machine
    );
}

// ================================================================================================
// 6. AdminFlags

#[tokio::test]
async fn admin_flags_flag_and_clear() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let flags = admin_flags(&net, &p0);
    let id = U256::from(7);
    assert!(!flags.isFlagged(id).call().await.unwrap());
    assert_eq!(flags.flaggedAt(id).call().await.unwrap(), U256::ZERO);

    let r = mined(flags.flagMachine(id)).await;
    let ts = block_timestamp(&p0, &r).await;
    assert_eq!(
        event::<AdminFlags::MachineFlagged>(&r, d.admin_flags),
        AdminFlags::MachineFlagged {
            machineId: id,
            flaggedAt: U256::from(ts)
        }
    );
    assert!(flags.isFlagged(id).call().await.unwrap());
    assert_eq!(flags.flaggedAt(id).call().await.unwrap(), U256::from(ts));
    assert!(!flags.isFlagged(id + U256::from(1)).call().await.unwrap());

    // re-flagging later refreshes the time
    let later = ts + 100;
    pin_next_timestamp(&p0, later).await;
    let r = mined(flags.flagMachine(id)).await;
    assert_eq!(block_timestamp(&p0, &r).await, later);
    assert_eq!(
        event::<AdminFlags::MachineFlagged>(&r, d.admin_flags),
        AdminFlags::MachineFlagged {
            machineId: id,
            flaggedAt: U256::from(later)
        }
    );
    assert_eq!(flags.flaggedAt(id).call().await.unwrap(), U256::from(later));

    let r = mined(flags.clearFlag(id)).await;
    assert_eq!(
        event::<AdminFlags::FlagCleared>(&r, d.admin_flags),
        AdminFlags::FlagCleared { machineId: id }
    );
    assert!(!flags.isFlagged(id).call().await.unwrap());
    assert_eq!(flags.flaggedAt(id).call().await.unwrap(), U256::ZERO);
}

#[tokio::test]
async fn admin_flags_trust_override() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let flags = admin_flags(&net, &p0);
    let id = U256::from(3);
    assert_eq!(
        flags.MAX_TRUST_OVERRIDE().call().await.unwrap(),
        U256::from(100)
    );
    let o = flags.trustOverrideOf(id).call().await.unwrap();
    assert_eq!((o.set, o.value), (false, U256::ZERO));

    for v in [0u64, 100, 50] {
        let r = mined(flags.setTrustOverride(id, U256::from(v))).await;
        assert_eq!(
            event::<AdminFlags::TrustOverrideSet>(&r, d.admin_flags),
            AdminFlags::TrustOverrideSet {
                machineId: id,
                value: U256::from(v)
            }
        );
        let o = flags.trustOverrideOf(id).call().await.unwrap();
        assert_eq!((o.set, o.value), (true, U256::from(v)));
    }
    for v in [U256::from(101), U256::from(256), U256::MAX] {
        expect_revert(
            &flags.setTrustOverride(id, v),
            AdminFlags::InvalidTrustOverride { value: v },
        )
        .await;
    }
    let o = flags.trustOverrideOf(id).call().await.unwrap();
    assert_eq!((o.set, o.value), (true, U256::from(50)));

    // flags and overrides are independent
    mined(flags.flagMachine(id)).await;
    let r = mined(flags.clearTrustOverride(id)).await;
    assert_eq!(
        event::<AdminFlags::TrustOverrideCleared>(&r, d.admin_flags),
        AdminFlags::TrustOverrideCleared { machineId: id }
    );
    let o = flags.trustOverrideOf(id).call().await.unwrap();
    assert_eq!((o.set, o.value), (false, U256::ZERO));
    assert!(flags.isFlagged(id).call().await.unwrap());
    // an override of 0 is "set", unlike no override
    mined(flags.setTrustOverride(id, U256::ZERO)).await;
    let o = flags.trustOverrideOf(id).call().await.unwrap();
    assert_eq!((o.set, o.value), (true, U256::ZERO));
    mined(flags.clearFlag(id)).await;
    assert!(flags.trustOverrideOf(id).call().await.unwrap().set);
}

#[tokio::test]
async fn admin_flags_owner_only() {
    let net = TestNet::start().await;
    let p0 = net.provider(0);
    let flags0 = admin_flags(&net, &p0);
    assert_eq!(flags0.owner().call().await.unwrap(), net.address(0));
    let id = U256::from(1);
    mined(flags0.flagMachine(id)).await;
    mined(flags0.setTrustOverride(id, U256::from(10))).await;
    let flags = admin_flags(&net, &net.provider(8));
    let e = AdminFlags::OwnableUnauthorizedAccount {
        account: net.address(8),
    };
    expect_revert(&flags.flagMachine(id), e.clone()).await;
    expect_revert(&flags.clearFlag(id), e.clone()).await;
    expect_revert(&flags.setTrustOverride(id, U256::from(5)), e.clone()).await;
    // owner check before the value check
    expect_revert(&flags.setTrustOverride(id, U256::from(101)), e.clone()).await;
    expect_revert(&flags.clearTrustOverride(id), e).await;
    assert!(flags.isFlagged(id).call().await.unwrap());
    let o = flags.trustOverrideOf(id).call().await.unwrap();
    assert_eq!((o.set, o.value), (true, U256::from(10)));
}

// ================================================================================================
// 7. Upgrades

async fn implementation_of(p: &DynProvider, proxy: Address) -> Address {
    let word = p
        .get_storage_at(proxy, IMPLEMENTATION_SLOT.into())
        .await
        .unwrap();
    Address::from_word(B256::from(word))
}

#[tokio::test]
async fn upgrade_identity_registry_keeps_state() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let (k1, p1, id1, _) = register_self(&net).await;
    let (k2, _p2, id2, _) = register_for(&net, &net.provider(1)).await;
    let reg0 = registry(&net, &p0);
    mined(reg0.setMinBond(peaq(3))).await;
    mined(reg0.setMachineStatus(id1, STATUS_VERIFIED)).await;
    mined(reg0.setBaseURI("https://before.upgrade".into())).await;
    let old_impl = implementation_of(&p0, d.identity_registry).await;
    assert_ne!(old_impl, Address::ZERO);

    // the old implementation has no version()
    let v2_view = IdentityRegistryV2::new(d.identity_registry, &p0);
    assert!(
        v2_view.version().call().await.is_err(),
        "version() must not exist before the upgrade"
    );

    let v2_impl = IdentityRegistryV2::deploy(&p0).await.unwrap();
    let new_impl = *v2_impl.address();
    assert_eq!(
        v2_impl.proxiableUUID().call().await.unwrap(),
        IMPLEMENTATION_SLOT
    );
    let r = mined(reg0.upgradeToAndCall(new_impl, Bytes::new())).await;
    assert_eq!(
        event::<IdentityRegistry::Upgraded>(&r, d.identity_registry),
        IdentityRegistry::Upgraded {
            implementation: new_impl
        }
    );
    assert_eq!(implementation_of(&p0, d.identity_registry).await, new_impl);
    assert_eq!(v2_view.version().call().await.unwrap(), "2");

    // state is intact
    assert_eq!(v2_view.machineIdOf(k1.address()).call().await.unwrap(), id1);
    assert_eq!(v2_view.machineIdOf(k2.address()).call().await.unwrap(), id2);
    assert_eq!(v2_view.operatorOf(id1).call().await.unwrap(), k1.address());
    assert_eq!(
        v2_view.operatorOf(id2).call().await.unwrap(),
        net.address(1)
    );
    assert_eq!(
        v2_view.machineWalletOf(id2).call().await.unwrap(),
        k2.address()
    );
    assert_eq!(
        v2_view.machineStatus(id1).call().await.unwrap(),
        STATUS_VERIFIED
    );
    assert_eq!(
        v2_view.machineStatus(id2).call().await.unwrap(),
        STATUS_PENDING
    );
    assert_eq!(v2_view.minBond().call().await.unwrap(), peaq(3));
    assert_eq!(v2_view.nextMachineId().call().await.unwrap(), U256::from(3));
    assert_eq!(v2_view.ownerOf(id1).call().await.unwrap(), k1.address());
    assert_eq!(v2_view.ownerOf(id2).call().await.unwrap(), k2.address());
    assert_eq!(v2_view.owner().call().await.unwrap(), net.address(0));
    assert_eq!(v2_view.staking().call().await.unwrap(), d.identity_staking);
    assert_eq!(
        v2_view.tokenURI(id1).call().await.unwrap(),
        format!("https://before.upgrade/machines/{id1}")
    );
    assert_eq!(v2_view.name().call().await.unwrap(), "peaqOS Identity");

    // and the upgraded registry keeps working: ids continue, soulbound, staking still wired
    let (_k3, p3, id3, _) = {
        let key = net.funded_key(10).await;
        let p = net.provider_for(key.clone());
        mined(registry(&net, &p).register().value(peaq(3))).await;
        let id = registry(&net, &p)
            .machineIdOf(key.address())
            .call()
            .await
            .unwrap();
        (key, p, id, ())
    };
    assert_eq!(id3, U256::from(3));
    assert_eq!(
        staking(&net, &p3).bondOf(id3).call().await.unwrap(),
        peaq(3)
    );
    expect_revert(
        &registry(&net, &p3).approve(net.address(5), id3),
        IdentityRegistry::IdentityNFTSoulbound {},
    )
    .await;
    // events still accepted for pre-upgrade machines
    let now = latest_timestamp(&p3).await;
    mined(submit(
        &event_registry(&net, &p1),
        id1,
        &Ev::revenue("USD", now),
    ))
    .await;
}

#[tokio::test]
async fn upgrade_by_non_owner_reverts() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let v2_impl = *IdentityRegistryV2::deploy(&p0).await.unwrap().address();
    let before = implementation_of(&p0, d.identity_registry).await;
    let (key, mp, _, _) = register_self(&net).await;
    for (p, who) in [(net.provider(1), net.address(1)), (mp, key.address())] {
        let reg = registry(&net, &p);
        expect_revert(
            &reg.upgradeToAndCall(v2_impl, Bytes::new()),
            IdentityRegistry::OwnableUnauthorizedAccount { account: who },
        )
        .await;
    }
    // the other proxies are guarded too
    let p1 = net.provider(1);
    let e = IdentityRegistry::OwnableUnauthorizedAccount {
        account: net.address(1),
    };
    for proxy in [
        d.identity_staking,
        d.event_registry,
        d.machine_nft,
        d.admin_flags,
    ] {
        let target = implementation_of(&p0, proxy).await;
        let c = IdentityRegistry::new(proxy, &p1);
        expect_revert(&c.upgradeToAndCall(target, Bytes::new()), e.clone()).await;
    }
    assert_eq!(implementation_of(&p0, d.identity_registry).await, before);
    assert!(
        IdentityRegistryV2::new(d.identity_registry, &p0)
            .version()
            .call()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn initialize_again_reverts_invalid_initialization() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let owner = net.address(0);
    let attacker = net.provider(2);
    let e = IdentityRegistry::InvalidInitialization {};
    for p in [&p0, &attacker] {
        let reg = registry(&net, p);
        expect_revert(
            &reg.initialize(owner, d.identity_staking, peaq(1), "x".into()),
            e.clone(),
        )
        .await;
        let stk = staking(&net, p);
        expect_revert(
            &stk.initialize(owner),
            IdentityStaking::InvalidInitialization {},
        )
        .await;
        let er = event_registry(&net, p);
        expect_revert(
            &er.initialize(owner, d.identity_registry, d.identity_staking),
            EventRegistry::InvalidInitialization {},
        )
        .await;
        let nft = machine_nft(&net, p);
        expect_revert(
            &nft.initialize(owner, d.identity_registry, d.identity_staking, "x".into()),
            MachineNFT::InvalidInitialization {},
        )
        .await;
        let flags = admin_flags(&net, p);
        expect_revert(
            &flags.initialize(owner),
            AdminFlags::InvalidInitialization {},
        )
        .await;
    }
    // the implementations behind the proxies are locked as well (_disableInitializers)
    let reg_impl =
        IdentityRegistry::new(implementation_of(&p0, d.identity_registry).await, &attacker);
    expect_revert(
        &reg_impl.initialize(net.address(2), d.identity_staking, peaq(1), "x".into()),
        e.clone(),
    )
    .await;
    let flags_impl = AdminFlags::new(implementation_of(&p0, d.admin_flags).await, &attacker);
    expect_revert(
        &flags_impl.initialize(net.address(2)),
        AdminFlags::InvalidInitialization {},
    )
    .await;
    // after an upgrade too
    let v2 = *IdentityRegistryV2::deploy(&p0).await.unwrap().address();
    mined(registry(&net, &p0).upgradeToAndCall(v2, Bytes::new())).await;
    expect_revert(
        &registry(&net, &attacker).initialize(owner, d.identity_staking, peaq(1), "x".into()),
        e,
    )
    .await;
    assert_eq!(registry(&net, &p0).owner().call().await.unwrap(), owner);
}
