//! The wallet registry: one JSON file in peaq's node format,
//! `{"version":1,"wallets":{"<checksum address>":{label, address, account_id, chain_id, network,
//! private_key, created_at}}}`, so a robot can switch between peaq's node and this one.
//!
//! New wallets are encrypted by default: the key goes to the OWS vault (AES-256-GCM under a
//! scrypt key from `OWS_PASSPHRASE`) and the registry entry names the vault wallet
//! (`"key_store": "ows"`, `"ows_wallet_id"`) instead of holding `private_key`. A plaintext entry
//! (peaq's format) is written only when the configuration asks for it. Entries written by peaq's
//! node (plaintext) are read as they are.
//!
//! The file is written atomically (`<path>.tmp`, mode 0600, rename), its directory created
//! (0700). Only public metadata ever leaves this module: [`WalletEntry::public_json`].

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256};
use alloy::signers::local::PrivateKeySigner;
use peaqos_wallet::{Vault, WalletError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// peaq's default label.
pub const DEFAULT_LABEL: &str = "machine_wallet";
/// CAIP-2 id of peaq written in entries.
pub const CHAIN_ID: &str = "eip155:3338";

/// Registry failures. Messages never contain a key or a passphrase.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Reading or writing the file failed.
    #[error("wallet registry {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a registry.
    #[error("wallet registry {path} is not valid: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No such wallet.
    #[error("wallet not found: {0}")]
    NotFound(Address),
    /// An encrypted wallet needs `OWS_PASSPHRASE`.
    #[error(
        "OWS_PASSPHRASE is required to encrypt or open vault wallets (or set peaq_os.wallet_registry.plaintext=true)"
    )]
    PassphraseMissing,
    /// The vault refused (wrong passphrase, missing wallet, ...).
    #[error(transparent)]
    Vault(#[from] WalletError),
    /// The entry's key is unusable.
    #[error("wallet {0}: the stored key is not a valid secp256k1 key")]
    BadKey(Address),
}

impl RegistryError {
    /// The documented code of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::NotFound(_) => "WALLET_NOT_FOUND",
            RegistryError::PassphraseMissing => "WALLET_NOT_CONFIGURED",
            RegistryError::Vault(e) => e.code().as_str(),
            _ => "WALLET_ERROR",
        }
    }
}

