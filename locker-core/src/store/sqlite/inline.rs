//! The hot reads on the caller's thread: a bearer token's standing and the locker board.
//!
//! sqlx runs each SQLite statement on its connection's worker thread and sends every row
//! back as a channel message of its own, so a 24-row read costs dozens of thread hand-offs;
//! on one core each is a context switch (issue 14's profile: a quarter of the CPU in
//! `finish_task_switch`, 40% on the worker threads). The two reads every request of the
//! locker list makes run here instead, on plain [`rusqlite`] connections to the same file,
//! on the calling thread: tens of microseconds of in-memory B-tree work, less than the
//! hand-offs cost.
//!
//! Reading on an async thread is safe here because in WAL mode a reader never waits for
//! the writer. The rare lock a reader can meet (WAL recovery after a crash, a checkpoint
//! truncating the log) makes it give up after [`BUSY_TIMEOUT`] and answer
//! [`Inline::Busy`]; the caller then takes sqlx's path, which waits off-thread.
//!
//! Each read is one statement, or one deferred transaction for the paged board: one
//! snapshot, like the pool path.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::domain::{Id, Timestamp};
use crate::ports::{LockerBoard, LockerFilter, Page, StatusCounts};
use crate::store::revocations;
use crate::store::rows::{self, RowRead};
use crate::store::sql::{self, Binds};
use crate::token::revocation::AccessStanding;
use crate::{Error, Result};

/// How long an inline read waits for a lock before handing the read to the pool.
const BUSY_TIMEOUT: Duration = Duration::from_millis(20);
/// Idle connections kept (the tokio worker threads that read at once, at most).
const IDLE_MAX: usize = 8;

/// The outcome of an inline read.
#[derive(Debug)]
pub(super) enum Inline<T> {
    /// Read.
    Done(T),
    /// The database was locked: read through the pool instead.
    Busy,
}

impl<T> Inline<T> {
    /// The value read, or `None` when busy.
    pub(super) fn done(self) -> Option<T> {
        match self {
            Inline::Done(v) => Some(v),
            Inline::Busy => None,
        }
    }
}

/// Why a read stopped.
enum Stop {
    Busy,
    Failed(Error),
}

impl From<rusqlite::Error> for Stop {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Stop::Busy,
            _ => Stop::Failed(Error::storage("reading inline", e)),
        }
    }
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

/// Read-only connections to the store's file, lent to one read at a time.
#[derive(Debug)]
pub(super) struct InlineReaders {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReaders {
    /// Readers of the database file at `path` (opened on first use).
    pub(super) fn new(path: &Path) -> Self {
        Self { path: path.to_owned(), idle: Mutex::new(Vec::new()) }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    /// Runs `read` on an idle connection, or a new one if none is idle.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> std::result::Result<T, Stop>) -> Result<Inline<T>> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match taken {
            Some(conn) => conn,
            None => match self.open() {
                Ok(conn) => conn,
                Err(e) => return stopped(Stop::from(e)),
            },
        };
        let outcome = read(&conn);
        // A connection left inside a transaction (an error mid-read) is not reused.
        if conn.is_autocommit() {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < IDLE_MAX {
                idle.push(conn);
            }
        }
        match outcome {
            Ok(v) => Ok(Inline::Done(v)),
            Err(stop) => stopped(stop),
        }
    }

    /// A user's standing for the bearer check ([`crate::ports::RevocationStore::access_standing`]).
    pub(super) fn access_standing(&self, user: Id, login: Id) -> Result<Inline<Option<AccessStanding>>> {
        self.read(|conn| {
            let params = Params::default().id(Some(user)).id(Some(login));
            let found = all(conn, revocations::STANDING, params, |r| revocations::standing(r))?;
            Ok(found.into_iter().next())
        })
    }

