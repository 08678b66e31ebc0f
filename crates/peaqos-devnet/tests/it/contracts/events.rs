//! EventRegistry: stored records read back field by field, paging, submitters, the machine and
//! field checks in their documented order, bonds, pausing and the owner settings.

use crate::util::*;
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use peaqos_contracts::{EventRegistry, IdentityRegistry, IdentityStaking, MachineNFT};
use peaqos_testkit::{Ev, EvExt, TestNet, event, latest_timestamp, mined, peaq};

/// A "USD" 500 revenue event at the latest block's time as `p` sees it.
async fn usd(p: &alloy::providers::DynProvider) -> Ev {
    Ev::revenue("USD", latest_timestamp(p).await)
}

/// Every field invalid: the event type, trust level, timestamp, metadata size and currency.
fn all_bad(now: u64) -> Ev {
    Ev {
        event_type: 2,
        trust_level: 3,
        timestamp: U256::from(now + 100_000),
        metadata: Bytes::from(vec![0; 5000]),
        currency: "x".into(),
        ..Ev::revenue("USD", now)
    }
}

#[tokio::test]
async fn every_stored_field_round_trips() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let id = m.id;
    let er = event_registry(&net, &m.p);
    assert_eq!(
        er.identityRegistryAddress().call().await.unwrap(),
        d.identity_registry
    );
    assert_eq!(
        er.identityStakingAddress().call().await.unwrap(),
        d.identity_staking
    );
    assert_eq!(er.owner().call().await.unwrap(), net.address(0));
    assert!(!er.paused().call().await.unwrap());
    assert_eq!(er.CURRENCY_MIN_LEN().call().await.unwrap(), U256::from(3));
    assert_eq!(er.CURRENCY_MAX_LEN().call().await.unwrap(), U256::from(10));
    assert_eq!(
        er.MAX_METADATA_SIZE().call().await.unwrap(),
        U256::from(4096)
    );
    assert_eq!(er.MAX_QUERY_LIMIT().call().await.unwrap(), U256::from(256));
    assert_eq!(er.getEventCount(id).call().await.unwrap(), U256::ZERO);
    assert_eq!(er.totalEventCount().call().await.unwrap(), U256::ZERO);
    assert!(
        er.getEvents(id, U256::ZERO, U256::from(10))
            .call()
            .await
            .unwrap()
            .is_empty()
    );

    let now = latest_timestamp(&m.p).await;
    let two_96 = U256::from(1) << 96;
    let metadata: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8 + 1).collect();
    let cases = [
        // every optional word set, a value above 2^96, the largest metadata
        Ev {
            event_type: 0,
            value: (U256::from(1) << 200) + U256::from(7),
            currency: "USD".into(),
            timestamp: U256::from(now - 60),
            data_hash: keccak256(b"invoice #1"),
            trust_level: 1,
            source_chain_id: U256::from(3338),
            source_tx_hash: keccak256(b"source tx"),
            metadata: Bytes::from(metadata),
            machine_id: U256::ZERO,
        },
        // activity: empty currency
        Ev {
            data_hash: keccak256(b"activity"),
            trust_level: 2,
            metadata: Bytes::from_static(b"{\"uptime\":3600}"),
            ..Ev::activity(now)
        },
        // 10 characters, extreme values, timestamp 0
        Ev {
            value: U256::MAX,
            currency: "ABCDEFGHIJ".into(),
            timestamp: U256::ZERO,
            data_hash: B256::repeat_byte(0xff),
            source_chain_id: U256::MAX,
            source_tx_hash: B256::repeat_byte(0xee),
            metadata: Bytes::from(vec![0xab; 33]),
            trust_level: 2,
            ..Ev::revenue("", now)
        },
        // 3 characters, the largest value stored in the header word, nothing optional
        Ev {
            value: two_96 - U256::from(1),
            ..Ev::revenue("EUR", now)
        },
        // the smallest value stored in a word of its own, a source chain without a source tx
        Ev {
            value: two_96,
            source_chain_id: U256::from(1),
            ..Ev::revenue("USDC", now)
        },
        // a source tx without a source chain, zero value
        Ev {
            value: U256::ZERO,
            source_tx_hash: B256::repeat_byte(1),
            ..Ev::revenue("0X1", now)
        },
        // activity with a value, a one-byte metadata
        Ev {
            value: U256::from(42),
            metadata: Bytes::from_static(b"\0"),
            ..Ev::activity(now)
        },
    ];
    for (i, ev) in cases.iter().enumerate() {
        let r = mined(submit(&er, id, ev)).await;
        assert_eq!(r.inner.logs().len(), 1, "one log per event");
        check_submitted(&er, &r, id, i as u64, ev).await;
        assert_eq!(
            er.getEventCount(id).call().await.unwrap(),
            U256::from(i + 1)
        );
        assert_eq!(
            er.totalEventCount().call().await.unwrap(),
            U256::from(i + 1)
        );
    }
    let all: Vec<_> = cases.iter().map(|e| record(id, e)).collect();
    assert_eq!(
        er.getEvents(id, U256::ZERO, U256::from(100))
            .call()
            .await
            .unwrap(),
        all
    );
    assert_eq!(
        er.getEvents(id, U256::from(2), U256::from(2))
            .call()
            .await
            .unwrap(),
        all[2..4].to_vec()
    );

    // events are per machine; the total counts them all
    let other = register_self(&net).await;
    let er_o = event_registry(&net, &other.p);
    assert_eq!(
        er_o.getEventCount(other.id).call().await.unwrap(),
        U256::ZERO
    );
    let ev = usd(&other.p).await;
    let r = mined(submit(&er_o, other.id, &ev)).await;
    check_submitted(&er_o, &r, other.id, 0, &ev).await;
    assert_eq!(
        er.totalEventCount().call().await.unwrap(),
        U256::from(cases.len() + 1)
    );
    assert_eq!(
        er.getEventCount(id).call().await.unwrap(),
        U256::from(cases.len())
    );
    assert_eq!(
        er.getEventAt(id, U256::ZERO).call().await.unwrap(),
        all[0],
        "another machine's event does not touch this one's"
    );
}

