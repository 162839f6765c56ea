//! Blocking facades for the C and Python shells (feature `kiosk`).
//!
//! `locker-ffi` and `locker-py` expose the same objects to kiosk software that has no async
//! runtime of its own. What both need beyond a thin type conversion lives here once:
//!
//! - [`block_on`]: the one process-global tokio runtime the shells run async core calls on
//!   (deltachat-ffi `RT`, tokenizers `TOKIO_RUNTIME`). Call it from a plain thread, never
//!   from inside the runtime.
//! - [`Tokens`]: single-use QR redemption, OTPs (returned for the caller to deliver) and
//!   pickup codes on one database.
//! - [`Controller`]: a lock controller (serial port or the in-process simulator) with
//!   blocking unlock/status, a blocking event pull with a timeout, and `close`.
//! - [`Service`]: the [`LockerService`](crate::service::LockerService) opened on a database URL
//!   and a key folder, with its controller attached and its timers running, and blocking
//!   check-in / reopen / check-out by QR or face, locker listing, a blocking event pull and
//!   [`close`](Service::close).
//!
//! Every method is blocking and `&self`: the shells release the GIL (Python) or hand the
//! handle to any thread (C). Nothing here panics on bad input; errors are [`crate::Error`],
//! which each shell maps through its one table from [`crate::ErrorCode`].
//!
//! # One name per object
//!
//! Each object has the same name in Rust, C and Python:
//!
//! | object | Rust | C | Python |
//! |---|---|---|---|
//! | the service facade | [`kiosk::Service`](Service), [`ServiceOptions`] | `locker_service`, `locker_service_options` | `locker.Service` |
//! | codes on a database | [`kiosk::Tokens`](Tokens) | `locker_tokens` | `locker.Tokens` |
//! | a lock controller | [`kiosk::Controller`](Controller) | `locker_controller` | `locker.Controller` |
//!
//! The former names stay for one release as deprecated aliases: [`Kiosk`], [`KioskOptions`]
//! and [`Codes`] here, `locker.TokenStore` in Python (it warns with `DeprecationWarning`).

mod codes;
mod controller;
mod runtime;
mod service;

pub use codes::Tokens;
pub use controller::Controller;
pub use runtime::{block_on, runtime};
pub use service::{ControllerChoice, Service, ServiceOptions};

/// The former name of [`Service`].
#[deprecated(since = "0.1.0", note = "renamed `kiosk::Service` (one name across Rust, C and Python)")]
pub type Kiosk = Service;
/// The former name of [`ServiceOptions`].
#[deprecated(since = "0.1.0", note = "renamed `kiosk::ServiceOptions`")]
pub type KioskOptions = ServiceOptions;
/// The former name of [`Tokens`].
#[deprecated(since = "0.1.0", note = "renamed `kiosk::Tokens` (C `locker_tokens`, Python `locker.Tokens`)")]
pub type Codes = Tokens;
