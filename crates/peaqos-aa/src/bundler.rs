//! [`Bundler`]: validates UserOperations against the EntryPoint through any JSON-RPC node, keeps
//! them in its [`Mempool`], bundles them into `handleOps` transactions paid by its own key, and
//! answers receipts from the EntryPoint's `UserOperationEvent` logs.
//!
//! - Accepting (`eth_sendUserOperation`): field checks (`preVerificationGas` at least
//!   [`calc_pre_verification_gas`]), then `simulateValidation` through `eth_call`: `FailedOp` is
//!   -32500 (-32501 for a paymaster's `AA3x`), `sigFailed` -32507, a validity window that is not
//!   open -32503, an aggregator -32506.
//! - Estimating: `simulateValidation` with zero fees (validation gas), then `simulateHandleOp`
//!   twice: once with a zero call gas limit and the call data as the `target` call from the
//!   EntryPoint (does it revert? -32521 with the decoded reason), once with a 1-wei gas price and
//!   a large call gas limit, whose `paid` is the gas the execution used. So an account must hold
//!   (or have deposited) a few million wei for its estimate, as it must for any operation without
//!   a paymaster.
//! - Bundling: up to `max_bundle_size` operations (highest priority fee first), `eth_estimateGas`
//!   of `handleOps(ops, beneficiary)`; a `FailedOp(opIndex, reason)` drops that operation and the
//!   rest is retried; then an EIP-1559 transaction (2 x base fee + tip) from the bundler's key,
//!   and its receipt. In auto mode a task bundles whenever operations arrive (and retries every
//!   `auto_interval`); in manual mode only `debug_bundler_sendBundleNow` does.

use crate::entry_point::{EntryPointRevert, decode_entry_point_revert, describe_revert};
use crate::error::BundlerError;
use crate::mempool::{self, Added, Mempool, PoolFile};
use crate::rpc_types::{
    GasEstimate, UserOperationByHash, UserOperationReceipt, user_operation_receipt,
};
use crate::userop::{GasOverheads, UserOperation, calc_pre_verification_gas, user_op_hash};
use alloy::consensus::{Transaction as _, TxEip1559, TypedTransaction};
use alloy::eips::{BlockNumberOrTag, Encodable2718};
use alloy::network::{Ethereum, EthereumWallet, NetworkWallet};
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use parking_lot::Mutex;
use peaqos_contracts::EntryPointV06;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Default port of the bundler.
pub const DEFAULT_PORT: u16 = 4337;

/// When operations are bundled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundlingMode {
    /// As soon as operations wait (and every `auto_interval` while they do).
    Auto,
    /// Only on `debug_bundler_sendBundleNow`.
    Manual,
}

impl std::str::FromStr for BundlingMode {
    type Err = BundlerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(BundlingMode::Auto),
            "manual" => Ok(BundlingMode::Manual),
            other => Err(BundlerError::InvalidParams(format!(
                "bundling mode must be \"auto\" or \"manual\", not {other:?}"
            ))),
        }
    }
}

/// How to run a bundler.
#[derive(Clone)]
pub struct BundlerConfig {
    /// JSON-RPC URL of the node (any EVM node: the devnet, peaq, agung, ...).
    pub rpc_url: String,
    /// Address to listen on.
    pub host: String,
    /// Port (0 picks a free one).
    pub port: u16,
    /// The EntryPoint v0.6 it serves.
    pub entry_point: Address,
    /// The key that signs and pays for `handleOps`.
    pub signer: PrivateKeySigner,
    /// Who receives the operations' gas payments (the bundler's address when `None`).
    pub beneficiary: Option<Address>,
    /// Initial bundling mode.
    pub mode: BundlingMode,
    /// How often auto mode retries while operations wait.
    pub auto_interval: Duration,
    /// Most operations in one bundle.
    pub max_bundle_size: usize,
    /// Most gas (sum of the operations' `callGasLimit + verificationGasLimit + preVerificationGas`)
    /// in one bundle; a single larger operation still goes alone.
    pub max_bundle_gas: u64,
    /// The mempool file (`None`: the mempool is in memory only and lost on restart).
    pub mempool_file: Option<PathBuf>,
    /// Most operations waiting.
    pub mempool_capacity: usize,
    /// How long to wait for a bundle's receipt.
    pub receipt_timeout: Duration,
    /// How often to poll for it.
    pub receipt_poll_interval: Duration,
    /// How many blocks back `eth_getLogs` looks for operations this bundler did not include.
    pub lookback_blocks: u64,
    /// Serve the `debug_bundler_*` methods.
    pub debug_api: bool,
}

