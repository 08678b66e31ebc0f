//! The flow that matters, through the SDK and the bundler: a machine whose identity wallet is
//! its smart account. And a beacon upgrade that changes every account at once.

use crate::util::*;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolConstructor};
use peaqos_aa::BundlingMode;
use peaqos_contracts::{
    EventRegistry, IdentityRegistry, MachineAccountFactory, MachineSmartAccount, UpgradeableBeacon,
};
use peaqos_sdk::aa::{SmartAccount, deposit_to};
use peaqos_sdk::{ErrorCode, TxCall};
use peaqos_testkit::{Ev, EvExt, mined};
use std::time::Duration;

fn event_call(er: Address, machine_id: u64, ts: u64) -> TxCall {
    let call: EventRegistry::submitEventCall = Ev::revenue("USD", ts).call(U256::from(machine_id));
    TxCall {
        to: er,
        data: call.abi_encode().into(),
        value: U256::ZERO,
    }
}

#[tokio::test]
async fn a_machine_whose_identity_wallet_is_its_smart_account() {
    let aa = Aa::start_with(|c| c.mode = BundlingMode::Auto).await;
    let er = aa.net.contracts().event_registry;
    let owner = aa.net.funded_key(10).await;
    let machine_key = PrivateKeySigner::random();
    let owner_client = aa.sdk(&owner);

    // The owner computes the account, deposits for its gas at the EntryPoint, and registers the
    // account as the machine (registerFor: the owner is the operator, the account the wallet).
    let account_addr = owner_client
        .get_smart_account_address(owner.address(), machine_key.address(), U256::from(0u64))
        .await
        .unwrap();
    deposit_to(&owner_client, account_addr, wei(1))
        .await
        .unwrap();
    let machine_id = owner_client.register_for(account_addr).await.unwrap();
    let reader = aa.net.reader();
    let registry = IdentityRegistry::new(aa.net.contracts().identity_registry, &reader);
    assert_eq!(
        registry
            .machineWalletOf(U256::from(machine_id))
            .call()
            .await
            .unwrap(),
        account_addr
    );
    assert_eq!(
        registry
            .machineIdOfOwner(account_addr)
            .call()
            .await
            .unwrap(),
        U256::from(machine_id)
    );
    let owner_balance = reader.get_balance(owner.address()).await.unwrap();

    // The machine (a key without any funds) submits events through UserOperations.
    let machine_client = aa.sdk(&machine_key);
    let account = SmartAccount::new(
        &machine_client,
        aa.bundler_client(),
        owner.address(),
        machine_key.address(),
        U256::ZERO,
        machine_key.clone(),
    )
    .await
    .unwrap()
    .with_receipt_timeout(Duration::from_secs(30));
    assert_eq!(account.address(), account_addr);
    assert!(!account.is_deployed().await.unwrap());
    let ts = aa.now().await;
    let first = account
        .execute(&[event_call(er, machine_id, ts)])
        .await
        .unwrap();
    assert!(first.success);
    assert!(
        account.is_deployed().await.unwrap(),
        "the first operation deployed it"
    );
    assert_eq!(
        account.current_machine().await.unwrap(),
        machine_key.address()
    );
    assert_eq!(account.current_owner().await.unwrap(), owner.address());
    // Two more in one operation (executeBatch).
    let batch = account
        .execute(&[
            event_call(er, machine_id, ts),
            event_call(er, machine_id, ts),
        ])
        .await
        .unwrap();
    assert_eq!(
        batch.logs.len(),
        2 * 2,
        "two EventSubmitted and two Executed"
    );
    let events = EventRegistry::new(er, &reader);
    assert_eq!(
        events
            .getEventCount(U256::from(machine_id))
            .call()
            .await
            .unwrap(),
        U256::from(3)
    );
    // Nobody else paid: the machine key holds nothing, the owner's balance did not move; the
    // deposit did.
    assert_eq!(
        reader.get_balance(machine_key.address()).await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        reader.get_balance(owner.address()).await.unwrap(),
        owner_balance
    );
    assert!(account.deposit().await.unwrap() < wei(1));
    assert_eq!(account.nonce(U256::ZERO).await.unwrap(), U256::from(2));

    // The owner rotates the machine key.
    let new_key = PrivateKeySigner::random();
    owner_client
        .send_transaction(
            account_addr,
            MachineSmartAccount::setMachineCall {
                newMachine: new_key.address(),
            }
            .abi_encode()
            .into(),
            U256::ZERO,
        )
        .await
        .unwrap();
    assert_eq!(account.current_machine().await.unwrap(), new_key.address());
    // The old key is refused by the bundler (the account reports a failed signature check).
    let old = account
        .user_operation()
        .calls(&[event_call(er, machine_id, ts)])
        .unwrap()
        .build_signed()
        .await
        .unwrap();
    let e = account.send_user_operation(&old).await.unwrap_err();
    match &e {
        peaqos_sdk::PeaqosError::Rpc { rpc_code, .. } => assert_eq!(*rpc_code, Some(-32507), "{e}"),
        other => panic!("{other:?}"),
    }
    // The new key works, and so does the owner's.
    let rotated = account.clone().with_signer(new_key.clone());
    assert!(
        rotated
            .execute(&[event_call(er, machine_id, ts)])
            .await
            .unwrap()
            .success
    );
    let by_owner = account.clone().with_signer(owner.clone());
    assert!(
        by_owner
            .execute(&[event_call(er, machine_id, ts)])
            .await
            .unwrap()
            .success
    );
    assert_eq!(
        events
            .getEventCount(U256::from(machine_id))
            .call()
            .await
            .unwrap(),
        U256::from(5)
    );

    // A reverting execution is reported with its revert name (an event for another machine).
    let other_id = aa.net.register(&aa.net.funded_key(2).await).await;
    let e = rotated
        .user_operation()
        .calls(&[event_call(er, other_id, ts)])
        .unwrap()
        .build()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("NotAuthorizedSubmitter"), "{e}");
}

