//! `GET /api/v1/lockers` on its fast path (issue 14): one read of the locker board,
//! serialised from typed rows. The answer must stay byte for byte what the handler built
//! from `serde_json::Value`s before (sorted keys), with filters, on both backends; optional
//! `page`/`limit` page the filtered list while the summary still counts every locker.

use crate::support;

use locker_core::domain::{Id, LockerStatus, NewController, NewLocker};
use locker_core::ports::{LockerFilter, Page, Store};
use serde_json::{Value, json};
use support::{TestServer, backends, start};

/// Six lockers: four wired to `ESP32_001` (one in maintenance), two with no controller.
async fn cabinet(s: &TestServer) {
    let store = s.state.store().as_ref();
    let now = chrono::Utc::now();
    let c = NewController { name: "ESP32_001".into(), station: "S1".into(), api_key_hash: None };
    let controller = store.create_controller(c, now).await.unwrap();
    let sizes = ["small", "medium", "large", "small", "medium", "large"];
    for (i, size) in sizes.iter().enumerate() {
        let n = i as u16 + 1;
        let new = NewLocker {
            code: format!("L{n:02}"),
            station: "S1".into(),
            location: if n.is_multiple_of(2) { "Tầng 1 - Khu A".into() } else { "Tầng 2 - Khu \"B\"".into() },
            size: size.parse().unwrap(),
            controller_id: (n <= 4).then_some(controller.id),
            relay_channel: n,
            sensor_channel: n + 10,
            price_per_hour: locker_core::domain::Money(100),
        };
        let l = store.create_locker(new, now).await.unwrap();
        if n == 3 {
            let log = locker_core::domain::NewTxLog::status_change(&l, LockerStatus::Maintenance, "test", now);
            store.set_locker_status(l.id, LockerStatus::Maintenance, log, now).await.unwrap();
        }
    }
}

/// The answer as the handler built it before issue 14: a `json!` value per locker and for
/// the summary (so keys in sorted order), inside the `{success, data}` envelope.
async fn answer_built_from_values(store: &dyn Store, filter: &LockerFilter) -> String {
    let all = store.list_lockers(&LockerFilter::default(), Page { page: 1, limit: 1000 }).await.unwrap().items;
    let controllers = store.list_controllers(Page { page: 1, limit: 1000 }).await.unwrap().items;
    let name = |id: Option<Id>| id.and_then(|id| controllers.iter().find(|c| c.id == id)).map(|c| c.name.clone());
    let listed: Vec<Value> = all
        .iter()
        .filter(|l| filter.matches(l))
        .map(|l| {
            json!({
                "id": l.id, "locker_code": l.code, "location": l.location, "size": l.size, "status": l.status,
                "door_state": l.door, "esp32_id": name(l.controller_id), "relay_pin": l.relay_channel,
                "sensor_pin": l.sensor_channel,
            })
        })
        .collect();
    let count = |status: LockerStatus| all.iter().filter(|l| l.status == status).count();
    let data = json!({
        "lockers": listed,
        "summary": {
            "total": all.len(), "available": count(LockerStatus::Available), "in_use": count(LockerStatus::InUse),
            "reserved": count(LockerStatus::Reserved), "maintenance": count(LockerStatus::Maintenance),
        },
    });
    format!("{{\"success\":true,\"data\":{data}}}")
}

async fn raw(s: &TestServer, path: &str, token: &str) -> (u16, String) {
    let res = s.client.get(s.url(path)).bearer_auth(token).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_is_byte_for_byte_the_answer_built_from_json_values() {
    for b in backends() {
        let s = start(b.clone()).await;
        cabinet(&s).await;
        let user = s.customer("list@example.com").await;
        let cases = [
            ("/api/v1/lockers", LockerFilter::default()),
            (
                "/api/v1/lockers?size=medium",
                LockerFilter { size: Some("medium".parse().unwrap()), ..Default::default() },
            ),
            (
                "/api/v1/lockers?status=maintenance",
                LockerFilter { status: Some(LockerStatus::Maintenance), ..Default::default() },
            ),
            (
                "/api/v1/lockers?location=T%E1%BA%A7ng%201%20-%20Khu%20A",
                LockerFilter { location: Some("Tầng 1 - Khu A".into()), ..Default::default() },
            ),
            ("/api/v1/lockers?status=in_use", LockerFilter { status: Some(LockerStatus::InUse), ..Default::default() }),
        ];
        for (path, filter) in cases {
            let (status, body) = raw(&s, path, &user.access).await;
            assert_eq!(status, 200, "{b:?} {path}: {body}");
            assert_eq!(body, answer_built_from_values(s.state.store().as_ref(), &filter).await, "{b:?} {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_and_limit_page_the_filtered_list_and_the_summary_counts_every_locker() {
    for b in backends() {
        let s = start(b.clone()).await;
        cabinet(&s).await;
        let user = s.customer("pages@example.com").await;
        let get = |path: &'static str| s.get(path, Some(&user.access));

        let a = get("/api/v1/lockers?page=2&limit=2").await;
        assert_eq!(a.status, 200, "{b:?}: {:?}", a.body);
        let codes: Vec<&str> =
            a.body["data"]["lockers"].as_array().unwrap().iter().map(|l| l["locker_code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["L03", "L04"], "{b:?}");
        assert_eq!(a.body["data"]["pagination"], json!({ "page": 2, "limit": 2, "total": 6, "total_pages": 3 }));
        assert_eq!(
            a.body["data"]["summary"],
            json!({ "total": 6, "available": 5, "in_use": 0, "reserved": 0, "maintenance": 1 })
        );

        // A filter pages its own matches; the summary still counts every locker.
        let small = get("/api/v1/lockers?size=small&limit=1").await;
        assert_eq!(small.body["data"]["lockers"][0]["locker_code"], "L01", "{b:?}");
        assert_eq!(small.body["data"]["pagination"]["total"], 2, "{b:?}");
        assert_eq!(small.body["data"]["summary"]["total"], 6, "{b:?}");

        // Past the last page: no lockers, the total still right.
        let past = get("/api/v1/lockers?page=9&limit=5").await;
        assert_eq!(past.body["data"]["lockers"], json!([]), "{b:?}");
        assert_eq!(past.body["data"]["pagination"]["total"], 6, "{b:?}");

        for bad in ["/api/v1/lockers?limit=0", "/api/v1/lockers?limit=101", "/api/v1/lockers?page=0"] {
            let e = get(bad).await;
            assert_eq!((e.status, e.code()), (400, "VALIDATION_ERROR"), "{b:?} {bad}: {:?}", e.body);
        }
        // Without paging, no `pagination` (the seed's answer).
        assert!(get("/api/v1/lockers").await.body["data"].get("pagination").is_none());
    }
}
