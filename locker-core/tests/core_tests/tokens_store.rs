//! The token rules on the real stores: a SQLite file always, PostgreSQL when
//! `LOCKER_TEST_POSTGRES_URL` is set (a fresh database per test, dropped afterwards; set but
//! unreachable fails). Each test runs the same story on every backend.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use locker_core::domain::{NewController, NewUser, Role};
use locker_core::ports::Store;
use locker_core::ports::TokenStore;
use locker_core::token::otp::{FileOutbox, Otp, OtpPolicy};
use locker_core::token::pickup::PickupCodes;
use locker_core::token::qr::{KeyId, QrAction, QrKey, QrKeyring};
use locker_core::token::{OtpError, Pepper, TokenError, apikey, refresh};
use locker_core::{Error, ErrorCode, store};

struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    tokens: Arc<dyn TokenStore>,
    _drop: Option<DropDb>,
    _dir: tempfile::TempDir,
}

/// Drops the PostgreSQL test database at the end of the test, even on panic.
struct DropDb(String, String);

impl Drop for DropDb {
    fn drop(&mut self) {
        let (admin, db) = (self.0.clone(), self.1.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sqlx::Connection as _;
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                }
            })
        })
        .join();
    }
}

async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("tokens.db").display());
    let db = store::open(&url).await.expect("open SQLite");
    let mut out = vec![Backend { name: "sqlite", store: db.clone(), tokens: db, _drop: None, _dir: dir }];
    if let Ok(admin) = std::env::var("LOCKER_TEST_POSTGRES_URL").map(|u| u.trim().to_owned()) {
        if !admin.is_empty() {
            use sqlx::Connection as _;
            let mut c = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("LOCKER_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}"));
            let db = format!("locker_tokens_{}", uuid::Uuid::new_v4().simple());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut c).await.unwrap();
            let guard = DropDb(admin.clone(), db.clone());
            let (base, _) = admin.rsplit_once('/').expect("URL with a database path");
            let opened = store::open(&format!("{base}/{db}")).await.expect("open PostgreSQL");
            out.push(Backend {
                name: "postgres",
                store: opened.clone(),
                tokens: opened,
                _drop: Some(guard),
                _dir: tempfile::tempdir().unwrap(),
            });
        }
    }
    out
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_768_730_400, 0).unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn token_err(e: Error) -> TokenError {
    match e {
        Error::Token(t) => t,
        other => panic!("expected a token error, got {other:?}"),
    }
}

async fn new_user(store: &dyn Store, email: &str) -> uuid::Uuid {
    let new = NewUser {
        email: Some(email.into()),
        phone: None,
        username: None,
        full_name: "Test User".into(),
        role: Role::Customer,
        password_hash: String::new(),
    };
    store.create_user(new, t0()).await.unwrap().id
}

#[tokio::test]
async fn replayed_qr_token_is_refused_and_concurrent_scans_admit_one() {
    for b in backends().await {
        let ring = QrKeyring::with_key(KeyId(1), QrKey::ed25519_from_seed(&[42; 32]));
        let issued = ring.issue(QrAction::CheckIn, uuid::Uuid::now_v7(), None, t0()).unwrap();
        let claims = ring.verify(&issued.token, t0() + secs(1)).unwrap();
        b.tokens.mark_qr_used(&claims.token_id, claims.expires_at, t0() + secs(1)).await.unwrap();
        let replay = b.tokens.mark_qr_used(&claims.token_id, claims.expires_at, t0() + secs(2)).await.unwrap_err();
        assert_eq!(replay.code(), ErrorCode::QrUsed, "{}", b.name);

        // Eight kiosks scan the same fresh token at once: exactly one wins.
        let other = ring.issue(QrAction::CheckIn, uuid::Uuid::now_v7(), None, t0()).unwrap().claims;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let tokens = b.tokens.clone();
                let c = other.clone();
                tokio::spawn(async move { tokens.mark_qr_used(&c.token_id, c.expires_at, t0()).await })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => wins += 1,
                Err(e) => assert_eq!(e.code(), ErrorCode::QrUsed, "{}: {e}", b.name),
            }
        }
        assert_eq!(wins, 1, "{}", b.name);
        // Purging rows that expired removes both.
        assert_eq!(b.tokens.purge_used_qr(t0() + secs(3600)).await.unwrap(), 2, "{}", b.name);
    }
}

