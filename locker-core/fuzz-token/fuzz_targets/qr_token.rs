//! The QR token verifier must refuse (never panic on) any input: as text, and as raw bytes
//! behind a valid header so the key lookup, length and tag checks are reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use locker_core::token::qr::{KeyId, QrKey, QrKeyring};

fuzz_target!(|data: &[u8]| {
    let mut ring = QrKeyring::with_key(KeyId(1), QrKey::ed25519_from_seed(&[42; 32]));
    ring.insert(KeyId(2), QrKey::hmac(&[7; 32]));
    let now = chrono::DateTime::from_timestamp(1_768_730_400, 0).unwrap_or_default();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ring.verify(text, now);
    }
    let mut bytes = vec![0x11, data.first().copied().unwrap_or(1) % 3];
    bytes.extend_from_slice(data);
    let text = base64_url(&bytes);
    assert!(ring.verify(&text, now).is_err(), "forged token accepted");
});

/// base64url without padding (kept local so the fuzz crate needs no extra dependency).
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}
