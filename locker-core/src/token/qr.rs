//! QR tokens: the compact signed token an app shows and a kiosk scans (seed 000's dynamic QR).
//!
//! Not a JWT: a fixed binary layout keeps the code small (QR version <= 8 at error
//! correction M even with a rental id) so it scans fast.
//!
//! ```text
//! byte  0      version (high nibble, = 1) | action (low nibble: 1 check_in, 2 check_out, 3 update)
//! byte  1      key id (index into the verifier's key table)
//! 16 bytes     user id (UUID)
//! 16 bytes     rental id (UUID), present only in the long form
//! 12 bytes     token id (96 random bits; the store's single-use key)
//!  4 bytes     expiry, unix seconds, big-endian
//! tag          Ed25519 signature (64 bytes) or HMAC-SHA256 truncated to 128 bits (16 bytes)
//!              over every byte before it
//! ```
//! The text form is base64url without padding (canonical: stray trailing bits are refused).
//! Version and action share a byte, and the rental id has no presence flag (the length says
//! it, once the key id has fixed the tag length): with the user id in every token, those two
//! bytes are what keeps a check-in with a rental inside 152 characters, the byte capacity of
//! QR version 8 at level M.
//!
//! Verification ([`QrKeyring::verify`]) is sans-IO: it checks the layout, the key id (unknown
//! or retired keys are refused), the tag, then the expiry with [`MAX_CLOCK_SKEW_SECS`] of
//! tolerance, and returns the claims or [`TokenError::Invalid`]/[`TokenError::QrExpired`].
//! Single use is the store's job: it inserts the token id under a UNIQUE constraint and
//! answers [`TokenError::QrUsed`] the second time. Parsing never panics on any input.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use hmac::{KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};

use super::{TokenError, ct_eq, random_bytes};
use crate::domain::{Id, Timestamp, string_enum};

/// Layout version written in the high nibble of byte 0.
pub const QR_TOKEN_VERSION: u8 = 1;
/// Default lifetime of a QR token (seed 000: `expires_in_seconds: 300`).
pub const DEFAULT_QR_LIFETIME_SECS: u32 = 300;
/// Clock skew tolerated between issuer and kiosk.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5;
/// Longest text a verifier looks at; anything longer is refused before decoding.
pub const MAX_TOKEN_TEXT_LEN: usize = 160;

const ED25519_TAG_LEN: usize = 64;
const HMAC_TAG_LEN: usize = 16;
const TOKEN_ID_LEN: usize = 12;
const SHORT_BODY_LEN: usize = 2 + 16 + TOKEN_ID_LEN + 4;
const LONG_BODY_LEN: usize = SHORT_BODY_LEN + 16;
const MAX_TOKEN_LEN: usize = LONG_BODY_LEN + ED25519_TAG_LEN;

string_enum! {
    /// What the QR token lets the holder do at the kiosk.
    QrAction, field = "action" {
        /// Start a rental (walk-up, or open a reserved one).
        CheckIn => "check_in",
        /// End a rental.
        CheckOut => "check_out",
        /// Reopen a rented locker without ending the rental.
        Update => "update",
    }
}

impl QrAction {
    fn to_nibble(self) -> u8 {
        match self {
            QrAction::CheckIn => 1,
            QrAction::CheckOut => 2,
            QrAction::Update => 3,
        }
    }

    fn from_nibble(n: u8) -> Option<Self> {
        match n {
            1 => Some(QrAction::CheckIn),
            2 => Some(QrAction::CheckOut),
            3 => Some(QrAction::Update),
            _ => None,
        }
    }
}

/// A key id: the index of a key in the verifier's fixed table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(pub u8);

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The 96-bit random id of one QR token: the single-use key in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QrTokenId(pub [u8; TOKEN_ID_LEN]);

impl QrTokenId {
    /// Lower-case hex, as stored and shown.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Display for QrTokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// What a verified QR token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QrClaims {
    /// The key that signed it.
    pub key_id: KeyId,
    /// What it allows.
    pub action: QrAction,
    /// Who it was issued to.
    pub user_id: Id,
    /// The rental it acts on (check-out, update, or check-in of a reservation).
    pub rental_id: Option<Id>,
    /// Its single-use id.
    pub token_id: QrTokenId,
    /// When it stops being accepted (plus [`MAX_CLOCK_SKEW_SECS`]).
    pub expires_at: Timestamp,
}

