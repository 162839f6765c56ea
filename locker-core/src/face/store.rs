//! Persistence port for sealed face templates (biometric data, encrypted before it reaches
//! the store): a registered user's template, and a guest's template tied to one rental.
//!
//! The store keeps only ciphertext and the key id ([`SealedTemplate`]); sealing and opening
//! happen in the caller with [`super::template`] and the contexts below, which bind each
//! ciphertext to its owner so it cannot be moved to another row. A guest template is deleted
//! by the database itself when its rental ends (completed, cancelled or expired), and can be
//! deleted earlier with [`FaceTemplateStore::delete_guest_template`].
//! Implemented by `store::sqlite::SqliteStore` and `store::postgres::PgStore`.

use super::template::SealedTemplate;
use crate::Result;
use crate::domain::{Id, Timestamp};

/// The associated-data context for a user's template.
pub fn user_context(user: Id) -> Vec<u8> {
    format!("face:user:{user}").into_bytes()
}

/// The associated-data context for a rental's guest template.
pub fn rental_context(rental: Id) -> Vec<u8> {
    format!("face:rental:{rental}").into_bytes()
}

/// Where sealed face templates live.
#[async_trait::async_trait]
pub trait FaceTemplateStore: Send + Sync {
    /// Stores (or replaces) user `user`'s template. [`crate::Error::NotFound`] if there is
    /// no such user.
    async fn put_user_template(&self, user: Id, sealed: &SealedTemplate, now: Timestamp) -> Result<()>;
    /// User `user`'s template, if any.
    async fn get_user_template(&self, user: Id) -> Result<Option<SealedTemplate>>;
    /// Deletes user `user`'s template; returns whether there was one.
    async fn delete_user_template(&self, user: Id) -> Result<bool>;
    /// Stores (or replaces) the guest template of rental `rental`, which must be live
    /// (otherwise [`crate::Error::Conflict`]; [`crate::Error::NotFound`] if it does not exist).
    async fn put_guest_template(&self, rental: Id, sealed: &SealedTemplate, now: Timestamp) -> Result<()>;
    /// Rental `rental`'s guest template, if any (none once the rental has ended).
    async fn get_guest_template(&self, rental: Id) -> Result<Option<SealedTemplate>>;
    /// Deletes rental `rental`'s guest template; returns whether there was one.
    async fn delete_guest_template(&self, rental: Id) -> Result<bool>;
}
