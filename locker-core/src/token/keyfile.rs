//! Signing keys on disk: one small JSON file per key, written with mode 0600.
//!
//! ```text
//! keys/qr-1.key    {"purpose":"qr","alg":"ed25519","kid":1,"secret":"<base64url>","public":"<base64url>"}
//! keys/qr-1.pub    the same without "secret" (what a kiosk gets)
//! keys/jwt.key     {"purpose":"jwt","alg":"ed25519","kid":0,...}   or "alg":"hmac-sha256"
//! ```
//! A QR key ring is every `qr-*.key` (or, on kiosks, `qr-*.pub`) in the directory; the highest
//! key id issues. Rotating is generating a new key; retiring is deleting (or renaming) the old
//! file after one token lifetime. Secrets are never printed: `Debug` hides them.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::jwt::JwtKeys;
use super::qr::{KeyId, QrKey, QrKeyring};
use super::random_bytes;
use crate::error::{Error, Result};

/// What a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyPurpose {
    /// QR tokens.
    Qr,
    /// JWT access tokens.
    Jwt,
}

/// The signature family of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyAlg {
    /// Ed25519 (QR) / EdDSA (JWT).
    Ed25519,
    /// HMAC-SHA256 (QR: truncated to 128 bits; JWT: HS256).
    HmacSha256,
}

/// One key as stored on disk.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFile {
    /// What it signs.
    pub purpose: KeyPurpose,
    /// Its algorithm.
    pub alg: KeyAlg,
    /// Its key id.
    pub kid: u8,
    /// The 32 secret bytes (Ed25519 seed or HMAC key), base64url; absent in a public file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The Ed25519 public key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<String>,
}

impl std::fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFile")
            .field("purpose", &self.purpose)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("secret", &self.secret.as_ref().map(|_| ".."))
            .field("public", &self.public)
            .finish()
    }
}

impl KeyFile {
    /// A fresh random key.
    pub fn generate(purpose: KeyPurpose, alg: KeyAlg, kid: u8) -> Result<Self> {
        let secret: [u8; 32] = random_bytes()?;
        let public = match alg {
            KeyAlg::Ed25519 => {
                let signing = ed25519_dalek::SigningKey::from_bytes(&secret);
                Some(URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes()))
            }
            KeyAlg::HmacSha256 => None,
        };
        Ok(Self { purpose, alg, kid, secret: Some(URL_SAFE_NO_PAD.encode(secret)), public })
    }

    /// The public half (Ed25519 only; HMAC keys have none).
    pub fn public_only(&self) -> Option<Self> {
        self.public.as_ref().map(|_| Self { secret: None, ..self.clone() })
    }

    /// The file name this key is stored under: `qr-<kid>.key`/`.pub`, `jwt.key`/`.pub`.
    pub fn file_name(&self) -> String {
        let ext = if self.secret.is_some() { "key" } else { "pub" };
        match self.purpose {
            KeyPurpose::Qr => format!("qr-{}.{ext}", self.kid),
            KeyPurpose::Jwt => format!("jwt.{ext}"),
        }
    }

    /// Parses the JSON form.
    pub fn parse(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::config_from("bad key file", e))
    }

    /// The JSON form (contains the secret: write it with mode 0600).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| unreachable!("plain struct"))
    }

    fn bytes32(field: &'static str, value: Option<&String>) -> Result<[u8; 32]> {
        let text = value.ok_or_else(|| Error::config(format!("key file has no {field}")))?;
        let bytes =
            URL_SAFE_NO_PAD.decode(text).map_err(|_| Error::config(format!("key file {field} is not base64url")))?;
        bytes.try_into().map_err(|_| Error::config(format!("key file {field} is not 32 bytes")))
    }

    /// The QR key this file holds (signing if it has the secret, verify-only otherwise).
    pub fn to_qr_key(&self) -> Result<(KeyId, QrKey)> {
        if self.purpose != KeyPurpose::Qr {
            return Err(Error::config("not a QR key"));
        }
        let key = match (self.alg, &self.secret) {
            (KeyAlg::Ed25519, Some(_)) => QrKey::ed25519_from_seed(&Self::bytes32("secret", self.secret.as_ref())?),
            (KeyAlg::Ed25519, None) => QrKey::ed25519_public(&Self::bytes32("public", self.public.as_ref())?)
                .map_err(|_| Error::config("key file public key is not a valid Ed25519 point"))?,
            (KeyAlg::HmacSha256, _) => QrKey::hmac(&Self::bytes32("secret", self.secret.as_ref())?),
        };
        Ok((KeyId(self.kid), key))
    }

    /// The JWT keys this file holds. A public-only Ed25519 file verifies but cannot sign.
    pub fn to_jwt_keys(&self) -> Result<JwtKeys> {
        if self.purpose != KeyPurpose::Jwt {
            return Err(Error::config("not a JWT key"));
        }
        match (self.alg, &self.secret) {
            (KeyAlg::Ed25519, Some(_)) => Ok(JwtKeys::ed25519(&Self::bytes32("secret", self.secret.as_ref())?)),
            (KeyAlg::Ed25519, None) => JwtKeys::ed25519_public(&Self::bytes32("public", self.public.as_ref())?),
            (KeyAlg::HmacSha256, _) => Ok(JwtKeys::hs256(&Self::bytes32("secret", self.secret.as_ref())?)),
        }
    }
}

