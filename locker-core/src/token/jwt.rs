//! Access tokens: JWTs (jsonwebtoken, RustCrypto provider) with exactly one allowed algorithm.
//!
//! - The algorithm is fixed by the key: EdDSA (Ed25519, the default) or HS256. A token whose
//!   header names any other algorithm, `none` included, is refused before its signature is
//!   looked at, so an EdDSA public key can never be used as an HMAC secret.
//! - Every claim is required: `sub`, `iat`, `exp`, `typ` (`"access"`), `iss`, `aud`, `jti`,
//!   `sid` (the login the token belongs to: its refresh family, see [`super::revocation`]).
//!   `iss` and `aud` must match the configuration; `typ` must be `access`.
//! - Time is an argument: `exp` and `iat` are checked against the caller's `now` with a
//!   leeway of at most [`MAX_LEEWAY_SECS`] (jsonwebtoken's own clock check is switched off).
//! - Default lifetime [`DEFAULT_ACCESS_LIFETIME_SECS`] (seed 000: `expires_in: 3600`).

use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::verified::VerifiedTokens;
use super::{TokenError, random_bytes};
use crate::domain::{Id, Role, Timestamp};
use crate::error::{Error, Result};

/// Default access-token lifetime.
pub const DEFAULT_ACCESS_LIFETIME_SECS: i64 = 3600;
/// The largest leeway allowed for `exp`/`iat`.
pub const MAX_LEEWAY_SECS: i64 = 30;
/// The `typ` claim of an access token.
pub const ACCESS_TYP: &str = "access";
/// Longest token text looked at; anything longer is refused before decoding.
pub const MAX_JWT_LEN: usize = 4096;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// The user's role when the token was issued.
    pub role: Role,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
    /// Token type, always [`ACCESS_TYP`].
    pub typ: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Random token id (for logs).
    pub jti: String,
    /// The login (refresh family id) this token belongs to; ending that login ends the
    /// token on every surface ([`super::revocation`]).
    pub sid: String,
}

/// The key pair (or shared secret) of the one allowed algorithm. Secrets are not printed.
#[derive(Clone)]
pub struct JwtKeys {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JwtKeys({:?}, can_sign: {})", self.algorithm, self.encoding.is_some())
    }
}

/// PKCS#8 v1 DER prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

