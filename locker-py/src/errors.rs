//! The `LockerError` exception tree and the one mapping from `locker_core::ErrorCode`.
//!
//! Every exception carries `code` (the core's stable number) besides its message. Groups
//! (`TokenError`, `OtpError`, `FaceError`, `UartError`) let callers catch a whole area.

use locker_core::ErrorCode;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(locker, LockerError, PyException, "Base class of every error raised by locker.");
pyo3::create_exception!(locker, ValidationError, LockerError, "Bad input; the message names the field.");
pyo3::create_exception!(locker, NotFound, LockerError, "The thing asked for does not exist.");
pyo3::create_exception!(locker, AlreadyExists, LockerError, "A unique value is taken.");
pyo3::create_exception!(locker, Conflict, LockerError, "Conflicts with the current state.");
pyo3::create_exception!(locker, ConfigError, LockerError, "Configuration missing or wrong (database URL, ...).");
pyo3::create_exception!(locker, InternalError, LockerError, "A bug or an unexpected failure inside locker.");
pyo3::create_exception!(locker, NoAvailableLocker, LockerError, "No free locker matches the request.");
pyo3::create_exception!(locker, InvalidTransition, LockerError, "A rental or door event not allowed now.");
pyo3::create_exception!(locker, StorageError, LockerError, "The database failed.");
pyo3::create_exception!(locker, LockerInUse, Conflict, "The locker is held by a rental.");
pyo3::create_exception!(locker, InsufficientBalance, LockerError, "The balance is less than the amount to debit.");
pyo3::create_exception!(locker, PaymentNotConfigured, LockerError, "No payment provider is configured for the method.");
pyo3::create_exception!(locker, PaymentDeclined, LockerError, "The payment provider declined the charge.");

pyo3::create_exception!(locker, TokenError, LockerError, "A code or token was refused.");
pyo3::create_exception!(locker, InvalidCredentials, TokenError, "Wrong credentials.");
pyo3::create_exception!(locker, TokenInvalid, TokenError, "Malformed token, bad signature or unknown key.");
pyo3::create_exception!(locker, TokenExpired, TokenError, "The token has expired.");
pyo3::create_exception!(locker, TokenRevoked, TokenError, "The token was revoked.");
pyo3::create_exception!(locker, TokenReused, TokenError, "A rotated refresh token came back.");
pyo3::create_exception!(locker, QrUsed, TokenError, "The QR token was already used.");
pyo3::create_exception!(locker, QrExpired, TokenError, "The QR token has expired.");
pyo3::create_exception!(locker, PickupCodeInvalid, TokenError, "Wrong, used or expired pickup code.");
pyo3::create_exception!(locker, RateLimited, TokenError, "Too many tries; wait before trying again.");
pyo3::create_exception!(locker, OtpError, TokenError, "A one-time password was refused.");
pyo3::create_exception!(locker, OtpInvalid, OtpError, "The code is wrong.");
pyo3::create_exception!(locker, OtpExpired, OtpError, "The code has expired.");
pyo3::create_exception!(locker, OtpUsed, OtpError, "The code was already used.");
pyo3::create_exception!(locker, OtpTooManyAttempts, OtpError, "Too many wrong tries of this code.");
pyo3::create_exception!(locker, OtpTooManyRequests, OtpError, "Too many codes requested for this address.");
pyo3::create_exception!(locker, OtpSendFailed, OtpError, "The code could not be delivered.");

pyo3::create_exception!(locker, FaceError, LockerError, "The face pipeline refused an image or a match.");
pyo3::create_exception!(locker, FaceNotFound, FaceError, "No face in the image.");
pyo3::create_exception!(locker, MultipleFaces, FaceError, "More than one face where one was needed.");
pyo3::create_exception!(locker, FaceTooSmall, FaceError, "The face is too small to recognise.");
pyo3::create_exception!(locker, ImageUnreadable, FaceError, "The bytes are not a readable JPEG or PNG.");
pyo3::create_exception!(locker, ImageTooLarge, FaceError, "The image is larger than allowed.");
pyo3::create_exception!(locker, ImageEmpty, FaceError, "The image has no bytes.");
pyo3::create_exception!(locker, ImageTooSmall, FaceError, "The image is too small to hold a face.");
pyo3::create_exception!(locker, FaceMismatch, FaceError, "The face does not match the template.");
pyo3::create_exception!(locker, FaceModelError, FaceError, "A face model is missing or failed.");
pyo3::create_exception!(locker, TemplateError, FaceError, "A sealed face template is unusable.");

pyo3::create_exception!(locker, UartError, LockerError, "The lock controller or the line to it failed.");
pyo3::create_exception!(locker, UartTimeout, UartError, "No answer from the controller after the last retry.");
pyo3::create_exception!(locker, ControllerFault, UartError, "The controller answered with an error.");
pyo3::create_exception!(locker, SerialPortError, UartError, "The serial port is failing or closed.");
pyo3::create_exception!(locker, SerialPortNotFound, UartError, "The serial device does not exist.");
pyo3::create_exception!(locker, UartBadChannel, UartError, "Channel out of range for the controller.");
pyo3::create_exception!(locker, UartPayloadTooLong, UartError, "A v1 payload over 255 bytes.");
pyo3::create_exception!(locker, UartUnknownDriver, UartError, "Unknown lock-controller driver name.");
pyo3::create_exception!(locker, UartUnsupported, UartError, "The driver does not offer this command.");
pyo3::create_exception!(locker, ControllerNotAttached, UartError, "No lock controller is attached for the locker.");

