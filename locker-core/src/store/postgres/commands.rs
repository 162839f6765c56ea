//! [`PgCommands`]: [`ControllerCommands`] on PostgreSQL — the `controller_commands` queue's
//! `unlock` rows, the `controller_attachments` registry (migration
//! `0010_controller_commands.sql`) and `LISTEN/NOTIFY` wake-ups.
//!
//! Wake-ups: [`enqueue`](ControllerCommands::enqueue) sends `NOTIFY locker_commands,
//! '<controller id>'` and [`finish`](ControllerCommands::finish) `NOTIFY locker_command_done,
//! '<command id>'`, each in the statement of its write (a CTE), so a listener woken finds
//! the row committed. [`signals`](ControllerCommands::signals) listens to both on a connection of its
//! own. A notification can be lost with its connection; the relay polls as well.

use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::BoxStream;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions, PgRow};

use crate::Result;
use crate::controller::relay::{
    Attachment, CommandSignal, CommandState, NewRelayCommand, RelayCommand, RelayOutcome, UnlockPurpose,
};
use crate::domain::{Id, Timestamp, new_id};
use crate::ports::ControllerCommands;
use crate::store::rows::{RowRead, corrupt};
use crate::store::{micros, redact, storage_error, write_error};

/// The channel of "a command was queued" (payload: the controller id).
pub const QUEUED_CHANNEL: &str = "locker_commands";
/// The channel of "a command finished" (payload: the command id).
pub const FINISHED_CHANNEL: &str = "locker_command_done";

const COLUMNS: &str = "id, controller_id, locker_id, locker_code, purpose, rental_id, requester, state, claimed_by, outcome, created_at, claimed_at, finished_at";

/// The cross-process command queue on a small pool of its own.
#[derive(Debug, Clone)]
pub struct PgCommands {
    pool: PgPool,
}

impl PgCommands {
    /// Connects to `url` with at most `connections` pooled connections (plus one per
    /// [`signals`](ControllerCommands::signals) listener). The schema is the store's: open
    /// the store first (it migrates).
    pub async fn connect(url: &str, connections: u32) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| storage_error(e, &format!("connecting to {}", redact(url))))?;
        Ok(Self { pool })
    }
}

fn command_row(r: &PgRow) -> Result<RelayCommand> {
    let purpose = r.text("purpose")?;
    let state = r.text("state")?;
    Ok(RelayCommand {
        id: r.id("id")?,
        controller_id: r.id("controller_id")?,
        locker_id: r.id("locker_id")?,
        locker_code: r.text("locker_code")?,
        purpose: UnlockPurpose::parse(&purpose).ok_or_else(|| corrupt("purpose", &purpose))?,
        rental_id: r.opt_id("rental_id")?,
        requester: r.opt_text("requester")?.unwrap_or_default(),
        state: CommandState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
        claimed_by: r.opt_text("claimed_by")?,
        outcome: r.opt_text("outcome")?.map(|o| RelayOutcome::decode(&o)),
        created_at: r.ts("created_at")?,
        claimed_at: r.opt_ts("claimed_at")?,
        finished_at: r.opt_ts("finished_at")?,
    })
}

fn attachment_row(r: &PgRow) -> Result<Attachment> {
    Ok(Attachment {
        controller_id: r.id("controller_id")?,
        instance: r.text("instance")?,
        heartbeat_at: r.ts("heartbeat_at")?,
    })
}

