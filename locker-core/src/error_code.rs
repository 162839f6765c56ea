//! The stable numeric codes every shell maps errors through (HTTP status and envelope, C
//! result code, Python exception, CLI exit code).
//!
//! Codes are grouped by area and never reused: a retired code stays in the enum as a comment.
//! Each area owns its block of numbers; add new codes at the end of your block. This module
//! depends on nothing else in the crate, so every error type can name its code without
//! importing [`crate::Error`] (which in turn wraps those error types).

/// Declares [`ErrorCode`] and [`ErrorCode::ALL`] from one list, so that a code cannot be
/// added to the enum and forgotten in `ALL` (the shells' tests walk `ALL`).
macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = $number:literal,)*) => {
        /// Stable numeric error codes. Numbers are never reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $name = $number,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order (grouped by area).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];
        }
    };
}

error_codes! {
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
    /// No payment provider is configured for the method asked for.
    PaymentNotConfigured = 204,
    /// The payment provider declined the charge.
    PaymentDeclined = 205,

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
    /// No lock controller is attached for the locker (none wired, or not connected).
    ControllerNotAttached = 508,

    // 6xx: storage
    /// Storage backend failure.
    Storage = 600,
}

impl ErrorCode {
    /// The numeric value of this code.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// The code with the numeric value `number`, if there is one.
    pub fn from_u32(number: u32) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| c.as_u32() == number)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn numbers_are_distinct_and_round_trip() {
        let mut numbers: Vec<u32> = ErrorCode::ALL.iter().map(|c| c.as_u32()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), ErrorCode::ALL.len(), "two codes share a number");
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_u32(code.as_u32()), Some(code));
        }
        assert_eq!(ErrorCode::from_u32(0), None);
        assert_eq!(ErrorCode::from_u32(99_999), None);
    }
}
