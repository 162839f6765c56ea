//! Store tests, run on a SQLite file always and on PostgreSQL when
//! `LOCKER_TEST_POSTGRES_URL` is set (each test gets a fresh database, dropped afterwards).
//! With the variable set and the server unreachable, the tests fail rather than skip.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use locker_core::alloc::{AllocationRequest, LockerChoice};
use locker_core::domain::*;
use locker_core::ports::*;
use locker_core::{Error, ErrorCode, store};

/// A database under test: its URL (for raw SQL), the store, and what removes it.
struct TestDb {
    name: &'static str,
    url: String,
    store: Arc<dyn Store>,
    _guard: Option<DropDatabase>,
    _dir: Option<tempfile::TempDir>,
}

/// Drops a PostgreSQL test database when the test ends, even on panic.
struct DropDatabase {
    admin_url: String,
    db: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (admin_url, db) = (self.admin_url.clone(), self.db.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                }
            })
        })
        .join();
    }
}

async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("locker.db").display());
    let store = store::open(&url).await.expect("open SQLite");
    TestDb { name: "sqlite", url, store, _guard: None, _dir: Some(dir) }
}

async fn postgres_db(admin_url: &str) -> TestDb {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("LOCKER_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}"));
    let db = format!("locker_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut admin).await.unwrap();
    let guard = DropDatabase { admin_url: admin_url.to_owned(), db: db.clone() };
    let (base, _) = admin_url.rsplit_once('/').expect("URL with a database path");
    let url = format!("{base}/{db}");
    let store = store::open(&url).await.expect("open PostgreSQL");
    TestDb { name: "postgres", url, store, _guard: Some(guard), _dir: None }
}

/// Every backend to test: SQLite always, PostgreSQL when configured.
async fn backends() -> Vec<TestDb> {
    let mut out = vec![sqlite_db().await];
    match std::env::var("LOCKER_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => out.push(postgres_db(&url).await),
        _ => eprintln!("LOCKER_TEST_POSTGRES_URL not set: PostgreSQL store tests skipped"),
    }
    out
}

fn new_locker(code: &str, station: &str, size: LockerSize) -> NewLocker {
    NewLocker {
        code: code.into(),
        station: station.into(),
        location: "Floor 1".into(),
        size,
        controller_id: None,
        relay_channel: 1,
        sensor_channel: 1,
        price_per_hour: Money(200),
    }
}

fn session(state: RentalState, user: Option<Id>) -> NewRental {
    NewRental {
        user_id: user,
        kind: RentalKind::Session,
        state,
        auth_method: AuthMethod::FaceId,
        half_hours: 0,
        amount: Money(0),
        started_at: None,
        paid_until: None,
    }
}

