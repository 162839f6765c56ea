//! Seed 000's routes (`/api/v1`, with `/ws`): method, path, who may call, which rate limit,
//! what body, whether `Idempotency-Key` applies, and the handler, as [`Route`] rows of the one
//! catalogue ([`crate::catalog`]). The router ([`router`]) wraps each in the guard with its
//! access and rate class, so a new route cannot be added without its access level.

use axum::Router;
use axum::extract::DefaultBodyLimit;

use locker_core::domain::{AlertKind, AuthMethod, DoorState, LockerSize, LockerStatus, Role, Severity, TxAction};
use locker_core::token::qr::QrAction;

use crate::AppState;
use crate::catalog::{BodyKind, Field, FieldType, Route, gated, merge_by_path, opt, req, route};
use crate::http::error::ApiError;
use crate::http::guard::{GuardConfig, RateClass, guard};
use crate::v1::{self, views};

/// The seed-000 base path.
pub const V1: &str = "/api/v1";

/// A `page` query parameter (1-based).
const PAGE: Field = opt("page", FieldType::Integer).range(1, u32::MAX as i64);
/// A `limit` query parameter.
const LIMIT: Field = opt("limit", FieldType::Integer).range(1, views::MAX_LIMIT as i64);
/// A locker or controller pin (relay or sensor channel).
const PIN: FieldType = FieldType::Integer;
/// `0` to `u16::MAX`.
const PIN_RANGE: (i64, i64) = (0, u16::MAX as i64);

/// A display name: 1 to 254 characters once trimmed (`auth::check_name`).
const NAME: &str = r"^\s*\S([\s\S]{0,252}\S)?\s*$";
/// A phone number: 6 to 20 digits, an optional leading `+`, spaces ignored; blank means none
/// (`auth::check_phone`).
const PHONE: &str = r"^\s*(\+\s*)?([0-9]\s*){6,20}$|^\s*$";
/// An e-mail address as `auth::check_email` takes it: something, `@`, a domain with a dot,
/// no inner space.
const EMAIL: &str = r"^\s*[^@\s]+@\S*\.\S*\s*$";
/// A locker code: 1 to 32 letters, digits, `-` or `_` once trimmed (`NewLocker::validate`).
const LOCKER_CODE: &str = r"^\s*[A-Za-z0-9_-]{1,32}\s*$";
/// A location: 1 to 200 characters once trimmed.
const LOCATION: &str = r"^\s*\S([\s\S]{0,198}\S)?\s*$";
/// A controller name (`esp32_id`): 1 to 64 characters once trimmed (`NewController::validate`).
const BOARD_NAME: &str = r"^\s*\S([\s\S]{0,62}\S)?\s*$";
/// The name of a board registered by `POST /controllers`: 1 to 64 letters, digits, `_`,
/// `-`, `.` or `:` once trimmed (within the core's 64-byte limit).
const NEW_BOARD_NAME: &str = r"^\s*[A-Za-z0-9_.:-]{1,64}\s*$";
/// Text that is not blank.
const NOT_BLANK: &str = r"\S";

/// The answer of an accepted WebSocket upgrade (no body).
const SWITCHING: &str = "";

