//! IdentityRegistry: registration (self and proxy), the bond through WPEAQ, views, status
//! transitions, the soulbound Identity NFT, owner settings, tokenURI and getMetadata.

use crate::util::*;
use alloy::contract::Error as ContractError;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolError, SolInterface};
use peaqos_contracts::precompiles::NativeErc20;
use peaqos_contracts::{IdentityRegistry, IdentityStaking};
use peaqos_devnet::DevnetConfig;
use peaqos_testkit::{TestNet, event, events, mined, peaq, set_did_attributes};
use peaqos_types::constants::{
    DEFAULT_MCR_API_URL, DID_PRECOMPILE_ADDRESS, NATIVE_ERC20_PRECOMPILE_ADDRESS,
};

type RegErr = IdentityRegistry::IdentityRegistryErrors;

// ================================================================================================
// reverts as seen by clients

#[tokio::test]
async fn revert_surfaces_as_a_decodable_custom_error() {
    let net = TestNet::start().await;
    let (key, p) = funded(&net).await;
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    let wrong = bond - U256::from(1);

    // eth_call: the revert data is the bare selector of the parameterless custom error
    let err = reg.register().value(wrong).call().await.unwrap_err();
    let data = err.as_revert_data().expect("revert data");
    assert_eq!(
        data,
        Bytes::from(IdentityRegistry::IncorrectBondAmount {}.abi_encode())
    );
    assert_eq!(data.len(), 4, "errors carry no parameters");
    assert_eq!(
        err.as_decoded_interface_error::<RegErr>(),
        Some(RegErr::IncorrectBondAmount(
            IdentityRegistry::IncorrectBondAmount {}
        ))
    );
    assert_eq!(revert_name(&data), "IncorrectBondAmount");
    assert_eq!(
        RegErr::abi_decode(&data).unwrap().selector(),
        IdentityRegistry::IncorrectBondAmount::SELECTOR
    );

    // send(): eth_estimateGas answers code 3, "execution reverted", with the same data
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
    assert_eq!(resp.as_revert_data(), Some(data));
    assert_eq!(
        p.get_transaction_count(key.address()).await.unwrap(),
        0,
        "nothing was sent"
    );
}

/// A reverting call sent with a fixed gas limit (no estimation) is mined with status 0, no logs,
/// no state change and the bond back with the sender (only the fee is charged).
#[tokio::test]
async fn reverted_transaction_is_mined_without_effects() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let (key, p) = funded(&net).await;
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    let before = p.get_balance(key.address()).await.unwrap();
    let staking_before = p.get_balance(d.identity_staking).await.unwrap();
    let r = expect_revert(
        &reg.register().value(bond + U256::from(1)),
        IdentityRegistry::IncorrectBondAmount {},
    )
    .await;
    assert_eq!(
        p.get_balance(key.address()).await.unwrap(),
        before - fee(&r)
    );
    assert_eq!(
        p.get_balance(d.identity_staking).await.unwrap(),
        staking_before
    );
    assert_eq!(reg.totalMachines().call().await.unwrap(), U256::ZERO);
    assert_eq!(
        reg.machineIdOfOwner(key.address()).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(p.get_transaction_count(key.address()).await.unwrap(), 1);
    // the same provider goes on to register normally
    let r = mined(reg.register().value(bond)).await;
    assert_eq!(registered_id(&net, &r), U256::from(1));
    assert_eq!(
        reg.machineIdOfOwner(key.address()).call().await.unwrap(),
        U256::from(1)
    );
}

// ================================================================================================
// registration