#[tokio::test]
async fn refresh_rotation_reuse_and_logout() {
    for b in backends().await {
        let user = new_user(b.store.as_ref(), "r@example.com").await;
        let tokens = b.tokens.as_ref();
        let first = refresh::login(tokens, user, t0(), 3600).await.unwrap();
        let second = refresh::refresh(tokens, &first.token, t0() + secs(10), 3600).await.unwrap();
        let third = refresh::refresh(tokens, &second.token, t0() + secs(20), 3600).await.unwrap();
        assert_eq!(third.record.family_id, first.record.family_id);
        let stored = tokens.find_refresh(&third.record.token_hash).await.unwrap().unwrap();
        assert_eq!(stored, third.record, "{}: round trip", b.name);
        // Reuse of a rotated token revokes the whole family, the current token included.
        let reuse = refresh::refresh(tokens, &first.token, t0() + secs(30), 3600).await.unwrap_err();
        assert_eq!(token_err(reuse), TokenError::Reused, "{}", b.name);
        let after = refresh::refresh(tokens, &third.token, t0() + secs(31), 3600).await.unwrap_err();
        assert_eq!(token_err(after), TokenError::Revoked, "{}", b.name);

        // Concurrent refreshes of one token: one rotates, the rest are reuse.
        let session = refresh::login(tokens, user, t0(), 3600).await.unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let store = b.tokens.clone();
                let token = session.token.clone();
                tokio::spawn(async move { refresh::refresh(store.as_ref(), &token, t0() + secs(5), 3600).await })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                // A loser either detects the reuse itself or finds the family already revoked.
                Err(e) => {
                    let e = token_err(e);
                    assert!(matches!(e, TokenError::Reused | TokenError::Revoked), "{}: {e:?}", b.name);
                }
            }
        }
        assert_eq!(ok, 1, "{}", b.name);

        // Logout revokes.
        let live = refresh::login(tokens, user, t0(), 3600).await.unwrap();
        refresh::logout(tokens, &live.token).await.unwrap();
        let gone = refresh::refresh(tokens, &live.token, t0() + secs(1), 3600).await.unwrap_err();
        assert_eq!(token_err(gone), TokenError::Revoked, "{}", b.name);
    }
}

#[tokio::test]
async fn otp_attempts_sends_and_voiding_persist() {
    for b in backends().await {
        let outbox = FileOutbox::new(b._dir.path().join(format!("{}-outbox.jsonl", b.name)));
        let otp = Otp::new(Pepper::new([3; 32]), OtpPolicy::default());
        let tokens = b.tokens.as_ref();
        let otp_err = |e: Error| match token_err(e) {
            TokenError::Otp(o) => o,
            other => panic!("expected an OTP error, got {other:?}"),
        };

        // 5 wrong tries, then the right code: refused.
        otp.request(tokens, &outbox, "a@example.com", t0()).await.unwrap();
        let code = outbox.read_all().unwrap().last().unwrap().code.clone();
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for _ in 0..5 {
            let e = otp.verify(tokens, "a@example.com", wrong, t0() + secs(1)).await.unwrap_err();
            assert_eq!(otp_err(e), OtpError::Invalid, "{}", b.name);
        }
        let e = otp.verify(tokens, "a@example.com", &code, t0() + secs(2)).await.unwrap_err();
        assert_eq!(otp_err(e), OtpError::TooManyAttempts, "{}", b.name);

        // Within 60 s: refused; a new code voids the old; the right code works once.
        let e = otp.request(tokens, &outbox, "a@example.com", t0() + secs(30)).await.unwrap_err();
        assert_eq!(otp_err(e), OtpError::TooManyRequests, "{}", b.name);
        otp.request(tokens, &outbox, "a@example.com", t0() + secs(60)).await.unwrap();
        let second = outbox.read_all().unwrap().last().unwrap().code.clone();
        otp.verify(tokens, "a@example.com", &second, t0() + secs(61)).await.unwrap();
        let e = otp.verify(tokens, "a@example.com", &second, t0() + secs(62)).await.unwrap_err();
        assert_eq!(otp_err(e), OtpError::AlreadyUsed, "{}", b.name);

        // Third send fine, fourth in the same day refused; the record stores only a hash.
        otp.request(tokens, &outbox, "a@example.com", t0() + secs(3600)).await.unwrap();
        let e = otp.request(tokens, &outbox, "a@example.com", t0() + secs(7200)).await.unwrap_err();
        assert_eq!(otp_err(e), OtpError::TooManyRequests, "{}", b.name);
        let live = tokens.live_otp("a@example.com").await.unwrap().unwrap();
        assert_eq!(live.attempts, 0);
        assert!(!live.voided);
        assert_eq!(outbox.read_all().unwrap().len(), 3, "{}: refused sends are not delivered", b.name);

        // Parallel guesses cannot exceed the budget of 5 tries.
        otp.request(tokens, &outbox, "p@example.com", t0()).await.unwrap();
        let code = outbox.read_all().unwrap().last().unwrap().code.clone();
        let wrong = if code == "123456" { "654321" } else { "123456" };
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (store, otp) = (b.tokens.clone(), otp.clone());
                tokio::spawn(async move { otp.verify(store.as_ref(), "p@example.com", wrong, t0() + secs(1)).await })
            })
            .collect();
        let mut invalid = 0;
        for t in tasks {
            if otp_err(t.await.unwrap().unwrap_err()) == OtpError::Invalid {
                invalid += 1;
            }
        }
        assert_eq!(invalid, 5, "{}: exactly five tries were compared", b.name);
    }
}

