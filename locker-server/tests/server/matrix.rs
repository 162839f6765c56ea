//! Tests generated from the route table: the authorization matrix, bad input on every
//! route, and the OpenAPI document. A new route is covered as soon as it is in the table.

use crate::support;

use locker_server::catalog::{BodyKind, Operation as Route, Surface};
use locker_server::http::guard::Access;
use serde_json::{Value, json};
use support::{Answer, Backend, Options, TestServer, answer, start, start_with};

/// Every `/api/v1` route (with the server's own, `/health` and the document).
fn table() -> Vec<Route> {
    locker_server::operations().into_iter().filter(|o| o.surface == Surface::V1).collect()
}

/// The route's path with every `{param}` replaced by `value`.
fn fill(r: &Route, value: &str) -> String {
    r.path.split('/').map(|seg| if seg.starts_with('{') { value } else { seg }).collect::<Vec<_>>().join("/")
}

fn has_params(r: &Route) -> bool {
    r.path.contains('{')
}

async fn send(
    s: &TestServer,
    r: &Route,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> Answer {
    let mut req = s.client.request(r.method.clone(), s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    if let Some((ct, bytes)) = body {
        req = req.header("content-type", ct).body(bytes);
    }
    answer(req.send().await.unwrap()).await
}

fn is_ws(r: &Route) -> bool {
    r.path == "/ws"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_enforces_its_access_level() {
    for b in support::backends() {
        let s = start(b).await;
        let admin = s.admin().await;
        let customer = s.customer("m@example.com").await;
        let any_id = uuid::Uuid::now_v7().to_string();
        let mut checked = 0;
        for r in table() {
            if is_ws(&r) {
                continue;
            }
            let path = fill(&r, &any_id);
            let json_body = Some(("application/json", b"{}".to_vec()));
            match r.access {
                Access::Admin => {
                    let a = send(&s, &r, &path, None, None, json_body.clone()).await;
                    assert_eq!((a.status, a.code()), (401, "TOKEN_INVALID"), "{r:?} anonymous: {:?}", a.body);
                    let a = send(&s, &r, &path, Some(&customer.access), None, json_body.clone()).await;
                    assert_eq!((a.status, a.code()), (403, "FORBIDDEN"), "{r:?} as customer: {:?}", a.body);
                    assert_eq!(a.body["success"], false);
                    let a = send(&s, &r, &path, Some(&admin.access), None, json_body.clone()).await;
                    assert!(a.status != 401 && a.status != 403, "{r:?} refuses an admin: {:?}", a.body);
                }
                Access::Customer => {
                    let a = send(&s, &r, &path, None, None, json_body.clone()).await;
                    assert_eq!((a.status, a.code()), (401, "TOKEN_INVALID"), "{r:?} anonymous: {:?}", a.body);
                    let a = send(&s, &r, &path, Some("not.a.jwt"), None, json_body.clone()).await;
                    assert_eq!((a.status, a.code()), (401, "TOKEN_INVALID"), "{r:?} bad token: {:?}", a.body);
                    // Logging out revokes the token, so it gets a login of its own.
                    let token = if r.path.ends_with("/logout") {
                        s.login("m@example.com", "securePassword123").await.access
                    } else {
                        customer.access.clone()
                    };
                    let a = send(&s, &r, &path, Some(&token), None, json_body.clone()).await;
                    assert!(a.status != 401 && a.status != 403, "{r:?} refuses a customer: {:?}", a.body);
                }
                Access::Controller => {
                    let a = send(&s, &r, &path, None, None, json_body.clone()).await;
                    assert_eq!((a.status, a.code()), (401, "INVALID_CREDENTIALS"), "{r:?} without key: {:?}", a.body);
                    let a = send(&s, &r, &path, None, Some("lk_wrong"), json_body.clone()).await;
                    assert_eq!((a.status, a.code()), (401, "INVALID_CREDENTIALS"), "{r:?} wrong key: {:?}", a.body);
                    let a = send(&s, &r, &path, Some(&admin.access), None, json_body.clone()).await;
                    assert_eq!(a.status, 401, "{r:?}: a user token is not a controller key");
                }
                Access::Public | Access::OptionalUser => {
                    let a = send(&s, &r, &path, None, None, json_body.clone()).await;
                    assert!(
                        a.status != 401 || r.path.contains("auth/") || r.path.contains("qr-tokens/verify"),
                        "{r:?}: {:?}",
                        a.body
                    );
                    assert_ne!(a.status, 403, "{r:?}");
                    if r.access == Access::OptionalUser {
                        let a = send(&s, &r, &path, Some("garbage"), None, json_body.clone()).await;
                        assert_eq!((a.status, a.code()), (401, "TOKEN_INVALID"), "{r:?} bad optional token");
                    }
                }
            }
            checked += 1;
        }
        assert!(checked >= 25, "only {checked} routes checked");
    }
}

fn big_json(size: usize) -> Vec<u8> {
    format!(r#"{{"pad":"{}"}}"#, "x".repeat(size)).into_bytes()
}

fn multipart(parts: &[(&str, Option<&str>, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "XBOUNDARYX";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A caller with the access a route needs.
struct Callers {
    admin: String,
    customer: String,
    key: String,
}

async fn call_as(s: &TestServer, who: &Callers, r: &Route, path: &str, body: Option<(&str, Vec<u8>)>) -> Answer {
    match r.access {
        Access::Admin => send(s, r, path, Some(&who.admin), None, body).await,
        Access::Controller => send(s, r, path, None, Some(&who.key), body).await,
        _ => send(s, r, path, Some(&who.customer), None, body).await,
    }
}

fn assert_4xx(a: &Answer, code: &str, field: Option<&str>, what: &str) {
    assert!((400..500).contains(&a.status), "{what}: status {} {:?}", a.status, a.body);
    assert_eq!(a.body["success"], false, "{what}: {:?}", a.body);
    assert_eq!(a.code(), code, "{what}: {:?}", a.body);
    if let Some(f) = field {
        assert_eq!(a.body["error"]["details"]["field"], f, "{what}: {:?}", a.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_every_route_is_a_precise_4xx() {
    let mut opts = Options::new(Backend::Sqlite);
    opts.customize = Some(Box::new(|st| {
        st.with_body_limits(locker_server::BodyLimits { json: locker_server::JSON_BODY_LIMIT, image: 256 * 1024 })
    }));
    let s = start_with(opts).await;
    let admin = s.admin().await;
    let customer = s.customer("bad@example.com").await;
    let (_, key) = s.controller("ESP32_001").await;
    let who = Callers { admin: admin.access.clone(), customer: customer.access.clone(), key };
    let ids = s.lockers(&admin.access, 1, None).await;
    let counts_before = s.state.store().status().await.unwrap().counts;

    for r in table() {
        if is_ws(&r) {
            continue;
        }
        let valid_id = ids[0].clone();
        let path = fill(&r, &valid_id);
        if has_params(&r) {
            let bad = fill(&r, "not-an-id");
            let a = call_as(&s, &who, &r, &bad, Some(("application/json", b"{}".to_vec()))).await;
            let param = r.path.split('{').nth(1).unwrap().split('}').next().unwrap();
            assert_4xx(&a, "VALIDATION_ERROR", Some(param), &format!("{r:?} invalid id"));
        }
        match r.kind {
            BodyKind::Json => {
                let a = call_as(&s, &who, &r, &path, Some(("application/json", b"{not json".to_vec()))).await;
                assert_4xx(&a, "VALIDATION_ERROR", Some("body"), &format!("{r:?} malformed JSON"));
                // (Logout takes any body and would sign the caller out: those two cases skip it.)
                let logout = r.path == "/api/v1/auth/logout";
                if !logout {
                    let a = call_as(&s, &who, &r, &path, Some(("text/plain", b"{}".to_vec()))).await;
                    assert_4xx(&a, "VALIDATION_ERROR", Some("content-type"), &format!("{r:?} wrong content type"));
                }
                let a = call_as(
                    &s,
                    &who,
                    &r,
                    &path,
                    Some(("application/json", big_json(locker_server::JSON_BODY_LIMIT + 10))),
                )
                .await;
                assert_4xx(&a, "PAYLOAD_TOO_LARGE", None, &format!("{r:?} oversized body"));
                if !logout {
                    let a = call_as(&s, &who, &r, &path, Some(("application/json", b"[1,2]".to_vec()))).await;
                    assert_4xx(&a, "VALIDATION_ERROR", None, &format!("{r:?} wrong JSON type"));
                }
            }
            BodyKind::FaceImage | BodyKind::FaceOrQr => {
                let (ct, body) = multipart(&[("other", None, b"x".to_vec())]);
                let a = call_as(&s, &who, &r, &path, Some((&ct, body))).await;
                assert_4xx(&a, "VALIDATION_ERROR", Some("face_image"), &format!("{r:?} multipart without the file"));
                let (ct, body) = multipart(&[("face_image", Some("f.jpg"), vec![0xAB; 300 * 1024])]);
                let a = call_as(&s, &who, &r, &path, Some((&ct, body))).await;
                assert_4xx(&a, "PAYLOAD_TOO_LARGE", None, &format!("{r:?} oversized image"));
                let a = call_as(&s, &who, &r, &path, Some(("text/plain", b"hello".to_vec()))).await;
                assert_4xx(&a, "VALIDATION_ERROR", Some("content-type"), &format!("{r:?} not multipart"));
                let (ct, body) = multipart(&[("face_image", Some("f.jpg"), Vec::new())]);
                let a = call_as(&s, &who, &r, &path, Some((&ct, body))).await;
                assert!(
                    (400..500).contains(&a.status) && a.body["success"] == false,
                    "{r:?} empty image: {:?}",
                    a.body
                );
            }
            BodyKind::None => {}
        }
    }

    // Field by field: wrong types, missing fields, unknown enum values, bad query values.
    let a = &admin.access;
    let locker = &ids[0];
    let cases: Vec<(&str, String, Option<Value>, &str, &str)> = vec![
        (
            "POST",
            "/api/v1/auth/register".into(),
            Some(json!({ "email": "x@example.com", "full_name": "X" })),
            "VALIDATION_ERROR",
            "password",
        ),
        (
            "POST",
            "/api/v1/auth/register".into(),
            Some(json!({ "email": "nope", "password": "longenough", "full_name": "X" })),
            "VALIDATION_ERROR",
            "email",
        ),
        (
            "POST",
            "/api/v1/auth/register".into(),
            Some(json!({ "email": "y@example.com", "password": "short", "full_name": "X" })),
            "VALIDATION_ERROR",
            "password",
        ),
        (
            "POST",
            "/api/v1/auth/register".into(),
            Some(json!({ "email": "z@example.com", "password": "longenough", "full_name": 5 })),
            "VALIDATION_ERROR",
            "full_name",
        ),
        (
            "POST",
            "/api/v1/auth/register".into(),
            Some(json!({ "email": "w@example.com", "password": "longenough", "full_name": "W", "phone": "abc" })),
            "VALIDATION_ERROR",
            "phone",
        ),
        (
            "POST",
            "/api/v1/auth/login".into(),
            Some(json!({ "email": "x@example.com" })),
            "VALIDATION_ERROR",
            "password",
        ),
        (
            "POST",
            "/api/v1/auth/refresh".into(),
            Some(json!({ "refresh_token": 7 })),
            "VALIDATION_ERROR",
            "refresh_token",
        ),
        ("PUT", "/api/v1/users/me".into(), Some(json!({ "full_name": "" })), "VALIDATION_ERROR", "full_name"),
        ("PUT", "/api/v1/users/me".into(), Some(json!({ "role": "admin" })), "VALIDATION_ERROR", "role"),
        ("GET", "/api/v1/users?role=boss".into(), None, "VALIDATION_ERROR", "role"),
        ("GET", "/api/v1/users?page=0".into(), None, "VALIDATION_ERROR", "page"),
        ("GET", "/api/v1/users?limit=abc".into(), None, "VALIDATION_ERROR", "limit"),
        ("GET", "/api/v1/users?limit=1000".into(), None, "VALIDATION_ERROR", "limit"),
        ("GET", "/api/v1/users?is_active=maybe".into(), None, "VALIDATION_ERROR", "is_active"),
        ("GET", "/api/v1/lockers?status=broken".into(), None, "VALIDATION_ERROR", "status"),
        ("GET", "/api/v1/lockers?size=huge".into(), None, "VALIDATION_ERROR", "size"),
        (
            "POST",
            "/api/v1/lockers".into(),
            Some(json!({ "locker_code": "C1", "location": "x", "size": "huge", "relay_pin": 1, "sensor_pin": 1 })),
            "VALIDATION_ERROR",
            "size",
        ),
        (
            "POST",
            "/api/v1/lockers".into(),
            Some(json!({ "locker_code": "C1", "location": "x", "size": "small", "relay_pin": "x", "sensor_pin": 1 })),
            "VALIDATION_ERROR",
            "relay_pin",
        ),
        (
            "POST",
            "/api/v1/lockers".into(),
            Some(json!({ "locker_code": "C1", "location": "x", "size": "small", "relay_pin": -1, "sensor_pin": 1 })),
            "VALIDATION_ERROR",
            "relay_pin",
        ),
        (
            "POST",
            "/api/v1/lockers".into(),
            Some(json!({ "locker_code": "C1", "size": "small", "relay_pin": 1, "sensor_pin": 1 })),
            "VALIDATION_ERROR",
            "location",
        ),
        (
            "POST",
            "/api/v1/lockers".into(),
            Some(json!({ "locker_code": "C 1", "location": "x", "size": "small", "relay_pin": 1, "sensor_pin": 1 })),
            "VALIDATION_ERROR",
            "locker_code",
        ),
        (
            "POST",
            "/api/v1/lockers".into(),
            Some(json!({ "locker_code": "", "location": "x", "size": "small", "relay_pin": 1, "sensor_pin": 1 })),
            "VALIDATION_ERROR",
            "locker_code",
        ),
        ("PUT", format!("/api/v1/lockers/{locker}"), Some(json!({ "size": "tiny" })), "VALIDATION_ERROR", "size"),
        ("PUT", format!("/api/v1/lockers/{locker}"), Some(json!({ "location": "" })), "VALIDATION_ERROR", "location"),
        (
            "PATCH",
            format!("/api/v1/lockers/{locker}/status"),
            Some(json!({ "status": "broken" })),
            "VALIDATION_ERROR",
            "status",
        ),
        (
            "PATCH",
            format!("/api/v1/lockers/{locker}/status"),
            Some(json!({ "status": "in_use" })),
            "VALIDATION_ERROR",
            "status",
        ),
        (
            "PATCH",
            format!("/api/v1/lockers/{locker}/status"),
            Some(json!({ "reason": "x" })),
            "VALIDATION_ERROR",
            "status",
        ),
        ("POST", "/api/v1/qr-tokens/generate".into(), Some(json!({ "action": "fly" })), "VALIDATION_ERROR", "action"),
        (
            "POST",
            "/api/v1/qr-tokens/generate".into(),
            Some(json!({ "action": "update", "session_id": "nope" })),
            "VALIDATION_ERROR",
            "session_id",
        ),
        ("POST", "/api/v1/qr-tokens/verify".into(), Some(json!({})), "VALIDATION_ERROR", "token"),
        ("GET", "/api/v1/transaction-logs?action_type=dance".into(), None, "VALIDATION_ERROR", "action_type"),
        ("GET", "/api/v1/transaction-logs?auth_method=magic".into(), None, "VALIDATION_ERROR", "auth_method"),
        ("GET", "/api/v1/transaction-logs?from_date=yesterday".into(), None, "VALIDATION_ERROR", "from_date"),
        ("GET", "/api/v1/transaction-logs?locker_id=12".into(), None, "VALIDATION_ERROR", "locker_id"),
        (
            "GET",
            "/api/v1/transaction-logs?from_date=2026-02-01&to_date=2026-01-01".into(),
            None,
            "VALIDATION_ERROR",
            "to_date",
        ),
        ("GET", "/api/v1/security-alerts?severity=extreme".into(), None, "VALIDATION_ERROR", "severity"),
        ("GET", "/api/v1/security-alerts?alert_type=ghost".into(), None, "VALIDATION_ERROR", "alert_type"),
        ("GET", "/api/v1/security-alerts?is_resolved=perhaps".into(), None, "VALIDATION_ERROR", "is_resolved"),
        ("GET", "/api/v1/sessions/my-sessions?status=open".into(), None, "VALIDATION_ERROR", "status"),
        ("GET", "/api/v1/statistics/overview?to_date=soon".into(), None, "VALIDATION_ERROR", "to_date"),
        (
            "GET",
            "/api/v1/statistics/usage/daily?from_date=2020-01-01&to_date=2026-01-01".into(),
            None,
            "VALIDATION_ERROR",
            "from_date",
        ),
        ("GET", "/api/v1/statistics/usage/daily?locker_id=x".into(), None, "VALIDATION_ERROR", "locker_id"),
    ];
    for (method, path, body, code, field) in cases {
        let token = if path.starts_with("/api/v1/users/me")
            || path.contains("my-sessions")
            || path.contains("qr-tokens/generate")
        {
            customer.access.as_str()
        } else {
            a.as_str()
        };
        let ans = s.call(method, &path, Some(token), body.clone()).await;
        assert_4xx(&ans, code, Some(field), &format!("{method} {path} {body:?}"));
    }

    // Nothing was written by any of the refused requests.
    let counts_after = s.state.store().status().await.unwrap().counts;
    assert_eq!(counts_before, counts_after);
    let l = s.get(&format!("/api/v1/lockers/{locker}"), Some(&customer.access)).await;
    assert_eq!(
        (l.body["data"]["status"].as_str(), l.body["data"]["size"].as_str()),
        (Some("available"), Some("medium"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_exactly_the_route_table() {
    let s = start(Backend::Sqlite).await;
    let doc = s.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    let mut in_doc = 0;
    let ops = locker_server::operations();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            in_doc += 1;
            let r = ops
                .iter()
                .find(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method))
                .unwrap_or_else(|| panic!("{method} {path} is documented but not routed"));
            assert_eq!(op["x-access"], serde_json::to_value(r.access).unwrap());
            let secured = !op["security"].as_array().unwrap().is_empty();
            assert_eq!(secured, r.access != Access::Public, "{method} {path}");
        }
    }
    assert_eq!(in_doc, ops.len(), "every routed method is documented");
    // And every documented route answers (not the 404 fallback).
    for r in table() {
        if is_ws(&r) {
            continue;
        }
        let a = send(&s, &r, &fill(&r, &uuid::Uuid::now_v7().to_string()), None, None, None).await;
        assert_ne!(a.code(), "NOT_FOUND", "{r:?} is in the table but not routed");
        assert_ne!(a.status, 405, "{r:?}");
    }
}
