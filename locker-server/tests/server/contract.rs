//! The OpenAPI document against the live server, by Schemathesis (issue 18 item 8): every
//! operation of every surface, auth routes included, every check, 0 failures.
//!
//! The server is built as `locker serve --demo` builds it (the locker service with the
//! in-process simulator controller `SIM_001`, the seed surfaces merged in) on a temporary
//! SQLite file, with the rate limits raised so the run is not throttled. Schemathesis is
//! the pinned version `scripts/schemathesis-venv` installs in
//! `$CARGO_TARGET_DIR/schemathesis-venv` (or `LOCKER_SCHEMATHESIS_ST`, the path of its `st`);
//! without it the test is skipped with a message, unless `LOCKER_REQUIRE_SCHEMATHESIS=1`
//! (`.ci/run` sets it). Its settings, and every exclusion with its reason, are in
//! `schemathesis.toml` beside this file. `LOCKER_SCHEMATHESIS_EXAMPLES` sets the examples
//! per operation (default [`DEFAULT_EXAMPLES`], sized for CI; 100 for a deep local run).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use locker_core::controller::sim::{self, SimConfig};
use locker_core::domain::{LockerSize, Money, NewLocker, NewUser, Role};
use locker_core::service::{LockerService, ServiceKeys};
use locker_core::token::jwt::AccessTokens;
use locker_core::token::otp::FileOutbox;
use locker_server::seeds::{SeedParts, router};
use locker_server::{AppState, LimitConfig};
use serde_json::{Value, json};

/// Examples per operation in CI: keeps the run within about four minutes on two cores.
const DEFAULT_EXAMPLES: u32 = 10;

/// Limits the run cannot reach.
const RAISED: LimitConfig = LimitConfig {
    auth_per_minute: 1_000_000,
    general_per_minute: 1_000_000,
    hardware_per_second: 1_000_000,
    login_failures_per_15_min: 1_000_000,
    face_per_minute: 1_000_000,
    face_per_session_per_15_min: 1_000_000,
    pickup_tries_per_hour: 1_000_000,
};

/// The `st` command, or `None` (with a message) when Schemathesis is not installed.
fn schemathesis() -> Option<PathBuf> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let st = std::env::var_os("LOCKER_SCHEMATHESIS_ST").map(PathBuf::from).unwrap_or_else(|| {
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), |d| workspace.join(d));
        target.join("schemathesis-venv/bin/st")
    });
    if st.exists() {
        return Some(st);
    }
    assert!(
        std::env::var("LOCKER_REQUIRE_SCHEMATHESIS").as_deref() != Ok("1"),
        "LOCKER_REQUIRE_SCHEMATHESIS=1 but there is no {}: run scripts/schemathesis-venv",
        st.display()
    );
    eprintln!("SKIPPED: no Schemathesis at {} (run scripts/schemathesis-venv)", st.display());
    None
}

/// The live server and the credentials the run uses.
struct Live {
    base: String,
    admin: String,
    /// A second login of a customer, for `POST /api/v1/auth/logout` (which ends it).
    leaving: String,
    device_key: String,
    _db: locker_core::testing::TestDb,
}

