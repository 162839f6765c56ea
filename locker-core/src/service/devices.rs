//! Lock controllers: attaching drivers, their events, heartbeats and fault reports, and the
//! timers (door windows, offline controllers, overdue rentals).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use futures::StreamExt as _;
use futures::channel::mpsc;

use crate::controller::wire::{ControllerEvent, DeviceEvent};
use crate::domain::{Alert, AlertKind, Controller, DoorEvent, DoorState, Id, Locker, NewAlert, RentalState, Timestamp};
use crate::ports::{LockController, LockerFilter, RentalFilter, all_pages};
use crate::{Error, Result};

use super::backlog::SharedBacklog;
use super::{LockerService, ServiceEvent, TimerTask, lock};

/// Battery level under which a `low_battery` alert is raised.
pub const LOW_BATTERY_PERCENT: u8 = 20;

/// Which of a locker's channels an event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Wire {
    /// The door-sensor channel (door events).
    Sensor,
    /// The relay channel (channel faults).
    Relay,
}

impl Wire {
    fn of(self, locker: &Locker) -> u16 {
        match self {
            Wire::Sensor => locker.sensor_channel,
            Wire::Relay => locker.relay_channel,
        }
    }
}

/// The cached wiring: (controller, channel, which channel) to locker.
pub(super) type Wiring = HashMap<(Id, u16, Wire), Id>;

/// Whether a periodic task whose next turn is `next` runs at `now`; if so, its next turn is
/// set `every` later.
fn take_turn(next: &mut Option<Timestamp>, now: Timestamp, every: chrono::TimeDelta) -> bool {
    let due = next.is_none_or(|t| t <= now);
    if due {
        *next = Some(now + every);
    }
    due
}

/// A task handling one channel's events in order.
fn spawn_lane(service: Weak<LockerService>, controller_id: Id) -> mpsc::UnboundedSender<ControllerEvent> {
    let (tx, mut rx) = mpsc::unbounded();
    tokio::spawn(async move {
        while let Some(event) = rx.next().await {
            let Some(service) = service.upgrade() else { break };
            service.handle_and_acknowledge(controller_id, event).await;
        }
    });
    tx
}

impl LockerService {
    /// Connects the driver of controller `controller_id`: its lockers' unlocks go through
    /// `driver`, and its events (door sensors, faults, tamper, power) are fed to the door
    /// machines by tasks on the current tokio runtime, which end with the service.
    ///
    /// Events of one channel are handled in order, one at a time; different channels in
    /// parallel (one lane each), so a busy cabinet's doors do not queue behind each other's
    /// database writes and a door's machine never lags its sensor by more than its own work.
    pub fn attach_controller(self: &Arc<Self>, controller_id: Id, driver: Arc<dyn LockController>) {
        self.attach_with(controller_id, driver, None);
    }

