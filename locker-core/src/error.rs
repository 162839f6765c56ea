//! The one public error type of the core and its stable numeric codes.
//!
//! Every shell (HTTP, C, Python, CLI) maps [`ErrorCode`] through exactly one table. Codes
//! are grouped by area and never reused: a retired code stays in the enum as a comment.
//! Each area owns its block of numbers; add new codes at the end of your block.

pub use crate::cause::{Cause, report};
pub use crate::error_code::ErrorCode;

use crate::controller::wire::UartError;
use crate::domain::TransitionError;
use crate::ports::PaymentRefused;
use crate::token::TokenError;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core, named in locker terms.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value supplied by the caller is not acceptable. `field` names the input.
    #[error("invalid {field}: {message}")]
    Validation {
        /// The field (or CSV column, or argument) at fault.
        field: String,
        /// What is wrong with it, in words a caller can show.
        message: String,
    },
    /// The thing asked for does not exist.
    #[error("{entity} not found: {id}")]
    NotFound {
        /// What kind of thing (`locker`, `rental`, `user`, ...).
        entity: &'static str,
        /// The id or code that was looked up.
        id: String,
    },
    /// A unique value is already taken (locker code, email, ...).
    #[error("{entity} already exists: {field} = {value}")]
    AlreadyExists {
        /// What kind of thing.
        entity: &'static str,
        /// The unique field.
        field: &'static str,
        /// The value that is taken.
        value: String,
    },
    /// The operation conflicts with the current state (e.g. deleting a locker with a live rental).
    #[error("conflict: {0}")]
    Conflict(String),
    /// No free locker matches the request.
    #[error("no available locker matches the request")]
    NoAvailableLocker,
    /// The locker is held by a rental, so it cannot be changed that way now.
    #[error("locker {0} is in use")]
    LockerInUse(String),
    /// Nothing can open the locker's door (no controller wired to it, or its controller is
    /// deactivated), so it is not sold; the text says which and what to do.
    #[error("{0}")]
    NotOpenable(String),
    /// The user's balance is less than the amount to debit; nothing was taken.
    #[error("insufficient balance")]
    InsufficientBalance,
    /// A payment provider did not take the money (see [`PaymentRefused`]); nothing was taken.
    #[error(transparent)]
    Payment(#[from] PaymentRefused),
    /// A rental or door event that is not allowed in the current state.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The storage backend failed (connection, IO, constraint not otherwise mapped).
    #[error("storage error: {message}")]
    Storage {
        /// What the store was doing.
        message: String,
        /// The underlying cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// Configuration is missing or wrong (a bad URL, a missing model file, a key file that
    /// does not read, ...).
    #[error("configuration error: {message}")]
    Config {
        /// What is missing or wrong.
        message: String,
        /// The underlying cause (the IO or parse error), when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// A code or token was refused (see [`TokenError`]).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The face pipeline refused an image or a match (see [`crate::face::FaceError`]).
    #[cfg(feature = "face")]
    #[error(transparent)]
    Face(#[from] crate::face::FaceError),
    /// The lock controller or the line to it failed (see [`UartError`]).
    #[error(transparent)]
    Uart(#[from] UartError),
}

impl Error {
    /// A validation error for `field`.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation { field: field.into(), message: message.into() }
    }

    /// A not-found error for `entity` with `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound { entity, id: id.to_string() }
    }

    /// A configuration error with no underlying cause.
    pub fn config(message: impl Into<String>) -> Self {
        Self::Config { message: message.into(), source: None }
    }

    /// A configuration error: `message`, because of `source` (an IO or parse error).
    pub fn config_from(message: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Config { message: message.into(), source: Some(Box::new(source)) }
    }

    /// A storage error with a cause.
    pub fn storage(message: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Storage { message: message.into(), source: Some(Box::new(source)) }
    }

    /// The stable code of this error, for the shells' mapping tables.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Validation { .. } => ErrorCode::Validation,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::NoAvailableLocker => ErrorCode::NoAvailableLocker,
            Error::LockerInUse(_) => ErrorCode::LockerInUse,
            Error::InsufficientBalance => ErrorCode::InsufficientBalance,
            Error::Payment(e) => e.code(),
            Error::Transition(_) => ErrorCode::InvalidTransition,
            Error::Storage { .. } => ErrorCode::Storage,
            Error::Config { .. } | Error::NotOpenable(_) => ErrorCode::Config,
            Error::Token(e) => e.code(),
            #[cfg(feature = "face")]
            Error::Face(e) => e.code(),
            Error::Uart(e) => e.code(),
        }
    }
}
