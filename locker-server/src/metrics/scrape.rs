//! `GET /metrics`: the sampled gauges refreshed (controllers, heartbeat ages, the database
//! pool), then every metric in the Prometheus text format.
//!
//! Two ways to serve it, as the operator chooses (`locker serve --metrics-listen`):
//! - [`admin_route`]: on the main listener, for an admin access token (seed 000's bearer
//!   JWT; `401`/`403` in seed 000's envelope otherwise);
//! - [`open_router`]: alone on a separate listener with no authentication, for a private
//!   network the scraper shares with the server.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use locker_core::domain::Role;
use locker_core::service::LockerService;

use super::Metrics;
use crate::AppState;
use crate::http::error::ApiError;

/// The path scrapers ask for.
pub const PATH: &str = "/metrics";

/// The Prometheus text format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics` for admins only, to merge into the main router.
pub fn admin_route(state: AppState) -> Router {
    Router::new().route(PATH, get(admin_scrape)).with_state(state)
}

/// A router serving only `GET /metrics`, with no authentication: for a listener of its own
/// on a private network.
pub fn open_router(service: Arc<LockerService>) -> Router {
    Router::new().route(PATH, get(open_scrape)).with_state(service)
}

async fn admin_scrape(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let token = crate::http::guard::bearer(&headers)?
        .ok_or_else(|| ApiError::token_invalid("missing", "A bearer token is required"))?;
    let user = crate::http::guard::verify_bearer(&state, token).await?;
    if user.role != Role::Admin {
        return Err(ApiError::forbidden());
    }
    Ok(scrape(&state.service).await)
}

async fn open_scrape(State(service): State<Arc<LockerService>>) -> Response {
    scrape(&service).await
}

/// Samples the gauges and renders. A failed sample is logged; the rest is still served.
async fn scrape(service: &LockerService) -> Response {
    if let Err(e) = service.record_gauges().await {
        tracing::warn!(error = %e, "metrics gauges not sampled");
    }
    let body = Metrics::global().render();
    ([(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))], body).into_response()
}
