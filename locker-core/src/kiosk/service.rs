//! [`Service`]: the locker service for blocking callers, opened on a database URL and a key
//! folder, with one lock controller attached (the simulator or a serial port), its timers
//! running on the shared runtime, and a blocking pull of its events.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::controller::io::ThreadController;
use crate::controller::sim::{Device, Person, SimConfig};
use crate::domain::{Controller as ControllerRecord, Id, Locker, LockerSize, Money, NewLocker, NewUser, Role, User};
use crate::ports::{LockController, LockerFilter, all_pages};
use crate::service::{
    CheckIn, CheckInRequest, CheckedOut, LockerService, Proof, Reopened, ServiceConfig, ServiceEvent, ServiceKeys,
};
use crate::token::qr::QrAction;
use crate::{Error, Result};

use super::block_on;

/// Which lock controller the kiosk drives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerChoice {
    /// The in-process v1 simulator with `channels` locks. With `person`, a simulated
    /// customer opens each unlocked door after that delay and shuts it after as long again;
    /// without, doors move only through [`Service::sim_set_door`].
    Simulator {
        /// Channels (1..=255).
        channels: u8,
        /// The simulated customer's delay.
        person: Option<Duration>,
    },
    /// A real controller on a serial device.
    Serial {
        /// The device (`/dev/ttyUSB0`).
        path: String,
        /// The driver name (`v1` when `None`).
        driver: Option<String>,
    },
}

/// How to open a [`Service`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOptions {
    /// `sqlite:/path/locker.db` (created if missing) or `postgres://...`; migrated on open.
    pub database_url: String,
    /// The key folder ([`ServiceKeys::load_or_create`]: created with fresh keys when empty).
    pub keys_dir: PathBuf,
    /// Face models folder; `None` leaves face check-in off (face calls then fail with
    /// `CONFIG`). A folder without loadable models is an error.
    pub models_dir: Option<PathBuf>,
    /// The controller.
    pub controller: ControllerChoice,
    /// The controller record the lockers are wired to (created when missing, with a station
    /// of the same name). Only lockers of its station are allocated.
    pub controller_name: String,
    /// This kiosk's name in the transaction log.
    pub kiosk: String,
}

impl ServiceOptions {
    /// Options for a simulated cabinet of `channels` locks on `database_url`, keys in
    /// `keys_dir`, no face models, controller record `SIM_001`, kiosk `kiosk`.
    pub fn simulated(database_url: impl Into<String>, keys_dir: impl Into<PathBuf>, channels: u8) -> Self {
        Self {
            database_url: database_url.into(),
            keys_dir: keys_dir.into(),
            models_dir: None,
            controller: ControllerChoice::Simulator { channels, person: None },
            controller_name: "SIM_001".into(),
            kiosk: "kiosk".into(),
        }
    }
}

