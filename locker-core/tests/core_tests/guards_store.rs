//! The lockout records and idempotency keys on the real stores (issue 18 items 4 and 6): a
//! SQLite file always, PostgreSQL when `LOCKER_TEST_POSTGRES_URL` is set.
#![cfg(all(feature = "test-utils", feature = "sqlite", feature = "postgres"))]

use chrono::TimeDelta;
use locker_core::ports::{IdempotencyClaim, StoredResponse};
use locker_core::token::lockout::{LockoutPolicy, Standing};

fn t0() -> locker_core::domain::Timestamp {
    chrono::DateTime::from_timestamp(1_768_730_400, 0).unwrap()
}

/// Concurrent failures of one account are serialised: none is lost, so a distributed
/// guesser cannot slip extra guesses through a race.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_failures_of_one_account_are_all_counted() {
    for db in locker_core::testing::databases().await {
        let store = locker_core::store::open(&db.url).await.unwrap();
        let policy = LockoutPolicy { threshold: 12, ..LockoutPolicy::default() };
        let tasks: Vec<_> = (0..11)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.record_login_failure("acct", &policy, t0()).await.unwrap() })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let record = store.login_failures("acct").await.unwrap();
        assert_eq!(policy.standing(record.as_ref(), t0()), Standing::Open { remaining: 1 }, "{}", db.backend);
        let locked = store.record_login_failure("acct", &policy, t0()).await.unwrap();
        assert_eq!(locked.locked_until, Some(t0() + TimeDelta::minutes(5)), "{}", db.backend);
        assert_eq!(store.login_failures("other").await.unwrap(), None);
        // Swept once expired (by the next write), cleared on demand.
        let later = t0() + TimeDelta::days(2);
        store.record_login_failure("other", &policy, later).await.unwrap();
        assert_eq!(store.login_failures("acct").await.unwrap(), None, "{}: expired rows are swept", db.backend);
        assert!(store.clear_login_failures("other").await.unwrap());
        assert!(!store.clear_login_failures("other").await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_claim_replay_refuse_and_expire() {
    for db in locker_core::testing::databases().await {
        let store = locker_core::store::open(&db.url).await.unwrap();
        let day_ago = t0() - TimeDelta::hours(24);
        assert_eq!(store.claim_idempotency_key("k", &[1; 32], t0(), day_ago).await.unwrap(), IdempotencyClaim::Claimed);
        assert_eq!(
            store.claim_idempotency_key("k", &[1; 32], t0(), day_ago).await.unwrap(),
            IdempotencyClaim::InFlight
        );
        assert_eq!(
            store.claim_idempotency_key("k", &[2; 32], t0(), day_ago).await.unwrap(),
            IdempotencyClaim::Mismatch
        );
        let answer =
            StoredResponse { status: 200, content_type: Some("application/json".into()), body: b"{}".to_vec() };
        store.finish_idempotency_key("k", &answer).await.unwrap();
        let again = store.claim_idempotency_key("k", &[1; 32], t0(), day_ago).await.unwrap();
        assert_eq!(again, IdempotencyClaim::Done(answer), "{}", db.backend);
        // A released claim (bad input) may run again; a finished one may not be released.
        store.release_idempotency_key("k").await.unwrap();
        assert!(matches!(
            store.claim_idempotency_key("k", &[1; 32], t0(), day_ago).await.unwrap(),
            IdempotencyClaim::Done(_)
        ));
        assert_eq!(store.claim_idempotency_key("j", &[1; 32], t0(), day_ago).await.unwrap(), IdempotencyClaim::Claimed);
        store.release_idempotency_key("j").await.unwrap();
        assert_eq!(store.claim_idempotency_key("j", &[1; 32], t0(), day_ago).await.unwrap(), IdempotencyClaim::Claimed);
        // Forgotten after 24 hours.
        let next_day = t0() + TimeDelta::hours(24);
        let fresh = store.claim_idempotency_key("k", &[1; 32], next_day, next_day - TimeDelta::hours(24)).await;
        assert_eq!(fresh.unwrap(), IdempotencyClaim::Claimed, "{}", db.backend);
    }
}
