//! Seed 002 (scanner records, `/api/barcodes`) over a real TCP socket with a real HTTP
//! client, on a SQLite file and, when `LOCKER_TEST_POSTGRES_URL` is set, a fresh PostgreSQL
//! database: each endpoint with the seed's own request shape, the documented response
//! fields, and every documented error in the seed's error body.

use crate::seeds_support;

use std::sync::Arc;

use locker_core::domain::{NewUser, Role};
use locker_core::token::jwt::{AccessTokens, JwtKeys};
use locker_server::seeds::barcodes::{BarcodeState, router};
use seeds_support::{ManualClock, TestDb, backends, client, json_of, keys, serve, service_on, time};
use serde_json::{Value, json};

/// Signs `user` in (a new login, as every surface does) and returns the access token.
async fn sign_in(db: &TestDb, tokens: &AccessTokens, user: &locker_core::domain::User, clock: &ManualClock) -> String {
    use locker_core::ports::Clock as _;
    locker_core::token::revocation::sign_in(db.store.as_ref(), tokens, user, clock.now(), 30 * 24 * 3600)
        .await
        .unwrap()
        .access
}

/// A served seed-002 router and bearer tokens for three accounts.
struct Fixture {
    base: String,
    http: reqwest::Client,
    clock: Arc<ManualClock>,
    tokens: Arc<AccessTokens>,
    alice: String,
    bob: String,
    admin: String,
    admin_user: locker_core::domain::User,
    db: TestDb,
}

impl Fixture {
    async fn new(db: TestDb) -> Self {
        let clock = ManualClock::new();
        let (service, jwt) = service_on(&db.store, clock.clone()).await;
        let tokens = Arc::new(AccessTokens::new(jwt));
        let mut bearer = Vec::new();
        let mut users = Vec::new();
        for (name, role) in [("alice", Role::Customer), ("bob", Role::Customer), ("admin", Role::Admin)] {
            let user = db
                .store
                .create_user(
                    NewUser {
                        email: Some(format!("{name}@example.com")),
                        phone: None,
                        username: Some(name.into()),
                        full_name: name.into(),
                        role,
                        password_hash: String::new(),
                    },
                    clock.now(),
                )
                .await
                .unwrap();
            bearer.push(format!("Bearer {}", sign_in(&db, &tokens, &user, &clock).await));
            users.push(user);
        }
        let admin_user = users.pop().unwrap();
        let state = BarcodeState::new(&service, tokens.clone());
        let base = serve(router(state)).await;
        let [alice, bob, admin] = <[String; 3]>::try_from(bearer).unwrap();
        Fixture { base, http: client(), clock, tokens, alice, bob, admin, admin_user, db }
    }

    async fn post(&self, auth: &str, body: &Value) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/api/barcodes", self.base))
            .header("authorization", auth)
            .json(body)
            .send()
            .await
            .unwrap();
        json_of(res).await
    }

    async fn get(&self, auth: &str, path: &str) -> (u16, Value) {
        let res = self.http.get(format!("{}{path}", self.base)).header("authorization", auth).send().await.unwrap();
        json_of(res).await
    }

    async fn delete(&self, auth: &str, path: &str) -> (u16, Value) {
        let res = self.http.delete(format!("{}{path}", self.base)).header("authorization", auth).send().await.unwrap();
        json_of(res).await
    }
}

use locker_core::ports::Clock as _;

/// The seed's request example with real scanned values.
fn example(data: &str, kind: &str) -> Value {
    json!({
        "barcodeData": data,
        "type": kind,
        "metadata": { "device": "kiosk-scanner-01", "location": "Station A, drop-off" }
    })
}

/// Checks the seed's error body and returns its `error` object.
fn assert_error<'a>(got: &'a (u16, Value), status: u16, code: &str) -> &'a Value {
    let (s, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(keys(body), ["error"], "{body}");
    let err = &body["error"];
    assert_eq!(keys(err), ["code", "details", "message"], "{body}");
    assert_eq!(err["code"], code, "{body}");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(err["details"].is_object(), "{body}");
    err
}

