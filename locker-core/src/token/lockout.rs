//! Account lockout after repeated wrong passwords: the policy, as pure functions over a
//! stored [`LoginFailures`] record (persisted by [`LoginFailureStore`](crate::ports::LoginFailureStore),
//! so it survives restarts and is shared by every process on one database).
//!
//! - Failures are counted per account within a window ([`LockoutPolicy::window`], 15 min).
//! - The [`LockoutPolicy::threshold`]-th failure in a window locks the account for
//!   [`LockoutPolicy::first_lockout`], doubled for each further lockout
//!   (5, 10, 20, 40 min, ...), never longer than [`LockoutPolicy::max_lockout`] (1 h).
//! - While locked, every password is refused, the right one included, without being checked;
//!   those refusals do not count (a guesser cannot lengthen the lockout by hammering it).
//! - A successful sign-in, or [`LockoutPolicy::forget_after`] (24 h) without a failure,
//!   forgets the record and with it the backoff; an administrator's unlock deletes it.

use chrono::TimeDelta;

use crate::domain::Timestamp;

/// The lockout rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures within [`Self::window`] that lock the account.
    pub threshold: u32,
    /// The counting window.
    pub window: TimeDelta,
    /// The first lockout's length; each further one doubles it.
    pub first_lockout: TimeDelta,
    /// The longest lockout.
    pub max_lockout: TimeDelta,
    /// Quiet time after which the record (and its backoff) is forgotten.
    pub forget_after: TimeDelta,
}

impl Default for LockoutPolicy {
    /// 10 failures in 15 minutes lock for 5 minutes, doubling up to 1 hour; forgotten after a
    /// quiet day.
    fn default() -> Self {
        Self {
            threshold: 10,
            window: TimeDelta::minutes(15),
            first_lockout: TimeDelta::minutes(5),
            max_lockout: TimeDelta::hours(1),
            forget_after: TimeDelta::hours(24),
        }
    }
}

/// One account's failure record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    /// Failures in the current window.
    pub failures: u32,
    /// When the current window began.
    pub window_start: Timestamp,
    /// Lockouts so far (the backoff exponent).
    pub lockouts: u32,
    /// The end of the current lockout, if one was imposed.
    pub locked_until: Option<Timestamp>,
    /// The latest failure.
    pub last_failure: Timestamp,
}

/// Whether an account may try a password now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// It may; `remaining` failures are left before a lockout.
    Open {
        /// Failures left in the window before the account locks.
        remaining: u32,
    },
    /// Every password is refused until `until`.
    Locked {
        /// The end of the lockout.
        until: Timestamp,
    },
}

impl LockoutPolicy {
    /// Whether `record` (none: never failed) lets the account try at `now`.
    pub fn standing(&self, record: Option<&LoginFailures>, now: Timestamp) -> Standing {
        let Some(r) = record.map(|r| self.current(*r, now)) else {
            return Standing::Open { remaining: self.threshold };
        };
        match r.locked_until {
            Some(until) if until > now => Standing::Locked { until },
            _ => Standing::Open { remaining: self.threshold.saturating_sub(r.failures) },
        }
    }

    /// The record after one more failure at `now`. A failure while locked changes nothing.
    pub fn fail(&self, record: Option<LoginFailures>, now: Timestamp) -> LoginFailures {
        let fresh =
            LoginFailures { failures: 0, window_start: now, lockouts: 0, locked_until: None, last_failure: now };
        let mut r = record.map_or(fresh, |r| self.current(r, now));
        if r.locked_until.is_some_and(|until| until > now) {
            return r;
        }
        if r.failures == 0 || now - r.window_start >= self.window {
            r.failures = 0;
            r.window_start = now;
        }
        r.failures += 1;
        r.last_failure = now;
        if r.failures >= self.threshold.max(1) {
            r.lockouts = r.lockouts.saturating_add(1);
            r.locked_until = Some(now + self.lockout_length(r.lockouts));
            r.failures = 0;
        }
        r
    }

    /// The length of the `n`-th lockout (n >= 1): the first, doubled n - 1 times, capped.
    pub fn lockout_length(&self, n: u32) -> TimeDelta {
        let doublings = n.saturating_sub(1).min(30);
        self.first_lockout.checked_mul(1 << doublings).map_or(self.max_lockout, |d| d.min(self.max_lockout))
    }

    /// When `record` may be deleted: after its lockout and its quiet time.
    pub fn expires_at(&self, record: &LoginFailures) -> Timestamp {
        let quiet = record.last_failure + self.forget_after;
        record.locked_until.map_or(quiet, |until| until.max(quiet))
    }

    /// `record` as of `now`: forgotten entirely after the quiet time.
    fn current(&self, record: LoginFailures, now: Timestamp) -> LoginFailures {
        if now >= self.expires_at(&record) {
            LoginFailures { failures: 0, window_start: now, lockouts: 0, locked_until: None, last_failure: now }
        } else {
            record
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_768_730_400 + secs, 0).unwrap()
    }

    fn fail_n(p: &LockoutPolicy, mut r: Option<LoginFailures>, n: u32, at: i64) -> Option<LoginFailures> {
        for _ in 0..n {
            r = Some(p.fail(r, t(at)));
        }
        r
    }

    #[test]
    fn the_threshold_th_failure_locks_and_the_lockout_ends() {
        let p = LockoutPolicy::default();
        let r = fail_n(&p, None, 9, 0);
        assert_eq!(p.standing(r.as_ref(), t(0)), Standing::Open { remaining: 1 });
        let r = fail_n(&p, r, 1, 0);
        assert_eq!(p.standing(r.as_ref(), t(0)), Standing::Locked { until: t(300) });
        assert_eq!(p.standing(r.as_ref(), t(299)), Standing::Locked { until: t(300) });
        assert_eq!(p.standing(r.as_ref(), t(300)), Standing::Open { remaining: 10 });
    }

    #[test]
    fn failures_while_locked_do_not_count_or_extend() {
        let p = LockoutPolicy::default();
        let locked = fail_n(&p, None, 10, 0);
        assert_eq!(fail_n(&p, locked, 50, 100), locked);
    }

    #[test]
    fn lockouts_double_up_to_the_cap_and_are_forgotten_after_a_quiet_day() {
        let p = LockoutPolicy::default();
        let minutes: Vec<i64> = (1..=6).map(|n| p.lockout_length(n).num_minutes()).collect();
        assert_eq!(minutes, [5, 10, 20, 40, 60, 60]);
        let mut r = None;
        let mut at = 0;
        for expected in [300, 600, 1200] {
            r = fail_n(&p, r, 10, at);
            assert_eq!(p.standing(r.as_ref(), t(at)), Standing::Locked { until: t(at + expected) });
            at += expected;
        }
        let later = at + 24 * 3600;
        let r = fail_n(&p, r, 10, later);
        assert_eq!(p.standing(r.as_ref(), t(later)), Standing::Locked { until: t(later + 300) }, "backoff forgotten");
    }

    #[test]
    fn the_window_restarts_after_it_passes() {
        let p = LockoutPolicy::default();
        let r = fail_n(&p, None, 9, 0);
        let r = fail_n(&p, r, 1, 15 * 60);
        assert_eq!(p.standing(r.as_ref(), t(15 * 60)), Standing::Open { remaining: 9 });
        assert!(p.expires_at(r.as_ref().unwrap()) == t(15 * 60 + 24 * 3600));
    }
}
