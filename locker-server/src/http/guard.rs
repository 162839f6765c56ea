//! The per-route guard: rate limit, then authentication and role, as the route table says.
//!
//! Every `/api/v1` route ([`crate::v1::routes`]) is wrapped in [`guard`] with its [`Access`] and
//! [`RateClass`], so no handler can forget a check. Handlers read who is calling from the
//! [`Caller`] the guard leaves in the request extensions (or the [`AuthUser`] and
//! [`AdminUser`] extractors built on it).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use locker_core::domain::{Id, Role};
use locker_core::token::ratelimit::Decision;
use serde::Serialize;

use super::error::ApiError;
use super::throttle::{described, put_headers};
use crate::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Anyone.
    Public,
    /// Anyone; a valid bearer token, if sent, identifies the user (a bad one is refused).
    OptionalUser,
    /// Any signed-in user (customer, technician or admin).
    Customer,
    /// Admins only.
    Admin,
    /// Lock controllers, by `X-API-Key`.
    Controller,
}

/// Which rate limit a route counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateClass {
    /// Auth endpoints: per client IP, 5/min by default.
    Auth,
    /// Everything else: per client IP, 100/min by default.
    General,
    /// Hardware control: per device key (or admin), 10/s by default.
    Hardware,
    /// Not limited (health, OpenAPI document).
    None,
}

/// A signed-in user, as the guard verified them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCtx {
    /// User id.
    pub id: Id,
    /// Current role (read from the store, not trusted from the token).
    pub role: Role,
    /// The access token's id.
    pub jti: String,
    /// The access token's expiry (unix seconds).
    pub exp: i64,
    /// The login (refresh family) the token belongs to; logout ends it.
    pub login: Id,
}

/// Who is calling, left in the request extensions by [`guard`].
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The user, when a valid bearer token was sent.
    pub user: Option<UserCtx>,
    /// The controller, on controller routes.
    pub controller: Option<Id>,
    /// Client IP (the TCP peer).
    pub ip: String,
}

impl Caller {
    /// A key naming this caller (for idempotency scopes).
    pub fn scope(&self) -> String {
        match (&self.user, self.controller) {
            (Some(u), _) => format!("user:{}", u.id),
            (None, Some(c)) => format!("controller:{c}"),
            _ => format!("ip:{}", self.ip),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| ApiError::internal("route without a guard"))
    }
}

/// A signed-in user (customer routes).
#[derive(Debug, Clone)]
pub struct AuthUser(pub UserCtx);

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.user.map(AuthUser).ok_or_else(|| ApiError::token_invalid("missing", "A bearer token is required"))
    }
}

/// A signed-in admin (admin routes).
#[derive(Debug, Clone)]
pub struct AdminUser(pub UserCtx);

impl<S: Send + Sync> FromRequestParts<S> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(ApiError::forbidden());
        }
        Ok(AdminUser(user))
    }
}

/// An authenticated controller (controller routes).
#[derive(Debug, Clone, Copy)]
pub struct DeviceCaller(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for DeviceCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.controller.map(DeviceCaller).ok_or_else(invalid_api_key)
    }
}

fn invalid_api_key() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "A valid X-API-Key is required")
        .with_details(serde_json::json!({ "field": "X-API-Key" }))
}

/// The guard's configuration for one route.
#[derive(Clone)]
pub struct GuardConfig {
    /// Shared state.
    pub state: AppState,
    /// Who may call.
    pub access: Access,
    /// Which limit applies.
    pub class: RateClass,
}

