//! Timer leadership: the housekeeping tasks that act on the whole site run in one process
//! of many sharing a database ([`LockerService::lead_timers`]).
//!
//! Which tasks, and why:
//! - leader only ([`TimerTask`]): expiry of unpaid orders, overdue-rental alerts and
//!   offline-controller alerts. They read every row of the site and act on it; run by
//!   every process they would alert N times (expiry is transactional, but still raced).
//! - every process: door windows, door polls, the reconciliation of rentals left in
//!   `Opening`, and pings of the attached controllers. They belong to the door machines and
//!   drivers of the controllers attached to *this* process, which no other process has.
//!
//! Each task has its own leader, so the three can sit in different processes. A follower
//! tries again every `retry`; a leader checks its lease as often and steps down when it is
//! lost. Between a leader's death and a follower's next try a task does not run (at most
//! `retry`); a leader cut off from the database may run a task for up to `retry` after
//! another took over — the tasks tolerate that (each alert is checked against the open
//! alerts when a leader takes over, and expiry is one transaction per order).
//!
//! A service never given a [`Leadership`] (one process, SQLite) leads every task.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::domain::{AlertKind, RentalState};
use crate::ports::{AlertFilter, Leadership, RentalFilter, all_pages};

use super::{LockerService, lock};

/// A housekeeping task with one leader among the processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerTask {
    /// Expiring orders left unpaid past their payment window.
    OrderExpiry,
    /// Alerting rentals past their paid time.
    Overdue,
    /// Alerting controllers silent for too long.
    Offline,
}

impl TimerTask {
    /// Every task.
    pub const ALL: [TimerTask; 3] = [TimerTask::OrderExpiry, TimerTask::Overdue, TimerTask::Offline];

    /// Its name, which is also its lock's name.
    pub fn name(self) -> &'static str {
        match self {
            TimerTask::OrderExpiry => "order-expiry",
            TimerTask::Overdue => "overdue-rentals",
            TimerTask::Offline => "offline-controllers",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Which tasks this process leads.
#[derive(Debug, Default)]
pub(super) struct Leading {
    /// Whether leadership is elected at all (else this process leads everything).
    elected: AtomicBool,
    held: [AtomicBool; 3],
}

/// Clears a task's flag when dropped (the election loop ended or was aborted).
struct Held<'a>(&'a AtomicBool);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl LockerService {
    /// Whether this process runs `task` now: always without elections, else while it
    /// holds the task's lease.
    pub fn leads(&self, task: TimerTask) -> bool {
        !self.leading.elected.load(Ordering::SeqCst) || self.leading.held[task.index()].load(Ordering::SeqCst)
    }

    /// Elects this process's share of the [`TimerTask`]s through `leadership` (see the
    /// [module docs](self)). From the call on, the process runs a task only while it leads
    /// it. Returns the election loop to spawn; dropping it steps down from every task.
    pub fn lead_timers(
        self: &Arc<Self>,
        leadership: Arc<dyn Leadership>,
        retry: Duration,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.leading.elected.store(true, Ordering::SeqCst);
        let service = self.clone();
        async move {
            let loops = TimerTask::ALL.map(|task| service.elect(task, leadership.clone(), retry));
            futures::future::join_all(loops).await;
        }
    }

    async fn elect(&self, task: TimerTask, leadership: Arc<dyn Leadership>, retry: Duration) {
        loop {
            match leadership.try_lead(task.name()).await {
                Ok(Some(mut lease)) => {
                    self.take_over(task).await;
                    let _held = Held(&self.leading.held[task.index()]);
                    self.leading.held[task.index()].store(true, Ordering::SeqCst);
                    tracing::info!(task = task.name(), "leading the timer task");
                    while lease.held().await {
                        tokio::time::sleep(retry).await;
                    }
                    tracing::warn!(task = task.name(), "timer task leadership lost");
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(task = task.name(), error = %e, "cannot try the timer task's leadership"),
            }
            tokio::time::sleep(retry).await;
        }
    }

    /// Before leading `task`: remembers what a previous leader already alerted (the open
    /// alerts), so a handover raises no alert twice.
    async fn take_over(&self, task: TimerTask) {
        let kind = match task {
            TimerTask::Offline => AlertKind::DeviceOffline,
            TimerTask::Overdue => AlertKind::OrderOverdue,
            TimerTask::OrderExpiry => return,
        };
        let filter = AlertFilter { kind: Some(kind), resolved: Some(false), ..AlertFilter::default() };
        let open = match all_pages(|page| self.store().list_alerts(&filter, page)).await {
            Ok(open) => open,
            Err(e) => {
                tracing::warn!(task = task.name(), error = %e, "open alerts not read at takeover");
                return;
            }
        };
        match task {
            TimerTask::Offline => {
                lock(&self.watch).offline_alerted.extend(open.iter().filter_map(|a| a.controller_id));
            }
            TimerTask::Overdue => {
                let lockers: std::collections::HashSet<_> = open.iter().filter_map(|a| a.locker_id).collect();
                let live = RentalFilter { live_only: true, ..Default::default() };
                match all_pages(|page| self.store().list_rentals(&live, page)).await {
                    Ok(rentals) => {
                        let alerted = rentals
                            .iter()
                            .filter(|r| r.state == RentalState::Active && lockers.contains(&r.locker_id))
                            .map(|r| r.id);
                        lock(&self.watch).overdue_alerted.extend(alerted);
                    }
                    Err(e) => tracing::warn!(error = %e, "live rentals not read at takeover"),
                }
            }
            TimerTask::OrderExpiry => {}
        }
    }
}
