//! The one route table: method, path, who may call, which rate limit, what body, whether
//! `Idempotency-Key` applies, and the handler. The router ([`crate::app`]), the guard, the
//! OpenAPI document and the authorization tests are all built from [`table`], so a new
//! route cannot be added without its access level.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use serde::Serialize;

use crate::AppState;
use crate::http::guard::{Access, GuardConfig, RateClass, guard};
use crate::v1;

/// What a route's request body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// No body.
    None,
    /// A JSON object.
    Json,
    /// `multipart/form-data` with a `face_image` file (the image body limit applies).
    FaceImage,
    /// Either of the above (`face_image` or JSON `qr_token`).
    FaceOrQr,
}

/// One route.
#[derive(Clone)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Full path with `{param}` placeholders (`/api/v1/lockers/{locker_id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Which rate limit it counts against.
    pub class: RateClass,
    /// Its request body.
    pub body: BodyKind,
    /// Whether a repeated `Idempotency-Key` replays the first answer.
    pub idempotent: bool,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    handler: fn() -> MethodRouter<AppState>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({:?})", self.method, self.path, self.access)
    }
}

/// The seed-000 base path.
pub const V1: &str = "/api/v1";

macro_rules! route {
    ($method:ident $path:literal, $access:ident, $class:ident, $body:ident, $summary:literal, $handler:path) => {
        route!(@ $method $path, $access, $class, $body, false, $summary, $handler)
    };
    (idempotent $method:ident $path:literal, $access:ident, $class:ident, $body:ident, $summary:literal, $handler:path) => {
        route!(@ $method $path, $access, $class, $body, true, $summary, $handler)
    };
    (@ $method:ident $path:literal, $access:ident, $class:ident, $body:ident, $idem:expr, $summary:literal, $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            access: Access::$access,
            class: RateClass::$class,
            body: BodyKind::$body,
            idempotent: $idem,
            summary: $summary,
            handler: || on(MethodFilter::$method, $handler),
        }
    };
}