#[tokio::test]
async fn register_self_happy_path() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    let stk0 = staking(&net, &p0);
    assert_eq!(reg0.totalMachines().call().await.unwrap(), U256::ZERO);
    assert_eq!(reg0.name().call().await.unwrap(), "peaqOS Identity");
    assert_eq!(reg0.symbol().call().await.unwrap(), "PEAQID");
    assert_eq!(reg0.owner().call().await.unwrap(), net.address(0));
    assert_eq!(reg0.MIN_BOND_FLOOR().call().await.unwrap(), peaq(1));
    assert_eq!(
        reg0.getDIDPrecompile().call().await.unwrap(),
        DID_PRECOMPILE_ADDRESS
    );
    // ERC-721 and ERC-165 interface ids
    for id in [[0x80, 0xac, 0x58, 0xcd], [0x01, 0xff, 0xc9, 0xa7]] {
        assert!(reg0.supportsInterface(id.into()).call().await.unwrap());
    }
    assert_eq!(
        stk0.stakingToken().call().await.unwrap(),
        NATIVE_ERC20_PRECOMPILE_ADDRESS
    );
    assert!(stk0.isAuthorized(d.identity_registry).call().await.unwrap());
    let bond = reg0.minBond().call().await.unwrap();
    assert_eq!(bond, peaq(1));
    let staking_before = p0.get_balance(d.identity_staking).await.unwrap();
    let total_before = stk0.totalStaked().call().await.unwrap();

    for expected_id in 1u64..=2 {
        let (key, p) = funded(&net).await;
        let reg = registry(&net, &p);
        let machine = key.address();
        let id = U256::from(expected_id);
        // the return value, as seen by eth_call
        assert_eq!(reg.register().value(bond).call().await.unwrap(), id);
        let balance_before = p.get_balance(machine).await.unwrap();
        let r = mined(reg.register().value(bond)).await;

        let uri = format!("{DEFAULT_MCR_API_URL}/machines/{expected_id}");
        assert_eq!(
            event::<IdentityRegistry::Registered>(&r, d.identity_registry),
            IdentityRegistry::Registered {
                machineId: id,
                machineURI: uri.clone(),
                owner: machine,
            }
        );
        assert!(
            events::<IdentityRegistry::OperatorSet>(&r, d.identity_registry).is_empty(),
            "no OperatorSet for a self-registration"
        );
        assert_eq!(
            event::<IdentityRegistry::Transfer>(&r, d.identity_registry),
            IdentityRegistry::Transfer {
                from: Address::ZERO,
                to: machine,
                tokenId: id
            }
        );
        assert_eq!(
            event::<IdentityStaking::Staked>(&r, d.identity_staking),
            IdentityStaking::Staked {
                machineId: id,
                owner: machine,
                amount: bond
            }
        );
        // the bond went through WPEAQ: the registry approved staking, staking pulled it
        assert_eq!(
            event::<NativeErc20::Approval>(&r, NATIVE_ERC20_PRECOMPILE_ADDRESS),
            NativeErc20::Approval {
                owner: d.identity_registry,
                spender: d.identity_staking,
                value: bond
            }
        );
        assert_eq!(
            event::<NativeErc20::Transfer>(&r, NATIVE_ERC20_PRECOMPILE_ADDRESS),
            NativeErc20::Transfer {
                from: d.identity_registry,
                to: d.identity_staking,
                value: bond
            }
        );
        assert_eq!(
            wpeaq(&p)
                .allowance(d.identity_registry, d.identity_staking)
                .call()
                .await
                .unwrap(),
            U256::ZERO,
            "the allowance was used up"
        );

        assert_eq!(reg.totalMachines().call().await.unwrap(), id);
        assert_eq!(reg.machineIdOfOwner(machine).call().await.unwrap(), id);
        assert_eq!(reg.machineWalletOf(id).call().await.unwrap(), machine);
        assert_eq!(reg.operatorOf(id).call().await.unwrap(), machine);
        assert_eq!(reg.machineStatus(id).call().await.unwrap(), STATUS_PENDING);
        assert_eq!(
            reg.getMachineStatus(id).call().await.unwrap(),
            STATUS_PENDING
        );
        assert!(reg.machineExists(id).call().await.unwrap());
        assert!(!reg.isVerified(id).call().await.unwrap());
        assert!(!reg.isDeactivated(id).call().await.unwrap());
        let info = reg.getVerificationInfo(id).call().await.unwrap();
        assert_eq!(
            (info.owner_, info.wallet_, info.exists_, info.status_),
            (machine, machine, true, STATUS_PENDING)
        );
        let o = reg.getOwnerIfExists(id).call().await.unwrap();
        assert_eq!((o.owner_, o.exists_), (machine, true));
        assert!(reg.verifyOwnership(id, machine).call().await.unwrap());
        assert!(
            !reg.verifyOwnership(id, net.address(5))
                .call()
                .await
                .unwrap()
        );
        assert!(!reg.verifyOwnership(id, Address::ZERO).call().await.unwrap());
        assert!(reg.isAuthorizedOrOwner(machine, id).call().await.unwrap());
        assert!(
            !reg.isAuthorizedOrOwner(net.address(5), id)
                .call()
                .await
                .unwrap()
        );
        assert_eq!(reg.ownerOf(id).call().await.unwrap(), machine);
        assert_eq!(reg.balanceOf(machine).call().await.unwrap(), U256::from(1));
        assert_eq!(reg.tokenURI(id).call().await.unwrap(), uri);

        let stk = staking(&net, &p);
        assert_eq!(stk.getStake(id).call().await.unwrap(), bond);
        assert!(stk.isStaked(id).call().await.unwrap());
        let info = stk.getStakeInfo(id).call().await.unwrap();
        assert_eq!(
            (
                info.amount,
                info.status,
                info.slashCount,
                info.unstakeRequestTime
            ),
            (bond, STAKE_ACTIVE, 0, 0)
        );
        // the machine paid exactly the bond plus gas
        assert_eq!(
            p.get_balance(machine).await.unwrap(),
            balance_before - bond - fee(&r)
        );
    }
    let two = U256::from(2);
    assert_eq!(
        stk0.totalStaked().call().await.unwrap(),
        total_before + bond * two
    );
    assert_eq!(
        p0.get_balance(d.identity_staking).await.unwrap(),
        staking_before + bond * two,
        "the bonds sit in IdentityStaking as native PEAQ"
    );
    // the registry itself keeps nothing
    assert_eq!(
        p0.get_balance(d.identity_registry).await.unwrap(),
        U256::ZERO
    );
    // unknown ids
    for unknown in [U256::ZERO, U256::from(3)] {
        assert!(!reg0.machineExists(unknown).call().await.unwrap());
        assert_eq!(
            reg0.machineStatus(unknown).call().await.unwrap(),
            STATUS_NONE
        );
        assert_eq!(
            reg0.machineWalletOf(unknown).call().await.unwrap(),
            Address::ZERO
        );
        assert_eq!(
            reg0.operatorOf(unknown).call().await.unwrap(),
            Address::ZERO
        );
        let info = reg0.getVerificationInfo(unknown).call().await.unwrap();
        assert_eq!(
            (info.owner_, info.wallet_, info.exists_, info.status_),
            (Address::ZERO, Address::ZERO, false, STATUS_NONE)
        );
        let o = reg0.getOwnerIfExists(unknown).call().await.unwrap();
        assert_eq!((o.owner_, o.exists_), (Address::ZERO, false));
        assert!(
            !reg0
                .verifyOwnership(unknown, Address::ZERO)
                .call()
                .await
                .unwrap()
        );
        assert!(
            !reg0
                .isAuthorizedOrOwner(Address::ZERO, unknown)
                .call()
                .await
                .unwrap()
        );
        assert!(!stk0.isStaked(unknown).call().await.unwrap());
        assert_eq!(stk0.getStake(unknown).call().await.unwrap(), U256::ZERO);
        let info = stk0.getStakeInfo(unknown).call().await.unwrap();
        assert_eq!((info.amount, info.status), (U256::ZERO, STAKE_NONE));
    }
    assert_eq!(
        reg0.machineIdOfOwner(net.address(5)).call().await.unwrap(),
        U256::ZERO
    );
}

