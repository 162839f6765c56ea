//! Test databases for this crate's and downstream crates' tests (feature `test-utils`):
//! a SQLite file in a temporary folder always, and a fresh PostgreSQL database when
//! `LOCKER_TEST_POSTGRES_URL` is set (dropped when the test ends, even on panic). With the
//! variable set and the server unreachable, the tests fail rather than skip.

/// The variable naming the PostgreSQL server for tests (an admin URL with a database path).
pub const POSTGRES_ENV: &str = "LOCKER_TEST_POSTGRES_URL";

/// One database under test. Keep it alive for the whole test.
pub struct TestDb {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Its URL, for `store::open` and `LockerService::builder`.
    pub url: String,
    _guard: Option<DropDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("backend", &self.backend).field("url", &crate::store::redact(&self.url)).finish()
    }
}

struct DropDatabase {
    admin_url: String,
    db: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (admin_url, db) = (self.admin_url.clone(), self.db.clone());
        // A runtime of its own: the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                use sqlx::Connection as _;
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                }
            })
        })
        .join();
    }
}

/// A SQLite file in a fresh temporary folder (not yet migrated).
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite:{}", dir.path().join("locker.db").display());
    TestDb { backend: "sqlite", url, _guard: None, _dir: Some(dir) }
}

/// A fresh PostgreSQL database when [`POSTGRES_ENV`] is set, `None` (with a note on stderr)
/// when it is not.
#[cfg(feature = "postgres")]
pub async fn postgres() -> Option<TestDb> {
    use sqlx::Connection as _;
    let admin_url = match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => {
            eprintln!("{POSTGRES_ENV} not set: the PostgreSQL run of this test is skipped");
            return None;
        }
    };
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but PostgreSQL is unreachable: {e}"));
    let db = format!("locker_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .expect("create the test database");
    let (base, _) = admin_url.rsplit_once('/').expect("a URL with a database path");
    let url = format!("{base}/{db}");
    Some(TestDb { backend: "postgres", url, _guard: Some(DropDatabase { admin_url, db }), _dir: None })
}

/// Every backend to run a test on: SQLite always, PostgreSQL when configured.
pub async fn databases() -> Vec<TestDb> {
    #[allow(unused_mut)]
    let mut out = vec![sqlite()];
    #[cfg(feature = "postgres")]
    out.extend(postgres().await);
    out
}
