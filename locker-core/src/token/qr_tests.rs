use base64::Engine as _;
use proptest::prelude::*;

use super::*;

fn at(secs: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(secs, 0).unwrap()
}

const NOW: i64 = 1_768_730_400; // 2026-01-18T10:00:00Z

fn ed_ring() -> QrKeyring {
    QrKeyring::with_key(KeyId(1), QrKey::ed25519_from_seed(&[42; 32]))
}

fn hmac_ring() -> QrKeyring {
    QrKeyring::with_key(KeyId(9), QrKey::hmac(&[7; 32]))
}

fn user() -> Id {
    Id::from_u128(0x0194_79b1_0000_7000_8000_0000_0000_0001)
}

fn rental() -> Id {
    Id::from_u128(0x0194_79b1_0000_7000_8000_0000_0000_0002)
}

#[test]
fn issued_token_verifies_with_its_claims() {
    for ring in [ed_ring(), hmac_ring()] {
        let issued = ring.issue(QrAction::CheckOut, user(), Some(rental()), at(NOW)).unwrap();
        let claims = ring.verify(&issued.token, at(NOW + 10)).unwrap();
        assert_eq!(claims, issued.claims);
        assert_eq!(claims.action, QrAction::CheckOut);
        assert_eq!(claims.user_id, user());
        assert_eq!(claims.rental_id, Some(rental()));
        assert_eq!(claims.expires_at, at(NOW + 300));
        let short = ring.issue(QrAction::CheckIn, user(), None, at(NOW)).unwrap();
        assert_eq!(ring.verify(&short.token, at(NOW)).unwrap().rental_id, None);
    }
}

#[test]
fn two_tokens_have_different_ids() {
    let ring = ed_ring();
    let a = ring.issue(QrAction::CheckIn, user(), None, at(NOW)).unwrap();
    let b = ring.issue(QrAction::CheckIn, user(), None, at(NOW)).unwrap();
    assert_ne!(a.claims.token_id, b.claims.token_id);
    assert_ne!(a.token, b.token);
}

#[test]
fn expiry_is_enforced_with_five_seconds_of_skew() {
    for ring in [ed_ring(), hmac_ring()] {
        let t = ring.issue(QrAction::CheckIn, user(), None, at(NOW)).unwrap().token;
        let expiry = NOW + 300;
        assert!(ring.verify(&t, at(expiry)).is_ok());
        // A kiosk clock up to 5 s ahead still accepts it ...
        assert!(ring.verify(&t, at(expiry + MAX_CLOCK_SKEW_SECS)).is_ok());
        // ... one second more is refused.
        assert_eq!(ring.verify(&t, at(expiry + MAX_CLOCK_SKEW_SECS + 1)), Err(TokenError::QrExpired));
        assert_eq!(ring.verify(&t, at(expiry + 3600)), Err(TokenError::QrExpired));
    }
}

#[test]
fn unknown_key_id_is_refused() {
    let issued = ed_ring().issue(QrAction::CheckIn, user(), None, at(NOW)).unwrap();
    let other = QrKeyring::with_key(KeyId(2), QrKey::ed25519_from_seed(&[42; 32]));
    assert_eq!(other.verify(&issued.token, at(NOW)), Err(TokenError::Invalid));
}

#[test]
fn same_key_id_with_another_key_is_refused() {
    let issued = ed_ring().issue(QrAction::CheckIn, user(), None, at(NOW)).unwrap();
    let impostor = QrKeyring::with_key(KeyId(1), QrKey::ed25519_from_seed(&[43; 32]));
    assert_eq!(impostor.verify(&issued.token, at(NOW)), Err(TokenError::Invalid));
    let hmac_same_id = QrKeyring::with_key(KeyId(1), QrKey::hmac(&[42; 32]));
    assert_eq!(hmac_same_id.verify(&issued.token, at(NOW)), Err(TokenError::Invalid));
}

