//! Ethereum JSON-RPC over HTTP (single requests and batches).

use crate::chain::{CallRequest, Chain, Outcome, TxRecord};
use crate::error::DevnetError;
use crate::node::Node;
use alloy::consensus::{
    Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction as _, transaction::Recovered,
};
use alloy::primitives::{Address, B256, Bloom, Bytes, U64, U256};
use alloy::rpc::types::{
    Block, BlockTransactions, Header as RpcHeader, Log as RpcLog, Transaction, TransactionReceipt,
};
use serde_json::{Value, json};

/// A JSON-RPC error object.
#[derive(Debug)]
pub struct RpcError {
    code: i64,
    message: String,
    data: Option<Value>,
}

impl RpcError {
    /// The JSON-RPC error code.
    pub fn code(&self) -> i64 {
        self.code
    }

    /// The error message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error data (revert data for code 3).
    pub fn data(&self) -> Option<&Value> {
        self.data.as_ref()
    }
}

impl From<DevnetError> for RpcError {
    fn from(e: DevnetError) -> Self {
        Self {
            code: e.rpc_code(),
            message: e.to_string(),
            data: None,
        }
    }
}

fn invalid(msg: impl Into<String>) -> RpcError {
    RpcError {
        code: -32602,
        message: msg.into(),
        data: None,
    }
}

/// The error alloy decodes custom errors from: code 3, "execution reverted...", revert data.
fn reverted(outcome: &Outcome) -> RpcError {
    if let Some(halt) = &outcome.halt {
        return RpcError {
            code: -32000,
            message: format!("execution halted: {halt}"),
            data: None,
        };
    }
    let reason = alloy::sol_types::decode_revert_reason(&outcome.output);
    let message = match reason {
        Some(r)
            if !outcome.output.is_empty()
                && outcome.output.starts_with(&[0x08, 0xc3, 0x79, 0xa0]) =>
        {
            format!("execution reverted: {r}")
        }
        _ => "execution reverted".to_string(),
    };
    RpcError {
        code: 3,
        message,
        data: Some(json!(outcome.output)),
    }
}

/// Handles one JSON-RPC request object, returning the response object (or `None` for a
/// notification).
pub fn handle_request(node: &Node, req: &Value) -> Option<Value> {
    let id = req.get("id").cloned();
    let Some(method) = req.get("method").and_then(Value::as_str) else {
        return Some(
            json!({"jsonrpc": "2.0", "id": id.unwrap_or(Value::Null), "error": {"code": -32600, "message": "invalid request: no method"}}),
        );
    };
    let params = match req.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        // A notification gets no answer, not even for its invalid params.
        Some(_) => {
            return id.map(|id| {
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "params must be an array"}})
            });
        }
    };
    let result = dispatch(node, method, &params);
    let id = id?;
    Some(match result {
        Ok(v) => json!({"jsonrpc": "2.0", "id": id, "result": v}),
        Err(e) => {
            let mut err = json!({"code": e.code, "message": e.message});
            if let Some(d) = e.data {
                err["data"] = d;
            }
            json!({"jsonrpc": "2.0", "id": id, "error": err})
        }
    })
}

/// Handles a request body: one request or a batch. `None` when there is nothing to answer: a
/// single notification, or a batch of notifications only (JSON-RPC 2.0 sends no response then,
/// not even an empty array).
pub fn handle_body(node: &Node, body: &[u8]) -> Option<Value> {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Some(
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": format!("parse error: {e}")}}),
            );
        }
    };
    match parsed {
        Value::Array(reqs) if reqs.is_empty() => Some(
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "empty batch"}}),
        ),
        Value::Array(reqs) => {
            let answers: Vec<Value> = reqs
                .iter()
                .filter_map(|r| handle_request(node, r))
                .collect();
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        obj => handle_request(node, &obj),
    }
}

fn param<T: serde::de::DeserializeOwned>(
    params: &[Value],
    i: usize,
    what: &str,
) -> Result<T, RpcError> {
    let v = params
        .get(i)
        .ok_or_else(|| invalid(format!("missing parameter {i}: {what}")))?;
    serde_json::from_value(v.clone())
        .map_err(|e| invalid(format!("invalid parameter {i} ({what}): {e}")))
}

