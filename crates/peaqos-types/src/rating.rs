//! Machine Credit Rating letters, score thresholds and the related MCR API enums
//! (`bond_status`, `revenue_trend`, `amount_status`).

use std::fmt;
use std::str::FromStr;

/// Minimum score for [`Rating::AAA`].
pub const THRESHOLD_AAA: u8 = 95;
/// Minimum score for [`Rating::AA`].
pub const THRESHOLD_AA: u8 = 85;
/// Minimum score for [`Rating::A`].
pub const THRESHOLD_A: u8 = 75;
/// Minimum score for [`Rating::BBB`].
pub const THRESHOLD_BBB: u8 = 60;
/// Minimum score for [`Rating::BB`].
pub const THRESHOLD_BB: u8 = 45;
/// Minimum score for [`Rating::B`].
pub const THRESHOLD_B: u8 = 30;

/// An MCR letter (`mcr` field), spelled exactly as the MCR API returns it.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rating {
    /// Highest credit quality (score >= 95).
    AAA,
    /// Very high credit quality (>= 85).
    AA,
    /// High credit quality (>= 75).
    A,
    /// Investment grade (>= 60).
    BBB,
    /// Below investment grade (>= 45).
    BB,
    /// Minimum rated (>= 30).
    B,
    /// Not rated: score below 30, or the machine is unbonded.
    NR,
    /// Bonded but not enough history to score yet.
    Provisioned,
}

impl Rating {
    /// All ratings, best first, then `NR` and `Provisioned`.
    pub const ALL: [Rating; 8] = [
        Rating::AAA,
        Rating::AA,
        Rating::A,
        Rating::BBB,
        Rating::BB,
        Rating::B,
        Rating::NR,
        Rating::Provisioned,
    ];

    /// The exact API spelling (`"AAA"`, ..., `"NR"`, `"Provisioned"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Rating::AAA => "AAA",
            Rating::AA => "AA",
            Rating::A => "A",
            Rating::BBB => "BBB",
            Rating::BB => "BB",
            Rating::B => "B",
            Rating::NR => "NR",
            Rating::Provisioned => "Provisioned",
        }
    }

    /// Minimum score of a letter grade; `None` for `NR` and `Provisioned`.
    pub const fn threshold(self) -> Option<u8> {
        match self {
            Rating::AAA => Some(THRESHOLD_AAA),
            Rating::AA => Some(THRESHOLD_AA),
            Rating::A => Some(THRESHOLD_A),
            Rating::BBB => Some(THRESHOLD_BBB),
            Rating::BB => Some(THRESHOLD_BB),
            Rating::B => Some(THRESHOLD_B),
            Rating::NR | Rating::Provisioned => None,
        }
    }

    /// `true` for the letter grades `AAA`..`B`.
    pub const fn is_rated(self) -> bool {
        self.threshold().is_some()
    }

    /// Position on the credit scale: `NR` 0, `B` 1, ... `AAA` 6; `None` for `Provisioned`
    /// (not on the scale yet).
    pub const fn rank(self) -> Option<u8> {
        match self {
            Rating::NR => Some(0),
            Rating::B => Some(1),
            Rating::BB => Some(2),
            Rating::BBB => Some(3),
            Rating::A => Some(4),
            Rating::AA => Some(5),
            Rating::AAA => Some(6),
            Rating::Provisioned => None,
        }
    }
}

/// Maps an integer `mcr_score` to its letter: AAA >= 95, AA >= 85, A >= 75, BBB >= 60,
/// BB >= 45, B >= 30, else NR. Never returns `Provisioned` (that depends on history, not
/// on the score). Scores above 100 map to AAA.
pub const fn rating_for_score(score: u8) -> Rating {
    if score >= THRESHOLD_AAA {
        Rating::AAA
    } else if score >= THRESHOLD_AA {
        Rating::AA
    } else if score >= THRESHOLD_A {
        Rating::A
    } else if score >= THRESHOLD_BBB {
        Rating::BBB
    } else if score >= THRESHOLD_BB {
        Rating::BB
    } else if score >= THRESHOLD_B {
        Rating::B
    } else {
        Rating::NR
    }
}

/// Error for a string that is not a documented enum value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {value:?}")]
pub struct ParseEnumError {
    /// Which enum was being parsed (`rating`, `bond_status`, ...).
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rating {
    type Err = ParseEnumError;

    /// Parses the exact API spelling (case-sensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rating::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ParseEnumError {
                kind: "rating",
                value: s.to_owned(),
            })
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_serde!(Rating);