#[tokio::test]
async fn register_for_records_the_proxy_as_owner() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let op = net.provider(1);
    let operator = net.address(1);
    let stranger = net.address(5);
    let bond = peaq(1);
    let op_before = op.get_balance(operator).await.unwrap();
    let m = register_for(&net, &op).await;
    let (machine, id, r) = (m.address(), m.id, &m.receipt);
    assert_eq!(id, U256::from(1));
    assert_eq!(
        event::<IdentityRegistry::Registered>(r, d.identity_registry),
        IdentityRegistry::Registered {
            machineId: id,
            machineURI: format!("{DEFAULT_MCR_API_URL}/machines/1"),
            owner: operator,
        }
    );
    assert_eq!(
        event::<IdentityRegistry::OperatorSet>(r, d.identity_registry),
        IdentityRegistry::OperatorSet {
            machineId: id,
            operator
        }
    );
    assert_eq!(
        event::<IdentityStaking::Staked>(r, d.identity_staking),
        IdentityStaking::Staked {
            machineId: id,
            owner: operator,
            amount: bond
        }
    );
    // the proxy paid the bond and the fee
    assert_eq!(
        op.get_balance(operator).await.unwrap(),
        op_before - bond - fee(r)
    );
    assert_eq!(m.p.get_balance(machine).await.unwrap(), peaq(10));

    let reg = registry(&net, &op);
    assert_eq!(reg.machineIdOfOwner(machine).call().await.unwrap(), id);
    assert_eq!(
        reg.machineIdOfOwner(operator).call().await.unwrap(),
        U256::ZERO,
        "the proxy is no machine"
    );
    assert_eq!(reg.machineWalletOf(id).call().await.unwrap(), machine);
    assert_eq!(reg.operatorOf(id).call().await.unwrap(), operator);
    let info = reg.getVerificationInfo(id).call().await.unwrap();
    assert_eq!(
        (info.owner_, info.wallet_, info.exists_, info.status_),
        (operator, machine, true, STATUS_PENDING)
    );
    let o = reg.getOwnerIfExists(id).call().await.unwrap();
    assert_eq!((o.owner_, o.exists_), (operator, true));
    assert!(reg.verifyOwnership(id, operator).call().await.unwrap());
    assert!(
        !reg.verifyOwnership(id, machine).call().await.unwrap(),
        "the machine is not its owner"
    );
    assert!(reg.isAuthorizedOrOwner(machine, id).call().await.unwrap());
    assert!(reg.isAuthorizedOrOwner(operator, id).call().await.unwrap());
    assert!(!reg.isAuthorizedOrOwner(stranger, id).call().await.unwrap());
    // the Identity NFT goes to the machine, not to the proxy
    assert_eq!(reg.ownerOf(id).call().await.unwrap(), machine);
    assert_eq!(reg.balanceOf(operator).call().await.unwrap(), U256::ZERO);
    let stk = staking(&net, &op);
    assert_eq!(stk.getStake(id).call().await.unwrap(), bond);
    assert_eq!(stk.totalStaked().call().await.unwrap(), bond);

    // the proxy can register a second machine: ids keep counting
    let m2 = register_for(&net, &op).await;
    assert_eq!(m2.id, U256::from(2));
    assert_eq!(reg.operatorOf(m2.id).call().await.unwrap(), operator);
    assert_eq!(reg.totalMachines().call().await.unwrap(), U256::from(2));

    // registerFor(msg.sender) is a self-registration: no OperatorSet
    let (key, p) = funded(&net).await;
    let r = mined(registry(&net, &p).registerFor(key.address()).value(bond)).await;
    let id3 = registered_id(&net, &r);
    assert_eq!(id3, U256::from(3));
    assert!(events::<IdentityRegistry::OperatorSet>(&r, d.identity_registry).is_empty());
    let info = reg.getVerificationInfo(id3).call().await.unwrap();
    assert_eq!((info.owner_, info.wallet_), (key.address(), key.address()));
}