impl std::fmt::Debug for BundlerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundlerConfig")
            .field("rpc_url", &self.rpc_url)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("entry_point", &self.entry_point)
            .field("signer", &self.signer.address())
            .field("beneficiary", &self.beneficiary)
            .field("mode", &self.mode)
            .field("max_bundle_size", &self.max_bundle_size)
            .field("mempool_file", &self.mempool_file)
            .finish_non_exhaustive()
    }
}

impl BundlerConfig {
    /// Defaults: 127.0.0.1:4337, EntryPoint `0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789`, auto mode,
    /// bundles of at most 64 operations and 25M gas, in-memory mempool of 4096 operations.
    pub fn new(rpc_url: impl Into<String>, signer: PrivateKeySigner) -> Self {
        Self {
            rpc_url: rpc_url.into(),
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            entry_point: peaqos_types::constants::ENTRY_POINT_V06,
            signer,
            beneficiary: None,
            mode: BundlingMode::Auto,
            auto_interval: Duration::from_secs(1),
            max_bundle_size: 64,
            max_bundle_gas: 25_000_000,
            mempool_file: None,
            mempool_capacity: 4096,
            receipt_timeout: Duration::from_secs(60),
            receipt_poll_interval: Duration::from_millis(200),
            lookback_blocks: 50_000,
            debug_api: true,
        }
    }
}

/// Operations remembered as included by this bundler (hash -> bundle transaction), newest last.
const INCLUDED_MEMORY: usize = 100_000;

/// The eth_call gas price of the metering simulation (1 wei: `paid` is then the gas used).
const METER_GAS_PRICE: u64 = 1;

/// Call gas limit of the metering simulation.
const METER_CALL_GAS: u64 = 10_000_000;

/// Verification gas limit of the first validation simulation of an estimate.
const ESTIMATE_VERIFICATION_GAS: u64 = 10_000_000;

struct Shared {
    cfg: BundlerConfig,
    chain_id: u64,
    provider: RootProvider<Ethereum>,
    wallet: EthereumWallet,
    address: Address,
    pool: Mutex<Mempool>,
    mode: Mutex<BundlingMode>,
    /// One bundle at a time (nonces of the bundler's key, pool consistency).
    bundling: tokio::sync::Mutex<()>,
    /// Serialises mempool file writes (a snapshot is taken under it).
    persisting: Mutex<()>,
    wake: tokio::sync::Notify,
    included: Mutex<(HashMap<B256, B256>, VecDeque<B256>)>,
}

/// A bundler connected to its node. Cheap to clone.
#[derive(Clone)]
pub struct Bundler {
    inner: Arc<Shared>,
}

impl std::fmt::Debug for Bundler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundler")
            .field("chain_id", &self.inner.chain_id)
            .field("entry_point", &self.inner.cfg.entry_point)
            .field("address", &self.inner.address)
            .finish_non_exhaustive()
    }
}

