//! The allocation policy: which free locker fits a request.
//!
//! Pure code: the stores fetch candidate lockers inside their write transaction and ask
//! [`choose`] which one to take, so the rule lives in one place and is tested without a
//! database. The order is:
//!
//! 1. an explicitly requested locker (by id or code) is honoured if it is free, and refused
//!    with a precise error if it is not;
//! 2. otherwise only *free* lockers count (status `available` and door `closed`: never
//!    maintenance, reserved or in use, never an open or unknown door), in the requested
//!    station and location;
//! 3. the smallest size that fits wins (the requested size, or larger ones when
//!    `allow_larger` is set);
//! 4. among those, the least recently used (`last_used_at` never set first, then oldest),
//!    spreading wear; the locker code breaks ties so the choice is deterministic.
//!
//! Nothing here panics; every refusal is an [`Error`].

use serde::{Deserialize, Serialize};

use crate::domain::{DoorState, Id, Locker, LockerSize, LockerStatus};
use crate::{Error, Result};

/// A locker named by the caller (seed 001 books a named cabinet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockerChoice {
    /// By stable id.
    Id(Id),
    /// By human code (`A01`).
    Code(String),
}

impl LockerChoice {
    /// Whether `locker` is the one named.
    pub fn names(&self, locker: &Locker) -> bool {
        match self {
            LockerChoice::Id(id) => locker.id == *id,
            LockerChoice::Code(code) => locker.code == *code,
        }
    }
}

impl std::fmt::Display for LockerChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockerChoice::Id(id) => write!(f, "{id}"),
            LockerChoice::Code(code) => f.write_str(code),
        }
    }
}

/// What the caller wants: a size, where, and optionally one locker in particular.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationRequest {
    /// The smallest size that fits the things to store.
    pub size: LockerSize,
    /// Whether a larger locker may be given when none of `size` is free.
    pub allow_larger: bool,
    /// Only lockers of this station, if set.
    pub station: Option<String>,
    /// Only lockers at this location, if set.
    pub location: Option<String>,
    /// This locker and no other, if set (size and place filters are then ignored).
    pub locker: Option<LockerChoice>,
    /// Lockers not to give even when free, such as those whose door is still finishing
    /// the previous renter's unlock (ignored for an explicit [`locker`](Self::locker)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub avoid: Vec<Id>,
}

impl AllocationRequest {
    /// A request for `size` anywhere, falling back to larger sizes.
    pub fn new(size: LockerSize) -> Self {
        Self { size, allow_larger: true, station: None, location: None, locker: None, avoid: Vec::new() }
    }

    /// A request for one named locker.
    pub fn explicit(choice: LockerChoice) -> Self {
        Self { locker: Some(choice), ..Self::new(LockerSize::Small) }
    }

    /// The sizes that may be given, smallest first.
    pub fn acceptable_sizes(&self) -> Vec<LockerSize> {
        LockerSize::ALL.iter().copied().filter(|s| *s == self.size || (self.allow_larger && *s > self.size)).collect()
    }

    /// Whether `locker` is in the requested station and location, of an acceptable size and
    /// not to be avoided.
    pub fn accepts(&self, locker: &Locker) -> bool {
        !self.avoid.contains(&locker.id)
            && self.station.as_ref().is_none_or(|s| *s == locker.station)
            && self.location.as_ref().is_none_or(|l| *l == locker.location)
            && (locker.size == self.size || (self.allow_larger && locker.size > self.size))
    }
}

/// Why a locker cannot be given right now, or `None` when it is free.
pub fn unavailability(locker: &Locker) -> Option<String> {
    if locker.status != LockerStatus::Available {
        return Some(format!("locker {} is {}", locker.code, locker.status));
    }
    if locker.door != DoorState::Closed {
        return Some(format!("locker {} has its door {}", locker.code, locker.door));
    }
    None
}

/// Whether `locker` may be allocated: available, with its door known to be closed.
pub fn is_free(locker: &Locker) -> bool {
    unavailability(locker).is_none()
}

/// The sort key of the policy: smallest size, never used first, least recently used, code.
fn preference(locker: &Locker) -> impl Ord + '_ {
    (locker.size, locker.last_used_at.is_some(), locker.last_used_at, locker.code.as_str())
}

