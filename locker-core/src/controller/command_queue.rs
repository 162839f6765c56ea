//! [`CommandQueueBoard`]: a board that polls the server over HTTP for its commands and
//! reports its doors itself (the ESP32 boards of seed 001), as a [`LockController`].
//!
//! Such a board cannot be asked anything: the server only answers it. So:
//!
//! - **An unlock is a queued command.** [`unlock`](LockController::unlock) writes an
//!   `open_cabinet` command for the locker wired to that relay channel into the
//!   `controller_commands` queue ([`OrderStore::queue_command`]), which the board takes with
//!   `GET /api/devices/<device_id>/open/` ([`OrderStore::take_command`]). For this board
//!   [`UnlockOutcome::Pulsed`] means "queued for the board's next poll", not "the relay
//!   fired": the door machine's unlock window runs from the queueing, so it includes the
//!   board's poll interval. A command for a locker whose previous command is still waiting
//!   is not queued twice (the machine's retry after its window finds the first one still
//!   there: the board has not polled, and one pulse will do).
//! - **Door reports are its events.** [`report`](CommandQueueBoard::report) turns a door
//!   the board reported (`POST /api/devices/status/`) into a [`DeviceEvent::Door`] for every
//!   subscriber, so the locker service runs it through the same per-channel lanes and door
//!   machines as a UART board's events, and returns once the service has handled it
//!   ([`LockController::event_handled`]), with the service's error if it failed: the board
//!   learns from its HTTP answer whether its report took effect.
//! - **A read answers the last report.** [`door`](LockController::door) and
//!   [`doors`](LockController::doors) return what the board last reported since this object
//!   was made (`unknown` before its first report), never an error: the service's status
//!   reads (deadlines, polls of doors mid-cycle, settling rentals left in `opening`) then
//!   work from the latest truth there is, and a board that merely polls never raises
//!   `device_offline` (its silence is judged from its own heartbeats).
//! - **It cannot be pinged.** [`info`](LockController::info) is
//!   [`UartError::Unsupported`], which the service's housekeeping takes as "do not ping",
//!   so a silent board is not recorded as alive.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::channel::mpsc;

use crate::controller::wire::{ControllerEvent, ControllerInfo, DeviceEvent, UartError, UnlockOutcome};
use crate::domain::{DoorState, Id};
use crate::orders::NewCommand;
use crate::ports::{Clock, LockController, LockerFilter, OrderStore, Store, all_pages};

/// How long [`CommandQueueBoard::report`] waits for the service to handle a report.
pub const REPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a door report did not take effect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// No locker service listens to this board (nothing subscribed).
    #[error("no locker service is attached to this board")]
    NotAttached,
    /// The service did not handle the report in time; it may still do so.
    #[error("the door report was not handled within {0:?}")]
    NotHandled(Duration),
    /// The service handled the report and failed.
    #[error("the door report failed")]
    Failed(#[source] crate::Error),
}

/// What the board has been told and has told.
#[derive(Debug, Default)]
struct Reports {
    subscribers: Vec<mpsc::UnboundedSender<ControllerEvent>>,
    /// The last reported state of each sensor channel.
    doors: BTreeMap<u16, DoorState>,
    /// Door events sent per sensor channel.
    sent: HashMap<u16, u64>,
    /// Door events the service has handled per sensor channel (in order: one lane each).
    handled: HashMap<u16, u64>,
    /// Failures of handled events, by (channel, sequence), until their reporter takes them.
    failures: HashMap<(u16, u64), crate::Error>,
}

/// A board that polls the server over HTTP for its commands (see the module docs).
pub struct CommandQueueBoard {
    controller_id: Id,
    lockers: Arc<dyn Store>,
    queue: Arc<dyn OrderStore>,
    clock: Arc<dyn Clock>,
    reports: Mutex<Reports>,
    handled: tokio::sync::Notify,
    report_timeout: Duration,
}

impl std::fmt::Debug for CommandQueueBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandQueueBoard").field("controller_id", &self.controller_id).finish_non_exhaustive()
    }
}

