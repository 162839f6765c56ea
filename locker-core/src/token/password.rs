//! Passwords: argon2id (m = 19 MiB, t = 2, p = 1, the OWASP minimum) stored as PHC strings.
//!
//! - [`Passwords::verify`] of an unknown user (`None`) runs against a dummy hash with the same
//!   parameters, so it costs what a wrong password costs and answers the same
//!   [`TokenError::InvalidCredentials`].
//! - Each hash holds 19 MiB for tens of milliseconds; a counting semaphore (std `Mutex` +
//!   `Condvar`) caps how many run at once, by default at the number of cores, so a burst of
//!   logins queues instead of exhausting memory. Calls block: async callers run them on a
//!   blocking thread.

use std::sync::{Condvar, Mutex};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

use super::TokenError;
use crate::error::{Error, Result};

/// Memory cost in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19 * 1024;
/// Passes.
pub const T_COST: u32 = 2;
/// Lanes.
pub const P_COST: u32 = 1;
/// Longest password accepted (argon2 takes more, but nobody types this much).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// The argon2id instance with the project's parameters.
pub fn argon2id() -> Argon2<'static> {
    let params =
        Params::new(M_COST_KIB, T_COST, P_COST, None).unwrap_or_else(|_| unreachable!("constant parameters are valid"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A counting semaphore: at most `permits` holders at once.
#[derive(Debug)]
pub struct Semaphore {
    available: Mutex<usize>,
    freed: Condvar,
}

/// A held permit; dropping it lets the next waiter in.
#[derive(Debug)]
pub struct Permit<'a>(&'a Semaphore);

impl Semaphore {
    /// A semaphore with `permits` permits (at least one).
    pub fn new(permits: usize) -> Self {
        Self { available: Mutex::new(permits.max(1)), freed: Condvar::new() }
    }

    /// Waits for a permit.
    pub fn acquire(&self) -> Permit<'_> {
        // A poisoned lock only means another hasher panicked; the count is still right.
        let mut available = self.available.lock().unwrap_or_else(|e| e.into_inner());
        while *available == 0 {
            available = self.freed.wait(available).unwrap_or_else(|e| e.into_inner());
        }
        *available -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut available = self.0.available.lock().unwrap_or_else(|e| e.into_inner());
        *available += 1;
        self.0.freed.notify_one();
    }
}

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Debug)]
pub struct Passwords {
    gate: Semaphore,
    dummy_hash: String,
}

impl Passwords {
    /// A hasher allowing as many concurrent hashes as the machine has cores.
    pub fn new() -> Result<Self> {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        Self::with_concurrency(cores)
    }

    /// A hasher allowing `concurrent` hashes at once (capped at the core count).
    pub fn with_concurrency(concurrent: usize) -> Result<Self> {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        let gate = Semaphore::new(concurrent.min(cores));
        // The dummy is a real hash of a random password: same parameters, same cost.
        let random: [u8; 32] = super::random_bytes()?;
        let dummy_hash = hash_unbounded(&random)?;
        Ok(Self { gate, dummy_hash })
    }

    /// The PHC string of `password` with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String> {
        check_length(password)?;
        let _permit = self.gate.acquire();
        hash_unbounded(password.as_bytes())
    }

    /// Checks `password` against `stored` (a PHC string), or against the dummy hash when the
    /// user does not exist (`None`), so both cost the same. Any mismatch, unknown user or
    /// unreadable stored hash is [`TokenError::InvalidCredentials`].
    pub fn verify(&self, password: &str, stored: Option<&str>) -> Result<(), TokenError> {
        if password.len() > MAX_PASSWORD_LEN {
            return Err(TokenError::InvalidCredentials);
        }
        let target = match stored {
            Some(hash) if !hash.is_empty() => hash,
            _ => self.dummy_hash.as_str(),
        };
        let _permit = self.gate.acquire();
        let matched = argon2id().verify_password(password.as_bytes(), target).is_ok();
        if matched && stored.is_some_and(|s| !s.is_empty()) { Ok(()) } else { Err(TokenError::InvalidCredentials) }
    }
}

fn check_length(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::validation("password", "must not be empty"));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(Error::validation("password", format!("longer than {MAX_PASSWORD_LEN} bytes")));
    }
    Ok(())
}

fn hash_unbounded(password: &[u8]) -> Result<String> {
    argon2id().hash_password(password).map(|h| h.to_string()).map_err(|e| Error::config_from("argon2 failed", e))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn hash_is_argon2id_phc_with_owasp_params_and_verifies() {
        let pw = Passwords::with_concurrency(2).unwrap();
        let hash = pw.hash("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert_eq!(pw.verify("correct horse", Some(&hash)), Ok(()));
        assert_eq!(pw.verify("wrong horse", Some(&hash)), Err(TokenError::InvalidCredentials));
        assert_ne!(pw.hash("correct horse").unwrap(), hash, "salts differ");
    }

    #[test]
    fn unknown_user_and_broken_hash_are_invalid_credentials() {
        let pw = Passwords::with_concurrency(1).unwrap();
        assert_eq!(pw.verify("anything", None), Err(TokenError::InvalidCredentials));
        assert_eq!(pw.verify("anything", Some("")), Err(TokenError::InvalidCredentials));
        assert_eq!(pw.verify("anything", Some("$argon2id$garbage")), Err(TokenError::InvalidCredentials));
        assert_eq!(pw.verify(&"x".repeat(MAX_PASSWORD_LEN + 1), None), Err(TokenError::InvalidCredentials));
    }

    #[test]
    fn unknown_user_is_checked_against_a_real_hash_with_the_same_cost() {
        // Same algorithm and parameters as a stored hash, so the dummy path costs the same.
        let pw = Passwords::with_concurrency(1).unwrap();
        let real = pw.hash("pw").unwrap();
        let params = |h: &str| h.rsplitn(3, '$').nth(2).unwrap().to_owned();
        assert_eq!(params(&pw.dummy_hash), params(&real));
        assert!(argon2::password_hash::phc::PasswordHash::new(&pw.dummy_hash).is_ok());
    }

    #[test]
    fn empty_or_huge_passwords_are_validation_errors() {
        let pw = Passwords::with_concurrency(1).unwrap();
        assert!(matches!(pw.hash(""), Err(Error::Validation { .. })));
        assert!(matches!(pw.hash(&"x".repeat(MAX_PASSWORD_LEN + 1)), Err(Error::Validation { .. })));
    }

    #[test]
    fn semaphore_bounds_concurrent_holders() {
        let sem = Arc::new(Semaphore::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let (sem, inside, peak) = (sem.clone(), inside.clone(), peak.clone());
                std::thread::spawn(move || {
                    let _p = sem.acquire();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!((1..=2).contains(&peak), "peak {peak}");
        assert_eq!(*sem.available.lock().unwrap(), 2, "all permits returned");
    }
}