#[tokio::test]
async fn wrong_bond_reverts_incorrect_bond_amount() {
    let net = TestNet::start().await;
    let (_key, p) = funded(&net).await;
    let reg = registry(&net, &p);
    let bond = reg.minBond().call().await.unwrap();
    for sent in [
        U256::ZERO,
        bond - U256::from(1),
        bond + U256::from(1),
        bond * U256::from(2),
    ] {
        expect_revert(
            &reg.register().value(sent),
            IdentityRegistry::IncorrectBondAmount {},
        )
        .await;
        expect_revert(
            &reg.registerFor(net.address(6)).value(sent),
            IdentityRegistry::IncorrectBondAmount {},
        )
        .await;
    }
    assert_eq!(reg.totalMachines().call().await.unwrap(), U256::ZERO);
    assert_eq!(
        staking(&net, &p).totalStaked().call().await.unwrap(),
        U256::ZERO
    );
}

#[tokio::test]
async fn registering_a_machine_twice_reverts_already_registered() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let reg = registry(&net, &m.p);
    let bond = reg.minBond().call().await.unwrap();
    let e = IdentityRegistry::AlreadyRegistered {};
    expect_revert(&reg.register().value(bond), e.clone()).await;
    // a proxy cannot register it either
    let op = net.provider(1);
    let reg1 = registry(&net, &op);
    expect_revert(&reg1.registerFor(m.address()).value(bond), e.clone()).await;
    // AlreadyRegistered is checked before the bond amount
    expect_revert(&reg1.registerFor(m.address()).value(U256::ZERO), e.clone()).await;
    expect_revert(&reg.register().value(U256::ZERO), e.clone()).await;
    // a proxy-registered machine cannot self-register, nor be registered by another proxy
    let m2 = register_for(&net, &op).await;
    expect_revert(&registry(&net, &m2.p).register().value(bond), e.clone()).await;
    expect_revert(
        &registry(&net, &net.provider(2))
            .registerFor(m2.address())
            .value(bond),
        e.clone(),
    )
    .await;
    // the same proxy registering it again
    expect_revert(&reg1.registerFor(m2.address()).value(bond), e).await;
    assert_eq!(reg.totalMachines().call().await.unwrap(), U256::from(2));
    // peaq's surface also declares WalletAlreadyBound(address) and BondNotRequired(); nothing
    // raises them (a machine address binds once, as above; the bond is never zero)
    for declared in ["WalletAlreadyBound(address)", "BondNotRequired()"] {
        assert!(RegErr::SIGNATURES.contains(&declared), "{declared}");
    }
}

#[tokio::test]
async fn register_for_zero_address_reverts_invalid_machine_address() {
    let net = TestNet::start().await;
    let reg = registry(&net, &net.provider(1));
    let bond = reg.minBond().call().await.unwrap();
    let e = IdentityRegistry::InvalidMachineAddress {};
    expect_revert(&reg.registerFor(Address::ZERO).value(bond), e.clone()).await;
    // checked first: even with a wrong bond
    expect_revert(&reg.registerFor(Address::ZERO).value(U256::ZERO), e).await;
    assert_eq!(reg.totalMachines().call().await.unwrap(), U256::ZERO);
}

/// A registry proxy without staking (or without WPEAQ) refuses registrations with
/// ContractNotConfigured, checked after InvalidMachineAddress and before AlreadyRegistered and the
/// bond; once wired to a staking of its own that authorizes it, it registers from id 1.
#[tokio::test]
async fn unconfigured_registry_reverts_contract_not_configured() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let owner = net.address(0);
    let fresh = deploy_proxy(
        &p0,
        &IdentityRegistry::BYTECODE,
        IdentityRegistry::initializeCall {
            initialOwner: owner,
        },
    )
    .await;
    let fresh0 = IdentityRegistry::new(fresh, p0.clone());
    assert_eq!(fresh0.minBond().call().await.unwrap(), peaq(1));
    assert_eq!(
        fresh0.getDIDPrecompile().call().await.unwrap(),
        DID_PRECOMPILE_ADDRESS
    );
    assert_eq!(fresh0.owner().call().await.unwrap(), owner);
    // a machine already registered in the devnet's registry is unknown to this one
    let known = register_self(&net).await;
    let (key, p) = funded(&net).await;
    let reg = IdentityRegistry::new(fresh, p.clone());
    let bond = peaq(1);
    let e = IdentityRegistry::ContractNotConfigured {};
    let check_unconfigured = |reg: &Registry| {
        let reg = reg.clone();
        let e = e.clone();
        let machine = known.address();
        async move {
            expect_revert(&reg.register().value(bond), e.clone()).await;
            expect_revert(&reg.register().value(U256::ZERO), e.clone()).await;
            expect_revert(&reg.registerFor(machine).value(bond), e.clone()).await;
            expect_revert(
                &reg.registerFor(Address::ZERO).value(bond),
                IdentityRegistry::InvalidMachineAddress {},
            )
            .await;
        }
    };
    check_unconfigured(&reg).await;

    // zero addresses are refused by every setter
    let zero = IdentityRegistry::InvalidAddress {};
    expect_revert(&fresh0.setIdentityStaking(Address::ZERO), zero.clone()).await;
    expect_revert(&fresh0.setWPEAQ(Address::ZERO), zero.clone()).await;
    expect_revert(&fresh0.setDIDPrecompile(Address::ZERO), zero).await;
    let r = mined(fresh0.setIdentityStaking(d.identity_staking)).await;
    assert_eq!(
        event::<IdentityRegistry::IdentityStakingSet>(&r, fresh),
        IdentityRegistry::IdentityStakingSet {
            staking: d.identity_staking
        }
    );
    // staking alone is not enough
    check_unconfigured(&reg).await;
    let r = mined(fresh0.setWPEAQ(NATIVE_ERC20_PRECOMPILE_ADDRESS)).await;
    assert_eq!(
        event::<IdentityRegistry::WPEAQSet>(&r, fresh),
        IdentityRegistry::WPEAQSet {
            wpeaq: NATIVE_ERC20_PRECOMPILE_ADDRESS
        }
    );
    // wired, but IdentityStaking does not know this registry: its NotAuthorized bubbles up
    expect_revert(
        &reg.register().value(bond),
        IdentityStaking::NotAuthorized {},
    )
    .await;
    // authorized there, it still cannot share the devnet registry's staking: stakes are keyed by
    // machine id, and id 1 is the devnet registry's machine 1
    mined(staking(&net, &p0).authorize(fresh)).await;
    expect_revert(
        &reg.register().value(bond),
        IdentityStaking::AlreadyStaked {},
    )
    .await;
    // with a staking of its own it registers
    let s2 = second_staking(&p0, owner).await;
    mined(IdentityStaking::new(s2, &p0).authorize(fresh)).await;
    mined(fresh0.setIdentityStaking(s2)).await;
    let r = mined(reg.register().value(bond)).await;
    assert_eq!(
        event::<IdentityStaking::Staked>(&r, s2),
        IdentityStaking::Staked {
            machineId: U256::from(1),
            owner: key.address(),
            amount: bond
        }
    );
    assert_eq!(
        event::<IdentityRegistry::Registered>(&r, fresh).machineId,
        U256::from(1),
        "the fresh registry counts from 1"
    );
    assert_eq!(
        reg.machineIdOfOwner(key.address()).call().await.unwrap(),
        U256::from(1)
    );
    // the machine that the devnet registry knows can register here too (separate registries)
    let r = mined(reg.registerFor(known.address()).value(bond)).await;
    assert_eq!(
        event::<IdentityRegistry::Registered>(&r, fresh).machineId,
        U256::from(2)
    );
}

