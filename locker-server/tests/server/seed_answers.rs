//! Every seed-001 route answers exactly what the OpenAPI document says (issue 18 item 8):
//! one walk over the surface on a real socket — a customer registers, books, pays, extends,
//! cancels and opens by code; the device beats, polls and reports; the admin creates,
//! updates and reads everything — each success answer held to the schema the document
//! names for its route and status (`schema_check`), on a SQLite file and on PostgreSQL.

use serde_json::{Value, json};

use crate::schema_check::{assert_answer, document};
use crate::seed001_support::{Auth, Fx};
use crate::seeds_support::backends;

/// Calls `method path` (the route's template is `route`) and checks the answer's status and
/// schema; the answer's `data`.
async fn checked(
    fx: &Fx,
    doc: &Value,
    (method, route): (&str, &str),
    path: &str,
    auth: Auth<'_>,
    body: Option<Value>,
    status: u16,
) -> Value {
    let (got, answer) = fx.call(method, path, auth, body.as_ref()).await;
    assert_eq!(got, status, "{method} {path}: {answer}");
    assert_answer(doc, method, route, status, &answer);
    answer.get("data").cloned().unwrap_or(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seed_001_answer_matches_its_schema() {
    let doc = document();
    for db in backends().await {
        let fx = Fx::new(db).await;
        let admin = Auth::Bearer(&fx.admin);
        let device = Auth::Key(&fx.device_key);

        // A customer.
        let reg = json!({ "username": "walker", "phone": "13911112222", "password": "test123456",
            "password2": "test123456", "email": "walker@example.com" });
        let data =
            checked(&fx, &doc, ("POST", "/api/auth/register/"), "/api/auth/register/", Auth::None, Some(reg), 201)
                .await;
        let number = data["user"]["id"].as_i64().unwrap();
        let login = json!({ "phone": "13911112222", "password": "test123456" });
        let data =
            checked(&fx, &doc, ("POST", "/api/auth/login/"), "/api/auth/login/", Auth::None, Some(login), 200).await;
        let token = data["access"].as_str().unwrap().to_owned();
        let me = Auth::Bearer(&token);
        checked(&fx, &doc, ("GET", "/api/auth/me/"), "/api/auth/me/", me, None, 200).await;
        checked(&fx, &doc, ("GET", "/api/auth/{id}/"), &format!("/api/auth/{number}/"), me, None, 200).await;
        let pair = json!({ "username": "walker", "password": "test123456" });
        let pair =
            checked(&fx, &doc, ("POST", "/api/auth/token/"), "/api/auth/token/", Auth::None, Some(pair), 200).await;
        let refresh = json!({ "refresh": pair["refresh"] });
        checked(
            &fx,
            &doc,
            ("POST", "/api/auth/token/refresh/"),
            "/api/auth/token/refresh/",
            Auth::None,
            Some(refresh),
            200,
        )
        .await;

        // Cabinets, read by anyone; one created by the admin.
        checked(&fx, &doc, ("GET", "/api/cabinets/"), "/api/cabinets/?size=small", Auth::None, None, 200).await;
        checked(&fx, &doc, ("GET", "/api/cabinets/available/"), "/api/cabinets/available/", Auth::None, None, 200)
            .await;
        checked(&fx, &doc, ("GET", "/api/cabinets/{cabinet_id}/"), "/api/cabinets/A001/", Auth::None, None, 200).await;
        checked(
            &fx,
            &doc,
            ("GET", "/api/cabinets/{cabinet_id}/status/"),
            "/api/cabinets/A001/status/",
            Auth::None,
            None,
            200,
        )
        .await;
        let new = json!({ "cabinet_id": "D001", "size": "large", "location": "出站口", "station": "火车站",
            "price_per_hour": "5.00", "device_id": "ESP32_001", "channel": 9 });
        checked(&fx, &doc, ("POST", "/api/cabinets/create/"), "/api/cabinets/create/", admin, Some(new), 201).await;

        // Orders: book, pay, read, extend; a second one cancelled.
        fx.set_balance("13911112222", 10_000).await;
        let book = json!({ "cabinet_id": "A001", "duration_hours": 2 });
        let order =
            checked(&fx, &doc, ("POST", "/api/orders/create/"), "/api/orders/create/", me, Some(book), 201).await;
        let id = order["id"].as_i64().unwrap();
        let detail = ("GET", "/api/orders/{order_id}/");
        checked(&fx, &doc, detail, &format!("/api/orders/{id}/"), me, None, 200).await;
        let pay = json!({ "payment_method": "balance" });
        let paid = checked(
            &fx,
            &doc,
            ("POST", "/api/orders/{order_id}/pay/"),
            &format!("/api/orders/{id}/pay/"),
            me,
            Some(pay),
            200,
        )
        .await;
        let code = paid["pickup_code"].as_str().unwrap().to_owned();
        checked(&fx, &doc, detail, &format!("/api/orders/{id}/"), me, None, 200).await;
        let more = json!({ "additional_hours": 1 });
        let extend = ("POST", "/api/orders/{order_id}/extend/");
        checked(&fx, &doc, extend, &format!("/api/orders/{id}/extend/"), me, Some(more), 200).await;
        let book = json!({ "cabinet_id": "A002", "duration_hours": 0.5 });
        let other =
            checked(&fx, &doc, ("POST", "/api/orders/create/"), "/api/orders/create/", me, Some(book), 201).await;
        let other = other["id"].as_i64().unwrap();
        let cancel = ("POST", "/api/orders/{order_id}/cancel/");
        checked(&fx, &doc, cancel, &format!("/api/orders/{other}/cancel/"), me, None, 200).await;
        checked(&fx, &doc, ("GET", "/api/orders/my/"), "/api/orders/my/", me, None, 200).await;

        // The device: a beat, an empty poll, the opening by code, the poll that takes it.
        let poll = ("GET", "/api/devices/{device_id}/open/");
        let beat = json!({ "battery_level": 15 });
        checked(&fx, &doc, ("POST", "/api/devices/heartbeat/"), "/api/devices/heartbeat/", device, Some(beat), 200)
            .await;
        let none = checked(&fx, &doc, poll, "/api/devices/ESP32_001/open/", device, None, 200).await;
        assert_eq!(none["command"], "none");
        let open = json!({ "cabinet_id": "A001", "pickup_code": code });
        checked(&fx, &doc, ("POST", "/api/devices/open/by-code/"), "/api/devices/open/by-code/", me, Some(open), 200)
            .await;
        let taken = checked(&fx, &doc, poll, "/api/devices/ESP32_001/open/", device, None, 200).await;
        assert_eq!(taken["cabinet_id"], "A001", "{taken}");
        let report = json!({ "cabinet_status": { "A001": true }, "battery_level": 14 });
        checked(&fx, &doc, ("POST", "/api/devices/status/"), "/api/devices/status/", device, Some(report), 200).await;
        let logs = ("GET", "/api/devices/{device_id}/logs/");
        let rows = checked(&fx, &doc, logs, "/api/devices/ESP32_001/logs/", admin, None, 200).await;
        assert!(rows.as_array().is_some_and(|r| r.len() >= 3), "{rows}");

        // The admin.
        let maintenance = json!({ "cabinet_id": "C001", "status": "maintenance", "price_per_hour": "6.00" });
        checked(&fx, &doc, ("PUT", "/api/admin/cabinets/"), "/api/admin/cabinets/", admin, Some(maintenance), 200)
            .await;
        let rewired = json!({ "cabinet_id": "D001", "device_id": "ESP32_001", "channel": 10 });
        let data =
            checked(&fx, &doc, ("PUT", "/api/admin/cabinets/"), "/api/admin/cabinets/", admin, Some(rewired), 200)
                .await;
        assert_eq!(data["device_id"], "ESP32_001", "{data}");
        let named = json!({ "device_id": "ESP32_001", "name": "东侧柜组", "location": "站厅东侧" });
        checked(&fx, &doc, ("PUT", "/api/admin/devices/"), "/api/admin/devices/", admin, Some(named), 200).await;
        checked(&fx, &doc, ("GET", "/api/admin/stats/"), "/api/admin/stats/", admin, None, 200).await;
        let revenue = checked(&fx, &doc, ("GET", "/api/admin/revenue/"), "/api/admin/revenue/", admin, None, 200).await;
        assert!(revenue["total_orders"].as_u64().is_some_and(|n| n >= 1), "{revenue}");
        let orders = checked(&fx, &doc, ("GET", "/api/admin/orders/"), "/api/admin/orders/", admin, None, 200).await;
        assert_eq!(orders["total"], 2, "{orders}");
        checked(&fx, &doc, ("GET", "/api/admin/cabinets/"), "/api/admin/cabinets/", admin, None, 200).await;
        checked(&fx, &doc, ("GET", "/api/admin/devices/"), "/api/admin/devices/", admin, None, 200).await;
        let alerts = checked(&fx, &doc, ("GET", "/api/admin/alerts/"), "/api/admin/alerts/", admin, None, 200).await;
        // Low battery and the cabinet in maintenance, at least.
        assert!(alerts["total"].as_u64().is_some_and(|n| n >= 2), "{alerts}");
    }
}

#[test]
fn a_wrong_answer_is_caught() {
    let doc = document();
    let schema = crate::schema_check::answer_schema(&doc, "get", "/api/cabinets/{cabinet_id}/status/", 200);
    let wrong = json!({ "code": 0, "message": "success", "data": { "id": 1, "cabinet_id": "A001", "size": "small",
        "status": "reserved", "status_display": "空闲", "price_per_hour": "2.00", "is_locked": true } });
    let found = crate::schema_check::violations(&doc, schema, &wrong, "$");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("$.data.status"), "{found:?}");
}
