//! Open Wallet Standard (OWS) compatible vault for peaqOS.
//!
//! - [`vault`]: the `~/.ows` layout, wallet file format (byte-compatible with the OWS
//!   reference implementation), atomic 0600 writes and the audit log.
//! - [`crypto`]: the scrypt + AES-256-GCM envelope; weak KDF parameters are refused.
//! - [`hd`]: BIP-39, BIP-32 (secp256k1) and SLIP-10 (ed25519) derivation.
//! - [`chains`]: every chain family the reference derives, with its paths and address encoding.
//! - [`wallet`]: create / import / list / get / export / delete and [`WalletInfo`].
//! - [`VaultSigner`]: an alloy signer that decrypts the key per signature.
//! - [`cli`]: the `peaqos wallet` subcommands.
//!
//! Secrets are held in [`zeroize::Zeroizing`] buffers and never appear in `Debug` or errors.

pub mod chains;
pub mod cli;
pub mod crypto;
pub mod error;
pub mod hd;
mod signer;
pub mod vault;
pub mod wallet;

pub use chains::ChainFamily;
pub use error::WalletError;
pub use signer::VaultSigner;
pub use vault::{KeyType, OWS_PASSPHRASE_ENV, OWS_VAULT_PATH_ENV, Vault, WalletFile};
pub use wallet::{
    AccountInfo, WalletInfo, WalletSecret, create_wallet, decrypt_wallet, delete_wallet,
    evm_private_key, export_wallet, extract_peaq_address, get_wallet, import_wallet,
    import_wallet_mnemonic, list_wallets,
};
