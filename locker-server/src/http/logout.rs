//! Which refresh family each live access token belongs to, and which access tokens were
//! revoked before their expiry (logout, refresh-token reuse).
//!
//! Access tokens are stateless JWTs; this process-local table is what lets `POST
//! /auth/logout` (which carries only the access token) revoke the login's refresh family and
//! refuse the access token from then on. Entries are dropped once the token has expired.
//! After a restart the table is empty: logout then revokes the family named by the
//! `refresh_token` in the body, if the client sends one.

use std::collections::HashMap;
use std::sync::Mutex;

use locker_core::domain::Id;

#[derive(Debug, Default)]
struct Inner {
    /// jti -> (family, exp unix seconds)
    family_of: HashMap<String, (Id, i64)>,
    /// jti -> exp unix seconds
    revoked: HashMap<String, i64>,
}

/// The table; see the module docs.
#[derive(Debug, Default)]
pub struct AccessSessions(Mutex<Inner>);

impl AccessSessions {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers that access token `jti` (expiring at `exp`) belongs to refresh `family`.
    pub fn remember(&self, jti: &str, family: Id, exp: i64, now: i64) {
        let mut inner = self.inner();
        if inner.family_of.len() % 256 == 255 {
            inner.family_of.retain(|_, (_, e)| *e >= now);
            inner.revoked.retain(|_, e| *e >= now);
        }
        inner.family_of.insert(jti.to_owned(), (family, exp));
    }

    /// Revokes access token `jti`; returns its refresh family if known.
    pub fn revoke(&self, jti: &str, exp: i64) -> Option<Id> {
        let mut inner = self.inner();
        inner.revoked.insert(jti.to_owned(), exp);
        inner.family_of.remove(jti).map(|(f, _)| f)
    }

    /// Revokes every access token of refresh `family`.
    pub fn revoke_family(&self, family: Id) {
        let mut inner = self.inner();
        let jtis: Vec<(String, i64)> =
            inner.family_of.iter().filter(|(_, (f, _))| *f == family).map(|(j, (_, e))| (j.clone(), *e)).collect();
        for (jti, exp) in jtis {
            inner.family_of.remove(&jti);
            inner.revoked.insert(jti, exp);
        }
    }

    /// Whether access token `jti` was revoked.
    pub fn is_revoked(&self, jti: &str) -> bool {
        self.inner().revoked.contains_key(jti)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoking_a_family_revokes_its_access_tokens_only() {
        let t = AccessSessions::default();
        let (f1, f2) = (locker_core::domain::new_id(), locker_core::domain::new_id());
        t.remember("a", f1, 100, 0);
        t.remember("b", f1, 100, 0);
        t.remember("c", f2, 100, 0);
        t.revoke_family(f1);
        assert!(t.is_revoked("a") && t.is_revoked("b") && !t.is_revoked("c"));
        assert_eq!(t.revoke("c", 100), Some(f2));
        assert!(t.is_revoked("c"));
        assert_eq!(t.revoke("zzz", 100), None);
    }
}
