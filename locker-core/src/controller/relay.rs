//! Commands across processes: the values of the database queue through which a process
//! asks another one to fire a relay of a controller attached there (issue 19). Pure: the
//! queue itself is [`crate::ports::ControllerCommands`], the waiting and the claiming are in
//! [`crate::service::CommandRelay`].
//!
//! # The life of a command
//!
//! ```text
//!  requester                     database (controller_commands)          owner
//!  enqueue ──────────────────▶  queued ──NOTIFY locker_commands──▶  claim (queued → claimed,
//!                                                                    one UPDATE … RETURNING:
//!                                                                    only one process wins)
//!                                                                    fire through its own
//!                                                                    door machine
//!  wakes (NOTIFY or poll) ◀──── done / failed ◀──────────────────── finish + NOTIFY
//!                               locker_command_done
//! ```
//!
//! - **The owner runs the door cycle.** A door machine lives where the sensor events
//!   arrive, so the owner fires the relay through the same unlock step a local request
//!   takes ([`UnlockPurpose`] says which: a new renter is refused a busy door, a holder waits
//!   for a running cycle, staff is refused a second pulse). The requester keeps no door state
//!   for a remote locker; it only learns the [`RelayOutcome`].
//! - **Sent once.** Claiming is `UPDATE … WHERE state = 'queued'`, so two owners (or a
//!   restarted one) never both fire a command; a claimed command is never re-queued.
//! - **A clear timeout.** A requester waits at most its deadline. A command still `queued`
//!   then is withdrawn (`failed`, `expired`) in the same conditional UPDATE style, so it can
//!   no longer fire late; the answer is [`UartError::RemoteTimeout`](crate::controller::wire::UartError::RemoteTimeout). An owner never claims a
//!   command older than the deadline (a process starting after a pause does not fire stale
//!   unlocks).
//! - **Crash of the owner mid-command.** A command `claimed` for longer than the deadline is
//!   marked `failed` ("outcome unknown") by any process's sweep and never fired again: a
//!   pulse whose outcome is unknown is resolved by reading the door (the owner's
//!   reconciliation at its next start, or staff), never by firing twice.

use crate::domain::{Id, Timestamp};

/// How a command's unlock is taken by the owner's door machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnlockPurpose {
    /// A new renter (check-in): only a door at rest is fired, a busy door is refused.
    NewRenter,
    /// The holder of the locker (reopen, check-out, open by code): waits for a running cycle.
    Holder,
    /// Staff (force-open): refused while an unlock is in flight.
    Staff,
}

impl UnlockPurpose {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            UnlockPurpose::NewRenter => "new_renter",
            UnlockPurpose::Holder => "holder",
            UnlockPurpose::Staff => "staff",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "new_renter" => Some(UnlockPurpose::NewRenter),
            "holder" => Some(UnlockPurpose::Holder),
            "staff" => Some(UnlockPurpose::Staff),
            _ => None,
        }
    }
}

/// What the owner did with a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayOutcome {
    /// The relay fired.
    Fired,
    /// The door was mid-cycle for someone else: nothing fired (new renters).
    Busy,
    /// The holder joined the door's running cycle: nothing fired.
    Joined,
    /// Refused as a conflict (staff: an unlock already in flight).
    Conflict(String),
    /// The controller failed (the owner's error, as text).
    Failed(String),
    /// Never fired: withdrawn at the requester's deadline, or claimed by a process that
    /// stopped before it recorded an outcome.
    Expired(String),
}

impl RelayOutcome {
    /// Whether the command ended normally (`done`) rather than `failed`.
    pub fn is_done(&self) -> bool {
        matches!(self, RelayOutcome::Fired | RelayOutcome::Busy | RelayOutcome::Joined)
    }

    /// The stored text: `fired`, `busy`, `joined`, or `conflict:`/`failed:`/`expired:` and
    /// a message.
    pub fn encode(&self) -> String {
        match self {
            RelayOutcome::Fired => "fired".into(),
            RelayOutcome::Busy => "busy".into(),
            RelayOutcome::Joined => "joined".into(),
            RelayOutcome::Conflict(m) => format!("conflict:{m}"),
            RelayOutcome::Failed(m) => format!("failed:{m}"),
            RelayOutcome::Expired(m) => format!("expired:{m}"),
        }
    }

