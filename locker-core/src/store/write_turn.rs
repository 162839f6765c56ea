//! Writes in turn: a write transaction or statement holds the process's write turn.
//!
//! SQLite allows one writer at a time. A second connection that starts a write meanwhile
//! sleeps in SQLite's busy handler (1, 2, 5, 10, 15, 20, 25 ms...) and retries, so writers
//! queued on one lock waited tens of milliseconds for a lock held for one (issue 14). Here a
//! writer first takes the store's turn (a fair async semaphore, woken the moment the
//! previous writer commits, in arrival order) and only then a connection, from a pool of
//! several: sqlx returns a released connection through a spawned task that also pings it,
//! so one shared connection would make every writer wait for that round trip too.
//! PostgreSQL orders its writers with row locks and takes no turn.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The store's write turn (`None`: writers need none).
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteTurns(Option<Arc<Semaphore>>);

impl WriteTurns {
    /// One writer at a time.
    pub(crate) fn one_at_a_time() -> Self {
        WriteTurns(Some(Arc::new(Semaphore::new(1))))
    }

    /// Waits for the turn.
    pub(crate) async fn take(&self) -> crate::Result<Turn> {
        match &self.0 {
            None => Ok(Turn(None)),
            Some(turns) => turns
                .clone()
                .acquire_owned()
                .await
                .map(|permit| Turn(Some(permit)))
                .map_err(|e| crate::Error::storage("waiting for the write turn", e)),
        }
    }
}

/// A held write turn, given back when dropped.
#[derive(Debug)]
pub(crate) struct Turn(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// A write transaction holding the write turn until it commits or is dropped (rolled back).
#[derive(Debug)]
pub(crate) struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    turn: Turn,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub(crate) fn new(tx: sqlx::Transaction<'static, DB>, turn: Turn) -> Self {
        WriteTx { tx, turn }
    }

    /// Commits, then gives the turn to the next writer.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, turn } = self;
        let done = tx.commit().await;
        drop(turn);
        done
    }
}

impl<DB: sqlx::Database> Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// A pooled connection holding the write turn, for one autocommit write statement.
#[derive(Debug)]
pub(crate) struct WriteConn<DB: sqlx::Database> {
    conn: sqlx::pool::PoolConnection<DB>,
    _turn: Turn,
}

impl<DB: sqlx::Database> WriteConn<DB> {
    pub(crate) fn new(conn: sqlx::pool::PoolConnection<DB>, turn: Turn) -> Self {
        WriteConn { conn, _turn: turn }
    }
}

impl<DB: sqlx::Database> Deref for WriteConn<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.conn
    }
}

impl<DB: sqlx::Database> DerefMut for WriteConn<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.conn
    }
}
