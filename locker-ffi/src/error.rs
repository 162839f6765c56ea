//! Result codes, the one mapping table from [`ErrorCode`], and the thread-local last error.
//!
//! Every fallible export returns a [`locker_result`]. On failure the message is kept per
//! thread and read with [`locker_last_error`]; a success leaves the previous message alone
//! (callers only look at it after a failure).

use std::cell::RefCell;
use std::ffi::{CString, c_char};

use locker_core::ErrorCode;

/// The outcome of a call. `LOCKER_RESULT_OK` is 0; codes 1..=99 belong to the C layer itself,
/// 100 and up mirror `locker_core::ErrorCode` number for number (never reused).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum locker_result {
    /// Success; out-parameters were written.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullParameter = 1,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 2,
    /// A bug inside the library was caught at the boundary (no panic crosses it).
    Panic = 3,
    /// The caller's buffer is too small.
    BufferTooSmall = 4,
    /// Nothing available (no decoded frame queued, no event within the timeout). Not a failure.
    Empty = 5,
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
    /// Internal failure.
    Internal = 105,
    /// No free locker matches.
    NoAvailableLocker = 200,
    /// Illegal rental or door transition.
    InvalidTransition = 201,
    /// The locker is held by a rental.
    LockerInUse = 202,
    /// The balance is less than the amount to debit.
    InsufficientBalance = 203,
    /// No payment provider is configured for the method asked for.
    PaymentNotConfigured = 204,
    /// The payment provider declined the charge.
    PaymentDeclined = 205,
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
    /// Token revoked.
    TokenRevoked = 305,
    /// A rotated refresh token was presented again.
    TokenReused = 306,
    /// Wrong pickup code for this cabinet.
    PickupCodeInvalid = 307,
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
    /// The OTP could not be delivered.
    OtpSendFailed = 315,
    /// Rate limit hit.
    RateLimited = 320,
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
    /// A face template does not decrypt.
    TemplateDecrypt = 410,
    /// A face template has the wrong layout.
    TemplateMalformed = 411,
    /// No answer from the lock controller after the last retry.
    UartTimeout = 500,
    /// The controller answered with an error.
    ControllerFault = 501,
    /// Serial port missing, failing or closed.
    SerialPort = 502,
    /// Channel out of range for the controller.
    UartBadChannel = 503,
    /// v1 payload longer than 255 bytes.
    UartPayloadTooLong = 504,
    /// Unknown lock-controller driver name.
    UartUnknownDriver = 505,
    /// The serial device does not exist.
    SerialPortNotFound = 506,
    /// The driver (or this controller) does not offer this command.
    UartUnsupported = 507,
    /// No lock controller is attached for the locker.
    ControllerNotAttached = 508,
    /// Storage backend failure.
    Storage = 600,
}

impl locker_result {
    /// The one mapping from the core's stable codes: number for number (`tests/result_codes.rs`
    /// checks that every `ErrorCode` has its `locker_result`, here and in `locker.h`).
    pub(crate) fn from_code(code: ErrorCode) -> Self {
        ALL.iter()
            .copied()
            .find(|r| *r as u32 == code.as_u32())
            // A code added to the core after this enum: report it as internal until mapped.
            .unwrap_or(locker_result::Internal)
    }

