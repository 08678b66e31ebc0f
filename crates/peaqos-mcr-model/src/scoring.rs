//! The published Machine Credit Rating model (DESIGN.md "MCR model"), as one pure function.
//!
//! ```text
//! sum   = bond baseline (20)
//!       + revenue factor  (0..30) = 30 x (0.40 consistency + 0.35 depth + 0.25 tenure)
//!       + activity factor (0..20) = 20 x (0.40 consistency + 0.35 depth + 0.25 tenure)
//!       + trust term      (0..30) = 30 x trust base x freshness x flag penalty
//! score = clamp(round(sum), 0, 100)
//! ```
//!
//! **Freshness and the flag penalty multiply the trust term only**, not the whole score:
//! DESIGN.md says the trust contribution is "multiplied by freshness and by 0.5 while a
//! negative flag is younger than 180 days". A dormant or flagged machine therefore keeps its
//! bond baseline and its earned revenue / activity factors (whose consistency term already
//! decays on its own as the 90-day window empties) and loses at most the 30 trust points.
//!
//! The "graduation bonus" of the issue is the seed's "a long-running self-reported machine
//! earns a small graduation bonus on its trust contribution after sustained operation, but it
//! remains below the on-chain tier": once the first-to-last event span reaches
//! [`ScoringConfig::self_graduation_days`] (365) the self-reported tier scores
//! [`ScoringConfig::tier_self_graduated`] (0.50) instead of [`ScoringConfig::tier_self`] (0.40),
//! still below on-chain (0.75). There is no other bonus: a fixed number of points on
//! Provisioned -> rated graduation would only shift every rated machine by a constant and
//! reward nothing the factors do not already measure.
//!
//! Gates: unbonded or deactivated -> `NR`; bonded but not graduated -> `Provisioned`;
//! graduated machines get the letter of their score, and a letter below `B` is `NR`. Both `NR`
//! and `Provisioned` report `score = 0` on the wire (the seed: "Both NR and Provisioned return
//! mcr_score = 0"); the model's own number stays visible in [`ScoreTerms::computed_score`].
//!
//! Cost: events sorted by timestamp (as an indexer stores them) are scored in O(n) over events
//! plus O(days with events); an unsorted slice costs one extra O(n log n) sort of references.

use peaqos_types::rating::{AmountStatus, Rating, RevenueTrend, rating_for_score};
use serde::{Deserialize, Serialize};

/// Seconds in a UTC day (UNIX time has no leap seconds).
pub(crate) const SECONDS_PER_DAY: u64 = 86_400;

/// Event type of a revenue event.
pub(crate) const EVENT_TYPE_REVENUE: u8 = 0;
/// Event type of an activity event.
pub(crate) const EVENT_TYPE_ACTIVITY: u8 = 1;

