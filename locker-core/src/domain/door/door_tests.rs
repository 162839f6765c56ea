use std::collections::BTreeSet;

use chrono::{TimeDelta, TimeZone};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use super::*;

fn t0() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 18, 10, 0, 0).unwrap()
}

fn cfg() -> DoorConfig {
    DoorConfig::default()
}

fn closed() -> Door {
    Door::from_state(DoorState::Closed)
}

/// Steps a door through `(seconds after t0, event)` pairs, returning the door and all actions.
fn run(mut door: Door, steps: &[(i64, DoorEvent)]) -> (Door, Vec<DoorAction>) {
    let mut all = Vec::new();
    for &(secs, ev) in steps {
        let (next, actions) = door.on(ev, t0() + TimeDelta::seconds(secs), &cfg()).unwrap();
        door = next;
        all.extend(actions);
    }
    (door, all)
}

#[test]
fn unlock_then_open_then_close_raises_no_alert() {
    use DoorEvent::*;
    let (door, actions) = run(closed(), &[(0, UnlockSent), (2, SensorOpen), (30, SensorClosed)]);
    assert_eq!(door.phase, DoorPhase::Closed);
    assert_eq!(
        actions,
        vec![
            DoorAction::SetDoor(DoorState::Open),
            DoorAction::Opened,
            DoorAction::SetDoor(DoorState::Closed),
            DoorAction::Closed
        ]
    );
}

#[test]
fn opening_without_unlock_is_an_unauthorized_open() {
    let (door, actions) = run(closed(), &[(0, DoorEvent::SensorOpen)]);
    assert!(matches!(door.phase, DoorPhase::Open { authorized: false, .. }));
    assert!(actions.contains(&DoorAction::Alert(AlertKind::UnauthorizedOpen)));
    assert_eq!(AlertKind::UnauthorizedOpen.default_severity(), crate::domain::Severity::Critical);
}

#[test]
fn a_jammed_lock_is_retried_once_then_reported_and_taken_out_of_service() {
    use DoorEvent::*;
    let (door, actions) = run(closed(), &[(0, UnlockSent), (5, Tick), (10, Tick), (15, Tick), (20, Tick)]);
    assert_eq!(
        actions,
        vec![DoorAction::RetryUnlock, DoorAction::Alert(AlertKind::LockJam), DoorAction::ToMaintenance]
    );
    assert_eq!(door.phase, DoorPhase::Closed);
}

#[test]
fn a_second_pulse_while_unlocking_is_refused() {
    let door = run(closed(), &[(0, DoorEvent::UnlockSent)]).0;
    let err = door.on(DoorEvent::UnlockSent, t0(), &cfg()).unwrap_err();
    assert_eq!((err.machine, err.state.as_str(), err.event.as_str()), ("door", "unlocking", "unlock_sent"));
}

#[test]
fn unlock_fires_even_when_the_sensor_reads_open() {
    let door = run(closed(), &[(0, DoorEvent::SensorOpen)]).0;
    let (after, actions) = door.on(DoorEvent::UnlockSent, t0() + TimeDelta::seconds(1), &cfg()).unwrap();
    assert!(actions.is_empty());
    assert_eq!(after.state(), DoorState::Open);
}

#[test]
fn a_door_left_open_is_reported_once() {
    use DoorEvent::*;
    let (_, actions) = run(closed(), &[(0, UnlockSent), (1, SensorOpen), (100, Tick), (181, Tick), (400, Tick)]);
    let alerts: Vec<_> = actions.iter().filter(|a| matches!(a, DoorAction::Alert(_))).collect();
    assert_eq!(alerts, vec![&DoorAction::Alert(AlertKind::DoorLeftOpen)]);
}

#[test]
fn a_flapping_sensor_is_a_malfunction() {
    let mut door = closed();
    let mut actions = Vec::new();
    for i in 0..12 {
        let ev = if i % 2 == 0 { DoorEvent::SensorOpen } else { DoorEvent::SensorClosed };
        let (next, a) = door.on(ev, t0() + TimeDelta::milliseconds(50 * i), &cfg()).unwrap();
        door = next;
        actions.extend(a);
    }
    assert!(actions.contains(&DoorAction::Alert(AlertKind::SensorMalfunction)));
}

