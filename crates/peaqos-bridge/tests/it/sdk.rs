//! The SDK's bridge: `bridge_nft` (approve when needed, quote, send with exactly the quote) and
//! `wait_for_bridge_arrival`, peaq -> Base -> peaq, with the relayer running as a service; the
//! validation peaq's SDK does.

use crate::util::Bridge;
use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use peaqos_sdk::bridge::{BridgeChain, wait_for_bridge_arrival};
use peaqos_sdk::{PeaqosClient, PeaqosConfig, PrivateKey};
use std::time::Duration;

fn client(b: &Bridge, key: &PrivateKeySigner, adapter: bool) -> PeaqosClient {
    let mut contracts = b.peaq.contracts();
    contracts.machine_nft_adapter = adapter.then_some(b.peaq_side.oapp);
    PeaqosClient::new(PeaqosConfig::new(
        b.peaq.url(),
        Some(PrivateKey::from(key)),
        contracts,
    ))
    .unwrap()
}

const TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn bridge_nft_both_ways_with_the_relayer_running() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    let c = client(&b, &key, true);
    let relayer = peaqos_bridge::spawn(b.relayer_config()).unwrap();

    let quote = c
        .quote_bridge(token, "peaq", "base", key.address(), None, None, &[])
        .await
        .unwrap();
    assert_eq!(quote, peaqos_bridge::deploy::DEVNET_NATIVE_FEE);
    let tx = c
        .bridge_nft(token, "peaq", "base", key.address(), None, None, &[])
        .await
        .unwrap();
    let receipt = c.transaction_receipt(tx).await.unwrap().expect("mined");
    assert!(receipt.status());
    assert!(peaqos_sdk::bridge::sent_guid(&receipt).is_some());
    assert_eq!(b.peaq_owner(token).await, b.peaq_side.oapp);
    assert!(
        wait_for_bridge_arrival(&b.base.url(), b.base_side.oapp, token, TIMEOUT)
            .await
            .unwrap()
    );
    assert_eq!(b.base_owner(token).await, Some(key.address()));

    // Back from Base with the SDK's default (empty) options: the enforced ones apply.
    let base_url = b.base.url();
    c.bridge_nft(
        token,
        "base",
        "peaq",
        key.address(),
        Some(&base_url),
        Some(b.base_side.oapp),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(b.base_owner(token).await, None);
    assert!(
        wait_for_bridge_arrival(
            &b.peaq.url(),
            b.peaq.contracts().machine_nft,
            token,
            TIMEOUT
        )
        .await
        .unwrap()
    );
    // peaq's semantics: any owner counts, and the adapter owns a locked token; waiting with
    // locked_by = the adapter waits for the unlock.
    assert!(
        peaqos_sdk::bridge::wait_for_bridge_arrival_with(
            &b.peaq.url(),
            b.peaq.contracts().machine_nft,
            token,
            TIMEOUT,
            Duration::from_millis(20),
            Some(b.peaq_side.oapp),
            |_| {},
        )
        .await
        .unwrap()
    );
    assert_eq!(b.peaq_owner(token).await, key.address());
    // With the SDK's default options passed explicitly, gas adds up with the enforced ones.
    c.bridge_nft(
        token,
        "peaq",
        "base",
        key.address(),
        None,
        None,
        &peaqos_types::constants::DEFAULT_LAYERZERO_EXTRA_OPTIONS,
    )
    .await
    .unwrap();
    assert!(
        wait_for_bridge_arrival(&b.base.url(), b.base_side.oapp, token, TIMEOUT)
            .await
            .unwrap()
    );
    relayer.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_approved_adapter_is_not_approved_again() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    let c = client(&b, &key, true);
    let nft = peaqos_contracts::MachineNFT::new(
        b.peaq.contracts().machine_nft,
        b.peaq.provider_for(key.clone()),
    );
    peaqos_testkit::mined(nft.approve(b.peaq_side.oapp, token)).await;
    let head = b.peaq.head().await;
    c.bridge_nft(token, "peaq", "base", key.address(), None, None, &[])
        .await
        .unwrap();
    assert_eq!(
        b.peaq.head().await,
        head + 1,
        "one transaction: send, no approve"
    );
}

#[tokio::test]
async fn validation_follows_peaqs_sdk() {
    let b = Bridge::start().await;
    let key = b.peaq.funded_key(1).await;
    let c = client(&b, &key, true);
    let to = Address::repeat_byte(1);
    let field = |e: peaqos_sdk::PeaqosError| e.as_validation().map(|v| v.field.clone());
    let one = U256::from(1);
    assert_eq!(
        field(
            c.bridge_nft(U256::ZERO, "peaq", "base", to, None, None, &[])
                .await
                .unwrap_err()
        ),
        Some("token_id".into())
    );
    assert_eq!(
        field(
            c.bridge_nft(one, "eth", "base", to, None, None, &[])
                .await
                .unwrap_err()
        ),
        Some("source".into())
    );
    assert_eq!(
        field(
            c.bridge_nft(one, "peaq", "peaq", to, None, None, &[])
                .await
                .unwrap_err()
        ),
        Some("destination".into())
    );
    assert_eq!(
        field(
            c.bridge_nft(one, "base", "peaq", to, None, None, &[])
                .await
                .unwrap_err()
        ),
        Some("base_rpc_url".into())
    );
    assert_eq!(
        field(
            c.bridge_nft(
                one,
                "base",
                "peaq",
                to,
                Some("http://127.0.0.1:1"),
                None,
                &[]
            )
            .await
            .unwrap_err()
        ),
        Some("base_nft_address".into())
    );
    let no_adapter = client(&b, &key, false);
    assert_eq!(
        field(
            no_adapter
                .bridge_nft(one, "peaq", "base", to, None, None, &[])
                .await
                .unwrap_err()
        ),
        Some("machine_nft_adapter".into())
    );
    assert_eq!(
        field(
            wait_for_bridge_arrival(
                &b.base.url(),
                b.base_side.oapp,
                one,
                Duration::from_secs(60)
            )
            .await
            .unwrap_err()
        ),
        Some("timeout".into())
    );
    assert_eq!(BridgeChain::Base.eid(), 30184);
    assert_eq!(BridgeChain::Peaq.eid(), 30302);
}