    /// The upper-case name of the code, without the `LOCKER_RESULT_` prefix.
    pub(crate) fn name(self) -> &'static str {
        use locker_result as R;
        match self {
            R::Ok => "OK",
            R::NullParameter => "NULL_PARAMETER",
            R::InvalidUtf8 => "INVALID_UTF8",
            R::Panic => "PANIC",
            R::BufferTooSmall => "BUFFER_TOO_SMALL",
            R::Empty => "EMPTY",
            R::Validation => "VALIDATION",
            R::NotFound => "NOT_FOUND",
            R::AlreadyExists => "ALREADY_EXISTS",
            R::Conflict => "CONFLICT",
            R::Config => "CONFIG",
            R::Internal => "INTERNAL",
            R::NoAvailableLocker => "NO_AVAILABLE_LOCKER",
            R::InvalidTransition => "INVALID_TRANSITION",
            R::LockerInUse => "LOCKER_IN_USE",
            R::InsufficientBalance => "INSUFFICIENT_BALANCE",
            R::PaymentNotConfigured => "PAYMENT_NOT_CONFIGURED",
            R::PaymentDeclined => "PAYMENT_DECLINED",
            R::InvalidCredentials => "INVALID_CREDENTIALS",
            R::TokenInvalid => "TOKEN_INVALID",
            R::TokenExpired => "TOKEN_EXPIRED",
            R::QrUsed => "QR_USED",
            R::QrExpired => "QR_EXPIRED",
            R::TokenRevoked => "TOKEN_REVOKED",
            R::TokenReused => "TOKEN_REUSED",
            R::PickupCodeInvalid => "PICKUP_CODE_INVALID",
            R::OtpInvalid => "OTP_INVALID",
            R::OtpExpired => "OTP_EXPIRED",
            R::OtpUsed => "OTP_USED",
            R::OtpTooManyAttempts => "OTP_TOO_MANY_ATTEMPTS",
            R::OtpTooManyRequests => "OTP_TOO_MANY_REQUESTS",
            R::OtpSendFailed => "OTP_SEND_FAILED",
            R::RateLimited => "RATE_LIMITED",
            R::FaceNotFound => "FACE_NOT_FOUND",
            R::MultipleFaces => "MULTIPLE_FACES",
            R::FaceTooSmall => "FACE_TOO_SMALL",
            R::ImageUnreadable => "IMAGE_UNREADABLE",
            R::ImageTooLarge => "IMAGE_TOO_LARGE",
            R::FaceMismatch => "FACE_MISMATCH",
            R::ImageEmpty => "IMAGE_EMPTY",
            R::ImageTooSmall => "IMAGE_TOO_SMALL",
            R::FaceModel => "FACE_MODEL",
            R::TemplateUnknownKey => "TEMPLATE_UNKNOWN_KEY",
            R::TemplateDecrypt => "TEMPLATE_DECRYPT",
            R::TemplateMalformed => "TEMPLATE_MALFORMED",
            R::UartTimeout => "UART_TIMEOUT",
            R::ControllerFault => "CONTROLLER_FAULT",
            R::SerialPort => "SERIAL_PORT",
            R::UartBadChannel => "UART_BAD_CHANNEL",
            R::UartPayloadTooLong => "UART_PAYLOAD_TOO_LONG",
            R::UartUnknownDriver => "UART_UNKNOWN_DRIVER",
            R::SerialPortNotFound => "SERIAL_PORT_NOT_FOUND",
            R::UartUnsupported => "UART_UNSUPPORTED",
            R::ControllerNotAttached => "CONTROLLER_NOT_ATTACHED",
            R::Storage => "STORAGE",
        }
    }
}

/// A failed call: the code to return and the message for [`locker_last_error`].
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) code: locker_result,
    pub(crate) message: String,
}

impl Fail {
    pub(crate) fn new(code: locker_result, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub(crate) fn null(what: &str) -> Self {
        Self::new(locker_result::NullParameter, format!("{what} is NULL"))
    }
}

/// `From` each core error for [`Fail`]: its code, and its message with the causes
/// ([`locker_core::error::report`]).
macro_rules! fail_from_core_error {
    ($($t:ty),*) => {$(
        impl From<$t> for Fail {
            fn from(e: $t) -> Self {
                Self::new(locker_result::from_code(e.code()), locker_core::error::report(&e))
            }
        }
    )*};
}
fail_from_core_error!(
    locker_core::Error,
    locker_core::token::TokenError,
    locker_core::controller::wire::UartError,
    locker_core::face::FaceError
);

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Stores `message` as this thread's last error (interior NUL bytes are dropped).
pub(crate) fn set_last_error(message: &str) {
    let clean: Vec<u8> = message.bytes().filter(|&b| b != 0).collect();
    let text = CString::new(clean).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
}

/// The message of the last failed call on this thread, or `""` if none failed yet.
///
/// The pointer is owned by the library and stays valid until the next failing call on the
/// same thread; do not free it. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn locker_last_error() -> *const c_char {
    LAST_ERROR.try_with(|e| e.borrow().as_ptr()).unwrap_or(c"".as_ptr())
}

