//! The SQLite store: one file (or memory), the embedded default.
//!
//! Connection settings: WAL journal with `synchronous=FULL` (a kiosk losing power loses no
//! acknowledged commit), foreign keys on, a 5 s busy timeout, the file created if missing.
//! Every write transaction starts with `BEGIN IMMEDIATE`, taking SQLite's single write lock
//! up front, so two allocations never read the same free locker and a writer never fails
//! half-way on a lock upgrade. sqlx's `Transaction` is the guard: dropped without `commit`
//! (an early `?` return) it rolls back.
//!
//! Three ways in (issue 14): every write through the writer connections, one at a time by
//! the store's write turn (queued in the process, see [`SqliteStore::writer`]), other reads
//! through a pool of readers, and the two reads on every request's path on the caller's
//! thread ([`inline`]).
//!
//! Values: ids as UUID text, times as fixed-width UTC text (`2026-01-02T03:04:05.000006Z`,
//! so text order is time order), money as integer minor units.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};

use super::rows::{RowRead, undecodable};
use super::sql::Binds;
use crate::domain::{Id, Timestamp};
use crate::ports::{LockerBoard, LockerFilter, Page};
use crate::token::revocation::AccessStanding;
use crate::{Error, Result};

/// The SQLite implementation of [`crate::ports::Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Readers (and, for an in-memory database, the one connection).
    pool: SqlitePool,
    /// The connections writes go through (the same pool as `pool` in memory), each write
    /// holding the write turn ([`super::write_turn`]): writers queue in the process instead of
    /// sleeping in SQLite's busy handler. Another process (the CLI) still meets the busy
    /// timeout.
    writer: SqlitePool,
    /// The write turn.
    turns: super::write_turn::WriteTurns,
    /// Hot reads run on the caller's thread ([`inline::InlineReaders`]); `None` in memory.
    inline: Option<std::sync::Arc<inline::InlineReaders>>,
    /// Held by every clone of the store; the checkpoint task stops when the last is gone.
    _alive: Option<std::sync::Arc<()>>,
}

/// Time as stored: fixed-width UTC text with microseconds.
fn ts_text(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl SqliteStore {
    const BACKEND: &'static str = "sqlite";
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    /// SQLite holds the write lock for the whole transaction, so no row locks are needed;
    /// a few candidates let the policy in [`crate::alloc`] make the final choice.
    const FREE_CANDIDATES: i64 = 8;
    const FREE_LOCKERS_LOCKED: &'static str = super::sql::FREE_LOCKERS;
    const LOCKER_BY_ID_LOCKED: &'static str = super::sql::SELECT_LOCKER_BY_ID;
    const LOCKER_BY_CODE_LOCKED: &'static str = super::sql::SELECT_LOCKER_BY_CODE;
    const SELECT_HEAD_LOCKED: &'static str = super::sql::SELECT_HEAD;

    /// Connects to `url` (`sqlite:FILE`, `sqlite://FILE` or `sqlite::memory:`) without migrating.
    pub async fn connect(url: &str) -> Result<Self> {
        let memory = url.contains(":memory:");
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::config_from(format!("bad SQLite URL {url:?}"), e))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .synchronous(SqliteSynchronous::Full);
        let opening = |e| super::storage_error(e, &format!("opening {url}"));
        // Every pool below lends connections without sqlx's ping (`test_before_acquire`): a
        // SQLite connection does not drop, and a ping is a round trip to its worker thread.
        if memory {
            // An in-memory database lives in one connection: it reads and writes.
            let pool = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts)
                .await
                .map_err(opening)?;
            let turns = super::write_turn::WriteTurns::one_at_a_time();
            return Ok(Self { writer: pool.clone(), pool, turns, inline: None, _alive: None });
        }
        let opts = opts.journal_mode(SqliteJournalMode::Wal);
        // The writer first: it creates the file and switches it to WAL before readers open.
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            // One writes at a time (the turn); the others are returning to the pool.
            .max_connections(4)
            .idle_timeout(Some(Duration::from_secs(600)))
            .max_lifetime(Some(Duration::from_secs(1800)))
            // Checkpoints run beside the writes (checkpoints::run), not inside the commit
            // that happens to cross the WAL's size limit.
            .connect_with(opts.clone().pragma("wal_autocheckpoint", "0"))
            .await
            .map_err(opening)?;
        let pool = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(8)
            .min_connections(0)
            .idle_timeout(Some(Duration::from_secs(600)))
            .max_lifetime(Some(Duration::from_secs(1800)))
            .connect_with(opts)
            .await
            .map_err(opening)?;
        let inline = Some(std::sync::Arc::new(inline::InlineReaders::new(pool.connect_options().get_filename())));
        let alive = std::sync::Arc::new(());
        tokio::spawn(checkpoints::run(pool.clone(), std::sync::Arc::downgrade(&alive)));
        let turns = super::write_turn::WriteTurns::one_at_a_time();
        Ok(Self { pool, writer, turns, inline, _alive: Some(alive) })
    }

    /// A writer connection with the write turn, for one autocommit write.
    async fn writes(&self) -> Result<super::write_turn::WriteConn<sqlx::Sqlite>> {
        let turn = self.turns.take().await?;
        let conn = self.writer.acquire().await.map_err(|e| super::storage_error(e, "starting a write"))?;
        Ok(super::write_turn::Held::new(conn, turn))
    }

    async fn begin_write(&self) -> Result<super::write_turn::WriteTx<sqlx::Sqlite>> {
        let turn = self.turns.take().await?;
        let tx =
            self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(|e| super::storage_error(e, "starting a write"))?;
        Ok(super::write_turn::Held::new(tx, turn))
    }

    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool.begin().await.map_err(|e| super::storage_error(e, "starting a read"))
    }

    /// The locker board read on this thread; `None`: read it through the pool (in memory,
    /// or the file was locked).
    fn inline_board(&self, filter: &LockerFilter, page: Option<Page>) -> Result<Option<LockerBoard>> {
        let Some(readers) = &self.inline else { return Ok(None) };
        Ok(readers.locker_board(filter, page)?.done())
    }

    /// A bearer token's standing read on this thread; `None` as for [`Self::inline_board`].
    fn inline_standing(&self, user: Id, login: Id) -> Result<Option<Option<AccessStanding>>> {
        let Some(readers) = &self.inline else { return Ok(None) };
        Ok(readers.access_standing(user, login)?.done())
    }
}

