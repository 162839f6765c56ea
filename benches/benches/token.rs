//! `token/*`: our token layer next to the raw primitive it wraps, in the same run, so the
//! overhead is a ratio: `token/qr/verify/ed25519` vs `token/primitive/ed25519_verify`,
//! `token/qr/verify/hmac` vs `token/primitive/hmac_sha256`, `token/password/hash` vs
//! `token/primitive/argon2id_hash`. The primitives get exactly the message/parameters ours do.

use std::hint::black_box;

use criterion::Criterion;
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{KeyInit as _, Mac as _};
use locker_core::domain::Role;
use locker_core::token::jwt::{AccessTokens, JwtKeys};
use locker_core::token::otp::{Otp, OtpPolicy};
use locker_core::token::password::{self, Passwords};
use locker_core::token::qr::{KeyId, QrAction, QrKey, QrKeyring};
use locker_core::token::{Pepper, hmac_sha256};

const SEED: [u8; 32] = [42; 32];
const HMAC_KEY: [u8; 32] = [7; 32];

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_768_730_400, 0).unwrap()
}

/// Registers the `token/*` benches.
pub fn define(c: &mut Criterion) {
    qr(c);
    otp(c);
    jwt(c);
    passwords(c);
}

fn qr(c: &mut Criterion) {
    let user = uuid::Uuid::now_v7();
    let rental = Some(uuid::Uuid::now_v7());
    let rings = [
        ("ed25519", QrKeyring::with_key(KeyId(1), QrKey::ed25519_from_seed(&SEED))),
        ("hmac", QrKeyring::with_key(KeyId(2), QrKey::hmac(&HMAC_KEY))),
    ];
    for (name, ring) in &rings {
        c.bench_function(&format!("token/qr/issue/{name}"), |b| {
            b.iter(|| ring.issue(QrAction::CheckIn, user, rental, black_box(now())).unwrap())
        });
        let token = ring.issue(QrAction::CheckIn, user, rental, now()).unwrap().token;
        c.bench_function(&format!("token/qr/verify/{name}"), |b| {
            b.iter(|| {
                let claims = ring.verify(black_box(&token), now()).unwrap();
                assert_eq!(claims.user_id, user);
            })
        });
    }

    // The primitives on a message of the same length as the signed part of the token.
    let message = [0x5au8; 50];
    let signing = SigningKey::from_bytes(&SEED);
    let verifying = signing.verifying_key();
    let signature = signing.sign(&message);
    c.bench_function("token/primitive/ed25519_verify", |b| {
        b.iter(|| verifying.verify_strict(black_box(&message), &signature).unwrap())
    });
    c.bench_function("token/primitive/ed25519_sign", |b| b.iter(|| signing.sign(black_box(&message))));
    c.bench_function("token/primitive/hmac_sha256", |b| {
        b.iter(|| {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&HMAC_KEY).unwrap();
            mac.update(black_box(&message));
            mac.finalize().into_bytes()
        })
    });
}

fn otp(c: &mut Criterion) {
    let otp = Otp::new(Pepper::new([3; 32]), OtpPolicy::default());
    let (message, record) = otp.new_code("user@example.com", now()).unwrap();
    c.bench_function("token/otp/verify", |b| b.iter(|| assert!(otp.matches(&record, black_box(&message.code)))));
    c.bench_function("token/primitive/hmac_sha256_parts", |b| {
        b.iter(|| hmac_sha256(&[3; 32], &[b"otp", b"user@example.com", black_box(message.code.as_bytes())]))
    });
}

fn jwt(c: &mut Criterion) {
    for (name, tokens) in
        [("eddsa", AccessTokens::new(JwtKeys::ed25519(&SEED))), ("hs256", AccessTokens::new(JwtKeys::hs256(&HMAC_KEY)))]
    {
        let (token, _) = tokens.issue("user-1", Role::Customer, locker_core::domain::new_id(), now()).unwrap();
        c.bench_function(&format!("token/jwt/verify/{name}"), |b| {
            b.iter(|| assert_eq!(tokens.verify(black_box(&token), now()).unwrap().sub, "user-1"))
        });
    }
}

fn passwords(c: &mut Criterion) {
    let mut group = c.benchmark_group("token");
    group.sample_size(10);
    let pw = Passwords::with_concurrency(1).unwrap();
    group.bench_function("password/hash", |b| b.iter(|| pw.hash(black_box("correct horse battery")).unwrap()));
    let hash = pw.hash("correct horse battery").unwrap();
    group.bench_function("password/verify", |b| {
        b.iter(|| pw.verify(black_box("correct horse battery"), Some(&hash)).unwrap())
    });
    let salt = [9u8; 16];
    group.bench_function("primitive/argon2id_hash", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            password::argon2id().hash_password_into(black_box(b"correct horse battery"), &salt, &mut out).unwrap();
            out
        })
    });
    group.finish();
}