    /// The locker board ([`crate::ports::Store::locker_board`]).
    pub(super) fn locker_board(&self, filter: &LockerFilter, page: Option<Page>) -> Result<Inline<LockerBoard>> {
        let Some(page) = page else {
            return self.read(|conn| {
                let all = all(conn, sql::LOCKER_BOARD, Params::default(), |r| rows::named_locker(r))?;
                Ok(LockerBoard::filtered(all, filter))
            });
        };
        let page = Page::new(page.page, page.limit)?;
        self.read(|conn| {
            // One snapshot for the counts and the page.
            conn.execute_batch("BEGIN DEFERRED")?;
            let board = board_page(conn, filter, page);
            conn.execute_batch("COMMIT")?;
            board
        })
    }
}

fn stopped<T>(stop: Stop) -> Result<Inline<T>> {
    match stop {
        Stop::Busy => Ok(Inline::Busy),
        Stop::Failed(e) => Err(e),
    }
}

fn board_page(conn: &Connection, filter: &LockerFilter, page: Page) -> std::result::Result<LockerBoard, Stop> {
    let mut summary = StatusCounts::default();
    for (status, n) in
        all(conn, sql::COUNT_LOCKERS_BY_STATUS, Params::default(), |r| Ok((r.parsed("status")?, r.int("n")?)))?
    {
        summary.add(status, n.max(0) as u64);
    }
    let filtered = || sql::bind_locker_filter(Params::default(), filter);
    let lockers =
        all(conn, sql::LOCKER_BOARD_PAGE, filtered().int(Some(page.limit.into())).int(Some(page.offset())), |r| {
            rows::named_locker(r)
        })?;
    let matching = all(conn, sql::COUNT_LOCKERS, filtered(), |r| r.int("n"))?;
    Ok(LockerBoard { lockers, matching: matching.first().copied().unwrap_or(0).max(0) as u64, summary })
}

/// Every row of `sql` with `params`, mapped.
fn all<T>(
    conn: &Connection,
    sql: &str,
    params: Params,
    map: impl Fn(&NamedRow<'_, '_>) -> Result<T>,
) -> std::result::Result<Vec<T>, Stop> {
    let mut statement = conn.prepare_cached(sql)?;
    let columns: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
    let mut found = params.query(&mut statement)?;
    let mut out = Vec::new();
    while let Some(row) = found.next()? {
        out.push(map(&NamedRow { row, columns: &columns })?);
    }
    Ok(out)
}

/// A row with its statement's column names read once per statement: rusqlite finds a
/// column by name through SQLite's C API on every access (a fifth of the list's CPU).
pub(super) struct NamedRow<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    columns: &'a [String],
}

impl NamedRow<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, col: &str) -> Result<T> {
        let index = self.columns.iter().position(|c| c == col);
        let value = match index {
            Some(index) => self.row.get(index),
            None => Err(rusqlite::Error::InvalidColumnName(col.to_owned())),
        };
        value.map_err(|e| Error::storage(format!("reading column {col}"), e))
    }
}

/// The values of `$1`, `$2`, ... in order, bound as the pool path binds them ([`Binds`]).
#[derive(Debug, Default)]
struct Params(Vec<Value>);

/// Parameter names as the shared SQL writes them.
const NAMES: [&str; 9] = ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9"];

impl Params {
    /// Binds each value to its `$N` by name (SQLite numbers parameters in order of first
    /// appearance, so `$2` may come first) and runs `statement`.
    fn query<'s>(self, statement: &'s mut rusqlite::Statement<'_>) -> rusqlite::Result<rusqlite::Rows<'s>> {
        statement.clear_bindings();
        for (name, value) in NAMES.iter().zip(self.0) {
            if let Some(index) = statement.parameter_index(name)? {
                statement.raw_bind_parameter(index, value)?;
            }
        }
        Ok(statement.raw_query())
    }

    fn push(mut self, v: Value) -> Self {
        self.0.push(v);
        self
    }
}

fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    v.map_or(Value::Null, f)
}

