//! Wallet lifecycle: create, import, list, get, export, delete, and the public `WalletInfo` view.

use std::fs;
use std::io::Write;

use peaqos_types::constants::SUPPORTED_CHAIN_IDS;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::chains::{ChainFamily, Curve};
use crate::crypto;
use crate::error::WalletError;
use crate::hd;
use crate::vault::{KeyType, OWS_VERSION, StoredAccount, Vault, WalletFile, now_rfc3339};

/// A decrypted wallet secret. `Debug` never prints it; memory is wiped on drop.
pub enum WalletSecret {
    /// A validated BIP-39 phrase.
    Mnemonic(Zeroizing<String>),
    /// One key per curve (private-key wallets).
    PrivateKeys {
        /// secp256k1 scalar.
        secp256k1: Zeroizing<[u8; 32]>,
        /// ed25519 secret.
        ed25519: Zeroizing<[u8; 32]>,
    },
}

impl std::fmt::Debug for WalletSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalletSecret::Mnemonic(_) => f.write_str("WalletSecret::Mnemonic(<redacted>)"),
            WalletSecret::PrivateKeys { .. } => {
                f.write_str("WalletSecret::PrivateKeys(<redacted>)")
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
struct KeyPairJson {
    ed25519: String,
    secp256k1: String,
}

impl WalletSecret {
    /// The bytes the envelope encrypts (phrase, or compact `{"ed25519","secp256k1"}` JSON).
    pub fn to_plaintext(&self) -> Zeroizing<Vec<u8>> {
        match self {
            WalletSecret::Mnemonic(m) => Zeroizing::new(m.as_bytes().to_vec()),
            WalletSecret::PrivateKeys { secp256k1, ed25519 } => {
                let ed = Zeroizing::new(hex::encode(ed25519.as_ref()));
                let sk = Zeroizing::new(hex::encode(secp256k1.as_ref()));
                Zeroizing::new(
                    format!("{{\"ed25519\":\"{}\",\"secp256k1\":\"{}\"}}", *ed, *sk).into_bytes(),
                )
            }
        }
    }

    /// Parses decrypted plaintext according to `key_type`.
    pub fn from_plaintext(key_type: KeyType, plain: &[u8]) -> Result<Self, WalletError> {
        let text = std::str::from_utf8(plain).map_err(|_| {
            WalletError::invalid("ciphertext", "utf8", "decrypted secret is not UTF-8")
        })?;
        match key_type {
            KeyType::Mnemonic => Ok(WalletSecret::Mnemonic(hd::normalize_mnemonic(text)?)),
            KeyType::PrivateKey => {
                let kp: KeyPairJson = serde_json::from_str(text).map_err(|_| {
                    WalletError::invalid(
                        "ciphertext",
                        "key_json",
                        "decrypted key JSON is malformed",
                    )
                })?;
                let kp = Zeroizing::new(kp.ed25519 + "|" + &kp.secp256k1);
                let (ed, sk) = kp.split_once('|').expect("separator");
                Ok(WalletSecret::PrivateKeys {
                    secp256k1: parse_key_hex(sk, "secp256k1")?,
                    ed25519: parse_key_hex(ed, "ed25519")?,
                })
            }
        }
    }

    /// The raw secret of `family`'s curve at `path` (mnemonic) or the stored key (private key).
    pub fn key_for(
        &self,
        family: ChainFamily,
        path: &str,
    ) -> Result<Zeroizing<[u8; 32]>, WalletError> {
        match self {
            WalletSecret::Mnemonic(m) => {
                let seed = hd::mnemonic_to_seed(m, "")?;
                key_from_seed(&seed[..], family, path)
            }
            WalletSecret::PrivateKeys { secp256k1, ed25519 } => Ok(match family.curve() {
                Curve::Secp256k1 => secp256k1.clone(),
                Curve::Ed25519 => ed25519.clone(),
            }),
        }
    }

    /// The accounts of every chain family (index `index` for mnemonics; empty paths for keys).
    pub fn derive_accounts(&self, index: u32) -> Result<Vec<StoredAccount>, WalletError> {
        let seed = match self {
            WalletSecret::Mnemonic(m) => Some(hd::mnemonic_to_seed(m, "")?),
            WalletSecret::PrivateKeys { .. } => None,
        };
        ChainFamily::ALL
            .into_iter()
            .map(|family| {
                let (key, path) = match (&seed, self) {
                    (Some(seed), _) => {
                        let path = family.derivation_path(index);
                        (key_from_seed(&seed[..], family, &path)?, path)
                    }
                    (None, s) => (s.key_for(family, "")?, String::new()),
                };
                let address = family.address(&key)?;
                Ok(StoredAccount {
                    account_id: format!("{}:{}", family.caip2(), address),
                    address,
                    chain_id: family.caip2().to_string(),
                    derivation_path: path,
                })
            })
            .collect()
    }
}

fn key_from_seed(
    seed: &[u8],
    family: ChainFamily,
    path: &str,
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    match family.curve() {
        Curve::Secp256k1 => hd::derive_secp256k1(seed, path),
        Curve::Ed25519 => Ok(hd::derive_slip10_ed25519(seed, path)?.key),
    }
}

/// Parses a 32-byte hex key (optional `0x`).
pub fn parse_key_hex(s: &str, field: &str) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let t = s.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let mut out = Zeroizing::new([0u8; 32]);
    if t.len() != 64 || hex::decode_to_slice(t, out.as_mut()).is_err() {
        return Err(WalletError::invalid(
            field,
            "hex32",
            format!("{field} private key must be 32 bytes of hex (64 characters, optional 0x)"),
        ));
    }
    Ok(out)
}