#[test]
fn back_to_back_cycles_are_not_bounces() {
    // Ten renters, each opening and shutting the door within a millisecond of the unlock
    // and of one another: every edge is under the bounce interval, yet each cycle is whole.
    let mut door = closed();
    let mut actions = Vec::new();
    for cycle in 0..10 {
        for (offset, ev) in [(0, DoorEvent::UnlockSent), (1, DoorEvent::SensorOpen), (2, DoorEvent::SensorClosed)] {
            let (next, a) = door.on(ev, t0() + TimeDelta::milliseconds(3 * cycle + offset), &cfg()).unwrap();
            door = next;
            actions.extend(a);
        }
    }
    assert!(!actions.iter().any(|a| matches!(a, DoorAction::Alert(_))), "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == DoorAction::Closed).count(), 10);
    assert_eq!(door.phase, DoorPhase::Closed);
}

#[test]
fn a_sensor_flapping_after_an_unlock_is_still_a_malfunction() {
    let mut door = run(closed(), &[(0, DoorEvent::UnlockSent)]).0;
    let mut actions = Vec::new();
    for i in 0..12 {
        let ev = if i % 2 == 0 { DoorEvent::SensorOpen } else { DoorEvent::SensorClosed };
        let (next, a) = door.on(ev, t0() + TimeDelta::milliseconds(1 + 50 * i), &cfg()).unwrap();
        door = next;
        actions.extend(a);
    }
    assert!(actions.contains(&DoorAction::Alert(AlertKind::SensorMalfunction)));
}

#[test]
fn deadlines_follow_the_phase() {
    let door = run(closed(), &[(0, DoorEvent::UnlockSent)]).0;
    assert_eq!(door.next_deadline(&cfg()), Some(t0() + cfg().open_window));
    assert_eq!(closed().next_deadline(&cfg()), None);
}

fn phase_name(p: DoorPhase) -> &'static str {
    match p {
        DoorPhase::Closed => "closed",
        DoorPhase::Unlocking { .. } => "unlocking",
        DoorPhase::Open { .. } => "open",
        DoorPhase::Unknown => "unknown",
    }
}

/// The diagram in the module docs, written out independently of the code under test.
fn allowed_edge(from: DoorPhase, to: DoorPhase) -> bool {
    matches!(
        (phase_name(from), phase_name(to)),
        ("closed", "closed" | "unlocking" | "open" | "unknown")
            | ("unlocking", "unlocking" | "open" | "closed" | "unknown")
            | ("open", "open" | "closed" | "unknown")
            | ("unknown", "unknown" | "unlocking" | "open" | "closed")
    )
}

fn event() -> impl Strategy<Value = DoorEvent> {
    prop_oneof![
        Just(DoorEvent::UnlockSent),
        Just(DoorEvent::SensorOpen),
        Just(DoorEvent::SensorClosed),
        Just(DoorEvent::SensorFault),
        Just(DoorEvent::StatusObserved(DoorState::Open)),
        Just(DoorEvent::StatusObserved(DoorState::Closed)),
        Just(DoorEvent::StatusObserved(DoorState::Unknown)),
        Just(DoorEvent::Tick),
    ]
}

fn steps() -> impl Strategy<Value = Vec<(u32, DoorEvent)>> {
    prop::collection::vec((0u32..20_000, event()), 0..24)
}

fn walk(steps: &[(u32, DoorEvent)]) -> Result<BTreeSet<&'static str>, TestCaseError> {
    let mut door = Door::unknown();
    let mut now = t0();
    let mut seen = BTreeSet::from([phase_name(door.phase)]);
    for &(millis, ev) in steps {
        now += TimeDelta::milliseconds(i64::from(millis));
        match door.on(ev, now, &cfg()) {
            Ok((next, actions)) => {
                prop_assert!(allowed_edge(door.phase, next.phase), "{:?} -> {:?} on {ev:?}", door.phase, next.phase);
                if actions.contains(&DoorAction::Alert(AlertKind::UnauthorizedOpen)) {
                    prop_assert_eq!(door.phase, DoorPhase::Closed);
                }
                if actions.contains(&DoorAction::Opened) {
                    prop_assert!(matches!(door.phase, DoorPhase::Unlocking { .. }), "opened from {:?}", door.phase);
                }
                if let DoorPhase::Unlocking { attempts, .. } = next.phase {
                    prop_assert!(attempts <= cfg().max_attempts);
                }
                door = next;
                seen.insert(phase_name(door.phase));
            }
            Err(err) => {
                prop_assert_eq!(err.event, ev.name());
                prop_assert!(
                    matches!(door.phase, DoorPhase::Unlocking { .. }) && ev == DoorEvent::UnlockSent,
                    "refused {:?} in {:?}",
                    ev,
                    door.phase
                );
            }
        }
    }
    Ok(seen)
}

