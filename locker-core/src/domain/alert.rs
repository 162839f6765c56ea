use serde::{Deserialize, Serialize};

use super::{Id, Timestamp, string_enum};

string_enum! {
    /// What an alert is about.
    AlertKind, field = "alert_type" {
        /// Door opened with no unlock in flight.
        UnauthorizedOpen => "unauthorized_open",
        /// Enclosure tampered with.
        Tamper => "tamper",
        /// Sensor flapping or impossible readings.
        SensorMalfunction => "sensor_malfunction",
        /// Unlock acknowledged but the door never opened.
        LockJam => "lock_jam",
        /// Door open longer than the limit.
        DoorLeftOpen => "door_left_open",
        /// Controller silent for 10 minutes.
        DeviceOffline => "device_offline",
        /// Controller battery below 20 %.
        LowBattery => "low_battery",
        /// Rental past its paid end.
        OrderOverdue => "order_overdue",
        /// Locker put into maintenance.
        CabinetMaintenance => "cabinet_maintenance",
    }
}

string_enum! {
    /// How urgent an alert is.
    Severity, field = "severity" {
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
        /// Critical.
        Critical => "critical",
    }
}

impl AlertKind {
    /// The default severity of this kind of alert.
    pub fn default_severity(self) -> Severity {
        match self {
            AlertKind::UnauthorizedOpen | AlertKind::Tamper => Severity::Critical,
            AlertKind::LockJam | AlertKind::DeviceOffline => Severity::High,
            AlertKind::SensorMalfunction
            | AlertKind::DoorLeftOpen
            | AlertKind::LowBattery
            | AlertKind::OrderOverdue => Severity::Medium,
            AlertKind::CabinetMaintenance => Severity::Low,
        }
    }
}

/// Something a person should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable id.
    pub id: Id,
    /// What it is about.
    pub kind: AlertKind,
    /// How urgent.
    pub severity: Severity,
    /// The locker concerned, if any.
    pub locker_id: Option<Id>,
    /// The controller concerned, if any.
    pub controller_id: Option<Id>,
    /// What happened, in words.
    pub message: String,
    /// Raised.
    pub created_at: Timestamp,
    /// Resolved, if it is.
    pub resolved_at: Option<Timestamp>,
    /// Who resolved it.
    pub resolved_by: Option<Id>,
    /// The resolver's note.
    pub resolution_note: Option<String>,
}

/// What it takes to raise an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAlert {
    /// What it is about.
    pub kind: AlertKind,
    /// How urgent (usually [`AlertKind::default_severity`]).
    pub severity: Severity,
    /// The locker concerned, if any.
    pub locker_id: Option<Id>,
    /// The controller concerned, if any.
    pub controller_id: Option<Id>,
    /// What happened, in words.
    pub message: String,
}

impl NewAlert {
    /// An alert of `kind` at its default severity.
    pub fn new(kind: AlertKind, message: impl Into<String>) -> Self {
        Self { kind, severity: kind.default_severity(), locker_id: None, controller_id: None, message: message.into() }
    }
}