#[tokio::test]
async fn pickup_codes_are_unique_per_cabinet_and_single_use() {
    for b in backends().await {
        let codes = PickupCodes::new(Pepper::new([9; 32]));
        let tokens = b.tokens.as_ref();
        let rental = uuid::Uuid::now_v7();
        let (code, record) = codes.issue(tokens, "CAB-1", rental, t0(), t0() + secs(3600)).await.unwrap();
        // The same hash cannot be live twice at one cabinet ...
        let mut clash = record.clone();
        clash.id = uuid::Uuid::now_v7();
        assert_eq!(tokens.insert_pickup(&clash).await.unwrap_err().code(), ErrorCode::AlreadyExists, "{}", b.name);
        // ... but may be at another cabinet.
        clash.cabinet = "CAB-2".into();
        tokens.insert_pickup(&clash).await.unwrap();
        assert_eq!(codes.redeem(tokens, "CAB-1", &code, t0() + secs(5)).await.unwrap(), rental, "{}", b.name);
        let again = codes.redeem(tokens, "CAB-1", &code, t0() + secs(6)).await.unwrap_err();
        assert_eq!(token_err(again), TokenError::PickupCodeInvalid, "{}", b.name);
        // Once used, the code is free for a new rental at that cabinet.
        let mut reuse = record.clone();
        reuse.id = uuid::Uuid::now_v7();
        tokens.insert_pickup(&reuse).await.unwrap();
    }
}

#[tokio::test]
async fn device_api_keys_are_stored_hashed_and_rotate() {
    for b in backends().await {
        let new = NewController { name: "ESP32_001".into(), station: "S1".into(), api_key_hash: None };
        let controller = b.store.create_controller(new, t0()).await.unwrap().id;
        let tokens = b.tokens.as_ref();
        let old = apikey::rotate(tokens, controller).await.unwrap();
        assert_eq!(apikey::authenticate(tokens, &old).await.unwrap(), controller, "{}", b.name);
        let new = apikey::rotate(tokens, controller).await.unwrap();
        assert_eq!(apikey::authenticate(tokens, &new).await.unwrap(), controller, "{}", b.name);
        let e = apikey::authenticate(tokens, &old).await.unwrap_err();
        assert_eq!(token_err(e), TokenError::InvalidCredentials, "{}", b.name);
        let missing = apikey::rotate(tokens, uuid::Uuid::now_v7()).await.unwrap_err();
        assert_eq!(missing.code(), ErrorCode::NotFound, "{}", b.name);
    }
}