impl Bundler {
    /// Connects to the node and checks that the bundler can work there: the chain id, code at the
    /// EntryPoint, a non-zero balance of the bundler's key ([`BundlerError::Unfunded`] otherwise).
    /// Then loads the mempool file, if configured, keeping the operations that still validate.
    pub async fn connect(cfg: BundlerConfig) -> Result<Self, BundlerError> {
        if cfg.max_bundle_size == 0 || cfg.mempool_capacity == 0 {
            return Err(BundlerError::Config(
                "max bundle size and mempool capacity must be positive".into(),
            ));
        }
        let url: alloy::transports::http::reqwest::Url = cfg
            .rpc_url
            .trim()
            .parse()
            .map_err(|_| BundlerError::Config(format!("invalid RPC URL {:?}", cfg.rpc_url)))?;
        let provider = RootProvider::<Ethereum>::new_http(url);
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(BundlerError::node("eth_chainId"))?;
        let code = provider
            .get_code_at(cfg.entry_point)
            .await
            .map_err(BundlerError::node("eth_getCode"))?;
        if code.is_empty() {
            return Err(BundlerError::NoEntryPoint {
                entry_point: cfg.entry_point,
                chain_id,
            });
        }
        let address = cfg.signer.address();
        let balance = provider
            .get_balance(address)
            .await
            .map_err(BundlerError::node("eth_getBalance"))?;
        if balance.is_zero() {
            return Err(BundlerError::Unfunded { address, chain_id });
        }
        let wallet = EthereumWallet::from(cfg.signer.clone());
        let mode = cfg.mode;
        let capacity = cfg.mempool_capacity;
        let bundler = Self {
            inner: Arc::new(Shared {
                cfg,
                chain_id,
                provider,
                wallet,
                address,
                pool: Mutex::new(Mempool::new(capacity)),
                mode: Mutex::new(mode),
                bundling: tokio::sync::Mutex::new(()),
                persisting: Mutex::new(()),
                wake: tokio::sync::Notify::new(),
                included: Mutex::new((HashMap::new(), VecDeque::new())),
            }),
        };
        bundler.restore().await?;
        Ok(bundler)
    }

    async fn restore(&self) -> Result<(), BundlerError> {
        let Some(path) = self.inner.cfg.mempool_file.clone() else {
            return Ok(());
        };
        let Some(file) = mempool::load(&path, self.inner.chain_id, self.inner.cfg.entry_point)?
        else {
            return Ok(());
        };
        let (mut kept, mut dropped) = (0usize, 0usize);
        for entry in file.operations {
            let op = entry.user_operation;
            let hash = self.user_op_hash(&op);
            match self.validate(&op).await {
                Ok(_) => {
                    if self.inner.pool.lock().add(op, hash).is_ok() {
                        kept += 1;
                    }
                }
                Err(e @ BundlerError::Node { .. }) => return Err(e),
                Err(e) => {
                    dropped += 1;
                    tracing::info!(%hash, reason = %e, "mempool file: operation no longer valid, dropped");
                }
            }
        }
        tracing::info!(kept, dropped, file = %path.display(), "mempool restored");
        self.persist()?;
        if kept > 0 {
            self.inner.wake.notify_one();
        }
        Ok(())
    }

    /// The node's chain id.
    pub fn chain_id(&self) -> u64 {
        self.inner.chain_id
    }

    /// The EntryPoint served.
    pub fn entry_point(&self) -> Address {
        self.inner.cfg.entry_point
    }

    /// The bundler key's address.
    pub fn address(&self) -> Address {
        self.inner.address
    }

    /// The configuration.
    pub fn config(&self) -> &BundlerConfig {
        &self.inner.cfg
    }

    /// The current bundling mode.
    pub fn mode(&self) -> BundlingMode {
        *self.inner.mode.lock()
    }

    /// Switches the bundling mode (auto starts bundling what waits).
    pub fn set_mode(&self, mode: BundlingMode) {
        *self.inner.mode.lock() = mode;
        if mode == BundlingMode::Auto {
            self.inner.wake.notify_one();
        }
    }

    /// The hash of `op` for this bundler's EntryPoint and chain.
    pub fn user_op_hash(&self, op: &UserOperation) -> B256 {
        user_op_hash(op, self.inner.cfg.entry_point, self.inner.chain_id)
    }

    /// The waiting operations, in arrival order.
    pub fn dump_mempool(&self) -> Vec<UserOperation> {
        self.inner
            .pool
            .lock()
            .entries()
            .iter()
            .map(|e| e.user_operation.clone())
            .collect()
    }

    /// Empties the mempool (and its file).
    pub fn clear_state(&self) -> Result<(), BundlerError> {
        self.inner.pool.lock().clear();
        self.persist()
    }

    fn persist(&self) -> Result<(), BundlerError> {
        let Some(path) = &self.inner.cfg.mempool_file else {
            return Ok(());
        };
        let _g = self.inner.persisting.lock();
        let operations = self.inner.pool.lock().entries().to_vec();
        mempool::save(
            path,
            &PoolFile {
                version: mempool::FILE_VERSION,
                chain_id: self.inner.chain_id,
                entry_point: self.inner.cfg.entry_point,
                operations,
            },
        )
    }

    // ----- EntryPoint calls ------------------------------------------------------------------

