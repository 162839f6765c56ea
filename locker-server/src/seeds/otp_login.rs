//! Seed 003, e-mail OTP login: `POST /apis/auth/request-otp` and `POST /apis/auth/verify-otp`.
//!
//! Every answer is HTTP 200 with `{code, message, data}`: `code` 0 on success, otherwise one
//! of the seed's negative codes ([`OtpCode`]) with `data: {}`. The seed's examples show
//! `code: 1` for errors while its code table lists the negative codes; the table is served.
//!
//! - request-otp: `email` required (-801 when missing, -304 when not an e-mail address),
//!   `lang` `vi` (default), `en` or `lo` choosing the e-mail's wording (anything else -1).
//!   The first request for an address creates its account (role customer, empty name).
//!   Codes follow [`locker_core::token::otp`]: 6 digits, 5 minutes, a new request voids
//!   older codes, one send per 60 s and 3 per day per address (-206), delivery failure -205.
//! - verify-otp: `email` (-801/-304) and `otpCode` (-200 when missing, -201 when not 6
//!   digits or wrong); no account -300; expired -202; used -203; out of tries -204. On
//!   success every older login of the user is ended on every surface
//!   ([`locker_core::token::revocation`]); a new access token (JWT, 24 h) and
//!   refresh token (30 days) are issued; `userId` is the user's integer number.
//! - Both routes count against the server's per-address auth bucket (5/min by default,
//!   shared with every surface); over it: -206 with `Retry-After` and `X-RateLimit-*`.
//! - Anything unexpected is -6 and logged; the cause is not returned.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use locker_core::domain::{NewUser, Role, User};
use locker_core::ports::Notifier;
use locker_core::ports::TokenStore;
use locker_core::ports::{AccountStore, RevocationStore};
use locker_core::ports::{Clock, Store};
use locker_core::service::LockerService;
use locker_core::token::jwt::{AccessTokens, JwtKeys, MAX_LEEWAY_SECS};
use locker_core::token::otp::{Otp, OtpLanguage, normalize_address};
use locker_core::token::{OtpError, TokenError, refresh};
use locker_core::{Error, ErrorCode};
use serde_json::{Map, Value, json};

use super::BodyError;
use crate::catalog::{self, FieldType, Route, opt, req, route};
use crate::credentials::Admitted;

/// Access-token lifetime (seed 003: 24 hours).
pub const ACCESS_LIFETIME_SECS: i64 = 24 * 3600;
/// Refresh-token lifetime (seed 003: 30 days).
pub const REFRESH_LIFETIME_SECS: i64 = refresh::DEFAULT_REFRESH_LIFETIME_SECS;

/// The seed's result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum OtpCode {
    /// 0: success.
    Success = 0,
    /// -1: general error.
    Error = -1,
    /// -6: system error.
    SystemError = -6,
    /// -200: OTP required.
    OtpRequired = -200,
    /// -201: OTP invalid.
    OtpInvalid = -201,
    /// -202: OTP expired.
    OtpExpired = -202,
    /// -203: OTP already used.
    OtpAlreadyUsed = -203,
    /// -204: too many tries.
    OtpMaxAttemptsExceeded = -204,
    /// -205: sending failed.
    OtpSendFailed = -205,
    /// -206: too many requests.
    OtpTooManyRequests = -206,
    /// -300: no such user.
    UserNotFound = -300,
    /// -304: not an e-mail address.
    InvalidEmail = -304,
    /// -801: a required field is missing.
    RequiredFieldMissing = -801,
}

/// A seed-003 answer: always HTTP 200, `{code, message, data}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Result code.
    pub code: OtpCode,
    /// Message.
    pub message: String,
    /// Data (`{}` on errors).
    pub data: Value,
}

impl Reply {
    /// A success with `data`.
    pub fn ok(message: &str, data: Value) -> Self {
        Reply { code: OtpCode::Success, message: message.to_owned(), data }
    }

    /// An error answer.
    pub fn err(code: OtpCode, message: impl Into<String>) -> Self {
        Reply { code, message: message.into(), data: json!({}) }
    }