/// Checks a record's shape field by field.
fn assert_record(r: &Value, data: &str, kind: &str, location: Option<&str>) {
    assert_eq!(keys(r), ["barcodeData", "createdAt", "id", "metadata", "type", "updatedAt"], "{r}");
    assert!(r["id"].as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).is_some(), "{r}");
    assert_eq!(r["barcodeData"], data);
    assert_eq!(r["type"], kind);
    assert_eq!(keys(&r["metadata"]), ["device", "location"]);
    assert_eq!(r["metadata"]["device"], "kiosk-scanner-01");
    assert_eq!(r["metadata"]["location"].as_str(), location);
    assert_eq!(time(&r["createdAt"]), time(&r["updatedAt"]));
}

#[tokio::test]
async fn post_get_list_delete_in_the_seed_shape() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let name = f.db.name;

        // POST /api/barcodes: 201 with the record.
        let (status, created) = f.post(&f.alice, &example("9780747532699", "EAN13")).await;
        assert_eq!(status, 201, "{name}: {created}");
        assert_record(&created, "9780747532699", "EAN13", Some("Station A, drop-off"));
        let created_at = time(&created["createdAt"]);
        assert!((created_at - f.clock.now()).num_milliseconds().abs() < 1000, "{name}: {created}");
        let id = created["id"].as_str().unwrap().to_owned();

        // Every symbology, spelling variants answered canonically; location optional.
        for (data, kind, canonical) in [
            ("73513537", "EAN-8", "EAN8"),
            ("036000291452", "UPC-A", "UPCA"),
            ("PARCEL-0042/A01", "CODE128", "CODE128"),
            ("https://example.com/p/42?x=ặ", "QR", "QR"),
        ] {
            f.clock.advance(1);
            let mut body = example(data, kind);
            body["metadata"].as_object_mut().unwrap().remove("location");
            let (status, r) = f.post(&f.bob, &body).await;
            assert_eq!(status, 201, "{name}: {r}");
            assert_record(&r, data, canonical, None);
        }

        // GET /api/barcodes/{id}: the same record.
        let (status, got) = f.get(&f.bob, &format!("/api/barcodes/{id}")).await;
        assert_eq!((status, &got), (200, &created), "{name}");

        // GET /api/barcodes: {items, total}, newest first, limit and offset.
        let (status, all) = f.get(&f.alice, "/api/barcodes").await;
        assert_eq!(status, 200, "{name}: {all}");
        assert_eq!(keys(&all), ["items", "total"]);
        assert_eq!(all["total"], 5);
        let items = all["items"].as_array().unwrap();
        assert_eq!(items.len(), 5);
        assert_eq!(items[4], created, "oldest last");
        assert_eq!(items[0]["barcodeData"], "https://example.com/p/42?x=ặ");
        for item in items {
            assert_eq!(keys(item), ["barcodeData", "createdAt", "id", "metadata", "type", "updatedAt"]);
        }
        let (_, page) = f.get(&f.alice, "/api/barcodes?limit=2&offset=3").await;
        assert_eq!(page["total"], 5, "{name}: total counts every record");
        let page: Vec<&Value> = page["items"].as_array().unwrap().iter().collect();
        assert_eq!(page, [&items[3], &items[4]]);
        let (_, past) = f.get(&f.alice, "/api/barcodes?offset=10").await;
        assert_eq!((past["items"].as_array().unwrap().len(), &past["total"]), (0, &json!(5)));

        // DELETE /api/barcodes/{id}: someone else's is refused, the owner's goes.
        let err = f.delete(&f.bob, &format!("/api/barcodes/{id}")).await;
        assert_error(&err, 403, "PERMISSION_DENIED");
        f.clock.advance(5);
        let (status, gone) = f.delete(&f.alice, &format!("/api/barcodes/{id}")).await;
        assert_eq!(status, 200, "{name}: {gone}");
        assert_eq!(keys(&gone), ["deletedAt", "deletedId"]);
        assert_eq!(gone["deletedId"], id.as_str());
        assert_eq!(time(&gone["deletedAt"]), f.clock.now());
        let err = f.get(&f.alice, &format!("/api/barcodes/{id}")).await;
        let e = assert_error(&err, 404, "NOT_FOUND");
        assert_eq!(e["message"], "Mã vạch không tồn tại");
        assert_eq!(e["details"]["value"], id.as_str());
        assert_error(&f.delete(&f.alice, &format!("/api/barcodes/{id}")).await, 404, "NOT_FOUND");
        // An admin may delete anyone's record.
        let other = items[0]["id"].as_str().unwrap();
        assert_eq!(f.delete(&f.admin, &format!("/api/barcodes/{other}")).await.0, 200, "{name}");
        assert_eq!(f.get(&f.alice, "/api/barcodes").await.1["total"], 3);
    }
}