    /// `eth_call` of EntryPoint `data` that must revert; returns the revert data.
    async fn entry_point_revert(
        &self,
        data: Vec<u8>,
        context: &'static str,
    ) -> Result<Bytes, BundlerError> {
        let ep = self.inner.cfg.entry_point;
        let tx = TransactionRequest::default().to(ep).input(data.into());
        match self.inner.provider.call(tx).await {
            Ok(_) => Err(BundlerError::Internal(format!(
                "EntryPoint {context} at {ep} returned instead of reverting: is it an EntryPoint v0.6?"
            ))),
            Err(e) => match e.as_error_resp().and_then(|p| p.as_revert_data()) {
                Some(data) => Ok(data),
                None => Err(BundlerError::Node { context, source: e }),
            },
        }
    }

    fn failed_op(op: &UserOperation, reason: String) -> BundlerError {
        if reason.starts_with("AA3") {
            BundlerError::PaymasterValidation {
                reason,
                paymaster: op.paymaster(),
            }
        } else {
            BundlerError::SimulateValidation { reason }
        }
    }

    /// `simulateValidation(op)`: the validation result, or the error an RPC client gets.
    async fn simulate_validation(
        &self,
        op: &UserOperation,
    ) -> Result<EntryPointV06::ValidationResult, BundlerError> {
        let data = EntryPointV06::simulateValidationCall { userOp: op.into() }.abi_encode();
        let revert = self.entry_point_revert(data, "simulateValidation").await?;
        match decode_entry_point_revert(&revert) {
            EntryPointRevert::Validation(v) => Ok(v),
            EntryPointRevert::ValidationWithAggregation(v) => Err(
                BundlerError::UnsupportedAggregator(v.aggregatorInfo.aggregator),
            ),
            EntryPointRevert::FailedOp(f) => Err(Self::failed_op(op, f.reason)),
            _ => Err(BundlerError::Internal(format!(
                "simulateValidation reverted with unexpected data: {}",
                describe_revert(&revert)
            ))),
        }
    }

    /// `simulateHandleOp(op, target, targetCallData)`: the execution result.
    async fn simulate_handle_op(
        &self,
        op: &UserOperation,
        target: Address,
        target_call_data: Bytes,
    ) -> Result<EntryPointV06::ExecutionResult, BundlerError> {
        let data = EntryPointV06::simulateHandleOpCall {
            op: op.into(),
            target,
            targetCallData: target_call_data,
        }
        .abi_encode();
        let revert = self.entry_point_revert(data, "simulateHandleOp").await?;
        match decode_entry_point_revert(&revert) {
            EntryPointRevert::Execution(r) => Ok(r),
            EntryPointRevert::FailedOp(f) => Err(Self::failed_op(op, f.reason)),
            _ => Err(BundlerError::Internal(format!(
                "simulateHandleOp reverted with unexpected data: {}",
                describe_revert(&revert)
            ))),
        }
    }

    /// Full validation of an operation to accept: the simulation, the signature, the time range.
    async fn validate(&self, op: &UserOperation) -> Result<(), BundlerError> {
        let v = self.simulate_validation(op).await?;
        let info = v.returnInfo;
        if info.sigFailed {
            return Err(BundlerError::InvalidSignature);
        }
        let valid_after = info.validAfter.to::<u64>();
        let valid_until = info.validUntil.to::<u64>();
        if valid_after != 0 || valid_until != 0 {
            let now = self.latest_timestamp().await?;
            // An operation that expires within 30 s would likely expire before its bundle.
            if valid_after > now || (valid_until != 0 && valid_until <= now + 30) {
                return Err(BundlerError::NotInTimeRange {
                    valid_after,
                    valid_until,
                });
            }
        }
        Ok(())
    }

    async fn latest_timestamp(&self) -> Result<u64, BundlerError> {
        let b = self
            .inner
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(BundlerError::node("eth_getBlockByNumber"))?
            .ok_or_else(|| BundlerError::Internal("the node has no latest block".into()))?;
        Ok(b.header.timestamp)
    }

    fn check_entry_point(&self, entry_point: Address) -> Result<(), BundlerError> {
        if entry_point != self.inner.cfg.entry_point {
            return Err(BundlerError::InvalidParams(format!(
                "EntryPoint {entry_point} is not supported (eth_supportedEntryPoints: [{}])",
                self.inner.cfg.entry_point
            )));
        }
        Ok(())
    }