/// Every parameter of the model. [`Default`] gives the DESIGN.md values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoringConfig {
    /// Points every bonded machine starts from (20).
    pub bond_baseline: f64,
    /// Maximum points of the revenue factor (30).
    pub revenue_weight: f64,
    /// Maximum points of the activity factor (20).
    pub activity_weight: f64,
    /// Maximum points of the trust contribution (30).
    pub trust_weight: f64,
    /// Share of consistency inside a factor (0.40).
    pub consistency_share: f64,
    /// Share of depth inside a factor (0.35).
    pub depth_share: f64,
    /// Share of tenure inside a factor (0.25).
    pub tenure_share: f64,
    /// A UTC day qualifies for revenue when its USD cents sum reaches this (100 = $1).
    pub qualifying_day_usd_cents: u64,
    /// A UTC day counts for activity when it has at least this many activity events (1).
    pub activity_day_min_events: u32,
    /// Length of the consistency window in UTC days, today included (90).
    pub consistency_window_days: u64,
    /// Qualifying revenue days for full revenue depth (60).
    pub revenue_depth_days: u64,
    /// Activity events for full activity depth (200).
    pub activity_depth_events: u64,
    /// Span in days (first to last counted day of the factor) for full tenure (365).
    pub tenure_days: u64,
    /// Tier score of trust level 0, self-reported (0.40).
    pub tier_self: f64,
    /// Tier score of self-reported events once the machine has graduated on tenure: the
    /// seed's "graduation bonus" (0.50).
    pub tier_self_graduated: f64,
    /// First-to-last event span (days) after which self-reported events score
    /// [`Self::tier_self_graduated`] (365).
    pub self_graduation_days: u64,
    /// Tier score of trust level 1, on-chain verifiable (0.75).
    pub tier_onchain: f64,
    /// Tier score of trust level 2, hardware-signed (1.00).
    pub tier_hardware: f64,
    /// Trust weight of one activity event (1).
    pub activity_trust_weight: f64,
    /// Trust weight of a revenue event per US dollar of value (1: a $25 event weighs 25).
    pub revenue_trust_weight_per_usd: f64,
    /// Days since the last event during which freshness stays 1.0 (7).
    pub freshness_grace_days: f64,
    /// After the grace period freshness halves every this many days (30).
    pub freshness_half_life_days: f64,
    /// Lowest freshness (0.25); also the dormancy cap right after a resumption.
    pub freshness_floor: f64,
    /// A gap between two consecutive events at least this long (days) is a dormancy (60).
    pub dormancy_gap_days: u64,
    /// Days after the resumption over which the dormancy cap recovers linearly to 1 (30).
    pub dormancy_recovery_days: f64,
    /// Factor on the trust term while a negative flag is active and young (0.5).
    pub flag_penalty_factor: f64,
    /// Days after the flag timestamp during which the penalty applies (180).
    pub flag_penalty_window_days: u64,
    /// Graduation: minimum first-to-last event span in days (14).
    pub graduation_min_span_days: u64,
    /// Graduation: minimum revenue events on qualifying days (10) ...
    pub graduation_min_revenue_events: u64,
    /// ... OR minimum activity events (20).
    pub graduation_min_activity_events: u64,
    /// Revenue trend: short window in days, today included (7).
    pub trend_short_days: u64,
    /// Revenue trend: long window in days, today included (30).
    pub trend_long_days: u64,
    /// Revenue trend: fewer qualifying revenue events in the long window -> `insufficient` (5).
    pub trend_min_revenue_events: u64,
    /// Revenue trend: relative change of the short vs long daily mean above which the trend
    /// is `up` (and below minus which it is `down`) (0.15).
    pub trend_threshold: f64,
    /// Report `score = 0` for a graduated machine whose score maps below `B` (`NR`), as the
    /// seed's API does (true). Unbonded, deactivated and `Provisioned` machines always report 0.
    pub zero_score_when_unrated: bool,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            bond_baseline: 20.0,
            revenue_weight: 30.0,
            activity_weight: 20.0,
            trust_weight: 30.0,
            consistency_share: 0.40,
            depth_share: 0.35,
            tenure_share: 0.25,
            qualifying_day_usd_cents: 100,
            activity_day_min_events: 1,
            consistency_window_days: 90,
            revenue_depth_days: 60,
            activity_depth_events: 200,
            tenure_days: 365,
            tier_self: 0.40,
            tier_self_graduated: 0.50,
            self_graduation_days: 365,
            tier_onchain: 0.75,
            tier_hardware: 1.00,
            activity_trust_weight: 1.0,
            revenue_trust_weight_per_usd: 1.0,
            freshness_grace_days: 7.0,
            freshness_half_life_days: 30.0,
            freshness_floor: 0.25,
            dormancy_gap_days: 60,
            dormancy_recovery_days: 30.0,
            flag_penalty_factor: 0.5,
            flag_penalty_window_days: 180,
            graduation_min_span_days: 14,
            graduation_min_revenue_events: 10,
            graduation_min_activity_events: 20,
            trend_short_days: 7,
            trend_long_days: 30,
            trend_min_revenue_events: 5,
            trend_threshold: 0.15,
            zero_score_when_unrated: true,
        }
    }
}