#[tokio::test]
async fn invalid_payloads_and_duplicates_in_the_seed_error_body() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let name = f.db.name;

        // The seed's 400 example: "abc123" is not barcode data of its type.
        let got = f.post(&f.alice, &example("abc123", "EAN13")).await;
        let e = assert_error(&got, 400, "INVALID_PAYLOAD");
        assert_eq!(e["message"], "Dữ liệu mã vạch không đúng định dạng");
        assert_eq!((&e["details"]["field"], &e["details"]["value"]), (&json!("barcodeData"), &json!("abc123")));

        // The seed's 409 example "1234567890123" has a wrong EAN-13 check digit (8 is right) ...
        let e = f.post(&f.alice, &example("1234567890123", "EAN13")).await;
        let e = assert_error(&e, 400, "INVALID_PAYLOAD");
        assert!(e["details"]["reason"].as_str().unwrap().contains("check digit"), "{e}");
        // ... but is fine Code 128, and a second copy is the seed's 409.
        assert_eq!(f.post(&f.alice, &example("1234567890123", "CODE128")).await.0, 201, "{name}");
        let got = f.post(&f.bob, &example("1234567890123", "CODE128")).await;
        let e = assert_error(&got, 409, "DUPLICATE_BARCODE");
        assert_eq!(e["message"], "Mã vạch đã tồn tại trong hệ thống");
        assert_eq!(e["details"], json!({ "field": "barcodeData", "value": "1234567890123" }));

        // Field by field.
        let cases: Vec<(Value, &str)> = vec![
            (json!({ "type": "QR", "metadata": { "device": "d" } }), "barcodeData"),
            (json!({ "barcodeData": 42, "type": "QR", "metadata": { "device": "d" } }), "barcodeData"),
            (json!({ "barcodeData": "", "type": "QR", "metadata": { "device": "d" } }), "barcodeData"),
            (json!({ "barcodeData": "x", "metadata": { "device": "d" } }), "type"),
            (json!({ "barcodeData": "x", "type": "PDF417", "metadata": { "device": "d" } }), "type"),
            (json!({ "barcodeData": "73513530", "type": "EAN8", "metadata": { "device": "d" } }), "barcodeData"),
            (json!({ "barcodeData": "03600029145", "type": "UPCA", "metadata": { "device": "d" } }), "barcodeData"),
            (json!({ "barcodeData": "tab\there", "type": "CODE128", "metadata": { "device": "d" } }), "barcodeData"),
            (json!({ "barcodeData": "a".repeat(2954), "type": "QR", "metadata": { "device": "d" } }), "barcodeData"),
            (json!({ "barcodeData": "x", "type": "QR" }), "metadata"),
            (json!({ "barcodeData": "x", "type": "QR", "metadata": "kiosk" }), "metadata"),
            (json!({ "barcodeData": "x", "type": "QR", "metadata": {} }), "metadata.device"),
            (
                json!({ "barcodeData": "x", "type": "QR", "metadata": { "device": "d", "location": [] } }),
                "metadata.location",
            ),
            (json!([1, 2]), "body"),
        ];
        for (body, field) in cases {
            let got = f.post(&f.alice, &body).await;
            let e = assert_error(&got, 400, "INVALID_PAYLOAD");
            assert_eq!(e["details"]["field"], field, "{name}: {body}");
        }
        // Not JSON, not declared as JSON, too large.
        let raw = |body: &'static str, ct: &'static str| {
            f.http
                .post(format!("{}/api/barcodes", f.base))
                .header("authorization", &f.alice)
                .header("content-type", ct)
                .body(body)
                .send()
        };
        let got = json_of(raw("{not json", "application/json").await.unwrap()).await;
        assert_eq!(assert_error(&got, 400, "INVALID_PAYLOAD")["details"]["field"], "body");
        let got = json_of(raw("{}", "text/plain").await.unwrap()).await;
        assert_eq!(assert_error(&got, 400, "INVALID_PAYLOAD")["details"]["field"], "Content-Type");
        let big = f
            .http
            .post(format!("{}/api/barcodes", f.base))
            .header("authorization", &f.alice)
            .header("content-type", "application/json")
            .body(format!(r#"{{"barcodeData":"{}","type":"QR"}}"#, "a".repeat(100_000)))
            .send()
            .await
            .unwrap();
        assert_error(&json_of(big).await, 413, "INVALID_PAYLOAD");
        // Bad paging.
        for q in ["limit=0", "limit=5000", "limit=ten", "offset=-1"] {
            let got = f.get(&f.alice, &format!("/api/barcodes?{q}")).await;
            assert_error(&got, 400, "INVALID_PAYLOAD");
        }
        // Unknown or malformed ids.
        for id in [uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()] {
            assert_error(&f.get(&f.alice, &format!("/api/barcodes/{id}")).await, 404, "NOT_FOUND");
            assert_error(&f.delete(&f.admin, &format!("/api/barcodes/{id}")).await, 404, "NOT_FOUND");
        }
        // A method the seed does not define.
        let put = f.http.put(format!("{}/api/barcodes", f.base)).header("authorization", &f.alice).send();
        assert_error(&json_of(put.await.unwrap()).await, 405, "METHOD_NOT_ALLOWED");

        // Nothing half-written: only the one good record exists.
        let (_, all) = f.get(&f.alice, "/api/barcodes").await;
        assert_eq!(all["total"], 1, "{name}: {all}");
    }
}