/// One account of a wallet, as the SDKs expose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// CAIP-10 id.
    pub account_id: String,
    /// Chain-native address.
    pub address: String,
    /// CAIP-2 id.
    pub chain_id: String,
    /// Human-readable network (`peaq`, `base`, `solana`, ...).
    pub network: String,
    /// Derivation path (empty for private-key wallets).
    pub derivation_path: String,
}

/// Public metadata of a wallet. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletInfo {
    /// UUID v4.
    pub id: String,
    /// Name.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// `mnemonic` or `private_key`.
    pub key_type: KeyType,
    /// The peaq (EVM) address.
    pub peaq_address: String,
    /// Every chain account, the six supported EVM chains first.
    pub accounts: Vec<AccountInfo>,
}

/// Anything with a CAIP-2 chain id and an address (stored or public accounts).
pub trait ChainAccount {
    /// CAIP-2 id.
    fn chain_id(&self) -> &str;
    /// Address.
    fn address(&self) -> &str;
}

impl ChainAccount for AccountInfo {
    fn chain_id(&self) -> &str {
        &self.chain_id
    }
    fn address(&self) -> &str {
        &self.address
    }
}

impl ChainAccount for StoredAccount {
    fn chain_id(&self) -> &str {
        &self.chain_id
    }
    fn address(&self) -> &str {
        &self.address
    }
}

/// The `eip155:3338` address if present, else the first `eip155:*` one.
pub fn extract_peaq_address<A: ChainAccount>(accounts: &[A]) -> Result<String, WalletError> {
    accounts
        .iter()
        .find(|a| a.chain_id() == "eip155:3338")
        .or_else(|| {
            accounts
                .iter()
                .find(|a| a.chain_id().starts_with("eip155:"))
        })
        .map(|a| a.address().to_string())
        .ok_or_else(|| WalletError::ChainNotSupported("wallet has no EVM (eip155) account".into()))
}

fn network_name(chain_id: &str) -> String {
    if let Some(id) = chain_id.strip_prefix("eip155:") {
        if let Some((name, _)) = SUPPORTED_CHAIN_IDS
            .iter()
            .find(|(_, c)| c.to_string() == id)
        {
            return (*name).to_string();
        }
        return chain_id.to_string();
    }
    ChainFamily::from_caip2(chain_id).map_or_else(|| chain_id.to_string(), |f| f.name().to_string())
}

