//! Templates at rest: AES-256-GCM with the key id stored next to the ciphertext.
//!
//! Layout of [`SealedTemplate::bytes`]: `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
//! The associated data binds the version, the key id and a caller-chosen context (for
//! example `user:<id>`), so a ciphertext moved to another owner's row no longer opens.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};

use super::FaceError;
use super::embed::Embedding;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A named 256-bit key. `Debug` never prints the key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct TemplateKey {
    id: String,
    key: [u8; 32],
}

impl std::fmt::Debug for TemplateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateKey").field("id", &self.id).field("key", &"<redacted>").finish()
    }
}

impl TemplateKey {
    /// A key with id `id` (1–64 printable ASCII characters without spaces or `:`).
    pub fn new(id: &str, key: [u8; 32]) -> Result<TemplateKey, FaceError> {
        let valid = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        if !valid {
            return Err(FaceError::TemplateMalformed(format!("invalid key id {id:?}")));
        }
        Ok(TemplateKey { id: id.to_owned(), key })
    }

    /// A fresh random key.
    pub fn generate(id: &str) -> Result<TemplateKey, FaceError> {
        TemplateKey::new(id, rand::random())
    }

    /// Parses `ID:HEX64` (the key file format; surrounding whitespace is ignored).
    pub fn parse(text: &str) -> Result<TemplateKey, FaceError> {
        let bad = || FaceError::TemplateMalformed("key must be ID:64-hex-digits".into());
        let (id, hex) = text.trim().split_once(':').ok_or_else(bad)?;
        if hex.len() != 64 {
            return Err(bad());
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16).map_err(|_| bad())?;
        }
        TemplateKey::new(id, key)
    }

    /// The `ID:HEX64` text form read by [`TemplateKey::parse`]. It contains the secret.
    pub fn to_text(&self) -> String {
        let hex: String = self.key.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:{hex}", self.id)
    }

    /// The key id stored with every ciphertext.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Ciphertext plus the id of the key that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedTemplate {
    /// Which key sealed it.
    pub key_id: String,
    /// `version ‖ nonce ‖ ciphertext ‖ tag`.
    pub bytes: Vec<u8>,
}

impl SealedTemplate {
    /// A self-contained form for files and single-column storage:
    /// `key id length (1) ‖ key id ‖ bytes`.
    pub fn to_blob(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.key_id.len() + self.bytes.len());
        out.push(self.key_id.len() as u8);
        out.extend_from_slice(self.key_id.as_bytes());
        out.extend_from_slice(&self.bytes);
        out
    }

    /// Reads [`SealedTemplate::to_blob`].
    pub fn from_blob(blob: &[u8]) -> Result<SealedTemplate, FaceError> {
        let bad = || FaceError::TemplateMalformed("sealed blob truncated".into());
        let (&len, rest) = blob.split_first().ok_or_else(bad)?;
        let id = rest.get(..len as usize).ok_or_else(bad)?;
        let key_id = std::str::from_utf8(id).map_err(|_| bad())?.to_owned();
        Ok(SealedTemplate { key_id, bytes: rest[len as usize..].to_vec() })
    }
}

fn aad(key_id: &str, context: &[u8]) -> Vec<u8> {
    let mut out = vec![VERSION, key_id.len() as u8];
    out.extend_from_slice(key_id.as_bytes());
    out.extend_from_slice(context);
    out
}

/// Encrypts `plain` with `key`, bound to `context`.
pub fn seal_bytes(key: &TemplateKey, plain: &[u8], context: &[u8]) -> SealedTemplate {
    let cipher = Aes256Gcm::new(&key.key.into());
    let nonce: [u8; NONCE_LEN] = rand::random();
    let ad = aad(&key.id, context);
    let ciphertext = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plain, aad: &ad })
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let mut bytes = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    bytes.push(VERSION);
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&ciphertext);
    SealedTemplate { key_id: key.id.clone(), bytes }
}

