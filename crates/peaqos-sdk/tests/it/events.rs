//! Events, limits, reverts, concurrency and the nonce manager against the embedded devnet.

use std::time::Duration;

use crate::common::{Net, SdkNet};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use peaqos_contracts::{AdminFlags, EventRegistry, IdentityRegistry};
use peaqos_devnet::DevnetConfig;
use peaqos_sdk::{
    ErrorCode, OperationalLimits, PeaqosClient, PeaqosError, SubmitEventParams, compute_data_hash,
};
use peaqos_testkit::latest_timestamp;

#[tokio::test]
async fn submit_and_batch_submit() {
    let net = Net::start().await;
    let c = net.dev(1);
    let id = c.register_machine().await.unwrap();
    let now = latest_timestamp(c.provider()).await;

    // Smart currency default: a revenue event without currency goes out as USD.
    let mut p = SubmitEventParams::revenue(id, U256::from(12_500), "USD", now);
    p.currency = None;
    p.raw_data = Some(b"revenue: $125.00".to_vec());
    let (tx, data_hash) = c.submit_event(&p).await.unwrap();
    assert_eq!(data_hash, compute_data_hash(b"revenue: $125.00"));
    let r = c
        .provider()
        .get_transaction_receipt(tx)
        .await
        .unwrap()
        .unwrap();
    let log = r
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<EventRegistry::EventSubmitted>().ok())
        .unwrap();
    // The log indexes the currency (its keccak256) and carries no hashes: the record has them.
    assert_eq!(log.inner.currency, alloy::primitives::keccak256("USD"));
    assert_eq!(log.inner.machineId, U256::from(id));
    assert_eq!(log.inner.eventIndex, U256::ZERO);
    let record = c.event_at(id, 0).await.unwrap();
    assert_eq!(record.currency, "USD");
    assert_eq!(record.dataHash, data_hash);
    assert_eq!(record.value, U256::from(12_500));
    assert_eq!(record.timestamp, U256::from(now));

    let (_, zero) = c
        .submit_event(&SubmitEventParams::activity(id, U256::ZERO, now))
        .await
        .unwrap();
    assert_eq!(zero, B256::ZERO);

    let batch: Vec<_> = (0..10)
        .map(|i| SubmitEventParams::revenue(id, U256::from(100 + i), "EUR", now - i))
        .collect();
    let hashes = c.batch_submit_events(&batch).await.unwrap();
    assert_eq!(hashes.len(), 10);
    assert!(hashes.iter().all(|h| *h == hashes[0]));
    assert_eq!(c.event_count(id).await.unwrap(), 12);
    let stored = c.events_of(id, 2, 100).await.unwrap();
    assert_eq!(stored.len(), 10);
    assert_eq!(
        (stored[9].currency.as_str(), stored[9].value),
        ("EUR", U256::from(109))
    );
    let e = c.events_of(id, 13, 1).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::TxReverted));
    assert_eq!(e.revert_name().as_deref(), Some("OffsetOutOfBounds"));

    // Batch validation: empty, missing currency (with its index), too many.
    let e = c.batch_submit_events(&[]).await.unwrap_err();
    assert_eq!(e.to_string(), "events must be a non-empty list");
    let mut missing = batch.clone();
    missing[3].currency = None;
    let e = c.batch_submit_events(&missing).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "currency is required for every event in a batch"
    );
    let many = vec![batch[0].clone(); 513];
    let e = c.batch_submit_events(&many).await.unwrap_err();
    assert_eq!(e.as_validation().unwrap().constraint, "max_batch_size");

    // A failing event reverts the whole batch with its decoded name.
    let mut bad = batch.clone();
    bad[5].machine_id = 999;
    let e = c.batch_submit_events(&bad).await.unwrap_err();
    assert_eq!(e.code_str(), Some("MachineNotFound"));
    assert_eq!(
        e.to_string(),
        "MachineNotFound: One or more machine IDs in this batch do not exist"
    );
    assert_eq!(c.event_count(id).await.unwrap(), 12);
}

