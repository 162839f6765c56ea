//! [`CommandRelay`]: unlocks for controllers attached to another process sharing the
//! database (issue 19, "commands across processes"). The rules and the life of a command
//! are in [`crate::controller::relay`]; the queue is [`ControllerCommands`].
//!
//! One relay per process, made by the shell (`locker serve` on PostgreSQL, the tests), which
//! registers the controllers whose lines it drives ([`CommandRelay::attach`]) and drives
//! [`CommandRelay::run`] on its runtime. Both sides of a command go through it:
//!
//! - **Requester.** The service's unlock steps (new renter, holder, staff) first ask
//!   [`LockerService::remote_route`]: a locker whose controller has a live owner elsewhere
//!   is unlocked by queueing a command and waiting for its outcome
//!   ([`CommandRelay::request`]), up to [`RelayConfig::wait`]; no door state is kept here
//!   for it. A controller whose owner's heartbeat stopped is refused at once
//!   ([`UartError::OwnerGone`]).
//! - **Owner.** [`CommandRelay::run`] listens (`LISTEN`) and polls, claims the commands of
//!   its controllers, fires each through the same unlock step a local request takes (so the
//!   door machine that will see the sensor events knows the cycle and whom it serves),
//!   records the outcome and notifies. It also stamps its controllers' heartbeat and expires
//!   commands nobody will finish.
//!
//! Why the requester does not run the door machine: the sensor events arrive at the owner,
//! and a machine that never sees them would take the unlock for a jam and fire again; the
//! owner's machine would see a door open with no unlock in flight (`unauthorized_open`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use chrono::TimeDelta;
use futures::StreamExt as _;

use crate::controller::relay::{
    CommandSignal, CommandState, NewRelayCommand, RelayCommand, RelayOutcome, UnlockPurpose,
};
use crate::controller::wire::UartError;
use crate::domain::{Id, Locker, new_id};
use crate::ports::ControllerCommands;
use crate::{Error, Result};

use super::LockerService;
use super::doors::Unlock;

/// The relay's timings.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// How long a requester waits for the outcome; an owner never claims a command older
    /// than this (the requester has given up on it).
    pub wait: Duration,
    /// How often the owner stamps its controllers' heartbeat and sweeps expired commands.
    pub heartbeat_every: Duration,
    /// An owner silent for this long is gone: its controllers are refused, and another
    /// process may attach them.
    pub stale_after: TimeDelta,
    /// How often both sides look at the queue without a wake-up (a lost `NOTIFY` only delays).
    pub poll_every: Duration,
    /// A claimed command unfinished this long is marked failed (its owner stopped).
    pub claimed_stale: TimeDelta,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(10),
            heartbeat_every: Duration::from_secs(2),
            stale_after: TimeDelta::seconds(10),
            poll_every: Duration::from_millis(500),
            claimed_stale: TimeDelta::seconds(30),
        }
    }
}

/// The relay of one process (see the module docs).
pub struct CommandRelay {
    service: Weak<LockerService>,
    queue: Arc<dyn ControllerCommands>,
    instance: String,
    config: RelayConfig,
    /// Controllers whose line this process drives.
    owned: RwLock<HashSet<Id>>,
    /// Requests waiting for their command's outcome.
    waiters: Mutex<HashMap<Id, Arc<tokio::sync::Notify>>>,
}

impl std::fmt::Debug for CommandRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandRelay").field("instance", &self.instance).finish_non_exhaustive()
    }
}

impl CommandRelay {
    /// The relay of `service` over `queue`, as a new process instance (a random id). The
    /// service routes unlocks through it from now on (it holds it weakly: it lives as long
    /// as the caller keeps it).
    pub fn new(service: &Arc<LockerService>, queue: Arc<dyn ControllerCommands>, config: RelayConfig) -> Arc<Self> {
        let relay = Arc::new(Self {
            service: Arc::downgrade(service),
            queue,
            instance: format!("{}-{}", std::process::id(), new_id().simple()),
            config,
            owned: RwLock::new(HashSet::new()),
            waiters: Mutex::new(HashMap::new()),
        });
        *service.relay.write().unwrap_or_else(|e| e.into_inner()) = Arc::downgrade(&relay);
        relay
    }

    /// This process's instance id.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The timings.
    pub fn config(&self) -> &RelayConfig {
        &self.config
    }

    /// Registers that this process drives `controller` (its driver is attached to the
    /// service): other processes queue its unlocks here. [`Error::Conflict`] while another
    /// live process drives it.
    pub async fn attach(&self, controller: Id) -> Result<()> {
        let now = self.now()?;
        self.queue.attach(controller, &self.instance, now, self.config.stale_after).await?;
        self.owned.write().unwrap_or_else(|e| e.into_inner()).insert(controller);
        Ok(())
    }

