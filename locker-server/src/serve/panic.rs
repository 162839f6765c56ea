//! The panic catcher: a handler that panics answers `500` in its path's seed envelope,
//! with the request id in the `x-request-id` header and in the log line that records the
//! panic, instead of dropping the connection.
//!
//! It runs outside every other layer, so it first makes sure the request has an id (the
//! router's request-id layer keeps one that is already there).

use std::any::Any;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use futures::FutureExt as _;

use crate::REQUEST_ID;
use crate::http::surface::Surface;

/// The text of a panic payload (`panic!("…")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// The middleware.
pub async fn catch_panics(mut req: Request, next: Next) -> Response {
    let surface = Surface::of(req.uri().path());
    let id = match req.headers().get(REQUEST_ID) {
        Some(id) => id.clone(),
        None => {
            let fresh = HeaderValue::try_from(uuid::Uuid::new_v4().to_string()).expect("a UUID is a header value");
            req.headers_mut().insert(REQUEST_ID, fresh.clone());
            fresh
        }
    };
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    match std::panic::AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(res) => res,
        Err(payload) => {
            tracing::error!(
                request_id = %id.to_str().unwrap_or("-"),
                %method,
                %path,
                panic = panic_message(payload.as_ref()),
                "a handler panicked; answered 500"
            );
            let mut res = surface.error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                "Internal error; it has been logged",
            );
            res.headers_mut().insert(REQUEST_ID, id);
            res
        }
    }
}