impl WalletInfo {
    /// The public view of a wallet file, synthesizing the supported EVM chains.
    pub fn from_file(w: &WalletFile) -> Result<Self, WalletError> {
        let peaq_address = extract_peaq_address(&w.accounts)?;
        let evm_path = w
            .accounts
            .iter()
            .find(|a| a.chain_id.starts_with("eip155:"))
            .map(|a| a.derivation_path.clone())
            .unwrap_or_default();
        let mut accounts = Vec::new();
        for (name, id) in SUPPORTED_CHAIN_IDS {
            let chain_id = format!("eip155:{id}");
            let stored = w.accounts.iter().find(|a| a.chain_id == chain_id);
            let (address, path) = stored.map_or((peaq_address.clone(), evm_path.clone()), |a| {
                (a.address.clone(), a.derivation_path.clone())
            });
            accounts.push(AccountInfo {
                account_id: format!("{chain_id}:{address}"),
                address,
                chain_id,
                network: name.to_string(),
                derivation_path: path,
            });
        }
        for a in &w.accounts {
            if accounts.iter().any(|x| x.chain_id == a.chain_id) {
                continue;
            }
            accounts.push(AccountInfo {
                account_id: a.account_id.clone(),
                address: a.address.clone(),
                chain_id: a.chain_id.clone(),
                network: network_name(&a.chain_id),
                derivation_path: a.derivation_path.clone(),
            });
        }
        Ok(WalletInfo {
            id: w.id.clone(),
            name: w.name.clone(),
            created_at: w.created_at.clone(),
            key_type: w.key_type,
            peaq_address,
            accounts,
        })
    }
}

fn check_name(vault: &Vault, name: &str) -> Result<(), WalletError> {
    if name.trim().is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
        return Err(WalletError::invalid(
            "name",
            "wallet_name",
            "wallet name must be 1-128 printable characters",
        ));
    }
    if vault.load_all()?.iter().any(|(_, w)| w.name == name) {
        return Err(WalletError::DuplicateName(name.to_string()));
    }
    Ok(())
}

fn store(
    vault: &Vault,
    name: &str,
    secret: &WalletSecret,
    key_type: KeyType,
    index: u32,
    passphrase: &str,
    operation: &str,
) -> Result<WalletInfo, WalletError> {
    check_name(vault, name)?;
    let accounts = secret.derive_accounts(index)?;
    let crypto = crypto::encrypt(&secret.to_plaintext(), passphrase)?;
    let file = WalletFile {
        ows_version: OWS_VERSION,
        id: uuid::Uuid::new_v4().to_string(),
        name: name.to_string(),
        created_at: now_rfc3339(),
        accounts,
        crypto,
        key_type,
        metadata: None,
    };
    vault.write_wallet(&file)?;
    let details = file
        .accounts
        .iter()
        .map(|a| format!("{}={}", a.chain_id, a.address))
        .collect::<Vec<_>>()
        .join(", ");
    vault.log(&file.id, operation, Some(details))?;
    WalletInfo::from_file(&file)
}

/// Creates a wallet from a fresh 12- or 24-word mnemonic. The phrase is never returned.
pub fn create_wallet(
    name: &str,
    passphrase: Option<&str>,
    words: usize,
    vault: &Vault,
) -> Result<WalletInfo, WalletError> {
    let pass = vault.passphrase(passphrase)?;
    let phrase = hd::generate_mnemonic(words)?;
    let secret = WalletSecret::Mnemonic(phrase);
    store(
        vault,
        name,
        &secret,
        KeyType::Mnemonic,
        0,
        &pass,
        "create_wallet",
    )
}

/// Imports a hex private key for `chain` (`evm`, `solana`, `bitcoin`, ...). The key goes to that
/// chain's curve; the other curve gets a fresh random key, as in the reference.
pub fn import_wallet(
    name: &str,
    private_key: &str,
    passphrase: Option<&str>,
    chain: &str,
    vault: &Vault,
) -> Result<WalletInfo, WalletError> {
    let family = ChainFamily::parse(chain)?;
    let key = parse_key_hex(private_key, "private_key")?;
    let pass = vault.passphrase(passphrase)?;
    let mut other = Zeroizing::new([0u8; 32]);
    let secret = match family.curve() {
        Curve::Secp256k1 => {
            hd::secp256k1_public_compressed(&key)?;
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, other.as_mut());
            WalletSecret::PrivateKeys {
                secp256k1: key,
                ed25519: other,
            }
        }
        Curve::Ed25519 => {
            loop {
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, other.as_mut());
                if hd::secp256k1_public_compressed(&other).is_ok() {
                    break;
                }
            }
            WalletSecret::PrivateKeys {
                secp256k1: other,
                ed25519: key,
            }
        }
    };
    store(
        vault,
        name,
        &secret,
        KeyType::PrivateKey,
        0,
        &pass,
        "import_wallet",
    )
}