impl Binds for Params {
    fn id(self, v: Option<Id>) -> Self {
        self.push(or_null(v, |v| Value::Text(v.to_string())))
    }
    fn ts(self, v: Option<Timestamp>) -> Self {
        self.push(or_null(v, |v| Value::Text(super::ts_text(v))))
    }
    fn text(self, v: Option<String>) -> Self {
        self.push(or_null(v, Value::Text))
    }
    fn int(self, v: Option<i64>) -> Self {
        self.push(or_null(v, Value::Integer))
    }
    fn flag(self, v: Option<bool>) -> Self {
        self.push(or_null(v, |v| Value::Integer(v.into())))
    }
    fn json(self, v: &serde_json::Value) -> Self {
        self.push(Value::Text(v.to_string()))
    }
    fn bytes(self, v: Option<Vec<u8>>) -> Self {
        self.push(or_null(v, Value::Blob))
    }
}

impl RowRead for NamedRow<'_, '_> {
    fn opt_id(&self, col: &str) -> Result<Option<Id>> {
        self.get::<Option<String>>(col)?.map(|s| super::parse_id(col, &s)).transpose()
    }
    fn opt_ts(&self, col: &str) -> Result<Option<Timestamp>> {
        self.get::<Option<String>>(col)?.map(|s| super::parse_ts(col, &s)).transpose()
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.get(col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        self.get(col)
    }
    fn flag(&self, col: &str) -> Result<bool> {
        self.get(col)
    }
    fn json(&self, col: &str) -> Result<serde_json::Value> {
        serde_json::from_str(&self.get::<String>(col)?).map_err(|e| rows::undecodable(col, e))
    }
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>> {
        self.get(col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LockerSize, LockerStatus, Money, NewController, NewLocker};
    use crate::ports::Store;
    use crate::store::sqlite::SqliteStore;

    /// A migrated store on a file with 30 lockers (two stations, three sizes, one in
    /// maintenance), half wired to a controller, and the same store with its inline
    /// readers removed (every read through the pool).
    async fn stores() -> (tempfile::TempDir, SqliteStore, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(&format!("sqlite:{}", dir.path().join("l.db").display())).await.unwrap();
        store.migrate().await.unwrap();
        let now = chrono::Utc::now();
        let controller = NewController { name: "SIM_001".into(), station: "A".into(), api_key_hash: None };
        let controller = store.create_controller(controller, now).await.unwrap();
        let lockers = (0..30)
            .map(|n| NewLocker {
                code: format!("L{n:02}"),
                station: if n % 2 == 0 { "A" } else { "B" }.into(),
                location: "Hall".into(),
                size: [LockerSize::Small, LockerSize::Medium, LockerSize::Large][n % 3],
                controller_id: (n < 15).then_some(controller.id),
                relay_channel: n as u16,
                sensor_channel: n as u16,
                price_per_hour: Money(100 + n as i64),
            })
            .collect();
        let made = store.create_lockers(lockers, now).await.unwrap();
        let log = crate::domain::NewTxLog::new(crate::domain::TxAction::Maintenance, now);
        store.set_locker_status(made[3].id, LockerStatus::Maintenance, log, now).await.unwrap();
        assert!(store.inline.is_some(), "a file store reads inline");
        let pooled = SqliteStore { inline: None, ..store.clone() };
        (dir, store, pooled)
    }

    #[tokio::test]
    async fn the_board_read_inline_is_the_board_read_through_the_pool() {
        let (_dir, store, pooled) = stores().await;
        let filters = [
            LockerFilter::default(),
            LockerFilter { station: Some("B".into()), ..Default::default() },
            LockerFilter { size: Some(LockerSize::Large), status: Some(LockerStatus::Available), ..Default::default() },
            LockerFilter { status: Some(LockerStatus::Maintenance), ..Default::default() },
            LockerFilter { location: Some("nowhere".into()), ..Default::default() },
        ];
        let pages = [
            None,
            Some(Page { page: 1, limit: 7 }),
            Some(Page { page: 3, limit: 7 }),
            Some(Page { page: 9, limit: 7 }),
        ];
        for filter in &filters {
            for page in pages {
                let inline = store.inline.as_ref().unwrap().locker_board(filter, page).unwrap().done().unwrap();
                let through_pool = pooled.locker_board(filter, page).await.unwrap();
                assert_eq!(inline, through_pool, "{filter:?} {page:?}");
            }
        }
        let all = store.locker_board(&LockerFilter::default(), None).await.unwrap();
        assert_eq!((all.lockers.len(), all.summary.maintenance, all.summary.available), (30, 1, 29));
        assert_eq!(all.lockers[0].controller.as_deref(), Some("SIM_001"));
        assert_eq!(all.lockers[20].controller, None);
        let bad = store.locker_board(&LockerFilter::default(), Some(Page { page: 0, limit: 7 })).await;
        assert!(matches!(bad, Err(Error::Validation { .. })), "{bad:?}");
    }

    #[tokio::test]
    async fn a_standing_read_inline_is_the_standing_read_through_the_pool() {
        use crate::ports::{RevocationStore, TokenStore};
        use crate::token::refresh::{RefreshRecord, RefreshState};
        let (_dir, store, pooled) = stores().await;
        let now = chrono::Utc::now();
        let user = crate::domain::NewUser {
            email: Some("a@example.com".into()),
            phone: None,
            username: None,
            full_name: "A".into(),
            role: crate::domain::Role::Technician,
            password_hash: "x".into(),
        };
        let user = store.create_user(user, now).await.unwrap();
        let login = crate::domain::new_id();
        let record = RefreshRecord {
            token_hash: [7; 32],
            family_id: login,
            user_id: user.id,
            state: RefreshState::Active,
            issued_at: now,
            expires_at: now + chrono::TimeDelta::hours(1),
        };
        store.insert_refresh(&record).await.unwrap();
        let readers = store.inline.clone().unwrap();
        let both = |user, login| {
            let (store, pooled, readers) = (store.clone(), pooled.clone(), readers.clone());
            async move {
                let inline = readers.access_standing(user, login).unwrap().done().unwrap();
                assert_eq!(inline, pooled.access_standing(user, login).await.unwrap());
                assert_eq!(inline, store.access_standing(user, login).await.unwrap());
                inline
            }
        };
        let live = both(user.id, login).await.unwrap();
        assert_eq!((live.role, live.active, live.login_live), (crate::domain::Role::Technician, true, true));
        assert!(!both(user.id, crate::domain::new_id()).await.unwrap().login_live, "another login");
        assert_eq!(both(crate::domain::new_id(), login).await, None, "an unknown user");
        // A logout is seen by the very next inline read.
        store.revoke_login(user.id, login).await.unwrap();
        assert!(!both(user.id, login).await.unwrap().login_live);
    }

    #[tokio::test]
    async fn a_locked_file_is_busy_at_once_instead_of_blocking_the_thread() {
        let (dir, store, _pooled) = stores().await;
        let path = dir.path().join("l.db");
        // Only the lock holder has the file open, as during another process's WAL recovery.
        store.pool.close().await;
        store.writer.close().await;
        drop(store);
        let holder = Connection::open(&path).unwrap();
        holder
            .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE lockers SET location = 'Hall';")
            .unwrap();
        let readers = InlineReaders::new(&path);
        let started = std::time::Instant::now();
        let busy = readers.locker_board(&LockerFilter::default(), None).unwrap();
        assert!(matches!(busy, Inline::Busy), "{busy:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "gave up after its short busy timeout");
        let busy = readers.access_standing(crate::domain::new_id(), crate::domain::new_id()).unwrap();
        assert!(matches!(busy, Inline::Busy), "{busy:?}");
        holder.execute_batch("COMMIT").unwrap();
        drop(holder);
        let again = readers.locker_board(&LockerFilter::default(), None).unwrap();
        assert!(matches!(again, Inline::Done(ref b) if b.lockers.len() == 30), "{again:?}");
    }
}