// ================================================================================================
// soulbound Identity NFT

#[tokio::test]
async fn identity_nft_is_soulbound() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let (machine, id) = (m.address(), m.id);
    let to = net.address(5);
    let reg = registry(&net, &m.p);
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
    // not even the contract owner can move it (the soulbound check comes before the approval)
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    expect_revert(&reg0.transferFrom(machine, to, id), sb.clone()).await;
    expect_revert(&reg0.setApprovalForAll(to, true), sb.clone()).await;
    // approve and setApprovalForAll run ERC-721's own checks first: a non-holder is no valid
    // approver, the zero address no valid operator
    expect_revert(
        &reg.setApprovalForAll(Address::ZERO, true),
        IdentityRegistry::ERC721InvalidOperator {
            operator: Address::ZERO,
        },
    )
    .await;
    expect_revert(
        &reg0.approve(to, id),
        IdentityRegistry::ERC721InvalidApprover {
            approver: net.address(0),
        },
    )
    .await;
    // the proxy of a proxy-registered machine cannot move that machine's NFT either
    let op = net.provider(1);
    let m2 = register_for(&net, &op).await;
    expect_revert(
        &registry(&net, &op).transferFrom(m2.address(), net.address(1), m2.id),
        sb,
    )
    .await;
    assert_eq!(reg.ownerOf(id).call().await.unwrap(), machine);
    assert_eq!(reg.ownerOf(m2.id).call().await.unwrap(), m2.address());
    assert_eq!(reg.getApproved(id).call().await.unwrap(), Address::ZERO);
    assert!(!reg.isApprovedForAll(machine, to).call().await.unwrap());
}

// ================================================================================================
// owner settings

#[tokio::test]
async fn set_min_bond_is_owner_only_floored_and_applies() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    let old = reg0.minBond().call().await.unwrap();
    // below the 1 PEAQ floor
    for low in [U256::ZERO, peaq(1) - U256::from(1)] {
        expect_revert(&reg0.setMinBond(low), IdentityRegistry::BondBelowFloor {}).await;
    }
    let new = peaq(2);
    let r = mined(reg0.setMinBond(new)).await;
    assert_eq!(
        event::<IdentityRegistry::MinBondChanged>(&r, d.identity_registry),
        IdentityRegistry::MinBondChanged { newMinBond: new }
    );
    assert_eq!(reg0.minBond().call().await.unwrap(), new);

    let (key, p) = funded(&net).await;
    let reg = registry(&net, &p);
    expect_revert(
        &reg.register().value(old),
        IdentityRegistry::IncorrectBondAmount {},
    )
    .await;
    let r = mined(reg.register().value(new)).await;
    let id = registered_id(&net, &r);
    assert_eq!(staking(&net, &p).getStake(id).call().await.unwrap(), new);
    assert_eq!(
        event::<IdentityStaking::Staked>(&r, d.identity_staking).amount,
        new
    );
    assert_eq!(
        reg.machineIdOfOwner(key.address()).call().await.unwrap(),
        id
    );

    // only the owner, checked before the floor
    let stranger = net.address(3);
    let reg3 = registry(&net, &net.provider(3));
    let unauthorized = IdentityRegistry::OwnableUnauthorizedAccount { account: stranger };
    expect_revert(&reg3.setMinBond(old), unauthorized.clone()).await;
    expect_revert(&reg3.setMinBond(U256::ZERO), unauthorized).await;
    // a machine is no owner either
    expect_revert(
        &reg.setMinBond(old),
        IdentityRegistry::OwnableUnauthorizedAccount {
            account: key.address(),
        },
    )
    .await;
    // the floor itself is accepted
    mined(reg0.setMinBond(peaq(1))).await;
    assert_eq!(reg0.minBond().call().await.unwrap(), peaq(1));
    assert_eq!(reg0.owner().call().await.unwrap(), d.owner);
    assert_eq!(d.owner, net.address(0));
}

