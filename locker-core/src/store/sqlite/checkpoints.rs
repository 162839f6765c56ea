//! WAL checkpoints beside the writes.
//!
//! SQLite's default checkpoints the WAL into the database inside the commit that grows it
//! past 1,000 pages: that commit copies the pages and waits for two more fsyncs, and the
//! customer whose check-in it was waits with it (a tail-latency spike every few hundred
//! commits). The writer connection has automatic checkpoints off; this task runs a
//! `PASSIVE` checkpoint on a reader connection every [`EVERY`] instead. `PASSIVE` never
//! waits for readers or the writer, so it never holds up a request; what it could not copy
//! it copies next time. Other processes on the file (the CLI) keep SQLite's default.

use std::sync::Weak;
use std::time::Duration;

use sqlx::SqlitePool;

/// How often the WAL is checkpointed.
pub(super) const EVERY: Duration = Duration::from_millis(250);

/// Checkpoints through `pool` every [`EVERY`] until `alive` is dropped or the pool closed.
pub(super) async fn run(pool: SqlitePool, alive: Weak<()>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.strong_count() == 0 || pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{DoorState, LockerSize, Money, NewLocker};
    use crate::ports::Store;
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn the_wal_is_checkpointed_beside_the_writes_and_stays_small() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.db");
        let store = SqliteStore::connect(&format!("sqlite:{}", file.display())).await.unwrap();
        store.migrate().await.unwrap();
        let now = chrono::Utc::now();
        let new = NewLocker {
            code: "C1".into(),
            station: "A".into(),
            location: "Hall".into(),
            size: LockerSize::Small,
            controller_id: None,
            relay_channel: 1,
            sensor_channel: 1,
            price_per_hour: Money(100),
        };
        let locker = store.create_locker(new, now).await.unwrap();
        // 3,000 one-row commits in six bursts with a checkpoint's interval between them: with
        // no checkpoint at all (the writer's automatic ones are off) the WAL would hold all
        // 3,000 frames, about 12 MB.
        let mut largest = 0;
        for burst in 0..6 {
            for n in 0..500 {
                let door = if (burst + n) % 2 == 0 { DoorState::Open } else { DoorState::Closed };
                store.set_locker_door(locker.id, door, now).await.unwrap();
            }
            tokio::time::sleep(super::EVERY * 3).await;
            largest = largest.max(std::fs::metadata(dir.path().join("c.db-wal")).unwrap().len());
        }
        assert!(largest < 6 << 20, "the WAL grew to {largest} bytes");
        let locker = store.get_locker(locker.id).await.unwrap();
        assert_eq!(locker.door, DoorState::Open, "the last write is read back");
    }
}
