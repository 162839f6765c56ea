//! Starting over a controller that kept working while we were gone.
//!
//! A lock controller repeats each door event until it is acknowledged, so when the service
//! restarts, the board still holds the edges of the cycles that were running when the old
//! process died, and delivers them to the new one. Fed to the new door machines they lie:
//! an old "opened" reads as an unauthorized open of a door at rest, an old "closed" ends a
//! new customer's cycle before their door ever opened.
//!
//! So [`LockerService::attach_and_reconcile`] attaches the controllers *holding* their door
//! events: it lets the boards empty their queues, keeps of those events only which sensor
//! channels moved (the door was touched while we were away), and then reads the doors
//! instead ([`super::reconcile`]). A rental still in `Opening` whose door did not move and
//! whose unlock window has not passed gets its cycle back as `Unlocking` (the old process
//! fired the relay; the customer may still be on the way), so their open counts as
//! authorized and their close finishes the rental. Events that arrive after the queues
//! emptied are handled live, as usual.
//!
//! Known limit: an open and a close that the old process acknowledged but did not record
//! before it died leave no trace; such a rental waits out its window and gets the retry
//! pulse a customer who never opened would get.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Result;
use crate::controller::wire::{ControllerEvent, DeviceEvent};
use crate::domain::{Door, DoorEvent, Id, Rental};
use crate::ports::LockController;

use super::doors::DoorSlot;
use super::reconcile::Reconciled;
use super::{LockerService, lock};

/// The door events a controller delivered since it was attached, while they are held.
#[derive(Debug)]
pub(super) struct Backlog {
    since: Instant,
    last_event: Option<Instant>,
    /// Sensor channels that reported a door change while held.
    moved: HashSet<u16>,
    held: u32,
    /// Set once the held events are settled: events are handled as they come from then on.
    live: bool,
}

/// One controller's backlog, shared by its event pump and the start-up.
pub(super) type SharedBacklog = Arc<Mutex<Backlog>>;

impl Backlog {
    fn new() -> SharedBacklog {
        Arc::new(Mutex::new(Backlog {
            since: Instant::now(),
            last_event: None,
            moved: HashSet::new(),
            held: 0,
            live: false,
        }))
    }

    /// Holds `event` if the backlog is still held (returns `true`), else leaves it to the
    /// caller to handle live.
    pub(super) fn hold(&mut self, event: &ControllerEvent) -> bool {
        if self.live {
            return false;
        }
        if let ControllerEvent::Device { event: DeviceEvent::Door { channel, .. } } = event {
            self.moved.insert(*channel);
        }
        self.held += 1;
        self.last_event = Some(Instant::now());
        true
    }

    /// Whether the controller has gone `quiet` (no event for that long), or `limit` has passed
    /// since attaching (a busy cabinet never goes quiet).
    fn drained(&self, quiet: Duration, limit: Duration) -> bool {
        let last = self.last_event.unwrap_or(self.since);
        last.elapsed() >= quiet || self.since.elapsed() >= limit
    }
}

impl LockerService {
    /// Attaches `controllers` and reconciles with them, for a service that starts over
    /// controllers that may have kept working while it was down (see the module docs):
    ///
    /// 1. attaches each driver with its door events held;
    /// 2. waits until every controller has been quiet for
    ///    [`backlog_quiet`](super::ServiceConfig::backlog_quiet) (at most
    ///    [`backlog_limit`](super::ServiceConfig::backlog_limit));
    /// 3. gives each rental in `Opening` whose door did not move, and whose unlock window
    ///    is still open, its cycle back;
    /// 4. handles events live from then on, and runs [`reconcile`](Self::reconcile), also
    ///    reading every door that moved.
    ///
    /// `locker serve` and [`kiosk::Service`](crate::kiosk::Service) start this way. A caller that attaches a
    /// new controller to a running service uses [`attach_controller`](Self::attach_controller).
    pub async fn attach_and_reconcile(
        self: &Arc<Self>,
        controllers: impl IntoIterator<Item = (Id, Arc<dyn LockController>)>,
    ) -> Result<Reconciled> {
        let mut backlogs = HashMap::new();
        for (id, driver) in controllers {
            let backlog = Backlog::new();
            self.attach_with(id, driver, Some(backlog.clone()));
            backlogs.insert(id, backlog);
        }
        let (quiet, limit) = (self.config.backlog_quiet, self.config.backlog_limit);
        while !backlogs.values().all(|b| lock(b).drained(quiet, limit)) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let moved: HashMap<Id, HashSet<u16>> = backlogs.iter().map(|(id, b)| (*id, lock(b).moved.clone())).collect();
        let resumed = self.resume_unmoved_cycles(&moved).await;
        let mut held = 0;
        for backlog in backlogs.values() {
            let mut backlog = lock(backlog);
            backlog.live = true;
            held += backlog.held;
        }
        if held > 0 {
            tracing::info!(held, "door events from before the start read as history, not replayed");
        }
        let mut done = self.reconcile_moved(&moved).await?;
        done.adopted += resumed;
        done.held_events = held;
        Ok(done)
    }

    /// Gives back its `Unlocking` cycle to each rental in `Opening` whose door did not move
    /// and whose unlock window is still open. Returns how many.
    async fn resume_unmoved_cycles(&self, moved: &HashMap<Id, HashSet<u16>>) -> u32 {
        let rentals = match self.opening_rentals().await {
            Ok(rentals) => rentals,
            Err(e) => {
                tracing::error!(error = %e, "rentals in opening not listed; they are settled by reading their doors");
                return 0;
            }
        };
        let now = self.now();
        let mut resumed = 0;
        for rental in rentals {
            match self.resume_cycle(&rental, moved, now).await {
                Ok(true) => resumed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(rental = %rental.id, error = %e, "cycle not resumed; settled by reading its door")
                }
            }
        }
        resumed
    }

    async fn resume_cycle(
        &self,
        rental: &Rental,
        moved: &HashMap<Id, HashSet<u16>>,
        now: crate::domain::Timestamp,
    ) -> Result<bool> {
        let unlocked_at = rental.started_at.unwrap_or(rental.created_at);
        if now - unlocked_at >= self.config.door.open_window {
            return Ok(false);
        }
        let _cycle = self.cycle(rental.locker_id).await;
        let locker = self.store().get_locker(rental.locker_id).await?;
        let Some(controller) = locker.controller_id else { return Ok(false) };
        let untouched = moved.get(&controller).is_some_and(|m| !m.contains(&locker.sensor_channel));
        if !untouched || !self.slot(&locker).door.is_at_rest() {
            return Ok(false);
        }
        // The machine replays the old process's unlock at the time it was made.
        let (door, _) = Door::unknown().on(DoorEvent::UnlockSent, unlocked_at, &self.config.door)?;
        self.set_slot(locker.id, DoorSlot { door, serving: Some(rental.id) });
        tracing::info!(locker = %locker.code, rental = %rental.id, "unlock from before the start: waiting for the door");
        Ok(true)
    }
}
