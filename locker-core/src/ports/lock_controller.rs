//! [`LockController`]: the board that fires relays and reads door sensors.

use crate::controller::wire::{ControllerEvent, ControllerInfo, UartError, UnlockOutcome};
use crate::domain::DoorState;

/// A lock controller: the board that fires relays and reads door sensors.
///
/// Object-safe and shareable as `Arc<dyn LockController>`. Implementations:
/// [`crate::controller::io::ThreadController`] over the v1 link or a polled board codec, on a
/// serial port ([`crate::controller::serial::open_controller`], feature `serial`) or the in-process
/// simulator ([`crate::controller::sim::SimIo`]), whose futures complete from the controller's
/// own IO thread (no runtime needed); and a board that polls over HTTP,
/// [`crate::controller::command_queue::CommandQueueBoard`], whose unlocks are database writes.
#[async_trait::async_trait]
pub trait LockController: Send + Sync {
    /// Fires the relay of `channel` (from 1) once. [`UnlockOutcome::Pulsed`] is the
    /// controller's acknowledgement, not "the door opened"; an unconfirmed pulse is
    /// never repeated.
    async fn unlock(&self, channel: u16) -> Result<UnlockOutcome, UartError>;
    /// Reads the door sensor of `channel`.
    async fn door(&self, channel: u16) -> Result<DoorState, UartError>;
    /// Reads every door sensor; index 0 is channel 1.
    async fn doors(&self) -> Result<Vec<DoorState>, UartError>;
    /// Driver, firmware and channel count.
    async fn info(&self) -> Result<ControllerInfo, UartError>;
    /// A stream of unsolicited events (door changes, faults, tamper, power, link
    /// up/down). Every call returns a new receiver that sees events from now on.
    fn subscribe(&self) -> futures::channel::mpsc::UnboundedReceiver<ControllerEvent>;
    /// Called by the locker service once it has handled `event` from this controller's
    /// stream (in order per channel), with the outcome. A board whose reporter waits for
    /// its report to take effect ([`crate::controller::command_queue`]) uses it; the default
    /// ignores it.
    fn event_handled(&self, event: &ControllerEvent, outcome: crate::Result<()>) {
        let _ = (event, outcome);
    }
}
