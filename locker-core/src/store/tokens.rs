//! [`crate::ports::TokenStore`] for both backends, written once.
//!
//! Like `store::domain_store`, `impl_token_store!` expands the same code per backend with its
//! concrete sqlx types; values go through the backend's `sql::Binds` and
//! `rows::RowRead`, and SQL uses `$N` placeholders (SQLite accepts them). A backend
//! provides, besides what `impl_store!` needs, `LOCK_OTP_ADDRESS`: the statement that
//! serialises OTP sends to one address inside a write transaction (PostgreSQL an advisory
//! lock; SQLite none, `BEGIN IMMEDIATE` already holds the database's write lock).
//!
//! Tables (migration `0002_tokens.sql`): `qr_used` (token id PRIMARY KEY: the single-use
//! guarantee), `refresh_tokens`, `otp_codes`, `pickup_codes` (partial UNIQUE index on live
//! codes per cabinet) and the `api_key_hash` column of `controllers` (UNIQUE).

macro_rules! impl_token_store {
    ($store:ty, $db:ty) => {
        use $crate::domain::{Id, Timestamp};
        use $crate::store::rows::{RowRead, corrupt};
        use $crate::store::sql::Binds;
        use $crate::store::{micros, storage_error, write_error};
        use $crate::token::TokenError;
        use $crate::token::otp::OtpRecord;
        use $crate::token::pickup::PickupRecord;
        use $crate::token::qr::QrTokenId;
        use $crate::token::refresh::{RefreshRecord, RefreshState};
        use $crate::ports::{SendCheck, TokenStore};
        use $crate::{Error, Result};

        type Row = <$db as sqlx::Database>::Row;

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        fn hash32(row: &Row, col: &str) -> Result<[u8; 32]> {
            let bytes = row.opt_bytes(col)?.ok_or_else(|| corrupt(col, "NULL"))?;
            bytes.try_into().map_err(|_| corrupt(col, "not 32 bytes"))
        }

        fn refresh_row(row: &Row) -> Result<RefreshRecord> {
            let state = row.text("state")?;
            Ok(RefreshRecord {
                token_hash: hash32(row, "token_hash")?,
                family_id: row.id("family_id")?,
                user_id: row.id("user_id")?,
                state: RefreshState::parse(&state).ok_or_else(|| corrupt("state", state))?,
                issued_at: row.ts("issued_at")?,
                expires_at: row.ts("expires_at")?,
            })
        }

        fn otp_row(row: &Row) -> Result<OtpRecord> {
            Ok(OtpRecord {
                id: row.id("id")?,
                address: row.text("address")?,
                code_hash: hash32(row, "code_hash")?,
                created_at: row.ts("created_at")?,
                expires_at: row.ts("expires_at")?,
                attempts: row.narrow("attempts")?,
                used_at: row.opt_ts("used_at")?,
                voided: row.flag("voided")?,
            })
        }

        fn pickup_row(row: &Row) -> Result<PickupRecord> {
            Ok(PickupRecord {
                id: row.id("id")?,
                cabinet: row.text("cabinet")?,
                rental_id: row.id("rental_id")?,
                code_hash: hash32(row, "code_hash")?,
                created_at: row.ts("created_at")?,
                expires_at: row.ts("expires_at")?,
                used_at: row.opt_ts("used_at")?,
            })
        }

        fn bind_refresh<Q: Binds>(q: Q, r: &RefreshRecord) -> Q {
            q.bytes(Some(r.token_hash.to_vec()))
                .id(Some(r.family_id))
                .id(Some(r.user_id))
                .text(Some(r.state.as_str().to_owned()))
                .ts(Some(micros(r.issued_at)))
                .ts(Some(micros(r.expires_at)))
        }

        impl $store {
            async fn insert_refresh_in(
                exec: impl sqlx::Executor<'_, Database = $db>,
                record: &RefreshRecord,
            ) -> Result<()> {
                bind_refresh(
                    q("INSERT INTO refresh_tokens (token_hash, family_id, user_id, state, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)"),
                    record,
                )
                .execute(exec)
                .await
                .map_err(|e| write_error(e, "storing a refresh token", "user_id", |_| None))?;
                Ok(())
            }

            async fn compare_and_use(&self, table: &'static str, sql: &'static str, id: Id, now: Timestamp) -> Result<bool> {
                let done = q(sql)
                    .ts(Some(micros(now)))
                    .id(Some(id))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, &format!("using a {table} row")))?;
                Ok(done.rows_affected() == 1)
            }
        }

        #[async_trait::async_trait]
        impl TokenStore for $store {
            async fn mark_qr_used(&self, token_id: &QrTokenId, expires_at: Timestamp, now: Timestamp) -> Result<()> {
                q("INSERT INTO qr_used (token_id, expires_at, used_at) VALUES ($1, $2, $3)")
                    .bytes(Some(token_id.0.to_vec()))
                    .ts(Some(micros(expires_at)))
                    .ts(Some(micros(now)))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| write_error(e, "recording a used QR token", "token_id", |_| Some(TokenError::QrUsed.into())))?;
                Ok(())
            }

            async fn purge_used_qr(&self, before: Timestamp) -> Result<u64> {
                let done = q("DELETE FROM qr_used WHERE expires_at < $1")
                    .ts(Some(micros(before)))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "purging used QR tokens"))?;
                Ok(done.rows_affected())
            }

            async fn insert_refresh(&self, record: &RefreshRecord) -> Result<()> {
                Self::insert_refresh_in(&mut *self.writes().await?, record).await
            }

            async fn find_refresh(&self, token_hash: &[u8; 32]) -> Result<Option<RefreshRecord>> {
                let row = q("SELECT token_hash, family_id, user_id, state, issued_at, expires_at FROM refresh_tokens WHERE token_hash = $1")
                    .bytes(Some(token_hash.to_vec()))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading a refresh token"))?;
                row.as_ref().map(refresh_row).transpose()
            }

            async fn rotate_refresh(&self, old_hash: &[u8; 32], next: &RefreshRecord) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                // Serialise with revocations of this user (see `store::revocations`).
                q(<$store>::LOCK_USER)
                    .id(Some(next.user_id))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "locking a user's logins"))?;
                let done = q("UPDATE refresh_tokens SET state = 'rotated' WHERE token_hash = $1 AND state = 'active'")
                    .bytes(Some(old_hash.to_vec()))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "rotating a refresh token"))?;
                if done.rows_affected() != 1 {
                    return Ok(false); // dropping `tx` rolls back
                }
                Self::insert_refresh_in(&mut *tx, next).await?;
                tx.commit().await.map_err(|e| storage_error(e, "committing"))?;
                Ok(true)
            }

            async fn revoke_refresh_family(&self, family_id: Id) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                if let Some(lock) = <$store>::LOCK_FAMILY_USER {
                    q(lock)
                        .id(Some(family_id))
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(|e| storage_error(e, "locking a user's logins"))?;
                }
                let done = q("UPDATE refresh_tokens SET state = 'revoked' WHERE family_id = $1 AND state <> 'revoked'")
                    .id(Some(family_id))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "revoking a refresh family"))?;
                tx.commit().await.map_err(|e| storage_error(e, "committing"))?;
                Ok(done.rows_affected())
            }

            async fn create_otp(&self, record: &OtpRecord, window_start: Timestamp, check: SendCheck<'_>) -> Result<()> {
                let mut tx = self.begin_write().await?;
                if let Some(lock) = <$store>::LOCK_OTP_ADDRESS {
                    q(lock)
                        .text(Some(record.address.clone()))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| storage_error(e, "locking an OTP address"))?;
                }
                let rows = q("SELECT created_at FROM otp_codes WHERE address = $1 AND created_at >= $2 ORDER BY created_at")
                    .text(Some(record.address.clone()))
                    .ts(Some(micros(window_start)))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "reading OTP sends"))?;
                let sends = rows.iter().map(|r| r.ts("created_at")).collect::<Result<Vec<_>>>()?;
                check(&sends)?;
                q("UPDATE otp_codes SET voided = $2 WHERE address = $1 AND NOT voided")
                    .text(Some(record.address.clone()))
                    .flag(Some(true))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "voiding older OTP codes"))?;
                q("INSERT INTO otp_codes (id, address, code_hash, created_at, expires_at, attempts, used_at, voided) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .id(Some(record.id))
                    .text(Some(record.address.clone()))
                    .bytes(Some(record.code_hash.to_vec()))
                    .ts(Some(micros(record.created_at)))
                    .ts(Some(micros(record.expires_at)))
                    .int(Some(record.attempts.into()))
                    .ts(record.used_at.map(micros))
                    .flag(Some(record.voided))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "storing an OTP code"))?;
                tx.commit().await.map_err(|e| storage_error(e, "committing"))
            }

            async fn live_otp(&self, address: &str) -> Result<Option<OtpRecord>> {
                let row = q("SELECT id, address, code_hash, created_at, expires_at, attempts, used_at, voided FROM otp_codes WHERE address = $1 AND NOT voided ORDER BY created_at DESC, id DESC LIMIT 1")
                    .text(Some(address.to_owned()))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading an OTP code"))?;
                row.as_ref().map(otp_row).transpose()
            }

            async fn add_otp_attempt(&self, id: Id) -> Result<u32> {
                let row = q("UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts")
                    .id(Some(id))
                    .fetch_optional(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "counting an OTP attempt"))?;
                row.ok_or_else(|| Error::not_found("otp", id))?.narrow("attempts")
            }

            async fn consume_otp(&self, id: Id, now: Timestamp) -> Result<bool> {
                self.compare_and_use("otp", "UPDATE otp_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL", id, now).await
            }

            async fn insert_pickup(&self, record: &PickupRecord) -> Result<()> {
                q("INSERT INTO pickup_codes (id, cabinet, rental_id, code_hash, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .id(Some(record.id))
                    .text(Some(record.cabinet.clone()))
                    .id(Some(record.rental_id))
                    .bytes(Some(record.code_hash.to_vec()))
                    .ts(Some(micros(record.created_at)))
                    .ts(Some(micros(record.expires_at)))
                    .ts(record.used_at.map(micros))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| {
                        write_error(e, "storing a pickup code", "rental_id", |_| {
                            Some(Error::AlreadyExists { entity: "pickup code", field: "code", value: record.cabinet.clone() })
                        })
                    })?;
                Ok(())
            }

            async fn find_pickup(&self, cabinet: &str, code_hash: &[u8; 32], now: Timestamp) -> Result<Option<PickupRecord>> {
                let row = q("SELECT id, cabinet, rental_id, code_hash, created_at, expires_at, used_at FROM pickup_codes WHERE cabinet = $1 AND code_hash = $2 AND used_at IS NULL AND expires_at > $3")
                    .text(Some(cabinet.to_owned()))
                    .bytes(Some(code_hash.to_vec()))
                    .ts(Some(micros(now)))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading a pickup code"))?;
                row.as_ref().map(pickup_row).transpose()
            }

            async fn consume_pickup(&self, id: Id, now: Timestamp) -> Result<bool> {
                self.compare_and_use("pickup", "UPDATE pickup_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL", id, now).await
            }

            async fn set_api_key_hash(&self, controller_id: Id, key_hash: &[u8; 32]) -> Result<()> {
                let done = q("UPDATE controllers SET api_key_hash = $2 WHERE id = $1")
                    .id(Some(controller_id))
                    .bytes(Some(key_hash.to_vec()))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "storing an API key hash"))?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("controller", controller_id));
                }
                Ok(())
            }

            async fn controller_by_api_key(&self, key_hash: &[u8; 32]) -> Result<Option<Id>> {
                let row = q("SELECT id FROM controllers WHERE api_key_hash = $1 AND active")
                    .bytes(Some(key_hash.to_vec()))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "looking up an API key"))?;
                row.as_ref().map(|r| r.id("id")).transpose()
            }
        }
    };
}
pub(crate) use impl_token_store;

/// Every storage port of one database, sharing one connection pool.
#[derive(Clone)]
pub struct Stores {
    /// Lockers, controllers, users, rentals, alerts and the log.
    pub store: std::sync::Arc<dyn crate::ports::Store>,
    /// Refresh tokens, OTPs, used QR ids, pickup codes, API keys.
    pub tokens: std::sync::Arc<dyn crate::ports::TokenStore>,
    /// Logins: the bearer check, logout, "log out everywhere" ([`crate::token::revocation`]).
    pub revocations: std::sync::Arc<dyn crate::ports::RevocationStore>,
    /// Sealed face templates.
    #[cfg(feature = "face")]
    pub faces: std::sync::Arc<dyn crate::ports::FaceTemplateStore>,
    /// All of them (seed orders, accounts and barcodes too).
    pub database: std::sync::Arc<dyn crate::ports::Database>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

impl Stores {
    /// The ports of `db`, each sharing its pool.
    pub fn new(db: std::sync::Arc<dyn crate::ports::Database>) -> Self {
        Stores {
            store: db.clone(),
            tokens: db.clone(),
            revocations: db.clone(),
            #[cfg(feature = "face")]
            faces: db.clone(),
            database: db,
        }
    }
}