#[tokio::test]
async fn sdk_deploy_and_address_agree_with_peaqs_semantics() {
    let aa = Aa::start().await;
    let owner = aa.net.funded_key(5).await;
    let client = aa.sdk(&owner);
    let machine = Address::repeat_byte(7);
    let predicted = client
        .get_smart_account_address(owner.address(), machine, U256::from(3u64))
        .await
        .unwrap();
    let deployed = client
        .deploy_smart_account(owner.address(), machine, U256::from(3u64))
        .await
        .unwrap();
    assert_eq!(predicted, deployed);
    assert!(aa.has_code(deployed).await);
    // createAccount is idempotent and emits nothing the second time: peaq's SDK reports it.
    let e = client
        .deploy_smart_account(owner.address(), machine, U256::from(3u64))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::AccountCreatedEventMissing), "{e}");
    // Other salts, owners, machines: other addresses.
    assert_ne!(
        client
            .get_smart_account_address(owner.address(), machine, U256::from(4u64))
            .await
            .unwrap(),
        predicted
    );
    assert_ne!(
        client
            .get_smart_account_address(machine, owner.address(), U256::from(3u64))
            .await
            .unwrap(),
        predicted
    );
    // Validation as peaq's SDK words it.
    let e = client
        .get_smart_account_address("0x12", machine, U256::from(0u64))
        .await
        .unwrap_err();
    assert_eq!(
        e.as_validation()
            .map(|v| (v.field.as_str(), v.message.as_str())),
        Some((
            "owner",
            "owner must be a valid 0x-prefixed Ethereum address"
        ))
    );
    let mut cfg = client.config().clone();
    cfg.contracts.machine_account_factory = None;
    let bare = peaqos_sdk::PeaqosClient::new(cfg).unwrap();
    let e = bare
        .get_smart_account_address(owner.address(), machine, U256::from(0u64))
        .await
        .unwrap_err();
    assert_eq!(e.as_validation().unwrap().field, "machine_account_factory");
    // A zero machine is the contract's InvalidAddress.
    let e = client
        .deploy_smart_account(owner.address(), Address::ZERO, U256::from(0u64))
        .await
        .unwrap_err();
    assert_eq!(e.revert_name().as_deref(), Some("InvalidAddress"), "{e}");
}

