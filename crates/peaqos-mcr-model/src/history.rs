//! The daily rating history: for each UTC day, the model's answer as of the end of that day.
//!
//! Day `D` (a UTC day number, `unix seconds / 86 400`) is scored with [`score`] at
//! `now_D = end of D` (`(D + 1) x 86 400 - 1`), over the events whose event time is at or before
//! `now_D`, with the machine's facts as they are known now, except that a negative flag counts
//! only from the day of its `flagged_at` on. Today's point is scored at the caller's `now` over
//! every event (the model clamps future timestamps to `now`), so it is exactly what
//! `GET /mcr/{did}` answers. A trust override, the bond and a deactivation apply to every day:
//! the history is restated whenever they change (the service recomputes it).
//!
//! Cost: `O(days x events)` (each day is one O(n) [`score`] call over a sorted prefix).

use crate::scoring::{EVENT_TYPE_ACTIVITY, EVENT_TYPE_REVENUE, SECONDS_PER_DAY};
use crate::scoring::{MachineFacts, ScoredEvent, ScoringConfig, score};
use peaqos_types::rating::{AmountStatus, Rating, RevenueTrend};
use serde::Serialize;

/// The model's answer for one UTC day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayPoint {
    /// UTC day number (`unix seconds / 86 400`).
    pub day: u64,
    /// `mcr_score` at the end of the day (0 for `NR` and `Provisioned`).
    pub score: u8,
    /// The model's own number before the gates ([`crate::ScoreTerms::computed_score`]).
    pub computed_score: u8,
    /// `mcr` at the end of the day.
    pub rating: Rating,
    /// `revenue_trend` at the end of the day.
    pub revenue_trend: RevenueTrend,
    /// Some event up to the end of the day had `amount_status = fx_unavailable`.
    pub degraded: bool,
    /// USD cents of the revenue events of this day (unsupported currencies count 0).
    pub revenue_usd_cents: u64,
    /// Revenue events of this day.
    pub revenue_events: u64,
    /// Activity events of this day.
    pub activity_events: u64,
    /// Revenue and activity events up to the end of the day.
    pub cumulative_events: u64,
}

