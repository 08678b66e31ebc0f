//! Limits decided inside the claim transaction: funding requests per owner per window, and the
//! funded amount per owner and per target wallet per UTC day. The caps fail closed: a recorded
//! amount that is not decimal wei makes the cap uncomputable and the funding is refused
//! (`INTERNAL_ERROR`), never waved through.

use super::{Result, Service, api};
use crate::config::FundingLimits;
use crate::error::GasStationError;
use crate::store::{self, CapScope, Tx};
use alloy::primitives::U256;
use peaqos_types::ErrorCode;

const SECS_PER_DAY: u64 = 86_400;

/// The UTC day of a Unix time (`unix_time / 86400`), the unit of the daily caps.
pub(super) fn utc_day(now: u64) -> i64 {
    (now / SECS_PER_DAY) as i64
}

fn scope_name(scope: CapScope) -> &'static str {
    match scope {
        CapScope::Owner => "owner",
        CapScope::Target => "wallet",
    }
}

/// The total of recorded amounts (decimal wei). `None` when one of them is not decimal wei:
/// the total is unknown.
fn total(amounts: &[String]) -> Option<U256> {
    amounts.iter().try_fold(U256::ZERO, |acc, a| {
        if a.is_empty() || !a.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        U256::from_str_radix(a, 10)
            .ok()
            .map(|v| acc.saturating_add(v))
    })
}

impl Service {
    /// Rate limit, then the owner cap, then the wallet cap, for one more funding of
    /// `limits.fund_amount`. `Ok(Some(refusal))` is a documented refusal (`RATE_LIMITED`,
    /// `CAP_EXCEEDED_OWNER`, `CAP_EXCEEDED_WALLET`); `Err` means the limits could not be
    /// decided (storage failure, uncomputable cap).
    pub(super) async fn check_limits(
        &self,
        tx: &mut Tx,
        owner_key: &str,
        target_key: &str,
        chain_id: u64,
        limits: &FundingLimits,
        now: u64,
    ) -> Result<Option<GasStationError>> {
        let since = now.saturating_sub(limits.rate_window_secs) as i64;
        let recent =
            store::count_owner_requests_since(tx, owner_key, chain_id as i64, since).await?;
        if recent >= i64::from(limits.rate_limit_requests) {
            return Ok(Some(api(
                ErrorCode::RateLimited,
                format!(
                    "at most {} funding requests per {} s per owner",
                    limits.rate_limit_requests, limits.rate_window_secs
                ),
            )));
        }
        let day = utc_day(now);
        for (scope, who, cap, code) in [
            (
                CapScope::Owner,
                owner_key,
                limits.owner_daily_cap,
                ErrorCode::CapExceededOwner,
            ),
            (
                CapScope::Target,
                target_key,
                limits.wallet_daily_cap,
                ErrorCode::CapExceededWallet,
            ),
        ] {
            let amounts = store::counted_amounts(tx, scope, who, chain_id as i64, day).await?;
            let Some(funded) = total(&amounts) else {
                tracing::error!(
                    cap = scope_name(scope),
                    who,
                    chain_id,
                    day,
                    "a recorded funding amount is not decimal wei; refusing fundings"
                );
                return Err(api(
                    ErrorCode::InternalError,
                    format!(
                        "the {} daily cap cannot be computed (a recorded amount is unreadable); \
                         funding refused",
                        scope_name(scope)
                    ),
                ));
            };
            if funded.saturating_add(limits.fund_amount) > cap {
                return Ok(Some(api(
                    code,
                    format!("{} daily funding cap reached", scope_name(scope)),
                )));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn totals_fail_closed_on_unreadable_amounts() {
        assert_eq!(total(&[]), Some(U256::ZERO));
        assert_eq!(total(&strings(&["1", "2", "0"])), Some(U256::from(3)));
        let too_big = "9".repeat(80);
        for bad in ["x", "", "-1", "1.5", " 1", "0x10", too_big.as_str()] {
            assert_eq!(total(&strings(&["5", bad, "7"])), None, "{bad:?}");
        }
        // Saturates instead of wrapping: an overflowing total is above every cap but "unlimited".
        let max = U256::MAX.to_string();
        assert_eq!(total(&strings(&[&max, "1"])), Some(U256::MAX));
    }

    #[test]
    fn utc_days() {
        assert_eq!(utc_day(0), 0);
        assert_eq!(utc_day(86_399), 0);
        assert_eq!(utc_day(86_400), 1);
    }
}
