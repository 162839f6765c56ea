//! `ports::StatsStore` on a real database (SQLite file always, PostgreSQL when
//! `LOCKER_TEST_POSTGRES_URL` is set): every tally the database computes equals the same
//! figure computed in Rust from the listed rows, over a few hundred rentals and payments
//! spread over ten days, six lockers and two stations, with times at microsecond precision
//! around midnight in UTC and in the offsets asked for.
#![cfg(all(feature = "test-utils", feature = "sqlite"))]

use std::collections::BTreeMap;

use chrono::{Datelike, FixedOffset, NaiveDate, TimeDelta, Timelike};
use locker_core::alloc::{AllocationRequest, LockerChoice};
use locker_core::domain::*;
use locker_core::orders::{Charge, OrderChange, Payment, PaymentMethod, PaymentPurpose};
use locker_core::ports::*;
use locker_core::testing::databases;

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Monday 2026-03-02, 00:00 UTC.
fn base() -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc()
}

/// A creation time: anywhere in ten days, or a few microseconds either side of midnight
/// in UTC, UTC+08:00 or UTC-05:00.
fn creation_time(rng: &mut Rng) -> Timestamp {
    let day = TimeDelta::days(rng.below(10) as i64);
    let micros = TimeDelta::microseconds(rng.below(5) as i64);
    match rng.below(5) {
        0 => base() + day - micros - TimeDelta::microseconds(1),
        1 => base() + day + TimeDelta::hours(16) + micros,
        2 => base() + day + TimeDelta::hours(16) - micros - TimeDelta::microseconds(1),
        3 => base() + day + TimeDelta::hours(5) - micros,
        _ => base() + TimeDelta::microseconds(rng.below(10 * 86_400_000_000) as i64),
    }
}

fn minutes(rng: &mut Rng, most: u64) -> TimeDelta {
    // Some durations under a second, some with a fractional second, some long.
    TimeDelta::microseconds(rng.below(most * 60_000_000) as i64 + rng.below(2_000_000) as i64)
}

/// Writes about `count` rentals over `lockers`; each locker's last one stays live.
async fn populate(db: &dyn Database, lockers: &[Locker], user: &User, count: usize) {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    for i in 0..count {
        let locker = &lockers[i % lockers.len()];
        let last = i + lockers.len() >= count;
        let created = creation_time(&mut rng);
        let order = rng.chance(50);
        let started = (!order || rng.chance(50)).then(|| created + minutes(&mut rng, 20));
        let new = NewRental {
            user_id: Some(user.id),
            kind: if order { RentalKind::Order } else { RentalKind::Session },
            state: if order { RentalState::PendingPayment } else { RentalState::Active },
            auth_method: AuthMethod::ALL[rng.below(AuthMethod::ALL.len() as u64) as usize],
            half_hours: if order { 1 + rng.below(6) as u32 } else { 0 },
            amount: Money(0),
            started_at: if order { None } else { started },
            paid_until: None,
        };
        let request = AllocationRequest::explicit(LockerChoice::Id(locker.id));
        let log = NewTxLog::new(TxAction::Reserve, created);
        let (mut rental, _) = db.allocate_and_create_rental(&request, new, log, created).await.unwrap();
        if order && rng.chance(70) {
            rental = pay(db, &rental, PaymentPurpose::Pay, created + minutes(&mut rng, 10), &mut rng).await;
            if rng.chance(30) {
                let at = created + minutes(&mut rng, 300);
                rental = pay(db, &rental, PaymentPurpose::Extend, at, &mut rng).await;
            }
        }
        if last {
            continue;
        }
        let state = match rng.below(10) {
            0 => RentalState::Cancelled,
            1 => RentalState::Expired,
            _ => RentalState::Completed,
        };
        let start = started.unwrap_or(rental.created_at);
        // A few end before they start (clock steps), a few end at once.
        let ended = match rng.below(20) {
            0 => start - TimeDelta::seconds(3),
            1 => start,
            _ => start + minutes(&mut rng, 600),
        };
        let updated = Rental { state, started_at: started, ended_at: Some(ended), ..rental.clone() };
        let log = NewTxLog::new(TxAction::CheckOut, ended);
        db.transition_rental(rental.id, rental.state, &updated, Some(LockerStatus::Available), log).await.unwrap();
    }
}

/// Pays for `rental` (or extends it) at `at`, by WeChat or Alipay.
async fn pay(db: &dyn Database, rental: &Rental, purpose: PaymentPurpose, at: Timestamp, rng: &mut Rng) -> Rental {
    let amount = Money(100 + rng.below(900) as i64);
    let updated = Rental {
        state: RentalState::Reserved,
        amount: Money(rental.amount.minor() + amount.minor()),
        ..rental.clone()
    };
    let method = if rng.chance(50) { PaymentMethod::Wechat } else { PaymentMethod::Alipay };
    let change = OrderChange {
        expected: rental.state,
        updated,
        locker_status: None,
        log: NewTxLog::new(TxAction::Pay, at),
        charge: Some(Charge { user_id: rental.user_id.unwrap(), method, purpose, amount }),
        command: None,
    };
    db.change_order(change).await.unwrap()
}

