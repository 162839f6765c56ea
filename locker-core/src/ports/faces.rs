//! [`FaceTemplateStore`]: where sealed face templates live.

use crate::Result;
use crate::domain::{Id, Timestamp};
use crate::face::template::SealedTemplate;

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
