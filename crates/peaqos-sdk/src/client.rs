//! [`PeaqosClient`]: construction, accessors and the transaction pipeline (EIP-1559 fees from
//! the node, gas estimation with headroom, local nonces, local signing, receipt waiting).

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

    /// The client of the process environment, signer included: [`PeaqosConfig::from_env`],
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
    /// local nonce, receipt) and returns the receipt; a revert is decoded.
    pub async fn send_transaction(&self, to: Address, data: Bytes, value: U256) -> Result<Receipt> {
        self.send_tx(to, data, value).await
    }

    async fn fees(&self) -> Result<(u128, u128)> {
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

    /// Sends `data` to `to` with `value`: estimate (reverts decoded here), EIP-1559 fees, local
    /// nonce, local signature, `eth_sendRawTransaction`, then the receipt. A receipt with
    /// status 0 is turned into its decoded revert (re-run as `eth_call` on the parent block).
    pub(crate) async fn send_tx(&self, to: Address, data: Bytes, value: U256) -> Result<Receipt> {
        let hash = self.submit_tx(to, data.clone(), value).await?;
        let receipt = self.wait_for_receipt(hash).await?;
        if !receipt.status() {
            return Err(self
                .explain_failure(to, data, value, &receipt)
                .await
                .with_tx_hash(hash));
        }
        Ok(receipt)
    }

    /// Estimates, signs and sends; returns the hash once the node accepted the transaction.
    pub(crate) async fn submit_tx(&self, to: Address, data: Bytes, value: U256) -> Result<B256> {
        let inner = &self.inner;
        let from = inner.address;
        let req = TransactionRequest::default()
            .from(from)
            .to(to)
            .value(value)
            .input(data.clone().into());
        let (estimate, (max_fee, tip), chain_id) = tokio::try_join!(
            async {
                inner
                    .provider
                    .estimate_gas(req.clone())
                    .await
                    .map_err(from_transport)
            },
            self.fees(),
            self.chain_id(),
        )?;
        let gas_limit = estimate.saturating_mul(inner.config.tx.gas_multiplier_percent) / 100;
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
                            let signed: TxEnvelope =
                                match NetworkWallet::<Ethereum>::sign_transaction_from(
                                    &inner.wallet,
                                    from,
                                    TypedTransaction::Eip1559(tx),
                                )
                                .await
                                {
                                    Ok(s) => s,
                                    Err(e) => {
                                        return SendOutcome::Failed(PeaqosError::rpc(
                                            None,
                                            format!("signing failed: {e}"),
                                        ));
                                    }
                                };
                            let raw = signed.encoded_2718();
                            match inner.provider.send_raw_transaction(&raw).await {
                                Ok(pending) => SendOutcome::Accepted(*pending.tx_hash()),
                                Err(e) => SendOutcome::Failed(from_transport(e)),
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
        match tokio::time::timeout(opts.receipt_timeout, poll).await {
            Ok(r) => Ok(r),
            Err(_) => Err(PeaqosError::Rpc {
                code: Some(ErrorCode::ReceiptAwaitFailed),
                rpc_code: None,
                message: format!(
                    "transaction {hash} was sent but no receipt arrived within {:?}{}; re-query it by hash before retrying",
                    opts.receipt_timeout,
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
