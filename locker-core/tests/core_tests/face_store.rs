//! Sealed face templates in the real stores: SQLite always, PostgreSQL when
//! `LOCKER_TEST_POSTGRES_URL` is set (a fresh database per run, dropped afterwards).
//! Ciphertext only in the database, wrong keys fail cleanly, a guest template is gone once
//! its rental ends.
#![cfg(all(feature = "face", feature = "sqlite", feature = "postgres"))]

use chrono::{TimeDelta, Utc};
use locker_core::alloc::AllocationRequest;
use locker_core::domain::*;
use locker_core::face::store::{rental_context, user_context};
use locker_core::face::template::{self, TemplateKey};
use locker_core::face::{EMBEDDING_DIM, Embedding, FaceError};
use locker_core::ports::FaceTemplateStore;
use locker_core::ports::{NewRental, Store};
use locker_core::store::postgres::PgStore;
use locker_core::store::sqlite::SqliteStore;
use locker_core::{Error, ErrorCode};
use sqlx::Connection;

fn embedding(seed: f32) -> Embedding {
    Embedding::from_raw(&(0..EMBEDDING_DIM).map(|i| (i as f32 * seed).sin()).collect::<Vec<_>>()).unwrap()
}

fn session(user: Option<Id>) -> NewRental {
    NewRental {
        user_id: user,
        kind: RentalKind::Session,
        state: RentalState::Opening,
        auth_method: AuthMethod::FaceId,
        half_hours: 0,
        amount: Money(0),
        started_at: None,
        paid_until: None,
    }
}

/// Everything the store stores for templates, read back raw, as bytes.
type RawRows = Vec<(String, Vec<u8>)>;

