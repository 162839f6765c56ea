//! The surfaces of seeds 002 and 003, each at its own base path with its own envelope and
//! error codes, on the same core as `/api/v1`:
//!
//! | module | seed | base | envelope |
//! |---|---|---|---|
//! | [`barcodes`] | 002, scanner records | `/api/barcodes` | bare records; `{error: {code, message, details}}` |
//! | [`otp_login`] | 003, e-mail OTP login | `/apis/auth/` | `{code, message, data}`, numeric codes, always HTTP 200 |
//! | [`cabinets`] | 001, cabinets, orders, devices | `/api/…/` (trailing slashes) | `{code, message, data}`, code = HTTP status |
//!
//! Each module lists its routes once ([`crate::catalog`]) and exposes `router(state)`, a `Router`
//! with its state applied, to merge into [`crate::app`]; [`router`] builds all three from
//! one [`SeedParts`]. The states are built over the locker service: its one database serves
//! them all through [`SeedStore`] (the core's `Database`).

pub mod barcodes;
pub mod cabinets;
pub mod otp_login;

use std::sync::Arc;

use locker_core::ports::RevocationStore;

/// Every storage port the seed surfaces use: the core's [`Database`](locker_core::ports::Database)
/// (this name stays one release for code written against it).
pub use locker_core::ports::Database as SeedStore;

/// What the three seed surfaces share: the locker service (its database, password hasher
/// and clock; seed-001 cabinets open through it), the server's access-token key, the
/// peppers of the seed codes and the OTP e-mail channel.
pub struct SeedParts {
    /// The locker service.
    pub service: Arc<locker_core::service::LockerService>,
    /// The access-token key, shared with `/api/v1` so one sign-in serves every surface.
    pub jwt: locker_core::token::jwt::JwtKeys,
    /// The OTP pepper (codes are stored hashed with it).
    pub otp_pepper: locker_core::token::Pepper,
    /// The pickup-code pepper.
    pub pickup_pepper: locker_core::token::Pepper,
    /// Where seed-003 login codes go (the outbox file, or SMTP).
    pub notifier: Arc<dyn locker_core::ports::Notifier>,
    /// The server's sign-in protection ([`crate::AppState::credentials`]): one address
    /// bucket and one account lockout for every surface.
    pub credentials: crate::credentials::Credentials,
}

impl std::fmt::Debug for SeedParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedParts").finish_non_exhaustive()
    }
}

/// The seed-001, 002 and 003 surfaces as one router, with their states applied; merge it
/// into [`crate::app`]. A board is attached to the service for every device that polls
/// over HTTP ([`locker_core::service::HttpBoards::attach_all`]).
pub async fn router(parts: SeedParts) -> locker_core::Result<axum::Router> {
    router_paying(parts, Arc::new(cabinets::payment::NoProvider)).await
}

/// [`router`] with `payments` taking seed 001's WeChat Pay and Alipay payments (`locker
/// serve --demo` passes [`cabinets::payment::SimulatedPayments`]).
pub async fn router_paying(
    parts: SeedParts,
    payments: Arc<dyn cabinets::payment::PaymentProvider>,
) -> locker_core::Result<axum::Router> {
    let SeedParts { service, jwt, otp_pepper, pickup_pepper, notifier, credentials } = parts;
    let access = Arc::new(locker_core::token::jwt::AccessTokens::new(jwt.clone()));
    let barcodes = barcodes::BarcodeState::new(&service, access);
    let otp = locker_core::token::otp::Otp::new(otp_pepper, Default::default());
    let otp_login =
        otp_login::OtpLoginState::new(&service, jwt.clone(), otp, notifier).with_limits(credentials.limits.clone());
    // This process's share of the pickup-code tries (`LimitConfig::per_process`).
    let tries = credentials.limits.pickup_tries_per_hour;
    let pickup = locker_core::token::pickup::PickupCodes::with_tries_per_hour(pickup_pepper, tries);
    let cabinets = cabinets::CabinetsState::new(service, jwt, credentials, pickup).with_payments(payments);
    cabinets.boards.attach_all().await?;
    Ok(barcodes::router(barcodes).merge(otp_login::router(otp_login)).merge(cabinets::router(cabinets)))
}

