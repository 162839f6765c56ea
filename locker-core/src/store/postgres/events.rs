//! [`PgEventLog`]: the [`EventLog`] port on PostgreSQL — table `service_events` (migration
//! `0009_events.sql`) and `LISTEN/NOTIFY` on channel `locker_events`, the notification
//! carrying only the new row's id (readers take the rows from the table, so a payload
//! never meets NOTIFY's 8000-byte limit and a lost notification loses no event).
//!
//! Appends serialise on one advisory transaction lock taken before the row's id is drawn:
//! the lock is released after the commit is visible, so ids grow in commit order and a
//! reader asking for "every row after id N" cannot miss a row that was still in flight.
//! The cost is one append at a time across the site, a few hundred microseconds each.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row as _;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use crate::domain::{Id, Timestamp};
use crate::ports::{EventLog, EventWakeups, LoggedEvent};
use crate::store::{redact, storage_error};
use crate::{Error, Result};

/// The NOTIFY channel.
const CHANNEL: &str = "locker_events";
/// The advisory lock appenders serialise on (`"lockevnt"` in ASCII).
const APPEND_LOCK: i64 = 0x6c6f_636b_6576_6e74;

/// The shared event log of the server processes on one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgEventLog {
    pool: PgPool,
    url: String,
}

impl PgEventLog {
    /// Connects to `url` (already migrated) with a small pool of its own.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| storage_error(e, &format!("connecting the event log to {}", redact(url))))?;
        Ok(Self { pool, url: url.to_owned() })
    }
}

#[async_trait::async_trait]
impl EventLog for PgEventLog {
    async fn append(&self, origin: Id, payload: &serde_json::Value, now: Timestamp) -> Result<i64> {
        let mut tx = self.pool.begin().await.map_err(|e| storage_error(e, "starting an event append"))?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(APPEND_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(|e| storage_error(e, "locking the event log"))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO service_events (origin, payload, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(origin)
        .bind(sqlx::types::Json(payload.clone()))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| storage_error(e, "appending an event"))?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| storage_error(e, "notifying an event"))?;
        tx.commit().await.map_err(|e| storage_error(e, "committing an event"))?;
        Ok(id)
    }

    async fn read_after(&self, after: i64, limit: u32) -> Result<Vec<LoggedEvent>> {
        let rows = sqlx::query("SELECT id, origin, payload FROM service_events WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| storage_error(e, "reading events"))?;
        rows.iter()
            .map(|r| {
                let payload: sqlx::types::Json<serde_json::Value> =
                    r.try_get("payload").map_err(|e| storage_error(e, "reading an event"))?;
                Ok(LoggedEvent {
                    id: r.try_get("id").map_err(|e| storage_error(e, "reading an event id"))?,
                    origin: r.try_get("origin").map_err(|e| storage_error(e, "reading an event origin"))?,
                    payload: payload.0,
                })
            })
            .collect()
    }

    async fn head(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM service_events")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| storage_error(e, "reading the event log's head"))
    }

    async fn prune(&self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM service_events WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(|e| storage_error(e, "pruning events"))?;
        Ok(done.rows_affected())
    }

    async fn listen(&self) -> Result<Box<dyn EventWakeups>> {
        let mut listener =
            PgListener::connect(&self.url).await.map_err(|e| storage_error(e, "connecting the event listener"))?;
        listener.listen(CHANNEL).await.map_err(|e| storage_error(e, "listening for events"))?;
        let news = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn(forward(listener, news.clone()));
        Ok(Box::new(PgWakeups { news, task }))
    }
}

/// Turns notifications (and reconnects, after which some may be lost) into wake-ups. Runs
/// on a task of its own, so a reader's timeout never cancels a half-read message.
async fn forward(mut listener: PgListener, news: Arc<tokio::sync::Notify>) {
    loop {
        match listener.try_recv().await {
            // A reconnect (`None`) may have lost notifications: the reader reads the log anyway.
            Ok(_) => news.notify_one(),
            Err(e) => {
                tracing::warn!(error = %e, "event listener failed; retrying in 1 s");
                news.notify_one();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// [`EventWakeups`] from the forwarding task; dropping it ends the task and its connection.
struct PgWakeups {
    news: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PgWakeups {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[async_trait::async_trait]
impl EventWakeups for PgWakeups {
    async fn wait(&mut self, timeout: Duration) -> Result<bool> {
        if self.task.is_finished() {
            return Err(Error::config("the event listener stopped"));
        }
        Ok(tokio::time::timeout(timeout, self.news.notified()).await.is_ok())
    }
}
