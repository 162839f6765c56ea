//! Blocking facades for the C and Python shells (feature `kiosk`).
//!
//! `locker-ffi` and `locker-py` expose the same objects to kiosk software that has no async
//! runtime of its own. What both need beyond a thin type conversion lives here once:
//!
//! - [`block_on`]: the one process-global tokio runtime the shells run async core calls on
//!   (deltachat-ffi `RT`, tokenizers `TOKIO_RUNTIME`). Call it from a plain thread, never
//!   from inside the runtime.
//! - [`Codes`]: single-use QR redemption, OTPs (returned for the caller to deliver) and
//!   pickup codes on one database.
//! - [`Controller`]: a lock controller (serial port or the in-process simulator) with
//!   blocking unlock/status, a blocking event pull with a timeout, and `close`.
//! - [`Kiosk`]: the [`LockerService`](crate::service::LockerService) opened on a database URL
//!   and a key folder, with its controller attached and its timers running, and blocking
//!   check-in / reopen / check-out by QR or face, locker listing and a blocking event pull.
//!
//! Every method is blocking and `&self`: the shells release the GIL (Python) or hand the
//! handle to any thread (C). Nothing here panics on bad input; errors are [`crate::Error`],
//! which each shell maps through its one table from [`crate::ErrorCode`].

mod codes;
mod controller;
mod runtime;
mod service;

pub use codes::Codes;
pub use controller::Controller;
pub use runtime::{block_on, runtime};
pub use service::{ControllerChoice, Kiosk, KioskOptions};