async fn story<S: Store + FaceTemplateStore>(s: &S, raw_user_rows: impl AsyncFnOnce() -> RawRows) {
    let t0 = Utc::now();
    let user = s
        .create_user(
            NewUser {
                email: None,
                phone: None,
                username: Some("face-user".into()),
                full_name: "Face User".into(),
                role: Role::Customer,
                password_hash: String::new(),
            },
            t0,
        )
        .await
        .unwrap();
    let key = TemplateKey::generate("k1").unwrap();
    let face = embedding(0.37);
    let sealed = template::seal(&key, &face, &user_context(user.id));
    s.put_user_template(user.id, &sealed, t0).await.unwrap();

    // At rest: the key id and ciphertext only; no run of the embedding's bytes is readable.
    let rows = raw_user_rows().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "k1");
    let plain = face.to_le_bytes();
    assert!(!rows[0].1.windows(8).any(|w| plain.windows(8).any(|p| p == w)), "plain floats in the database");
    assert!(rows[0].1.len() >= plain.len() + 28);

    // Right key opens; wrong key bytes, unknown key id or another user's row fail cleanly.
    let got = s.get_user_template(user.id).await.unwrap().unwrap();
    assert_eq!(template::open(std::slice::from_ref(&key), &got, &user_context(user.id)).unwrap(), face);
    let same_id_other_bytes = TemplateKey::generate("k1").unwrap();
    assert_eq!(template::open(&[same_id_other_bytes], &got, &user_context(user.id)), Err(FaceError::TemplateDecrypt));
    let other_id = TemplateKey::generate("k2").unwrap();
    let err = template::open(&[other_id], &got, &user_context(user.id)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TemplateUnknownKey);
    assert_eq!(template::open(&[key.clone()], &got, &user_context(new_id())), Err(FaceError::TemplateDecrypt));

    // Replace, then delete on request.
    let newer = template::seal(&key, &embedding(0.5), &user_context(user.id));
    s.put_user_template(user.id, &newer, t0).await.unwrap();
    assert_eq!(s.get_user_template(user.id).await.unwrap().unwrap(), newer);
    assert!(s.delete_user_template(user.id).await.unwrap());
    assert!(!s.delete_user_template(user.id).await.unwrap());
    assert_eq!(s.get_user_template(user.id).await.unwrap(), None);
    assert!(matches!(s.put_user_template(new_id(), &newer, t0).await, Err(Error::NotFound { entity: "user", .. })));

    // A guest template lives with its rental and is gone when the rental ends.
    let lockers = s
        .create_lockers(
            (1..=2)
                .map(|i| NewLocker {
                    code: format!("F0{i}"),
                    station: "ST1".into(),
                    location: "Floor 1".into(),
                    size: LockerSize::Small,
                    controller_id: None,
                    relay_channel: i,
                    sensor_channel: i,
                    price_per_hour: Money(100),
                })
                .collect(),
            t0,
        )
        .await
        .unwrap();
    assert_eq!(lockers.len(), 2);
    let req = AllocationRequest::new(LockerSize::Small);
    let t1 = t0 + TimeDelta::seconds(1);
    let (rental, _) =
        s.allocate_and_create_rental(&req, session(None), NewTxLog::new(TxAction::CheckIn, t1), t1).await.unwrap();
    let guest = template::seal(&key, &face, &rental_context(rental.id));
    s.put_guest_template(rental.id, &guest, t1).await.unwrap();
    let stored = s.get_guest_template(rental.id).await.unwrap().unwrap();
    assert_eq!(template::open(&[key.clone()], &stored, &rental_context(rental.id)).unwrap(), face);

    let t2 = t1 + TimeDelta::minutes(5);
    let ended = Rental { state: RentalState::Cancelled, ended_at: Some(t2), ..rental.clone() };
    s.transition_rental(
        rental.id,
        RentalState::Opening,
        &ended,
        Some(LockerStatus::Available),
        NewTxLog::new(TxAction::Cancel, t2),
    )
    .await
    .unwrap();
    assert_eq!(s.get_guest_template(rental.id).await.unwrap(), None, "guest template outlived its rental");
    let err = s.put_guest_template(rental.id, &guest, t2).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
    assert!(matches!(s.put_guest_template(new_id(), &guest, t2).await, Err(Error::NotFound { entity: "rental", .. })));

    // Deletable by rental id while the rental is live (the service calls this at check-out).
    let (live, _) =
        s.allocate_and_create_rental(&req, session(None), NewTxLog::new(TxAction::CheckIn, t2), t2).await.unwrap();
    s.put_guest_template(live.id, &template::seal(&key, &face, &rental_context(live.id)), t2).await.unwrap();
    assert!(s.delete_guest_template(live.id).await.unwrap());
    assert_eq!(s.get_guest_template(live.id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_only_ciphertext_and_drops_guest_templates_with_the_rental() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("locker.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    story(&store, async || {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_as::<_, (String, Vec<u8>)>("SELECT key_id, ciphertext FROM user_face_templates")
            .fetch_all(&mut c)
            .await
            .unwrap()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_only_ciphertext_and_drops_guest_templates_with_the_rental() {
    // Empty counts as unset, as in `locker_core::testing::postgres`.
    let Some(admin_url) = std::env::var("LOCKER_TEST_POSTGRES_URL").ok().filter(|u| !u.trim().is_empty()) else {
        eprintln!("LOCKER_TEST_POSTGRES_URL not set: PostgreSQL face template test skipped");
        return;
    };
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("LOCKER_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}"));
    let db = format!("locker_face_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut admin).await.unwrap();
    let url = format!("{}/{db}", admin_url.rsplit_once('/').expect("URL with a database path").0);
    let store = PgStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let outcome = tokio::spawn({
        let url = url.clone();
        async move {
            story(&store, async || {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                sqlx::query_as::<_, (String, Vec<u8>)>("SELECT key_id, ciphertext FROM user_face_templates")
                    .fetch_all(&mut c)
                    .await
                    .unwrap()
            })
            .await;
        }
    })
    .await;
    let drop_sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop_sql)).execute(&mut admin).await.unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
