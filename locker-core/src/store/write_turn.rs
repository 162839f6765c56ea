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

/// A store's write turn: one writer at a time, in arrival order.
#[derive(Debug, Clone)]
pub(crate) struct WriteTurns(Arc<Semaphore>);

impl WriteTurns {
    /// One writer at a time.
    pub(crate) fn one_at_a_time() -> Self {
        WriteTurns(Arc::new(Semaphore::new(1)))
    }

    /// Waits for the turn.
    pub(crate) async fn take(&self) -> crate::Result<Turn> {
        let permit = self.0.clone().acquire_owned().await;
        permit.map(|p| Turn(Some(p))).map_err(|e| crate::Error::storage("waiting for the write turn", e))
    }
}

/// A held write turn, given back when dropped.
#[derive(Debug)]
pub(crate) struct Turn(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl Turn {
    /// No turn to hold (a backend whose writers need none).
    pub(crate) fn free() -> Self {
        Turn(None)
    }
}

/// `inner` (a transaction or a pooled connection) used while holding the write turn;
/// derefs to the connection.
#[derive(Debug)]
pub(crate) struct Held<C> {
    inner: C,
    turn: Turn,
}

impl<C> Held<C> {
    pub(crate) fn new(inner: C, turn: Turn) -> Self {
        Held { inner, turn }
    }
}

/// A write transaction holding the write turn until it commits or is dropped (rolled back).
pub(crate) type WriteTx<DB> = Held<sqlx::Transaction<'static, DB>>;

/// A pooled connection holding the write turn, for one autocommit write statement.
pub(crate) type WriteConn<DB> = Held<sqlx::pool::PoolConnection<DB>>;

impl<DB: sqlx::Database> WriteTx<DB> {
    /// Commits, then gives the turn to the next writer.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let Held { inner, turn } = self;
        let done = inner.commit().await;
        drop(turn);
        done
    }
}

impl<C: Deref> Deref for Held<C> {
    type Target = C::Target;
    fn deref(&self) -> &C::Target {
        &self.inner
    }
}

impl<C: DerefMut> DerefMut for Held<C> {
    fn deref_mut(&mut self) -> &mut C::Target {
        &mut self.inner
    }
}
