//! Events (Qualify): `submit_event`, `batch_submit_events`, with validation and the client's
//! operational limits applied before anything is sent.

use alloy::primitives::{B256, Bytes, U256};
use alloy::sol_types::SolCall;
use peaqos_contracts::EventRegistry;
use peaqos_contracts::precompiles::Batch;
use peaqos_types::event::{PreparedEvent, prepare_batch_submit_events, prepare_submit_event};
use peaqos_types::{SubmitEventParams, ValidationError};

use crate::client::{PeaqosClient, Receipt, unix_now};
use crate::error::{PeaqosError, Result};

/// Most subcalls the Batch precompile accepts in one call.
pub const MAX_BATCH_EVENTS: usize = 512;

/// The legacy 9-argument `submitEvent` selector (without `currency`) some agung deployments had.
pub const LEGACY_SUBMIT_EVENT_SELECTOR: [u8; 4] = [0x6b, 0x58, 0xc7, 0xdc];

/// Call data of `EventRegistry.submitEvent` for prepared arguments.
pub fn encode_submit_event(e: &PreparedEvent) -> Bytes {
    EventRegistry::submitEventCall::from(e).abi_encode().into()
}

/// A bare revert (no data) from the EventRegistry most likely means the deployment only knows
/// the legacy 9-argument `submitEvent`: say so.
fn explain_bare_revert(e: PeaqosError) -> PeaqosError {
    match e {
        PeaqosError::Rpc {
            code,
            rpc_code,
            message,
            tx_hash,
            revert_data: Some(d),
        } if d.is_empty() => PeaqosError::Rpc {
            code,
            rpc_code,
            message: format!(
                "{message}: the EventRegistry answered a bare revert to submitEvent (selector 0xe58a43ca, with \
                 currency); this deployment may only support the legacy 9-argument submitEvent (selector 0x6b58c7dc)"
            ),
            tx_hash,
            revert_data: Some(d),
        },
        other => other,
    }
}

impl PeaqosClient {
    /// Checks (and records) the operational limits for `events`, atomically for the batch.
    fn apply_limits(&self, events: &[SubmitEventParams]) -> Result<()> {
        let limits = *self.operational_limits();
        if limits.max_value_per_tx.is_zero() && !limits.rate_limit_enabled() {
            return Ok(());
        }
        let mut t = self
            .inner
            .trackers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        t.check_and_record_batch(events, &limits, unix_now())
            .map_err(|(_, e)| PeaqosError::from(e))
    }

    /// Submits one event; returns `(tx_hash, data_hash)`. A missing `currency` gets the smart
    /// default (revenue `USD`, activity `""`).
    ///
    /// Errors: `ValidationError` (the documented table), `ValueCapExceeded` /
    /// `RateLimitExceeded` (the client's limits; the event counts toward the rate limit once
    /// it passed the check), reverts (`MachineNotFound`, `NotAuthorizedSubmitter`,
    /// `FutureTimestamp`, `MetadataTooLarge`, ...).
    pub async fn submit_event(&self, params: &SubmitEventParams) -> Result<(B256, B256)> {
        let r = self.submit_event_receipt(params).await?;
        let data_hash = params.data_hash();
        Ok((r.transaction_hash, data_hash))
    }

    /// [`PeaqosClient::submit_event`] returning the whole receipt (gas used, logs).
    pub async fn submit_event_receipt(&self, params: &SubmitEventParams) -> Result<Receipt> {
        let prepared = prepare_submit_event(params)?;
        self.apply_limits(std::slice::from_ref(params))?;
        self.send_tx(
            self.contracts().event_registry,
            encode_submit_event(&prepared),
            U256::ZERO,
        )
        .await
        .map_err(explain_bare_revert)
    }

    /// Submits `events` atomically in one `batchAll` through the Batch precompile; returns one
    /// transaction hash per event (all equal). `currency` is required on every event.
    ///
    /// Errors: `ValidationError` (`events must be a non-empty list`, any event's rule, or more
    /// than 512 events), limits, or the first failing event's revert.
    pub async fn batch_submit_events(&self, events: &[SubmitEventParams]) -> Result<Vec<B256>> {
        let r = self.batch_submit_events_receipt(events).await?;
        Ok(vec![r.transaction_hash; events.len()])
    }

    /// [`PeaqosClient::batch_submit_events`] returning the receipt.
    pub async fn batch_submit_events_receipt(
        &self,
        events: &[SubmitEventParams],
    ) -> Result<Receipt> {
        let prepared = prepare_batch_submit_events(events).map_err(ValidationError::from)?;
        if prepared.len() > MAX_BATCH_EVENTS {
            return Err(PeaqosError::validation(
                "events",
                "max_batch_size",
                format!("events must contain at most {MAX_BATCH_EVENTS} entries"),
            ));
        }
        self.apply_limits(events)?;
        let registry = self.contracts().event_registry;
        let call = Batch::batchAllCall {
            to: vec![registry; prepared.len()],
            value: vec![],
            callData: prepared.iter().map(encode_submit_event).collect(),
            gasLimit: vec![],
        };
        self.send_tx(
            self.contracts().batch_precompile,
            call.abi_encode().into(),
            U256::ZERO,
        )
        .await
        .map_err(explain_bare_revert)
    }

    /// `EventRegistry.eventCount(machine_id)`.
    pub async fn event_count(&self, machine_id: u64) -> Result<u64> {
        let n = self
            .call_view(
                self.contracts().event_registry,
                &EventRegistry::eventCountCall {
                    machineId: U256::from(machine_id),
                },
            )
            .await?;
        Ok(n.saturating_to::<u64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_matches_the_abi() {
        let p = SubmitEventParams::revenue(7, U256::from(1250), "USD", 1_700_000_000);
        let e = prepare_submit_event(&p).unwrap();
        let data = encode_submit_event(&e);
        assert_eq!(&data[..4], &[0xe5, 0x8a, 0x43, 0xca]);
        let back = EventRegistry::submitEventCall::abi_decode(&data).unwrap();
        assert_eq!(back.machineId, U256::from(7));
        assert_eq!(back.currency, "USD");
        assert_eq!(back.dataHash, B256::ZERO);
    }

    #[test]
    fn bare_revert_mentions_the_legacy_selector() {
        let e = crate::error::revert_error(Bytes::new(), Some(3));
        let msg = explain_bare_revert(e).to_string();
        assert!(
            msg.contains("0x6b58c7dc") && msg.contains("0xe58a43ca"),
            "{msg}"
        );
        let e = crate::error::revert_error(Bytes::from(vec![1, 2, 3, 4]), Some(3));
        assert!(!explain_bare_revert(e).to_string().contains("legacy"));
    }
}