/// On-chain facts about the machine besides its events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineFacts {
    /// The machine holds its bond.
    pub bonded: bool,
    /// The machine was deactivated (scored as `NR`).
    pub deactivated: bool,
    /// Unix seconds when an active negative flag was set (None = no active flag).
    pub flagged_at: Option<u64>,
    /// AdminFlags trust override 0..=100 (None = no override); values above 100 count as 100.
    pub trust_override: Option<u8>,
}

/// One indexed event as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoredEvent {
    /// 0 revenue, 1 activity; other values are ignored.
    pub event_type: u8,
    /// Unix seconds of the event (event time, not submission time). Timestamps after `now`
    /// are treated as `now`.
    pub timestamp: u64,
    /// 0 self, 1 on-chain, 2 hardware; unknown levels score as self-reported.
    pub trust_level: u8,
    /// Revenue converted to USD cents (0 for activity / unsupported currency).
    pub usd_cents: u64,
    /// FX outcome of the event (`fx_unavailable` sets [`McrResult::degraded`]).
    pub amount_status: AmountStatus,
}

/// Output of [`score`].
#[derive(Clone, Debug, Serialize)]
pub struct McrResult {
    /// `mcr_score`, 0..=100 (0 for `NR` and `Provisioned`).
    pub score: u8,
    /// `mcr` letter (`NR`, `Provisioned` or a letter grade).
    pub rating: Rating,
    /// Both graduation gates are cleared (independent of the bond).
    pub graduated: bool,
    /// At least one event has `amount_status = fx_unavailable`.
    pub degraded: bool,
    /// `revenue_trend`.
    pub revenue_trend: RevenueTrend,
    /// Sum of the USD cents of every revenue event (unsupported currencies count 0).
    pub total_revenue_usd_cents: u64,
    /// Every intermediate term (for `/mcr/{did}/explain`).
    pub terms: ScoreTerms,
}

/// Why the machine got its rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    /// No bond: `NR`.
    Unbonded,
    /// Deactivated: `NR`.
    Deactivated,
    /// Bonded but a graduation gate is not cleared: `Provisioned`.
    Provisioned,
    /// Graduated, but the score maps below `B`: `NR`.
    BelowThreshold,
    /// Graduated and rated with a letter.
    Rated,
}

/// The gates and their inputs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateTerms {
    /// Input fact.
    pub bonded: bool,
    /// Input fact.
    pub deactivated: bool,
    /// First-to-last event span in days (fractional).
    pub span_days: f64,
    /// Required span in days.
    pub min_span_days: u64,
    /// `span_days >= min_span_days`.
    pub span_ok: bool,
    /// Revenue events with a USD value on qualifying days.
    pub qualifying_revenue_events: u64,
    /// Required qualifying revenue events.
    pub min_revenue_events: u64,
    /// Activity events.
    pub activity_events: u64,
    /// Required activity events.
    pub min_activity_events: u64,
    /// The events gate: enough qualifying revenue events OR enough activity events.
    pub events_ok: bool,
    /// `span_ok && events_ok`.
    pub graduated: bool,
    /// Outcome.
    pub status: GateStatus,
    /// The outcome in words.
    pub reason: String,
}

/// Terms of the revenue or the activity factor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactorTerms {
    /// Maximum points of the factor.
    pub weight: f64,
    /// Counted days (qualifying revenue days / activity days) over the whole history.
    pub counted_days: u64,
    /// Counted days inside the consistency window.
    pub counted_days_in_window: u64,
    /// Days of machine history inside the window: from the later of the first event's day
    /// and the window start, through today.
    pub days_of_history_in_window: u64,
    /// `counted_days_in_window / days_of_history_in_window` (0 without history).
    pub consistency: f64,
    /// What depth counts: qualifying days (revenue) or events (activity).
    pub depth_count: u64,
    /// `depth_count` for full depth.
    pub depth_target: u64,
    /// `min(1, depth_count / depth_target)`.
    pub depth: f64,
    /// Days from the first to the last counted day.
    pub span_days: u64,
    /// `min(1, span_days / tenure_days)`.
    pub tenure: f64,
    /// `weight x (consistency share x consistency + depth share x depth + tenure share x tenure)`.
    pub contribution: f64,
}