fn log(action: TxAction, now: Timestamp) -> NewTxLog {
    NewTxLog { device: Some("kiosk-1".into()), ..NewTxLog::new(action, now) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_lockers_rentals_log_alerts() {
    for db in backends().await {
        story(db.store.as_ref()).await;
        eprintln!("story passed on {}", db.name);
    }
}

async fn story(s: &dyn Store) {
    let t0 = Utc::now();
    let ctl = s
        .create_controller(NewController { name: "SIM_001".into(), station: "ST1".into(), api_key_hash: None }, t0)
        .await
        .unwrap();
    assert_eq!(s.get_controller_by_name("SIM_001").await.unwrap(), ctl);
    let user = s
        .create_user(
            NewUser {
                email: Some("an@example.com".into()),
                phone: None,
                username: Some("an".into()),
                full_name: "An".into(),
                role: Role::Customer,
                password_hash: String::new(),
            },
            t0,
        )
        .await
        .unwrap();
    assert_eq!(s.get_user_by_email("an@example.com").await.unwrap().id, user.id);

    let mut batch = Vec::new();
    for (code, size) in [
        ("S01", LockerSize::Small),
        ("S02", LockerSize::Small),
        ("M01", LockerSize::Medium),
        ("L01", LockerSize::Large),
    ] {
        batch.push(NewLocker { controller_id: Some(ctl.id), ..new_locker(code, "ST1", size) });
    }
    let lockers = s.create_lockers(batch, t0).await.unwrap();
    assert_eq!(lockers.len(), 4);
    // `LockerFilter::matches` (the in-memory filter) selects what the SQL selects.
    let page = Page::new(1, Page::MAX_LIMIT).unwrap();
    let all = s.list_lockers(&LockerFilter::default(), page).await.unwrap().items;
    for filter in [
        LockerFilter { size: Some(LockerSize::Small), ..LockerFilter::default() },
        LockerFilter { station: Some("ST1".into()), size: Some(LockerSize::Large), ..LockerFilter::default() },
        LockerFilter { status: Some(LockerStatus::Maintenance), ..LockerFilter::default() },
        LockerFilter { location: Some("nowhere".into()), ..LockerFilter::default() },
    ] {
        let by_sql = s.list_lockers(&filter, page).await.unwrap().items;
        let in_memory: Vec<Locker> = all.iter().filter(|l| filter.matches(l)).cloned().collect();
        assert_eq!(by_sql, in_memory, "{filter:?}");
    }
    assert!(lockers.iter().all(|l| l.status == LockerStatus::Available && l.door == DoorState::Closed));

    // Walk-up check-in: smallest size, never used, code order -> S01.
    let t1 = t0 + TimeDelta::seconds(1);
    let req = AllocationRequest { station: Some("ST1".into()), ..AllocationRequest::new(LockerSize::Small) };
    let (rental, locker) = s
        .allocate_and_create_rental(&req, session(RentalState::Opening, Some(user.id)), log(TxAction::CheckIn, t1), t1)
        .await
        .unwrap();
    assert_eq!(locker.code, "S01");
    assert_eq!(locker.status, LockerStatus::InUse);
    assert_eq!(rental.price_per_hour, Money(200));

    // Lockers to avoid (a door still cycling) are passed over in SQL: S02 is avoided, so
    // M01 is given; avoiding every free one leaves none. Nothing is held by the refusal.
    let avoid = |codes: &[&str]| lockers.iter().filter(|l| codes.contains(&l.code.as_str())).map(|l| l.id).collect();
    let none = AllocationRequest { avoid: avoid(&["S02", "M01", "L01"]), ..req.clone() };
    let refused =
        s.allocate_and_create_rental(&none, session(RentalState::Opening, None), log(TxAction::CheckIn, t1), t1);
    assert!(matches!(refused.await, Err(Error::NoAvailableLocker)));
    let skip = AllocationRequest { avoid: avoid(&["S02"]), ..req.clone() };
    let (held, medium) = s
        .allocate_and_create_rental(&skip, session(RentalState::Opening, None), log(TxAction::CheckIn, t1), t1)
        .await
        .unwrap();
    assert_eq!(medium.code, "M01");
    let cancelled = Rental { state: RentalState::Cancelled, ended_at: Some(t1), ..held.clone() };
    let freed = Some(LockerStatus::Available);
    s.transition_rental(held.id, RentalState::Opening, &cancelled, freed, log(TxAction::Cancel, t1)).await.unwrap();
    assert_eq!(s.get_locker(locker.id).await.unwrap().status, LockerStatus::InUse);

    // Door closed -> active; reopen; check out.
    let t2 = t1 + TimeDelta::seconds(20);
    let active = Rental { state: RentalState::Active, started_at: Some(t2), ..rental.clone() };
    let active = s
        .transition_rental(rental.id, RentalState::Opening, &active, None, log(TxAction::SensorTrigger, t2))
        .await
        .unwrap();
    let t3 = t2 + TimeDelta::minutes(30);
    let reopened = Rental { last_access_at: Some(t3), ..active.clone() };
    s.transition_rental(rental.id, RentalState::Active, &reopened, None, log(TxAction::Update, t3)).await.unwrap();

    // A stale writer expecting Opening is refused and writes nothing.
    let stale = Rental { state: RentalState::Cancelled, ..active.clone() };
    let err = s
        .transition_rental(
            rental.id,
            RentalState::Opening,
            &stale,
            Some(LockerStatus::Available),
            log(TxAction::Cancel, t3),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
    assert!(err.to_string().contains("is active, not opening"), "{err}");

    let t4 = t3 + TimeDelta::minutes(30);
    let done = Rental { state: RentalState::Completed, ended_at: Some(t4), ..reopened.clone() };
    let done = s
        .transition_rental(
            rental.id,
            RentalState::Active,
            &done,
            Some(LockerStatus::Available),
            log(TxAction::CheckOut, t4),
        )
        .await
        .unwrap();
    assert_eq!(s.get_rental(rental.id).await.unwrap(), done);

    let s01 = s.get_locker(locker.id).await.unwrap();
    assert_eq!(s01.status, LockerStatus::Available);
    assert_eq!(s01.last_used_at.map(|t| t.timestamp_micros()), Some(t4.timestamp_micros()));

    // The log tells the story in order, with the locker and rental filled in.
    let rows =
        s.list_log(&TxLogFilter { rental_id: Some(rental.id), ..Default::default() }, Page::default()).await.unwrap();
    let actions: Vec<_> = rows.items.iter().map(|r| r.action).collect();
    assert_eq!(actions, [TxAction::CheckIn, TxAction::SensorTrigger, TxAction::Update, TxAction::CheckOut]);
    assert!(rows.items.iter().all(|r| r.locker_id == Some(locker.id) && r.device.as_deref() == Some("kiosk-1")));
    assert_eq!(rows.total, 4);

    // Wear spreading: S02 was never used, so it comes before S01.
    let (second, l2) = s
        .allocate_and_create_rental(&req, session(RentalState::Opening, None), log(TxAction::CheckIn, t4), t4)
        .await
        .unwrap();
    assert_eq!(l2.code, "S02");

    // An order books a named cabinet; the same cabinet again is refused precisely.
    let order = NewRental {
        kind: RentalKind::Order,
        half_hours: 4,
        amount: Money(400),
        ..session(RentalState::PendingPayment, Some(user.id))
    };
    let named = AllocationRequest::explicit(LockerChoice::Code("L01".into()));
    let (o, l01) = s.allocate_and_create_rental(&named, order.clone(), log(TxAction::Reserve, t4), t4).await.unwrap();
    assert_eq!((l01.code.as_str(), l01.status, o.amount), ("L01", LockerStatus::Reserved, Money(400)));
    let err = s.allocate_and_create_rental(&named, order, log(TxAction::Reserve, t4), t4).await.unwrap_err();
    assert!(err.to_string().contains("L01 is reserved"), "{err}");

    // Listings with filters and pagination.
    let live = s.list_rentals(&RentalFilter { live_only: true, ..Default::default() }, Page::default()).await.unwrap();
    let live_ids: HashSet<_> = live.items.iter().map(|r| r.id).collect();
    assert_eq!(live_ids, HashSet::from([second.id, o.id]));
    let mine =
        s.list_rentals(&RentalFilter { user_id: Some(user.id), ..Default::default() }, Page::default()).await.unwrap();
    assert_eq!(mine.total, 2);
    let page = s.list_lockers(&LockerFilter::default(), Page::new(2, 3).unwrap()).await.unwrap();
    assert_eq!((page.total, page.items.len()), (4, 1));
    let free = s
        .list_lockers(&LockerFilter { status: Some(LockerStatus::Available), ..Default::default() }, Page::default())
        .await
        .unwrap();
    let free: Vec<_> = free.items.iter().map(|l| l.code.as_str()).collect();
    assert_eq!(free, ["M01", "S01"]);

    // Alerts: raise, filter, resolve once.
    let alert = s
        .create_alert(NewAlert { locker_id: Some(l01.id), ..NewAlert::new(AlertKind::LockJam, "L01 did not open") }, t4)
        .await
        .unwrap();
    s.create_alert(NewAlert::new(AlertKind::LowBattery, "SIM_001 at 12%"), t4).await.unwrap();
    let open = AlertFilter { resolved: Some(false), severity: Some(Severity::High), ..Default::default() };
    assert_eq!(s.list_alerts(&open, Page::default()).await.unwrap().items, vec![alert.clone()]);
    let resolved = s.resolve_alert(alert.id, "relay replaced", Some(user.id), t4).await.unwrap();
    assert_eq!(resolved.resolution_note.as_deref(), Some("relay replaced"));
    assert_eq!(s.list_alerts(&open, Page::default()).await.unwrap().total, 0);
    let again = s.resolve_alert(alert.id, "twice", None, t4).await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::Conflict);

    let chain = s.verify_log_chain().await.unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!(chain.rows, 8, "6 rows of the story, 2 of the avoided-locker check-in and its cancel");
    let status = s.status().await.unwrap();
    assert!(status.pending.is_empty() && !status.applied.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_allocations_never_double_book() {
    for db in backends().await {
        let started = std::time::Instant::now();
        for round in 0..10 {
            let station = format!("R{round}");
            let lockers: Vec<_> =
                (0..50).map(|i| new_locker(&format!("R{round}-{i:02}"), &station, LockerSize::Small)).collect();
            db.store.create_lockers(lockers, Utc::now()).await.unwrap();
            let tasks: Vec<_> = (0..200)
                .map(|_| {
                    let s = db.store.clone();
                    let req = AllocationRequest {
                        station: Some(station.clone()),
                        ..AllocationRequest::new(LockerSize::Small)
                    };
                    tokio::spawn(async move {
                        let now = Utc::now();
                        s.allocate_and_create_rental(
                            &req,
                            session(RentalState::Opening, None),
                            log(TxAction::CheckIn, now),
                            now,
                        )
                        .await
                    })
                })
                .collect();
            let mut got = HashSet::new();
            let mut none_free = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok((_, locker)) => assert!(got.insert(locker.id), "locker {} given twice", locker.code),
                    Err(Error::NoAvailableLocker) => none_free += 1,
                    Err(e) => panic!("{}: unexpected error {e}", db.name),
                }
            }
            assert_eq!((got.len(), none_free), (50, 150), "{} round {round}", db.name);
            let live = db
                .store
                .list_rentals(&RentalFilter { live_only: true, ..Default::default() }, Page::new(1, 1000).unwrap())
                .await
                .unwrap();
            assert_eq!(live.total, 50 * (round + 1) as u64);
        }
        assert!(db.store.verify_log_chain().await.unwrap().is_intact());
        eprintln!("{}: 10 x 200 allocations in {:?}", db.name, started.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_precisely() {
    let size = "huge".parse::<LockerSize>().unwrap_err();
    assert!(matches!(&size, Error::Validation { field, .. } if field == "size"), "{size}");
    let status = "broken".parse::<LockerStatus>().unwrap_err();
    assert!(matches!(&status, Error::Validation { field, .. } if field == "status"), "{status}");
    assert!(Page::new(0, 10).is_err() && Page::new(1, 0).is_err());

    for db in backends().await {
        let s = db.store.as_ref();
        let now = Utc::now();
        let empty = s.create_locker(new_locker("  ", "ST", LockerSize::Small), now).await.unwrap_err();
        assert!(matches!(&empty, Error::Validation { field, .. } if field == "code"), "{empty}");
        let negative = NewLocker { price_per_hour: Money(-1), ..new_locker("N1", "ST", LockerSize::Small) };
        let negative = s.create_locker(negative, now).await.unwrap_err();
        assert!(matches!(&negative, Error::Validation { field, .. } if field == "price_per_hour"), "{negative}");

        s.create_locker(new_locker("A01", "ST", LockerSize::Small), now).await.unwrap();
        let dup = s.create_locker(new_locker("A01", "ST", LockerSize::Large), now).await.unwrap_err();
        assert!(
            matches!(&dup, Error::AlreadyExists { entity: "locker", field: "code", value } if value == "A01"),
            "{}: {dup}",
            db.name
        );

        // A batch with one bad row writes nothing.
        let batch = vec![new_locker("B01", "ST", LockerSize::Small), new_locker("A01", "ST", LockerSize::Small)];
        assert_eq!(s.create_lockers(batch, now).await.unwrap_err().code(), ErrorCode::AlreadyExists);
        assert_eq!(s.get_locker_by_code("B01").await.unwrap_err().code(), ErrorCode::NotFound);

        let unknown_controller =
            NewLocker { controller_id: Some(new_id()), ..new_locker("C01", "ST", LockerSize::Small) };
        let err = s.create_locker(unknown_controller, now).await.unwrap_err();
        assert!(matches!(&err, Error::Validation { field, .. } if field == "controller_id"), "{}: {err}", db.name);

        let u = NewUser {
            email: Some("x@example.com".into()),
            phone: Some("+84900000000".into()),
            username: None,
            full_name: "X".into(),
            role: Role::Admin,
            password_hash: String::new(),
        };
        s.create_user(u.clone(), now).await.unwrap();
        let dup = s.create_user(NewUser { email: Some("y@example.com".into()), ..u }, now).await.unwrap_err();
        assert!(matches!(&dup, Error::AlreadyExists { field: "phone", .. }), "{}: {dup}", db.name);
        assert_eq!(s.get_rental(new_id()).await.unwrap_err().code(), ErrorCode::NotFound);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_is_refused_while_a_rental_is_live() {
    for db in backends().await {
        let s = db.store.as_ref();
        let now = Utc::now();
        let busy = s.create_locker(new_locker("D01", "ST", LockerSize::Small), now).await.unwrap();
        let spare = s.create_locker(new_locker("D02", "ST", LockerSize::Large), now).await.unwrap();
        s.allocate_and_create_rental(
            &AllocationRequest::explicit(LockerChoice::Id(busy.id)),
            session(RentalState::Opening, None),
            log(TxAction::CheckIn, now),
            now,
        )
        .await
        .unwrap();
        let err = s.delete_locker(busy.id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{}: {err}", db.name);
        assert!(err.to_string().contains("live rental"), "{err}");
        assert_eq!(s.get_locker(busy.id).await.unwrap().status, LockerStatus::InUse);

        s.delete_locker(spare.id).await.unwrap();
        assert_eq!(s.get_locker(spare.id).await.unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(s.delete_locker(spare.id).await.unwrap_err().code(), ErrorCode::NotFound);
    }
}

/// Runs raw SQL against the test database, as someone with file or superuser access
/// would; `Err` when the database refuses it.
async fn raw(db: &TestDb, statements: &[&str]) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(statements.join(";\n"));
    if db.name == "sqlite" {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await?;
        sqlx::raw_sql(sql).execute(&mut c).await.map(drop)
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await?;
        sqlx::raw_sql(sql).execute(&mut c).await.map(drop)
    }
}

async fn five_rows(s: &dyn Store) {
    let t = Utc::now();
    for i in 0..5 {
        let details = serde_json::json!({"match_score": 0.71, "step": i});
        s.append_log(NewTxLog { details, ..log(TxAction::SensorTrigger, t + TimeDelta::seconds(i)) }).await.unwrap();
    }
    assert!(s.verify_log_chain().await.unwrap().is_intact());
}

const UNGUARD_SQLITE: [&str; 2] = ["DROP TRIGGER tx_log_no_update", "DROP TRIGGER tx_log_no_delete"];
const UNGUARD_PG: [&str; 1] = ["ALTER TABLE tx_log DISABLE TRIGGER tx_log_no_change"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_chain_detects_edits_and_removals() {
    for scenario in ["edit", "remove", "truncate"] {
        for db in backends().await {
            five_rows(db.store.as_ref()).await;
            // Plain writes are refused by the append-only triggers.
            assert!(raw(&db, &["UPDATE tx_log SET device = 'forged' WHERE seq = 2"]).await.is_err(), "{}", db.name);
            assert!(raw(&db, &["DELETE FROM tx_log WHERE seq = 2"]).await.is_err(), "{}", db.name);
            let unguard: &[&str] = if db.name == "sqlite" { &UNGUARD_SQLITE } else { &UNGUARD_PG };
            let (tamper, at) = match scenario {
                "edit" => ("UPDATE tx_log SET device = 'forged' WHERE seq = 2", 2),
                "remove" => ("DELETE FROM tx_log WHERE seq = 3", 3),
                _ => ("DELETE FROM tx_log WHERE seq = 5", 5),
            };
            raw(&db, &[unguard, &[tamper]].concat()).await.unwrap();
            let report = db.store.verify_log_chain().await.unwrap();
            let broken = report.broken.unwrap_or_else(|| panic!("{} {scenario}: tampering not detected", db.name));
            assert_eq!(broken.seq, at, "{} {scenario}: {}", db.name, broken.reason);
        }
    }
}
