//! [`EventLog`]: the service's events shared by every server process on one database.
//!
//! Each process appends the events it raises; every process reads the log in id order and
//! sends each event to its own subscribers (see `LockerService::relay_events`). Ids grow in
//! commit order, so "every row after the last id I saw" never skips a row committed late.

use std::time::Duration;

use crate::Result;
use crate::domain::{Id, Timestamp};

/// One event as stored in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// Its place in the log: larger ids were committed later.
    pub id: i64,
    /// The process that raised it.
    pub origin: Id,
    /// The event as JSON (`{"event": ..., "data": ...}`).
    pub payload: serde_json::Value,
}

/// The shared, ordered log of events. Implemented for PostgreSQL
/// (`store::postgres::PgEventLog`); a single process on SQLite needs none.
#[async_trait::async_trait]
pub trait EventLog: Send + Sync {
    /// Appends `payload` raised by process `origin` at `now` and wakes every listener
    /// (on PostgreSQL a `NOTIFY` carrying the new id). Returns the id.
    async fn append(&self, origin: Id, payload: &serde_json::Value, now: Timestamp) -> Result<i64>;
    /// The events after id `after`, oldest first, at most `limit`.
    async fn read_after(&self, after: i64, limit: u32) -> Result<Vec<LoggedEvent>>;
    /// The last id now (0 for an empty log): where a reader that wants only new events starts.
    async fn head(&self) -> Result<i64>;
    /// Deletes the events appended before `before`; returns how many.
    async fn prune(&self, before: Timestamp) -> Result<u64>;
    /// A fresh listener for appends by any process.
    async fn listen(&self) -> Result<Box<dyn EventWakeups>>;
}

/// Wake-ups for an [`EventLog`] reader.
#[async_trait::async_trait]
pub trait EventWakeups: Send {
    /// Waits at most `timeout` for news: `true` when something was appended or the
    /// listener reconnected (notifications may have been lost: read the log), `false` on
    /// timeout. An error means the listener is unusable for now (the reader polls instead).
    async fn wait(&mut self, timeout: Duration) -> Result<bool>;
}