/// Freshness of the machine (applied to the trust term).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FreshnessTerms {
    /// Days since the last event (None without events).
    pub days_since_last_event: Option<f64>,
    /// `1` within the grace period, then `0.5^((days - grace) / half life)`, at least the floor.
    pub decay: f64,
    /// Length in days of the most recent dormancy gap (None if there was none).
    pub dormancy_gap_days: Option<f64>,
    /// Unix seconds of the first event after the most recent dormancy gap.
    pub resumed_at: Option<u64>,
    /// Days since that resumption.
    pub days_since_resumption: Option<f64>,
    /// `floor + (1 - floor) x min(1, days since resumption / recovery days)`.
    pub dormancy_cap: Option<f64>,
    /// `min(decay, dormancy cap)`; the floor without events.
    pub value: f64,
}

/// The trust contribution and its inputs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrustTerms {
    /// Maximum points of the trust term.
    pub weight: f64,
    /// Sum of trust weights of self-reported events (or unknown levels).
    pub weight_self: f64,
    /// Sum of trust weights of on-chain events.
    pub weight_onchain: f64,
    /// Sum of trust weights of hardware events.
    pub weight_hardware: f64,
    /// Tier score used for self-reported events (0.40, or 0.50 after the graduation bonus).
    pub tier_self_used: f64,
    /// The self-reported graduation bonus applies (span >= self_graduation_days).
    pub self_graduation_bonus: bool,
    /// Weighted mean tier score of the events (0 when no event carries weight).
    pub mean_tier: f64,
    /// AdminFlags override as a fraction (None without override).
    pub override_used: Option<f64>,
    /// The override if set, else the mean.
    pub base: f64,
    /// Freshness factor.
    pub freshness: FreshnessTerms,
    /// A negative flag is set.
    pub flag_active: bool,
    /// Days since the flag (None without flag).
    pub flag_age_days: Option<f64>,
    /// `flag_penalty_factor` while the flag is younger than the window, else 1.
    pub flag_penalty: f64,
    /// `weight x base x freshness x flag_penalty`.
    pub contribution: f64,
}

/// Inputs of the revenue trend.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrendTerms {
    /// Qualifying revenue events inside the long window.
    pub qualifying_revenue_events_long: u64,
    /// Mean daily qualifying revenue (USD cents) over the short window.
    pub short_mean_cents: f64,
    /// Mean daily qualifying revenue (USD cents) over the long window.
    pub long_mean_cents: f64,
    /// `short / long - 1` (None when insufficient).
    pub change: Option<f64>,
    /// Result.
    pub trend: RevenueTrend,
}

/// Every intermediate value of a score (Serialize; `/mcr/{did}/explain`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreTerms {
    /// `now` as given.
    pub now: u64,
    /// UTC day number (days since 1970-01-01) of `now`.
    pub today: u64,
    /// Events of type 0 or 1 that were scored.
    pub event_count: u64,
    /// Revenue events.
    pub revenue_event_count: u64,
    /// Activity events.
    pub activity_event_count: u64,
    /// Events with another type (ignored).
    pub ignored_event_count: u64,
    /// Events with a timestamp after `now` (scored as `now`).
    pub future_event_count: u64,
    /// Revenue events with `amount_status = fx_unavailable`.
    pub fx_unavailable_event_count: u64,
    /// Revenue events with `amount_status = unsupported_currency` (scored as $0).
    pub unsupported_currency_event_count: u64,
    /// Timestamp of the first event.
    pub first_event_at: Option<u64>,
    /// Timestamp of the last event.
    pub last_event_at: Option<u64>,
    /// Gates.
    pub gates: GateTerms,
    /// Bond baseline points (0 when unbonded).
    pub bond_baseline: f64,
    /// Revenue factor.
    pub revenue: FactorTerms,
    /// Activity factor.
    pub activity: FactorTerms,
    /// Trust contribution.
    pub trust: TrustTerms,
    /// bond + revenue + activity + trust.
    pub sum: f64,
    /// `clamp(round(sum), 0, 100)`, whatever the gates say.
    pub computed_score: u8,
    /// Revenue trend inputs.
    pub trend: TrendTerms,
}