/// Decrypts `sealed` with whichever of `keys` has its key id.
pub fn open_bytes(keys: &[TemplateKey], sealed: &SealedTemplate, context: &[u8]) -> Result<Vec<u8>, FaceError> {
    let key = keys
        .iter()
        .find(|k| k.id == sealed.key_id)
        .ok_or_else(|| FaceError::UnknownKey { key_id: sealed.key_id.clone() })?;
    let b = &sealed.bytes;
    if b.len() < 1 + NONCE_LEN + TAG_LEN {
        return Err(FaceError::TemplateMalformed("ciphertext too short".into()));
    }
    if b[0] != VERSION {
        return Err(FaceError::TemplateMalformed(format!("unknown template version {}", b[0])));
    }
    let cipher = Aes256Gcm::new(&key.key.into());
    let ad = aad(&key.id, context);
    let nonce: [u8; NONCE_LEN] = b[1..1 + NONCE_LEN].try_into().expect("length checked above");
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: &b[1 + NONCE_LEN..], aad: &ad })
        .map_err(|_| FaceError::TemplateDecrypt)
}

/// Seals one embedding.
pub fn seal(key: &TemplateKey, embedding: &Embedding, context: &[u8]) -> SealedTemplate {
    seal_bytes(key, &embedding.to_le_bytes(), context)
}

/// Opens one embedding sealed by [`seal`].
pub fn open(keys: &[TemplateKey], sealed: &SealedTemplate, context: &[u8]) -> Result<Embedding, FaceError> {
    let plain = open_bytes(keys, sealed, context)?;
    Embedding::from_le_bytes(&plain).ok_or_else(|| FaceError::TemplateMalformed("not an embedding".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::EMBEDDING_DIM;

    fn embedding() -> Embedding {
        Embedding::from_raw(&(0..EMBEDDING_DIM).map(|i| (i as f32).sin()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn round_trips_and_hides_the_floats() {
        let key = TemplateKey::generate("k1").unwrap();
        let e = embedding();
        let sealed = seal(&key, &e, b"user:1");
        assert_eq!(sealed.key_id, "k1");
        let plain = e.to_le_bytes();
        assert!(!sealed.bytes.windows(8).any(|w| plain.windows(8).any(|p| p == w)));
        assert_eq!(open(&[key], &sealed, b"user:1").unwrap(), e);
    }

    #[test]
    fn wrong_key_context_or_tampering_fail_cleanly() {
        let key = TemplateKey::generate("k1").unwrap();
        let sealed = seal(&key, &embedding(), b"user:1");
        let other_bytes = TemplateKey::generate("k1").unwrap();
        assert_eq!(open(&[other_bytes], &sealed, b"user:1"), Err(FaceError::TemplateDecrypt));
        let other_id = TemplateKey::generate("k2").unwrap();
        assert_eq!(open(&[other_id], &sealed, b"user:1"), Err(FaceError::UnknownKey { key_id: "k1".into() }));
        assert_eq!(open(std::slice::from_ref(&key), &sealed, b"user:2"), Err(FaceError::TemplateDecrypt));
        let mut tampered = sealed.clone();
        *tampered.bytes.last_mut().unwrap() ^= 1;
        assert_eq!(open(std::slice::from_ref(&key), &tampered, b"user:1"), Err(FaceError::TemplateDecrypt));
        tampered.bytes.truncate(5);
        assert!(matches!(open(&[key], &tampered, b"user:1"), Err(FaceError::TemplateMalformed(_))));
    }

    #[test]
    fn blob_round_trips() {
        let key = TemplateKey::generate("k9").unwrap();
        let sealed = seal_bytes(&key, b"gallery bytes", b"gallery");
        assert_eq!(SealedTemplate::from_blob(&sealed.to_blob()).unwrap(), sealed);
        assert!(SealedTemplate::from_blob(&[]).is_err());
        assert!(SealedTemplate::from_blob(&[9, b'a']).is_err());
    }

    #[test]
    fn key_text_round_trips_and_debug_redacts() {
        let key = TemplateKey::generate("site-a").unwrap();
        assert_eq!(TemplateKey::parse(&key.to_text()).unwrap(), key);
        assert!(!format!("{key:?}").contains(&key.to_text()[8..]));
        assert!(TemplateKey::parse("nohex").is_err());
        assert!(TemplateKey::parse("id:zz").is_err());
        assert!(TemplateKey::new("bad id", [0; 32]).is_err());
    }
}
