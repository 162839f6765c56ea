//! The seed-001 fixture: the `/api/…/` surface and the `/api/v1` app on one database with
//! the same access-token keys, served on a real TCP socket; a controller `ESP32_001` with
//! an API key; the seed's cabinets wired to it; an admin; helpers to call and to check the
//! `{code, message, data}` envelope.
#![allow(dead_code)]

use std::sync::Arc;

use locker_core::domain::{LockerSize, Money, NewController, NewLocker, NewUser, Role};
use locker_core::ports::Clock as _;
use locker_core::service::LockerService;
use locker_core::token::Pepper;
use locker_core::token::jwt::AccessTokens;
use locker_core::token::pickup::PickupCodes;
use locker_server::AppState;
use locker_server::seeds::cabinets::{self, CabinetsState};
use serde_json::{Value, json};

use crate::seeds_support::{ManualClock, TestDb, client, keys};

/// The station of the seed's examples.
pub const STATION: &str = "火车站";

/// The seed's example cabinets: code, size, price (minor units), location.
pub const CABINETS: &[(&str, LockerSize, i64, &str)] = &[
    ("A001", LockerSize::Small, 200, "站厅东侧"),
    ("A002", LockerSize::Small, 200, "站厅东侧"),
    ("B001", LockerSize::Medium, 300, "站厅西侧"),
    ("C001", LockerSize::Large, 500, "出站口"),
];

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Nothing.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// `X-API-Key: <key>`.
    Key(&'a str),
}

/// A served seed-001 + `/api/v1` app with an admin and a device.
pub struct Fx {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The client.
    pub http: reqwest::Client,
    /// The clock of both surfaces.
    pub clock: Arc<ManualClock>,
    /// The seed-001 state (store, keys, the locker service and its HTTP boards).
    pub state: CabinetsState,
    /// The locker service every cabinet opens through.
    pub service: Arc<LockerService>,
    /// The admin's access token.
    pub admin: String,
    /// `ESP32_001`'s API key.
    pub device_key: String,
    /// The database (kept alive).
    pub db: TestDb,
}

impl Fx {
    /// Builds and serves the fixture on `db`.
    pub async fn new(db: TestDb) -> Self {
        Self::build(db, None).await
    }

    /// The fixture plus a locker service driving `uart` (a simulated lock controller) for
    /// the controller named `SIM_001`, with cabinets `S001` and `S002` wired to it.
    pub async fn with_uart(db: TestDb, uart: Arc<dyn locker_core::ports::LockController>) -> Self {
        Self::build(db, Some(uart)).await
    }

    async fn build(db: TestDb, uart: Option<Arc<dyn locker_core::ports::LockController>>) -> Self {
        let clock = ManualClock::new();
        let (service, keys) = crate::seeds_support::service_on(&db.store, clock.clone()).await;
        let pickup = PickupCodes::new(Pepper::generate().unwrap());
        let app_state =
            AppState::new(service.clone(), AccessTokens::new(keys.clone())).with_limits(crate::support::GENEROUS);
        let state = CabinetsState::new(service.clone(), keys.clone(), app_state.credentials.clone(), pickup);
        if let Some(driver) = uart {
            let sim = NewController { name: "SIM_001".into(), station: STATION.into(), api_key_hash: None };
            let sim = db.store.create_controller(sim, clock.now()).await.unwrap();
            let wired = (1..=2u16).map(|ch| NewLocker {
                code: format!("S00{ch}"),
                station: STATION.into(),
                location: "串口柜".into(),
                size: LockerSize::Medium,
                controller_id: Some(sim.id),
                relay_channel: ch,
                sensor_channel: ch,
                price_per_hour: Money(300),
            });
            db.store.create_lockers(wired.collect(), clock.now()).await.unwrap();
            service.attach_controller(sim.id, driver);
        }
        // `ESP32_001` is registered after the start: its board is attached when first met.
        let app = locker_server::app(app_state).merge(cabinets::router(state.clone()));
        let base = crate::seeds_support::serve(app).await;
        let now = clock.now();
        let device = db
            .store
            .create_controller(
                NewController { name: "ESP32_001".into(), station: STATION.into(), api_key_hash: None },
                now,
            )
            .await
            .unwrap();
        let device_key = locker_core::token::apikey::rotate(db.store.as_ref(), device.id).await.unwrap();
        let lockers = CABINETS
            .iter()
            .enumerate()
            .map(|(i, (code, size, price, location))| NewLocker {
                code: (*code).into(),
                station: STATION.into(),
                location: (*location).into(),
                size: *size,
                controller_id: Some(device.id),
                relay_channel: i as u16 + 1,
                sensor_channel: i as u16 + 1,
                price_per_hour: Money(*price),
            })
            .collect();
        db.store.create_lockers(lockers, now).await.unwrap();
        let passwords = service.passwords();
        let admin = NewUser {
            email: Some("admin@example.com".into()),
            phone: Some("13800000000".into()),
            username: Some("admin".into()),
            full_name: "Admin".into(),
            role: Role::Admin,
            password_hash: passwords.hash("admin123456").unwrap(),
        };
        db.store.create_user(admin, now).await.unwrap();
        let mut fx = Fx { base, http: client(), clock, state, service, admin: String::new(), device_key, db };
        fx.admin = fx.login("13800000000", "admin123456").await;
        fx
    }

