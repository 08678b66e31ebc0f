//! The rating history (`GET /mcr/{did}/history`) and the operator summary
//! (`GET /operator/{did}/summary`).
//!
//! Each completed UTC day's point is [`peaqos_mcr_model::daily_series`] over the stored events,
//! kept in `mcr_history` once computed; the indexer deletes the rows a new event, a flag, an
//! override, a stake or a status change restates (and all of them on a reorg), in the same
//! transaction as the change, and a computation stores its rows only when no such change
//! happened while it ran ([`crate::store::Store::store_history`]). Today's point is computed on
//! every request: it is exactly what `GET /mcr/{did}` answers.

use crate::api::{ApiError, AppState, bad, machine_for, operator_fleet};
use crate::error::McrError;
use crate::view::{self, MachineView};
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use chrono::{Days, NaiveDate};
use peaqos_mcr_model::{DayPoint, FxTable, ScoringConfig, daily_series};
use peaqos_types::mcr_wire::OperatorMachine;
use peaqos_types::rating::{Rating, RevenueTrend};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Longest range of one history request, in days (both ends included).
pub const MAX_HISTORY_DAYS: u64 = 366;
/// Days of history answered without `from` (both ends included).
pub const DEFAULT_HISTORY_DAYS: u64 = 30;
/// A letter below this one is a low rating (`BB`, `B`).
pub const LOW_RATING_BELOW: Rating = Rating::BBB;

const SECONDS_PER_DAY: u64 = 86_400;

/// One day of `GET /mcr/{did}/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryDay {
    /// The UTC day, `YYYY-MM-DD`.
    pub date: String,
    /// `mcr_score` at the end of the day (today: now).
    pub mcr_score: u8,
    /// The model's number before the gates (what `mcr_score` would be once rated).
    pub computed_score: u8,
    /// `mcr` at the end of the day.
    pub mcr: Rating,
    /// `revenue_trend` at the end of the day.
    pub revenue_trend: RevenueTrend,
    /// An event up to the end of the day had no FX rate.
    pub mcr_degraded: bool,
    /// USD cents of that day's revenue events.
    pub revenue_usd_cents: u64,
    /// That day's revenue events.
    pub revenue_event_count: u64,
    /// That day's activity events.
    pub activity_event_count: u64,
    /// Events up to the end of the day.
    pub cumulative_event_count: u64,
}

/// `GET /mcr/{did}/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryResponse {
    /// Machine DID.
    pub did: String,
    /// Machine id.
    pub machine_id: u64,
    /// First day answered (`YYYY-MM-DD`).
    pub from: String,
    /// Last day answered (`YYYY-MM-DD`).
    pub to: String,
    /// One entry per day, oldest first.
    pub days: Vec<HistoryDay>,
}

/// Machines per rating on `GET /operator/{did}/summary` (every key always present).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct RatingDistribution {
    /// Machines rated `AAA`.
    pub AAA: u64,
    /// `AA`.
    pub AA: u64,
    /// `A`.
    pub A: u64,
    /// `BBB`.
    pub BBB: u64,
    /// `BB`.
    pub BB: u64,
    /// `B`.
    pub B: u64,
    /// `NR`.
    pub NR: u64,
    /// `Provisioned`.
    pub Provisioned: u64,
}

impl RatingDistribution {
    /// Counts one machine.
    pub fn add(&mut self, r: Rating) {
        *self.slot(r) += 1;
    }

    /// The count of one rating.
    pub fn get(&self, r: Rating) -> u64 {
        match r {
            Rating::AAA => self.AAA,
            Rating::AA => self.AA,
            Rating::A => self.A,
            Rating::BBB => self.BBB,
            Rating::BB => self.BB,
            Rating::B => self.B,
            Rating::NR => self.NR,
            Rating::Provisioned => self.Provisioned,
        }
    }

    fn slot(&mut self, r: Rating) -> &mut u64 {
        match r {
            Rating::AAA => &mut self.AAA,
            Rating::AA => &mut self.AA,
            Rating::A => &mut self.A,
            Rating::BBB => &mut self.BBB,
            Rating::BB => &mut self.BB,
            Rating::B => &mut self.B,
            Rating::NR => &mut self.NR,
            Rating::Provisioned => &mut self.Provisioned,
        }
    }
}

/// `GET /operator/{did}/summary`: the whole fleet of an operator at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSummary {
    /// The operator's DID.
    pub operator_did: String,
    /// Machines in the fleet.
    pub machine_count: u64,
    /// Machines per rating.
    pub rating_distribution: RatingDistribution,
    /// Letters below this one are low (`BBB`).
    pub low_rating_below: Rating,
    /// Machines without a letter (`NR` or `Provisioned`), by machine id.
    pub unrated: Vec<OperatorMachine>,
    /// Machines with a letter below [`Self::low_rating_below`], by machine id.
    pub low_rated: Vec<OperatorMachine>,
    /// Machines with an active negative flag, by machine id.
    pub flagged: Vec<OperatorMachine>,
    /// Machines whose rating used an unavailable FX rate, by machine id.
    pub fx_degraded: Vec<OperatorMachine>,
}

