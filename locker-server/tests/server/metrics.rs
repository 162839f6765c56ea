//! Prometheus metrics (issue 17 item 5) over real HTTP: the router as `locker serve`
//! composes it (every surface, `/metrics` for admins, the request metrics around all),
//! a QR check-in and a door cycle on the simulated controller, then a scrape. The recorder
//! is process-global and shared by every test of this binary, so the assertions are on
//! deltas between two scrapes, or on labels only this test produces.

use crate::support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use locker_core::controller::sim::{self, Person, SimConfig};
use locker_core::domain::Id;
use locker_server::metrics::{Metrics, admin_route, instrument, open_router};
use serde_json::json;
use support::{Options, TestServer, backends, start_with};

/// A server whose base URL is the router as `locker serve` composes it with `/metrics` on
/// the main listener (the harness's plain router keeps running beside it, unused).
async fn instrumented(backend: support::Backend) -> TestServer {
    instrumented_with(Options::new(backend)).await
}

/// [`instrumented`] with `opts`.
async fn instrumented_with(opts: Options) -> TestServer {
    Metrics::global();
    let mut server = start_with(opts).await;
    let state = server.state.clone();
    let app = instrument(locker_server::app(state.clone()).merge(admin_route(state)));
    server.base = crate::seeds_support::serve(app).await;
    server
}

/// `GET /metrics` on `base` with an optional bearer token: the status and the body text.
async fn scrape(server: &TestServer, base: &str, token: Option<&str>) -> (u16, String) {
    let mut req = server.client.get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    if status == 200 {
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    }
    (status, res.text().await.unwrap())
}

/// The sum of the samples of `name` whose labels include every pair of `labels` (0 when
/// there is none).
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, sample) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            let wanted = labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            (metric == name && wanted).then(|| sample.parse::<f64>().ok()).flatten()
        })
        .sum()
}

