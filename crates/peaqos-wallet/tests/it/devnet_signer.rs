//! A `VaultSigner`-backed alloy provider registers a machine on the embedded devnet.

use alloy::network::EthereumWallet;
use alloy::primitives::U256;
use alloy::signers::Signer;
use peaqos_contracts::IdentityRegistry;
use peaqos_testkit::{TestNet, mined, peaq, registered};
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

    let net = TestNet::start().await;

    // fund the wallet address from dev account 9
    net.fund(signer.address(), 5).await;

    // register through the vault signer (key decrypted per signature)
    let address = signer.address();
    let provider = net.provider_with(EthereumWallet::new(signer));
    let registry = IdentityRegistry::new(net.contracts().identity_registry, &provider);
    let bond = registry.minBond().call().await.unwrap();
    assert_eq!(bond, peaq(1));
    let receipt = mined(registry.register().value(bond)).await;
    assert!(receipt.status());
    assert_eq!(receipt.from, address);
    let registered = registered(&receipt);
    let id = registered.machineId;
    assert!(id > U256::ZERO);
    // self-managed: the wallet is the identity's owner and holds its soulbound Identity NFT
    assert_eq!(registered.owner, address);
    assert_eq!(registry.machineIdOfOwner(address).call().await.unwrap(), id);
    // a second register from the same wallet reverts AlreadyRegistered: the chain saw this address
    assert!(registry.register().value(bond).send().await.is_err());
    net.handle.shutdown().await.unwrap();
}
