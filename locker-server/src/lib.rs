//! # locker-server
//!
//! The reference server: each seed's API contract served at its own base path with its own
//! envelope, all on one `locker-core`. Build the router with [`app`] and serve it with axum;
//! tests drive the same router with `tower::ServiceExt::oneshot`.
#![deny(missing_docs)]

pub mod http;
pub mod seeds;

use axum::Router;

/// Largest request body accepted on JSON routes (image uploads have their own limit).
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// The whole router.
pub fn app() -> Router {
    Router::new()
        .route("/health", axum::routing::get(http::health::health))
        .fallback(http::error::not_found_route)
        .layer(axum::extract::DefaultBodyLimit::max(JSON_BODY_LIMIT))
}