fn opt_param<T: serde::de::DeserializeOwned>(
    params: &[Value],
    i: usize,
    what: &str,
) -> Result<Option<T>, RpcError> {
    match params.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => param(params, i, what).map(Some),
    }
}

/// Resolves a block tag or number to a block number.
fn block_number(chain: &Chain, tag: Option<&Value>) -> Result<u64, RpcError> {
    let latest = chain.latest().header.number;
    let Some(tag) = tag else { return Ok(latest) };
    match tag {
        Value::Null => Ok(latest),
        Value::String(s) => match s.as_str() {
            "latest" | "pending" | "safe" | "finalized" => Ok(latest),
            "earliest" => Ok(0),
            hex => {
                let n: U64 = serde_json::from_value(Value::String(hex.to_string()))
                    .map_err(|_| invalid(format!("invalid block tag {hex:?}: expected latest, pending, earliest, safe, finalized or a hex number")))?;
                Ok(n.to())
            }
        },
        Value::Object(o) => {
            if let Some(h) = o.get("blockHash") {
                let hash: B256 = serde_json::from_value(h.clone())
                    .map_err(|e| invalid(format!("invalid blockHash: {e}")))?;
                chain
                    .block_number_of(&hash)
                    .ok_or_else(|| invalid(format!("unknown block hash {hash}")))
            } else if let Some(n) = o.get("blockNumber") {
                block_number(chain, Some(n))
            } else {
                Err(invalid("block object needs blockHash or blockNumber"))
            }
        }
        _ => Err(invalid("invalid block tag")),
    }
}

fn call_request(v: &Value) -> Result<CallRequest, RpcError> {
    let o = v
        .as_object()
        .ok_or_else(|| invalid("call object expected"))?;
    let get = |k: &str| o.get(k).filter(|v| !v.is_null());
    let parse = |k: &str| -> Result<Option<Value>, RpcError> { Ok(get(k).cloned()) };
    let from: Address = match parse("from")? {
        Some(v) => serde_json::from_value(v).map_err(|e| invalid(format!("invalid from: {e}")))?,
        None => Address::ZERO,
    };
    let to: Option<Address> = match parse("to")? {
        Some(v) => {
            Some(serde_json::from_value(v).map_err(|e| invalid(format!("invalid to: {e}")))?)
        }
        None => None,
    };
    let value: U256 = match parse("value")? {
        Some(v) => serde_json::from_value(v).map_err(|e| invalid(format!("invalid value: {e}")))?,
        None => U256::ZERO,
    };
    let data: Bytes = match parse("input")?.or(parse("data")?) {
        Some(v) => serde_json::from_value(v).map_err(|e| invalid(format!("invalid input: {e}")))?,
        None => Bytes::new(),
    };
    let gas: Option<U64> = match parse("gas")? {
        Some(v) => {
            Some(serde_json::from_value(v).map_err(|e| invalid(format!("invalid gas: {e}")))?)
        }
        None => None,
    };
    let access_list: alloy::eips::eip2930::AccessList = match parse("accessList")? {
        Some(v) => {
            serde_json::from_value(v).map_err(|e| invalid(format!("invalid accessList: {e}")))?
        }
        None => Default::default(),
    };
    Ok(CallRequest {
        from,
        to,
        value,
        data,
        gas: gas.map(|g| g.to()),
        access_list: access_list.0,
    })
}

fn rpc_log(chain: &Chain, rec: &TxRecord, i: usize) -> RpcLog {
    let block = chain.block(rec.block_number).expect("mined block exists");
    RpcLog {
        inner: rec.receipt.logs[i].clone(),
        block_hash: Some(block.hash),
        block_number: Some(rec.block_number),
        block_timestamp: Some(block.header.timestamp),
        transaction_hash: Some(*rec.envelope.tx_hash()),
        transaction_index: Some(rec.index),
        log_index: Some(rec.receipt.first_log_index + i as u64),
        removed: false,
    }
}

