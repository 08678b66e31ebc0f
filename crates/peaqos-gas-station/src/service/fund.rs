//! A funding request: validation, the one claim transaction (idempotency, 2FA, limits, claim),
//! the balance check (`skipped`), the transfer and the recorded result.

use super::limits::utc_day;
use super::wire::{FundOutcome, FundRequest, already_processed_data, failed_result};
use super::{ChainRuntime, Result, Service, api, signer_hex};
use crate::address::parse_target;
use crate::error::GasStationError;
use crate::store::{self, Lock, RequestRow, journal_status, status};
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use peaqos_types::ErrorCode;
use serde_json::{Value, json};

impl Service {
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
        Self::check_code_shape(&req.two_factor_code)?;
        let chain_str = req.chain_id.as_string();
        let chain = self
            .cfg
            .chain(&chain_str)
            .and_then(|c| self.chains.get(&c.chain_id))
            .cloned()
            .ok_or_else(|| {
                let configured: Vec<String> = self
                    .cfg
                    .chains
                    .iter()
                    .map(|c| match c.aliases.as_slice() {
                        [] => c.chain_id.to_string(),
                        names => format!("{} ({})", c.chain_id, names.join(", ")),
                    })
                    .collect();
                api(
                    ErrorCode::InvalidChainId,
                    format!(
                        "chainId {chain_str:?} is not a configured chain; configured: {}",
                        configured.join("; ")
                    ),
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
                Lock::Owner(&key),
                Lock::Target {
                    chain_id,
                    wallet: &target_key,
                },
                Lock::Request(&request_id),
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
        match self
            .check_limits(&mut tx, &key, &target_key, chain_id, &limits, now)
            .await?
        {
            None => {}
            Some(refusal) => {
                // The accepted code stays used.
                tx.commit().await?;
                return Err(refusal);
            }
        }
        let day = utc_day(now);
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
        // The original result, flattened; only its id when asked by a different owner.
        let data = (existing.owner == owner_key)
            .then(|| {
                existing
                    .result
                    .as_deref()
                    .and_then(|r| serde_json::from_str::<Value>(r).ok())
            })
            .flatten()
            .map(|stored| already_processed_data(&stored))
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
        let receipt = self.wait_receipt(chain, tx_hash).await;
        if !matches!(receipt, Ok(Some(_))) {
            // accepted by the node, no receipt yet: the request stays in flight
            store::set_journal_status(pool, request_id, journal_status::SENT, self.now() as i64)
                .await?;
        }
        match receipt {
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

    /// Records a mined transfer; reverted ones finish as failed (amount 0). The journal entry's
    /// `confirmed` and the claim's result are one transaction (one commit per funding).
    pub(super) async fn finish(
        &self,
        chain: &ChainRuntime,
        request_id: &str,
        tx_hash: B256,
        succeeded: bool,
    ) -> Result<FundOutcome> {
        self.check_alive()?;
        let now = self.now() as i64;
        let mut tx = self.store.begin_locked(&[]).await?;
        store::set_journal_status(&mut *tx, request_id, journal_status::CONFIRMED, now).await?;
        if succeeded {
            let out = FundOutcome::Success {
                request_id: request_id.to_owned(),
                tx_hash: format!("{tx_hash:#x}"),
                funded_amount: chain.settings.limits.fund_amount.to_string(),
            };
            let amount = chain.settings.limits.fund_amount.to_string();
            store::finish_claim(
                &mut *tx,
                request_id,
                status::SUCCESS,
                &amount,
                &out.envelope().to_string(),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(out)
        } else {
            let result = failed_result(request_id, &format!("{tx_hash:#x}"));
            store::finish_claim(
                &mut *tx,
                request_id,
                status::FAILED,
                "0",
                &result.to_string(),
                now,
            )
            .await?;
            tx.commit().await?;
            Err(api(
                ErrorCode::TransferFailed,
                format!("transfer {tx_hash:#x} reverted"),
            ))
        }
    }
}
