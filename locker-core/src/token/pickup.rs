//! Pickup codes: 6 digits that open one rental's locker at one cabinet (seed 001 opens by
//! cabinet + code).
//!
//! - Stored as HMAC-SHA256(pepper, cabinet, code): the pepper makes the 10^6 space useless to
//!   someone holding only the database, and keying by cabinet lets two cabinets reuse a code.
//! - Unique among the cabinet's live codes (a partial UNIQUE index in the store); a clash
//!   draws again.
//! - Tries are limited per cabinet per hour ([`PICKUP_TRIES_PER_HOUR`], a keyed GCRA limit
//!   from [`super::ratelimit`]), so guessing across all live codes of a cabinet stays
//!   hopeless: with 20 live codes and 30 tries an hour, one guess in ~1 700 hours.

use super::ratelimit::{KeyedLimiter, Quota};
use super::{Pepper, TokenError, hmac_sha256, random_digits};
use crate::domain::{Id, Timestamp, new_id};
use crate::error::{Error, Result};
use crate::ports::TokenStore;

/// Digits in a pickup code.
pub const PICKUP_DIGITS: u32 = 6;
/// Tries (right or wrong) per cabinet per hour.
pub const PICKUP_TRIES_PER_HOUR: u32 = 30;
/// Draws before giving up on finding a free code (a cabinet would need ~10^5 live codes).
const MAX_DRAWS: usize = 16;

/// A stored pickup code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupRecord {
    /// Id.
    pub id: Id,
    /// The cabinet (station or controller code) it opens at.
    pub cabinet: String,
    /// The rental it belongs to.
    pub rental_id: Id,
    /// HMAC-SHA256(pepper, cabinet, code).
    pub code_hash: [u8; 32],
    /// Created.
    pub created_at: Timestamp,
    /// Expires (end of the paid period plus grace).
    pub expires_at: Timestamp,
    /// When it was used (or revoked).
    pub used_at: Option<Timestamp>,
}

/// Issues and checks pickup codes.
#[derive(Debug)]
pub struct PickupCodes {
    pepper: Pepper,
    tries: KeyedLimiter<String>,
}

impl PickupCodes {
    /// Codes hashed with `pepper`, tries limited to [`PICKUP_TRIES_PER_HOUR`] per cabinet.
    pub fn new(pepper: Pepper) -> Self {
        Self::with_tries_per_hour(pepper, PICKUP_TRIES_PER_HOUR)
    }

    /// Codes hashed with `pepper`, tries limited to `tries` per cabinet per hour (at least 1):
    /// a server process's share when several share the load.
    pub fn with_tries_per_hour(pepper: Pepper, tries: u32) -> Self {
        let quota = Quota::per_hour(std::num::NonZeroU32::new(tries).unwrap_or(std::num::NonZeroU32::MIN));
        Self { pepper, tries: KeyedLimiter::new(quota) }
    }

    /// HMAC-SHA256(pepper, "pickup", cabinet, code).
    pub fn hash_code(&self, cabinet: &str, code: &str) -> [u8; 32] {
        hmac_sha256(self.pepper.expose(), &[b"pickup", cabinet.as_bytes(), code.as_bytes()])
    }