fn rpc_transaction(chain: &Chain, rec: &TxRecord) -> Transaction {
    let block = chain.block(rec.block_number).expect("mined block exists");
    Transaction {
        inner: Recovered::new_unchecked(rec.envelope.clone(), rec.sender),
        block_hash: Some(block.hash),
        block_number: Some(rec.block_number),
        transaction_index: Some(rec.index),
        effective_gas_price: Some(rec.receipt.effective_gas_price),
        block_timestamp: Some(block.header.timestamp),
    }
}

fn rpc_receipt(chain: &Chain, rec: &TxRecord) -> TransactionReceipt {
    let block = chain.block(rec.block_number).expect("mined block exists");
    let logs: Vec<RpcLog> = (0..rec.receipt.logs.len())
        .map(|i| rpc_log(chain, rec, i))
        .collect();
    let mut bloom = Bloom::default();
    for l in &rec.receipt.logs {
        bloom.accrue_log(l);
    }
    let receipt = ReceiptWithBloom {
        receipt: Receipt {
            status: rec.receipt.success.into(),
            cumulative_gas_used: rec.receipt.cumulative_gas_used,
            logs,
        },
        logs_bloom: bloom,
    };
    TransactionReceipt {
        inner: ReceiptEnvelope::from_typed(rec.envelope.tx_type(), receipt),
        transaction_hash: *rec.envelope.tx_hash(),
        transaction_index: Some(rec.index),
        block_hash: Some(block.hash),
        block_number: Some(rec.block_number),
        gas_used: rec.receipt.gas_used,
        effective_gas_price: rec.receipt.effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: rec.sender,
        to: rec.envelope.to(),
        contract_address: rec.receipt.contract_address,
    }
}

fn rpc_block(chain: &Chain, number: u64, full: bool) -> Option<Value> {
    let b = chain.block(number)?;
    let transactions = if full {
        BlockTransactions::Full(
            b.transactions
                .iter()
                .filter_map(|h| chain.transaction(h))
                .map(|r| rpc_transaction(chain, r))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(b.transactions.clone())
    };
    let block: Block<Transaction> = Block {
        header: RpcHeader {
            hash: b.hash,
            inner: b.header.clone(),
            total_difficulty: Some(U256::ZERO),
            size: Some(U256::from(1_000)),
        },
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    };
    serde_json::to_value(block).ok()
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(|e| DevnetError::Internal(e.to_string()).into())
}

fn topic_matches(filter: &Value, topic: Option<&B256>) -> Result<bool, RpcError> {
    match filter {
        Value::Null => Ok(true),
        Value::String(_) => {
            let want: B256 = serde_json::from_value(filter.clone())
                .map_err(|e| invalid(format!("invalid topic: {e}")))?;
            Ok(topic == Some(&want))
        }
        Value::Array(opts) => {
            if opts.is_empty() {
                return Ok(true);
            }
            for o in opts {
                if o.is_null() || topic_matches(o, topic)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(invalid(
            "topics entries must be null, a topic or an array of topics",
        )),
    }
}

fn get_logs(chain: &Chain, filter: &Value) -> Result<Value, RpcError> {
    let o = filter
        .as_object()
        .ok_or_else(|| invalid("filter object expected"))?;
    let (from, to) = if let Some(h) = o.get("blockHash").filter(|v| !v.is_null()) {
        if o.get("fromBlock").is_some_and(|v| !v.is_null())
            || o.get("toBlock").is_some_and(|v| !v.is_null())
        {
            return Err(invalid(
                "blockHash cannot be combined with fromBlock/toBlock",
            ));
        }
        let n = block_number(chain, Some(&json!({ "blockHash": h })))?;
        (n, n)
    } else {
        let latest = chain.latest().header.number;
        let from = block_number(chain, o.get("fromBlock"))?;
        let to = block_number(chain, o.get("toBlock"))?.min(latest);
        if o.get("fromBlock").is_none_or(|v| v.is_null()) {
            (latest.min(to), to)
        } else {
            (from, to)
        }
    };
    if from > to {
        return Ok(json!([]));
    }
    let max = chain.config().max_log_range;
    if to - from + 1 > max {
        return Err(DevnetError::LimitExceeded(format!(
            "query exceeds max block range {max}: asked for {} blocks ({from}..={to})",
            to - from + 1
        ))
        .into());
    }
    let addresses: Vec<Address> = match o.get("address") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| serde_json::from_value(v.clone()))
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(format!("invalid address: {e}")))?,
        Some(v) => vec![
            serde_json::from_value(v.clone())
                .map_err(|e| invalid(format!("invalid address: {e}")))?,
        ],
    };
    let topics: Vec<Value> = match o.get("topics") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(t)) => t.clone(),
        Some(_) => return Err(invalid("topics must be an array")),
    };
    if topics.len() > 4 {
        return Err(invalid("at most 4 topic positions"));
    }
    let mut out = Vec::new();
    for n in from..=to {
        let Some(block) = chain.block(n) else { break };
        for h in &block.transactions {
            let Some(rec) = chain.transaction(h) else {
                continue;
            };
            for (i, log) in rec.receipt.logs.iter().enumerate() {
                if !addresses.is_empty() && !addresses.contains(&log.address) {
                    continue;
                }
                let mut ok = true;
                for (pos, f) in topics.iter().enumerate() {
                    if !topic_matches(f, log.data.topics().get(pos))? {
                        ok = false;
                        break;
                    }
                }
                if ok {
                    out.push(rpc_log(chain, rec, i));
                }
            }
        }
    }
    to_json(out)
}