/// Every route the server answers.
pub fn table() -> Vec<Route> {
    let mut routes = vec![
        route!(GET "/health", Public, None, None, "Liveness", crate::http::health::health),
        route!(GET "/api/v1/openapi.json", Public, None, None, "This API as OpenAPI 3.1", crate::openapi::document),
        // auth
        route!(POST "/api/v1/auth/register", Public, Auth, Json, "Register a customer account", v1::auth::register),
        route!(POST "/api/v1/auth/login", Public, Auth, Json, "Log in; access and refresh tokens", v1::auth::login),
        route!(POST "/api/v1/auth/logout", Customer, Auth, Json, "Log out: ends this login on every surface (`{\"everywhere\": true}`: every login of the user)", v1::auth::logout),
        route!(POST "/api/v1/auth/refresh", Public, Auth, Json, "Rotate a refresh token", v1::auth::refresh),
        // users
        route!(GET "/api/v1/users/me", Customer, General, None, "The signed-in user", v1::users::me),
        route!(PUT "/api/v1/users/me", Customer, General, Json, "Update name and phone", v1::users::update_me),
        route!(POST "/api/v1/users/me/face-registration", Customer, General, FaceImage, "Register a face", v1::users::register_face),
        route!(DELETE "/api/v1/users/me/face-registration", Customer, General, None, "Delete the face template", v1::users::delete_face),
        route!(GET "/api/v1/users", Admin, General, None, "List users", v1::users::list),
        // lockers
        route!(GET "/api/v1/lockers", Customer, General, None, "List lockers with a summary", v1::lockers::list),
        route!(POST "/api/v1/lockers", Admin, General, Json, "Create a locker", v1::lockers::create),
        route!(GET "/api/v1/lockers/{locker_id}", Customer, General, None, "One locker and its session", v1::lockers::detail),
        route!(PUT "/api/v1/lockers/{locker_id}", Admin, General, Json, "Update a locker", v1::lockers::update),
        route!(DELETE "/api/v1/lockers/{locker_id}", Admin, General, None, "Delete a locker", v1::lockers::delete),
        route!(PATCH "/api/v1/lockers/{locker_id}/status", Admin, General, Json, "Maintenance on or off", v1::lockers::set_status),
        // sessions
        route!(GET "/api/v1/sessions/my-sessions", Customer, General, None, "My sessions", v1::sessions::my_sessions),
        route!(GET "/api/v1/sessions/active", Customer, General, None, "My live session", v1::sessions::active),
        // QR tokens
        route!(POST "/api/v1/sessions/check-in/face", OptionalUser, General, FaceImage, "Check in by face", v1::kiosk::check_in_face),
        route!(POST "/api/v1/sessions/check-in/qr", Public, General, Json, "Check in by QR token", v1::kiosk::check_in_qr),
        route!(POST "/api/v1/sessions/check-out/face", Public, General, FaceImage, "Check out by face alone", v1::kiosk::check_out_face),
        route!(POST "/api/v1/sessions/{session_id}/update", OptionalUser, General, FaceOrQr, "Reopen a session", v1::kiosk::update),
        route!(POST "/api/v1/sessions/{session_id}/check-out", OptionalUser, General, FaceOrQr, "End a session", v1::kiosk::check_out),
        route!(idempotent POST "/api/v1/lockers/{locker_id}/force-open", Admin, Hardware, Json, "Force a locker open", v1::kiosk::force_open),
        route!(idempotent POST "/api/v1/hardware/uart/send", Admin, Hardware, Json, "Send a command to a controller", v1::kiosk::uart_send),
        route!(POST "/api/v1/hardware/sensor/status", Controller, Hardware, Json, "Door sensor report", v1::kiosk::sensor_status),
        route!(POST "/api/v1/hardware/error", Controller, Hardware, Json, "Hardware fault report", v1::kiosk::hardware_error),
        route!(GET "/ws", Public, None, None, "Live events (send the access token first)", v1::kiosk::ws),
        route!(POST "/api/v1/qr-tokens/generate", Customer, General, Json, "Issue a dynamic QR token", v1::qr::generate),
        route!(POST "/api/v1/qr-tokens/verify", Public, General, Json, "Verify a scanned QR token", v1::qr::verify),
        // logs, alerts, statistics
        route!(GET "/api/v1/transaction-logs", Admin, General, None, "The transaction log", v1::logs::list),
        route!(GET "/api/v1/security-alerts", Admin, General, None, "Security alerts with a summary", v1::alerts::list),
        route!(PATCH "/api/v1/security-alerts/{alert_id}/resolve", Admin, General, Json, "Resolve an alert", v1::alerts::resolve),
        route!(GET "/api/v1/statistics/overview", Admin, General, None, "Overview", v1::stats::overview),
        route!(GET "/api/v1/statistics/usage/daily", Admin, General, None, "Daily usage", v1::stats::daily),
        route!(GET "/api/v1/statistics/lockers", Admin, General, None, "Per-locker usage", v1::stats::lockers),
    ];
    routes.extend(crate::service_routes());
    routes
}

/// Builds the router from [`table`].
pub fn router(state: AppState) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for r in table() {
        let mut mr = (r.handler)();
        if r.idempotent {
            mr = mr.route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::http::idempotency::idempotency,
            ));
        }
        let cfg = GuardConfig { state: state.clone(), access: r.access, class: r.class };
        mr = mr.route_layer(axum::middleware::from_fn_with_state(cfg, guard));
        let limit = match r.body {
            BodyKind::FaceImage | BodyKind::FaceOrQr => state.body_limits.image,
            BodyKind::None | BodyKind::Json => state.body_limits.json,
        };
        mr = mr.layer(DefaultBodyLimit::max(limit));
        let merged = match by_path.remove(r.path) {
            Some(existing) => existing.merge(mr),
            None => mr,
        };
        by_path.insert(r.path, merged);
    }
    let mut router = Router::new();
    for (path, mr) in by_path {
        router = router.route(path, mr);
    }
    router.with_state(state)
}
