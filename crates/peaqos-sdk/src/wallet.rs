//! OWS wallet vault access from the SDK, as the seeds' "Wallets (OWS)" page describes it:
//! the vault operations as static methods of [`PeaqosClient`] and
//! [`PeaqosClient::from_wallet`], which signs through a wallet of the vault.
//!
//! The default vault is the one an environment lookup names ([`Vault::resolve`]:
//! `OWS_VAULT_PATH` or `~/.ows`, passphrase `OWS_PASSPHRASE`); these methods take that lookup
//! (`&|k| std::env::var(k).ok()` for the process environment) and read nothing else. With an
//! explicit vault: [`PeaqosClient::from_wallet_in`] and the [`vault`] functions.
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

/// An environment lookup: `|k| std::env::var(k).ok()`, or a map in tests.
type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl PeaqosClient {
    /// A client signing with wallet `name_or_id` of the vault of `env` (`OWS_VAULT_PATH` or
    /// `~/.ows`).
    ///
    /// The passphrase comes from `passphrase` or `env`'s `OWS_PASSPHRASE` and is checked once
    /// here.
    /// With `ows_signing` (the default of the other SDKs) the key is decrypted only for each
    /// signature and wiped right after; without it the EVM key is decrypted once and the
    /// client behaves like a raw-key client. `config.private_key` must be `None`.
    pub fn from_wallet(
        name_or_id: &str,
        passphrase: Option<&str>,
        ows_signing: bool,
        config: PeaqosConfig,
        env: Env<'_>,
    ) -> Result<Self> {
        Self::from_wallet_in(
            name_or_id,
            passphrase,
            ows_signing,
            config,
            &Vault::resolve(env),
        )
    }

    /// [`PeaqosClient::from_wallet`] with an explicit vault (a `passphrase` of `None` uses the
    /// vault's environment passphrase, see [`Vault::passphrase`]).
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

    /// The signing client of an environment lookup (what [`PeaqosClient::from_env`] runs on the
    /// process environment): [`PeaqosConfig::from_env_lookup`] picks the signer —
    ///
    /// * `PEAQOS_OWS_WALLET` set: that wallet of the vault at `OWS_VAULT_PATH` (else `~/.ows`)
    ///   signs, with the passphrase `OWS_PASSPHRASE` (checked once here; the key is decrypted
    ///   for each signature and wiped, as [`PeaqosClient::from_wallet`] with `ows_signing`).
    ///   The wallet wins over `PEAQOS_PRIVATE_KEY`, which is then ignored.
    /// * else `PEAQOS_PRIVATE_KEY` signs.
    ///
    /// Neither set: a `ValidationError` naming both variables. Wallet failures keep their codes
    /// (`WALLET_NOT_FOUND`, `INVALID_PASSPHRASE`, `WALLET_NOT_CONFIGURED` without a passphrase);
    /// no message contains the key or the passphrase.
    pub fn from_env_lookup<F>(lookup: F) -> Result<Self>
    where
        F: Fn(&str) -> Option<String>,
    {
        let config = PeaqosConfig::from_env_lookup(&lookup)?;
        let Some(name) = config.ows_wallet.clone() else {
            return Self::new(config);
        };
        Self::from_wallet(&name, None, true, config, &lookup)
    }

    /// Creates a mnemonic wallet (12 or 24 words) in the vault of `env`.
    pub fn create_wallet(
        name: &str,
        passphrase: Option<&str>,
        words: usize,
        env: Env<'_>,
    ) -> Result<WalletInfo> {
        Ok(peaqos_wallet::create_wallet(
            name,
            passphrase,
            words,
            &Vault::resolve(env),
        )?)
    }

    /// Imports a private key (`chain` = `evm`, `solana`, ...) into the vault of `env`.
    pub fn import_wallet(
        name: &str,
        private_key: &str,
        passphrase: Option<&str>,
        chain: &str,
        env: Env<'_>,
    ) -> Result<WalletInfo> {
        Ok(peaqos_wallet::import_wallet(
            name,
            private_key,
            passphrase,
            chain,
            &Vault::resolve(env),
        )?)
    }

    /// Imports a BIP-39 mnemonic (account `index`) into the vault of `env`.
    pub fn import_wallet_mnemonic(
        name: &str,
        mnemonic: &str,
        passphrase: Option<&str>,
        index: u32,
        env: Env<'_>,
    ) -> Result<WalletInfo> {
        Ok(peaqos_wallet::import_wallet_mnemonic(
            name,
            mnemonic,
            passphrase,
            index,
            &Vault::resolve(env),
        )?)
    }

    /// Every wallet of the vault of `env`.
    pub fn list_wallets(env: Env<'_>) -> Result<Vec<WalletInfo>> {
        Ok(peaqos_wallet::list_wallets(&Vault::resolve(env))?)
    }

    /// One wallet of the vault of `env`, by name or id.
    pub fn get_wallet(name_or_id: &str, env: Env<'_>) -> Result<WalletInfo> {
        Ok(peaqos_wallet::get_wallet(name_or_id, &Vault::resolve(env))?)
    }

    /// The wallet's secret (mnemonic phrase or key JSON) from the vault of `env`. Handle with
    /// care.
    pub fn export_wallet(
        name_or_id: &str,
        passphrase: Option<&str>,
        env: Env<'_>,
    ) -> Result<Zeroizing<String>> {
        Ok(peaqos_wallet::export_wallet(
            name_or_id,
            passphrase,
            &Vault::resolve(env),
        )?)
    }

    /// Deletes a wallet of the vault of `env` (overwritten, then unlinked).
    pub fn delete_wallet(name_or_id: &str, env: Env<'_>) -> Result<()> {
        Ok(peaqos_wallet::delete_wallet(
            name_or_id,
            &Vault::resolve(env),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DEVNET_DEPLOYER, devnet_addresses};
    use peaqos_types::network::env;
    use peaqos_wallet::OWS_VAULT_PATH_ENV;
    use std::collections::HashMap;

    const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    const KEY1: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    const PASS: &str = "correct horse battery";

    fn env_of(vault: &std::path::Path, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = devnet_addresses()
            .to_env_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        m.insert(env::PEAQOS_RPC_URL.into(), "http://127.0.0.1:1".into());
        m.insert(OWS_VAULT_PATH_ENV.into(), vault.display().to_string());
        for (k, v) in extra {
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    #[test]
    fn the_static_helpers_use_the_vault_of_the_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let m = env_of(dir.path(), &[(env::OWS_PASSPHRASE, PASS)]);
        let lookup = |k: &str| m.get(k).cloned();
        let info = PeaqosClient::import_wallet("ops", KEY1, None, "evm", &lookup).unwrap();
        assert!(
            dir.path().join("wallets").is_dir(),
            "written under OWS_VAULT_PATH"
        );
        let listed = PeaqosClient::list_wallets(&lookup).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            PeaqosClient::get_wallet("ops", &lookup).unwrap().id,
            info.id
        );
        let secret = PeaqosClient::export_wallet("ops", None, &lookup).unwrap();
        assert!(secret.contains(&KEY1[2..]));
        let c = PeaqosClient::from_wallet("ops", None, true, config_of(&m), &lookup).unwrap();
        assert_eq!(c.address().to_checksum(None), info.peaq_address);
        // without OWS_PASSPHRASE in the lookup there is no passphrase (the process
        // environment is never read)
        let bare = env_of(dir.path(), &[]);
        let bare_lookup = |k: &str| bare.get(k).cloned();
        let e = PeaqosClient::export_wallet("ops", None, &bare_lookup).unwrap_err();
        assert_eq!(e.code(), Some(peaqos_types::ErrorCode::WalletNotConfigured));
        PeaqosClient::delete_wallet("ops", &bare_lookup).unwrap();
        assert!(PeaqosClient::list_wallets(&bare_lookup).unwrap().is_empty());
    }

    /// The configuration of `m` naming wallet `ops` as the signer (no key).
    fn config_of(m: &HashMap<String, String>) -> PeaqosConfig {
        let mut m = m.clone();
        m.insert(env::PEAQOS_OWS_WALLET.into(), "ops".into());
        PeaqosConfig::from_env_lookup(|k| m.get(k).cloned()).unwrap()
    }

    #[test]
    fn from_env_lookup_picks_the_signer() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::at(dir.path());
        // dev account 1's key in the vault
        let info = peaqos_wallet::import_wallet("op", KEY1, Some(PASS), "evm", &vault).unwrap();
        let wallet_addr: alloy::primitives::Address = info.peaq_address.parse().unwrap();
        assert_ne!(wallet_addr, DEVNET_DEPLOYER);

        // key only
        let m = env_of(dir.path(), &[(env::PEAQOS_PRIVATE_KEY, KEY)]);
        let c = PeaqosClient::from_env_lookup(|k| m.get(k).cloned()).unwrap();
        assert_eq!(c.address(), DEVNET_DEPLOYER);

        // wallet only, and wallet + key (the wallet wins)
        for extra in [
            vec![(env::PEAQOS_OWS_WALLET, "op"), (env::OWS_PASSPHRASE, PASS)],
            vec![
                (env::PEAQOS_OWS_WALLET, "op"),
                (env::OWS_PASSPHRASE, PASS),
                (env::PEAQOS_PRIVATE_KEY, KEY),
            ],
        ] {
            let m = env_of(dir.path(), &extra);
            let c = PeaqosClient::from_env_lookup(|k| m.get(k).cloned()).unwrap();
            assert_eq!(c.address(), wallet_addr);
            assert_eq!(c.config().private_key, None);
            let shown = format!("{c:?} {}", c.to_json());
            assert!(
                !shown.contains(PASS) && !shown.contains(&KEY[2..]),
                "{shown}"
            );
        }

        // a wrong passphrase keeps its code and is not echoed
        let m = env_of(
            dir.path(),
            &[
                (env::PEAQOS_OWS_WALLET, "op"),
                (env::OWS_PASSPHRASE, "nope-nope"),
            ],
        );
        let e = PeaqosClient::from_env_lookup(|k| m.get(k).cloned()).unwrap_err();
        assert_eq!(e.code(), Some(peaqos_types::ErrorCode::InvalidPassphrase));
        assert!(!e.to_string().contains("nope-nope"));

        // an unknown wallet
        let m = env_of(
            dir.path(),
            &[
                (env::PEAQOS_OWS_WALLET, "ghost"),
                (env::OWS_PASSPHRASE, PASS),
            ],
        );
        let e = PeaqosClient::from_env_lookup(|k| m.get(k).cloned()).unwrap_err();
        assert_eq!(e.code(), Some(peaqos_types::ErrorCode::WalletNotFound));

        // neither: both variables named
        let m = env_of(dir.path(), &[]);
        let e = PeaqosClient::from_env_lookup(|k| m.get(k).cloned()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("PEAQOS_PRIVATE_KEY") && msg.contains("PEAQOS_OWS_WALLET"),
            "{msg}"
        );
    }
}