#[tokio::test]
async fn get_events_pages_oldest_first_and_clamps_at_max_query_limit() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let id = m.id;
    let er = event_registry(&net, &m.p);
    let now = latest_timestamp(&m.p).await;
    let evs: Vec<Ev> = (0..300u64)
        .map(|i| Ev {
            value: U256::from(i),
            ..Ev::revenue("USD", now)
        })
        .collect();
    batch_submit(&net, &m.p, id, &evs[..256]).await;
    batch_submit(&net, &m.p, id, &evs[256..]).await;
    assert_eq!(er.getEventCount(id).call().await.unwrap(), U256::from(300));
    assert_eq!(er.totalEventCount().call().await.unwrap(), U256::from(300));

    let page = |offset: u64, limit: u64| {
        let er = er.clone();
        async move {
            er.getEvents(id, U256::from(offset), U256::from(limit))
                .call()
                .await
                .unwrap()
                .iter()
                .map(|e| e.value.to::<u64>())
                .collect::<Vec<u64>>()
        }
    };
    let range = |a: u64, b: u64| (a..b).collect::<Vec<u64>>();
    assert_eq!(page(0, 1000).await, range(0, 256), "clamped to 256");
    assert_eq!(page(0, 256).await, range(0, 256));
    assert_eq!(page(0, 257).await, range(0, 256));
    assert_eq!(page(0, 10).await, range(0, 10));
    assert_eq!(page(100, 1000).await, range(100, 300));
    assert_eq!(page(10, 300).await, range(10, 266));
    assert_eq!(page(299, 5).await, vec![299]);
    assert!(page(300, 5).await.is_empty(), "offset == count: no events");
    assert!(page(300, 0).await.is_empty());
    assert!(page(0, 0).await.is_empty());
    // a huge limit is clamped too
    assert_eq!(
        er.getEvents(id, U256::from(44), U256::MAX)
            .call()
            .await
            .unwrap()
            .len(),
        256
    );
    let full = er
        .getEvents(id, U256::from(299), U256::from(1))
        .call()
        .await
        .unwrap();
    assert_eq!(full, vec![record(id, &evs[299])]);
    assert_eq!(
        er.getEventAt(id, U256::from(299)).call().await.unwrap(),
        record(id, &evs[299])
    );

    let oob = EventRegistry::OffsetOutOfBounds {};
    expect_revert(
        &er.getEvents(id, U256::from(301), U256::from(1)),
        oob.clone(),
    )
    .await;
    expect_revert(&er.getEvents(id, U256::MAX, U256::ZERO), oob.clone()).await;
    expect_revert(&er.getEventAt(id, U256::from(300)), oob.clone()).await;
    expect_revert(&er.getEventAt(id, U256::MAX), oob.clone()).await;
    // a machine without events (or no machine at all)
    let unknown = id + U256::from(1);
    assert!(
        er.getEvents(unknown, U256::ZERO, U256::from(10))
            .call()
            .await
            .unwrap()
            .is_empty()
    );
    expect_revert(
        &er.getEvents(unknown, U256::from(1), U256::from(10)),
        oob.clone(),
    )
    .await;
    expect_revert(&er.getEventAt(unknown, U256::ZERO), oob).await;
}

