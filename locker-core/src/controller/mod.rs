//! Everything between the service and a lock controller's wire.
//!
//! - [`wire`]: the frame formats — our v1 protocol and the off-the-shelf RS-485 boards —
//!   as sans-IO codecs, and [`wire::Driver`], the choice of board.
//! - [`link`]: the sans-IO v1 link (sequence numbers, retries, event acknowledgement).
//! - [`io`]: the IO thread that owns a byte port and a link, and
//!   [`io::ThreadController`], the [`LockController`](crate::ports::LockController) callers use.
//! - `serial` (feature `serial`): the serial-port byte port.
//! - [`command_queue`] (features `sqlite`/`postgres`): a board that polls the server over
//!   HTTP for its commands (seed 001), driven through the database's command queue.
//! - [`relay`]: commands across processes (issue 19) — an unlock queued in the database
//!   for the process that drives the controller.
//! - [`sim`]: a simulated controller — the sans-IO device, line faults, a virtual-time
//!   pair, the in-process harness and (feature `serial`) a pseudo-terminal server.
//!
//! The sans-IO parts take bytes and an `Instant` and return bytes, events and deadlines;
//! only [`io`], `serial` and the simulator's harnesses touch threads, ports and clocks.

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod command_queue;
pub mod io;
pub mod link;
pub mod relay;
#[cfg(feature = "serial")]
pub mod serial;
pub mod sim;
pub mod wire;
