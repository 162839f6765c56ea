//! Events across server processes: [`LockerService::share_events`] puts the service's
//! events on a shared [`EventLog`] and delivers the log to this process's subscribers.
//!
//! Once shared, an event raised here is not sent to the local channel at once: it is
//! appended to the log (by one task, so in the order it was raised), and every process —
//! this one included — sends the log's rows to its subscribers in id order. So every
//! subscriber of every process sees the same events in the same order (in particular in
//! order per locker, whichever process served each change), and none twice. The price is
//! one database round trip between an event and its delivery. Should the log refuse an
//! append, the event is delivered locally rather than lost (and is then missing elsewhere).
//!
//! The reader wakes on the log's notifications, and at least every [`POLL`] in case one
//! was lost; rows older than [`RETENTION`] are pruned every [`PRUNE_EVERY`] (by every
//! process: the delete is idempotent and cheap).

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::mpsc;

use crate::Result;
use crate::domain::Id;
use crate::ports::{EventLog, EventWakeups};

use super::{LockerService, ServiceEvent};

/// The longest a reader waits without a notification before reading the log anyway.
pub const POLL: Duration = Duration::from_secs(1);
/// How long events stay in the log.
pub const RETENTION: TimeDelta = TimeDelta::hours(1);
/// How often each process prunes the log.
const PRUNE_EVERY: TimeDelta = TimeDelta::minutes(10);
/// Rows read per query.
const BATCH: u32 = 256;

impl LockerService {
    /// Shares this service's events with every process on `log` (see the [module
    /// docs](self)): returns the relay to spawn on the shell's runtime, which runs until
    /// dropped. Fails if the log cannot be read or listened to, or if events are already
    /// shared.
    pub async fn share_events(
        self: &Arc<Self>,
        log: Arc<dyn EventLog>,
    ) -> Result<impl std::future::Future<Output = ()> + Send + 'static> {
        let start = log.head().await?;
        let wakeups = log.listen().await?;
        let (outbox, raised) = mpsc::unbounded_channel();
        self.shared_events.set(outbox).map_err(|_| crate::Error::config("this service's events are already shared"))?;
        let origin = self.origin;
        let publish = publish(log.clone(), origin, self.clone(), raised);
        let deliver = deliver(self.clone(), log, start, wakeups);
        Ok(async move {
            futures::future::join(publish, deliver).await;
        })
    }

    /// This process's id in the shared event log.
    pub fn origin(&self) -> Id {
        self.origin
    }
}

/// Appends the events raised here, in the order raised.
async fn publish(
    log: Arc<dyn EventLog>,
    origin: Id,
    service: Arc<LockerService>,
    mut raised: mpsc::UnboundedReceiver<ServiceEvent>,
) {
    while let Some(event) = raised.recv().await {
        let payload = match serde_json::to_value(&event) {
            Ok(payload) => payload,
            Err(e) => {
                tracing::error!(error = %e, "event not serialisable; delivered here only");
                let _ = service.events.send(event);
                continue;
            }
        };
        let mut appended = log.append(origin, &payload, service.now()).await;
        if appended.is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            appended = log.append(origin, &payload, service.now()).await;
        }
        if let Err(e) = appended {
            tracing::error!(error = %e, event = event.name(), "event not shared; delivered here only");
            let _ = service.events.send(event);
        }
    }
}

/// Sends the log's events after `last` to this process's subscribers, in id order.
async fn deliver(service: Arc<LockerService>, log: Arc<dyn EventLog>, mut last: i64, wakeups: Box<dyn EventWakeups>) {
    let mut wakeups = Some(wakeups);
    let mut next_prune = service.now();
    loop {
        match wakeups.as_mut() {
            Some(w) => {
                if let Err(e) = w.wait(POLL).await {
                    tracing::warn!(error = %e, "event listener lost; polling the log until it is back");
                    wakeups = None;
                }
            }
            None => {
                tokio::time::sleep(POLL).await;
                wakeups = log.listen().await.ok();
            }
        }
        loop {
            let batch = match log.read_after(last, BATCH).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "event log not readable; retrying");
                    break;
                }
            };
            let full = batch.len() == BATCH as usize;
            for row in batch {
                last = row.id;
                match serde_json::from_value::<ServiceEvent>(row.payload) {
                    Ok(event) => {
                        // No subscriber is not an error.
                        let _ = service.events.send(event);
                    }
                    Err(e) => tracing::warn!(id = row.id, error = %e, "event from the log not understood; skipped"),
                }
            }
            if !full {
                break;
            }
        }
        let now = service.now();
        if now >= next_prune {
            next_prune = now + PRUNE_EVERY;
            if let Err(e) = log.prune(now - RETENTION).await {
                tracing::warn!(error = %e, "event log not pruned");
            }
        }
    }
}