impl CommandQueueBoard {
    /// The board of controller `controller_id`: its lockers are read from `lockers`, its
    /// commands queued in `queue`, stamped by `clock`.
    pub fn new(controller_id: Id, lockers: Arc<dyn Store>, queue: Arc<dyn OrderStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            controller_id,
            lockers,
            queue,
            clock,
            reports: Mutex::new(Reports::default()),
            handled: tokio::sync::Notify::new(),
            report_timeout: REPORT_TIMEOUT,
        }
    }

    /// The controller this board is.
    pub fn controller_id(&self) -> Id {
        self.controller_id
    }

    /// The board reported the door on sensor `channel` in `state`: every subscriber gets it
    /// as a [`DeviceEvent::Door`]; returns once the service has handled it (or with why
    /// not). Reports of one channel are handled in the order they are made.
    pub async fn report(&self, channel: u16, state: DoorState) -> Result<(), ReportError> {
        let seq = {
            let mut reports = lock(&self.reports);
            let event = ControllerEvent::Device { event: DeviceEvent::Door { channel, state } };
            reports.subscribers.retain(|s| s.unbounded_send(event.clone()).is_ok());
            if reports.subscribers.is_empty() {
                return Err(ReportError::NotAttached);
            }
            reports.doors.insert(channel, state);
            let sent = reports.sent.entry(channel).or_default();
            *sent += 1;
            *sent
        };
        let deadline = tokio::time::Instant::now() + self.report_timeout;
        loop {
            let handled = self.handled.notified();
            {
                let mut reports = lock(&self.reports);
                if reports.handled.get(&channel).is_some_and(|h| *h >= seq) {
                    return reports.failures.remove(&(channel, seq)).map_or(Ok(()), |e| Err(ReportError::Failed(e)));
                }
            }
            if tokio::time::timeout_at(deadline, handled).await.is_err() {
                return Err(ReportError::NotHandled(self.report_timeout));
            }
        }
    }

    /// The locker code wired to relay `channel` of this board.
    async fn locker_code(&self, channel: u16) -> Result<String, UartError> {
        let every = LockerFilter::default();
        let lockers = all_pages(|page| self.lockers.list_lockers(&every, page)).await.map_err(queue_error)?;
        lockers
            .into_iter()
            .find(|l| l.controller_id == Some(self.controller_id) && l.relay_channel == channel)
            .map(|l| l.code)
            .ok_or_else(|| UartError::BadConfig(format!("no locker is wired to relay channel {channel} of this board")))
    }
}

#[async_trait::async_trait]
impl LockController for CommandQueueBoard {
    /// Queues an `open_cabinet` command for the locker on relay `channel`;
    /// [`UnlockOutcome::Pulsed`] means "queued for the board's next poll" (or already
    /// waiting there).
    async fn unlock(&self, channel: u16) -> Result<UnlockOutcome, UartError> {
        let locker_code = self.locker_code(channel).await?;
        let command = NewCommand { controller_id: self.controller_id, locker_code, rental_id: None };
        let queued = self.queue.queue_command(command, self.clock.now()).await.map_err(queue_error)?;
        if !queued {
            tracing::info!(controller = %self.controller_id, channel, "an unlock for this door is still queued");
        }
        Ok(UnlockOutcome::Pulsed)
    }

    /// The last state the board reported for sensor `channel` (`unknown` before any).
    async fn door(&self, channel: u16) -> Result<DoorState, UartError> {
        Ok(lock(&self.reports).doors.get(&channel).copied().unwrap_or(DoorState::Unknown))
    }

    /// The last reported state of channels 1 to the highest one reported.
    async fn doors(&self) -> Result<Vec<DoorState>, UartError> {
        let reports = lock(&self.reports);
        let max = reports.doors.keys().next_back().copied().unwrap_or(0);
        Ok((1..=max).map(|ch| reports.doors.get(&ch).copied().unwrap_or(DoorState::Unknown)).collect())
    }

    /// Not offered: the board is never asked anything, it reports itself.
    async fn info(&self) -> Result<ControllerInfo, UartError> {
        Err(UartError::Unsupported("info: a board polling over HTTP is never asked; it reports itself"))
    }

    fn subscribe(&self) -> mpsc::UnboundedReceiver<ControllerEvent> {
        let (tx, rx) = mpsc::unbounded();
        lock(&self.reports).subscribers.push(tx);
        rx
    }

    fn event_handled(&self, event: &ControllerEvent, outcome: crate::Result<()>) {
        let ControllerEvent::Device { event: DeviceEvent::Door { channel, .. } } = event else { return };
        {
            let mut reports = lock(&self.reports);
            let handled = reports.handled.entry(*channel).or_default();
            *handled += 1;
            let seq = *handled;
            if let Err(e) = outcome {
                reports.failures.insert((*channel, seq), e);
            }
        }
        self.handled.notify_waiters();
    }
}

/// A store failure while queueing, as the controller error the service expects.
fn queue_error(e: crate::Error) -> UartError {
    UartError::CommandQueue(crate::cause::Cause::new(e))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_errors_keep_their_cause() {
        use std::error::Error as _;
        let e = ReportError::Failed(crate::Error::Conflict("moved".into()));
        assert!(e.source().is_some_and(|s| s.to_string().contains("moved")));
    }
}
