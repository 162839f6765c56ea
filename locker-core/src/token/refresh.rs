//! Refresh tokens: opaque 256-bit random strings, stored only as SHA-256, rotated on every use.
//!
//! A login starts a *family*. Each refresh marks the presented token `rotated` and issues its
//! successor in the same family. Presenting a token that was already rotated means it was
//! copied: the whole family is revoked ([`TokenError::Reused`]), which logs out both the thief
//! and the victim. Logout revokes the family too. The rules are pure functions
//! ([`check`]); [`refresh`], [`login`] and [`logout`] drive them over a [`TokenStore`], whose
//! `rotate_refresh` is a compare-and-set so two concurrent uses cannot both win.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::{TokenError, random_bytes, sha256};
use crate::domain::{Id, Timestamp, new_id};
use crate::error::Result;
use crate::ports::TokenStore;

/// Default refresh-token lifetime (seed 003: 30 days).
pub const DEFAULT_REFRESH_LIFETIME_SECS: i64 = 30 * 24 * 3600;

/// Where a refresh token is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshState {
    /// The current token of its family.
    Active,
    /// Already exchanged for a successor; presenting it again is reuse.
    Rotated,
    /// Revoked (logout or reuse).
    Revoked,
}

impl RefreshState {
    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshState::Active => "active",
            RefreshState::Rotated => "rotated",
            RefreshState::Revoked => "revoked",
        }
    }

    /// Parses the database spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(RefreshState::Active),
            "rotated" => Some(RefreshState::Rotated),
            "revoked" => Some(RefreshState::Revoked),
            _ => None,
        }
    }
}

/// A stored refresh token (never the token itself, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// SHA-256 of the token text.
    pub token_hash: [u8; 32],
    /// The login this token belongs to.
    pub family_id: Id,
    /// Whose it is.
    pub user_id: Id,
    /// State.
    pub state: RefreshState,
    /// Issued.
    pub issued_at: Timestamp,
    /// Expires.
    pub expires_at: Timestamp,
}

/// A new refresh token: the text to hand out once, and what to store.
#[derive(Debug, Clone)]
pub struct NewRefresh {
    /// The token text (base64url of 32 random bytes). Shown to the client, never stored.
    pub token: String,
    /// The record to store.
    pub record: RefreshRecord,
}

/// SHA-256 of a presented token text.
pub fn hash_token(token: &str) -> [u8; 32] {
    sha256(token.as_bytes())
}

/// A fresh token in `family` for `user`, valid `lifetime_secs` from `now`.
pub fn new_token(family_id: Id, user_id: Id, now: Timestamp, lifetime_secs: i64) -> Result<NewRefresh> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let record = RefreshRecord {
        token_hash: hash_token(&token),
        family_id,
        user_id,
        state: RefreshState::Active,
        issued_at: now,
        expires_at: now + chrono::Duration::seconds(lifetime_secs),
    };
    Ok(NewRefresh { token, record })
}

/// What to do with a presented token, given its record (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Rotate it.
    Rotate,
    /// Refuse it with this error.
    Refuse(TokenError),
    /// It was already rotated: revoke its family, then refuse with [`TokenError::Reused`].
    RevokeFamily,
}

/// The rule: unknown is invalid, revoked is revoked, rotated is reuse, expired is expired.
pub fn check(record: Option<&RefreshRecord>, now: Timestamp) -> Verdict {
    match record {
        None => Verdict::Refuse(TokenError::Invalid),
        Some(r) => match r.state {
            RefreshState::Revoked => Verdict::Refuse(TokenError::Revoked),
            RefreshState::Rotated => Verdict::RevokeFamily,
            RefreshState::Active if now >= r.expires_at => Verdict::Refuse(TokenError::Expired),
            RefreshState::Active => Verdict::Rotate,
        },
    }
}

/// Starts a new family for `user` (a login) and stores its first token.
pub async fn login(store: &dyn TokenStore, user_id: Id, now: Timestamp, lifetime_secs: i64) -> Result<NewRefresh> {
    let fresh = new_token(new_id(), user_id, now, lifetime_secs)?;
    store.insert_refresh(&fresh.record).await?;
    Ok(fresh)
}