/// Per-UTC-day aggregate of the sorted events.
#[derive(Clone, Copy, Debug)]
struct DayAgg {
    day: u64,
    min_ts: u64,
    max_ts: u64,
    revenue_cents: u64,
    revenue_events_valued: u64,
    activity_events: u64,
}

fn effective_cents(e: &ScoredEvent) -> u64 {
    if e.amount_status == AmountStatus::UnsupportedCurrency {
        0
    } else {
        e.usd_cents
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        (num as f64 / den as f64).min(1.0)
    }
}

struct FactorInput {
    weight: f64,
    counted_days: u64,
    counted_days_in_window: u64,
    first_counted: Option<u64>,
    last_counted: Option<u64>,
    depth_count: u64,
    depth_target: u64,
}

fn factor(input: FactorInput, history_days: u64, c: &ScoringConfig) -> FactorTerms {
    let consistency = ratio(input.counted_days_in_window, history_days);
    let depth = ratio(input.depth_count, input.depth_target);
    let span_days = match (input.first_counted, input.last_counted) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    };
    let tenure = ratio(span_days, c.tenure_days);
    let contribution = input.weight
        * (c.consistency_share * consistency + c.depth_share * depth + c.tenure_share * tenure);
    FactorTerms {
        weight: input.weight,
        counted_days: input.counted_days,
        counted_days_in_window: input.counted_days_in_window,
        days_of_history_in_window: history_days,
        consistency,
        depth_count: input.depth_count,
        depth_target: input.depth_target,
        depth,
        span_days,
        tenure,
        contribution,
    }
}

