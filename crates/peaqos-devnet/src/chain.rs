//! Chain state: accounts (revm's in-memory database), blocks, transactions, receipts, the
//! transaction pool and block production. Everything here is synchronous; the RPC layer holds it
//! behind a mutex.

use crate::error::{DevnetError, TxRejected, Unsupported};
use crate::history::{StateAt, StateHistory};
use crate::precompiles::{PeaqPrecompiles, revert_bytes};
use alloy::consensus::{Header, Transaction as _, TxEnvelope, transaction::SignerRecoverable};
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy::primitives::{Address, B64, B256, Bloom, Bytes, Log, TxKind, U256, keccak256};
use alloy::sol_types::{SolCall, SolEvent};
use peaqos_contracts::precompiles::Batch;
use peaqos_types::constants::BATCH_PRECOMPILE_ADDRESS;
use revm::context::{BlockEnv, CfgEnv, Context, Evm, TxEnv};
use revm::context_interface::result::{EVMError, ExecutionResult, Output};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{EthFrame, instructions::EthInstructions};
use revm::interpreter::interpreter::EthInterpreter;
use revm::primitives::hardfork::SpecId;
use revm::state::EvmState;
use revm::{Database, DatabaseCommit, DatabaseRef, ExecuteEvm, MainContext};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

/// The EVM rules of the devnet: Paris ("merge"), the `evmVersion` the contracts target, so
/// bytecode that would not run on a Frontier-based peaq node fails here too.
pub(crate) const SPEC: SpecId = SpecId::MERGE;

/// Fixed chain parameters.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    /// EVM chain id (31337 for the devnet).
    pub chain_id: u64,
    /// Base fee per gas of every block, in wei.
    pub base_fee: u64,
    /// Gas limit of every block.
    pub block_gas_limit: u64,
    /// Block author, receives priority fees.
    pub coinbase: Address,
    /// Widest block range one `eth_getLogs` may ask for.
    pub max_log_range: u64,
    /// peaq's precompiles (DID, Batch, native ERC-20) are present (false for the Base devnet).
    pub peaq_precompiles: bool,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: peaqos_types::constants::DEVNET_CHAIN_ID,
            base_fee: 1_000_000_000,
            block_gas_limit: 60_000_000,
            coinbase: Address::ZERO,
            max_log_range: 10_000,
            peaq_precompiles: true,
        }
    }
}

/// One mined block.
#[derive(Debug, Clone)]
pub struct BlockRecord {
    /// Consensus header.
    pub header: Header,
    /// Hash of the header.
    pub hash: B256,
    /// Transactions in order.
    pub transactions: Vec<B256>,
}

/// Receipt data of one mined transaction.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReceiptData {
    /// Execution succeeded.
    pub success: bool,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// Gas used in the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// Price per gas actually paid.
    pub effective_gas_price: u128,
    /// Logs in emission order.
    pub logs: Vec<Log>,
    /// Address of a created contract.
    pub contract_address: Option<Address>,
    /// Index of this transaction's first log within its block.
    pub first_log_index: u64,
}

/// A mined transaction.
#[derive(Debug, Clone)]
pub struct TxRecord {
    /// Signed transaction.
    pub envelope: TxEnvelope,
    /// Recovered sender.
    pub sender: Address,
    /// Block it is in.
    pub block_number: u64,
    /// Position in the block.
    pub index: u64,
    /// Its receipt.
    pub receipt: ReceiptData,
}

/// A validated transaction waiting for a block.
#[derive(Debug, Clone)]
pub struct PoolTx {
    /// Signed transaction.
    pub envelope: TxEnvelope,
    /// Recovered sender.
    pub sender: Address,
    /// Transaction hash.
    pub hash: B256,
}

/// What executing a call or transaction produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Execution succeeded.
    pub success: bool,
    /// Gas used (what a receipt shows).
    pub gas_used: u64,
    /// Return data, or revert data when `success` is false.
    pub output: Bytes,
    /// Logs (empty on failure).
    pub logs: Vec<Log>,
    /// Created contract address.
    pub created: Option<Address>,
    /// Why execution halted (out of gas, invalid opcode...), when it did.
    pub halt: Option<String>,
}

/// A call as `eth_call` / `eth_estimateGas` describe it.
#[derive(Debug, Clone, Default)]
pub struct CallRequest {
    /// Sender; zero address when absent.
    pub from: Address,
    /// Target; `None` for a creation.
    pub to: Option<Address>,
    /// Value.
    pub value: U256,
    /// Input data.
    pub data: Bytes,
    /// Gas limit; the block gas limit when absent.
    pub gas: Option<u64>,
    /// EIP-2930 access list (charged like a transaction's).
    pub access_list: Vec<alloy::eips::eip2930::AccessListItem>,
}

/// Who calls what with how much: the part of a transaction or call that execution needs.
struct Message {
    caller: Address,
    to: Option<Address>,
    value: U256,
    data: Bytes,
    gas_limit: u64,
}

impl Message {
    fn of(req: &CallRequest, gas_limit: u64) -> Self {
        Self {
            caller: req.from,
            to: req.to,
            value: req.value,
            data: req.data.clone(),
            gas_limit,
        }
    }
}

/// Per-transaction results of a mined block: hash and whether it was included.
pub(crate) type MinedResults = Vec<(B256, Result<(), DevnetError>)>;

