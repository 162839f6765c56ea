//! `alloc/sqlite_file/*`: allocation + rental creation on a SQLite file with
//! `synchronous=FULL`, against the commit-rate limit of the same disk.
//!
//! - `allocate_rental`: one `Store::allocate_and_create_rental` (a `BEGIN IMMEDIATE`
//!   transaction: choose a locker, hold it, insert the rental, append the hash-chained log
//!   row, commit). Lockers are freed in bulk outside the timed part, so it never runs out.
//! - `bare_insert_commit`: what a user would write by hand: one-row `INSERT` per
//!   `BEGIN IMMEDIATE ... COMMIT` on the same disk with the same pragmas. Every commit of
//!   a WAL database with `synchronous=FULL` waits for an fsync, so this is the ceiling.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{Criterion, Throughput};
use locker_core::alloc::AllocationRequest;
use locker_core::domain::{
    AuthMethod, LockerSize, LockerStatus, Money, NewLocker, NewTxLog, RentalKind, RentalState, TxAction,
};
use locker_core::ports::{NewRental, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Lockers in the benchmark station; freed in bulk whenever they run out.
const LOCKERS: usize = 2000;

fn rental() -> NewRental {
    NewRental {
        user_id: None,
        kind: RentalKind::Session,
        state: RentalState::Opening,
        auth_method: AuthMethod::QrCode,
        half_hours: 0,
        amount: Money(0),
        started_at: None,
        paid_until: None,
    }
}

/// Ends every live rental and frees every locker, in one transaction (not timed).
async fn free_all(pool: &sqlx::SqlitePool) {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query(
        "UPDATE rentals SET state = 'completed' WHERE state IN ('pending_payment', 'reserved', 'opening', 'active')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE lockers SET status = 'available'").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

fn options(path: &std::path::Path) -> SqliteConnectOptions {
    SqliteConnectOptions::from_str(&format!("sqlite:{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
}

/// Registers the `alloc/` benches.
pub fn define(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("alloc.db");
    let store: Arc<dyn Store> = rt.block_on(async {
        let store = locker_core::store::open(&format!("sqlite:{}", db.display())).await.unwrap();
        let lockers = (0..LOCKERS)
            .map(|i| NewLocker {
                code: format!("B{i:04}"),
                station: "BENCH".into(),
                location: "Floor 1".into(),
                size: LockerSize::Small,
                controller_id: None,
                relay_channel: 1,
                sensor_channel: 1,
                price_per_hour: Money(200),
            })
            .collect();
        store.create_lockers(lockers, Utc::now()).await.unwrap();
        store
    });
    let raw = rt.block_on(SqlitePoolOptions::new().max_connections(1).connect_with(options(&db))).unwrap();
    let request = AllocationRequest::new(LockerSize::Small);

    let mut g = c.benchmark_group("alloc/sqlite_file");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    g.bench_function("allocate_rental", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut timed = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    free_all(&raw).await;
                    let batch = left.min(LOCKERS as u64);
                    let start = Instant::now();
                    for _ in 0..batch {
                        let now = Utc::now();
                        let (_, locker) = store
                            .allocate_and_create_rental(&request, rental(), NewTxLog::new(TxAction::CheckIn, now), now)
                            .await
                            .unwrap();
                        assert_eq!(locker.status, LockerStatus::InUse);
                    }
                    timed += start.elapsed();
                    left -= batch;
                }
                timed
            })
        })
    });

    let bare_dir = tempfile::tempdir_in(dir.path()).unwrap();
    let bare = rt.block_on(async {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options(&bare_dir.path().join("bare.db")))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)").execute(&pool).await.unwrap();
        pool
    });
    g.bench_function("bare_insert_commit", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut tx = bare.begin_with("BEGIN IMMEDIATE").await.unwrap();
                let done = sqlx::query("INSERT INTO t (v) VALUES ($1)").bind("row").execute(&mut *tx).await.unwrap();
                assert_eq!(done.rows_affected(), 1);
                tx.commit().await.unwrap();
            })
        })
    });
    g.finish();
}
