//! AdminFlags (ours, unchanged): flags with their time, trust overrides 0..100, owner only.

use crate::util::*;
use alloy::primitives::U256;
use peaqos_contracts::AdminFlags;
use peaqos_testkit::{TestNet, event, mined};

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
    let p8 = net.provider(8);
    let flags = admin_flags(&net, &p8);
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