fn fee_history(chain: &Chain, params: &[Value]) -> Result<Value, RpcError> {
    let count: U64 = param(params, 0, "blockCount")?;
    let count = count.to::<u64>().clamp(1, 1024);
    let newest = block_number(chain, params.get(1))?;
    let percentiles: Vec<f64> = opt_param(params, 2, "rewardPercentiles")?.unwrap_or_default();
    let oldest = newest.saturating_sub(count - 1);
    let mut base = Vec::new();
    let mut ratio = Vec::new();
    let mut reward = Vec::new();
    for n in oldest..=newest {
        let b = chain
            .block(n)
            .ok_or_else(|| invalid(format!("unknown block {n}")))?;
        base.push(U256::from(b.header.base_fee_per_gas.unwrap_or_default()));
        ratio.push(b.header.gas_used as f64 / b.header.gas_limit as f64);
        let tips: Vec<u128> = b
            .transactions
            .iter()
            .filter_map(|h| chain.transaction(h))
            .map(|t| {
                t.receipt
                    .effective_gas_price
                    .saturating_sub(u128::from(b.header.base_fee_per_gas.unwrap_or_default()))
            })
            .collect();
        let mut sorted = tips.clone();
        sorted.sort_unstable();
        reward.push(
            percentiles
                .iter()
                .map(|p| {
                    if sorted.is_empty() {
                        U256::ZERO
                    } else {
                        let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
                        U256::from(sorted[idx.min(sorted.len() - 1)])
                    }
                })
                .collect::<Vec<_>>(),
        );
    }
    base.push(U256::from(chain.config().base_fee));
    let mut v =
        json!({"oldestBlock": U64::from(oldest), "baseFeePerGas": base, "gasUsedRatio": ratio});
    if !percentiles.is_empty() {
        v["reward"] = to_json(reward)?;
    }
    Ok(v)
}

/// Priority fee the node suggests (1 gwei).
const SUGGESTED_TIP: u64 = 1_000_000_000;

