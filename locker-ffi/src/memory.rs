//! Strings and buffers handed to C, and the functions that take them back.

use std::ffi::{CString, c_char};

use crate::error::{Fail, locker_result};

/// Turns `text` into a heap C string for the caller (release with [`locker_string_free`]).
pub(crate) fn to_c_string(text: String) -> Result<*mut c_char, Fail> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| Fail::new(locker_result::Internal, "text to return contains a NUL byte"))
}

/// Turns `bytes` into a heap buffer for the caller (release with [`locker_buffer_free`]).
/// Returns the pointer and length.
pub(crate) fn to_c_buffer(bytes: Vec<u8>) -> (*mut u8, usize) {
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    (Box::into_raw(boxed).cast::<u8>(), len)
}

/// Releases a string returned by this library (`out_token`, `out_svg`, `out_code`, ...) and
/// sets `*s` to NULL. `s == NULL` or `*s == NULL` is a no-op.
///
/// # Safety
/// `*s` is NULL or a string from this library that was not released yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_string_free(s: *mut *mut c_char) {
    let Some(slot) = (unsafe { s.as_mut() }) else { return };
    let raw = std::mem::replace(slot, std::ptr::null_mut());
    if !raw.is_null() {
        // SAFETY: made by `CString::into_raw` in `to_c_string`, released once.
        drop(unsafe { CString::from_raw(raw) });
    }
}

/// Releases a byte buffer returned by this library (`out_png`, ...) together with the length
/// it came with, and sets `*buf` to NULL. `buf == NULL` or `*buf == NULL` is a no-op.
///
/// # Safety
/// `*buf` is NULL or a buffer from this library of exactly `len` bytes, not released yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_buffer_free(buf: *mut *mut u8, len: usize) {
    let Some(slot) = (unsafe { buf.as_mut() }) else { return };
    let raw = std::mem::replace(slot, std::ptr::null_mut());
    if !raw.is_null() {
        // SAFETY: made by `to_c_buffer` from a boxed slice of `len` bytes, released once.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(raw, len)) });
    }
}