/// UpgradeableBeacon.upgradeTo by the beacon owner (dev account 0) changes every account at once:
/// an implementation bound to another EntryPoint makes every account refuse the real one, and
/// upgrading back restores them.
#[tokio::test]
async fn a_beacon_upgrade_changes_every_account_at_once() {
    let aa = Aa::start().await;
    let reader = aa.net.reader();
    let factory = MachineAccountFactory::new(aa.factory(), &reader);
    let beacon_addr = factory.beacon().call().await.unwrap();
    let beacon = UpgradeableBeacon::new(beacon_addr, &reader);
    assert_eq!(beacon.owner().call().await.unwrap(), aa.net.address(0));
    let original = beacon.implementation().call().await.unwrap();

    // Two deployed, funded accounts that work through the bundler.
    let mut accounts = Vec::new();
    for _ in 0..2 {
        let (_o, machine, account, init, _id) = registered_account(&aa).await;
        let op = aa
            .op(&machine, account, U256::ZERO, init, Bytes::new())
            .await;
        aa.send(&op).await;
        accounts.push((machine, account));
    }
    aa.bundle_now().await;

    // A second implementation from the artifact's bytecode, bound to another "EntryPoint".
    let elsewhere = Address::repeat_byte(0xee);
    let deployer = aa.net.provider(0);
    let init_code = [
        MachineSmartAccount::BYTECODE.as_ref(),
        &MachineSmartAccount::constructorCall {
            _entryPoint: elsewhere,
        }
        .abi_encode(),
    ]
    .concat();
    let tx = alloy::rpc::types::TransactionRequest::default()
        .input(alloy::rpc::types::TransactionInput::new(init_code.into()));
    let tx = alloy::network::TransactionBuilder::into_create(tx);
    let r = peaqos_testkit::mined_tx(&deployer, tx).await;
    let second = r.contract_address.expect("created");

    // Not by anyone else.
    let stranger = aa.net.provider_for(aa.net.funded_key(1).await);
    let e = UpgradeableBeacon::new(beacon_addr, &stranger)
        .upgradeTo(second)
        .send()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("revert"), "{e}");

    mined(UpgradeableBeacon::new(beacon_addr, &deployer).upgradeTo(second)).await;
    assert_eq!(beacon.implementation().call().await.unwrap(), second);
    for (machine, account) in &accounts {
        let acc = MachineSmartAccount::new(*account, &reader);
        assert_eq!(acc.entryPoint().call().await.unwrap(), elsewhere);
        // Storage is the proxy's: the keys are unchanged.
        assert_eq!(acc.machine().call().await.unwrap(), machine.address());
        // The real EntryPoint is now refused by the account (OnlyEntryPoint in validateUserOp).
        let op = aa
            .op(machine, *account, U256::from(1), Bytes::new(), Bytes::new())
            .await;
        let err = aa
            .err("eth_sendUserOperation", serde_json::json!([op, EP]))
            .await;
        assert_eq!(err["code"], -32500);
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with("AA23 reverted"),
            "{err}"
        );
    }

    mined(UpgradeableBeacon::new(beacon_addr, &deployer).upgradeTo(original)).await;
    for (machine, account) in &accounts {
        let op = aa
            .op(machine, *account, U256::from(1), Bytes::new(), Bytes::new())
            .await;
        aa.send(&op).await;
    }
    aa.bundle_now().await;
    for (_, account) in &accounts {
        assert_eq!(aa.nonce(*account, 0).await, U256::from(2));
    }
}
