//! Accounts: `register`, `login` (by phone), DRF-style `token` (by username) and
//! `token/refresh` (bare `{access, refresh}`), `me`, and a user by integer id; and the
//! [`Caller`] and [`AdminCaller`] extractors every other module uses.
//!
//! Choices: a phone is 11 digits starting with 1; a password at least 6 characters;
//! a username 1 to 150 characters; `email` optional. Register and login both log the user
//! in (access token 24 h, refresh token rotated on use, reuse revokes the family). A user
//! may read their own record by id; admins anyone's (`403` otherwise).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use locker_core::Error;
use locker_core::domain::{Id, NewUser, Role, User};
use locker_core::token::{TokenError, refresh};
use serde_json::{Value, json};

use super::CabinetsState;
use super::envelope::{Body, Entity, Fail, PathText, Reply, optional_str, required_str};
use super::views::local_time;
use crate::credentials::{AccountName, Admitted};
use crate::seeds::BearerError;

/// The signed-in user of a request (active, token current).
#[derive(Debug, Clone)]
pub struct Caller(pub User);

impl FromRequestParts<CabinetsState> for Caller {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, state: &CabinetsState) -> Result<Self, Self::Rejection> {
        let claims = crate::seeds::verify_bearer(&parts.headers, &state.access, state.store.as_ref(), state.now())
            .await
            .map_err(|e| match e {
                Ok(err) => Fail::core(err),
                Err(BearerError::Missing) => Fail::no_credentials("send `Authorization: Bearer <access token>`"),
                Err(reason) => Fail::unauthorized("认证令牌无效或已过期", reason.reason()),
            })?;
        let id: Id = claims.sub.parse().map_err(|_| Fail::unauthorized("认证令牌无效或已过期", "invalid token"))?;
        match state.store.get_user(id).await {
            Ok(user) if user.active => Ok(Caller(user)),
            Ok(_) => Err(Fail::unauthorized("认证令牌无效或已过期", "this account is disabled")),
            Err(Error::NotFound { .. }) => {
                Err(Fail::unauthorized("认证令牌无效或已过期", "the token's user no longer exists"))
            }
            Err(e) => Err(Fail::core(e)),
        }
    }
}

/// A signed-in admin (role read from the store, not trusted from the token).
#[derive(Debug, Clone)]
pub struct AdminCaller(pub User);

impl FromRequestParts<CabinetsState> for AdminCaller {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, state: &CabinetsState) -> Result<Self, Self::Rejection> {
        let Caller(user) = Caller::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(Fail::forbidden("administrators only"));
        }
        Ok(AdminCaller(user))
    }
}

/// The seed's user record; `with_email` for register and `me`.
async fn user_json(state: &CabinetsState, user: &User, with_email: bool) -> Result<Value, Fail> {
    let number = state.store.user_number(user.id).await.map_err(Fail::core)?;
    let mut v = json!({
        "id": number,
        "username": user.username.clone().unwrap_or_default(),
        "phone": user.phone.clone().unwrap_or_default(),
        "balance": user.balance.to_string(),
        "created_at": local_time(user.created_at),
    });
    if with_email {
        v["email"] = json!(user.email.clone().unwrap_or_default());
    }
    Ok(v)
}

/// A new login: access token and the first refresh token of a new family.
async fn issue(state: &CabinetsState, user: &User) -> Result<(String, String), Fail> {
    let now = state.now();
    let signed = locker_core::token::revocation::sign_in(
        state.store.as_ref(),
        &state.access,
        user,
        now,
        refresh::DEFAULT_REFRESH_LIFETIME_SECS,
    )
    .await
    .map_err(Fail::core)?;
    Ok((signed.access, signed.refresh.token))
}

/// Whether `phone` is 11 digits starting with 1.
fn phone_ok(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())
}

