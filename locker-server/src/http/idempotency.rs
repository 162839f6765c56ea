//! `Idempotency-Key` for unlock and force-open: the first request with a key runs; a retry
//! with the same key and the same payload gets the stored answer (the relay is not fired
//! again); the same key while the first is still running is `409 IDEMPOTENCY_IN_FLIGHT`;
//! the same key with a different payload is `422 IDEMPOTENCY_KEY_REUSED`. Keys are scoped to
//! the caller and the path and kept 24 hours in the database
//! ([`locker_core::ports::IdempotencyStore`]), so a retry after a restart, or on another
//! server process, replays the answer too. A claim whose process died before answering
//! stays in flight (`409`) until it expires: whether its relay fired is unknown, so it is
//! never fired again under that key; check the door and send a new key to force again.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use locker_core::ports::{IdempotencyClaim, IdempotencyStore, StoredResponse};
use std::sync::Arc;

use super::error::ApiError;
use super::guard::Caller;
use crate::AppState;

/// How long a key is remembered.
pub const KEEP: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Releases a claim if the request is dropped before its answer was recorded (the client
/// went away), so a retry with the key runs instead of waiting out the 24 hours.
struct Release {
    store: Arc<dyn IdempotencyStore>,
    key: String,
    armed: bool,
}

impl Drop for Release {
    fn drop(&mut self) {
        if self.armed {
            let (store, key) = (self.store.clone(), std::mem::take(&mut self.key));
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { store.release_idempotency_key(&key).await });
            }
        }
    }
}

/// Middleware for the routes the table marks idempotent (runs after the guard, so the
/// caller is known).
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(raw) = req.headers().get("idempotency-key").cloned() else {
        return next.run(req).await;
    };
    let key = match raw.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= MAX_KEY_LEN => k.to_owned(),
        _ => {
            return ApiError::validation("Idempotency-Key", format!("must be 1 to {MAX_KEY_LEN} visible characters"))
                .into_response();
        }
    };
    let caller = req.extensions().get::<Caller>().map(Caller::scope).unwrap_or_default();
    let scoped = format!("{caller}|{}|{key}", req.uri().path());
    let scoped = hex::encode(locker_core::token::sha256(scoped.as_bytes()));
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.body_limits.image).await {
        Ok(b) => b,
        Err(_) => return ApiError::too_large("request body too large").into_response(),
    };
    let fingerprint = locker_core::token::sha256(&[parts.method.as_str().as_bytes(), b" ", &bytes].concat());
    let store = state.idempotency();
    let now = state.now();
    let claim = match store.claim_idempotency_key(&scoped, &fingerprint, now, now - KEEP).await {
        Ok(claim) => claim,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match claim {
        IdempotencyClaim::Done(stored) => replay(stored),
        IdempotencyClaim::InFlight => ApiError::new(
            StatusCode::CONFLICT,
            "IDEMPOTENCY_IN_FLIGHT",
            "A request with this Idempotency-Key is still being processed",
        )
        .into_response(),
        IdempotencyClaim::Mismatch => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was used with a different request body",
        )
        .into_response(),
        IdempotencyClaim::Claimed => {
            let mut release = Release { store: store.clone(), key: scoped.clone(), armed: true };
            let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            let (parts, body) = res.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            release.armed = false;
            // Bad input did nothing: the key may be used again with a corrected body. Any
            // other answer is kept; if keeping it fails, the claim stays in flight (the
            // relay may have fired) and the error is logged.
            let kept = if parts.status.is_client_error() {
                store.release_idempotency_key(&scoped).await
            } else {
                let content_type = parts.headers.get(axum::http::header::CONTENT_TYPE);
                let stored = StoredResponse {
                    status: parts.status.as_u16(),
                    content_type: content_type.and_then(|v| v.to_str().ok()).map(str::to_owned),
                    body: body.to_vec(),
                };
                store.finish_idempotency_key(&scoped, &stored).await
            };
            if let Err(e) = kept {
                tracing::error!(error = ?e, "recording an idempotent answer");
            }
            Response::from_parts(parts, Body::from(body))
        }
    }
}

/// The stored answer, marked `Idempotent-Replayed: true`.
fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut res = (status, stored.body).into_response();
    if let Some(ct) = stored.content_type.and_then(|ct| HeaderValue::from_str(&ct).ok()) {
        res.headers_mut().insert(axum::http::header::CONTENT_TYPE, ct);
    }
    res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}
