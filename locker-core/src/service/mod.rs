//! [`LockerService`]: the flows of the seeds, composed from the core's parts.
//!
//! The service owns no IO of its own: it is given the stores ([`Stores`]), the lock
//! controllers ([`LockController`], attached per controller id), the QR key ring, the face
//! engine and template keys, and a [`Clock`]. Each flow is a short sequence of steps over
//! those ports, with the rules in the pure state machines of [`crate::domain`]:
//!
//! - **check-in** by QR token or face ([`LockerService::check_in`]): verify, allocate and
//!   create the rental in `Opening` in one transaction (the unlock intent is committed
//!   before the relay fires), store the guest face template, fire the relay. The rental
//!   becomes `Active` when the door sensor reports the door closed again — asynchronously,
//!   through the door machine — so a request never waits for a person to put things in.
//! - **reopen** ([`LockerService::reopen`]) and **check-out** ([`LockerService::check_out`],
//!   [`LockerService::check_out_by_face`]): verify the same QR or face against the rental,
//!   commit the transition, fire the relay.
//! - **force-open** and **maintenance** for staff ([`LockerService::force_open`],
//!   [`LockerService::set_status`]).
//! - **sensor reports, controller faults, heartbeats**: door events go through each locker's
//!   [`Door`](crate::domain::Door) machine, which raises `unauthorized_open`, `lock_jam` (and maintenance),
//!   `door_left_open` and `sensor_malfunction`.
//! - **orders** (seed 001, [`OrderDesk`]): [`LockerService::create_order`],
//!   [`LockerService::pay_order`], [`LockerService::extend_order`],
//!   [`LockerService::cancel_order`], expiry of unpaid orders
//!   ([`LockerService::expire_if_unpaid`], also a housekeeping step) and
//!   [`LockerService::open_order_by_code`].
//! - **face enrolment** ([`LockerService::face_enrolment`], feature `face`): a user's
//!   registered face, embedded and sealed as check-in does it.
//! - **statistics** ([`LockerService::statistics`], [`Statistics`]): rentals and payments
//!   counted and summed by the database, for the admin dashboards.
//! - **timers**: the shell asks [`LockerService::next_deadline`] and calls
//!   [`LockerService::on_tick`] then (door windows, offline controllers, overdue rentals);
//!   [`LockerService::run_timers`] is that loop for tokio shells.
//!
//! Everything observable is also sent as a [`ServiceEvent`] on a broadcast channel
//! ([`LockerService::subscribe`]).
//!
//! Several server processes on one PostgreSQL database (issue 19): the shell shares the
//! events through the database ([`LockerService::share_events`], module `relay`) and elects
//! one leader per site-wide timer task ([`LockerService::lead_timers`], [`TimerTask`]).

mod backlog;
mod builder;
mod credential;
mod devices;
mod doors;
mod events;
#[cfg(feature = "face")]
mod faces;
mod gauges;
mod http_boards;
mod keyed_locks;
mod keys;
mod leader;
mod orders;
mod reconcile;
mod relay;
mod remote;
mod rentals;
mod stats;
mod transition;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use chrono::TimeDelta;
use tokio::sync::broadcast;

pub use builder::{Opened, ServiceBuilder};
pub use credential::Proof;
pub use devices::LOW_BATTERY_PERCENT;
pub use events::ServiceEvent;
#[cfg(feature = "face")]
pub use faces::FaceEnrolment;
pub use http_boards::HttpBoards;
pub use keys::ServiceKeys;
pub use leader::TimerTask;
pub use orders::{ONLINE, OPEN_BY_CODE, Order, OrderDesk, PaidOrder};
pub use reconcile::Reconciled;
pub use remote::{CommandRelay, RelayConfig};
pub use rentals::{CheckIn, CheckInRequest, CheckedOut, ForceOpened, Reopened};
pub use stats::{DailyUsage, OrderFigures, Revenue, Statistics, UsageOverview};

use crate::domain::{Alert, DoorConfig, Id, Locker, LockerSize, NewAlert, Timestamp};
use crate::ports::TokenStore;
use crate::ports::{Clock, LockController, Store};
use crate::store::tokens::Stores;
use crate::token::qr::QrKeyring;
use crate::{Error, Result};

