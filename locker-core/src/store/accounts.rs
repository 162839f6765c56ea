//! [`crate::ports::AccountStore`] for both backends, expanded per backend by
//! [`impl_account_store!`]. SQL is shared (`$N` placeholders); table in
//! `migrations/*/0005_user_accounts.sql`. `revoke_sessions` also writes `refresh_tokens`
//! (the table of [`super::tokens`]), in the same transaction as the cut-off.

/// Assigns a number to an existing user that has none.
pub(crate) const ASSIGN: &str =
    "INSERT INTO user_accounts (user_id) SELECT id FROM users WHERE id = $1 ON CONFLICT (user_id) DO NOTHING";
pub(crate) const NUMBER_OF: &str = "SELECT number FROM user_accounts WHERE user_id = $1";
pub(crate) const USER_OF: &str = "SELECT user_id FROM user_accounts WHERE number = $1";
pub(crate) const REVOKE_REFRESH: &str =
    "UPDATE refresh_tokens SET state = 'revoked' WHERE user_id = $1 AND state = 'active'";
pub(crate) const SET_CUTOFF: &str = "INSERT INTO user_accounts (user_id, sessions_valid_from) SELECT id, $2 FROM users WHERE id = $1 ON CONFLICT (user_id) DO UPDATE SET sessions_valid_from = excluded.sessions_valid_from";
pub(crate) const CUTOFF_OF: &str = "SELECT sessions_valid_from FROM user_accounts WHERE user_id = $1";

macro_rules! impl_account_store {
    ($store:ty, $db:ty) => {
        use $crate::domain::{Id, Timestamp};
        use $crate::ports::AccountStore;
        use $crate::store::accounts as sql;
        use $crate::store::rows::RowRead;
        use $crate::store::sql::Binds;
        use $crate::store::{micros, storage_error};
        use $crate::{Error, Result};

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        #[async_trait::async_trait]
        impl AccountStore for $store {
            async fn user_number(&self, user: Id) -> Result<i64> {
                q(sql::ASSIGN)
                    .id(Some(user))
                    .execute(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "assigning a user number"))?;
                let row = q(sql::NUMBER_OF)
                    .id(Some(user))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading a user number"))?;
                match row {
                    Some(r) => r.int("number"),
                    None => Err(Error::not_found("user", user)),
                }
            }

            async fn user_by_number(&self, number: i64) -> Result<Option<Id>> {
                let row = q(sql::USER_OF)
                    .int(Some(number))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading a user number"))?;
                row.map(|r| r.id("user_id")).transpose()
            }

            async fn revoke_sessions(&self, user: Id, now: Timestamp) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                let revoked = q(sql::REVOKE_REFRESH)
                    .id(Some(user))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "revoking refresh tokens"))?
                    .rows_affected();
                let set = q(sql::SET_CUTOFF)
                    .id(Some(user))
                    .ts(Some(micros(now)))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "revoking access tokens"))?
                    .rows_affected();
                if set == 0 {
                    return Err(Error::not_found("user", user));
                }
                tx.commit().await.map_err(|e| storage_error(e, "committing"))?;
                Ok(revoked)
            }

            async fn sessions_valid_from(&self, user: Id) -> Result<Option<Timestamp>> {
                let row = q(sql::CUTOFF_OF)
                    .id(Some(user))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading the session cut-off"))?;
                Ok(row.map(|r| r.opt_ts("sessions_valid_from")).transpose()?.flatten())
            }
        }
    };
}
pub(crate) use impl_account_store;
