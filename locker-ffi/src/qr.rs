//! QR tokens: a key ring that issues and verifies, the verified claims as a plain struct,
//! and rendering as PNG, SVG or a `data:` URL.

use std::ffi::c_char;
use std::sync::RwLock;

use locker_core::domain::{Id, Timestamp};
use locker_core::token::qr::{KeyId, QrAction, QrClaims, QrKey, QrKeyring, render};

use crate::error::{Fail, locker_result};
use crate::ffi::{
    Castable, check_out, copy_cstr, ffi_panic_boundary, free_handle, to_handle, try_array, try_opt_str, try_ref,
    try_str, write_out,
};
use crate::memory::{to_c_buffer, to_c_string};

/// Bytes of a UUID in text form plus the NUL (`"0190c3c1-...-..."`).
pub const LOCKER_UUID_LEN: usize = 37;
/// Bytes of a QR token id in hex plus the NUL.
pub const LOCKER_TOKEN_ID_LEN: usize = 25;

/// What a QR token lets its holder do. Passed to functions as a `uint32_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum locker_qr_action {
    /// Start a rental.
    CheckIn = 1,
    /// End a rental.
    CheckOut = 2,
    /// Reopen a rented locker.
    Update = 3,
}

impl locker_qr_action {
    fn from_core(a: QrAction) -> Self {
        match a {
            QrAction::CheckIn => Self::CheckIn,
            QrAction::CheckOut => Self::CheckOut,
            QrAction::Update => Self::Update,
        }
    }
}

/// Reads an action number from C.
pub(crate) fn action_from_u32(action: u32) -> Result<QrAction, Fail> {
    match action {
        1 => Ok(QrAction::CheckIn),
        2 => Ok(QrAction::CheckOut),
        3 => Ok(QrAction::Update),
        other => Err(Fail::new(locker_result::Validation, format!("invalid action: {other} (expected 1, 2 or 3)"))),
    }
}

/// What a verified QR token says. Strings are NUL-terminated inside the struct; nothing to free.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct locker_qr_claims {
    /// The key that signed it.
    pub key_id: u8,
    /// What it allows.
    pub action: locker_qr_action,
    /// Who it was issued to (UUID text).
    pub user_id: [c_char; LOCKER_UUID_LEN],
    /// Whether `rental_id` is set.
    pub has_rental: bool,
    /// The rental it acts on (UUID text), `""` when `has_rental` is false.
    pub rental_id: [c_char; LOCKER_UUID_LEN],
    /// The single-use token id (24 hex digits).
    pub token_id: [c_char; LOCKER_TOKEN_ID_LEN],
    /// When it stops being accepted, unix seconds (plus 5 s of tolerated clock skew).
    pub expires_at: i64,
}

impl locker_qr_claims {
    pub(crate) fn from_core(c: &QrClaims) -> Result<Self, Fail> {
        Ok(Self {
            key_id: c.key_id.0,
            action: locker_qr_action::from_core(c.action),
            user_id: copy_cstr(&c.user_id.to_string(), "user_id")?,
            has_rental: c.rental_id.is_some(),
            rental_id: copy_cstr(&c.rental_id.map(|r| r.to_string()).unwrap_or_default(), "rental_id")?,
            token_id: copy_cstr(&c.token_id.to_hex(), "token_id")?,
            expires_at: c.expires_at.timestamp(),
        })
    }
}

/// A table of QR keys by key id (opaque). One key issues; every non-retired key verifies.
/// Safe to share between threads.
pub struct locker_qr_keyring {
    _private: [u8; 0],
}

impl Castable for locker_qr_keyring {
    type Inner = RwLock<QrKeyring>;
}

pub(crate) fn ring_of(ring: &RwLock<QrKeyring>) -> std::sync::RwLockReadGuard<'_, QrKeyring> {
    ring.read().unwrap_or_else(|e| e.into_inner())
}

fn ring_mut(ring: &RwLock<QrKeyring>) -> std::sync::RwLockWriteGuard<'_, QrKeyring> {
    ring.write().unwrap_or_else(|e| e.into_inner())
}

/// Unix seconds to a timestamp.
pub(crate) fn timestamp(unix: i64, what: &str) -> Result<Timestamp, Fail> {
    chrono::DateTime::from_timestamp(unix, 0)
        .ok_or_else(|| Fail::new(locker_result::Validation, format!("{what} is out of range: {unix}")))
}

/// A UUID argument.
pub(crate) fn parse_id(text: &str, what: &str) -> Result<Id, Fail> {
    text.parse().map_err(|_| Fail::new(locker_result::Validation, format!("invalid {what}: not a UUID")))
}

