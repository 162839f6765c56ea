//! [`PasswordPool`]: every argon2 call of the server, off the async workers.
//!
//! argon2id holds 19 MiB for tens of milliseconds of CPU; run on an async worker it stalls
//! every other request on that worker. The pool runs each hash on tokio's blocking threads
//! (`spawn_blocking`), at most as many at once as the machine has cores (an async
//! semaphore, so waiting requests hold no thread). The surfaces hold only this type, never
//! the blocking [`Passwords`], so none can hash on a worker by mistake.

use std::sync::Arc;

use locker_core::token::TokenError;
use locker_core::token::password::Passwords;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords on the blocking pool, `cores` at a time.
#[derive(Debug, Clone)]
pub struct PasswordPool {
    passwords: Arc<Passwords>,
    permits: Arc<Semaphore>,
}

impl PasswordPool {
    /// A pool over `passwords`, as many hashes at once as the machine has cores.
    pub fn new(passwords: Arc<Passwords>) -> Self {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        Self { passwords, permits: Arc::new(Semaphore::new(cores)) }
    }

    /// The PHC string of `password` ([`Passwords::hash`]).
    pub async fn hash(&self, password: String) -> locker_core::Result<String> {
        self.run(move |p| p.hash(&password)).await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no
    /// account ([`Passwords::verify`]: both cost the same).
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> locker_core::Result<Result<(), TokenError>> {
        self.run(move |p| p.verify(&password, stored.as_deref())).await
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Passwords) -> T + Send + 'static,
    ) -> locker_core::Result<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| locker_core::Error::config_from("password pool closed", e))?;
        let passwords = self.passwords.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job(&passwords)
        })
        .await
        .map_err(|e| locker_core::Error::config_from("password hashing task failed", e))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// On a single-threaded runtime, a ticker keeps ticking while a hash runs: the hash is
    /// not on the (only) async worker.
    #[test]
    fn hashing_leaves_the_async_worker_free() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        rt.block_on(async {
            let pool = PasswordPool::new(Arc::new(Passwords::with_concurrency(1).unwrap()));
            let ticks = Arc::new(AtomicUsize::new(0));
            let counter = ticks.clone();
            let ticker = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
            tokio::task::yield_now().await;
            let before = ticks.load(Ordering::SeqCst);
            let hash = pool.hash("correct horse".into()).await.unwrap();
            let during = ticks.load(Ordering::SeqCst) - before;
            assert_eq!(pool.verify("correct horse".into(), Some(hash)).await.unwrap(), Ok(()));
            ticker.abort();
            assert!(during >= 2, "the worker ran {during} ticks during a hash: it was blocked");
        });
    }
}