    // ----- RPC methods -----------------------------------------------------------------------

    /// `eth_sendUserOperation`: checks, simulates and pools `op`; returns its hash.
    pub async fn send_user_operation(
        &self,
        op: UserOperation,
        entry_point: Address,
    ) -> Result<B256, BundlerError> {
        self.check_entry_point(entry_point)?;
        let min_pvg = calc_pre_verification_gas(&op, &GasOverheads::default());
        if op.pre_verification_gas < U256::from(min_pvg) {
            return Err(BundlerError::InvalidParams(format!(
                "preVerificationGas too low: expected at least {min_pvg}"
            )));
        }
        if op.verification_gas_limit.is_zero() {
            return Err(BundlerError::InvalidParams(
                "verificationGasLimit must be positive".into(),
            ));
        }
        let hash = self.user_op_hash(&op);
        if self.inner.pool.lock().contains(&hash) {
            return Ok(hash);
        }
        self.validate(&op).await?;
        let added = self.inner.pool.lock().add(op, hash)?;
        if let Added::Replaced(old) = added {
            tracing::info!(%old, new = %hash, "UserOperation replaced");
        }
        self.persist()?;
        if self.mode() == BundlingMode::Auto {
            self.inner.wake.notify_one();
        }
        Ok(hash)
    }

    /// `eth_estimateUserOperationGas` (see the module documentation for the method).
    ///
    /// `preVerificationGas` is [`calc_pre_verification_gas`] of the operation as it will be sent:
    /// the estimated gas limits filled in, fees priced as 8 non-zero bytes when smaller, the
    /// signature as at least 65 non-zero bytes, so that the real signed operation passes the
    /// check of `eth_sendUserOperation`.
    pub async fn estimate_user_operation_gas(
        &self,
        op: UserOperation,
        entry_point: Address,
    ) -> Result<GasEstimate, BundlerError> {
        self.check_entry_point(entry_point)?;
        // 1. Validation gas, with nothing to pay (any balance).
        let mut sim = op.clone();
        sim.max_fee_per_gas = U256::ZERO;
        sim.max_priority_fee_per_gas = U256::ZERO;
        if sim.verification_gas_limit.is_zero() {
            sim.verification_gas_limit = U256::from(ESTIMATE_VERIFICATION_GAS);
        }
        let v = self.simulate_validation(&sim).await?;
        let validation = v
            .returnInfo
            .preOpGas
            .saturating_sub(sim.pre_verification_gas);
        // Room for paying the prefund, which this first run did not do.
        sim.verification_gas_limit = with_margin(validation, 50_000);
        // 2. Does the execution revert? (call gas 0: the operation's own call fails at once and
        //    changes nothing; the same call data then runs as the target call, from the EntryPoint,
        //    on the deployed account.)
        if !op.call_data.is_empty() {
            let probe = UserOperation {
                call_gas_limit: U256::ZERO,
                ..sim.clone()
            };
            let r = self
                .simulate_handle_op(&probe, op.sender, op.call_data.clone())
                .await?;
            if !r.targetSuccess {
                return Err(BundlerError::ExecutionReverted {
                    message: format!(
                        "UserOperation execution reverts: {}",
                        describe_revert(&r.targetResult)
                    ),
                    data: r.targetResult,
                });
            }
        }
        // 3. Meter: 1 wei per gas, so `paid` is the gas used (validation included).
        let meter = UserOperation {
            call_gas_limit: U256::from(METER_CALL_GAS),
            max_fee_per_gas: U256::from(METER_GAS_PRICE),
            max_priority_fee_per_gas: U256::from(METER_GAS_PRICE),
            ..sim.clone()
        };
        let r = self
            .simulate_handle_op(&meter, Address::ZERO, Bytes::new())
            .await?;
        let execution = (r.paid / U256::from(METER_GAS_PRICE)).saturating_sub(r.preOpGas);
        let call_gas_limit = if op.call_data.is_empty() {
            U256::ZERO
        } else {
            with_margin(execution, 10_000)
        };
        let verification_gas_limit = with_margin(
            r.preOpGas.saturating_sub(meter.pre_verification_gas),
            30_000,
        );
        // preVerificationGas of the operation as it will be sent.
        let floor = U256::from(u64::MAX);
        let mut priced = UserOperation {
            call_gas_limit,
            verification_gas_limit,
            max_fee_per_gas: op.max_fee_per_gas.max(floor),
            max_priority_fee_per_gas: op.max_priority_fee_per_gas.max(floor),
            signature: vec![1u8; op.signature.len().max(65)].into(),
            pre_verification_gas: U256::from(21_000),
            ..op
        };
        let ov = GasOverheads::default();
        let mut pvg = 0u64;
        for _ in 0..3 {
            let next = calc_pre_verification_gas(&priced, &ov);
            if next <= pvg {
                break;
            }
            pvg = next;
            priced.pre_verification_gas = U256::from(pvg);
        }
        Ok(GasEstimate {
            pre_verification_gas: U256::from(pvg),
            verification_gas_limit,
            call_gas_limit,
        })
    }

