//! The rate-limit headers of every answer a limit decided (seed 004's convention):
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`, and on a refusal
//! `Retry-After`. Each surface's 429 (or seed 003's code -206) carries the values of the
//! limit that fired, never those of another.

use axum::http::{HeaderMap, HeaderValue};
use locker_core::token::TokenError;
use locker_core::token::ratelimit::Decision;
use serde_json::{Value, json};

/// Sets the headers describing `decision`.
pub fn put_headers(headers: &mut HeaderMap, decision: Decision) {
    let (limit, remaining, reset) = match decision {
        Decision::Allowed { limit, remaining, reset } => (limit, remaining, reset),
        Decision::Denied { limit, reset, retry_after_secs } => {
            headers.insert("retry-after", HeaderValue::from(retry_after_secs));
            (limit, 0, reset)
        }
    };
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
}

/// The denial a [`TokenError::RateLimited`] describes; `None` for any other error.
pub fn denial_of(err: &TokenError) -> Option<Decision> {
    match *err {
        TokenError::RateLimited { retry_after_secs, limit, reset } => {
            Some(Decision::Denied { limit, reset, retry_after_secs })
        }
        _ => None,
    }
}

/// The fields describing `denial` in an error body (`retry_after_seconds`, `limit`,
/// `reset`); an answer's headers are made from them ([`denial_in`]).
pub fn describe(denial: Decision) -> Value {
    let Decision::Denied { limit, reset, retry_after_secs } = denial else { return json!({}) };
    json!({ "retry_after_seconds": retry_after_secs, "limit": limit, "reset": reset })
}

/// The denial an error body's fields describe (see [`describe`]); `None` if they do not.
pub fn denial_in(fields: &Value) -> Option<Decision> {
    Some(Decision::Denied {
        limit: u32::try_from(fields["limit"].as_u64()?).ok()?,
        reset: fields["reset"].as_i64()?,
        retry_after_secs: fields["retry_after_seconds"].as_u64()?,
    })
}

/// Whether a limit already described itself in `headers` (so an outer layer does not
/// overwrite the limit that fired with another one).
pub fn described(headers: &HeaderMap) -> bool {
    headers.contains_key("x-ratelimit-limit")
}
