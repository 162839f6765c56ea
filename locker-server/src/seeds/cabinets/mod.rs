//! Seed 001, cabinets, orders and devices (驿联站 API 1.1.0): `/api/…/` with trailing
//! slashes, envelope `{code, message, data}`.
//!
//! The same rentals, lockers and controllers as `/api/v1`: a cabinet is a locker
//! (`cabinet_id` = its code, `id` = its integer number), an order is a rental of kind
//! `order` (`id` = its integer number, statuses `pending/paid/in_use/completed/cancelled`
//! from [`locker_core::domain::RentalState::order_status`]), a device is a controller
//! (`device_id` = its name, authenticated by `X-API-Key`). An order paid here shows as a
//! reserved locker there.
//!
//! | module | routes |
//! |---|---|
//! | [`auth`] | register, login, token, token/refresh, me, user by id |
//! | [`cabinets`] | list, available, create (admin), detail, status |
//! | [`orders`] | create, my, detail, pay, extend, cancel |
//! | [`devices`] | heartbeat, status, open by code, command polling, logs (admin) |
//! | [`admin`] | stats, revenue, orders, cabinets, devices, alerts |
//!
//! Errors are `{code, message, data: {detail, field?}}` with `code` equal to the HTTP status
//! and the seed's Chinese message ([`envelope::Fail`]); see the crate README for the choices
//! the seed leaves open.

pub mod admin;
pub mod auth;
// `cabinets::cabinets`: the seed's module names are kept (auth, cabinets, orders, devices, admin).
#[allow(clippy::module_inception)]
pub mod cabinets;
pub mod devices;
pub mod envelope;
pub mod orders;
pub mod payment;
mod views;

use std::sync::Arc;

use axum::Router;
use locker_core::domain::LockerSize;
use locker_core::ports::Clock;
use locker_core::service::{HttpBoards, LockerService, OrderDesk, Statistics};
use locker_core::token::jwt::{AccessTokens, JwtKeys, MAX_LEEWAY_SECS};
use locker_core::token::pickup::PickupCodes;

use super::SeedStore;
use crate::catalog::{self, FieldType, Route, opt, req, route};
use crate::credentials::Credentials;
use envelope::Fail;
use payment::{NoProvider, PaymentProvider};

/// Access-token lifetime (seed 001: 24 hours).
pub const ACCESS_LIFETIME_SECS: i64 = 24 * 3600;

/// What the seed-001 routes need: the locker service (every order flow and every opening
/// runs in it) and what only this surface has.
#[derive(Clone)]
pub struct CabinetsState {
    /// The service's database (lockers, rentals, users, tokens, orders).
    pub store: Arc<dyn SeedStore>,
    /// Issues and verifies access tokens (24 h).
    pub access: Arc<AccessTokens>,
    /// Sign-in protection shared with the other surfaces (address bucket, account lockout,
    /// password hashing off the async workers).
    pub credentials: Credentials,
    /// Pickup codes (hashed at rest with the pepper).
    pub pickup: Arc<PickupCodes>,
    /// WeChat Pay and Alipay ([`NoProvider`] until one is configured).
    pub payments: Arc<dyn PaymentProvider>,
    /// The service's clock.
    pub clock: Arc<dyn Clock>,
    /// The locker service: every cabinet is opened through it, every door report goes
    /// through its door machines.
    pub service: Arc<LockerService>,
    /// The service's boards that poll over HTTP (one per device).
    pub boards: Arc<HttpBoards>,
}

impl std::fmt::Debug for CabinetsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CabinetsState").finish_non_exhaustive()
    }
}