async fn json_post(base: &str, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new().post(format!("{base}{path}")).json(&body).send().await.unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// The server as `locker serve --demo` builds it, on a fresh SQLite file.
async fn live(outbox: PathBuf) -> Live {
    let db = locker_core::testing::sqlite();
    let store = locker_core::store::open(&db.url).await.unwrap();
    let keys = ServiceKeys::generate().unwrap();
    let (jwt, otp_pepper, pickup_pepper) = (keys.jwt.clone(), keys.otp_pepper.clone(), keys.pickup_pepper.clone());
    let (driver, _device) = sim::spawn_controller(SimConfig::new(8)).unwrap();
    let mut builder = LockerService::builder_on(store.clone()).keys(keys).fresh_controller("SIM_001", Arc::new(driver));
    if let Some(engine) = crate::support::face_engine() {
        builder = builder.faces(engine);
    }
    let opened = builder.open().await.unwrap();
    let service = opened.service;
    let controller = &opened.controllers[0];
    tokio::spawn(service.clone().run_timers());
    let now = chrono::Utc::now();
    let lockers = (1..=8u16).map(|ch| NewLocker {
        code: format!("A{ch:02}"),
        station: "main".into(),
        location: "Tầng 1 - Khu A".into(),
        size: [LockerSize::Small, LockerSize::Medium, LockerSize::Large][usize::from(ch % 3)],
        controller_id: Some(controller.id),
        relay_channel: ch,
        sensor_channel: ch,
        price_per_hour: Money(200),
    });
    store.create_lockers(lockers.collect(), now).await.unwrap();
    let device_key = locker_core::token::apikey::rotate(store.as_ref(), controller.id).await.unwrap();
    let passwords = service.passwords();
    let admin = NewUser {
        email: Some("admin@locker.local".into()),
        phone: Some("0900000000".into()),
        username: Some("admin".into()),
        full_name: "Admin".into(),
        role: Role::Admin,
        password_hash: passwords.hash("adminPassword123").unwrap(),
    };
    store.create_user(admin, now).await.unwrap();

    let state = AppState::new(service.clone(), AccessTokens::new(jwt.clone())).with_limits(RAISED);
    let parts = SeedParts {
        service: service.clone(),
        jwt: jwt.clone(),
        otp_pepper,
        pickup_pepper,
        notifier: Arc::new(FileOutbox::new(outbox)),
        credentials: state.credentials.clone(),
    };
    let seeds = router(parts).await.unwrap();
    let app = locker_server::app(state).merge(seeds);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });

    let login = |email: &'static str, password: &'static str| {
        let base = base.clone();
        async move {
            let body = json_post(&base, "/api/v1/auth/login", json!({ "email": email, "password": password })).await;
            body["data"]["access_token"].as_str().unwrap().to_owned()
        }
    };
    let admin = login("admin@locker.local", "adminPassword123").await;
    let customer = json!({ "email": "leaving@example.com", "password": "securePassword123", "full_name": "Leaving" });
    json_post(&base, "/api/v1/auth/register", customer).await;
    let leaving = login("leaving@example.com", "securePassword123").await;
    Live { base, admin, leaving, device_key, _db: db }
}

/// Every field of every operation (nested ones too).
fn all_fields(op: &locker_server::catalog::Operation) -> Vec<locker_server::catalog::Field> {
    use locker_server::catalog::FieldType;
    let mut out: Vec<_> = op.query.iter().chain(&op.headers).chain(&op.body).copied().collect();
    let mut i = 0;
    while i < out.len() {
        if let FieldType::Fields(inner) = out[i].ty {
            out.extend_from_slice(inner);
        }
        i += 1;
    }
    out
}

