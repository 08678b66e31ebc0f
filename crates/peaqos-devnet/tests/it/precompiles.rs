//! The peaq precompiles behave as the node does: Batch keeps msg.sender and is atomic for
//! batchAll, DID ownership and errors, and the native ERC-20 mirrors native balances.

use alloy::primitives::{Address, Bytes, U256, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::SignerSync;
use alloy::sol_types::{SolCall, SolError, SolEvent, SolValue};
use peaqos_contracts::precompiles::{Batch, DidRegistry, NativeErc20};
use peaqos_testkit::{TestNet, add_attribute_call as add, mined, peaq, sent};
use peaqos_types::constants::{
    BATCH_PRECOMPILE_ADDRESS as BATCH, DID_PRECOMPILE_ADDRESS as DID,
    NATIVE_ERC20_PRECOMPILE_ADDRESS as ERC20,
};

fn revert_reason(e: &alloy::contract::Error) -> String {
    let data = e
        .as_revert_data()
        .unwrap_or_else(|| panic!("no revert data in {e:?}"));
    error_string(&data)
}

/// The reason of an `Error(string)` revert.
fn error_string(data: &[u8]) -> String {
    alloy::sol_types::Revert::abi_decode(data)
        .map(|r| r.reason)
        .unwrap_or_else(|_| format!("not an Error(string): {data:?}"))
}

#[tokio::test]
async fn batch_keeps_the_original_caller_as_msg_sender() {
    let net = TestNet::start().await;
    let me = net.address(3);
    let p = net.provider(3);
    let batch = Batch::new(BATCH, &p);
    let r = mined(batch.batchAll(
        vec![DID, DID],
        vec![],
        vec![add(me, "a", "1"), add(me, "b", "2")],
        vec![],
    ))
    .await;
    let logs = r.inner.logs();
    let adds: Vec<_> = logs
        .iter()
        .filter_map(|l| DidRegistry::AddAttribute::decode_log(&l.inner).ok())
        .collect();
    assert_eq!(adds.len(), 2);
    assert!(
        adds.iter()
            .all(|a| a.sender == me && a.did_account == me && a.address == DID)
    );
    let ok: Vec<_> = logs
        .iter()
        .filter_map(|l| Batch::SubcallSucceeded::decode_log(&l.inner).ok())
        .collect();
    assert_eq!(
        ok.iter().map(|e| e.index).collect::<Vec<_>>(),
        vec![U256::ZERO, U256::from(1)]
    );
    assert!(ok.iter().all(|e| e.address == BATCH));
    let did = DidRegistry::new(DID, &p);
    assert_eq!(
        did.readAttribute(me, b"b".to_vec().into())
            .call()
            .await
            .unwrap()
            .value
            .as_ref(),
        b"2"
    );
}

#[tokio::test]
async fn batch_all_rolls_back_everything_when_one_subcall_fails() {
    let net = TestNet::start().await;
    let me = net.address(3);
    let p = net.provider(3);
    let batch = Batch::new(BATCH, &p);
    let calls = vec![add(me, "a", "1"), add(me, "a", "again")];
    // eth_call / eth_estimateGas report the failing subcall's revert data
    let err = batch
        .batchAll(vec![DID, DID], vec![], calls.clone(), vec![])
        .call()
        .await
        .unwrap_err();
    assert_eq!(revert_reason(&err), "AttributeAlreadyExist");
    // mined with an explicit gas limit: failed receipt, nothing kept
    let before = p.get_balance(me).await.unwrap();
    let r = sent(
        batch
            .batchAll(vec![DID, DID], vec![], calls, vec![])
            .gas(500_000),
    )
    .await;
    assert!(!r.status());
    assert!(r.inner.logs().is_empty());
    let did = DidRegistry::new(DID, &p);
    let err = did
        .readAttribute(me, b"a".to_vec().into())
        .call()
        .await
        .unwrap_err();
    assert_eq!(revert_reason(&err), "Cannot find the item");
    // only gas was paid: no deposit was kept
    let after = p.get_balance(me).await.unwrap();
    assert_eq!(
        before - after,
        U256::from(r.gas_used) * U256::from(r.effective_gas_price)
    );
    assert_eq!(p.get_transaction_count(me).await.unwrap(), 1);
}

#[tokio::test]
async fn batch_some_goes_on_and_until_failure_stops() {
    let net = TestNet::start().await;
    let me = net.address(4);
    let p = net.provider(4);
    let batch = Batch::new(BATCH, &p);
    let calls = vec![add(me, "x", "1"), add(me, "x", "dup"), add(me, "y", "2")];
    let r = batch
        .batchSome(vec![DID; 3], vec![], calls, vec![])
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    let failed: Vec<_> = r
        .inner
        .logs()
        .iter()
        .filter_map(|l| Batch::SubcallFailed::decode_log(&l.inner).ok())
        .map(|e| e.index)
        .collect();
    assert_eq!(failed, vec![U256::from(1)]);
    let did = DidRegistry::new(DID, &p);
    assert_eq!(
        did.readAttribute(me, b"y".to_vec().into())
            .call()
            .await
            .unwrap()
            .value
            .as_ref(),
        b"2"
    );

    let calls = vec![add(me, "z", "1"), add(me, "z", "dup"), add(me, "w", "2")];
    let r = batch
        .batchSomeUntilFailure(vec![DID; 3], vec![], calls, vec![])
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    assert!(
        did.readAttribute(me, b"z".to_vec().into())
            .call()
            .await
            .is_ok()
    );
    assert!(
        did.readAttribute(me, b"w".to_vec().into())
            .call()
            .await
            .is_err(),
        "stops at the first failure"
    );
}

#[tokio::test]
async fn batch_moves_value_from_the_caller_and_refuses_contract_callers() {
    let net = TestNet::start().await;
    let p = net.provider(5);
    let dest = Address::repeat_byte(0x42);
    let batch = Batch::new(BATCH, &p);
    mined(batch.batchAll(vec![dest, dest], vec![peaq(1), peaq(2)], vec![], vec![])).await;
    assert_eq!(p.get_balance(dest).await.unwrap(), peaq(3));
    // Batch itself is not payable
    let err = batch
        .batchAll(vec![dest], vec![], vec![], vec![])
        .value(U256::from(1))
        .call()
        .await
        .unwrap_err();
    assert_eq!(revert_reason(&err), "Function is not payable");
    // a contract caller is refused
    let registry = net.handle.deployment().identity_registry;
    let call = Batch::batchAllCall {
        to: vec![dest],
        value: vec![],
        callData: vec![],
        gasLimit: vec![],
    };
    let err = p
        .call(
            TransactionRequest::default()
                .from(registry)
                .to(BATCH)
                .input(call.abi_encode().into()),
        )
        .await
        .unwrap_err();
    let data = err
        .as_error_resp()
        .and_then(|e| e.as_revert_data())
        .expect("revert data");
    assert_eq!(
        error_string(&data),
        "Function not callable by smart contracts"
    );
}

#[tokio::test]
async fn did_ownership_and_errors_follow_the_node() {
    let net = TestNet::start().await;
    let (a, b) = (net.address(1), net.address(2));
    let pa = net.provider(1);
    let pb = net.provider(2);
    let da = DidRegistry::new(DID, &pa);
    let db = DidRegistry::new(DID, &pb);
    let name = || Bytes::from_static(b"machineId");

    // anyone may create a new attribute on any account, and owns the (caller, account) pair
    let before = pa.get_balance(a).await.unwrap();
    let r = mined(da.addAttribute(b, name(), b"7".to_vec().into(), 10)).await;
    let spent = before - pa.get_balance(a).await.unwrap();
    let gas = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    assert_eq!(
        spent - gas,
        peaq(1) / U256::from(10),
        "0.1 PEAQ deposit reserved from the creator"
    );
    let ev = DidRegistry::AddAttribute::decode_log(&r.inner.logs()[0].inner).unwrap();
    assert_eq!((ev.sender, ev.did_account, ev.validity), (a, b, 10));
    let attr = db.readAttribute(b, name()).call().await.unwrap();
    assert_eq!(
        attr.validity as u64,
        r.block_number.unwrap() + 10,
        "validity is in blocks"
    );
    let block = pa
        .get_block(r.block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        attr.created,
        U256::from(block.header.timestamp * 1000),
        "created in ms"
    );

    // the account itself does not own the pair (b, b) yet: update is refused
    let err = db
        .updateAttribute(b, name(), b"8".to_vec().into(), 0)
        .call()
        .await
        .unwrap_err();
    assert_eq!(revert_reason(&err), "AttributeAuthorizationFailed");
    // the creator may update; created is kept, validity 0 = never expires
    mined(da.updateAttribute(b, name(), b"9".to_vec().into(), 0)).await;
    let updated = db.readAttribute(b, name()).call().await.unwrap();
    assert_eq!(
        (updated.value.as_ref(), updated.validity, updated.created),
        (b"9".as_ref(), u32::MAX, attr.created)
    );

    // errors
    let err = da
        .addAttribute(b, name(), b"x".to_vec().into(), 0)
        .call()
        .await
        .unwrap_err();
    assert_eq!(revert_reason(&err), "AttributeAlreadyExist");
    let err = da
        .updateAttribute(b, b"nope".to_vec().into(), b"x".to_vec().into(), 0)
        .call()
        .await
        .unwrap_err();
    assert_eq!(revert_reason(&err), "AttributeNotFound");
    let err = da
        .removeAttribute(b, b"nope".to_vec().into())
        .call()
        .await
        .unwrap_err();
    assert_eq!(revert_reason(&err), "AttributeNotFound");
    let err = da
        .readAttribute(b, b"nope".to_vec().into())
        .call()
        .await
        .unwrap_err();
    assert_eq!(revert_reason(&err), "Cannot find the item");
    let long = Bytes::from(vec![b'n'; 65]);
    assert!(
        da.addAttribute(a, long, b"x".to_vec().into(), 0)
            .call()
            .await
            .is_err(),
        "65-byte name refused"
    );
    let max = Bytes::from(vec![b'n'; 64]);
    assert!(
        da.addAttribute(a, max, b"x".to_vec().into(), 0)
            .call()
            .await
            .is_ok(),
        "64-byte name accepted"
    );

    // remove releases the deposit to the creator and emits the node's (misspelt) event
    let before = pa.get_balance(a).await.unwrap();
    let r = mined(da.removeAttribute(b, name())).await;
    let gas = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    assert_eq!(
        pa.get_balance(a).await.unwrap() + gas - before,
        peaq(1) / U256::from(10)
    );
    assert!(DidRegistry::RemoveAttribte::decode_log(&r.inner.logs()[0].inner).is_ok());
    assert!(db.readAttribute(b, name()).call().await.is_err());
}

#[tokio::test]
async fn did_snake_case_aliases_work() {
    let net = TestNet::start().await;
    let me = net.address(6);
    let p = net.provider(6);
    let d = DidRegistry::new(DID, &p);
    mined(d.add_attribute(me, b"k".to_vec().into(), b"v".to_vec().into(), 0)).await;
    assert_eq!(
        d.read_attribute(me, b"k".to_vec().into())
            .call()
            .await
            .unwrap()
            .value
            .as_ref(),
        b"v"
    );
    d.update_attribute(me, b"k".to_vec().into(), b"w".to_vec().into(), 0)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(
        d.readAttribute(me, b"k".to_vec().into())
            .call()
            .await
            .unwrap()
            .value
            .as_ref(),
        b"w"
    );
    d.remove_attribute(me, b"k".to_vec().into())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(
        d.readAttribute(me, b"k".to_vec().into())
            .call()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn native_erc20_mirrors_native_balances() {
    let net = TestNet::start().await;
    let p = net.provider(7);
    let token = NativeErc20::new(ERC20, &p);
    assert_eq!(token.name().call().await.unwrap(), "peaq token");
    assert_eq!(token.symbol().call().await.unwrap(), "PEAQ");
    assert_eq!(token.decimals().call().await.unwrap(), 18);
    for i in 0..10 {
        let a = net.address(i);
        assert_eq!(
            token.balanceOf(a).call().await.unwrap(),
            p.get_balance(a).await.unwrap()
        );
    }
    // transfer moves native balance and emits Transfer from 0x809
    let dest = Address::repeat_byte(0x77);
    let r = mined(token.transfer(dest, peaq(2))).await;
    assert_eq!(p.get_balance(dest).await.unwrap(), peaq(2));
    let t = NativeErc20::Transfer::decode_log(&r.inner.logs()[0].inner).unwrap();
    assert_eq!(
        (t.address, t.from, t.to, t.value),
        (ERC20, net.address(7), dest, peaq(2))
    );
    // too much -> revert
    let err = token
        .transfer(dest, peaq(1_000_000))
        .call()
        .await
        .unwrap_err();
    assert!(revert_reason(&err).contains("exceeds balance"));
    // deposit sends msg.value straight back; nothing is wrapped
    let before = p.get_balance(net.address(7)).await.unwrap();
    let r = mined(token.deposit().value(peaq(5))).await;
    let gas = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    assert_eq!(before - p.get_balance(net.address(7)).await.unwrap(), gas);
    assert_eq!(p.get_balance(ERC20).await.unwrap(), U256::ZERO);
    assert!(NativeErc20::Deposit::decode_log(&r.inner.logs()[0].inner).is_ok());
}

#[tokio::test]
async fn native_erc20_allowances_and_permit() {
    let net = TestNet::start().await;
    let owner = net.funded_key(10).await;
    let spender = net.provider(8);
    let po = net.provider_for(owner.clone());
    let token_o = NativeErc20::new(ERC20, &po);
    let token_s = NativeErc20::new(ERC20, &spender);
    let dest = Address::repeat_byte(0x55);

    token_o
        .approve(net.address(8), peaq(3))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(
        token_s
            .allowance(owner.address(), net.address(8))
            .call()
            .await
            .unwrap(),
        peaq(3)
    );
    let err = token_s
        .transferFrom(owner.address(), dest, peaq(4))
        .call()
        .await
        .unwrap_err();
    assert!(revert_reason(&err).contains("insufficient allowance"));
    token_s
        .transferFrom(owner.address(), dest, peaq(2))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(spender.get_balance(dest).await.unwrap(), peaq(2));
    assert_eq!(
        token_s
            .allowance(owner.address(), net.address(8))
            .call()
            .await
            .unwrap(),
        peaq(1)
    );

    // EIP-2612 permit signed off-chain by the owner, submitted by the spender
    let chain_id = spender.get_chain_id().await.unwrap();
    let ds = token_s.DOMAIN_SEPARATOR().call().await.unwrap();
    let expected_ds = keccak256(
        (
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
            keccak256("peaq token"),
            keccak256("1"),
            U256::from(chain_id),
            ERC20,
        )
            .abi_encode(),
    );
    assert_eq!(ds, expected_ds);
    let nonce = token_s.nonces(owner.address()).call().await.unwrap();
    let deadline = U256::from(u64::MAX);
    let type_hash = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)",
    );
    let struct_hash = keccak256(
        (
            type_hash,
            owner.address(),
            net.address(8),
            peaq(5),
            nonce,
            deadline,
        )
            .abi_encode(),
    );
    let digest = keccak256([&b"\x19\x01"[..], ds.as_slice(), struct_hash.as_slice()].concat());
    let sig = owner.sign_hash_sync(&digest).unwrap();
    let v = 27 + u8::from(sig.v());
    let permit = token_s.permit(
        owner.address(),
        net.address(8),
        peaq(5),
        deadline,
        v,
        sig.r().into(),
        sig.s().into(),
    );
    mined(permit.clone()).await;
    assert_eq!(
        token_s
            .allowance(owner.address(), net.address(8))
            .call()
            .await
            .unwrap(),
        peaq(5)
    );
    assert_eq!(
        token_s.nonces(owner.address()).call().await.unwrap(),
        nonce + U256::from(1)
    );
    // replaying the same permit fails (nonce moved on)
    let err = permit.call().await.unwrap_err();
    assert_eq!(revert_reason(&err), "Invalid permit");
}
