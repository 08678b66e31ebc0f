//! Client-side operational limits (the SDKs' `checkOperationalLimits`): a per-event value
//! cap and a per-machine event rate limit over a fixed window.
//!
//! * `ValueCapExceeded` when `max_value_per_tx > 0` and `value > max_value_per_tx`.
//! * `RateLimitExceeded` when `rate_limit_max_events > 0`, the tracker belongs to the
//!   machine, its window is still open (`now - window_start < rate_limit_window_seconds`)
//!   and `count >= rate_limit_max_events`.
//!
//! A limit of `0` disables it (the default). Time is unix seconds passed in by the caller.

use std::collections::HashMap;

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::event::SubmitEventParams;

/// Configured limits (`maxValuePerTx`, `rateLimitMaxEvents`, `rateLimitWindowSeconds`).
/// `Default` disables both limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct OperationalLimits {
    /// Maximum `value` of a single event; `0` disables the cap.
    pub max_value_per_tx: U256,
    /// Maximum events per machine within one window; `0` disables the rate limit.
    pub rate_limit_max_events: u64,
    /// Window length in seconds; `0` also disables the rate limit (an empty window).
    pub rate_limit_window_seconds: u64,
}

impl OperationalLimits {
    /// `true` when the rate limit is active.
    pub const fn rate_limit_enabled(&self) -> bool {
        self.rate_limit_max_events > 0 && self.rate_limit_window_seconds > 0
    }
}

/// Rate-tracking state for one machine (`{ machineId, count, windowStart }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventTracker {
    /// The machine this state belongs to.
    pub machine_id: u64,
    /// Events recorded in the current window.
    pub count: u64,
    /// Unix seconds at which the current window opened.
    pub window_start: u64,
}

impl EventTracker {
    /// A fresh window opened at `now` with no events recorded.
    pub const fn new(machine_id: u64, now: u64) -> Self {
        Self {
            machine_id,
            count: 0,
            window_start: now,
        }
    }

    /// `true` while the window opened at `window_start` is still running at `now`.
    /// A clock that went backwards (`now < window_start`) counts as inside the window.
    pub const fn window_open(&self, window_seconds: u64, now: u64) -> bool {
        now.saturating_sub(self.window_start) < window_seconds
    }

    /// The tracker after one more event for `machine_id` at `now`: the count grows while
    /// the window is open for the same machine, otherwise a new window starts at `now`
    /// with a count of 1.
    pub fn recorded(
        tracker: Option<&EventTracker>,
        machine_id: u64,
        limits: &OperationalLimits,
        now: u64,
    ) -> EventTracker {
        match tracker {
            Some(t)
                if t.machine_id == machine_id
                    && t.window_open(limits.rate_limit_window_seconds, now) =>
            {
                EventTracker {
                    count: t.count.saturating_add(1),
                    ..*t
                }
            }
            _ => EventTracker {
                machine_id,
                count: 1,
                window_start: now,
            },
        }
    }
}

/// An operational limit was hit (the SDKs' `ValueCapExceeded` / `RateLimitExceeded`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The event value is above `max_value_per_tx`.
    #[error("value {value} exceeds max_value_per_tx {max_value_per_tx} for machine {machine_id}")]
    ValueCapExceeded {
        /// Machine of the event.
        machine_id: u64,
        /// The event value.
        value: U256,
        /// The configured cap.
        max_value_per_tx: U256,
    },
    /// The machine already submitted `count >= max_events` events in the open window.
    #[error(
        "rate limit exceeded for machine {machine_id}: {count} events in the current {window_seconds}s window (max {max_events}); retry in {retry_after_seconds}s"
    )]
    RateLimitExceeded {
        /// Machine of the event.
        machine_id: u64,
        /// Events already recorded in the window.
        count: u64,
        /// The configured maximum.
        max_events: u64,
        /// The configured window.
        window_seconds: u64,
        /// Seconds until the window closes.
        retry_after_seconds: u64,
    },
}

impl LimitError {
    /// [`ErrorCode::ValueCapExceeded`] or [`ErrorCode::RateLimitExceeded`].
    pub const fn code(&self) -> ErrorCode {
        match self {
            LimitError::ValueCapExceeded { .. } => ErrorCode::ValueCapExceeded,
            LimitError::RateLimitExceeded { .. } => ErrorCode::RateLimitExceeded,
        }
    }
}

/// Checks one event against the limits (value cap first, then rate limit).
///
/// `tracker` is the machine's current rate state, or `None` when not tracking; a tracker
/// for a different machine is ignored. Pure: the caller records the event afterwards
/// (see [`EventTracker::recorded`] / [`RateTracker`]).
pub fn check_operational_limits(
    params: &SubmitEventParams,
    limits: &OperationalLimits,
    tracker: Option<&EventTracker>,
    now: u64,
) -> Result<(), LimitError> {
    check_operational_limits_for(params.machine_id, params.value, limits, tracker, now)
}

