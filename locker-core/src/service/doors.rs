//! Each locker's door machine, driven by unlocks, sensor readings, status reads and time,
//! and the effects of its actions: door state on the locker, retries, alerts, maintenance,
//! and the rental waiting for the door to close.
//!
//! # The rules that keep a door cycle consistent
//!
//! - **One cycle step at a time per locker.** Every step of a locker's door — an unlock, a
//!   sensor event with its effects, a status read — runs under that locker's cycle lock
//!   ([`LockerService::cycle`]), so a request handler and the controller's event task never
//!   interleave on the same door.
//! - **A cycle knows whom it serves.** The unlock that starts a cycle for a rental waiting
//!   in `Opening` (a check-in, an order opened by code) records that rental in the door's
//!   [`DoorSlot`]; the close that ends the cycle finishes *that* rental and no other. (Before
//!   issue 13 the close finished "the live rental of the locker", which could be a new
//!   customer's rental created while the previous cycle's close was being handled.)
//! - **A busy door is never handed to someone new.** A new renter gets a locker only when
//!   its door is at rest (closed or unknown), checked under the cycle lock. Someone who
//!   already holds the locker (reopen, check-out, open by code) waits for a running cycle to
//!   end, at most [`ServiceConfig::holder_wait`](super::ServiceConfig::holder_wait), then
//!   acts; if the cycle still runs after that, they join it (the door is already unlocked
//!   or open for them) rather than fire a second pulse.
//! - **Events are hints; the controller is the truth.** See [`super::reconcile`].
//! - **A door's machine lives with its controller's line.** A locker whose controller is
//!   driven by another process sharing the database is unlocked there, through that
//!   process's door machine (each unlock step asks [`LockerService::remote_route`] first;
//!   see [`super::remote`]); this process keeps no cycle for it.

use std::sync::Arc;

use crate::controller::relay::UnlockPurpose;
use crate::controller::wire::UnlockOutcome;
use crate::domain::{
    AlertKind, Door, DoorAction, DoorEvent, DoorState, Id, Locker, LockerStatus, NewAlert, RentalEvent, RentalState,
    Timestamp, TxAction,
};
use crate::ports::{LockController, Page, RentalFilter};
use crate::{Error, Result};

use super::transition::LogCtx;
use super::{LockerService, ServiceEvent, lock, not_wired};

/// The service's view of one locker's door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DoorSlot {
    /// The door machine.
    pub(super) door: Door,
    /// The rental waiting in `Opening` for this cycle's close, if any.
    pub(super) serving: Option<Id>,
}

/// What an unlock request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unlock {
    /// The relay fired.
    Fired,
    /// The door is mid-cycle for someone else; nothing was fired (new renters only).
    Busy,
    /// The door was still mid-cycle after the holder's wait: the caller joins that cycle
    /// (its latch is released or the door open), no second pulse.
    Joined,
}

impl LockerService {
    /// The cycle lock of locker `locker_id`: held for every step of its door.
    pub(super) async fn cycle(&self, locker_id: Id) -> tokio::sync::OwnedMutexGuard<()> {
        self.cycles.lock(locker_id).await
    }

    /// The slot of `locker` (made from the recorded door state the first time).
    pub(super) fn slot(&self, locker: &Locker) -> DoorSlot {
        *lock(&self.doors)
            .entry(locker.id)
            .or_insert_with(|| DoorSlot { door: Door::from_state(locker.door), serving: None })
    }

    /// Replaces the slot of `locker_id` (cycle lock held).
    pub(super) fn set_slot(&self, locker_id: Id, slot: DoorSlot) {
        lock(&self.doors).insert(locker_id, slot);
        self.timers_changed.notify_one();
        self.door_moved.notify_waiters();
    }

    /// Runs `event` through the door machine of `locker` (cycle lock held). Returns the
    /// actions, and the rental the cycle served when the event ended it.
    fn step_door(&self, locker: &Locker, event: DoorEvent, now: Timestamp) -> Result<(Vec<DoorAction>, Option<Id>)> {
        let before = self.slot(locker);
        let (door, actions) = before.door.on(event, now, &self.config.door)?;
        let mut next = DoorSlot { door, ..before };
        let ended = door.is_at_rest() && !before.door.is_at_rest();
        let served = if ended { next.serving.take() } else { None };
        self.set_slot(locker.id, next);
        Ok((actions, served))
    }

