//! UUPS upgrades keep state and are owner only; initializers run once and check their
//! addresses.

use crate::util::*;
use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::SolCall;
use peaqos_contracts::upgrade_test::IdentityRegistryV2;
use peaqos_contracts::{
    AdminFlags, ERC1967Proxy, EventRegistry, IdentityRegistry, IdentityStaking, MachineNFT,
};
use peaqos_testkit::{Ev, EvExt, TestNet, event, latest_timestamp, mined, peaq};
use peaqos_types::constants::{DID_PRECOMPILE_ADDRESS, NATIVE_ERC20_PRECOMPILE_ADDRESS};

#[tokio::test]
async fn upgrade_identity_registry_keeps_state() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let op = net.provider(1);
    let m1 = register_self(&net).await;
    let m2 = register_for(&net, &op).await;
    let reg0 = registry(&net, &p0);
    mined(reg0.setMinBond(peaq(3))).await;
    mined(reg0.verifyMachine(m1.id)).await;
    mined(reg0.rejectMachine(m2.id)).await;
    mined(reg0.deactivateMachine(m2.id)).await;
    mined(reg0.setBaseURI("https://before.upgrade".into())).await;
    let now = latest_timestamp(&p0).await;
    let er1 = event_registry(&net, &m1.p);
    mined(submit(&er1, m1.id, &Ev::revenue("USD", now))).await;
    let old_impl = implementation_of(&p0, d.identity_registry).await;
    assert_ne!(old_impl, Address::ZERO);

    // the old implementation has no version()
    let v2_view = IdentityRegistryV2::new(d.identity_registry, &p0);
    assert!(
        v2_view.version().call().await.is_err(),
        "version() must not exist before the upgrade"
    );
    // proxiableUUID answers on an implementation, never through the proxy
    expect_revert(
        &reg0.proxiableUUID(),
        IdentityRegistry::UUPSUnauthorizedCallContext {},
    )
    .await;

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
    let i1 = v2_view.getVerificationInfo(m1.id).call().await.unwrap();
    assert_eq!(
        (i1.owner_, i1.wallet_, i1.exists_, i1.status_),
        (m1.address(), m1.address(), true, STATUS_VERIFIED)
    );
    let i2 = v2_view.getVerificationInfo(m2.id).call().await.unwrap();
    assert_eq!(
        (i2.owner_, i2.wallet_, i2.exists_, i2.status_),
        (net.address(1), m2.address(), true, STATUS_DEACTIVATED)
    );
    assert_eq!(
        v2_view.machineIdOfOwner(m1.address()).call().await.unwrap(),
        m1.id
    );
    assert_eq!(
        v2_view.machineIdOfOwner(m2.address()).call().await.unwrap(),
        m2.id
    );
    assert_eq!(
        v2_view.operatorOf(m2.id).call().await.unwrap(),
        net.address(1)
    );
    assert_eq!(v2_view.minBond().call().await.unwrap(), peaq(3));
    assert_eq!(v2_view.totalMachines().call().await.unwrap(), U256::from(2));
    assert_eq!(v2_view.ownerOf(m1.id).call().await.unwrap(), m1.address());
    assert_eq!(v2_view.ownerOf(m2.id).call().await.unwrap(), m2.address());
    assert_eq!(v2_view.owner().call().await.unwrap(), net.address(0));
    assert_eq!(
        v2_view.getDIDPrecompile().call().await.unwrap(),
        DID_PRECOMPILE_ADDRESS
    );
    assert_eq!(
        v2_view.tokenURI(m1.id).call().await.unwrap(),
        format!("https://before.upgrade/machines/{}", m1.id)
    );
    assert_eq!(v2_view.name().call().await.unwrap(), "peaqOS Identity");
    // the status before deactivation survived too
    mined(reg0.reactivateMachine(m2.id)).await;
    assert_eq!(
        reg0.machineStatus(m2.id).call().await.unwrap(),
        STATUS_REJECTED
    );

    // and the upgraded registry keeps working: ids continue, staking and WPEAQ still wired
    let (key, p) = funded(&net).await;
    let r = mined(registry(&net, &p).register().value(peaq(3))).await;
    let id3 = registered_id(&net, &r);
    assert_eq!(id3, U256::from(3));
    assert_eq!(
        event::<IdentityStaking::Staked>(&r, d.identity_staking).amount,
        peaq(3)
    );
    assert_eq!(
        staking(&net, &p).getStake(id3).call().await.unwrap(),
        peaq(3)
    );
    expect_revert(
        &registry(&net, &p).transferFrom(key.address(), net.address(5), id3),
        IdentityRegistry::IdentityNFTSoulbound {},
    )
    .await;
    // events still accepted for pre-upgrade machines, on their first and later events
    let now = latest_timestamp(&p).await;
    mined(submit(&er1, m1.id, &Ev::revenue("USD", now))).await;
    mined(submit(
        &event_registry(&net, &op),
        m2.id,
        &Ev::activity(now),
    ))
    .await;
    assert_eq!(
        er1.getEventCount(m1.id).call().await.unwrap(),
        U256::from(2)
    );
    assert_eq!(
        er1.getEventCount(m2.id).call().await.unwrap(),
        U256::from(1)
    );
}