/// How a QR token is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QrAlgorithm {
    /// Ed25519 signature (the default; a kiosk needs only the public key).
    Ed25519,
    /// HMAC-SHA256 truncated to 128 bits (one server issues and verifies).
    HmacSha256,
}

impl QrAlgorithm {
    fn tag_len(self) -> usize {
        match self {
            QrAlgorithm::Ed25519 => ED25519_TAG_LEN,
            QrAlgorithm::HmacSha256 => HMAC_TAG_LEN,
        }
    }
}

/// Key material for QR tokens. Secrets are never printed by `Debug`.
#[derive(Clone)]
pub enum QrKey {
    /// An Ed25519 private key: signs and verifies.
    Ed25519Signing(Box<SigningKey>),
    /// An Ed25519 public key: verifies only (what a kiosk holds).
    Ed25519Public(VerifyingKey),
    /// An HMAC-SHA256 key, kept as the keyed state so each use skips the key schedule.
    Hmac(Box<hmac::Hmac<sha2::Sha256>>),
}

impl std::fmt::Debug for QrKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QrKey::Ed25519Signing(k) => {
                write!(f, "Ed25519Signing(public {:02x?}..)", &k.verifying_key().as_bytes()[..4])
            }
            QrKey::Ed25519Public(k) => write!(f, "Ed25519Public({:02x?}..)", &k.as_bytes()[..4]),
            QrKey::Hmac(_) => f.write_str("Hmac(..)"),
        }
    }
}

impl QrKey {
    /// An Ed25519 signing key from its 32-byte seed.
    pub fn ed25519_from_seed(seed: &[u8; 32]) -> Self {
        QrKey::Ed25519Signing(Box::new(SigningKey::from_bytes(seed)))
    }

    /// An Ed25519 verify-only key from its 32-byte public key.
    pub fn ed25519_public(bytes: &[u8; 32]) -> Result<Self, TokenError> {
        VerifyingKey::from_bytes(bytes).map(QrKey::Ed25519Public).map_err(|_| TokenError::Invalid)
    }

    /// An HMAC key from 32 secret bytes.
    pub fn hmac(secret: &[u8; 32]) -> Self {
        let mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        QrKey::Hmac(Box::new(mac))
    }

    /// A fresh Ed25519 signing key.
    pub fn generate_ed25519() -> Result<Self, TokenError> {
        Ok(Self::ed25519_from_seed(&random_bytes()?))
    }

    /// A fresh HMAC key.
    pub fn generate_hmac() -> Result<Self, TokenError> {
        Ok(Self::hmac(&random_bytes()?))
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> QrAlgorithm {
        match self {
            QrKey::Ed25519Signing(_) | QrKey::Ed25519Public(_) => QrAlgorithm::Ed25519,
            QrKey::Hmac(_) => QrAlgorithm::HmacSha256,
        }
    }

    /// Whether this key can issue tokens (a public key cannot).
    pub fn can_sign(&self) -> bool {
        !matches!(self, QrKey::Ed25519Public(_))
    }

    /// The verify-only form of this key, for kiosks (HMAC keys stay symmetric).
    pub fn to_verifier(&self) -> QrKey {
        match self {
            QrKey::Ed25519Signing(k) => QrKey::Ed25519Public(k.verifying_key()),
            other => other.clone(),
        }
    }

    fn append_tag(&self, body: &mut Vec<u8>) -> Result<(), TokenError> {
        match self {
            QrKey::Ed25519Signing(k) => {
                let sig = k.sign(body);
                body.extend_from_slice(&sig.to_bytes());
            }
            QrKey::Hmac(mac) => {
                let mut mac = (**mac).clone();
                mac.update(body);
                let tag = mac.finalize().into_bytes();
                body.extend_from_slice(&tag[..HMAC_TAG_LEN]);
            }
            QrKey::Ed25519Public(_) => return Err(TokenError::Invalid),
        }
        Ok(())
    }

    fn check_tag(&self, body: &[u8], tag: &[u8]) -> bool {
        match self {
            QrKey::Ed25519Signing(k) => check_ed25519(&k.verifying_key(), body, tag),
            QrKey::Ed25519Public(k) => check_ed25519(k, body, tag),
            QrKey::Hmac(mac) => {
                let mut mac = (**mac).clone();
                mac.update(body);
                let full = mac.finalize().into_bytes();
                ct_eq(&full[..HMAC_TAG_LEN], tag)
            }
        }
    }
}

fn check_ed25519(key: &VerifyingKey, body: &[u8], tag: &[u8]) -> bool {
    let Ok(bytes) = <[u8; ED25519_TAG_LEN]>::try_from(tag) else {
        return false;
    };
    let sig = ed25519_dalek::Signature::from_bytes(&bytes);
    // `verify_strict` also refuses malleable and small-order signatures.
    key.verify_strict(body, &sig).is_ok()
}

#[derive(Debug, Clone)]
struct Slot {
    key: QrKey,
    retired: bool,
}

/// The table of QR keys by key id: one active key issues, every non-retired key verifies.
///
/// Rotation: [`insert`](Self::insert) a new key and [`set_active`](Self::set_active) it; tokens
/// signed by the old key keep verifying until [`retire`](Self::retire) is called on it
/// (after at least one token lifetime), from then on they are refused as [`TokenError::Invalid`].
#[derive(Debug, Clone)]
pub struct QrKeyring {
    slots: Vec<Option<Slot>>,
    active: Option<KeyId>,
    lifetime_secs: u32,
}

impl Default for QrKeyring {
    fn default() -> Self {
        Self { slots: vec![None; 256], active: None, lifetime_secs: DEFAULT_QR_LIFETIME_SECS }
    }
}

impl QrKeyring {
    /// An empty key ring with the default lifetime.
    pub fn new() -> Self {
        Self::default()
    }

