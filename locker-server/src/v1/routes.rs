//! Seed 000's routes (`/api/v1`, with `/ws`): method, path, who may call, which rate limit,
//! what body, whether `Idempotency-Key` applies, and the handler, as [`Route`] rows of the one
//! catalogue ([`crate::catalog`]). The router ([`router`]) wraps each in the guard with its
//! access and rate class, so a new route cannot be added without its access level.

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::AppState;
use crate::catalog::{BodyKind, Route, merge_by_path, route};
use crate::http::guard::{GuardConfig, RateClass, guard};
use crate::v1;

/// The seed-000 base path.
pub const V1: &str = "/api/v1";

/// Every `/api/v1` route (and `/ws`).
pub fn routes() -> Vec<Route<AppState>> {
    use BodyKind::{FaceImage, FaceOrQr};
    use RateClass::{Auth, Hardware};
    vec![
        // auth
        route!(V1 POST "/api/v1/auth/register", Public, "Register a customer account", v1::auth::register).class(Auth).body(&[]),
        route!(V1 POST "/api/v1/auth/login", Public, "Log in; access and refresh tokens", v1::auth::login).class(Auth).body(&[]),
        route!(V1 POST "/api/v1/auth/logout", Customer, "Log out: ends this login on every surface (`{\"everywhere\": true}`: every login of the user)", v1::auth::logout).class(Auth).body(&[]),
        route!(V1 POST "/api/v1/auth/refresh", Public, "Rotate a refresh token", v1::auth::refresh).class(Auth).body(&[]),
        // users
        route!(V1 GET "/api/v1/users/me", Customer, "The signed-in user", v1::users::me),
        route!(V1 PUT "/api/v1/users/me", Customer, "Update name and phone", v1::users::update_me).body(&[]),
        route!(V1 POST "/api/v1/users/me/face-registration", Customer, "Register a face", v1::users::register_face).kind(FaceImage),
        route!(V1 DELETE "/api/v1/users/me/face-registration", Customer, "Delete the face template", v1::users::delete_face),
        route!(V1 GET "/api/v1/users", Admin, "List users", v1::users::list),
        // lockers
        route!(V1 GET "/api/v1/lockers", Customer, "List lockers with a summary", v1::lockers::list),
        route!(V1 POST "/api/v1/lockers", Admin, "Create a locker", v1::lockers::create).body(&[]),
        route!(V1 GET "/api/v1/lockers/{locker_id}", Customer, "One locker and its session", v1::lockers::detail),
        route!(V1 PUT "/api/v1/lockers/{locker_id}", Admin, "Update a locker", v1::lockers::update).body(&[]),
        route!(V1 DELETE "/api/v1/lockers/{locker_id}", Admin, "Delete a locker", v1::lockers::delete),
        route!(V1 PATCH "/api/v1/lockers/{locker_id}/status", Admin, "Maintenance on or off", v1::lockers::set_status).body(&[]),
        // sessions
        route!(V1 GET "/api/v1/sessions/my-sessions", Customer, "My sessions", v1::sessions::my_sessions),
        route!(V1 GET "/api/v1/sessions/active", Customer, "My live session", v1::sessions::active),
        // QR tokens
        route!(V1 POST "/api/v1/sessions/check-in/face", OptionalUser, "Check in by face", v1::kiosk::check_in_face).kind(FaceImage),
        route!(V1 POST "/api/v1/sessions/check-in/qr", Public, "Check in by QR token", v1::kiosk::check_in_qr).body(&[]),
        route!(V1 POST "/api/v1/sessions/check-out/face", Public, "Check out by face alone", v1::kiosk::check_out_face).kind(FaceImage),
        route!(V1 POST "/api/v1/sessions/{session_id}/update", OptionalUser, "Reopen a session", v1::kiosk::update).kind(FaceOrQr),
        route!(V1 POST "/api/v1/sessions/{session_id}/check-out", OptionalUser, "End a session", v1::kiosk::check_out).kind(FaceOrQr),
        route!(V1 POST "/api/v1/lockers/{locker_id}/force-open", Admin, "Force a locker open", v1::kiosk::force_open).class(Hardware).body(&[]).idempotent(),
        route!(V1 POST "/api/v1/hardware/uart/send", Admin, "Send a command to a controller", v1::kiosk::uart_send).class(Hardware).body(&[]).idempotent(),
        route!(V1 POST "/api/v1/hardware/sensor/status", Controller, "Door sensor report", v1::kiosk::sensor_status).class(Hardware).body(&[]),
        route!(V1 POST "/api/v1/hardware/error", Controller, "Hardware fault report", v1::kiosk::hardware_error).class(Hardware).body(&[]),
        route!(V1 GET "/ws", Public, "Live events (send the access token first)", v1::kiosk::ws).class(RateClass::None),
        route!(V1 POST "/api/v1/qr-tokens/generate", Customer, "Issue a dynamic QR token", v1::qr::generate).body(&[]),
        route!(V1 POST "/api/v1/qr-tokens/verify", Public, "Verify a scanned QR token", v1::qr::verify).body(&[]),
        // logs, alerts, statistics
        route!(V1 GET "/api/v1/transaction-logs", Admin, "The transaction log", v1::logs::list),
        route!(V1 GET "/api/v1/security-alerts", Admin, "Security alerts with a summary", v1::alerts::list),
        route!(V1 PATCH "/api/v1/security-alerts/{alert_id}/resolve", Admin, "Resolve an alert", v1::alerts::resolve).body(&[]),
        route!(V1 GET "/api/v1/statistics/overview", Admin, "Overview", v1::stats::overview),
        route!(V1 GET "/api/v1/statistics/usage/daily", Admin, "Daily usage", v1::stats::daily),
        route!(V1 GET "/api/v1/statistics/lockers", Admin, "Per-locker usage", v1::stats::lockers),
    ]
}

/// Builds the router of `routes` (seed 000's and the server's own): each wrapped in the
/// guard with its access and rate class, the idempotency layer where it applies, and the body
/// limit of its body kind.
pub fn router(state: AppState, routes: Vec<Route<AppState>>) -> Router {
    let wrap = |op: &crate::catalog::Operation, mut mr: axum::routing::MethodRouter<AppState>| {
        if op.idempotent {
            mr = mr.route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::http::idempotency::idempotency,
            ));
        }
        let cfg = GuardConfig { state: state.clone(), access: op.access, class: op.class };
        mr = mr.route_layer(axum::middleware::from_fn_with_state(cfg, guard));
        let limit = match op.kind {
            BodyKind::FaceImage | BodyKind::FaceOrQr => state.body_limits.image,
            BodyKind::None | BodyKind::Json => state.body_limits.json,
        };
        mr.layer(DefaultBodyLimit::max(limit))
    };
    merge_by_path(routes, wrap, |methods| methods).with_state(state)
}
