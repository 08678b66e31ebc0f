//! MachineNFT: token ids independent of machine ids, minted to the machine by the machine or its
//! proxy, the checks in order, pausing, tokenURI, transfers and the owner settings.

use crate::util::*;
use alloy::primitives::{Address, Bytes, U256};
use peaqos_contracts::{IdentityRegistry, MachineNFT};
use peaqos_testkit::{TestNet, event, events, mined};
use peaqos_types::constants::DEFAULT_MCR_API_URL;

#[tokio::test]
async fn token_ids_are_independent_of_machine_ids() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let a = register_self(&net).await;
    let b = register_self(&net).await;
    assert_eq!((a.id, b.id), (U256::from(1), U256::from(2)));
    let nft_b = machine_nft(&net, &b.p);
    assert_eq!(nft_b.name().call().await.unwrap(), "peaqOS Machine");
    assert_eq!(nft_b.symbol().call().await.unwrap(), "PEAQM");
    assert_eq!(nft_b.totalMinted().call().await.unwrap(), U256::ZERO);
    assert_eq!(nft_b.owner().call().await.unwrap(), net.address(0));
    assert!(!nft_b.paused().call().await.unwrap());

    // the second machine mints first and gets token 1
    let r = mined(nft_b.mint(b.id, b.address())).await;
    assert_eq!(
        event::<MachineNFT::MachineMinted>(&r, d.machine_nft),
        MachineNFT::MachineMinted {
            tokenId: U256::from(1),
            machineId: b.id,
            recipient: b.address()
        }
    );
    assert_eq!(
        event::<MachineNFT::Transfer>(&r, d.machine_nft),
        MachineNFT::Transfer {
            from: Address::ZERO,
            to: b.address(),
            tokenId: U256::from(1)
        }
    );
    // MachineMinted's three fields are all topics
    let raw = r
        .inner
        .logs()
        .iter()
        .find(|l| {
            l.address() == d.machine_nft
                && l.topics()[0]
                    == <MachineNFT::MachineMinted as alloy::sol_types::SolEvent>::SIGNATURE_HASH
        })
        .unwrap();
    assert_eq!(raw.topics().len(), 4);
    assert_eq!(raw.topics()[3], b.address().into_word());
    let nft_a = machine_nft(&net, &a.p);
    let r = mined(nft_a.mint(a.id, a.address())).await;
    assert_eq!(
        event::<MachineNFT::MachineMinted>(&r, d.machine_nft),
        MachineNFT::MachineMinted {
            tokenId: U256::from(2),
            machineId: a.id,
            recipient: a.address()
        }
    );
    assert_eq!(nft_a.tokenIdOf(b.id).call().await.unwrap(), U256::from(1));
    assert_eq!(nft_a.tokenIdOf(a.id).call().await.unwrap(), U256::from(2));
    assert_eq!(nft_a.machineIdOf(U256::from(1)).call().await.unwrap(), b.id);
    assert_eq!(nft_a.machineIdOf(U256::from(2)).call().await.unwrap(), a.id);
    for unknown in [U256::ZERO, U256::from(3)] {
        assert_eq!(nft_a.machineIdOf(unknown).call().await.unwrap(), U256::ZERO);
        assert_eq!(nft_a.tokenIdOf(unknown).call().await.unwrap(), U256::ZERO);
    }
    assert_eq!(nft_a.totalMinted().call().await.unwrap(), U256::from(2));
    assert_eq!(
        nft_a.ownerOf(U256::from(1)).call().await.unwrap(),
        b.address()
    );
    assert_eq!(
        nft_a.ownerOf(U256::from(2)).call().await.unwrap(),
        a.address()
    );
    assert_eq!(
        nft_a.balanceOf(a.address()).call().await.unwrap(),
        U256::from(1)
    );

    for t in [1u64, 2] {
        assert_eq!(
            nft_a.tokenURI(U256::from(t)).call().await.unwrap(),
            format!("{DEFAULT_MCR_API_URL}/metadata/{t}")
        );
    }
    for unknown in [U256::ZERO, U256::from(3)] {
        expect_revert(
            &nft_a.tokenURI(unknown),
            MachineNFT::ERC721NonexistentToken { tokenId: unknown },
        )
        .await;
    }

    // owner-only base URI
    let p0 = net.provider(0);
    let nft0 = machine_nft(&net, &p0);
    let r = mined(nft0.setBaseURI("https://mcr.example".into())).await;
    assert_eq!(
        event::<MachineNFT::BaseURISet>(&r, d.machine_nft),
        MachineNFT::BaseURISet {
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
            account: a.address(),
        },
    )
    .await;
}

