//! [`PeaqosClient`]: construction, accessors and the transaction pipeline (EIP-1559 fees from
//! the node, gas estimation with headroom, local nonces, local signing, receipt waiting), with a
//! [`TxObserver`] hook on the send path and pre-signed transactions for load tools.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::consensus::{TxEip1559, TxEnvelope, TypedTransaction};
use alloy::eips::{BlockId, BlockNumberOrTag, Encodable2718};
use alloy::network::{Ethereum, EthereumWallet, NetworkWallet};
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use peaqos_types::{ContractAddresses, ErrorCode, OperationalLimits, RateTracker};
use tokio::sync::OnceCell;

use crate::config::{PeaqosConfig, PrivateKey, REDACTED};
use crate::error::{PeaqosError, Result, from_transport, revert_error};
use crate::nonce::{NonceManager, SendOutcome};

pub(crate) struct Inner {
    pub(crate) config: PeaqosConfig,
    pub(crate) provider: RootProvider<Ethereum>,
    pub(crate) wallet: EthereumWallet,
    pub(crate) address: Address,
    pub(crate) nonces: NonceManager,
    pub(crate) chain_id: OnceCell<u64>,
    pub(crate) trackers: Mutex<RateTracker>,
    pub(crate) http: reqwest::Client,
}

/// The peaqOS client: onboarding (register, mint, DID), events, MCR queries and the Gas Station.
///
/// Cheap to clone (an `Arc` inside): clones share the connection, the nonce manager and the
/// per-machine rate trackers, so many tasks may submit concurrently through one client.
#[derive(Clone)]
pub struct PeaqosClient {
    pub(crate) inner: Arc<Inner>,
    observer: Option<Arc<dyn TxObserver>>,
}

/// A hook on the client's send path: told about every transaction the client signs, by the
/// label of the SDK method that sends it (`register_machine`, `register_for`, `mint_nft`,
/// `write_machine_did_attributes`, `write_proxy_did_attributes`, `write_did_attributes`,
/// `submit_event`, `batch_submit_events`, `send_transaction`, or the label given to
/// [`PeaqosClient::sign_transactions`]).
///
/// Calls happen on the sending task; [`TxObserver::signed`] runs while the nonce is held, so keep
/// it short (appending a line to a journal is the intended use). Attach one with
/// [`PeaqosClient::with_tx_observer`].
pub trait TxObserver: Send + Sync {
    /// The transaction is signed and about to be broadcast. An `Err` stops the send: nothing is
    /// broadcast, the nonce is not consumed and the SDK call fails with the message.
    fn signed(&self, label: &str, hash: B256) -> std::result::Result<(), String> {
        let _ = (label, hash);
        Ok(())
    }
    /// The node accepted the transaction (`eth_sendRawTransaction` answered with its hash); the
    /// receipt has not been awaited yet.
    fn accepted(&self, label: &str, hash: B256) {
        let _ = (label, hash);
    }
    /// The node refused the transaction: it was not broadcast and its nonce is reused.
    fn rejected(&self, label: &str, hash: B256, error: &PeaqosError) {
        let _ = (label, hash, error);
    }
    /// The receipt arrived (`receipt.status()` tells success from a revert). Not called when
    /// waiting timed out (`RECEIPT_AWAIT_FAILED`).
    fn mined(&self, label: &str, receipt: &Receipt) {
        let _ = (label, receipt);
    }
}

/// One transaction for [`PeaqosClient::sign_transactions`]: target, call data, value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxCall {
    /// Target address.
    pub to: Address,
    /// Call data (empty for a plain transfer).
    pub data: Bytes,
    /// Value in wei.
    pub value: U256,
}

/// A transaction signed by the client's pipeline and not sent yet
/// ([`PeaqosClient::sign_transactions`], [`PeaqosClient::send_signed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    /// Its hash.
    pub hash: B256,
    /// Its nonce.
    pub nonce: u64,
    /// The EIP-2718 encoding for `eth_sendRawTransaction`.
    pub raw: Bytes,
    /// The observer label it was signed under.
    pub label: String,
}

