//! The door of one locker: what its sensor says, and the door/lock state machine that turns
//! unlock commands and sensor readings into truth and alerts.
//!
//! ```text
//!            UnlockSent               SensorOpen                SensorClosed
//!  Closed ───────────────> Unlocking ────────────> Open{authorized} ───────────> Closed
//!    │  ▲                    │  Tick past window:                │ Tick past limit:
//!    │  │                    │  RetryUnlock, then LockJam        │ DoorLeftOpen (once)
//!    │  └────────────────────┘  (+ locker to maintenance)        │
//!    │ SensorOpen with no unlock in flight                       │
//!    └──────────────────────> Open{unauthorized}: UnauthorizedOpen (critical)
//!  any ── SensorFault, or flapping ──> Unknown: SensorMalfunction
//! ```
//!
//! Events are hints: a frame can be lost, a board can reboot, the host can restart. So the
//! service also *reads* the controller (at a deadline, while a door is mid-cycle, and at
//! start) and feeds what it read as [`DoorEvent::StatusObserved`]. A reading moves the
//! machine like the matching sensor edge, with two differences: it never counts as a
//! bounce (a poll is not an edge), and a closed reading while `Unlocking` changes nothing
//! (the person has not opened the door yet).
//!
//! The acknowledgement of an unlock is not "the door opened": only the sensor says that.
//! A closed edge while `Unlocking` says the door was opened and shut again (its open edge
//! was lost): the cycle ends as if both had arrived.
//! A second [`DoorEvent::UnlockSent`] while unlocking is refused (no double pulse); the
//! retry after the window is the machine's own decision ([`DoorAction::RetryUnlock`]). An
//! unlock while the sensor reads open is allowed: a cut sensor must not lock people out.
//! Pure: time is an argument, effects are returned as [`DoorAction`]s.

use chrono::TimeDelta;

use super::{AlertKind, Timestamp, TransitionError, string_enum};

string_enum! {
    /// What the door sensor last said.
    DoorState, field = "door_state" {
        /// Open.
        Open => "open",
        /// Closed.
        Closed => "closed",
        /// Not known (no reading yet, sensor fault, controller offline).
        Unknown => "unknown",
    }
}

/// Inputs to the door machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorEvent {
    /// The host sent an unlock pulse (intent committed, relay fired).
    UnlockSent,
    /// The sensor reports open.
    SensorOpen,
    /// The sensor reports closed.
    SensorClosed,
    /// The controller reports the sensor broken (or an impossible reading).
    SensorFault,
    /// The controller was asked and reported this door state (a status read, not an edge).
    StatusObserved(DoorState),
    /// Time passes: check windows and limits.
    Tick,
}

impl DoorEvent {
    /// The event's name in errors and logs.
    pub fn name(self) -> &'static str {
        match self {
            DoorEvent::UnlockSent => "unlock_sent",
            DoorEvent::SensorOpen => "sensor_open",
            DoorEvent::SensorClosed => "sensor_closed",
            DoorEvent::SensorFault => "sensor_fault",
            DoorEvent::StatusObserved(_) => "status_observed",
            DoorEvent::Tick => "tick",
        }
    }
}

/// The phase of the door machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorPhase {
    /// Closed and locked.
    Closed,
    /// An unlock is in flight since `since`; `attempts` pulses fired so far.
    Unlocking {
        /// When the last pulse was fired.
        since: Timestamp,
        /// Pulses fired for this opening.
        attempts: u8,
    },
    /// Open since `since`.
    Open {
        /// When it opened.
        since: Timestamp,
        /// Opened by an unlock of ours (false: forced or unknown).
        authorized: bool,
        /// `door_left_open` already raised for this opening.
        left_open_alerted: bool,
    },
    /// Sensor state not known (start-up, fault).
    Unknown,
}

/// Windows and limits of the door machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoorConfig {
    /// How long after a pulse the door must read open before the pulse counts as failed.
    pub open_window: TimeDelta,
    /// Pulses per opening before `lock_jam` (the first pulse included).
    pub max_attempts: u8,
    /// How long a door may stay open before `door_left_open`.
    pub left_open_limit: TimeDelta,
    /// Sensor changes closer together than this count as bounces.
    pub bounce_interval: TimeDelta,
    /// Consecutive bounces that make a `sensor_malfunction`.
    pub max_bounces: u8,
}

