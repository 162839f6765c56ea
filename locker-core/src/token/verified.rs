//! A bounded cache of access tokens whose signature and time-free claims were verified, so
//! a bearer check verifies an Ed25519 signature once per token rather than once per request.
//!
//! What it holds and what it does not:
//! - The key is the SHA-256 of the whole token text, so a token differing in any byte
//!   (header, claims or signature) is a different entry; only tokens that passed
//!   [`AccessTokens::verify`](super::jwt::AccessTokens::verify) are put in, so the cache
//!   cannot be filled with forgeries.
//! - The value is the verified claims. Time is not cached: `exp` and `iat` are checked
//!   against the caller's `now` on every use, and an entry found past its expiry is dropped.
//! - Whether the login is still on is not cached either: the caller asks the database on
//!   every request ([`super::revocation`]), so a logout in any process refuses the token at
//!   once, cached or not.
//! - At most [`CAPACITY`] entries: when full, expired entries are dropped,
//!   and if none had expired, all are (re-verifying a token costs one signature check).

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::Digest as _;

/// Verified tokens by the SHA-256 of their text, with what verifying them gave (`C`: the
/// access token's claims).
pub(crate) struct VerifiedTokens<C> {
    entries: Mutex<HashMap<[u8; 32], C>>,
}

impl<C> Default for VerifiedTokens<C> {
    fn default() -> Self {
        Self { entries: Mutex::default() }
    }
}

impl<C: Clone> std::fmt::Debug for VerifiedTokens<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifiedTokens({} entries)", self.len())
    }
}

fn key(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// The most tokens a cache keeps (about 0.5 kB each for access-token claims).
pub(crate) const CAPACITY: usize = 4096;

impl<C: Clone> VerifiedTokens<C> {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], C>> {
        // The map holds plain values; a panic elsewhere cannot leave it half-updated.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The claims of `token` if it was verified before.
    pub(crate) fn get(&self, token: &str) -> Option<C> {
        self.entries().get(&key(token)).cloned()
    }

    /// Remembers that `token` verified to `claims`; `live` tells which entries are still
    /// worth keeping when the cache is full.
    pub(crate) fn insert(&self, token: &str, claims: &C, live: impl Fn(&C) -> bool) {
        let mut entries = self.entries();
        if entries.len() >= CAPACITY {
            entries.retain(|_, c| live(c));
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key(token), claims.clone());
    }

    /// Forgets `token` (it expired).
    pub(crate) fn remove(&self, token: &str) {
        self.entries().remove(&key(token));
    }

    /// How many tokens are kept.
    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }
}
