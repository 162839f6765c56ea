//! [`PgLeadership`]: the [`Leadership`] port on PostgreSQL session advisory locks.
//!
//! Each task's lock is taken with `pg_try_advisory_lock` on a connection of its own (never a
//! pooled one: the lock belongs to the session, and a pooled connection would carry it to
//! other work). The lock lives as long as that connection: a leader process that dies, or
//! whose connection is cut, releases it, and the next follower to try takes over. The
//! leader checks its connection with a `SELECT 1` on every [`Lease::held`].

use std::time::Duration;

use sha2::Digest as _;
use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

use crate::Result;
use crate::ports::{Leadership, Lease};
use crate::store::{redact, storage_error};

/// How long a liveness check of a leader's connection may take before it counts as dead.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Leaders among the processes on one PostgreSQL database.
#[derive(Debug)]
pub struct PgLeadership {
    url: String,
    /// Connections of attempts that lost, reused by the next attempts (a follower retries
    /// every few seconds per task; this keeps it from reconnecting each time).
    spare: tokio::sync::Mutex<Vec<PgConnection>>,
}

impl PgLeadership {
    /// Leadership on the database at `url`; each lease gets a connection of its own.
    pub fn new(url: &str) -> Self {
        Self { url: url.to_owned(), spare: tokio::sync::Mutex::new(Vec::new()) }
    }

    /// The advisory lock key of `task`: the first 8 bytes of SHA-256(`locker:leader:TASK`).
    pub fn lock_key(task: &str) -> i64 {
        let digest = sha2::Sha256::digest(format!("locker:leader:{task}").as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(first)
    }
}

#[async_trait::async_trait]
impl Leadership for PgLeadership {
    async fn try_lead(&self, task: &str) -> Result<Option<Box<dyn Lease>>> {
        let spare = self.spare.lock().await.pop();
        let mut conn = match spare {
            Some(conn) => conn,
            None => PgConnection::connect(&self.url)
                .await
                .map_err(|e| storage_error(e, &format!("connecting for leadership to {}", redact(&self.url))))?,
        };
        // A spare that died since is dropped with the error; the next attempt connects afresh.
        let won: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(Self::lock_key(task))
            .fetch_one(&mut conn)
            .await
            .map_err(|e| storage_error(e, "trying the leader lock"))?;
        if won {
            Ok(Some(Box::new(PgLease { conn: Some(conn) })))
        } else {
            // It holds nothing: kept for the next attempt.
            self.spare.lock().await.push(conn);
            Ok(None)
        }
    }
}

/// A held advisory lock: the connection that holds it.
struct PgLease {
    conn: Option<PgConnection>,
}

#[async_trait::async_trait]
impl Lease for PgLease {
    async fn held(&mut self) -> bool {
        let Some(conn) = self.conn.as_mut() else { return false };
        let alive = tokio::time::timeout(CHECK_TIMEOUT, sqlx::query("SELECT 1").execute(&mut *conn)).await;
        if matches!(alive, Ok(Ok(_))) {
            return true;
        }
        // Dead or hung: drop it, so the server side (if it still lives) frees the lock too.
        self.conn = None;
        false
    }
}