/// How execution is driven.
enum Mode<'a> {
    /// A signed transaction: nonce checked and bumped, fees charged.
    Transaction {
        nonce: u64,
        gas_price: u128,
        priority_fee: Option<u128>,
        tx_type: u8,
        access_list: &'a [alloy::eips::eip2930::AccessListItem],
        chain_id: Option<u64>,
    },
    /// A simulation: no nonce check, no fees, no balance check for gas.
    Call {
        access_list: &'a [alloy::eips::eip2930::AccessListItem],
    },
}

/// What executing a message would write (see `Chain::run_message`).
enum Changes {
    /// Nothing (a refused batch).
    None,
    /// One revm run's state.
    Single(EvmState),
    /// A top-level `batchAll` / `batchSome`: each subcall's state, then (for a transaction)
    /// the caller's nonce bump and fee at `gas_price`.
    Batch {
        changes: Vec<EvmState>,
        caller: Address,
        gas_price: Option<u128>,
    },
}

/// The whole chain.
#[derive(Debug, Clone)]
pub struct Chain {
    config: ChainConfig,
    db: CacheDB<EmptyDB>,
    blocks: Vec<BlockRecord>,
    block_index: HashMap<B256, u64>,
    txs: HashMap<B256, TxRecord>,
    pool: Vec<PoolTx>,
    queued: BTreeMap<(Address, u64), PoolTx>,
    time_offset: i64,
    next_timestamp: Option<u64>,
    instant: bool,
    /// Pre-images for state queries at past blocks.
    history: StateHistory,
    /// The oldest block whose state can be served (the load point of a `--state` file).
    history_floor: u64,
}

fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn calldata_cost(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// Decodes an EIP-2718 signed transaction (legacy, EIP-2930 or EIP-1559) and recovers its
/// sender: the stateless, CPU-heavy part of `eth_sendRawTransaction`.
pub(crate) fn decode_signed_transaction(raw: &[u8]) -> Result<(TxEnvelope, Address), DevnetError> {
    let mut buf = raw;
    let envelope = TxEnvelope::decode_2718(&mut buf)
        .map_err(|e| DevnetError::InvalidParams(format!("could not decode transaction: {e}")))?;
    if !buf.is_empty() {
        return Err(DevnetError::InvalidParams(
            "trailing bytes after the transaction".into(),
        ));
    }
    match envelope {
        TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_) => {}
        _ => return Err(TxRejected::UnsupportedType.into()),
    }
    let sender = envelope
        .recover_signer()
        .map_err(|e| TxRejected::InvalidSignature(e.to_string()))?;
    Ok((envelope, sender))
}

impl Chain {
    /// An empty chain with a genesis block at `timestamp` (wall clock when `None`).
    pub fn new(config: ChainConfig, instant: bool, timestamp: Option<u64>) -> Self {
        let mut chain = Self {
            config,
            db: CacheDB::new(EmptyDB::default()),
            blocks: Vec::new(),
            block_index: HashMap::new(),
            txs: HashMap::new(),
            pool: Vec::new(),
            queued: BTreeMap::new(),
            time_offset: 0,
            next_timestamp: None,
            instant,
            history: StateHistory::default(),
            history_floor: 0,
        };
        let header = Header {
            parent_hash: B256::ZERO,
            ommers_hash: alloy::consensus::EMPTY_OMMER_ROOT_HASH,
            beneficiary: chain.config.coinbase,
            number: 0,
            gas_limit: chain.config.block_gas_limit,
            timestamp: timestamp.unwrap_or_else(wall_clock),
            base_fee_per_gas: Some(chain.config.base_fee),
            nonce: B64::ZERO,
            ..Default::default()
        };
        chain.push_block(header, Vec::new());
        chain
    }

    /// Chain parameters.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The account database (for genesis and persistence).
    pub fn db_mut(&mut self) -> &mut CacheDB<EmptyDB> {
        &mut self.db
    }

    /// The account database.
    pub fn db(&self) -> &CacheDB<EmptyDB> {
        &self.db
    }

    fn push_block(&mut self, header: Header, transactions: Vec<B256>) -> u64 {
        let hash = header.hash_slow();
        let number = header.number;
        self.block_index.insert(hash, number);
        self.blocks.push(BlockRecord {
            header,
            hash,
            transactions,
        });
        number
    }

    /// Latest block.
    pub fn latest(&self) -> &BlockRecord {
        self.blocks.last().expect("genesis exists")
    }

    /// Block by number.
    pub fn block(&self, number: u64) -> Option<&BlockRecord> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// Block number of a block hash.
    pub fn block_number_of(&self, hash: &B256) -> Option<u64> {
        self.block_index.get(hash).copied()
    }

    /// Mined transaction by hash.
    pub fn transaction(&self, hash: &B256) -> Option<&TxRecord> {
        self.txs.get(hash)
    }

    /// Pending (not yet mined) transaction by hash.
    pub fn pending_transaction(&self, hash: &B256) -> Option<&PoolTx> {
        self.pool
            .iter()
            .find(|t| t.hash == *hash)
            .or_else(|| self.queued.values().find(|t| t.hash == *hash))
    }

    /// Balance at the latest state.
    pub fn balance(&self, who: Address) -> U256 {
        self.current().balance(who)
    }

    /// Nonce at the latest state.
    pub fn nonce(&self, who: Address) -> u64 {
        self.current().nonce(who)
    }