    /// Forgets every controller of this process (a clean stop: others are refused at once
    /// instead of waiting for the heartbeat to go stale).
    pub async fn detach_all(&self) -> Result<()> {
        self.owned.write().unwrap_or_else(|e| e.into_inner()).clear();
        self.queue.detach_all(&self.instance).await
    }

    /// Whether this process drives `controller`.
    pub fn drives(&self, controller: Id) -> bool {
        self.owned.read().unwrap_or_else(|e| e.into_inner()).contains(&controller)
    }

    fn now(&self) -> Result<crate::domain::Timestamp> {
        let service = self.service.upgrade().ok_or_else(|| Error::config("the locker service has stopped"))?;
        Ok(service.now())
    }

    /// Queues an unlock of `locker` for the process that drives its controller and waits
    /// for the outcome, at most [`RelayConfig::wait`].
    pub(super) async fn request(&self, locker: &Locker, purpose: UnlockPurpose, rental: Option<Id>) -> Result<Unlock> {
        let controller = locker.controller_id.ok_or_else(|| super::not_wired(locker))?;
        let command = NewRelayCommand {
            controller_id: controller,
            locker_id: locker.id,
            locker_code: locker.code.clone(),
            purpose,
            rental_id: rental,
            requester: self.instance.clone(),
        };
        let deadline = tokio::time::Instant::now() + self.config.wait;
        let id = self.queue.enqueue(command, self.now()?).await?;
        let wake = Arc::new(tokio::sync::Notify::new());
        lock(&self.waiters).insert(id, wake.clone());
        let answer = self.await_outcome(id, &wake, deadline).await;
        lock(&self.waiters).remove(&id);
        let outcome = match answer? {
            Some(outcome) => outcome,
            None => {
                let withdrawn = self.queue.withdraw(id, "the requester's deadline passed", self.now()?).await?;
                // It may have finished between the last look and the withdrawal.
                let stored = self.queue.command(id).await?;
                match stored.outcome {
                    Some(outcome) if !withdrawn && stored.state != CommandState::Claimed => outcome,
                    _ => {
                        tracing::warn!(locker = %locker.code, command = %id, claimed = !withdrawn, "no outcome from the controller's process in time");
                        return Err(Error::Uart(UartError::RemoteTimeout {
                            controller: controller.to_string(),
                            waited_ms: u64::try_from(self.config.wait.as_millis()).unwrap_or(u64::MAX),
                            claimed: !withdrawn,
                        }));
                    }
                }
            }
        };
        match outcome {
            RelayOutcome::Fired => Ok(Unlock::Fired),
            RelayOutcome::Busy => Ok(Unlock::Busy),
            RelayOutcome::Joined => Ok(Unlock::Joined),
            RelayOutcome::Conflict(m) => Err(Error::Conflict(m)),
            RelayOutcome::Failed(m) | RelayOutcome::Expired(m) => {
                Err(Error::Uart(UartError::Remote(format!("locker {}: {m}", locker.code))))
            }
        }
    }

    /// The outcome of command `id` once finished, or `None` at `deadline`.
    async fn await_outcome(
        &self,
        id: Id,
        wake: &tokio::sync::Notify,
        deadline: tokio::time::Instant,
    ) -> Result<Option<RelayOutcome>> {
        loop {
            let stored = self.queue.command(id).await?;
            if matches!(stored.state, CommandState::Done | CommandState::Failed) {
                return Ok(Some(stored.outcome.unwrap_or_else(|| RelayOutcome::Failed("no outcome recorded".into()))));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let poll = (now + self.config.poll_every).min(deadline);
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep_until(poll) => {}
            }
        }
    }