/// Verifies a bearer token and asks the database whether its login is still on (the one
/// revocation mechanism, `locker_core::token::revocation`); the role is the user's current one.
pub async fn verify_bearer(state: &AppState, token: &str) -> Result<UserCtx, ApiError> {
    use locker_core::token::revocation::{Refusal, authenticate};
    let ok =
        authenticate(&state.access, state.revocations().as_ref(), token, state.now()).await.map_err(|e| match e {
            Refusal::Invalid => locker_core::Error::from(locker_core::token::TokenError::Invalid).into(),
            Refusal::Expired => locker_core::Error::from(locker_core::token::TokenError::Expired).into(),
            Refusal::UnknownUser => ApiError::token_invalid("user", "The token's user no longer exists"),
            Refusal::Disabled => ApiError::token_invalid("inactive", "This account is disabled"),
            Refusal::Revoked => ApiError::token_invalid("revoked", "This token was revoked (logged out)"),
            Refusal::Storage(e) => e.into(),
        })?;
    Ok(UserCtx { id: ok.user, role: ok.role, jti: ok.claims.jti, exp: ok.claims.exp, login: ok.login })
}

/// The bearer token of `Authorization`, if one is sent; a malformed header is refused.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ApiError::token_invalid("malformed", "Malformed Authorization header"))?;
    match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::token_invalid("malformed", "Expected `Authorization: Bearer <token>`")),
    }
}

async fn authenticate(
    state: &AppState,
    access: Access,
    headers: &HeaderMap,
    caller: &mut Caller,
) -> Result<(), ApiError> {
    match access {
        Access::Public => {}
        Access::OptionalUser => {
            if let Some(token) = bearer(headers)? {
                caller.user = Some(verify_bearer(state, token).await?);
            }
        }
        Access::Customer | Access::Admin => {
            let token =
                bearer(headers)?.ok_or_else(|| ApiError::token_invalid("missing", "A bearer token is required"))?;
            let user = verify_bearer(state, token).await?;
            if access == Access::Admin && user.role != Role::Admin {
                return Err(ApiError::forbidden());
            }
            caller.user = Some(user);
        }
        Access::Controller => {
            let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).ok_or_else(invalid_api_key)?;
            let id =
                locker_core::token::apikey::authenticate(state.tokens().as_ref(), key).await.map_err(|e| match e {
                    locker_core::Error::Token(_) => invalid_api_key(),
                    other => other.into(),
                })?;
            caller.controller = Some(id);
        }
    }
    Ok(())
}

fn limit(state: &AppState, class: RateClass, key: &str) -> Option<Decision> {
    let limiter = match class {
        RateClass::Auth => &state.limits.auth,
        RateClass::General => &state.limits.general,
        RateClass::Hardware => &state.limits.hardware,
        RateClass::None => return None,
    };
    Some(limiter.check(&key.to_owned(), state.now()))
}

fn too_many(decision: Decision) -> Response {
    ApiError::throttled(decision, "Too many requests; try again later").into_response()
}

/// The client's IP: the TCP peer (proxies are not trusted).
pub fn client_ip(req: &Request) -> String {
    address_of(req.extensions())
}

/// The client's IP from a request's extensions (`local` when the server was not started
/// with connect info).
pub fn address_of(extensions: &axum::http::Extensions) -> String {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "local".into())
}

/// The middleware: limit (by IP, or by device after authentication on hardware routes),
/// authenticate, then run the handler and add the `X-RateLimit-*` headers.
pub async fn guard(State(cfg): State<GuardConfig>, mut req: Request, next: Next) -> Response {
    let mut caller = Caller { ip: client_ip(&req), ..Caller::default() };
    let mut decision = None;
    if cfg.class != RateClass::Hardware {
        decision = limit(&cfg.state, cfg.class, &caller.ip);
        if let Some(d @ Decision::Denied { .. }) = decision {
            return too_many(d);
        }
    }
    if let Err(e) = authenticate(&cfg.state, cfg.access, req.headers(), &mut caller).await {
        let mut res = e.into_response();
        if let Some(d) = decision {
            put_headers(res.headers_mut(), d);
        }
        return res;
    }
    if cfg.class == RateClass::Hardware {
        decision = limit(&cfg.state, cfg.class, &caller.scope());
        if let Some(d @ Decision::Denied { .. }) = decision {
            return too_many(d);
        }
    }
    req.extensions_mut().insert(caller);
    let mut res = next.run(req).await;
    // A handler's own limit (an account lockout, face attempts) describes itself.
    if let Some(d) = decision.filter(|_| !described(res.headers())) {
        put_headers(res.headers_mut(), d);
    }
    res
}
