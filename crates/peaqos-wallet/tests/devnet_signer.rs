//! A `VaultSigner`-backed alloy provider registers a machine on the embedded devnet.

use alloy::network::EthereumWallet;
use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::Signer;
use peaqos_contracts::IdentityRegistry;
use peaqos_wallet::vault::Vault;
use peaqos_wallet::*;

const PASS: &str = "devnet passphrase";

#[tokio::test]
async fn vault_signer_registers_a_machine() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::at(dir.path());
    let info = create_wallet("machine", Some(PASS), 12, &vault).unwrap();
    let signer = VaultSigner::open("machine", Some(PASS), &vault).unwrap();
    assert_eq!(signer.address().to_checksum(None), info.peaq_address);

    let net = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral())
        .await
        .unwrap();
    let url: alloy::transports::http::reqwest::Url = net.url().parse().unwrap();
    let one = U256::from(10u64).pow(U256::from(18));

    // fund the wallet address from dev account 9
    let funder = ProviderBuilder::new()
        .wallet(EthereumWallet::from(net.signer(9)))
        .connect_http(url.clone());
    let tx = alloy::rpc::types::TransactionRequest::default()
        .to(signer.address())
        .value(one * U256::from(5u64));
    assert!(
        funder
            .send_transaction(tx)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .status()
    );

    // register through the vault signer (key decrypted per signature)
    let address = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::new(signer))
        .connect_http(url);
    let registry = IdentityRegistry::new(net.deployment().identity_registry, &provider);
    let bond = registry.minBond().call().await.unwrap();
    assert_eq!(bond, one);
    let receipt = registry
        .register()
        .value(bond)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.from, address);
    let registered = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<IdentityRegistry::Registered>().ok())
        .expect("Registered event");
    let id = registered.inner.data.machineId;
    assert!(id > U256::ZERO);
    // a second register from the same wallet reverts AlreadyRegistered: the chain saw this address
    assert!(registry.register().value(bond).send().await.is_err());
    net.shutdown().await.unwrap();
}