    /// A ring holding one key, active if it can sign.
    pub fn with_key(id: KeyId, key: QrKey) -> Self {
        let mut ring = Self::new();
        let can_sign = key.can_sign();
        ring.insert(id, key);
        if can_sign {
            ring.active = Some(id);
        }
        ring
    }

    /// Sets the lifetime of newly issued tokens (seconds).
    pub fn set_lifetime_secs(&mut self, secs: u32) {
        self.lifetime_secs = secs;
    }

    /// The lifetime of newly issued tokens (seconds).
    pub fn lifetime_secs(&self) -> u32 {
        self.lifetime_secs
    }

    /// Adds (or replaces) the key under `id`; it verifies from now on.
    pub fn insert(&mut self, id: KeyId, key: QrKey) {
        self.slots[usize::from(id.0)] = Some(Slot { key, retired: false });
    }

    /// Adds (or replaces) the key under `id`, and makes it the issuing key when it can sign
    /// and the ring has none yet (how the bindings' `add_*` calls build a ring).
    pub fn add(&mut self, id: KeyId, key: QrKey) -> Result<(), TokenError> {
        let can_sign = key.can_sign();
        self.insert(id, key);
        if can_sign && self.active.is_none() {
            self.set_active(id)?;
        }
        Ok(())
    }

    /// Makes `id` the key that issues new tokens. It must exist, sign, and not be retired.
    pub fn set_active(&mut self, id: KeyId) -> Result<(), TokenError> {
        match self.slot(id) {
            Some(slot) if slot.key.can_sign() => {
                self.active = Some(id);
                Ok(())
            }
            _ => Err(TokenError::Invalid),
        }
    }

    /// The key that issues new tokens.
    pub fn active(&self) -> Option<KeyId> {
        self.active
    }

    /// Retires `id`: tokens it signed are refused from now on. Retiring the active key
    /// leaves the ring unable to issue until another key is made active.
    pub fn retire(&mut self, id: KeyId) {
        if let Some(slot) = self.slots[usize::from(id.0)].as_mut() {
            slot.retired = true;
        }
        if self.active == Some(id) {
            self.active = None;
        }
    }

    /// The lowest key id not in use, for the next rotation.
    pub fn next_free_id(&self) -> Option<KeyId> {
        (0..=u8::MAX).map(KeyId).find(|id| self.slots[usize::from(id.0)].is_none())
    }

    /// The same ring with every Ed25519 private key replaced by its public key (for kiosks).
    pub fn to_verifier(&self) -> Self {
        let slots = self
            .slots
            .iter()
            .map(|s| s.as_ref().map(|s| Slot { key: s.key.to_verifier(), retired: s.retired }))
            .collect();
        Self { slots, active: None, lifetime_secs: self.lifetime_secs }
    }