    /// Maps a core error; anything without a seed code is -6 and logged.
    pub fn from_core(err: Error) -> Self {
        match &err {
            Error::Token(TokenError::Otp(e)) => match e {
                OtpError::Invalid => Self::err(OtpCode::OtpInvalid, "Invalid OTP"),
                OtpError::Expired => Self::err(OtpCode::OtpExpired, "OTP has expired"),
                OtpError::AlreadyUsed => Self::err(OtpCode::OtpAlreadyUsed, "OTP has already been used"),
                OtpError::TooManyAttempts => {
                    Self::err(OtpCode::OtpMaxAttemptsExceeded, "Too many attempts; request a new OTP")
                }
                OtpError::TooManyRequests => {
                    Self::err(OtpCode::OtpTooManyRequests, "Too many OTP requests; try again later")
                }
                OtpError::SendFailed => Self::err(OtpCode::OtpSendFailed, "Failed to send OTP"),
                _ => Self::system(&err),
            },
            Error::Validation { field, .. } if field == "email" => Self::err(OtpCode::InvalidEmail, "Invalid email"),
            Error::NotFound { entity: "user", .. } => Self::err(OtpCode::UserNotFound, "User not found"),
            _ if err.code() == ErrorCode::Validation => Self::err(OtpCode::Error, err.to_string()),
            _ => Self::system(&err),
        }
    }

    fn system(err: &Error) -> Self {
        tracing::error!(error = ?err, "seed 003 system error");
        Self::err(OtpCode::SystemError, "System error")
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.code as i32, "message": self.message, "data": self.data });
        (StatusCode::OK, Json(body)).into_response()
    }
}

/// What the OTP login routes need.
#[derive(Clone)]
pub struct OtpLoginState {
    /// Users.
    pub users: Arc<dyn Store>,
    /// OTP records and refresh tokens.
    pub tokens: Arc<dyn TokenStore>,
    /// User numbers.
    pub accounts: Arc<dyn AccountStore>,
    /// Logins: a new login ends the user's older ones.
    pub revocations: Arc<dyn RevocationStore>,
    /// Issues access tokens valid [`ACCESS_LIFETIME_SECS`].
    pub access: Arc<AccessTokens>,
    /// Code rules and pepper.
    pub otp: Arc<Otp>,
    /// Delivers codes (the development outbox, or SMTP).
    pub notifier: Arc<dyn Notifier>,
    /// Now.
    pub clock: Arc<dyn Clock>,
    /// The rate limiters; `auth` is the per-address bucket both routes count against
    /// (the server's, shared with every surface: [`OtpLoginState::with_limits`]).
    pub limits: Arc<crate::state::Limits>,
}

impl OtpLoginState {
    /// A state over `service`'s database and clock: access tokens are signed with `keys` (issuer and
    /// audience `locker`, lifetime 24 h, so other surfaces verify them with the same keys).
    pub fn new(service: &LockerService, keys: JwtKeys, otp: Otp, notifier: Arc<dyn Notifier>) -> Self {
        let store = service.database().clone();
        let clock = service.clock().clone();
        let access = AccessTokens::with_config(keys, "locker", "locker", ACCESS_LIFETIME_SECS, MAX_LEEWAY_SECS);
        Self {
            users: store.clone(),
            tokens: store.clone(),
            accounts: store.clone(),
            revocations: store,
            access: Arc::new(access),
            otp: Arc::new(otp),
            notifier,
            clock,
            limits: Arc::new(crate::state::Limits::new(crate::LimitConfig::SEED)),
        }
    }

    /// Counts both routes against `limits.auth` (the server's, so one bucket serves every
    /// surface).
    pub fn with_limits(mut self, limits: Arc<crate::state::Limits>) -> Self {
        self.limits = limits;
        self
    }
}

impl FromRequestParts<OtpLoginState> for Admitted {
    type Rejection = Response;

    /// Counts the request against the per-address auth bucket; a refusal is the seed's
    /// `-206` (HTTP 200, as every seed-003 answer) with `Retry-After` and `X-RateLimit-*`.
    async fn from_request_parts(parts: &mut Parts, state: &OtpLoginState) -> Result<Self, Self::Rejection> {
        let address = crate::http::guard::address_of(&parts.extensions);
        crate::credentials::admit(&state.limits, &address, state.clock.now()).map_err(|refusal| {
            let mut res = Reply::err(OtpCode::OtpTooManyRequests, "Too many requests; try again later").into_response();
            if let Some(denial) = crate::http::throttle::denial_of(&refusal) {
                crate::http::throttle::put_headers(res.headers_mut(), denial);
            }
            res
        })
    }
}

/// Every seed-003 route, as served and documented.
pub fn routes() -> Vec<Route<OtpLoginState>> {
    use FieldType::String;
    vec![
        route!(OtpLogin POST "/apis/auth/request-otp", Public, "E-mail a 6-digit code (creates the account on first use)", request_otp)
            .body(&[req("email", String), opt("lang", FieldType::Enum(&["vi", "en", "lo"])).nullable()])
            .answers(200, "Seed003OtpSent"),
        route!(OtpLogin POST "/apis/auth/verify-otp", Public, "Trade the code for tokens (revokes older ones)", verify_otp)
            .body(&[req("email", String), req("otpCode", String)])
            .answers(200, "Seed003LoggedIn"),
    ]
}

