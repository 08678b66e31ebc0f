//! `--state FILE`: a restarted devnet keeps every machine, event, balance, block and log.

use crate::util::record;
use alloy::primitives::{Address, Bytes, U256, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::sol_types::SolEvent;
use peaqos_contracts::precompiles::DidRegistry;
use peaqos_contracts::{EventRegistry, IdentityRegistry};
use peaqos_devnet::DevnetConfig;
use peaqos_testkit::{Ev, EvExt, TestNet, latest_timestamp, mined, peaq};
use peaqos_types::constants::DID_PRECOMPILE_ADDRESS;
use serde_json::Value;

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.json");
    let config = DevnetConfig {
        state: Some(state.clone()),
        ..DevnetConfig::ephemeral()
    };

    let net = TestNet::start_with(config.clone()).await;
    let d = net.handle.deployment();
    let machine = net.funded_key(5).await;
    let p = net.provider_for(machine.clone());
    let reg = IdentityRegistry::new(d.identity_registry, &p);
    mined(reg.register().value(peaq(1))).await;
    let now = latest_timestamp(&p).await;
    let submitted = Ev {
        value: U256::from(1234),
        data_hash: keccak256(b"receipt"),
        metadata: Bytes::from_static(b"{\"kwh\":3}"),
        ..Ev::revenue("EUR", now)
    };
    let receipt = net.submit_event(&p, 1, &submitted).await;
    DidRegistry::new(DID_PRECOMPILE_ADDRESS, &p)
        .addAttribute(
            machine.address(),
            b"machineId".to_vec().into(),
            b"1".to_vec().into(),
            0,
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    // a snapshot on demand as well
    let saved: Value = p.raw_request("peaqos_saveState".into(), ()).await.unwrap();
    assert!(saved.as_str().unwrap().ends_with("chain.json"));
    let height = p.get_block_number().await.unwrap();
    let balance = p.get_balance(machine.address()).await.unwrap();
    let nonce = p.get_transaction_count(machine.address()).await.unwrap();
    let latest_hash = p
        .get_block(alloy::eips::BlockId::latest())
        .await
        .unwrap()
        .unwrap()
        .header
        .hash;
    net.handle.shutdown().await.unwrap();
    assert!(std::fs::metadata(&state).unwrap().len() > 0);

    let net = TestNet::start_with(config).await;
    assert_eq!(net.handle.deployment(), d, "same contracts");
    let p = net.provider_for(machine.clone());
    assert_eq!(p.get_block_number().await.unwrap(), height);
    assert_eq!(
        p.get_block(alloy::eips::BlockId::latest())
            .await
            .unwrap()
            .unwrap()
            .header
            .hash,
        latest_hash
    );
    assert_eq!(p.get_balance(machine.address()).await.unwrap(), balance);
    assert_eq!(
        p.get_transaction_count(machine.address()).await.unwrap(),
        nonce
    );
    let reg = IdentityRegistry::new(d.identity_registry, &p);
    assert_eq!(
        reg.machineIdOfOwner(machine.address())
            .call()
            .await
            .unwrap(),
        U256::from(1)
    );
    let ev = EventRegistry::new(d.event_registry, &p);
    assert_eq!(
        ev.getEventCount(U256::from(1)).call().await.unwrap(),
        U256::from(1)
    );
    assert_eq!(
        ev.getEventAt(U256::from(1), U256::ZERO)
            .call()
            .await
            .unwrap(),
        record(U256::from(1), &submitted),
        "the stored record survives"
    );
    assert_eq!(ev.totalEventCount().call().await.unwrap(), U256::from(1));
    let logs = p
        .get_logs(&Filter::new().address(d.event_registry).from_block(0))
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    let decoded = EventRegistry::EventSubmitted::decode_log(&logs[0].inner).unwrap();
    assert_eq!(
        (decoded.value, decoded.currency),
        (U256::from(1234), keccak256("EUR"))
    );
    assert_eq!(
        p.get_transaction_receipt(receipt.transaction_hash)
            .await
            .unwrap()
            .unwrap()
            .block_number,
        receipt.block_number
    );
    let attr = DidRegistry::new(DID_PRECOMPILE_ADDRESS, &p)
        .readAttribute(machine.address(), b"machineId".to_vec().into())
        .call()
        .await
        .unwrap();
    assert_eq!(attr.value.as_ref(), b"1");
    // and the chain goes on from there
    let r = p
        .send_transaction(
            TransactionRequest::default()
                .to(Address::repeat_byte(1))
                .value(U256::from(1)),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(r.block_number, Some(height + 1));
    net.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_corrupt_state_file_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("bad.json");
    std::fs::write(&state, b"{not json").unwrap();
    let err = peaqos_devnet::spawn(DevnetConfig {
        state: Some(state.clone()),
        ..DevnetConfig::ephemeral()
    })
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("bad.json") && msg.contains("not a devnet state file"),
        "{msg}"
    );
}

#[tokio::test]
async fn env_file_is_private_and_complete() {
    use std::os::unix::fs::PermissionsExt;
    let net = TestNet::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.env");
    let text = peaqos_devnet::env_file_text(&net.url(), &net.handle.deployment());
    peaqos_devnet::write_secret_file(&path, &text).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let d = net.handle.deployment();
    for needle in [
        "PEAQOS_NETWORK=devnet".to_string(),
        format!("PEAQOS_RPC_URL={}", net.url()),
        format!("IDENTITY_REGISTRY_ADDRESS={}", d.identity_registry),
        format!("IDENTITY_STAKING_ADDRESS={}", d.identity_staking),
        format!("EVENT_REGISTRY_ADDRESS={}", d.event_registry),
        format!("MACHINE_NFT_ADDRESS={}", d.machine_nft),
        format!("ADMIN_FLAGS_ADDRESS={}", d.admin_flags),
        "DID_REGISTRY_ADDRESS=0x0000000000000000000000000000000000000800".to_string(),
        "BATCH_PRECOMPILE_ADDRESS=0x0000000000000000000000000000000000000805".to_string(),
    ] {
        assert!(text.contains(&needle), "missing {needle}");
    }
    let key_line = text
        .lines()
        .find(|l| l.starts_with("PEAQOS_PRIVATE_KEY=0x"))
        .expect("key line");
    let key: alloy::signers::local::PrivateKeySigner = key_line
        .trim_start_matches("PEAQOS_PRIVATE_KEY=")
        .parse()
        .unwrap();
    assert_eq!(key.address(), net.address(0), "the key is dev account 0's");
}

/// The crash campaign's state checks: a state file cut short (a crash mid-write of a file that
/// is not written atomically), one with bytes overwritten in the middle, and one of an older
/// format are each refused with a message naming the file, and the file is left as it was
/// (never silently reset).
#[tokio::test]
async fn truncated_corrupted_and_old_state_files_are_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    let dev = peaqos_devnet::spawn(DevnetConfig {
        state: Some(good.clone()),
        ..DevnetConfig::ephemeral()
    })
    .await
    .unwrap();
    dev.shutdown().await.unwrap();
    let bytes = std::fs::read(&good).unwrap();
    assert!(bytes.len() > 1_000, "a saved state file");
    let mut corrupted = bytes.clone();
    let mid = corrupted.len() / 2;
    corrupted[mid..mid + 8].copy_from_slice(b"\0\xff{{]]\"\\");
    let old: Value = {
        let mut v: Value = serde_json::from_slice(&bytes).unwrap();
        v["version"] = 1.into();
        v
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", bytes[..bytes.len() / 3].to_vec()),
        ("truncated-by-one.json", bytes[..bytes.len() - 1].to_vec()),
        ("empty.json", Vec::new()),
        ("corrupted.json", corrupted),
        ("old.json", serde_json::to_vec(&old).unwrap()),
    ];
    for (name, content) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &content).unwrap();
        let err = peaqos_devnet::spawn(DevnetConfig {
            state: Some(path.clone()),
            ..DevnetConfig::ephemeral()
        })
        .await
        .map(|_| ())
        .expect_err(name);
        let msg = err.to_string();
        assert!(msg.contains(name), "{name}: {msg}");
        assert!(
            msg.contains("not a devnet state file") || msg.contains("format version"),
            "{name}: {msg}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            content,
            "{name} left as it was"
        );
    }
}