/// Chooses the locker to give for `request` among `candidates`.
///
/// Errors: an explicit locker that is not among the candidates is [`Error::NotFound`]; one
/// that is not free is [`Error::Conflict`] saying why; no free fitting locker is
/// [`Error::NoAvailableLocker`].
pub fn choose<'a>(request: &AllocationRequest, candidates: &'a [Locker]) -> Result<&'a Locker> {
    if let Some(choice) = &request.locker {
        let locker = candidates.iter().find(|l| choice.names(l)).ok_or_else(|| Error::not_found("locker", choice))?;
        return match unavailability(locker) {
            None => Ok(locker),
            Some(why) => Err(Error::Conflict(format!("{why}, not available"))),
        };
    }
    candidates
        .iter()
        .filter(|l| is_free(l) && request.accepts(l))
        .min_by(|a, b| preference(a).cmp(&preference(b)))
        .ok_or(Error::NoAvailableLocker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, new_id};
    use crate::error::ErrorCode;
    use chrono::{TimeZone, Utc};

    fn locker(code: &str, size: LockerSize) -> Locker {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Locker {
            id: new_id(),
            code: code.into(),
            station: "S1".into(),
            location: "Floor 1".into(),
            size,
            status: LockerStatus::Available,
            door: DoorState::Closed,
            controller_id: None,
            relay_channel: 1,
            sensor_channel: 1,
            price_per_hour: Money(200),
            last_used_at: None,
            created_at: t,
            updated_at: t,
        }
    }

    fn hours_ago(h: i64) -> Option<crate::domain::Timestamp> {
        Some(Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap() - chrono::TimeDelta::hours(h))
    }

    #[test]
    fn smallest_fitting_size_wins_over_larger() {
        let c = [locker("L1", LockerSize::Large), locker("M1", LockerSize::Medium), locker("S1", LockerSize::Small)];
        assert_eq!(choose(&AllocationRequest::new(LockerSize::Small), &c).unwrap().code, "S1");
        assert_eq!(choose(&AllocationRequest::new(LockerSize::Medium), &c).unwrap().code, "M1");
    }

    #[test]
    fn falls_back_to_larger_only_when_allowed() {
        let c = [locker("L1", LockerSize::Large)];
        let mut req = AllocationRequest::new(LockerSize::Small);
        assert_eq!(choose(&req, &c).unwrap().code, "L1");
        req.allow_larger = false;
        assert_eq!(choose(&req, &c).unwrap_err().code(), ErrorCode::NoAvailableLocker);
    }

    #[test]
    fn never_gives_a_smaller_locker() {
        let c = [locker("S1", LockerSize::Small)];
        let err = choose(&AllocationRequest::new(LockerSize::Large), &c).unwrap_err();
        assert!(matches!(err, Error::NoAvailableLocker));
    }

    #[test]
    fn least_recently_used_first_and_never_used_before_all() {
        let mut a = locker("A", LockerSize::Small);
        a.last_used_at = hours_ago(1);
        let mut b = locker("B", LockerSize::Small);
        b.last_used_at = hours_ago(5);
        let req = AllocationRequest::new(LockerSize::Small);
        assert_eq!(choose(&req, &[a.clone(), b.clone()]).unwrap().code, "B");
        let c = locker("C", LockerSize::Small);
        assert_eq!(choose(&req, &[a, b, c]).unwrap().code, "C");
    }

    #[test]
    fn skips_busy_lockers_and_unsafe_doors() {
        let mut busy = Vec::new();
        for (i, status) in
            [LockerStatus::Maintenance, LockerStatus::Reserved, LockerStatus::InUse].into_iter().enumerate()
        {
            let mut l = locker(&format!("B{i}"), LockerSize::Small);
            l.status = status;
            busy.push(l);
        }
        for (i, door) in [DoorState::Open, DoorState::Unknown].into_iter().enumerate() {
            let mut l = locker(&format!("D{i}"), LockerSize::Small);
            l.door = door;
            busy.push(l);
        }
        let req = AllocationRequest::new(LockerSize::Small);
        assert!(matches!(choose(&req, &busy), Err(Error::NoAvailableLocker)));
        busy.push(locker("FREE", LockerSize::Large));
        assert_eq!(choose(&req, &busy).unwrap().code, "FREE");
    }

    #[test]
    fn station_and_location_filters() {
        let mut other = locker("X1", LockerSize::Small);
        other.station = "S2".into();
        let mut upstairs = locker("U1", LockerSize::Small);
        upstairs.location = "Floor 2".into();
        let c = [other, upstairs];
        let mut req = AllocationRequest::new(LockerSize::Small);
        req.station = Some("S2".into());
        assert_eq!(choose(&req, &c).unwrap().code, "X1");
        req.station = Some("S1".into());
        req.location = Some("Floor 2".into());
        assert_eq!(choose(&req, &c).unwrap().code, "U1");
        req.location = Some("Floor 9".into());
        assert!(matches!(choose(&req, &c), Err(Error::NoAvailableLocker)));
    }

    #[test]
    fn explicit_choice_is_honoured_even_if_not_the_preferred_one() {
        let c = [locker("S1", LockerSize::Small), locker("L9", LockerSize::Large)];
        let by_code = AllocationRequest::explicit(LockerChoice::Code("L9".into()));
        assert_eq!(choose(&by_code, &c).unwrap().code, "L9");
        let by_id = AllocationRequest::explicit(LockerChoice::Id(c[0].id));
        assert_eq!(choose(&by_id, &c).unwrap().code, "S1");
    }

    #[test]
    fn explicit_choice_refused_precisely() {
        let mut l = locker("A01", LockerSize::Small);
        l.status = LockerStatus::Maintenance;
        let req = AllocationRequest::explicit(LockerChoice::Code("A01".into()));
        let err = choose(&req, std::slice::from_ref(&l)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict);
        assert!(err.to_string().contains("A01 is maintenance"), "{err}");

        l.status = LockerStatus::Available;
        l.door = DoorState::Open;
        let err = choose(&req, std::slice::from_ref(&l)).unwrap_err();
        assert!(err.to_string().contains("door open"), "{err}");

        let missing = AllocationRequest::explicit(LockerChoice::Code("Z99".into()));
        let err = choose(&missing, std::slice::from_ref(&l)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);
        assert!(err.to_string().contains("Z99"));
    }

    #[test]
    fn acceptable_sizes_are_smallest_first() {
        assert_eq!(
            AllocationRequest::new(LockerSize::Medium).acceptable_sizes(),
            vec![LockerSize::Medium, LockerSize::Large]
        );
        let exact = AllocationRequest { allow_larger: false, ..AllocationRequest::new(LockerSize::Small) };
        assert_eq!(exact.acceptable_sizes(), vec![LockerSize::Small]);
    }
}
