//! `--state FILE`: the whole chain (accounts, storage, blocks, transactions, receipts, clock
//! offset) as one JSON document, written atomically.

use crate::chain::{BlockRecord, Chain, ChainConfig, ReceiptData, TxRecord};
use crate::error::DevnetError;
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

const FORMAT_VERSION: u32 = 1;

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

fn err(path: &Path, reason: impl ToString) -> DevnetError {
    DevnetError::State {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Writes the chain to `path` (temporary file + rename, so a crash never leaves half a file).
pub fn save(chain: &Chain, deployment: &Deployment, path: &Path) -> Result<(), DevnetError> {
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
    let json = serde_json::to_vec(&file).map_err(|e| err(path, e))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, json).map_err(|e| err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))?;
    Ok(())
}

/// Reads a chain written by [`save`].
pub fn load(
    path: &Path,
    config: ChainConfig,
    instant: bool,
) -> Result<(Chain, Deployment), DevnetError> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    let file: StateFile = serde_json::from_slice(&bytes)
        .map_err(|e| err(path, format!("not a devnet state file: {e}")))?;
    if file.version != FORMAT_VERSION {
        return Err(err(
            path,
            format!(
                "format version {} is not supported (expected {FORMAT_VERSION})",
                file.version
            ),
        ));
    }
    if file.chain_id != config.chain_id {
        return Err(err(
            path,
            format!(
                "saved for chain id {}, this devnet is {}",
                file.chain_id, config.chain_id
            ),
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
                .map_err(|e| err(path, e))?;
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
            .map_err(|e| err(path, format!("bad transaction: {e}")))?;
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
        return Err(err(path, "no blocks"));
    }
    Ok((
        Chain::from_parts(config, instant, db, blocks, txs, file.time_offset),
        file.deployment,
    ))
}

fn bytes_empty(b: &Bytes) -> bool {
    b.is_empty()
}
