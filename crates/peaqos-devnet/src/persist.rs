//! `--state FILE`: the whole chain (accounts, storage, blocks, transactions, receipts, clock
//! offset) as one JSON document, written atomically.

use crate::chain::{BlockRecord, Chain, ChainConfig, ReceiptData, TxRecord};
use crate::error::{DevnetError, StateProblem};
use alloy::consensus::{Header, TxEnvelope};
use alloy::eips::eip2718::Decodable2718;
use alloy::primitives::{Address, B256, Bytes, U256};
use peaqos_contracts::Deployment;
use revm::bytecode::Bytecode;
use revm::database::{CacheDB, EmptyDB};
use revm::state::AccountInfo;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Layout of the state file. 2: the contracts with peaq's published ABIs (events stored on chain,
/// WPEAQ staking). A file of version 1 holds contracts with other ABIs and storage layouts, which
/// nothing here can read any more: it is refused with that reason, never reset.
const FORMAT_VERSION: u32 = 2;

/// Just the version, read before the rest so that an older layout is refused by its version.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

fn version_error(found: u32) -> String {
    if found == 1 {
        "format version 1 was written by an earlier peaqOS whose contracts had other ABIs \
         (before peaq's published surfaces); this devnet cannot serve it. Start from a fresh \
         genesis: move the file away or pass another --state path"
            .to_string()
    } else {
        format!(
            "format version {found} is not supported (this devnet reads version {FORMAT_VERSION})"
        )
    }
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    chain_id: u64,
    time_offset: i64,
    deployment: Deployment,
    accounts: Vec<AccountEntry>,
    blocks: Vec<BlockEntry>,
    transactions: Vec<TxEntry>,
}

#[derive(Serialize, Deserialize)]
struct AccountEntry {
    address: Address,
    balance: U256,
    nonce: u64,
    #[serde(default, skip_serializing_if = "bytes_empty")]
    code: Bytes,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    storage: BTreeMap<U256, U256>,
}

#[derive(Serialize, Deserialize)]
struct BlockEntry {
    header: Header,
    transactions: Vec<B256>,
}

#[derive(Serialize, Deserialize)]
struct TxEntry {
    raw: Bytes,
    sender: Address,
    block_number: u64,
    index: u64,
    receipt: ReceiptData,
}

fn err(path: &Path, problem: impl Into<StateProblem>) -> DevnetError {
    DevnetError::State {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// Writes the chain to `path` (temporary file + rename, so a crash never leaves half a file).
pub(crate) fn save(chain: &Chain, deployment: &Deployment, path: &Path) -> Result<(), DevnetError> {
    let mut accounts: Vec<AccountEntry> = chain
        .db()
        .cache
        .accounts
        .iter()
        .filter_map(|(address, acc)| {
            let info = acc.info()?;
            let code = match &info.code {
                Some(c) => c.original_bytes(),
                None => chain.code(*address),
            };
            let storage = acc
                .storage
                .iter()
                .filter(|(_, v)| !v.is_zero())
                .map(|(k, v)| (*k, *v))
                .collect();
            Some(AccountEntry {
                address: *address,
                balance: info.balance,
                nonce: info.nonce,
                code,
                storage,
            })
        })
        .collect();
    accounts.sort_by_key(|a| a.address);
    let blocks = chain
        .blocks()
        .iter()
        .map(|b| BlockEntry {
            header: b.header.clone(),
            transactions: b.transactions.clone(),
        })
        .collect();
    let transactions = chain
        .encoded_transactions()
        .into_iter()
        .filter_map(|(hash, raw)| {
            let t = chain.transaction(&hash)?;
            Some(TxEntry {
                raw: raw.into(),
                sender: t.sender,
                block_number: t.block_number,
                index: t.index,
                receipt: t.receipt.clone(),
            })
        })
        .collect();
    let file = StateFile {
        version: FORMAT_VERSION,
        chain_id: chain.config().chain_id,
        time_offset: chain.time_offset(),
        deployment: *deployment,
        accounts,
        blocks,
        transactions,
    };
    let json = serde_json::to_vec(&file)
        .map_err(|e| err(path, StateProblem::Io(std::io::Error::other(e))))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, json).map_err(|e| err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))?;
    Ok(())
}