    /// Where this bundler included `hash`, else where the EntryPoint's logs of the last
    /// `lookback_blocks` blocks say it was included.
    async fn find_inclusion(&self, hash: B256) -> Result<Option<B256>, BundlerError> {
        if let Some(tx) = self.inner.included.lock().0.get(&hash) {
            return Ok(Some(*tx));
        }
        let p = &self.inner.provider;
        let head = p
            .get_block_number()
            .await
            .map_err(BundlerError::node("eth_blockNumber"))?;
        let filter = Filter::new()
            .address(self.inner.cfg.entry_point)
            .event_signature(EntryPointV06::UserOperationEvent::SIGNATURE_HASH)
            .topic1(hash)
            .from_block(head.saturating_sub(self.inner.cfg.lookback_blocks))
            .to_block(head);
        let logs = p
            .get_logs(&filter)
            .await
            .map_err(BundlerError::node("eth_getLogs"))?;
        Ok(logs.iter().find_map(|l| l.transaction_hash))
    }

    /// `eth_getUserOperationReceipt`: `None` until the operation is included.
    pub async fn user_operation_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationReceipt>, BundlerError> {
        let Some(tx) = self.find_inclusion(hash).await? else {
            return Ok(None);
        };
        let Some(receipt) = self
            .inner
            .provider
            .get_transaction_receipt(tx)
            .await
            .map_err(BundlerError::node("eth_getTransactionReceipt"))?
        else {
            return Ok(None);
        };
        Ok(user_operation_receipt(
            &receipt,
            self.inner.cfg.entry_point,
            hash,
        ))
    }

    /// `eth_getUserOperationByHash`: the operation as its bundle carried it; `None` until
    /// included.
    pub async fn user_operation_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationByHash>, BundlerError> {
        let Some(tx_hash) = self.find_inclusion(hash).await? else {
            return Ok(None);
        };
        let Some(tx) = self
            .inner
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(BundlerError::node("eth_getTransactionByHash"))?
        else {
            return Ok(None);
        };
        let (Some(block_hash), Some(block_number)) = (tx.block_hash, tx.block_number) else {
            return Ok(None);
        };
        let call = EntryPointV06::handleOpsCall::abi_decode(tx.inner.input()).map_err(|_| {
            BundlerError::Internal(format!(
                "transaction {tx_hash} that included {hash} is not a direct handleOps call"
            ))
        })?;
        let op = call
            .ops
            .into_iter()
            .map(UserOperation::from)
            .find(|op| self.user_op_hash(op) == hash);
        Ok(op.map(|user_operation| UserOperationByHash {
            user_operation,
            entry_point: self.inner.cfg.entry_point,
            transaction_hash: tx_hash,
            block_hash,
            block_number,
        }))
    }

    // ----- bundling --------------------------------------------------------------------------

    /// Bundles what waits now (`debug_bundler_sendBundleNow`) and waits for the receipt; the
    /// transaction hash, `None` when nothing was left to bundle.
    pub async fn send_bundle_now(&self) -> Result<Option<B256>, BundlerError> {
        let _one = self.inner.bundling.lock().await;
        self.bundle().await
    }

    fn drop_op(&self, hash: B256, reason: &str) {
        if self.inner.pool.lock().remove(&hash) {
            tracing::warn!(%hash, %reason, "UserOperation dropped from the bundle and the mempool");
        }
    }