/// An id as stored (UUID text).
fn parse_id(col: &str, s: &str) -> Result<Id> {
    Id::parse_str(s).map_err(|e| undecodable(col, e))
}

/// A time as stored (RFC 3339 text).
fn parse_ts(col: &str, s: &str) -> Result<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).map_err(|e| undecodable(col, e))
}

type SqliteQuery = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

impl Binds for SqliteQuery {
    fn id(self, v: Option<Id>) -> Self {
        self.bind(v.map(|v| v.to_string()))
    }
    fn ts(self, v: Option<Timestamp>) -> Self {
        self.bind(v.map(ts_text))
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
        self.bind(v.to_string())
    }
    fn bytes(self, v: Option<Vec<u8>>) -> Self {
        self.bind(v)
    }
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(r: &'r SqliteRow, col: &str) -> Result<T> {
    r.try_get(col).map_err(|e| super::storage_error(e, &format!("reading column {col}")))
}

impl RowRead for SqliteRow {
    fn opt_id(&self, col: &str) -> Result<Option<Id>> {
        get::<Option<String>>(self, col)?.map(|s| parse_id(col, &s)).transpose()
    }
    fn opt_ts(&self, col: &str) -> Result<Option<Timestamp>> {
        get::<Option<String>>(self, col)?.map(|s| parse_ts(col, &s)).transpose()
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
        serde_json::from_str(&get::<String>(self, col)?).map_err(|e| undecodable(col, e))
    }
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>> {
        get(self, col)
    }
}

mod accounts;
mod barcodes;
mod checkpoints;
#[cfg(feature = "face")]
mod face;
mod guards;
mod inline;
mod orders;
mod revocations;
mod serve_lock;
mod stats;
mod tokens;

pub use serve_lock::ServeLock;

mod store_impl {
    use super::SqliteStore;
    super::super::domain_store::impl_store!(SqliteStore, sqlx::Sqlite);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_sort_as_text() {
        let a = chrono::DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap();
        let b = a + chrono::TimeDelta::microseconds(500_000);
        assert!(ts_text(a) < ts_text(b));
        assert_eq!(ts_text(a).len(), ts_text(b).len());
        assert_eq!(ts_text(a), "2023-11-14T22:13:20.000000Z");
    }
}