impl Default for DoorConfig {
    fn default() -> Self {
        DoorConfig {
            open_window: TimeDelta::seconds(10),
            max_attempts: 2,
            left_open_limit: TimeDelta::minutes(3),
            bounce_interval: TimeDelta::milliseconds(200),
            max_bounces: 5,
        }
    }
}

/// What the caller must do after a door transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorAction {
    /// Record the sensor state on the locker.
    SetDoor(DoorState),
    /// Fire the relay again (the window passed without the door opening).
    RetryUnlock,
    /// Raise an alert of this kind.
    Alert(AlertKind),
    /// Take the locker out of service.
    ToMaintenance,
    /// The door opened after our unlock (for rentals waiting on it).
    Opened,
    /// The door closed (for rentals waiting on it).
    Closed,
}

/// One locker's door: the phase plus the bounce counter for flap detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Door {
    /// The phase.
    pub phase: DoorPhase,
    /// Last sensor change, for bounce detection.
    pub last_change: Option<Timestamp>,
    /// Consecutive sensor changes closer than the bounce interval.
    pub bounces: u8,
}

impl Door {
    /// A door whose sensor has not been read yet.
    pub const fn unknown() -> Self {
        Door { phase: DoorPhase::Unknown, last_change: None, bounces: 0 }
    }

    /// A door from the state recorded on the locker.
    pub const fn from_state(state: DoorState) -> Self {
        let phase = match state {
            DoorState::Closed => DoorPhase::Closed,
            DoorState::Unknown | DoorState::Open => DoorPhase::Unknown,
        };
        Door { phase, last_change: None, bounces: 0 }
    }

    /// At rest: no unlock in flight and not open, so the locker can be given to someone new.
    pub fn is_at_rest(&self) -> bool {
        matches!(self.phase, DoorPhase::Closed | DoorPhase::Unknown)
    }

    /// What the sensor is taken to say in this phase.
    pub fn state(&self) -> DoorState {
        match self.phase {
            DoorPhase::Closed | DoorPhase::Unlocking { .. } => DoorState::Closed,
            DoorPhase::Open { .. } => DoorState::Open,
            DoorPhase::Unknown => DoorState::Unknown,
        }
    }

    /// When the machine next needs a [`DoorEvent::Tick`], if ever.
    pub fn next_deadline(&self, config: &DoorConfig) -> Option<Timestamp> {
        match self.phase {
            DoorPhase::Unlocking { since, .. } => Some(since + config.open_window),
            DoorPhase::Open { since, left_open_alerted: false, .. } => Some(since + config.left_open_limit),
            _ => None,
        }
    }