#[test]
fn rotation_keeps_old_keys_until_retired() {
    let mut ring = ed_ring();
    let old = ring.issue(QrAction::Update, user(), Some(rental()), at(NOW)).unwrap().token;
    let next = ring.next_free_id().unwrap();
    assert_ne!(next, KeyId(1));
    ring.insert(next, QrKey::generate_ed25519().unwrap());
    ring.set_active(next).unwrap();
    let new = ring.issue(QrAction::Update, user(), Some(rental()), at(NOW)).unwrap();
    assert_eq!(new.claims.key_id, next);
    // Old but not retired: still verifies.
    assert!(ring.verify(&old, at(NOW)).is_ok());
    ring.retire(KeyId(1));
    assert_eq!(ring.verify(&old, at(NOW)), Err(TokenError::Invalid));
    assert!(ring.verify(&new.token, at(NOW)).is_ok());
    // A retired key cannot be made active again.
    assert_eq!(ring.set_active(KeyId(1)), Err(TokenError::Invalid));
}

#[test]
fn kiosk_verifies_with_public_keys_only_and_cannot_issue() {
    let ring = ed_ring();
    let kiosk = ring.to_verifier();
    let t = ring.issue(QrAction::CheckIn, user(), Some(rental()), at(NOW)).unwrap().token;
    assert!(kiosk.verify(&t, at(NOW)).is_ok());
    assert_eq!(kiosk.issue(QrAction::CheckIn, user(), None, at(NOW)).unwrap_err(), TokenError::Invalid);
    assert!(!format!("{:?}", ring).contains("42, 42"), "Debug must not print the seed");
}

#[test]
fn a_flipped_bit_anywhere_is_refused() {
    for ring in [ed_ring(), hmac_ring()] {
        for rental_id in [None, Some(rental())] {
            let token = ring.issue(QrAction::CheckIn, user(), rental_id, at(NOW)).unwrap().token;
            // Every bit of the binary token ...
            let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
            for bit in 0..raw.len() * 8 {
                let mut flipped = raw.clone();
                flipped[bit / 8] ^= 1 << (bit % 8);
                let text = URL_SAFE_NO_PAD.encode(&flipped);
                assert_eq!(ring.verify(&text, at(NOW)), Err(TokenError::Invalid), "raw bit {bit}");
            }
            // ... and every bit of its text form (including base64's unused trailing bits).
            let text = token.as_bytes();
            for bit in 0..text.len() * 8 {
                let mut flipped = text.to_vec();
                flipped[bit / 8] ^= 1 << (bit % 8);
                let Ok(s) = std::str::from_utf8(&flipped) else { continue };
                assert_eq!(ring.verify(s, at(NOW)), Err(TokenError::Invalid), "text bit {bit}");
            }
        }
    }
}

#[test]
fn truncated_and_extended_tokens_are_refused() {
    let ring = ed_ring();
    let token = ring.issue(QrAction::CheckIn, user(), Some(rental()), at(NOW)).unwrap().token;
    for cut in 0..token.len() {
        assert_eq!(ring.verify(&token[..cut], at(NOW)), Err(TokenError::Invalid));
    }
    assert_eq!(ring.verify(&format!("{token}A"), at(NOW)), Err(TokenError::Invalid));
    assert_eq!(ring.verify(&format!("{token}AAAA"), at(NOW)), Err(TokenError::Invalid));
    assert_eq!(ring.verify(&"A".repeat(10_000), at(NOW)), Err(TokenError::Invalid));
}

