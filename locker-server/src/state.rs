//! [`AppState`]: everything a handler needs, each part behind an `Arc`, cheap to clone.
//!
//! Build it with [`AppState::from_service`] over a [`LockerService`] (opened with
//! `LockerService::builder`): the state shares the service's database pool, QR keys and
//! clock, and adds what only HTTP needs (access-token keys, sign-in protection, limits).
//! [`AppState::new`] makes a state with no service, over a database alone.
//! Optional parts come with the `with_*` methods. `locker serve` and the tests build it the
//! same way.

use std::sync::Arc;

use locker_core::face::FaceEngine;
use locker_core::face::template::TemplateKey;
use locker_core::ports::FaceTemplateStore;
use locker_core::ports::{Clock, Database, Store, SystemClock};
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

/// Face recognition parts: the engine (models loaded once) and the template keys (the
/// first seals; all open).
#[derive(Clone)]
pub struct FaceParts {
    /// The loaded models.
    pub engine: FaceEngine,
    /// Template keys; `keys[0]` seals new templates.
    pub keys: Arc<Vec<TemplateKey>>,
}

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The database (every port, one pool); `store`, `tokens` and `faces` are views of it.
    pub database: Arc<dyn Database>,
    /// The domain store.
    pub store: Arc<dyn Store>,
    /// Refresh tokens, used QR ids, API keys.
    pub tokens: Arc<dyn TokenStore>,
    /// Sealed face templates.
    pub faces: Arc<dyn FaceTemplateStore>,
    /// Access-token keys.
    pub access: Arc<AccessTokens>,
    /// Sign-in protection shared with the seed surfaces: password hashing off the async
    /// workers, the per-address auth bucket, the per-account lockout.
    pub credentials: Credentials,
    /// QR signing and verifying keys.
    pub qr: Arc<QrKeyring>,
    /// Face engine and template keys for a state with no service of its own (a service
    /// brings its own; see [`AppState::face_enrolment`]).
    pub face: Option<FaceParts>,
    /// Rate limiters.
    pub limits: Arc<Limits>,
    /// Body size limits.
    pub body_limits: BodyLimits,
    /// Wall clock (tests may move it).
    pub clock: Arc<dyn Clock>,
    /// Logins in the database: the bearer check, logout, "log out everywhere"
    /// (`locker_core::token::revocation`), shared by every surface and process.
    pub revocations: Arc<dyn RevocationStore>,
    /// `Idempotency-Key` records for unlock and force-open (in the database).
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The locker flows (check-in, check-out, force-open, hardware reports), when a lock
    /// controller service runs.
    pub service: Option<Arc<locker_core::service::LockerService>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("face", &self.face.is_some()).finish_non_exhaustive()
    }
}

impl AppState {
    /// A state over `service`: its database pool, QR keys and clock, plus `access` keys and
    /// `passwords`, seed rate limits and no face engine.
    pub fn from_service(service: Arc<LockerService>, access: AccessTokens, passwords: Passwords) -> Self {
        Self::new(service.database().clone(), access, service.qr().clone(), passwords)
            .with_clock(service.clock().clone())
            .with_service(service)
    }

    /// A state over `database` alone (no locker service: the routes that need one answer
    /// that it is not configured), with access-token and QR keys, seed rate limits, no face
    /// engine and the system clock.
    pub fn new(database: Arc<dyn Database>, access: AccessTokens, qr: QrKeyring, passwords: Passwords) -> Self {
        let limits = Arc::new(Limits::new(LimitConfig::SEED));
        let lockouts = Lockouts { store: database.clone(), policy: LockoutPolicy::default() };
        let credentials = Credentials { passwords: PasswordPool::new(passwords), lockouts, limits: limits.clone() };
        Self {
            store: database.clone(),
            tokens: database.clone(),
            revocations: database.clone(),
            faces: database.clone(),
            idempotency: database.clone(),
            database,
            access: Arc::new(access),
            credentials,
            qr: Arc::new(qr),
            face: None,
            limits,
            body_limits: BodyLimits::default(),
            clock: Arc::new(SystemClock),
            service: None,
        }
    }

    /// Adds the locker service (sessions, force-open, hardware routes and `/ws` need it).
    pub fn with_service(mut self, service: Arc<LockerService>) -> Self {
        self.service = Some(service);
        self
    }

    /// Adds face recognition: the engine and the template keys (`keys[0]` seals).
    pub fn with_face(mut self, engine: FaceEngine, keys: Vec<TemplateKey>) -> Self {
        self.face = Some(FaceParts { engine, keys: Arc::new(keys) });
        self
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

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The current time.
    pub fn now(&self) -> locker_core::domain::Timestamp {
        self.clock.now()
    }

    /// Face enrolment: the service's when it has a face engine, else over this state's
    /// [`FaceParts`] (a state with no service), else one that can only delete.
    pub fn face_enrolment(&self) -> FaceEnrolment {
        if let Some(service) = self.service.as_ref().filter(|s| s.faces().is_some()) {
            return service.face_enrolment();
        }
        let (engine, keys) = match &self.face {
            Some(face) => (Some(face.engine.clone()), face.keys.as_ref().clone()),
            None => (None, Vec::new()),
        };
        FaceEnrolment::new(engine, keys, self.faces.clone(), self.clock.clone())
    }

    /// The statistics: the service's, or over this state's database when no service runs
    /// (the figures need nothing but the database).
    pub fn statistics(&self) -> Statistics {
        match &self.service {
            Some(service) => service.statistics(),
            None => Statistics::new(self.database.clone()),
        }
    }
}
