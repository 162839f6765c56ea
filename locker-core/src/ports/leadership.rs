//! [`Leadership`]: one leader per named task among the server processes on one database,
//! so a timer task (order expiry, overdue rentals, offline controllers) runs once.

use crate::Result;

/// Elects leaders. Implemented for PostgreSQL with session advisory locks
/// (`store::postgres::PgLeadership`): the lock lives as long as the connection that took
/// it, so a leader that dies (process killed, connection cut) releases it by itself.
#[async_trait::async_trait]
pub trait Leadership: Send + Sync {
    /// Tries to become the leader of `task` now, without waiting: `Some` lease when this
    /// caller leads, `None` when another holder does.
    async fn try_lead(&self, task: &str) -> Result<Option<Box<dyn Lease>>>;
}

/// A held leadership; dropping it steps down.
#[async_trait::async_trait]
pub trait Lease: Send {
    /// Whether the lease still holds (its connection is alive). Once `false`, it never
    /// holds again: drop it and try to lead afresh.
    async fn held(&mut self) -> bool;
}
