//! [`crate::ports::LoginFailureStore`] and [`crate::ports::IdempotencyStore`] for both
//! backends, written once and expanded per backend by [`impl_guard_stores!`].
//!
//! Tables (migration `0008_guards.sql`): `login_failures` (one row per account key, with
//! `expires_at` so old rows are swept by the next write) and `idempotency_keys` (one row per
//! scoped key: fingerprint, `done`, the stored answer; swept after 24 hours).
//!
//! A backend provides `LOCK_ACCOUNT`: the statement that serialises failures of one account
//! inside a write transaction (PostgreSQL an advisory lock, since the row may not exist yet;
//! SQLite none, `BEGIN IMMEDIATE` already holds the database's write lock).

pub(crate) const SELECT_FAILURES: &str =
    "SELECT failures, window_start, lockouts, locked_until, last_failure FROM login_failures WHERE account = $1";
pub(crate) const UPSERT_FAILURES: &str = "INSERT INTO login_failures (account, failures, window_start, lockouts, locked_until, last_failure, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, lockouts = excluded.lockouts, locked_until = excluded.locked_until, last_failure = excluded.last_failure, expires_at = excluded.expires_at";
pub(crate) const SWEEP_FAILURES: &str = "DELETE FROM login_failures WHERE expires_at <= $1";
pub(crate) const DELETE_FAILURES: &str = "DELETE FROM login_failures WHERE account = $1";

pub(crate) const SWEEP_KEYS: &str = "DELETE FROM idempotency_keys WHERE created_at <= $1";
pub(crate) const CLAIM_KEY: &str = "INSERT INTO idempotency_keys (key, fingerprint, created_at, done) VALUES ($1, $2, $3, FALSE) ON CONFLICT (key) DO NOTHING";
pub(crate) const SELECT_KEY: &str =
    "SELECT fingerprint, done, status, content_type, body FROM idempotency_keys WHERE key = $1";
pub(crate) const FINISH_KEY: &str =
    "UPDATE idempotency_keys SET done = TRUE, status = $2, content_type = $3, body = $4 WHERE key = $1";
pub(crate) const DELETE_KEY: &str = "DELETE FROM idempotency_keys WHERE key = $1 AND done = FALSE";

macro_rules! impl_guard_stores {
    ($store:ty, $db:ty) => {
        use $crate::Result;
        use $crate::domain::Timestamp;
        use $crate::ports::{IdempotencyClaim, IdempotencyStore, LoginFailureStore, StoredResponse};
        use $crate::store::guards as sql;
        use $crate::store::rows::{RowRead, corrupt};
        use $crate::store::sql::Binds;
        use $crate::store::storage_error;
        use $crate::token::lockout::{LockoutPolicy, LoginFailures};

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        fn failures_row(r: &impl RowRead) -> Result<LoginFailures> {
            Ok(LoginFailures {
                failures: r.narrow("failures")?,
                window_start: r.ts("window_start")?,
                lockouts: r.narrow("lockouts")?,
                locked_until: r.opt_ts("locked_until")?,
                last_failure: r.ts("last_failure")?,
            })
        }

        #[async_trait::async_trait]
        impl LoginFailureStore for $store {
            async fn login_failures(&self, account: &str) -> Result<Option<LoginFailures>> {
                let row = q(sql::SELECT_FAILURES)
                    .text(Some(account.to_owned()))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading login failures"))?;
                row.as_ref().map(failures_row).transpose()
            }

            async fn record_login_failure(
                &self,
                account: &str,
                policy: &LockoutPolicy,
                now: Timestamp,
            ) -> Result<LoginFailures> {
                let mut tx = self.begin_write().await?;
                if let Some(lock) = <$store>::LOCK_ACCOUNT {
                    q(lock)
                        .text(Some(account.to_owned()))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| storage_error(e, "locking an account's failures"))?;
                }
                let old = q(sql::SELECT_FAILURES)
                    .text(Some(account.to_owned()))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "reading login failures"))?;
                let old = old.as_ref().map(failures_row).transpose()?;
                let new = policy.fail(old, now);
                q(sql::SWEEP_FAILURES)
                    .ts(Some(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "sweeping login failures"))?;
                q(sql::UPSERT_FAILURES)
                    .text(Some(account.to_owned()))
                    .int(Some(i64::from(new.failures)))
                    .ts(Some(new.window_start))
                    .int(Some(i64::from(new.lockouts)))
                    .ts(new.locked_until)
                    .ts(Some(new.last_failure))
                    .ts(Some(policy.expires_at(&new)))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "recording a login failure"))?;
                tx.commit().await.map_err(|e| storage_error(e, "committing"))?;
                Ok(new)
            }

            async fn clear_login_failures(&self, account: &str) -> Result<bool> {
                let done = q(sql::DELETE_FAILURES)
                    .text(Some(account.to_owned()))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "clearing login failures"))?;
                Ok(done.rows_affected() > 0)
            }
        }

        #[async_trait::async_trait]
        impl IdempotencyStore for $store {
            async fn claim_idempotency_key(
                &self,
                key: &str,
                fingerprint: &[u8; 32],
                now: Timestamp,
                expired_before: Timestamp,
            ) -> Result<IdempotencyClaim> {
                let mut tx = self.begin_write().await?;
                q(sql::SWEEP_KEYS)
                    .ts(Some(expired_before))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "sweeping idempotency keys"))?;
                let inserted = q(sql::CLAIM_KEY)
                    .text(Some(key.to_owned()))
                    .bytes(Some(fingerprint.to_vec()))
                    .ts(Some(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "claiming an idempotency key"))?
                    .rows_affected();
                let claim = if inserted == 1 {
                    IdempotencyClaim::Claimed
                } else {
                    let row = q(sql::SELECT_KEY)
                        .text(Some(key.to_owned()))
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| storage_error(e, "reading an idempotency key"))?;
                    let stored = row.opt_bytes("fingerprint")?.unwrap_or_default();
                    if !$crate::token::ct_eq(&stored, fingerprint) {
                        IdempotencyClaim::Mismatch
                    } else if !row.flag("done")? {
                        IdempotencyClaim::InFlight
                    } else {
                        IdempotencyClaim::Done(StoredResponse {
                            status: row.narrow("status")?,
                            content_type: row.opt_text("content_type")?,
                            body: row.opt_bytes("body")?.ok_or_else(|| corrupt("body", "NULL"))?,
                        })
                    }
                };
                tx.commit().await.map_err(|e| storage_error(e, "committing"))?;
                Ok(claim)
            }

            async fn finish_idempotency_key(&self, key: &str, response: &StoredResponse) -> Result<()> {
                q(sql::FINISH_KEY)
                    .text(Some(key.to_owned()))
                    .int(Some(i64::from(response.status)))
                    .text(response.content_type.clone())
                    .bytes(Some(response.body.clone()))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "storing an idempotent answer"))?;
                Ok(())
            }

            async fn release_idempotency_key(&self, key: &str) -> Result<()> {
                q(sql::DELETE_KEY)
                    .text(Some(key.to_owned()))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "releasing an idempotency key"))?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_guard_stores;