    /// Applies `event` at `now`. Returns the next door and the actions, or a
    /// [`TransitionError`] when the event is not allowed (a second pulse while unlocking).
    pub fn on(
        self,
        event: DoorEvent,
        now: Timestamp,
        config: &DoorConfig,
    ) -> Result<(Door, Vec<DoorAction>), TransitionError> {
        use DoorAction as A;
        use DoorEvent as E;
        use DoorPhase as P;

        // A status reading moves the machine like the matching edge, without bounce
        // counting; `Unknown` tells nothing, and closed while unlocking is "not yet".
        if let E::StatusObserved(state) = event {
            let edge = match (self.phase, state) {
                (_, DoorState::Unknown) | (P::Unlocking { .. }, DoorState::Closed) => return Ok((self, Vec::new())),
                (_, DoorState::Open) => E::SensorOpen,
                (_, DoorState::Closed) => E::SensorClosed,
            };
            let (next, actions) = Door { last_change: None, ..self }.on(edge, now, config)?;
            return Ok((Door { last_change: self.last_change, bounces: self.bounces, ..next }, actions));
        }

        let mut next = self;
        let mut actions = Vec::new();

        // A sensor change (not a repeated reading) feeds the bounce detector.
        let changes_sensor = matches!(
            (self.phase, event),
            (P::Closed | P::Unlocking { .. } | P::Unknown, E::SensorOpen)
                | (P::Open { .. } | P::Unknown, E::SensorClosed)
        );
        if changes_sensor {
            let bounced = self.last_change.is_some_and(|t| now - t < config.bounce_interval);
            next.bounces = if bounced { self.bounces.saturating_add(1) } else { 0 };
            next.last_change = Some(now);
            if next.bounces >= config.max_bounces {
                next.phase = P::Unknown;
                next.bounces = 0;
                return Ok((next, vec![A::SetDoor(DoorState::Unknown), A::Alert(AlertKind::SensorMalfunction)]));
            }
        }

        next.phase = match (self.phase, event) {
            (P::Closed | P::Unknown, E::UnlockSent) => {
                // An authorised opening starts a fresh bounce count: its edges are a person
                // at the door, however soon after the previous renter's (a busy cabinet, or
                // `--sim-instant-doors`). Flapping within one cycle is still caught.
                next.bounces = 0;
                next.last_change = None;
                P::Unlocking { since: now, attempts: 1 }
            }
            (P::Open { .. }, E::UnlockSent) => self.phase,
            (P::Unlocking { .. }, E::UnlockSent) => {
                return Err(TransitionError {
                    machine: "door",
                    state: self.phase_name().into(),
                    event: event.name().into(),
                });
            }

            (P::Unlocking { .. }, E::SensorOpen) => {
                actions.extend([A::SetDoor(DoorState::Open), A::Opened]);
                P::Open { since: now, authorized: true, left_open_alerted: false }
            }
            (P::Closed, E::SensorOpen) => {
                actions.extend([A::SetDoor(DoorState::Open), A::Alert(AlertKind::UnauthorizedOpen)]);
                P::Open { since: now, authorized: false, left_open_alerted: false }
            }
            (P::Unknown, E::SensorOpen) => {
                actions.push(A::SetDoor(DoorState::Open));
                P::Open { since: now, authorized: false, left_open_alerted: false }
            }
            (P::Open { .. }, E::SensorOpen) => self.phase,

            (P::Open { .. }, E::SensorClosed) => {
                actions.extend([A::SetDoor(DoorState::Closed), A::Closed]);
                P::Closed
            }
            (P::Unknown, E::SensorClosed) => {
                actions.push(A::SetDoor(DoorState::Closed));
                P::Closed
            }
            // A closed *edge* means the door was open: its open edge was lost. The person
            // opened and shut it again; the cycle is over.
            (P::Unlocking { .. }, E::SensorClosed) => {
                actions.extend([A::Opened, A::Closed]);
                P::Closed
            }
            (P::Closed, E::SensorClosed) => self.phase,

            (P::Unknown, E::SensorFault) => P::Unknown,
            (_, E::SensorFault) => {
                actions.extend([A::SetDoor(DoorState::Unknown), A::Alert(AlertKind::SensorMalfunction)]);
                P::Unknown
            }

            (P::Unlocking { since, attempts }, E::Tick) if now - since >= config.open_window => {
                if attempts < config.max_attempts {
                    actions.push(A::RetryUnlock);
                    P::Unlocking { since: now, attempts: attempts + 1 }
                } else {
                    actions.extend([A::Alert(AlertKind::LockJam), A::ToMaintenance]);
                    P::Closed
                }
            }
            (P::Open { since, authorized, left_open_alerted: false }, E::Tick)
                if now - since >= config.left_open_limit =>
            {
                actions.push(A::Alert(AlertKind::DoorLeftOpen));
                P::Open { since, authorized, left_open_alerted: true }
            }
            (_, E::Tick) => self.phase,
            (_, E::StatusObserved(_)) => self.phase,
        };
        Ok((next, actions))
    }

    fn phase_name(&self) -> &'static str {
        match self.phase {
            DoorPhase::Closed => "closed",
            DoorPhase::Unlocking { .. } => "unlocking",
            DoorPhase::Open { .. } => "open",
            DoorPhase::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod door_tests;