#[tokio::test]
async fn owner_setters_are_owner_only() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p4 = net.provider(4);
    let reg4 = registry(&net, &p4);
    let e = IdentityRegistry::OwnableUnauthorizedAccount {
        account: net.address(4),
    };
    expect_revert(&reg4.setIdentityStaking(net.address(4)), e.clone()).await;
    // onlyOwner comes before the zero-address check
    expect_revert(&reg4.setIdentityStaking(Address::ZERO), e.clone()).await;
    expect_revert(&reg4.setWPEAQ(net.address(4)), e.clone()).await;
    expect_revert(&reg4.setDIDPrecompile(net.address(4)), e.clone()).await;
    expect_revert(&reg4.setBaseURI("https://evil".into()), e.clone()).await;
    expect_revert(&reg4.rescueETH(net.address(4), U256::ZERO), e.clone()).await;
    expect_revert(&reg4.transferOwnership(net.address(4)), e.clone()).await;
    expect_revert(&reg4.renounceOwnership(), e).await;
    // the devnet registry is fully wired
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    assert_eq!(reg0.owner().call().await.unwrap(), net.address(0));
    assert_eq!(
        reg0.getDIDPrecompile().call().await.unwrap(),
        DID_PRECOMPILE_ADDRESS
    );
    // zero addresses on the live registry too
    let zero = IdentityRegistry::InvalidAddress {};
    expect_revert(&reg0.setIdentityStaking(Address::ZERO), zero.clone()).await;
    expect_revert(&reg0.setWPEAQ(Address::ZERO), zero.clone()).await;
    expect_revert(&reg0.setDIDPrecompile(Address::ZERO), zero).await;
    // registrations still stake with the deployment's staking
    let m = register_self(&net).await;
    assert!(staking(&net, &p0).isStaked(m.id).call().await.unwrap());
    assert_eq!(
        event::<IdentityStaking::Staked>(&m.receipt, d.identity_staking).machineId,
        m.id
    );
}

#[tokio::test]
async fn rescue_eth_sends_native_value_held_by_the_registry() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    let dest = Address::repeat_byte(0x5e);
    // the registry never keeps bonds; give it something to rescue
    let _: serde_json::Value = p0
        .raw_request(
            "anvil_setBalance".into(),
            (d.identity_registry, U256::from(1000)),
        )
        .await
        .unwrap();
    expect_revert(
        &reg0.rescueETH(Address::ZERO, U256::from(1)),
        IdentityRegistry::InvalidAddress {},
    )
    .await;
    // more than it holds, or to a contract that refuses value (IdentityStaking has no receive)
    expect_revert(
        &reg0.rescueETH(dest, U256::from(1001)),
        IdentityRegistry::ETHTransferFailed {},
    )
    .await;
    expect_revert(
        &reg0.rescueETH(d.identity_staking, U256::from(1)),
        IdentityRegistry::ETHTransferFailed {},
    )
    .await;
    mined(reg0.rescueETH(dest, U256::from(400))).await;
    assert_eq!(p0.get_balance(dest).await.unwrap(), U256::from(400));
    assert_eq!(
        p0.get_balance(d.identity_registry).await.unwrap(),
        U256::from(600)
    );
}

// ================================================================================================
// status

#[tokio::test]
async fn verify_and_reject_are_owner_only_transitions() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let id = m.id;
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    let invalid = IdentityRegistry::InvalidStatus {};

    // Pending -> Verified -> Rejected -> Verified
    let r = mined(reg0.verifyMachine(id)).await;
    assert_eq!(
        event::<IdentityRegistry::MachineVerified>(&r, d.identity_registry),
        IdentityRegistry::MachineVerified { machineId: id }
    );
    assert_eq!(
        reg0.machineStatus(id).call().await.unwrap(),
        STATUS_VERIFIED
    );
    assert!(reg0.isVerified(id).call().await.unwrap());
    expect_revert(&reg0.verifyMachine(id), invalid.clone()).await;
    let r = mined(reg0.rejectMachine(id)).await;
    assert_eq!(
        event::<IdentityRegistry::MachineRejected>(&r, d.identity_registry),
        IdentityRegistry::MachineRejected { machineId: id }
    );
    assert_eq!(
        reg0.machineStatus(id).call().await.unwrap(),
        STATUS_REJECTED
    );
    assert!(!reg0.isVerified(id).call().await.unwrap());
    expect_revert(&reg0.rejectMachine(id), invalid.clone()).await;
    mined(reg0.verifyMachine(id)).await;
    assert_eq!(
        reg0.machineStatus(id).call().await.unwrap(),
        STATUS_VERIFIED
    );

    // Pending -> Rejected directly
    let m2 = register_self(&net).await;
    mined(reg0.rejectMachine(m2.id)).await;
    assert_eq!(
        reg0.getMachineStatus(m2.id).call().await.unwrap(),
        STATUS_REJECTED
    );

    // a deactivated machine can be neither verified nor rejected
    mined(reg0.deactivateMachine(m2.id)).await;
    expect_revert(&reg0.verifyMachine(m2.id), invalid.clone()).await;
    expect_revert(&reg0.rejectMachine(m2.id), invalid).await;

    // unknown ids
    for unknown in [U256::ZERO, U256::from(99)] {
        expect_revert(
            &reg0.verifyMachine(unknown),
            IdentityRegistry::MachineNotFound {},
        )
        .await;
        expect_revert(
            &reg0.rejectMachine(unknown),
            IdentityRegistry::MachineNotFound {},
        )
        .await;
    }

    // contract owner only: not a stranger, not the machine, not a machine's proxy
    let op = net.provider(1);
    let m3 = register_for(&net, &op).await;
    for (p, who, target) in [
        (net.provider(2), net.address(2), id),
        (m.p.clone(), m.address(), id),
        (op.clone(), net.address(1), m3.id),
    ] {
        let reg = registry(&net, &p);
        let e = IdentityRegistry::OwnableUnauthorizedAccount { account: who };
        expect_revert(&reg.verifyMachine(target), e.clone()).await;
        expect_revert(&reg.rejectMachine(target), e.clone()).await;
        // onlyOwner comes before the existence check
        expect_revert(&reg.verifyMachine(U256::from(99)), e).await;
    }
    assert_eq!(
        reg0.machineStatus(id).call().await.unwrap(),
        STATUS_VERIFIED
    );
    assert_eq!(
        reg0.machineStatus(m3.id).call().await.unwrap(),
        STATUS_PENDING
    );
}

