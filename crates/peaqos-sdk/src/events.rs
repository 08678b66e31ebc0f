//! Events (Qualify): `submit_event`, `batch_submit_events`, with validation and the client's
//! operational limits applied before anything is sent.

use alloy::primitives::{B256, Bytes, U256};
use alloy::sol_types::SolCall;
use peaqos_contracts::EventRegistry;
use peaqos_contracts::precompiles::Batch;
use peaqos_types::event::{PreparedEvent, prepare_batch_submit_events, prepare_submit_event};
use peaqos_types::{ErrorCode, SubmitEventParams, ValidationError};

use crate::client::{PeaqosClient, Receipt, unix_now};
use crate::error::{PeaqosError, Result};

/// Most subcalls the Batch precompile accepts in one call.
pub const MAX_BATCH_EVENTS: usize = 512;

/// Call data of `EventRegistry.submitEvent` for prepared arguments.
pub fn encode_submit_event(e: &PreparedEvent) -> Bytes {
    EventRegistry::submitEventCall::from(e).abi_encode().into()
}

/// The messages peaq's SDK gives the event reverts that name a machine (`_map_submit_event_error`
/// and `_map_batch_error`): `machines` are the distinct machine ids of the submission.
fn name_the_machines(e: PeaqosError, machines: &[u64]) -> PeaqosError {
    let PeaqosError::Rpc {
        code: Some(code),
        rpc_code,
        message,
        tx_hash,
        revert_data,
    } = e
    else {
        return e;
    };
    let one = (machines.len() == 1).then(|| machines[0]);
    let text = match (code, one) {
        (ErrorCode::MachineNotFound, Some(id)) => format!("Machine ID {id} does not exist"),
        (ErrorCode::MachineNotFound, None) => {
            "One or more machine IDs in this batch do not exist".into()
        }
        (ErrorCode::MachineNotBonded, Some(id)) => format!("Machine ID {id} is not bonded"),
        (ErrorCode::MachineNotBonded, None) => {
            "One or more machines in this batch are not bonded".into()
        }
        (ErrorCode::MachineDeactivated, Some(id)) => format!("Machine ID {id} is deactivated"),
        (ErrorCode::MachineDeactivated, None) => {
            "One or more machines in this batch are deactivated".into()
        }
        (ErrorCode::NotAuthorizedSubmitter, Some(id)) => {
            format!("Caller is not authorized to submit events for machine {id}")
        }
        (ErrorCode::NotAuthorizedSubmitter, None) => {
            "Caller is not authorized to submit one or more machines in this batch".into()
        }
        (code, _) => {
            return PeaqosError::Rpc {
                code: Some(code),
                rpc_code,
                message,
                tx_hash,
                revert_data,
            };
        }
    };
    PeaqosError::Rpc {
        code: Some(code),
        rpc_code,
        message: format!("{}: {text}", code.as_str()),
        tx_hash,
        revert_data,
    }
}

fn distinct_machines(events: &[SubmitEventParams]) -> Vec<u64> {
    let mut ids: Vec<u64> = events.iter().map(|e| e.machine_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
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
            "submit_event",
            self.contracts().event_registry,
            encode_submit_event(&prepared),
            U256::ZERO,
        )
        .await
        .map_err(|e| name_the_machines(explain_bare_revert(e), &[params.machine_id]))
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
            "batch_submit_events",
            self.contracts().batch_precompile,
            call.abi_encode().into(),
            U256::ZERO,
        )
        .await
        .map_err(|e| name_the_machines(explain_bare_revert(e), &distinct_machines(events)))
    }

    /// `EventRegistry.getEventCount(machine_id)`: events stored for the machine.
    pub async fn event_count(&self, machine_id: u64) -> Result<u64> {
        let n = self
            .call_view(
                self.contracts().event_registry,
                &EventRegistry::getEventCountCall {
                    machineId: U256::from(machine_id),
                },
            )
            .await?;
        Ok(n.saturating_to::<u64>())
    }

    /// `EventRegistry.getEventAt(machine_id, index)`: the full stored record (the
    /// `EventSubmitted` log carries only machine id, index, type, value and currency).
    ///
    /// Errors: a revert (`TX_REVERTED`) for an index past the machine's count.
    pub async fn event_at(
        &self,
        machine_id: u64,
        index: u64,
    ) -> Result<EventRegistry::MachineEvent> {
        self.call_view(
            self.contracts().event_registry,
            &EventRegistry::getEventAtCall {
                machineId: U256::from(machine_id),
                index: U256::from(index),
            },
        )
        .await
    }

    /// `EventRegistry.getEvents(machine_id, offset, limit)`: up to `limit` records from `offset`
    /// (the contract clamps `limit` to `MAX_QUERY_LIMIT()`; an `offset` past the count reverts
    /// `OffsetOutOfBounds`, code `TX_REVERTED`).
    pub async fn events_of(
        &self,
        machine_id: u64,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<EventRegistry::MachineEvent>> {
        self.call_view(
            self.contracts().event_registry,
            &EventRegistry::getEventsCall {
                machineId: U256::from(machine_id),
                offset: U256::from(offset),
                limit: U256::from(limit),
            },
        )
        .await
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
    fn machine_reverts_name_the_machine_as_peaqs_sdk_does() {
        use alloy::sol_types::SolError;
        let not_found = || {
            crate::error::revert_error(
                EventRegistry::MachineNotFound {}.abi_encode().into(),
                Some(3),
            )
        };
        let e = name_the_machines(not_found(), &[7]);
        assert_eq!(e.code(), Some(ErrorCode::MachineNotFound));
        assert_eq!(
            e.to_string(),
            "MachineNotFound: Machine ID 7 does not exist"
        );
        let e = name_the_machines(not_found(), &[7, 8]);
        assert_eq!(
            e.to_string(),
            "MachineNotFound: One or more machine IDs in this batch do not exist"
        );
        let unauthorized = crate::error::revert_error(
            EventRegistry::NotAuthorizedSubmitter {}.abi_encode().into(),
            Some(3),
        );
        assert_eq!(
            name_the_machines(unauthorized, &[3]).to_string(),
            "NotAuthorizedSubmitter: Caller is not authorized to submit events for machine 3"
        );
        // Other reverts keep their message and data.
        let future = crate::error::revert_error(
            EventRegistry::FutureTimestamp {}.abi_encode().into(),
            Some(3),
        );
        let before = future.to_string();
        let after = name_the_machines(future, &[3]);
        assert_eq!(after.to_string(), before);
        assert_eq!(after.revert_name().as_deref(), Some("FutureTimestamp"));
        assert_eq!(
            distinct_machines(&[
                SubmitEventParams::activity(4, U256::ZERO, 1),
                SubmitEventParams::activity(2, U256::ZERO, 1),
                SubmitEventParams::activity(4, U256::ZERO, 1),
            ]),
            vec![2, 4]
        );
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
