//! Domain events on the service's broadcast channel, shaped as seed 000's WebSocket messages:
//! `{"event": "locker_status_changed", "data": {...}}`.

use serde::Serialize;

use crate::domain::{Alert, AlertKind, DoorState, Id, Locker, LockerStatus, Rental, Severity, TxAction};

/// Something a dashboard or kiosk screen wants to know as it happens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum ServiceEvent {
    /// A locker's status or door changed.
    LockerStatusChanged {
        /// The locker.
        locker_id: Id,
        /// Its code (`A01`).
        locker_code: String,
        /// Its status now.
        status: LockerStatus,
        /// Its door now.
        door_state: DoorState,
    },
    /// An alert was raised.
    SecurityAlert {
        /// The alert.
        alert_id: Id,
        /// The locker concerned, if any.
        locker_id: Option<Id>,
        /// Its code, if any.
        locker_code: Option<String>,
        /// What it is about.
        alert_type: AlertKind,
        /// How urgent.
        severity: Severity,
        /// What happened, in words.
        message: String,
    },
    /// A rental (session) moved on.
    SessionUpdated {
        /// The rental.
        session_id: Id,
        /// What happened (`check_in`, `update`, `check_out`, `sensor_trigger`, `cancel`).
        action: TxAction,
        /// The locker's code.
        locker_code: String,
        /// The session status a seed-000 client sees (`active`, `completed`, `cancelled`).
        status: &'static str,
    },
}

impl ServiceEvent {
    /// The `locker_status_changed` event for `locker` as it is now.
    pub fn locker(locker: &Locker) -> Self {
        ServiceEvent::LockerStatusChanged {
            locker_id: locker.id,
            locker_code: locker.code.clone(),
            status: locker.status,
            door_state: locker.door,
        }
    }

    /// The `security_alert` event for `alert`.
    pub fn alert(alert: &Alert, locker: Option<&Locker>) -> Self {
        ServiceEvent::SecurityAlert {
            alert_id: alert.id,
            locker_id: alert.locker_id,
            locker_code: locker.map(|l| l.code.clone()),
            alert_type: alert.kind,
            severity: alert.severity,
            message: alert.message.clone(),
        }
    }

    /// The `session_updated` event for `rental` after `action`.
    pub fn session(rental: &Rental, action: TxAction, locker: &Locker) -> Self {
        ServiceEvent::SessionUpdated {
            session_id: rental.id,
            action,
            locker_code: locker.code.clone(),
            status: rental.state.session_status(),
        }
    }

    /// The event's name (`locker_status_changed`, `security_alert`, `session_updated`).
    pub fn name(&self) -> &'static str {
        match self {
            ServiceEvent::LockerStatusChanged { .. } => "locker_status_changed",
            ServiceEvent::SecurityAlert { .. } => "security_alert",
            ServiceEvent::SessionUpdated { .. } => "session_updated",
        }
    }
}
