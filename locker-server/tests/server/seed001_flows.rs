//! Seed 001 across surfaces and under concurrency, on SQLite and (when configured)
//! PostgreSQL, over real HTTP:
//! - an order paid by balance on `/api/` is a reserved locker on `/api/v1/lockers`; opened
//!   by pickup code, its rental is live in `/api/v1`, and active once the door closes;
//! - a controller polling over HTTP receives exactly one command per unlock, even when it
//!   polls concurrently;
//! - 100 concurrent payments by one user never overdraw the balance and lose nothing;
//! - bad input on every route is answered in the seed's envelope, never a 500;
//! - a path written without its trailing slash is redirected (308) to the one with it.

use crate::seed001_support;
use crate::seeds_support;

use std::collections::HashMap;

use futures::future::join_all;
use locker_core::domain::{LockerSize, Money, NewLocker};
use locker_core::ports::Clock as _;
use locker_server::seeds::cabinets::routes;
use seed001_support::{Auth, Fx, STATION, fail, ok};
use seeds_support::{backends, keys};
use serde_json::json;

/// `/api/v1/lockers` as `token`: locker code -> (id, status).
async fn v1_lockers(fx: &Fx, token: &str) -> HashMap<String, (String, String)> {
    let (status, body) = fx.get("/api/v1/lockers", Auth::Bearer(token)).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["lockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let code = l["locker_code"].as_str().unwrap().to_owned();
            (code, (l["id"].as_str().unwrap().to_owned(), l["status"].as_str().unwrap().to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn paid_on_api_is_reserved_on_v1_and_opened_by_code_is_live_there() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let token = fx.register("testuser", "13900139000").await;
        fx.set_balance("13900139000", 5_000).await;
        let id = fx.order(&token, "B001", 4.0).await;
        let code = fx.pay(&token, id).await;
        assert_eq!(fx.balance("13900139000").await, 5_000 - 1_200);

        // The same locker, seen by the seed-000 surface with the same token.
        let lockers = v1_lockers(&fx, &token).await;
        assert_eq!(lockers["B001"].1, "reserved");
        assert_eq!(lockers["A001"].1, "available");
        let locker_id = lockers["B001"].0.clone();
        let (_, detail) = fx.get(&format!("/api/v1/lockers/{locker_id}"), Auth::Bearer(&token)).await;
        assert_eq!(detail["data"]["current_session"]["status"], "active", "{detail}");

        // Opened by pickup code: the rental is live in /api/v1 and the locker in use.
        let got = fx.open(&token, "B001", &code).await;
        ok(&got, 200, "开柜成功");
        let (_, active) = fx.get("/api/v1/sessions/active", Auth::Bearer(&token)).await;
        assert_eq!(active["data"]["session"]["status"], "active", "{active}");
        assert_eq!(active["data"]["session"]["auth_method"], "password", "{active}");
        assert_eq!(v1_lockers(&fx, &token).await["B001"].1, "in_use");
        let rental =
            fx.db.store.get_rental(active["data"]["session"]["id"].as_str().unwrap().parse().unwrap()).await.unwrap();
        assert_eq!(rental.state, locker_core::domain::RentalState::Opening);

        // The controller opens the door, the person closes it: the rental is Active.
        assert_eq!(fx.poll().await.as_deref(), Some("B001"));
        let key = fx.device_key.clone();
        fx.post("/api/devices/status/", Auth::Key(&key), json!({ "cabinet_status": { "B001": false } })).await;
        let (_, v1) = fx.get(&format!("/api/v1/lockers/{locker_id}"), Auth::Bearer(&token)).await;
        assert_eq!(v1["data"]["door_state"], "open", "{v1}");
        fx.post("/api/devices/status/", Auth::Key(&key), json!({ "cabinet_status": { "B001": true } })).await;
        let rental = fx.db.store.get_rental(rental.id).await.unwrap();
        assert_eq!(rental.state, locker_core::domain::RentalState::Active);
        let (_, mine) = fx.get("/api/v1/sessions/my-sessions", Auth::Bearer(&token)).await;
        assert_eq!(mine["data"]["sessions"][0]["status"], "active", "{mine}");
        assert_eq!(fx.get(&format!("/api/orders/{id}/"), Auth::Bearer(&token)).await.1["data"]["status"], "in_use");

        // The whole life is in the shared, hash-chained transaction log.
        let log = fx
            .db
            .store
            .list_log(
                &locker_core::ports::TxLogFilter { rental_id: Some(rental.id), ..Default::default() },
                locker_core::ports::Page::default(),
            )
            .await
            .unwrap();
        let actions: Vec<String> = log.items.iter().map(|e| e.action.to_string()).collect();
        assert_eq!(actions, ["reserve", "pay", "open_by_code", "sensor_trigger"]);
        assert!(fx.db.store.verify_log_chain().await.unwrap().is_intact());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_polls_receive_each_unlock_exactly_once() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let token = fx.register("testuser", "13900139000").await;
        fx.set_balance("13900139000", 100_000).await;
        let mut opened = Vec::new();
        for cabinet in ["A001", "A002", "B001", "C001"] {
            let id = fx.order(&token, cabinet, 1.0).await;
            let code = fx.pay(&token, id).await;
            ok(&fx.open(&token, cabinet, &code).await, 200, "开柜成功");
            opened.push(cabinet.to_owned());
        }
        // 40 polls at once for 4 commands: each command exactly once.
        let polls = join_all((0..40).map(|_| fx.poll())).await;
        let mut delivered: Vec<String> = polls.into_iter().flatten().collect();
        delivered.sort();
        assert_eq!(delivered, opened, "{} on {}", delivered.len(), fx.db.name);
        assert_eq!(fx.poll().await, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_payments_by_one_user_never_overdraw() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        // Wired to the fixture's device: a cabinet with none is not sold (issue 17).
        let device = fx.db.store.get_controller_by_name("ESP32_001").await.unwrap();
        let lockers: Vec<NewLocker> = (0..100)
            .map(|i| NewLocker {
                code: format!("P{i:03}"),
                station: STATION.into(),
                location: "站台".into(),
                size: LockerSize::Small,
                controller_id: Some(device.id),
                relay_channel: 1,
                sensor_channel: 1,
                price_per_hour: Money(300),
            })
            .collect();
        fx.db.store.create_lockers(lockers, fx.clock.now()).await.unwrap();
        let token = fx.register("testuser", "13900139000").await;
        let mut orders = Vec::new();
        for i in 0..100 {
            orders.push(fx.order(&token, &format!("P{i:03}"), 1.0).await);
        }
        // Enough for 37 of the 100 payments (3.00 each), plus 1.00 left over.
        let initial = 37 * 300 + 100;
        fx.set_balance("13900139000", initial).await;
        let pay = json!({ "payment_method": "balance" });
        // Every order once, and the first ten a second time, all at once.
        let attempts = orders.iter().chain(orders.iter().take(10));
        let answers = join_all(attempts.map(|id| {
            let (path, body, token) = (format!("/api/orders/{id}/pay/"), pay.clone(), token.as_str());
            let fx = &fx;
            async move { fx.post(&path, Auth::Bearer(token), body).await }
        }))
        .await;
        let mut paid = 0;
        for got in &answers {
            assert_ne!(got.0, 500, "{}", got.1);
            if got.0 == 200 {
                ok(got, 200, "支付成功");
                paid += 1;
            } else {
                let message = got.1["message"].as_str().unwrap();
                assert!(message == "余额不足" || message == "订单已支付或已取消", "{}", got.1);
                fail(got, 400, message);
            }
        }
        assert_eq!(paid, 37, "on {}", fx.db.name);
        let left = fx.balance("13900139000").await;
        assert_eq!(left, 100, "never negative, never lost");
        let from = fx.clock.now() - chrono::TimeDelta::days(1);
        let payments = fx.db.store.list_payments(from, fx.clock.now() + chrono::TimeDelta::days(1)).await.unwrap();
        assert_eq!(payments.len(), 37);
        assert_eq!(payments.iter().map(|p| p.amount.minor()).sum::<i64>() + left, initial);
        let mut rentals: Vec<_> = payments.iter().map(|p| p.rental_id).collect();
        rentals.sort();
        rentals.dedup();
        assert_eq!(rentals.len(), 37, "no order paid twice");
        let (_, mine) = fx.get("/api/orders/my/?status=paid", Auth::Bearer(&token)).await;
        assert_eq!(mine["data"].as_array().unwrap().len(), 37);
    }
}

#[tokio::test]
async fn cabinets_on_a_uart_controller_open_through_the_service() {
    for db in backends().await {
        let person = locker_core::controller::sim::Person {
            open_after: std::time::Duration::from_millis(30),
            hold_open: std::time::Duration::from_millis(60),
        };
        let config = locker_core::controller::sim::SimConfig {
            person: Some(person),
            ..locker_core::controller::sim::SimConfig::new(2)
        };
        let (driver, _device) = locker_core::controller::sim::spawn_controller(config).unwrap();
        let fx = Fx::with_uart(db, std::sync::Arc::new(driver)).await;
        let token = fx.register("testuser", "13900139000").await;
        fx.set_balance("13900139000", 5_000).await;
        let id = fx.order(&token, "S002", 1.0).await;
        let code = fx.pay(&token, id).await;
        ok(&fx.open(&token, "S002", &code).await, 200, "开柜成功");
        // The simulated person opens the door and closes it: the order is in use (Active).
        let rental = wait_for_state(&fx, id, locker_core::domain::RentalState::Active).await;
        assert_eq!(fx.poll().await, None, "no HTTP command for a UART controller");
        ok(&fx.open(&token, "S002", &code).await, 200, "开柜成功");
        assert_eq!(fx.db.store.get_rental(rental).await.unwrap().state, locker_core::domain::RentalState::Completed);
        assert_eq!(fx.get("/api/cabinets/S002/status/", Auth::None).await.1["data"]["status"], "available");
    }
}

/// Waits (up to 5 s) until order `id` is in `state`; returns its rental id.
async fn wait_for_state(fx: &Fx, id: i64, state: locker_core::domain::RentalState) -> locker_core::domain::Id {
    let rental = fx.db.store.order_by_number(id).await.unwrap().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let now = fx.db.store.get_rental(rental).await.unwrap().state;
        if now == state {
            return rental;
        }
        assert!(std::time::Instant::now() < deadline, "order {id} stuck in {now}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Bodies that are wrong in every way a client can be wrong.
fn bad_bodies() -> Vec<(Option<&'static str>, Vec<u8>)> {
    vec![
        (None, Vec::new()),
        (Some("application/json"), b"{not json".to_vec()),
        (Some("application/json"), b"[1, 2]".to_vec()),
        (Some("application/json"), b"null".to_vec()),
        (Some("text/plain"), b"{}".to_vec()),
        (Some("application/json"), br#"{"cabinet_id": 5, "duration_hours": [], "phone": {}, "password": 1, "refresh": 2, "battery_level": "x", "cabinet_status": 3, "pickup_code": 4, "payment_method": 5, "additional_hours": {}, "device_id": 6, "status": 7, "is_active": 8, "price_per_hour": false, "username": 9}"#.to_vec()),
        (Some("application/json"), vec![b'"'; 70 * 1024]),
        (Some("application/json"), vec![0xff, 0xfe, 0x00]),
    ]
}

#[tokio::test]
async fn bad_input_on_every_route_gets_the_seed_envelope_never_a_500() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let user = fx.register("testuser", "13900139000").await;
        let key = fx.device_key.clone();
        let credentials: Vec<(&str, Auth<'_>)> = vec![
            ("none", Auth::None),
            ("user", Auth::Bearer(&user)),
            ("admin", Auth::Bearer(&fx.admin)),
            ("device", Auth::Key(&key)),
            ("junk", Auth::Bearer("x.y.z")),
        ];
        let params = ["A001", "1", "ESP32_001", "%FF%FE", "99999999999999999999", "-1", "%20", "..%2F..%2Fetc", "0"];
        for route in routes() {
            let (method, path) = (route.op.method.as_str(), route.op.path);
            let paths: Vec<String> = if path.contains('{') {
                params
                    .iter()
                    .map(|p| {
                        let start = path.find('{').unwrap();
                        let end = path.find('}').unwrap();
                        format!("{}{p}{}", &path[..start], &path[end + 1..])
                    })
                    .collect()
            } else {
                vec![
                    path.to_owned(),
                    format!("{path}?days=-5&page=x&page_size=0&status=%FF&size=&from=2026-13-45&available=2"),
                ]
            };
            for p in &paths {
                for (who, auth) in &credentials {
                    for (content_type, body) in bad_bodies() {
                        let mut req = fx.http.request(method.parse().unwrap(), format!("{}{p}", fx.base));
                        req = match auth {
                            Auth::None => req,
                            Auth::Bearer(t) => req.bearer_auth(t),
                            Auth::Key(k) => req.header("x-api-key", *k),
                        };
                        if let Some(ct) = content_type {
                            req = req.header("content-type", ct);
                        }
                        let res = req.body(body).send().await.unwrap();
                        let got = seeds_support::json_of(res).await;
                        let ctx = format!("{method} {p} as {who}: {}", got.1);
                        assert!(got.0 < 500, "{ctx}");
                        assert!(got.1["message"].as_str().is_some_and(|m| !m.is_empty()), "{ctx}");
                        if got.0 >= 400 {
                            assert_eq!(keys(&got.1), ["code", "data", "message"], "{ctx}");
                            assert_eq!(got.1["code"], got.0, "{ctx}");
                        } else {
                            assert_eq!(got.1["code"], 0, "{ctx}");
                        }
                    }
                }
            }
            // A method the path does not take: 405 in the envelope.
            let other = if method == "GET" { "DELETE" } else { "PATCH" };
            let concrete = path
                .replace("{id}", "1")
                .replace("{cabinet_id}", "A001")
                .replace("{order_id}", "1")
                .replace("{device_id}", "ESP32_001");
            fail(&fx.call(other, &concrete, Auth::None, None).await, 405, "请求方法不允许");
        }
    }
}

#[tokio::test]
async fn paths_without_the_trailing_slash_redirect_keeping_method_and_body() {
    let db = backends().await.into_iter().next().unwrap();
    let fx = Fx::new(db).await;
    let raw = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (method, path, location) in [
        ("GET", "/api/cabinets?station=x&size=small", "/api/cabinets/?station=x&size=small"),
        ("POST", "/api/auth/login", "/api/auth/login/"),
        ("GET", "/api/cabinets/A001/status", "/api/cabinets/A001/status/"),
        ("POST", "/api/orders/7/pay", "/api/orders/7/pay/"),
    ] {
        let res = raw.request(method.parse().unwrap(), format!("{}{path}", fx.base)).send().await.unwrap();
        assert_eq!(res.status(), 308, "{method} {path}");
        assert_eq!(res.headers()["location"], location, "{method} {path}");
    }
    // A client that follows redirects (requests, axios and reqwest do) logs in unchanged:
    // the 308 keeps the POST and its body.
    let body = json!({ "phone": "13800000000", "password": "admin123456" });
    let got = fx.post("/api/auth/login", Auth::None, body).await;
    assert!(ok(&got, 200, "登录成功")["access"].is_string(), "{got:?}");
    // Other surfaces' unknown paths are not redirected.
    for path in ["/api/v1/nothing", "/api/nothing"] {
        let res = raw.get(format!("{}{path}", fx.base)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}
