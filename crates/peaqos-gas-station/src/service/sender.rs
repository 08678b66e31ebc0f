//! The hot wallet: nonce allocation (serialized per chain, resynced from the chain's pending
//! count and the journal), signing, the journal write before the broadcast, and the broadcast
//! with its failure handling.

use super::{ChainRuntime, Result, Service, api};
use crate::config::CrashPoint;
use crate::store::{self, JournalRow, journal_status};
use alloy::consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, B256, Bytes, TxKind};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use peaqos_types::ErrorCode;
use std::time::Duration;

/// Rounds of nonce allocation one transfer may take before it gives up.
const MAX_NONCE_ATTEMPTS: u32 = 32;

/// A random pause before the next round after losing a nonce to another replica. Without it
/// the loser (which must re-read the chain) keeps reading the very nonce the winner (which
/// holds its next one in memory) is about to journal, and loses again in lock step. Grows with
/// the round, at most about 50 ms.
fn conflict_backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let cap_us = 1_000u64 * u64::from(attempt.min(50));
    Duration::from_micros(h.finish() % cap_us.max(1))
}

impl Service {
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
    pub(super) async fn send(
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
                    // A replica sharing the hot wallet holds this nonce: take the next free one,
                    // after a random pause that breaks the lock step with the winner.
                    *guard = None;
                    tokio::time::sleep(conflict_backoff(attempts)).await;
                    continue;
                }
                Err(e) => {
                    *guard = None;
                    store::release_claim(pool, request_id).await?;
                    return Err(e);
                }
            }
            self.crash_point(CrashPoint::AfterJournal)?;
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
            drop(guard);
            self.crash_point(CrashPoint::AfterBroadcast)?;
            // The row stays `signed` (open: the reconciler rebroadcasts it) until the receipt;
            // `sent` is written only for a transfer whose receipt does not come (see `pay`), so a
            // prompt funding commits once after its receipt instead of twice.
            return Ok(hash);
        }
    }

    pub(super) async fn tx_known(&self, chain: &ChainRuntime, hash: B256) -> bool {
        matches!(
            chain.provider.get_transaction_by_hash(hash).await,
            Ok(Some(_))
        ) || matches!(
            chain.provider.get_transaction_receipt(hash).await,
            Ok(Some(_))
        )
    }

    /// Polls for the receipt: `Some(status)` when mined, `None` after the timeout.
    pub(super) async fn wait_receipt(
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
}