#[tokio::test]
async fn upgrade_by_non_owner_reverts() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let v2_impl = *IdentityRegistryV2::deploy(&p0).await.unwrap().address();
    let before = implementation_of(&p0, d.identity_registry).await;
    let m = register_self(&net).await;
    let p1 = net.provider(1);
    for (p, who) in [(&p1, net.address(1)), (&m.p, m.address())] {
        expect_revert(
            &registry(&net, p).upgradeToAndCall(v2_impl, Bytes::new()),
            IdentityRegistry::OwnableUnauthorizedAccount { account: who },
        )
        .await;
    }
    // the other proxies are guarded too
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
    // the owner cannot upgrade to something that is no UUPS implementation
    expect_revert(
        &registry(&net, &p0).upgradeToAndCall(d.identity_staking, Bytes::new()),
        IdentityRegistry::ERC1967InvalidImplementation {
            implementation: d.identity_staking,
        },
    )
    .await;
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
    let wpeaq = NATIVE_ERC20_PRECOMPILE_ADDRESS;
    let e = IdentityRegistry::InvalidInitialization {};
    for p in [&p0, &attacker] {
        expect_revert(&registry(&net, p).initialize(owner), e.clone()).await;
        expect_revert(
            &staking(&net, p).initialize(wpeaq, owner),
            IdentityStaking::InvalidInitialization {},
        )
        .await;
        expect_revert(
            &event_registry(&net, p).initialize(d.identity_registry, d.identity_staking, owner),
            EventRegistry::InvalidInitialization {},
        )
        .await;
        expect_revert(
            &machine_nft(&net, p).initialize(d.identity_registry, d.identity_staking, owner),
            MachineNFT::InvalidInitialization {},
        )
        .await;
        expect_revert(
            &admin_flags(&net, p).initialize(owner),
            AdminFlags::InvalidInitialization {},
        )
        .await;
    }
    // the implementations behind the proxies are locked as well (_disableInitializers)
    let me = net.address(2);
    let imp = |proxy| implementation_of(&p0, proxy);
    expect_revert(
        &IdentityRegistry::new(imp(d.identity_registry).await, &attacker).initialize(me),
        e.clone(),
    )
    .await;
    expect_revert(
        &IdentityStaking::new(imp(d.identity_staking).await, &attacker).initialize(wpeaq, me),
        IdentityStaking::InvalidInitialization {},
    )
    .await;
    expect_revert(
        &EventRegistry::new(imp(d.event_registry).await, &attacker).initialize(
            d.identity_registry,
            d.identity_staking,
            me,
        ),
        EventRegistry::InvalidInitialization {},
    )
    .await;
    expect_revert(
        &MachineNFT::new(imp(d.machine_nft).await, &attacker).initialize(
            d.identity_registry,
            d.identity_staking,
            me,
        ),
        MachineNFT::InvalidInitialization {},
    )
    .await;
    expect_revert(
        &AdminFlags::new(imp(d.admin_flags).await, &attacker).initialize(me),
        AdminFlags::InvalidInitialization {},
    )
    .await;
    // after an upgrade too
    let v2 = *IdentityRegistryV2::deploy(&p0).await.unwrap().address();
    mined(registry(&net, &p0).upgradeToAndCall(v2, Bytes::new())).await;
    expect_revert(&registry(&net, &attacker).initialize(me), e).await;
    assert_eq!(registry(&net, &p0).owner().call().await.unwrap(), owner);
}

/// A proxy whose initializer gets a zero address is never created: the constructor's
/// delegatecall bubbles the initializer's revert.
#[tokio::test]
async fn initializers_refuse_zero_addresses() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let owner = net.address(0);
    let imp = |proxy| implementation_of(&p0, proxy);
    let (reg_impl, stk_impl, er_impl, nft_impl) = (
        imp(d.identity_registry).await,
        imp(d.identity_staking).await,
        imp(d.event_registry).await,
        imp(d.machine_nft).await,
    );
    let deploy = |implementation: Address, init: Vec<u8>| {
        ERC1967Proxy::deploy_builder(p0.clone(), implementation, init.into())
    };
    expect_revert(
        &deploy(
            stk_impl,
            IdentityStaking::initializeCall {
                _stakingToken: Address::ZERO,
                _owner: owner,
            }
            .abi_encode(),
        ),
        IdentityStaking::InvalidAddress {},
    )
    .await;
    for (registry_, staking_) in [
        (Address::ZERO, d.identity_staking),
        (d.identity_registry, Address::ZERO),
    ] {
        expect_revert(
            &deploy(
                er_impl,
                EventRegistry::initializeCall {
                    _identityRegistry: registry_,
                    _identityStaking: staking_,
                    _owner: owner,
                }
                .abi_encode(),
            ),
            EventRegistry::InvalidAddress {},
        )
        .await;
        expect_revert(
            &deploy(
                nft_impl,
                MachineNFT::initializeCall {
                    _identityRegistry: registry_,
                    _identityStaking: staking_,
                    _owner: owner,
                }
                .abi_encode(),
            ),
            MachineNFT::InvalidAddress {},
        )
        .await;
    }
    expect_revert(
        &deploy(
            reg_impl,
            IdentityRegistry::initializeCall {
                initialOwner: Address::ZERO,
            }
            .abi_encode(),
        ),
        IdentityRegistry::OwnableInvalidOwner {
            owner: Address::ZERO,
        },
    )
    .await;
    // with valid arguments the same proxy is created and initialised
    let proxy = *ERC1967Proxy::deploy(
        p0.clone(),
        er_impl,
        EventRegistry::initializeCall {
            _identityRegistry: d.identity_registry,
            _identityStaking: d.identity_staking,
            _owner: owner,
        }
        .abi_encode()
        .into(),
    )
    .await
    .unwrap()
    .address();
    let er = EventRegistry::new(proxy, &p0);
    assert_eq!(er.owner().call().await.unwrap(), owner);
    assert_eq!(
        er.identityRegistryAddress().call().await.unwrap(),
        d.identity_registry
    );
}
