use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use serde_json::json;

use super::*;

const NOW: i64 = 1_768_730_400;
const SEED: [u8; 32] = [5; 32];
const SID: crate::domain::Id = uuid::Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);

fn at(secs: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(secs, 0).unwrap()
}

fn ed() -> AccessTokens {
    AccessTokens::new(JwtKeys::ed25519(&SEED))
}

fn hs() -> AccessTokens {
    AccessTokens::new(JwtKeys::hs256(b"0123456789abcdef0123456789abcdef"))
}

fn b64(v: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn full_claims() -> serde_json::Value {
    json!({"sub": "u1", "role": "customer", "iat": NOW, "exp": NOW + 3600, "typ": "access",
           "iss": "locker", "aud": "locker", "jti": "x", "sid": "00000000-0000-7000-8000-000000000001"})
}

/// Signs arbitrary claims with HS256 and `secret`, bypassing `AccessTokens::issue`.
fn hs256_token(claims: &serde_json::Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[test]
fn issued_token_verifies_for_both_algorithms() {
    for tokens in [ed(), hs()] {
        let (token, claims) = tokens.issue("user-1", Role::Technician, SID, at(NOW)).unwrap();
        assert_eq!(claims.exp - claims.iat, DEFAULT_ACCESS_LIFETIME_SECS);
        let back = tokens.verify(&token, at(NOW + 60)).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.role, Role::Technician);
    }
}

#[test]
fn expiry_uses_the_callers_clock_and_leeway() {
    let tokens = ed();
    let (token, claims) = tokens.issue("u", Role::Customer, SID, at(NOW)).unwrap();
    assert!(tokens.verify(&token, at(claims.exp + MAX_LEEWAY_SECS)).is_ok());
    assert_eq!(tokens.verify(&token, at(claims.exp + MAX_LEEWAY_SECS + 1)), Err(TokenError::Expired));
    // Issued in the future (beyond leeway): refused.
    assert_eq!(tokens.verify(&token, at(NOW - MAX_LEEWAY_SECS - 1)), Err(TokenError::Invalid));
}

#[test]
fn leeway_is_capped() {
    let tokens = AccessTokens::with_config(JwtKeys::ed25519(&SEED), "locker", "locker", 60, 3600);
    let (token, claims) = tokens.issue("u", Role::Customer, SID, at(NOW)).unwrap();
    assert_eq!(tokens.verify(&token, at(claims.exp + MAX_LEEWAY_SECS + 1)), Err(TokenError::Expired));
}

#[test]
fn alg_none_is_refused() {
    for header in [json!({"alg": "none", "typ": "JWT"}), json!({"alg": "None"}), json!({"typ": "JWT"})] {
        let token = format!("{}.{}.", b64(&header), b64(&full_claims()));
        assert_eq!(ed().verify(&token, at(NOW)), Err(TokenError::Invalid));
        assert_eq!(hs().verify(&token, at(NOW)), Err(TokenError::Invalid));
    }
}

#[test]
fn hs256_token_is_refused_when_eddsa_is_configured() {
    // The classic confusion: the Ed25519 public key used as an HMAC secret.
    let public = ed25519_dalek::SigningKey::from_bytes(&SEED).verifying_key();
    let token = hs256_token(&full_claims(), public.as_bytes());
    assert_eq!(ed().verify(&token, at(NOW)), Err(TokenError::Invalid));
}

#[test]
fn eddsa_token_is_refused_when_hs256_is_configured() {
    let (token, _) = ed().issue("u", Role::Admin, SID, at(NOW)).unwrap();
    assert_eq!(hs().verify(&token, at(NOW)), Err(TokenError::Invalid));
}

#[test]
fn missing_required_claims_are_refused() {
    let secret = b"0123456789abcdef0123456789abcdef";
    assert!(hs().verify(&hs256_token(&full_claims(), secret), at(NOW)).is_ok(), "control");
    for claim in ["exp", "iat", "sub", "typ", "iss", "aud", "jti", "sid"] {
        let mut claims = full_claims();
        claims.as_object_mut().unwrap().remove(claim);
        assert_eq!(hs().verify(&hs256_token(&claims, secret), at(NOW)), Err(TokenError::Invalid), "{claim}");
    }
}

#[test]
fn wrong_typ_issuer_or_audience_is_refused() {
    let secret = b"0123456789abcdef0123456789abcdef";
    for (field, value) in [("typ", "refresh"), ("iss", "evil"), ("aud", "other")] {
        let mut claims = full_claims();
        claims[field] = json!(value);
        assert_eq!(hs().verify(&hs256_token(&claims, secret), at(NOW)), Err(TokenError::Invalid), "{field}");
    }
}

#[test]
fn tampered_payload_is_refused() {
    let (token, _) = ed().issue("user-1", Role::Customer, SID, at(NOW)).unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["role"] = json!("admin");
    parts[1] = b64(&claims);
    assert_eq!(ed().verify(&parts.join("."), at(NOW)), Err(TokenError::Invalid));
}

#[test]
fn verify_only_keys_cannot_issue() {
    let public = ed25519_dalek::SigningKey::from_bytes(&SEED).verifying_key();
    let verifier = AccessTokens::new(JwtKeys::ed25519_public(public.as_bytes()).unwrap());
    let (token, _) = ed().issue("u", Role::Customer, SID, at(NOW)).unwrap();
    assert!(verifier.verify(&token, at(NOW)).is_ok());
    assert!(matches!(verifier.issue("u", Role::Customer, SID, at(NOW)), Err(Error::Config { .. })));
    assert!(!format!("{:?}", JwtKeys::hs256(b"topsecret")).contains("topsecret"));
}

proptest! {
    #[test]
    fn verify_never_panics_on_arbitrary_text(s in ".{0,300}") {
        prop_assert!(ed().verify(&s, at(NOW)).is_err());
    }

    #[test]
    fn verify_never_panics_on_three_arbitrary_parts(a in proptest::collection::vec(any::<u8>(), 0..80),
                                                    b in proptest::collection::vec(any::<u8>(), 0..80),
                                                    c in proptest::collection::vec(any::<u8>(), 0..80)) {
        let token = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(a), URL_SAFE_NO_PAD.encode(b), URL_SAFE_NO_PAD.encode(c));
        prop_assert!(ed().verify(&token, at(NOW)).is_err());
        prop_assert!(hs().verify(&token, at(NOW)).is_err());
    }
}

