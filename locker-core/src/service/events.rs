//! Domain events on the service's broadcast channel, shaped as seed 000's WebSocket messages:
//! `{"event": "locker_status_changed", "data": {...}}`. They read back from that JSON too
//! (the shared event log of several server processes stores them so).

use serde::{Deserialize, Serialize};

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

/// [`ServiceEvent`] as read from JSON: the same shape with the session status owned, then
/// checked against the statuses a session can have.
#[derive(Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
enum EventJson {
    LockerStatusChanged {
        locker_id: Id,
        locker_code: String,
        status: LockerStatus,
        door_state: DoorState,
    },
    SecurityAlert {
        alert_id: Id,
        locker_id: Option<Id>,
        locker_code: Option<String>,
        alert_type: AlertKind,
        severity: Severity,
        message: String,
    },
    SessionUpdated {
        session_id: Id,
        action: TxAction,
        locker_code: String,
        status: String,
    },
}

impl<'de> Deserialize<'de> for ServiceEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EventJson::deserialize(d)?.try_into().map_err(serde::de::Error::custom)
    }
}

impl TryFrom<EventJson> for ServiceEvent {
    type Error = String;

    fn try_from(json: EventJson) -> Result<Self, String> {
        Ok(match json {
            EventJson::LockerStatusChanged { locker_id, locker_code, status, door_state } => {
                ServiceEvent::LockerStatusChanged { locker_id, locker_code, status, door_state }
            }
            EventJson::SecurityAlert { alert_id, locker_id, locker_code, alert_type, severity, message } => {
                ServiceEvent::SecurityAlert { alert_id, locker_id, locker_code, alert_type, severity, message }
            }
            EventJson::SessionUpdated { session_id, action, locker_code, status } => {
                let status = match status.as_str() {
                    "active" => "active",
                    "completed" => "completed",
                    "cancelled" => "cancelled",
                    other => return Err(format!("unknown session status {other:?}")),
                };
                ServiceEvent::SessionUpdated { session_id, action, locker_code, status }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_back_from_their_json() {
        let events = [
            ServiceEvent::LockerStatusChanged {
                locker_id: Id::nil(),
                locker_code: "A01".into(),
                status: LockerStatus::Maintenance,
                door_state: DoorState::Closed,
            },
            ServiceEvent::SecurityAlert {
                alert_id: Id::nil(),
                locker_id: None,
                locker_code: None,
                alert_type: AlertKind::DeviceOffline,
                severity: Severity::High,
                message: "silent".into(),
            },
            ServiceEvent::SessionUpdated {
                session_id: Id::nil(),
                action: TxAction::CheckOut,
                locker_code: "B02".into(),
                status: "completed",
            },
        ];
        for event in events {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(serde_json::from_value::<ServiceEvent>(json).unwrap(), event);
        }
        let odd = serde_json::json!({"event": "session_updated", "data": {"session_id": Id::nil(),
            "action": "check_in", "locker_code": "A01", "status": "melted"}});
        assert!(serde_json::from_value::<ServiceEvent>(odd).unwrap_err().to_string().contains("melted"));
    }
}
