//! Trust level 1 ("on-chain verifiable") made true: what a source-chain check of an event does to
//! the trust tier it is scored at (pure).
//!
//! An event declaring trust level 1 names a `sourceChainId` and a `sourceTxHash`. The MCR service
//! fetches that transaction's receipt from the chain's configured RPC and checks that it exists,
//! succeeded and paid the machine. Only a [`SourceCheck::Verified`] event keeps the on-chain
//! tier; an unverified one (and one not checked yet) is scored at the self-reported tier, so a
//! claim nobody could confirm never outweighs a self-reported event.

use serde::{Deserialize, Serialize};

/// The declared trust level that a source-chain check applies to.
pub const TRUST_LEVEL_ONCHAIN: u8 = 1;
/// The tier an unconfirmed trust-level-1 event is scored at.
pub const TRUST_LEVEL_SELF: u8 = 0;

/// Where the source-chain check of one event stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceCheck {
    /// Not a trust-level-1 event: nothing to check.
    #[default]
    NotApplicable,
    /// Not checked yet, or the source chain's RPC failed and the check will be retried.
    Pending,
    /// The receipt exists, succeeded and paid the machine.
    Verified,
    /// Checked and refused (no such transaction, reverted, paid somebody else, no RPC for the
    /// chain).
    Unverified,
}

impl SourceCheck {
    /// The stored spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SourceCheck::NotApplicable => "not_applicable",
            SourceCheck::Pending => "pending",
            SourceCheck::Verified => "verified",
            SourceCheck::Unverified => "unverified",
        }
    }

    /// From the stored spelling (anything else: [`SourceCheck::Pending`], checked again).
    pub fn parse(s: &str) -> Self {
        match s {
            "not_applicable" => SourceCheck::NotApplicable,
            "verified" => SourceCheck::Verified,
            "unverified" => SourceCheck::Unverified,
            _ => SourceCheck::Pending,
        }
    }
}

/// The trust level an event is scored at: a declared trust level 1 counts only when its
/// source-chain check verified it, otherwise it scores as self-reported (0). Other levels are
/// unchanged.
pub const fn scored_trust_level(declared: u8, check: SourceCheck) -> u8 {
    match (declared, check) {
        (TRUST_LEVEL_ONCHAIN, SourceCheck::Verified) => TRUST_LEVEL_ONCHAIN,
        (TRUST_LEVEL_ONCHAIN, _) => TRUST_LEVEL_SELF,
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_verified_trust_1_event_keeps_the_onchain_tier() {
        assert_eq!(scored_trust_level(1, SourceCheck::Verified), 1);
        for c in [
            SourceCheck::Unverified,
            SourceCheck::Pending,
            SourceCheck::NotApplicable,
        ] {
            assert_eq!(scored_trust_level(1, c), 0, "{c:?}");
        }
    }

    #[test]
    fn other_levels_are_untouched_by_the_check() {
        for c in [
            SourceCheck::Verified,
            SourceCheck::Unverified,
            SourceCheck::Pending,
            SourceCheck::NotApplicable,
        ] {
            assert_eq!(scored_trust_level(0, c), 0);
            assert_eq!(scored_trust_level(2, c), 2);
            assert_eq!(scored_trust_level(7, c), 7);
        }
    }

    #[test]
    fn stored_spellings_round_trip() {
        for c in [
            SourceCheck::NotApplicable,
            SourceCheck::Pending,
            SourceCheck::Verified,
            SourceCheck::Unverified,
        ] {
            assert_eq!(SourceCheck::parse(c.as_str()), c);
        }
        assert_eq!(SourceCheck::parse("garbage"), SourceCheck::Pending);
    }

    #[test]
    fn an_unverified_trust_1_event_scores_like_a_self_reported_one() {
        use crate::{MachineFacts, ScoredEvent, ScoringConfig, score};
        use peaqos_types::rating::AmountStatus;
        let now = 1_800_000_000;
        let facts = MachineFacts {
            bonded: true,
            ..MachineFacts::default()
        };
        let events = |check: SourceCheck, declared: u8| -> Vec<ScoredEvent> {
            (0..40u64)
                .map(|i| ScoredEvent {
                    event_type: 0,
                    timestamp: now - i * 86_400,
                    trust_level: scored_trust_level(declared, check),
                    usd_cents: 2_500,
                    amount_status: AmountStatus::Ok,
                })
                .collect()
        };
        let c = ScoringConfig::default();
        let verified = score(&facts, &events(SourceCheck::Verified, 1), now, &c);
        let unverified = score(&facts, &events(SourceCheck::Unverified, 1), now, &c);
        let self_reported = score(&facts, &events(SourceCheck::NotApplicable, 0), now, &c);
        assert_eq!(unverified.score, self_reported.score);
        assert_eq!(
            unverified.terms.trust.mean_tier,
            self_reported.terms.trust.mean_tier
        );
        assert!(
            verified.score > unverified.score,
            "{} vs {}",
            verified.score,
            unverified.score
        );
        assert_eq!(verified.terms.trust.mean_tier, c.tier_onchain);
    }
}