#[tokio::test]
async fn the_nft_goes_to_the_machine_minted_by_it_or_its_proxy() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let op = net.provider(1);
    let operator = net.address(1);
    let m = register_for(&net, &op).await;
    let nft_op = machine_nft(&net, &op);
    let wrong = MachineNFT::RecipientMustBeMachineOwner {};
    // the proxy may not take it, nor give it to anyone but the machine
    expect_revert(&nft_op.mint(m.id, operator), wrong.clone()).await;
    expect_revert(&nft_op.mint(m.id, net.address(7)), wrong.clone()).await;
    let r = mined(nft_op.mint(m.id, m.address())).await;
    assert_eq!(
        event::<MachineNFT::MachineMinted>(&r, d.machine_nft),
        MachineNFT::MachineMinted {
            tokenId: U256::from(1),
            machineId: m.id,
            recipient: m.address()
        }
    );
    assert_eq!(
        nft_op.ownerOf(U256::from(1)).call().await.unwrap(),
        m.address()
    );
    assert_eq!(nft_op.tokenIdOf(m.id).call().await.unwrap(), U256::from(1));

    // a proxy-registered machine may mint with its own key as well
    let m2 = register_for(&net, &op).await;
    let nft_m2 = machine_nft(&net, &m2.p);
    expect_revert(&nft_m2.mint(m2.id, operator), wrong.clone()).await;
    mined(nft_m2.mint(m2.id, m2.address())).await;
    assert_eq!(nft_op.tokenIdOf(m2.id).call().await.unwrap(), U256::from(2));

    // a self-registered machine mints to itself only
    let s = register_self(&net).await;
    let nft_s = machine_nft(&net, &s.p);
    expect_revert(&nft_s.mint(s.id, net.address(6)), wrong).await;
    let r = mined(nft_s.mint(s.id, s.address())).await;
    assert_eq!(
        events::<MachineNFT::MachineMinted>(&r, d.machine_nft),
        vec![MachineNFT::MachineMinted {
            tokenId: U256::from(3),
            machineId: s.id,
            recipient: s.address()
        }]
    );
    assert_eq!(nft_s.totalMinted().call().await.unwrap(), U256::from(3));
}

