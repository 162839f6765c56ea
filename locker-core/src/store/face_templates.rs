//! [`crate::ports::FaceTemplateStore`] for both backends, expanded per backend by
//! [`impl_face_template_store!`] (as [`super::domain_store`] does for `Store`). The SQL is shared:
//! SQLite accepts `$N` placeholders, and [`super::sql::Binds`]/[`super::rows::RowRead`]
//! hide how ids, times and bytes are stored. Tables and the trigger that deletes a guest
//! template when its rental ends are in `migrations/*/0003_face_templates.sql`.

pub(crate) const PUT_USER: &str = "INSERT INTO user_face_templates (user_id, key_id, ciphertext, updated_at) SELECT id, $2, $3, $4 FROM users WHERE id = $1 ON CONFLICT (user_id) DO UPDATE SET key_id = excluded.key_id, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at";
pub(crate) const GET_USER: &str = "SELECT key_id, ciphertext FROM user_face_templates WHERE user_id = $1";
pub(crate) const DELETE_USER: &str = "DELETE FROM user_face_templates WHERE user_id = $1";
/// Only a live rental may get a guest template.
pub(crate) const PUT_GUEST: &str = "INSERT INTO guest_face_templates (rental_id, key_id, ciphertext, created_at) SELECT id, $2, $3, $4 FROM rentals WHERE id = $1 AND state IN ('pending_payment', 'reserved', 'opening', 'active') ON CONFLICT (rental_id) DO UPDATE SET key_id = excluded.key_id, ciphertext = excluded.ciphertext, created_at = excluded.created_at";
pub(crate) const RENTAL_EXISTS: &str = "SELECT id FROM rentals WHERE id = $1";
pub(crate) const GET_GUEST: &str = "SELECT key_id, ciphertext FROM guest_face_templates WHERE rental_id = $1";
pub(crate) const DELETE_GUEST: &str = "DELETE FROM guest_face_templates WHERE rental_id = $1";

macro_rules! impl_face_template_store {
    ($store:ty, $db:ty) => {
        use $crate::domain::{Id, Timestamp};
        use $crate::face::template::SealedTemplate;
        use $crate::ports::FaceTemplateStore;
        use $crate::store::face_templates as sql;
        use $crate::store::rows::RowRead;
        use $crate::store::sql::Binds;
        use $crate::store::storage_error;
        use $crate::{Error, Result};

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        fn bind_put(
            sql: &'static str,
            owner: Id,
            sealed: &SealedTemplate,
            now: Timestamp,
        ) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            q(sql).id(Some(owner)).text(Some(sealed.key_id.clone())).bytes(Some(sealed.bytes.clone())).ts(Some(now))
        }

        impl $store {
            async fn sealed_of(&self, sql: &'static str, owner: Id) -> Result<Option<SealedTemplate>> {
                let row = q(sql)
                    .id(Some(owner))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading a face template"))?;
                row.map(|r| {
                    Ok(SealedTemplate {
                        key_id: r.text("key_id")?,
                        bytes: r.opt_bytes("ciphertext")?.unwrap_or_default(),
                    })
                })
                .transpose()
            }

            async fn delete_of(&self, sql: &'static str, owner: Id) -> Result<bool> {
                let done = q(sql)
                    .id(Some(owner))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "deleting a face template"))?;
                Ok(done.rows_affected() > 0)
            }
        }

        #[async_trait::async_trait]
        impl FaceTemplateStore for $store {
            async fn put_user_template(&self, user: Id, sealed: &SealedTemplate, now: Timestamp) -> Result<()> {
                let done = bind_put(sql::PUT_USER, user, sealed, now)
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "storing a face template"))?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("user", user));
                }
                Ok(())
            }

            async fn get_user_template(&self, user: Id) -> Result<Option<SealedTemplate>> {
                self.sealed_of(sql::GET_USER, user).await
            }

            async fn delete_user_template(&self, user: Id) -> Result<bool> {
                self.delete_of(sql::DELETE_USER, user).await
            }

            async fn put_guest_template(&self, rental: Id, sealed: &SealedTemplate, now: Timestamp) -> Result<()> {
                let done = bind_put(sql::PUT_GUEST, rental, sealed, now)
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "storing a guest face template"))?;
                if done.rows_affected() > 0 {
                    return Ok(());
                }
                let exists = q(sql::RENTAL_EXISTS)
                    .id(Some(rental))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading rental"))?
                    .is_some();
                Err(if exists {
                    Error::Conflict(format!("rental {rental} has ended; no guest face template may be stored"))
                } else {
                    Error::not_found("rental", rental)
                })
            }

            async fn get_guest_template(&self, rental: Id) -> Result<Option<SealedTemplate>> {
                self.sealed_of(sql::GET_GUEST, rental).await
            }

            async fn delete_guest_template(&self, rental: Id) -> Result<bool> {
                self.delete_of(sql::DELETE_GUEST, rental).await
            }
        }
    };
}
pub(crate) use impl_face_template_store;
