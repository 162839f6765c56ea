//! The v1 frame codec (`locker_core::controller::wire::v1`): encode into the caller's buffer, and a
//! streaming decoder that takes bytes in any chunking and hands out checked frames.

use std::collections::VecDeque;
use std::sync::Mutex;

use locker_core::controller::wire::v1::{self, Decoded, DropReason, Frame, FrameDecoder, Kind};

use crate::error::{Fail, locker_result};
use crate::ffi::{Castable, check_out, ffi_panic_boundary, free_handle, to_handle, try_ref, try_slice, write_out};

/// Longest payload of a v1 frame.
pub const LOCKER_FRAME_MAX_PAYLOAD: usize = 255;
/// Longest line encoding of a v1 frame (COBS plus the `0x00` delimiter): a buffer this
/// large always fits `locker_frame_encode`'s output.
pub const LOCKER_FRAME_MAX_ENCODED: usize = 264;

const _: () = assert!(LOCKER_FRAME_MAX_PAYLOAD == v1::MAX_PAYLOAD);
const _: () = assert!(LOCKER_FRAME_MAX_ENCODED == v1::MAX_ENCODED);

/// What a frame is. Passed to functions as a `uint32_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum locker_frame_kind {
    /// Host -> device.
    Request = 1,
    /// Device -> host, answering a request with the same `seq`.
    Response = 2,
    /// Device -> host, unsolicited.
    Event = 3,
    /// Host -> device, acknowledging an event.
    Ack = 4,
}

fn kind_from_u32(kind: u32) -> Result<Kind, Fail> {
    Ok(match kind {
        1 => Kind::Request,
        2 => Kind::Response,
        3 => Kind::Event,
        4 => Kind::Ack,
        other => return Err(Fail::new(locker_result::Validation, format!("invalid frame kind: {other}"))),
    })
}

/// Why the decoder dropped bytes (`LOCKER_DROP_REASON_NONE` for a good frame).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum locker_drop_reason {
    /// Not dropped: the frame is valid.
    None = 0,
    /// Invalid COBS encoding.
    Cobs = 1,
    /// Shorter than header plus CRC.
    TooShort = 2,
    /// No delimiter within the longest frame.
    TooLong = 3,
    /// CRC mismatch.
    BadCrc = 4,
    /// Not protocol version 1.
    BadVersion = 5,
    /// Unknown kind byte.
    BadKind = 6,
}

impl locker_drop_reason {
    fn from_core(r: DropReason) -> Self {
        match r {
            DropReason::Cobs => Self::Cobs,
            DropReason::TooShort { .. } => Self::TooShort,
            DropReason::TooLong => Self::TooLong,
            DropReason::BadCrc { .. } => Self::BadCrc,
            DropReason::BadVersion(_) => Self::BadVersion,
            DropReason::BadKind(_) => Self::BadKind,
        }
    }
}

/// One decoded v1 frame; the payload is inline (nothing to free).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct locker_frame {
    /// Sequence number.
    pub seq: u8,
    /// What the frame is.
    pub kind: locker_frame_kind,
    /// Command number.
    pub cmd: u8,
    /// Bytes used in `payload`.
    pub payload_len: u16,
    /// The payload.
    pub payload: [u8; LOCKER_FRAME_MAX_PAYLOAD],
}

impl locker_frame {
    fn from_core(f: &Frame) -> Self {
        let mut payload = [0u8; LOCKER_FRAME_MAX_PAYLOAD];
        let n = f.payload.len().min(LOCKER_FRAME_MAX_PAYLOAD);
        payload[..n].copy_from_slice(&f.payload[..n]);
        let kind = match f.kind {
            Kind::Request => locker_frame_kind::Request,
            Kind::Response => locker_frame_kind::Response,
            Kind::Event => locker_frame_kind::Event,
            Kind::Ack => locker_frame_kind::Ack,
        };
        Self { seq: f.seq, kind, cmd: f.cmd, payload_len: n as u16, payload }
    }
}

/// What the decoder hands out: a frame, or the reason bytes were dropped.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct locker_decoded {
    /// `LOCKER_DROP_REASON_NONE` when `frame` is valid; otherwise why bytes were dropped.
    pub drop_reason: locker_drop_reason,
    /// The frame (all zero when dropped).
    pub frame: locker_frame,
}

/// A streaming v1 decoder (opaque): feed bytes in any chunking, take decoded items out.
pub struct locker_frame_decoder {
    _private: [u8; 0],
}

/// The decoder and the items it completed that the caller has not taken yet.
#[derive(Default)]
pub(crate) struct Decoder {
    decoder: FrameDecoder,
    ready: VecDeque<Decoded>,
}

impl Castable for locker_frame_decoder {
    type Inner = Mutex<Decoder>;
}

