//! One async lock per id: a locker's door cycle, an order's change that takes money.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

use crate::domain::Id;

/// Async locks by id, made on first use.
pub(super) struct KeyedLocks {
    locks: Mutex<HashMap<Id, Arc<tokio::sync::Mutex<()>>>>,
    /// Drop the locks nobody holds or waits for on each call: for ids without bound (orders);
    /// lockers are few and kept.
    prune_idle: bool,
}

impl KeyedLocks {
    /// Locks kept for the service's life (one per locker).
    pub(super) fn kept() -> Self {
        Self { locks: Mutex::new(HashMap::new()), prune_idle: false }
    }

    /// Locks dropped once idle (one per order).
    pub(super) fn pruned() -> Self {
        Self { locks: Mutex::new(HashMap::new()), prune_idle: true }
    }

    /// Waits for the lock of `id` and holds it until the guard is dropped.
    pub(super) async fn lock(&self, id: Id) -> OwnedMutexGuard<()> {
        let mutex = {
            let mut locks = super::lock(&self.locks);
            if self.prune_idle {
                locks.retain(|_, m| Arc::strong_count(m) > 1);
            }
            locks.entry(id).or_default().clone()
        };
        mutex.lock_owned().await
    }
}