    fn slot(&self, id: KeyId) -> Option<&Slot> {
        self.slots[usize::from(id.0)].as_ref().filter(|s| !s.retired)
    }

    /// Issues a token with the active key, valid for the configured lifetime from `now`.
    pub fn issue(
        &self,
        action: QrAction,
        user_id: Id,
        rental_id: Option<Id>,
        now: Timestamp,
    ) -> Result<IssuedQr, TokenError> {
        let token_id = QrTokenId(random_bytes()?);
        let expires_at = now + chrono::Duration::seconds(i64::from(self.lifetime_secs));
        self.issue_with(action, user_id, rental_id, token_id, expires_at)
    }

    /// Issues a token with a given id and expiry (for tests and benches; prefer [`issue`](Self::issue)).
    pub fn issue_with(
        &self,
        action: QrAction,
        user_id: Id,
        rental_id: Option<Id>,
        token_id: QrTokenId,
        expires_at: Timestamp,
    ) -> Result<IssuedQr, TokenError> {
        let key_id = self.active.ok_or(TokenError::Invalid)?;
        let slot = self.slot(key_id).ok_or(TokenError::Invalid)?;
        let expiry = u32::try_from(expires_at.timestamp()).map_err(|_| TokenError::Invalid)?;
        let mut bytes = Vec::with_capacity(MAX_TOKEN_LEN);
        bytes.push(QR_TOKEN_VERSION << 4 | action.to_nibble());
        bytes.push(key_id.0);
        bytes.extend_from_slice(user_id.as_bytes());
        if let Some(rental) = rental_id {
            bytes.extend_from_slice(rental.as_bytes());
        }
        bytes.extend_from_slice(&token_id.0);
        bytes.extend_from_slice(&expiry.to_be_bytes());
        slot.key.append_tag(&mut bytes)?;
        let claims = QrClaims { key_id, action, user_id, rental_id, token_id, expires_at: timestamp(expiry) };
        Ok(IssuedQr { token: URL_SAFE_NO_PAD.encode(&bytes), claims })
    }

    /// Verifies `token` at `now`: layout, key, tag, then expiry (with [`MAX_CLOCK_SKEW_SECS`]).
    /// Does not check single use; the store does.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<QrClaims, TokenError> {
        let claims = self.verify_signature(token)?;
        if now.timestamp() > claims.expires_at.timestamp() + MAX_CLOCK_SKEW_SECS {
            return Err(TokenError::QrExpired);
        }
        Ok(claims)
    }

    /// Checks everything but the expiry and returns the claims.
    fn verify_signature(&self, token: &str) -> Result<QrClaims, TokenError> {
        if token.len() > MAX_TOKEN_TEXT_LEN {
            return Err(TokenError::Invalid);
        }
        let mut buf = [0u8; MAX_TOKEN_TEXT_LEN];
        let len = URL_SAFE_NO_PAD.decode_slice(token, &mut buf).map_err(|_| TokenError::Invalid)?;
        let bytes = &buf[..len];
        let (&header, rest) = bytes.split_first().ok_or(TokenError::Invalid)?;
        if header >> 4 != QR_TOKEN_VERSION {
            return Err(TokenError::Invalid);
        }
        let action = QrAction::from_nibble(header & 0x0f).ok_or(TokenError::Invalid)?;
        let key_id = KeyId(*rest.first().ok_or(TokenError::Invalid)?);
        let slot = self.slot(key_id).ok_or(TokenError::Invalid)?;
        let body_len = len.checked_sub(slot.key.algorithm().tag_len()).ok_or(TokenError::Invalid)?;
        if body_len != SHORT_BODY_LEN && body_len != LONG_BODY_LEN {
            return Err(TokenError::Invalid);
        }
        let (body, tag) = bytes.split_at(body_len);
        if !slot.key.check_tag(body, tag) {
            return Err(TokenError::Invalid);
        }
        let mut r = Reader(&body[2..]);
        let user_id = Id::from_bytes(r.array()?);
        let rental_id = if body_len == LONG_BODY_LEN { Some(Id::from_bytes(r.array()?)) } else { None };
        let token_id = QrTokenId(r.array()?);
        let expiry = u32::from_be_bytes(r.array()?);
        Ok(QrClaims { key_id, action, user_id, rental_id, token_id, expires_at: timestamp(expiry) })
    }
}

