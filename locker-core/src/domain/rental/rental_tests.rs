use std::collections::BTreeSet;

use chrono::TimeZone;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use super::*;

fn t0() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 18, 10, 0, 0).unwrap()
}

fn order(half_hours: u32, price: i64) -> Rental {
    Rental {
        id: crate::domain::new_id(),
        locker_id: crate::domain::new_id(),
        user_id: Some(crate::domain::new_id()),
        kind: RentalKind::Order,
        state: RentalState::PendingPayment,
        auth_method: AuthMethod::PickupCode,
        half_hours,
        price_per_hour: Money(price),
        amount: Money(0),
        created_at: t0(),
        started_at: None,
        paid_until: None,
        last_access_at: None,
        ended_at: None,
    }
}

/// The diagram in the module docs, written out independently of the code under test.
fn allowed_edge(from: RentalState, to: RentalState) -> bool {
    use RentalState::*;
    matches!(
        (from, to),
        (PendingPayment, Reserved | Cancelled | Expired)
            | (Reserved, Opening | Reserved | Cancelled | Expired)
            | (Opening, Active | Cancelled)
            | (Active, Active | Completed)
    )
}

#[test]
fn an_order_lives_from_payment_to_checkout() {
    let r = order(3, 200);
    let (r, actions) = r.apply(RentalEvent::Pay, t0()).unwrap();
    assert_eq!(r.state, RentalState::Reserved);
    assert_eq!(r.amount, Money(300));
    assert_eq!(r.paid_until, Some(t0() + chrono::TimeDelta::minutes(90)));
    assert!(actions.contains(&RentalAction::IssuePickupCode));
    assert!(actions.contains(&RentalAction::SetLockerStatus(LockerStatus::Reserved)));

    let (r, actions) = r.apply(RentalEvent::Open, t0() + chrono::TimeDelta::minutes(5)).unwrap();
    assert_eq!((r.state, actions[0]), (RentalState::Opening, RentalAction::Unlock));
    let (r, _) = r.apply(RentalEvent::DoorClosed, t0() + chrono::TimeDelta::minutes(6)).unwrap();
    assert_eq!(r.state, RentalState::Active);
    assert_eq!(r.order_status_view(), "in_use");

    let (r, actions) = r.apply(RentalEvent::Extend { half_hours: 1 }, t0() + chrono::TimeDelta::minutes(7)).unwrap();
    assert_eq!(r.state, RentalState::Active);
    assert_eq!(r.amount, Money(400));
    assert_eq!(r.half_hours, 4);
    assert_eq!(r.paid_until, Some(t0() + chrono::TimeDelta::minutes(120)));
    assert_eq!(actions, vec![RentalAction::Charge(1), RentalAction::Log(TxAction::Extend)]);

    let late = t0() + chrono::TimeDelta::minutes(121);
    assert!(r.is_overdue(late));
    assert_eq!(r.overdue_amount(late), Money(100));

    let (r, actions) = r.apply(RentalEvent::CheckOut, late).unwrap();
    assert_eq!(r.state, RentalState::Completed);
    assert_eq!(r.ended_at, Some(late));
    assert!(actions.contains(&RentalAction::SetLockerStatus(LockerStatus::Available)));
    assert!(!r.is_overdue(late));
}

#[test]
fn a_walk_up_session_enters_at_opening() {
    let mut r = order(0, 0);
    r.kind = RentalKind::Session;
    r.state = RentalState::Opening;
    let (r, _) = r.apply(RentalEvent::DoorClosed, t0()).unwrap();
    assert_eq!(r.started_at, Some(t0()));
    let (r, actions) = r.apply(RentalEvent::Reopen, t0() + chrono::TimeDelta::hours(1)).unwrap();
    assert_eq!(r.last_access_at, Some(t0() + chrono::TimeDelta::hours(1)));
    assert_eq!(actions, vec![RentalAction::Unlock, RentalAction::Log(TxAction::Update)]);
    assert_eq!(r.state.session_status(), "active");
}