/// A proxy-registered machine may submit from its own key or its proxy's, on its first event
/// and on later ones; strangers, the contracts' owner, other machines and other proxies may not.
#[tokio::test]
async fn machine_and_proxy_submit_strangers_cannot() {
    let net = TestNet::start().await;
    let op = net.provider(1);
    let ma = register_for(&net, &op).await;
    let mb = register_for(&net, &op).await;
    let other = register_self(&net).await;
    let er_op = event_registry(&net, &op);
    let er_a = event_registry(&net, &ma.p);
    let er_b = event_registry(&net, &mb.p);
    let er_other = event_registry(&net, &other.p);
    let (_, ps) = funded(&net).await;
    let er_s = event_registry(&net, &ps);
    let p0 = net.provider(0);
    let er_owner = event_registry(&net, &p0);
    let p2 = net.provider(2);
    let proxy2 = register_for(&net, &p2).await;
    let er_p2 = event_registry(&net, &p2);
    let ev = usd(&op).await;
    let refused = EventRegistry::NotAuthorizedSubmitter {};

    // first events (the registry's full record is consulted)
    for target in [ma.id, mb.id] {
        for er in [&er_s, &er_owner, &er_other, &er_p2] {
            expect_revert(&submit(er, target, &ev), refused.clone()).await;
        }
    }
    // and a machine cannot submit for another one: not for a sibling under the same proxy either
    expect_revert(&submit(&er_a, mb.id, &ev), refused.clone()).await;
    expect_revert(&submit(&er_a, other.id, &ev), refused.clone()).await;
    expect_revert(&submit(&er_op, other.id, &ev), refused.clone()).await;
    expect_revert(&submit(&er_op, proxy2.id, &ev), refused.clone()).await;

    // ma: machine key first; mb: proxy first; then alternating
    let act = Ev::activity(latest_timestamp(&op).await);
    for (i, (er, id)) in [
        (&er_a, ma.id),
        (&er_op, ma.id),
        (&er_a, ma.id),
        (&er_op, mb.id),
        (&er_b, mb.id),
        (&er_op, mb.id),
    ]
    .into_iter()
    .enumerate()
    {
        let e = if i % 2 == 0 { &ev } else { &act };
        let r = mined(submit(er, id, e)).await;
        check_submitted(er, &r, id, (i % 3) as u64, e).await;
    }
    // later events (the cached owner and the machine address)
    for target in [ma.id, mb.id] {
        for er in [&er_s, &er_owner, &er_other, &er_p2] {
            expect_revert(&submit(er, target, &ev), refused.clone()).await;
        }
    }
    expect_revert(&submit(&er_a, mb.id, &ev), refused.clone()).await;
    expect_revert(&submit(&er_b, ma.id, &ev), refused).await;
    assert_eq!(
        er_op.getEventCount(ma.id).call().await.unwrap(),
        U256::from(3)
    );
    assert_eq!(
        er_op.getEventCount(mb.id).call().await.unwrap(),
        U256::from(3)
    );
    assert_eq!(
        er_op.getEventCount(other.id).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        er_op.getEventCount(proxy2.id).call().await.unwrap(),
        U256::ZERO
    );
}