/// A running locker service with its controller. Dropping it stops the timers and the
/// controller.
pub struct Service {
    service: Arc<LockerService>,
    record: ControllerRecord,
    driver: Arc<ThreadController>,
    device: Option<Arc<Mutex<Device>>>,
    events: Mutex<broadcast::Receiver<ServiceEvent>>,
    timers: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("controller", &self.record.name).finish_non_exhaustive()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.timers.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Parses an id argument (`rental_id`, `user_id`) as a validation error when malformed.
pub(crate) fn parse_id(field: &str, text: &str) -> Result<Id> {
    text.trim().parse().map_err(|_| Error::validation(field, format!("{text:?} is not a UUID")))
}

impl Service {
    /// Opens the database (migrating it), loads or creates the keys, loads the face models
    /// when asked, starts the controller, ensures its record, attaches it to the service and
    /// starts the service's timers.
    pub fn open(options: ServiceOptions) -> Result<Service> {
        let (keys, _created) = ServiceKeys::load_or_create(&options.keys_dir)?;
        let faces = match &options.models_dir {
            Some(dir) => Some(crate::face::FaceEngine::load(crate::face::FaceConfig::with_models_dir(dir))?),
            None => None,
        };
        let (driver, device) = match &options.controller {
            ControllerChoice::Simulator { channels, person } => {
                if *channels == 0 {
                    return Err(Error::validation("channels", "must be 1..=255"));
                }
                let config = SimConfig {
                    person: person.map(|d| Person { open_after: d, hold_open: d }),
                    ..SimConfig::new(*channels)
                };
                let (ctrl, device) = crate::controller::sim::spawn_controller(config)
                    .map_err(|e| crate::controller::wire::UartError::port("cannot start the simulator", e))?;
                (Arc::new(ctrl), Some(device))
            }
            ControllerChoice::Serial { path, driver } => {
                let driver: crate::controller::wire::Driver = driver.as_deref().unwrap_or("v1").parse()?;
                let settings = crate::controller::serial::SerialSettings::new(path.clone(), driver);
                (Arc::new(crate::controller::serial::open_controller(&settings)?), None)
            }
        };
        let runtime = super::runtime()?;
        runtime.block_on(async {
            let database = crate::store::open(&options.database_url).await?;
            // Only this cabinet's lockers are allocated: those of its controller's station
            // (`main` for a controller recorded here for the first time).
            let station = match database.get_controller_by_name(&options.controller_name).await {
                Ok(record) => record.station,
                Err(Error::NotFound { .. }) => "main".to_owned(),
                Err(e) => return Err(e),
            };
            let config =
                ServiceConfig { kiosk: options.kiosk.clone(), station: Some(station), ..ServiceConfig::default() };
            let mut builder = LockerService::builder_on(database).config(config).keys(keys);
            if let Some(engine) = faces {
                builder = builder.faces(engine);
            }
            // Settle what a previous run left mid-cycle before the first check-in. A board
            // may still hold door events from that run; a simulator made just now holds none.
            let shared: Arc<dyn LockController> = driver.clone();
            builder = match device {
                Some(_) => builder.fresh_controller(&options.controller_name, shared),
                None => builder.controller(&options.controller_name, shared),
            };
            let opened = builder.open().await?;
            let (service, record) = (opened.service, opened.controllers.into_iter().next().expect("one controller"));
            let events = Mutex::new(service.subscribe());
            let timers = tokio::spawn(service.clone().run_timers());
            Ok(Service { service, record, driver, device, events, timers })
        })
    }

    /// Stops the service: its timers end (this waits for them), then the service and its
    /// controller are dropped (the controller's IO thread is joined once no call still holds
    /// the service). Dropping does the same without waiting for the timers.
    pub fn close(mut self) {
        self.timers.abort();
        let _ = block_on(&mut self.timers);
    }

    /// The service itself, for calls this facade does not wrap.
    pub fn service(&self) -> &Arc<LockerService> {
        &self.service
    }

    /// Whether face check-in is on (models loaded).
    pub fn has_faces(&self) -> bool {
        self.service.faces().is_some()
    }

    /// Creates a customer account (OTP-only, no password) so QR tokens can name it.
    pub fn add_user(&self, full_name: &str, email: &str) -> Result<User> {
        let new = NewUser {
            email: Some(email.trim().to_owned()).filter(|e| !e.is_empty()),
            phone: None,
            username: None,
            full_name: full_name.to_owned(),
            role: Role::Customer,
            password_hash: String::new(),
        };
        new.validate()?;
        block_on(self.service.store().create_user(new, self.service.now()))?
    }

    /// Adds a locker `code` of `size` wired to this kiosk's controller on `channel` (relay
    /// and sensor), free of charge.
    pub fn add_locker(&self, code: &str, size: &str, channel: u16) -> Result<Locker> {
        let new = NewLocker {
            code: code.to_owned(),
            station: self.record.station.clone(),
            location: String::new(),
            size: size.parse::<LockerSize>()?,
            controller_id: Some(self.record.id),
            relay_channel: channel,
            sensor_channel: channel,
            price_per_hour: Money(0),
        };
        new.validate()?;
        let mut made = block_on(self.service.store().create_lockers(vec![new], self.service.now()))??;
        made.pop().ok_or_else(|| Error::not_found("locker", code))
    }