    /// The driver of the controller `locker` is wired to. A controller with no driver yet
    /// is a board polling over HTTP registered since the start, when this service serves
    /// such boards ([`HttpBoards`](super::HttpBoards)): its board is attached now.
    pub(super) fn driver_of(&self, locker: &Locker) -> Result<Arc<dyn LockController>> {
        let controller = locker.controller_id.ok_or_else(|| not_wired(locker))?;
        let attached = self.controllers.read().unwrap_or_else(|e| e.into_inner()).get(&controller).cloned();
        if let Some(driver) = attached {
            return Ok(driver);
        }
        let boards = self.http_boards.read().unwrap_or_else(|e| e.into_inner()).upgrade();
        let boards = boards.ok_or_else(|| not_wired(locker))?;
        Ok(boards.board(controller)?)
    }

    /// Fires the relay of `locker` once. An unconfirmed pulse is not repeated; the door
    /// state read afterwards is returned instead.
    async fn pulse(&self, locker: &Locker) -> Result<Option<DoorState>> {
        use crate::telemetry::{self, UnlockOutcome as Counted};
        let outcome = match self.driver_of(locker) {
            Ok(driver) => driver.unlock(locker.relay_channel).await.map_err(Error::from),
            Err(e) => Err(e),
        };
        match outcome {
            Err(e) => {
                telemetry::unlock(Counted::Failed);
                Err(e)
            }
            Ok(UnlockOutcome::Pulsed) => {
                telemetry::unlock(Counted::Sent);
                Ok(None)
            }
            Ok(UnlockOutcome::Unconfirmed { door }) => {
                telemetry::unlock(Counted::Unconfirmed);
                tracing::warn!(locker = %locker.code, %door, "unlock not confirmed; not firing again");
                Ok(Some(door))
            }
        }
    }

    /// Starts a cycle (cycle lock held): the machine moves to `Unlocking` serving
    /// `serving`, then the relay fires. If the controller fails, the slot is put back.
    async fn fire(&self, locker: &Locker, serving: Option<Id>) -> Result<()> {
        let before = self.slot(locker);
        let (door, _) = before.door.on(DoorEvent::UnlockSent, self.now(), &self.config.door)?;
        self.set_slot(locker.id, DoorSlot { door, serving: serving.or(before.serving) });
        match self.pulse(locker).await {
            Err(e) => {
                self.set_slot(locker.id, before);
                Err(e)
            }
            Ok(Some(DoorState::Open)) => {
                let locker = self.store().get_locker(locker.id).await?;
                self.feed(locker, DoorEvent::StatusObserved(DoorState::Open)).await
            }
            Ok(_) => Ok(()),
        }
    }

    /// Unlocks `locker` for a new renter whose rental `rental` waits in `Opening`: only a
    /// door at rest is fired; a door mid-cycle answers [`Unlock::Busy`].
    pub(super) async fn unlock_for_new_renter(&self, locker: &Locker, rental: Id) -> Result<Unlock> {
        if let Some(relay) = self.remote_route(locker).await? {
            return relay.request(locker, UnlockPurpose::NewRenter, Some(rental)).await;
        }
        let _cycle = self.cycle(locker.id).await;
        if !self.slot(locker).door.is_at_rest() {
            return Ok(Unlock::Busy);
        }
        self.fire(locker, Some(rental)).await.map(|()| Unlock::Fired)
    }

    /// Unlocks `locker` for the person who holds it. A running cycle is waited for (at most
    /// `holder_wait`), then the relay fires; a cycle still running after the wait is joined.
    /// `serving` is the holder's rental when it waits in `Opening` for the door to close.
    pub(super) async fn unlock_for_holder(&self, locker: &Locker, serving: Option<Id>) -> Result<Unlock> {
        if let Some(relay) = self.remote_route(locker).await? {
            return relay.request(locker, UnlockPurpose::Holder, serving).await;
        }
        let deadline = tokio::time::Instant::now() + self.config.holder_wait;
        loop {
            let moved = self.door_moved.notified();
            {
                let _cycle = self.cycle(locker.id).await;
                let slot = self.slot(locker);
                if slot.door.is_at_rest() {
                    return self.fire(locker, serving).await.map(|()| Unlock::Fired);
                }
                if tokio::time::Instant::now() >= deadline {
                    tracing::info!(locker = %locker.code, "door still mid-cycle after the wait; joining it");
                    if serving.is_some() {
                        self.set_slot(locker.id, DoorSlot { serving, ..slot });
                    }
                    return Ok(Unlock::Joined);
                }
            }
            let poll = tokio::time::Instant::now() + std::time::Duration::from_millis(50);
            tokio::select! {
                () = moved => {}
                () = tokio::time::sleep_until(poll.min(deadline)) => {}
            }
        }
    }