fn ensure_provider() {
    // Ok, or another provider is installed already: either way one is there.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}

impl JwtKeys {
    /// EdDSA keys from a 32-byte Ed25519 seed.
    pub fn ed25519(seed: &[u8; 32]) -> Self {
        ensure_provider();
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(seed);
        let public = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
        let keys = Self {
            algorithm: Algorithm::EdDSA,
            encoding: Some(EncodingKey::from_ed_der(&der)),
            decoding: DecodingKey::from_ed_der(public.as_bytes()),
        };
        zeroize::Zeroize::zeroize(&mut der);
        keys
    }

    /// EdDSA verify-only keys from a 32-byte public key.
    pub fn ed25519_public(public: &[u8; 32]) -> Result<Self> {
        ensure_provider();
        ed25519_dalek::VerifyingKey::from_bytes(public)
            .map_err(|_| Error::config("JWT public key is not a valid Ed25519 point"))?;
        Ok(Self { algorithm: Algorithm::EdDSA, encoding: None, decoding: DecodingKey::from_ed_der(public) })
    }

    /// HS256 keys from a shared secret (at least 32 bytes recommended).
    pub fn hs256(secret: &[u8]) -> Self {
        ensure_provider();
        Self {
            algorithm: Algorithm::HS256,
            encoding: Some(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Fresh random EdDSA keys.
    pub fn generate_ed25519() -> Result<Self, TokenError> {
        Ok(Self::ed25519(&random_bytes()?))
    }

    /// The one algorithm these keys accept.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// Issues and verifies access tokens for one issuer and audience.
#[derive(Debug, Clone)]
pub struct AccessTokens {
    keys: JwtKeys,
    issuer: String,
    audience: String,
    lifetime_secs: i64,
    leeway_secs: i64,
    validation: Validation,
    /// Tokens whose signature was checked already (shared by clones; see [`super::verified`]).
    verified: Arc<VerifiedTokens<AccessClaims>>,
}

impl AccessTokens {
    /// Tokens signed with `keys`, issuer `locker`, audience `locker`, default lifetime,
    /// leeway [`MAX_LEEWAY_SECS`].
    pub fn new(keys: JwtKeys) -> Self {
        Self::with_config(keys, "locker", "locker", DEFAULT_ACCESS_LIFETIME_SECS, MAX_LEEWAY_SECS)
    }

    /// Tokens with explicit issuer, audience, lifetime and leeway (capped at [`MAX_LEEWAY_SECS`]).
    pub fn with_config(keys: JwtKeys, issuer: &str, audience: &str, lifetime_secs: i64, leeway_secs: i64) -> Self {
        let mut validation = Validation::new(keys.algorithm);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        // Time is checked by `verify` against the caller's `now`, never the system clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        Self {
            keys,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            lifetime_secs,
            leeway_secs: leeway_secs.clamp(0, MAX_LEEWAY_SECS),
            validation,
            verified: Arc::default(),
        }
    }

    /// Lifetime of new tokens in seconds (the `expires_in` of a login answer).
    pub fn lifetime_secs(&self) -> i64 {
        self.lifetime_secs
    }

    /// Issues a token for `subject` with `role` at `now`, belonging to login `session` (a
    /// refresh family id; [`super::revocation::sign_in`] starts one and issues both).
    pub fn issue(&self, subject: &str, role: Role, session: Id, now: Timestamp) -> Result<(String, AccessClaims)> {
        let encoding = self.keys.encoding.as_ref().ok_or_else(|| Error::config("JWT key cannot sign"))?;
        let jti: [u8; 16] = random_bytes()?;
        let claims = AccessClaims {
            sub: subject.to_owned(),
            role,
            iat: now.timestamp(),
            exp: now.timestamp() + self.lifetime_secs,
            typ: ACCESS_TYP.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: uuid::Uuid::from_bytes(jti).simple().to_string(),
            sid: session.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(self.keys.algorithm), &claims, encoding)
            .map_err(|e| Error::config_from("cannot sign access token", e))?;
        Ok((token, claims))
    }

    /// Verifies `token` at `now`: algorithm, signature, required claims, issuer, audience,
    /// `typ`, then `exp` and `iat` with the leeway. Never panics on any input.
    ///
    /// A token that verified before is not verified again: its claims come from a bounded
    /// cache keyed on the whole token ([`super::verified`]); the time checks run every time.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<AccessClaims, TokenError> {
        if token.len() > MAX_JWT_LEN {
            return Err(TokenError::Invalid);
        }
        let claims = match self.verified.get(token) {
            Some(claims) => claims,
            None => {
                let claims = self.verify_signed(token)?;
                self.verified.insert(token, &claims, |c| self.check_time(c, now).is_ok());
                claims
            }
        };
        if let Err(e) = self.check_time(&claims, now) {
            if e == TokenError::Expired {
                self.verified.remove(token);
            }
            return Err(e);
        }
        Ok(claims)
    }

    /// The checks that do not depend on time: algorithm, signature, required claims,
    /// issuer, audience, `typ`.
    fn verify_signed(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.keys.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.typ != ACCESS_TYP {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }

    /// `iat` not in the future and `exp` not past, each with the leeway.
    fn check_time(&self, claims: &AccessClaims, now: Timestamp) -> Result<(), TokenError> {
        let now = now.timestamp();
        if claims.iat > now + self.leeway_secs {
            return Err(TokenError::Invalid);
        }
        if now > claims.exp.saturating_add(self.leeway_secs) {
            return Err(TokenError::Expired);
        }
        Ok(())
    }

    /// How many verified tokens the cache holds (for tests of its bound).
    pub fn verified_tokens_cached(&self) -> usize {
        self.verified.len()
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