/// Every key file in `dir` with the given purpose (`.key` files, or `.pub` when `public` is set).
pub fn read_dir(dir: &Path, purpose: KeyPurpose, public: bool) -> Result<Vec<(PathBuf, KeyFile)>> {
    let ext = if public { "pub" } else { "key" };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::config_from(format!("cannot read key directory {}", dir.display()), e))?;
    let mut keys = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::config_from("cannot read key directory", e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(ext) {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::config_from(format!("cannot read {}", path.display()), e))?;
        let key = KeyFile::parse(&text).map_err(|e| Error::config_from(path.display().to_string(), e))?;
        if key.purpose == purpose {
            keys.push((path, key));
        }
    }
    keys.sort_by_key(|(_, k)| k.kid);
    Ok(keys)
}

/// The QR key ring of `dir`: every QR key file, the highest key id active (when it can sign).
pub fn load_qr_keyring(dir: &Path, public: bool) -> Result<QrKeyring> {
    let files = read_dir(dir, KeyPurpose::Qr, public)?;
    let mut ring = QrKeyring::new();
    for (_, file) in &files {
        let (id, key) = file.to_qr_key()?;
        ring.insert(id, key);
    }
    match files.last() {
        None => Err(Error::config(format!("no QR keys in {} (run `locker keys generate`)", dir.display()))),
        Some((_, newest)) => {
            // Verify-only rings (public keys) have no active key; that is expected.
            let _ = ring.set_active(KeyId(newest.kid));
            Ok(ring)
        }
    }
}

/// Writes `key` into `dir` under its file name, mode 0600 for secrets (0644 for public keys),
/// refusing to overwrite an existing file.
pub fn write(dir: &Path, key: &KeyFile) -> Result<PathBuf> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir).map_err(|e| Error::config_from(format!("cannot create {}", dir.display()), e))?;
    let path = dir.join(key.file_name());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if key.secret.is_some() { 0o600 } else { 0o644 });
    }
    let mut file =
        options.open(&path).map_err(|e| Error::config_from(format!("cannot create {}", path.display()), e))?;
    file.write_all(key.to_json().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::config_from(format!("cannot write {}", path.display()), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::qr::QrAction;

    #[test]
    fn generated_qr_keys_round_trip_and_public_file_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyFile::generate(KeyPurpose::Qr, KeyAlg::Ed25519, 3).unwrap();
        let path = write(dir.path(), &key).unwrap();
        write(dir.path(), &key.public_only().unwrap()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(write(dir.path(), &key).is_err(), "never overwrites a key");
        let ring = load_qr_keyring(dir.path(), false).unwrap();
        assert_eq!(ring.active(), Some(KeyId(3)));
        let now = chrono::Utc::now();
        let token = ring.issue(QrAction::CheckIn, crate::domain::new_id(), None, now).unwrap().token;
        let kiosk = load_qr_keyring(dir.path(), true).unwrap();
        assert_eq!(kiosk.active(), None);
        assert!(kiosk.verify(&token, now).is_ok());
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = KeyFile::generate(KeyPurpose::Jwt, KeyAlg::HmacSha256, 0).unwrap();
        let secret = key.secret.clone().unwrap();
        assert!(!format!("{key:?}").contains(&secret));
    }

    #[test]
    fn bad_files_are_config_errors() {
        assert!(matches!(KeyFile::parse("{"), Err(Error::Config { .. })));
        let mut key = KeyFile::generate(KeyPurpose::Qr, KeyAlg::HmacSha256, 1).unwrap();
        key.secret = Some("c2hvcnQ".into());
        assert!(matches!(key.to_qr_key(), Err(Error::Config { .. })));
        assert!(matches!(key.to_jwt_keys(), Err(Error::Config { .. })));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(load_qr_keyring(empty.path(), false), Err(Error::Config { .. })));
    }
}