/// Whether a rating is low: a letter below [`LOW_RATING_BELOW`].
pub fn is_low(r: Rating) -> bool {
    match (r.rank(), LOW_RATING_BELOW.rank()) {
        (Some(a), Some(b)) => r.is_rated() && a < b,
        _ => false,
    }
}

/// The summary of a fleet's views.
pub fn summarize(operator_did: String, fleet: &[Arc<MachineView>]) -> OperatorSummary {
    let mut s = OperatorSummary {
        operator_did,
        machine_count: fleet.len() as u64,
        rating_distribution: RatingDistribution::default(),
        low_rating_below: LOW_RATING_BELOW,
        unrated: Vec::new(),
        low_rated: Vec::new(),
        flagged: Vec::new(),
        fx_degraded: Vec::new(),
    };
    for v in fleet {
        let r = v.result.rating;
        s.rating_distribution.add(r);
        let entry = view::operator_entry(v);
        if !r.is_rated() {
            s.unrated.push(entry.clone());
        }
        if is_low(r) {
            s.low_rated.push(entry.clone());
        }
        if v.state.flagged_at.is_some() {
            s.flagged.push(entry.clone());
        }
        if v.result.degraded {
            s.fx_degraded.push(entry);
        }
    }
    s
}

/// What a stored history row depends on besides the index: a hash (FNV-1a, 64 bits, hex) of
/// the model parameters and the FX table's extent. Rows of other inputs are not used (a
/// refreshed FX table or other parameters recompute the history).
pub fn inputs_hash(scoring: &ScoringConfig, fx: &FxTable) -> String {
    let text = format!(
        "{scoring:?}|fx {}..{} rows {} pinned {} currencies {}",
        fx.first_date(),
        fx.last_date(),
        fx.len(),
        fx.is_pinned(),
        fx.currencies().join(",")
    );
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// UTC day number of a date.
pub fn day_of(d: NaiveDate) -> u64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    u64::try_from(d.signed_duration_since(epoch).num_days()).unwrap_or(0)
}

/// `YYYY-MM-DD` of a UTC day number.
pub fn date_of(day: u64) -> String {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_days(Days::new(day)))
        .map_or_else(|| day.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

fn parse_date(s: &str, what: &str) -> Result<u64, ApiError> {
    let t = s.trim();
    // `%Y` would take more or fewer digits: exactly YYYY-MM-DD.
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let date = shaped
        .then(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| bad(format!("{what} must be an ISO date (YYYY-MM-DD)")))?;
    if date < NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date") {
        return Err(bad(format!("{what} must not be before 1970-01-01")));
    }
    Ok(day_of(date))
}

/// The validated `from` / `to` of a history request as UTC day numbers: ISO dates, `from <=
/// to <= today`, at most [`MAX_HISTORY_DAYS`] days; `to` defaults to today and `from` to
/// [`DEFAULT_HISTORY_DAYS`] days ending at `to`.
pub fn parse_range(q: &HashMap<String, String>, today: u64) -> Result<(u64, u64), ApiError> {
    let to = match q.get("to") {
        Some(s) => parse_date(s, "to")?,
        None => today,
    };
    if to > today {
        return Err(bad(format!(
            "to ({}) is after today ({}, UTC)",
            date_of(to),
            date_of(today)
        )));
    }
    let from = match q.get("from") {
        Some(s) => parse_date(s, "from")?,
        None => to.saturating_sub(DEFAULT_HISTORY_DAYS - 1),
    };
    if from > to {
        return Err(bad("from must not be after to"));
    }
    if to - from + 1 > MAX_HISTORY_DAYS {
        return Err(bad(format!(
            "the range spans {} days; at most {MAX_HISTORY_DAYS} are answered",
            to - from + 1
        )));
    }
    Ok((from, to))
}