    /// Issues a QR token with the service's key (what the server hands the app): `action`
    /// is `check_in`, `check_out` or `update`; `rental_id` names the rental for the latter two.
    pub fn issue_qr(&self, action: &str, user_id: &str, rental_id: Option<&str>) -> Result<String> {
        let action: QrAction = action.parse()?;
        let user = parse_id("user_id", user_id)?;
        let rental = rental_id.map(|r| parse_id("rental_id", r)).transpose()?;
        Ok(self.service.qr().issue(action, user, rental, self.service.now())?.token)
    }

    /// Check-in by QR token (single use): allocates a locker of `size` (the default size
    /// when `None`; larger when none is free) and opens it.
    pub fn check_in_qr(&self, token: &str, size: Option<&str>) -> Result<CheckIn> {
        self.check_in(Proof::Qr(token.to_owned()), None, size)
    }

    /// Check-in by face: the photo's central face becomes the rental's template.
    pub fn check_in_face(&self, photo: &[u8], user_id: Option<&str>, size: Option<&str>) -> Result<CheckIn> {
        let user = user_id.map(|u| parse_id("user_id", u)).transpose()?;
        self.check_in(Proof::Face(photo.to_vec()), user, size)
    }

    fn check_in(&self, proof: Proof, user: Option<Id>, size: Option<&str>) -> Result<CheckIn> {
        let size = size.map(str::parse::<LockerSize>).transpose()?;
        block_on(self.service.check_in(CheckInRequest { proof, user, size }))?
    }

    /// Reopens rental `rental_id` with a QR token (`update`) or a face photo.
    pub fn reopen(&self, rental_id: &str, proof: Proof) -> Result<Reopened> {
        let rental = parse_id("rental_id", rental_id)?;
        block_on(self.service.reopen(rental, proof, None))?
    }

    /// Ends rental `rental_id` with a QR token (`check_out`) or a face photo (1:1 against
    /// its template).
    pub fn check_out(&self, rental_id: &str, proof: Proof) -> Result<CheckedOut> {
        let rental = parse_id("rental_id", rental_id)?;
        block_on(self.service.check_out(rental, proof, None))?
    }

    /// Ends the rental whose face matches the photo among the live face rentals (1:N).
    pub fn check_out_by_face(&self, photo: &[u8]) -> Result<CheckedOut> {
        block_on(self.service.check_out_by_face(photo.to_vec()))?
    }

    /// Every locker, by code.
    pub fn lockers(&self) -> Result<Vec<Locker>> {
        block_on(async {
            let every = LockerFilter::default();
            let mut all = all_pages(|page| self.service.store().list_lockers(&every, page)).await?;
            all.sort_by(|a, b| a.code.cmp(&b.code));
            Ok::<_, Error>(all)
        })?
    }