#[tokio::test]
async fn machine_checks_come_first_in_order() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let id = m.id;
    let er = event_registry(&net, &m.p);
    let p3 = net.provider(3);
    let er_s = event_registry(&net, &p3);
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    let now = latest_timestamp(&m.p).await;
    let good = Ev::revenue("USD", now);
    let bad = all_bad(now);

    // MachineNotFound: unknown ids (0 and one past the last), before everything else
    for unknown in [U256::ZERO, id + U256::from(1)] {
        expect_revert(
            &submit(&er, unknown, &good),
            EventRegistry::MachineNotFound {},
        )
        .await;
        expect_revert(
            &submit(&er_s, unknown, &bad),
            EventRegistry::MachineNotFound {},
        )
        .await;
    }
    // MachineDeactivated on a machine's first event, before the submitter and field checks
    mined(reg0.deactivateMachine(id)).await;
    expect_revert(
        &submit(&er, id, &good),
        EventRegistry::MachineDeactivated {},
    )
    .await;
    expect_revert(
        &submit(&er_s, id, &bad),
        EventRegistry::MachineDeactivated {},
    )
    .await;
    mined(reg0.reactivateMachine(id)).await;
    // NotAuthorizedSubmitter before the field checks, first event
    expect_revert(
        &submit(&er_s, id, &bad),
        EventRegistry::NotAuthorizedSubmitter {},
    )
    .await;
    // the field checks apply to the machine itself
    expect_revert(&submit(&er, id, &bad), EventRegistry::InvalidEventType {}).await;

    // Pending, Verified and Rejected machines may submit
    mined(submit(&er, id, &good)).await;
    mined(reg0.verifyMachine(id)).await;
    mined(submit(&er, id, &good)).await;
    mined(reg0.rejectMachine(id)).await;
    mined(submit(&er, id, &good)).await;
    assert_eq!(er.getEventCount(id).call().await.unwrap(), U256::from(3));
    // NotAuthorizedSubmitter before the field checks, later events
    expect_revert(
        &submit(&er_s, id, &bad),
        EventRegistry::NotAuthorizedSubmitter {},
    )
    .await;

    // MachineDeactivated on later events: deactivated by the machine itself this time
    mined(registry(&net, &m.p).deactivateMachine(id)).await;
    expect_revert(
        &submit(&er, id, &good),
        EventRegistry::MachineDeactivated {},
    )
    .await;
    expect_revert(
        &submit(&er_s, id, &bad),
        EventRegistry::MachineDeactivated {},
    )
    .await;
    // reactivation restores Rejected, which may submit
    mined(reg0.reactivateMachine(id)).await;
    assert_eq!(
        reg0.machineStatus(id).call().await.unwrap(),
        STATUS_REJECTED
    );
    mined(submit(&er, id, &good)).await;
    assert_eq!(er.getEventCount(id).call().await.unwrap(), U256::from(4));
    // unknown ids still come first
    expect_revert(
        &submit(&er_s, id + U256::from(1), &bad),
        EventRegistry::MachineNotFound {},
    )
    .await;
}

