//! QR tokens (key ring, claims, rendering) and the database-backed codes: single-use QR
//! redemption, OTPs and pickup codes.

use std::sync::RwLock;

use locker_core::domain::{Id, Timestamp};
use locker_core::kiosk::Tokens;
use locker_core::token::qr::{KeyId, QrAction, QrClaims as CoreClaims, QrKey, QrKeyring as CoreRing, render};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{LResult, PyLockerError};

/// `now` from Python (unix seconds), or the current time.
pub(crate) fn now_or(now: Option<i64>) -> LResult<Timestamp> {
    match now {
        None => Ok(chrono::Utc::now()),
        Some(secs) => chrono::DateTime::from_timestamp(secs, 0)
            .ok_or_else(|| PyLockerError::validation(format!("invalid now: {secs} is out of range"))),
    }
}

pub(crate) fn parse_id(text: &str, what: &str) -> LResult<Id> {
    text.parse().map_err(|_| PyLockerError::validation(format!("invalid {what}: not a UUID")))
}

fn key32(bytes: &[u8], what: &str) -> LResult<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| PyLockerError::validation(format!("invalid {what}: expected 32 bytes, got {}", bytes.len())))
}

fn parse_action(action: &str) -> LResult<QrAction> {
    action.parse().map_err(|e: locker_core::Error| e.into())
}

/// What a verified QR token says.
#[pyclass(module = "locker", name = "QrClaims", frozen, get_all)]
#[derive(Debug, Clone)]
pub struct PyQrClaims {
    /// The key that signed it.
    pub key_id: u8,
    /// `"check_in"`, `"check_out"` or `"update"`.
    pub action: String,
    /// Who it was issued to (UUID text).
    pub user_id: String,
    /// The rental it acts on (UUID text), or None.
    pub rental_id: Option<String>,
    /// The single-use token id (24 hex digits).
    pub token_id: String,
    /// When it stops being accepted, unix seconds (plus 5 s of tolerated skew).
    pub expires_at: i64,
}

impl PyQrClaims {
    fn from_core(c: &CoreClaims) -> Self {
        Self {
            key_id: c.key_id.0,
            action: c.action.as_str().to_owned(),
            user_id: c.user_id.to_string(),
            rental_id: c.rental_id.map(|r| r.to_string()),
            token_id: c.token_id.to_hex(),
            expires_at: c.expires_at.timestamp(),
        }
    }
}

#[pymethods]
impl PyQrClaims {
    fn __repr__(&self) -> String {
        format!(
            "QrClaims(action={:?}, user_id={:?}, rental_id={:?}, key_id={})",
            self.action, self.user_id, self.rental_id, self.key_id
        )
    }
}

/// A table of QR keys by key id: one key issues, every non-retired key verifies.
///
/// Tokens are compact signed binary (Ed25519 by default, or HMAC-SHA256/128) in base64url,
/// valid for `lifetime_secs` (300 by default) with 5 s of clock skew tolerated.
#[pyclass(module = "locker", name = "QrKeyring", frozen)]
pub struct PyQrKeyring {
    pub(crate) ring: RwLock<CoreRing>,
}

impl PyQrKeyring {
    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, CoreRing> {
        self.ring.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, CoreRing> {
        self.ring.write().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, key_id: u8, key: QrKey) -> LResult<()> {
        Ok(self.write().add(KeyId(key_id), key)?)
    }
}

#[pymethods]
impl PyQrKeyring {
    /// An empty key ring.
    #[new]
    fn new() -> Self {
        Self { ring: RwLock::new(CoreRing::new()) }
    }

    /// Adds an Ed25519 signing key from its 32-byte seed; it issues if no key does yet.
    fn add_ed25519(&self, key_id: u8, seed: &[u8]) -> LResult<()> {
        self.add(key_id, QrKey::ed25519_from_seed(&key32(seed, "seed")?))
    }

    /// Adds an Ed25519 public key (32 bytes): verifies, never issues (what a kiosk holds).
    fn add_ed25519_public(&self, key_id: u8, public_key: &[u8]) -> LResult<()> {
        self.add(key_id, QrKey::ed25519_public(&key32(public_key, "public_key")?)?)
    }

    /// Adds an HMAC-SHA256 key from 32 secret bytes; it issues if no key does yet.
    fn add_hmac(&self, key_id: u8, secret: &[u8]) -> LResult<()> {
        self.add(key_id, QrKey::hmac(&key32(secret, "secret")?))
    }

    /// Makes `key_id` the issuing key (raises TokenInvalid if it cannot sign).
    fn set_active(&self, key_id: u8) -> LResult<()> {
        Ok(self.write().set_active(KeyId(key_id))?)
    }

    /// Retires `key_id`: tokens it signed are refused from now on.
    fn retire(&self, key_id: u8) {
        self.write().retire(KeyId(key_id));
    }

    /// Lifetime of newly issued tokens, in seconds.
    #[getter]
    fn lifetime_secs(&self) -> u32 {
        self.read().lifetime_secs()
    }

    #[setter]
    fn set_lifetime_secs(&self, secs: u32) -> LResult<()> {
        if secs == 0 {
            return Err(PyLockerError::validation("lifetime must be at least 1 second"));
        }
        self.write().set_lifetime_secs(secs);
        Ok(())
    }

