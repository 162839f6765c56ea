//! `Idempotency-Key` for unlock and force-open: the first request with a key runs; a retry
//! with the same key and the same payload gets the stored answer (the relay is not fired
//! again); the same key while the first is still running is `409 IDEMPOTENCY_IN_FLIGHT`;
//! the same key with a different payload is `422 IDEMPOTENCY_KEY_REUSED`. Keys are scoped to
//! the caller and kept 24 hours, in this process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use locker_core::domain::Timestamp;

use super::error::ApiError;
use super::guard::Caller;
use crate::AppState;

/// How long a key is remembered.
pub const KEEP: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

#[derive(Debug, Clone)]
enum Outcome {
    InFlight,
    Done { status: StatusCode, content_type: Option<HeaderValue>, body: Bytes },
}

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: [u8; 32],
    created: Timestamp,
    outcome: Outcome,
}

/// The remembered keys.
#[derive(Debug, Default)]
pub struct IdempotencyCache(Mutex<HashMap<String, Entry>>);

/// What to do with a request carrying a key.
#[derive(Debug)]
pub enum Begin {
    /// Run it, then [`IdempotencyCache::finish`] (or [`IdempotencyCache::abandon`]).
    Run,
    /// Answer with the stored response.
    Replay(StatusCode, Option<HeaderValue>, Bytes),
    /// The first request with this key is still running.
    InFlight,
    /// This key was used with a different payload.
    Mismatch,
}

impl IdempotencyCache {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims `key` for a request with `fingerprint` at `now`.
    pub fn begin(&self, key: &str, fingerprint: [u8; 32], now: Timestamp) -> Begin {
        let mut map = self.map();
        map.retain(|_, e| now - e.created < KEEP);
        match map.get(key) {
            Some(e) if !locker_core::token::ct_eq(&e.fingerprint, &fingerprint) => Begin::Mismatch,
            Some(Entry { outcome: Outcome::InFlight, .. }) => Begin::InFlight,
            Some(Entry { outcome: Outcome::Done { status, content_type, body }, .. }) => {
                Begin::Replay(*status, content_type.clone(), body.clone())
            }
            None => {
                map.insert(key.to_owned(), Entry { fingerprint, created: now, outcome: Outcome::InFlight });
                Begin::Run
            }
        }
    }

    /// Stores the answer of the request that claimed `key`.
    pub fn finish(&self, key: &str, status: StatusCode, content_type: Option<HeaderValue>, body: Bytes) {
        if let Some(e) = self.map().get_mut(key) {
            e.outcome = Outcome::Done { status, content_type, body };
        }
    }

    /// Forgets `key` (the request failed before doing anything, e.g. bad input).
    pub fn abandon(&self, key: &str) {
        self.map().remove(key);
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
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.body_limits.image).await {
        Ok(b) => b,
        Err(_) => return ApiError::too_large("request body too large").into_response(),
    };
    let fingerprint = locker_core::token::sha256(&[parts.method.as_str().as_bytes(), b" ", &bytes].concat());
    let cache: Arc<IdempotencyCache> = state.idempotency.clone();
    match cache.begin(&scoped, fingerprint, state.now()) {
        Begin::Replay(status, ct, body) => {
            let mut res = (status, body).into_response();
            if let Some(ct) = ct {
                res.headers_mut().insert(axum::http::header::CONTENT_TYPE, ct);
            }
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            res
        }
        Begin::InFlight => ApiError::new(
            StatusCode::CONFLICT,
            "IDEMPOTENCY_IN_FLIGHT",
            "A request with this Idempotency-Key is still being processed",
        )
        .into_response(),
        Begin::Mismatch => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was used with a different request body",
        )
        .into_response(),
        Begin::Run => {
            // If the handler's future is dropped (client gone), the key is released.
            struct Release(Arc<IdempotencyCache>, String, bool);
            impl Drop for Release {
                fn drop(&mut self) {
                    if !self.2 {
                        self.0.abandon(&self.1);
                    }
                }
            }
            let mut release = Release(cache.clone(), scoped.clone(), false);
            let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            let (parts, body) = res.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            if parts.status.is_client_error() {
                // Bad input did nothing: the key may be used again with a corrected body.
                cache.abandon(&scoped);
            } else {
                cache.finish(
                    &scoped,
                    parts.status,
                    parts.headers.get(axum::http::header::CONTENT_TYPE).cloned(),
                    body.clone(),
                );
            }
            release.2 = true;
            Response::from_parts(parts, Body::from(body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_payload_replays_other_payload_is_refused() {
        let c = IdempotencyCache::default();
        let now = chrono::Utc::now();
        assert!(matches!(c.begin("k", [1; 32], now), Begin::Run));
        assert!(matches!(c.begin("k", [1; 32], now), Begin::InFlight));
        assert!(matches!(c.begin("k", [2; 32], now), Begin::Mismatch));
        c.finish("k", StatusCode::OK, None, Bytes::from_static(b"{}"));
        assert!(matches!(c.begin("k", [1; 32], now), Begin::Replay(StatusCode::OK, _, _)));
        assert!(matches!(c.begin("k", [1; 32], now + KEEP), Begin::Run), "forgotten after 24 h");
    }
}