impl fmt::Debug for PeaqosClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeaqosClient")
            .field("address", &self.inner.address)
            .field("rpc_url", &self.inner.config.rpc_url)
            .field("contracts", &self.inner.config.contracts)
            .field("api_url", &self.inner.config.api_url)
            .field("operational_limits", &self.inner.config.operational_limits)
            .field("private_key", &REDACTED)
            .field("ows_wallet", &self.inner.config.ows_wallet)
            .finish()
    }
}

/// A receipt of a transaction the client sent.
pub type Receipt = TransactionReceipt;

/// Node messages that mean "this nonce is already taken" (by a transaction sent elsewhere with
/// the same key): the manager re-syncs from the pending nonce and the send is retried.
fn is_stale_nonce(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("nonce too low")
        || m.contains("already known")
        || m.contains("replacement transaction underpriced")
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl PeaqosClient {
    /// Builds a client from a configuration holding a private key (the Python constructor).
    ///
    /// Errors: `ValidationError` for a missing key (`private_key is required`) or invalid URLs.
    pub fn new(config: PeaqosConfig) -> Result<Self> {
        let key = config.private_key.clone().ok_or_else(|| {
            PeaqosError::validation("private_key", "required", "private_key is required")
        })?;
        Self::build(config, EthereumWallet::from(key.signer()))
    }

    /// Builds a client whose transactions are signed by `signer` (for example an OWS vault
    /// signer: any `TxSigner<Signature> + Send + Sync + 'static` wrapped in an
    /// [`EthereumWallet`]). `config.private_key` must be `None`.
    pub fn with_signer(config: PeaqosConfig, signer: EthereumWallet) -> Result<Self> {
        if config.private_key.is_some() {
            return Err(PeaqosError::validation(
                "private_key",
                "exclusive_with_signer",
                "private_key must not be set when a signer is given",
            ));
        }
        Self::build(config, signer)
    }

    /// The client of the process environment, signer included (the SDK's one reader of the
    /// process environment; everything else takes a lookup): [`PeaqosConfig::from_env_lookup`],
    /// then the OWS vault wallet named by `PEAQOS_OWS_WALLET` (passphrase `OWS_PASSPHRASE`,
    /// vault `OWS_VAULT_PATH` or `~/.ows`) when set — it wins over `PEAQOS_PRIVATE_KEY` —
    /// else `PEAQOS_PRIVATE_KEY`. See [`PeaqosClient::from_env_lookup`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_lookup(|k| std::env::var(k).ok())
    }

    fn build(config: PeaqosConfig, wallet: EthereumWallet) -> Result<Self> {
        config.validate()?;
        let url: reqwest::Url = config.rpc_url.trim().parse().map_err(|_| {
            PeaqosError::validation("rpc_url", "http_url", "rpc_url must be a valid http(s) URL")
        })?;
        let provider = RootProvider::<Ethereum>::new_http(url);
        let address = NetworkWallet::<Ethereum>::default_signer_address(&wallet);
        let http = reqwest::Client::builder()
            .timeout(config.http_timeout)
            .build()
            .map_err(|e| {
                PeaqosError::api(ErrorCode::NetworkError, None, format!("HTTP client: {e}"))
            })?;
        Ok(Self {
            observer: None,
            inner: Arc::new(Inner {
                config,
                provider,
                wallet,
                address,
                nonces: NonceManager::new(),
                chain_id: OnceCell::new(),
                trackers: Mutex::new(RateTracker::new()),
                http,
            }),
        })
    }

    /// A fresh random keypair: `(checksummed address, private key)`. No chain interaction.
    pub fn generate_keypair() -> (Address, PrivateKey) {
        let s = PrivateKeySigner::random();
        (s.address(), PrivateKey::from(&s))
    }

    /// The signing address.
    pub fn address(&self) -> Address {
        self.inner.address
    }

    /// The JSON-RPC URL.
    pub fn rpc_url(&self) -> &str {
        &self.inner.config.rpc_url
    }

    /// The contract addresses.
    pub fn contracts(&self) -> &ContractAddresses {
        &self.inner.config.contracts
    }

    /// The MCR API base URL.
    pub fn api_url(&self) -> &str {
        &self.inner.config.api_url
    }

    /// The configured operational limits.
    pub fn operational_limits(&self) -> &OperationalLimits {
        &self.inner.config.operational_limits
    }

    /// The whole configuration (its `Debug` and serde output redact the key).
    pub fn config(&self) -> &PeaqosConfig {
        &self.inner.config
    }

    /// The underlying alloy provider (read-only calls; the Python SDK's `w3`).
    pub fn provider(&self) -> &RootProvider<Ethereum> {
        &self.inner.provider
    }

    /// The signer (the JS SDK's `walletClient` account).
    pub fn wallet(&self) -> &EthereumWallet {
        &self.inner.wallet
    }

    /// This client with `observer` on its send path: the returned client shares everything with
    /// `self` (connection, nonce manager, rate trackers), so transactions sent through either
    /// never collide; only those sent through the returned one (and its clones) are observed.
    pub fn with_tx_observer(&self, observer: Arc<dyn TxObserver>) -> Self {
        Self {
            inner: self.inner.clone(),
            observer: Some(observer),
        }
    }

    /// JSON view of the client with the key redacted (the JS SDK's `toJSON()`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.inner.config).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "address".into(),
                serde_json::json!(self.inner.address.to_checksum(None)),
            );
            o.insert("private_key".into(), serde_json::json!(REDACTED));
        }
        v
    }

    /// The chain id (read once from the node, then cached).
    pub async fn chain_id(&self) -> Result<u64> {
        self.inner
            .chain_id
            .get_or_try_init(|| async {
                self.inner
                    .provider
                    .get_chain_id()
                    .await
                    .map_err(from_transport)
            })
            .await
            .copied()
    }

    /// Timestamp of the latest block (events may not be later than the block time).
    pub async fn latest_block_timestamp(&self) -> Result<u64> {
        let b = self
            .inner
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(from_transport)?
            .ok_or_else(|| PeaqosError::rpc(None, "the node returned no latest block"))?;
        Ok(b.header.timestamp)
    }

    /// Native balance of `address` in wei.
    pub async fn balance(&self, address: Address) -> Result<U256> {
        self.inner
            .provider
            .get_balance(address)
            .await
            .map_err(from_transport)
    }

    // ----- calls ---------------------------------------------------------------------------

    /// `eth_call` of a typed call from the client's address; reverts are decoded.
    pub(crate) async fn call_view<C: SolCall>(&self, to: Address, call: &C) -> Result<C::Return> {
        let req = TransactionRequest::default()
            .from(self.inner.address)
            .to(to)
            .input(call.abi_encode().into());
        let out = self
            .inner
            .provider
            .call(req)
            .await
            .map_err(from_transport)?;
        C::abi_decode_returns(&out).map_err(|e| {
            PeaqosError::rpc(
                None,
                format!(
                    "could not decode the return value of {} at {to}: {e}",
                    C::SIGNATURE
                ),
            )
        })
    }

    /// `eth_call` of raw call data from the client's address (a dry run); reverts come back
    /// decoded, like those of a real transaction.
    pub async fn simulate(&self, to: Address, data: Bytes, value: U256) -> Result<Bytes> {
        let req = TransactionRequest::default()
            .from(self.inner.address)
            .to(to)
            .value(value)
            .input(data.into());
        self.inner.provider.call(req).await.map_err(from_transport)
    }

    /// Sends raw call data as a transaction through the client's pipeline (fees, gas headroom,
    /// local nonce, receipt) and returns the receipt; a revert is decoded. Observed as
    /// `send_transaction`.
    pub async fn send_transaction(&self, to: Address, data: Bytes, value: U256) -> Result<Receipt> {
        self.send_tx("send_transaction", to, data, value).await
    }

    /// The receipt of `hash` if the node has one (one lookup, no waiting).
    pub async fn transaction_receipt(&self, hash: B256) -> Result<Option<Receipt>> {
        self.inner
            .provider
            .get_transaction_receipt(hash)
            .await
            .map_err(from_transport)
    }

    /// Whether the node knows the transaction `hash` (pending or mined).
    pub async fn transaction_known(&self, hash: B256) -> Result<bool> {
        Ok(self
            .inner
            .provider
            .get_transaction_by_hash(hash)
            .await
            .map_err(from_transport)?
            .is_some())
    }

    /// The fee policy: `(max_fee_per_gas, max_priority_fee_per_gas)` = (2 x latest base fee +
    /// tip, tip) with the tip from `eth_maxPriorityFeePerGas`.
    pub async fn fees(&self) -> Result<(u128, u128)> {
        let p = &self.inner.provider;
        let (block, tip) = tokio::try_join!(
            async {
                p.get_block_by_number(BlockNumberOrTag::Latest)
                    .await
                    .map_err(from_transport)
            },
            async {
                p.get_max_priority_fee_per_gas()
                    .await
                    .map_err(from_transport)
            },
        )?;
        let base = block.and_then(|b| b.header.base_fee_per_gas).unwrap_or(0) as u128;
        Ok((base.saturating_mul(2).saturating_add(tip), tip))
    }

    /// The gas policy: `eth_estimateGas` of `call` from the client's address (reverts decoded)
    /// times `tx.gas_multiplier_percent / 100`.
    pub async fn gas_limit(&self, call: &TxCall) -> Result<u64> {
        let req = TransactionRequest::default()
            .from(self.inner.address)
            .to(call.to)
            .value(call.value)
            .input(call.data.clone().into());
        let estimate = self
            .inner
            .provider
            .estimate_gas(req)
            .await
            .map_err(from_transport)?;
        Ok(self.with_headroom(estimate))
    }

    fn with_headroom(&self, estimate: u64) -> u64 {
        estimate.saturating_mul(self.inner.config.tx.gas_multiplier_percent) / 100
    }

    /// Signs `calls` in order with consecutive nonces reserved from the client's nonce manager,
    /// the fee policy ([`PeaqosClient::fees`]) and `gas_limit` for each (e.g. from
    /// [`PeaqosClient::gas_limit`]); nothing is sent. For load tools that must sign before a
    /// timed section: send each with [`PeaqosClient::send_signed`], in any order. The observer
    /// sees each as `signed` under `label`.
    ///
    /// The reserved nonces count as used: other sends through this client take the ones after
    /// them. If some of these transactions are never sent, the account has a gap until
    /// [`PeaqosClient::reset_nonces`] (the next send then re-reads the pending count).
    pub async fn sign_transactions(
        &self,
        label: &str,
        calls: &[TxCall],
        gas_limit: u64,
    ) -> Result<Vec<SignedTx>> {
        let inner = &self.inner;
        let from = inner.address;
        let ((max_fee, tip), chain_id) = tokio::try_join!(self.fees(), self.chain_id())?;
        let first = inner
            .nonces
            .reserve(calls.len() as u64, || async {
                inner
                    .provider
                    .get_transaction_count(from)
                    .pending()
                    .await
                    .map_err(from_transport)
            })
            .await?;
        let mut out = Vec::with_capacity(calls.len());
        for (i, call) in calls.iter().enumerate() {
            let nonce = first + i as u64;
            let tx = TxEip1559 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to: TxKind::Call(call.to),
                value: call.value,
                access_list: Default::default(),
                input: call.data.clone(),
            };
            let signed = match self.sign(tx).await {
                Ok(s) => s,
                Err(e) => {
                    inner.nonces.reset().await;
                    return Err(e);
                }
            };
            let hash = *signed.tx_hash();
            if let Some(o) = &self.observer
                && let Err(why) = o.signed(label, hash)
            {
                inner.nonces.reset().await;
                return Err(PeaqosError::rpc(
                    None,
                    format!("transaction observer: {why}"),
                ));
            }
            out.push(SignedTx {
                hash,
                nonce,
                raw: signed.encoded_2718().into(),
                label: label.to_string(),
            });
        }
        Ok(out)
    }

    /// Broadcasts a transaction from [`PeaqosClient::sign_transactions`]; returns its hash once
    /// the node accepted it (observed as `accepted`). A refusal is observed as `rejected` and
    /// resets the nonce manager (the next send re-reads the pending count).
    pub async fn send_signed(&self, tx: &SignedTx) -> Result<B256> {
        match self.inner.provider.send_raw_transaction(&tx.raw).await {
            Ok(pending) if *pending.tx_hash() == tx.hash => {
                if let Some(o) = &self.observer {
                    o.accepted(&tx.label, tx.hash);
                }
                Ok(tx.hash)
            }
            Ok(pending) => Err(PeaqosError::rpc(
                None,
                format!(
                    "the node answered hash {} for transaction {}",
                    pending.tx_hash(),
                    tx.hash
                ),
            )
            .with_tx_hash(tx.hash)),
            Err(e) => {
                let err = from_transport(e);
                if let Some(o) = &self.observer {
                    o.rejected(&tx.label, tx.hash, &err);
                }
                self.inner.nonces.reset().await;
                Err(err)
            }
        }
    }

    /// Forgets the local nonce: the next send re-reads `eth_getTransactionCount(pending)`.
    pub async fn reset_nonces(&self) {
        self.inner.nonces.reset().await;
    }

    async fn sign(&self, tx: TxEip1559) -> Result<TxEnvelope> {
        NetworkWallet::<Ethereum>::sign_transaction_from(
            &self.inner.wallet,
            self.inner.address,
            TypedTransaction::Eip1559(tx),
        )
        .await
        .map_err(|e| PeaqosError::rpc(None, format!("signing failed: {e}")))
    }

    /// Sends `data` to `to` with `value`: estimate (reverts decoded here), EIP-1559 fees, local
    /// nonce, local signature, `eth_sendRawTransaction`, then the receipt. A receipt with
    /// status 0 is turned into its decoded revert (re-run as `eth_call` on the parent block).
    /// `label` names the transaction for the observer.
    pub(crate) async fn send_tx(
        &self,
        label: &str,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<Receipt> {
        self.send_tx_within(label, to, data, value, self.inner.config.tx.receipt_timeout)
            .await
    }

    /// [`PeaqosClient::send_tx`] waiting up to `receipt_timeout` for the receipt (a fleet's
    /// transactions may queue behind full blocks for longer than one transaction would).
    pub(crate) async fn send_tx_within(
        &self,
        label: &str,
        to: Address,
        data: Bytes,
        value: U256,
        receipt_timeout: std::time::Duration,
    ) -> Result<Receipt> {
        let hash = self.submit_tx(label, to, data.clone(), value).await?;
        let receipt = self.wait_for_receipt_within(hash, receipt_timeout).await?;
        if let Some(o) = &self.observer {
            o.mined(label, &receipt);
        }
        if !receipt.status() {
            return Err(self
                .explain_failure(to, data, value, &receipt)
                .await
                .with_tx_hash(hash));
        }
        Ok(receipt)
    }

    /// Estimates, signs and sends; returns the hash once the node accepted the transaction.
    pub(crate) async fn submit_tx(
        &self,
        label: &str,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<B256> {
        let inner = &self.inner;
        let from = inner.address;
        let call = TxCall {
            to,
            data: data.clone(),
            value,
        };
        let (gas_limit, (max_fee, tip), chain_id) =
            tokio::try_join!(self.gas_limit(&call), self.fees(), self.chain_id())?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = inner
                .nonces
                .with_next(
                    || async {
                        inner
                            .provider
                            .get_transaction_count(from)
                            .pending()
                            .await
                            .map_err(from_transport)
                    },
                    |nonce| {
                        let tx = TxEip1559 {
                            chain_id,
                            nonce,
                            gas_limit,
                            max_fee_per_gas: max_fee,
                            max_priority_fee_per_gas: tip,
                            to: TxKind::Call(to),
                            value,
                            access_list: Default::default(),
                            input: data.clone(),
                        };
                        async move {
                            let signed = match self.sign(tx).await {
                                Ok(s) => s,
                                Err(e) => return SendOutcome::Failed(e),
                            };
                            let hash = *signed.tx_hash();
                            if let Some(o) = &self.observer
                                && let Err(why) = o.signed(label, hash)
                            {
                                return SendOutcome::Failed(PeaqosError::rpc(
                                    None,
                                    format!("transaction observer: {why}"),
                                ));
                            }
                            let raw = signed.encoded_2718();
                            match inner.provider.send_raw_transaction(&raw).await {
                                Ok(pending) => {
                                    if let Some(o) = &self.observer {
                                        o.accepted(label, hash);
                                    }
                                    SendOutcome::Accepted(*pending.tx_hash())
                                }
                                Err(e) => {
                                    let err = from_transport(e);
                                    if let Some(o) = &self.observer {
                                        o.rejected(label, hash, &err);
                                    }
                                    SendOutcome::Failed(err)
                                }
                            }
                        }
                    },
                )
                .await;
            match result {
                Err(PeaqosError::Rpc { ref message, .. })
                    if attempts < 3 && is_stale_nonce(message) =>
                {
                    tracing::debug!(%message, "stale nonce; re-synced from the pending nonce, retrying");
                    continue;
                }
                other => return other,
            }
        }
    }

    /// Polls for the receipt of `hash` until the configured timeout; `RECEIPT_AWAIT_FAILED`
    /// (carrying the hash) when none arrives.
    pub async fn wait_for_receipt(&self, hash: B256) -> Result<Receipt> {
        self.wait_for_receipt_within(hash, self.inner.config.tx.receipt_timeout)
            .await
    }

    pub(crate) async fn wait_for_receipt_within(
        &self,
        hash: B256,
        receipt_timeout: std::time::Duration,
    ) -> Result<Receipt> {
        let opts = self.inner.config.tx;
        let mut last_error: Option<String> = None;
        let poll = async {
            loop {
                match self.inner.provider.get_transaction_receipt(hash).await {
                    Ok(Some(r)) => return r,
                    Ok(None) => {}
                    Err(e) => last_error = Some(e.to_string()),
                }
                tokio::time::sleep(opts.receipt_poll_interval).await;
            }
        };
        match tokio::time::timeout(receipt_timeout, poll).await {
            Ok(r) => Ok(r),
            Err(_) => Err(PeaqosError::Rpc {
                code: Some(ErrorCode::ReceiptAwaitFailed),
                rpc_code: None,
                message: format!(
                    "transaction {hash} was sent but no receipt arrived within {:?}{}; re-query it by hash before retrying",
                    receipt_timeout,
                    last_error
                        .map(|e| format!(" (last error: {e})"))
                        .unwrap_or_default()
                ),
                tx_hash: Some(hash),
                revert_data: None,
            }),
        }
    }

    async fn explain_failure(
        &self,
        to: Address,
        data: Bytes,
        value: U256,
        receipt: &Receipt,
    ) -> PeaqosError {
        let block = receipt.block_number.unwrap_or(0).saturating_sub(1);
        let req = TransactionRequest::default()
            .from(self.inner.address)
            .to(to)
            .value(value)
            .input(data.into());
        match self
            .inner
            .provider
            .call(req)
            .block(BlockId::number(block))
            .await
        {
            Err(e) => match from_transport(e) {
                err @ PeaqosError::Rpc {
                    revert_data: Some(_),
                    ..
                } => err,
                _ => revert_error(Bytes::new(), None),
            },
            Ok(_) => PeaqosError::rpc(
                Some(ErrorCode::TxReverted),
                "transaction reverted on-chain (status 0); replaying it did not reproduce the revert",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::devnet_addresses;

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    #[test]
    fn client_debug_and_json_redact_the_key() {
        let cfg = PeaqosConfig::new(
            "http://127.0.0.1:1",
            Some(KEY.parse().unwrap()),
            devnet_addresses(),
        );
        let c = PeaqosClient::new(cfg).unwrap();
        let s = format!("{c:?} {:?} {}", c.config(), c.to_json());
        assert!(!s.contains(&KEY[2..]), "{s}");
        assert!(s.contains(REDACTED));
        assert_eq!(c.to_json()["private_key"], REDACTED);
    }

    #[test]
    fn constructor_validation() {
        let cfg = PeaqosConfig::new("http://127.0.0.1:1", None, devnet_addresses());
        let e = PeaqosClient::new(cfg.clone()).unwrap_err();
        assert_eq!(e.to_string(), "private_key is required");
        let signer: PrivateKeySigner = KEY[2..].parse().unwrap();
        let c =
            PeaqosClient::with_signer(cfg.clone(), EthereumWallet::from(signer.clone())).unwrap();
        assert_eq!(c.address(), signer.address());
        let mut with_key = cfg;
        with_key.private_key = Some(KEY.parse().unwrap());
        assert!(PeaqosClient::with_signer(with_key, EthereumWallet::from(signer)).is_err());
    }

    #[test]
    fn generate_keypair_is_consistent() {
        let (a, k) = PeaqosClient::generate_keypair();
        assert_eq!(k.address(), a);
        assert_eq!(k.expose_hex().len(), 66);
        let (b, _) = PeaqosClient::generate_keypair();
        assert_ne!(a, b);
    }
}