impl CabinetsState {
    /// A state over `service`: access tokens signed with `keys` (issuer and audience
    /// `locker`, so the other surfaces verify them with the same keys), sign-in protection
    /// `credentials` (the server's, [`crate::AppState::credentials`]), pickup codes hashed
    /// with `pickup`, no payment provider. Controllers the service has no driver for poll
    /// over HTTP, and get a board attached to the service ([`HttpBoards`]) the first time
    /// they are met.
    pub fn new(service: Arc<LockerService>, keys: JwtKeys, credentials: Credentials, pickup: PickupCodes) -> Self {
        let access = AccessTokens::with_config(keys, "locker", "locker", ACCESS_LIFETIME_SECS, MAX_LEEWAY_SECS);
        let store = service.database().clone();
        let queue: Arc<dyn locker_core::ports::OrderStore> = store.clone();
        Self {
            store,
            access: Arc::new(access),
            credentials,
            pickup: Arc::new(pickup),
            payments: Arc::new(NoProvider),
            clock: service.clock().clone(),
            boards: HttpBoards::new(service.clone(), queue),
            service,
        }
    }

    /// Replaces the payment provider.
    pub fn with_payments(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.payments = provider;
        self
    }

    /// Now.
    pub fn now(&self) -> locker_core::domain::Timestamp {
        self.clock.now()
    }

    /// What the order flows take from this surface: its payment provider and pickup codes.
    pub fn desk(&self) -> OrderDesk {
        OrderDesk { payments: self.payments.clone(), pickup: self.pickup.clone() }
    }

    /// The statistics.
    pub fn statistics(&self) -> Statistics {
        self.service.statistics()
    }
}

/// Every item of a paged store listing ([`locker_core::ports::all_pages`]), as a seed error.
pub(crate) async fn all_pages<T, F, Fut>(list: F) -> Result<Vec<T>, Fail>
where
    F: Fn(locker_core::ports::Page) -> Fut,
    Fut: std::future::Future<Output = locker_core::Result<locker_core::ports::Paged<T>>>,
{
    locker_core::ports::all_pages(list).await.map_err(Fail::core)
}

/// Text that is not blank (the seed's "this field is required").
const NOT_BLANK: &str = r"\S";
/// A cabinet code as `NewLocker::validate` takes it: 1 to 32 letters, digits, `-` or `_`.
const CABINET_CODE: &str = r"^\s*[A-Za-z0-9_-]{1,32}\s*$";
/// Order statuses as the seed names them.
const ORDER_STATUSES: &[&str] = &["pending", "paid", "in_use", "completed", "cancelled"];
/// Payment methods.
const PAYMENT_METHODS: &[&str] = &["wechat", "alipay", "balance"];

