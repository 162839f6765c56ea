//! [`MemoryTokenStore`] (tests and feature `test-utils`): an in-memory
//! [`TokenStore`](crate::ports::TokenStore). The SQL stores implement the same port in
//! `store::{sqlite,postgres}::tokens`.
//!
//! Each method is one atomic step, so the rules stay right under concurrency:
//! `mark_qr_used` is a UNIQUE insert, `rotate_refresh` a compare-and-set on the state,
//! `create_otp` checks the send limits, voids older codes and inserts in one transaction,
//! `add_otp_attempt` an atomic increment, `consume_otp`/`consume_pickup` compare-and-sets on
//! `used_at IS NULL`.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::{Id, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{SendCheck, TokenStore};
use crate::token::TokenError;
use crate::token::otp::OtpRecord;
use crate::token::pickup::PickupRecord;
use crate::token::qr::QrTokenId;
use crate::token::refresh::{RefreshRecord, RefreshState};

#[derive(Default)]
struct Inner {
    used_qr: HashMap<QrTokenId, Timestamp>,
    refresh: HashMap<[u8; 32], RefreshRecord>,
    otp: Vec<OtpRecord>,
    pickup: Vec<PickupRecord>,
    api_keys: HashMap<Id, [u8; 32]>,
}

/// An in-memory [`TokenStore`] for unit tests of the token rules (the real stores are
/// tested against the same story in `store::tests`).
#[derive(Default)]
pub struct MemoryTokenStore(Mutex<Inner>);

impl MemoryTokenStore {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn mark_qr_used(&self, token_id: &QrTokenId, expires_at: Timestamp, _now: Timestamp) -> Result<()> {
        let mut inner = self.inner();
        if inner.used_qr.contains_key(token_id) {
            return Err(TokenError::QrUsed.into());
        }
        inner.used_qr.insert(*token_id, expires_at);
        Ok(())
    }

    async fn purge_used_qr(&self, before: Timestamp) -> Result<u64> {
        let mut inner = self.inner();
        let n = inner.used_qr.len();
        inner.used_qr.retain(|_, exp| *exp >= before);
        Ok((n - inner.used_qr.len()) as u64)
    }

    async fn insert_refresh(&self, record: &RefreshRecord) -> Result<()> {
        self.inner().refresh.insert(record.token_hash, record.clone());
        Ok(())
    }

    async fn find_refresh(&self, token_hash: &[u8; 32]) -> Result<Option<RefreshRecord>> {
        Ok(self.inner().refresh.get(token_hash).cloned())
    }

    async fn rotate_refresh(&self, old_hash: &[u8; 32], next: &RefreshRecord) -> Result<bool> {
        let mut inner = self.inner();
        match inner.refresh.get_mut(old_hash) {
            Some(old) if old.state == RefreshState::Active => {
                old.state = RefreshState::Rotated;
                inner.refresh.insert(next.token_hash, next.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_refresh_family(&self, family_id: Id) -> Result<u64> {
        let mut n = 0;
        for r in self.inner().refresh.values_mut().filter(|r| r.family_id == family_id) {
            if r.state != RefreshState::Revoked {
                r.state = RefreshState::Revoked;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn create_otp(&self, record: &OtpRecord, window_start: Timestamp, check: SendCheck<'_>) -> Result<()> {
        let mut inner = self.inner();
        let mut sends: Vec<Timestamp> = inner
            .otp
            .iter()
            .filter(|r| r.address == record.address && r.created_at >= window_start)
            .map(|r| r.created_at)
            .collect();
        sends.sort();
        check(&sends)?;
        for r in inner.otp.iter_mut().filter(|r| r.address == record.address) {
            r.voided = true;
        }
        inner.otp.push(record.clone());
        Ok(())
    }

    async fn live_otp(&self, address: &str) -> Result<Option<OtpRecord>> {
        Ok(self.inner().otp.iter().rev().find(|r| r.address == address && !r.voided).cloned())
    }

    async fn add_otp_attempt(&self, id: Id) -> Result<u32> {
        let mut inner = self.inner();
        let r = inner.otp.iter_mut().find(|r| r.id == id).ok_or_else(|| Error::not_found("otp", id))?;
        r.attempts += 1;
        Ok(r.attempts)
    }

    async fn consume_otp(&self, id: Id, now: Timestamp) -> Result<bool> {
        let mut inner = self.inner();
        match inner.otp.iter_mut().find(|r| r.id == id && r.used_at.is_none()) {
            Some(r) => {
                r.used_at = Some(now);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn insert_pickup(&self, record: &PickupRecord) -> Result<()> {
        let mut inner = self.inner();
        let clash = inner
            .pickup
            .iter()
            .any(|p| p.cabinet == record.cabinet && p.code_hash == record.code_hash && p.used_at.is_none());
        if clash {
            return Err(Error::AlreadyExists { entity: "pickup code", field: "code", value: record.cabinet.clone() });
        }
        inner.pickup.push(record.clone());
        Ok(())
    }

    async fn find_pickup(&self, cabinet: &str, code_hash: &[u8; 32], now: Timestamp) -> Result<Option<PickupRecord>> {
        Ok(self
            .inner()
            .pickup
            .iter()
            .find(|p| p.cabinet == cabinet && &p.code_hash == code_hash && p.used_at.is_none() && p.expires_at > now)
            .cloned())
    }

    async fn consume_pickup(&self, id: Id, now: Timestamp) -> Result<bool> {
        let mut inner = self.inner();
        match inner.pickup.iter_mut().find(|p| p.id == id && p.used_at.is_none()) {
            Some(p) => {
                p.used_at = Some(now);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn set_api_key_hash(&self, controller_id: Id, key_hash: &[u8; 32]) -> Result<()> {
        self.inner().api_keys.insert(controller_id, *key_hash);
        Ok(())
    }

    async fn controller_by_api_key(&self, key_hash: &[u8; 32]) -> Result<Option<Id>> {
        Ok(self.inner().api_keys.iter().find(|(_, h)| crate::token::ct_eq(*h, key_hash)).map(|(id, _)| *id))
    }
}