/// [`check_operational_limits`] taking the machine id and value directly.
pub fn check_operational_limits_for(
    machine_id: u64,
    value: U256,
    limits: &OperationalLimits,
    tracker: Option<&EventTracker>,
    now: u64,
) -> Result<(), LimitError> {
    if !limits.max_value_per_tx.is_zero() && value > limits.max_value_per_tx {
        return Err(LimitError::ValueCapExceeded {
            machine_id,
            value,
            max_value_per_tx: limits.max_value_per_tx,
        });
    }
    if !limits.rate_limit_enabled() {
        return Ok(());
    }
    if let Some(t) = tracker {
        let window = limits.rate_limit_window_seconds;
        if t.machine_id == machine_id
            && t.window_open(window, now)
            && t.count >= limits.rate_limit_max_events
        {
            let closes_at = t.window_start.saturating_add(window);
            return Err(LimitError::RateLimitExceeded {
                machine_id,
                count: t.count,
                max_events: limits.rate_limit_max_events,
                window_seconds: window,
                retry_after_seconds: closes_at.saturating_sub(now.max(t.window_start)),
            });
        }
    }
    Ok(())
}

/// Per-machine rate state for a client that submits for several machines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateTracker {
    trackers: HashMap<u64, EventTracker>,
}

impl RateTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Current state of a machine, if any event was recorded.
    pub fn get(&self, machine_id: u64) -> Option<&EventTracker> {
        self.trackers.get(&machine_id)
    }

    /// Checks one event against the limits and this machine's state.
    pub fn check(
        &self,
        params: &SubmitEventParams,
        limits: &OperationalLimits,
        now: u64,
    ) -> Result<(), LimitError> {
        check_operational_limits(params, limits, self.get(params.machine_id), now)
    }

    /// Records one submitted event for `machine_id` at `now`.
    pub fn record(&mut self, machine_id: u64, limits: &OperationalLimits, now: u64) {
        let next = EventTracker::recorded(self.get(machine_id), machine_id, limits, now);
        self.trackers.insert(machine_id, next);
    }

    /// Checks then records one event; nothing is recorded when the check fails.
    pub fn check_and_record(
        &mut self,
        params: &SubmitEventParams,
        limits: &OperationalLimits,
        now: u64,
    ) -> Result<(), LimitError> {
        self.check(params, limits, now)?;
        self.record(params.machine_id, limits, now);
        Ok(())
    }

    /// Checks a batch event by event (earlier events of the batch count towards the rate
    /// limit of later ones) and records all of them only if every check passes. On failure
    /// returns the index of the first offending event and leaves the state unchanged.
    pub fn check_and_record_batch(
        &mut self,
        events: &[SubmitEventParams],
        limits: &OperationalLimits,
        now: u64,
    ) -> Result<(), (usize, LimitError)> {
        let mut next = self.clone();
        for (i, e) in events.iter().enumerate() {
            next.check_and_record(e, limits, now)
                .map_err(|err| (i, err))?;
        }
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ev(machine_id: u64, value: u64) -> SubmitEventParams {
        SubmitEventParams::revenue(machine_id, U256::from(value), "USD", 1_700_000_000)
    }

    fn limits(max_value: u64, max_events: u64, window: u64) -> OperationalLimits {
        OperationalLimits {
            max_value_per_tx: U256::from(max_value),
            rate_limit_max_events: max_events,
            rate_limit_window_seconds: window,
        }
    }

    #[test]
    fn defaults_disable_everything() {
        let l = OperationalLimits::default();
        let t = EventTracker {
            machine_id: 1,
            count: u64::MAX,
            window_start: 0,
        };
        let mut e = ev(1, 0);
        e.value = U256::MAX;
        assert_eq!(check_operational_limits(&e, &l, Some(&t), 1), Ok(()));
    }

    #[test]
    fn value_cap_boundary() {
        let l = limits(10_000, 0, 0);
        assert_eq!(
            check_operational_limits(&ev(1, 10_000), &l, None, 0),
            Ok(())
        );
        let err = check_operational_limits(&ev(1, 10_001), &l, None, 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ValueCapExceeded);
        assert_eq!(err.code().as_str(), "ValueCapExceeded");
        assert_eq!(
            err.to_string(),
            "value 10001 exceeds max_value_per_tx 10000 for machine 1"
        );
    }

    #[test]
    fn rate_limit_boundary_and_window() {
        // Documented example: 60 events per 3600 s.
        let l = limits(10_000, 60, 3600);
        let start = 1_700_000_000;
        let t59 = EventTracker {
            machine_id: 1,
            count: 59,
            window_start: start,
        };
        let t60 = EventTracker { count: 60, ..t59 };
        assert_eq!(
            check_operational_limits(&ev(1, 100), &l, Some(&t59), start + 1800),
            Ok(())
        );
        let err = check_operational_limits(&ev(1, 100), &l, Some(&t60), start + 1800).unwrap_err();
        assert_eq!(err.code(), ErrorCode::RateLimitExceeded);
        assert_eq!(
            err,
            LimitError::RateLimitExceeded {
                machine_id: 1,
                count: 60,
                max_events: 60,
                window_seconds: 3600,
                retry_after_seconds: 1800
            }
        );
        // Last second inside the window, first second after it.
        assert!(check_operational_limits(&ev(1, 1), &l, Some(&t60), start + 3599).is_err());
        assert_eq!(
            check_operational_limits(&ev(1, 1), &l, Some(&t60), start + 3600),
            Ok(())
        );
        // A tracker for another machine does not limit this one; None never limits.
        assert_eq!(
            check_operational_limits(&ev(2, 1), &l, Some(&t60), start),
            Ok(())
        );
        assert_eq!(check_operational_limits(&ev(1, 1), &l, None, start), Ok(()));
        // Clock behind window start counts as inside the window.
        assert!(check_operational_limits(&ev(1, 1), &l, Some(&t60), start - 10).is_err());
    }

    #[test]
    fn value_cap_checked_before_rate_limit() {
        let l = limits(10, 1, 60);
        let t = EventTracker {
            machine_id: 1,
            count: 5,
            window_start: 0,
        };
        let err = check_operational_limits(&ev(1, 11), &l, Some(&t), 1).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ValueCapExceeded);
    }

    #[test]
    fn zero_window_disables_rate_limit() {
        let l = limits(0, 1, 0);
        let t = EventTracker {
            machine_id: 1,
            count: 100,
            window_start: 5,
        };
        assert_eq!(check_operational_limits(&ev(1, 1), &l, Some(&t), 5), Ok(()));
    }

    #[test]
    fn tracker_recording() {
        let l = limits(0, 3, 100);
        let t = EventTracker::recorded(None, 7, &l, 1000);
        assert_eq!(
            t,
            EventTracker {
                machine_id: 7,
                count: 1,
                window_start: 1000
            }
        );
        let t = EventTracker::recorded(Some(&t), 7, &l, 1050);
        assert_eq!(t.count, 2);
        assert_eq!(t.window_start, 1000);
        let t2 = EventTracker::recorded(Some(&t), 7, &l, 1100);
        assert_eq!(
            t2,
            EventTracker {
                machine_id: 7,
                count: 1,
                window_start: 1100
            }
        );
        let t3 = EventTracker::recorded(Some(&t), 8, &l, 1050);
        assert_eq!(
            t3,
            EventTracker {
                machine_id: 8,
                count: 1,
                window_start: 1050
            }
        );
    }

    #[test]
    fn rate_tracker_allows_exactly_max_per_window() {
        let l = limits(0, 3, 60);
        let mut rt = RateTracker::new();
        for i in 0..3 {
            rt.check_and_record(&ev(1, 1), &l, 100 + i).unwrap();
        }
        assert!(rt.check_and_record(&ev(1, 1), &l, 110).is_err());
        assert_eq!(rt.get(1).unwrap().count, 3);
        rt.check_and_record(&ev(2, 1), &l, 110).unwrap();
        rt.check_and_record(&ev(1, 1), &l, 160).unwrap();
        assert_eq!(
            rt.get(1).unwrap(),
            &EventTracker {
                machine_id: 1,
                count: 1,
                window_start: 160
            }
        );
    }

    #[test]
    fn batch_is_all_or_nothing() {
        let l = limits(1000, 2, 60);
        let mut rt = RateTracker::new();
        let before = rt.clone();
        let (i, e) = rt
            .check_and_record_batch(&[ev(1, 1), ev(1, 1), ev(1, 1)], &l, 10)
            .unwrap_err();
        assert_eq!(i, 2);
        assert_eq!(e.code(), ErrorCode::RateLimitExceeded);
        assert_eq!(rt, before);
        let (i, e) = rt
            .check_and_record_batch(&[ev(1, 1), ev(2, 5000)], &l, 10)
            .unwrap_err();
        assert_eq!((i, e.code()), (1, ErrorCode::ValueCapExceeded));
        assert_eq!(rt, before);
        rt.check_and_record_batch(&[ev(1, 1), ev(2, 1), ev(1, 1)], &l, 10)
            .unwrap();
        assert_eq!(rt.get(1).unwrap().count, 2);
        assert_eq!(rt.get(2).unwrap().count, 1);
    }

    proptest! {
        #[test]
        fn rate_tracker_never_exceeds_max_in_window(
            max in 1u64..10,
            window in 1u64..100,
            gaps in prop::collection::vec(0u64..20, 1..200),
        ) {
            let l = limits(0, max, window);
            let mut rt = RateTracker::new();
            let mut now = 1_000u64;
            for g in gaps {
                now += g;
                let _ = rt.check_and_record(&ev(1, 1), &l, now);
                let t = rt.get(1).unwrap();
                prop_assert!(t.count <= max);
                prop_assert!(t.window_open(window, now));
            }
        }

        #[test]
        fn value_cap_matches_comparison(v in any::<u64>(), cap in any::<u64>()) {
            let l = limits(cap, 0, 0);
            let r = check_operational_limits(&ev(1, v), &l, None, 0);
            prop_assert_eq!(r.is_err(), cap != 0 && v > cap);
        }
    }
}