/// Imports a BIP-39 mnemonic, deriving every chain at account `index`.
pub fn import_wallet_mnemonic(
    name: &str,
    mnemonic: &str,
    passphrase: Option<&str>,
    index: u32,
    vault: &Vault,
) -> Result<WalletInfo, WalletError> {
    let phrase = hd::normalize_mnemonic(mnemonic)?;
    let pass = vault.passphrase(passphrase)?;
    let secret = WalletSecret::Mnemonic(phrase);
    store(
        vault,
        name,
        &secret,
        KeyType::Mnemonic,
        index,
        &pass,
        "import_wallet",
    )
}

/// Every wallet in the vault (public data only).
pub fn list_wallets(vault: &Vault) -> Result<Vec<WalletInfo>, WalletError> {
    vault
        .load_all()?
        .iter()
        .map(|(_, w)| WalletInfo::from_file(w))
        .collect()
}

/// One wallet by name or id.
pub fn get_wallet(name_or_id: &str, vault: &Vault) -> Result<WalletInfo, WalletError> {
    WalletInfo::from_file(&vault.find(name_or_id)?.1)
}

/// Decrypts a wallet file's secret.
pub fn decrypt_wallet(file: &WalletFile, passphrase: &str) -> Result<WalletSecret, WalletError> {
    let plain = crypto::decrypt(&file.crypto, passphrase)?;
    WalletSecret::from_plaintext(file.key_type, &plain)
}

/// The secret for backup: the mnemonic phrase, or `{"ed25519":"..","secp256k1":".."}` for
/// private-key wallets (as the reference exports them). Logged (without the secret) in the audit log.
pub fn export_wallet(
    name_or_id: &str,
    passphrase: Option<&str>,
    vault: &Vault,
) -> Result<Zeroizing<String>, WalletError> {
    let pass = vault.passphrase(passphrase)?;
    let (_, file) = vault.find(name_or_id)?;
    let secret = decrypt_wallet(&file, &pass)?;
    let out = Zeroizing::new(String::from_utf8(secret.to_plaintext().to_vec()).expect("utf8"));
    vault.log(&file.id, "export_wallet", None)?;
    Ok(out)
}

/// Overwrites the wallet file with zeros, syncs, then unlinks it.
pub fn delete_wallet(name_or_id: &str, vault: &Vault) -> Result<(), WalletError> {
    let (path, file) = vault.find(name_or_id)?;
    let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let overwrite = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new().write(true).open(&path)?;
        f.write_all(&vec![0u8; len as usize])?;
        f.sync_all()
    };
    overwrite().map_err(|e| WalletError::io(format!("overwrite {}", path.display()), e))?;
    fs::remove_file(&path).map_err(|e| WalletError::io(format!("remove {}", path.display()), e))?;
    vault.log(
        &file.id,
        "delete_wallet",
        Some(format!("name={}", file.name)),
    )
}

/// The EVM private key of a wallet (raw-key mode). Derived at the stored EVM account's path.
pub fn evm_private_key(
    name_or_id: &str,
    passphrase: Option<&str>,
    vault: &Vault,
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let pass = vault.passphrase(passphrase)?;
    let (_, file) = vault.find(name_or_id)?;
    evm_key_from_file(&file, &pass)
}

/// Decrypts `file` and returns its EVM key at the stored EVM derivation path.
pub fn evm_key_from_file(
    file: &WalletFile,
    passphrase: &str,
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let path = file
        .accounts
        .iter()
        .find(|a| a.chain_id.starts_with("eip155:"))
        .map(|a| a.derivation_path.clone())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| ChainFamily::Evm.derivation_path(0));
    decrypt_wallet(file, passphrase)?.key_for(ChainFamily::Evm, &path)
}
