//! [`ServiceBuilder`]: the one way a [`LockerService`] is put together — `locker serve`,
//! [`kiosk::Service`](crate::kiosk::Service), the examples and the tests all open it here, so every surface
//! runs over one connection pool, one clock and one set of keys.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use locker_core::controller::sim::{self, SimConfig};
//! use locker_core::service::{LockerService, ServiceKeys};
//!
//! let (keys, _created) = ServiceKeys::load_or_create("keys".as_ref())?;
//! let (driver, _device) = sim::spawn_controller(SimConfig::new(24))?;
//! let opened = LockerService::builder("sqlite:locker.db")
//!     .keys(keys)
//!     .fresh_controller("SIM_001", std::sync::Arc::new(driver))
//!     .open()
//!     .await?;
//! tokio::spawn(opened.service.clone().run_timers());
//! # Ok(()) }
//! ```

use std::sync::Arc;

use crate::domain::{Controller, NewController};
use crate::ports::{Clock, Database, LockController, SystemClock};
use crate::store::tokens::Stores;
use crate::token::password::Passwords;
use crate::{Error, Result};

use super::{LockerService, Reconciled, ServiceConfig, ServiceKeys, ServiceParts};

/// Where the database comes from.
enum Source {
    Url(String),
    Open(Arc<dyn Database>),
}

/// A controller to attach, by the name of its record.
struct Attach {
    name: String,
    driver: Arc<dyn LockController>,
    /// Started with this process (an in-process simulator): it holds no events from before.
    fresh: bool,
}

/// Builds a [`LockerService`]: see the [module docs](self). Made by [`LockerService::builder`].
#[must_use = "a builder does nothing until `.open()`"]
pub struct ServiceBuilder {
    source: Source,
    config: ServiceConfig,
    keys: Option<ServiceKeys>,
    clock: Arc<dyn Clock>,
    passwords: Option<Passwords>,
    #[cfg(feature = "face")]
    faces: Option<crate::face::FaceEngine>,
    controllers: Vec<Attach>,
}

impl std::fmt::Debug for ServiceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBuilder").field("config", &self.config).finish_non_exhaustive()
    }
}

/// What [`ServiceBuilder::open`] made.
#[derive(Debug)]
pub struct Opened {
    /// The service. Start its timers with `tokio::spawn(service.clone().run_timers())`.
    pub service: Arc<LockerService>,
    /// The records of the attached controllers, in the order they were given.
    pub controllers: Vec<Controller>,
    /// What the start-up reconciliation settled.
    pub reconciled: Reconciled,
}

impl LockerService {
    /// A builder for a service on the database at `database_url` (`sqlite:FILE`,
    /// `sqlite::memory:` or `postgres://...`), migrated when opened.
    pub fn builder(database_url: impl Into<String>) -> ServiceBuilder {
        ServiceBuilder::from_source(Source::Url(database_url.into()))
    }

    /// A builder for a service on a database already open (one pool shared with the caller).
    pub fn builder_on(database: Arc<dyn Database>) -> ServiceBuilder {
        ServiceBuilder::from_source(Source::Open(database))
    }
}

impl ServiceBuilder {
    fn from_source(source: Source) -> Self {
        ServiceBuilder {
            source,
            config: ServiceConfig::default(),
            keys: None,
            clock: Arc::new(SystemClock),
            passwords: None,
            #[cfg(feature = "face")]
            faces: None,
            controllers: Vec::new(),
        }
    }

    /// The configuration (default: [`ServiceConfig::default`]).
    pub fn config(mut self, config: ServiceConfig) -> Self {
        self.config = config;
        self
    }

    /// The keys (required): QR tokens are issued and checked with them, face templates
    /// sealed with them. Load them with [`ServiceKeys::load_or_create`].
    pub fn keys(mut self, keys: ServiceKeys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The password hasher (default: [`Passwords::new`], as many hashes at once as cores).
    pub fn passwords(mut self, passwords: Passwords) -> Self {
        self.passwords = Some(passwords);
        self
    }

    /// The face engine, for face check-in and check-out.
    #[cfg(feature = "face")]
    pub fn faces(mut self, engine: crate::face::FaceEngine) -> Self {
        self.faces = Some(engine);
        self
    }

    /// Attaches `driver` as the controller recorded as `name` (the record is created, in
    /// the configured station or `main`, when missing). Its door events from before the start
    /// are read as history ([`LockerService::attach_and_reconcile`]).
    pub fn controller(mut self, name: impl Into<String>, driver: Arc<dyn LockController>) -> Self {
        self.controllers.push(Attach { name: name.into(), driver, fresh: false });
        self
    }

    /// [`controller`](Self::controller) for a controller started with this process (the
    /// in-process simulator), which holds no events from before: no quiet period is waited.
    pub fn fresh_controller(mut self, name: impl Into<String>, driver: Arc<dyn LockController>) -> Self {
        self.controllers.push(Attach { name: name.into(), driver, fresh: true });
        self
    }

    /// Opens the database (migrating it), makes the service, ensures the controller records,
    /// attaches the controllers and reconciles with them. Runs on the caller's tokio runtime.
    pub async fn open(self) -> Result<Opened> {
        let keys = self
            .keys
            .ok_or_else(|| Error::config("the service needs keys: call .keys(ServiceKeys::load_or_create(dir)?)"))?;
        let database = match self.source {
            Source::Url(url) => crate::store::open(&url).await?,
            Source::Open(database) => database,
        };
        let passwords = match self.passwords {
            Some(passwords) => passwords,
            None => Passwords::new()?,
        };
        let parts = ServiceParts {
            stores: Stores::new(database),
            passwords: Arc::new(passwords),
            qr: keys.qr,
            clock: self.clock,
            #[cfg(feature = "face")]
            faces: self.faces,
            #[cfg(feature = "face")]
            template_keys: keys.templates,
        };
        let station = self.config.station.clone().unwrap_or_else(|| "main".into());
        let service = LockerService::new(self.config, parts);
        let mut records = Vec::with_capacity(self.controllers.len());
        let mut held = Vec::new();
        for attach in self.controllers {
            let record = controller_record(&service, &attach.name, &station).await?;
            if attach.fresh {
                service.attach_controller(record.id, attach.driver);
            } else {
                held.push((record.id, attach.driver));
            }
            records.push(record);
        }
        let reconciled = service.attach_and_reconcile(held).await?;
        Ok(Opened { service, controllers: records, reconciled })
    }
}

/// The controller record named `name`, created in `station` when missing.
async fn controller_record(service: &LockerService, name: &str, station: &str) -> Result<Controller> {
    let store = service.store();
    match store.get_controller_by_name(name).await {
        Err(Error::NotFound { .. }) => {
            let new = NewController { name: name.into(), station: station.into(), api_key_hash: None };
            match store.create_controller(new, service.now()).await {
                // Another process created it first.
                Err(Error::AlreadyExists { .. }) => store.get_controller_by_name(name).await,
                other => other,
            }
        }
        other => other,
    }
}