/// The seed-003 routes with their state applied; other methods get the seed's envelope.
pub fn router(state: OtpLoginState) -> Router {
    catalog::build_router(routes(), method_not_allowed, refuse)
        .layer(axum::extract::DefaultBodyLimit::max(crate::JSON_BODY_LIMIT))
        .with_state(state)
}

/// `405` with the seed's envelope (code -1): the one answer of this surface that is not HTTP
/// 200, since the method, not the request, is wrong (and a client must not read it as done).
/// A request its field list refuses, with the code the handler gives the same fault (HTTP
/// 200, as every answer of this seed): `email` -801 missing or -304, `otpCode` -200 missing
/// or -201, anything else -1.
fn refuse(invalid: catalog::Invalid) -> Response {
    let code = match (invalid.field.as_str(), invalid.missing) {
        ("email", true) => OtpCode::RequiredFieldMissing,
        ("email", false) => OtpCode::InvalidEmail,
        ("otpCode", true) => OtpCode::OtpRequired,
        ("otpCode", false) => OtpCode::OtpInvalid,
        _ => OtpCode::Error,
    };
    Reply::err(code, format!("{}: {}", invalid.field, invalid.reason)).into_response()
}

async fn method_not_allowed() -> Response {
    let reply = Reply::err(OtpCode::Error, "Method not allowed; use POST");
    (StatusCode::METHOD_NOT_ALLOWED, [(axum::http::header::ALLOW, "POST")], reply).into_response()
}