#[allow(clippy::type_complexity)]
#[tokio::test]
async fn every_validation_rule_surfaces_before_any_rpc() {
    // The client points at a closed port: validation must fail first.
    let net = Net::start().await;
    let mut cfg = net.config_for(&net.handle.signer(1));
    cfg.rpc_url = "http://127.0.0.1:1".into();
    let c = PeaqosClient::new(cfg).unwrap();
    let base = SubmitEventParams::revenue(1, U256::from(1), "USD", 1_700_000_000);
    let cases: Vec<(Box<dyn Fn(&mut SubmitEventParams)>, &str, &str)> = vec![
        (
            Box::new(|p| p.machine_id = 0),
            "machine_id",
            "machineId must be a positive integer",
        ),
        (
            Box::new(|p| p.event_type = 2),
            "event_type",
            "eventType must be 0 or 1",
        ),
        (
            Box::new(|p| p.currency = Some("usd".into())),
            "currency",
            "currency must match ^[A-Z0-9]{3,10}$",
        ),
        (
            Box::new(|p| {
                p.event_type = 1;
                p.currency = Some("USD".into())
            }),
            "currency",
            "currency must be empty for activity events",
        ),
        (
            Box::new(|p| p.trust_level = 3),
            "trust_level",
            "trustLevel must be 0, 1, or 2",
        ),
        (
            Box::new(|p| p.source_chain_id = 1),
            "source_chain_id",
            "sourceChainId must be a supported chain ID",
        ),
        (
            Box::new(|p| p.raw_data = Some(vec![])),
            "raw_data",
            "rawData must not be empty when provided",
        ),
        (
            Box::new(|p| p.source_tx_hash = Some("0x12".into())),
            "source_tx_hash",
            "sourceTxHash must be a 0x-prefixed 32-byte hex string",
        ),
        (
            Box::new(|p| p.timestamp = 0),
            "timestamp",
            "timestamp must be a positive integer",
        ),
        (
            Box::new(|p| p.trust_level = 1),
            "source_tx_hash",
            "sourceTxHash is required when trustLevel is 1",
        ),
    ];
    for (mutate, field, message) in cases {
        let mut p = base.clone();
        mutate(&mut p);
        let e = c.submit_event(&p).await.unwrap_err();
        let v = e
            .as_validation()
            .unwrap_or_else(|| panic!("{message}: {e:?}"));
        assert_eq!((v.field.as_str(), v.message.as_str()), (field, message));
        assert_eq!(
            peaqos_sdk::validate_submit_event_params(&p).unwrap_err(),
            *v
        );
        let e = c
            .batch_submit_events(&[base.clone(), p.clone()])
            .await
            .unwrap_err();
        assert_eq!(e.as_validation().unwrap().message, message);
    }
    // Nothing invalid left: the RPC failure is a transport error.
    let e = c.submit_event(&base).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::NetworkError), "{e:?}");
}

