//! OWS wallet vault access from the SDK, as the seeds' "Wallets (OWS)" page describes it:
//! the vault operations as static methods of [`PeaqosClient`] and
//! [`PeaqosClient::from_wallet`], which signs through a wallet of the vault.
//!
//! The vault itself is the `peaqos-wallet` crate, re-exported here as [`vault`].

pub use peaqos_wallet as vault;

use crate::client::PeaqosClient;
use crate::config::{PeaqosConfig, PrivateKey};
use crate::error::Result;
use alloy::network::EthereumWallet;
use alloy::primitives::B256;
use peaqos_wallet::{Vault, VaultSigner, WalletInfo};
use zeroize::Zeroizing;

impl PeaqosClient {
    /// A client signing with wallet `name_or_id` of the vault (`OWS_VAULT_PATH` or `~/.ows`).
    ///
    /// The passphrase comes from `passphrase` or `OWS_PASSPHRASE` and is checked once here.
    /// With `ows_signing` (the default of the other SDKs) the key is decrypted only for each
    /// signature and wiped right after; without it the EVM key is decrypted once and the
    /// client behaves like a raw-key client. `config.private_key` must be `None`.
    pub fn from_wallet(
        name_or_id: &str,
        passphrase: Option<&str>,
        ows_signing: bool,
        config: PeaqosConfig,
    ) -> Result<Self> {
        Self::from_wallet_in(
            name_or_id,
            passphrase,
            ows_signing,
            config,
            &Vault::resolve(None),
        )
    }

    /// [`PeaqosClient::from_wallet`] with an explicit vault.
    pub fn from_wallet_in(
        name_or_id: &str,
        passphrase: Option<&str>,
        ows_signing: bool,
        mut config: PeaqosConfig,
        vault: &Vault,
    ) -> Result<Self> {
        if ows_signing {
            let signer = VaultSigner::open(name_or_id, passphrase, vault)?;
            return Self::with_signer(config, EthereumWallet::new(signer));
        }
        let key: Zeroizing<[u8; 32]> =
            peaqos_wallet::evm_private_key(name_or_id, passphrase, vault)?;
        config.private_key = Some(PrivateKey::from(
            &alloy::signers::local::PrivateKeySigner::from_bytes(&B256::from(*key)).map_err(
                |_| {
                    peaqos_wallet::WalletError::InvalidInput(peaqos_types::ValidationError::new(
                        "private_key",
                        "secp256k1_key",
                        "the wallet's EVM key is not a valid secp256k1 key",
                    ))
                },
            )?,
        ));
        Self::new(config)
    }

    /// Creates a mnemonic wallet (12 or 24 words) in the default vault.
    pub fn create_wallet(name: &str, passphrase: Option<&str>, words: usize) -> Result<WalletInfo> {
        Ok(peaqos_wallet::create_wallet(
            name,
            passphrase,
            words,
            &Vault::resolve(None),
        )?)
    }

    /// Imports a private key (`chain` = `evm`, `solana`, ...) into the default vault.
    pub fn import_wallet(
        name: &str,
        private_key: &str,
        passphrase: Option<&str>,
        chain: &str,
    ) -> Result<WalletInfo> {
        Ok(peaqos_wallet::import_wallet(
            name,
            private_key,
            passphrase,
            chain,
            &Vault::resolve(None),
        )?)
    }

    /// Imports a BIP-39 mnemonic (account `index`) into the default vault.
    pub fn import_wallet_mnemonic(
        name: &str,
        mnemonic: &str,
        passphrase: Option<&str>,
        index: u32,
    ) -> Result<WalletInfo> {
        Ok(peaqos_wallet::import_wallet_mnemonic(
            name,
            mnemonic,
            passphrase,
            index,
            &Vault::resolve(None),
        )?)
    }

    /// Every wallet of the default vault.
    pub fn list_wallets() -> Result<Vec<WalletInfo>> {
        Ok(peaqos_wallet::list_wallets(&Vault::resolve(None))?)
    }

    /// One wallet of the default vault, by name or id.
    pub fn get_wallet(name_or_id: &str) -> Result<WalletInfo> {
        Ok(peaqos_wallet::get_wallet(
            name_or_id,
            &Vault::resolve(None),
        )?)
    }

    /// The wallet's secret (mnemonic phrase or key JSON). Handle with care.
    pub fn export_wallet(name_or_id: &str, passphrase: Option<&str>) -> Result<Zeroizing<String>> {
        Ok(peaqos_wallet::export_wallet(
            name_or_id,
            passphrase,
            &Vault::resolve(None),
        )?)
    }

    /// Deletes a wallet (overwritten, then unlinked).
    pub fn delete_wallet(name_or_id: &str) -> Result<()> {
        Ok(peaqos_wallet::delete_wallet(
            name_or_id,
            &Vault::resolve(None),
        )?)
    }
}