/// A core failure on its way to Python: the stable code and the message (with its causes,
/// [`locker_core::error::report`]).
#[derive(Debug)]
pub struct PyLockerError {
    /// The core's code.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
}

impl PyLockerError {
    /// A validation error for a bad argument.
    pub fn validation(message: impl Into<String>) -> Self {
        Self { code: ErrorCode::Validation, message: message.into() }
    }
}

macro_rules! from_core_error {
    ($($t:ty),*) => {$(
        impl From<$t> for PyLockerError {
            fn from(e: $t) -> Self {
                Self { code: e.code(), message: locker_core::error::report(&e) }
            }
        }
    )*};
}
from_core_error!(
    locker_core::Error,
    locker_core::token::TokenError,
    locker_core::controller::wire::UartError,
    locker_core::face::FaceError
);

/// The exception type of `code`: the one mapping table.
pub fn exception_type(py: Python<'_>, code: ErrorCode) -> Bound<'_, pyo3::types::PyType> {
    use ErrorCode as C;
    match code {
        C::Validation => py.get_type::<ValidationError>(),
        C::NotFound => py.get_type::<NotFound>(),
        C::AlreadyExists => py.get_type::<AlreadyExists>(),
        C::Conflict => py.get_type::<Conflict>(),
        C::Config => py.get_type::<ConfigError>(),
        C::Internal => py.get_type::<InternalError>(),
        C::NoAvailableLocker => py.get_type::<NoAvailableLocker>(),
        C::InvalidTransition => py.get_type::<InvalidTransition>(),
        C::LockerInUse => py.get_type::<LockerInUse>(),
        C::InsufficientBalance => py.get_type::<InsufficientBalance>(),
        C::PaymentNotConfigured => py.get_type::<PaymentNotConfigured>(),
        C::PaymentDeclined => py.get_type::<PaymentDeclined>(),
        C::InvalidCredentials => py.get_type::<InvalidCredentials>(),
        C::TokenInvalid => py.get_type::<TokenInvalid>(),
        C::TokenExpired => py.get_type::<TokenExpired>(),
        C::QrUsed => py.get_type::<QrUsed>(),
        C::QrExpired => py.get_type::<QrExpired>(),
        C::TokenRevoked => py.get_type::<TokenRevoked>(),
        C::TokenReused => py.get_type::<TokenReused>(),
        C::PickupCodeInvalid => py.get_type::<PickupCodeInvalid>(),
        C::OtpInvalid => py.get_type::<OtpInvalid>(),
        C::OtpExpired => py.get_type::<OtpExpired>(),
        C::OtpUsed => py.get_type::<OtpUsed>(),
        C::OtpTooManyAttempts => py.get_type::<OtpTooManyAttempts>(),
        C::OtpTooManyRequests => py.get_type::<OtpTooManyRequests>(),
        C::OtpSendFailed => py.get_type::<OtpSendFailed>(),
        C::RateLimited => py.get_type::<RateLimited>(),
        C::FaceNotFound => py.get_type::<FaceNotFound>(),
        C::MultipleFaces => py.get_type::<MultipleFaces>(),
        C::FaceTooSmall => py.get_type::<FaceTooSmall>(),
        C::ImageUnreadable => py.get_type::<ImageUnreadable>(),
        C::ImageTooLarge => py.get_type::<ImageTooLarge>(),
        C::FaceMismatch => py.get_type::<FaceMismatch>(),
        C::ImageEmpty => py.get_type::<ImageEmpty>(),
        C::ImageTooSmall => py.get_type::<ImageTooSmall>(),
        C::FaceModel => py.get_type::<FaceModelError>(),
        C::TemplateUnknownKey | C::TemplateDecrypt | C::TemplateMalformed => py.get_type::<TemplateError>(),
        C::UartTimeout => py.get_type::<UartTimeout>(),
        C::ControllerFault => py.get_type::<ControllerFault>(),
        C::SerialPort => py.get_type::<SerialPortError>(),
        C::UartBadChannel => py.get_type::<UartBadChannel>(),
        C::UartPayloadTooLong => py.get_type::<UartPayloadTooLong>(),
        C::UartUnknownDriver => py.get_type::<UartUnknownDriver>(),
        C::SerialPortNotFound => py.get_type::<SerialPortNotFound>(),
        C::UartUnsupported => py.get_type::<UartUnsupported>(),
        C::ControllerNotAttached => py.get_type::<ControllerNotAttached>(),
        C::Storage => py.get_type::<StorageError>(),
        // A code added to the core after this table: the base class until it is mapped.
        _ => py.get_type::<LockerError>(),
    }
}

impl From<PyLockerError> for PyErr {
    fn from(e: PyLockerError) -> PyErr {
        Python::attach(|py| {
            let ty = exception_type(py, e.code);
            let err = PyErr::from_type(ty, (e.message,));
            // `code` is the stable number; an exception instance always takes attributes.
            let _ = err.value(py).setattr("code", e.code.as_u32());
            err
        })
    }
}

/// `Result` for the binding code.
pub type LResult<T> = Result<T, PyLockerError>;