#[test]
fn illegal_events_are_typed_errors() {
    let r = order(2, 100);
    let err = r.apply(RentalEvent::CheckOut, t0()).unwrap_err();
    assert_eq!(err.machine, "rental");
    assert_eq!(err.state, "pending_payment");
    assert_eq!(err.event, "check_out");
    assert!(RentalState::Active.on(RentalEvent::Extend { half_hours: 0 }).is_err());
    for end in [RentalState::Completed, RentalState::Cancelled, RentalState::Expired] {
        for ev in all_events() {
            assert!(end.on(ev).is_err(), "{end} accepted {ev:?}");
        }
    }
}

fn all_events() -> Vec<RentalEvent> {
    vec![
        RentalEvent::Pay,
        RentalEvent::Open,
        RentalEvent::DoorClosed,
        RentalEvent::Reopen,
        RentalEvent::Extend { half_hours: 1 },
        RentalEvent::Extend { half_hours: 0 },
        RentalEvent::CheckOut,
        RentalEvent::Cancel,
        RentalEvent::Expire,
    ]
}

fn event() -> impl Strategy<Value = RentalEvent> {
    prop_oneof![
        Just(RentalEvent::Pay),
        Just(RentalEvent::Open),
        Just(RentalEvent::DoorClosed),
        Just(RentalEvent::Reopen),
        (0u32..4).prop_map(|half_hours| RentalEvent::Extend { half_hours }),
        Just(RentalEvent::CheckOut),
        Just(RentalEvent::Cancel),
        Just(RentalEvent::Expire),
    ]
}

/// A rental starts either as an order (pending payment) or a walk-up session (opening).
fn start() -> impl Strategy<Value = RentalState> {
    prop_oneof![Just(RentalState::PendingPayment), Just(RentalState::Opening)]
}

/// Walks `events` from `start`, checking every step; returns the states visited.
fn walk(start: RentalState, events: &[RentalEvent]) -> Result<Vec<RentalState>, TestCaseError> {
    let mut r = order(2, 150);
    r.state = start;
    let mut now = t0();
    let mut seen = vec![start];
    for &ev in events {
        now += chrono::TimeDelta::minutes(7);
        match r.apply(ev, now) {
            Ok((next, actions)) => {
                prop_assert!(allowed_edge(r.state, next.state), "{} -> {} on {ev:?}", r.state, next.state);
                prop_assert!(r.state.is_live(), "a final state accepted {ev:?}");
                if next.state.is_final() {
                    prop_assert_eq!(next.ended_at, Some(now));
                    prop_assert!(actions.contains(&RentalAction::SetLockerStatus(LockerStatus::Available)));
                }
                prop_assert!(next.amount.0 >= r.amount.0, "amount went down");
                r = next;
                seen.push(r.state);
            }
            Err(err) => {
                prop_assert_eq!(err.state, r.state.to_string());
                prop_assert_eq!(err.event, ev.name());
            }
        }
    }
    Ok(seen)
}

proptest! {
    #[test]
    fn random_sequences_follow_the_diagram(start in start(), events in prop::collection::vec(event(), 0..16)) {
        walk(start, &events)?;
    }
}

#[test]
fn every_state_is_reached_by_some_generated_sequence() {
    let mut runner = TestRunner::new(Config { cases: 512, ..Config::default() });
    let mut reached = BTreeSet::new();
    let strategy = (start(), prop::collection::vec(event(), 0..16));
    for _ in 0..512 {
        let (s, events) = strategy.new_tree(&mut runner).unwrap().current();
        reached.extend(walk(s, &events).unwrap());
    }
    let all: BTreeSet<_> = RentalState::ALL.iter().copied().collect();
    assert_eq!(reached, all);
}

impl Rental {
    fn order_status_view(&self) -> &'static str {
        self.state.order_status()
    }
}
