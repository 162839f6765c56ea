//! `/auth`: register, login, logout, refresh (rotation with reuse detection).

use axum::extract::State;
use axum::http::StatusCode;
use locker_core::domain::{NewUser, Role, User};
use locker_core::token::TokenError;
use locker_core::token::refresh::{self, DEFAULT_REFRESH_LIFETIME_SECS};
use locker_core::token::revocation::sign_in;
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::ts;
use crate::AppState;
use crate::credentials::{AccountName, Admitted};
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::guard::{AuthUser, Caller};

/// Longest e-mail, name and phone accepted.
const MAX_TEXT: usize = 254;
/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

/// `POST /auth/register` body.
#[derive(Debug, Deserialize)]
pub struct Register {
    email: String,
    password: String,
    full_name: String,
    #[serde(default)]
    phone: Option<String>,
}

/// Trims and checks an e-mail address (shape only; it is stored lower-cased).
pub fn check_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= MAX_TEXT
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if !ok {
        return Err(ApiError::validation("email", "not a valid e-mail address"));
    }
    Ok(email)
}

/// Checks a phone number: 6 to 20 digits, an optional leading `+`, spaces ignored.
pub fn check_phone(phone: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(phone) = phone.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let digits: String = phone.chars().filter(|c| !c.is_whitespace()).collect();
    let body = digits.strip_prefix('+').unwrap_or(&digits);
    if !(6..=20).contains(&body.len()) || !body.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::validation("phone", "6 to 20 digits, optionally starting with +"));
    }
    Ok(Some(digits))
}

/// Checks a display name: 1 to 254 characters after trimming.
pub fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_TEXT {
        return Err(ApiError::validation("full_name", "1 to 254 characters"));
    }
    Ok(name.to_owned())
}

/// Registers a customer account. A taken e-mail or phone gets the same `201` answer as a
/// new account (with an id that names nothing) after the same work (the password is hashed
/// either way), so the route does not tell whether an address has an account; seed 000
/// documents no conflict answer. Nothing is stored for it.
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Register>,
) -> Result<Success<Value>, ApiError> {
    let email = check_email(&body.email)?;
    if body.password.chars().count() < MIN_PASSWORD_LEN || body.password.len() > 1024 {
        return Err(ApiError::validation("password", format!("{MIN_PASSWORD_LEN} to 1024 characters")));
    }
    let full_name = check_name(&body.full_name)?;
    let phone = check_phone(body.phone.as_deref())?;
    let password_hash = state.credentials.passwords.hash(body.password).await?;
    let now = state.now();
    let new = NewUser {
        email: Some(email.clone()),
        phone,
        username: None,
        full_name: full_name.clone(),
        role: Role::Customer,
        password_hash,
    };
    let (id, created_at) = match state.store().create_user(new, now).await {
        Ok(user) => (user.id, user.created_at),
        Err(locker_core::Error::AlreadyExists { .. }) => (locker_core::domain::new_id(), now),
        Err(e) => return Err(e.into()),
    };
    Ok(Success::data(json!({
        "id": id,
        "email": email,
        "full_name": full_name,
        "role": Role::Customer,
        "created_at": ts(created_at),
    }))
    .with_message("Đăng ký thành công")
    .with_status(StatusCode::CREATED))
}

/// `POST /auth/login` body.
#[derive(Debug, Deserialize)]
pub struct Login {
    email: String,
    password: String,
}

/// Issues an access token for `user` in login (refresh family) `family`.
fn issue_access(state: &AppState, user: &User, family: locker_core::domain::Id) -> Result<String, ApiError> {
    let (token, _) = state.access.issue(&user.id.to_string(), user.role, family, state.now())?;
    Ok(token)
}

/// Logs in with e-mail and password, under the account lockout
/// ([`crate::credentials::Credentials::sign_in`]).
pub async fn login(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Login>,
) -> Result<Success<Value>, ApiError> {
    let email = body.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ApiError::validation("email", "must not be empty"));
    }
    // The route guard counted this request against the address bucket.
    let admitted = Admitted::counted(caller.ip);
    let found = state.store().get_user_by_email(&email).await;
    let now = state.now();
    let user = state.credentials.sign_in(&admitted, found, AccountName::Email(&email), body.password, now).await?;
    if !user.active {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "This account is disabled"));
    }
    let signed = sign_in(state.tokens().as_ref(), &state.access, &user, now, DEFAULT_REFRESH_LIFETIME_SECS).await?;
    Ok(Success::data(json!({
        "access_token": signed.access,
        "refresh_token": signed.refresh.token,
        "expires_in": state.access.lifetime_secs(),
        "token_type": "Bearer",
        "user": { "id": user.id, "email": user.email, "full_name": user.full_name, "role": user.role },
    }))
    .with_message("Đăng nhập thành công"))
}

/// `POST /auth/logout` body (optional).
#[derive(Debug, Deserialize, Default)]
pub struct Logout {
    #[serde(default)]
    refresh_token: Option<String>,
    /// End every login of the user ("log out everywhere"), not only this one.
    #[serde(default)]
    everywhere: bool,
}

/// Logs out: ends this token's login (its refresh family) in the database, so the token and
/// the login's refresh token are refused by every surface and every server process; with
/// `everywhere`, ends every login of the user. A `refresh_token` of the caller's in the
/// body ends its login too.
pub async fn logout(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Success<()>, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("request body too large")
        } else {
            ApiError::validation("body", e.body_text())
        }
    })?;
    let body: Logout = if body.iter().all(u8::is_ascii_whitespace) {
        Logout::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::validation("body", format!("malformed JSON: {e}")))?
    };
    if body.everywhere {
        state.revocations().revoke_user(user.id).await?;
    } else {
        state.revocations().revoke_login(user.id, user.login).await?;
    }
    if let Some(token) = body.refresh_token.filter(|t| !t.is_empty() && t.len() <= 256) {
        if let Some(record) = state.tokens().find_refresh(&refresh::hash_token(&token)).await? {
            state.revocations().revoke_login(user.id, record.family_id).await?;
        }
    }
    Ok(Success::message("Đăng xuất thành công"))
}

/// `POST /auth/refresh` body.
#[derive(Debug, Deserialize)]
pub struct Refresh {
    refresh_token: String,
}

/// Exchanges a refresh token for a new access token and its rotated successor. A token
/// that was already rotated revokes its whole family (`TOKEN_INVALID`, reason `reused`).
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Refresh>,
) -> Result<Success<Value>, ApiError> {
    if body.refresh_token.is_empty() || body.refresh_token.len() > 256 {
        return Err(locker_core::Error::from(TokenError::Invalid).into());
    }
    let now = state.now();
    // Reuse of a rotated token revokes its family in the database (inside `refresh`), which
    // ends the login's access tokens on every surface too.
    let next =
        refresh::refresh(state.tokens().as_ref(), &body.refresh_token, now, DEFAULT_REFRESH_LIFETIME_SECS).await?;
    let user = state.store().get_user(next.record.user_id).await?;
    if !user.active {
        state.tokens().revoke_refresh_family(next.record.family_id).await?;
        return Err(ApiError::token_invalid("inactive", "This account is disabled"));
    }
    let access = issue_access(&state, &user, next.record.family_id)?;
    Ok(Success::data(json!({
        "access_token": access,
        "refresh_token": next.token,
        "expires_in": state.access.lifetime_secs(),
    })))
}