macro_rules! simple_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal, { $( $(#[$vdoc:meta])* $variant:ident => $s:literal ),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
        }

        impl $name {
            /// All values.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The exact wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $s, )* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;

            /// Parses the exact wire spelling (case-sensitive).
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $s => Ok($name::$variant), )*
                    _ => Err(ParseEnumError { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        string_serde!($name);
    };
}

simple_enum!(
    /// `bond_status` on the MCR API.
    BondStatus, "bond_status", {
        /// The machine holds its bond.
        Bonded => "bonded",
        /// No bond: the rating is `NR`.
        Unbonded => "unbonded",
    }
);

simple_enum!(
    /// `revenue_trend` on `/mcr/{did}`.
    RevenueTrend, "revenue_trend", {
        /// Recent revenue materially above the longer-term baseline.
        Up => "up",
        /// Recent revenue tracks the baseline.
        Stable => "stable",
        /// Recent revenue materially below the baseline.
        Down => "down",
        /// Not enough qualifying revenue events.
        Insufficient => "insufficient",
    }
);

simple_enum!(
    /// Per-event `amount_status` of FX normalisation.
    AmountStatus, "amount_status", {
        /// Converted with a fresh rate.
        Ok => "ok",
        /// Currency not supported: scored as $0, not degraded.
        UnsupportedCurrency => "unsupported_currency",
        /// Stale or missing FX: sets `mcr_degraded`.
        FxUnavailable => "fx_unavailable",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn thresholds_at_every_boundary() {
        let cases = [
            (0, Rating::NR),
            (29, Rating::NR),
            (30, Rating::B),
            (44, Rating::B),
            (45, Rating::BB),
            (59, Rating::BB),
            (60, Rating::BBB),
            (74, Rating::BBB),
            (75, Rating::A),
            (84, Rating::A),
            (85, Rating::AA),
            (94, Rating::AA),
            (95, Rating::AAA),
            (100, Rating::AAA),
            (255, Rating::AAA),
        ];
        for (score, rating) in cases {
            assert_eq!(rating_for_score(score), rating, "score {score}");
        }
    }

    #[test]
    fn threshold_is_least_score_of_letter() {
        for r in Rating::ALL {
            if let Some(t) = r.threshold() {
                assert_eq!(rating_for_score(t), r);
                assert_ne!(rating_for_score(t - 1), r);
            }
        }
    }

    #[test]
    fn spelling_round_trip() {
        let names: Vec<_> = Rating::ALL.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            names,
            ["AAA", "AA", "A", "BBB", "BB", "B", "NR", "Provisioned"]
        );
        for r in Rating::ALL {
            assert_eq!(r.as_str().parse::<Rating>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{r}\""));
            assert_eq!(serde_json::from_str::<Rating>(&json).unwrap(), r);
        }
        assert!("aaa".parse::<Rating>().is_err());
        assert!("provisioned".parse::<Rating>().is_err());
        assert_eq!(
            "C".parse::<Rating>().unwrap_err().to_string(),
            "invalid rating: \"C\""
        );
    }

    #[test]
    fn rated_and_rank() {
        assert!(!Rating::NR.is_rated());
        assert!(!Rating::Provisioned.is_rated());
        assert!(Rating::B.is_rated());
        assert_eq!(Rating::Provisioned.rank(), None);
        assert_eq!(Rating::AAA.rank(), Some(6));
    }

    #[test]
    fn bond_status_and_friends() {
        assert_eq!(BondStatus::Bonded.to_string(), "bonded");
        assert_eq!(
            "unbonded".parse::<BondStatus>().unwrap(),
            BondStatus::Unbonded
        );
        assert!("Bonded".parse::<BondStatus>().is_err());
        assert_eq!(
            serde_json::to_string(&BondStatus::Unbonded).unwrap(),
            "\"unbonded\""
        );
        assert_eq!(
            serde_json::from_str::<BondStatus>("\"bonded\"").unwrap(),
            BondStatus::Bonded
        );
        for t in RevenueTrend::ALL {
            assert_eq!(t.as_str().parse::<RevenueTrend>().unwrap(), *t);
        }
        assert_eq!(RevenueTrend::ALL.len(), 4);
        assert_eq!(
            AmountStatus::UnsupportedCurrency.as_str(),
            "unsupported_currency"
        );
        assert_eq!(
            serde_json::from_str::<AmountStatus>("\"fx_unavailable\"").unwrap(),
            AmountStatus::FxUnavailable
        );
    }

    proptest! {
        #[test]
        fn rating_monotone_in_score(a in any::<u8>(), b in any::<u8>()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(rating_for_score(lo).rank().unwrap() <= rating_for_score(hi).rank().unwrap());
        }

        #[test]
        fn score_meets_threshold(s in any::<u8>()) {
            let r = rating_for_score(s);
            prop_assert_ne!(r, Rating::Provisioned);
            match r.threshold() {
                Some(t) => prop_assert!(s >= t),
                None => prop_assert!(s < THRESHOLD_B),
            }
        }
    }
}