/// Creates an empty key ring (lifetime of issued tokens: 300 s).
/// Release it with `locker_qr_keyring_free`.
#[unsafe(no_mangle)]
pub extern "C" fn locker_qr_keyring_new(out_ring: *mut *mut locker_qr_keyring) -> locker_result {
    ffi_panic_boundary(|| {
        check_out(out_ring, "out_ring")?;
        unsafe { write_out(out_ring, to_handle::<locker_qr_keyring>(RwLock::new(QrKeyring::new()))) };
        Ok(())
    })
}

/// Releases a key ring and sets `*ring` to NULL. NULL is a no-op.
///
/// # Safety
/// `ring` is NULL or points at NULL or at a ring from `locker_qr_keyring_new` or
/// `locker_qr_keyring_to_verifier`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_free(ring: *mut *mut locker_qr_keyring) {
    let _ = ffi_panic_boundary(|| {
        unsafe { free_handle(ring) };
        Ok(())
    });
}

fn add_key(ring: *const locker_qr_keyring, key_id: u8, key: impl FnOnce() -> Result<QrKey, Fail>) -> locker_result {
    ffi_panic_boundary(|| {
        let ring = unsafe { try_ref(ring, "ring") }?;
        let key = key()?;
        Ok(ring_mut(ring).add(KeyId(key_id), key)?)
    })
}

/// Adds (or replaces) an Ed25519 signing key under `key_id`, from its 32-byte secret seed.
/// It becomes the issuing key if the ring has none yet.
///
/// # Safety
/// `ring` is a live key ring; `seed` points at 32 readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_add_ed25519(
    ring: *const locker_qr_keyring,
    key_id: u8,
    seed: *const u8,
) -> locker_result {
    add_key(ring, key_id, || Ok(QrKey::ed25519_from_seed(&unsafe { try_array::<32>(seed, "seed") }?)))
}

/// Adds (or replaces) an Ed25519 public key under `key_id`: it verifies, never issues (kiosks).
/// A byte string that is not a valid public key is `LOCKER_RESULT_TOKEN_INVALID`.
///
/// # Safety
/// `ring` is a live key ring; `public_key` points at 32 readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_add_ed25519_public(
    ring: *const locker_qr_keyring,
    key_id: u8,
    public_key: *const u8,
) -> locker_result {
    add_key(ring, key_id, || Ok(QrKey::ed25519_public(&unsafe { try_array::<32>(public_key, "public_key") }?)?))
}

/// Adds (or replaces) an HMAC-SHA256 key under `key_id` from 32 secret bytes (one server
/// issues and verifies). It becomes the issuing key if the ring has none yet.
///
/// # Safety
/// `ring` is a live key ring; `secret` points at 32 readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_add_hmac(
    ring: *const locker_qr_keyring,
    key_id: u8,
    secret: *const u8,
) -> locker_result {
    add_key(ring, key_id, || Ok(QrKey::hmac(&unsafe { try_array::<32>(secret, "secret") }?)))
}

/// Makes `key_id` the issuing key. It must exist, be able to sign, and not be retired
/// (else `LOCKER_RESULT_TOKEN_INVALID`).
///
/// # Safety
/// `ring` is a live key ring.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_set_active(ring: *const locker_qr_keyring, key_id: u8) -> locker_result {
    ffi_panic_boundary(|| {
        let ring = unsafe { try_ref(ring, "ring") }?;
        ring_mut(ring).set_active(KeyId(key_id))?;
        Ok(())
    })
}

/// Retires `key_id`: tokens it signed are refused from now on.
///
/// # Safety
/// `ring` is a live key ring.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_retire(ring: *const locker_qr_keyring, key_id: u8) -> locker_result {
    ffi_panic_boundary(|| {
        let ring = unsafe { try_ref(ring, "ring") }?;
        ring_mut(ring).retire(KeyId(key_id));
        Ok(())
    })
}

/// Sets the lifetime of newly issued tokens, in seconds (at least 1).
///
/// # Safety
/// `ring` is a live key ring.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_set_lifetime(ring: *const locker_qr_keyring, secs: u32) -> locker_result {
    ffi_panic_boundary(|| {
        let ring = unsafe { try_ref(ring, "ring") }?;
        if secs == 0 {
            return Err(Fail::new(locker_result::Validation, "lifetime must be at least 1 second"));
        }
        ring_mut(ring).set_lifetime_secs(secs);
        Ok(())
    })
}

