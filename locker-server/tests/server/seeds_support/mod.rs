//! Shared by the seed surface tests: databases (a SQLite file always, a fresh PostgreSQL
//! database when `LOCKER_TEST_POSTGRES_URL` is set), a clock the test moves, and a router
//! served on a real TCP socket.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use locker_core::domain::Timestamp;
use locker_core::ports::Clock;
use locker_server::seeds::SeedStore;
use serde_json::Value;

/// A database under test, migrated, with the seed surfaces' store over it.
pub struct TestDb {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// Its URL.
    pub url: String,
    /// The store over it, migrated.
    pub store: Arc<dyn SeedStore>,
    _db: locker_core::testing::TestDb,
}

/// Every backend to test: SQLite always, PostgreSQL when configured (see
/// `locker_core::testing`).
pub async fn backends() -> Vec<TestDb> {
    let mut out = Vec::new();
    for db in locker_core::testing::databases().await {
        let store = locker_core::store::open(&db.url).await.unwrap_or_else(|e| panic!("open {}: {e}", db.backend));
        out.push(TestDb { name: db.backend, url: db.url.clone(), store, _db: db });
    }
    out
}

/// A locker service on `store` (fresh keys, `clock`, no controller attached), opened the
/// way `locker serve` opens it, and its access-token key (which signs for every surface).
pub async fn service_on(
    store: &Arc<dyn SeedStore>,
    clock: Arc<dyn Clock>,
) -> (Arc<locker_core::service::LockerService>, locker_core::token::jwt::JwtKeys) {
    let jwt = locker_core::token::jwt::JwtKeys::generate_ed25519().unwrap();
    (service_signing_with(store.clone(), clock, &jwt).await, jwt)
}

/// A locker service on `store` whose access-token key is `jwt` and whose other keys are
/// fresh: another server process on the same database, as behind one load balancer.
pub async fn service_signing_with(
    store: Arc<dyn SeedStore>,
    clock: Arc<dyn Clock>,
    jwt: &locker_core::token::jwt::JwtKeys,
) -> Arc<locker_core::service::LockerService> {
    let keys = locker_core::service::ServiceKeys {
        jwt: jwt.clone(),
        ..locker_core::service::ServiceKeys::generate().unwrap()
    };
    let opened = locker_core::service::LockerService::builder_on(store).keys(keys).clock(clock).open().await;
    opened.expect("open the service").service
}

/// A clock the test sets; starts at the real time (whole seconds).
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    /// At the current second.
    pub fn new() -> Arc<Self> {
        let now = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap();
        Arc::new(Self(Mutex::new(now)))
    }

    /// Moves time forward.
    pub fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += TimeDelta::seconds(secs);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// Serves `router` on 127.0.0.1 (a free port); returns `http://127.0.0.1:PORT`.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// An HTTP client that ignores proxy settings (the server is local).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Status and JSON body of a response; panics (failing the test) if the body is not JSON.
pub async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = res.text().await.unwrap();
    assert!(ct.starts_with("application/json"), "status {status}, content-type {ct:?}, body {text}");
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

/// The sorted keys of a JSON object.
pub fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(|k| k.as_str()).collect();
    k.sort_unstable();
    k
}

/// Parses an ISO 8601 / RFC 3339 time.
pub fn time(v: &Value) -> Timestamp {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {s}")).to_utc()
}