/// How the service behaves; [`ServiceConfig::default`] suits a kiosk.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// This kiosk's name, written as the device of every log row (`Pi_01`).
    pub kiosk: String,
    /// Only lockers of this station are allocated, if set.
    pub station: Option<String>,
    /// The size a walk-up check-in asks for when the caller names none (larger sizes are
    /// given when it is taken).
    pub default_size: LockerSize,
    /// Door windows and limits.
    pub door: DoorConfig,
    /// How often controllers are pinged and offline/overdue checks run.
    pub housekeeping_every: TimeDelta,
    /// How often a door mid-cycle is read from its controller, and rentals left in
    /// `Opening` are reconciled (see [`LockerService::reconcile`]).
    pub door_poll_every: TimeDelta,
    /// How old a rental in `Opening` that no running door cycle serves must be before it
    /// is settled from a status read (younger ones are between their commit and unlock).
    pub reconcile_after: TimeDelta,
    /// How long someone who holds a locker (reopen, check-out, open by code) waits for a
    /// door cycle still running to end before acting; after that they join it.
    pub holder_wait: std::time::Duration,
    /// At start ([`LockerService::attach_and_reconcile`]): how long a controller must have
    /// sent nothing before the door events it still held from before are taken as all
    /// delivered. Longer than the boards' event repeat interval.
    pub backlog_quiet: std::time::Duration,
    /// At start: the longest wait for the controllers to go quiet (a busy cabinet never does).
    pub backlog_limit: std::time::Duration,
    /// Capacity of the event channel; a subscriber that falls further behind loses the oldest.
    pub event_capacity: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            kiosk: "kiosk".into(),
            station: None,
            default_size: LockerSize::Small,
            door: DoorConfig::default(),
            housekeeping_every: TimeDelta::seconds(30),
            door_poll_every: TimeDelta::seconds(1),
            reconcile_after: TimeDelta::seconds(10),
            holder_wait: std::time::Duration::from_secs(3),
            backlog_quiet: std::time::Duration::from_millis(500),
            backlog_limit: std::time::Duration::from_secs(5),
            event_capacity: 1024,
        }
    }
}

/// What the service is built from (by [`ServiceBuilder::open`](builder::ServiceBuilder::open)).
pub(crate) struct ServiceParts {
    /// The database.
    pub stores: Stores,
    /// Password hashing (argon2id, bounded concurrency).
    pub passwords: Arc<crate::token::password::Passwords>,
    /// QR keys (an active signing key to issue; any key to verify).
    pub qr: QrKeyring,
    /// Wall-clock time.
    pub clock: Arc<dyn Clock>,
    /// The face engine, when face check-in is offered.
    #[cfg(feature = "face")]
    pub faces: Option<crate::face::FaceEngine>,
    /// Template keys: the first seals, all open.
    #[cfg(feature = "face")]
    pub template_keys: Vec<crate::face::TemplateKey>,
}

impl std::fmt::Debug for ServiceParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceParts").finish_non_exhaustive()
    }
}

/// What the housekeeping pass remembers so each condition alerts once.
#[derive(Debug, Default)]
struct Watch {
    next_housekeeping: Option<Timestamp>,
    next_door_poll: Option<Timestamp>,
    offline_alerted: HashSet<Id>,
    low_battery_alerted: HashSet<Id>,
    overdue_alerted: HashSet<Id>,
}

/// The locker flows of the seeds over the core's ports. Share it as `Arc<LockerService>`.
pub struct LockerService {
    config: ServiceConfig,
    stores: Stores,
    passwords: Arc<crate::token::password::Passwords>,
    qr: QrKeyring,
    clock: Arc<dyn Clock>,
    #[cfg(feature = "face")]
    faces: Option<crate::face::FaceEngine>,
    #[cfg(feature = "face")]
    template_keys: Vec<crate::face::TemplateKey>,
    events: broadcast::Sender<ServiceEvent>,
    doors: Mutex<HashMap<Id, doors::DoorSlot>>,
    /// One lock per locker, held for every step of its door cycle.
    cycles: keyed_locks::KeyedLocks,
    /// Woken whenever a door slot changes (holders waiting for a cycle to end).
    door_moved: tokio::sync::Notify,
    controllers: RwLock<HashMap<Id, Arc<dyn LockController>>>,
    /// Which locker each controller channel drives or reads.
    wiring: Mutex<devices::Wiring>,
    watch: Mutex<Watch>,
    timers_changed: tokio::sync::Notify,
    /// Serialises heartbeats: each is a read-modify-write of the controller row.
    heartbeats: tokio::sync::Mutex<()>,
    /// One lock per order while a change that takes money runs (pay, extend).
    order_locks: keyed_locks::KeyedLocks,
    /// The boards polling over HTTP that this service serves, if any: a controller met
    /// with no driver gets its board from them.
    http_boards: RwLock<std::sync::Weak<HttpBoards>>,
    /// This process's id in the shared event log.
    origin: Id,
    /// Where events go once shared with other processes ([`LockerService::share_events`]).
    shared_events: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<ServiceEvent>>,
    /// Which timer tasks this process leads.
    leading: leader::Leading,
    /// The relay of commands to controllers driven by other processes, if any (issue 19).
    relay: RwLock<std::sync::Weak<CommandRelay>>,
}