fn when(r: &Rental, m: Moment) -> Option<Timestamp> {
    match m {
        Moment::Created => Some(r.created_at),
        Moment::Started => Some(r.started_at.unwrap_or(r.created_at)),
        Moment::Ended => r.ended_at,
    }
}

/// The tally of `rentals` computed in Rust, the way the handlers used to.
fn expected_rentals(rentals: &[Rental], w: &RentalWindow, by: RentalGrouping) -> Vec<RentalTally> {
    let mut groups: BTreeMap<TallyKey, RentalTally> = BTreeMap::new();
    let inside = |r: &&Rental| {
        w.from.is_none_or(|f| r.created_at >= f)
            && w.to.is_none_or(|t| r.created_at < t)
            && w.locker_id.is_none_or(|l| r.locker_id == l)
            && w.kind.is_none_or(|k| r.kind == k)
    };
    for r in rentals.iter().filter(inside) {
        let local = |m: Moment, off: FixedOffset| when(r, m).map(|t| t.with_timezone(&off));
        let key = match by {
            RentalGrouping::All => Some(TallyKey::All),
            RentalGrouping::State => Some(TallyKey::State(r.state)),
            RentalGrouping::AuthMethod => Some(TallyKey::AuthMethod(r.auth_method)),
            RentalGrouping::Locker => Some(TallyKey::Locker(r.locker_id)),
            RentalGrouping::Hour(m, off) => local(m, off).map(|t| TallyKey::Hour(t.hour())),
            RentalGrouping::Weekday(m, off) => {
                local(m, off).map(|t| TallyKey::Weekday(t.weekday().num_days_from_monday()))
            }
            RentalGrouping::Day(m, off) => local(m, off).map(|t| TallyKey::Day(t.date_naive())),
        };
        let Some(key) = key else { continue };
        let g = groups.entry(key.clone()).or_insert_with(|| RentalTally::empty(key));
        let start = r.started_at.unwrap_or(r.created_at);
        g.rentals += 1;
        if r.state == RentalState::Completed && r.ended_at.is_some() {
            g.completed += 1;
        }
        if let Some(end) = r.ended_at.filter(|e| r.state == RentalState::Completed && *e > start) {
            g.timed += 1;
            g.timed_seconds += (end - start).num_seconds();
        }
        if let (Some(from), Some(to)) = (w.from, w.to) {
            let s = start.max(from);
            let e = if r.state.is_live() { Some(to) } else { r.ended_at.map(|e| e.min(to)) };
            if let Some(e) = e.filter(|e| *e > s) {
                g.busy_seconds += (e - s).num_seconds();
            }
        }
        g.order_total = Money(g.order_total.minor() + r.order_total().minor());
        g.last_start = g.last_start.max(Some(start));
    }
    groups.into_values().collect()
}