    /// Staff's unlock: fires unless an unlock is already in flight (no double pulse).
    pub(super) async fn unlock_for_staff(&self, locker: &Locker) -> Result<()> {
        if let Some(relay) = self.remote_route(locker).await? {
            return relay.request(locker, UnlockPurpose::Staff, None).await.map(|_| ());
        }
        let _cycle = self.cycle(locker.id).await;
        if matches!(self.slot(locker).door.phase, crate::domain::DoorPhase::Unlocking { .. }) {
            return Err(unlock_in_progress(locker));
        }
        self.fire(locker, None).await
    }

    /// Feeds a door event for locker `locker_id` and carries out what the machine decides.
    pub(super) async fn door_event(&self, locker_id: Id, event: DoorEvent) -> Result<()> {
        let _cycle = self.cycle(locker_id).await;
        let locker = self.store().get_locker(locker_id).await?;
        self.feed(locker, event).await
    }

    /// [`door_event`](Self::door_event) with the cycle lock already held.
    pub(super) async fn feed(&self, locker: Locker, event: DoorEvent) -> Result<()> {
        let (actions, served) = self.step_door(&locker, event, self.now())?;
        self.carry_out(locker, actions, served).await
    }

    /// What the door sensor of locker `locker_id` says now (from a controller event or an
    /// HTTP sensor report).
    pub async fn report_door(&self, locker_id: Id, state: DoorState) -> Result<()> {
        let event = match state {
            DoorState::Open => DoorEvent::SensorOpen,
            DoorState::Closed => DoorEvent::SensorClosed,
            DoorState::Unknown => DoorEvent::SensorFault,
        };
        self.door_event(locker_id, event).await
    }

    /// Lockers whose door is mid-cycle (an unlock in flight, or open): not to be given to a
    /// new renter yet, whatever the database says.
    pub fn busy_doors(&self) -> Vec<Id> {
        lock(&self.doors).iter().filter(|(_, slot)| !slot.door.is_at_rest()).map(|(id, _)| *id).collect()
    }

    /// The door state the machine holds for `locker` (the recorded one if it has not run).
    pub fn door_state(&self, locker: &Locker) -> DoorState {
        self.slot(locker).door.state()
    }

    /// Doors past their deadline: each is read from its controller first (a lost event must
    /// not be taken for a jam or a door left open), then ticked.
    pub(super) async fn tick_doors(&self, now: Timestamp) -> Result<()> {
        let due: Vec<Id> = lock(&self.doors)
            .iter()
            .filter(|(_, slot)| slot.door.next_deadline(&self.config.door).is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Err(e) = self.observe_then_tick(id).await {
                tracing::error!(locker = %id, error = %e, "door timer failed");
            }
        }
        Ok(())
    }

    async fn observe_then_tick(&self, locker_id: Id) -> Result<()> {
        let _cycle = self.cycle(locker_id).await;
        let locker = self.store().get_locker(locker_id).await?;
        self.observe(&locker).await?;
        let still_due = self.slot(&locker).door.next_deadline(&self.config.door).is_some_and(|t| t <= self.now());
        if still_due {
            let locker = self.store().get_locker(locker_id).await?;
            self.feed(locker, DoorEvent::Tick).await?;
        }
        Ok(())
    }

    /// The earliest door deadline.
    pub(super) fn next_door_deadline(&self) -> Option<Timestamp> {
        lock(&self.doors).values().filter_map(|s| s.door.next_deadline(&self.config.door)).min()
    }