/// The static name of `result` (`"QR_USED"`, ...), or `"UNKNOWN"` for a value that is not a
/// `locker_result`. Never NULL; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn locker_result_name(result: u32) -> *const c_char {
    static NAMES: std::sync::OnceLock<Vec<(u32, CString)>> = std::sync::OnceLock::new();
    let names =
        NAMES.get_or_init(|| ALL.iter().map(|r| (*r as u32, CString::new(r.name()).unwrap_or_default())).collect());
    names.iter().find(|(n, _)| *n == result).map_or(c"UNKNOWN".as_ptr(), |(_, s)| s.as_ptr())
}

/// Every code, for [`locker_result_name`] and the tests.
pub(crate) const ALL: &[locker_result] = {
    use locker_result as R;
    &[
        R::Ok,
        R::NullParameter,
        R::InvalidUtf8,
        R::Panic,
        R::BufferTooSmall,
        R::Empty,
        R::Validation,
        R::NotFound,
        R::AlreadyExists,
        R::Conflict,
        R::Config,
        R::Internal,
        R::NoAvailableLocker,
        R::InvalidTransition,
        R::LockerInUse,
        R::InsufficientBalance,
        R::PaymentNotConfigured,
        R::PaymentDeclined,
        R::InvalidCredentials,
        R::TokenInvalid,
        R::TokenExpired,
        R::QrUsed,
        R::QrExpired,
        R::TokenRevoked,
        R::TokenReused,
        R::PickupCodeInvalid,
        R::OtpInvalid,
        R::OtpExpired,
        R::OtpUsed,
        R::OtpTooManyAttempts,
        R::OtpTooManyRequests,
        R::OtpSendFailed,
        R::RateLimited,
        R::FaceNotFound,
        R::MultipleFaces,
        R::FaceTooSmall,
        R::ImageUnreadable,
        R::ImageTooLarge,
        R::FaceMismatch,
        R::ImageEmpty,
        R::ImageTooSmall,
        R::FaceModel,
        R::TemplateUnknownKey,
        R::TemplateDecrypt,
        R::TemplateMalformed,
        R::UartTimeout,
        R::ControllerFault,
        R::SerialPort,
        R::UartBadChannel,
        R::UartPayloadTooLong,
        R::UartUnknownDriver,
        R::SerialPortNotFound,
        R::UartUnsupported,
        R::ControllerNotAttached,
        R::Storage,
    ]
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_maps_to_its_number_and_name() {
        for &code in ErrorCode::ALL {
            let result = locker_result::from_code(code);
            assert_eq!(result as u32, code.as_u32(), "{code:?} has no locker_result");
            assert_eq!(serde_json::to_value(code).unwrap(), result.name(), "{code:?}");
        }
    }

    #[test]
    fn every_result_has_a_distinct_name() {
        let names: std::collections::HashSet<_> = ALL.iter().map(|r| r.name()).collect();
        assert_eq!(names.len(), ALL.len());
        let name = unsafe { std::ffi::CStr::from_ptr(locker_result_name(303)) };
        assert_eq!(name.to_str().unwrap(), "QR_USED");
        let unknown = unsafe { std::ffi::CStr::from_ptr(locker_result_name(9999)) };
        assert_eq!(unknown.to_str().unwrap(), "UNKNOWN");
    }

    #[test]
    fn last_error_keeps_the_message_without_nul_bytes() {
        set_last_error("bad\0 thing");
        let text = unsafe { std::ffi::CStr::from_ptr(locker_last_error()) };
        assert_eq!(text.to_str().unwrap(), "bad thing");
    }
}