/// MachineNotBonded: the registry is pointed at a second IdentityStaking while EventRegistry and
/// MachineNFT keep the first, so a machine registered afterwards is bonded in the second only.
#[tokio::test]
async fn machine_not_bonded_when_the_registry_stakes_elsewhere() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let owner = net.address(0);
    let reg0 = registry(&net, &p0);
    let stk1 = staking(&net, &p0);
    let before = register_self(&net).await;
    let before_no_events = register_self(&net).await;

    let s2 = second_staking(&p0, owner).await;
    let stk2 = IdentityStaking::new(s2, p0.clone());
    mined(stk2.authorize(d.identity_registry)).await;
    let r = mined(reg0.setIdentityStaking(s2)).await;
    assert_eq!(
        event::<IdentityRegistry::IdentityStakingSet>(&r, d.identity_registry),
        IdentityRegistry::IdentityStakingSet { staking: s2 }
    );
    let total1 = stk1.totalStaked().call().await.unwrap();

    let m = register_self(&net).await;
    let id = m.id;
    assert_eq!(
        event::<IdentityStaking::Staked>(&m.receipt, s2),
        IdentityStaking::Staked {
            machineId: id,
            owner: m.address(),
            amount: peaq(1)
        }
    );
    assert!(stk2.isStaked(id).call().await.unwrap());
    assert!(!stk1.isStaked(id).call().await.unwrap());
    assert_eq!(stk1.totalStaked().call().await.unwrap(), total1);
    assert_eq!(
        er_staking(&net, &p0).await,
        d.identity_staking,
        "EventRegistry keeps the first staking"
    );

    let er = event_registry(&net, &m.p);
    let p4 = net.provider(4);
    let er_s = event_registry(&net, &p4);
    let now = latest_timestamp(&m.p).await;
    let good = Ev::revenue("USD", now);
    let bad = all_bad(now);
    let unbonded = EventRegistry::MachineNotBonded {};
    expect_revert(&submit(&er, id, &good), unbonded.clone()).await;
    // before the submitter and field checks
    expect_revert(&submit(&er_s, id, &bad), unbonded.clone()).await;
    // after the existence and deactivation checks
    expect_revert(
        &submit(&er_s, id + U256::from(1), &bad),
        EventRegistry::MachineNotFound {},
    )
    .await;
    mined(reg0.deactivateMachine(id)).await;
    expect_revert(
        &submit(&er_s, id, &bad),
        EventRegistry::MachineDeactivated {},
    )
    .await;
    mined(reg0.reactivateMachine(id)).await;

    // MachineNFT reads the first staking too: MachineNotBonded before AlreadyMinted,
    // InvalidAddress and NotMachineOwner
    let nft = machine_nft(&net, &m.p);
    let nft_s = machine_nft(&net, &p4);
    expect_revert(&nft.mint(id, m.address()), MachineNFT::MachineNotBonded {}).await;
    expect_revert(
        &nft_s.mint(id, Address::ZERO),
        MachineNFT::MachineNotBonded {},
    )
    .await;
    expect_revert(
        &nft_s.mint(id + U256::from(1), Address::ZERO),
        MachineNFT::MachineNotFound {},
    )
    .await;

    // a machine bonded before the switch goes on as before
    let er_b = event_registry(&net, &before.p);
    mined(submit(&er_b, before.id, &good)).await;
    mined(machine_nft(&net, &before.p).mint(before.id, before.address())).await;

    // EventRegistry pointed at the second staking: the new machine's first event is accepted,
    // while a machine bonded in the first staking and without events is now refused (the bond is
    // checked, against the current staking, on a machine's first event only)
    let er0 = event_registry(&net, &p0);
    let r = mined(er0.setIdentityStaking(s2)).await;
    assert_eq!(
        event::<EventRegistry::IdentityStakingSet>(&r, d.event_registry),
        EventRegistry::IdentityStakingSet { staking: s2 }
    );
    let r = mined(submit(&er, id, &good)).await;
    check_submitted(&er, &r, id, 0, &good).await;
    mined(submit(&er_b, before.id, &good)).await;
    expect_revert(
        &submit(
            &event_registry(&net, &before_no_events.p),
            before_no_events.id,
            &good,
        ),
        unbonded,
    )
    .await;
    // MachineNFT pointed at it as well
    let nft0 = machine_nft(&net, &p0);
    let r = mined(nft0.setIdentityStaking(s2)).await;
    assert_eq!(
        event::<MachineNFT::IdentityStakingSet>(&r, d.machine_nft),
        MachineNFT::IdentityStakingSet { staking: s2 }
    );
    mined(nft.mint(id, m.address())).await;
    assert_eq!(nft.tokenIdOf(id).call().await.unwrap(), U256::from(2));
}

async fn er_staking(net: &TestNet, p: &alloy::providers::DynProvider) -> Address {
    event_registry(net, p)
        .identityStakingAddress()
        .call()
        .await
        .unwrap()
}

