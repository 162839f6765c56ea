use serde::{Deserialize, Serialize};

use super::{AuthMethod, Id, Locker, LockerStatus, Timestamp, string_enum};

string_enum! {
    /// What was done.
    TxAction, field = "action" {
        /// Check-in (walk-up).
        CheckIn => "check_in",
        /// Check-out.
        CheckOut => "check_out",
        /// Reopen during a rental.
        Update => "update",
        /// Admin force-open.
        ForceOpen => "force_open",
        /// Maintenance on or off.
        Maintenance => "maintenance",
        /// A door sensor reported.
        SensorTrigger => "sensor_trigger",
        /// Order reserved a locker.
        Reserve => "reserve",
        /// Order paid.
        Pay => "pay",
        /// Order extended.
        Extend => "extend",
        /// Order or rental cancelled.
        Cancel => "cancel",
        /// Opened by pickup code.
        OpenByCode => "open_by_code",
    }
}

/// One append-only row of the transaction log. Rows are hash-chained: `hash` covers the
/// row's content and `prev_hash`, so a removed or edited row is detectable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLogEntry {
    /// Stable id.
    pub id: Id,
    /// What was done.
    pub action: TxAction,
    /// The locker concerned.
    pub locker_id: Option<Id>,
    /// The rental concerned.
    pub rental_id: Option<Id>,
    /// Who did it (user), if known.
    pub actor_id: Option<Id>,
    /// How they proved who they are.
    pub auth_method: Option<AuthMethod>,
    /// Free-form details (e.g. `{"match_score": 0.71}`).
    pub details: serde_json::Value,
    /// The device (controller or kiosk) involved.
    pub device: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

/// A transaction-log row to append; the store gives it an id, a sequence number and its
/// place in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTxLog {
    /// What was done.
    pub action: TxAction,
    /// The locker concerned (filled in by the store for allocations).
    pub locker_id: Option<Id>,
    /// The rental concerned (filled in by the store for allocations).
    pub rental_id: Option<Id>,
    /// Who did it (user), if known.
    pub actor_id: Option<Id>,
    /// How they proved who they are.
    pub auth_method: Option<AuthMethod>,
    /// Free-form details (e.g. `{"match_score": 0.71}`).
    pub details: serde_json::Value,
    /// The device (controller or kiosk) involved.
    pub device: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

impl NewTxLog {
    /// A row for `action` at `now` with nothing else filled in.
    pub fn new(action: TxAction, now: Timestamp) -> Self {
        Self {
            action,
            locker_id: None,
            rental_id: None,
            actor_id: None,
            auth_method: None,
            details: serde_json::Value::Object(Default::default()),
            device: None,
            created_at: now,
        }
    }

    /// A `maintenance` row for a hand-made status change of `locker` to `status`, with
    /// `{status, previous_status, reason}` as details.
    pub fn status_change(locker: &Locker, status: LockerStatus, reason: &str, now: Timestamp) -> Self {
        Self {
            locker_id: Some(locker.id),
            details: serde_json::json!({ "status": status, "previous_status": locker.status, "reason": reason }),
            ..Self::new(TxAction::Maintenance, now)
        }
    }

    /// The same row, recorded as done by admin `admin`.
    pub fn by_admin(self, admin: Id) -> Self {
        Self { actor_id: Some(admin), auth_method: Some(AuthMethod::Admin), ..self }
    }
}