/// The points of `from..=to` (today's included when `to` is today; `to` is at most today).
pub async fn machine_history(
    st: &AppState,
    v: &MachineView,
    from: u64,
    to: u64,
) -> Result<Vec<DayPoint>, McrError> {
    let id = v.state.machine.machine_id;
    let now = st.now();
    let today = now / SECONDS_PER_DAY;
    let to = to.min(today);
    if from > to {
        return Ok(Vec::new());
    }
    // Completed days of the range: from..=done (none when the range is today alone).
    let done = if to == today {
        today.checked_sub(1)
    } else {
        Some(to)
    };
    let wanted = done.filter(|d| *d >= from).map_or(0, |d| d - from + 1);
    let fx = st.fx.table();
    let inputs = inputs_hash(&st.scoring, &fx);
    // The generation first: rows read after it and a change after it void the store below.
    let generation = st.store.history_generation(id).await?;
    let mut stored = match done {
        Some(d) if wanted > 0 => st.store.history_rows(id, from, d, &inputs).await?,
        _ => Vec::new(),
    };
    let complete = stored.len() as u64 == wanted;
    let compute_from = if complete { today.max(from) } else { from };
    if complete && to < today {
        return Ok(stored);
    }
    let Some((state, events)) = st.store.machine_with_events(id).await? else {
        return Ok(Vec::new());
    };
    let scored = view::scored_events(&events, &fx);
    let points = daily_series(
        &view::facts_of(&state),
        &scored,
        compute_from,
        to,
        now,
        &st.scoring,
    );
    if complete {
        stored.extend(points);
        return Ok(stored);
    }
    let completed: Vec<DayPoint> = points.iter().filter(|p| p.day < today).cloned().collect();
    match st
        .store
        .store_history(id, generation, &inputs, &completed)
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::debug!(machine_id = id, "history changed meanwhile; not stored"),
        Err(e) => tracing::warn!(machine_id = id, error = %e, "history not stored"),
    }
    Ok(points)
}

/// The wire form of a point.
pub fn history_day(p: &DayPoint) -> HistoryDay {
    HistoryDay {
        date: date_of(p.day),
        mcr_score: p.score,
        computed_score: p.computed_score,
        mcr: p.rating,
        revenue_trend: p.revenue_trend,
        mcr_degraded: p.degraded,
        revenue_usd_cents: p.revenue_usd_cents,
        revenue_event_count: p.revenue_events,
        activity_event_count: p.activity_events,
        cumulative_event_count: p.cumulative_events,
    }
}

/// Today's UTC day number on the service's clock.
pub fn today(st: &AppState) -> u64 {
    st.now() / SECONDS_PER_DAY
}

pub(crate) async fn history(
    State(st): State<AppState>,
    did: Result<Path<String>, PathRejection>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<HistoryResponse>, ApiError> {
    let did = did?.0;
    let Query(q) = q?;
    let (from, to) = parse_range(&q, today(&st))?;
    let v = machine_for(&st, &did).await?;
    let points = machine_history(&st, &v, from, to).await?;
    Ok(Json(HistoryResponse {
        did: view::did_of(v.state.machine.address),
        machine_id: v.state.machine.machine_id,
        from: date_of(from),
        to: date_of(to),
        days: points.iter().map(history_day).collect(),
    }))
}

pub(crate) async fn summary(
    State(st): State<AppState>,
    did: Result<Path<String>, PathRejection>,
) -> Result<Json<OperatorSummary>, ApiError> {
    let (operator, fleet) = operator_fleet(&st, &did?.0).await?;
    Ok(Json(summarize(operator, &fleet)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn dates_round_trip() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(day_of(d), 1_772_323_200 / 86_400);
        assert_eq!(date_of(day_of(d)), "2026-03-01");
        assert_eq!(date_of(0), "1970-01-01");
    }

    #[test]
    fn ranges_are_validated() {
        let today = day_of(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert_eq!(
            parse_range(&q(&[]), today).unwrap(),
            (today - 29, today),
            "30 days ending today"
        );
        assert_eq!(
            parse_range(&q(&[("from", "2026-03-01"), ("to", "2026-03-02")]), today).unwrap(),
            (today - 30, today - 29)
        );
        assert_eq!(
            parse_range(&q(&[("from", "2025-03-31")]), today).unwrap(),
            (today - 365, today),
            "366 days is the limit"
        );
        for bad_q in [
            q(&[("from", "2025-03-30")]),
            q(&[("from", "2026-3-1")]),
            q(&[("from", "20260301")]),
            q(&[("from", "2026-02-30")]),
            q(&[("to", "2026-04-01")]),
            q(&[("from", "2026-03-10"), ("to", "2026-03-09")]),
            q(&[("to", "+2026-03-01")]),
            q(&[("from", "1969-12-31"), ("to", "1970-01-01")]),
        ] {
            let e = parse_range(&bad_q, today).unwrap_err();
            assert_eq!(e.0, StatusCode::BAD_REQUEST, "{bad_q:?}");
        }
    }

    #[test]
    fn low_ratings() {
        assert!(is_low(Rating::BB) && is_low(Rating::B));
        for r in [
            Rating::AAA,
            Rating::AA,
            Rating::A,
            Rating::BBB,
            Rating::NR,
            Rating::Provisioned,
        ] {
            assert!(!is_low(r), "{r:?}");
        }
        let mut d = RatingDistribution::default();
        d.add(Rating::BB);
        d.add(Rating::BB);
        d.add(Rating::Provisioned);
        assert_eq!((d.get(Rating::BB), d.get(Rating::Provisioned)), (2, 1));
        let v = serde_json::to_value(d).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 8);
        assert_eq!(v["BB"], 2);
    }
}
