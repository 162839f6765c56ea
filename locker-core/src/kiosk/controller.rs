//! [`Controller`]: a lock controller for blocking callers — a serial port (any driver) or the
//! in-process v1 simulator — with unlock, door status, a blocking event pull and `close`.

use std::str::FromStr as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use futures::channel::mpsc::UnboundedReceiver;

use crate::controller::io::ThreadController;
use crate::controller::sim::{Device, SimConfig};
use crate::controller::wire::{ControllerEvent, Driver, UartError, UnlockOutcome};
use crate::domain::DoorState;
use crate::ports::LockController;
use crate::{Error, Result};

/// A running lock controller. `close` stops it; every later call fails with
/// [`UartError::Closed`]. Share it between threads freely.
pub struct Controller {
    ctrl: Mutex<Option<Arc<ThreadController>>>,
    events: Mutex<Option<UnboundedReceiver<ControllerEvent>>>,
    sim: Option<Arc<Mutex<Device>>>,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller").field("simulator", &self.sim.is_some()).finish_non_exhaustive()
    }
}

fn closed() -> Error {
    UartError::Closed.into()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Controller {
    fn start(ctrl: ThreadController, sim: Option<Arc<Mutex<Device>>>) -> Self {
        let events = ctrl.subscribe();
        Self { ctrl: Mutex::new(Some(Arc::new(ctrl))), events: Mutex::new(Some(events)), sim }
    }

    /// Opens the controller on the serial device `path` with `driver` (`v1`, `kerong-cu16`,
    /// `kerong-cu12`, `rs485-generic`, `modbus-relay`; `None` is `v1`). `channels` 0 and
    /// `timeout` `None` keep the driver's defaults.
    #[cfg(feature = "serial")]
    pub fn open_serial(path: &str, driver: Option<&str>, channels: u16, timeout: Option<Duration>) -> Result<Self> {
        let driver = Driver::from_str(driver.unwrap_or("v1"))?;
        let mut settings = crate::controller::serial::SerialSettings::new(path, driver);
        if channels > 0 {
            settings.channels = channels;
        }
        if let Some(timeout) = timeout {
            settings.link.timeout = timeout;
        }
        Ok(Self::start(crate::controller::serial::open_controller(&settings)?, None))
    }

    /// Starts the in-process v1 simulator with `config` behind the same driver a serial
    /// port gets ([`crate::controller::sim::spawn_controller`]).
    pub fn open_simulator(config: SimConfig) -> Result<Self> {
        if config.channels == 0 {
            return Err(Error::validation("channels", "must be 1..=255"));
        }
        let (ctrl, device) = crate::controller::sim::spawn_controller(config)
            .map_err(|e| UartError::port("cannot start the simulator", e))?;
        Ok(Self::start(ctrl, Some(device)))
    }

    /// The driver, for attaching to a service; fails once closed.
    pub fn driver(&self) -> Result<Arc<ThreadController>> {
        lock(&self.ctrl).clone().ok_or_else(closed)
    }

    /// The simulated device, when this is the simulator.
    pub fn simulator(&self) -> Option<&Arc<Mutex<Device>>> {
        self.sim.as_ref()
    }

    /// Fires the relay of `channel` (from 1), retrying with the same sequence number on silence.
    pub fn unlock(&self, channel: u16) -> Result<UnlockOutcome> {
        Ok(futures::executor::block_on(self.driver()?.unlock(channel))?)
    }

    /// Reads one door sensor.
    pub fn door(&self, channel: u16) -> Result<DoorState> {
        Ok(futures::executor::block_on(self.driver()?.door(channel))?)
    }

    /// Reads every door sensor (index 0 is channel 1).
    pub fn doors(&self) -> Result<Vec<DoorState>> {
        Ok(futures::executor::block_on(self.driver()?.doors())?)
    }

    /// Waits up to `timeout` for the next event (queued from the moment the controller was
    /// opened); `None` when none came in time.
    pub fn next_event(&self, timeout: Duration) -> Result<Option<ControllerEvent>> {
        let mut guard = lock(&self.events);
        let rx = guard.as_mut().ok_or_else(closed)?;
        match super::block_on(async { tokio::time::timeout(timeout, rx.next()).await })? {
            Ok(Some(event)) => Ok(Some(event)),
            Ok(None) => Err(closed()),
            Err(_) => Ok(None),
        }
    }

    /// Simulator only: a person opens (`open`) or pushes shut the door of `channel`; the
    /// controller reports it as a door event. [`UartError::Unsupported`] on a serial port.
    pub fn sim_set_door(&self, channel: u16, open: bool) -> Result<()> {
        let device = self.sim.as_ref().ok_or(UartError::Unsupported("door control (not a simulator)"))?;
        self.driver()?;
        set_door(device, channel, open)
    }

    /// Stops the IO thread and closes the port. Closing twice is harmless.
    pub fn close(&self) {
        let ctrl = lock(&self.ctrl).take();
        lock(&self.events).take();
        drop(ctrl);
    }
}

/// Opens or shuts the simulated door of `channel` (checked against the device's channels).
pub(super) fn set_door(device: &Mutex<Device>, channel: u16, open: bool) -> Result<()> {
    let mut d = crate::controller::sim::lock(device);
    let channels = d.config().channels;
    let ch = u8::try_from(channel)
        .ok()
        .filter(|c| (1..=channels).contains(c))
        .ok_or(UartError::BadChannel { channel, max: u16::from(channels) })?;
    let now = std::time::Instant::now();
    if open {
        d.open_door(now, ch)
    } else {
        d.close_door(now, ch)
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::controller::wire::DeviceEvent;

    #[test]
    fn simulator_unlocks_reports_doors_and_refuses_calls_once_closed() {
        let ctrl = Controller::open_simulator(SimConfig::new(2)).unwrap();
        assert!(matches!(ctrl.unlock(1).unwrap(), UnlockOutcome::Pulsed));
        assert_eq!(ctrl.doors().unwrap(), vec![DoorState::Closed, DoorState::Closed]);
        ctrl.sim_set_door(2, true).unwrap();
        let event = ctrl.next_event(Duration::from_secs(2)).unwrap().expect("a door event");
        assert_eq!(event, ControllerEvent::Device { event: DeviceEvent::Door { channel: 2, state: DoorState::Open } });
        assert_eq!(ctrl.door(2).unwrap(), DoorState::Open);
        assert!(ctrl.next_event(Duration::from_millis(20)).unwrap().is_none());
        assert_eq!(ctrl.sim_set_door(3, true).unwrap_err().code(), ErrorCode::UartBadChannel);
        ctrl.close();
        ctrl.close();
        assert_eq!(ctrl.unlock(1).unwrap_err().code(), ErrorCode::SerialPort);
        assert_eq!(ctrl.next_event(Duration::ZERO).unwrap_err().code(), ErrorCode::SerialPort);
    }

    #[test]
    fn zero_channels_is_a_validation_error() {
        assert_eq!(Controller::open_simulator(SimConfig::new(0)).unwrap_err().code(), ErrorCode::Validation);
    }
}