proptest! {
    #[test]
    fn random_sequences_follow_the_diagram(steps in steps()) {
        walk(&steps)?;
    }
}

#[test]
fn every_phase_is_reached_by_some_generated_sequence() {
    let mut runner = TestRunner::new(Config { cases: 256, ..Config::default() });
    let mut reached = BTreeSet::new();
    for _ in 0..256 {
        let steps = steps().new_tree(&mut runner).unwrap().current();
        reached.extend(walk(&steps).unwrap());
    }
    assert_eq!(reached, BTreeSet::from(["closed", "unlocking", "open", "unknown"]));
}

#[test]
fn a_status_read_open_while_unlocking_is_the_door_opening() {
    use DoorEvent::*;
    let (door, actions) = run(closed(), &[(0, UnlockSent), (1, StatusObserved(DoorState::Open))]);
    assert!(matches!(door.phase, DoorPhase::Open { authorized: true, .. }), "got {:?}", door.phase);
    assert_eq!(actions, vec![DoorAction::SetDoor(DoorState::Open), DoorAction::Opened]);
}

#[test]
fn a_status_read_closed_while_unlocking_waits_for_the_person() {
    use DoorEvent::*;
    let (door, actions) = run(closed(), &[(0, UnlockSent), (1, StatusObserved(DoorState::Closed))]);
    assert!(matches!(door.phase, DoorPhase::Unlocking { attempts: 1, .. }), "got {:?}", door.phase);
    assert_eq!(actions, vec![]);
}

#[test]
fn a_status_read_closed_ends_an_open_cycle_whose_close_event_was_lost() {
    use DoorEvent::*;
    let (door, actions) = run(closed(), &[(0, UnlockSent), (1, SensorOpen), (2, StatusObserved(DoorState::Closed))]);
    assert_eq!(door.phase, DoorPhase::Closed);
    assert_eq!(
        actions,
        vec![
            DoorAction::SetDoor(DoorState::Open),
            DoorAction::Opened,
            DoorAction::SetDoor(DoorState::Closed),
            DoorAction::Closed
        ]
    );
}

#[test]
fn status_reads_never_count_as_bounces_and_unknown_readings_change_nothing() {
    use DoorEvent::*;
    let mut door = Door::unknown();
    let mut t = t0();
    for i in 0..20 {
        let state = if i % 2 == 0 { DoorState::Open } else { DoorState::Closed };
        let (next, actions) = door.on(StatusObserved(state), t, &cfg()).unwrap();
        assert!(!actions.contains(&DoorAction::Alert(AlertKind::SensorMalfunction)), "reading {i}: {actions:?}");
        door = next;
        t += TimeDelta::milliseconds(10);
    }
    let before = door;
    let (after, actions) = door.on(StatusObserved(DoorState::Unknown), t, &cfg()).unwrap();
    assert_eq!((after, actions), (before, vec![]));
}

#[test]
fn a_door_read_open_after_a_restart_raises_no_unauthorized_open() {
    use DoorEvent::*;
    let (door, actions) = run(Door::unknown(), &[(0, StatusObserved(DoorState::Open))]);
    assert!(matches!(door.phase, DoorPhase::Open { .. }));
    assert_eq!(actions, vec![DoorAction::SetDoor(DoorState::Open)]);
}

#[test]
fn a_closed_edge_while_unlocking_ends_the_cycle_whose_open_edge_was_lost() {
    use DoorEvent::*;
    let (door, actions) = run(closed(), &[(0, UnlockSent), (3, SensorClosed)]);
    assert_eq!(door.phase, DoorPhase::Closed);
    assert_eq!(actions, vec![DoorAction::Opened, DoorAction::Closed]);
}