#[tokio::test]
async fn concurrent_duplicates_store_exactly_one() {
    for db in backends().await {
        let f = Arc::new(Fixture::new(db).await);
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let f = f.clone();
                tokio::spawn(async move { f.post(&f.bob, &example("4006381333931", "EAN13")).await.0 })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        statuses.sort_unstable();
        let mut expected = vec![201];
        expected.extend([409; 11]);
        assert_eq!(statuses, expected, "{}", f.db.name);
        assert_eq!(f.get(&f.bob, "/api/barcodes").await.1["total"], 1);
    }
}

#[tokio::test]
async fn every_route_needs_a_valid_bearer_token() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let id = uuid::Uuid::now_v7();
        let other_keys = AccessTokens::new(JwtKeys::generate_ed25519().unwrap());
        let forged = format!("Bearer {}", other_keys.issue(&id.to_string(), Role::Admin, id, f.clock.now()).unwrap().0);
        for auth in
            [None, Some("Basic YWxpY2U6c2VjcmV0"), Some("Bearer "), Some("Bearer not.a.jwt"), Some(forged.as_str())]
        {
            for (method, path) in [
                (reqwest::Method::GET, "/api/barcodes".to_owned()),
                (reqwest::Method::POST, "/api/barcodes".to_owned()),
                (reqwest::Method::GET, format!("/api/barcodes/{id}")),
                (reqwest::Method::DELETE, format!("/api/barcodes/{id}")),
            ] {
                let mut req = f.http.request(method.clone(), format!("{}{path}", f.base)).json(&example("x", "QR"));
                if let Some(a) = auth {
                    req = req.header("authorization", a);
                }
                let res = req.send().await.unwrap();
                assert_eq!(res.headers().get("www-authenticate").map(|v| v.to_str().unwrap()), Some("Bearer"));
                assert_error(&json_of(res).await, 401, "UNAUTHORIZED");
            }
        }
        // A valid token stops working when it expires.
        assert_eq!(f.get(&f.alice, "/api/barcodes").await.0, 200);
        f.clock.advance(f.tokens.lifetime_secs() + 60);
        let got = f.get(&f.alice, "/api/barcodes").await;
        assert_eq!(assert_error(&got, 401, "UNAUTHORIZED")["details"]["reason"], "token expired");
        // Nothing was written by the refused requests.
        let fresh = format!("Bearer {}", sign_in(&f.db, &f.tokens, &f.admin_user, &f.clock).await);
        assert_eq!(f.get(&fresh, "/api/barcodes").await.1["total"], 0, "{}", f.db.name);
    }
}
