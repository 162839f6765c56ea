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
use locker_core::ports::Clock;
use locker_core::service::{HttpBoards, LockerService, OrderDesk, Statistics};
use locker_core::token::jwt::{AccessTokens, JwtKeys, MAX_LEEWAY_SECS};
use locker_core::token::pickup::PickupCodes;

use super::SeedStore;
use super::catalog::{self, FieldType, SeedRoute, opt, req, seed_route};
use crate::credentials::Credentials;
use envelope::Fail;
use payment::{NoProvider, PaymentProvider};

/// Access-token lifetime (seed 001: 24 hours).
pub const ACCESS_LIFETIME_SECS: i64 = 24 * 3600;

/// What the seed-001 routes need.
#[derive(Clone)]
pub struct CabinetsState {
    /// The one database (lockers, rentals, users, tokens, orders).
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
    /// Now.
    pub clock: Arc<dyn Clock>,
    /// The locker service: every cabinet is opened through it, every door report goes
    /// through its door machines. Without one, cabinets cannot be opened.
    pub service: Option<Arc<LockerService>>,
    /// The service's boards that poll over HTTP (one per device), with the service.
    pub boards: Option<Arc<HttpBoards>>,
}

impl std::fmt::Debug for CabinetsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CabinetsState").finish_non_exhaustive()
    }
}

impl CabinetsState {
    /// A state over one database: access tokens signed with `keys` (issuer and audience
    /// `locker`, so the other surfaces verify them with the same keys), sign-in protection
    /// `credentials` (the server's, [`crate::AppState::credentials`]), pickup codes hashed
    /// with `pickup`, no payment provider.
    pub fn new(
        store: Arc<dyn SeedStore>,
        keys: JwtKeys,
        credentials: Credentials,
        pickup: PickupCodes,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let access = AccessTokens::with_config(keys, "locker", "locker", ACCESS_LIFETIME_SECS, MAX_LEEWAY_SECS);
        Self {
            store,
            access: Arc::new(access),
            credentials,
            pickup: Arc::new(pickup),
            payments: Arc::new(NoProvider),
            clock,
            service: None,
            boards: None,
        }
    }