/// Reads fixed-size fields front to back; running short is `Invalid`, never a panic.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], TokenError> {
        let (head, tail) = self.0.split_first_chunk::<N>().ok_or(TokenError::Invalid)?;
        self.0 = tail;
        Ok(*head)
    }
}

fn timestamp(unix_secs: u32) -> Timestamp {
    chrono::DateTime::from_timestamp(i64::from(unix_secs), 0).unwrap_or_default()
}

/// A freshly issued token: the text to put in the QR code and its claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedQr {
    /// base64url text, what the QR code encodes.
    pub token: String,
    /// What it says.
    pub claims: QrClaims,
}

/// Rendering a token as a QR code (error correction M, the smallest version that fits).
pub mod render {
    use base64::Engine as _;
    use qrcode::{EcLevel, QrCode};

    use crate::error::Error;

    fn code(token: &str) -> Result<QrCode, Error> {
        QrCode::with_error_correction_level(token.as_bytes(), EcLevel::M)
            .map_err(|e| Error::validation("token", format!("cannot encode as a QR code: {e}")))
    }

    /// The QR version (1..=40) the token needs at level M.
    pub fn version(token: &str) -> Result<i16, Error> {
        match code(token)?.version() {
            qrcode::Version::Normal(v) => Ok(v),
            qrcode::Version::Micro(v) => Ok(v),
        }
    }

    /// Pixels per module in [`png`].
    pub const PNG_MODULE_PIXELS: usize = 8;
    /// Modules of white border around the code in [`png`] (the quiet zone QR requires).
    pub const PNG_QUIET_MODULES: usize = 4;

    /// PNG bytes: black and white at one bit per pixel, [`PNG_MODULE_PIXELS`] per module
    /// with a [`PNG_QUIET_MODULES`] quiet zone. One bit per pixel, unfiltered, is an eighth
    /// of the data an 8-bit image gives the compressor (issue 14: rendering was a fifth of
    /// a check-in/check-out cycle's CPU).
    pub fn png(token: &str) -> Result<Vec<u8>, Error> {
        let code = code(token)?;
        let modules = code.width();
        let side = (modules + 2 * PNG_QUIET_MODULES) * PNG_MODULE_PIXELS;
        let row_bytes = side.div_ceil(8);
        // Grayscale 1-bit: 1 is white. Draw one pixel row per module row, then repeat it.
        let mut pixels = vec![0xFF_u8; row_bytes * side];
        for (y, row) in code.to_colors().chunks(modules).enumerate() {
            let top = (y + PNG_QUIET_MODULES) * PNG_MODULE_PIXELS;
            let line = &mut pixels[top * row_bytes..(top + 1) * row_bytes];
            for (x, _) in row.iter().enumerate().filter(|(_, c)| **c == qrcode::Color::Dark) {
                let left = (x + PNG_QUIET_MODULES) * PNG_MODULE_PIXELS;
                for px in left..left + PNG_MODULE_PIXELS {
                    line[px / 8] &= !(0x80 >> (px % 8));
                }
            }
            for copy in 1..PNG_MODULE_PIXELS {
                pixels.copy_within(top * row_bytes..(top + 1) * row_bytes, (top + copy) * row_bytes);
            }
        }
        let failed = |e: ::png::EncodingError| Error::validation("token", format!("cannot encode PNG: {e}"));
        let mut out = Vec::new();
        let side = u32::try_from(side).map_err(|_| Error::validation("token", "too long for a QR code"))?;
        let mut encoder = ::png::Encoder::new(&mut out, side, side);
        encoder.set_color(::png::ColorType::Grayscale);
        encoder.set_depth(::png::BitDepth::One);
        encoder.set_compression(::png::Compression::Fast);
        encoder.set_filter(::png::Filter::NoFilter);
        let mut writer = encoder.write_header().map_err(failed)?;
        writer.write_image_data(&pixels).map_err(failed)?;
        writer.finish().map_err(failed)?;
        Ok(out)
    }

    /// An SVG document.
    pub fn svg(token: &str) -> Result<String, Error> {
        Ok(code(token)?.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build())
    }

    /// The `data:image/png;base64,...` string of seed 000's `qr_code_base64`.
    pub fn data_url(token: &str) -> Result<String, Error> {
        let png = png(token)?;
        Ok(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)))
    }
}

#[cfg(test)]
#[path = "qr_tests.rs"]
mod tests;
