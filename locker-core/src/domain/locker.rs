use serde::{Deserialize, Serialize};

use super::{DoorState, Id, Money, Timestamp, string_enum};

string_enum! {
    /// How big a compartment is. Ordered: a request for `Small` can fall back to larger.
    LockerSize, field = "size" {
        /// Small.
        Small => "small",
        /// Medium.
        Medium => "medium",
        /// Large.
        Large => "large",
    }
}

string_enum! {
    /// What a locker is doing.
    LockerStatus, field = "status" {
        /// Free to allocate.
        Available => "available",
        /// Held for a paid order or an allocation in progress.
        Reserved => "reserved",
        /// Holding someone's things.
        InUse => "in_use",
        /// Out of service.
        Maintenance => "maintenance",
    }
}

/// One compartment with its own door, lock and sensor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locker {
    /// Stable id.
    pub id: Id,
    /// Human code, unique (`A01`).
    pub code: String,
    /// The station (cabinet or site) it belongs to.
    pub station: String,
    /// Where it is, in words (`Tầng 1 - Khu A`).
    pub location: String,
    /// Its size.
    pub size: LockerSize,
    /// Its status.
    pub status: LockerStatus,
    /// What the door sensor last said.
    pub door: DoorState,
    /// The controller board that drives its lock, if wired.
    pub controller_id: Option<Id>,
    /// Relay channel on that board.
    pub relay_channel: u16,
    /// Door-sensor channel on that board.
    pub sensor_channel: u16,
    /// Price per hour in minor units.
    pub price_per_hour: Money,
    /// When a rental last ended here (for least-recently-used allocation).
    pub last_used_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// What it takes to create a locker; validated by [`NewLocker::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLocker {
    /// Human code, unique, non-empty.
    pub code: String,
    /// Station.
    pub station: String,
    /// Location text.
    pub location: String,
    /// Size.
    pub size: LockerSize,
    /// Controller id, if wired.
    pub controller_id: Option<Id>,
    /// Relay channel.
    pub relay_channel: u16,
    /// Sensor channel.
    pub sensor_channel: u16,
    /// Price per hour in minor units; never negative.
    pub price_per_hour: Money,
}

impl NewLocker {
    /// Checks what a store cannot: a non-empty code of sane length and a non-negative price.
    pub fn validate(&self) -> crate::Result<()> {
        let code = self.code.trim();
        if code.is_empty() {
            return Err(crate::Error::validation("code", "must not be empty"));
        }
        if code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(crate::Error::validation("code", "at most 32 characters of letters, digits, '-' or '_'"));
        }
        if self.price_per_hour.minor() < 0 {
            return Err(crate::Error::validation("price_per_hour", "must not be negative"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_locker() -> NewLocker {
        NewLocker {
            code: "A01".into(),
            station: "S1".into(),
            location: "Floor 1".into(),
            size: LockerSize::Small,
            controller_id: None,
            relay_channel: 1,
            sensor_channel: 1,
            price_per_hour: Money(200),
        }
    }

    #[test]
    fn bad_lockers_name_the_field() {
        assert!(new_locker().validate().is_ok());
        let cases = [
            (NewLocker { code: " ".into(), ..new_locker() }, "code"),
            (NewLocker { code: "A 01".into(), ..new_locker() }, "code"),
            (NewLocker { price_per_hour: Money(-1), ..new_locker() }, "price_per_hour"),
        ];
        for (locker, field) in cases {
            match locker.validate() {
                Err(crate::Error::Validation { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected a validation error on {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_enum_values_name_the_field_and_the_choices() {
        let err = "huge".parse::<LockerSize>().unwrap_err().to_string();
        assert!(err.contains("size") && err.contains("small, medium, large"), "{err}");
        let err = "broken".parse::<LockerStatus>().unwrap_err().to_string();
        assert!(err.contains("status") && err.contains("in_use"), "{err}");
        assert!(LockerSize::Small < LockerSize::Large);
        assert_eq!("in_use".parse::<LockerStatus>().unwrap(), LockerStatus::InUse);
    }
}
