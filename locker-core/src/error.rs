//! The one public error type of the core and its stable numeric codes.
//!
//! Every shell (HTTP, C, Python, CLI) maps [`ErrorCode`] through exactly one table. Codes
//! are grouped by area and never reused: a retired code stays in the enum as a comment.
//! Each area owns its block of numbers; add new codes at the end of your block.

use crate::controller::wire::UartError;
use crate::domain::TransitionError;
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
    /// The user's balance is less than the amount to debit; nothing was taken.
    #[error("insufficient balance")]
    InsufficientBalance,
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
    /// Configuration is missing or wrong (a bad URL, a missing model file, ...).
    #[error("configuration error: {0}")]
    Config(String),
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
            Error::Transition(_) => ErrorCode::InvalidTransition,
            Error::Storage { .. } => ErrorCode::Storage,
            Error::Config(_) => ErrorCode::Config,
            Error::Token(e) => e.code(),
            #[cfg(feature = "face")]
            Error::Face(e) => e.code(),
            Error::Uart(e) => e.code(),
        }
    }
}

/// Stable numeric error codes. Numbers are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[repr(u32)]
#[non_exhaustive]
pub enum ErrorCode {
    // 1xx: general
    /// Bad input; the message names the field.
    Validation = 100,
    /// Not found.
    NotFound = 101,
    /// A unique value is taken.
    AlreadyExists = 102,
    /// Conflicts with the current state.
    Conflict = 103,
    /// Configuration missing or wrong.
    Config = 104,
    /// Internal failure (a bug, or a dependency failing unexpectedly).
    Internal = 105,

    // 2xx: domain and allocation
    /// No free locker matches.
    NoAvailableLocker = 200,
    /// Illegal rental or door transition.
    InvalidTransition = 201,
    /// The locker is held by a rental.
    LockerInUse = 202,
    /// The balance is less than the amount to debit.
    InsufficientBalance = 203,

    // 3xx: codes and tokens
    /// Wrong credentials.
    InvalidCredentials = 300,
    /// Token malformed, bad signature, unknown key.
    TokenInvalid = 301,
    /// Token expired.
    TokenExpired = 302,
    /// QR token already used.
    QrUsed = 303,
    /// QR token expired.
    QrExpired = 304,
    /// OTP wrong.
    OtpInvalid = 310,
    /// OTP expired.
    OtpExpired = 311,
    /// OTP already used.
    OtpUsed = 312,
    /// Too many wrong tries of one OTP.
    OtpTooManyAttempts = 313,
    /// Too many OTP sends.
    OtpTooManyRequests = 314,
    /// Rate limit hit.
    RateLimited = 320,
    /// Token revoked (logout, or its refresh family was revoked).
    TokenRevoked = 305,
    /// A rotated refresh token was presented again; its family is now revoked.
    TokenReused = 306,
    /// Wrong pickup code for this cabinet.
    PickupCodeInvalid = 307,
    /// The OTP could not be delivered.
    OtpSendFailed = 315,

    // 4xx: face
    /// No face in the image.
    FaceNotFound = 400,
    /// More than one face in the image.
    MultipleFaces = 401,
    /// The face is too small.
    FaceTooSmall = 402,
    /// The image cannot be decoded.
    ImageUnreadable = 403,
    /// The image is too large.
    ImageTooLarge = 404,
    /// The face does not match the template.
    FaceMismatch = 405,
    /// The image has no bytes.
    ImageEmpty = 406,
    /// The image is too small to hold a face.
    ImageTooSmall = 407,
    /// A face model is missing or failed.
    FaceModel = 408,
    /// A face template was sealed with an unknown key id.
    TemplateUnknownKey = 409,
    /// A face template does not decrypt (wrong key or tampered).
    TemplateDecrypt = 410,
    /// A face template has the wrong layout.
    TemplateMalformed = 411,

    // 5xx: lock controller wire
    /// No answer after the last retry.
    UartTimeout = 500,
    /// The controller answered with an error.
    ControllerFault = 501,
    /// Serial port missing or failing.
    SerialPort = 502,
    /// Channel out of range for the controller.
    UartBadChannel = 503,
    /// v1 payload longer than 255 bytes.
    UartPayloadTooLong = 504,
    /// Unknown lock-controller driver name.
    UartUnknownDriver = 505,
    /// The serial device does not exist.
    SerialPortNotFound = 506,
    /// The driver does not offer this command.
    UartUnsupported = 507,

    // 6xx: storage
    /// Storage backend failure.
    Storage = 600,
}

impl ErrorCode {
    /// The numeric value of this code.
    pub fn as_u32(self) -> u32 {
        self as u32
    }
}