/// The body as a JSON object, or the answer that says why not.
fn object(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Map<String, Value>, Reply> {
    super::json_object(headers, body).map_err(|e| match e {
        BodyError::NotJson => Reply::err(OtpCode::Error, "Content-Type must be application/json"),
        BodyError::Unreadable(text, _) => Reply::err(OtpCode::Error, text),
        BodyError::NotObject => Reply::err(OtpCode::Error, "Request body must be a JSON object"),
        BodyError::Malformed => Reply::err(OtpCode::Error, "Malformed JSON body"),
    })
}

/// The `email` field, normalised.
fn email_of(body: &Map<String, Value>) -> Result<String, Reply> {
    match body.get("email") {
        None | Some(Value::Null) => Err(Reply::err(OtpCode::RequiredFieldMissing, "Email is required")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(Reply::err(OtpCode::RequiredFieldMissing, "Email is required"))
        }
        Some(Value::String(s)) if s.contains('@') => {
            normalize_address(s).map_err(|_| Reply::err(OtpCode::InvalidEmail, "Invalid email"))
        }
        Some(_) => Err(Reply::err(OtpCode::InvalidEmail, "Invalid email")),
    }
}

/// The account of `email`, created on first use.
async fn find_or_create(users: &dyn Store, email: &str, now: locker_core::domain::Timestamp) -> Result<User, Error> {
    match users.get_user_by_email(email).await {
        Ok(user) => return Ok(user),
        Err(Error::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    let new = NewUser {
        email: Some(email.to_owned()),
        phone: None,
        username: None,
        full_name: String::new(),
        role: Role::Customer,
        password_hash: String::new(),
    };
    match users.create_user(new, now).await {
        Ok(user) => Ok(user),
        // A concurrent first request created it.
        Err(Error::AlreadyExists { .. }) => users.get_user_by_email(email).await,
        Err(e) => Err(e),
    }
}

/// The JSON object of a request and its `email`, or the error reply.
fn email_request(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Map<String, Value>, String), Reply> {
    let body = object(headers, body)?;
    let email = email_of(&body)?;
    Ok((body, email))
}

/// `POST /apis/auth/request-otp`.
async fn request_otp(
    State(state): State<OtpLoginState>,
    _: Admitted,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    let (body, email) = match email_request(&headers, body) {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    let lang = match body.get("lang") {
        None | Some(Value::Null) => OtpLanguage::Vi,
        Some(Value::String(s)) => match OtpLanguage::parse(s) {
            Some(lang) => lang,
            None => return Reply::err(OtpCode::Error, "Unsupported lang; use vi, en or lo"),
        },
        Some(_) => return Reply::err(OtpCode::Error, "Unsupported lang; use vi, en or lo"),
    };
    let now = state.clock.now();
    let user = match find_or_create(state.users.as_ref(), &email, now).await {
        Ok(u) => u,
        Err(e) => return Reply::from_core(e),
    };
    if !user.active {
        return Reply::err(OtpCode::Error, "Account is disabled");
    }
    match state.otp.request_in(state.tokens.as_ref(), state.notifier.as_ref(), &email, lang, now).await {
        Ok(record) => Reply::ok(
            "OTP sent successfully",
            json!({ "email": email, "expireInSeconds": (record.expires_at - now).num_seconds() }),
        ),
        Err(e) => Reply::from_core(e),
    }
}

/// `POST /apis/auth/verify-otp`.
async fn verify_otp(
    State(state): State<OtpLoginState>,
    _: Admitted,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    let (body, email) = match email_request(&headers, body) {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    let code = match body.get("otpCode") {
        None | Some(Value::Null) => return Reply::err(OtpCode::OtpRequired, "OTP is required"),
        Some(Value::String(s)) if s.is_empty() => return Reply::err(OtpCode::OtpRequired, "OTP is required"),
        Some(Value::String(s)) if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) => s.clone(),
        Some(_) => return Reply::err(OtpCode::OtpInvalid, "Invalid OTP"),
    };
    match login(&state, &email, &code).await {
        Ok(data) => Reply::ok("Login successful", data),
        Err(reply) => reply,
    }
}

/// Verifies the code, revokes older sessions and issues new tokens.
async fn login(state: &OtpLoginState, email: &str, code: &str) -> Result<Value, Reply> {
    let now = state.clock.now();
    let user = state.users.get_user_by_email(email).await.map_err(Reply::from_core)?;
    if !user.active {
        return Err(Reply::err(OtpCode::Error, "Account is disabled"));
    }
    state.otp.verify(state.tokens.as_ref(), email, code, now).await.map_err(Reply::from_core)?;
    issue_tokens(state, user, email, now).await.map_err(Reply::from_core)
}

/// Revokes the user's older sessions and issues the new login's tokens.
async fn issue_tokens(
    state: &OtpLoginState,
    user: User,
    email: &str,
    now: locker_core::domain::Timestamp,
) -> Result<Value, Error> {
    state.revocations.revoke_user(user.id).await?;
    let signed = locker_core::token::revocation::sign_in(
        state.tokens.as_ref(),
        &state.access,
        &user,
        now,
        REFRESH_LIFETIME_SECS,
    )
    .await?;
    let (access, claims, fresh) = (signed.access, signed.claims, signed.refresh);
    let number = state.accounts.user_number(user.id).await?;
    let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0)
        .ok_or_else(|| Error::config("access token expiry out of range"))?;
    Ok(json!({
        "userId": number,
        "email": user.email.unwrap_or_else(|| email.to_owned()),
        "fullName": user.full_name,
        "avatarUrl": Value::Null,
        "accessToken": access,
        "refreshToken": fresh.token,
        "expiresAt": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(body: &str) -> Result<String, Reply> {
        let map: Map<String, Value> = serde_json::from_str(body).unwrap();
        email_of(&map)
    }

    #[test]
    fn emails_are_required_and_checked() {
        assert_eq!(field(r#"{"email":" User@Example.com "}"#).unwrap(), "user@example.com");
        assert_eq!(field("{}").unwrap_err().code, OtpCode::RequiredFieldMissing);
        assert_eq!(field(r#"{"email":""}"#).unwrap_err().code, OtpCode::RequiredFieldMissing);
        assert_eq!(field(r#"{"email":"12345678"}"#).unwrap_err().code, OtpCode::InvalidEmail);
        assert_eq!(field(r#"{"email":"a@b"}"#).unwrap_err().code, OtpCode::InvalidEmail);
        assert_eq!(field(r#"{"email":42}"#).unwrap_err().code, OtpCode::InvalidEmail);
    }

    #[test]
    fn core_errors_map_to_seed_codes() {
        let otp = |e| Reply::from_core(Error::Token(TokenError::Otp(e))).code;
        assert_eq!(otp(OtpError::Invalid), OtpCode::OtpInvalid);
        assert_eq!(otp(OtpError::Expired), OtpCode::OtpExpired);
        assert_eq!(otp(OtpError::AlreadyUsed), OtpCode::OtpAlreadyUsed);
        assert_eq!(otp(OtpError::TooManyAttempts), OtpCode::OtpMaxAttemptsExceeded);
        assert_eq!(otp(OtpError::TooManyRequests), OtpCode::OtpTooManyRequests);
        assert_eq!(otp(OtpError::SendFailed), OtpCode::OtpSendFailed);
        assert_eq!(Reply::from_core(Error::not_found("user", "x")).code, OtpCode::UserNotFound);
        let storage = Error::Storage { message: "disk on fire".into(), source: None };
        let reply = Reply::from_core(storage);
        assert_eq!(reply.code, OtpCode::SystemError);
        assert!(!reply.message.contains("disk"), "causes are not returned");
    }
}