    async fn bundle(&self) -> Result<Option<B256>, BundlerError> {
        let cfg = &self.inner.cfg;
        let selected = self.inner.pool.lock().select(cfg.max_bundle_size);
        let mut entries = Vec::with_capacity(selected.len());
        let mut gas = U256::ZERO;
        for e in selected {
            let g = e.user_operation.required_gas();
            if !entries.is_empty() && gas.saturating_add(g) > U256::from(cfg.max_bundle_gas) {
                continue;
            }
            gas = gas.saturating_add(g);
            entries.push(e);
        }
        let beneficiary = cfg.beneficiary.unwrap_or(self.inner.address);
        let result = loop {
            if entries.is_empty() {
                break Ok(None);
            }
            let call = EntryPointV06::handleOpsCall {
                ops: entries.iter().map(|e| (&e.user_operation).into()).collect(),
                beneficiary,
            };
            let data: Bytes = call.abi_encode().into();
            match self.estimate_bundle(data.clone()).await {
                Ok(gas) => break self.submit(data, gas).await.map(Some),
                Err(Estimate::FailedOp(index, reason)) if index < entries.len() => {
                    let e = entries.remove(index);
                    self.drop_op(e.user_op_hash, &reason);
                }
                Err(Estimate::FailedOp(_, reason)) | Err(Estimate::Reverted(reason)) => {
                    // Not attributable to one operation: revalidate each.
                    let before = entries.len();
                    let mut keep = Vec::new();
                    for e in entries.drain(..) {
                        match self.validate(&e.user_operation).await {
                            Ok(_) => keep.push(e),
                            Err(BundlerError::Node { context, source }) => {
                                return Err(BundlerError::Node { context, source });
                            }
                            Err(why) => self.drop_op(e.user_op_hash, &why.to_string()),
                        }
                    }
                    entries = keep;
                    if entries.len() == before {
                        break Err(BundlerError::Internal(format!(
                            "handleOps reverts although every operation validates: {reason}"
                        )));
                    }
                }
                Err(Estimate::Node(e)) => break Err(e),
            }
        };
        let hashes: Vec<B256> = entries.iter().map(|e| e.user_op_hash).collect();
        if let Ok(Some(tx)) = &result {
            let mut pool = self.inner.pool.lock();
            for h in &hashes {
                pool.remove(h);
            }
            drop(pool);
            let mut inc = self.inner.included.lock();
            for h in hashes {
                if inc.0.insert(h, *tx).is_none() {
                    inc.1.push_back(h);
                }
            }
            while inc.1.len() > INCLUDED_MEMORY {
                if let Some(old) = inc.1.pop_front() {
                    inc.0.remove(&old);
                }
            }
        }
        self.persist()?;
        result
    }

    async fn estimate_bundle(&self, data: Bytes) -> Result<u64, Estimate> {
        let tx = TransactionRequest::default()
            .from(self.inner.address)
            .to(self.inner.cfg.entry_point)
            .input(data.into());
        match self.inner.provider.estimate_gas(tx).await {
            Ok(g) => Ok(g),
            Err(e) => match e.as_error_resp().and_then(|p| p.as_revert_data()) {
                Some(revert) => match decode_entry_point_revert(&revert) {
                    EntryPointRevert::FailedOp(f) => Err(Estimate::FailedOp(
                        usize::try_from(f.opIndex).unwrap_or(usize::MAX),
                        f.reason,
                    )),
                    _ => Err(Estimate::Reverted(describe_revert(&revert))),
                },
                None => Err(Estimate::Node(BundlerError::Node {
                    context: "eth_estimateGas(handleOps)",
                    source: e,
                })),
            },
        }
    }