#[test]
fn check_in_with_rental_fits_qr_version_8_at_level_m() {
    let ed = ed_ring().issue(QrAction::CheckIn, user(), Some(rental()), at(NOW)).unwrap().token;
    assert_eq!(ed.len(), 152, "Ed25519 long form is 114 bytes = 152 base64url chars");
    let code = qrcode::QrCode::with_error_correction_level(ed.as_bytes(), qrcode::EcLevel::M).unwrap();
    match code.version() {
        qrcode::Version::Normal(v) => assert!(v <= 8, "needs version {v}"),
        qrcode::Version::Micro(_) => unreachable!("micro QR cannot hold 152 characters"),
    }
    let hmac = hmac_ring().issue(QrAction::CheckIn, user(), Some(rental()), at(NOW)).unwrap().token;
    assert!(render::version(&hmac).unwrap() <= 6);
}

#[test]
fn renders_png_svg_and_data_url() {
    let token = ed_ring().issue(QrAction::CheckIn, user(), Some(rental()), at(NOW)).unwrap().token;
    let png = render::png(&token).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Every pixel is its module's color, with a white quiet zone.
    let image = image::load_from_memory(&png).unwrap().to_luma8();
    let code = qrcode::QrCode::with_error_correction_level(token.as_bytes(), qrcode::EcLevel::M).unwrap();
    let (modules, scale, quiet) = (code.width(), render::PNG_MODULE_PIXELS, render::PNG_QUIET_MODULES);
    assert_eq!(image.dimensions(), (((modules + 2 * quiet) * scale) as u32, ((modules + 2 * quiet) * scale) as u32));
    let colors = code.to_colors();
    for (x, y, pixel) in image.enumerate_pixels() {
        let (mx, my) = ((x as usize / scale).checked_sub(quiet), (y as usize / scale).checked_sub(quiet));
        let dark = match (mx, my) {
            (Some(mx), Some(my)) if mx < modules && my < modules => colors[my * modules + mx] == qrcode::Color::Dark,
            _ => false,
        };
        assert_eq!(pixel.0[0], if dark { 0 } else { 255 }, "pixel ({x}, {y})");
    }
    let svg = render::svg(&token).unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"));
    let url = render::data_url(&token).unwrap();
    let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(b64).unwrap(), png);
}

#[test]
fn expiry_beyond_2106_cannot_be_issued() {
    let ring = ed_ring();
    let far = at(i64::from(u32::MAX) + 1);
    let err = ring.issue_with(QrAction::CheckIn, user(), None, QrTokenId([0; 12]), far).unwrap_err();
    assert_eq!(err, TokenError::Invalid);
}

proptest! {
    #[test]
    fn verify_never_panics_on_arbitrary_text(s in ".{0,200}") {
        let ring = ed_ring();
        prop_assert!(ring.verify(&s, at(NOW)).is_err());
    }

    #[test]
    fn verify_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..140), kid in any::<u8>()) {
        // Steer the fuzzer past the header so the key lookup and length checks are exercised.
        let mut bytes = bytes;
        if bytes.len() >= 2 { bytes[0] = QR_TOKEN_VERSION << 4 | 1; bytes[1] = kid; }
        let text = URL_SAFE_NO_PAD.encode(&bytes);
        let mut ring = hmac_ring();
        ring.insert(KeyId(1), QrKey::ed25519_from_seed(&[1; 32]));
        prop_assert!(ring.verify(&text, at(NOW)).is_err());
    }
}

#[tokio::test]
async fn replayed_token_is_refused_by_the_store() {
    use crate::ports::TokenStore as _;
    use crate::token::memory::MemoryTokenStore;
    let store = MemoryTokenStore::default();
    let ring = ed_ring();
    let token = ring.issue(QrAction::CheckIn, user(), None, at(NOW)).unwrap().token;
    let claims = ring.verify(&token, at(NOW)).unwrap();
    store.mark_qr_used(&claims.token_id, claims.expires_at, at(NOW)).await.unwrap();
    let again = ring.verify(&token, at(NOW + 1)).unwrap();
    let err = store.mark_qr_used(&again.token_id, again.expires_at, at(NOW + 1)).await.unwrap_err();
    assert_eq!(err.code(), crate::ErrorCode::QrUsed);
}