    /// The owner's loop: listens for wake-ups and polls, claims and fires this process's
    /// commands, wakes this process's requesters, stamps heartbeats and expires abandoned
    /// commands. Runs until the service stops; drive it on the shell's runtime
    /// (`tokio::spawn(relay.clone().run())`).
    pub async fn run(self: Arc<Self>) {
        let mut signals = match self.queue.signals().await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "no command wake-ups; polling the queue only");
                None
            }
        };
        let mut poll = tokio::time::interval(self.config.poll_every);
        let mut beat = tokio::time::interval(self.config.heartbeat_every);
        loop {
            if self.service.strong_count() == 0 {
                break;
            }
            let signal = async {
                match signals.as_mut() {
                    Some(s) => s.next().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                s = signal => match s {
                    Some(CommandSignal::Queued(controller)) if self.drives(controller) => self.claim_and_fire().await,
                    Some(CommandSignal::Queued(_)) => {}
                    Some(CommandSignal::Finished(id)) => {
                        if let Some(w) = lock(&self.waiters).get(&id) {
                            w.notify_one();
                        }
                    }
                    None => {
                        tracing::warn!("command listener ended; polling the queue only");
                        signals = None;
                    }
                },
                _ = poll.tick() => self.claim_and_fire().await,
                _ = beat.tick() => self.housekeeping().await,
            }
        }
    }

    /// Claims this process's queued commands and fires each on a task of its own (a holder's
    /// unlock may wait for a running cycle).
    async fn claim_and_fire(self: &Arc<Self>) {
        let owned: Vec<Id> = self.owned.read().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
        if owned.is_empty() {
            return;
        }
        let Ok(now) = self.now() else { return };
        let fresh_since = now - TimeDelta::from_std(self.config.wait).unwrap_or(TimeDelta::seconds(10));
        let claimed = match self.queue.claim(&owned, &self.instance, fresh_since, now).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "claiming controller commands failed");
                return;
            }
        };
        for command in claimed {
            let relay = self.clone();
            tokio::spawn(async move { relay.fire(command).await });
        }
    }

    /// Fires one claimed command through the service and records the outcome.
    async fn fire(&self, command: RelayCommand) {
        let outcome = match self.service.upgrade() {
            Some(service) => service.unlock_for_remote(&command).await,
            None => RelayOutcome::Failed("the owner's locker service stopped".into()),
        };
        tracing::info!(command = %command.id, locker = %command.locker_code, outcome = %outcome.encode(), "remote unlock carried out");
        let now = self.now().unwrap_or_else(|_| chrono::Utc::now());
        if let Err(e) = self.queue.finish(command.id, &outcome, now).await {
            tracing::error!(command = %command.id, error = %e, "the outcome of a remote unlock was not recorded");
        }
    }

    async fn housekeeping(&self) {
        let Ok(now) = self.now() else { return };
        if let Err(e) = self.queue.heartbeat(&self.instance, now).await {
            tracing::warn!(error = %e, "controller heartbeat not stamped");
        }
        let wait = TimeDelta::from_std(self.config.wait).unwrap_or(TimeDelta::seconds(10));
        match self.queue.expire(now - wait - wait, now - self.config.claimed_stale, now).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(expired = n, "controller commands expired unfired"),
            Err(e) => tracing::warn!(error = %e, "expiring controller commands failed"),
        }
    }
}

impl LockerService {
    /// The relay to queue an unlock of `locker` through, when its controller is driven by
    /// another live process; `None` when this process drives it, when no relay is set up,
    /// or when no process registered it (a board polling over HTTP, served wherever it
    /// polls). A controller whose owner's heartbeat stopped is [`UartError::OwnerGone`].
    pub(super) async fn remote_route(&self, locker: &Locker) -> Result<Option<Arc<CommandRelay>>> {
        let Some(relay) = self.relay.read().unwrap_or_else(|e| e.into_inner()).upgrade() else { return Ok(None) };
        let Some(controller) = locker.controller_id else { return Ok(None) };
        if relay.drives(controller) {
            return Ok(None);
        }
        match relay.queue.attachment(controller).await? {
            Some(a) if a.instance == relay.instance => Ok(None),
            Some(a) if a.is_live(self.now(), relay.config.stale_after) => Ok(Some(relay)),
            Some(a) => {
                Err(Error::Uart(UartError::OwnerGone { controller: controller.to_string(), instance: a.instance }))
            }
            None => Ok(None),
        }
    }

    /// Whether the door of `locker` is another process's to read (its controller's line is
    /// driven there): this process then neither reads nor settles it.
    pub(super) async fn door_is_remote(&self, locker: &Locker) -> bool {
        !matches!(self.remote_route(locker).await, Ok(None))
    }

    /// Carries out a command claimed from the queue (this process drives its controller):
    /// the unlock step its purpose names, under the locker's cycle lock as a local request.
    async fn unlock_for_remote(&self, command: &RelayCommand) -> RelayOutcome {
        let locker = match self.store().get_locker(command.locker_id).await {
            Ok(l) => l,
            Err(e) => return RelayOutcome::Failed(e.to_string()),
        };
        if locker.controller_id != Some(command.controller_id) {
            return RelayOutcome::Failed(format!("locker {} is no longer wired to that controller", locker.code));
        }
        let done = match (command.purpose, command.rental_id) {
            (UnlockPurpose::NewRenter, Some(rental)) => self.unlock_for_new_renter(&locker, rental).await,
            (UnlockPurpose::NewRenter, None) => {
                return RelayOutcome::Failed("a new renter's unlock names no rental".into());
            }
            (UnlockPurpose::Holder, serving) => self.unlock_for_holder(&locker, serving).await,
            (UnlockPurpose::Staff, _) => self.unlock_for_staff(&locker).await.map(|()| Unlock::Fired),
        };
        match done {
            Ok(Unlock::Fired) => RelayOutcome::Fired,
            Ok(Unlock::Busy) => RelayOutcome::Busy,
            Ok(Unlock::Joined) => RelayOutcome::Joined,
            Err(Error::Conflict(m)) => RelayOutcome::Conflict(m),
            Err(e) => RelayOutcome::Failed(e.to_string()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
