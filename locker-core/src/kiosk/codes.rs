//! [`Tokens`]: the database-backed codes for blocking callers — single-use QR redemption,
//! OTPs and pickup codes — on a SQLite file or a PostgreSQL URL.

use std::sync::{Arc, Mutex};

use crate::Result;
use crate::domain::{Id, Timestamp};
use crate::ports::Notifier;
use crate::ports::TokenStore;
use crate::token::otp::{Otp, OtpMessage, OtpPolicy};
use crate::token::pickup::PickupCodes;
use crate::token::qr::{QrClaims, QrKeyring};
use crate::token::{OtpError, Pepper, TokenError};

use super::block_on;

/// The token store with the OTP and pickup-code rules, hashing with one secret pepper.
pub struct Tokens {
    store: Arc<dyn TokenStore>,
    otp: Otp,
    pickup: PickupCodes,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(<redacted>)")
    }
}

/// Hands the code back to the caller instead of sending it: C and Python kiosks deliver it
/// through their own channel (SMS gateway, printer, ...).
#[derive(Default)]
struct Capture(Mutex<Option<String>>);

#[async_trait::async_trait]
impl Notifier for Capture {
    async fn send(&self, message: &OtpMessage) -> Result<()> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(message.code.clone());
        Ok(())
    }
}

impl Tokens {
    /// Opens (and migrates) the database at `url` with the secret `pepper`.
    pub fn open(url: &str, pepper: [u8; 32]) -> Result<Self> {
        let store = block_on(crate::store::open(url))??;
        Ok(Self {
            store,
            otp: Otp::new(Pepper::new(pepper), OtpPolicy::default()),
            pickup: PickupCodes::new(Pepper::new(pepper)),
        })
    }

    /// Verifies a QR token with `ring` and marks it used (the second use is `QrUsed`).
    pub fn qr_redeem(&self, ring: &QrKeyring, token: &str, now: Timestamp) -> Result<QrClaims> {
        let claims = ring.verify(token, now)?;
        block_on(self.store.mark_qr_used(&claims.token_id, claims.expires_at, now))??;
        Ok(claims)
    }

    /// Creates a code for `address` under the send limits and returns it for delivery; only
    /// its hash is stored.
    pub fn otp_request(&self, address: &str, now: Timestamp) -> Result<String> {
        let capture = Capture::default();
        block_on(self.otp.request(self.store.as_ref(), &capture, address, now))??;
        let code = capture.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        code.ok_or_else(|| TokenError::Otp(OtpError::SendFailed).into())
    }

    /// Checks a code for `address`; on success it is used up.
    pub fn otp_verify(&self, address: &str, code: &str, now: Timestamp) -> Result<()> {
        block_on(self.otp.verify(self.store.as_ref(), address, code, now))?
    }

    /// Issues a pickup code for `rental_id` at `cabinet`, live until `expires_at`.
    pub fn pickup_issue(&self, cabinet: &str, rental_id: Id, now: Timestamp, expires_at: Timestamp) -> Result<String> {
        let (code, _) = block_on(self.pickup.issue(self.store.as_ref(), cabinet, rental_id, now, expires_at))??;
        Ok(code)
    }

    /// Redeems a pickup code at `cabinet` once; returns the rental it opens.
    pub fn pickup_redeem(&self, cabinet: &str, code: &str, now: Timestamp) -> Result<Id> {
        block_on(self.pickup.redeem(self.store.as_ref(), cabinet, code, now))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::token::qr::{KeyId, QrAction, QrKey};

    #[test]
    fn qr_is_single_use_and_otp_codes_come_back_for_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let codes = Tokens::open(&format!("sqlite:{}", dir.path().join("codes.db").display()), [7; 32]).unwrap();
        let ring = QrKeyring::with_key(KeyId(1), QrKey::generate_ed25519().unwrap());
        let now = chrono::Utc::now();
        let token = ring.issue(QrAction::CheckIn, crate::domain::new_id(), None, now).unwrap().token;
        codes.qr_redeem(&ring, &token, now).unwrap();
        assert_eq!(codes.qr_redeem(&ring, &token, now).unwrap_err().code(), ErrorCode::QrUsed);
        let code = codes.otp_request("a@example.com", now).unwrap();
        assert_eq!(code.len(), 6);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_eq!(codes.otp_verify("a@example.com", wrong, now).unwrap_err().code(), ErrorCode::OtpInvalid);
        codes.otp_verify("a@example.com", &code, now).unwrap();
        let rental = crate::domain::new_id();
        let pickup = codes.pickup_issue("CAB1", rental, now, now + chrono::TimeDelta::hours(1)).unwrap();
        assert_eq!(codes.pickup_redeem("CAB1", &pickup, now).unwrap(), rental);
        assert_eq!(codes.pickup_redeem("CAB1", &pickup, now).unwrap_err().code(), ErrorCode::PickupCodeInvalid);
    }
}
