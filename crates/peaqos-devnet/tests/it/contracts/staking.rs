//! IdentityStaking: authorized stakers only, the bond pulled in WPEAQ, pausing, no way out.

use crate::util::*;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::Revert;
use peaqos_contracts::IdentityStaking;
use peaqos_contracts::precompiles::NativeErc20;
use peaqos_testkit::{TestNet, event, mined, peaq};
use peaqos_types::constants::NATIVE_ERC20_PRECOMPILE_ADDRESS;

#[tokio::test]
async fn stake_for_only_from_authorized_callers() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let p0 = net.provider(0);
    let p1 = net.provider(1);
    // neither a stranger, nor the owner, nor a machine may stake directly
    for (p, who) in [
        (&p1, net.address(1)),
        (&p0, net.address(0)),
        (&m.p, m.address()),
    ] {
        let stk = staking(&net, p);
        assert!(!stk.isAuthorized(who).call().await.unwrap());
        for (id, amount) in [(U256::from(7), U256::from(1)), (m.id, U256::from(1))] {
            expect_revert(
                &stk.stakeFor(id, who, amount),
                IdentityStaking::NotAuthorized {},
            )
            .await;
        }
        // NotAuthorized comes before the argument checks
        expect_revert(
            &stk.stakeFor(U256::from(7), Address::ZERO, U256::ZERO),
            IdentityStaking::NotAuthorized {},
        )
        .await;
    }
    let stk = staking(&net, &p0);
    assert!(stk.isAuthorized(d.identity_registry).call().await.unwrap());
    assert_eq!(stk.totalStaked().call().await.unwrap(), peaq(1));
    assert!(!stk.isStaked(U256::from(7)).call().await.unwrap());

    // authorize / revoke are owner only, zero refused
    let stk1 = staking(&net, &p1);
    let e = IdentityStaking::OwnableUnauthorizedAccount {
        account: net.address(1),
    };
    expect_revert(&stk1.authorize(net.address(1)), e.clone()).await;
    expect_revert(&stk1.authorize(Address::ZERO), e.clone()).await;
    expect_revert(&stk1.revoke(d.identity_registry), e).await;
    expect_revert(
        &stk.authorize(Address::ZERO),
        IdentityStaking::InvalidAddress {},
    )
    .await;
    assert!(stk.isAuthorized(d.identity_registry).call().await.unwrap());
}