/// Parses and checks a registration.
fn new_account(body: &serde_json::Map<String, Value>) -> Result<(NewUser, String), Fail> {
    let username = required_str(body, "username")?.trim();
    if username.chars().count() > 150 {
        return Err(Fail::invalid("username", "at most 150 characters"));
    }
    let phone = required_str(body, "phone")?.trim();
    if !phone_ok(phone) {
        return Err(Fail::invalid("phone", "must be an 11-digit mobile number starting with 1"));
    }
    let password = required_str(body, "password")?;
    if password.chars().count() < 6 {
        return Err(Fail::invalid("password", "must be at least 6 characters"));
    }
    if required_str(body, "password2")? != password {
        return Err(Fail::invalid("password2", "the two passwords differ"));
    }
    let email = optional_str(body, "email")?.map(str::trim).filter(|e| !e.is_empty());
    if email.is_some_and(|e| !e.contains('@') || e.len() > 254) {
        return Err(Fail::invalid("email", "not an e-mail address"));
    }
    let new = NewUser {
        email: email.map(|e| e.to_ascii_lowercase()),
        phone: Some(phone.to_owned()),
        username: Some(username.to_owned()),
        full_name: username.to_owned(),
        role: Role::Customer,
        password_hash: String::new(),
    };
    Ok((new, password.to_owned()))
}

impl FromRequestParts<CabinetsState> for Admitted {
    type Rejection = Fail;

    /// Counts the request against the per-address auth bucket shared with every surface.
    async fn from_request_parts(parts: &mut Parts, state: &CabinetsState) -> Result<Self, Self::Rejection> {
        let address = crate::http::guard::address_of(&parts.extensions);
        state.credentials.admit(&address, state.now()).map_err(|e| Fail::core(e.into()))
    }
}

/// `POST /api/auth/register/`: `201 注册成功` with `{user, access, refresh}`. The seed logs
/// the new user in, so a taken phone, username or e-mail cannot be hidden: it is refused
/// naming the field, under the address bucket like every credential route.
pub async fn register(State(state): State<CabinetsState>, _: Admitted, Body(body): Body) -> Result<Reply, Fail> {
    let (mut new, password) = new_account(&body)?;
    new.password_hash =
        state.credentials.passwords.hash(password).await.map_err(|e| Fail::from_core(e, Entity::User))?;
    let user = state.store.create_user(new, state.now()).await.map_err(|e| match e {
        Error::AlreadyExists { field, value, .. } => Fail {
            data: json!({ "field": field, "detail": format!("{field} {value} is already registered") }),
            ..Fail::refused("注册失败", "")
        },
        other => Fail::from_core(other, Entity::User),
    })?;
    let (access, refresh) = issue(&state, &user).await?;
    let user = user_json(&state, &user, true).await?;
    Ok(Reply::created("注册成功", json!({ "user": user, "access": access, "refresh": refresh })))
}

/// Checks `password` against the account `found` by `name`, under the account lockout
/// ([`crate::credentials::Credentials::sign_in`]); a disabled account is refused like a
/// wrong password, a locked one with `429`.
async fn authenticate(
    state: &CabinetsState,
    admitted: &Admitted,
    found: locker_core::Result<User>,
    name: AccountName<'_>,
    password: &str,
) -> Result<User, Fail> {
    let refused = || Fail::refused("登录失败", "wrong credentials or disabled account");
    match state.credentials.sign_in(admitted, found, name, password.to_owned(), state.now()).await {
        Ok(user) if user.active => Ok(user),
        Ok(_) | Err(Error::Token(TokenError::InvalidCredentials)) => Err(refused()),
        Err(e) => Err(Fail::core(e)),
    }
}

/// `POST /api/auth/login/` by phone: `登录成功` with `{user, access, refresh}`.
pub async fn login(State(state): State<CabinetsState>, admitted: Admitted, Body(body): Body) -> Result<Reply, Fail> {
    let phone = required_str(&body, "phone")?.trim();
    let password = required_str(&body, "password")?;
    let found = state.store.get_user_by_phone(phone).await;
    let user = authenticate(&state, &admitted, found, AccountName::Phone(phone), password).await?;
    let (access, refresh) = issue(&state, &user).await?;
    let user = user_json(&state, &user, false).await?;
    Ok(Reply::ok("登录成功", json!({ "user": user, "access": access, "refresh": refresh })))
}

/// The DRF token pair, bare.
fn pair(access: String, refresh: String) -> Response {
    axum::Json(json!({ "access": access, "refresh": refresh })).into_response()
}

