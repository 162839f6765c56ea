//! The boundary helpers every export goes through: the panic guard, handle casts, and
//! checked reads of C pointers, strings and slices.
//!
//! Handles are `Box<Inner>` turned into `*mut locker_x`, where `locker_x` is an opaque,
//! zero-sized Rust type that cbindgen emits as an incomplete C struct. [`Castable`] ties the
//! two together so every cast goes through one place (rustls-ffi `ffi.rs`).

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{Fail, locker_result, set_last_error};

/// Runs `body`; turns its error or a panic into a result code plus the thread's last error.
/// No panic crosses the C boundary.
pub(crate) fn ffi_panic_boundary(body: impl FnOnce() -> Result<(), Fail>) -> locker_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => locker_result::Ok,
        Ok(Err(fail)) => {
            set_last_error(&fail.message);
            fail.code
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("internal error (panic caught at the C boundary): {what}"));
            locker_result::Panic
        }
    }
}

/// Links an opaque C type to the Rust value its handle points at.
pub(crate) trait Castable {
    /// The Rust value behind the handle.
    type Inner;
}

/// Moves `value` to the heap and returns it as a handle.
pub(crate) fn to_handle<C: Castable>(value: C::Inner) -> *mut C {
    Box::into_raw(Box::new(value)).cast()
}

/// Borrows the value behind `handle`; NULL is an error naming `what`.
///
/// # Safety
/// `handle` is NULL or came from [`to_handle`] for the same `C` and was not freed.
pub(crate) unsafe fn try_ref<'a, C: Castable>(handle: *const C, what: &str) -> Result<&'a C::Inner, Fail> {
    // SAFETY: the caller promises the pointer is NULL or a live handle of this type.
    unsafe { handle.cast::<C::Inner>().as_ref() }.ok_or_else(|| Fail::null(what))
}

/// Frees the value behind `*handle` and sets `*handle` to NULL. NULL (either level) is a no-op.
///
/// # Safety
/// `handle` is NULL or points at NULL or at a live handle of this type.
pub(crate) unsafe fn free_handle<C: Castable>(handle: *mut *mut C) {
    // SAFETY: as promised by the caller.
    let Some(slot) = (unsafe { handle.as_mut() }) else { return };
    let raw = std::mem::replace(slot, std::ptr::null_mut());
    if !raw.is_null() {
        // SAFETY: `raw` came from `to_handle::<C>` (Box of `C::Inner`) and is freed once.
        drop(unsafe { Box::from_raw(raw.cast::<C::Inner>()) });
    }
}

/// Reads a NUL-terminated UTF-8 string argument; NULL or bad UTF-8 is an error naming `what`.
///
/// # Safety
/// `s` is NULL or points at a NUL-terminated string that outlives the call.
pub(crate) unsafe fn try_str<'a>(s: *const c_char, what: &str) -> Result<&'a str, Fail> {
    if s.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: non-NULL and NUL-terminated as promised by the caller.
    let bytes = unsafe { CStr::from_ptr(s) };
    bytes.to_str().map_err(|e| Fail::new(locker_result::InvalidUtf8, format!("{what} is not valid UTF-8: {e}")))
}

/// Like [`try_str`], but NULL means "absent".
///
/// # Safety
/// As [`try_str`].
pub(crate) unsafe fn try_opt_str<'a>(s: *const c_char, what: &str) -> Result<Option<&'a str>, Fail> {
    if s.is_null() { Ok(None) } else { unsafe { try_str(s, what) }.map(Some) }
}

/// Reads `len` bytes at `ptr`; NULL is accepted only with `len == 0`.
///
/// # Safety
/// `ptr` is NULL or points at `len` readable bytes that outlive the call.
pub(crate) unsafe fn try_slice<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T], Fail> {
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(Fail::null(what)) };
    }
    // SAFETY: non-NULL with `len` readable elements, as promised by the caller.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Reads a fixed-size array argument (a key, a seed); NULL is an error naming `what`.
///
/// # Safety
/// `ptr` is NULL or points at `N` readable bytes.
pub(crate) unsafe fn try_array<const N: usize>(ptr: *const u8, what: &str) -> Result<[u8; N], Fail> {
    let slice = unsafe { try_slice(ptr, N, what) }?;
    slice.try_into().map_err(|_| Fail::null(what))
}

/// Checks an out-parameter is not NULL before any work is done.
pub(crate) fn check_out<T>(out: *mut T, what: &str) -> Result<(), Fail> {
    if out.is_null() { Err(Fail::null(what)) } else { Ok(()) }
}

/// Writes `value` to a checked out-parameter (only on success, by convention).
///
/// # Safety
/// `out` passed [`check_out`] and points at writable memory for one `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: as promised by the caller; `write` does not drop the old (uninitialised) value.
    unsafe { out.write(value) }
}

/// Copies `text` into a fixed `char` array field, NUL-terminated; longer text is an error.
pub(crate) fn copy_cstr<const N: usize>(text: &str, what: &str) -> Result<[c_char; N], Fail> {
    if text.len() >= N || text.as_bytes().contains(&0) {
        return Err(Fail::new(
            locker_result::Validation,
            format!("{what} must be shorter than {N} bytes, without NUL"),
        ));
    }
    let mut out = [0 as c_char; N];
    for (o, b) in out.iter_mut().zip(text.bytes()) {
        *o = b as c_char;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_result_code_with_a_message() {
        let r = ffi_panic_boundary(|| panic!("boom"));
        assert_eq!(r, locker_result::Panic);
        let msg = unsafe { CStr::from_ptr(crate::error::locker_last_error()) }.to_str().unwrap().to_owned();
        assert!(msg.contains("boom"), "{msg}");
    }

    #[test]
    fn bad_utf8_is_refused_with_its_own_code() {
        let bad = [0xffu8, 0xfe, 0];
        let err = unsafe { try_str(bad.as_ptr().cast(), "name") }.unwrap_err();
        assert_eq!(err.code, locker_result::InvalidUtf8);
    }

    #[test]
    fn copy_cstr_refuses_what_does_not_fit() {
        assert!(copy_cstr::<4>("abc", "x").is_ok());
        assert_eq!(copy_cstr::<4>("abcd", "x").unwrap_err().code, locker_result::Validation);
    }
}
