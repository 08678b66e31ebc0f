//! The Gas Station's logic: 2FA enrolment and verification, limits, idempotent claims, and the
//! hot wallet with its durable journal. HTTP lives in [`crate::http`]; this module is called by
//! the handlers and by tests directly.

use crate::address::{OwnerAddress, parse_owner, parse_target};
use crate::config::{ChainSettings, GasStationConfig};
use crate::error::GasStationError;
use crate::qr::{self, QrFormat};
use crate::store::{self, JournalRow, OwnerRow, RequestRow, Store, journal_status, status};
use crate::totp;
use alloy::consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use peaqos_types::ErrorCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

type Result<T> = std::result::Result<T, GasStationError>;

/// Rounds of nonce allocation one transfer may take before it gives up.
const MAX_NONCE_ATTEMPTS: u32 = 8;

fn api(code: ErrorCode, msg: impl Into<String>) -> GasStationError {
    GasStationError::api(code, msg)
}

const SECS_PER_DAY: u64 = 86_400;

// ---------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------

/// Body of `POST /2fa/setup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetupRequest {
    /// Owner (0x hex or SS58).
    pub owner_address: String,
    /// QR image format (svg by default).
    #[serde(default)]
    pub format: Option<QrFormat>,
    /// Current code of the confirmed secret: required to rotate an already active 2FA.
    #[serde(default)]
    pub two_factor_code: Option<String>,
}

/// Body of `POST /2fa/confirm`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfirmRequest {
    /// Owner.
    pub owner_address: String,
    /// Code from the authenticator.
    pub two_factor_code: String,
}

/// `chainId` as a JSON number or string (id or alias).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ChainIdValue {
    /// Numeric id.
    Number(u64),
    /// Decimal id or alias.
    Text(String),
}

impl ChainIdValue {
    fn as_string(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(s) => s.clone(),
        }
    }
}

/// Body of `POST /faucet/fund`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FundRequest {
    /// Owner whose 2FA authorizes the funding.
    pub owner_address: String,
    /// Wallet to fund (0x hex).
    pub target_wallet_address: String,
    /// Chain id or alias.
    pub chain_id: ChainIdValue,
    /// Current TOTP code.
    pub two_factor_code: String,
    /// Idempotency key (UUID); generated when absent.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// `data` of a successful setup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SetupData {
    /// The owner as sent.
    pub owner_address: String,
    /// `otpauth://totp/...` for manual entry.
    pub otpauth_uri: String,
    /// Where the QR image is served for [`crate::config::TwoFactorSettings::qr_ttl_secs`].
    pub qr_image_url: String,
}

/// Result of a funding request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundOutcome {
    /// Transfer mined.
    Success {
        /// Idempotency key.
        request_id: String,
        /// Transaction hash (0x hex).
        tx_hash: String,
        /// Amount sent (decimal wei).
        funded_amount: String,
    },
    /// Target already holds at least `min_gas_balance`.
    Skipped {
        /// Idempotency key.
        request_id: String,
        /// Target balance (decimal wei).
        current_balance: String,
        /// Configured threshold (decimal wei).
        min_gas_balance: String,
    },
}