    /// Next nonce counting transactions waiting in the pool.
    pub fn pending_nonce(&self, who: Address) -> u64 {
        let mut n = self.nonce(who);
        while self
            .pool
            .iter()
            .any(|t| t.sender == who && t.envelope.nonce() == n)
        {
            n += 1;
        }
        n
    }

    /// Deployed code.
    pub fn code(&self, who: Address) -> Bytes {
        self.current().code(who)
    }

    /// Storage word.
    pub fn storage(&self, who: Address, slot: U256) -> U256 {
        self.current().storage(who, slot)
    }

    /// The latest state.
    pub fn current(&self) -> StateAt<'_> {
        StateAt::current(&self.db)
    }

    /// The state at the end of block `n`: the latest state for the latest block, the recorded
    /// past for earlier ones. Errors for blocks beyond the head and before the oldest kept state
    /// (the block a `--state` file was loaded at).
    pub fn state_at(&self, n: u64) -> Result<StateAt<'_>, DevnetError> {
        let latest = self.latest().header.number;
        if n > latest {
            return Err(DevnetError::InvalidParams(format!(
                "block {n} is beyond the latest block {latest}"
            )));
        }
        if n == latest {
            return Ok(self.current());
        }
        if n < self.history_floor {
            return Err(Unsupported::StateNotKept {
                block: n,
                floor: self.history_floor,
            }
            .into());
        }
        Ok(StateAt::past(&self.db, &self.history, n))
    }

    /// Commits `state` to the database, recording the pre-images for `block` first.
    fn commit_state(&mut self, block: u64, state: EvmState) {
        self.history.note_commit(&self.db, block, &state);
        self.db.commit(state);
    }

    /// Writes one account, recording its pre-image for `block` first.
    fn write_account(&mut self, block: u64, who: Address, info: revm::state::AccountInfo) {
        self.history.note_account(&self.db, block, who);
        self.db.insert_account_info(who, info);
    }

    /// Sets a balance directly (the devnet's set-balance call).
    /// The change belongs to the next block (past states do not see it).
    pub fn set_balance(&mut self, who: Address, balance: U256) {
        let mut info = self.db.basic(who).ok().flatten().unwrap_or_default();
        info.balance = balance;
        let next = self.latest().header.number + 1;
        self.write_account(next, who, info);
    }

    /// Seconds added to the wall clock for new blocks.
    pub fn time_offset(&self) -> i64 {
        self.time_offset
    }

    /// Moves the clock forward; returns the total offset.
    pub fn increase_time(&mut self, seconds: i64) -> i64 {
        self.time_offset = self.time_offset.saturating_add(seconds);
        self.time_offset
    }

    /// Fixes the next block's timestamp; later blocks continue from it.
    pub fn set_next_timestamp(&mut self, ts: u64) -> Result<(), DevnetError> {
        let parent = self.latest().header.timestamp;
        if ts < parent {
            return Err(DevnetError::InvalidParams(format!(
                "timestamp {ts} is before the latest block's timestamp {parent}"
            )));
        }
        self.next_timestamp = Some(ts);
        self.time_offset =
            i64::try_from(ts).unwrap_or(i64::MAX) - i64::try_from(wall_clock()).unwrap_or(0);
        Ok(())
    }

    /// Timestamp the next block will get.
    pub fn pending_timestamp(&self) -> u64 {
        if let Some(ts) = self.next_timestamp {
            return ts;
        }
        let now = i64::try_from(wall_clock())
            .unwrap_or(i64::MAX)
            .saturating_add(self.time_offset);
        u64::try_from(now)
            .unwrap_or_default()
            .max(self.latest().header.timestamp)
    }

    fn block_env(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.latest().header.number + 1),
            beneficiary: self.config.coinbase,
            timestamp: U256::from(self.pending_timestamp()),
            gas_limit: self.config.block_gas_limit,
            basefee: self.config.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(B256::ZERO),
            ..Default::default()
        }
    }

    fn cfg(&self, simulate: bool) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = self.config.chain_id;
        cfg.disable_block_gas_limit = true;
        if simulate {
            cfg.disable_nonce_check = true;
            cfg.disable_base_fee = true;
            cfg.disable_balance_check = true;
            cfg.disable_fee_charge = true;
        }
        cfg
    }

    // ----- execution -------------------------------------------------------------------------

    /// Runs one transaction or call through revm against `db`, returning the outcome and the
    /// state it changed (not yet committed).
    fn run_evm<DB: Database>(
        &self,
        db: DB,
        cfg: CfgEnv,
        block: BlockEnv,
        tx: TxEnv,
    ) -> Result<(Outcome, EvmState), DevnetError>
    where
        DB::Error: std::fmt::Display,
    {
        let ctx = Context::mainnet()
            .with_db(db)
            .with_cfg(cfg)
            .with_block(block);
        let mut evm = Evm::<_, (), _, _, EthFrame<EthInterpreter>>::new(
            ctx,
            EthInstructions::new_mainnet_with_spec(SPEC),
            PeaqPrecompiles::with_peaq(SPEC, self.config.peaq_precompiles),
        );
        let res = evm.transact(tx).map_err(|e| match e {
            EVMError::Transaction(
                revm::context_interface::result::InvalidTransaction::LackOfFundForMaxFee {
                    fee,
                    balance,
                },
            ) => TxRejected::InsufficientFunds {
                have: *balance,
                want: *fee,
            }
            .into(),
            EVMError::Transaction(t) => TxRejected::Evm(t.to_string()).into(),
            other => DevnetError::Internal(other.to_string()),
        })?;
        let outcome = match res.result {
            ExecutionResult::Success {
                gas, logs, output, ..
            } => {
                let created = match &output {
                    Output::Create(_, addr) => *addr,
                    Output::Call(_) => None,
                };
                Outcome {
                    success: true,
                    gas_used: gas.tx_gas_used(),
                    output: output.into_data(),
                    logs,
                    created,
                    halt: None,
                }
            }
            ExecutionResult::Revert { gas, output, .. } => Outcome {
                success: false,
                gas_used: gas.tx_gas_used(),
                output,
                logs: Vec::new(),
                created: None,
                halt: None,
            },
            ExecutionResult::Halt { reason, gas, .. } => Outcome {
                success: false,
                gas_used: gas.tx_gas_used(),
                output: Bytes::new(),
                logs: Vec::new(),
                created: None,
                halt: Some(format!("{reason:?}")),
            },
        };
        Ok((outcome, res.state))
    }

    /// Executes `to == Batch` at the top level: every subcall runs with `caller` as
    /// `msg.sender`, as the node does. Returns the outcome and the state changes to commit.
    fn run_batch(
        &self,
        caller: Address,
        gas_limit: u64,
        value: U256,
        input: &[u8],
        block: &BlockEnv,
    ) -> Result<(Outcome, Vec<EvmState>), DevnetError> {
        let intrinsic = 21_000 + calldata_cost(input);
        if gas_limit < intrinsic {
            return Err(TxRejected::IntrinsicGasTooLow {
                have: gas_limit,
                want: intrinsic,
            }
            .into());
        }
        let fail = |gas_used: u64, output: Bytes| Outcome {
            success: false,
            gas_used,
            output,
            logs: Vec::new(),
            created: None,
            halt: None,
        };
        if !value.is_zero() {
            return Ok((
                fail(intrinsic, revert_bytes("Function is not payable")),
                Vec::new(),
            ));
        }
        #[derive(PartialEq)]
        enum Kind {
            All,
            Some,
            UntilFailure,
        }
        let selector: Option<[u8; 4]> = input.get(..4).and_then(|s| s.try_into().ok());
        let args = input.get(4..).unwrap_or_default();
        let (kind, call) = match selector {
            Some(Batch::batchAllCall::SELECTOR) => {
                (Kind::All, Batch::batchAllCall::abi_decode_raw(args).ok())
            }
            Some(Batch::batchSomeCall::SELECTOR) => (
                Kind::Some,
                Batch::batchSomeCall::abi_decode_raw(args)
                    .ok()
                    .map(|c| Batch::batchAllCall {
                        to: c.to,
                        value: c.value,
                        callData: c.callData,
                        gasLimit: c.gasLimit,
                    }),
            ),
            Some(Batch::batchSomeUntilFailureCall::SELECTOR) => (
                Kind::UntilFailure,
                Batch::batchSomeUntilFailureCall::abi_decode_raw(args)
                    .ok()
                    .map(|c| Batch::batchAllCall {
                        to: c.to,
                        value: c.value,
                        callData: c.callData,
                        gasLimit: c.gasLimit,
                    }),
            ),
            _ => {
                return Ok((
                    fail(intrinsic, revert_bytes("Unknown selector")),
                    Vec::new(),
                ));
            }
        };
        let Some(call) = call else {
            return Ok((
                fail(intrinsic, revert_bytes("Malformed batch input")),
                Vec::new(),
            ));
        };
        if call.to.len() > 512 {
            return Ok((
                fail(
                    intrinsic,
                    revert_bytes("Batch is too large: at most 512 subcalls"),
                ),
                Vec::new(),
            ));
        }
        if call.callData.iter().any(|d| d.len() > 65_536) {
            return Ok((
                fail(
                    intrinsic,
                    revert_bytes("Subcall callData is larger than 65536 bytes"),
                ),
                Vec::new(),
            ));
        }
        let original_nonce = self
            .db
            .basic_ref(caller)
            .ok()
            .flatten()
            .map(|a| a.nonce)
            .unwrap_or_default();
        let mut overlay = CacheDB::new(&self.db);
        let mut changes: Vec<EvmState> = Vec::new();
        let mut logs: Vec<Log> = Vec::new();
        let mut remaining = gas_limit - intrinsic;
        let cfg = {
            let mut c = self.cfg(true);
            // Value moved by subcalls still needs the caller's balance.
            c.disable_balance_check = false;
            c
        };
        // The node runs every subcall inside this one transaction, so an account or slot that one
        // subcall touched is warm for the next (EIP-2929). Each subcall runs here as a transaction
        // of its own; the accounts and slots touched so far go in as its access list, and the
        // access list's intrinsic price is taken off again below.
        let mut warm: BTreeMap<Address, std::collections::BTreeSet<B256>> = BTreeMap::new();
        for (i, to) in call.to.iter().enumerate() {
            let value = call.value.get(i).copied().unwrap_or_default();
            let data = call.callData.get(i).cloned().unwrap_or_default();
            let pre = 2_600 + if value.is_zero() { 0 } else { 34_000 };
            const LOG_RESERVE: u64 = 1_006;
            if remaining < pre + LOG_RESERVE {
                return Ok((
                    Outcome {
                        halt: Some("OutOfGas".into()),
                        ..fail(gas_limit, Bytes::new())
                    },
                    Vec::new(),
                ));
            }
            remaining -= pre;
            let available = remaining - LOG_RESERVE;
            let requested = call.gasLimit.get(i).copied().unwrap_or(0);
            let sub_gas = if requested == 0 {
                available
            } else {
                requested.min(available)
            };
            let access_list: Vec<alloy::eips::eip2930::AccessListItem> = warm
                .iter()
                .map(|(address, keys)| alloy::eips::eip2930::AccessListItem {
                    address: *address,
                    storage_keys: keys.iter().copied().collect(),
                })
                .collect();
            let warm_price: u64 = access_list
                .iter()
                .map(|item| 2_400 + 1_900 * item.storage_keys.len() as u64)
                .sum();
            let sub_intrinsic = 21_000 + calldata_cost(&data) + warm_price;
            let tx = TxEnv {
                tx_type: if access_list.is_empty() { 0 } else { 1 },
                access_list: access_list.into(),
                caller,
                gas_limit: sub_gas + sub_intrinsic,
                gas_price: 0,
                kind: TxKind::Call(*to),
                value,
                data,
                nonce: original_nonce,
                chain_id: Some(self.config.chain_id),
                ..Default::default()
            };
            let (outcome, mut state) =
                match self.run_evm(&mut overlay, cfg.clone(), block.clone(), tx) {
                    Ok(r) => r,
                    // e.g. the caller cannot cover the subcall's value
                    Err(DevnetError::InvalidTransaction(_)) => {
                        (fail(sub_intrinsic, Bytes::new()), EvmState::default())
                    }
                    Err(e) => return Err(e),
                };
            let used = outcome.gas_used.saturating_sub(sub_intrinsic);
            remaining = remaining.saturating_sub(used);
            if outcome.success {
                if let Some(acc) = state.get_mut(&caller) {
                    acc.info.nonce = original_nonce;
                }
                for (address, account) in &state {
                    warm.entry(*address)
                        .or_default()
                        .extend(account.storage.keys().map(|k| B256::from(*k)));
                }
                overlay.commit(state.clone());
                changes.push(state);
                logs.extend(outcome.logs);
                logs.push(Log {
                    address: BATCH_PRECOMPILE_ADDRESS,
                    data: Batch::SubcallSucceeded {
                        index: U256::from(i),
                    }
                    .encode_log_data(),
                });
                remaining -= LOG_RESERVE;
            } else {
                match kind {
                    Kind::All => {
                        let mut out = fail(gas_limit - remaining, outcome.output);
                        out.halt = outcome.halt;
                        return Ok((out, Vec::new()));
                    }
                    Kind::Some | Kind::UntilFailure => {
                        logs.push(Log {
                            address: BATCH_PRECOMPILE_ADDRESS,
                            data: Batch::SubcallFailed {
                                index: U256::from(i),
                            }
                            .encode_log_data(),
                        });
                        remaining -= LOG_RESERVE;
                        if kind == Kind::UntilFailure {
                            break;
                        }
                    }
                }
            }
        }
        let outcome = Outcome {
            success: true,
            gas_used: gas_limit - remaining,
            output: Bytes::new(),
            logs,
            created: None,
            halt: None,
        };
        Ok((outcome, changes))
    }

    /// Executes a transaction against the current state and writes its state changes, nonce
    /// bump and fees.
    fn execute(
        &mut self,
        msg: Message,
        mode: Mode<'_>,
        block: &BlockEnv,
    ) -> Result<Outcome, DevnetError> {
        let (outcome, changes) = self.run_message(msg, mode, block)?;
        let number: u64 = block.number.saturating_to();
        match changes {
            Changes::Single(state) => self.commit_state(number, state),
            Changes::Batch {
                changes,
                caller,
                gas_price,
            } => {
                for change in changes {
                    self.commit_state(number, change);
                }
                if let Some(gas_price) = gas_price {
                    let mut info = self.db.basic(caller).ok().flatten().unwrap_or_default();
                    info.nonce += 1;
                    info.balance -= U256::from(outcome.gas_used) * U256::from(gas_price);
                    self.write_account(number, caller, info);
                    let tip = gas_price.saturating_sub(u128::from(block.basefee));
                    if tip > 0 {
                        let coinbase = self.config.coinbase;
                        let mut cb = self.db.basic(coinbase).ok().flatten().unwrap_or_default();
                        cb.balance += U256::from(outcome.gas_used) * U256::from(tip);
                        self.write_account(number, coinbase, cb);
                    }
                }
            }
            Changes::None => {}
        }
        Ok(outcome)
    }

    /// Runs a call (no nonce, fee or balance checks) against the current state; changes
    /// nothing, so it needs only shared access to the chain (`eth_call`, `eth_estimateGas`).
    fn simulate(
        &self,
        msg: Message,
        access_list: &[alloy::eips::eip2930::AccessListItem],
        block: &BlockEnv,
    ) -> Result<Outcome, DevnetError> {
        Ok(self.run_message(msg, Mode::Call { access_list }, block)?.0)
    }

    /// Runs a transaction or call against the current state: its outcome and the changes a
    /// transaction would write (nothing is written here).
    fn run_message(
        &self,
        msg: Message,
        mode: Mode<'_>,
        block: &BlockEnv,
    ) -> Result<(Outcome, Changes), DevnetError> {
        let Message {
            caller,
            to,
            value,
            data,
            gas_limit,
        } = msg;
        if to == Some(BATCH_PRECOMPILE_ADDRESS) && self.config.peaq_precompiles {
            if !self.code(caller).is_empty() {
                let refused = Outcome {
                    success: false,
                    gas_used: 21_000,
                    output: revert_bytes("Function not callable by smart contracts"),
                    logs: Vec::new(),
                    created: None,
                    halt: None,
                };
                return Ok((refused, Changes::None));
            }
            let (gas_price, charge) = match &mode {
                Mode::Transaction {
                    nonce,
                    gas_price,
                    priority_fee,
                    chain_id,
                    ..
                } => {
                    let have = self.nonce(caller);
                    if *nonce != have {
                        return Err(TxRejected::NonceMismatch {
                            tx: *nonce,
                            account: have,
                        }
                        .into());
                    }
                    if let Some(id) = chain_id
                        && *id != self.config.chain_id
                    {
                        return Err(TxRejected::InvalidChainId {
                            tx: *id,
                            chain: self.config.chain_id,
                        }
                        .into());
                    }
                    let base = u128::from(block.basefee);
                    if *gas_price < base {
                        return Err(TxRejected::FeeBelowBaseFee {
                            max_fee: *gas_price,
                            base_fee: base,
                        }
                        .into());
                    }
                    let effective = match priority_fee {
                        Some(tip) => (*gas_price).min(base + tip),
                        None => *gas_price,
                    };
                    let max_cost = U256::from(gas_limit) * U256::from(*gas_price) + value;
                    if self.balance(caller) < max_cost {
                        return Err(TxRejected::InsufficientFunds {
                            have: self.balance(caller),
                            want: max_cost,
                        }
                        .into());
                    }
                    (effective, true)
                }
                Mode::Call { .. } => (0, false),
            };
            let (outcome, changes) = self.run_batch(caller, gas_limit, value, &data, block)?;
            return Ok((
                outcome,
                Changes::Batch {
                    changes,
                    caller,
                    gas_price: charge.then_some(gas_price),
                },
            ));
        }
        let simulate = matches!(mode, Mode::Call { .. });
        let kind = match to {
            Some(a) => TxKind::Call(a),
            None => TxKind::Create,
        };
        let tx = match mode {
            Mode::Transaction {
                nonce,
                gas_price,
                priority_fee,
                tx_type,
                access_list,
                chain_id,
            } => TxEnv {
                tx_type,
                caller,
                gas_limit,
                gas_price,
                kind,
                value,
                data,
                nonce,
                chain_id,
                access_list: access_list.to_vec().into(),
                gas_priority_fee: priority_fee,
                ..Default::default()
            },
            Mode::Call { access_list } => TxEnv {
                tx_type: if access_list.is_empty() { 0 } else { 1 },
                access_list: access_list.to_vec().into(),
                caller,
                gas_limit,
                gas_price: 0,
                kind,
                value,
                data,
                nonce: self.nonce(caller),
                chain_id: Some(self.config.chain_id),
                ..Default::default()
            },
        };
        let (outcome, state) = self.run_evm(
            &mut self.db.clone_view(),
            self.cfg(simulate),
            block.clone(),
            tx,
        )?;
        Ok((outcome, Changes::Single(state)))
    }

    /// `eth_call`: runs against the pending block without changing anything.
    pub fn call(&self, req: &CallRequest) -> Result<Outcome, DevnetError> {
        let block = self.block_env();
        let gas = req
            .gas
            .unwrap_or(self.config.block_gas_limit)
            .min(self.config.block_gas_limit);
        self.simulate(Message::of(req, gas), &req.access_list, &block)
    }

    /// `eth_call` at block `n`: the latest block runs like [`Chain::call`]; an earlier block runs
    /// against the state at its end with its number and time. `batchAll` is simulated at the
    /// latest state only (its subcalls run outside revm's precompile interface).
    pub fn call_at(&self, req: &CallRequest, n: u64) -> Result<Outcome, DevnetError> {
        let state = self.state_at(n)?;
        if n == self.latest().header.number {
            return self.call(req);
        }
        if req.to == Some(BATCH_PRECOMPILE_ADDRESS) && self.config.peaq_precompiles {
            return Err(Unsupported::BatchAtPastBlock.into());
        }
        let header = &self.block(n).expect("state_at checked the block").header;
        let block = BlockEnv {
            number: U256::from(n),
            timestamp: U256::from(header.timestamp),
            ..self.block_env()
        };
        let gas = req
            .gas
            .unwrap_or(self.config.block_gas_limit)
            .min(self.config.block_gas_limit);
        let msg = Message::of(req, gas);
        let tx = TxEnv {
            tx_type: if req.access_list.is_empty() { 0 } else { 1 },
            access_list: req.access_list.clone().into(),
            caller: msg.caller,
            gas_limit: msg.gas_limit,
            gas_price: 0,
            kind: msg.to.map_or(TxKind::Create, TxKind::Call),
            value: msg.value,
            data: msg.data,
            nonce: state.nonce(msg.caller),
            chain_id: Some(self.config.chain_id),
            ..Default::default()
        };
        let (outcome, _) = self.run_evm(CacheDB::new(state), self.cfg(true), block, tx)?;
        Ok(outcome)
    }

    /// `eth_estimateGas`: the lowest gas limit with which the call succeeds. A call that fails
    /// even with the block gas limit returns its failing outcome as the error.
    pub fn estimate_gas(&self, req: &CallRequest) -> Result<Result<u64, Outcome>, DevnetError> {
        let block = self.block_env();
        let cap = req
            .gas
            .unwrap_or(self.config.block_gas_limit)
            .min(self.config.block_gas_limit);
        let first = self.simulate(Message::of(req, cap), &req.access_list, &block)?;
        if !first.success {
            return Ok(Err(first));
        }
        let passes = |chain: &Self, gas: u64| -> Result<bool, DevnetError> {
            match chain.simulate(Message::of(req, gas), &req.access_list, &block) {
                Ok(o) => Ok(o.success),
                Err(DevnetError::InvalidTransaction(_)) => Ok(false),
                Err(e) => Err(e),
            }
        };
        let mut lo = first.gas_used.saturating_sub(1);
        // Most calls pass with 64/63 of what they used (the call-stipend rule); try that first.
        let mut hi = (first.gas_used.saturating_mul(64) / 63 + 2_300).min(cap);
        if !passes(self, hi)? {
            lo = hi;
            hi = cap;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if passes(self, mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Ok(hi))
    }

    // ----- transactions and blocks ---------------------------------------------------------

    /// Accepts a signed transaction (EIP-2718 bytes). With instant mining it is mined at once
    /// (with any queued transactions of the same sender that it unblocks); otherwise it waits
    /// in the pool for the next block.
    pub fn send_raw_transaction(&mut self, raw: &[u8]) -> Result<B256, DevnetError> {
        let (envelope, sender) = decode_signed_transaction(raw)?;
        self.submit_signed(envelope, sender)
    }

    /// Accepts a transaction already decoded and recovered by [`decode_signed_transaction`]
    /// (which needs no chain state, so callers run it before taking the chain's lock).
    pub fn submit_signed(
        &mut self,
        envelope: TxEnvelope,
        sender: Address,
    ) -> Result<B256, DevnetError> {
        let hash = *envelope.tx_hash();
        if self.txs.contains_key(&hash) || self.pending_transaction(&hash).is_some() {
            return Err(TxRejected::AlreadyKnown.into());
        }
        if let Some(id) = envelope.chain_id()
            && id != self.config.chain_id
        {
            return Err(TxRejected::InvalidChainId {
                tx: id,
                chain: self.config.chain_id,
            }
            .into());
        }
        if envelope.gas_limit() > self.config.block_gas_limit {
            return Err(TxRejected::ExceedsBlockGasLimit.into());
        }
        if envelope.max_fee_per_gas() < u128::from(self.config.base_fee) {
            return Err(TxRejected::FeeBelowBaseFee {
                max_fee: envelope.max_fee_per_gas(),
                base_fee: u128::from(self.config.base_fee),
            }
            .into());
        }
        let nonce = envelope.nonce();
        let current = self.nonce(sender);
        if nonce < current {
            return Err(TxRejected::NonceTooLow {
                next: current,
                tx: nonce,
            }
            .into());
        }
        let expected = self.pending_nonce(sender);
        let tx = PoolTx {
            envelope,
            sender,
            hash,
        };
        if nonce > expected {
            if self.queued.contains_key(&(sender, nonce)) {
                return Err(TxRejected::ReplacementUnderpriced.into());
            }
            self.queued.insert((sender, nonce), tx);
            return Ok(hash);
        }
        if self.instant {
            self.mine_one(tx)?;
            self.promote_queued(sender, true)?;
        } else {
            self.pool.push(tx);
            self.promote_queued(sender, false)?;
        }
        Ok(hash)
    }

    fn mine_one(&mut self, tx: PoolTx) -> Result<(), DevnetError> {
        let (_, mut results) = self.mine_block(vec![tx]);
        match results.pop() {
            Some((_, Err(e))) => Err(e),
            _ => Ok(()),
        }
    }

    fn promote_queued(&mut self, sender: Address, instant: bool) -> Result<(), DevnetError> {
        loop {
            let next = self.pending_nonce(sender);
            let Some(tx) = self.queued.remove(&(sender, next)) else {
                return Ok(());
            };
            if instant {
                if let Err(e) = self.mine_one(tx) {
                    tracing::warn!(%sender, "queued transaction dropped: {e}");
                    return Ok(());
                }
            } else {
                self.pool.push(tx);
            }
        }
    }

    /// Mines one block with everything in the pool (`evm_mine`, and the block-time miner).
    pub fn mine_pending(&mut self) -> u64 {
        let txs = std::mem::take(&mut self.pool);
        let (number, results) = self.mine_block(txs);
        for (hash, r) in results {
            if let Err(e) = r {
                tracing::warn!(%hash, "transaction dropped: {e}");
            }
        }
        number
    }

    /// Mines a block containing `txs` (invalid ones are dropped and reported).
    pub fn mine_block(&mut self, txs: Vec<PoolTx>) -> (u64, MinedResults) {
        let block = self.block_env();
        let number = self.latest().header.number + 1;
        let mut results = Vec::with_capacity(txs.len());
        let mut included = Vec::with_capacity(txs.len());
        let mut cumulative = 0u64;
        let mut log_index = 0u64;
        let mut bloom = Bloom::default();
        let mut leftover = Vec::new();
        // A sender whose transaction waits for the next block waits with all its later ones:
        // its next nonce must not run ahead of it (and fail on the nonce).
        let mut deferred: HashSet<Address> = HashSet::new();
        for tx in txs {
            if deferred.contains(&tx.sender)
                || cumulative + tx.envelope.gas_limit() > self.config.block_gas_limit
            {
                deferred.insert(tx.sender);
                leftover.push(tx);
                continue;
            }
            let env = &tx.envelope;
            let access_list = env.access_list().map(|a| a.0.clone()).unwrap_or_default();
            let mode = Mode::Transaction {
                nonce: env.nonce(),
                gas_price: env.max_fee_per_gas(),
                priority_fee: env.max_priority_fee_per_gas(),
                tx_type: env.tx_type() as u8,
                access_list: &access_list,
                chain_id: env.chain_id(),
            };
            let msg = Message {
                caller: tx.sender,
                to: env.to(),
                value: env.value(),
                data: env.input().clone(),
                gas_limit: env.gas_limit(),
            };
            let res = self.execute(msg, mode, &block);
            match res {
                Ok(outcome) => {
                    cumulative += outcome.gas_used;
                    for l in &outcome.logs {
                        bloom.accrue_log(l);
                    }
                    let effective_gas_price = env.effective_gas_price(Some(block.basefee));
                    let n_logs = outcome.logs.len() as u64;
                    let receipt = ReceiptData {
                        success: outcome.success,
                        gas_used: outcome.gas_used,
                        cumulative_gas_used: cumulative,
                        effective_gas_price,
                        logs: outcome.logs,
                        contract_address: outcome.created,
                        first_log_index: log_index,
                    };
                    log_index += n_logs;
                    let index = included.len() as u64;
                    included.push(tx.hash);
                    self.txs.insert(
                        tx.hash,
                        TxRecord {
                            envelope: tx.envelope,
                            sender: tx.sender,
                            block_number: number,
                            index,
                            receipt,
                        },
                    );
                    results.push((tx.hash, Ok(())));
                }
                Err(e) => results.push((tx.hash, Err(e))),
            }
        }
        self.pool = leftover;
        let parent = self.latest();
        let header = Header {
            parent_hash: parent.hash,
            ommers_hash: alloy::consensus::EMPTY_OMMER_ROOT_HASH,
            beneficiary: self.config.coinbase,
            state_root: B256::ZERO,
            transactions_root: keccak256(included.iter().flat_map(|h| h.0).collect::<Vec<u8>>()),
            receipts_root: B256::ZERO,
            logs_bloom: bloom,
            difficulty: U256::ZERO,
            number,
            gas_limit: self.config.block_gas_limit,
            gas_used: cumulative,
            timestamp: block.timestamp.saturating_to(),
            extra_data: Bytes::from_static(b"peaqos-devnet"),
            mix_hash: B256::ZERO,
            nonce: B64::ZERO,
            base_fee_per_gas: Some(self.config.base_fee),
            ..Default::default()
        };
        self.next_timestamp = None;
        self.push_block(header, included);
        (number, results)
    }

    /// Raw bytes of every mined transaction in chain order (for persistence).
    pub fn encoded_transactions(&self) -> Vec<(B256, Vec<u8>)> {
        self.blocks
            .iter()
            .flat_map(|b| b.transactions.iter())
            .filter_map(|h| self.txs.get(h).map(|t| (*h, t.envelope.encoded_2718())))
            .collect()
    }

    /// All blocks.
    pub fn blocks(&self) -> &[BlockRecord] {
        &self.blocks
    }

    /// Pool contents (pending then queued).
    pub fn pool(&self) -> impl Iterator<Item = &PoolTx> {
        self.pool.iter().chain(self.queued.values())
    }

    /// Rebuilds a chain from persisted parts.
    pub(crate) fn from_parts(
        config: ChainConfig,
        instant: bool,
        db: CacheDB<EmptyDB>,
        blocks: Vec<BlockRecord>,
        txs: HashMap<B256, TxRecord>,
        time_offset: i64,
    ) -> Self {
        let block_index = blocks.iter().map(|b| (b.hash, b.header.number)).collect();
        let history_floor = blocks.last().map_or(0, |b| b.header.number);
        Self {
            config,
            db,
            blocks,
            block_index,
            txs,
            pool: Vec::new(),
            queued: BTreeMap::new(),
            time_offset,
            next_timestamp: None,
            instant,
            history: StateHistory::default(),
            history_floor,
        }
    }

    /// Executes a transaction directly against the state without a signature (genesis only).
    pub(crate) fn genesis_transact(
        &mut self,
        caller: Address,
        to: Option<Address>,
        data: Bytes,
    ) -> Result<Outcome, DevnetError> {
        let nonce = self.nonce(caller);
        let block = self.block_env();
        let kind = to.map_or(TxKind::Create, TxKind::Call);
        let tx = TxEnv {
            caller,
            gas_limit: 30_000_000,
            kind,
            data,
            nonce,
            chain_id: Some(self.config.chain_id),
            ..Default::default()
        };
        let (outcome, state) =
            self.run_evm(&mut self.db.clone_view(), self.cfg(true), block, tx)?;
        if !outcome.success {
            return Err(DevnetError::Genesis {
                step: "transaction",
                reason: format!("failed: {outcome:?}"),
            });
        }
        self.db.commit(state);
        let mut info = self.db.basic(caller).ok().flatten().unwrap_or_default();
        info.nonce = nonce + 1;
        self.db.insert_account_info(caller, info);
        Ok(outcome)
    }
}

/// A cheap read-only view of the database used as the base of one execution.
trait CloneView {
    fn clone_view(&self) -> CacheDB<&CacheDB<EmptyDB>>;
}

impl CloneView for CacheDB<EmptyDB> {
    fn clone_view(&self) -> CacheDB<&CacheDB<EmptyDB>> {
        CacheDB::new(self)
    }
}