/// Every `/api/v1` route (and `/ws`).
pub fn routes() -> Vec<Route<AppState>> {
    use BodyKind::{FaceImage, FaceOrQr};
    use FieldType::{Boolean, DateOrTime, Enum, Integer, String, Uuid};
    use RateClass::{Auth, Hardware};
    let pin = |name| req(name, PIN).range(PIN_RANGE.0, PIN_RANGE.1);
    vec![
        // auth
        route!(V1 POST "/api/v1/auth/register", Public, "Register a customer account", v1::auth::register).class(Auth).body(&[
            req("email", String).range(3, 254).pattern(EMAIL),
            req("password", String).range(v1::auth::MIN_PASSWORD_LEN as i64, 1024),
            req("full_name", String).pattern(NAME),
            opt("phone", String).nullable().pattern(PHONE),
        ]).answers(201, "V1Registered"),
        route!(V1 POST "/api/v1/auth/login", Public, "Log in; access and refresh tokens", v1::auth::login).class(Auth)
            .body(&[req("email", String).pattern(NOT_BLANK), req("password", String)]).answers(200, "V1LoggedIn"),
        route!(V1 POST "/api/v1/auth/logout", Customer, "Log out: ends this login on every surface (`{\"everywhere\": true}`: every login of the user)", v1::auth::logout).class(Auth)
            .body(&[opt("refresh_token", String).nullable(), opt("everywhere", Boolean)]).optional_body().answers(200, "V1Message"),
        route!(V1 POST "/api/v1/auth/refresh", Public, "Rotate a refresh token", v1::auth::refresh).class(Auth)
            .body(&[req("refresh_token", String)]).answers(200, "V1Refreshed"),
        // users
        route!(V1 GET "/api/v1/users/me", Customer, "The signed-in user", v1::users::me).answers(200, "V1Me"),
        route!(V1 PUT "/api/v1/users/me", Customer, "Update name and phone", v1::users::update_me)
            .body(&[opt("full_name", String).nullable().pattern(NAME), opt("phone", String).nullable().pattern(PHONE)]).closed().answers(200, "V1MeUpdated"),
        route!(V1 POST "/api/v1/users/me/face-registration", Customer, "Register a face", v1::users::register_face).kind(FaceImage).answers(200, "V1FaceRegistered"),
        route!(V1 DELETE "/api/v1/users/me/face-registration", Customer, "Delete the face template", v1::users::delete_face).answers(200, "V1FaceDeleted"),
        route!(V1 GET "/api/v1/users", Admin, "List users", v1::users::list)
            .query(&[opt("role", Enum(Role::NAMES)), opt("is_active", Boolean), PAGE, LIMIT]).answers(200, "V1UserList"),
        // lockers
        route!(V1 GET "/api/v1/lockers", Customer, "List lockers with a summary", v1::lockers::list)
            .query(&[opt("status", Enum(LockerStatus::NAMES)), opt("size", Enum(LockerSize::NAMES)), opt("location", String)]).answers(200, "V1LockerList"),
        route!(V1 POST "/api/v1/lockers", Admin, "Create a locker", v1::lockers::create).body(&[
            req("locker_code", String).pattern(LOCKER_CODE),
            req("location", String).pattern(LOCATION),
            req("size", Enum(LockerSize::NAMES)),
            opt("esp32_id", String).nullable().pattern(BOARD_NAME),
            pin("relay_pin"),
            pin("sensor_pin"),
            opt("price_per_hour", Integer).nullable().range(0, i64::MAX),
        ]).closed().answers(201, "V1Locker"),
        route!(V1 GET "/api/v1/lockers/{locker_id}", Customer, "One locker and its session", v1::lockers::detail).answers(200, "V1LockerDetail"),
        route!(V1 PUT "/api/v1/lockers/{locker_id}", Admin, "Update a locker", v1::lockers::update).body(&[
            opt("locker_code", String).nullable().pattern(LOCKER_CODE),
            opt("location", String).nullable().pattern(LOCATION),
            opt("size", Enum(LockerSize::NAMES)).nullable(),
            opt("esp32_id", String).nullable().pattern(BOARD_NAME),
            opt("relay_pin", PIN).nullable().range(PIN_RANGE.0, PIN_RANGE.1),
            opt("sensor_pin", PIN).nullable().range(PIN_RANGE.0, PIN_RANGE.1),
            opt("price_per_hour", Integer).nullable().range(0, i64::MAX),
        ]).closed().answers(200, "V1LockerUpdated"),
        route!(V1 DELETE "/api/v1/lockers/{locker_id}", Admin, "Delete a locker", v1::lockers::delete).answers(200, "V1Message"),
        route!(V1 PATCH "/api/v1/lockers/{locker_id}/status", Admin, "Maintenance on or off", v1::lockers::set_status).body(&[
            req("status", Enum(&["available", "maintenance"])),
            opt("reason", String).nullable().pattern(r"^\s*(\S([\s\S]{0,998}\S)?)?\s*$"),
        ]).closed().answers(200, "V1LockerStatus"),
        // controllers (boards): a key is shown once, in the answer that makes it
        route!(V1 GET "/api/v1/controllers", Admin, "List controllers with online state, heartbeat and battery", v1::controllers::list)
            .query(&[PAGE, LIMIT]).answers(200, "V1ControllerList"),
        route!(V1 POST "/api/v1/controllers", Admin, "Register a controller; its API key is returned once", v1::controllers::register).body(&[
            req("esp32_id", String).pattern(NEW_BOARD_NAME),
            opt("station", String).nullable().pattern(r"^\s*[\s\S]{0,64}\s*$"),
        ]).closed().answers(201, "V1ControllerKey"),
        route!(V1 POST "/api/v1/controllers/{controller_id}/key", Admin, "Issue or rotate a controller's API key (returned once)", v1::controllers::issue_key)
            .answers(200, "V1ControllerKey"),
        // sessions
        route!(V1 GET "/api/v1/sessions/my-sessions", Customer, "My sessions", v1::sessions::my_sessions)
            .query(&[opt("status", Enum(v1::sessions::SessionStatus::NAMES)), PAGE, LIMIT]).answers(200, "V1SessionList"),
        route!(V1 GET "/api/v1/sessions/active", Customer, "My live session", v1::sessions::active).answers(200, "V1ActiveSession"),
        // kiosk
        route!(V1 POST "/api/v1/sessions/check-in/face", OptionalUser, "Check in by face", v1::kiosk::check_in_face).kind(FaceImage).answers(200, "V1CheckedIn"),
        route!(V1 POST "/api/v1/sessions/check-in/qr", Public, "Check in by QR token", v1::kiosk::check_in_qr)
            .body(&[req("qr_token", String)]).answers(200, "V1CheckedIn"),
        route!(V1 POST "/api/v1/sessions/check-out/face", Public, "Check out by face alone", v1::kiosk::check_out_face).kind(FaceImage).answers(200, "V1CheckedOut"),
        route!(V1 POST "/api/v1/sessions/{session_id}/update", OptionalUser, "Reopen a session", v1::kiosk::update).kind(FaceOrQr).answers(200, "V1Reopened"),
        route!(V1 POST "/api/v1/sessions/{session_id}/check-out", OptionalUser, "End a session", v1::kiosk::check_out).kind(FaceOrQr).answers(200, "V1CheckedOut"),
        route!(V1 POST "/api/v1/lockers/{locker_id}/force-open", Admin, "Force a locker open", v1::kiosk::force_open).class(Hardware)
            .body(&[req("reason", String).pattern(NOT_BLANK)]).idempotent().answers(200, "V1ForceOpened"),
        route!(V1 POST "/api/v1/hardware/uart/send", Admin, "Send a command to a controller", v1::kiosk::uart_send).class(Hardware).body(&[
            req("esp32_id", String),
            req("command", Enum(&["unlock"])),
            req("locker_id", Uuid),
            opt("relay_pin", PIN).nullable().range(PIN_RANGE.0, PIN_RANGE.1),
        ]).idempotent().answers(200, "V1CommandSent"),
        route!(V1 POST "/api/v1/hardware/sensor/status", Controller, "Door sensor report", v1::kiosk::sensor_status).class(Hardware)
            .body(&[req("locker_id", Uuid), req("door_state", Enum(DoorState::NAMES))]).answers(200, "V1Message"),
        route!(V1 POST "/api/v1/hardware/error", Controller, "Hardware fault report", v1::kiosk::hardware_error).class(Hardware).body(&[
            opt("locker_id", Uuid).nullable(),
            req("error_type", Enum(AlertKind::NAMES)),
            opt("description", String),
        ]).answers(200, "V1AlertRaised"),
        route!(V1 GET "/ws", Public, "Live events (send the access token first)", v1::kiosk::ws).class(RateClass::None)
            .headers(&[
                req("Upgrade", String).pattern("^[Ww][Ee][Bb][Ss][Oo][Cc][Kk][Ee][Tt]$"),
                req("Connection", String).pattern("[Uu][Pp][Gg][Rr][Aa][Dd][Ee]"),
                req("Sec-WebSocket-Version", Enum(&["13"])),
                req("Sec-WebSocket-Key", String).pattern("^[A-Za-z0-9+/]{22}==$"),
            ])
            .answers(101, SWITCHING),
        // QR tokens
        route!(V1 POST "/api/v1/qr-tokens/generate", Customer, "Issue a dynamic QR token", v1::qr::generate)
            .body(&[req("action", Enum(QrAction::NAMES)), opt("session_id", Uuid).nullable()]).closed().answers(200, "V1QrIssued"),
        route!(V1 POST "/api/v1/qr-tokens/verify", Public, "Verify a scanned QR token", v1::qr::verify).body(&[req("token", String)]).answers(200, "V1QrValid"),
        // logs, alerts, statistics
        route!(V1 GET "/api/v1/transaction-logs", Admin, "The transaction log", v1::logs::list).query(&[
            opt("locker_id", Uuid),
            opt("user_id", Uuid),
            opt("action_type", Enum(TxAction::NAMES)),
            opt("auth_method", Enum(AuthMethod::NAMES)),
            opt("from_date", DateOrTime),
            opt("to_date", DateOrTime),
            PAGE,
            LIMIT,
        ]).answers(200, "V1LogList"),
        route!(V1 GET "/api/v1/security-alerts", Admin, "Security alerts with a summary", v1::alerts::list).query(&[
            opt("locker_id", Uuid),
            opt("alert_type", Enum(AlertKind::NAMES)),
            opt("severity", Enum(Severity::NAMES)),
            opt("is_resolved", Boolean),
            PAGE,
            LIMIT,
        ]).answers(200, "V1AlertList"),
        route!(V1 PATCH "/api/v1/security-alerts/{alert_id}/resolve", Admin, "Resolve an alert", v1::alerts::resolve)
            .body(&[req("resolution_note", String).pattern(r"^\s*\S([\s\S]{0,1998}\S)?\s*$")]).closed().answers(200, "V1AlertResolved"),
        route!(V1 GET "/api/v1/statistics/overview", Admin, "Overview", v1::stats::overview).query(PERIOD).answers(200, "V1Overview"),
        route!(V1 GET "/api/v1/statistics/usage/daily", Admin, "Daily usage", v1::stats::daily).query(PERIOD).answers(200, "V1DailyUsage"),
        route!(V1 GET "/api/v1/statistics/lockers", Admin, "Per-locker usage", v1::stats::lockers).query(PERIOD).answers(200, "V1LockerStats"),
    ]
}