#[tokio::test]
async fn revert_names_from_the_chain() {
    let net = Net::start().await;
    let owner = net.dev(0);
    let c = net.dev(1);
    let stranger = net.dev(2);
    let id = c.register_machine().await.unwrap();
    let now = latest_timestamp(c.provider()).await;
    let ev = |p: SubmitEventParams| p;

    let e = stranger
        .submit_event(&ev(SubmitEventParams::revenue(
            id,
            U256::from(1),
            "USD",
            now,
        )))
        .await
        .unwrap_err();
    assert_eq!(e.code_str(), Some("NotAuthorizedSubmitter"), "{e}");
    assert!(e.to_string().contains(&format!("machine {id}")), "{e}");
    let e = c
        .submit_event(&ev(SubmitEventParams::revenue(
            id,
            U256::from(1),
            "USD",
            now + 10_000,
        )))
        .await
        .unwrap_err();
    // Outside peaq's KNOWN_REVERTS: TX_REVERTED, the name kept in the message and revert data.
    assert_eq!(e.code(), Some(ErrorCode::TxReverted));
    assert_eq!(e.revert_name().as_deref(), Some("FutureTimestamp"));
    assert!(e.to_string().contains("FutureTimestamp"), "{e}");
    let mut big = SubmitEventParams::activity(id, U256::ZERO, now);
    big.metadata = vec![7; 4097];
    let e = c.submit_event(&big).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::TxReverted));
    assert_eq!(e.revert_name().as_deref(), Some("MetadataTooLarge"));

    // Reverts the client-side validation would stop, checked through a dry run.
    let registry = c.contracts().event_registry;
    let raw = |event_type: u8, currency: &str, trust: u8| -> Bytes {
        EventRegistry::submitEventCall {
            machineId: U256::from(id),
            eventType: event_type,
            value: U256::from(1),
            currency: currency.into(),
            timestamp: U256::from(now),
            dataHash: B256::ZERO,
            trustLevel: trust,
            sourceChainId: U256::ZERO,
            sourceTxHash: B256::ZERO,
            metadata: Bytes::new(),
        }
        .abi_encode()
        .into()
    };
    for (data, name, code) in [
        (raw(5, "USD", 0), "InvalidEventType", "InvalidEventType"),
        (raw(0, "USD", 9), "InvalidTrustLevel", "InvalidTrustLevel"),
        (raw(0, "usd", 0), "InvalidCurrencyShape", "TX_REVERTED"),
    ] {
        let e = c.simulate(registry, data, U256::ZERO).await.unwrap_err();
        assert_eq!(e.code_str(), Some(code));
        assert_eq!(e.revert_name().as_deref(), Some(name));
    }
    let wrong_bond = IdentityRegistry::registerCall {}.abi_encode().into();
    let e = stranger
        .simulate(c.contracts().identity_registry, wrong_bond, U256::from(5))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::TxReverted));
    assert_eq!(e.revert_name().as_deref(), Some("IncorrectBondAmount"));
    let transfer = IdentityRegistry::transferFromCall {
        from: c.address(),
        to: stranger.address(),
        tokenId: U256::from(id),
    }
    .abi_encode()
    .into();
    let e = c
        .simulate(c.contracts().identity_registry, transfer, U256::ZERO)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::TxReverted));
    assert_eq!(e.revert_name().as_deref(), Some("IdentityNFTSoulbound"));
    let flags = c.contracts().admin_flags.unwrap();
    let over = AdminFlags::setTrustOverrideCall {
        machineId: U256::from(id),
        value: U256::from(150),
    }
    .abi_encode();
    let e = owner
        .simulate(flags, over.into(), U256::ZERO)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::TxReverted));
    assert_eq!(e.revert_name().as_deref(), Some("InvalidTrustOverride"));
    assert!(e.to_string().contains("150"), "{e}");

    // Deactivated machines cannot submit.
    let deact = IdentityRegistry::deactivateMachineCall {
        machineId: U256::from(id),
    }
    .abi_encode();
    owner
        .send_transaction(c.contracts().identity_registry, deact.into(), U256::ZERO)
        .await
        .unwrap();
    let e = c
        .submit_event(&SubmitEventParams::revenue(id, U256::from(1), "USD", now))
        .await
        .unwrap_err();
    assert_eq!(e.code_str(), Some("MachineDeactivated"));
    assert_eq!(
        e.to_string(),
        format!("MachineDeactivated: Machine ID {id} is deactivated")
    );
    // An unknown custom error (OwnableUnauthorizedAccount) is TX_REVERTED with the raw data.
    let e = stranger
        .simulate(
            flags,
            AdminFlags::flagMachineCall {
                machineId: U256::from(id),
            }
            .abi_encode()
            .into(),
            U256::ZERO,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::TxReverted));
    assert!(matches!(e, PeaqosError::Rpc { revert_data: Some(ref d), .. } if d.len() >= 4));
}