/// An authorized caller other than the registry: the argument checks in order, the pull through
/// WPEAQ (allowance needed), and revocation.
#[tokio::test]
async fn an_authorized_caller_stakes_through_wpeaq() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let p0 = net.provider(0);
    let stk0 = staking(&net, &p0);
    let staker = net.address(2);
    let p2 = net.provider(2);
    let stk = staking(&net, &p2);
    let r = mined(stk0.authorize(staker)).await;
    assert_eq!(
        event::<IdentityStaking::Authorized>(&r, d.identity_staking),
        IdentityStaking::Authorized { addr: staker }
    );
    assert!(stk0.isAuthorized(staker).call().await.unwrap());

    let id = U256::from(77);
    let amount = U256::from(5_000u64);
    // InvalidAddress (zero owner), before AmountZero and AlreadyStaked
    expect_revert(
        &stk.stakeFor(m.id, Address::ZERO, U256::ZERO),
        IdentityStaking::InvalidAddress {},
    )
    .await;
    expect_revert(
        &stk.stakeFor(m.id, staker, U256::ZERO),
        IdentityStaking::AmountZero {},
    )
    .await;
    expect_revert(
        &stk.stakeFor(m.id, staker, amount),
        IdentityStaking::AlreadyStaked {},
    )
    .await;
    // without an allowance WPEAQ refuses the pull, and SafeERC20 passes its reason on
    expect_revert(
        &stk.stakeFor(id, staker, amount),
        Revert {
            reason: "ERC20: insufficient allowance".into(),
        },
    )
    .await;

    let token = NativeErc20::new(NATIVE_ERC20_PRECOMPILE_ADDRESS, &p2);
    let approve = mined(token.approve(d.identity_staking, amount)).await;
    let staker_before = p2.get_balance(staker).await.unwrap();
    let staking_before = p2.get_balance(d.identity_staking).await.unwrap();
    let total_before = stk.totalStaked().call().await.unwrap();
    let r = mined(stk.stakeFor(id, net.address(3), amount)).await;
    assert_eq!(
        event::<IdentityStaking::Staked>(&r, d.identity_staking),
        IdentityStaking::Staked {
            machineId: id,
            owner: net.address(3),
            amount
        }
    );
    assert_eq!(
        event::<NativeErc20::Transfer>(&r, NATIVE_ERC20_PRECOMPILE_ADDRESS),
        NativeErc20::Transfer {
            from: staker,
            to: d.identity_staking,
            value: amount
        }
    );
    assert_eq!(
        p2.get_balance(staker).await.unwrap(),
        staker_before - amount - fee(&r)
    );
    assert_eq!(
        p2.get_balance(d.identity_staking).await.unwrap(),
        staking_before + amount
    );
    assert_eq!(
        stk.totalStaked().call().await.unwrap(),
        total_before + amount
    );
    assert_eq!(stk.getStake(id).call().await.unwrap(), amount);
    let info = stk.getStakeInfo(id).call().await.unwrap();
    assert_eq!((info.amount, info.status), (amount, STAKE_ACTIVE));
    assert_eq!(
        token
            .allowance(staker, d.identity_staking)
            .call()
            .await
            .unwrap(),
        U256::ZERO
    );
    assert!(approve.status());
    // once per machine
    mined(token.approve(d.identity_staking, amount)).await;
    expect_revert(
        &stk.stakeFor(id, staker, amount),
        IdentityStaking::AlreadyStaked {},
    )
    .await;

    // revoked: NotAuthorized again
    let r = mined(stk0.revoke(staker)).await;
    assert_eq!(
        event::<IdentityStaking::Revoked>(&r, d.identity_staking),
        IdentityStaking::Revoked { addr: staker }
    );
    assert!(!stk0.isAuthorized(staker).call().await.unwrap());
    expect_revert(
        &stk.stakeFor(U256::from(78), staker, amount),
        IdentityStaking::NotAuthorized {},
    )
    .await;
}

/// Revoking the registry stops registration (IdentityStaking's NotAuthorized bubbles up through
/// the registry); authorizing it again restores it.
#[tokio::test]
async fn a_revoked_registry_cannot_register() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let stk0 = staking(&net, &p0);
    mined(stk0.revoke(d.identity_registry)).await;
    let (key, p) = funded(&net).await;
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    expect_revert(
        &reg.register().value(bond),
        IdentityStaking::NotAuthorized {},
    )
    .await;
    expect_revert(
        &reg.registerFor(net.address(7)).value(bond),
        IdentityStaking::NotAuthorized {},
    )
    .await;
    assert_eq!(reg.totalMachines().call().await.unwrap(), U256::ZERO);
    mined(stk0.authorize(d.identity_registry)).await;
    let r = mined(reg.register().value(bond)).await;
    assert_eq!(registered_id(&net, &r), U256::from(1));
    assert_eq!(
        reg.machineIdOfOwner(key.address()).call().await.unwrap(),
        U256::from(1)
    );
}

