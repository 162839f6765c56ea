//! Keyed rate limits (GCRA, from the `governor` crate) with the values of DESIGN.md, answering
//! what seed 004's `429` needs: limit, remaining, reset and `Retry-After`.
//!
//! | limit | key | quota |
//! |---|---|---|
//! | [`RateLimits::auth`] | client IP | 5 per minute |
//! | [`RateLimits::login_failures`] | account | 10 failures per 15 minutes |
//! | [`RateLimits::general`] | client IP | 100 per minute |
//! | [`RateLimits::hardware`] | device API key id | 10 per second |
//!
//! OTP sends (3 per address per day, one per 60 s) are persisted with the codes and checked
//! by [`super::otp::OtpPolicy`]; pickup tries per cabinet use a [`KeyedLimiter`] too.
//!
//! Time is passed in: the limiter runs on [`PassedClock`], a governor clock that is moved to
//! each call's `now` (monotonically: a `now` older than one already seen counts as that one).
//! State is in memory and per process; limits are a shield against bursts, not a ledger.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use governor::Quota;
use governor::clock::Clock;
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

use crate::domain::Timestamp;

/// A governor clock that stands where the caller says (`now`), never reading the system clock.
/// Its instants are durations since the Unix epoch.
#[derive(Debug, Clone, Default)]
pub struct PassedClock {
    nanos: Arc<AtomicU64>,
}

impl PassedClock {
    /// Moves the clock forward to `now` (never backward).
    pub fn advance_to(&self, now: Timestamp) {
        let nanos = now.timestamp_nanos_opt().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        self.nanos.fetch_max(nanos, Ordering::AcqRel);
    }
}

impl Clock for PassedClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}

/// The outcome of one check, with everything the `X-RateLimit-*` headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allowed {
        /// The burst size (`X-RateLimit-Limit`).
        limit: u32,
        /// Further requests allowed right now (`X-RateLimit-Remaining`).
        remaining: u32,
        /// Unix seconds when the full burst is available again (`X-RateLimit-Reset`).
        reset: i64,
    },
    /// Refuse with 429.
    Denied {
        /// The burst size (`X-RateLimit-Limit`).
        limit: u32,
        /// Unix seconds when the full burst is available again (`X-RateLimit-Reset`).
        reset: i64,
        /// Whole seconds until one request is allowed (`Retry-After`), at least 1.
        retry_after_secs: u64,
    },
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }

    /// The error a denial answers with ([`super::TokenError::RateLimited`]); `None` if allowed.
    pub fn refusal(self) -> Option<super::TokenError> {
        match self {
            Decision::Allowed { .. } => None,
            Decision::Denied { limit, reset, retry_after_secs } => {
                Some(super::TokenError::RateLimited { retry_after_secs, limit, reset })
            }
        }
    }
}

type Inner<K> = governor::RateLimiter<K, DefaultKeyedStateStore<K>, PassedClock, StateInformationMiddleware>;

/// A GCRA limiter per key (IP, account, device, cabinet, ...).
pub struct KeyedLimiter<K: Hash + Eq + Clone> {
    inner: Inner<K>,
    clock: PassedClock,
    quota: Quota,
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for KeyedLimiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyedLimiter({:?})", self.quota)
    }
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// A limiter with `quota` for every key.
    pub fn new(quota: Quota) -> Self {
        let clock = PassedClock::default();
        let inner: Inner<K> = governor::RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock.clone());
        Self { inner, clock, quota }
    }

    /// Takes one cell for `key` at `now`.
    pub fn check(&self, key: &K, now: Timestamp) -> Decision {
        self.clock.advance_to(now);
        let limit = self.quota.burst_size().get();
        let per_cell = self.quota.replenish_interval();
        let secs = |d: Duration| i64::try_from(d.as_secs() + u64::from(d.subsec_nanos() > 0)).unwrap_or(i64::MAX);
        match self.inner.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let refill = per_cell * (limit - remaining);
                Decision::Allowed { limit, remaining, reset: now.timestamp().saturating_add(secs(refill)) }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                // Empty bucket: the whole burst is back one full burst period after the next cell.
                let refill = wait + per_cell * (limit - 1);
                Decision::Denied {
                    limit,
                    reset: now.timestamp().saturating_add(secs(refill)),
                    retry_after_secs: u64::try_from(secs(wait)).unwrap_or(u64::MAX).max(1),
                }
            }
        }
    }

    /// Forgets keys whose buckets are full again (call now and then to bound memory).
    pub fn shrink(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }

    /// How many keys are tracked.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// The limits of DESIGN.md, one limiter per route class.
