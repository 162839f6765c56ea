//! [`AppState`]: everything a handler needs, each part behind an `Arc`, cheap to clone.
//!
//! Build it with [`AppState::new`] over a [`LockerService`] opened with
//! `LockerService::builder`: the service owns every flow and the one database pool,
//! password hasher, QR key ring and clock (read them through the accessors here); the state
//! adds only what HTTP needs: access-token keys, sign-in protection, rate and body limits
//! (idempotency records are a view of the database, like the stores).
//! `locker serve` and the tests build it the same way.

use std::sync::Arc;

use locker_core::ports::FaceTemplateStore;
use locker_core::ports::{Clock, Database, Store};
use locker_core::ports::{IdempotencyStore, RevocationStore, TokenStore};
use locker_core::service::{FaceEnrolment, LockerService, Statistics};
use locker_core::token::jwt::AccessTokens;
use locker_core::token::lockout::LockoutPolicy;
use locker_core::token::qr::QrKeyring;

use crate::credentials::{Credentials, Lockouts, PasswordPool};

pub use crate::limits::{LimitConfig, Limits};

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
        let lockouts = Lockouts { store: service.database().clone(), policy: LockoutPolicy::default() };
        let passwords = PasswordPool::new(service.passwords().clone());
        let credentials = Credentials { passwords, lockouts, limits: limits.clone() };
        Self { service, access: Arc::new(access), credentials, limits, body_limits: BodyLimits::default() }
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

    /// `Idempotency-Key` records for unlock and force-open (a view of the database).
    pub fn idempotency(&self) -> Arc<dyn IdempotencyStore> {
        self.service.database().clone()
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
