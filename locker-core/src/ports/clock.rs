//! [`Clock`]: the core never reads the clock itself; shells pass `now`.

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
