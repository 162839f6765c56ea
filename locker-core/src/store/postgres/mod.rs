//! The PostgreSQL store: several kiosks and servers sharing one database.
//!
//! Allocation locks one free locker with `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent
//! allocations each take a different row without waiting on one another; the partial
//! UNIQUE index on live rentals backs this up. Log appenders serialise on the single
//! `tx_log_head` row (`FOR UPDATE`), always taken last in a transaction, so the hash chain
//! stays linear and lock order is fixed (locker, then head).
//!
//! Values: ids as `uuid`, times as `timestamptz`, money and every integer as `bigint`,
//! log details as `jsonb`.

use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};

use super::rows::RowRead;
use super::sql::Binds;
use crate::Result;
use crate::domain::{Id, Timestamp};

/// A pooled connection idle longer than this is pinged before it is lent (under load a
/// connection is idle for microseconds to milliseconds between statements).
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// The PostgreSQL implementation of [`crate::ports::Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    const BACKEND: &'static str = "postgres";
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    /// One row: the first free locker nobody else has locked.
    const FREE_CANDIDATES: i64 = 1;
    const FREE_LOCKERS_LOCKED: &'static str = "SELECT id, code, station, location, size, status, door, controller_id, relay_channel, sensor_channel, price_per_hour, last_used_at, created_at, updated_at FROM lockers WHERE status = 'available' AND door = 'closed' AND size IN ($1, $2, $3) AND ($4::text IS NULL OR station = $4) AND ($5::text IS NULL OR location = $5) AND id NOT IN (SELECT value::uuid FROM json_array_elements_text($6::json)) ORDER BY CASE size WHEN 'small' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, last_used_at IS NOT NULL, last_used_at, code LIMIT $7 FOR UPDATE SKIP LOCKED";
    const LOCKER_BY_ID_LOCKED: &'static str = "SELECT id, code, station, location, size, status, door, controller_id, relay_channel, sensor_channel, price_per_hour, last_used_at, created_at, updated_at FROM lockers WHERE id = $1 FOR UPDATE";
    const LOCKER_BY_CODE_LOCKED: &'static str = "SELECT id, code, station, location, size, status, door, controller_id, relay_channel, sensor_channel, price_per_hour, last_used_at, created_at, updated_at FROM lockers WHERE code = $1 FOR UPDATE";
    const SELECT_HEAD_LOCKED: &'static str = "SELECT last_seq, last_hash FROM tx_log_head WHERE id = 1 FOR UPDATE";

    /// Connects to `url` (`postgres://...`) without migrating. An unreachable server is
    /// [`crate::Error::Storage`] after a 10 s connect timeout.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings every idle connection it lends: a round trip per statement,
            // doubling a short read's cost under load. Only a connection idle for over
            // PING_IDLE_AFTER is pinged: a quiet pool still finds a restarted server's dead
            // connections before lending them, a busy one pays nothing.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await
            .map_err(|e| super::storage_error(e, &format!("connecting to {}", super::redact(url))))?;
        Ok(Self { pool })
    }

    /// No inline reads on PostgreSQL (the pool's reads are already on this thread).
    fn inline_board(
        &self,
        _filter: &crate::ports::LockerFilter,
        _page: Option<crate::ports::Page>,
    ) -> Result<Option<crate::ports::LockerBoard>> {
        Ok(None)
    }

    /// As [`Self::inline_board`].
    fn inline_standing(
        &self,
        _user: Id,
        _login: Id,
    ) -> Result<Option<Option<crate::token::revocation::AccessStanding>>> {
        Ok(None)
    }

    /// A connection for one autocommit write (row locks order PostgreSQL's writers: no
    /// write turn).
    async fn writes(&self) -> Result<super::write_turn::WriteConn<sqlx::Postgres>> {
        let conn = self.pool.acquire().await.map_err(|e| super::storage_error(e, "starting a write"))?;
        Ok(super::write_turn::Held::new(conn, super::write_turn::Turn::free()))
    }

    async fn begin_write(&self) -> Result<super::write_turn::WriteTx<sqlx::Postgres>> {
        let tx = self.begin_detached("BEGIN", "starting a write").await?;
        Ok(super::write_turn::Held::new(tx, super::write_turn::Turn::free()))
    }

    /// A repeatable-read transaction: every query sees one snapshot.
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin_detached("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a read").await
    }

    /// Runs `statement` (a `BEGIN`) on a task of its own. sqlx 0.9.0's Postgres `begin` is
    /// not cancel-safe: a caller dropped during the `BEGIN` round trip (an HTTP client that
    /// hangs up) returns the connection to the pool inside an open transaction, and the next
    /// borrower's statements run in it — read-only, or aborted (transact-rs/sqlx#4393, fixed
    /// upstream after 0.9.0). The task always finishes, so the transaction either reaches
    /// the caller or is dropped there and rolled back.
    async fn begin_detached(
        &self,
        statement: &'static str,
        doing: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        let pool = self.pool.clone();
        tokio::spawn(async move { pool.begin_with(statement).await })
            .await
            .map_err(|e| crate::Error::storage(doing, e))?
            .map_err(|e| super::storage_error(e, doing))
    }
}

pub use commands::{FINISHED_CHANNEL, PgCommands, QUEUED_CHANNEL};

type PgQuery = sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl Binds for PgQuery {
    fn id(self, v: Option<Id>) -> Self {
        self.bind(v)
    }
    fn ts(self, v: Option<Timestamp>) -> Self {
        self.bind(v)
    }
    fn text(self, v: Option<String>) -> Self {
        self.bind(v)
    }
    fn int(self, v: Option<i64>) -> Self {
        self.bind(v)
    }
    fn flag(self, v: Option<bool>) -> Self {
        self.bind(v)
    }
    fn json(self, v: &serde_json::Value) -> Self {
        self.bind(sqlx::types::Json(v.clone()))
    }
    fn bytes(self, v: Option<Vec<u8>>) -> Self {
        self.bind(v)
    }
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(r: &'r PgRow, col: &str) -> Result<T> {
    r.try_get(col).map_err(|e| super::storage_error(e, &format!("reading column {col}")))
}

impl RowRead for PgRow {
    fn opt_id(&self, col: &str) -> Result<Option<Id>> {
        get(self, col)
    }
    fn opt_ts(&self, col: &str) -> Result<Option<Timestamp>> {
        get(self, col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        get(self, col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        get(self, col)
    }
    fn flag(&self, col: &str) -> Result<bool> {
        get(self, col)
    }
    fn json(&self, col: &str) -> Result<serde_json::Value> {
        get::<sqlx::types::Json<serde_json::Value>>(self, col).map(|j| j.0)
    }
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>> {
        get(self, col)
    }
}

mod accounts;
mod barcodes;
mod commands;
mod events;
#[cfg(feature = "face")]
mod face;
mod guards;
mod leadership;
mod orders;
mod revocations;
mod stats;
mod tokens;

pub use events::PgEventLog;
pub use leadership::PgLeadership;

mod store_impl {
    use super::PgStore;
    super::super::domain_store::impl_store!(PgStore, sqlx::Postgres);
}