/// Runs one method with its positional parameters (what [`handle_request`] does inside the
/// JSON-RPC framing; public so that other framings can be measured against it).
pub fn dispatch(node: &Node, method: &str, params: &[Value]) -> Result<Value, RpcError> {
    match method {
        "web3_clientVersion" => Ok(json!(format!(
            "peaqos-devnet/{}",
            env!("CARGO_PKG_VERSION")
        ))),
        "net_version" => Ok(json!(node.chain_id().to_string())),
        "net_listening" => Ok(json!(true)),
        "eth_chainId" => Ok(json!(U64::from(node.chain_id()))),
        "eth_syncing" => Ok(json!(false)),
        "eth_accounts" => to_json(node.accounts()),
        "eth_blockNumber" => node.read(|c| Ok(json!(U64::from(c.latest().header.number)))),
        "eth_gasPrice" => node.read(|c| Ok(json!(U256::from(c.config().base_fee + SUGGESTED_TIP)))),
        "eth_maxPriorityFeePerGas" => Ok(json!(U256::from(SUGGESTED_TIP))),
        "eth_feeHistory" => node.read(|c| fee_history(c, params)),
        "eth_getBalance" => {
            let who: Address = param(params, 0, "address")?;
            node.read(|c| {
                let n = block_number(c, params.get(1))?;
                Ok(json!(c.state_at(n)?.balance(who)))
            })
        }
        "eth_getTransactionCount" => {
            let who: Address = param(params, 0, "address")?;
            node.read(|c| {
                let pending = params.get(1).and_then(Value::as_str) == Some("pending");
                if pending {
                    return Ok(json!(U64::from(c.pending_nonce(who))));
                }
                let n = block_number(c, params.get(1))?;
                Ok(json!(U64::from(c.state_at(n)?.nonce(who))))
            })
        }
        "eth_getCode" => {
            let who: Address = param(params, 0, "address")?;
            node.read(|c| {
                let n = block_number(c, params.get(1))?;
                Ok(json!(c.state_at(n)?.code(who)))
            })
        }
        "eth_getStorageAt" => {
            let who: Address = param(params, 0, "address")?;
            let slot: U256 = param(params, 1, "slot")?;
            node.read(|c| {
                let n = block_number(c, params.get(2))?;
                Ok(json!(B256::from(c.state_at(n)?.storage(who, slot))))
            })
        }
        "eth_call" => {
            let req = call_request(
                params
                    .first()
                    .ok_or_else(|| invalid("missing parameter 0: call object"))?,
            )?;
            // Calls change nothing: they run beside other reads, not behind the writer's lock.
            node.read(|c| {
                let n = block_number(c, params.get(1))?;
                let out = c.call_at(&req, n)?;
                if out.success {
                    Ok(json!(out.output))
                } else {
                    Err(reverted(&out))
                }
            })
        }
        "eth_estimateGas" => {
            let req = call_request(
                params
                    .first()
                    .ok_or_else(|| invalid("missing parameter 0: call object"))?,
            )?;
            node.read(|c| match c.estimate_gas(&req)? {
                Ok(gas) => Ok(json!(U64::from(gas))),
                Err(out) => Err(reverted(&out)),
            })
        }
        "eth_sendRawTransaction" => {
            let raw: Bytes = param(params, 0, "signed transaction")?;
            // Decoding and signature recovery need no state: done before taking the lock.
            let (envelope, sender) = crate::chain::decode_signed_transaction(&raw)?;
            node.write(|c| Ok(json!(c.submit_signed(envelope, sender)?)))
        }
        "eth_getTransactionByHash" => {
            let hash: B256 = param(params, 0, "transaction hash")?;
            node.read(|c| {
                if let Some(rec) = c.transaction(&hash) {
                    return to_json(rpc_transaction(c, rec));
                }
                match c.pending_transaction(&hash) {
                    Some(p) => to_json(Transaction {
                        inner: Recovered::new_unchecked(p.envelope.clone(), p.sender),
                        block_hash: None,
                        block_number: None,
                        transaction_index: None,
                        effective_gas_price: None,
                        block_timestamp: None,
                    }),
                    None => Ok(Value::Null),
                }
            })
        }
        "eth_getTransactionReceipt" => {
            let hash: B256 = param(params, 0, "transaction hash")?;
            node.read(|c| match c.transaction(&hash) {
                Some(rec) => to_json(rpc_receipt(c, rec)),
                None => Ok(Value::Null),
            })
        }
        "eth_getBlockByNumber" => {
            let full: bool = opt_param(params, 1, "full transactions")?.unwrap_or(false);
            node.read(|c| {
                let n = block_number(c, params.first())?;
                Ok(rpc_block(c, n, full).unwrap_or(Value::Null))
            })
        }
        "eth_getBlockByHash" => {
            let hash: B256 = param(params, 0, "block hash")?;
            let full: bool = opt_param(params, 1, "full transactions")?.unwrap_or(false);
            node.read(|c| {
                Ok(c.block_number_of(&hash)
                    .and_then(|n| rpc_block(c, n, full))
                    .unwrap_or(Value::Null))
            })
        }
        "eth_getBlockTransactionCountByNumber" => node.read(|c| {
            let n = block_number(c, params.first())?;
            Ok(c.block(n)
                .map(|b| json!(U64::from(b.transactions.len() as u64)))
                .unwrap_or(Value::Null))
        }),
        "eth_getLogs" => {
            let filter = params
                .first()
                .ok_or_else(|| invalid("missing parameter 0: filter"))?;
            node.read(|c| get_logs(c, filter))
        }
        "evm_mine" => node.write(|c| {
            if let Some(ts) = opt_param::<U64>(params, 0, "timestamp")? {
                c.set_next_timestamp(ts.to())?;
            }
            c.mine_pending();
            Ok(json!("0x0"))
        }),
        "evm_increaseTime" => {
            let secs: Value = param(params, 0, "seconds")?;
            let secs: i64 = match &secs {
                Value::Number(n) => n
                    .as_i64()
                    .ok_or_else(|| invalid("seconds must be an integer"))?,
                Value::String(_) => serde_json::from_value::<U64>(secs)
                    .map_err(|e| invalid(format!("invalid seconds: {e}")))?
                    .to::<u64>() as i64,
                _ => return Err(invalid("seconds must be a number or hex string")),
            };
            if secs < 0 {
                return Err(invalid("seconds must not be negative"));
            }
            node.write(|c| Ok(json!(c.increase_time(secs))))
        }
        "evm_setNextBlockTimestamp" => {
            let v: Value = param(params, 0, "timestamp")?;
            let ts: u64 = match &v {
                Value::Number(n) => n
                    .as_u64()
                    .ok_or_else(|| invalid("timestamp must be a positive integer"))?,
                Value::String(_) => serde_json::from_value::<U64>(v)
                    .map_err(|e| invalid(format!("invalid timestamp: {e}")))?
                    .to(),
                _ => return Err(invalid("timestamp must be a number or hex string")),
            };
            node.write(|c| {
                c.set_next_timestamp(ts)?;
                Ok(Value::Null)
            })
        }
        "evm_snapshot" => Ok(json!(U64::from(node.snapshot()))),
        "evm_revert" => {
            let id: U64 = param(params, 0, "snapshot id")?;
            Ok(json!(node.revert(id.to())))
        }
        "anvil_setBalance" | "hardhat_setBalance" | "peaqos_setBalance" => {
            let who: Address = param(params, 0, "address")?;
            let amount: U256 = param(params, 1, "balance")?;
            node.write(|c| {
                c.set_balance(who, amount);
                Ok(Value::Null)
            })
        }
        "peaqos_saveState" => node.save().map(|p| json!(p)).map_err(Into::into),
        "peaqos_deployment" => to_json(node.deployment()),
        _ => Err(RpcError {
            code: -32601,
            message: format!("method not found: {method}"),
            data: None,
        }),
    }
}

