//! The peaqOS Machine Credit Rating model: pure scoring ([`scoring::score`]) and FX
//! normalisation of revenue to USD cents with the vendored ECB reference rates
//! ([`fx::FxTable`]), and the daily rating history ([`daily_series`]). No I/O (except the
//! optional [`fx::FxTable::from_path`] loader), no async.
//!
//! ```
//! use peaqos_mcr_model::{MachineFacts, ScoredEvent, ScoringConfig, score};
//! use peaqos_types::rating::{AmountStatus, Rating};
//!
//! let now = 1_800_000_000;
//! let facts = MachineFacts { bonded: true, ..MachineFacts::default() };
//! // 30 daily $5 on-chain revenue events ending today.
//! let events: Vec<ScoredEvent> = (0..30)
//!     .map(|i| ScoredEvent {
//!         event_type: 0,
//!         timestamp: now - (29 - i) * 86_400,
//!         trust_level: 1,
//!         usd_cents: 500,
//!         amount_status: AmountStatus::Ok,
//!     })
//!     .collect();
//! let r = score(&facts, &events, now, &ScoringConfig::default());
//! assert!(r.graduated);
//! assert_eq!(r.terms.revenue.consistency, 1.0);
//! assert_eq!(r.rating, Rating::BBB);
//! ```
//!
//! The model is documented with a worked example in `docs/MCR-MODEL.md`.

#![warn(missing_docs)]

#[cfg(feature = "bench")]
pub mod bench;
mod error;
pub mod fx;
mod history;
mod scoring;
mod verification;

#[cfg(feature = "bench")]
pub use bench::{bench_daily_series, bench_scoring, synthetic_history};
pub use error::FxError;
pub use fx::{FxConversion, FxSource, FxTable, minor_unit_digits};
pub use history::{DayPoint, daily_series};
pub use scoring::{
    FactorTerms, FreshnessTerms, GateStatus, GateTerms, MachineFacts, McrResult, ScoreTerms,
    ScoredEvent, ScoringConfig, TrendTerms, TrustTerms, score,
};
pub use verification::{SourceCheck, TRUST_LEVEL_ONCHAIN, TRUST_LEVEL_SELF, scored_trust_level};
