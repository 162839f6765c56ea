//! The in-memory rate limits of the route classes: [`LimitConfig`] (requests per window)
//! and [`Limits`] (the keyed limiters built from it), shared by [`crate::AppState`] and
//! [`crate::credentials`].

use locker_core::token::ratelimit::{KeyedLimiter, Quota};

/// Requests per window for each route class; see [`LimitConfig::SEED`] for the seed's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitConfig {
    /// Auth routes: requests per minute per client IP.
    pub auth_per_minute: u32,
    /// Every other route: requests per minute per client IP (or user).
    pub general_per_minute: u32,
    /// Hardware routes: requests per second per device key.
    pub hardware_per_second: u32,
    /// Failed logins per account per 15 minutes before the account is locked
    /// ([`LockoutPolicy::threshold`]).
    pub login_failures_per_15_min: u32,
    /// Face attempts per minute per client IP (check-in, reopen, check-out by face).
    pub face_per_minute: u32,
    /// Face attempts per session per 15 minutes (reopen and check-out of one session).
    pub face_per_session_per_15_min: u32,
    /// Seed-001 pickup-code tries per cabinet per hour
    /// ([`PICKUP_TRIES_PER_HOUR`](locker_core::token::pickup::PICKUP_TRIES_PER_HOUR)).
    pub pickup_tries_per_hour: u32,
}

impl LimitConfig {
    /// The seed's values: auth 5/min, general 100/min, hardware 10/s; 10 failed logins per
    /// account per 15 minutes; ours for faces: 10 per minute per client, 5 per session per
    /// 15 minutes.
    pub const SEED: LimitConfig = LimitConfig {
        auth_per_minute: 5,
        general_per_minute: 100,
        hardware_per_second: 10,
        login_failures_per_15_min: 10,
        face_per_minute: 10,
        face_per_session_per_15_min: 5,
        pickup_tries_per_hour: locker_core::token::pickup::PICKUP_TRIES_PER_HOUR,
    };
}

impl LimitConfig {
    /// This process's share when `processes` server processes share the load: every
    /// in-memory per-client limit divided by `processes`, rounded up (never below 1), so a
    /// client spread over every process by the load balancer gets about the configured
    /// limit in all. `login_failures_per_15_min` is not divided: failed logins and lockouts
    /// are counted in the database, shared by every process.
    ///
    /// Why not shared counters: a database write on every request would add a round trip
    /// and one hot row per client to the hot path, for limits that are burst shields; the
    /// counters that guard secrets (failed logins, lockouts, OTP sends and tries) are shared.
    pub fn per_process(self, processes: u32) -> LimitConfig {
        let share = |limit: u32| limit.div_ceil(processes.max(1)).max(1);
        LimitConfig {
            auth_per_minute: share(self.auth_per_minute),
            general_per_minute: share(self.general_per_minute),
            hardware_per_second: share(self.hardware_per_second),
            login_failures_per_15_min: self.login_failures_per_15_min,
            face_per_minute: share(self.face_per_minute),
            face_per_session_per_15_min: share(self.face_per_session_per_15_min),
            pickup_tries_per_hour: share(self.pickup_tries_per_hour),
        }
    }
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self::SEED
    }
}

/// The rate limiters of the route classes (in memory, per process: shields against bursts).
/// Failed logins are counted in the database instead ([`crate::credentials::Credentials`]).
#[derive(Debug)]
pub struct Limits {
    /// Auth routes of every surface, keyed by client IP.
    pub auth: KeyedLimiter<String>,
    /// General routes, keyed by client IP.
    pub general: KeyedLimiter<String>,
    /// Hardware routes, keyed by device (controller id) or admin user id.
    pub hardware: KeyedLimiter<String>,
    /// Face attempts, keyed by client IP.
    pub face_per_address: KeyedLimiter<String>,
    /// Face attempts, keyed by session id.
    pub face_per_session: KeyedLimiter<String>,
    /// Seed-001 pickup-code tries per cabinet per hour (the limiter is the pickup codes' own).
    pub pickup_tries_per_hour: u32,
}

fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN)
}

impl Limits {
    /// Limiters with `config`'s quotas.
    pub fn new(config: LimitConfig) -> Self {
        let per_session = std::time::Duration::from_secs(15 * 60) / config.face_per_session_per_15_min.max(1);
        Self {
            auth: KeyedLimiter::new(Quota::per_minute(nz(config.auth_per_minute))),
            general: KeyedLimiter::new(Quota::per_minute(nz(config.general_per_minute))),
            hardware: KeyedLimiter::new(Quota::per_second(nz(config.hardware_per_second))),
            face_per_address: KeyedLimiter::new(Quota::per_minute(nz(config.face_per_minute))),
            face_per_session: KeyedLimiter::new(
                Quota::with_period(per_session)
                    .unwrap_or(Quota::per_minute(nz(1)))
                    .allow_burst(nz(config.face_per_session_per_15_min)),
            ),
            pickup_tries_per_hour: config.pickup_tries_per_hour,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_process_enforces_its_share_of_the_memory_limits() {
        let one = LimitConfig::SEED.per_process(1);
        assert_eq!(one, LimitConfig::SEED);
        let three = LimitConfig::SEED.per_process(3);
        assert_eq!(three.general_per_minute, 34, "100 / 3 rounded up");
        assert_eq!(three.auth_per_minute, 2, "5 / 3 rounded up");
        assert_eq!(three.hardware_per_second, 4);
        assert_eq!(three.face_per_minute, 4);
        assert_eq!(three.face_per_session_per_15_min, 2);
        assert_eq!(three.pickup_tries_per_hour, 10, "30 pickup-code tries per cabinet / 3");
        assert_eq!(three.login_failures_per_15_min, 10, "shared in the database, not divided");
        assert_eq!(LimitConfig::SEED.per_process(50).auth_per_minute, 1, "never below 1");
    }
}
