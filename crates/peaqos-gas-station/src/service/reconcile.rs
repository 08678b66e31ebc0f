//! Recovery: at start-up, claims that never reached the journal are released and every open
//! journal entry is reconciled with the chain; the periodic reconciler repeats the latter.

use super::{ChainRuntime, Result, Service, api};
use crate::error::GasStationError;
use crate::store::{self, JournalRow, journal_status};
use alloy::primitives::B256;
use alloy::providers::Provider;
use peaqos_types::ErrorCode;
use std::collections::HashSet;

impl Service {
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
                .map_err(|_| GasStationError::Corrupt("bad tx hash in journal".into()))?;
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
                .map_err(|_| GasStationError::Corrupt("bad raw tx in journal".into()))?;
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