impl std::fmt::Debug for LockerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockerService").field("config", &self.config).finish_non_exhaustive()
    }
}

impl LockerService {
    /// A service over `parts`; open one with [`LockerService::builder`].
    pub(crate) fn new(config: ServiceConfig, parts: ServiceParts) -> Arc<Self> {
        let (events, _) = broadcast::channel(config.event_capacity.max(1));
        Arc::new(Self {
            config,
            stores: parts.stores,
            passwords: parts.passwords,
            qr: parts.qr,
            clock: parts.clock,
            #[cfg(feature = "face")]
            faces: parts.faces,
            #[cfg(feature = "face")]
            template_keys: parts.template_keys,
            events,
            doors: Mutex::new(HashMap::new()),
            cycles: keyed_locks::KeyedLocks::kept(),
            door_moved: tokio::sync::Notify::new(),
            controllers: RwLock::new(HashMap::new()),
            wiring: Mutex::new(HashMap::new()),
            watch: Mutex::new(Watch::default()),
            timers_changed: tokio::sync::Notify::new(),
            heartbeats: tokio::sync::Mutex::new(()),
            order_locks: keyed_locks::KeyedLocks::pruned(),
            http_boards: RwLock::new(std::sync::Weak::new()),
            origin: Id::now_v7(),
            shared_events: std::sync::OnceLock::new(),
            leading: leader::Leading::default(),
            relay: RwLock::new(std::sync::Weak::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The main store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.stores.store
    }

    /// The token store.
    pub fn tokens(&self) -> &Arc<dyn TokenStore> {
        &self.stores.tokens
    }

    /// Every store.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// The database: every storage port on the service's one pool.
    pub fn database(&self) -> &Arc<dyn crate::ports::Database> {
        &self.stores.database
    }

    /// Password hashing: the one hasher of every surface on this service.
    pub fn passwords(&self) -> &Arc<crate::token::password::Passwords> {
        &self.passwords
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Whether a driver is attached for controller `controller_id` (boards polling over
    /// HTTP get theirs from [`HttpBoards`]).
    pub fn drives(&self, controller_id: Id) -> bool {
        self.controllers.read().unwrap_or_else(|e| e.into_inner()).contains_key(&controller_id)
    }

    /// The QR key ring (issue with [`QrKeyring::issue`]).
    pub fn qr(&self) -> &QrKeyring {
        &self.qr
    }

    /// The face engine, if one is loaded.
    #[cfg(feature = "face")]
    pub fn faces(&self) -> Option<&crate::face::FaceEngine> {
        self.faces.as_ref()
    }

    /// The current time by the service's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ServiceEvent> {
        self.events.subscribe()
    }

    /// Sends `event` to the subscribers: through the shared log when events are shared
    /// (every process delivers it from there), else straight to this process's channel.
    fn emit(&self, event: ServiceEvent) {
        let event = match self.shared_events.get() {
            Some(outbox) => match outbox.send(event) {
                Ok(()) => return,
                // The relay is gone: deliver here rather than lose it.
                Err(unsent) => unsent.0,
            },
            None => event,
        };
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }

    /// Raises an alert, logs it, and sends the `security_alert` event.
    async fn raise(&self, new: NewAlert, locker: Option<&Locker>) -> Result<Alert> {
        let alert = self.store().create_alert(new, self.now()).await?;
        crate::telemetry::alert(alert.kind);
        tracing::warn!(kind = %alert.kind, severity = %alert.severity, locker = ?locker.map(|l| &l.code), "{}", alert.message);
        self.emit(ServiceEvent::alert(&alert, locker));
        Ok(alert)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn not_wired(locker: &Locker) -> Error {
    Error::Uart(crate::controller::wire::UartError::NotAttached { locker: locker.code.clone() })
}
