//! `/api/v1/controllers` over real HTTP (issue 17 item 6), on SQLite and on PostgreSQL when
//! `LOCKER_TEST_POSTGRES_URL` is set: register a board (its key shown once and working as
//! `X-API-Key`), rotate it (the old key stops working), list with online state and battery,
//! and seed 000's own example, a locker on `ESP32_002` on a fresh server.

use crate::support::{backends, start};

use serde_json::json;

/// Seed 000's `POST /lockers` example body, on board `ESP32_002`.
fn seed_locker() -> serde_json::Value {
    json!({ "locker_code": "B01", "location": "Tầng 2 - Khu B", "size": "large", "esp32_id": "ESP32_002",
            "relay_pin": 12, "sensor_pin": 14 })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_example_adds_a_locker_on_a_new_board_registered_keyless() {
    for backend in backends() {
        let s = start(backend).await;
        let admin = s.admin().await;
        let a = s.post("/api/v1/lockers", Some(&admin.access), seed_locker()).await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        assert_eq!(a.body["data"]["esp32_id"], "ESP32_002");

        // The board now exists, keyless: a second locker on it reuses it.
        let again = json!({ "locker_code": "B02", "location": "Tầng 2", "size": "small", "esp32_id": " ESP32_002 ",
                            "relay_pin": 13, "sensor_pin": 15 });
        assert_eq!(s.post("/api/v1/lockers", Some(&admin.access), again).await.status, 201);
        let list = s.get("/api/v1/controllers", Some(&admin.access)).await;
        assert_eq!(list.status, 200, "{:?}", list.body);
        let boards = list.body["data"]["controllers"].as_array().unwrap();
        assert_eq!(boards.len(), 1, "{boards:?}");
        assert_eq!(boards[0]["esp32_id"], "ESP32_002");
        assert_eq!(boards[0]["is_online"], false);
        assert!(boards[0].get("api_key").is_none(), "a listing never shows a key");

        // No key works for it until one is issued; then that key does.
        let id = boards[0]["id"].as_str().unwrap().to_owned();
        let issued = s.post(&format!("/api/v1/controllers/{id}/key"), Some(&admin.access), json!({})).await;
        assert_eq!(issued.status, 200, "{:?}", issued.body);
        let key = issued.body["data"]["api_key"].as_str().unwrap().to_owned();
        assert!(key.starts_with("lk_"));
        assert_eq!(device_call(&s, &key).await, 200);
    }
}

/// A controller-only route (`POST /hardware/error`) called with `key`: its status.
async fn device_call(s: &crate::support::TestServer, key: &str) -> u16 {
    let res = s
        .client
        .post(s.url("/api/v1/hardware/error"))
        .header("X-API-Key", key)
        .json(&json!({ "error_type": "tamper", "description": "test" }))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_shows_the_key_once_and_rotation_replaces_it() {
    for backend in backends() {
        let s = start(backend).await;
        let admin = s.admin().await;
        let a = s
            .post("/api/v1/controllers", Some(&admin.access), json!({ "esp32_id": "ESP32_010", "station": "S9" }))
            .await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        let d = &a.body["data"];
        assert_eq!((d["esp32_id"].as_str(), d["station"].as_str()), (Some("ESP32_010"), Some("S9")));
        let first = d["api_key"].as_str().unwrap().to_owned();
        assert_eq!(device_call(&s, &first).await, 200);

        // A listing never shows it again.
        let dump = s.get("/api/v1/controllers", Some(&admin.access)).await;
        assert!(!dump.body.to_string().contains(&first));

        let dup = s.post("/api/v1/controllers", Some(&admin.access), json!({ "esp32_id": "ESP32_010" })).await;
        assert_eq!((dup.status, dup.code()), (409, "ALREADY_EXISTS"), "{:?}", dup.body);
        assert_eq!(dup.body["error"]["details"]["field"], "esp32_id");

        // A heartbeat makes it online with its battery.
        let id = d["id"].as_str().unwrap();
        s.state.service.heartbeat(id.parse().unwrap(), Some(76), Some("1.2.0".into())).await.unwrap();
        let list = s.get("/api/v1/controllers", Some(&admin.access)).await;
        let board = &list.body["data"]["controllers"][0];
        assert_eq!((board["is_online"].as_bool(), board["battery_level"].as_u64()), (Some(true), Some(76)), "{board}");
        assert_eq!(board["firmware_version"], "1.2.0");
        let rotated = s.post(&format!("/api/v1/controllers/{id}/key"), Some(&admin.access), json!({})).await;
        assert_eq!(rotated.status, 200, "{:?}", rotated.body);
        let second = rotated.body["data"]["api_key"].as_str().unwrap().to_owned();
        assert_ne!(first, second);
        assert_eq!(device_call(&s, &first).await, 401, "the old key stops working");
        assert_eq!(device_call(&s, &second).await, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_callers_get_typed_errors() {
    for backend in backends() {
        let s = start(backend).await;
        let admin = s.admin().await;
        let customer = s.customer("c@example.com").await;
        let a = s.post("/api/v1/controllers", Some(&customer.access), json!({ "esp32_id": "X" })).await;
        assert_eq!(a.status, 403, "{:?}", a.body);
        assert_eq!(s.get("/api/v1/controllers", None).await.status, 401);
        for bad in [
            json!({ "esp32_id": "  " }),
            json!({ "esp32_id": "x".repeat(65) }),
            json!({}),
            json!({ "esp32_id": 5 }),
            json!({ "esp32_id": "A", "extra": 1 }),
        ] {
            let a = s.post("/api/v1/controllers", Some(&admin.access), bad.clone()).await;
            assert_eq!((a.status, a.code()), (400, "VALIDATION_ERROR"), "{bad}: {:?}", a.body);
        }
        let unknown = format!("/api/v1/controllers/{}/key", uuid::Uuid::now_v7());
        assert_eq!(s.post(&unknown, Some(&admin.access), json!({})).await.status, 404);
        let not_uuid = s.post("/api/v1/controllers/nope/key", Some(&admin.access), json!({})).await;
        assert_eq!(not_uuid.status, 400, "{:?}", not_uuid.body);
    }
}