#[tokio::test]
async fn deactivate_and_reactivate_restore_the_previous_status() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    let invalid = IdentityRegistry::InvalidStatus {};
    let op = net.provider(1);

    // by the contract owner, from each status; reactivation gives the status back
    for before in [STATUS_PENDING, STATUS_VERIFIED, STATUS_REJECTED] {
        let m = register_self(&net).await;
        let id = m.id;
        match before {
            STATUS_VERIFIED => {
                mined(reg0.verifyMachine(id)).await;
            }
            STATUS_REJECTED => {
                mined(reg0.rejectMachine(id)).await;
            }
            _ => {}
        }
        expect_revert(&reg0.reactivateMachine(id), invalid.clone()).await;
        let r = mined(reg0.deactivateMachine(id)).await;
        assert_eq!(
            event::<IdentityRegistry::MachineDeactivated>(&r, d.identity_registry),
            IdentityRegistry::MachineDeactivated {
                machineId: id,
                by: net.address(0)
            }
        );
        assert_eq!(
            reg0.machineStatus(id).call().await.unwrap(),
            STATUS_DEACTIVATED
        );
        assert!(reg0.isDeactivated(id).call().await.unwrap());
        assert!(
            reg0.machineExists(id).call().await.unwrap(),
            "a deactivated machine still exists"
        );
        let info = reg0.getVerificationInfo(id).call().await.unwrap();
        assert_eq!((info.exists_, info.status_), (true, STATUS_DEACTIVATED));
        expect_revert(&reg0.deactivateMachine(id), invalid.clone()).await;
        let r = mined(reg0.reactivateMachine(id)).await;
        assert_eq!(
            event::<IdentityRegistry::MachineReactivated>(&r, d.identity_registry),
            IdentityRegistry::MachineReactivated {
                machineId: id,
                by: net.address(0)
            }
        );
        assert_eq!(reg0.machineStatus(id).call().await.unwrap(), before);
        assert!(!reg0.isDeactivated(id).call().await.unwrap());
    }

    // by the machine's owner: a self-registered machine's own key ...
    let m = register_self(&net).await;
    mined(reg0.verifyMachine(m.id)).await;
    let reg_m = registry(&net, &m.p);
    let r = mined(reg_m.deactivateMachine(m.id)).await;
    assert_eq!(
        event::<IdentityRegistry::MachineDeactivated>(&r, d.identity_registry).by,
        m.address()
    );
    // ... and the contract owner may reactivate what the machine owner deactivated
    let r = mined(reg0.reactivateMachine(m.id)).await;
    assert_eq!(
        event::<IdentityRegistry::MachineReactivated>(&r, d.identity_registry).by,
        net.address(0)
    );
    assert_eq!(
        reg0.machineStatus(m.id).call().await.unwrap(),
        STATUS_VERIFIED
    );

    // ... and a proxy-registered machine's proxy, whereas its machine key is not its owner
    let m2 = register_for(&net, &op).await;
    let reg_op = registry(&net, &op);
    let reg_m2 = registry(&net, &m2.p);
    let not_owner = IdentityRegistry::NotMachineOwner {};
    expect_revert(&reg_m2.deactivateMachine(m2.id), not_owner.clone()).await;
    let r = mined(reg_op.deactivateMachine(m2.id)).await;
    assert_eq!(
        event::<IdentityRegistry::MachineDeactivated>(&r, d.identity_registry),
        IdentityRegistry::MachineDeactivated {
            machineId: m2.id,
            by: net.address(1)
        }
    );
    expect_revert(&reg_m2.reactivateMachine(m2.id), not_owner.clone()).await;
    let r = mined(reg_op.reactivateMachine(m2.id)).await;
    assert_eq!(
        event::<IdentityRegistry::MachineReactivated>(&r, d.identity_registry).by,
        net.address(1)
    );
    assert_eq!(
        reg0.machineStatus(m2.id).call().await.unwrap(),
        STATUS_PENDING
    );

    // strangers, other machines and other machines' proxies are refused
    let p2 = net.provider(2);
    let reg2 = registry(&net, &p2);
    for (reg, target) in [
        (&reg2, m.id),
        (&reg2, m2.id),
        (&reg_m, m2.id),
        (&reg_op, m.id),
    ] {
        expect_revert(&reg.deactivateMachine(target), not_owner.clone()).await;
    }
    // MachineNotFound comes before the caller check
    let p3 = net.provider(3);
    let reg3 = registry(&net, &p3);
    for unknown in [U256::ZERO, U256::from(99)] {
        for reg in [&reg0, &reg3] {
            expect_revert(
                &reg.deactivateMachine(unknown),
                IdentityRegistry::MachineNotFound {},
            )
            .await;
            expect_revert(
                &reg.reactivateMachine(unknown),
                IdentityRegistry::MachineNotFound {},
            )
            .await;
        }
    }
    // the caller check comes before the status check
    expect_revert(&reg3.reactivateMachine(m2.id), not_owner).await;
}