    /// Signs and sends `handleOps` with `estimate` gas (x1.2), waits for its receipt.
    async fn submit(&self, data: Bytes, estimate: u64) -> Result<B256, BundlerError> {
        let p = &self.inner.provider;
        let (block, tip, nonce) = tokio::try_join!(
            async {
                p.get_block_by_number(BlockNumberOrTag::Latest)
                    .await
                    .map_err(BundlerError::node("eth_getBlockByNumber"))
            },
            async {
                p.get_max_priority_fee_per_gas()
                    .await
                    .map_err(BundlerError::node("eth_maxPriorityFeePerGas"))
            },
            async {
                p.get_transaction_count(self.inner.address)
                    .pending()
                    .await
                    .map_err(BundlerError::node("eth_getTransactionCount"))
            },
        )?;
        let block = block.ok_or_else(|| BundlerError::Internal("no latest block".into()))?;
        let base = u128::from(block.header.base_fee_per_gas.unwrap_or(0));
        let mut gas_limit = estimate.saturating_mul(6) / 5;
        if block.header.gas_limit > 0 {
            gas_limit = gas_limit.min(block.header.gas_limit);
        }
        let tx = TxEip1559 {
            chain_id: self.inner.chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: base.saturating_mul(2).saturating_add(tip),
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(self.inner.cfg.entry_point),
            value: U256::ZERO,
            access_list: Default::default(),
            input: data,
        };
        let signed = NetworkWallet::<Ethereum>::sign_transaction_from(
            &self.inner.wallet,
            self.inner.address,
            TypedTransaction::Eip1559(tx),
        )
        .await
        .map_err(|e| BundlerError::Internal(format!("signing the bundle failed: {e}")))?;
        let hash = *signed.tx_hash();
        let _pending = p
            .send_raw_transaction(&signed.encoded_2718())
            .await
            .map_err(BundlerError::node("eth_sendRawTransaction"))?;
        let receipt = self.wait_receipt(hash).await?;
        if !receipt.status() {
            return Err(BundlerError::BundleReverted(hash));
        }
        tracing::info!(%hash, gas_used = receipt.gas_used, "bundle included");
        Ok(hash)
    }

    async fn wait_receipt(
        &self,
        hash: B256,
    ) -> Result<alloy::rpc::types::TransactionReceipt, BundlerError> {
        let cfg = &self.inner.cfg;
        let poll = async {
            loop {
                match self.inner.provider.get_transaction_receipt(hash).await {
                    Ok(Some(r)) => return Ok(r),
                    Ok(None) => {}
                    Err(e) => tracing::debug!(%hash, error = %e, "receipt poll failed"),
                }
                tokio::time::sleep(cfg.receipt_poll_interval).await;
            }
        };
        tokio::time::timeout(cfg.receipt_timeout, poll)
            .await
            .map_err(|_| BundlerError::ReceiptTimeout(hash))?
    }

    /// The auto-mode loop: bundles whenever operations wait and the mode is auto.
    pub(crate) async fn run_auto(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let interval = self.inner.cfg.auto_interval;
        loop {
            tokio::select! {
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
            while self.mode() == BundlingMode::Auto && !self.inner.pool.lock().is_empty() {
                let one = self.inner.bundling.lock().await;
                let r = self.bundle().await;
                drop(one);
                match r {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "bundling failed; retrying later");
                        break;
                    }
                }
            }
        }
    }
}

enum Estimate {
    FailedOp(usize, String),
    Reverted(String),
    Node(BundlerError),
}

/// `x` plus 10% of it, and at least `min_extra` more.
fn with_margin(x: U256, min_extra: u64) -> U256 {
    x + (x / U256::from(10)).max(U256::from(min_extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins() {
        assert_eq!(
            with_margin(U256::from(100_000), 30_000),
            U256::from(130_000)
        );
        assert_eq!(
            with_margin(U256::from(1_000_000), 30_000),
            U256::from(1_100_000)
        );
    }

    #[test]
    fn modes_parse() {
        assert_eq!("auto".parse::<BundlingMode>().unwrap(), BundlingMode::Auto);
        assert_eq!(
            "manual".parse::<BundlingMode>().unwrap(),
            BundlingMode::Manual
        );
        assert_eq!("Auto".parse::<BundlingMode>().unwrap_err().code(), -32602);
    }

    #[test]
    fn config_debug_shows_the_address_not_the_key() {
        let k = PrivateKeySigner::random();
        let hex = alloy::primitives::hex::encode(k.to_bytes());
        let s = format!(
            "{:?}",
            BundlerConfig::new("http://127.0.0.1:8545", k.clone())
        );
        assert!(!s.contains(&hex), "{s}");
        assert!(s.contains(&format!("{:?}", k.address())), "{s}");
    }
}