/// Every seed-001 route, as served and documented.
pub fn routes() -> Vec<Route<CabinetsState>> {
    use FieldType::{Boolean, Date, Enum, Hours, Integer, Money, String};
    let text = |name| req(name, String).pattern(NOT_BLANK);
    vec![
        // auth
        route!(Cabinets POST "/api/auth/register/", Public, "Register; the user and a token pair", auth::register).body(&[
            req("username", String).pattern(r"^\s*\S([\s\S]{0,148}\S)?\s*$"),
            req("phone", String).pattern(r"^\s*1[0-9]{10}\s*$"),
            req("password", String).at_least(6).pattern(NOT_BLANK),
            req("password2", String).pattern(NOT_BLANK),
            opt("email", String).nullable().pattern(r"^\s*$|@").range(0, 254),
        ])
            .answers(201, "Seed001Registered"),
        route!(Cabinets POST "/api/auth/login/", Public, "Log in by phone; the user and a token pair", auth::login)
            .body(&[text("phone"), text("password")])
            .answers(200, "Seed001SignedIn"),
        route!(Cabinets POST "/api/auth/token/", Public, "Token pair by username (DRF-style, bare)", auth::token)
            .body(&[text("username"), text("password")])
            .answers(200, "Seed001TokenPair"),
        route!(Cabinets POST "/api/auth/token/refresh/", Public, "Rotate a refresh token (DRF-style, bare)", auth::token_refresh)
            .body(&[text("refresh")])
            .answers(200, "Seed001TokenPair"),
        route!(Cabinets GET "/api/auth/me/", Customer, "The signed-in user", auth::me)
            .answers(200, "Seed001Me"),
        route!(Cabinets GET "/api/auth/{id}/", Customer, "A user by number", auth::user_by_id)
            .answers(200, "Seed001User"),
        // cabinets
        route!(Cabinets GET "/api/cabinets/", Public, "Cabinets, filtered", cabinets::list).query(&[
            opt("station", String),
            opt("size", Enum(LockerSize::NAMES)),
            opt("status", Enum(&["available", "in_use", "maintenance"])),
            opt("available", Enum(&["true", "false"])),
        ])
            .answers(200, "Seed001Cabinets"),
        route!(Cabinets GET "/api/cabinets/available/", Public, "Free cabinets", cabinets::available)
            .query(&[opt("station", String), opt("size", Enum(LockerSize::NAMES))])
            .answers(200, "Seed001Cabinets"),
        route!(Cabinets POST "/api/cabinets/create/", Admin, "Create a cabinet", cabinets::create).body(&[
            req("cabinet_id", String).pattern(CABINET_CODE),
            req("size", Enum(LockerSize::NAMES)),
            text("location"),
            text("station"),
            req("price_per_hour", Money),
            opt("device_id", String).nullable(),
            opt("channel", Integer).nullable().range(1, u16::MAX as i64),
        ])
        .answers(201, "Seed001CabinetCreated"),
        route!(Cabinets GET "/api/cabinets/{cabinet_id}/", Public, "One cabinet", cabinets::detail)
            .answers(200, "Seed001Cabinet"),
        route!(Cabinets GET "/api/cabinets/{cabinet_id}/status/", Public, "A cabinet's live status", cabinets::status)
            .answers(200, "Seed001CabinetStatus"),
        // orders
        route!(Cabinets POST "/api/orders/create/", Customer, "Book a cabinet (pending until paid)", orders::create)
            .body(&[text("cabinet_id"), req("duration_hours", Hours)])
            .answers(201, "Seed001OrderBooked"),
        route!(Cabinets GET "/api/orders/my/", Customer, "My orders", orders::my).query(&[opt("status", Enum(ORDER_STATUSES))])
            .answers(200, "Seed001Orders"),
        route!(Cabinets GET "/api/orders/{order_id}/", Customer, "One order", orders::detail)
            .answers(200, "Seed001Order"),
        route!(Cabinets POST "/api/orders/{order_id}/pay/", Customer, "Pay; issues the pickup code", orders::pay)
            .body(&[req("payment_method", Enum(PAYMENT_METHODS))])
            .answers(200, "Seed001OrderPaid"),
        route!(Cabinets POST "/api/orders/{order_id}/extend/", Customer, "Add time to a paid order", orders::extend)
            .body(&[req("additional_hours", Hours), opt("payment_method", Enum(PAYMENT_METHODS)).nullable()])
            .answers(200, "Seed001OrderExtended"),
        route!(Cabinets POST "/api/orders/{order_id}/cancel/", Customer, "Cancel a pending order", orders::cancel)
            .answers(200, "Seed001OrderCancelled"),
        // devices
        route!(Cabinets POST "/api/devices/heartbeat/", Controller, "Device heartbeat", devices::heartbeat)
            .body(&[opt("battery_level", Integer).range(0, 100)])
            .answers(200, "Seed001Heartbeat"),
        route!(Cabinets POST "/api/devices/status/", Controller, "Door map (true = closed) and battery", devices::status)
            .body(&[opt("cabinet_status", FieldType::Flags), opt("battery_level", Integer).range(0, 100)])
            .answers(200, "Seed001Message"),
        route!(Cabinets POST "/api/devices/open/by-code/", Customer, "Open a cabinet by pickup code", devices::open_by_code)
            .body(&[text("cabinet_id"), text("pickup_code")])
            .answers(200, "Seed001Opened"),
        route!(Cabinets GET "/api/devices/{device_id}/open/", Controller, "Poll for the next unlock (delivered once)", devices::poll)
            .answers(200, "Seed001Poll"),
        route!(Cabinets GET "/api/devices/{device_id}/logs/", Admin, "A device's log", devices::logs)
            .answers(200, "Seed001DeviceLogs"),
        // admin
        route!(Cabinets GET "/api/admin/stats/", Admin, "Dashboard figures", admin::stats)
            .query(&[opt("days", Integer).range(1, 366)])
            .answers(200, "Seed001Stats"),
        route!(Cabinets GET "/api/admin/revenue/", Admin, "Revenue per day and station", admin::revenue)
            .query(&[opt("days", Integer).range(1, 366)])
            .answers(200, "Seed001Revenue"),
        route!(Cabinets GET "/api/admin/orders/", Admin, "Every order, filtered and paged", admin::orders).query(&[
            opt("status", Enum(ORDER_STATUSES)),
            opt("station", String),
            opt("from", Date),
            opt("to", Date),
            opt("page", Integer).range(1, u32::MAX as i64),
            opt("page_size", Integer).range(1, 100),
        ])
            .answers(200, "Seed001AdminOrders"),
        route!(Cabinets GET "/api/admin/cabinets/", Admin, "Every cabinet", admin::cabinets)
            .answers(200, "Seed001Cabinets"),
        route!(Cabinets PUT "/api/admin/cabinets/", Admin, "Update a cabinet", admin::update_cabinet).body(&[
            text("cabinet_id"),
            opt("status", Enum(&["available", "maintenance"])).nullable(),
            opt("price_per_hour", Money).nullable(),
            opt("location", String).nullable(),
            opt("device_id", String).nullable(),
            opt("channel", Integer).nullable().range(1, u16::MAX as i64),
        ])
        .answers(200, "Seed001CabinetUpdated"),
        route!(Cabinets GET "/api/admin/devices/", Admin, "Every device", admin::devices)
            .answers(200, "Seed001Devices"),
        route!(Cabinets PUT "/api/admin/devices/", Admin, "Update a device", admin::update_device).body(&[
            text("device_id"),
            opt("name", String).nullable(),
            opt("station", String).nullable(),
            opt("location", String).nullable(),
            opt("is_active", Boolean).nullable(),
        ])
            .answers(200, "Seed001Device"),
        route!(Cabinets GET "/api/admin/alerts/", Admin, "Open alerts", admin::alerts)
            .answers(200, "Seed001Alerts"),
    ]
}

