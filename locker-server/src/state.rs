//! [`AppState`]: everything a handler needs, each part behind an `Arc`, cheap to clone.
//!
//! Build it with [`AppState::new`] over a [`LockerService`] opened with
//! `LockerService::builder`: the service owns every flow and the one database pool,
//! password hasher, QR key ring and clock (read them through the accessors here); the state
//! adds only what HTTP needs: access-token keys, rate and body limits, idempotency records.
//! `locker serve` and the tests build it the same way.

use std::sync::Arc;

use locker_core::ports::FaceTemplateStore;
use locker_core::ports::{Clock, Database, Store};
use locker_core::ports::{RevocationStore, TokenStore};
use locker_core::service::{FaceEnrolment, LockerService, Statistics};
use locker_core::token::jwt::AccessTokens;
use locker_core::token::password::Passwords;
use locker_core::token::qr::QrKeyring;
use locker_core::token::ratelimit::{KeyedLimiter, Quota};

use crate::http::idempotency::IdempotencyCache;

/// Requests per window for each route class; see [`Limits::seed`] for the seed's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitConfig {
    /// Auth routes: requests per minute per client IP.
    pub auth_per_minute: u32,
    /// Every other route: requests per minute per client IP (or user).
    pub general_per_minute: u32,
    /// Hardware routes: requests per second per device key.
    pub hardware_per_second: u32,
    /// Failed logins per account per 15 minutes.
    pub login_failures_per_15_min: u32,
}

impl LimitConfig {
    /// The seed's values: auth 5/min, general 100/min, hardware 10/s; 10 failed logins per
    /// account per 15 minutes.
    pub const SEED: LimitConfig = LimitConfig {
        auth_per_minute: 5,
        general_per_minute: 100,
        hardware_per_second: 10,
        login_failures_per_15_min: 10,
    };
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self::SEED
    }
}

/// The rate limiters of the route classes.
#[derive(Debug)]
pub struct Limits {
    /// Auth routes, keyed by client IP.
    pub auth: KeyedLimiter<String>,
    /// Failed logins, keyed by account e-mail.
    pub login_failures: KeyedLimiter<String>,
    /// General routes, keyed by client IP.
    pub general: KeyedLimiter<String>,
    /// Hardware routes, keyed by device (controller id) or admin user id.
    pub hardware: KeyedLimiter<String>,
}

fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN)
}

impl Limits {
    /// Limiters with `config`'s quotas.
    pub fn new(config: LimitConfig) -> Self {
        let per_15_min = std::time::Duration::from_secs(15 * 60) / config.login_failures_per_15_min.max(1);
        Self {
            auth: KeyedLimiter::new(Quota::per_minute(nz(config.auth_per_minute))),
            login_failures: KeyedLimiter::new(
                Quota::with_period(per_15_min)
                    .unwrap_or(Quota::per_minute(nz(1)))
                    .allow_burst(nz(config.login_failures_per_15_min)),
            ),
            general: KeyedLimiter::new(Quota::per_minute(nz(config.general_per_minute))),
            hardware: KeyedLimiter::new(Quota::per_second(nz(config.hardware_per_second))),
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
    /// Rate limiters.
    pub limits: Arc<Limits>,
    /// Body size limits.
    pub body_limits: BodyLimits,
    /// `Idempotency-Key` records for unlock and force-open.
    pub idempotency: Arc<IdempotencyCache>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("service", &self.service).finish_non_exhaustive()
    }
}

impl AppState {
    /// A state over `service` (open it with `LockerService::builder`), with `access` keys,
    /// seed rate limits and default body limits.
    pub fn new(service: Arc<LockerService>, access: AccessTokens) -> Self {
        Self {
            service,
            access: Arc::new(access),
            limits: Arc::new(Limits::new(LimitConfig::SEED)),
            body_limits: BodyLimits::default(),
            idempotency: Arc::new(IdempotencyCache::default()),
        }
    }

    /// Replaces the rate limits.
    pub fn with_limits(mut self, config: LimitConfig) -> Self {
        self.limits = Arc::new(Limits::new(config));
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
