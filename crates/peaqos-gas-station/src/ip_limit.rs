//! The per-client-IP limit on the POST endpoints: `governor`'s keyed GCRA limiter on the
//! service's [`Clock`] (tests move time instead of sleeping).

use crate::clock::Clock;
use crate::config::IpRateLimit;
use crate::error::GasStationError;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use peaqos_types::ErrorCode;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Checks between two sweeps of clients whose allowance is full again.
const SWEEP_EVERY: u64 = 4096;

/// The service clock as a `governor` time source (time since the Unix epoch).
#[derive(Debug, Clone)]
struct ServiceClock(Arc<dyn Clock>);

impl governor::clock::Clock for ServiceClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.0.now_precise()
    }
}

type Keyed =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, ServiceClock, NoOpMiddleware<Duration>>;

/// A keyed limiter per client address (IPv6 per /64).
#[derive(Debug)]
pub(crate) struct IpLimiter {
    limiter: Keyed,
    clock: ServiceClock,
    settings: IpRateLimit,
    checks: AtomicU64,
}

/// The key of a client: its IPv4 address, or the /64 network of its IPv6 address (one host
/// usually owns a whole /64).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl IpLimiter {
    /// A limiter with `settings` on `clock`.
    pub(crate) fn new(settings: IpRateLimit, clock: Arc<dyn Clock>) -> Self {
        let period = Duration::from_secs(settings.window_secs) / settings.requests.get();
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(settings.requests))
            .allow_burst(settings.requests);
        let clock = ServiceClock(clock);
        Self {
            limiter: RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock.clone()),
            clock,
            settings,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request of `ip`: `RATE_LIMITED` when its allowance is used up.
    pub(crate) fn check(&self, ip: IpAddr) -> Result<(), GasStationError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&client_key(ip))
            .map_err(|not_until| {
                use governor::clock::Clock as _;
                let wait = not_until.wait_time_from(self.clock.now());
                GasStationError::api(
                    ErrorCode::RateLimited,
                    format!(
                        "at most {} requests per {} s per client address; retry in {} s",
                        self.settings.requests,
                        self.settings.window_secs,
                        wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn burst_then_even_refill_per_client() {
        let clock = ManualClock::new(1_000);
        let l = IpLimiter::new(IpRateLimit::new(3, 60).unwrap(), Arc::new(clock.clone()));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            l.check(a).unwrap();
        }
        let e = l.check(a).unwrap_err();
        assert_eq!(e.code(), ErrorCode::RateLimited);
        assert!(e.to_string().contains("retry in 20 s"), "{e}");
        l.check(b).unwrap();
        clock.advance(19);
        assert!(l.check(a).is_err());
        clock.advance(1);
        l.check(a).unwrap();
        assert!(l.check(a).is_err());
        clock.advance(60);
        for _ in 0..3 {
            l.check(a).unwrap();
        }
        assert!(l.check(a).is_err());
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        let clock = ManualClock::new(0);
        let l = IpLimiter::new(IpRateLimit::new(1, 60).unwrap(), Arc::new(clock));
        l.check("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(l.check("2001:db8:1:2:ffff::9".parse().unwrap()).is_err());
        l.check("2001:db8:1:3::1".parse().unwrap()).unwrap();
        // An IPv4-mapped address is its IPv4 client.
        l.check("192.0.2.7".parse().unwrap()).unwrap();
        assert!(l.check("::ffff:192.0.2.7".parse().unwrap()).is_err());
    }
}