    /// Issues a code for `rental_id` at `cabinet`, unique among the cabinet's live codes.
    /// Returns the code (show it once) and the stored record.
    pub async fn issue(
        &self,
        store: &dyn TokenStore,
        cabinet: &str,
        rental_id: Id,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(String, PickupRecord)> {
        self.issue_drawn(store, cabinet, rental_id, now, expires_at, |_| Ok(random_digits(PICKUP_DIGITS)?)).await
    }

    /// The code of draw `draw` for `rental_id`: HMAC-SHA256(pepper, "pickup-code", rental,
    /// draw) reduced to [`PICKUP_DIGITS`] digits. Only the pepper's holder can compute it, so
    /// the database still holds hashes alone, yet the server can show an order's code again
    /// to its owner (seed 001's order detail does).
    pub fn derive_code(&self, rental_id: Id, draw: u8) -> String {
        let mac = hmac_sha256(self.pepper.expose(), &[b"pickup-code", rental_id.as_bytes(), &[draw]]);
        let mut head = [0u8; 8];
        head.copy_from_slice(&mac[..8]);
        let modulus = 10u64.pow(PICKUP_DIGITS);
        format!("{:0width$}", u64::from_be_bytes(head) % modulus, width = PICKUP_DIGITS as usize)
    }

    /// Like [`issue`](Self::issue) with [`derive_code`](Self::derive_code)d codes (draw 0,
    /// then 1, ... on a clash), so [`live_code`](Self::live_code) can find it again. Issuing
    /// again after the code was used gives the same code when it is still free.
    pub async fn issue_derived(
        &self,
        store: &dyn TokenStore,
        cabinet: &str,
        rental_id: Id,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(String, PickupRecord)> {
        self.issue_drawn(store, cabinet, rental_id, now, expires_at, |draw| Ok(self.derive_code(rental_id, draw))).await
    }

    /// The live (unused, unexpired) derived code of `rental_id` at `cabinet`, if any.
    pub async fn live_code(
        &self,
        store: &dyn TokenStore,
        cabinet: &str,
        rental_id: Id,
        now: Timestamp,
    ) -> Result<Option<String>> {
        for draw in 0..MAX_DRAWS as u8 {
            let code = self.derive_code(rental_id, draw);
            let hash = self.hash_code(cabinet, &code);
            if store.find_pickup(cabinet, &hash, now).await?.is_some_and(|r| r.rental_id == rental_id) {
                return Ok(Some(code));
            }
        }
        Ok(None)
    }

    async fn issue_drawn(
        &self,
        store: &dyn TokenStore,
        cabinet: &str,
        rental_id: Id,
        now: Timestamp,
        expires_at: Timestamp,
        draw_code: impl Fn(u8) -> Result<String>,
    ) -> Result<(String, PickupRecord)> {
        for draw in 0..MAX_DRAWS as u8 {
            let code = draw_code(draw)?;
            let record = PickupRecord {
                id: new_id(),
                cabinet: cabinet.to_owned(),
                rental_id,
                code_hash: self.hash_code(cabinet, &code),
                created_at: now,
                expires_at,
                used_at: None,
            };
            match store.insert_pickup(&record).await {
                Ok(()) => return Ok((code, record)),
                Err(Error::AlreadyExists { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict(format!("no free pickup code at cabinet {cabinet}")))
    }

    /// Checks `code` at `cabinet` and uses it up; returns the rental it opens.
    /// Over the cabinet's hourly budget: [`TokenError::RateLimited`]; wrong, used or expired:
    /// [`TokenError::PickupCodeInvalid`] (never says which).
    pub async fn redeem(&self, store: &dyn TokenStore, cabinet: &str, code: &str, now: Timestamp) -> Result<Id> {
        if let Some(refusal) = self.tries.check(&cabinet.to_owned(), now).refusal() {
            return Err(refusal.into());
        }
        if code.len() != PICKUP_DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TokenError::PickupCodeInvalid.into());
        }
        let hash = self.hash_code(cabinet, code);
        let record = store.find_pickup(cabinet, &hash, now).await?.ok_or(TokenError::PickupCodeInvalid)?;
        if !store.consume_pickup(record.id, now).await? {
            return Err(TokenError::PickupCodeInvalid.into());
        }
        Ok(record.rental_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::memory::MemoryTokenStore;

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(secs, 0).unwrap()
    }

    const T0: i64 = 1_768_730_400;

    fn err(r: Result<Id>) -> TokenError {
        match r {
            Err(Error::Token(e)) => e,
            other => panic!("expected a token error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn code_opens_its_rental_once_and_only_at_its_cabinet() {
        let (store, codes) = (MemoryTokenStore::default(), PickupCodes::new(Pepper::new([9; 32])));
        let rental = new_id();
        let (code, record) = codes.issue(&store, "CAB-1", rental, at(T0), at(T0 + 3600)).await.unwrap();
        assert_eq!(code.len(), 6);
        assert_ne!(&record.code_hash[..], code.as_bytes());
        assert_eq!(err(codes.redeem(&store, "CAB-2", &code, at(T0 + 1)).await), TokenError::PickupCodeInvalid);
        assert_eq!(codes.redeem(&store, "CAB-1", &code, at(T0 + 1)).await.unwrap(), rental);
        assert_eq!(err(codes.redeem(&store, "CAB-1", &code, at(T0 + 2)).await), TokenError::PickupCodeInvalid);
    }

    #[tokio::test]
    async fn expired_and_malformed_codes_are_refused() {
        let (store, codes) = (MemoryTokenStore::default(), PickupCodes::new(Pepper::new([9; 32])));
        let (code, _) = codes.issue(&store, "CAB-1", new_id(), at(T0), at(T0 + 60)).await.unwrap();
        assert_eq!(err(codes.redeem(&store, "CAB-1", &code, at(T0 + 60)).await), TokenError::PickupCodeInvalid);
        for bad in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"] {
            assert_eq!(err(codes.redeem(&store, "CAB-1", bad, at(T0)).await), TokenError::PickupCodeInvalid);
        }
    }

    #[tokio::test]
    async fn tries_per_cabinet_per_hour_are_limited() {
        let (store, codes) = (MemoryTokenStore::default(), PickupCodes::new(Pepper::new([9; 32])));
        let (code, _) = codes.issue(&store, "CAB-1", new_id(), at(T0), at(T0 + 7200)).await.unwrap();
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for _ in 0..PICKUP_TRIES_PER_HOUR {
            assert_eq!(err(codes.redeem(&store, "CAB-1", wrong, at(T0)).await), TokenError::PickupCodeInvalid);
        }
        // Even the right code is refused until the budget refills.
        assert!(
            matches!(err(codes.redeem(&store, "CAB-1", &code, at(T0)).await), TokenError::RateLimited { retry_after_secs, .. } if retry_after_secs > 0)
        );
        // Another cabinet is unaffected; after two minutes one try is back.
        assert_eq!(err(codes.redeem(&store, "CAB-2", wrong, at(T0)).await), TokenError::PickupCodeInvalid);
        assert!(codes.redeem(&store, "CAB-1", &code, at(T0 + 120)).await.is_ok());
    }

    #[tokio::test]
    async fn a_process_share_of_the_tries_is_enforced() {
        let (store, codes) = (MemoryTokenStore::default(), PickupCodes::with_tries_per_hour(Pepper::new([9; 32]), 10));
        let (code, _) = codes.issue(&store, "CAB-1", new_id(), at(T0), at(T0 + 7200)).await.unwrap();
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for _ in 0..10 {
            assert_eq!(err(codes.redeem(&store, "CAB-1", wrong, at(T0)).await), TokenError::PickupCodeInvalid);
        }
        assert!(matches!(err(codes.redeem(&store, "CAB-1", &code, at(T0)).await), TokenError::RateLimited { .. }));
    }

    #[tokio::test]
    async fn derived_codes_are_found_again_and_reissued_the_same() {
        let (store, codes) = (MemoryTokenStore::default(), PickupCodes::new(Pepper::new([9; 32])));
        let rental = new_id();
        assert_eq!(codes.live_code(&store, "CAB-1", rental, at(T0)).await.unwrap(), None);
        let (code, _) = codes.issue_derived(&store, "CAB-1", rental, at(T0), at(T0 + 3600)).await.unwrap();
        assert_eq!(code, codes.derive_code(rental, 0));
        assert_eq!(codes.live_code(&store, "CAB-1", rental, at(T0)).await.unwrap().as_deref(), Some(code.as_str()));
        assert_eq!(codes.live_code(&store, "CAB-2", rental, at(T0)).await.unwrap(), None);
        assert_eq!(codes.redeem(&store, "CAB-1", &code, at(T0 + 1)).await.unwrap(), rental);
        assert_eq!(codes.live_code(&store, "CAB-1", rental, at(T0 + 1)).await.unwrap(), None);
        let (again, _) = codes.issue_derived(&store, "CAB-1", rental, at(T0 + 2), at(T0 + 3600)).await.unwrap();
        assert_eq!(again, code);
        let other = PickupCodes::new(Pepper::new([8; 32]));
        assert_ne!(other.derive_code(rental, 0), code, "the pepper is part of the code");
    }

    #[tokio::test]
    async fn a_clash_draws_again_so_live_codes_stay_unique() {
        let (store, codes) = (MemoryTokenStore::default(), PickupCodes::new(Pepper::new([9; 32])));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let (code, _) = codes.issue(&store, "CAB-1", new_id(), at(T0), at(T0 + 3600)).await.unwrap();
            assert!(seen.insert(code), "live codes of one cabinet are unique");
        }
    }
}