/// Reads a chain written by [`save`].
pub(crate) fn load(
    path: &Path,
    config: ChainConfig,
    instant: bool,
) -> Result<(Chain, Deployment), DevnetError> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    let VersionOnly { version } =
        serde_json::from_slice(&bytes).map_err(|e| err(path, StateProblem::NotAStateFile(e)))?;
    if version != FORMAT_VERSION {
        return Err(err(path, StateProblem::Version(version_error(version))));
    }
    let file: StateFile =
        serde_json::from_slice(&bytes).map_err(|e| err(path, StateProblem::NotAStateFile(e)))?;
    if file.chain_id != config.chain_id {
        return Err(err(
            path,
            StateProblem::ChainId {
                file: file.chain_id,
                devnet: config.chain_id,
            },
        ));
    }
    let mut db = CacheDB::new(EmptyDB::default());
    for a in file.accounts {
        let mut info = AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            ..Default::default()
        };
        if !a.code.is_empty() {
            info = info.with_code(Bytecode::new_raw(a.code));
        }
        db.insert_account_info(a.address, info);
        for (k, v) in a.storage {
            db.insert_account_storage(a.address, k, v)
                .map_err(|e| err(path, StateProblem::Corrupt(e.to_string())))?;
        }
    }
    let blocks: Vec<BlockRecord> = file
        .blocks
        .into_iter()
        .map(|b| BlockRecord {
            hash: b.header.hash_slow(),
            header: b.header,
            transactions: b.transactions,
        })
        .collect();
    let mut txs = HashMap::new();
    for t in file.transactions {
        let envelope = TxEnvelope::decode_2718(&mut t.raw.as_ref())
            .map_err(|e| err(path, StateProblem::Corrupt(format!("bad transaction: {e}"))))?;
        txs.insert(
            *envelope.tx_hash(),
            TxRecord {
                envelope,
                sender: t.sender,
                block_number: t.block_number,
                index: t.index,
                receipt: t.receipt,
            },
        );
    }
    if blocks.is_empty() {
        return Err(err(path, StateProblem::Corrupt("no blocks".into())));
    }
    Ok((
        Chain::from_parts(config, instant, db, blocks, txs, file.time_offset),
        file.deployment,
    ))
}

fn bytes_empty(b: &Bytes) -> bool {
    b.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<(Chain, Deployment), DevnetError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chain.json");
        std::fs::write(&path, text).expect("write");
        load(&path, ChainConfig::default(), true)
    }

    #[test]
    fn a_state_file_of_the_old_layout_is_refused_with_the_reason() {
        // Only the version matters: the rest of an old file need not parse.
        let Err(DevnetError::State { problem, .. }) =
            load_text(r#"{"version":1,"chain_id":31337,"accounts":"old"}"#)
        else {
            panic!("an old state file must be refused");
        };
        let reason = problem.to_string();
        assert!(reason.contains("format version 1"), "{reason}");
        assert!(reason.contains("other ABIs"), "{reason}");
        assert!(reason.contains("fresh"), "{reason}");
    }

    #[test]
    fn unknown_versions_and_non_state_files_are_refused() {
        let Err(DevnetError::State { problem, .. }) = load_text(r#"{"version":99}"#) else {
            panic!("version 99 must be refused");
        };
        let reason = problem.to_string();
        assert!(reason.contains("version 99"), "{reason}");
        let Err(DevnetError::State { problem, .. }) = load_text("[1,2,3]") else {
            panic!("a JSON array is not a state file");
        };
        let reason = problem.to_string();
        assert!(reason.contains("not a devnet state file"), "{reason}");
    }
}
