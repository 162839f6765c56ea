//! Each locker's door machine, driven by unlocks, sensor readings and time, and the effects
//! of its actions: door state on the locker, retries, alerts, maintenance, and rentals
//! waiting for the door to close.

use crate::domain::{
    AlertKind, Door, DoorAction, DoorEvent, DoorPhase, DoorState, Id, Locker, LockerStatus, NewAlert, RentalEvent,
    RentalState, Timestamp, TxAction,
};
use crate::ports::{Page, RentalFilter};
use crate::wire::UnlockOutcome;
use crate::{Error, Result};

use super::{LockerService, ServiceEvent, lock, not_wired};

impl LockerService {
    /// The door machine of `locker` (from the recorded door state the first time).
    fn door_of(&self, locker: &Locker) -> Door {
        current_door(&mut lock(&self.doors), locker)
    }

    /// Runs `event` through the door machine of `locker`, atomically; returns the door
    /// before and the actions to carry out.
    fn step_door(&self, locker: &Locker, event: DoorEvent, now: Timestamp) -> Result<(Door, Vec<DoorAction>)> {
        let mut doors = lock(&self.doors);
        let door = current_door(&mut doors, locker);
        let (next, actions) = door.on(event, now, &self.config.door)?;
        doors.insert(locker.id, next);
        drop(doors);
        self.timers_changed.notify_one();
        Ok((door, actions))
    }

    /// Fires the relay of `locker` once through its controller. The machine must already
    /// be `Unlocking`. An unconfirmed pulse is not repeated; the door state read afterwards
    /// is fed back instead.
    async fn pulse(&self, locker: &Locker) -> Result<()> {
        let controller = locker.controller_id.ok_or_else(|| not_wired(locker))?;
        let driver = self
            .controllers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&controller)
            .cloned()
            .ok_or_else(|| not_wired(locker))?;
        match driver.unlock(locker.relay_channel).await? {
            UnlockOutcome::Pulsed => Ok(()),
            UnlockOutcome::Unconfirmed { door } => {
                tracing::warn!(locker = %locker.code, %door, "unlock not confirmed; not firing again");
                if door == DoorState::Open {
                    // Boxed: a door event can lead back here through a retry.
                    Box::pin(self.door_event(locker.id, DoorEvent::SensorOpen)).await?;
                }
                Ok(())
            }
        }
    }

    /// Unlocks `locker`: the door machine moves to `Unlocking` (refused with a conflict while
    /// an unlock is already in flight), then the relay fires. If the controller fails, the
    /// machine is put back and the error returned.
    pub(super) async fn unlock(&self, locker: &Locker) -> Result<()> {
        match self.try_unlock(locker).await? {
            Unlock::Fired => Ok(()),
            Unlock::InFlight => Err(unlock_in_progress(locker)),
        }
    }

    /// Like [`unlock`](Self::unlock), but an unlock already in flight (the latch released,
    /// the sensor not yet read open) is an answer, not an error: no second pulse is fired.
    pub(super) async fn try_unlock(&self, locker: &Locker) -> Result<Unlock> {
        let Ok((before, _)) = self.step_door(locker, DoorEvent::UnlockSent, self.now()) else {
            return Ok(Unlock::InFlight);
        };
        if let Err(e) = self.pulse(locker).await {
            lock(&self.doors).insert(locker.id, before);
            return Err(e);
        }
        Ok(Unlock::Fired)
    }

    /// Feeds a door event for locker `locker_id` and carries out what the machine decides.
    pub(super) async fn door_event(&self, locker_id: Id, event: DoorEvent) -> Result<()> {
        let locker = self.store().get_locker(locker_id).await?;
        let now = self.now();
        let (_, actions) = self.step_door(&locker, event, now)?;
        self.carry_out(locker, actions).await
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

    /// Lockers whose door machine is mid-cycle (an unlock in flight, or open): not to be
    /// given to a new renter yet, whatever the database says.
    pub(super) fn busy_doors(&self) -> Vec<Id> {
        lock(&self.doors)
            .iter()
            .filter(|(_, door)| matches!(door.phase, DoorPhase::Unlocking { .. } | DoorPhase::Open { .. }))
            .map(|(id, _)| *id)
            .collect()
    }

    /// The door state the machine holds for `locker` (the recorded one if it has not run).
    pub fn door_state(&self, locker: &Locker) -> DoorState {
        self.door_of(locker).state()
    }

    /// Ticks every door whose deadline has passed.
    pub(super) async fn tick_doors(&self, now: Timestamp) -> Result<()> {
        let due: Vec<Id> = lock(&self.doors)
            .iter()
            .filter(|(_, door)| door.next_deadline(&self.config.door).is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Err(e) = self.door_event(id, DoorEvent::Tick).await {
                tracing::error!(locker = %id, error = %e, "door timer failed");
            }
        }
        Ok(())
    }

    /// The earliest door deadline.
    pub(super) fn next_door_deadline(&self) -> Option<Timestamp> {
        lock(&self.doors).values().filter_map(|d| d.next_deadline(&self.config.door)).min()
    }

    async fn carry_out(&self, mut locker: Locker, actions: Vec<DoorAction>) -> Result<()> {
        for action in actions {
            match action {
                DoorAction::SetDoor(state) => {
                    locker = self.store().set_locker_door(locker.id, state, self.now()).await?;
                    self.emit(ServiceEvent::locker(&locker));
                }
                DoorAction::RetryUnlock => {
                    tracing::warn!(locker = %locker.code, "door did not open; firing the relay once more");
                    if let Err(e) = self.pulse(&locker).await {
                        tracing::error!(locker = %locker.code, error = %e, "retry unlock failed");
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
                DoorAction::Closed => self.door_closed(&locker).await?,
            }
        }
        Ok(())
    }

    /// The door closed: a rental waiting in `Opening` becomes `Active`.
    async fn door_closed(&self, locker: &Locker) -> Result<()> {
        let Some(rental) = self.live_rental(locker.id).await? else { return Ok(()) };
        if rental.state != RentalState::Opening {
            return Ok(());
        }
        let ctx = super::rentals::LogCtx::system(serde_json::json!({ "door": "closed" }));
        let rental = self.transition(&rental, RentalEvent::DoorClosed, None, ctx).await?;
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
            let ctx = super::rentals::LogCtx::system(serde_json::json!({ "reason": reason }));
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

/// What [`LockerService::try_unlock`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unlock {
    /// The relay fired.
    Fired,
    /// An unlock of this door was already in flight; nothing was fired.
    InFlight,
}

fn current_door(doors: &mut std::collections::HashMap<Id, Door>, locker: &Locker) -> Door {
    *doors.entry(locker.id).or_insert_with(|| Door::from_state(locker.door))
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