    async fn carry_out(&self, mut locker: Locker, actions: Vec<DoorAction>, served: Option<Id>) -> Result<()> {
        for action in actions {
            match action {
                DoorAction::SetDoor(state) => {
                    locker = self.store().set_locker_door(locker.id, state, self.now()).await?;
                    self.emit(ServiceEvent::locker(&locker));
                }
                DoorAction::RetryUnlock => {
                    tracing::warn!(locker = %locker.code, "door did not open; firing the relay once more");
                    crate::telemetry::unlock_retry();
                    match self.pulse(&locker).await {
                        Ok(Some(DoorState::Open)) => {
                            Box::pin(self.feed(locker.clone(), DoorEvent::StatusObserved(DoorState::Open))).await?;
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(locker = %locker.code, error = %e, "retry unlock failed"),
                    }
                }
                DoorAction::Alert(kind) => {
                    let new =
                        NewAlert { locker_id: Some(locker.id), ..NewAlert::new(kind, door_alert_text(kind, &locker)) };
                    self.raise(new, Some(&locker)).await?;
                }
                DoorAction::ToMaintenance => {
                    locker = self
                        .to_maintenance(&locker, "lock jammed: the door did not open after the unlock", None)
                        .await?;
                }
                DoorAction::Opened => {}
                DoorAction::Closed => {
                    crate::telemetry::door_cycle();
                    if let Some(rental) = served {
                        self.door_closed(rental, &locker).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The door of rental `rental_id`'s cycle closed: if it still waits in `Opening`, it
    /// becomes `Active`.
    pub(super) async fn door_closed(&self, rental_id: Id, locker: &Locker) -> Result<()> {
        let rental = self.store().get_rental(rental_id).await?;
        if rental.state != RentalState::Opening || rental.locker_id != locker.id {
            return Ok(());
        }
        let ctx = LogCtx::system(serde_json::json!({ "door": "closed" }));
        let rental = match self.transition(&rental, RentalEvent::DoorClosed, None, ctx).await {
            Ok(rental) => rental,
            // Someone else (another process on the database, a settlement) moved it first.
            Err(Error::Conflict(why)) => {
                tracing::info!(rental = %rental_id, %why, "rental already moved on when its door closed");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let locker = self.store().get_locker(locker.id).await?;
        self.emit(ServiceEvent::session(&rental, TxAction::SensorTrigger, &locker));
        self.emit(ServiceEvent::locker(&locker));
        Ok(())
    }

    /// The live rental of locker `locker_id`, if any.
    pub(super) async fn live_rental(&self, locker_id: Id) -> Result<Option<crate::domain::Rental>> {
        let filter = RentalFilter { locker_id: Some(locker_id), live_only: true, ..Default::default() };
        Ok(self.store().list_rentals(&filter, Page::new(1, 1)?).await?.items.pop())
    }

    /// Takes `locker` out of service with `reason`: a rental still waiting for its door is
    /// cancelled, the status set (logged with `admin` as the actor when staff asked for it),
    /// a `cabinet_maintenance` alert raised.
    pub(super) async fn to_maintenance(&self, locker: &Locker, reason: &str, admin: Option<Id>) -> Result<Locker> {
        if let Some(rental) = self.live_rental(locker.id).await?
            && rental.state == RentalState::Opening
        {
            let ctx = LogCtx::system(serde_json::json!({ "reason": reason }));
            let rental = self.transition(&rental, RentalEvent::Cancel, Some(LockerStatus::Maintenance), ctx).await?;
            self.emit(ServiceEvent::session(&rental, TxAction::Cancel, locker));
        }
        let mut log = crate::domain::NewTxLog {
            device: Some(self.config.kiosk.clone()),
            ..crate::domain::NewTxLog::status_change(locker, LockerStatus::Maintenance, reason, self.now())
        };
        if let Some(admin) = admin {
            log = log.by_admin(admin);
        }
        let locker = self.store().set_locker_status(locker.id, LockerStatus::Maintenance, log, self.now()).await?;
        let alert = NewAlert {
            locker_id: Some(locker.id),
            ..NewAlert::new(
                AlertKind::CabinetMaintenance,
                format!("Locker {} is in maintenance: {reason}", locker.code),
            )
        };
        self.raise(alert, Some(&locker)).await?;
        self.emit(ServiceEvent::locker(&locker));
        Ok(locker)
    }
}

/// The conflict of an unlock refused because another one of `locker` is in flight.
pub(super) fn unlock_in_progress(locker: &Locker) -> Error {
    Error::Conflict(format!("an unlock of locker {} is already in progress", locker.code))
}

/// The conflict of a new renter sent to a door still mid-cycle.
pub(super) fn door_busy(locker: &Locker) -> Error {
    Error::Conflict(format!(
        "the door of locker {} is still finishing the previous customer's cycle; try again in a few seconds",
        locker.code
    ))
}

fn door_alert_text(kind: AlertKind, locker: &Locker) -> String {
    let code = &locker.code;
    match kind {
        AlertKind::UnauthorizedOpen => format!("Locker {code} door opened without an unlock command"),
        AlertKind::LockJam => format!("Locker {code}: unlock sent but the door never opened (lock jam)"),
        AlertKind::DoorLeftOpen => format!("Locker {code} door has been left open"),
        AlertKind::SensorMalfunction => format!("Locker {code} door sensor is malfunctioning"),
        other => format!("Locker {code}: {other}"),
    }
}