    /// Opens every cabinet through `service`: controllers it has no driver for poll over
    /// HTTP, and get a board attached to it ([`HttpBoards`]) the first time they are met.
    pub fn with_service(mut self, service: Arc<LockerService>) -> Self {
        let queue: Arc<dyn locker_core::ports::OrderStore> = self.store.clone();
        self.boards = Some(HttpBoards::new(service.clone(), queue));
        self.service = Some(service);
        self
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

    /// The locker service, or `503` (order flows and openings run in it).
    pub fn service(&self) -> Result<&LockerService, Fail> {
        self.service.as_deref().ok_or_else(|| Fail::unavailable("no locker service runs on this server"))
    }

    /// What the order flows take from this surface: its payment provider and pickup codes.
    pub fn desk(&self) -> OrderDesk {
        OrderDesk { payments: self.payments.clone(), pickup: self.pickup.clone() }
    }

    /// The statistics: the service's, or over this state's database without one.
    pub fn statistics(&self) -> Statistics {
        match &self.service {
            Some(service) => service.statistics(),
            None => Statistics::new(self.store.clone()),
        }
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

/// Every seed-001 route, as served and documented.
pub fn routes() -> Vec<SeedRoute<CabinetsState>> {
    use FieldType::{Boolean, Date, Decimal, Integer, Object, String};
    vec![
        // auth
        seed_route!(Cabinets POST "/api/auth/register/", Public, "Register; the user and a token pair", auth::register)
            .body(&[req("username", String), req("phone", String), req("password", String), req("password2", String), opt("email", String)]),
        seed_route!(Cabinets POST "/api/auth/login/", Public, "Log in by phone; the user and a token pair", auth::login)
            .body(&[req("phone", String), req("password", String)]),
        seed_route!(Cabinets POST "/api/auth/token/", Public, "Token pair by username (DRF-style, bare)", auth::token)
            .body(&[req("username", String), req("password", String)])
            .answers(200, "Seed001TokenPair"),
        seed_route!(Cabinets POST "/api/auth/token/refresh/", Public, "Rotate a refresh token (DRF-style, bare)", auth::token_refresh)
            .body(&[req("refresh", String)])
            .answers(200, "Seed001TokenPair"),
        seed_route!(Cabinets GET "/api/auth/me/", User, "The signed-in user", auth::me),
        seed_route!(Cabinets GET "/api/auth/{id}/", User, "A user by number", auth::user_by_id),
        // cabinets
        seed_route!(Cabinets GET "/api/cabinets/", Public, "Cabinets, filtered", cabinets::list)
            .query(&[opt("station", String), opt("size", String), opt("status", String), opt("available", String)]),
        seed_route!(Cabinets GET "/api/cabinets/available/", Public, "Free cabinets", cabinets::available)
            .query(&[opt("station", String), opt("size", String)]),
        seed_route!(Cabinets POST "/api/cabinets/create/", Admin, "Create a cabinet", cabinets::create).body(&[
            req("cabinet_id", String),
            req("size", String),
            req("location", String),
            req("station", String),
            req("price_per_hour", Decimal),
            opt("device_id", String),
            opt("channel", Integer),
        ]),
        seed_route!(Cabinets GET "/api/cabinets/{cabinet_id}/", Public, "One cabinet", cabinets::detail),
        seed_route!(Cabinets GET "/api/cabinets/{cabinet_id}/status/", Public, "A cabinet's live status", cabinets::status),
        // orders
        seed_route!(Cabinets POST "/api/orders/create/", User, "Book a cabinet (pending until paid)", orders::create)
            .body(&[req("cabinet_id", String), req("duration_hours", Decimal)]),
        seed_route!(Cabinets GET "/api/orders/my/", User, "My orders", orders::my).query(&[opt("status", String)]),
        seed_route!(Cabinets GET "/api/orders/{order_id}/", User, "One order", orders::detail),
        seed_route!(Cabinets POST "/api/orders/{order_id}/pay/", User, "Pay; issues the pickup code", orders::pay)
            .body(&[req("payment_method", String)]),
        seed_route!(Cabinets POST "/api/orders/{order_id}/extend/", User, "Add time to a paid order", orders::extend)
            .body(&[req("additional_hours", Decimal), opt("payment_method", String)]),
        seed_route!(Cabinets POST "/api/orders/{order_id}/cancel/", User, "Cancel a pending order", orders::cancel),
        // devices
        seed_route!(Cabinets POST "/api/devices/heartbeat/", DeviceKey, "Device heartbeat", devices::heartbeat)
            .body(&[opt("battery_level", Integer)]),
        seed_route!(Cabinets POST "/api/devices/status/", DeviceKey, "Door map (true = closed) and battery", devices::status)
            .body(&[opt("cabinet_status", Object), opt("battery_level", Integer)]),
        seed_route!(Cabinets POST "/api/devices/open/by-code/", User, "Open a cabinet by pickup code", devices::open_by_code)
            .body(&[req("cabinet_id", String), req("pickup_code", String)]),
        seed_route!(Cabinets GET "/api/devices/{device_id}/open/", DeviceKey, "Poll for the next unlock (delivered once)", devices::poll),
        seed_route!(Cabinets GET "/api/devices/{device_id}/logs/", Admin, "A device's log", devices::logs),
        // admin
        seed_route!(Cabinets GET "/api/admin/stats/", Admin, "Dashboard figures", admin::stats).query(&[opt("days", Integer)]),
        seed_route!(Cabinets GET "/api/admin/revenue/", Admin, "Revenue per day and station", admin::revenue)
            .query(&[opt("days", Integer)]),
        seed_route!(Cabinets GET "/api/admin/orders/", Admin, "Every order, filtered and paged", admin::orders).query(&[
            opt("status", String),
            opt("station", String),
            opt("from", Date),
            opt("to", Date),
            opt("page", Integer),
            opt("page_size", Integer),
        ]),
        seed_route!(Cabinets GET "/api/admin/cabinets/", Admin, "Every cabinet", admin::cabinets),
        seed_route!(Cabinets PUT "/api/admin/cabinets/", Admin, "Update a cabinet", admin::update_cabinet).body(&[
            req("cabinet_id", String),
            opt("status", String),
            opt("price_per_hour", Decimal),
            opt("location", String),
        ]),
        seed_route!(Cabinets GET "/api/admin/devices/", Admin, "Every device", admin::devices),
        seed_route!(Cabinets PUT "/api/admin/devices/", Admin, "Update a device", admin::update_device).body(&[
            req("device_id", String),
            opt("name", String),
            opt("station", String),
            opt("location", String),
            opt("is_active", Boolean),
        ]),
        seed_route!(Cabinets GET "/api/admin/alerts/", Admin, "Open alerts", admin::alerts),
    ]
}

/// Every seed-001 route, with its state applied; other methods on these paths get `405` in
/// the seed's envelope. Each path written without its trailing slash (`/api/cabinets`) is
/// redirected to the one with it, as Django's `APPEND_SLASH` does, but with `308` so a POST
/// keeps its method and body.
pub fn router(state: CabinetsState) -> Router {
    let routes = routes();
    let bare: std::collections::BTreeSet<&'static str> =
        routes.iter().filter_map(|r| r.op.path.strip_suffix('/')).collect();
    let mut router = catalog::build_router(routes, || async { Fail::method_not_allowed() });
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