    /// Sends `method path` with `auth` and an optional JSON body; status and JSON body.
    pub async fn call(&self, method: &str, path: &str, auth: Auth<'_>, body: Option<&Value>) -> (u16, Value) {
        let mut req = self.http.request(method.parse().unwrap(), format!("{}{path}", self.base));
        req = match auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Key(k) => req.header("x-api-key", k),
        };
        if let Some(b) = body {
            req = req.json(b);
        }
        crate::seeds_support::json_of(req.send().await.unwrap()).await
    }

    /// `GET` as `auth`.
    pub async fn get(&self, path: &str, auth: Auth<'_>) -> (u16, Value) {
        self.call("GET", path, auth, None).await
    }

    /// `POST` JSON as `auth`.
    pub async fn post(&self, path: &str, auth: Auth<'_>, body: Value) -> (u16, Value) {
        self.call("POST", path, auth, Some(&body)).await
    }

    /// Registers `username` with `phone` (password `test123456`); returns the access token.
    pub async fn register(&self, username: &str, phone: &str) -> String {
        let body = json!({ "username": username, "phone": phone, "password": "test123456", "password2": "test123456" });
        let got = self.post("/api/auth/register/", Auth::None, body).await;
        ok(&got, 201, "注册成功")["access"].as_str().unwrap().to_owned()
    }

    /// Logs in by phone; returns the access token.
    pub async fn login(&self, phone: &str, password: &str) -> String {
        let got = self.post("/api/auth/login/", Auth::None, json!({ "phone": phone, "password": password })).await;
        ok(&got, 200, "登录成功")["access"].as_str().unwrap().to_owned()
    }

    /// Sets the balance of the user with `phone` (the seed has no top-up endpoint).
    pub async fn set_balance(&self, phone: &str, minor: i64) {
        let mut user = self.db.store.get_user_by_phone(phone).await.unwrap();
        user.balance = Money(minor);
        self.db.store.update_user(&user).await.unwrap();
    }

    /// The balance of the user with `phone`, in minor units.
    pub async fn balance(&self, phone: &str) -> i64 {
        self.db.store.get_user_by_phone(phone).await.unwrap().balance.minor()
    }

    /// Creates an order on `cabinet` for `hours` as `token`; returns its id.
    pub async fn order(&self, token: &str, cabinet: &str, hours: f64) -> i64 {
        let got = self
            .post("/api/orders/create/", Auth::Bearer(token), json!({ "cabinet_id": cabinet, "duration_hours": hours }))
            .await;
        ok(&got, 201, "订单创建成功")["id"].as_i64().unwrap()
    }

    /// Pays order `id` from the balance; returns the pickup code.
    pub async fn pay(&self, token: &str, id: i64) -> String {
        let got = self
            .post(&format!("/api/orders/{id}/pay/"), Auth::Bearer(token), json!({ "payment_method": "balance" }))
            .await;
        ok(&got, 200, "支付成功")["pickup_code"].as_str().unwrap().to_owned()
    }

    /// `POST /api/devices/open/by-code/` as `token` for `cabinet` with `code`.
    pub async fn open(&self, token: &str, cabinet: &str, code: &str) -> (u16, Value) {
        self.post(
            "/api/devices/open/by-code/",
            Auth::Bearer(token),
            json!({ "cabinet_id": cabinet, "pickup_code": code }),
        )
        .await
    }

    /// Takes `ESP32_001`'s next command; the cabinet it opens, if any.
    pub async fn poll(&self) -> Option<String> {
        let got = self.get("/api/devices/ESP32_001/open/", Auth::Key(&self.device_key)).await;
        let data = ok(&got, 200, if got.1["data"]["command"] == "none" { "无待执行指令" } else { "有待执行指令" });
        data["cabinet_id"].as_str().map(str::to_owned)
    }
}

/// Checks a success envelope (`{code: 0, message, data}`) and returns `data`.
pub fn ok<'a>(got: &'a (u16, Value), status: u16, message: &str) -> &'a Value {
    let (s, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(keys(body), ["code", "data", "message"], "{body}");
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["message"], message, "{body}");
    &body["data"]
}

/// Checks an error envelope: HTTP `status`, `code` equal to it, the seed's `message`, and
/// `data.detail` saying why. Returns `data`.
pub fn fail<'a>(got: &'a (u16, Value), status: u16, message: &str) -> &'a Value {
    let (s, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(keys(body), ["code", "data", "message"], "{body}");
    assert_eq!(body["code"], status, "{body}");
    assert_eq!(body["message"], message, "{body}");
    assert!(body["data"]["detail"].is_string(), "{body}");
    &body["data"]
}

/// A `"2.00"`-style amount.
pub fn is_amount(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.parse::<Money>().is_ok() && s.split_once('.').is_some_and(|(_, f)| f.len() == 2))
}