/// Exchanges `presented` for its successor; on reuse revokes the family.
pub async fn refresh(
    store: &dyn TokenStore,
    presented: &str,
    now: Timestamp,
    lifetime_secs: i64,
) -> Result<NewRefresh> {
    let hash = hash_token(presented);
    let record = store.find_refresh(&hash).await?;
    match check(record.as_ref(), now) {
        Verdict::Refuse(e) => Err(e.into()),
        Verdict::RevokeFamily => {
            if let Some(r) = &record {
                store.revoke_refresh_family(r.family_id).await?;
                tracing::warn!(family = %r.family_id, user = %r.user_id, "refresh token reuse; family revoked");
            }
            Err(TokenError::Reused.into())
        }
        Verdict::Rotate => {
            let Some(old) = record else {
                return Err(TokenError::Invalid.into());
            };
            let next = new_token(old.family_id, old.user_id, now, lifetime_secs)?;
            if store.rotate_refresh(&hash, &next.record).await? {
                Ok(next)
            } else {
                // Someone rotated it between our read and our write: that is reuse too.
                store.revoke_refresh_family(old.family_id).await?;
                Err(TokenError::Reused.into())
            }
        }
    }
}

/// Revokes the family of `presented` (logout). Unknown tokens are ignored (logout is idempotent).
pub async fn logout(store: &dyn TokenStore, presented: &str) -> Result<()> {
    if let Some(record) = store.find_refresh(&hash_token(presented)).await? {
        store.revoke_refresh_family(record.family_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn tokens_are_256_bit_and_stored_hashed() {
        let fresh = new_token(new_id(), new_id(), at(0), 60).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&fresh.token).unwrap().len(), 32);
        assert_eq!(fresh.record.token_hash, hash_token(&fresh.token));
        assert_ne!(&fresh.record.token_hash[..], fresh.token.as_bytes());
    }

    #[test]
    fn check_covers_every_state() {
        let mut r = new_token(new_id(), new_id(), at(0), 60).unwrap().record;
        assert_eq!(check(None, at(1)), Verdict::Refuse(TokenError::Invalid));
        assert_eq!(check(Some(&r), at(59)), Verdict::Rotate);
        assert_eq!(check(Some(&r), at(60)), Verdict::Refuse(TokenError::Expired));
        r.state = RefreshState::Rotated;
        assert_eq!(check(Some(&r), at(1)), Verdict::RevokeFamily);
        r.state = RefreshState::Revoked;
        assert_eq!(check(Some(&r), at(1)), Verdict::Refuse(TokenError::Revoked));
        for s in [RefreshState::Active, RefreshState::Rotated, RefreshState::Revoked] {
            assert_eq!(RefreshState::parse(s.as_str()), Some(s));
        }
    }

    fn err(r: Result<NewRefresh>) -> TokenError {
        match r {
            Err(crate::error::Error::Token(e)) => e,
            other => panic!("expected a token error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn rotation_and_reuse_revokes_the_family() {
        let store = crate::token::memory::MemoryTokenStore::default();
        let user = new_id();
        let first = login(&store, user, at(0), 3600).await.unwrap();
        let second = refresh(&store, &first.token, at(10), 3600).await.unwrap();
        assert_eq!(second.record.family_id, first.record.family_id);
        let third = refresh(&store, &second.token, at(20), 3600).await.unwrap();
        // The thief replays the first token: reuse, and the whole family dies ...
        assert_eq!(err(refresh(&store, &first.token, at(30), 3600).await), TokenError::Reused);
        // ... including the victim's current token.
        assert_eq!(err(refresh(&store, &third.token, at(40), 3600).await), TokenError::Revoked);
        // Another login of the same user is a different family and unaffected.
        let other = login(&store, user, at(50), 3600).await.unwrap();
        assert!(refresh(&store, &other.token, at(60), 3600).await.is_ok());
    }

    #[tokio::test]
    async fn logout_revokes_and_unknown_or_expired_tokens_are_refused() {
        let store = crate::token::memory::MemoryTokenStore::default();
        let session = login(&store, new_id(), at(0), 100).await.unwrap();
        assert_eq!(err(refresh(&store, "not-a-token", at(1), 100).await), TokenError::Invalid);
        assert_eq!(err(refresh(&store, &session.token, at(100), 100).await), TokenError::Expired);
        let live = login(&store, new_id(), at(0), 100).await.unwrap();
        logout(&store, &live.token).await.unwrap();
        logout(&store, "unknown").await.unwrap();
        assert_eq!(err(refresh(&store, &live.token, at(1), 100).await), TokenError::Revoked);
    }
}
