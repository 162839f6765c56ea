//! The small traits behind which IO sits: time today; storage, lock controllers and
//! notifiers join as their modules grow. Everything else in the core is testable without
//! a database, a serial port or a clock.

use crate::domain::Timestamp;

/// A source of wall-clock time. The core never reads the clock itself; shells pass `now`.
pub trait Clock: Send + Sync {
    /// The current time in UTC.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

// ---- Lock controllers (issue 4) -------------------------------------------------------

pub use lock_controller::LockController;

mod lock_controller {
    use crate::domain::DoorState;
    use crate::wire::{ControllerEvent, ControllerInfo, UartError, UnlockOutcome};

    /// A lock controller: the board that fires relays and reads door sensors.
    ///
    /// Object-safe and shareable as `Arc<dyn LockController>`. Implementations:
    /// [`crate::driver::ThreadController`] over the v1 link or a polled board codec, on a
    /// serial port ([`crate::serial::open_controller`], feature `serial`) or the in-process
    /// simulator ([`crate::sim::SimIo`]). No runtime is needed: the futures complete from
    /// the controller's own IO thread.
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
    }
}