#[async_trait::async_trait]
impl ControllerCommands for PgCommands {
    async fn attach(
        &self,
        controller: Id,
        instance: &str,
        now: Timestamp,
        stale_after: chrono::TimeDelta,
    ) -> Result<()> {
        // Taken over only from the same instance or an owner whose heartbeat stopped.
        let row = sqlx::query(
            "INSERT INTO controller_attachments (controller_id, instance, attached_at, heartbeat_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (controller_id) DO UPDATE SET instance = excluded.instance, attached_at = excluded.attached_at, heartbeat_at = excluded.heartbeat_at \
             WHERE controller_attachments.instance = excluded.instance OR controller_attachments.heartbeat_at < $4 \
             RETURNING controller_id",
        )
        .bind(controller)
        .bind(instance)
        .bind(micros(now))
        .bind(micros(now - stale_after))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| write_error(e, "attaching a controller", "controller_id", |_| None))?;
        match row {
            Some(_) => Ok(()),
            None => Err(crate::Error::Conflict(format!(
                "controller {controller} is driven by another live process; one process owns a controller's line"
            ))),
        }
    }

    async fn heartbeat(&self, instance: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE controller_attachments SET heartbeat_at = $2 WHERE instance = $1")
            .bind(instance)
            .bind(micros(now))
            .execute(&self.pool)
            .await
            .map_err(|e| storage_error(e, "stamping controller attachments"))?;
        Ok(())
    }

    async fn detach_all(&self, instance: &str) -> Result<()> {
        sqlx::query("DELETE FROM controller_attachments WHERE instance = $1")
            .bind(instance)
            .execute(&self.pool)
            .await
            .map_err(|e| storage_error(e, "detaching controllers"))?;
        Ok(())
    }

    async fn attachment(&self, controller: Id) -> Result<Option<Attachment>> {
        let row = sqlx::query(
            "SELECT controller_id, instance, heartbeat_at FROM controller_attachments WHERE controller_id = $1",
        )
        .bind(controller)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| storage_error(e, "reading a controller attachment"))?;
        row.as_ref().map(attachment_row).transpose()
    }

    async fn enqueue(&self, command: NewRelayCommand, now: Timestamp) -> Result<Id> {
        let id = new_id();
        // One statement (no explicit transaction: see `PgStore::begin_detached` on sqlx's
        // BEGIN); the notification goes out when it commits.
        sqlx::query(
            "WITH queued AS (INSERT INTO controller_commands (id, controller_id, command, locker_id, locker_code, rental_id, purpose, requester, state, created_at) \
             VALUES ($1, $2, 'unlock', $3, $4, $5, $6, $7, 'queued', $8) RETURNING controller_id) \
             SELECT pg_notify($9, controller_id::text) FROM queued",
        )
        .bind(id)
        .bind(command.controller_id)
        .bind(command.locker_id)
        .bind(&command.locker_code)
        .bind(command.rental_id)
        .bind(command.purpose.as_str())
        .bind(&command.requester)
        .bind(micros(now))
        .bind(QUEUED_CHANNEL)
        .execute(&self.pool)
        .await
        .map_err(|e| write_error(e, "queueing a controller command", "controller_id", |_| None))?;
        Ok(id)
    }

    async fn claim(
        &self,
        controllers: &[Id],
        instance: &str,
        fresh_since: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<RelayCommand>> {
        if controllers.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE controller_commands SET state = 'claimed', claimed_by = $2, claimed_at = $3 \
             WHERE id IN (SELECT id FROM controller_commands WHERE command = 'unlock' AND state = 'queued' \
             AND controller_id = ANY($1) AND created_at >= $4 ORDER BY created_at FOR UPDATE SKIP LOCKED) \
             AND state = 'queued' RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(controllers.to_vec())
            .bind(instance)
            .bind(micros(now))
            .bind(micros(fresh_since))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| storage_error(e, "claiming controller commands"))?;
        rows.iter().map(command_row).collect()
    }

    async fn finish(&self, id: Id, outcome: &RelayOutcome, now: Timestamp) -> Result<()> {
        let state = if outcome.is_done() { "done" } else { "failed" };
        sqlx::query(
            "WITH finished AS (UPDATE controller_commands SET state = $2, outcome = $3, finished_at = $4 \
             WHERE id = $1 AND state = 'claimed' RETURNING id) \
             SELECT pg_notify($5, id::text) FROM finished",
        )
        .bind(id)
        .bind(state)
        .bind(outcome.encode())
        .bind(micros(now))
        .bind(FINISHED_CHANNEL)
        .execute(&self.pool)
        .await
        .map_err(|e| storage_error(e, "finishing a controller command"))?;
        Ok(())
    }

    async fn command(&self, id: Id) -> Result<RelayCommand> {
        let sql = format!("SELECT {COLUMNS} FROM controller_commands WHERE id = $1 AND command = 'unlock'");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| storage_error(e, "reading a controller command"))?;
        command_row(&crate::store::found(row, "controller command", id)?)
    }

    async fn withdraw(&self, id: Id, why: &str, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE controller_commands SET state = 'failed', outcome = $2, finished_at = $3 WHERE id = $1 AND state = 'queued'",
        )
        .bind(id)
        .bind(RelayOutcome::Expired(why.to_owned()).encode())
        .bind(micros(now))
        .execute(&self.pool)
        .await
        .map_err(|e| storage_error(e, "withdrawing a controller command"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn expire(&self, queued_before: Timestamp, claimed_before: Timestamp, now: Timestamp) -> Result<u64> {
        let queued = sqlx::query(
            "UPDATE controller_commands SET state = 'failed', outcome = $2, finished_at = $3 \
             WHERE command = 'unlock' AND state = 'queued' AND created_at < $1",
        )
        .bind(micros(queued_before))
        .bind(RelayOutcome::Expired("no process took it in time; never fired".into()).encode())
        .bind(micros(now))
        .execute(&self.pool)
        .await
        .map_err(|e| storage_error(e, "expiring queued controller commands"))?;
        let claimed = sqlx::query(
            "UPDATE controller_commands SET state = 'failed', outcome = $2, finished_at = $3 \
             WHERE command = 'unlock' AND state = 'claimed' AND claimed_at < $1",
        )
        .bind(micros(claimed_before))
        .bind(
            RelayOutcome::Expired(
                "the process that took it stopped before recording an outcome; outcome unknown, not fired again".into(),
            )
            .encode(),
        )
        .bind(micros(now))
        .execute(&self.pool)
        .await
        .map_err(|e| storage_error(e, "expiring claimed controller commands"))?;
        Ok(queued.rows_affected() + claimed.rows_affected())
    }

    async fn signals(&self) -> Result<BoxStream<'static, CommandSignal>> {
        let mut listener =
            PgListener::connect_with(&self.pool).await.map_err(|e| storage_error(e, "listening for commands"))?;
        listener
            .listen_all([QUEUED_CHANNEL, FINISHED_CHANNEL])
            .await
            .map_err(|e| storage_error(e, "listening for commands"))?;
        let stream = listener.into_stream().filter_map(|n| async move {
            let n = match n {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "command listener connection failed");
                    return None;
                }
            };
            let id: Id = n.payload().parse().ok()?;
            match n.channel() {
                QUEUED_CHANNEL => Some(CommandSignal::Queued(id)),
                FINISHED_CHANNEL => Some(CommandSignal::Finished(id)),
                _ => None,
            }
        });
        Ok(stream.boxed())
    }
}