impl FundOutcome {
    /// The response envelope.
    pub fn envelope(&self) -> Value {
        match self {
            Self::Success {
                request_id,
                tx_hash,
                funded_amount,
            } => json!({
                "status": "success",
                "data": {"requestId": request_id, "txHash": tx_hash, "fundedAmount": funded_amount}
            }),
            Self::Skipped {
                request_id,
                current_balance,
                min_gas_balance,
            } => json!({
                "status": "skipped",
                "data": {
                    "requestId": request_id,
                    "currentBalance": current_balance,
                    "minGasBalance": min_gas_balance
                }
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/// Per-chain runtime: RPC client, hot wallet and its serialized nonce.
#[derive(Debug)]
pub struct ChainRuntime {
    /// Configuration.
    pub settings: ChainSettings,
    provider: DynProvider,
    wallet: Address,
    wallet_key: String,
    /// Next nonce to use; `None` means "resync from the chain and the journal first".
    nonce: tokio::sync::Mutex<Option<u64>>,
}

impl ChainRuntime {
    /// The hot wallet address.
    pub fn wallet(&self) -> Address {
        self.wallet
    }

    /// A read-only RPC client of this chain.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }
}

/// The Gas Station service (shared by every handler).
#[derive(Debug)]
pub struct Service {
    cfg: GasStationConfig,
    store: Store,
    chains: HashMap<u64, Arc<ChainRuntime>>,
    base_url: String,
    /// Requests this process is currently paying (skipped by the periodic reconciler).
    inflight: parking_lot::Mutex<HashSet<String>>,
    crashed: AtomicBool,
}

fn signer_hex(a: &Address) -> String {
    format!("{a:#x}")
}

impl Service {
    /// Connects storage and RPC clients. Does not touch the chain (see [`Service::recover`]).
    pub async fn new(cfg: GasStationConfig, base_url: String) -> Result<Self> {
        if cfg.chains.is_empty() {
            return Err(GasStationError::Config(
                "at least one chain must be configured".into(),
            ));
        }
        let store = Store::connect(&cfg.database_url).await?;
        let mut chains = HashMap::new();
        for c in &cfg.chains {
            let url = c.rpc_url.parse().map_err(|_| {
                GasStationError::Config(format!("bad RPC URL for chain {}", c.chain_id))
            })?;
            let provider = ProviderBuilder::new()
                .disable_recommended_fillers()
                .connect_http(url)
                .erased();
            let wallet = c.hot_wallet.address();
            let rt = ChainRuntime {
                settings: c.clone(),
                provider,
                wallet,
                wallet_key: signer_hex(&wallet),
                nonce: tokio::sync::Mutex::new(None),
            };
            if chains.insert(c.chain_id, Arc::new(rt)).is_some() {
                return Err(GasStationError::Config(format!(
                    "chain {} configured twice",
                    c.chain_id
                )));
            }
        }
        Ok(Self {
            cfg,
            store,
            chains,
            base_url,
            inflight: parking_lot::Mutex::new(HashSet::new()),
            crashed: AtomicBool::new(false),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &GasStationConfig {
        &self.cfg
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The runtime of a configured chain.
    pub fn chain_runtime(&self, chain_id: u64) -> Option<&Arc<ChainRuntime>> {
        self.chains.get(&chain_id)
    }

    fn now(&self) -> u64 {
        self.cfg.clock.now()
    }

    fn check_alive(&self) -> Result<()> {
        if self.crashed.load(Ordering::SeqCst) {
            return Err(api(
                ErrorCode::InternalError,
                "the service stopped (injected crash)",
            ));
        }
        Ok(())
    }

    #[allow(unused_variables)]
    fn crash_point(&self, point: &'static str) -> Result<()> {
        #[cfg(feature = "fault-injection")]
        {
            use crate::config::CrashPoint;
            let hit = matches!(
                (self.cfg.crash_after, point),
                (Some(CrashPoint::AfterJournal), "journal")
                    | (Some(CrashPoint::AfterBroadcast), "broadcast")
            );
            if hit {
                self.crashed.store(true, Ordering::SeqCst);
                tracing::warn!(point, "injected crash");
            }
        }
        self.check_alive()
    }

    /// `true` once an injected crash happened (tests).
    pub fn has_crashed(&self) -> bool {
        self.crashed.load(Ordering::SeqCst)
    }

    // -----------------------------------------------------------------------------------------
    // 2FA
    // -----------------------------------------------------------------------------------------

    fn open_secret(&self, owner: &str, sealed: &str) -> Result<Vec<u8>> {
        self.cfg.server_key.open(sealed, owner)
    }

    /// Verifies `code` against one of the owner's secrets, updating replay and lockout state in
    /// `row`. The caller persists `row` whatever the outcome.
    fn verify(
        &self,
        owner: &str,
        row: &mut OwnerRow,
        pending: bool,
        code: &str,
        now: u64,
    ) -> Result<()> {
        let sealed = if pending {
            &row.pending_secret
        } else {
            &row.active_secret
        };
        let secret = self.open_secret(owner, sealed.as_deref().unwrap_or_default())?;
        let last = if pending {
            row.pending_last_step
        } else {
            row.active_last_step
        };
        match totp::matching_step(&secret, code.trim(), now) {
            Some(step) if last.is_none_or(|l| (step as i64) > l) => {
                if pending {
                    row.pending_last_step = Some(step as i64);
                } else {
                    row.active_last_step = Some(step as i64);
                }
                row.failed_attempts = 0;
                Ok(())
            }
            found => {
                row.failed_attempts += 1;
                let replay = found.is_some();
                if row.failed_attempts >= i64::from(self.cfg.two_factor.max_failed_attempts) {
                    row.failed_attempts = 0;
                    row.locked_until = (now + self.cfg.two_factor.lockout_secs) as i64;
                    return Err(api(
                        ErrorCode::TwoFaLocked,
                        format!(
                            "too many invalid codes: owner locked for {} s",
                            self.cfg.two_factor.lockout_secs
                        ),
                    ));
                }
                Err(api(
                    ErrorCode::Invalid2fa,
                    if replay {
                        "this code was already used; wait for the next one"
                    } else {
                        "invalid two-factor code"
                    },
                ))
            }
        }
    }

    fn check_locked(&self, row: &OwnerRow, now: u64) -> Result<()> {
        if row.locked_until > now as i64 {
            return Err(api(
                ErrorCode::TwoFaLocked,
                format!(
                    "owner locked for another {} s",
                    row.locked_until - now as i64
                ),
            ));
        }
        Ok(())
    }

    fn owner(&self, s: &str) -> Result<OwnerAddress> {
        parse_owner(s).ok_or_else(|| {
            api(
                ErrorCode::InvalidOwnerAddress,
                "ownerAddress must be a 0x address or an SS58 address",
            )
        })
    }

    /// `POST /2fa/setup`: enrols (or re-enrols) an owner.
    ///
    /// Before confirmation every setup replaces the pending secret. Once 2FA is active, setup
    /// needs `twoFactorCode` (a current code of the active secret): the new secret stays pending
    /// (the old one keeps working) until it is confirmed; without the code the call is refused
    /// with `INVALID_2FA`.
    pub async fn setup(&self, req: SetupRequest) -> Result<SetupData> {
        let owner = self.owner(&req.owner_address)?;
        let key = owner.key();
        let format = req.format.unwrap_or_default();
        let secret = totp::generate_secret();
        let account = req.owner_address.trim().to_owned();
        let uri = totp::otpauth_uri(&totp::encode_secret(&secret), &account);
        let image = qr::render(&uri, format).map_err(|e| {
            api(
                ErrorCode::QrGenerationFailed,
                format!("cannot render the QR image: {e}"),
            )
        })?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let sealed_secret = self.cfg.server_key.seal(&secret, &key)?;
        let sealed_image = self.cfg.server_key.seal(&image, &token)?;
        let now = self.now();

        let mut tx = self.store.begin_locked(&[&format!("owner:{key}")]).await?;
        let mut row = store::get_owner(&mut tx, &key).await?.unwrap_or(OwnerRow {
            active_secret: None,
            active_last_step: None,
            pending_secret: None,
            pending_last_step: None,
            failed_attempts: 0,
            locked_until: 0,
        });
        self.check_locked(&row, now)?;
        if row.active_secret.is_some() {
            let Some(code) = req.two_factor_code.as_deref() else {
                return Err(api(
                    ErrorCode::Invalid2fa,
                    "2FA is already active for this owner: send twoFactorCode (a current code) to \
                     replace the secret",
                ));
            };
            if let Err(e) = self.verify(&key, &mut row, false, code, now) {
                store::put_owner(&mut tx, &key, &row, now as i64).await?;
                tx.commit().await?;
                return Err(e);
            }
        }
        row.pending_secret = Some(sealed_secret);
        row.pending_last_step = None;
        store::put_owner(&mut tx, &key, &row, now as i64).await?;
        let expires = (now + self.cfg.two_factor.qr_ttl_secs) as i64;
        store::put_qr(
            &mut tx,
            &token,
            &key,
            format.as_str(),
            &sealed_image,
            expires,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(owner = %key, "2FA setup");
        Ok(SetupData {
            owner_address: account,
            otpauth_uri: uri,
            qr_image_url: format!("{}/2fa/qr/{token}.{}", self.base_url, format.as_str()),
        })
    }

    /// `POST /2fa/confirm`: activates the pending secret with one of its codes.
    pub async fn confirm(&self, req: ConfirmRequest) -> Result<Value> {
        let owner = self.owner(&req.owner_address)?;
        let key = owner.key();
        let now = self.now();
        let mut tx = self.store.begin_locked(&[&format!("owner:{key}")]).await?;
        let Some(mut row) = store::get_owner(&mut tx, &key).await? else {
            return Err(api(
                ErrorCode::TwoFaNotConfigured,
                "2FA is not set up for this owner",
            ));
        };
        self.check_locked(&row, now)?;
        let pending = row.pending_secret.is_some();
        let verdict = self.verify(&key, &mut row, pending, &req.two_factor_code, now);
        if verdict.is_ok() && pending {
            row.active_secret = row.pending_secret.take();
            row.active_last_step = row.pending_last_step.take();
        }
        store::put_owner(&mut tx, &key, &row, now as i64).await?;
        tx.commit().await?;
        verdict?;
        tracing::info!(owner = %key, "2FA confirmed");
        Ok(json!({"ownerAddress": req.owner_address.trim(), "twoFactorActive": true}))
    }

    /// `GET /2fa/qr/{token}.{svg|png}`: the QR image while it is fresh.
    pub async fn qr_image(&self, file: &str) -> Result<(QrFormat, Vec<u8>)> {
        let not_found = || api(ErrorCode::QrNotFound, "unknown QR image");
        let (token, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
        let want = QrFormat::parse(ext).ok_or_else(not_found)?;
        if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let (format, sealed, expires_at) = store::get_qr(self.store.pool(), token)
            .await?
            .ok_or_else(not_found)?;
        if format != want.as_str() {
            return Err(not_found());
        }
        if self.now() as i64 >= expires_at {
            return Err(api(
                ErrorCode::QrExpired,
                "the QR image expired: run setup again",
            ));
        }
        let image = self.cfg.server_key.open(&sealed, token)?;
        Ok((want, image))
    }

    // -----------------------------------------------------------------------------------------
    // Funding
    // -----------------------------------------------------------------------------------------

    /// `POST /faucet/fund`.
    pub async fn fund(&self, req: FundRequest) -> Result<FundOutcome> {
        self.check_alive()?;
        let owner = self.owner(&req.owner_address)?;
        let target = parse_target(&req.target_wallet_address).ok_or_else(|| {
            api(
                ErrorCode::InvalidTargetAddress,
                "targetWalletAddress must be a 0x address",
            )
        })?;
        let chain_str = req.chain_id.as_string();
        let chain = self
            .cfg
            .chain(&chain_str)
            .and_then(|c| self.chains.get(&c.chain_id))
            .cloned()
            .ok_or_else(|| {
                api(
                    ErrorCode::InvalidChainId,
                    format!("chain {chain_str:?} is not configured"),
                )
            })?;
        let request_id = match req.request_id.as_deref() {
            None => uuid::Uuid::new_v4().hyphenated().to_string(),
            Some(s) => uuid::Uuid::parse_str(s.trim())
                .map_err(|_| api(ErrorCode::InvalidRequestId, "requestId must be a UUID"))?
                .hyphenated()
                .to_string(),
        };
        let key = owner.key();
        let target_key = signer_hex(&target);
        let chain_id = chain.settings.chain_id;
        let limits = chain.settings.limits.clone();
        let now = self.now();

        // One transaction: idempotency, 2FA, rate limit, caps, claim.
        let mut tx = self
            .store
            .begin_locked(&[
                &format!("owner:{key}"),
                &format!("target:{chain_id}:{target_key}"),
                &format!("request:{request_id}"),
            ])
            .await?;
        if let Some(existing) = store::get_request(&mut tx, &request_id).await? {
            return Err(self.already(&existing, &key));
        }
        let Some(mut row) = store::get_owner(&mut tx, &key).await? else {
            return Err(api(
                ErrorCode::TwoFaNotConfigured,
                "2FA is not set up for this owner",
            ));
        };
        if row.active_secret.is_none() {
            return Err(api(
                ErrorCode::TwoFaNotActive,
                "2FA is set up but not confirmed",
            ));
        }
        self.check_locked(&row, now)?;
        let verdict = self.verify(&key, &mut row, false, &req.two_factor_code, now);
        store::put_owner(&mut tx, &key, &row, now as i64).await?;
        if let Err(e) = verdict {
            tx.commit().await?;
            return Err(e);
        }
        let since = now.saturating_sub(limits.rate_window_secs) as i64;
        let recent =
            store::count_owner_requests_since(&mut tx, &key, chain_id as i64, since).await?;
        let mut refusal = None;
        if recent >= i64::from(limits.rate_limit_requests) {
            refusal = Some(api(
                ErrorCode::RateLimited,
                format!(
                    "at most {} funding requests per {} s per owner",
                    limits.rate_limit_requests, limits.rate_window_secs
                ),
            ));
        }
        let day = (now / SECS_PER_DAY) as i64;
        if refusal.is_none() {
            let owner_sum =
                sum(store::counted_amounts(&mut tx, "owner", &key, chain_id as i64, day).await?);
            if owner_sum.saturating_add(limits.fund_amount) > limits.owner_daily_cap {
                refusal = Some(api(
                    ErrorCode::CapExceededOwner,
                    "owner daily funding cap reached",
                ));
            }
        }
        if refusal.is_none() {
            let target_sum =
                sum(
                    store::counted_amounts(&mut tx, "target", &target_key, chain_id as i64, day)
                        .await?,
                );
            if target_sum.saturating_add(limits.fund_amount) > limits.wallet_daily_cap {
                refusal = Some(api(
                    ErrorCode::CapExceededWallet,
                    "wallet daily funding cap reached",
                ));
            }
        }
        if let Some(e) = refusal {
            tx.commit().await?;
            return Err(e);
        }
        let inserted = store::insert_claim(
            &mut tx,
            &request_id,
            &key,
            &target_key,
            chain_id as i64,
            &limits.fund_amount.to_string(),
            day,
            now as i64,
            &self.cfg.replica_id,
        )
        .await?;
        if !inserted {
            tx.rollback().await?;
            return Err(api(
                ErrorCode::DuplicateRequest,
                "a request with this requestId is in flight",
            ));
        }
        tx.commit().await?;

        self.inflight.lock().insert(request_id.clone());
        let out = self.pay(&chain, &request_id, target).await;
        self.inflight.lock().remove(&request_id);
        out
    }

    fn already(&self, existing: &RequestRow, owner_key: &str) -> GasStationError {
        if existing.status == status::PENDING {
            return GasStationError::Api {
                code: ErrorCode::DuplicateRequest,
                message: "a request with this requestId is still in flight".into(),
                data: Some(json!({"requestId": existing.request_id})),
            };
        }
        // The original result, flattened: {"status": "success"|"skipped"|"failed", ...data}.
        let data = (existing.owner == owner_key)
            .then(|| {
                existing
                    .result
                    .as_deref()
                    .and_then(|r| serde_json::from_str::<Value>(r).ok())
            })
            .flatten()
            .map(|env| {
                let mut d = env.get("data").cloned().unwrap_or_else(|| json!({}));
                if let Some(obj) = d.as_object_mut() {
                    obj.insert(
                        "status".into(),
                        env.get("status").cloned().unwrap_or(Value::Null),
                    );
                }
                d
            })
            .unwrap_or_else(|| json!({"requestId": existing.request_id}));
        GasStationError::Api {
            code: ErrorCode::RequestAlreadyProcessed,
            message: "this requestId has already been processed".into(),
            data: Some(data),
        }
    }

    /// Balance check, then the transfer through the journal; finishes the claim.
    async fn pay(
        &self,
        chain: &ChainRuntime,
        request_id: &str,
        target: Address,
    ) -> Result<FundOutcome> {
        let limits = &chain.settings.limits;
        let pool = self.store.pool();
        let balance = match chain.provider.get_balance(target).await {
            Ok(b) => b,
            Err(e) => {
                store::release_claim(pool, request_id).await?;
                return Err(api(
                    ErrorCode::ChainRpcError,
                    format!("balance lookup failed: {e}"),
                ));
            }
        };
        if balance >= limits.min_gas_balance {
            let out = FundOutcome::Skipped {
                request_id: request_id.to_owned(),
                current_balance: balance.to_string(),
                min_gas_balance: limits.min_gas_balance.to_string(),
            };
            store::finish_claim(
                pool,
                request_id,
                status::SKIPPED,
                "0",
                &out.envelope().to_string(),
                self.now() as i64,
            )
            .await?;
            return Ok(out);
        }
        let gas_price = match chain.provider.get_gas_price().await {
            Ok(g) => g,
            Err(e) => {
                store::release_claim(pool, request_id).await?;
                return Err(api(
                    ErrorCode::ChainRpcError,
                    format!("gas price lookup failed: {e}"),
                ));
            }
        };
        let tx_hash = self.send(chain, request_id, target, gas_price).await?;
        self.check_alive()?;
        match self.wait_receipt(chain, tx_hash).await {
            Ok(Some(ok)) => self.finish(chain, request_id, tx_hash, ok).await,
            Ok(None) => Err(api(
                ErrorCode::TransferFailed,
                format!("transfer {tx_hash} not mined in time; the request stays in flight"),
            )),
            Err(e) => Err(api(
                ErrorCode::ChainRpcError,
                format!("receipt lookup failed: {e}"),
            )),
        }
    }

    /// Records a mined transfer; reverted ones finish as failed (amount 0).
    async fn finish(
        &self,
        chain: &ChainRuntime,
        request_id: &str,
        tx_hash: B256,
        succeeded: bool,
    ) -> Result<FundOutcome> {
        self.check_alive()?;
        let pool = self.store.pool();
        let now = self.now() as i64;
        store::set_journal_status(pool, request_id, journal_status::CONFIRMED, now).await?;
        if succeeded {
            let out = FundOutcome::Success {
                request_id: request_id.to_owned(),
                tx_hash: format!("{tx_hash:#x}"),
                funded_amount: chain.settings.limits.fund_amount.to_string(),
            };
            let amount = chain.settings.limits.fund_amount.to_string();
            store::finish_claim(
                pool,
                request_id,
                status::SUCCESS,
                &amount,
                &out.envelope().to_string(),
                now,
            )
            .await?;
            Ok(out)
        } else {
            let env = json!({"status": "failed", "data": {"requestId": request_id, "txHash": format!("{tx_hash:#x}")}});
            store::finish_claim(pool, request_id, status::FAILED, "0", &env.to_string(), now)
                .await?;
            Err(api(
                ErrorCode::TransferFailed,
                format!("transfer {tx_hash:#x} reverted"),
            ))
        }
    }

    /// The next nonce to use: the lowest one at or above the chain's pending count that no
    /// journal row holds (rows signed but not yet broadcast, by this or another replica sharing
    /// the hot wallet, keep theirs; a nonce whose transfer the node refused is reused).
    async fn resync_nonce(&self, chain: &ChainRuntime) -> Result<u64> {
        let pending = chain
            .provider
            .get_transaction_count(chain.wallet)
            .pending()
            .await
            .map_err(|e| {
                api(
                    ErrorCode::ChainRpcError,
                    format!("nonce lookup failed: {e}"),
                )
            })?;
        let taken = store::journal_nonces_from(
            self.store.pool(),
            chain.settings.chain_id as i64,
            &chain.wallet_key,
            i64::try_from(pending).unwrap_or(i64::MAX),
        )
        .await?;
        Ok(store::first_free_nonce(pending, &taken))
    }

    fn sign(
        &self,
        chain: &ChainRuntime,
        nonce: u64,
        target: Address,
        gas_price: u128,
    ) -> Result<(B256, Bytes)> {
        let mut tx = TxLegacy {
            chain_id: Some(chain.settings.chain_id),
            nonce,
            gas_price,
            gas_limit: chain.settings.gas_limit,
            to: TxKind::Call(target),
            value: chain.settings.limits.fund_amount,
            input: Bytes::new(),
        };
        let signer: &PrivateKeySigner = &chain.settings.hot_wallet;
        let sig = signer
            .sign_transaction_sync(&mut tx)
            .map_err(|e| api(ErrorCode::InternalError, format!("signing failed: {e}")))?;
        let env = TxEnvelope::Legacy(tx.into_signed(sig));
        Ok((*env.tx_hash(), env.encoded_2718().into()))
    }

    /// Allocates the nonce, signs, journals, then broadcasts — serialized per chain. A send
    /// the node refuses releases the nonce and the claim. A nonce another replica sharing the
    /// hot wallet already journalled (the journal's unique `(chain, wallet, nonce)` index), or
    /// one the node calls "too low" for a transaction it does not know (the hot wallet was used
    /// outside the service), is dropped: the next free nonce is read and the transfer signed
    /// and sent again, up to [`MAX_NONCE_ATTEMPTS`] rounds.
    async fn send(
        &self,
        chain: &ChainRuntime,
        request_id: &str,
        target: Address,
        gas_price: u128,
    ) -> Result<B256> {
        let pool = self.store.pool();
        let mut guard = chain.nonce.lock().await;
        self.check_alive()?;
        // Nonce conflicts (another replica journalled it, or the node says it is used) are
        // resolved by re-reading; give up after a few rounds rather than spin.
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            if attempts > MAX_NONCE_ATTEMPTS {
                *guard = None;
                store::release_claim(pool, request_id).await?;
                return Err(api(
                    ErrorCode::TransferFailed,
                    "could not allocate a hot-wallet nonce: every try was taken by another sender",
                ));
            }
            let nonce = match *guard {
                Some(n) => n,
                None => match self.resync_nonce(chain).await {
                    Ok(n) => n,
                    Err(e) => {
                        store::release_claim(pool, request_id).await?;
                        return Err(e);
                    }
                },
            };
            let (hash, raw) = self.sign(chain, nonce, target, gas_price)?;
            let row = JournalRow {
                request_id: request_id.to_owned(),
                chain_id: chain.settings.chain_id as i64,
                wallet: chain.wallet_key.clone(),
                nonce: nonce as i64,
                tx_hash: format!("{hash:#x}"),
                raw_tx: hex::encode(&raw),
                status: journal_status::SIGNED.into(),
            };
            match store::insert_journal(pool, &row, &self.cfg.replica_id, self.now() as i64).await {
                Ok(true) => {}
                Ok(false) => {
                    // A replica sharing the hot wallet holds this nonce: take the next free one.
                    *guard = None;
                    continue;
                }
                Err(e) => {
                    *guard = None;
                    store::release_claim(pool, request_id).await?;
                    return Err(e);
                }
            }
            self.crash_point("journal")?;
            if let Err(e) = chain.provider.send_raw_transaction(&raw).await {
                let resp = e.as_error_resp().map(|p| p.message.to_lowercase());
                match resp {
                    Some(m) if m.contains("already known") => {}
                    Some(m) if m.contains("nonce too low") && self.tx_known(chain, hash).await => {}
                    Some(m) if m.contains("nonce too low") && attempts < MAX_NONCE_ATTEMPTS => {
                        // Someone else used this nonce: nothing of ours is on the chain.
                        tracing::warn!(
                            chain = chain.settings.chain_id,
                            nonce,
                            "hot wallet nonce taken outside this service; re-reading it"
                        );
                        store::delete_journal(pool, request_id).await?;
                        *guard = None;
                        continue;
                    }
                    Some(m) => {
                        // Refused: the nonce was not consumed (resync when it was too low).
                        if m.contains("nonce too low") {
                            *guard = None;
                        }
                        store::delete_journal(pool, request_id).await?;
                        store::release_claim(pool, request_id).await?;
                        return Err(api(
                            ErrorCode::TransferFailed,
                            format!("the node refused the transfer: {m}"),
                        ));
                    }
                    None => {
                        // Transport failure: was it accepted? Ask the node for the transaction.
                        match chain.provider.get_transaction_by_hash(hash).await {
                            Ok(Some(_)) => {}
                            Ok(None) => {
                                *guard = None;
                                store::delete_journal(pool, request_id).await?;
                                store::release_claim(pool, request_id).await?;
                                return Err(api(
                                    ErrorCode::ChainRpcError,
                                    format!("broadcast failed: {e}"),
                                ));
                            }
                            Err(_) => {
                                // Unknown: keep the journal entry (the reconciler rebroadcasts
                                // it) and keep its nonce reserved.
                                *guard = Some(nonce + 1);
                                return Err(api(
                                    ErrorCode::ChainRpcError,
                                    format!(
                                        "broadcast outcome unknown ({e}); the request stays in flight"
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
            *guard = Some(nonce + 1);
            self.crash_point("broadcast")?;
            store::set_journal_status(pool, request_id, journal_status::SENT, self.now() as i64)
                .await?;
            drop(guard);
            return Ok(hash);
        }
    }

    async fn tx_known(&self, chain: &ChainRuntime, hash: B256) -> bool {
        matches!(
            chain.provider.get_transaction_by_hash(hash).await,
            Ok(Some(_))
        ) || matches!(
            chain.provider.get_transaction_receipt(hash).await,
            Ok(Some(_))
        )
    }

    /// Polls for the receipt: `Some(status)` when mined, `None` after the timeout.
    async fn wait_receipt(
        &self,
        chain: &ChainRuntime,
        hash: B256,
    ) -> std::result::Result<Option<bool>, String> {
        let deadline =
            tokio::time::Instant::now() + Duration::from_secs(self.cfg.receipt_timeout_secs);
        let mut delay = Duration::from_millis(5);
        loop {
            match chain.provider.get_transaction_receipt(hash).await {
                Ok(Some(r)) => return Ok(Some(r.status())),
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(250));
        }
    }

    // -----------------------------------------------------------------------------------------
    // Recovery
    // -----------------------------------------------------------------------------------------

    /// Start-up recovery: releases this replica's claims that never reached the journal (nothing
    /// was broadcast for them), then reconciles every chain's journal.
    pub async fn recover(&self) -> Result<()> {
        let pool = self.store.pool();
        for claim in store::pending_requests(pool, &self.cfg.replica_id).await? {
            if store::get_journal(pool, &claim.request_id).await?.is_none() {
                tracing::info!(request = %claim.request_id, "releasing a claim that was never sent");
                store::release_claim(pool, &claim.request_id).await?;
            }
        }
        for chain in self.chains.values() {
            if let Err(e) = self.reconcile_chain(chain).await {
                tracing::warn!(chain = chain.settings.chain_id, error = %e, "reconciliation failed; will retry");
            }
        }
        Ok(())
    }

    /// Reconciles every open journal entry of one chain with the chain: a receipt finishes the
    /// request; otherwise the same raw transaction is broadcast again; an entry whose nonce was
    /// taken by another transaction (nonce too low, unknown hash, no receipt) is dropped and its
    /// request released. Entries being paid by this process right now are left alone.
    pub async fn reconcile_chain(&self, chain: &ChainRuntime) -> Result<()> {
        self.check_alive()?;
        let pool = self.store.pool();
        let mut guard = chain.nonce.lock().await;
        let open =
            store::open_journal(pool, chain.settings.chain_id as i64, &chain.wallet_key).await?;
        let busy: HashSet<String> = self.inflight.lock().clone();
        let mut waiting = Vec::new();
        for row in open.into_iter().filter(|r| !busy.contains(&r.request_id)) {
            let hash: B256 = row
                .tx_hash
                .parse()
                .map_err(|_| GasStationError::Database("bad tx hash in journal".into()))?;
            let receipt = chain
                .provider
                .get_transaction_receipt(hash)
                .await
                .map_err(|e| api(ErrorCode::ChainRpcError, e.to_string()))?;
            if let Some(r) = receipt {
                let _ = self.finish(chain, &row.request_id, hash, r.status()).await;
                continue;
            }
            let raw = hex::decode(&row.raw_tx)
                .map_err(|_| GasStationError::Database("bad raw tx in journal".into()))?;
            match chain.provider.send_raw_transaction(&raw).await {
                Ok(_) => waiting.push((row, hash)),
                Err(e) => {
                    let m = e
                        .as_error_resp()
                        .map(|p| p.message.to_lowercase())
                        .unwrap_or_default();
                    if m.contains("already known") {
                        waiting.push((row, hash));
                    } else if m.contains("nonce too low") {
                        if self.tx_known(chain, hash).await {
                            waiting.push((row, hash));
                        } else {
                            tracing::warn!(request = %row.request_id, nonce = row.nonce, "journalled tx lost its nonce; releasing the request");
                            store::delete_journal(pool, &row.request_id).await?;
                            store::release_claim(pool, &row.request_id).await?;
                        }
                    } else {
                        tracing::warn!(request = %row.request_id, error = %e, "rebroadcast failed; will retry");
                    }
                }
            }
        }
        *guard = None;
        drop(guard);
        for (row, hash) in waiting {
            store::set_journal_status(
                pool,
                &row.request_id,
                journal_status::SENT,
                self.now() as i64,
            )
            .await?;
            if let Ok(Some(ok)) = self.wait_receipt(chain, hash).await {
                let _ = self.finish(chain, &row.request_id, hash, ok).await;
            }
        }
        Ok(())
    }

    /// One pass of the periodic reconciler over every chain, plus QR clean-up.
    pub async fn reconcile_all(&self) {
        for chain in self.chains.values() {
            if let Err(e) = self.reconcile_chain(chain).await {
                tracing::debug!(chain = chain.settings.chain_id, error = %e, "reconcile pass failed");
            }
        }
        let _ = store::purge_qr(self.store.pool(), self.now() as i64 - 86_400).await;
    }

    /// Every journal entry of a chain's hot wallet, by nonce.
    pub async fn journal(&self, chain_id: u64) -> Result<Vec<JournalRow>> {
        let chain = self
            .chains
            .get(&chain_id)
            .ok_or_else(|| GasStationError::Config(format!("chain {chain_id} not configured")))?;
        store::all_journal(self.store.pool(), chain_id as i64, &chain.wallet_key).await
    }
}

fn sum(amounts: Vec<String>) -> U256 {
    amounts
        .iter()
        .filter_map(|a| U256::from_str_radix(a, 10).ok())
        .fold(U256::ZERO, |acc, a| acc.saturating_add(a))
}