#[cfg(test)]
mod notification_tests {
    use super::*;

    fn node() -> Node {
        crate::build_node(&crate::DevnetConfig::ephemeral()).expect("devnet")
    }

    #[test]
    fn a_single_notification_gets_no_answer() {
        let node = node();
        let out = handle_body(
            &node,
            br#"{"jsonrpc":"2.0","method":"eth_chainId","params":[]}"#,
        );
        assert_eq!(out, None);
    }

    #[test]
    fn a_batch_of_notifications_gets_no_answer_and_a_mixed_batch_answers_the_calls_only() {
        let node = node();
        let only = br#"[{"jsonrpc":"2.0","method":"eth_chainId"},{"jsonrpc":"2.0","method":"net_version"}]"#;
        assert_eq!(handle_body(&node, only), None);
        let mixed = br#"[{"jsonrpc":"2.0","method":"eth_chainId"},{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}]"#;
        let Some(Value::Array(answers)) = handle_body(&node, mixed) else {
            panic!("a batch with a call must be answered with an array");
        };
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0]["id"], json!(7));
        assert_eq!(answers[0]["result"], json!("0x7a69"));
    }

    #[test]
    fn a_call_is_answered() {
        let node = node();
        let out = handle_body(&node, br#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#);
        assert_eq!(out.expect("an answer")["result"], json!("0x7a69"));
    }
}