#[tokio::test]
async fn field_checks_in_order() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let id = m.id;
    let er = event_registry(&net, &m.p);
    let now = latest_timestamp(&m.p).await;
    // pin the pending block time so that "the future" is known exactly
    let block_time = now + 5;
    pin_next_timestamp(&m.p, block_time).await;
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
        EventRegistry::InvalidEventType {},
    )
    .await;
    let case = Ev {
        event_type: 255,
        ..all_bad.clone()
    };
    expect_revert(&submit(&er, id, &case), EventRegistry::InvalidEventType {}).await;
    let case = Ev {
        event_type: 0,
        ..all_bad.clone()
    };
    expect_revert(&submit(&er, id, &case), EventRegistry::InvalidTrustLevel {}).await;
    let case_255 = Ev {
        trust_level: 255,
        ..case.clone()
    };
    expect_revert(
        &submit(&er, id, &case_255),
        EventRegistry::InvalidTrustLevel {},
    )
    .await;
    let case = Ev {
        trust_level: 2,
        ..case
    };
    expect_revert(&submit(&er, id, &case), EventRegistry::FutureTimestamp {}).await;
    let case = Ev {
        timestamp: U256::from(block_time),
        ..case
    };
    expect_revert(&submit(&er, id, &case), EventRegistry::MetadataTooLarge {}).await;
    let case = Ev {
        metadata: Bytes::from(vec![7; 4096]),
        ..case
    };
    expect_revert(
        &submit(&er, id, &case),
        EventRegistry::InvalidCurrencyShape {},
    )
    .await;
    // activity with a currency, after the metadata check
    let case_act = Ev {
        event_type: 1,
        currency: "USD".into(),
        metadata: Bytes::from(vec![7; 4097]),
        ..case.clone()
    };
    expect_revert(
        &submit(&er, id, &case_act),
        EventRegistry::MetadataTooLarge {},
    )
    .await;
    expect_revert(
        &submit(
            &er,
            id,
            &Ev {
                metadata: Bytes::new(),
                ..case_act
            },
        ),
        EventRegistry::InvalidCurrencyShape {},
    )
    .await;
    // a timestamp beyond 2^40 or U256::MAX is simply in the future
    expect_revert(
        &submit(
            &er,
            id,
            &Ev {
                timestamp: U256::MAX,
                ..good.clone()
            },
        ),
        EventRegistry::FutureTimestamp {},
    )
    .await;

    // one second in the future is already too far
    let t = latest_timestamp(&m.p).await + 10;
    pin_next_timestamp(&m.p, t).await;
    expect_revert(
        &submit(
            &er,
            id,
            &Ev {
                timestamp: U256::from(t + 1),
                ..good.clone()
            },
        ),
        EventRegistry::FutureTimestamp {},
    )
    .await;

    // 4096 bytes of metadata, timestamp == block time, trust level 2 are accepted
    let t = latest_timestamp(&m.p).await + 10;
    pin_next_timestamp(&m.p, t).await;
    let ok = Ev {
        currency: "USD".into(),
        timestamp: U256::from(t),
        ..case
    };
    let r = mined(submit(&er, id, &ok)).await;
    assert_eq!(
        block_timestamp(&m.p, &r).await,
        t,
        "the pinned block time was used"
    );
    check_submitted(&er, &r, id, 0, &ok).await;
    assert_eq!(er.getEventCount(id).call().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn currency_shape_rules() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let id = m.id;
    let er = event_registry(&net, &m.p);
    let now = latest_timestamp(&m.p).await;
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
        "\0\0\0",
        "USD ",
    ] {
        expect_revert(
            &submit(&er, id, &Ev::revenue(bad, now)),
            EventRegistry::InvalidCurrencyShape {},
        )
        .await;
    }
    // activity events must carry no currency
    for bad in ["USD", "X", " "] {
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
    for good in [
        "USD",
        "HKD",
        "JPY",
        "USDC",
        "ABCDEFGHIJ",
        "0X1",
        "EUR2",
        "123",
    ] {
        let ev = Ev::revenue(good, now);
        let r = mined(submit(&er, id, &ev)).await;
        check_submitted(&er, &r, id, index, &ev).await;
        index += 1;
    }
    assert_eq!(
        er.getEventCount(id).call().await.unwrap(),
        U256::from(index)
    );
}

