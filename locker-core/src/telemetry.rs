//! Operational metrics, recorded through the [`metrics`] facade.
//!
//! The core only records; it installs no recorder and exports nothing. A shell that wants
//! the figures installs a recorder (the server renders them for Prometheus at `/metrics`);
//! without one every call below is a no-op costing an atomic load. Names follow the
//! Prometheus conventions (`_total` counters, `_seconds` histograms, base units).
//!
//! | name | kind | labels | recorded where |
//! |---|---|---|---|
//! | [`UNLOCKS`] | counter | `outcome` = `sent`, `unconfirmed`, `failed` | every relay pulse (service doors) |
//! | [`UNLOCK_RETRIES`] | counter | — | the door machine's second pulse after the unlock window |
//! | [`DOOR_CYCLES`] | counter | — | a door closing after an opening |
//! | [`LOCK_JAMS`] | counter | — | every `lock_jam` alert |
//! | [`ALERTS`] | counter | `kind` | every alert raised |
//! | [`STRANDED_RENTALS`] | counter | `outcome` = `activated`, `adopted`, `unreachable` | rentals left in `opening` with no door cycle, settled by reconciliation |
//! | [`FACE_MATCH_SECONDS`] | histogram | `mode` = `verify`, `identify` | face check-out/reopen: detection, embedding and match |
//! | [`CONTROLLERS`] | gauge | `state` = `online`, `offline` | sampled ([`LockerService::record_gauges`](crate::service::LockerService::record_gauges)) |
//! | [`HEARTBEAT_AGE_SECONDS`] | gauge | `controller` | sampled; seconds since the controller's last heartbeat (absent when it never sent one) |
//! | [`DB_POOL_CONNECTIONS`] | gauge | `state` = `idle`, `in_use`, `max` | sampled from the database's pool |
//!
//! Labels are bounded: outcomes and kinds are fixed sets, controllers are the registered
//! ones.

use crate::domain::{AlertKind, Controller, Timestamp};

/// Relay pulses sent to a lock controller, by `outcome`.
pub const UNLOCKS: &str = "locker_unlocks_total";
/// Second pulses the door machine fired because the door did not open in the window.
pub const UNLOCK_RETRIES: &str = "locker_unlock_retries_total";
/// Door cycles completed (the door closed again after opening).
pub const DOOR_CYCLES: &str = "locker_door_cycles_total";
/// Lock jams (unlock sent, the door never opened).
pub const LOCK_JAMS: &str = "locker_lock_jams_total";
/// Alerts raised, by `kind`.
pub const ALERTS: &str = "locker_alerts_total";
/// Rentals found in `opening` with no door cycle tracking them, by how they were settled.
pub const STRANDED_RENTALS: &str = "locker_stranded_rentals_total";
/// Seconds a face verification or identification took (detection, embedding, match).
pub const FACE_MATCH_SECONDS: &str = "locker_face_match_seconds";
/// Active controllers by `state` (`online`: a heartbeat within the offline window).
pub const CONTROLLERS: &str = "locker_controllers";
/// Seconds since each controller's last heartbeat.
pub const HEARTBEAT_AGE_SECONDS: &str = "locker_controller_heartbeat_age_seconds";
/// Database pool connections by `state` (`idle`, `in_use`, and the pool's `max`).
pub const DB_POOL_CONNECTIONS: &str = "locker_db_pool_connections";

/// What became of a relay pulse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockOutcome {
    /// The controller acknowledged the pulse.
    Sent,
    /// The outcome is unknown (no answer after the link's retries); not fired again.
    Unconfirmed,
    /// The controller refused or could not be reached.
    Failed,
}

impl UnlockOutcome {
    fn label(self) -> &'static str {
        match self {
            UnlockOutcome::Sent => "sent",
            UnlockOutcome::Unconfirmed => "unconfirmed",
            UnlockOutcome::Failed => "failed",
        }
    }
}

/// Counts one relay pulse.
pub fn unlock(outcome: UnlockOutcome) {
    metrics::counter!(UNLOCKS, "outcome" => outcome.label()).increment(1);
}

/// Counts one second pulse of the door machine.
pub fn unlock_retry() {
    metrics::counter!(UNLOCK_RETRIES).increment(1);
}

/// Counts one completed door cycle.
pub fn door_cycle() {
    metrics::counter!(DOOR_CYCLES).increment(1);
}

/// Counts one raised alert (and a lock jam when it is one).
pub fn alert(kind: AlertKind) {
    metrics::counter!(ALERTS, "kind" => kind.as_str()).increment(1);
    if kind == AlertKind::LockJam {
        metrics::counter!(LOCK_JAMS).increment(1);
    }
}

/// Counts one stranded rental settled with `outcome` (`activated`, `adopted`, `unreachable`).
pub fn stranded_rental(outcome: &'static str) {
    metrics::counter!(STRANDED_RENTALS, "outcome" => outcome).increment(1);
}

/// Records how long a face match by `mode` (`verify`, `identify`) took.
pub fn face_match(mode: &'static str, took: std::time::Duration) {
    metrics::histogram!(FACE_MATCH_SECONDS, "mode" => mode).record(took.as_secs_f64());
}

/// Sets the controller gauges from `controllers` at `now`: active ones online and offline,
/// and each active one's heartbeat age.
pub fn controllers(controllers: &[Controller], now: Timestamp) {
    let active: Vec<&Controller> = controllers.iter().filter(|c| c.active).collect();
    let online = active.iter().filter(|c| c.is_online(now)).count();
    metrics::gauge!(CONTROLLERS, "state" => "online").set(online as f64);
    metrics::gauge!(CONTROLLERS, "state" => "offline").set((active.len() - online) as f64);
    for c in active {
        if let Some(at) = c.last_heartbeat_at {
            let age = (now - at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::gauge!(HEARTBEAT_AGE_SECONDS, "controller" => c.name.clone()).set(age);
        }
    }
}

/// Use of a database's connection pool, read at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolUse {
    /// Connections open now (idle and in use).
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// Sets the pool gauges from `pool`.
pub fn pool_use(pool: PoolUse) {
    let in_use = pool.size.saturating_sub(pool.idle);
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set(f64::from(in_use));
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "max").set(f64::from(pool.max));
}

/// Gives every metric above its help text (shown as `# HELP` by exporters). Call once after
/// installing a recorder.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(UNLOCKS, "Relay pulses sent to lock controllers, by outcome");
    describe_counter!(UNLOCK_RETRIES, "Second pulses fired because a door did not open after its unlock");
    describe_counter!(DOOR_CYCLES, "Door cycles completed (closed again after opening)");
    describe_counter!(LOCK_JAMS, "Lock jams: unlock sent, the door never opened");
    describe_counter!(ALERTS, "Alerts raised, by kind");
    describe_counter!(STRANDED_RENTALS, "Rentals found opening with no door cycle, settled by reconciliation");
    describe_histogram!(FACE_MATCH_SECONDS, Unit::Seconds, "Face verification or identification latency");
    describe_gauge!(CONTROLLERS, "Active lock controllers by state (online: heartbeat within the offline window)");
    describe_gauge!(HEARTBEAT_AGE_SECONDS, Unit::Seconds, "Seconds since each controller's last heartbeat");
    describe_gauge!(DB_POOL_CONNECTIONS, "Database pool connections by state");
}