    /// A verify-only copy: Ed25519 private keys replaced by their public keys.
    fn to_verifier(&self) -> Self {
        Self { ring: RwLock::new(self.read().to_verifier()) }
    }

    /// Issues a token for `action` ("check_in", "check_out", "update") to `user_id`,
    /// optionally for `rental_id`, valid from `now` (unix seconds; default: the clock).
    #[pyo3(signature = (action, user_id, rental_id=None, now=None))]
    fn issue(&self, action: &str, user_id: &str, rental_id: Option<&str>, now: Option<i64>) -> LResult<String> {
        let action = parse_action(action)?;
        let user = parse_id(user_id, "user_id")?;
        let rental = rental_id.map(|r| parse_id(r, "rental_id")).transpose()?;
        Ok(self.read().issue(action, user, rental, now_or(now)?)?.token)
    }

    /// Verifies `token` at `now`: layout, key, signature, expiry. Raises TokenInvalid or
    /// QrExpired. Does not check single use (see TokenStore.redeem_qr).
    #[pyo3(signature = (token, now=None))]
    fn verify(&self, token: &str, now: Option<i64>) -> LResult<PyQrClaims> {
        Ok(PyQrClaims::from_core(&self.read().verify(token, now_or(now)?)?))
    }
}

/// The token as a PNG QR code (error correction M, 8 px per module).
#[pyfunction]
pub fn qr_png<'py>(py: Python<'py>, token: &str) -> LResult<Bound<'py, PyBytes>> {
    let png = render::png(token)?;
    Ok(PyBytes::new(py, &png))
}

/// The token as an SVG document.
#[pyfunction]
pub fn qr_svg(token: &str) -> LResult<String> {
    Ok(render::svg(token)?)
}

/// The token as `data:image/png;base64,...`.
#[pyfunction]
pub fn qr_data_url(token: &str) -> LResult<String> {
    Ok(render::data_url(token)?)
}

/// `locker.Tokens` (Rust `locker_core::kiosk::Tokens`, C `locker_tokens`; formerly
/// `TokenStore`, still there as a deprecated alias). Codes kept in a database
/// (`sqlite:FILE` or `postgres://...`, migrated on open): single-use
/// QR redemption, OTPs and pickup codes, hashed with a 32-byte secret `pepper`.
///
/// Database waits release the GIL.
#[pyclass(module = "locker", name = "Tokens", frozen)]
pub struct PyTokens {
    codes: Tokens,
}

#[pymethods]
impl PyTokens {
    /// Opens (and migrates) the database at `url`.
    #[new]
    fn new(py: Python<'_>, url: &str, pepper: &[u8]) -> LResult<Self> {
        let pepper = key32(pepper, "pepper")?;
        let url = url.to_owned();
        Ok(Self { codes: py.detach(move || Tokens::open(&url, pepper))? })
    }

    /// Verifies `token` with `keyring` and marks it used: the second redemption raises QrUsed.
    #[pyo3(signature = (keyring, token, now=None))]
    fn redeem_qr(&self, py: Python<'_>, keyring: &PyQrKeyring, token: &str, now: Option<i64>) -> LResult<PyQrClaims> {
        let now = now_or(now)?;
        let ring = keyring.read().clone();
        let claims = py.detach(|| self.codes.qr_redeem(&ring, token, now))?;
        Ok(PyQrClaims::from_core(&claims))
    }

    /// Creates a 6-digit code for `address` (e-mail or phone) within the send limits and
    /// returns it for the caller to deliver; only its hash is stored.
    #[pyo3(signature = (address, now=None))]
    fn request_otp(&self, py: Python<'_>, address: &str, now: Option<i64>) -> LResult<String> {
        let now = now_or(now)?;
        Ok(py.detach(|| self.codes.otp_request(address, now))?)
    }

    /// Checks `code` for `address`; on success it is used up. Raises an OtpError subclass.
    #[pyo3(signature = (address, code, now=None))]
    fn verify_otp(&self, py: Python<'_>, address: &str, code: &str, now: Option<i64>) -> LResult<()> {
        let now = now_or(now)?;
        Ok(py.detach(|| self.codes.otp_verify(address, code, now))?)
    }

    /// Issues a 6-digit pickup code for `rental_id` at `cabinet`, live until `expires_at`.
    #[pyo3(signature = (cabinet, rental_id, expires_at, now=None))]
    fn issue_pickup(
        &self,
        py: Python<'_>,
        cabinet: &str,
        rental_id: &str,
        expires_at: i64,
        now: Option<i64>,
    ) -> LResult<String> {
        let rental = parse_id(rental_id, "rental_id")?;
        let (now, expires) = (now_or(now)?, now_or(Some(expires_at))?);
        Ok(py.detach(|| self.codes.pickup_issue(cabinet, rental, now, expires))?)
    }

    /// Redeems a pickup code at `cabinet` once; returns the rental id. Raises
    /// PickupCodeInvalid (wrong, used or expired) or RateLimited.
    #[pyo3(signature = (cabinet, code, now=None))]
    fn redeem_pickup(&self, py: Python<'_>, cabinet: &str, code: &str, now: Option<i64>) -> LResult<String> {
        let now = now_or(now)?;
        let rental = py.detach(|| self.codes.pickup_redeem(cabinet, code, now))?;
        Ok(rental.to_string())
    }
}
