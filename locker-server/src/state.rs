//! [`AppState`]: everything a handler needs, each part behind an `Arc`, cheap to clone.
//!
//! Build it with [`AppState::new`] over a [`LockerService`] opened with
//! `LockerService::builder`: the service owns every flow and the one database pool,
//! password hasher, QR key ring and clock (read them through the accessors here); the state
//! adds only what HTTP needs: access-token keys, sign-in protection, rate and body limits, idempotency records.
//! `locker serve` and the tests build it the same way.

use std::sync::Arc;

use locker_core::ports::FaceTemplateStore;
use locker_core::ports::{Clock, Database, Store};
use locker_core::ports::{IdempotencyStore, RevocationStore, TokenStore};
use locker_core::service::{FaceEnrolment, LockerService, Statistics};
use locker_core::token::jwt::AccessTokens;
use locker_core::token::lockout::LockoutPolicy;
use locker_core::token::password::Passwords;
use locker_core::token::qr::QrKeyring;
use locker_core::token::ratelimit::{KeyedLimiter, Quota};

use crate::credentials::{Credentials, Lockouts, PasswordPool};

/// Requests per window for each route class; see [`Limits::seed`] for the seed's values.
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
    };
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self::SEED
    }
}

/// The rate limiters of the route classes (in memory, per process: shields against bursts).
/// Failed logins are counted in the database instead ([`Credentials`]).
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
        }
    }
}

/// Largest request bodies accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// JSON routes.
    pub json: usize,
    /// Routes taking a face image (multipart).
    pub image: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self { json: crate::JSON_BODY_LIMIT, image: crate::IMAGE_BODY_LIMIT }
    }
}

/// Everything the handlers share: the locker service (every flow, every store, the
/// password hasher, QR keys and clock, all on one pool) and what only HTTP needs.
#[derive(Clone)]
pub struct AppState {
    /// The locker service; the stores, keys and clock below are its.
    pub service: Arc<LockerService>,
    /// Access-token keys (the bearer check of every surface).
    pub access: Arc<AccessTokens>,
    /// Sign-in protection shared with the seed surfaces: password hashing off the async
    /// workers (the service's hasher), the per-address auth bucket, the per-account lockout.
    pub credentials: Credentials,
    /// Rate limiters.
    pub limits: Arc<Limits>,
    /// Body size limits.
    pub body_limits: BodyLimits,
    /// `Idempotency-Key` records for unlock and force-open (in the database).
    pub idempotency: Arc<dyn IdempotencyStore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("service", &self.service).finish_non_exhaustive()
    }
}

impl AppState {
    /// A state over `service` (open it with `LockerService::builder`), with `access` keys,
    /// seed rate limits, the default lockout policy and default body limits.
    pub fn new(service: Arc<LockerService>, access: AccessTokens) -> Self {
        let limits = Arc::new(Limits::new(LimitConfig::SEED));
        let database = service.database().clone();
        let lockouts = Lockouts { store: database.clone(), policy: LockoutPolicy::default() };
        let passwords = PasswordPool::new(service.passwords().clone());
        let credentials = Credentials { passwords, lockouts, limits: limits.clone() };
        Self {
            service,
            access: Arc::new(access),
            credentials,
            limits,
            body_limits: BodyLimits::default(),
            idempotency: database,
        }
    }

    /// Replaces the rate limits (and the lockout threshold, `login_failures_per_15_min`).
    pub fn with_limits(mut self, config: LimitConfig) -> Self {
        self.limits = Arc::new(Limits::new(config));
        self.credentials.limits = self.limits.clone();
        self.credentials.lockouts.policy.threshold = config.login_failures_per_15_min;
        self
    }

    /// Replaces the lockout policy (its threshold included).
    pub fn with_lockout(mut self, policy: LockoutPolicy) -> Self {
        self.credentials.lockouts.policy = policy;
        self
    }

    /// Replaces the body limits.
    pub fn with_body_limits(mut self, limits: BodyLimits) -> Self {
        self.body_limits = limits;
        self
    }

    /// The database: every storage port, one pool.
    pub fn database(&self) -> &Arc<dyn Database> {
        self.service.database()
    }

    /// The domain store (a view of [`database`](Self::database)).
    pub fn store(&self) -> &Arc<dyn Store> {
        self.service.store()
    }

    /// Refresh tokens, used QR ids, API keys (a view of the database).
    pub fn tokens(&self) -> &Arc<dyn TokenStore> {
        self.service.tokens()
    }

    /// Sealed face templates (a view of the database).
    pub fn faces(&self) -> &Arc<dyn FaceTemplateStore> {
        &self.service.stores().faces
    }

    /// Logins in the database: the bearer check, logout, "log out everywhere"
    /// (`locker_core::token::revocation`), shared by every surface and process.
    pub fn revocations(&self) -> &Arc<dyn RevocationStore> {
        &self.service.stores().revocations
    }

    /// Password hashing.
    pub fn passwords(&self) -> &Arc<Passwords> {
        self.service.passwords()
    }

    /// QR signing and verifying keys.
    pub fn qr(&self) -> &QrKeyring {
        self.service.qr()
    }

    /// The service's clock (tests may move it).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.service.clock()
    }

    /// The current time.
    pub fn now(&self) -> locker_core::domain::Timestamp {
        self.service.now()
    }

    /// Face enrolment (the service's engine and template keys; without an engine it can
    /// only delete).
    pub fn face_enrolment(&self) -> FaceEnrolment {
        self.service.face_enrolment()
    }

    /// The statistics.
    pub fn statistics(&self) -> Statistics {
        self.service.statistics()
    }
}