/// `POST /api/auth/token/` by username: bare `{access, refresh}`.
pub async fn token(State(state): State<CabinetsState>, admitted: Admitted, Body(body): Body) -> Result<Response, Fail> {
    let username = required_str(&body, "username")?.trim();
    let password = required_str(&body, "password")?;
    let found = state.store.get_user_by_username(username).await;
    let user = authenticate(&state, &admitted, found, AccountName::Username(username), password).await?;
    let (access, refresh) = issue(&state, &user).await?;
    Ok(pair(access, refresh))
}

/// `POST /api/auth/token/refresh/`: rotates the refresh token; bare `{access, refresh}`.
pub async fn token_refresh(
    State(state): State<CabinetsState>,
    _: Admitted,
    Body(body): Body,
) -> Result<Response, Fail> {
    let presented = required_str(&body, "refresh")?;
    let now = state.now();
    let next = refresh::refresh(state.store.as_ref(), presented, now, refresh::DEFAULT_REFRESH_LIFETIME_SECS)
        .await
        .map_err(|e| match e {
            Error::Token(t) => {
                let reason = match t {
                    TokenError::Expired => "refresh token expired",
                    TokenError::Reused => "refresh token reused; every session of this login was revoked",
                    TokenError::Revoked => "refresh token revoked",
                    _ => "invalid refresh token",
                };
                Fail::unauthorized("认证令牌无效或已过期", reason)
            }
            other => Fail::core(other),
        })?;
    let user = state.store.get_user(next.record.user_id).await.map_err(Fail::core)?;
    if !user.active {
        return Err(Fail::unauthorized("认证令牌无效或已过期", "this account is disabled"));
    }
    let (access, _) =
        state.access.issue(&user.id.to_string(), user.role, next.record.family_id, now).map_err(Fail::core)?;
    Ok(pair(access, next.token))
}

/// `GET /api/auth/me/`.
pub async fn me(State(state): State<CabinetsState>, Caller(user): Caller) -> Result<Reply, Fail> {
    Ok(Reply::success(user_json(&state, &user, true).await?))
}

/// `GET /api/auth/<id>/`: the caller's own record, or anyone's for an admin.
pub async fn user_by_id(
    State(state): State<CabinetsState>,
    Caller(caller): Caller,
    PathText(raw): PathText,
) -> Result<Reply, Fail> {
    let not_found = || Fail::not_found(Entity::User, &raw);
    let number: i64 = raw.parse().map_err(|_| not_found())?;
    let id = state.store.user_by_number(number).await.map_err(Fail::core)?.ok_or_else(not_found)?;
    if id != caller.id && caller.role != Role::Admin {
        return Err(Fail::forbidden("a user may read only their own record"));
    }
    let user = state.store.get_user(id).await.map_err(|e| Fail::from_core(e, Entity::User))?;
    Ok(Reply::success(user_json(&state, &user, false).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn registrations_are_checked_field_by_field() {
        let good = json!({ "username": "testuser", "phone": "13900139000", "password": "test123456",
                           "password2": "test123456", "email": "test@example.com" });
        let (new, password) = new_account(&body(good.clone())).unwrap();
        assert_eq!((new.phone.as_deref(), password.as_str()), (Some("13900139000"), "test123456"));
        let field = |patch: Value| {
            let mut v = good.clone();
            for (k, val) in patch.as_object().unwrap() {
                v[k] = val.clone();
            }
            new_account(&body(v)).unwrap_err().data["field"].as_str().unwrap().to_owned()
        };
        assert_eq!(field(json!({ "phone": "1390013900" })), "phone");
        assert_eq!(field(json!({ "phone": "2390013900a" })), "phone");
        assert_eq!(field(json!({ "password": "12345", "password2": "12345" })), "password");
        assert_eq!(field(json!({ "password2": "other123" })), "password2");
        assert_eq!(field(json!({ "username": "  " })), "username");
        assert_eq!(field(json!({ "email": "nope" })), "email");
        assert_eq!(field(json!({ "phone": 13900139000u64 })), "phone");
    }
}