/// Scores a machine: the gates, every factor, the letter and the revenue trend.
///
/// `events` may be in any order (sorted by timestamp is the fast path); `now` is unix seconds.
/// Pure and deterministic: the same inputs give the same result.
pub fn score(
    facts: &MachineFacts,
    events: &[ScoredEvent],
    now: u64,
    config: &ScoringConfig,
) -> McrResult {
    let c = config;
    let today = now / SECONDS_PER_DAY;

    // Known event types, timestamps clamped to `now`, in time order (O(n) when sorted).
    let mut refs: Vec<&ScoredEvent> = Vec::with_capacity(events.len());
    let mut ignored = 0u64;
    let mut future = 0u64;
    for e in events {
        if e.event_type == EVENT_TYPE_REVENUE || e.event_type == EVENT_TYPE_ACTIVITY {
            if e.timestamp > now {
                future += 1;
            }
            refs.push(e);
        } else {
            ignored += 1;
        }
    }
    refs.sort_by_key(|e| e.timestamp.min(now));

    let first_ts = refs.first().map(|e| e.timestamp.min(now));
    let last_ts = refs.last().map(|e| e.timestamp.min(now));
    let span_secs = match (first_ts, last_ts) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    };

    // One pass: per-day aggregates, counts, trust weights, totals.
    let mut days: Vec<DayAgg> = Vec::new();
    let mut revenue_events = 0u64;
    let mut activity_events = 0u64;
    let mut fx_unavailable = 0u64;
    let mut unsupported = 0u64;
    let mut degraded = false;
    let mut total_revenue = 0u64;
    // Trust weights per tier, kept exact (integer cents / event counts) so the result does
    // not depend on the order of events with equal timestamps.
    let mut tier_cents = [0u128; 3];
    let mut tier_activity = [0u64; 3];
    for e in &refs {
        let ts = e.timestamp.min(now);
        let day = ts / SECONDS_PER_DAY;
        if days.last().is_none_or(|d| d.day != day) {
            days.push(DayAgg {
                day,
                min_ts: ts,
                max_ts: ts,
                revenue_cents: 0,
                revenue_events_valued: 0,
                activity_events: 0,
            });
        }
        let d = days.last_mut().expect("pushed above");
        d.max_ts = ts;
        if e.amount_status == AmountStatus::FxUnavailable {
            degraded = true;
        }
        let tier = match e.trust_level {
            1 => 1,
            2 => 2,
            _ => 0,
        };
        if e.event_type == EVENT_TYPE_REVENUE {
            revenue_events += 1;
            match e.amount_status {
                AmountStatus::FxUnavailable => fx_unavailable += 1,
                AmountStatus::UnsupportedCurrency => unsupported += 1,
                AmountStatus::Ok => {}
            }
            let cents = effective_cents(e);
            total_revenue = total_revenue.saturating_add(cents);
            d.revenue_cents = d.revenue_cents.saturating_add(cents);
            if cents > 0 {
                d.revenue_events_valued += 1;
            }
            tier_cents[tier] += u128::from(cents);
        } else {
            activity_events += 1;
            d.activity_events += 1;
            tier_activity[tier] += 1;
        }
    }

    // Windows (UTC day numbers, today included).
    let win_start = (today + 1).saturating_sub(c.consistency_window_days);
    let short_start = (today + 1).saturating_sub(c.trend_short_days);
    let long_start = (today + 1).saturating_sub(c.trend_long_days);
    let history_days = match days.first() {
        Some(first) if c.consistency_window_days > 0 => today + 1 - first.day.max(win_start),
        _ => 0,
    };

    // Revenue and activity day counts, trend sums, dormancy: one pass over the days.
    let mut q_days = 0u64;
    let mut q_days_win = 0u64;
    let mut q_first = None;
    let mut q_last = None;
    let mut q_events = 0u64;
    let mut a_days = 0u64;
    let mut a_days_win = 0u64;
    let mut a_first = None;
    let mut a_last = None;
    let mut short_sum = 0u64;
    let mut long_sum = 0u64;
    let mut long_q_events = 0u64;
    let mut dormancy: Option<(u64, u64)> = None; // (gap seconds, resumed_at)
    let dormancy_secs = c.dormancy_gap_days.saturating_mul(SECONDS_PER_DAY);
    let mut prev_max: Option<u64> = None;
    for d in &days {
        if let Some(pm) = prev_max {
            let gap = d.min_ts - pm;
            if gap >= dormancy_secs {
                dormancy = Some((gap, d.min_ts));
            }
        }
        prev_max = Some(d.max_ts);
        if d.revenue_cents >= c.qualifying_day_usd_cents && d.revenue_cents > 0 {
            q_days += 1;
            q_events += d.revenue_events_valued;
            q_first.get_or_insert(d.day);
            q_last = Some(d.day);
            if d.day >= win_start {
                q_days_win += 1;
            }
            if d.day >= long_start {
                long_sum = long_sum.saturating_add(d.revenue_cents);
                long_q_events += d.revenue_events_valued;
            }
            if d.day >= short_start {
                short_sum = short_sum.saturating_add(d.revenue_cents);
            }
        }
        if d.activity_events >= u64::from(c.activity_day_min_events.max(1)) {
            a_days += 1;
            a_first.get_or_insert(d.day);
            a_last = Some(d.day);
            if d.day >= win_start {
                a_days_win += 1;
            }
        }
    }

    let revenue = factor(
        FactorInput {
            weight: c.revenue_weight,
            counted_days: q_days,
            counted_days_in_window: q_days_win,
            first_counted: q_first,
            last_counted: q_last,
            depth_count: q_days,
            depth_target: c.revenue_depth_days,
        },
        history_days,
        c,
    );
    let activity = factor(
        FactorInput {
            weight: c.activity_weight,
            counted_days: a_days,
            counted_days_in_window: a_days_win,
            first_counted: a_first,
            last_counted: a_last,
            depth_count: activity_events,
            depth_target: c.activity_depth_events,
        },
        history_days,
        c,
    );

    // Freshness.
    let day_f = SECONDS_PER_DAY as f64;
    let days_since_last = last_ts.map(|t| (now - t) as f64 / day_f);
    let decay = match days_since_last {
        Some(d) if d <= c.freshness_grace_days => 1.0,
        Some(d) => {
            let halvings = if c.freshness_half_life_days > 0.0 {
                (d - c.freshness_grace_days) / c.freshness_half_life_days
            } else {
                f64::INFINITY
            };
            0.5f64.powf(halvings).max(c.freshness_floor)
        }
        None => c.freshness_floor,
    };
    let (dormancy_gap_days, resumed_at, days_since_resumption, dormancy_cap) = match dormancy {
        Some((gap, resumed)) => {
            let since = (now - resumed) as f64 / day_f;
            let recovered = if c.dormancy_recovery_days > 0.0 {
                (since / c.dormancy_recovery_days).min(1.0)
            } else {
                1.0
            };
            let cap = c.freshness_floor + (1.0 - c.freshness_floor) * recovered;
            (
                Some(gap as f64 / day_f),
                Some(resumed),
                Some(since),
                Some(cap),
            )
        }
        None => (None, None, None, None),
    };
    let freshness_value = dormancy_cap.map_or(decay, |cap| decay.min(cap));
    let freshness = FreshnessTerms {
        days_since_last_event: days_since_last,
        decay,
        dormancy_gap_days,
        resumed_at,
        days_since_resumption,
        dormancy_cap,
        value: freshness_value,
    };

    // Trust.
    let self_bonus =
        first_ts.is_some() && span_secs >= c.self_graduation_days.saturating_mul(SECONDS_PER_DAY);
    let tier_self_used = if self_bonus {
        c.tier_self_graduated
    } else {
        c.tier_self
    };
    let w: [f64; 3] = std::array::from_fn(|i| {
        tier_cents[i] as f64 / 100.0 * c.revenue_trust_weight_per_usd
            + tier_activity[i] as f64 * c.activity_trust_weight
    });
    let weight_total = w[0] + w[1] + w[2];
    let mean_tier = if weight_total > 0.0 {
        (w[0] * tier_self_used + w[1] * c.tier_onchain + w[2] * c.tier_hardware) / weight_total
    } else {
        0.0
    };
    let override_used = facts.trust_override.map(|o| f64::from(o.min(100)) / 100.0);
    let base = override_used.unwrap_or(mean_tier);
    let flag_age_days = facts
        .flagged_at
        .map(|t| now.saturating_sub(t) as f64 / day_f);
    let flag_penalty = match facts.flagged_at {
        Some(t)
            if now.saturating_sub(t)
                < c.flag_penalty_window_days.saturating_mul(SECONDS_PER_DAY) =>
        {
            c.flag_penalty_factor
        }
        _ => 1.0,
    };
    let trust = TrustTerms {
        weight: c.trust_weight,
        weight_self: w[0],
        weight_onchain: w[1],
        weight_hardware: w[2],
        tier_self_used,
        self_graduation_bonus: self_bonus,
        mean_tier,
        override_used,
        base,
        contribution: c.trust_weight * base * freshness.value * flag_penalty,
        freshness,
        flag_active: facts.flagged_at.is_some(),
        flag_age_days,
        flag_penalty,
    };

    // Trend.
    let short_mean = if c.trend_short_days > 0 {
        short_sum as f64 / c.trend_short_days as f64
    } else {
        0.0
    };
    let long_mean = if c.trend_long_days > 0 {
        long_sum as f64 / c.trend_long_days as f64
    } else {
        0.0
    };
    let (change, revenue_trend) =
        if long_q_events < c.trend_min_revenue_events.max(1) || long_mean <= 0.0 {
            (None, RevenueTrend::Insufficient)
        } else {
            let change = short_mean / long_mean - 1.0;
            let t = if change > c.trend_threshold {
                RevenueTrend::Up
            } else if change < -c.trend_threshold {
                RevenueTrend::Down
            } else {
                RevenueTrend::Stable
            };
            (Some(change), t)
        };
    let trend = TrendTerms {
        qualifying_revenue_events_long: long_q_events,
        short_mean_cents: short_mean,
        long_mean_cents: long_mean,
        change,
        trend: revenue_trend,
    };

    // Sum and gates.
    let bond_baseline = if facts.bonded { c.bond_baseline } else { 0.0 };
    let sum = bond_baseline + revenue.contribution + activity.contribution + trust.contribution;
    let computed_score = sum.round().clamp(0.0, 100.0) as u8;

    let span_days = span_secs as f64 / day_f;
    let span_ok = first_ts.is_some()
        && span_secs >= c.graduation_min_span_days.saturating_mul(SECONDS_PER_DAY);
    let events_ok = q_events >= c.graduation_min_revenue_events
        || activity_events >= c.graduation_min_activity_events;
    let graduated = span_ok && events_ok;
    let letter = rating_for_score(computed_score);
    let (status, rating, reason) = if !facts.bonded {
        (
            GateStatus::Unbonded,
            Rating::NR,
            "unbonded: no bond, not rated".to_owned(),
        )
    } else if facts.deactivated {
        (
            GateStatus::Deactivated,
            Rating::NR,
            "deactivated: not rated".to_owned(),
        )
    } else if !graduated {
        let mut missing = Vec::new();
        if !span_ok {
            missing.push(format!(
                "first-to-last event span {span_days:.2} days < {} days",
                c.graduation_min_span_days
            ));
        }
        if !events_ok {
            missing.push(format!(
                "{q_events} revenue events on qualifying days < {} and {activity_events} activity events < {}",
                c.graduation_min_revenue_events, c.graduation_min_activity_events
            ));
        }
        (
            GateStatus::Provisioned,
            Rating::Provisioned,
            format!("provisioned: {}", missing.join("; ")),
        )
    } else if letter == Rating::NR {
        (
            GateStatus::BelowThreshold,
            Rating::NR,
            format!(
                "graduated; score {computed_score} is below {}",
                peaqos_types::rating::THRESHOLD_B
            ),
        )
    } else {
        (
            GateStatus::Rated,
            letter,
            format!("graduated; score {computed_score} maps to {letter}"),
        )
    };
    let score = match status {
        GateStatus::Rated => computed_score,
        GateStatus::BelowThreshold if !c.zero_score_when_unrated => computed_score,
        _ => 0,
    };

    let gates = GateTerms {
        bonded: facts.bonded,
        deactivated: facts.deactivated,
        span_days,
        min_span_days: c.graduation_min_span_days,
        span_ok,
        qualifying_revenue_events: q_events,
        min_revenue_events: c.graduation_min_revenue_events,
        activity_events,
        min_activity_events: c.graduation_min_activity_events,
        events_ok,
        graduated,
        status,
        reason,
    };

    McrResult {
        score,
        rating,
        graduated,
        degraded,
        revenue_trend,
        total_revenue_usd_cents: total_revenue,
        terms: ScoreTerms {
            now,
            today,
            event_count: revenue_events + activity_events,
            revenue_event_count: revenue_events,
            activity_event_count: activity_events,
            ignored_event_count: ignored,
            future_event_count: future,
            fx_unavailable_event_count: fx_unavailable,
            unsupported_currency_event_count: unsupported,
            first_event_at: first_ts,
            last_event_at: last_ts,
            gates,
            bond_baseline,
            revenue,
            activity,
            trust,
            sum,
            computed_score,
            trend,
        },
    }
}
