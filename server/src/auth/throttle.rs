//! Sign-in throttling. First line, per account: after `FREE_FAILURES` failures in a row the
//! account's sign-in waits, 15 s doubling with each further failure up to 15 minutes, and a
//! success clears it. Per address only as a second line and generously (a whole facility can
//! sit behind one NAT address at shift change): `governor`'s rate limit on attempts.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failures in a row an account may have before its sign-in waits.
pub const FREE_FAILURES: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_secs(15);
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// Sign-in attempts per minute from one address, and the burst it may spend at once.
const PER_ADDRESS_PER_MINUTE: u32 = 120;

pub struct Throttle {
    accounts: DashMap<String, Failures>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    until: Option<Instant>,
}

impl Default for Throttle {
    fn default() -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(PER_ADDRESS_PER_MINUTE).unwrap_or(NonZeroU32::MIN));
        Throttle { accounts: DashMap::new(), addresses: RateLimiter::keyed(quota) }
    }
}

impl Throttle {
    /// How long to wait before `login` may try again from `addr`, if it must. Counts the
    /// attempt against the address.
    pub fn check(&self, login: &str, addr: Option<IpAddr>, now: Instant) -> Option<Duration> {
        if let Some(until) = self.accounts.get(login).and_then(|f| f.until)
            && until > now
        {
            return Some(until - now);
        }
        let addr = addr?;
        self.addresses.check_key(&addr).err().map(|not_until| {
            not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()))
        })
    }

    /// A failed sign-in of `login`.
    pub fn failed(&self, login: &str, now: Instant) {
        let mut entry = self.accounts.entry(login.to_owned()).or_insert(Failures { count: 0, until: None });
        entry.count += 1;
        if entry.count >= FREE_FAILURES {
            let doublings = (entry.count - FREE_FAILURES).min(10);
            let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT);
            entry.until = Some(now + wait);
        }
    }

    /// A successful sign-in of `login`: its failures are forgotten.
    pub fn succeeded(&self, login: &str) {
        self.accounts.remove(login);
    }

    /// Forgets accounts whose wait is over and that have not failed for a while (run now
    /// and then, so a spray of made-up logins does not grow the map for ever).
    pub fn forget_stale(&self, now: Instant) {
        self.accounts.retain(|_, f| f.until.is_some_and(|until| until + LONGEST_WAIT > now));
        self.addresses.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_waits_after_five_failures_in_a_row_and_longer_after_each_next() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            throttle.failed("pat", t0);
            assert_eq!(throttle.check("pat", None, t0), None);
        }
        throttle.failed("pat", t0);
        assert_eq!(throttle.check("pat", None, t0), Some(FIRST_WAIT));
        assert_eq!(throttle.check("lee", None, t0), None, "other accounts are not held up");
        assert_eq!(throttle.check("pat", None, t0 + FIRST_WAIT), None, "the wait ends");
        throttle.failed("pat", t0 + FIRST_WAIT);
        assert_eq!(throttle.check("pat", None, t0 + FIRST_WAIT), Some(FIRST_WAIT * 2));
        for _ in 0..20 {
            throttle.failed("pat", t0);
        }
        assert_eq!(throttle.check("pat", None, t0), Some(LONGEST_WAIT));
        throttle.succeeded("pat");
        assert_eq!(throttle.check("pat", None, t0), None);
    }

    #[test]
    fn one_address_is_limited_only_well_past_a_shift_change() {
        let throttle = Throttle::default();
        let addr: IpAddr = "10.1.2.3".parse().unwrap();
        let now = Instant::now();
        for i in 0..PER_ADDRESS_PER_MINUTE {
            assert_eq!(throttle.check(&format!("trainer-{i}"), Some(addr), now), None, "attempt {i}");
        }
        assert!(throttle.check("trainer-x", Some(addr), now).is_some());
        assert_eq!(throttle.check("trainer-x", Some("10.1.2.4".parse().unwrap()), now), None);
    }
}
