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
use axum::routing::{MethodRouter, get, post};
use locker_core::ports::Clock;
use locker_core::service::LockerService;
use locker_core::token::jwt::{AccessTokens, JwtKeys, MAX_LEEWAY_SECS};
use locker_core::token::password::Passwords;
use locker_core::token::pickup::PickupCodes;

use super::SeedStore;
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
    /// Password hashing.
    pub passwords: Arc<Passwords>,
    /// Pickup codes (hashed at rest with the pepper).
    pub pickup: Arc<PickupCodes>,
    /// WeChat Pay and Alipay ([`NoProvider`] until one is configured).
    pub payments: Arc<dyn PaymentProvider>,
    /// Now.
    pub clock: Arc<dyn Clock>,
    /// The locker service, when lock controllers are attached to it (UART): their cabinets
    /// are opened through it; cabinets of other controllers get a queued HTTP command.
    pub service: Option<Arc<LockerService>>,
}

impl std::fmt::Debug for CabinetsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CabinetsState").finish_non_exhaustive()
    }
}

impl CabinetsState {
    /// A state over one database: access tokens signed with `keys` (issuer and audience
    /// `locker`, so the other surfaces verify them with the same keys), pickup codes hashed
    /// with `pickup`, no payment provider.
    pub fn new(
        store: Arc<dyn SeedStore>,
        keys: JwtKeys,
        passwords: Passwords,
        pickup: PickupCodes,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let access = AccessTokens::with_config(keys, "locker", "locker", ACCESS_LIFETIME_SECS, MAX_LEEWAY_SECS);
        Self {
            store,
            access: Arc::new(access),
            passwords: Arc::new(passwords),
            pickup: Arc::new(pickup),
            payments: Arc::new(NoProvider),
            clock,
            service: None,
        }
    }

    /// Opens the cabinets of controllers attached to `service` through it.
    pub fn with_service(mut self, service: Arc<LockerService>) -> Self {
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
}

/// Every item of a paged store listing (`list` called page by page).
pub(crate) async fn all_pages<T, F, Fut>(list: F) -> Result<Vec<T>, Fail>
where
    F: Fn(locker_core::ports::Page) -> Fut,
    Fut: std::future::Future<Output = locker_core::Result<locker_core::ports::Paged<T>>>,
{
    let mut page = locker_core::ports::Page::new(1, locker_core::ports::Page::MAX_LIMIT).map_err(Fail::core)?;
    let mut out = Vec::new();
    loop {
        let got = list(page).await.map_err(Fail::core)?;
        let done = got.items.len() < page.limit as usize;
        out.extend(got.items);
        if done {
            return Ok(out);
        }
        page.page += 1;
    }
}

/// `405` in the seed's envelope for every path below.
fn only(route: MethodRouter<CabinetsState>) -> MethodRouter<CabinetsState> {
    route.fallback(|| async { Fail::method_not_allowed() })
}

/// Every seed-001 route, with its state applied.
pub fn router(state: CabinetsState) -> Router {
    Router::new()
        .route("/api/auth/register/", only(post(auth::register)))
        .route("/api/auth/login/", only(post(auth::login)))
        .route("/api/auth/token/", only(post(auth::token)))
        .route("/api/auth/token/refresh/", only(post(auth::token_refresh)))
        .route("/api/auth/me/", only(get(auth::me)))
        .route("/api/auth/{id}/", only(get(auth::user_by_id)))
        .route("/api/cabinets/", only(get(cabinets::list)))
        .route("/api/cabinets/available/", only(get(cabinets::available)))
        .route("/api/cabinets/create/", only(post(cabinets::create)))
        .route("/api/cabinets/{cabinet_id}/", only(get(cabinets::detail)))
        .route("/api/cabinets/{cabinet_id}/status/", only(get(cabinets::status)))
        .route("/api/orders/create/", only(post(orders::create)))
        .route("/api/orders/my/", only(get(orders::my)))
        .route("/api/orders/{order_id}/", only(get(orders::detail)))
        .route("/api/orders/{order_id}/pay/", only(post(orders::pay)))
        .route("/api/orders/{order_id}/extend/", only(post(orders::extend)))
        .route("/api/orders/{order_id}/cancel/", only(post(orders::cancel)))
        .route("/api/devices/heartbeat/", only(post(devices::heartbeat)))
        .route("/api/devices/status/", only(post(devices::status)))
        .route("/api/devices/open/by-code/", only(post(devices::open_by_code)))
        .route("/api/devices/{device_id}/open/", only(get(devices::poll)))
        .route("/api/devices/{device_id}/logs/", only(get(devices::logs)))
        .route("/api/admin/stats/", only(get(admin::stats)))
        .route("/api/admin/revenue/", only(get(admin::revenue)))
        .route("/api/admin/orders/", only(get(admin::orders)))
        .route("/api/admin/cabinets/", only(get(admin::cabinets).put(admin::update_cabinet)))
        .route("/api/admin/devices/", only(get(admin::devices).put(admin::update_device)))
        .route("/api/admin/alerts/", only(get(admin::alerts)))
        .layer(axum::extract::DefaultBodyLimit::max(crate::JSON_BODY_LIMIT))
        .with_state(state)
}

/// Every `METHOD path` the router serves (for the tests' bad-input sweep).
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/auth/register/"),
    ("POST", "/api/auth/login/"),
    ("POST", "/api/auth/token/"),
    ("POST", "/api/auth/token/refresh/"),
    ("GET", "/api/auth/me/"),
    ("GET", "/api/auth/{id}/"),
    ("GET", "/api/cabinets/"),
    ("GET", "/api/cabinets/available/"),
    ("POST", "/api/cabinets/create/"),
    ("GET", "/api/cabinets/{cabinet_id}/"),
    ("GET", "/api/cabinets/{cabinet_id}/status/"),
    ("POST", "/api/orders/create/"),
    ("GET", "/api/orders/my/"),
    ("GET", "/api/orders/{order_id}/"),
    ("POST", "/api/orders/{order_id}/pay/"),
    ("POST", "/api/orders/{order_id}/extend/"),
    ("POST", "/api/orders/{order_id}/cancel/"),
    ("POST", "/api/devices/heartbeat/"),
    ("POST", "/api/devices/status/"),
    ("POST", "/api/devices/open/by-code/"),
    ("GET", "/api/devices/{device_id}/open/"),
    ("GET", "/api/devices/{device_id}/logs/"),
    ("GET", "/api/admin/stats/"),
    ("GET", "/api/admin/revenue/"),
    ("GET", "/api/admin/orders/"),
    ("GET", "/api/admin/cabinets/"),
    ("PUT", "/api/admin/cabinets/"),
    ("GET", "/api/admin/devices/"),
    ("PUT", "/api/admin/devices/"),
    ("GET", "/api/admin/alerts/"),
];