    /// Waits up to `timeout` for the next service event (from the moment the kiosk was
    /// opened); `None` when none came. Events a slow caller missed are skipped.
    pub fn next_event(&self, timeout: Duration) -> Result<Option<ServiceEvent>> {
        let mut rx = lock(&self.events);
        block_on(async {
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Err(_) => return Ok(None),
                    Ok(Ok(event)) => return Ok(Some(event)),
                    Ok(Err(broadcast::error::RecvError::Lagged(n))) => {
                        tracing::warn!(missed = n, "kiosk event reader fell behind");
                    }
                    Ok(Err(broadcast::error::RecvError::Closed)) => {
                        return Err(Error::Conflict("the service has stopped".into()));
                    }
                }
            }
        })?
    }

    /// Simulator only: a person opens or shuts the door of `channel`.
    pub fn sim_set_door(&self, channel: u16, open: bool) -> Result<()> {
        let device = self
            .device
            .as_ref()
            .ok_or(crate::controller::wire::UartError::Unsupported("door control (not a simulator)"))?;
        super::controller::set_door(device, channel, open)
    }

    /// The door sensors of the controller (index 0 is channel 1).
    pub fn doors(&self) -> Result<Vec<crate::domain::DoorState>> {
        use crate::ports::LockController as _;
        Ok(futures::executor::block_on(self.driver.doors())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::domain::{RentalState, TxAction};

    fn kiosk(dir: &std::path::Path, person: Option<Duration>) -> Service {
        let mut options =
            ServiceOptions::simulated(format!("sqlite:{}", dir.join("kiosk.db").display()), dir.join("keys"), 2);
        options.controller = ControllerChoice::Simulator { channels: 2, person };
        Service::open(options).unwrap()
    }

    /// The next event satisfying `pick`, within 5 s.
    fn wait_for(k: &Service, pick: impl Fn(&ServiceEvent) -> bool) -> ServiceEvent {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Some(e) = k.next_event(Duration::from_millis(200)).unwrap()
                && pick(&e)
            {
                return e;
            }
        }
        panic!("no such event within 5 s");
    }

    #[test]
    fn qr_check_in_door_cycle_check_out_and_replay() {
        let dir = tempfile::tempdir().unwrap();
        let k = kiosk(dir.path(), None);
        let user = k.add_user("Lan", "lan@example.com").unwrap();
        k.add_locker("A01", "small", 1).unwrap();
        k.add_locker("A02", "medium", 2).unwrap();
        let token = k.issue_qr("check_in", &user.id.to_string(), None).unwrap();
        let checked_in = k.check_in_qr(&token, None).unwrap();
        assert_eq!(checked_in.locker.code, "A01");
        assert_eq!(k.check_in_qr(&token, None).unwrap_err().code(), ErrorCode::QrUsed);
        // The customer opens and shuts the door: the rental becomes active.
        let channel = checked_in.locker.relay_channel;
        k.sim_set_door(channel, true).unwrap();
        k.sim_set_door(channel, false).unwrap();
        let rental = checked_in.rental.id.to_string();
        wait_for(
            &k,
            |e| matches!(e, ServiceEvent::SessionUpdated { session_id, action: TxAction::SensorTrigger, .. } if session_id.to_string() == rental),
        );
        let out_token = k.issue_qr("check_out", &user.id.to_string(), Some(&rental)).unwrap();
        let wrong = k.issue_qr("check_out", &user.id.to_string(), Some(&Id::now_v7().to_string())).unwrap();
        assert_eq!(k.check_out(&rental, Proof::Qr(wrong)).unwrap_err().code(), ErrorCode::TokenInvalid);
        let out = k.check_out(&rental, Proof::Qr(out_token)).unwrap();
        assert_eq!(out.rental.state, RentalState::Completed);
        let lockers = k.lockers().unwrap();
        assert_eq!(lockers.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(), ["A01", "A02"]);
        assert_eq!(k.check_out("nope", Proof::Qr("x".into())).unwrap_err().code(), ErrorCode::Validation);
        assert_eq!(k.check_in_face(b"not a photo", None, None).unwrap_err().code(), ErrorCode::Config);
        assert_eq!(k.sim_set_door(9, true).unwrap_err().code(), ErrorCode::UartBadChannel);
    }

    #[test]
    fn a_full_cabinet_is_no_available_locker_and_keys_persist_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let user = {
            let k = kiosk(dir.path(), Some(Duration::from_millis(20)));
            let user = k.add_user("Minh", "minh@example.com").unwrap();
            k.close();
            user
        };
        let k = kiosk(dir.path(), Some(Duration::from_millis(20)));
        let token = k.issue_qr("check_in", &user.id.to_string(), None).unwrap();
        assert_eq!(k.check_in_qr(&token, None).unwrap_err().code(), ErrorCode::NoAvailableLocker);
        assert_eq!(k.issue_qr("fly", &user.id.to_string(), None).unwrap_err().code(), ErrorCode::Validation);
    }
}
