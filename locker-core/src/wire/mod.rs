//! The lock-controller wire: the v1 frame codec and the off-the-shelf board codecs.

use crate::error::ErrorCode;

/// Why a command to the lock controller failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UartError {
    /// No valid answer after the last retry.
    #[error("lock controller did not answer (UART timeout)")]
    Timeout,
    /// The controller answered with an error result.
    #[error("lock controller reported a fault: {0}")]
    Fault(String),
    /// The serial port is missing or failing.
    #[error("serial port error: {0}")]
    Port(String),
}

impl UartError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            UartError::Timeout => ErrorCode::UartTimeout,
            UartError::Fault(_) => ErrorCode::ControllerFault,
            UartError::Port(_) => ErrorCode::SerialPort,
        }
    }
}
