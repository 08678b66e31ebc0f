//! Vault location, wallet file format, atomic 0600 writes and the audit log.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::CryptoEnvelope;
use crate::error::WalletError;

/// Environment variable overriding the vault directory.
pub const OWS_VAULT_PATH_ENV: &str = "OWS_VAULT_PATH";
/// Environment variable holding the vault passphrase.
pub const OWS_PASSPHRASE_ENV: &str = "OWS_PASSPHRASE";
/// The wallet file format version the reference writes.
pub const OWS_VERSION: u32 = 2;

/// What the envelope encrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    /// A BIP-39 phrase (UTF-8).
    Mnemonic,
    /// Compact JSON `{"ed25519":"<hex>","secp256k1":"<hex>"}`.
    PrivateKey,
}

impl KeyType {
    /// `mnemonic` / `private_key`.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyType::Mnemonic => "mnemonic",
            KeyType::PrivateKey => "private_key",
        }
    }
}

/// One `accounts[]` entry as stored in a wallet file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAccount {
    /// CAIP-10 account id (`<caip2>:<address>`).
    pub account_id: String,
    /// Chain-native address.
    pub address: String,
    /// CAIP-2 chain id.
    pub chain_id: String,
    /// Derivation path (empty for private-key wallets).
    pub derivation_path: String,
}

/// A wallet file (`wallets/<uuid>.json`), fields in the reference's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletFile {
    /// Format version, 2.
    pub ows_version: u32,
    /// UUID v4.
    pub id: String,
    /// Unique display name.
    pub name: String,
    /// RFC 3339 with `+00:00`.
    pub created_at: String,
    /// Derived accounts.
    pub accounts: Vec<StoredAccount>,
    /// The encrypted secret. Holds no plaintext.
    pub crypto: CryptoEnvelope,
    /// What `crypto` encrypts.
    pub key_type: KeyType,
    /// Free-form metadata (kept as read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

/// One `logs/audit.jsonl` line. Never contains secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339 time.
    pub timestamp: String,
    /// Wallet id (never the name).
    pub wallet_id: String,
    /// `create_wallet`, `import_wallet`, `export_wallet`, `delete_wallet`.
    pub operation: String,
    /// CAIP-2 chain id, when the operation concerns one chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<String>,
    /// Address, when relevant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Free text (public data only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// A vault directory, and the passphrase its environment holds (`OWS_PASSPHRASE`, taken by
/// [`Vault::resolve`]): the one that operations given no passphrase use.
///
/// The library reads no process environment: the binary hands [`Vault::resolve`] a lookup
/// (`|k| std::env::var(k).ok()`). `Debug` never shows the passphrase.
#[derive(Clone, PartialEq, Eq)]
pub struct Vault {
    root: PathBuf,
    env_passphrase: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("root", &self.root)
            .field(
                "env_passphrase",
                &self.env_passphrase.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Current time in the reference's format (`2026-01-01T00:00:00.123456789+00:00`).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339()
}

fn set_mode(path: &Path, mode: u32) -> Result<(), WalletError> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| WalletError::io(format!("chmod {}", path.display()), e))
}

