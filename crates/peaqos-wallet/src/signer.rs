//! [`VaultSigner`]: an alloy [`Signer`] / [`TxSigner`] backed by a vault wallet that decrypts the
//! EVM key for each signature only (OWS-native signing).

use alloy::consensus::SignableTransaction;
use alloy::network::TxSigner;
use alloy::primitives::{Address, B256, ChainId, Signature};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::{Signer, SignerSync};
use zeroize::Zeroizing;

use crate::error::WalletError;
use crate::vault::{Vault, WalletFile};
use crate::wallet::{evm_key_from_file, extract_peaq_address};

/// An alloy signer for a vault wallet's EVM account.
///
/// Holds the (encrypted) wallet file and the passphrase in a [`Zeroizing`] buffer; every
/// signature runs scrypt, decrypts the key, signs and wipes the key. `Debug` prints the address
/// and wallet id only. Signing works for any chain id (peaq 3338, Base 8453, the devnet, ...):
/// the transaction's chain id drives EIP-155.
pub struct VaultSigner {
    file: WalletFile,
    passphrase: Zeroizing<String>,
    address: Address,
    chain_id: Option<ChainId>,
}

impl std::fmt::Debug for VaultSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSigner")
            .field("wallet_id", &self.file.id)
            .field("name", &self.file.name)
            .field("address", &self.address)
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

impl VaultSigner {
    /// Opens `name_or_id` in `vault`. The passphrase (argument, else the vault's environment's,
    /// see [`Vault::passphrase`]) is checked once here (one decryption, key wiped), and the
    /// derived address must match the file's.
    pub fn open(
        name_or_id: &str,
        passphrase: Option<&str>,
        vault: &Vault,
    ) -> Result<Self, WalletError> {
        let pass = vault.passphrase(passphrase)?;
        let (_, file) = vault.find(name_or_id)?;
        Self::from_file(file, pass)
    }

    /// Like [`VaultSigner::open`] from an already-read wallet file.
    pub fn from_file(file: WalletFile, passphrase: Zeroizing<String>) -> Result<Self, WalletError> {
        let stored = extract_peaq_address(&file.accounts)?;
        let key = evm_key_from_file(&file, &passphrase)?;
        let address = signer_for(&key)?.address();
        drop(key);
        if !stored.eq_ignore_ascii_case(&address.to_string()) {
            return Err(WalletError::invalid(
                "accounts",
                "evm_address",
                "stored EVM address does not match the decrypted key",
            ));
        }
        Ok(Self {
            file,
            passphrase,
            address,
            chain_id: None,
        })
    }

    /// The wallet id.
    pub fn wallet_id(&self) -> &str {
        &self.file.id
    }

    /// The wallet name.
    pub fn wallet_name(&self) -> &str {
        &self.file.name
    }

    /// Decrypts the key, signs `hash`, wipes the key.
    pub fn sign_hash_now(&self, hash: &B256) -> Result<Signature, WalletError> {
        let key = evm_key_from_file(&self.file, &self.passphrase)?;
        let signer = signer_for(&key)?;
        drop(key);
        // `signer` holds a k256 SigningKey, which zeroizes its scalar on drop.
        signer
            .sign_hash_sync(hash)
            .map_err(|e| WalletError::Signing(e.to_string()))
    }
}

fn signer_for(key: &Zeroizing<[u8; 32]>) -> Result<PrivateKeySigner, WalletError> {
    PrivateKeySigner::from_slice(key.as_ref()).map_err(|_| {
        WalletError::invalid(
            "private_key",
            "secp256k1",
            "invalid secp256k1 key in wallet",
        )
    })
}

fn to_signer_error(e: WalletError) -> alloy::signers::Error {
    alloy::signers::Error::other(e)
}

#[async_trait::async_trait]
impl Signer for VaultSigner {
    async fn sign_hash(&self, hash: &B256) -> alloy::signers::Result<Signature> {
        self.sign_hash_now(hash).map_err(to_signer_error)
    }

    fn address(&self) -> Address {
        self.address
    }

    fn chain_id(&self) -> Option<ChainId> {
        self.chain_id
    }

    fn set_chain_id(&mut self, chain_id: Option<ChainId>) {
        self.chain_id = chain_id;
    }
}

#[async_trait::async_trait]
impl TxSigner<Signature> for VaultSigner {
    fn address(&self) -> Address {
        self.address
    }

    async fn sign_transaction(
        &self,
        tx: &mut dyn SignableTransaction<Signature>,
    ) -> alloy::signers::Result<Signature> {
        if let Some(chain_id) = self.chain_id
            && !tx.set_chain_id_checked(chain_id)
        {
            return Err(alloy::signers::Error::TransactionChainIdMismatch {
                signer: chain_id,
                tx: tx.chain_id().unwrap_or_default(),
            });
        }
        self.sign_hash_now(&tx.signature_hash())
            .map_err(to_signer_error)
    }
}