#[tokio::test]
async fn paused_staking_blocks_registration() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let stk0 = staking(&net, &p0);
    assert!(!stk0.paused().call().await.unwrap());
    // only the owner pauses
    let p5 = net.provider(5);
    let stk5 = staking(&net, &p5);
    let e = IdentityStaking::OwnableUnauthorizedAccount {
        account: net.address(5),
    };
    expect_revert(&stk5.pause(), e.clone()).await;

    let r = mined(stk0.pause()).await;
    assert_eq!(
        event::<IdentityStaking::Paused>(&r, d.identity_staking),
        IdentityStaking::Paused {
            account: net.address(0)
        }
    );
    assert!(stk0.paused().call().await.unwrap());

    let (key, p) = funded(&net).await;
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    // the staking's EnforcedPause bubbles up through the registry
    expect_revert(
        &reg.register().value(bond),
        IdentityStaking::EnforcedPause {},
    )
    .await;
    let p1 = net.provider(1);
    expect_revert(
        &registry(&net, &p1).registerFor(net.address(7)).value(bond),
        IdentityStaking::EnforcedPause {},
    )
    .await;
    // EnforcedPause comes before NotAuthorized
    expect_revert(
        &stk5.stakeFor(U256::from(9), net.address(5), U256::from(1)),
        IdentityStaking::EnforcedPause {},
    )
    .await;
    assert_eq!(reg.totalMachines().call().await.unwrap(), U256::ZERO);
    expect_revert(&stk0.pause(), IdentityStaking::EnforcedPause {}).await;
    expect_revert(&stk5.unpause(), e).await;

    let r = mined(stk0.unpause()).await;
    assert_eq!(
        event::<IdentityStaking::Unpaused>(&r, d.identity_staking),
        IdentityStaking::Unpaused {
            account: net.address(0)
        }
    );
    expect_revert(&stk0.unpause(), IdentityStaking::ExpectedPause {}).await;
    let r = mined(reg.register().value(bond)).await;
    let id = registered_id(&net, &r);
    assert_eq!(id, U256::from(1));
    assert_eq!(
        reg.machineIdOfOwner(key.address()).call().await.unwrap(),
        id
    );
    assert!(stk0.isStaked(id).call().await.unwrap());
}

#[tokio::test]
async fn staking_has_no_withdrawal_and_rejects_plain_transfers() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    register_self(&net).await;
    // the ABI has no way out: exactly these functions, none of which pays out
    let mut names: Vec<&str> = IdentityStaking::IdentityStakingCalls::SIGNATURES
        .iter()
        .map(|s| s.split('(').next().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "UPGRADE_INTERFACE_VERSION",
            "authorize",
            "getStake",
            "getStakeInfo",
            "initialize",
            "isAuthorized",
            "isStaked",
            "owner",
            "pause",
            "paused",
            "proxiableUUID",
            "renounceOwnership",
            "revoke",
            "stakeFor",
            "stakingToken",
            "totalStaked",
            "transferOwnership",
            "unpause",
            "upgradeToAndCall",
        ]
    );
    // and stakeFor is not payable
    let p2 = net.provider(2);
    assert!(
        IdentityStaking::new(d.identity_staking, &p2)
            .stakeFor(U256::from(1), net.address(2), U256::from(1))
            .value(U256::from(1))
            .call()
            .await
            .is_err()
    );

    let from = net.address(2);
    let held = p2.get_balance(d.identity_staking).await.unwrap();
    assert_eq!(held, peaq(1));
    let tx = TransactionRequest::default()
        .from(from)
        .to(d.identity_staking)
        .value(U256::from(1000));
    // eth_call and eth_estimateGas: a revert with empty data (no receive / fallback)
    let err = p2.call(tx.clone()).await.unwrap_err();
    let resp = err.as_error_resp().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(resp.code, 3, "{resp:?}");
    assert_eq!(resp.as_revert_data().unwrap_or_default(), Bytes::new());
    let err = p2.estimate_gas(tx.clone()).await.unwrap_err();
    let resp = err.as_error_resp().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(resp.code, 3, "{resp:?}");
    assert_eq!(resp.as_revert_data().unwrap_or_default(), Bytes::new());
    // sent anyway with a fixed gas limit: mined, failed, balances unchanged but for the fee
    let before = p2.get_balance(from).await.unwrap();
    let r = p2
        .send_transaction(tx.with_gas_limit(100_000))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(!r.status(), "a plain transfer to IdentityStaking must fail");
    assert_eq!(p2.get_balance(d.identity_staking).await.unwrap(), held);
    assert_eq!(p2.get_balance(from).await.unwrap(), before - fee(&r));
    // same with calldata that matches no function (fallback)
    let tx = TransactionRequest::default()
        .from(from)
        .to(d.identity_staking)
        .value(U256::from(1))
        .input(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]).into());
    let err = p2.call(tx).await.unwrap_err();
    assert_eq!(err.as_error_resp().map(|e| e.code), Some(3), "{err:?}");
    // the registry refuses plain value as well
    let tx = TransactionRequest::default()
        .from(from)
        .to(d.identity_registry)
        .value(U256::from(1));
    assert!(p2.call(tx).await.is_err());
}