/// One registry entry. `Debug` redacts the key.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct WalletEntry {
    /// Label (`machine_wallet` by default).
    pub label: String,
    /// Checksum address.
    pub address: String,
    /// `eip155:3338:<address>`.
    pub account_id: String,
    /// `eip155:3338`.
    pub chain_id: String,
    /// `peaq`.
    pub network: String,
    /// Plaintext key (peaq's format), absent for vault wallets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// Unix seconds.
    pub created_at: u64,
    /// `ows` for a vault wallet (ours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_store: Option<String>,
    /// The vault wallet's id (ours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ows_wallet_id: Option<String>,
    /// Keys written by other tools, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl std::fmt::Debug for WalletEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletEntry")
            .field("label", &self.label)
            .field("address", &self.address)
            .field("created_at", &self.created_at)
            .field("key_store", &self.key_store)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl WalletEntry {
    /// The metadata services return: address, label, created_at, account_id, chain_id, network.
    pub fn public_json(&self) -> Value {
        json!({
            "address": self.address,
            "label": self.label,
            "created_at": self.created_at,
            "account_id": self.account_id,
            "chain_id": self.chain_id,
            "network": self.network,
        })
    }

    /// Whether the key is in the OWS vault.
    pub fn encrypted(&self) -> bool {
        self.key_store.as_deref() == Some("ows")
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RegistryFile {
    version: u64,
    wallets: BTreeMap<String, WalletEntry>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

/// The registry file and, for encrypted wallets, the vault and its passphrase.
pub struct Registry {
    path: PathBuf,
    vault: Vault,
    passphrase: Option<Zeroizing<String>>,
    plaintext: bool,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("path", &self.path)
            .field("vault", &self.vault.root())
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("plaintext", &self.plaintext)
            .finish()
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Registry {
    /// A registry at `path`; new wallets go to `vault` (with `passphrase`) unless `plaintext`.
    pub fn new(
        path: impl Into<PathBuf>,
        vault: Vault,
        passphrase: Option<Zeroizing<String>>,
        plaintext: bool,
    ) -> Self {
        Self {
            path: path.into(),
            vault,
            passphrase: passphrase.filter(|p| !p.is_empty()),
            plaintext,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> RegistryError {
        RegistryError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn read(&self) -> Result<RegistryFile, RegistryError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(RegistryFile {
                    version: 1,
                    ..Default::default()
                });
            }
            Err(e) => return Err(self.io(e)),
        };
        serde_json::from_str(&text).map_err(|e| RegistryError::Format {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    fn write(&self, file: &RegistryFile) -> Result<(), RegistryError> {
        if let Some(dir) = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            {
                fs::create_dir_all(dir).map_err(|e| self.io(e))?;
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| self.io(e))?;
            }
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let bytes = serde_json::to_vec_pretty(file).map_err(|e| RegistryError::Format {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let res = (|| {
            let _ = fs::remove_file(&tmp);
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = res {
            let _ = fs::remove_file(&tmp);
            return Err(self.io(e));
        }
        Ok(())
    }

    /// Every entry, sorted by (label, address).
    pub fn list(&self) -> Result<Vec<WalletEntry>, RegistryError> {
        let mut v: Vec<WalletEntry> = self.read()?.wallets.into_values().collect();
        v.sort_by(|a, b| (&a.label, &a.address).cmp(&(&b.label, &b.address)));
        Ok(v)
    }

    /// The entry of `address` (any case), if any.
    pub fn get(&self, address: Address) -> Result<Option<WalletEntry>, RegistryError> {
        Ok(self
            .read()?
            .wallets
            .into_iter()
            .find(|(k, e)| same(k, address) || same(&e.address, address))
            .map(|(_, e)| e))
    }

    /// Creates a wallet with a fresh key; returns its entry.
    pub fn create(&self, label: &str) -> Result<WalletEntry, RegistryError> {
        let signer = PrivateKeySigner::random();
        let address = signer.address();
        let key = Zeroizing::new(format!("0x{}", hex::encode(signer.to_bytes())));
        let label = if label.trim().is_empty() {
            DEFAULT_LABEL.to_string()
        } else {
            label.trim().to_string()
        };
        let (private_key, key_store, ows_wallet_id) = if self.plaintext {
            (Some(key.to_string()), None, None)
        } else {
            let pass = self
                .passphrase
                .as_ref()
                .ok_or(RegistryError::PassphraseMissing)?;
            let info = peaqos_wallet::import_wallet(
                &format!("peaqos-node-{address}"),
                &key,
                Some(pass),
                "evm",
                &self.vault,
            )?;
            (None, Some("ows".to_string()), Some(info.id))
        };
        let entry = WalletEntry {
            label,
            address: address.to_checksum(None),
            account_id: format!("{CHAIN_ID}:{}", address.to_checksum(None)),
            chain_id: CHAIN_ID.into(),
            network: "peaq".into(),
            private_key,
            created_at: unix_now(),
            key_store,
            ows_wallet_id,
            extra: BTreeMap::new(),
        };
        let mut file = self.read()?;
        if file.version == 0 {
            file.version = 1;
        }
        file.wallets.insert(entry.address.clone(), entry.clone());
        self.write(&file)?;
        Ok(entry)
    }

    /// Removes the entry of `address` (and its vault wallet); `false` when there was none.
    pub fn delete(&self, address: Address) -> Result<bool, RegistryError> {
        let mut file = self.read()?;
        let key = file
            .wallets
            .iter()
            .find(|(k, e)| same(k, address) || same(&e.address, address))
            .map(|(k, _)| k.clone());
        let Some(key) = key else { return Ok(false) };
        let entry = file.wallets.remove(&key).expect("found above");
        self.write(&file)?;
        if let Some(id) = entry.ows_wallet_id.as_deref() {
            match peaqos_wallet::delete_wallet(id, &self.vault) {
                Ok(()) | Err(WalletError::WalletNotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// The signing key of `address`: the plaintext entry's, or decrypted from the vault.
    pub fn signer(&self, address: Address) -> Result<PrivateKeySigner, RegistryError> {
        let entry = self.get(address)?.ok_or(RegistryError::NotFound(address))?;
        let bytes: Zeroizing<[u8; 32]> = if let Some(k) = entry.private_key.as_deref() {
            peaqos_wallet::wallet::parse_key_hex(k, "private_key")
                .map_err(|_| RegistryError::BadKey(address))?
        } else if let Some(id) = entry.ows_wallet_id.as_deref() {
            let pass = self
                .passphrase
                .as_ref()
                .ok_or(RegistryError::PassphraseMissing)?;
            peaqos_wallet::evm_private_key(id, Some(pass), &self.vault)?
        } else {
            return Err(RegistryError::BadKey(address));
        };
        let signer = PrivateKeySigner::from_bytes(&B256::from(*bytes))
            .map_err(|_| RegistryError::BadKey(address))?;
        if signer.address() != address {
            return Err(RegistryError::BadKey(address));
        }
        Ok(signer)
    }
}

fn same(s: &str, a: Address) -> bool {
    peaqos_types::did::parse_address_strict(s) == Some(a)
}
