//! The access-token verifier must refuse (never panic on) any input, for both algorithms.
#![no_main]

use libfuzzer_sys::fuzz_target;
use locker_core::token::jwt::{AccessTokens, JwtKeys};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let now = chrono::DateTime::from_timestamp(1_768_730_400, 0).unwrap_or_default();
    let ed = AccessTokens::new(JwtKeys::ed25519(&[5; 32]));
    let hs = AccessTokens::new(JwtKeys::hs256(&[7; 32]));
    assert!(ed.verify(text, now).is_err(), "forged EdDSA token accepted");
    assert!(hs.verify(text, now).is_err(), "forged HS256 token accepted");
});