/// Whether a sample of `name` with `labels` is rendered at all.
fn has(text: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    let prefix = format!("{name}{{");
    text.lines().any(|l| {
        (l.starts_with(&prefix) || l.starts_with(&format!("{name} ")))
            && labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_and_its_door_cycle_show_in_the_scrape() {
    for backend in backends() {
        let server = instrumented(backend).await;
        let admin = server.admin().await;
        let customer = server.customer("metrics@example.com").await;
        // A controller with a name only this test uses, its heartbeat, a locker on it and
        // the simulated controller with a person who opens and shuts the door.
        let name = format!("METRICS_{}", uuid::Uuid::new_v4().simple());
        let (controller, _key) = server.controller(&name).await;
        let controller: Id = controller.parse().unwrap();
        server.lockers(&admin.access, 1, Some(&name)).await;
        let person = Person { open_after: Duration::from_millis(30), hold_open: Duration::from_millis(80) };
        let (driver, _device) = sim::spawn_controller(SimConfig { person: Some(person), ..SimConfig::new(1) }).unwrap();
        server.state.service.attach_controller(controller, Arc::new(driver));
        server.state.service.heartbeat(controller, Some(90), None).await.unwrap();

        let (status, before) = scrape(&server, &server.base, Some(&admin.access)).await;
        assert_eq!(status, 200, "{before}");
        let checked_in = [("method", "POST"), ("route", "/api/v1/sessions/check-in/qr"), ("status", "200")];
        let sent = [("outcome", "sent")];

        let qr =
            server.post("/api/v1/qr-tokens/generate", Some(&customer.access), json!({ "action": "check_in" })).await;
        assert_eq!(qr.status, 200, "{:?}", qr.body);
        let token = qr.body["data"]["token"].as_str().unwrap();
        let a = server.post("/api/v1/sessions/check-in/qr", None, json!({ "qr_token": token })).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        let session = a.body["data"]["session_id"].as_str().unwrap().to_owned();
        let unknown = server.get(&format!("/api/v1/sessions/{session}/nothing-here"), None).await;
        assert_eq!(unknown.status, 404);

        // The door opens and shuts (simulated person): one more door cycle.
        let deadline = Instant::now() + Duration::from_secs(15);
        let after = loop {
            let (status, text) = scrape(&server, &server.base, Some(&admin.access)).await;
            assert_eq!(status, 200);
            if value(&text, "locker_door_cycles_total", &[]) > value(&before, "locker_door_cycles_total", &[]) {
                break text;
            }
            assert!(Instant::now() < deadline, "no door cycle counted:\n{text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let grew = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
        assert!(grew("locker_http_requests_total", &checked_in) >= 1.0, "{after}");
        assert!(has(&after, "locker_http_request_duration_seconds_bucket", &checked_in), "{after}");
        assert!(grew("locker_unlocks_total", &sent) >= 1.0, "{after}");
        // The route template is the label, never the raw path.
        assert!(!after.contains(&session), "a session id leaked into a label");
        assert!(grew("locker_http_requests_total", &[("route", "unmatched"), ("status", "404")]) >= 1.0);
        // Sampled at the scrape: this test's controller and the database pool.
        assert!(has(&after, "locker_controllers", &[("state", "online")]), "{after}");
        let age = value(&after, "locker_controller_heartbeat_age_seconds", &[("controller", &name)]);
        assert!(
            (0.0..60.0).contains(&age)
                && has(&after, "locker_controller_heartbeat_age_seconds", &[("controller", &name)]),
            "{after}"
        );
        assert!(value(&after, "locker_db_pool_connections", &[("state", "max")]) >= 1.0, "{after}");
        assert!(after.contains("# HELP locker_unlocks_total"), "described");
    }
}

#[tokio::test]
async fn metrics_on_the_main_listener_need_an_admin_and_the_separate_listener_serves_them() {
    for backend in backends() {
        let server = instrumented(backend).await;
        let customer = server.customer("nosy@example.com").await;
        let admin = server.admin().await;

        let (status, body) = scrape(&server, &server.base, None).await;
        assert_eq!(status, 401, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((&body["success"], &body["error"]["code"]), (&json!(false), &json!("TOKEN_INVALID")), "{body}");
        let (status, body) = scrape(&server, &server.base, Some(&customer.access)).await;
        assert_eq!(status, 403, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["code"], "FORBIDDEN", "{body}");
        let (status, body) = scrape(&server, &server.base, Some("not-a-token")).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(scrape(&server, &server.base, Some(&admin.access)).await.0, 200);

        // `--metrics-listen`: its own listener, no authentication, nothing else served.
        let separate = crate::seeds_support::serve(open_router(server.state.service.clone())).await;
        let (status, text) = scrape(&server, &separate, None).await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("locker_http_requests_total"), "{text}");
        let other = server.client.get(format!("{separate}/api/v1/lockers")).send().await.unwrap();
        assert_eq!(other.status(), 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jammed_lock_counts_a_retry_and_a_jam() {
    for backend in backends() {
        let mut opts = Options::new(backend);
        opts.service.door =
            locker_core::domain::DoorConfig { open_window: chrono::TimeDelta::milliseconds(300), ..Default::default() };
        let server = instrumented_with(opts).await;
        let admin = server.admin().await;
        let customer = server.customer("jammed@example.com").await;
        let name = format!("JAM_{}", uuid::Uuid::new_v4().simple());
        let (controller, _key) = server.controller(&name).await;
        server.lockers(&admin.access, 1, Some(&name)).await;
        let mut config = SimConfig::new(1);
        config.jammed.insert(1);
        let (driver, _device) = sim::spawn_controller(config).unwrap();
        server.state.service.attach_controller(controller.parse().unwrap(), Arc::new(driver));
        let (_, before) = scrape(&server, &server.base, Some(&admin.access)).await;

        let qr =
            server.post("/api/v1/qr-tokens/generate", Some(&customer.access), json!({ "action": "check_in" })).await;
        let token = qr.body["data"]["token"].as_str().unwrap();
        let a = server.post("/api/v1/sessions/check-in/qr", None, json!({ "qr_token": token })).await;
        assert_eq!(a.status, 200, "{:?}", a.body);

        // The relay fires, the door stays shut: a second pulse, then the jam.
        let deadline = Instant::now() + Duration::from_secs(10);
        let after = loop {
            let (_, text) = scrape(&server, &server.base, Some(&admin.access)).await;
            if value(&text, "locker_lock_jams_total", &[]) > value(&before, "locker_lock_jams_total", &[]) {
                break text;
            }
            assert!(Instant::now() < deadline, "no jam counted:\n{text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let grew = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
        assert!(grew("locker_unlock_retries_total", &[]) >= 1.0, "{after}");
        assert!(grew("locker_unlocks_total", &[("outcome", "sent")]) >= 2.0, "{after}");
        assert!(grew("locker_alerts_total", &[("kind", "lock_jam")]) >= 1.0, "{after}");
    }
}

/// Face verification at check-out is timed (real models; skipped, saying so, without them).
/// One backend: the figure does not depend on the database, and inference is slow here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_face_check_out_is_timed() {
    if support::face_engine().is_none() {
        eprintln!("skipped: no face models");
        return;
    }
    let mut opts = Options::new(support::Backend::Sqlite);
    opts.face = true;
    let server = instrumented_with(opts).await;
    let admin = server.admin().await;
    let name = format!("FACE_{}", uuid::Uuid::new_v4().simple());
    let (controller, _key) = server.controller(&name).await;
    server.lockers(&admin.access, 1, Some(&name)).await;
    let person = Person { open_after: Duration::from_millis(30), hold_open: Duration::from_millis(80) };
    let (driver, _device) = sim::spawn_controller(SimConfig { person: Some(person), ..SimConfig::new(1) }).unwrap();
    server.state.service.attach_controller(controller.parse().unwrap(), Arc::new(driver));
    let verify = [("mode", "verify")];
    let (_, before) = scrape(&server, &server.base, Some(&admin.access)).await;

    let a = post_face(&server, "/api/v1/sessions/check-in/face", support::photo("Al_Sharpton/1.jpg")).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let session = a.body["data"]["session_id"].as_str().unwrap().to_owned();
    let id: Id = session.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.state.store().get_rental(id).await.unwrap().state != locker_core::domain::RentalState::Active {
        assert!(Instant::now() < deadline, "never active");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out =
        post_face(&server, &format!("/api/v1/sessions/{session}/check-out"), support::photo("Al_Sharpton/2.jpg")).await;
    assert_eq!(out.status, 200, "{:?}", out.body);

    let (_, after) = scrape(&server, &server.base, Some(&admin.access)).await;
    let count = |text: &str| value(text, "locker_face_match_seconds_count", &verify);
    assert!(count(&after) - count(&before) >= 1.0, "{after}");
    assert!(value(&after, "locker_face_match_seconds_sum", &verify) > 0.0, "{after}");
}

/// Posts `photo` as multipart `face_image` to `path`.
async fn post_face(server: &TestServer, path: &str, photo: Vec<u8>) -> support::Answer {
    let part = reqwest::multipart::Part::bytes(photo).file_name("face.jpg").mime_str("image/jpeg").unwrap();
    let form = reqwest::multipart::Form::new().part("face_image", part);
    let res = server.client.post(format!("{}{path}", server.base)).multipart(form).send().await.unwrap();
    support::answer(res).await
}
