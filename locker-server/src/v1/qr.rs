//! `/qr-tokens`: the app asks for a dynamic QR; the kiosk verifies a scanned one.

use axum::extract::State;
use locker_core::domain::Id;
use locker_core::token::qr::{QrAction, render};
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::ts;
use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::guard::AuthUser;

/// `POST /qr-tokens/generate` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    action: QrAction,
    #[serde(default)]
    session_id: Option<Id>,
}

fn session_not_found(id: Id) -> ApiError {
    locker_core::Error::not_found("session", id).into()
}

/// Issues a QR token for the signed-in user. `check_out` and `update` need the user's own
/// live `session_id`.
pub async fn generate(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<Generate>,
) -> Result<Success<Value>, ApiError> {
    let rental_id = match (body.action, body.session_id) {
        (QrAction::CheckOut | QrAction::Update, None) => {
            return Err(ApiError::validation("session_id", "required for check_out and update"));
        }
        (_, Some(id)) => {
            let r = match state.store().get_rental(id).await {
                Ok(r) => r,
                Err(locker_core::Error::NotFound { .. }) => return Err(session_not_found(id)),
                Err(e) => return Err(e.into()),
            };
            if r.user_id != Some(user.id) || !r.state.is_live() {
                return Err(session_not_found(id));
            }
            Some(id)
        }
        (QrAction::CheckIn, None) => None,
    };
    let now = state.now();
    let issued = state.qr().issue(body.action, user.id, rental_id, now).map_err(locker_core::Error::from)?;
    let image = render::data_url(&issued.token)?;
    let expires_in = state.qr().lifetime_secs();
    Ok(Success::data(json!({
        "id": issued.claims.token_id.to_hex(),
        "token": issued.token,
        "qr_code_base64": image,
        "action": issued.claims.action,
        "session_id": issued.claims.rental_id,
        "expires_at": ts(issued.claims.expires_at),
        "expires_in_seconds": expires_in,
    })))
}

/// `POST /qr-tokens/verify` body.
#[derive(Debug, Deserialize)]
pub struct Verify {
    token: String,
}

/// Checks a scanned token (signature, key, expiry) without using it up.
pub async fn verify(State(state): State<AppState>, ApiJson(body): ApiJson<Verify>) -> Result<Success<Value>, ApiError> {
    let claims = state.qr().verify(body.token.trim(), state.now()).map_err(locker_core::Error::from)?;
    Ok(Success::data(json!({
        "valid": true,
        "user_id": claims.user_id,
        "action": claims.action,
        "session_id": claims.rental_id,
        "expires_at": ts(claims.expires_at),
    })))
}
