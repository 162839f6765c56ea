//! [`AccountStore`]: user numbers for the seed surfaces.

use crate::Result;
use crate::domain::Id;

/// Where user numbers live.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// The user's number, assigned (1, 2, 3, ... in order of first use) if it has none.
    /// [`crate::Error::NotFound`] if there is no such user.
    async fn user_number(&self, user: Id) -> Result<i64>;
    /// The user with this number, if any.
    async fn user_by_number(&self, number: i64) -> Result<Option<Id>>;
}