#[test]
fn every_catalogue_pattern_compiles_and_every_answer_is_a_component() {
    let doc = locker_server::openapi::build(&locker_server::operations());
    for op in locker_server::operations() {
        for field in all_fields(&op) {
            if let Some(pattern) = field.pattern {
                regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{} {} {}: {e}", op.method, op.path, field.name));
            }
        }
        if !op.answer.is_empty() {
            assert!(
                doc["components"]["schemas"][op.answer].is_object(),
                "{} {}: no schema {}",
                op.method,
                op.path,
                op.answer
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure_on_any_operation() {
    let Some(st) = schemathesis() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = live(dir.path().join("outbox.jsonl")).await;
    let examples =
        std::env::var("LOCKER_SCHEMATHESIS_EXAMPLES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_EXAMPLES);
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/server/schemathesis.toml");
    let report = dir.path().join("report");
    let mut command = std::process::Command::new(&st);
    command
        .arg("--no-color")
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{}/api/v1/openapi.json", server.base)])
        .args(["--max-examples", &examples.to_string(), "--seed", "18"])
        .arg("--report-dir")
        .arg(&report)
        .env("LOCKER_ST_ADMIN_TOKEN", &server.admin)
        .env("LOCKER_ST_LEAVING_TOKEN", &server.leaving)
        .env("LOCKER_ST_DEVICE_KEY", &server.device_key)
        .current_dir(dir.path());
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = stdout.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    eprintln!("schemathesis, {examples} examples per operation, {:.0} s:\n{}", took.as_secs_f64(), summary.join("\n"));
    assert!(
        out.status.success(),
        "schemathesis found failures ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Status and JSON body (`Value::Null` when the body is not JSON) and its content type.
async fn send(request: reqwest::RequestBuilder) -> (u16, String, Value) {
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, kind, body)
}

/// The component schema the document names for `method path`'s `status` answer.
fn answer_schema<'d>(doc: &'d Value, method: &str, path: &str, status: &str) -> &'d Value {
    let reference = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path}: no {status} answer"));
    &doc["components"]["schemas"][reference.rsplit('/').next().unwrap()]
}

/// Whether `body` has every field `schema` requires.
fn has_required(schema: &Value, body: &Value) -> bool {
    schema["required"].as_array().unwrap().iter().all(|f| body.get(f.as_str().unwrap()).is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_requests_the_probe_found_accepted_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = live(dir.path().join("outbox.jsonl")).await;
    let http = reqwest::Client::new();
    let lockers = send(http.get(format!("{}/api/v1/lockers", s.base)).bearer_auth(&s.admin)).await.2;
    let locker = lockers["data"]["lockers"][0]["id"].as_str().unwrap().to_owned();
    // An array is not an object, though serde reads `[null, null]` as a struct of two options.
    for path in ["/api/v1/users/me".to_owned(), format!("/api/v1/lockers/{locker}")] {
        let (status, _, body) =
            send(http.put(format!("{}{path}", s.base)).bearer_auth(&s.admin).json(&json!([null, null]))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("VALIDATION_ERROR")), "{path}: {body}");
        assert_eq!(body["error"]["details"]["field"], "body", "{body}");
    }
    // An empty number is not a number (seed 001 read it as "not given").
    let (status, _, body) = send(http.get(format!("{}/api/admin/revenue/?days=", s.base)).bearer_auth(&s.admin)).await;
    assert_eq!((status, body["data"]["field"].as_str()), (400, Some("days")), "{body}");
    // `null` is not an integer from 0 to 100.
    let beat = http.post(format!("{}/api/devices/heartbeat/", s.base)).header("x-api-key", &s.device_key);
    let (status, _, body) = send(beat.json(&json!({ "battery_level": null }))).await;
    assert_eq!((status, body["data"]["field"].as_str()), (400, Some("battery_level")), "{body}");
    let beat = http.post(format!("{}/api/devices/heartbeat/", s.base)).header("x-api-key", &s.device_key);
    assert_eq!(send(beat.json(&json!({ "battery_level": 80 }))).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_match_the_schemas_the_document_names() {
    let dir = tempfile::tempdir().unwrap();
    let s = live(dir.path().join("outbox.jsonl")).await;
    let http = reqwest::Client::new();
    let doc = send(http.get(format!("{}/api/v1/openapi.json", s.base))).await.2;
    // /health answers its own shape, not the envelope.
    let (status, _, health) = send(http.get(format!("{}/health", s.base))).await;
    assert_eq!(status, 200);
    let schema = answer_schema(&doc, "get", "/health", "200");
    assert!(has_required(schema, &health), "{schema} vs {health}");
    // The seed documents the status report's answer without `data`.
    let report = http.post(format!("{}/api/devices/status/", s.base)).header("x-api-key", &s.device_key);
    let (status, _, body) = send(report.json(&json!({ "battery_level": 70 }))).await;
    assert_eq!((status, body.get("data")), (200, None), "{body}");
    let schema = answer_schema(&doc, "post", "/api/devices/status/", "200");
    assert!(has_required(schema, &body), "{schema} vs {body}");
    // A scan without a location answers `location: null`, which the document allows.
    let scan = json!({ "barcodeData": "hello", "type": "QR", "metadata": { "device": "gun-1" } });
    let (status, _, created) =
        send(http.post(format!("{}/api/barcodes", s.base)).bearer_auth(&s.admin).json(&scan)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (_, _, got) = send(http.get(format!("{}/api/barcodes/{id}", s.base)).bearer_auth(&s.admin)).await;
    assert_eq!(got["metadata"]["location"], Value::Null, "{got}");
    let schema = answer_schema(&doc, "get", "/api/barcodes/{id}", "200");
    let location = &schema["properties"]["metadata"]["properties"]["location"]["type"];
    assert!(location.as_array().is_some_and(|t| t.contains(&json!("null"))), "{schema}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_and_plain_requests_to_ws_get_each_surfaces_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let s = live(dir.path().join("outbox.jsonl")).await;
    let http = reqwest::Client::new();
    let (status, kind, body) = send(http.get(format!("{}/ws", s.base))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("VALIDATION_ERROR")), "{kind} {body}");
    assert!(kind.starts_with("application/json"), "{kind}");
    let trace = reqwest::Method::TRACE;
    let unknown = reqwest::Method::from_bytes(b"BREW").unwrap();
    for method in [trace, unknown] {
        for (path, shape) in [
            ("/api/v1/lockers", "/error/code"),
            ("/api/cabinets/", "/code"),
            ("/api/barcodes", "/error/code"),
            ("/apis/auth/request-otp", "/code"),
        ] {
            let (status, _, body) = send(http.request(method.clone(), format!("{}{path}", s.base))).await;
            assert_eq!(status, 405, "{method} {path}: {body}");
            assert!(body.pointer(shape).is_some(), "{method} {path}: {body}");
        }
    }
}