/// A request its field list refuses: `400 参数错误` naming the field.
fn refuse(invalid: catalog::Invalid) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    Fail::invalid(&invalid.field, invalid.reason).into_response()
}

/// Every seed-001 route, with its state applied; other methods on these paths get `405` in
/// the seed's envelope. Each path written without its trailing slash (`/api/cabinets`) is
/// redirected to the one with it, as Django's `APPEND_SLASH` does, but with `308` so a POST
/// keeps its method and body.
pub fn router(state: CabinetsState) -> Router {
    let routes = routes();
    let bare: std::collections::BTreeSet<&'static str> =
        routes.iter().filter_map(|r| r.op.path.strip_suffix('/')).collect();
    let mut router = catalog::build_router(routes, || async { Fail::method_not_allowed() }, refuse);
    for path in bare {
        router = router.route(path, axum::routing::any(append_slash));
    }
    router.layer(axum::extract::DefaultBodyLimit::max(crate::JSON_BODY_LIMIT)).with_state(state)
}

/// `308 Permanent Redirect` to the request's path with a trailing slash (query kept).
async fn append_slash(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let location = match uri.query() {
        Some(query) => format!("{}/?{query}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    (axum::http::StatusCode::PERMANENT_REDIRECT, [(axum::http::header::LOCATION, location)]).into_response()
}
