use serde::{Deserialize, Serialize};

use super::{Id, Money, Timestamp, string_enum};

string_enum! {
    /// What a user may do.
    Role, field = "role" {
        /// Rents lockers.
        Customer => "customer",
        /// Installs and services cabinets.
        Technician => "technician",
        /// Everything.
        Admin => "admin",
    }
}

/// A person with an account. The password hash is never serialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable id.
    pub id: Id,
    /// E-mail, unique if present.
    pub email: Option<String>,
    /// Phone, unique if present.
    pub phone: Option<String>,
    /// Login name, unique if present.
    pub username: Option<String>,
    /// Display name.
    pub full_name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string; empty for accounts without a password (OTP only).
    #[serde(skip_serializing, default)]
    pub password_hash: String,
    /// Whether the account may log in.
    pub active: bool,
    /// Prepaid balance in minor units; never negative.
    pub balance: super::Money,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl User {
    /// A zero balance, for new accounts.
    pub const NO_BALANCE: Money = Money(0);
}

/// What it takes to create an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// E-mail, unique if present.
    pub email: Option<String>,
    /// Phone, unique if present.
    pub phone: Option<String>,
    /// Login name, unique if present.
    pub username: Option<String>,
    /// Display name.
    pub full_name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string (hashed by the caller); empty for OTP-only accounts.
    #[serde(skip_serializing, default)]
    pub password_hash: String,
}

impl NewUser {
    /// Checks that the account can be found by something: an e-mail, a phone or a username.
    pub fn validate(&self) -> crate::Result<()> {
        let present = |v: &Option<String>| v.as_ref().is_some_and(|s| !s.trim().is_empty());
        if !(present(&self.email) || present(&self.phone) || present(&self.username)) {
            return Err(crate::Error::validation("email", "an e-mail, phone or username is required"));
        }
        if self.email.as_ref().is_some_and(|e| !e.contains('@')) {
            return Err(crate::Error::validation("email", "must contain '@'"));
        }
        Ok(())
    }
}
