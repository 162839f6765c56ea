//! Convergence: the stored state follows what the controller observes, whatever events
//! were lost.
//!
//! Door events are hints. A frame can be lost on the line, a board can reboot, the server
//! can die mid-cycle, a database write can fail after the door machine moved. So the
//! service does not depend on any one event arriving:
//!
//! - **At a deadline** (the unlock window, the left-open limit) the door is read before the
//!   machine decides on a retry, a jam or a left-open alert ([`super::doors`]).
//! - **While a door is mid-cycle** it is read every
//!   [`door_poll_every`](super::ServiceConfig::door_poll_every) and the reading fed to its
//!   machine as [`DoorEvent::StatusObserved`].
//! - **A rental left in `Opening`** with no cycle tracking it (its cycle's close was lost,
//!   or the process restarted) is looked at once it is older than
//!   [`reconcile_after`](super::ServiceConfig::reconcile_after): a door read closed finishes
//!   it (`Active`: the customer's things may be inside, and they hold the code to get them
//!   out), a door read open becomes its cycle, which ends when the door shuts.
//! - **At start** ([`LockerService::reconcile`]), before check-ins are served, every rental
//!   in `Opening` and every door not recorded closed is read and settled the same way.
//!
//! A controller that cannot be reached raises `device_offline` once and blocks nothing else.
//! Boards that poll over HTTP (seed 001) cannot be read on demand: their sensor reports
//! are their events, and a read answers the last report
//! ([`crate::controller::command_queue`]), so a rental whose close arrived while no cycle
//! served it is still settled, and such a board never raises `device_offline` here.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::Result;
use crate::domain::{AlertKind, Door, DoorEvent, DoorState, Id, Locker, NewAlert, Rental, RentalState, Timestamp};
use crate::ports::{LockerFilter, RentalFilter, all_pages};

use super::doors::DoorSlot;
use super::{LockerService, lock};

/// What [`LockerService::reconcile`] settled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciled {
    /// Rentals in `Opening` whose door was read closed: now `Active`.
    pub activated: u32,
    /// Rentals in `Opening` whose door was read open: their cycle ends when it shuts.
    pub adopted: u32,
    /// Doors whose recorded state was corrected from a reading.
    pub doors_read: u32,
    /// Lockers whose controller could not be read (alerted, left as they were).
    pub unreachable: u32,
    /// Door events the controllers still held from before the start, read as history
    /// ([`LockerService::attach_and_reconcile`]).
    pub held_events: u32,
}

impl LockerService {
    /// Reads the door of `locker` from its controller; `None` when it has none attached
    /// (an HTTP-polling board) or does not answer (then `device_offline` is raised once).
    pub(super) async fn read_door(&self, locker: &Locker) -> Option<DoorState> {
        if self.door_is_remote(locker).await {
            // Its process reads and settles it (issue 19): no second door machine here.
            return None;
        }
        let driver = self.driver_of(locker).ok()?;
        match driver.door(locker.sensor_channel).await {
            Ok(state) => Some(state),
            Err(e) => {
                tracing::warn!(locker = %locker.code, error = %e, "door status could not be read");
                if let Some(controller) = locker.controller_id {
                    self.controller_unreachable(controller, &e.to_string()).await;
                }
                None
            }
        }
    }

    /// Raises `device_offline` for `controller` once (until its next heartbeat).
    async fn controller_unreachable(&self, controller: Id, error: &str) {
        if !lock(&self.watch).offline_alerted.insert(controller) {
            return;
        }
        let name = self.store().get_controller(controller).await.map_or_else(|_| controller.to_string(), |c| c.name);
        let message = format!("Controller {name} does not answer: {error}");
        let alert = NewAlert { controller_id: Some(controller), ..NewAlert::new(AlertKind::DeviceOffline, message) };
        if let Err(e) = self.raise(alert, None).await {
            tracing::error!(error = %e, "device_offline alert not stored");
        }
    }

    /// Reads every door that is mid-cycle and feeds the readings to the machines.
    pub(super) async fn poll_busy_doors(&self) {
        for locker_id in self.busy_doors() {
            if let Err(e) = self.poll_door(locker_id).await {
                tracing::warn!(locker = %locker_id, error = %e, "door poll failed");
            }
        }
    }

    async fn poll_door(&self, locker_id: Id) -> Result<()> {
        let _cycle = self.cycle(locker_id).await;
        let locker = self.store().get_locker(locker_id).await?;
        if self.slot(&locker).door.is_at_rest() {
            return Ok(());
        }
        self.observe(&locker).await
    }

    /// Reads the door of `locker` and feeds the reading to its machine (cycle lock held);
    /// nothing when it cannot be read.
    pub(super) async fn observe(&self, locker: &Locker) -> Result<()> {
        match self.read_door(locker).await {
            Some(state) => self.feed(locker.clone(), DoorEvent::StatusObserved(state)).await,
            None => Ok(()),
        }
    }

    /// Feeds `state` to the machine of `locker` as if its history were unknown (we do not
    /// know how the door got there, so a reading of open raises no unauthorized-open alert),
    /// the cycle serving `serving` (cycle lock held).
    async fn restart_from_reading(&self, locker: Locker, state: DoorState, serving: Option<Id>) -> Result<()> {
        self.set_slot(locker.id, DoorSlot { door: Door::unknown(), serving });
        self.feed(locker, DoorEvent::StatusObserved(state)).await
    }

