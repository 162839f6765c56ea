//! Shared by the seed surface tests: databases (a SQLite file always, a fresh PostgreSQL
//! database when `LOCKER_TEST_POSTGRES_URL` is set), a clock the test moves, and a router
//! served on a real TCP socket.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use locker_core::domain::Timestamp;
use locker_core::ports::Clock;
use locker_server::seeds::{SeedStore, open_store};
use serde_json::Value;

/// A database under test.
pub struct TestDb {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// Its URL.
    pub url: String,
    /// The store over it, migrated.
    pub store: Arc<dyn SeedStore>,
    _guard: Option<DropDatabase>,
    _dir: Option<tempfile::TempDir>,
}

/// Drops a PostgreSQL test database when the test ends, even on panic.
struct DropDatabase {
    admin_url: String,
    db: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (admin_url, db) = (self.admin_url.clone(), self.db.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                }
            })
        })
        .join();
    }
}

async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("locker.db").display());
    let store = open_store(&url).await.expect("open SQLite");
    TestDb { name: "sqlite", url, store, _guard: None, _dir: Some(dir) }
}

async fn postgres_db(admin_url: &str) -> TestDb {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("LOCKER_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}"));
    let db = format!("locker_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut admin).await.unwrap();
    let guard = DropDatabase { admin_url: admin_url.to_owned(), db: db.clone() };
    let (base, _) = admin_url.rsplit_once('/').expect("URL with a database path");
    let url = format!("{base}/{db}");
    let store = open_store(&url).await.expect("open PostgreSQL");
    TestDb { name: "postgres", url, store, _guard: Some(guard), _dir: None }
}

/// Every backend to test: SQLite always, PostgreSQL when configured.
pub async fn backends() -> Vec<TestDb> {
    let mut out = vec![sqlite_db().await];
    match std::env::var("LOCKER_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => out.push(postgres_db(&url).await),
        _ => eprintln!("LOCKER_TEST_POSTGRES_URL not set: PostgreSQL runs skipped"),
    }
    out
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
