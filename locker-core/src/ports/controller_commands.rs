//! [`ControllerCommands`]: the database queue of unlocks for controllers attached to other
//! processes, and the registry of which process drives which controller (issue 19). The
//! values and the rules are in [`crate::controller::relay`].

use futures::stream::BoxStream;

use crate::Result;
use crate::controller::relay::{Attachment, CommandSignal, NewRelayCommand, RelayCommand, RelayOutcome};
use crate::domain::{Id, Timestamp};

/// Commands across processes sharing one database. Implemented on PostgreSQL
/// (`store::postgres::PgCommands`); SQLite is one process (it refuses a second), so it has
/// no implementation and its service never queues.
#[async_trait::async_trait]
pub trait ControllerCommands: Send + Sync {
    /// Records that process `instance` drives `controller` from `now`. A controller whose
    /// live owner (heartbeat younger than `stale_after`) is another process is
    /// [`crate::Error::Conflict`]: one process owns a controller's line.
    async fn attach(
        &self,
        controller: Id,
        instance: &str,
        now: Timestamp,
        stale_after: chrono::TimeDelta,
    ) -> Result<()>;
    /// Stamps the heartbeat of every controller `instance` drives.
    async fn heartbeat(&self, instance: &str, now: Timestamp) -> Result<()>;
    /// Forgets every controller `instance` drives (a clean stop).
    async fn detach_all(&self, instance: &str) -> Result<()>;
    /// Who drives `controller`, if anyone registered.
    async fn attachment(&self, controller: Id) -> Result<Option<Attachment>>;
    /// Queues `command` at `now` and wakes the listeners; returns its id.
    async fn enqueue(&self, command: NewRelayCommand, now: Timestamp) -> Result<Id>;
    /// Claims, for `instance`, every queued command of `controllers` created at or after
    /// `fresh_since` (one conditional UPDATE: a command is claimed by one process only).
    async fn claim(
        &self,
        controllers: &[Id],
        instance: &str,
        fresh_since: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<RelayCommand>>;
    /// Records the outcome of claimed command `id` and wakes the listeners.
    async fn finish(&self, id: Id, outcome: &RelayOutcome, now: Timestamp) -> Result<()>;
    /// Command `id` as stored.
    async fn command(&self, id: Id) -> Result<RelayCommand>;
    /// Withdraws command `id` if it is still queued (`failed`, expired: it can no longer be
    /// claimed). Returns whether it was withdrawn.
    async fn withdraw(&self, id: Id, why: &str, now: Timestamp) -> Result<bool>;
    /// Marks `failed` every command queued before `queued_before` or claimed before
    /// `claimed_before` and not finished (never to be fired). Returns how many.
    async fn expire(&self, queued_before: Timestamp, claimed_before: Timestamp, now: Timestamp) -> Result<u64>;
    /// Wake-ups from the database (PostgreSQL `LISTEN`) from now on. The stream ends when
    /// the connection is lost; callers poll as well, so a lost wake-up only delays.
    async fn signals(&self) -> Result<BoxStream<'static, CommandSignal>>;
}