    /// Settles every rental in `Opening` that no running cycle serves and that started
    /// before `now - reconcile_after` (younger ones are still between their commit and
    /// their unlock).
    pub(super) async fn reconcile_opening(&self, now: Timestamp) -> Result<Reconciled> {
        let cutoff = now - self.config.reconcile_after;
        let mut done = Reconciled::default();
        for rental in self.opening_rentals().await? {
            if rental.started_at.unwrap_or(rental.created_at) > cutoff {
                continue;
            }
            self.settle_or_log(&rental, &mut done).await;
        }
        Ok(done)
    }

    /// Reconciles the stored state with the controllers, before serving: every rental in
    /// `Opening` and every door not recorded closed is read and settled (see the module
    /// docs). Call it after attaching the controllers.
    pub async fn reconcile(&self) -> Result<Reconciled> {
        self.reconcile_moved(&HashMap::new()).await
    }

    /// [`reconcile`](Self::reconcile), also reading the doors on the sensor channels in
    /// `moved` (per controller: doors touched while the service was down).
    pub(super) async fn reconcile_moved(&self, moved: &HashMap<Id, HashSet<u16>>) -> Result<Reconciled> {
        let mut done = Reconciled::default();
        for rental in self.opening_rentals().await? {
            self.settle_or_log(&rental, &mut done).await;
        }
        let every = LockerFilter::default();
        let lockers = all_pages(|page| self.store().list_lockers(&every, page)).await?;
        let touched =
            |l: &Locker| l.controller_id.and_then(|c| moved.get(&c)).is_some_and(|m| m.contains(&l.sensor_channel));
        for locker in
            lockers.into_iter().filter(|l| l.controller_id.is_some() && (l.door != DoorState::Closed || touched(l)))
        {
            let _cycle = self.cycle(locker.id).await;
            let slot = self.slot(&locker);
            if !slot.door.is_at_rest() {
                continue;
            }
            match self.read_door(&locker).await {
                Some(state) => {
                    let code = locker.code.clone();
                    match self.restart_from_reading(locker, state, slot.serving).await {
                        Ok(()) => done.doors_read += 1,
                        Err(e) => tracing::error!(locker = %code, error = %e, "door reading not recorded"),
                    }
                }
                None => done.unreachable += u32::from(self.driver_of(&locker).is_ok()),
            }
        }
        if done != Reconciled::default() {
            tracing::info!(?done, "reconciled with the controllers");
        }
        Ok(done)
    }

    pub(super) async fn opening_rentals(&self) -> Result<Vec<Rental>> {
        let filter = RentalFilter { live_only: true, ..Default::default() };
        let live = all_pages(|page| self.store().list_rentals(&filter, page)).await?;
        Ok(live.into_iter().filter(|r| r.state == RentalState::Opening).collect())
    }

    /// [`settle_opening`](Self::settle_opening); an error is logged and the next rental
    /// settled (one rental's failure must not stop the others).
    async fn settle_or_log(&self, rental: &Rental, done: &mut Reconciled) {
        if let Err(e) = self.settle_opening(rental, done).await {
            tracing::error!(rental = %rental.id, error = %e, "rental in opening not settled");
        }
    }

    /// Settles one rental in `Opening` against its door (under the locker's cycle lock).
    async fn settle_opening(&self, rental: &Rental, done: &mut Reconciled) -> Result<()> {
        let _cycle = self.cycle(rental.locker_id).await;
        let rental = self.store().get_rental(rental.id).await?;
        if rental.state != RentalState::Opening {
            return Ok(());
        }
        let locker = self.store().get_locker(rental.locker_id).await?;
        let slot = self.slot(&locker);
        if !slot.door.is_at_rest() {
            // A cycle runs: make sure its close finishes this rental.
            if slot.serving != Some(rental.id) {
                self.set_slot(locker.id, DoorSlot { serving: Some(rental.id), ..slot });
                done.adopted += 1;
                crate::telemetry::stranded_rental("adopted");
            }
            return Ok(());
        }
        match self.read_door(&locker).await {
            Some(DoorState::Closed) => {
                if slot.door.state() != DoorState::Closed || locker.door != DoorState::Closed {
                    self.restart_from_reading(locker.clone(), DoorState::Closed, slot.serving).await?;
                }
                tracing::info!(locker = %locker.code, rental = %rental.id, "door read closed: rental settled");
                self.door_closed(rental.id, &locker).await?;
                done.activated += 1;
                crate::telemetry::stranded_rental("activated");
            }
            Some(DoorState::Open) => {
                // Its close ends the cycle and finishes the rental.
                self.restart_from_reading(locker, DoorState::Open, Some(rental.id)).await?;
                done.adopted += 1;
                crate::telemetry::stranded_rental("adopted");
            }
            Some(DoorState::Unknown) | None => {
                done.unreachable += 1;
                crate::telemetry::stranded_rental("unreachable");
            }
        }
        Ok(())
    }
}