/// RFC 3339 UTC with milliseconds (`2026-01-02T03:04:05.678Z`): the `datetime` of the seeds.
pub(crate) fn iso_millis(t: locker_core::domain::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Whether a request's `Content-Type` is JSON (`application/json`, `application/*+json`,
/// with or without parameters).
pub(crate) fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || (v.starts_with("application/") && v.ends_with("+json")))
}

/// Why a request body is not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// `Content-Type` is not JSON.
    NotJson,
    /// The body could not be read (too large, broken stream): axum's text and status.
    Unreadable(String, axum::http::StatusCode),
    /// Not JSON at all.
    Malformed,
    /// JSON, but not an object.
    NotObject,
}

/// A request body as a JSON object, checking the `Content-Type` first.
pub(crate) fn json_object(
    headers: &axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<serde_json::Map<String, serde_json::Value>, BodyError> {
    if !is_json(headers) {
        return Err(BodyError::NotJson);
    }
    let body = body.map_err(|e| BodyError::Unreadable(e.body_text(), e.status()))?;
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotObject),
        Err(_) => Err(BodyError::Malformed),
    }
}

/// The token of an `Authorization: Bearer <token>` header, or why there is none usable.
pub(crate) fn bearer_token(headers: &axum::http::HeaderMap) -> Result<&str, BearerError> {
    let header = headers.get(axum::http::header::AUTHORIZATION).ok_or(BearerError::Missing)?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(BearerError::Malformed)
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError {
    /// No `Authorization` header.
    Missing,
    /// Not `Bearer <token>`.
    Malformed,
    /// Bad signature, wrong issuer, not a user.
    Invalid,
    /// Past its expiry.
    Expired,
    /// Its login was ended: logout, "log out everywhere" (seed 003's newer login), or
    /// refresh-token reuse, on any surface.
    Revoked,
    /// The account is disabled.
    Disabled,
    /// The token's user does not exist.
    UnknownUser,
}

impl BearerError {
    /// In words, for error details.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            BearerError::Missing => "missing Authorization header",
            BearerError::Malformed => "expected `Authorization: Bearer <token>`",
            BearerError::Invalid => "invalid token",
            BearerError::Expired => "token expired",
            BearerError::Revoked => "token revoked (logged out, or ended by a newer login)",
            BearerError::Disabled => "this account is disabled",
            BearerError::UnknownUser => "the token's user no longer exists",
        }
    }
}

/// Verifies the bearer token of `headers` and asks the database whether its login is still
/// on (`locker_core::token::revocation`, the check `/api/v1` makes too); returns the
/// claims. Storage failures come back as `Err(Ok(error))`.
pub(crate) async fn verify_bearer(
    headers: &axum::http::HeaderMap,
    tokens: &locker_core::token::jwt::AccessTokens,
    revocations: &dyn RevocationStore,
    now: locker_core::domain::Timestamp,
) -> Result<locker_core::token::jwt::AccessClaims, Result<locker_core::Error, BearerError>> {
    use locker_core::token::revocation::{Refusal, authenticate};
    let token = bearer_token(headers).map_err(Err)?;
    match authenticate(tokens, revocations, token, now).await {
        Ok(ok) => Ok(ok.claims),
        Err(Refusal::Storage(e)) => Err(Ok(e)),
        Err(Refusal::Invalid) => Err(Err(BearerError::Invalid)),
        Err(Refusal::Expired) => Err(Err(BearerError::Expired)),
        Err(Refusal::Revoked) => Err(Err(BearerError::Revoked)),
        Err(Refusal::Disabled) => Err(Err(BearerError::Disabled)),
        Err(Refusal::UnknownUser) => Err(Err(BearerError::UnknownUser)),
    }
}