#[test]
fn a_verified_token_is_cached_and_its_time_still_checked_on_every_use() {
    let tokens = ed();
    let (token, claims) = tokens.issue("u", Role::Customer, SID, at(NOW)).unwrap();
    assert_eq!(tokens.verified_tokens_cached(), 0);
    assert_eq!(tokens.verify(&token, at(NOW)).unwrap(), claims);
    assert_eq!(tokens.verified_tokens_cached(), 1);
    // A clone shares the cache (the server's state is cloned per request).
    assert_eq!(tokens.clone().verify(&token, at(NOW + 1)).unwrap(), claims);
    assert_eq!(tokens.verified_tokens_cached(), 1);
    // From the cache, `iat` in the future and `exp` past are still refused.
    assert_eq!(tokens.verify(&token, at(NOW - MAX_LEEWAY_SECS - 1)), Err(TokenError::Invalid));
    assert_eq!(tokens.verify(&token, at(claims.exp + MAX_LEEWAY_SECS + 1)), Err(TokenError::Expired));
    assert_eq!(tokens.verified_tokens_cached(), 0, "an expired token is dropped");
}

#[test]
fn the_cache_is_keyed_on_the_whole_token() {
    let tokens = ed();
    let (token, _) = tokens.issue("u", Role::Customer, SID, at(NOW)).unwrap();
    tokens.verify(&token, at(NOW)).unwrap();
    let (head, signature) = token.rsplit_once('.').unwrap();
    // Another signature, and the same signature with one more byte: never from the cache.
    let flipped =
        if signature.starts_with('A') { signature.replacen('A', "B", 1) } else { format!("A{}", &signature[1..]) };
    assert_eq!(tokens.verify(&format!("{head}.{flipped}"), at(NOW)), Err(TokenError::Invalid));
    assert_eq!(tokens.verify(&format!("{token}A"), at(NOW)), Err(TokenError::Invalid));
    // Other keys never see this key's cache.
    let other = AccessTokens::new(JwtKeys::ed25519(&[6; 32]));
    assert_eq!(other.verify(&token, at(NOW)), Err(TokenError::Invalid));
    assert_eq!(tokens.verified_tokens_cached(), 1);
}

#[test]
fn the_cache_is_bounded() {
    let tokens = hs();
    let cap = super::super::verified::CAPACITY;
    for i in 0..cap + 10 {
        let (token, _) = tokens.issue(&format!("u{i}"), Role::Customer, SID, at(NOW)).unwrap();
        tokens.verify(&token, at(NOW)).unwrap();
        assert!(tokens.verified_tokens_cached() <= cap);
    }
    assert!(tokens.verified_tokens_cached() >= 10, "the newest tokens are kept");
}
