//! [`crate::ports::AccountStore`] for both backends, expanded per backend by
//! [`impl_account_store!`]. SQL is shared (`$N` placeholders); table in
//! `migrations/*/0005_user_accounts.sql`.

/// Assigns a number to an existing user that has none.
pub(crate) const ASSIGN: &str =
    "INSERT INTO user_accounts (user_id) SELECT id FROM users WHERE id = $1 ON CONFLICT (user_id) DO NOTHING";
pub(crate) const NUMBER_OF: &str = "SELECT number FROM user_accounts WHERE user_id = $1";
pub(crate) const USER_OF: &str = "SELECT user_id FROM user_accounts WHERE number = $1";

macro_rules! impl_account_store {
    ($store:ty, $db:ty) => {
        use $crate::domain::Id;
        use $crate::ports::AccountStore;
        use $crate::store::accounts as sql;
        use $crate::store::rows::RowRead;
        use $crate::store::sql::Binds;
        use $crate::store::storage_error;
        use $crate::{Error, Result};

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        #[async_trait::async_trait]
        impl AccountStore for $store {
            async fn user_number(&self, user: Id) -> Result<i64> {
                q(sql::ASSIGN)
                    .id(Some(user))
                    .execute(&mut *self.writes().await?)
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
        }
    };
}
pub(crate) use impl_account_store;