/// The period of every statistics route (`v1::stats::PeriodQuery`).
const PERIOD: &[Field] = &[
    opt("from_date", FieldType::DateOrTime),
    opt("to_date", FieldType::DateOrTime),
    opt("locker_id", FieldType::Uuid),
];

/// A request its field list refuses: `400 VALIDATION_ERROR` naming the field.
fn refuse(invalid: crate::catalog::Invalid) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    ApiError::validation(invalid.field, invalid.reason).into_response()
}

/// Builds the router of `routes` (seed 000's and the server's own): each wrapped in the
/// guard with its access and rate class, then the idempotency layer where it applies, then
/// the gate of its field list ([`crate::catalog::Gate`]), and the body limit of its body kind.
pub fn router(state: AppState, routes: Vec<Route<AppState>>) -> Router {
    let wrap = |op: &crate::catalog::Operation, mut mr: axum::routing::MethodRouter<AppState>| {
        let limit = match op.kind {
            BodyKind::FaceImage | BodyKind::FaceOrQr => state.body_limits.image,
            BodyKind::None | BodyKind::Json => state.body_limits.json,
        };
        mr = gated(op, mr, limit, refuse);
        if op.idempotent {
            mr = mr.route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::http::idempotency::idempotency,
            ));
        }
        let cfg = GuardConfig { state: state.clone(), access: op.access, class: op.class };
        mr = mr.route_layer(axum::middleware::from_fn_with_state(cfg, guard));
        mr.layer(DefaultBodyLimit::max(limit))
    };
    merge_by_path(routes, wrap, |methods| methods).with_state(state)
}