#[derive(Debug)]
pub struct RateLimits {
    /// Auth routes: 5 per minute per client IP.
    pub auth: KeyedLimiter<String>,
    /// Failed logins: 10 per 15 minutes per account (check on each failure).
    pub login_failures: KeyedLimiter<String>,
    /// Everything else: 100 per minute per client IP.
    pub general: KeyedLimiter<String>,
    /// Hardware (device) routes: 10 per second per device key.
    pub hardware: KeyedLimiter<String>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            auth: KeyedLimiter::new(Quota::per_minute(nz(5))),
            login_failures: KeyedLimiter::new(
                Quota::with_period(Duration::from_secs(90)).unwrap_or(Quota::per_minute(nz(1))).allow_burst(nz(10)),
            ),
            general: KeyedLimiter::new(Quota::per_minute(nz(100))),
            hardware: KeyedLimiter::new(Quota::per_second(nz(10))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_ms(ms: i64) -> Timestamp {
        chrono::DateTime::from_timestamp_millis(1_768_730_400_000 + ms).unwrap()
    }

    #[test]
    fn auth_allows_five_per_minute_per_ip_then_answers_429_values() {
        let limits = RateLimits::default();
        let ip = "10.0.0.1".to_owned();
        for i in 0..5u32 {
            match limits.auth.check(&ip, at_ms(0)) {
                Decision::Allowed { limit, remaining, reset } => {
                    assert_eq!(limit, 5);
                    assert_eq!(remaining, 4 - i);
                    assert!(reset > at_ms(0).timestamp() && reset <= at_ms(0).timestamp() + 60);
                }
                d => panic!("request {i} denied: {d:?}"),
            }
        }
        match limits.auth.check(&ip, at_ms(0)) {
            Decision::Denied { limit, retry_after_secs, reset } => {
                assert_eq!(limit, 5);
                assert_eq!(retry_after_secs, 12, "one cell per 12 s");
                assert_eq!(reset, at_ms(0).timestamp() + 60);
            }
            d => panic!("sixth request allowed: {d:?}"),
        }
        assert!(limits.auth.check(&"10.0.0.2".to_owned(), at_ms(0)).is_allowed(), "keys are independent");
        assert!(!limits.auth.check(&ip, at_ms(11_999)).is_allowed());
        assert!(limits.auth.check(&ip, at_ms(12_000)).is_allowed(), "time passed in refills");
    }

    #[test]
    fn hardware_allows_ten_per_second_per_device() {
        let limits = RateLimits::default();
        let dev = "ESP32_001".to_owned();
        let allowed = (0..15).filter(|_| limits.hardware.check(&dev, at_ms(0)).is_allowed()).count();
        assert_eq!(allowed, 10);
        assert!(limits.hardware.check(&dev, at_ms(100)).is_allowed());
    }

    #[test]
    fn general_and_login_failure_budgets() {
        let limits = RateLimits::default();
        let ip = "1.2.3.4".to_owned();
        assert_eq!((0..120).filter(|_| limits.general.check(&ip, at_ms(0)).is_allowed()).count(), 100);
        let acct = "user@example.com".to_owned();
        assert_eq!((0..20).filter(|_| limits.login_failures.check(&acct, at_ms(0)).is_allowed()).count(), 10);
    }

    #[test]
    fn clock_never_moves_backwards() {
        let limits = RateLimits::default();
        let ip = "10.0.0.9".to_owned();
        for _ in 0..5 {
            limits.auth.check(&ip, at_ms(60_000));
        }
        // A request stamped earlier cannot rewind the bucket.
        assert!(!limits.auth.check(&ip, at_ms(0)).is_allowed());
    }

    #[test]
    fn shrink_forgets_refilled_keys() {
        let limiter: KeyedLimiter<String> = KeyedLimiter::new(Quota::per_second(nz(1)));
        limiter.check(&"a".to_owned(), at_ms(0));
        assert_eq!(limiter.len(), 1);
        limiter.check(&"b".to_owned(), at_ms(10_000));
        limiter.shrink();
        assert_eq!(limiter.len(), 1, "a refilled long ago and is forgotten");
    }
}