/// Writes a verify-only copy of `ring` to `*out_ring`: Ed25519 private keys replaced by
/// their public keys (what a kiosk should hold). Release it with `locker_qr_keyring_free`.
///
/// # Safety
/// `ring` is a live key ring; `out_ring` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_to_verifier(
    ring: *const locker_qr_keyring,
    out_ring: *mut *mut locker_qr_keyring,
) -> locker_result {
    ffi_panic_boundary(|| {
        let ring = unsafe { try_ref(ring, "ring") }?;
        check_out(out_ring, "out_ring")?;
        let verifier = ring_of(ring).to_verifier();
        unsafe { write_out(out_ring, to_handle::<locker_qr_keyring>(RwLock::new(verifier))) };
        Ok(())
    })
}

/// Issues a token for `action` (a `locker_qr_action`) to `user_id` (UUID text), optionally
/// for `rental_id` (UUID text or NULL), valid from `now_unix` for the ring's lifetime.
/// On success `*out_token` is the base64url text; it must be released using `locker_string_free`.
///
/// # Safety
/// `ring` is a live key ring; strings are NUL-terminated; `out_token` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_issue(
    ring: *const locker_qr_keyring,
    action: u32,
    user_id: *const c_char,
    rental_id: *const c_char,
    now_unix: i64,
    out_token: *mut *mut c_char,
) -> locker_result {
    ffi_panic_boundary(|| {
        let ring = unsafe { try_ref(ring, "ring") }?;
        let action = action_from_u32(action)?;
        let user_id = parse_id(unsafe { try_str(user_id, "user_id") }?, "user_id")?;
        let rental_id =
            unsafe { try_opt_str(rental_id, "rental_id") }?.map(|r| parse_id(r, "rental_id")).transpose()?;
        let now = timestamp(now_unix, "now_unix")?;
        check_out(out_token, "out_token")?;
        let issued = ring_of(ring).issue(action, user_id, rental_id, now)?;
        let text = to_c_string(issued.token)?;
        unsafe { write_out(out_token, text) };
        Ok(())
    })
}

/// Verifies `token` at `now_unix`: layout, key, signature, expiry (5 s skew tolerated).
/// Does not check single use (see `locker_tokens_qr_redeem`). Failures:
/// `LOCKER_RESULT_TOKEN_INVALID`, `LOCKER_RESULT_QR_EXPIRED`.
///
/// # Safety
/// `ring` is a live key ring; `token` is NUL-terminated; `out_claims` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_keyring_verify(
    ring: *const locker_qr_keyring,
    token: *const c_char,
    now_unix: i64,
    out_claims: *mut locker_qr_claims,
) -> locker_result {
    ffi_panic_boundary(|| {
        let ring = unsafe { try_ref(ring, "ring") }?;
        let token = unsafe { try_str(token, "token") }?;
        let now = timestamp(now_unix, "now_unix")?;
        check_out(out_claims, "out_claims")?;
        let claims = ring_of(ring).verify(token, now)?;
        let claims = locker_qr_claims::from_core(&claims)?;
        unsafe { write_out(out_claims, claims) };
        Ok(())
    })
}

/// Renders `token` as a PNG QR code (error correction M, 8 px per module). On success
/// `*out_png` holds `*out_len` bytes; they must be released using `locker_buffer_free`.
///
/// # Safety
/// `token` is NUL-terminated; `out_png` and `out_len` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_render_png(
    token: *const c_char,
    out_png: *mut *mut u8,
    out_len: *mut usize,
) -> locker_result {
    ffi_panic_boundary(|| {
        let token = unsafe { try_str(token, "token") }?;
        check_out(out_png, "out_png")?;
        check_out(out_len, "out_len")?;
        let (ptr, len) = to_c_buffer(render::png(token)?);
        unsafe {
            write_out(out_png, ptr);
            write_out(out_len, len);
        }
        Ok(())
    })
}

/// Renders `token` as an SVG document. On success `*out_svg` must be released using
/// `locker_string_free`.
///
/// # Safety
/// `token` is NUL-terminated; `out_svg` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_render_svg(token: *const c_char, out_svg: *mut *mut c_char) -> locker_result {
    ffi_panic_boundary(|| {
        let token = unsafe { try_str(token, "token") }?;
        check_out(out_svg, "out_svg")?;
        let svg = to_c_string(render::svg(token)?)?;
        unsafe { write_out(out_svg, svg) };
        Ok(())
    })
}

/// Renders `token` as `data:image/png;base64,...` (seed 000's `qr_code_base64`). On success
/// `*out_url` must be released using `locker_string_free`.
///
/// # Safety
/// `token` is NUL-terminated; `out_url` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_qr_render_data_url(token: *const c_char, out_url: *mut *mut c_char) -> locker_result {
    ffi_panic_boundary(|| {
        let token = unsafe { try_str(token, "token") }?;
        check_out(out_url, "out_url")?;
        let url = to_c_string(render::data_url(token)?)?;
        unsafe { write_out(out_url, url) };
        Ok(())
    })
}
