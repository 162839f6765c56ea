//! [`RevocationStore`]: whether an access token's login is still on, and ending logins.
//! The mechanism is described in [`crate::token::revocation`].

use crate::Result;
use crate::domain::Id;
use crate::token::revocation::AccessStanding;

/// Where logins (refresh families) are ended and looked up. Implemented by the SQL stores,
/// so every surface and every server process on one database sees the same answer.
#[async_trait::async_trait]
pub trait RevocationStore: Send + Sync {
    /// The role and active flag of `user` and whether its login `login` (a refresh family
    /// of that user) still holds an active refresh token, in one query; `None` if there is
    /// no such user. The hot path of every bearer check.
    async fn access_standing(&self, user: Id, login: Id) -> Result<Option<AccessStanding>>;
    /// Ends login `login` of `user` (logout): revokes its refresh tokens; a family of
    /// another user is left alone. Returns how many tokens changed.
    async fn revoke_login(&self, user: Id, login: Id) -> Result<u64>;
    /// Ends every login of `user` ("log out everywhere", a disabled account): revokes all
    /// its refresh tokens. [`crate::Error::NotFound`] if there is no such user.
    async fn revoke_user(&self, user: Id) -> Result<u64>;
}
