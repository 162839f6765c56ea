//! # locker-core
//!
//! The library every locker kiosk, parcel cabinet and luggage station can build on: which
//! locker to give whom, the life of a rental and of a door, codes and tokens, faces, the
//! wire to the lock controller, and storage.
//!
//! ## The map
//!
//! Read it from the outside in: a shell (the server, the CLI, the C and Python bindings)
//! opens one [`service::LockerService`] with [`service::LockerService::builder`], and the
//! service composes everything below it.
//!
//! | layer | module | what it holds |
//! |---|---|---|
//! | application | [`service`] | every flow: check-in and check-out (QR, face, pickup code), face enrolment, paid orders (create, pay, extend, cancel, expiry, open by pickup code; [`service::OrderDesk`]), door cycles, reconciliation with the controllers, alerts, timers, statistics; [`service::ServiceBuilder`] is the one composition root |
//! | ports | [`ports`] | the traits IO hides behind: [`ports::Database`] (every storage port of one database), [`ports::LockController`], [`ports::Clock`], [`ports::Notifier`], [`ports::PaymentProvider`] |
//! | adapters | [`store`] | the storage ports on SQLite and PostgreSQL; [`store::open`] is the one opener |
//! | | [`controller`] | the lock-controller stack: `wire` (frame codecs, sans-IO), `link` (v1 retries and acknowledgements, sans-IO), `io` (the IO thread), `serial`, `sim` (a simulated controller), `command_queue` (boards that poll over HTTP) |
//! | | `face` (feature `face`) | detection, alignment, embedding and matching on ONNX models |
//! | rules | [`domain`] | lockers, controllers, users, rentals, doors, alerts and the transaction log as plain serde types; the rental and door state machines as pure functions |
//! | | [`alloc`] | which free locker fits a request |
//! | | [`token`] | passwords, access and refresh tokens and their revocation, OTP, pickup codes, QR tokens, API keys |
//! | | [`orders`], [`accounts`], [`barcode`] | the seed surfaces' records: paid orders and payments (seed 001), user numbers (seed 001/003), scanner records (seed 002) |
//! | errors | [`error`], [`error_code`], [`cause`] | the one [`Error`] with its nested enums, the stable [`ErrorCode`]s every shell maps through one table ([`ErrorCode::ALL`] lists them), and the cause chain: library errors stay `#[source]`s, [`error::report`] prints a chain on one line |
//! | observability | [`telemetry`] | operational metrics recorded through the `metrics` facade (unlocks, door cycles, jams, stranded rentals, face latency, controller and pool gauges); no exporter: a shell installs one |
//! | facades | `kiosk` (feature `kiosk`) | blocking wrappers (one runtime, a controller, the service) for the C and Python bindings |
//!
//! Dependencies point inward: `service` uses `ports`, `domain`, `token` and `alloc`;
//! `store` and `controller` implement `ports`; `domain`, `alloc`, `token` and the sans-IO
//! parts of `controller` need no runtime.
//!
//! The protocol and domain logic are sans-IO: they take bytes, events and time and return
//! bytes and actions. IO sits at the edges behind the small traits in [`ports`].
//!
//! ## Crate features
//! - `sqlite` (default): SQLite storage.
//! - `postgres` (default): PostgreSQL storage.
//! - `face` (default): the face pipeline on ONNX models (tract).
//! - `serial` (default): the serial transport to real lock controllers.
//! - `kiosk`: [`kiosk`], blocking facades (shared runtime, controller, service) for the C
//!   and Python bindings.
#![deny(missing_docs)]

pub mod accounts;
pub mod alloc;
pub mod barcode;
pub mod cause;
pub mod controller;
pub mod domain;
pub mod error;
pub mod error_code;
#[cfg(feature = "face")]
pub mod face;
#[cfg(feature = "kiosk")]
pub mod kiosk;
pub mod orders;
pub mod ports;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod service;
pub mod store;
pub mod telemetry;
#[cfg(all(feature = "test-utils", any(feature = "sqlite", feature = "postgres")))]
pub mod testing;
pub mod token;

pub use error::{Error, ErrorCode, Result};
