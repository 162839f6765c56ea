//! The secrets a kiosk or server needs, kept in one key folder and created on first start:
//! the QR signing key, the JWT signing key, the face-template key and the peppers of OTP
//! and pickup codes. Secret files are mode 0600 and never logged. Signing keys use the
//! `locker keys` format (`*.key`); the other secrets are `*.secret` files.

use std::path::Path;

use crate::token::Pepper;
use crate::token::jwt::JwtKeys;
use crate::token::keyfile::{self, KeyAlg, KeyFile, KeyPurpose};
use crate::token::qr::QrKeyring;
use crate::{Error, Result};

/// File holding the face-template key (`ID:HEX64`).
pub const TEMPLATE_KEY_FILE: &str = "face-template.secret";
/// File holding the OTP pepper (64 hex digits).
pub const OTP_PEPPER_FILE: &str = "otp-pepper.secret";
/// File holding the pickup-code pepper (64 hex digits).
pub const PICKUP_PEPPER_FILE: &str = "pickup-pepper.secret";

/// Every key of one installation.
pub struct ServiceKeys {
    /// QR key ring (the newest key issues).
    pub qr: QrKeyring,
    /// JWT access-token key.
    pub jwt: JwtKeys,
    /// Face-template keys (the first seals).
    #[cfg(feature = "face")]
    pub templates: Vec<crate::face::TemplateKey>,
    /// OTP pepper.
    pub otp_pepper: Pepper,
    /// Pickup-code pepper.
    pub pickup_pepper: Pepper,
}

impl std::fmt::Debug for ServiceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceKeys(<redacted>)")
    }
}

impl ServiceKeys {
    /// Fresh keys held in memory only, for tests and throw-away demos: every token and
    /// sealed template they make dies with them.
    pub fn generate() -> Result<ServiceKeys> {
        use crate::token::qr::{KeyId, QrKey, QrKeyring};
        Ok(ServiceKeys {
            qr: QrKeyring::with_key(KeyId(1), QrKey::generate_ed25519()?),
            jwt: JwtKeys::generate_ed25519()?,
            #[cfg(feature = "face")]
            templates: vec![crate::face::TemplateKey::generate("k1")?],
            otp_pepper: Pepper::generate()?,
            pickup_pepper: Pepper::generate()?,
        })
    }

    /// Loads the keys of `dir`, creating the folder and any missing key first. Returns the
    /// keys and the names of the files it created.
    pub fn load_or_create(dir: &Path) -> Result<(ServiceKeys, Vec<String>)> {
        let mut created = Vec::new();
        if keyfile::read_dir(dir, KeyPurpose::Qr, false).map_or(true, |k| k.is_empty()) {
            let path = keyfile::write(dir, &KeyFile::generate(KeyPurpose::Qr, KeyAlg::Ed25519, 1)?)?;
            created.push(path.display().to_string());
        }
        if keyfile::read_dir(dir, KeyPurpose::Jwt, false).map_or(true, |k| k.is_empty()) {
            let path = keyfile::write(dir, &KeyFile::generate(KeyPurpose::Jwt, KeyAlg::Ed25519, 1)?)?;
            created.push(path.display().to_string());
        }
        let qr = keyfile::load_qr_keyring(dir, false)?;
        let jwt_files = keyfile::read_dir(dir, KeyPurpose::Jwt, false)?;
        let (_, newest) = jwt_files.last().ok_or_else(|| Error::config(format!("no JWT key in {}", dir.display())))?;
        let jwt = newest.to_jwt_keys()?;
        let otp_pepper = Pepper::new(secret_file(dir, OTP_PEPPER_FILE, &mut created, |b| hex::encode(b))?);
        let pickup_pepper = Pepper::new(secret_file(dir, PICKUP_PEPPER_FILE, &mut created, |b| hex::encode(b))?);
        #[cfg(feature = "face")]
        let templates = {
            let path = dir.join(TEMPLATE_KEY_FILE);
            if !path.exists() {
                let key = crate::face::TemplateKey::generate("k1")?;
                write_secret(&path, &key.to_text())?;
                created.push(path.display().to_string());
            }
            let text = read(&path)?;
            vec![crate::face::TemplateKey::parse(&text)?]
        };
        let keys = ServiceKeys {
            qr,
            jwt,
            #[cfg(feature = "face")]
            templates,
            otp_pepper,
            pickup_pepper,
        };
        Ok((keys, created))
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::config_from(format!("cannot read {}", path.display()), e))
}

/// 32 secret bytes kept as hex in `dir/name`, generated when missing.
fn secret_file(dir: &Path, name: &str, created: &mut Vec<String>, encode: fn(&[u8]) -> String) -> Result<[u8; 32]> {
    let path = dir.join(name);
    if !path.exists() {
        let bytes = crate::token::random_bytes::<32>()?;
        write_secret(&path, &encode(&bytes))?;
        created.push(path.display().to_string());
    }
    let text = read(&path)?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut out)
        .map_err(|_| Error::config(format!("{} must hold 64 hex digits", path.display())))?;
    Ok(out)
}

fn write_secret(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        options.open(path).map_err(|e| Error::config_from(format!("cannot create {}", path.display()), e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::config_from(format!("cannot write {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_then_reloaded_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let keys_dir = dir.path().join("keys");
        let (first, created) = ServiceKeys::load_or_create(&keys_dir).unwrap();
        assert!(created.len() >= 4, "{created:?}");
        let (second, created_again) = ServiceKeys::load_or_create(&keys_dir).unwrap();
        assert!(created_again.is_empty());
        assert_eq!(first.otp_pepper.expose(), second.otp_pepper.expose());
        let now = chrono::Utc::now();
        let id = crate::domain::new_id();
        let token = first.qr.issue(crate::token::qr::QrAction::CheckIn, id, None, now).unwrap().token;
        assert_eq!(second.qr.verify(&token, now).unwrap().user_id, id);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(keys_dir.join(OTP_PEPPER_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "secret readable by others: {mode:o}");
        }
        std::fs::write(keys_dir.join(OTP_PEPPER_FILE), "zz").unwrap();
        assert!(matches!(ServiceKeys::load_or_create(&keys_dir), Err(Error::Config { .. })));
    }
}
