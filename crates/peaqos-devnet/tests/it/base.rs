//! `ChainKind::Base`: the second local chain that plays Base for the bridge (chain id 31338, the
//! same dev accounts, Ethereum's precompiles only, no peaqOS contracts), and the peaq default
//! left as it was.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use peaqos_contracts::precompiles::NativeErc20;
use peaqos_devnet::{BASE_DEVNET_CHAIN_ID, ChainKind, DevnetConfig};
use peaqos_testkit::{TestNet, mined_tx};
use peaqos_types::constants::{
    BATCH_PRECOMPILE_ADDRESS, DEVNET_CHAIN_ID, DID_PRECOMPILE_ADDRESS,
    NATIVE_ERC20_PRECOMPILE_ADDRESS,
};

async fn base() -> TestNet {
    TestNet::start_with(DevnetConfig {
        port: 0,
        ..DevnetConfig::of_kind(ChainKind::Base)
    })
    .await
}

#[test]
fn kinds_have_their_ids_and_ports() {
    let base = DevnetConfig::of_kind(ChainKind::Base);
    assert_eq!(base.chain.chain_id, 31338);
    assert_eq!(base.port, 8546);
    assert!(!base.chain.peaq_precompiles);
    let peaq = DevnetConfig::default();
    assert_eq!(peaq.kind, ChainKind::Peaq);
    assert_eq!(peaq.chain.chain_id, DEVNET_CHAIN_ID);
    assert_eq!(peaq.port, 8545);
    assert!(peaq.chain.peaq_precompiles);
}

#[tokio::test]
async fn base_devnet_has_the_dev_accounts_and_no_peaq_code() {
    let net = base().await;
    let p = net.reader();
    assert_eq!(p.get_chain_id().await.unwrap(), BASE_DEVNET_CHAIN_ID);
    let peaq = TestNet::start().await;
    for i in 0..10 {
        assert_eq!(net.address(i), peaq.address(i), "dev account {i}");
        assert_eq!(
            p.get_balance(net.address(i)).await.unwrap(),
            peaqos_devnet::genesis::DEV_BALANCE
        );
    }
    for a in [
        DID_PRECOMPILE_ADDRESS,
        BATCH_PRECOMPILE_ADDRESS,
        NATIVE_ERC20_PRECOMPILE_ADDRESS,
    ] {
        assert!(p.get_code_at(a).await.unwrap().is_empty(), "code at {a}");
        assert!(!peaq.reader().get_code_at(a).await.unwrap().is_empty());
    }
    // No peaqOS contracts: the deployment names none.
    let d = net.contracts();
    assert_eq!(d.identity_registry, Address::ZERO);
    assert_eq!(d.machine_nft, Address::ZERO);
    // The deterministic deployment proxy the bridge deploys through is there.
    assert!(
        !p.get_code_at(peaqos_contracts::DETERMINISTIC_DEPLOYER)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn peaq_precompile_addresses_are_plain_accounts_on_base() {
    let net = base().await;
    let p = net.provider(0);
    // On peaq 0x…0809 answers balanceOf with the native balance; on Base it is an empty account:
    // the call succeeds with no return data.
    let call = NativeErc20::balanceOfCall {
        owner: net.address(0),
    };
    let tx = TransactionRequest::default()
        .with_to(NATIVE_ERC20_PRECOMPILE_ADDRESS)
        .with_input(call.abi_encode());
    assert!(p.call(tx.clone()).await.unwrap().is_empty());
    let on_peaq = TestNet::start().await;
    let out = on_peaq.reader().call(tx).await.unwrap();
    assert_eq!(
        U256::from_be_slice(&out),
        on_peaq
            .reader()
            .get_balance(on_peaq.address(0))
            .await
            .unwrap()
    );
    // A transaction to the Batch address is a plain value transfer on Base.
    let before = p.get_balance(BATCH_PRECOMPILE_ADDRESS).await.unwrap();
    let r = mined_tx(
        &p,
        TransactionRequest::default()
            .with_to(BATCH_PRECOMPILE_ADDRESS)
            .with_value(U256::from(7)),
    )
    .await;
    assert!(r.status());
    assert_eq!(
        p.get_balance(BATCH_PRECOMPILE_ADDRESS).await.unwrap(),
        before + U256::from(7)
    );
}
