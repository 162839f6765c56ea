//! The seed-000 API over a real TCP socket against the real router, on a real SQLite file
//! (and PostgreSQL when `LOCKER_TEST_POSTGRES_URL` is set).

use crate::support;

use serde_json::json;
use support::{Backend, Options, TestServer, backends, start, start_with};

async fn each_backend<F, Fut>(f: F)
where
    F: Fn(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for b in backends() {
        eprintln!("backend: {b:?}");
        f(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_refresh_rotation_reuse_and_logout() {
    each_backend(|b| async move {
        let s = start(b).await;
        let a = s
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": "User@Example.com", "password": "securePassword123", "full_name": "Nguyễn Văn A", "phone": "0901234567" }),
            )
            .await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        assert_eq!(a.body["success"], true);
        assert_eq!(a.body["message"], "Đăng ký thành công");
        for field in ["id", "email", "full_name", "role", "created_at"] {
            assert!(!a.body["data"][field].is_null(), "missing {field}: {:?}", a.body);
        }
        assert_eq!(a.body["data"]["role"], "customer");
        assert_eq!(a.body["data"]["email"], "user@example.com");

        // The same e-mail again: answered like a new account (no enumeration), nothing
        // written (issue 18 item 9; `brute_force` checks the owner's password still works).
        let again = s
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": "user@example.com", "password": "securePassword123", "full_name": "B" }),
            )
            .await;
        assert_eq!(again.status, 201, "{:?}", again.body);
        assert_ne!(again.body["data"]["id"], a.body["data"]["id"]);

        // Wrong password and unknown user look the same.
        let bad = s.post("/api/v1/auth/login", None, json!({ "email": "user@example.com", "password": "nope-nope" })).await;
        assert_eq!((bad.status, bad.code()), (401, "INVALID_CREDENTIALS"));
        let unknown = s.post("/api/v1/auth/login", None, json!({ "email": "x@example.com", "password": "nope-nope" })).await;
        assert_eq!((unknown.status, unknown.code()), (401, "INVALID_CREDENTIALS"));

        let login = s.post("/api/v1/auth/login", None, json!({ "email": "user@example.com", "password": "securePassword123" })).await;
        assert_eq!(login.status, 200, "{:?}", login.body);
        let d = &login.body["data"];
        assert_eq!(d["expires_in"], 3600);
        assert_eq!(d["user"]["email"], "user@example.com");
        let access = d["access_token"].as_str().unwrap().to_owned();
        let refresh1 = d["refresh_token"].as_str().unwrap().to_owned();

        let me = s.get("/api/v1/users/me", Some(&access)).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.body["data"]["phone"], "0901234567");
        assert_eq!(me.body["data"]["face_registered"], false);
        assert_eq!(me.body["data"]["is_active"], true);

        // Rotation: the new refresh token works, the old one is reuse and revokes the family.
        let r = s.post("/api/v1/auth/refresh", None, json!({ "refresh_token": refresh1 })).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let access2 = r.body["data"]["access_token"].as_str().unwrap().to_owned();
        let refresh2 = r.body["data"]["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(refresh1, refresh2);
        assert_eq!(r.body["data"]["expires_in"], 3600);
        assert_eq!(s.get("/api/v1/users/me", Some(&access2)).await.status, 200);

        let reuse = s.post("/api/v1/auth/refresh", None, json!({ "refresh_token": refresh1 })).await;
        assert_eq!((reuse.status, reuse.code()), (401, "TOKEN_INVALID"));
        assert_eq!(reuse.body["error"]["details"]["reason"], "reused");
        let after = s.post("/api/v1/auth/refresh", None, json!({ "refresh_token": refresh2 })).await;
        assert_eq!((after.status, after.code()), (401, "TOKEN_INVALID"), "the family is revoked: {:?}", after.body);
        let me = s.get("/api/v1/users/me", Some(&access2)).await;
        assert_eq!((me.status, me.code()), (401, "TOKEN_INVALID"), "access tokens of the family are revoked too");

        // Logout revokes the login's family and the access token.
        let l = s.login("user@example.com", "securePassword123").await;
        let out = s.post("/api/v1/auth/logout", Some(&l.access), json!({})).await;
        assert_eq!(out.status, 200, "{:?}", out.body);
        assert_eq!(out.body["message"], "Đăng xuất thành công");
        assert_eq!(s.get("/api/v1/users/me", Some(&l.access)).await.code(), "TOKEN_INVALID");
        let r = s.post("/api/v1/auth/refresh", None, json!({ "refresh_token": l.refresh })).await;
        assert_eq!((r.status, r.code()), (401, "TOKEN_INVALID"));
        assert_eq!(r.body["error"]["details"]["reason"], "revoked");

        // Tampered and garbage tokens.
        let mut t = l.access.clone();
        t.push('x');
        assert_eq!(s.get("/api/v1/users/me", Some(&t)).await.code(), "TOKEN_INVALID");
        assert_eq!(s.get("/api/v1/users/me", Some("abc")).await.code(), "TOKEN_INVALID");
        let res = s.client.get(s.url("/api/v1/users/me")).header("authorization", "Basic abc").send().await.unwrap();
        assert_eq!(support::answer(res).await.code(), "TOKEN_INVALID");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_access_token_is_token_expired() {
    let s = start(Backend::Sqlite).await;
    let l = s.customer("exp@example.com").await;
    let past = chrono::Utc::now() - chrono::TimeDelta::hours(3);
    let (old, _) =
        s.state.access.issue(&l.id, locker_core::domain::Role::Customer, locker_core::domain::new_id(), past).unwrap();
    let a = s.get("/api/v1/users/me", Some(&old)).await;
    assert_eq!((a.status, a.code()), (401, "TOKEN_EXPIRED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_manages_lockers_and_customers_see_them() {
    each_backend(|b| async move {
        let s = start(b).await;
        let admin = s.admin().await;
        let cust = s.customer("c@example.com").await;
        let (_, _key) = s.controller("ESP32_001").await;
        let a = s
            .post(
                "/api/v1/lockers",
                Some(&admin.access),
                json!({ "locker_code": "B01", "location": "Tầng 2 - Khu B", "size": "large", "esp32_id": "ESP32_001", "relay_pin": 12, "sensor_pin": 14 }),
            )
            .await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        assert_eq!(a.body["message"], "Tạo tủ thành công");
        let d = &a.body["data"];
        assert_eq!((d["locker_code"].as_str(), d["status"].as_str(), d["door_state"].as_str()), (Some("B01"), Some("available"), Some("closed")));
        let b01 = d["id"].as_str().unwrap().to_owned();
        let ids = s.lockers(&admin.access, 3, None).await;

        let dup = s
            .post("/api/v1/lockers", Some(&admin.access), json!({ "locker_code": "B01", "location": "x", "size": "small", "relay_pin": 1, "sensor_pin": 1 }))
            .await;
        assert_eq!((dup.status, dup.code()), (409, "ALREADY_EXISTS"));
        assert_eq!(dup.body["error"]["details"]["field"], "locker_code");
        // An unknown board is registered on first reference (controllers_api.rs); a blank name is refused.
        let unknown_ctrl = s
            .post("/api/v1/lockers", Some(&admin.access), json!({ "locker_code": "Z9", "location": "x", "size": "small", "esp32_id": "  ", "relay_pin": 1, "sensor_pin": 1 }))
            .await;
        assert_eq!((unknown_ctrl.status, unknown_ctrl.code()), (400, "VALIDATION_ERROR"));
        assert_eq!(unknown_ctrl.body["error"]["details"]["field"], "esp32_id");

        let list = s.get("/api/v1/lockers", Some(&cust.access)).await;
        assert_eq!(list.status, 200);
        assert_eq!(list.body["data"]["lockers"].as_array().unwrap().len(), 4);
        assert_eq!(list.body["data"]["summary"]["total"], 4);
        assert_eq!(list.body["data"]["summary"]["available"], 4);
        let first = &list.body["data"]["lockers"][0];
        for f in ["id", "locker_code", "location", "size", "status", "door_state", "esp32_id", "relay_pin", "sensor_pin"] {
            assert!(first.get(f).is_some(), "missing {f}");
        }
        let large = s.get("/api/v1/lockers?size=large", Some(&cust.access)).await;
        assert_eq!(large.body["data"]["lockers"].as_array().unwrap().len(), 1);
        assert_eq!(large.body["data"]["lockers"][0]["esp32_id"], "ESP32_001");

        // Update, maintenance, detail.
        let u = s.call("PUT", &format!("/api/v1/lockers/{b01}"), Some(&admin.access), Some(json!({ "location": "Tầng 2 - Khu C", "size": "medium" }))).await;
        assert_eq!(u.status, 200, "{:?}", u.body);
        let st = s
            .call("PATCH", &format!("/api/v1/lockers/{}/status", ids[0]), Some(&admin.access), Some(json!({ "status": "maintenance", "reason": "Khóa bị kẹt" })))
            .await;
        assert_eq!(st.status, 200, "{:?}", st.body);
        assert_eq!(st.body["message"], "Cập nhật trạng thái thành công");
        let m = s.get("/api/v1/lockers?status=maintenance", Some(&cust.access)).await;
        assert_eq!(m.body["data"]["lockers"].as_array().unwrap().len(), 1);
        assert_eq!(m.body["data"]["summary"]["maintenance"], 1);
        let det = s.get(&format!("/api/v1/lockers/{b01}"), Some(&cust.access)).await;
        assert_eq!(det.status, 200);
        assert_eq!(det.body["data"]["location"], "Tầng 2 - Khu C");
        assert_eq!(det.body["data"]["size"], "medium");
        assert!(det.body["data"]["current_session"].is_null());
        assert!(det.body["data"]["created_at"].is_string());

        // The maintenance change is in the log with the admin's name and the locker code.
        let logs = s.get("/api/v1/transaction-logs?action_type=maintenance", Some(&admin.access)).await;
        assert_eq!(logs.status, 200, "{:?}", logs.body);
        let row = &logs.body["data"]["logs"][0];
        assert_eq!(row["locker_code"], "A01");
        assert_eq!(row["user_name"], "Admin");
        assert_eq!(row["details"]["reason"], "Khóa bị kẹt");
        assert_eq!(logs.body["data"]["pagination"]["total"], 1);

        // Delete; then it is gone.
        let del = s.call("DELETE", &format!("/api/v1/lockers/{}", ids[2]), Some(&admin.access), None).await;
        assert_eq!(del.status, 200, "{:?}", del.body);
        let gone = s.get(&format!("/api/v1/lockers/{}", ids[2]), Some(&cust.access)).await;
        assert_eq!((gone.status, gone.code()), (404, "LOCKER_NOT_FOUND"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_profile_and_admin_listing() {
    each_backend(|b| async move {
        let s = start(b).await;
        let admin = s.admin().await;
        let c = s.customer("p@example.com").await;
        let _ = s.customer("q@example.com").await;
        let u = s
            .call(
                "PUT",
                "/api/v1/users/me",
                Some(&c.access),
                Some(json!({ "full_name": "Nguyễn Văn B", "phone": "0909876543" })),
            )
            .await;
        assert_eq!(u.status, 200, "{:?}", u.body);
        assert_eq!(u.body["data"]["full_name"], "Nguyễn Văn B");
        assert_eq!(s.get("/api/v1/users/me", Some(&c.access)).await.body["data"]["phone"], "0909876543");

        let all = s.get("/api/v1/users?limit=2", Some(&admin.access)).await;
        assert_eq!(all.status, 200);
        assert_eq!(all.body["data"]["users"].as_array().unwrap().len(), 2);
        assert_eq!(all.body["data"]["pagination"], json!({ "page": 1, "limit": 2, "total": 3, "total_pages": 2 }));
        let customers = s.get("/api/v1/users?role=customer&is_active=true", Some(&admin.access)).await;
        assert_eq!(customers.body["data"]["pagination"]["total"], 2);
        let admins = s.get("/api/v1/users?role=admin", Some(&admin.access)).await;
        assert_eq!(admins.body["data"]["users"][0]["role"], "admin");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_tokens_generate_and_verify() {
    each_backend(|b| async move {
        let s = start(b).await;
        let c = s.customer("qr@example.com").await;
        let g = s.post("/api/v1/qr-tokens/generate", Some(&c.access), json!({ "action": "check_in" })).await;
        assert_eq!(g.status, 200, "{:?}", g.body);
        let d = &g.body["data"];
        assert!(d["qr_code_base64"].as_str().unwrap().starts_with("data:image/png;base64,iVBORw0KGgo"));
        assert_eq!(d["expires_in_seconds"], 300);
        assert_eq!(d["id"].as_str().unwrap().len(), 24);
        let token = d["token"].as_str().unwrap();
        let v = s.post("/api/v1/qr-tokens/verify", None, json!({ "token": token })).await;
        assert_eq!(v.status, 200, "{:?}", v.body);
        assert_eq!(v.body["data"], json!({ "valid": true, "user_id": c.id, "action": "check_in", "session_id": null, "expires_at": d["expires_at"] }));

        let need = s.post("/api/v1/qr-tokens/generate", Some(&c.access), json!({ "action": "check_out" })).await;
        assert_eq!((need.status, need.body["error"]["details"]["field"].as_str()), (400, Some("session_id")));
        let other = uuid::Uuid::now_v7();
        let nf = s.post("/api/v1/qr-tokens/generate", Some(&c.access), json!({ "action": "update", "session_id": other })).await;
        assert_eq!((nf.status, nf.code()), (404, "SESSION_NOT_FOUND"));

        let bad = s.post("/api/v1/qr-tokens/verify", None, json!({ "token": "AAAA" })).await;
        assert_eq!((bad.status, bad.code()), (401, "TOKEN_INVALID"));
        // An expired token.
        let past = chrono::Utc::now() - chrono::TimeDelta::hours(1);
        let uid: uuid::Uuid = c.id.parse().unwrap();
        let old = s.state.qr().issue(locker_core::token::qr::QrAction::CheckIn, uid, None, past).unwrap();
        let e = s.post("/api/v1/qr-tokens/verify", None, json!({ "token": old.token })).await;
        assert_eq!((e.status, e.code()), (401, "QR_EXPIRED"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_list_summary_and_resolve() {
    each_backend(|b| async move {
        let s = start(b).await;
        let admin = s.admin().await;
        let ids = s.lockers(&admin.access, 1, None).await;
        let locker: uuid::Uuid = ids[0].parse().unwrap();
        use locker_core::domain::{AlertKind, NewAlert};
        let now = chrono::Utc::now();
        let crit = s
            .state
            .store()
            .create_alert(
                NewAlert {
                    locker_id: Some(locker),
                    ..NewAlert::new(AlertKind::UnauthorizedOpen, "Cửa tủ A01 mở không có lệnh unlock")
                },
                now,
            )
            .await
            .unwrap();
        s.state.store().create_alert(NewAlert::new(AlertKind::LockJam, "jam"), now).await.unwrap();
        let l = s.get("/api/v1/security-alerts", Some(&admin.access)).await;
        assert_eq!(l.status, 200, "{:?}", l.body);
        assert_eq!(l.body["data"]["summary"], json!({ "total": 2, "unresolved": 2, "critical_unresolved": 1 }));
        let crit_rows = s.get("/api/v1/security-alerts?severity=critical", Some(&admin.access)).await;
        let row = &crit_rows.body["data"]["alerts"][0];
        assert_eq!(
            (row["locker_code"].as_str(), row["alert_type"].as_str(), row["is_resolved"].as_bool()),
            (Some("A01"), Some("unauthorized_open"), Some(false))
        );
        let path = format!("/api/v1/security-alerts/{}/resolve", crit.id);
        let r = s.call("PATCH", &path, Some(&admin.access), Some(json!({ "resolution_note": "Đã kiểm tra" }))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["data"]["is_resolved"], true);
        assert_eq!(r.body["data"]["resolved_by"], admin.id.as_str());
        let again = s.call("PATCH", &path, Some(&admin.access), Some(json!({ "resolution_note": "x" }))).await;
        assert_eq!((again.status, again.code()), (409, "CONFLICT"));
        let l = s.get("/api/v1/security-alerts?is_resolved=false", Some(&admin.access)).await;
        assert_eq!(l.body["data"]["alerts"].as_array().unwrap().len(), 1);
        assert_eq!(l.body["data"]["summary"]["critical_unresolved"], 0);
        let nf = s
            .call(
                "PATCH",
                &format!("/api/v1/security-alerts/{}/resolve", uuid::Uuid::now_v7()),
                Some(&admin.access),
                Some(json!({ "resolution_note": "x" })),
            )
            .await;
        assert_eq!((nf.status, nf.code()), (404, "ALERT_NOT_FOUND"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_answer_the_seed_shapes() {
    each_backend(|b| async move {
        let s = start(b).await;
        let admin = s.admin().await;
        s.lockers(&admin.access, 2, None).await;
        let o = s.get("/api/v1/statistics/overview?from_date=2026-01-01&to_date=2026-01-18", Some(&admin.access)).await;
        assert_eq!(o.status, 200, "{:?}", o.body);
        assert_eq!(o.body["data"]["period"], json!({ "from": "2026-01-01T00:00:00Z", "to": "2026-01-19T00:00:00Z" }));
        assert_eq!(o.body["data"]["lockers"]["total"], 2);
        assert_eq!(o.body["data"]["sessions"]["total"], 0);
        assert_eq!(o.body["data"]["auth_methods"], json!({ "face_id": 0, "qr_code": 0 }));
        let d =
            s.get("/api/v1/statistics/usage/daily?from_date=2026-01-17&to_date=2026-01-18", Some(&admin.access)).await;
        assert_eq!(d.status, 200, "{:?}", d.body);
        assert_eq!(d.body["data"]["daily_usage"].as_array().unwrap().len(), 2);
        assert_eq!(d.body["data"]["daily_usage"][0]["date"], "2026-01-17");
        let l = s.get("/api/v1/statistics/lockers", Some(&admin.access)).await;
        assert_eq!(l.status, 200);
        assert_eq!(l.body["data"]["locker_stats"].as_array().unwrap().len(), 2);
        assert_eq!(l.body["data"]["locker_stats"][0]["utilization_rate"], 0.0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_history_and_active_are_empty_for_a_new_user() {
    let s = start(Backend::Sqlite).await;
    let c = s.customer("s@example.com").await;
    let a = s.get("/api/v1/sessions/active", Some(&c.access)).await;
    assert_eq!((a.status, &a.body["data"]), (200, &json!({ "session": null })));
    let m = s.get("/api/v1/sessions/my-sessions?status=completed", Some(&c.access)).await;
    assert_eq!(m.status, 200);
    assert_eq!(m.body["data"]["sessions"], json!([]));
    assert_eq!(m.body["data"]["pagination"]["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_headers() {
    let mut opts = Options::new(Backend::Sqlite);
    opts.limits = locker_server::LimitConfig { auth_per_minute: 3, general_per_minute: 4, ..support::GENEROUS };
    let s = start_with(opts).await;
    for i in 0..3 {
        let a =
            s.post("/api/v1/auth/login", None, json!({ "email": "nobody@example.com", "password": "whatever1" })).await;
        assert_eq!(a.status, 401);
        assert_eq!(a.headers["x-ratelimit-limit"], "3");
        assert_eq!(a.headers["x-ratelimit-remaining"], (2 - i).to_string().as_str());
        assert!(a.headers["x-ratelimit-reset"].to_str().unwrap().parse::<i64>().unwrap() > 0);
    }
    let a = s.post("/api/v1/auth/login", None, json!({ "email": "nobody@example.com", "password": "whatever1" })).await;
    assert_eq!((a.status, a.code()), (429, "RATE_LIMITED"));
    assert_eq!(a.headers["retry-after"], "20");
    assert_eq!(a.headers["x-ratelimit-remaining"], "0");
    // The general class has its own budget.
    for _ in 0..4 {
        assert_eq!(s.post("/api/v1/qr-tokens/verify", None, json!({ "token": "x" })).await.status, 401);
    }
    let a = s.post("/api/v1/qr-tokens/verify", None, json!({ "token": "x" })).await;
    assert_eq!(a.status, 429);
    assert!(a.headers.contains_key("retry-after"));
    // Requests get an id, echoed back.
    let res = s.client.get(s.url("/health")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = s.client.get(s.url("/health")).send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"].len(), 36);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_per_account_are_limited() {
    let mut opts = Options::new(Backend::Sqlite);
    opts.limits = locker_server::LimitConfig { login_failures_per_15_min: 2, ..support::GENEROUS };
    let s = start_with(opts).await;
    s.customer("lf@example.com").await;
    let codes: Vec<u16> = futures_codes(&s).await;
    assert_eq!(codes, vec![401, 401, 429]);
}

async fn futures_codes(s: &TestServer) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..3 {
        out.push(
            s.post("/api/v1/auth/login", None, json!({ "email": "lf@example.com", "password": "wrong-password" }))
                .await
                .status,
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_get_the_envelope() {
    let s = start(Backend::Sqlite).await;
    let a = s.get("/api/v1/nope", None).await;
    assert_eq!((a.status, a.code()), (404, "NOT_FOUND"));
    let a = s.call("DELETE", "/api/v1/auth/login", None, None).await;
    assert_eq!((a.status, a.code()), (405, "METHOD_NOT_ALLOWED"));
    let h = s.get("/health", None).await;
    assert_eq!(h.body["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_registration_with_real_photos() {
    let mut opts = Options::new(Backend::Sqlite);
    opts.face = true;
    let s = start_with(opts).await;
    if s.state.service.faces().is_none() {
        return; // models absent and not required: skipped with a message by the harness
    }
    let c = s.customer("face@example.com").await;
    let form = |bytes: Vec<u8>| {
        reqwest::multipart::Form::new().part(
            "face_image",
            reqwest::multipart::Part::bytes(bytes).file_name("face.jpg").mime_str("image/jpeg").unwrap(),
        )
    };
    let url = s.url("/api/v1/users/me/face-registration");
    let res = s
        .client
        .post(&url)
        .bearer_auth(&c.access)
        .multipart(form(support::photo("Al_Sharpton/1.jpg")))
        .send()
        .await
        .unwrap();
    let a = support::answer(res).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["data"]["face_registered"], true);
    assert_eq!(a.body["message"], "Đăng ký khuôn mặt thành công");
    assert_eq!(s.get("/api/v1/users/me", Some(&c.access)).await.body["data"]["face_registered"], true);
    let uid: uuid::Uuid = c.id.parse().unwrap();
    let sealed = s.state.faces().get_user_template(uid).await.unwrap().expect("template stored");
    assert!(!sealed.bytes.is_empty());

    // Not an image: a precise 4xx, and the stored template is untouched.
    let res = s
        .client
        .post(&url)
        .bearer_auth(&c.access)
        .multipart(form(b"definitely not a jpeg".to_vec()))
        .send()
        .await
        .unwrap();
    let a = support::answer(res).await;
    assert_eq!((a.status, a.code()), (400, "IMAGE_UNREADABLE"), "{:?}", a.body);
    assert_eq!(s.state.faces().get_user_template(uid).await.unwrap(), Some(sealed));

    let del = s.call("DELETE", "/api/v1/users/me/face-registration", Some(&c.access), None).await;
    assert_eq!(del.status, 200);
    assert_eq!(del.body["data"]["face_registered"], false);
    assert!(s.state.faces().get_user_template(uid).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_history_filters_by_status_and_shows_the_live_one() {
    use locker_core::alloc::AllocationRequest;
    use locker_core::domain::{AuthMethod, LockerSize, NewTxLog, RentalEvent, RentalKind, RentalState, TxAction};
    use locker_core::ports::NewRental;
    each_backend(|b| async move {
        let s = start(b).await;
        let admin = s.admin().await;
        s.lockers(&admin.access, 2, None).await;
        let c = s.customer("hist@example.com").await;
        let uid: uuid::Uuid = c.id.parse().unwrap();
        let now = chrono::Utc::now();
        let new = |m| NewRental {
            user_id: Some(uid),
            kind: RentalKind::Session,
            state: RentalState::Active,
            auth_method: m,
            half_hours: 0,
            amount: locker_core::domain::Money(0),
            started_at: Some(now),
            paid_until: None,
        };
        let store = &s.state.store();
        let req = AllocationRequest::new(LockerSize::Small);
        let (done, _) = store
            .allocate_and_create_rental(&req, new(AuthMethod::QrCode), NewTxLog::new(TxAction::CheckIn, now), now)
            .await
            .unwrap();
        let (ended, _) = done.apply(RentalEvent::CheckOut, now + chrono::TimeDelta::minutes(90)).unwrap();
        store
            .transition_rental(
                done.id,
                RentalState::Active,
                &ended,
                Some(locker_core::domain::LockerStatus::Available),
                NewTxLog::new(TxAction::CheckOut, now),
            )
            .await
            .unwrap();
        let (live, locker) = store
            .allocate_and_create_rental(&req, new(AuthMethod::FaceId), NewTxLog::new(TxAction::CheckIn, now), now)
            .await
            .unwrap();

        let all = s.get("/api/v1/sessions/my-sessions", Some(&c.access)).await;
        assert_eq!(all.body["data"]["pagination"]["total"], 2, "{:?}", all.body);
        let completed = s.get("/api/v1/sessions/my-sessions?status=completed", Some(&c.access)).await;
        let rows = completed.body["data"]["sessions"].as_array().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["id"], done.id.to_string());
        assert_eq!(rows[0]["status"], "completed");
        assert_eq!(rows[0]["auth_method"], "qr_code");
        assert!(rows[0]["check_out_at"].is_string());
        let active = s.get("/api/v1/sessions/my-sessions?status=active", Some(&c.access)).await;
        assert_eq!(active.body["data"]["sessions"][0]["id"], live.id.to_string());
        assert!(active.body["data"]["sessions"][0]["check_out_at"].is_null());
        let a = s.get("/api/v1/sessions/active", Some(&c.access)).await;
        assert_eq!(a.body["data"]["session"]["id"], live.id.to_string());
        assert_eq!(a.body["data"]["session"]["locker"]["locker_code"], locker.code.as_str());
        // The locker shows its current session; statistics count both sessions.
        let d = s.get(&format!("/api/v1/lockers/{}", locker.id), Some(&c.access)).await;
        assert_eq!(d.body["data"]["current_session"]["id"], live.id.to_string());
        let o = s.get("/api/v1/statistics/overview", Some(&admin.access)).await;
        assert_eq!(o.body["data"]["sessions"], json!({ "total": 2, "completed": 1, "active": 1, "cancelled": 0 }));
        assert_eq!(o.body["data"]["auth_methods"], json!({ "face_id": 1, "qr_code": 1 }));
        assert_eq!(o.body["data"]["usage"]["average_duration_minutes"], 90);
        let logs = s.get(&format!("/api/v1/transaction-logs?user_id={}", admin.id), Some(&admin.access)).await;
        assert_eq!(logs.body["data"]["pagination"]["total"], 0, "the check-ins were not the admin's");
        let logs = s.get("/api/v1/transaction-logs?action_type=check_out", Some(&admin.access)).await;
        assert_eq!(logs.body["data"]["logs"][0]["session_id"], done.id.to_string());
    })
    .await;
}
