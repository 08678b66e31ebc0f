//! `PeaqosClient::from_wallet`: a client signing through an OWS vault wallet registers a
//! machine on the devnet, in OWS-native mode and in raw-key mode.

use crate::common::{Net, SdkNet};
use alloy::primitives::Address;
use peaqos_sdk::wallet::vault::{Vault, create_wallet};
use peaqos_sdk::{PeaqosClient, PeaqosConfig};
use peaqos_types::ErrorCode;

fn config(net: &Net) -> PeaqosConfig {
    PeaqosConfig::new(net.handle.url(), None, net.contracts())
}

#[tokio::test]
async fn a_vault_wallet_registers_a_machine_in_both_signing_modes() {
    let net = Net::start().await;
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::at(dir.path().to_path_buf());

    let native = create_wallet("robot-1", Some("correct horse"), 12, &vault).unwrap();
    let native_addr: Address = native.peaq_address.parse().unwrap();
    net.fund_with_sdk(native_addr, 3).await;
    let client =
        PeaqosClient::from_wallet_in("robot-1", Some("correct horse"), true, config(&net), &vault)
            .unwrap();
    assert_eq!(client.address(), native_addr);
    let id = client.register_machine().await.unwrap();
    assert_eq!(client.machine_id_of_owner(native_addr).await.unwrap(), id);

    let raw = create_wallet("robot-2", Some("pw"), 24, &vault).unwrap();
    let raw_addr: Address = raw.peaq_address.parse().unwrap();
    net.fund_with_sdk(raw_addr, 3).await;
    let client =
        PeaqosClient::from_wallet_in(&raw.id, Some("pw"), false, config(&net), &vault).unwrap();
    assert_eq!(client.address(), raw_addr);
    let id2 = client.register_machine().await.unwrap();
    assert_eq!(id2, id + 1);
    assert!(
        !format!("{client:?}").contains("pw"),
        "no passphrase in Debug"
    );
}

#[tokio::test]
async fn wrong_passphrase_and_unknown_wallet_are_reported_with_their_codes() {
    let net = Net::start().await;
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::at(dir.path().to_path_buf());
    create_wallet("w", Some("right"), 12, &vault).unwrap();
    let err =
        PeaqosClient::from_wallet_in("w", Some("wrong"), true, config(&net), &vault).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidPassphrase));
    let err = PeaqosClient::from_wallet_in("nope", Some("right"), true, config(&net), &vault)
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::WalletNotFound));
}
