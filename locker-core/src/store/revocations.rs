//! [`crate::ports::RevocationStore`] for both backends, expanded per backend by
//! [`impl_revocation_store!`]; the mechanism is described in [`crate::token::revocation`].
//!
//! A backend provides `LOCK_USER` (a `SELECT` of the user's row that, on PostgreSQL, also
//! takes a `FOR NO KEY UPDATE` row lock until commit; on SQLite `BEGIN IMMEDIATE` already
//! serialises writers) and `LOCK_FAMILY_USER` (the same lock, found from a family id;
//! `None` on SQLite). Rotation (`store::tokens`) and both revocations take it, so a refresh
//! racing a logout cannot leave an active token behind the revocation.

/// The bearer check: role, active flag and whether the login is live, in one statement
/// (`users` by primary key, `refresh_tokens` by the partial index `refresh_tokens_live`).
pub(crate) const STANDING: &str = "SELECT u.role, u.active, EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = $2 AND r.state = 'active' AND r.user_id = u.id) AS login_live FROM users u WHERE u.id = $1";
/// A [`STANDING`] row.
pub(crate) fn standing(
    r: &impl crate::store::rows::RowRead,
) -> crate::Result<crate::token::revocation::AccessStanding> {
    Ok(crate::token::revocation::AccessStanding {
        role: r.parsed("role")?,
        active: r.flag("active")?,
        login_live: r.flag("login_live")?,
    })
}

/// Ends one login of one user.
pub(crate) const REVOKE_LOGIN: &str =
    "UPDATE refresh_tokens SET state = 'revoked' WHERE family_id = $1 AND user_id = $2 AND state <> 'revoked'";
/// Ends every login of one user.
pub(crate) const REVOKE_USER: &str =
    "UPDATE refresh_tokens SET state = 'revoked' WHERE user_id = $1 AND state = 'active'";

macro_rules! impl_revocation_store {
    ($store:ty, $db:ty) => {
        use $crate::domain::Id;
        use $crate::ports::RevocationStore;
        use $crate::store::revocations as sql;
        use $crate::store::sql::Binds;
        use $crate::store::storage_error;
        use $crate::token::revocation::AccessStanding;
        use $crate::{Error, Result};

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        #[async_trait::async_trait]
        impl RevocationStore for $store {
            async fn access_standing(&self, user: Id, login: Id) -> Result<Option<AccessStanding>> {
                if let Some(standing) = self.inline_standing(user, login)? {
                    return Ok(standing);
                }
                let row = q(sql::STANDING)
                    .id(Some(user))
                    .id(Some(login))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "checking an access token's login"))?;
                row.as_ref().map(sql::standing).transpose()
            }

            async fn revoke_login(&self, user: Id, login: Id) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                q(<$store>::LOCK_USER)
                    .id(Some(user))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "locking a user's logins"))?;
                let done = q(sql::REVOKE_LOGIN)
                    .id(Some(login))
                    .id(Some(user))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "revoking a login"))?
                    .rows_affected();
                tx.commit().await.map_err(|e| storage_error(e, "committing"))?;
                Ok(done)
            }

            async fn revoke_user(&self, user: Id) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                let found = q(<$store>::LOCK_USER)
                    .id(Some(user))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "locking a user's logins"))?;
                if found.is_none() {
                    return Err(Error::not_found("user", user));
                }
                let done = q(sql::REVOKE_USER)
                    .id(Some(user))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "revoking a user's logins"))?
                    .rows_affected();
                tx.commit().await.map_err(|e| storage_error(e, "committing"))?;
                Ok(done)
            }
        }
    };
}
pub(crate) use impl_revocation_store;