impl Vault {
    /// A vault at an explicit directory, without an environment passphrase (operations need
    /// theirs).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            env_passphrase: None,
        }
    }

    /// The vault directory of an environment lookup: `OWS_VAULT_PATH`, else `$HOME/.ows` (else
    /// `./.ows`). Empty values count as unset.
    pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
        let get = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(p) = get(OWS_VAULT_PATH_ENV) {
            return p;
        }
        get("HOME")
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".ows")
    }

    /// The vault of an environment lookup: [`Vault::default_path`], with `OWS_PASSPHRASE` (when
    /// set and not empty) as the passphrase of operations given none.
    pub fn resolve(env: &dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            root: Self::default_path(env),
            env_passphrase: env(OWS_PASSPHRASE_ENV)
                .filter(|p| !p.is_empty())
                .map(Zeroizing::new),
        }
    }

    /// The passphrase of an operation: `explicit`, else the environment's
    /// ([`Vault::resolve`]), else [`WalletError::PassphraseMissing`].
    pub fn passphrase(&self, explicit: Option<&str>) -> Result<Zeroizing<String>, WalletError> {
        match (explicit, &self.env_passphrase) {
            (Some(p), _) => Ok(Zeroizing::new(p.to_owned())),
            (None, Some(p)) => Ok(p.clone()),
            (None, None) => Err(WalletError::PassphraseMissing),
        }
    }

    /// The environment's passphrase, when [`Vault::resolve`] found one.
    pub fn env_passphrase(&self) -> Option<&Zeroizing<String>> {
        self.env_passphrase.as_ref()
    }

    /// The vault root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/wallets`.
    pub fn wallets_dir(&self) -> PathBuf {
        self.root.join("wallets")
    }

    /// `<root>/logs/audit.jsonl`.
    pub fn audit_log_path(&self) -> PathBuf {
        self.root.join("logs").join("audit.jsonl")
    }

    fn ensure_dir(path: &Path) -> Result<(), WalletError> {
        if !path.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(path)
                .map_err(|e| WalletError::io(format!("create {}", path.display()), e))?;
        }
        set_mode(path, 0o700)
    }

    /// Creates root, `wallets/` and `logs/` with mode 0700.
    pub fn ensure_dirs(&self) -> Result<(), WalletError> {
        Self::ensure_dir(&self.root)?;
        Self::ensure_dir(&self.wallets_dir())?;
        Self::ensure_dir(&self.root.join("logs"))
    }

    /// Every readable wallet file, sorted by `created_at` then name. Unparseable files are skipped.
    pub fn load_all(&self) -> Result<Vec<(PathBuf, WalletFile)>, WalletError> {
        let dir = self.wallets_dir();
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(WalletError::io(format!("read {}", dir.display()), e)),
        };
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            if let Ok(w) = serde_json::from_str::<WalletFile>(&text) {
                out.push((path, w));
            }
        }
        out.sort_by(|a, b| (&a.1.created_at, &a.1.name).cmp(&(&b.1.created_at, &b.1.name)));
        Ok(out)
    }

    /// Finds a wallet by id first, then by name.
    pub fn find(&self, name_or_id: &str) -> Result<(PathBuf, WalletFile), WalletError> {
        let all = self.load_all()?;
        if let Some(i) = all.iter().position(|(_, w)| w.id == name_or_id) {
            return Ok(all.into_iter().nth(i).expect("index"));
        }
        all.into_iter()
            .find(|(_, w)| w.name == name_or_id)
            .ok_or_else(|| WalletError::WalletNotFound(name_or_id.to_string()))
    }

    /// Reads and parses one wallet file.
    pub fn read_file(path: &Path) -> Result<WalletFile, WalletError> {
        let text = fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => WalletError::WalletNotFound(path.display().to_string()),
            _ => WalletError::io(format!("read {}", path.display()), e),
        })?;
        serde_json::from_str(&text).map_err(|e| {
            WalletError::invalid("wallet_file", "json", format!("malformed wallet file: {e}"))
        })
    }

    /// Writes `wallets/<id>.json` atomically (0600 temp file, fsync, rename).
    pub fn write_wallet(&self, wallet: &WalletFile) -> Result<PathBuf, WalletError> {
        self.ensure_dirs()?;
        let json = serde_json::to_string_pretty(wallet).expect("wallet file serializes");
        let path = self.wallets_dir().join(format!("{}.json", wallet.id));
        write_atomic(&path, json.as_bytes())?;
        Ok(path)
    }

    /// Appends one line to `logs/audit.jsonl` (0600).
    pub fn audit(&self, entry: &AuditEntry) -> Result<(), WalletError> {
        Self::ensure_dir(&self.root.join("logs"))?;
        let path = self.audit_log_path();
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| WalletError::io(format!("open {}", path.display()), e))?;
        let line = serde_json::to_string(entry).expect("audit entry serializes");
        writeln!(f, "{line}")
            .map_err(|e| WalletError::io(format!("write {}", path.display()), e))?;
        set_mode(&path, 0o600)
    }

    pub(crate) fn log(
        &self,
        wallet_id: &str,
        operation: &str,
        details: Option<String>,
    ) -> Result<(), WalletError> {
        self.audit(&AuditEntry {
            timestamp: now_rfc3339(),
            wallet_id: wallet_id.to_string(),
            operation: operation.to_string(),
            chain_id: None,
            address: None,
            details,
        })
    }
}

/// Writes `bytes` to `path` through a 0600 temp file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WalletError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        uuid::Uuid::new_v4().simple()
    ));
    let res = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(WalletError::io(format!("write {}", path.display()), e));
    }
    set_mode(path, 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lookup answering `pairs` only.
    fn lookup(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let pairs = pairs.to_vec();
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_vault_of_an_environment_lookup() {
        let env = lookup(&[("HOME", "/home/op"), (OWS_VAULT_PATH_ENV, "/srv/ows")]);
        assert_eq!(Vault::default_path(&env), PathBuf::from("/srv/ows"));
        let env = lookup(&[("HOME", "/home/op"), (OWS_VAULT_PATH_ENV, "")]);
        assert_eq!(Vault::default_path(&env), PathBuf::from("/home/op/.ows"));
        assert_eq!(Vault::default_path(&lookup(&[])), PathBuf::from("./.ows"));
        let v = Vault::resolve(&lookup(&[(OWS_VAULT_PATH_ENV, "/srv/ows")]));
        assert_eq!(v.root(), Path::new("/srv/ows"));
        assert_eq!(v.env_passphrase(), None);
    }

    #[test]
    fn passphrase_argument_then_environment_then_missing() {
        let v = Vault::resolve(&lookup(&[(OWS_PASSPHRASE_ENV, "from-env")]));
        assert_eq!(v.passphrase(Some("arg")).unwrap().as_str(), "arg");
        assert_eq!(v.passphrase(None).unwrap().as_str(), "from-env");
        let shown = format!("{v:?}");
        assert!(
            !shown.contains("from-env") && shown.contains("redacted"),
            "{shown}"
        );
        // an empty OWS_PASSPHRASE is unset; an explicit vault has none
        let empty = Vault::resolve(&lookup(&[(OWS_PASSPHRASE_ENV, "")]));
        assert!(matches!(
            empty.passphrase(None),
            Err(WalletError::PassphraseMissing)
        ));
        assert!(matches!(
            Vault::at("/x").passphrase(None),
            Err(WalletError::PassphraseMissing)
        ));
    }
}