/// The points of the UTC days `from_day..=to_day`, oldest first; days after `now`'s day are
/// left out (an empty series when `from_day > to_day` or `from_day` is in the future).
///
/// Pure and deterministic; `events` may be in any order.
pub fn daily_series(
    facts: &MachineFacts,
    events: &[ScoredEvent],
    from_day: u64,
    to_day: u64,
    now: u64,
    config: &ScoringConfig,
) -> Vec<DayPoint> {
    let today = now / SECONDS_PER_DAY;
    let last = to_day.min(today);
    if from_day > last {
        return Vec::new();
    }
    let mut sorted: Vec<ScoredEvent> = events
        .iter()
        .filter(|e| e.event_type == EVENT_TYPE_REVENUE || e.event_type == EVENT_TYPE_ACTIVITY)
        .cloned()
        .collect();
    sorted.sort_by_key(|e| e.timestamp);
    let mut out = Vec::with_capacity(usize::try_from(last - from_day + 1).unwrap_or(0));
    // `k`: events with timestamp <= end of the current day (a prefix of `sorted`).
    let mut k = 0usize;
    for day in from_day..=last {
        let end = (day + 1).saturating_mul(SECONDS_PER_DAY).saturating_sub(1);
        let (now_d, upto) = if day == today {
            (now, sorted.len())
        } else {
            while k < sorted.len() && sorted[k].timestamp <= end {
                k += 1;
            }
            (end, k)
        };
        let day_facts = MachineFacts {
            flagged_at: facts
                .flagged_at
                .filter(|t| day == today || t / SECONDS_PER_DAY <= day),
            ..facts.clone()
        };
        let r = score(&day_facts, &sorted[..upto], now_d, config);
        let (mut revenue_usd_cents, mut revenue_events, mut activity_events) = (0u64, 0u64, 0u64);
        for e in &sorted[..upto] {
            if e.timestamp.min(now_d) / SECONDS_PER_DAY != day {
                continue;
            }
            if e.event_type == EVENT_TYPE_REVENUE {
                revenue_events += 1;
                if e.amount_status != AmountStatus::UnsupportedCurrency {
                    revenue_usd_cents = revenue_usd_cents.saturating_add(e.usd_cents);
                }
            } else {
                activity_events += 1;
            }
        }
        out.push(DayPoint {
            day,
            score: r.score,
            computed_score: r.terms.computed_score,
            rating: r.rating,
            revenue_trend: r.revenue_trend,
            degraded: r.degraded,
            revenue_usd_cents,
            revenue_events,
            activity_events,
            cumulative_events: r.terms.event_count,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = SECONDS_PER_DAY;

    fn ev(event_type: u8, timestamp: u64, usd_cents: u64) -> ScoredEvent {
        ScoredEvent {
            event_type,
            timestamp,
            trust_level: 1,
            usd_cents,
            amount_status: AmountStatus::Ok,
        }
    }

    #[test]
    fn a_month_of_revenue_graduates_and_today_is_the_live_answer() {
        let today = 20_000u64;
        let now = today * DAY + 3_600;
        let events: Vec<ScoredEvent> = (0..30)
            .map(|i| ev(0, (today - 29 + i) * DAY + 600, 500))
            .collect();
        let facts = MachineFacts {
            bonded: true,
            ..MachineFacts::default()
        };
        let c = ScoringConfig::default();
        let s = daily_series(&facts, &events, today - 40, today + 5, now, &c);
        assert_eq!(s.len(), 41, "future days are left out");
        assert_eq!(s[0].day, today - 40);
        // before the first event: bonded, nothing yet
        assert_eq!(s[0].rating, Rating::Provisioned);
        assert_eq!(s[0].cumulative_events, 0);
        // the first 14 days of history are Provisioned (span gate), later ones rated
        let first = s.iter().position(|p| p.day == today - 29).unwrap();
        assert_eq!(s[first].revenue_events, 1);
        assert_eq!(s[first].revenue_usd_cents, 500);
        assert_eq!(s[first].rating, Rating::Provisioned);
        assert!(s[first + 14].rating.is_rated(), "{:?}", s[first + 14]);
        let live = score(&facts, &events, now, &c);
        let last = s.last().unwrap();
        assert_eq!(
            (last.score, last.rating, last.revenue_trend),
            (live.score, live.rating, live.revenue_trend)
        );
        assert_eq!(last.cumulative_events, 30);
        assert_eq!(s.iter().map(|p| p.revenue_events).sum::<u64>(), 30);
    }

    #[test]
    fn a_flag_counts_from_its_day_on() {
        let today = 20_000u64;
        let now = today * DAY + 10;
        let events: Vec<ScoredEvent> = (0..60).map(|i| ev(1, (today - 59 + i) * DAY, 0)).collect();
        let flagged = MachineFacts {
            bonded: true,
            flagged_at: Some((today - 5) * DAY + 100),
            ..MachineFacts::default()
        };
        let clean = MachineFacts {
            flagged_at: None,
            ..flagged.clone()
        };
        let c = ScoringConfig::default();
        let a = daily_series(&flagged, &events, today - 10, today, now, &c);
        let b = daily_series(&clean, &events, today - 10, today, now, &c);
        for (x, y) in a.iter().zip(&b) {
            if x.day < today - 5 {
                assert_eq!(x, y, "day {} is before the flag", x.day);
            } else {
                assert!(x.computed_score < y.computed_score, "day {}", x.day);
            }
        }
    }

    #[test]
    fn empty_ranges() {
        let c = ScoringConfig::default();
        let f = MachineFacts::default();
        assert!(daily_series(&f, &[], 10, 9, 100 * DAY, &c).is_empty());
        assert!(daily_series(&f, &[], 101, 200, 100 * DAY, &c).is_empty());
        let one = daily_series(&f, &[], 100, 100, 100 * DAY, &c);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].rating, Rating::NR, "unbonded");
    }
}
