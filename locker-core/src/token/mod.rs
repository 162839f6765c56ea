//! Codes and tokens: passwords, access/refresh tokens, OTP, pickup codes, QR tokens, API keys
//! and rate limits.
//!
//! Everything here is sans-IO: time is an argument (`now`), randomness comes from the OS
//! CSPRNG, and persistence goes through [`TokenStore`](crate::ports::TokenStore) implementations at the
//! edge. Secrets are never logged and never `Debug`-printed; stored codes are hashes; every
//! comparison of a secret is constant-time.
//!
//! | module | what |
//! |---|---|
//! | [`password`] | argon2id PHC hashes, dummy-hash verification, bounded concurrency |
//! | [`jwt`] | access tokens (one algorithm: EdDSA or HS256) |
//! | [`refresh`] | opaque refresh tokens, rotation, family revocation |
//! | [`revocation`] | sign-in and the one bearer check: a login is its refresh family, ended in the database |
//! | [`otp`] | 6-digit one-time passwords, attempt and send limits, [`Notifier`](crate::ports::Notifier) |
//! | [`pickup`] | 6-digit pickup codes per cabinet |
//! | [`qr`] | the compact signed QR token, key ring, rendering |
//! | [`apikey`] | device API keys |
//! | [`ratelimit`] | keyed GCRA limits (governor) with `X-RateLimit-*` values |
//! | [`lockout`] | account lockout after repeated wrong passwords, with backoff |
//! | [`keyfile`] | the on-disk form of signing keys |
//! | `memory` | `MemoryTokenStore`: an in-memory [`TokenStore`](crate::ports::TokenStore) for the rules' unit tests (feature `test-utils`) |
//! | `verified` | the bounded cache of verified access tokens behind [`jwt::AccessTokens::verify`] |

pub mod apikey;
pub mod jwt;
pub mod keyfile;
pub mod lockout;
#[cfg(any(test, feature = "test-utils"))]
pub mod memory;
pub mod otp;
pub mod password;
pub mod pickup;
pub mod qr;
pub mod ratelimit;
pub mod refresh;
pub mod revocation;
mod verified;

use crate::cause::Cause;
use crate::error_code::ErrorCode;

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
    /// Too many requests; try again after the given number of seconds. The fields describe
    /// the limit that fired (`Retry-After`, `X-RateLimit-Limit`, `X-RateLimit-Reset`).
    #[error("too many requests, retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
        /// The limit's size (requests or failures per its period).
        limit: u32,
        /// Unix seconds when the limit is fully available again.
        reset: i64,
    },
    /// The token was revoked (logout, or its family was revoked).
    #[error("token revoked")]
    Revoked,
    /// A refresh token that was already rotated came back: its whole family is revoked.
    #[error("refresh token reused; all sessions of this login were revoked")]
    Reused,
    /// Wrong pickup code for this cabinet.
    #[error("invalid pickup code")]
    PickupCodeInvalid,
    /// The operating system's random generator failed; the source is its error.
    #[error("random generator unavailable")]
    Rng(#[source] Cause),
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
            TokenError::Revoked => ErrorCode::TokenRevoked,
            TokenError::Reused => ErrorCode::TokenReused,
            TokenError::PickupCodeInvalid => ErrorCode::PickupCodeInvalid,
            TokenError::Rng(_) => ErrorCode::Internal,
        }
    }
}

/// Why a one-time password was refused. The shells map these to seed 003's numeric codes
/// (`Invalid` -201, `Expired` -202, `AlreadyUsed` -203, `TooManyAttempts` -204,
/// `SendFailed` -205, `TooManyRequests` -206) and seed 004's `OTP_INVALID`/`OTP_EXPIRED`
/// (the others are `RATE_LIMIT_EXCEEDED` there).
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
    /// The code could not be delivered.
    #[error("code could not be sent")]
    SendFailed,
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
            OtpError::SendFailed => ErrorCode::OtpSendFailed,
        }
    }
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], TokenError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| TokenError::Rng(Cause::new(e)))?;
    Ok(buf)
}

/// A uniformly random decimal code of `digits` digits (leading zeros kept), from the CSPRNG.
/// Rejection sampling keeps it unbiased.
pub fn random_digits(digits: u32) -> Result<String, TokenError> {
    let modulus = 10u32.pow(digits);
    // The largest multiple of `modulus` that fits in u32; values at or above it are redrawn.
    let limit = u32::MAX - (u32::MAX % modulus);
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>()?);
        if n < limit {
            return Ok(format!("{:0width$}", n % modulus, width = digits as usize));
        }
    }
}

/// SHA-256 of a high-entropy secret (refresh tokens, API keys): enough for values that
/// cannot be guessed, and a fixed-width lookup key for the store.
pub fn sha256(secret: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(secret).into()
}

/// HMAC-SHA256 of `parts` (each length-prefixed, so `("ab","c")` and `("a","bc")` differ)
/// under `key`: how low-entropy codes (OTP, pickup codes) are stored, with a secret pepper.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time equality of two byte strings (`subtle`); lengths are not secret.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// A secret pepper (32 bytes) for HMAC-hashed codes. Never printed.
#[derive(Clone, zeroize::ZeroizeOnDrop)]
pub struct Pepper([u8; 32]);

impl Pepper {
    /// A pepper from 32 secret bytes (from configuration).
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh random pepper.
    pub fn generate() -> Result<Self, TokenError> {
        Ok(Self(random_bytes()?))
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pepper(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_digits_have_the_requested_width_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| random_digits(6).unwrap()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert!(distinct.len() > 40, "50 draws of 10^6 codes should almost never repeat");
    }

    #[test]
    fn hmac_parts_are_length_prefixed() {
        let key = [7u8; 32];
        assert_ne!(hmac_sha256(&key, &[b"ab", b"c"]), hmac_sha256(&key, &[b"a", b"bc"]));
        assert_eq!(hmac_sha256(&key, &[b"ab", b"c"]), hmac_sha256(&key, &[b"ab", b"c"]));
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }

    #[test]
    fn pepper_debug_hides_the_secret() {
        assert_eq!(format!("{:?}", Pepper::new([1; 32])), "Pepper(..)");
    }

    #[test]
    fn every_token_error_has_a_3xx_code_or_internal() {
        for e in [
            TokenError::InvalidCredentials,
            TokenError::Invalid,
            TokenError::Expired,
            TokenError::QrUsed,
            TokenError::QrExpired,
            TokenError::Otp(OtpError::SendFailed),
            TokenError::RateLimited { retry_after_secs: 1, limit: 5, reset: 0 },
            TokenError::Revoked,
            TokenError::Reused,
            TokenError::PickupCodeInvalid,
        ] {
            let n = e.code().as_u32();
            assert!((300..400).contains(&n), "{e:?} has code {n}");
        }
        assert_eq!(TokenError::Rng(Cause::new(std::io::Error::other("no entropy"))).code(), ErrorCode::Internal);
    }
}
