//! The door of one locker: what its sensor says and the door/lock state machine.
//!
//! TODO(issue 2): the `Closed -> Unlocking -> Open -> Closed` machine as a pure transition
//! function with alerts as actions (see DESIGN.md, Domain).

use super::string_enum;

string_enum! {
    /// What the door sensor last said.
    DoorState, field = "door_state" {
        /// Open.
        Open => "open",
        /// Closed.
        Closed => "closed",
        /// Not known (no reading yet, sensor fault, controller offline).
        Unknown => "unknown",
    }
}

/// Inputs to the door machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorEvent {
    /// The host sent an unlock pulse.
    UnlockSent,
    /// The sensor reports open.
    SensorOpen,
    /// The sensor reports closed.
    SensorClosed,
}