    /// [`attach_controller`](Self::attach_controller), with its door and fault events held
    /// in `backlog` until the backlog goes live (see [`super::backlog`]).
    pub(super) fn attach_with(
        self: &Arc<Self>,
        controller_id: Id,
        driver: Arc<dyn LockController>,
        backlog: Option<SharedBacklog>,
    ) {
        let mut events = driver.subscribe();
        self.controllers.write().unwrap_or_else(|e| e.into_inner()).insert(controller_id, driver);
        let service = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut lanes: HashMap<u16, mpsc::UnboundedSender<ControllerEvent>> = HashMap::new();
            while let Some(event) = events.next().await {
                let channel = match &event {
                    ControllerEvent::Device { event: DeviceEvent::Door { channel, .. } }
                    | ControllerEvent::Device { event: DeviceEvent::Fault { channel, .. } } => Some(*channel),
                    _ => None,
                };
                let Some(channel) = channel else {
                    let Some(service) = service.upgrade() else { break };
                    service.handle_and_acknowledge(controller_id, event).await;
                    continue;
                };
                if backlog.as_ref().is_some_and(|b| lock(b).hold(&event)) {
                    // Read as history: handled by the start-up's reconciliation.
                    let Some(service) = service.upgrade() else { break };
                    service.acknowledge(controller_id, &event, Ok(()));
                    continue;
                }
                let lane = lanes.entry(channel).or_insert_with(|| spawn_lane(service.clone(), controller_id));
                if lane.unbounded_send(event).is_err() {
                    break;
                }
            }
        });
    }

    /// [`on_controller_event`](Self::on_controller_event), logging a failure, then tells the
    /// driver the outcome ([`LockController::event_handled`]).
    async fn handle_and_acknowledge(&self, controller_id: Id, event: ControllerEvent) {
        let outcome = self.on_controller_event(controller_id, event.clone()).await;
        if let Err(e) = &outcome {
            tracing::error!(controller = %controller_id, error = %e, "controller event not handled");
        }
        self.acknowledge(controller_id, &event, outcome);
    }

    /// Tells controller `controller_id`'s driver that `event` was handled, and how.
    fn acknowledge(&self, controller_id: Id, event: &ControllerEvent, outcome: Result<()>) {
        let driver = self.controllers.read().unwrap_or_else(|e| e.into_inner()).get(&controller_id).cloned();
        if let Some(driver) = driver {
            driver.event_handled(event, outcome);
        }
    }

    /// Handles one event from controller `controller_id`'s driver.
    pub async fn on_controller_event(&self, controller_id: Id, event: ControllerEvent) -> Result<()> {
        match event {
            ControllerEvent::Device { event: DeviceEvent::Door { channel, state } } => {
                let locker = self.locker_on(controller_id, channel, Wire::Sensor).await?;
                self.report_door(locker.id, state).await
            }
            ControllerEvent::Device { event: DeviceEvent::Fault { channel, code } } => {
                let locker = self.locker_on(controller_id, channel, Wire::Relay).await?;
                tracing::warn!(locker = %locker.code, code, "controller reported a channel fault");
                self.door_event(locker.id, DoorEvent::SensorFault).await
            }
            ControllerEvent::Device { event: DeviceEvent::Tamper } => {
                let controller = self.store().get_controller(controller_id).await?;
                let message = format!("Controller {} reports its enclosure was tampered with", controller.name);
                self.raise(
                    NewAlert { controller_id: Some(controller_id), ..NewAlert::new(AlertKind::Tamper, message) },
                    None,
                )
                .await
                .map(drop)
            }
            ControllerEvent::Device { event: DeviceEvent::Power { percent } } => {
                self.heartbeat(controller_id, Some(percent), None).await.map(drop)
            }
            ControllerEvent::Disconnected { reason } => {
                tracing::warn!(controller = %controller_id, %reason, "lock controller disconnected");
                Ok(())
            }
            ControllerEvent::Reconnected => self.heartbeat(controller_id, None, None).await.map(drop),
        }
    }

    /// The locker wired to `channel` (its sensor or relay channel, as `wire` says) of
    /// controller `controller_id`, from a cache of the wiring that is reloaded on a miss.
    async fn locker_on(&self, controller_id: Id, channel: u16, wire: Wire) -> Result<Locker> {
        let key = (controller_id, channel, wire);
        let cached = lock(&self.wiring).get(&key).copied();
        if let Some(id) = cached {
            let locker = self.store().get_locker(id).await?;
            if locker.controller_id == Some(controller_id) && wire.of(&locker) == channel {
                return Ok(locker);
            }
        }
        let every = LockerFilter::default();
        let lockers = all_pages(|page| self.store().list_lockers(&every, page)).await?;
        let found = lockers.iter().find(|l| l.controller_id == Some(controller_id) && wire.of(l) == channel).cloned();
        {
            let mut wiring = lock(&self.wiring);
            wiring.clear();
            for l in &lockers {
                if let Some(c) = l.controller_id {
                    wiring.insert((c, l.sensor_channel, Wire::Sensor), l.id);
                    wiring.insert((c, l.relay_channel, Wire::Relay), l.id);
                }
            }
        }
        found.ok_or_else(|| Error::not_found("locker", format!("controller {controller_id} channel {channel}")))
    }

    /// A sign of life from controller `controller_id`, with its battery and firmware when
    /// reported. A battery under [`LOW_BATTERY_PERCENT`] raises `low_battery` once.
    pub async fn heartbeat(
        &self,
        controller_id: Id,
        battery: Option<u8>,
        firmware: Option<String>,
    ) -> Result<Controller> {
        if battery.is_some_and(|b| b > 100) {
            return Err(Error::validation("battery", "must be 0 to 100"));
        }
        let _one_at_a_time = self.heartbeats.lock().await;
        let mut controller = self.store().get_controller(controller_id).await?;
        controller.last_heartbeat_at = Some(self.now());
        if battery.is_some() {
            controller.battery_percent = battery;
        }
        if firmware.is_some() {
            controller.firmware = firmware;
        }
        let controller = self.store().update_controller(&controller).await?;
        let low = controller.battery_percent.is_some_and(|b| b < LOW_BATTERY_PERCENT);
        let alert_now = {
            let mut watch = lock(&self.watch);
            watch.offline_alerted.remove(&controller_id);
            if low {
                watch.low_battery_alerted.insert(controller_id)
            } else {
                watch.low_battery_alerted.remove(&controller_id);
                false
            }
        };
        if alert_now {
            let message =
                format!("Controller {} battery at {}%", controller.name, controller.battery_percent.unwrap_or(0));
            self.raise(
                NewAlert { controller_id: Some(controller_id), ..NewAlert::new(AlertKind::LowBattery, message) },
                None,
            )
            .await?;
        }
        Ok(controller)
    }

    /// A hardware fault reported by controller `controller_id` (HTTP): raises the alert;
    /// a lock jam takes the locker out of service, a sensor fault marks its door unknown.
    pub async fn report_error(
        &self,
        controller_id: Id,
        locker_id: Option<Id>,
        kind: AlertKind,
        description: &str,
    ) -> Result<Alert> {
        let locker = match locker_id {
            Some(id) => Some(self.controlled_locker(controller_id, id).await?),
            None => None,
        };
        let description = description.trim();
        let message = match (&locker, description.is_empty()) {
            (Some(l), false) => format!("Locker {}: {description}", l.code),
            (Some(l), true) => format!("Locker {}: {kind}", l.code),
            (None, false) => description.to_owned(),
            (None, true) => kind.to_string(),
        };
        let new = NewAlert { locker_id, controller_id: Some(controller_id), ..NewAlert::new(kind, message) };
        let alert = self.raise(new, locker.as_ref()).await?;
        if let Some(locker) = &locker {
            match kind {
                AlertKind::LockJam => {
                    self.to_maintenance(locker, "lock jam reported by the controller", None).await?;
                }
                AlertKind::SensorMalfunction => self.door_event(locker.id, DoorEvent::SensorFault).await?,
                _ => {}
            }
        }
        Ok(alert)
    }

    /// A sensor reading sent by controller `controller_id` over HTTP; the locker must be
    /// wired to it. Counts as a heartbeat.
    pub async fn report_sensor(&self, controller_id: Id, locker_id: Id, state: DoorState) -> Result<Locker> {
        let locker = self.controlled_locker(controller_id, locker_id).await?;
        self.heartbeat(controller_id, None, None).await?;
        self.report_door(locker.id, state).await?;
        self.store().get_locker(locker.id).await
    }

    async fn controlled_locker(&self, controller_id: Id, locker_id: Id) -> Result<Locker> {
        let locker = self.store().get_locker(locker_id).await?;
        if locker.controller_id != Some(controller_id) {
            return Err(Error::validation(
                "locker_id",
                format!("locker {} is not wired to this controller", locker.code),
            ));
        }
        Ok(locker)
    }

    /// When [`on_tick`](Self::on_tick) should next run: the earliest door deadline or the
    /// next housekeeping pass.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let (housekeeping, poll) = {
            let watch = lock(&self.watch);
            (watch.next_housekeeping.unwrap_or_else(|| self.now()), watch.next_door_poll.unwrap_or_else(|| self.now()))
        };
        let soonest = housekeeping.min(poll);
        Some(self.next_door_deadline().map_or(soonest, |d| d.min(soonest)))
    }

    /// Runs what is due at `now`: door windows (retries, jams, doors left open, each after
    /// reading the door), every [`door_poll_every`](super::ServiceConfig::door_poll_every)
    /// a read of the doors mid-cycle and of rentals left in `Opening`, and, every
    /// [`housekeeping_every`](super::ServiceConfig::housekeeping_every), a ping of each
    /// attached controller and, for each task this process leads ([`TimerTask`]; all of
    /// them without elections), offline detection, overdue rentals and the expiry of orders
    /// left unpaid past [`PAYMENT_WINDOW`](crate::orders::PAYMENT_WINDOW).
    pub async fn on_tick(&self, now: Timestamp) -> Result<()> {
        self.tick_doors(now).await?;
        let every = (self.config.door_poll_every, self.config.housekeeping_every);
        let (poll_due, due) = {
            let mut watch = lock(&self.watch);
            (take_turn(&mut watch.next_door_poll, now, every.0), take_turn(&mut watch.next_housekeeping, now, every.1))
        };
        if poll_due {
            self.poll_busy_doors().await;
            self.reconcile_opening(now).await?;
        }
        if due {
            self.ping_controllers().await;
            // Site-wide tasks: one process of many runs them (see `super::leader`).
            if self.leads(TimerTask::Offline) {
                self.detect_offline(now).await?;
            }
            if self.leads(TimerTask::Overdue) {
                self.detect_overdue(now).await?;
            }
            if self.leads(TimerTask::OrderExpiry) {
                self.expire_unpaid_orders(now).await?;
            }
        }
        Ok(())
    }

    /// Sleeps until [`next_deadline`](Self::next_deadline) (or until a door changes) and
    /// calls [`on_tick`](Self::on_tick), forever. Spawn it on the shell's runtime.
    pub async fn run_timers(self: Arc<Self>) {
        loop {
            let now = self.now();
            let wait = self.next_deadline().map_or(std::time::Duration::from_secs(1), |t| {
                (t - now).to_std().unwrap_or_default().min(std::time::Duration::from_secs(1))
            });
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.timers_changed.notified() => {}
            }
            if let Err(e) = self.on_tick(self.now()).await {
                tracing::error!(error = %e, "timer pass failed");
            }
        }
    }

    async fn ping_controllers(&self) {
        let attached: Vec<(Id, Arc<dyn LockController>)> =
            self.controllers.read().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (*k, v.clone())).collect();
        for (id, driver) in attached {
            match driver.info().await {
                Ok(info) => {
                    if let Err(e) = self.heartbeat(id, None, info.firmware).await {
                        tracing::error!(controller = %id, error = %e, "heartbeat not recorded");
                    }
                }
                // A board that cannot be asked (one polling over HTTP) is not pinged: its
                // heartbeats are its own.
                Err(crate::controller::wire::UartError::Unsupported(_)) => {}
                Err(e) => tracing::warn!(controller = %id, error = %e, "controller did not answer a ping"),
            }
        }
    }

    async fn detect_offline(&self, now: Timestamp) -> Result<()> {
        let controllers = all_pages(|page| self.store().list_controllers(page)).await?;
        for c in controllers.into_iter().filter(|c| c.active) {
            let silent_since = c.last_heartbeat_at.unwrap_or(c.created_at);
            if now - silent_since < Controller::OFFLINE_AFTER {
                continue;
            }
            if !lock(&self.watch).offline_alerted.insert(c.id) {
                continue;
            }
            let message = format!("Controller {} has been silent since {}", c.name, silent_since.to_rfc3339());
            self.raise(
                NewAlert { controller_id: Some(c.id), ..NewAlert::new(AlertKind::DeviceOffline, message) },
                None,
            )
            .await?;
        }
        Ok(())
    }

    async fn detect_overdue(&self, now: Timestamp) -> Result<()> {
        let filter = RentalFilter { live_only: true, ..Default::default() };
        let rentals = all_pages(|page| self.store().list_rentals(&filter, page)).await?;
        for rental in rentals.iter().filter(|r| r.state == RentalState::Active && r.is_overdue(now)) {
            if !lock(&self.watch).overdue_alerted.insert(rental.id) {
                continue;
            }
            let locker = self.store().get_locker(rental.locker_id).await?;
            let message = format!("Rental in locker {} is past its paid time", locker.code);
            let new = NewAlert { locker_id: Some(locker.id), ..NewAlert::new(AlertKind::OrderOverdue, message) };
            self.raise(new, Some(&locker)).await?;
        }
        Ok(())
    }

    /// Expires every order still unpaid past its payment window, freeing its locker (and
    /// sending `locker_status_changed`). Reads every page of live rentals: a stale order
    /// past the first page would otherwise hold its locker for good.
    async fn expire_unpaid_orders(&self, now: Timestamp) -> Result<()> {
        let filter = RentalFilter { live_only: true, ..Default::default() };
        let live = all_pages(|page| self.store().list_rentals(&filter, page)).await?;
        for rental in live.into_iter().filter(|r| crate::orders::unpaid_past_window(r, now)) {
            let expired = self.expire_if_unpaid_by(rental, now, &self.config.kiosk).await?;
            if expired.state == RentalState::Expired {
                let locker = self.store().get_locker(expired.locker_id).await?;
                tracing::info!(locker = %locker.code, order = %expired.id, "unpaid order expired");
                self.emit(ServiceEvent::locker(&locker));
            }
        }
        Ok(())
    }
}
