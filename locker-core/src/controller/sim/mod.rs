//! A simulated v1 lock controller, so the CLI, tests and demos run without hardware.
//!
//! [`Device`] is sans-IO like the link: `handle_bytes(now, ..)`, `poll_transmit(now, ..)`,
//! `poll_timeout()`, `handle_timeout(now)`. It models what real cabinets do:
//!
//! - a door stays shut after an unlock until "a person" opens it ([`Device::open_door`],
//!   or automatically with [`SimConfig::person`]);
//! - a jammed channel fires its relay but the door stays shut;
//! - a door opened without an unlock (forced) is reported like any other door change;
//! - a cut sensor reads open forever, and the relay still fires;
//! - answers leave after [`SimConfig::latency`];
//! - the last answers are cached by `seq` (and contents), so a retried unlock is answered
//!   without a second pulse; entries expire after [`SimConfig::seq_cache_ttl`];
//! - events are repeated until acknowledged.
//!
//! [`NoisyLine`] adds seeded line faults (dropped, flipped, duplicated, delayed bytes) and
//! [`Pair`] wires a link and a device together in virtual time (quinn's `Pair`).
//! [`SimIo`] runs a device in-process behind the threaded controller, and with feature
//! `serial`, [`PtySimulator`] serves it on a real pseudo-terminal.

mod device;
mod harness;
mod line;
mod pair;
#[cfg(feature = "serial")]
mod pty;

pub use device::*;
pub use harness::*;
pub use line::*;
pub use pair::*;
#[cfg(feature = "serial")]
pub use pty::PtySimulator;

#[cfg(test)]
mod tests;