#[tokio::test]
async fn operational_limits_are_applied_before_sending() {
    let net = Net::start().await;
    let key = net.handle.signer(3);
    let cfg = net
        .config_for(&key)
        .with_operational_limits(OperationalLimits {
            max_value_per_tx: U256::from(1_000),
            rate_limit_max_events: 3,
            rate_limit_window_seconds: 3600,
        });
    let c = PeaqosClient::new(cfg).unwrap();
    let id = c.register_machine().await.unwrap();
    let now = latest_timestamp(c.provider()).await;
    let e = c
        .submit_event(&SubmitEventParams::revenue(
            id,
            U256::from(1_001),
            "USD",
            now,
        ))
        .await
        .unwrap_err();
    assert!(matches!(e, PeaqosError::ValueCapExceeded(_)));
    assert_eq!(e.code_str(), Some("ValueCapExceeded"));
    for _ in 0..3 {
        c.submit_event(&SubmitEventParams::revenue(id, U256::from(10), "USD", now))
            .await
            .unwrap();
    }
    let e = c
        .submit_event(&SubmitEventParams::revenue(id, U256::from(10), "USD", now))
        .await
        .unwrap_err();
    assert!(matches!(e, PeaqosError::RateLimitExceeded(_)));
    assert_eq!(e.code_str(), Some("RateLimitExceeded"));
    assert_eq!(c.event_count(id).await.unwrap(), 3);
    // Another machine has its own window; a batch over the cap is refused as a whole.
    let other = c
        .register_for(PeaqosClient::generate_keypair().0)
        .await
        .unwrap();
    let batch: Vec<_> = (0..4)
        .map(|_| SubmitEventParams::revenue(other, U256::from(1), "USD", now))
        .collect();
    let e = c.batch_submit_events(&batch).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::RateLimitExceeded));
    assert_eq!(c.event_count(other).await.unwrap(), 0);
    c.batch_submit_events(&batch[..3]).await.unwrap();
}

#[tokio::test]
async fn two_hundred_concurrent_events_from_one_operator() {
    let net = Net::start().await;
    let operator = net.dev(4);
    let mut machines = Vec::new();
    for _ in 0..20 {
        machines.push(
            operator
                .register_for(PeaqosClient::generate_keypair().0)
                .await
                .unwrap(),
        );
    }
    let now = latest_timestamp(operator.provider()).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200u64 {
        let c = operator.clone();
        let machine = machines[(i % 20) as usize];
        tasks.spawn(async move {
            c.submit_event(&SubmitEventParams::revenue(
                machine,
                U256::from(100 + i),
                "USD",
                now - i,
            ))
            .await
        });
    }
    let mut hashes = std::collections::HashSet::new();
    while let Some(r) = tasks.join_next().await {
        let (tx, _) = r
            .unwrap()
            .unwrap_or_else(|e| panic!("submission failed: {e:?}"));
        assert!(hashes.insert(tx));
    }
    assert_eq!(hashes.len(), 200);
    for m in &machines {
        assert_eq!(operator.event_count(*m).await.unwrap(), 10);
    }
    // Nonces are contiguous: 20 registrations + 200 events from a fresh account.
    let n = operator
        .provider()
        .get_transaction_count(operator.address())
        .await
        .unwrap();
    assert_eq!(n, 220);
}

#[tokio::test]
async fn nonce_resyncs_after_a_foreign_transaction() {
    let net = Net::start().await;
    let a = net.dev(5);
    let b = net.dev(5); // same key, separate nonce manager
    let to = Address::repeat_byte(0x42);
    a.send_transaction(to, Bytes::new(), U256::from(1))
        .await
        .unwrap();
    b.send_transaction(to, Bytes::new(), U256::from(1))
        .await
        .unwrap(); // b reads pending = 1
    a.send_transaction(to, Bytes::new(), U256::from(1))
        .await
        .unwrap(); // a's local 1 is stale: resync
    b.send_transaction(to, Bytes::new(), U256::from(1))
        .await
        .unwrap(); // b's local 2 is stale too
    assert_eq!(
        a.provider()
            .get_transaction_count(a.address())
            .await
            .unwrap(),
        4
    );
    assert_eq!(a.balance(to).await.unwrap(), U256::from(4));
}

#[tokio::test]
async fn receipt_timeout_keeps_the_hash() {
    // Blocks only every hour: the transaction stays pending.
    let net = Net::start_with(DevnetConfig {
        block_time: Some(Duration::from_secs(3600)),
        ..DevnetConfig::ephemeral()
    })
    .await;
    let mut cfg = net.config_for(&net.handle.signer(6));
    cfg.tx.receipt_timeout = Duration::from_millis(300);
    cfg.tx.receipt_poll_interval = Duration::from_millis(20);
    let c = PeaqosClient::new(cfg).unwrap();
    let e = c
        .send_transaction(Address::repeat_byte(1), Bytes::new(), U256::from(1))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::ReceiptAwaitFailed));
    let hash = e.tx_hash().expect("hash kept");
    assert!(e.to_string().contains(&hash.to_string()));
    let pending = c.provider().get_transaction_by_hash(hash).await.unwrap();
    assert!(pending.is_some(), "the transaction is known to the node");
}