#[tokio::test]
async fn mint_checks_in_order() {
    let net = TestNet::start().await;
    let m = register_self(&net).await;
    let (id, machine) = (m.id, m.address());
    let stranger = net.address(4);
    let p4 = net.provider(4);
    let nft_s = machine_nft(&net, &p4);
    let nft = machine_nft(&net, &m.p);

    // MachineNotFound first
    for unknown in [U256::ZERO, id + U256::from(1)] {
        expect_revert(&nft.mint(unknown, machine), MachineNFT::MachineNotFound {}).await;
        expect_revert(
            &nft_s.mint(unknown, Address::ZERO),
            MachineNFT::MachineNotFound {},
        )
        .await;
    }
    // the zero recipient before the caller
    expect_revert(
        &nft_s.mint(id, Address::ZERO),
        MachineNFT::InvalidAddress {},
    )
    .await;
    expect_revert(&nft.mint(id, Address::ZERO), MachineNFT::InvalidAddress {}).await;
    // the caller before the recipient
    expect_revert(&nft_s.mint(id, stranger), MachineNFT::NotMachineOwner {}).await;
    expect_revert(&nft_s.mint(id, machine), MachineNFT::NotMachineOwner {}).await;
    // the contracts' owner is no machine owner
    let p0 = net.provider(0);
    let nft0 = machine_nft(&net, &p0);
    expect_revert(&nft0.mint(id, machine), MachineNFT::NotMachineOwner {}).await;
    // the proxy of another machine is no owner of this one
    let op = net.provider(1);
    register_for(&net, &op).await;
    expect_revert(
        &machine_nft(&net, &op).mint(id, machine),
        MachineNFT::NotMachineOwner {},
    )
    .await;
    assert_eq!(nft.totalMinted().call().await.unwrap(), U256::ZERO);

    mined(nft.mint(id, machine)).await;
    // AlreadyMinted before the recipient and caller checks
    expect_revert(&nft.mint(id, machine), MachineNFT::AlreadyMinted {}).await;
    expect_revert(&nft_s.mint(id, Address::ZERO), MachineNFT::AlreadyMinted {}).await;
    assert_eq!(nft.totalMinted().call().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn paused_machine_nft_refuses_mints() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let nft = machine_nft(&net, &m.p);
    let p0 = net.provider(0);
    let nft0 = machine_nft(&net, &p0);
    let e = MachineNFT::OwnableUnauthorizedAccount {
        account: m.address(),
    };
    expect_revert(&nft.pause(), e.clone()).await;
    expect_revert(&nft0.unpause(), MachineNFT::ExpectedPause {}).await;
    let r = mined(nft0.pause()).await;
    assert_eq!(
        event::<MachineNFT::Paused>(&r, d.machine_nft),
        MachineNFT::Paused {
            account: net.address(0)
        }
    );
    assert!(nft.paused().call().await.unwrap());
    expect_revert(&nft.mint(m.id, m.address()), MachineNFT::EnforcedPause {}).await;
    // before MachineNotFound
    expect_revert(
        &nft.mint(U256::from(99), Address::ZERO),
        MachineNFT::EnforcedPause {},
    )
    .await;
    expect_revert(&nft0.pause(), MachineNFT::EnforcedPause {}).await;
    expect_revert(&nft.unpause(), e).await;
    let r = mined(nft0.unpause()).await;
    assert_eq!(
        event::<MachineNFT::Unpaused>(&r, d.machine_nft),
        MachineNFT::Unpaused {
            account: net.address(0)
        }
    );
    mined(nft.mint(m.id, m.address())).await;
    assert_eq!(nft.tokenIdOf(m.id).call().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn machine_nft_is_transferable() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let machine = m.address();
    let nft = machine_nft(&net, &m.p);
    mined(nft.mint(m.id, machine)).await;
    let token = nft.tokenIdOf(m.id).call().await.unwrap();

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
    let p5 = net.provider(5);
    let nft_a = machine_nft(&net, &p5);
    mined(nft_a.approve(net.address(6), token)).await;
    assert_eq!(
        nft_a.getApproved(token).call().await.unwrap(),
        net.address(6)
    );
    let p6 = net.provider(6);
    let nft_6 = machine_nft(&net, &p6);
    mined(nft_6.safeTransferFrom_0(a, net.address(7), token)).await;
    assert_eq!(nft.ownerOf(token).call().await.unwrap(), net.address(7));
    // the machine id mapping follows the token, not the holder
    assert_eq!(nft.machineIdOf(token).call().await.unwrap(), m.id);
    assert_eq!(nft.tokenIdOf(m.id).call().await.unwrap(), token);
    // the machine can no longer move it, and cannot mint a second one
    expect_revert(
        &nft.transferFrom(net.address(7), machine, token),
        MachineNFT::ERC721InsufficientApproval {
            operator: machine,
            tokenId: token,
        },
    )
    .await;
    expect_revert(&nft.mint(m.id, machine), MachineNFT::AlreadyMinted {}).await;
    // and the Identity NFT stayed with the machine
    assert_eq!(
        registry(&net, &m.p).ownerOf(m.id).call().await.unwrap(),
        machine
    );
}

#[tokio::test]
async fn owner_settings_are_owner_only() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let m = register_self(&net).await;
    let nft = machine_nft(&net, &m.p);
    let p0 = net.provider(0);
    let nft0 = machine_nft(&net, &p0);
    let e = MachineNFT::OwnableUnauthorizedAccount {
        account: m.address(),
    };
    expect_revert(&nft.setIdentityRegistry(m.address()), e.clone()).await;
    expect_revert(&nft.setIdentityRegistry(Address::ZERO), e.clone()).await;
    expect_revert(&nft.setIdentityStaking(m.address()), e.clone()).await;
    expect_revert(&nft.upgradeToAndCall(m.address(), Bytes::new()), e).await;
    let zero = MachineNFT::InvalidAddress {};
    expect_revert(&nft0.setIdentityRegistry(Address::ZERO), zero.clone()).await;
    expect_revert(&nft0.setIdentityStaking(Address::ZERO), zero).await;
    // pointed at a fresh registry without machines, the machine is unknown
    let fresh = deploy_proxy(
        &p0,
        &IdentityRegistry::BYTECODE,
        IdentityRegistry::initializeCall {
            initialOwner: net.address(0),
        },
    )
    .await;
    let r = mined(nft0.setIdentityRegistry(fresh)).await;
    assert_eq!(
        event::<MachineNFT::IdentityRegistrySet>(&r, d.machine_nft),
        MachineNFT::IdentityRegistrySet { registry: fresh }
    );
    expect_revert(&nft.mint(m.id, m.address()), MachineNFT::MachineNotFound {}).await;
    mined(nft0.setIdentityRegistry(d.identity_registry)).await;
    mined(nft.mint(m.id, m.address())).await;
    assert_eq!(nft.tokenIdOf(m.id).call().await.unwrap(), U256::from(1));
}
