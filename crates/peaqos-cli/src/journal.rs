//! `./peaqos.log`: a JSONL journal (mode 0600) of every transaction `activate` sends, written
//! BEFORE the transaction is broadcast, so a re-run can reconcile it instead of sending again.

use crate::CliError;
use alloy::primitives::{Address, B256};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// RFC 3339 UTC time.
    pub time: String,
    /// Activation step (`register`, `mint`, `did`, `fund`, ...).
    pub step: String,
    /// The machine being activated.
    pub machine: Address,
    /// Transaction hash.
    pub tx_hash: B256,
    /// `sent` (signed, about to be broadcast / waiting), `confirmed`, `reverted` or `dropped`.
    pub status: String,
}

/// The journal file.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// A journal at `path` (created on first append).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (file created 0600, flushed to disk before returning).
    pub fn append(
        &self,
        step: &str,
        machine: Address,
        tx_hash: B256,
        status: &str,
    ) -> Result<(), CliError> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let entry = Entry {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            step: step.into(),
            machine,
            tx_hash,
            status: status.into(),
        };
        let line = serde_json::to_string(&entry).expect("entry serializes");
        let io = |e: std::io::Error| {
            CliError::config(format!("cannot write {}: {e}", self.path.display()))
        };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(io)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
        writeln!(f, "{line}").map_err(io)?;
        f.sync_data().map_err(io)?;
        Ok(())
    }

    /// Every readable line (unparseable lines are skipped).
    pub fn entries(&self) -> Vec<Entry> {
        std::fs::read_to_string(&self.path)
            .map(|t| parse(&t))
            .unwrap_or_default()
    }

    /// Transactions of `machine` whose last record is `sent` (no outcome recorded), oldest first.
    pub fn unresolved(&self, machine: Address) -> Vec<Entry> {
        unresolved(&self.entries(), machine)
    }
}

/// Parses JSONL text.
pub fn parse(text: &str) -> Vec<Entry> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Entry>(l).ok())
        .collect()
}

/// The entries of `machine` still `sent` after every later line, in first-seen order.
pub fn unresolved(entries: &[Entry], machine: Address) -> Vec<Entry> {
    let mut last: HashMap<B256, &Entry> = HashMap::new();
    let mut order: Vec<B256> = Vec::new();
    for e in entries.iter().filter(|e| e.machine == machine) {
        if last.insert(e.tx_hash, e).is_none() {
            order.push(e.tx_hash);
        }
    }
    order
        .into_iter()
        .filter_map(|h| {
            last.get(&h)
                .filter(|e| e.status == "sent")
                .map(|e| (*e).clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_outcomes_resolve_a_sent_hash() {
        let m = Address::repeat_byte(1);
        let other = Address::repeat_byte(2);
        let e = |h: u8, s: &str, who: Address| Entry {
            time: "t".into(),
            step: "register".into(),
            machine: who,
            tx_hash: B256::repeat_byte(h),
            status: s.into(),
        };
        let all = vec![
            e(1, "sent", m),
            e(2, "sent", m),
            e(1, "confirmed", m),
            e(3, "sent", other),
        ];
        let u = unresolved(&all, m);
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].tx_hash, B256::repeat_byte(2));
    }

    #[test]
    fn the_file_is_private_and_round_trips() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path().join("peaqos.log"));
        let m = Address::repeat_byte(7);
        j.append("mint", m, B256::repeat_byte(9), "sent").unwrap();
        assert_eq!(
            std::fs::metadata(j.path()).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(j.unresolved(m)[0].step, "mint");
        j.append("mint", m, B256::repeat_byte(9), "confirmed")
            .unwrap();
        assert!(j.unresolved(m).is_empty());
    }
}