/// The payment tally of `payments` computed in Rust.
fn expected_payments(payments: &[Payment], by: PaymentGrouping) -> Vec<PaymentTally> {
    let mut groups: BTreeMap<PaymentKey, (i64, std::collections::HashSet<Id>)> = BTreeMap::new();
    for p in payments {
        let key = match by {
            PaymentGrouping::All => PaymentKey::All,
            PaymentGrouping::Day(off) => PaymentKey::Day(p.created_at.with_timezone(&off).date_naive()),
            PaymentGrouping::Station => PaymentKey::Station(p.station.clone()),
        };
        let g = groups.entry(key).or_default();
        g.0 += p.amount.minor();
        g.1.insert(p.rental_id);
    }
    groups
        .into_iter()
        .map(|(key, (minor, orders))| PaymentTally { key, amount: Money(minor), orders: orders.len() as u64 })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_tallies_equal_the_figures_computed_from_the_rows() {
    let offsets = [
        FixedOffset::east_opt(0).unwrap(),
        FixedOffset::east_opt(8 * 3600).unwrap(),
        FixedOffset::west_opt(5 * 3600).unwrap(),
    ];
    for test_db in databases().await {
        let db = locker_core::store::open(&test_db.url).await.unwrap();
        let now = base();
        let new_lockers = (0..6)
            .map(|i| NewLocker {
                code: format!("T{i:02}"),
                station: if i < 4 { "North".into() } else { "South".into() },
                location: "Hall".into(),
                size: LockerSize::Medium,
                controller_id: None,
                relay_channel: 1,
                sensor_channel: 1,
                price_per_hour: Money(150 + 101 * i),
            })
            .collect();
        let lockers = db.create_lockers(new_lockers, now).await.unwrap();
        let new_user = NewUser {
            email: Some("stats@example.com".into()),
            phone: None,
            username: None,
            full_name: "Stats".into(),
            role: Role::Customer,
            password_hash: String::new(),
        };
        let user = db.create_user(new_user, now).await.unwrap();
        populate(db.as_ref(), &lockers, &user, 360).await;

        let every = RentalFilter::default();
        let rentals = all_pages(|page| db.list_rentals(&every, page)).await.unwrap();
        assert_eq!(rentals.len(), 360);
        let states: std::collections::HashSet<RentalState> = rentals.iter().map(|r| r.state).collect();
        assert!(states.len() >= 5, "{} has rentals in many states: {states:?}", test_db.backend);

        // Whole period, open ends, a window cut mid-day (live rentals and clipping), one
        // locker, one kind.
        let cut_from = base() + TimeDelta::days(2) + TimeDelta::microseconds(7_654_321);
        let cut_to = base() + TimeDelta::days(6) + TimeDelta::hours(13);
        let windows = [
            RentalWindow {
                from: Some(base() - TimeDelta::days(1)),
                to: Some(base() + TimeDelta::days(12)),
                ..Default::default()
            },
            RentalWindow::default(),
            RentalWindow { from: Some(cut_from), to: Some(cut_to), ..Default::default() },
            RentalWindow { from: Some(cut_from), to: None, kind: Some(RentalKind::Order), ..Default::default() },
            RentalWindow { from: None, to: Some(cut_to), locker_id: Some(lockers[1].id), ..Default::default() },
            RentalWindow {
                from: Some(cut_from),
                to: Some(cut_to),
                kind: Some(RentalKind::Session),
                locker_id: Some(lockers[4].id),
            },
        ];
        let mut groupings =
            vec![RentalGrouping::All, RentalGrouping::State, RentalGrouping::AuthMethod, RentalGrouping::Locker];
        for off in offsets {
            for m in [Moment::Created, Moment::Started, Moment::Ended] {
                groupings.extend([
                    RentalGrouping::Hour(m, off),
                    RentalGrouping::Weekday(m, off),
                    RentalGrouping::Day(m, off),
                ]);
            }
        }
        for w in &windows {
            for by in &groupings {
                let got = db.tally_rentals(w, *by).await.unwrap();
                let want = expected_rentals(&rentals, w, *by);
                assert_eq!(got, want, "{}: {by:?} over {w:?}", test_db.backend);
            }
        }
        // The live ones were counted busy up to the window's end.
        let busy = db.tally_rentals(&windows[2], RentalGrouping::All).await.unwrap();
        assert!(busy[0].busy_seconds > 0 && busy[0].timed > 0 && busy[0].order_total.minor() > 0);
        // An empty window has no groups at all.
        let empty = RentalWindow { from: Some(base() + TimeDelta::days(30)), ..Default::default() };
        assert_eq!(db.tally_rentals(&empty, RentalGrouping::All).await.unwrap(), vec![]);

        // query_rentals filters kind and station in the database, as the seed's admin order
        // list pages them: every page and the total agree with the listed rows.
        let station_of: std::collections::HashMap<Id, &str> =
            lockers.iter().map(|l| (l.id, l.station.as_str())).collect();
        let filters =
            [(Some(RentalKind::Order), Some("South")), (Some(RentalKind::Session), None), (None, Some("North"))];
        for (kind, station) in filters {
            let query = RentalQuery {
                kind,
                station: station.map(str::to_owned),
                from: Some(cut_from),
                ..RentalQuery::default()
            };
            let mut want: Vec<&Rental> = rentals
                .iter()
                .filter(|r| r.created_at >= cut_from && kind.is_none_or(|k| r.kind == k))
                .filter(|r| station.is_none_or(|s| station_of[&r.locker_id] == s))
                .collect();
            want.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            let want: Vec<Id> = want.iter().map(|r| r.id).collect();
            let got = all_pages(|page| db.query_rentals(&query, page)).await.unwrap();
            assert_eq!(got.iter().map(|r| r.id).collect::<Vec<_>>(), want, "{}: {query:?}", test_db.backend);
            let second = db.query_rentals(&query, Page::new(2, 7).unwrap()).await.unwrap();
            assert_eq!(second.total, want.len() as u64);
            assert_eq!(second.items.iter().map(|r| r.id).collect::<Vec<_>>(), want[7..14.min(want.len())]);
        }

        let periods = [
            (base() - TimeDelta::days(1), base() + TimeDelta::days(12)),
            (cut_from, cut_to),
            (base() + TimeDelta::days(40), base() + TimeDelta::days(41)),
        ];
        let mut payment_groupings = vec![PaymentGrouping::All, PaymentGrouping::Station];
        payment_groupings.extend(offsets.map(PaymentGrouping::Day));
        for (from, to) in periods {
            let payments = db.list_payments(from, to).await.unwrap();
            for by in &payment_groupings {
                let got = db.tally_payments(from, to, *by).await.unwrap();
                assert_eq!(got, expected_payments(&payments, *by), "{}: {by:?} over {from}..{to}", test_db.backend);
            }
        }
        let all = db.tally_payments(periods[0].0, periods[0].1, PaymentGrouping::All).await.unwrap();
        assert!(all[0].orders > 50, "{}: enough paid orders to mean something: {all:?}", test_db.backend);
    }
}