    /// Parses [`encode`](Self::encode)'s text; anything else is a failure with that text.
    pub fn decode(s: &str) -> Self {
        match s {
            "fired" => return RelayOutcome::Fired,
            "busy" => return RelayOutcome::Busy,
            "joined" => return RelayOutcome::Joined,
            _ => {}
        }
        match s.split_once(':') {
            Some(("conflict", m)) => RelayOutcome::Conflict(m.into()),
            Some(("expired", m)) => RelayOutcome::Expired(m.into()),
            Some(("failed", m)) => RelayOutcome::Failed(m.into()),
            _ => RelayOutcome::Failed(s.into()),
        }
    }
}

/// Where a command is in its life (the `state` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandState {
    /// Waiting for the owner.
    Queued,
    /// Taken by the owner, not finished yet.
    Claimed,
    /// Finished with a [`RelayOutcome::is_done`] outcome.
    Done,
    /// Finished otherwise (failed, refused, expired).
    Failed,
}

impl CommandState {
    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(CommandState::Queued),
            "claimed" => Some(CommandState::Claimed),
            "done" => Some(CommandState::Done),
            "failed" => Some(CommandState::Failed),
            _ => None,
        }
    }
}

/// An unlock to queue for the process that drives `controller_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelayCommand {
    /// The controller.
    pub controller_id: Id,
    /// The locker to open (its relay channel is read by the owner).
    pub locker_id: Id,
    /// The locker's code (for the log and the queue's readers).
    pub locker_code: String,
    /// How the owner's door machine takes it.
    pub purpose: UnlockPurpose,
    /// The rental the cycle serves (waiting in `Opening`), if any.
    pub rental_id: Option<Id>,
    /// The requesting process's instance id.
    pub requester: String,
}

/// A command as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayCommand {
    /// Its id.
    pub id: Id,
    /// The controller.
    pub controller_id: Id,
    /// The locker to open.
    pub locker_id: Id,
    /// The locker's code.
    pub locker_code: String,
    /// How the owner's door machine takes it.
    pub purpose: UnlockPurpose,
    /// The rental the cycle serves, if any.
    pub rental_id: Option<Id>,
    /// Who asked.
    pub requester: String,
    /// Where it is.
    pub state: CommandState,
    /// The process that claimed it, once claimed.
    pub claimed_by: Option<String>,
    /// The outcome, once finished.
    pub outcome: Option<RelayOutcome>,
    /// Queued at.
    pub created_at: Timestamp,
    /// Claimed at.
    pub claimed_at: Option<Timestamp>,
    /// Finished at.
    pub finished_at: Option<Timestamp>,
}

/// Which process drives a controller, and how recently it said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The controller.
    pub controller_id: Id,
    /// The owning process's instance id.
    pub instance: String,
    /// Its last heartbeat.
    pub heartbeat_at: Timestamp,
}

impl Attachment {
    /// Whether the owner's heartbeat is younger than `stale_after` at `now`.
    pub fn is_live(&self, now: Timestamp, stale_after: chrono::TimeDelta) -> bool {
        now - self.heartbeat_at < stale_after
    }
}

/// A wake-up from the database (PostgreSQL `NOTIFY`): a command was queued for a
/// controller, or a command finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandSignal {
    /// A command was queued for this controller.
    Queued(Id),
    /// This command finished.
    Finished(Id),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_through_their_text() {
        for o in [
            RelayOutcome::Fired,
            RelayOutcome::Busy,
            RelayOutcome::Joined,
            RelayOutcome::Conflict("in flight: a:b".into()),
            RelayOutcome::Failed("UART timeout".into()),
            RelayOutcome::Expired("owner gone".into()),
        ] {
            assert_eq!(RelayOutcome::decode(&o.encode()), o);
        }
        assert_eq!(RelayOutcome::decode("garbage"), RelayOutcome::Failed("garbage".into()));
        assert!(RelayOutcome::Joined.is_done() && !RelayOutcome::Expired(String::new()).is_done());
    }

    #[test]
    fn purposes_round_trip_and_unknown_text_is_refused() {
        for p in [UnlockPurpose::NewRenter, UnlockPurpose::Holder, UnlockPurpose::Staff] {
            assert_eq!(UnlockPurpose::parse(p.as_str()), Some(p));
        }
        assert_eq!(UnlockPurpose::parse("x"), None);
    }

    #[test]
    fn an_attachment_goes_stale_after_its_window() {
        let now = chrono::Utc::now();
        let a = Attachment { controller_id: Id::nil(), instance: "p1".into(), heartbeat_at: now };
        assert!(a.is_live(now + chrono::TimeDelta::seconds(9), chrono::TimeDelta::seconds(10)));
        assert!(!a.is_live(now + chrono::TimeDelta::seconds(10), chrono::TimeDelta::seconds(10)));
    }
}