// ================================================================================================
// tokenURI and metadata

#[tokio::test]
async fn token_uri_follows_the_base_uri() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m1 = register_self(&net).await;
    let m2 = register_self(&net).await;
    let p0 = net.provider(0);
    let reg0 = registry(&net, &p0);
    for m in [&m1, &m2] {
        let uri = format!("{DEFAULT_MCR_API_URL}/machines/{}", m.id);
        assert_eq!(reg0.tokenURI(m.id).call().await.unwrap(), uri);
        assert_eq!(
            event::<IdentityRegistry::Registered>(&m.receipt, d.identity_registry).machineURI,
            uri,
            "Registered carries the tokenURI"
        );
    }
    for unknown in [U256::ZERO, U256::from(42)] {
        expect_revert(
            &reg0.tokenURI(unknown),
            IdentityRegistry::ERC721NonexistentToken { tokenId: unknown },
        )
        .await;
    }

    let new_base = "https://mcr.example.org/api";
    let r = mined(reg0.setBaseURI(new_base.into())).await;
    assert_eq!(
        event::<IdentityRegistry::BaseURISet>(&r, d.identity_registry),
        IdentityRegistry::BaseURISet {
            baseURI: new_base.into()
        }
    );
    assert_eq!(
        reg0.tokenURI(m1.id).call().await.unwrap(),
        format!("{new_base}/machines/{}", m1.id)
    );
    let m3 = register_self(&net).await;
    assert_eq!(
        event::<IdentityRegistry::Registered>(&m3.receipt, d.identity_registry).machineURI,
        format!("{new_base}/machines/3")
    );
}

/// `DevnetConfig::base_uri` sets both NFTs' base at genesis.
#[tokio::test]
async fn configured_base_uri_applies_to_both_nfts() {
    let base = "http://127.0.0.1:18000";
    let net = TestNet::start_with(DevnetConfig {
        base_uri: Some(base.into()),
        ..DevnetConfig::ephemeral()
    })
    .await;
    let m = register_self(&net).await;
    let reg = registry(&net, &m.p);
    assert_eq!(
        reg.tokenURI(m.id).call().await.unwrap(),
        format!("{base}/machines/1")
    );
    let nft = machine_nft(&net, &m.p);
    mined(nft.mint(m.id, m.address())).await;
    assert_eq!(
        nft.tokenURI(U256::from(1)).call().await.unwrap(),
        format!("{base}/metadata/1")
    );
}

/// getMetadata reads the machine address's DID attribute through a static call from the
/// registry into the DID precompile; a missing attribute reads as empty.
#[tokio::test]
async fn get_metadata_reads_the_machines_did_attributes() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let reg = registry(&net, &m.p);
    set_did_attributes(
        &m.p,
        m.address(),
        &[("data_api", "https://example.com/api"), ("machineId", "1")],
    )
    .await;
    assert_eq!(
        reg.getMetadata(m.id, "data_api".into())
            .call()
            .await
            .unwrap()
            .as_ref(),
        b"https://example.com/api"
    );
    assert!(
        reg.getMetadata(m.id, "missing".into())
            .call()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        reg.getMetadata(m.id, "machineId".into())
            .call()
            .await
            .unwrap()
            .as_ref(),
        b"1"
    );

    // a proxy-registered machine: the attributes of the machine address's DID, not the proxy's
    let op = net.provider(1);
    let m2 = register_for(&net, &op).await;
    set_did_attributes(&m2.p, m2.address(), &[("serial", "SN-42")]).await;
    set_did_attributes(&op, net.address(1), &[("serial", "proxy's own")]).await;
    assert_eq!(
        reg.getMetadata(m2.id, "serial".into())
            .call()
            .await
            .unwrap()
            .as_ref(),
        b"SN-42"
    );
    // another machine's attributes are not this one's
    assert!(
        reg.getMetadata(m.id, "serial".into())
            .call()
            .await
            .unwrap()
            .is_empty()
    );
    // unknown machines revert
    for unknown in [U256::ZERO, U256::from(3)] {
        expect_revert(
            &reg.getMetadata(unknown, "data_api".into()),
            IdentityRegistry::MachineNotFound {},
        )
        .await;
    }
}