#[tokio::test]
async fn paused_event_registry_refuses_events() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let er = event_registry(&net, &m.p);
    let p0 = net.provider(0);
    let er0 = event_registry(&net, &p0);
    let p5 = net.provider(5);
    let er5 = event_registry(&net, &p5);
    let now = latest_timestamp(&m.p).await;
    let good = Ev::revenue("USD", now);
    mined(submit(&er, m.id, &good)).await;

    let e = EventRegistry::OwnableUnauthorizedAccount {
        account: net.address(5),
    };
    expect_revert(&er5.pause(), e.clone()).await;
    expect_revert(&er0.unpause(), EventRegistry::ExpectedPause {}).await;
    let r = mined(er0.pause()).await;
    assert_eq!(
        event::<EventRegistry::Paused>(&r, d.event_registry),
        EventRegistry::Paused {
            account: net.address(0)
        }
    );
    assert!(er.paused().call().await.unwrap());
    // EnforcedPause before every other check
    expect_revert(&submit(&er, m.id, &good), EventRegistry::EnforcedPause {}).await;
    expect_revert(
        &submit(&er5, m.id + U256::from(1), &all_bad(now)),
        EventRegistry::EnforcedPause {},
    )
    .await;
    expect_revert(&er0.pause(), EventRegistry::EnforcedPause {}).await;
    expect_revert(&er5.unpause(), e).await;
    // reads go on while paused
    assert_eq!(er.getEventCount(m.id).call().await.unwrap(), U256::from(1));
    assert_eq!(
        er.getEventAt(m.id, U256::ZERO).call().await.unwrap(),
        record(m.id, &good)
    );

    let r = mined(er0.unpause()).await;
    assert_eq!(
        event::<EventRegistry::Unpaused>(&r, d.event_registry),
        EventRegistry::Unpaused {
            account: net.address(0)
        }
    );
    assert!(!er.paused().call().await.unwrap());
    let r = mined(submit(&er, m.id, &good)).await;
    check_submitted(&er, &r, m.id, 1, &good).await;
}

#[tokio::test]
async fn owner_settings_are_owner_only() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let er = event_registry(&net, &m.p);
    let p0 = net.provider(0);
    let er0 = event_registry(&net, &p0);
    let e = EventRegistry::OwnableUnauthorizedAccount {
        account: m.address(),
    };
    expect_revert(&er.setIdentityRegistry(m.address()), e.clone()).await;
    expect_revert(&er.setIdentityRegistry(Address::ZERO), e.clone()).await;
    expect_revert(&er.setIdentityStaking(m.address()), e.clone()).await;
    expect_revert(&er.upgradeToAndCall(m.address(), Bytes::new()), e).await;
    expect_revert(
        &er0.setIdentityRegistry(Address::ZERO),
        EventRegistry::InvalidAddress {},
    )
    .await;
    expect_revert(
        &er0.setIdentityStaking(Address::ZERO),
        EventRegistry::InvalidAddress {},
    )
    .await;

    // pointed at a fresh registry without machines: the machine is unknown there
    let fresh = deploy_proxy(
        &p0,
        &IdentityRegistry::BYTECODE,
        IdentityRegistry::initializeCall {
            initialOwner: net.address(0),
        },
    )
    .await;
    let r = mined(er0.setIdentityRegistry(fresh)).await;
    assert_eq!(
        event::<EventRegistry::IdentityRegistrySet>(&r, d.event_registry),
        EventRegistry::IdentityRegistrySet { registry: fresh }
    );
    assert_eq!(er.identityRegistryAddress().call().await.unwrap(), fresh);
    let good = usd(&m.p).await;
    expect_revert(&submit(&er, m.id, &good), EventRegistry::MachineNotFound {}).await;
    mined(er0.setIdentityRegistry(d.identity_registry)).await;
    let r = mined(submit(&er, m.id, &good)).await;
    check_submitted(&er, &r, m.id, 0, &good).await;
}
