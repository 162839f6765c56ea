//! Device API keys (`X-API-Key`, seed 001): 256 random bits, shown once, stored as SHA-256.
//!
//! The store looks a controller up by the key's hash, so the presented key is never compared
//! with stored secrets byte by byte, and what an index lookup could leak through timing is a
//! hash prefix, which tells nothing about any key. [`ApiKeyHash::matches`] compares in
//! constant time for callers holding one expected hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{TokenError, ct_eq, random_bytes, sha256};
use crate::domain::Id;
use crate::error::Result;
use crate::ports::TokenStore;

/// Prefix that makes keys recognisable in configs and secret scanners.
pub const API_KEY_PREFIX: &str = "lk_";

/// The stored form of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyHash(pub [u8; 32]);

impl ApiKeyHash {
    /// The hash of a presented key.
    pub fn of(key: &str) -> Self {
        Self(sha256(key.as_bytes()))
    }

    /// Whether `key` is the key this hash was made from (constant time).
    pub fn matches(&self, key: &str) -> bool {
        ct_eq(&Self::of(key).0, &self.0)
    }
}

/// A new key: the text to show once, and its hash to store.
pub fn generate() -> Result<(String, ApiKeyHash), TokenError> {
    let key = format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()?));
    let hash = ApiKeyHash::of(&key);
    Ok((key, hash))
}

/// Issues a new key for `controller_id` (replacing any old one) and returns it (show once).
pub async fn rotate(store: &dyn TokenStore, controller_id: Id) -> Result<String> {
    let (key, hash) = generate()?;
    store.set_api_key_hash(controller_id, &hash.0).await?;
    Ok(key)
}

/// The controller a presented key belongs to, or [`TokenError::InvalidCredentials`].
pub async fn authenticate(store: &dyn TokenStore, presented: &str) -> Result<Id> {
    if !presented.starts_with(API_KEY_PREFIX) || presented.len() > 128 {
        return Err(TokenError::InvalidCredentials.into());
    }
    store
        .controller_by_api_key(&ApiKeyHash::of(presented).0)
        .await?
        .ok_or_else(|| TokenError::InvalidCredentials.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::token::memory::MemoryTokenStore;

    #[test]
    fn keys_are_256_bit_random_and_hash_matches() {
        let (a, ha) = generate().unwrap();
        let (b, _) = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(a.strip_prefix(API_KEY_PREFIX).unwrap()).unwrap().len(), 32);
        assert!(ha.matches(&a));
        assert!(!ha.matches(&b));
    }

    #[tokio::test]
    async fn rotate_replaces_the_old_key() {
        let store = MemoryTokenStore::default();
        let controller = crate::domain::new_id();
        let old = rotate(&store, controller).await.unwrap();
        assert_eq!(authenticate(&store, &old).await.unwrap(), controller);
        let new = rotate(&store, controller).await.unwrap();
        assert_eq!(authenticate(&store, &new).await.unwrap(), controller);
        for bad in [old.as_str(), "", "lk_", "not-a-key"] {
            assert!(
                matches!(authenticate(&store, bad).await, Err(Error::Token(TokenError::InvalidCredentials))),
                "{bad}"
            );
        }
    }
}
