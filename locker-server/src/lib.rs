//! # locker-server
//!
//! The reference server: seed 000's API contract (`/api/v1`, the `{success, message, data}`
//! envelope) served on one `locker-core`. Build an [`AppState`], then [`app`] gives the
//! router; serve it with `axum::serve` and `into_make_service_with_connect_info` so rate
//! limits see the client's address.
//!
//! ## Overview
//! - [`routes`]: the one route table (method, path, access, rate class, body) the router,
//!   the OpenAPI document and the tests are built from.
//! - [`http`]: envelopes, the error mapping table, extractors, the guard (auth and rate
//!   limits), idempotency keys.
//! - [`v1`]: the handlers, one module per resource.
//! - [`credentials`]: sign-in protection shared by every surface (address bucket, account
//!   lockout, password hashing off the async workers).
//! - [`state`]: [`AppState`] and its parts.
#![deny(missing_docs)]

pub mod credentials;
pub mod http;
pub mod openapi;
pub mod routes;
pub mod seeds;
pub mod state;
pub mod v1;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use state::{AppState, BodyLimits, LimitConfig};

/// Largest request body accepted on JSON routes.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
/// Largest request body accepted on routes taking a face image.
pub const IMAGE_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// The routes that need the service (sessions, force-open, hardware, `/ws`).
fn service_routes() -> Vec<routes::Route> {
    Vec::new()
}

/// The request-id header (`x-request-id`): set when missing, echoed in the answer, and
/// recorded on the request's log span.
pub const REQUEST_ID: &str = "x-request-id";

/// The whole router over `state`, with request ids and request logs.
///
/// Logs carry method, path (never the query string or headers, which may hold tokens),
/// status, latency and the request id.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    routes::router(state)
        .fallback(http::error::not_found_route)
        .method_not_allowed_fallback(http::error::method_not_allowed)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(|res: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                    tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_millis() as u64, "answered");
                }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
