//! Codes that need the database (`locker_core::kiosk::Tokens`): single-use QR redemption, OTPs and pickup codes, on a
//! SQLite file or a PostgreSQL URL (`locker_core::store::tokens::open_with_tokens`).

use std::ffi::c_char;

use locker_core::kiosk::Tokens;

use crate::error::locker_result;
use crate::ffi::{
    Castable, check_out, ffi_panic_boundary, free_handle, to_handle, try_array, try_ref, try_str, write_out,
};
use crate::memory::to_c_string;
use crate::qr::{locker_qr_claims, locker_qr_keyring, parse_id, ring_of, timestamp};

/// The token store: QR single use, OTPs and pickup codes in one database (opaque).
/// Safe to share between threads.
pub struct locker_tokens {
    _private: [u8; 0],
}

impl Castable for locker_tokens {
    type Inner = Tokens;
}

/// Opens the token store at `url` (`sqlite:FILE` or `postgres://...`; migrations are applied)
/// with the 32-byte secret `pepper` that OTP and pickup codes are hashed with. Release it with
/// `locker_tokens_free`.
///
/// # Safety
/// `url` is NUL-terminated; `pepper` points at 32 bytes; `out_tokens` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_tokens_open(
    url: *const c_char,
    pepper: *const u8,
    out_tokens: *mut *mut locker_tokens,
) -> locker_result {
    ffi_panic_boundary(|| {
        let url = unsafe { try_str(url, "url") }?;
        let pepper = unsafe { try_array::<32>(pepper, "pepper") }?;
        check_out(out_tokens, "out_tokens")?;
        let tokens = Tokens::open(url, pepper)?;
        unsafe { write_out(out_tokens, to_handle::<locker_tokens>(tokens)) };
        Ok(())
    })
}

/// Closes the token store and sets `*tokens` to NULL. NULL is a no-op.
///
/// # Safety
/// `tokens` is NULL or points at NULL or at a store from `locker_tokens_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_tokens_free(tokens: *mut *mut locker_tokens) {
    let _ = ffi_panic_boundary(|| {
        unsafe { free_handle(tokens) };
        Ok(())
    });
}

/// Verifies `token` with `ring` at `now_unix` and marks it used in the store: a second
/// redemption is `LOCKER_RESULT_QR_USED`. Other failures: `LOCKER_RESULT_TOKEN_INVALID`,
/// `LOCKER_RESULT_QR_EXPIRED`, `LOCKER_RESULT_STORAGE`.
///
/// # Safety
/// Handles are live; `token` is NUL-terminated; `out_claims` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_tokens_qr_redeem(
    tokens: *const locker_tokens,
    ring: *const locker_qr_keyring,
    token: *const c_char,
    now_unix: i64,
    out_claims: *mut locker_qr_claims,
) -> locker_result {
    ffi_panic_boundary(|| {
        let tokens = unsafe { try_ref(tokens, "tokens") }?;
        let ring = unsafe { try_ref(ring, "ring") }?;
        let token = unsafe { try_str(token, "token") }?;
        let now = timestamp(now_unix, "now_unix")?;
        check_out(out_claims, "out_claims")?;
        let claims = locker_qr_claims::from_core(&tokens.qr_redeem(&ring_of(ring), token, now)?)?;
        unsafe { write_out(out_claims, claims) };
        Ok(())
    })
}

/// Creates a 6-digit OTP for `address` (e-mail or phone) at `now_unix`, voiding older ones,
/// within the send limits (`LOCKER_RESULT_OTP_TOO_MANY_REQUESTS`, `LOCKER_RESULT_RATE_LIMITED`).
/// The code is not sent: `*out_code` is for the caller to deliver, and must be released
/// using `locker_string_free`. Only its hash is stored.
///
/// # Safety
/// `tokens` is live; `address` is NUL-terminated; `out_code` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_tokens_otp_request(
    tokens: *const locker_tokens,
    address: *const c_char,
    now_unix: i64,
    out_code: *mut *mut c_char,
) -> locker_result {
    ffi_panic_boundary(|| {
        let tokens = unsafe { try_ref(tokens, "tokens") }?;
        let address = unsafe { try_str(address, "address") }?;
        let now = timestamp(now_unix, "now_unix")?;
        check_out(out_code, "out_code")?;
        let code = to_c_string(tokens.otp_request(address, now)?)?;
        unsafe { write_out(out_code, code) };
        Ok(())
    })
}

/// Checks `code` for `address` at `now_unix`; on success the code is used up. Failures:
/// `LOCKER_RESULT_OTP_INVALID`, `_OTP_EXPIRED`, `_OTP_USED`, `_OTP_TOO_MANY_ATTEMPTS`.
///
/// # Safety
/// `tokens` is live; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_tokens_otp_verify(
    tokens: *const locker_tokens,
    address: *const c_char,
    code: *const c_char,
    now_unix: i64,
) -> locker_result {
    ffi_panic_boundary(|| {
        let tokens = unsafe { try_ref(tokens, "tokens") }?;
        let address = unsafe { try_str(address, "address") }?;
        let code = unsafe { try_str(code, "code") }?;
        Ok(tokens.otp_verify(address, code, timestamp(now_unix, "now_unix")?)?)
    })
}

/// Issues a 6-digit pickup code for `rental_id` (UUID text) at `cabinet`, live until
/// `expires_unix`. `*out_code` must be released using `locker_string_free`.
///
/// # Safety
/// `tokens` is live; strings are NUL-terminated; `out_code` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_tokens_pickup_issue(
    tokens: *const locker_tokens,
    cabinet: *const c_char,
    rental_id: *const c_char,
    now_unix: i64,
    expires_unix: i64,
    out_code: *mut *mut c_char,
) -> locker_result {
    ffi_panic_boundary(|| {
        let tokens = unsafe { try_ref(tokens, "tokens") }?;
        let cabinet = unsafe { try_str(cabinet, "cabinet") }?;
        let rental_id = parse_id(unsafe { try_str(rental_id, "rental_id") }?, "rental_id")?;
        let (now, expires) = (timestamp(now_unix, "now_unix")?, timestamp(expires_unix, "expires_unix")?);
        check_out(out_code, "out_code")?;
        let code = to_c_string(tokens.pickup_issue(cabinet, rental_id, now, expires)?)?;
        unsafe { write_out(out_code, code) };
        Ok(())
    })
}

/// Redeems a pickup code at `cabinet` (once). On success `*out_rental_id` is the rental's
/// UUID text and must be released using `locker_string_free`. Wrong, used or expired codes
/// are all `LOCKER_RESULT_PICKUP_CODE_INVALID`; too many tries at a cabinet is
/// `LOCKER_RESULT_RATE_LIMITED`.
///
/// # Safety
/// `tokens` is live; strings are NUL-terminated; `out_rental_id` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_tokens_pickup_redeem(
    tokens: *const locker_tokens,
    cabinet: *const c_char,
    code: *const c_char,
    now_unix: i64,
    out_rental_id: *mut *mut c_char,
) -> locker_result {
    ffi_panic_boundary(|| {
        let tokens = unsafe { try_ref(tokens, "tokens") }?;
        let cabinet = unsafe { try_str(cabinet, "cabinet") }?;
        let code = unsafe { try_str(code, "code") }?;
        let now = timestamp(now_unix, "now_unix")?;
        check_out(out_rental_id, "out_rental_id")?;
        let rental = to_c_string(tokens.pickup_redeem(cabinet, code, now)?.to_string())?;
        unsafe { write_out(out_rental_id, rental) };
        Ok(())
    })
}