/// Encodes one frame (COBS plus the `0x00` delimiter) into `out[0..out_cap]` and writes the
/// byte count to `*out_written`. `kind` is a `locker_frame_kind`. A payload over 255 bytes is
/// `LOCKER_RESULT_UART_PAYLOAD_TOO_LONG`; a buffer under the encoded length is
/// `LOCKER_RESULT_BUFFER_TOO_SMALL` (`LOCKER_FRAME_MAX_ENCODED` bytes always suffice).
///
/// # Safety
/// `payload` points at `payload_len` bytes (may be NULL when 0); `out` at `out_cap` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_frame_encode(
    seq: u8,
    kind: u32,
    cmd: u8,
    payload: *const u8,
    payload_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_written: *mut usize,
) -> locker_result {
    ffi_panic_boundary(|| {
        let kind = kind_from_u32(kind)?;
        let payload = unsafe { try_slice(payload, payload_len, "payload") }?;
        check_out(out, "out")?;
        check_out(out_written, "out_written")?;
        let mut encoded = Vec::with_capacity(LOCKER_FRAME_MAX_ENCODED);
        let n = v1::encode_parts(seq, kind, cmd, payload, &mut encoded)?;
        if n > out_cap {
            return Err(Fail::new(
                locker_result::BufferTooSmall,
                format!("the frame needs {n} bytes, the buffer has {out_cap}"),
            ));
        }
        // SAFETY: `out` has `out_cap >= n` writable bytes, as the caller promised.
        unsafe {
            std::ptr::copy_nonoverlapping(encoded.as_ptr(), out, n);
            write_out(out_written, n);
        }
        Ok(())
    })
}

/// Creates a decoder. Release it with `locker_frame_decoder_free`.
#[unsafe(no_mangle)]
pub extern "C" fn locker_frame_decoder_new(out_decoder: *mut *mut locker_frame_decoder) -> locker_result {
    ffi_panic_boundary(|| {
        check_out(out_decoder, "out_decoder")?;
        unsafe { write_out(out_decoder, to_handle::<locker_frame_decoder>(Mutex::default())) };
        Ok(())
    })
}

/// Releases a decoder and sets `*decoder` to NULL. NULL is a no-op.
///
/// # Safety
/// `decoder` is NULL or points at NULL or at a decoder from `locker_frame_decoder_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_frame_decoder_free(decoder: *mut *mut locker_frame_decoder) {
    let _ = ffi_panic_boundary(|| {
        unsafe { free_handle(decoder) };
        Ok(())
    });
}

/// Feeds `len` received bytes. Completed frames (and drops) queue up for
/// `locker_frame_decoder_next`; bytes of an unfinished frame are kept.
///
/// # Safety
/// `decoder` is live; `bytes` points at `len` readable bytes (may be NULL when 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_frame_decoder_feed(
    decoder: *const locker_frame_decoder,
    bytes: *const u8,
    len: usize,
) -> locker_result {
    ffi_panic_boundary(|| {
        let decoder = unsafe { try_ref(decoder, "decoder") }?;
        let bytes = unsafe { try_slice(bytes, len, "bytes") }?;
        let mut d = decoder.lock().unwrap_or_else(|e| e.into_inner());
        let Decoder { decoder, ready } = &mut *d;
        decoder.feed(bytes, |item| ready.push_back(item));
        Ok(())
    })
}

/// Takes the oldest decoded item into `*out`: `LOCKER_RESULT_OK`, or `LOCKER_RESULT_EMPTY`
/// (and `*out` untouched) when nothing is queued.
///
/// # Safety
/// `decoder` is live; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_frame_decoder_next(
    decoder: *const locker_frame_decoder,
    out: *mut locker_decoded,
) -> locker_result {
    let mut empty = false;
    let r = ffi_panic_boundary(|| {
        let decoder = unsafe { try_ref(decoder, "decoder") }?;
        check_out(out, "out")?;
        let item = decoder.lock().unwrap_or_else(|e| e.into_inner()).ready.pop_front();
        let decoded = match item {
            None => {
                empty = true;
                return Ok(());
            }
            Some(Decoded::Frame(f)) => {
                locker_decoded { drop_reason: locker_drop_reason::None, frame: locker_frame::from_core(&f) }
            }
            Some(Decoded::Dropped(r)) => locker_decoded {
                drop_reason: locker_drop_reason::from_core(r),
                frame: locker_frame {
                    seq: 0,
                    kind: locker_frame_kind::Request,
                    cmd: 0,
                    payload_len: 0,
                    payload: [0; LOCKER_FRAME_MAX_PAYLOAD],
                },
            },
        };
        unsafe { write_out(out, decoded) };
        Ok(())
    });
    if empty { locker_result::Empty } else { r }
}

/// Forgets a partial frame and every queued item (after the port was reopened).
///
/// # Safety
/// `decoder` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_frame_decoder_reset(decoder: *const locker_frame_decoder) -> locker_result {
    ffi_panic_boundary(|| {
        let decoder = unsafe { try_ref(decoder, "decoder") }?;
        let mut d = decoder.lock().unwrap_or_else(|e| e.into_inner());
        d.decoder.reset();
        d.ready.clear();
        Ok(())
    })
}
