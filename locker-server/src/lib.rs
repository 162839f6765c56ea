//! # locker-server
//!
//! The reference server: seed 000's API contract (`/api/v1`, the `{success, message, data}`
//! envelope) served on one `locker-core`. Build an [`AppState`], then [`app`] gives the
//! router; serve it with [`serve()`], which bounds every wait and caps connections
//! ([`ConnectionLimits`]), turns handler panics into `500` answers, and gives handlers the
//! client's address for the rate limits.
//!
//! ## Overview
//! - [`catalog`]: the one route catalogue row ([`catalog::Route`]: surface, method, path,
//!   access, rate class, body fields, answer) every surface lists its routes in; the routers,
//!   the OpenAPI document ([`openapi`], over [`operations`]) and the tests are built from it.
//! - [`http`]: envelopes, the error mapping table, extractors, the guard (auth and rate
//!   limits), idempotency keys.
//! - [`v1`]: seed 000's surface, one module per resource, its routes in [`v1::routes`].
//! - [`seeds`]: the surfaces of seeds 001, 002 and 003.
//! - [`credentials`]: sign-in protection shared by every surface (address bucket, account
//!   lockout, password hashing off the async workers).
//! - [`limits`]: the in-memory rate limits of the route classes.
//! - [`state`]: [`AppState`] and its parts.
//! - [`screens`]: the web screens (the operator's console at `/`, the kiosk at `/kiosk`), embedded in the binary.
//! - [`mod@serve`]: the serve loop (timeouts, connection caps, body guard, panic catcher).
//! - [`metrics`]: Prometheus metrics (HTTP by route template, the core's figures) at `/metrics`.
#![deny(missing_docs)]
// The OpenAPI component schemas are written as `serde_json::json!` literals, deeper than the
// default limit lets the macro expand.
#![recursion_limit = "512"]

pub mod catalog;
pub mod credentials;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod screens;
pub mod seeds;
pub mod serve;
pub mod state;
pub mod v1;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use serve::{ConnectionLimits, serve};
pub use state::{AppState, BodyLimits, LimitConfig};

/// Largest request body accepted on JSON routes.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
/// Largest request body accepted on routes taking a face image.
pub const IMAGE_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// The server's own routes, served beside `/api/v1`: liveness and the OpenAPI document.
fn server_routes() -> Vec<catalog::Route<AppState>> {
    use catalog::route;
    use http::guard::RateClass;
    vec![
        route!(V1 GET "/health", Public, "Liveness", http::health::health)
            .class(RateClass::None)
            .answers(200, "Health"),
        route!(V1 GET "/api/v1/openapi.json", Public, "This API as OpenAPI 3.1", openapi_document)
            .class(RateClass::None)
            .answers(200, "OpenApiDocument"),
    ]
}

/// Every route of every surface, as the document lists them: the server's own, seed 000's,
/// then seeds 001, 002 and 003.
pub fn operations() -> Vec<catalog::Operation> {
    let server = server_routes().into_iter().chain(v1::routes::routes()).map(|r| r.op);
    let cabinets = seeds::cabinets::routes().into_iter().map(|r| r.op);
    let barcodes = seeds::barcodes::routes().into_iter().map(|r| r.op);
    let otp = seeds::otp_login::routes().into_iter().map(|r| r.op);
    server.chain(cabinets).chain(barcodes).chain(otp).collect()
}

/// `GET /api/v1/openapi.json`: the document of [`operations`].
async fn openapi_document() -> axum::Json<serde_json::Value> {
    axum::Json(openapi::build(&operations()))
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
    let routes = server_routes().into_iter().chain(v1::routes::routes()).collect();
    v1::routes::router(state, routes)
        .merge(screens::kiosk::router())
        .merge(screens::console::router())
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
