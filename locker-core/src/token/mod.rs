//! Codes and tokens: passwords, access/refresh tokens, OTP, pickup codes, QR tokens, API keys.

use crate::error::ErrorCode;

/// Why a code or token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Wrong user name or password (never says which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Malformed token, bad signature or unknown key id.
    #[error("invalid token")]
    Invalid,
    /// The access or refresh token has expired.
    #[error("token expired")]
    Expired,
    /// The QR token was already used.
    #[error("QR token already used")]
    QrUsed,
    /// The QR token has expired.
    #[error("QR token expired")]
    QrExpired,
    /// A one-time password was refused.
    #[error(transparent)]
    Otp(#[from] OtpError),
    /// Too many requests; try again after the given number of seconds.
    #[error("too many requests, retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
}

impl TokenError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            TokenError::InvalidCredentials => ErrorCode::InvalidCredentials,
            TokenError::Invalid => ErrorCode::TokenInvalid,
            TokenError::Expired => ErrorCode::TokenExpired,
            TokenError::QrUsed => ErrorCode::QrUsed,
            TokenError::QrExpired => ErrorCode::QrExpired,
            TokenError::Otp(e) => e.code(),
            TokenError::RateLimited { .. } => ErrorCode::RateLimited,
        }
    }
}

/// Why a one-time password was refused. The shells map these to seed 003's numeric codes
/// and seed 004's `OTP_INVALID`/`OTP_EXPIRED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtpError {
    /// The code is wrong.
    #[error("invalid code")]
    Invalid,
    /// The code has expired.
    #[error("code expired")]
    Expired,
    /// The code was already used.
    #[error("code already used")]
    AlreadyUsed,
    /// Too many wrong tries of this code.
    #[error("too many attempts")]
    TooManyAttempts,
    /// Too many codes requested for this address.
    #[error("too many requests")]
    TooManyRequests,
}

impl OtpError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            OtpError::Invalid => ErrorCode::OtpInvalid,
            OtpError::Expired => ErrorCode::OtpExpired,
            OtpError::AlreadyUsed => ErrorCode::OtpUsed,
            OtpError::TooManyAttempts => ErrorCode::OtpTooManyAttempts,
            OtpError::TooManyRequests => ErrorCode::OtpTooManyRequests,
        }
    }
}
