//! `LockerService` end to end on a real database (SQLite file always, PostgreSQL when
//! `LOCKER_TEST_POSTGRES_URL` is set) with the simulated controller speaking the v1
//! protocol through the same driver a serial port gets.
#![cfg(all(feature = "test-utils", feature = "sqlite"))]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use locker_core::controller::sim::{self, Device, Person, SimConfig};
use locker_core::domain::*;
use locker_core::ports::*;
use locker_core::service::{CheckInRequest, LockerService, Proof, ServiceConfig, ServiceEvent, ServiceKeys};
use locker_core::store;
use locker_core::testing::{TestDb, databases};
use locker_core::token::qr::{KeyId, QrAction, QrKey, QrKeyring, QrTokenId};
use locker_core::{Error, ErrorCode};
use tokio::sync::broadcast;

struct Kiosk {
    service: Arc<LockerService>,
    device: Arc<Mutex<Device>>,
    controller: Controller,
    user: User,
    lockers: Vec<Locker>,
    _db: TestDb,
}

/// A person who opens an unlocked door after 30 ms and shuts it 100 ms later.
fn sim_with_person(channels: u8) -> SimConfig {
    SimConfig {
        person: Some(Person { open_after: Duration::from_millis(30), hold_open: Duration::from_millis(100) }),
        ..SimConfig::new(channels)
    }
}

fn fast_doors() -> DoorConfig {
    DoorConfig { open_window: TimeDelta::milliseconds(300), ..DoorConfig::default() }
}

async fn kiosk(db: TestDb, lockers: u16, sim: SimConfig, door: DoorConfig) -> Kiosk {
    kiosk_with(db, lockers, sim, door, None).await
}

#[cfg(feature = "face")]
type Faces = Option<locker_core::face::FaceEngine>;
#[cfg(not(feature = "face"))]
type Faces = Option<()>;

async fn kiosk_with(db: TestDb, lockers: u16, sim: SimConfig, door: DoorConfig, faces: Faces) -> Kiosk {
    let database = store::open(&db.url).await.expect("open the database");
    let now = Utc::now();
    let (controller, lockers) = crate::cabinet::sim_cabinet(database.as_ref(), lockers).await;
    let new_user = NewUser {
        email: Some("renter@example.com".into()),
        phone: None,
        username: None,
        full_name: "Renter".into(),
        role: Role::Customer,
        password_hash: String::new(),
    };
    let user = database.create_user(new_user, now).await.unwrap();
    let keys = ServiceKeys {
        qr: QrKeyring::with_key(KeyId(1), QrKey::generate_hmac().unwrap()),
        ..ServiceKeys::generate().expect("keys")
    };
    let (driver, device) = sim::spawn_controller(sim).expect("start the simulator");
    #[allow(unused_mut)]
    let mut builder = LockerService::builder_on(database)
        .config(ServiceConfig { kiosk: "Pi_01".into(), door, ..ServiceConfig::default() })
        .keys(keys)
        .fresh_controller(controller.name.clone(), Arc::new(driver));
    #[cfg(feature = "face")]
    if let Some(engine) = faces {
        builder = builder.faces(engine);
    }
    let service = builder.open().await.expect("open the service").service;
    tokio::spawn(service.clone().run_timers());
    Kiosk { service, device, controller, user, lockers, _db: db }
}

impl Kiosk {
    fn qr(&self, action: QrAction, rental: Option<Id>) -> Proof {
        Proof::Qr(self.service.qr().issue(action, self.user.id, rental, Utc::now()).unwrap().token)
    }

    async fn rental(&self, id: Id) -> Rental {
        self.service.store().get_rental(id).await.unwrap()
    }

    async fn locker(&self, id: Id) -> Locker {
        self.service.store().get_locker(id).await.unwrap()
    }

    async fn alerts(&self, kind: AlertKind) -> Vec<Alert> {
        let filter = AlertFilter { kind: Some(kind), ..AlertFilter::default() };
        self.service.store().list_alerts(&filter, Page::default()).await.unwrap().items
    }
}

/// Polls `check` every 20 ms for up to 5 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Receives events until one satisfies `pick`, for up to 5 s.
async fn next_event(rx: &mut broadcast::Receiver<ServiceEvent>, pick: impl Fn(&ServiceEvent) -> bool) -> ServiceEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv()).await.expect("event in time").expect("channel open");
        if pick(&event) {
            return event;
        }
    }
}

/// Waits for locker `code`'s door to be reported open and then closed.
async fn door_cycle(events: &mut broadcast::Receiver<ServiceEvent>, code: &str) {
    for wanted in [DoorState::Open, DoorState::Closed] {
        next_event(events, |e| {
            matches!(e, ServiceEvent::LockerStatusChanged { locker_code, door_state, .. }
                if locker_code == code && *door_state == wanted)
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_check_in_update_and_check_out_follow_the_door() {
    for db in databases().await {
        let backend = db.backend;
        let k = kiosk(db, 4, sim_with_person(4), fast_doors()).await;
        let mut events = k.service.subscribe();

        let check_in = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        let started = k.service.check_in(check_in).await.unwrap();
        assert_eq!(started.rental.state, RentalState::Opening, "{backend}");
        assert_eq!(started.rental.user_id, Some(k.user.id));
        assert_eq!(started.rental.auth_method, AuthMethod::QrCode);
        assert_eq!(started.locker.status, LockerStatus::InUse);
        let id = started.rental.id;

        // The simulated person opens the door and shuts it; the rental becomes active.
        eventually("rental active after the door closed", || async { k.rental(id).await.state == RentalState::Active })
            .await;
        let event = next_event(&mut events, |e| {
            matches!(e, ServiceEvent::SessionUpdated { action: TxAction::SensorTrigger, .. })
        })
        .await;
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "session_updated");
        assert_eq!(json["data"]["session_id"], id.to_string());
        assert_eq!(json["data"]["locker_code"], started.locker.code);

        // Reopen: stamped, relay fired again.
        let pulses_before = k.device.lock().unwrap().pulses().len();
        let reopened = k.service.reopen(id, k.qr(QrAction::Update, Some(id)), None).await.unwrap();
        assert!(reopened.rental.last_access_at.is_some());
        assert_eq!(reopened.rental.state, RentalState::Active);
        assert_eq!(k.device.lock().unwrap().pulses().len(), pulses_before + 1);
        door_cycle(&mut events, &started.locker.code).await;

        // Check-out with a QR of another action is refused and changes nothing.
        let wrong = k.service.check_out(id, k.qr(QrAction::Update, Some(id)), None).await.unwrap_err();
        assert_eq!(wrong.code(), ErrorCode::Validation);
        assert_eq!(k.rental(id).await.state, RentalState::Active);

        let proof = k.qr(QrAction::CheckOut, Some(id));
        let done = k.service.check_out(id, proof.clone(), None).await.unwrap();
        assert_eq!(done.rental.state, RentalState::Completed);
        assert_eq!(done.locker.status, LockerStatus::Available);
        assert!(done.rental.ended_at.is_some());

        // The same QR token a second time: QR_USED.
        let replay = k.service.check_out(id, proof, None).await.unwrap_err();
        assert_eq!(replay.code(), ErrorCode::QrUsed, "{backend}: {replay}");

        let filter = TxLogFilter { rental_id: Some(id), ..TxLogFilter::default() };
        let log = k.service.store().list_log(&filter, Page::default()).await.unwrap().items;
        let actions: Vec<TxAction> = log.iter().map(|r| r.action).collect();
        assert_eq!(
            actions,
            [TxAction::CheckIn, TxAction::SensorTrigger, TxAction::Update, TxAction::CheckOut],
            "{backend}"
        );
        assert!(log.iter().all(|r| r.device.as_deref() == Some("Pi_01")));
        assert!(k.service.store().verify_log_chain().await.unwrap().is_intact());
        assert!(k.alerts(AlertKind::UnauthorizedOpen).await.is_empty(), "{backend}: our own unlocks are not alerts");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_out_refused_while_the_door_cycles_leaves_the_qr_token_usable() {
    for db in databases().await {
        let backend = db.backend;
        // The customer holds the door open for 400 ms: the check-out comes too early.
        let sim = SimConfig {
            person: Some(Person { open_after: Duration::from_millis(30), hold_open: Duration::from_millis(400) }),
            ..SimConfig::new(4)
        };
        let k = kiosk(db, 4, sim, fast_doors()).await;
        let check_in = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        let id = k.service.check_in(check_in).await.unwrap().rental.id;
        let proof = k.qr(QrAction::CheckOut, Some(id));
        let early = k.service.check_out(id, proof.clone(), None).await.unwrap_err();
        assert_eq!(early.code(), ErrorCode::InvalidTransition, "{backend}: {early}");
        assert_eq!(k.rental(id).await.state, RentalState::Opening);
        // Once the door has shut, the very same token checks out: the refusal did not spend it.
        eventually("rental active after the door closed", || async { k.rental(id).await.state == RentalState::Active })
            .await;
        let done = k.service.check_out(id, proof.clone(), None).await.unwrap();
        assert_eq!(done.rental.state, RentalState::Completed, "{backend}");
        let replay = k.service.check_out(id, proof, None).await.unwrap_err();
        assert_eq!(replay.code(), ErrorCode::QrUsed, "{backend}: {replay}");
        // A token of another rental is still spent by its refusal.
        let other = k.qr(QrAction::CheckOut, Some(locker_core::domain::new_id()));
        let refused = k.service.check_out(id, other.clone(), None).await.unwrap_err();
        assert_eq!(refused.code(), ErrorCode::TokenInvalid, "{backend}: {refused}");
        let again = k.service.check_out(id, other, None).await.unwrap_err();
        assert_eq!(again.code(), ErrorCode::QrUsed, "{backend}: {again}");
    }
}

/// A controller whose line is dead: every command times out (the simulator cannot be
/// unplugged from inside the service).
struct DeadLine;

#[async_trait::async_trait]
impl LockController for DeadLine {
    async fn unlock(
        &self,
        _: u16,
    ) -> Result<locker_core::controller::wire::UnlockOutcome, locker_core::controller::wire::UartError> {
        Err(locker_core::controller::wire::UartError::Timeout)
    }
    async fn door(&self, _: u16) -> Result<DoorState, locker_core::controller::wire::UartError> {
        Err(locker_core::controller::wire::UartError::Timeout)
    }
    async fn doors(&self) -> Result<Vec<DoorState>, locker_core::controller::wire::UartError> {
        Err(locker_core::controller::wire::UartError::Timeout)
    }
    async fn info(
        &self,
    ) -> Result<locker_core::controller::wire::ControllerInfo, locker_core::controller::wire::UartError> {
        Err(locker_core::controller::wire::UartError::Timeout)
    }
    fn subscribe(&self) -> futures::channel::mpsc::UnboundedReceiver<locker_core::controller::wire::ControllerEvent> {
        futures::channel::mpsc::unbounded().1
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_door_is_waited_for_at_check_out_and_skipped_at_check_in() {
    for db in databases().await {
        let backend = db.backend;
        // Sensor changes 250 ms apart: quicker ones would count as a bouncing sensor.
        let slow = Duration::from_millis(250);
        let sim = SimConfig { person: Some(Person { open_after: slow, hold_open: slow }), ..SimConfig::new(1) };
        let door = DoorConfig { open_window: TimeDelta::seconds(2), ..DoorConfig::default() };
        let k = kiosk(db, 1, sim, door).await;
        let mut events = k.service.subscribe();
        let check_in = || CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        let first = k.service.check_in(check_in()).await.unwrap();
        let (id, code) = (first.rental.id, first.locker.code.clone());
        eventually("active", || async { k.rental(id).await.state == RentalState::Active }).await;
        door_cycle(&mut events, &code).await;

        // A check-out while a reopen's door cycle still runs (latch released, door not yet
        // open) waits for that cycle to end, then fires its own pulse: never a second pulse
        // into a running cycle; the rental ends, no lock-jam alert.
        k.service.reopen(id, k.qr(QrAction::Update, Some(id)), None).await.unwrap();
        let pulses = k.device.lock().unwrap().pulses().len();
        let done = k.service.check_out(id, k.qr(QrAction::CheckOut, Some(id)), None).await.unwrap();
        assert_eq!(done.rental.state, RentalState::Completed, "{backend}");
        door_cycle(&mut events, &code).await; // the reopen's cycle, waited for
        let device = k.device.lock().unwrap();
        assert_eq!(
            device.pulses().len(),
            pulses + 1,
            "{backend}: one pulse for the check-out, after the reopen's cycle"
        );
        assert_eq!(device.double_pulses, 0, "{backend}: no second pulse into a running cycle");
        drop(device);
        assert!(k.alerts(AlertKind::LockJam).await.is_empty(), "{backend}");

        // Checked out: the locker is free in the database, but its door is still cycling,
        // so the next renter is told there is no locker rather than given one that fails.
        let refused = k.service.check_in(check_in()).await.unwrap_err();
        assert!(matches!(refused, Error::NoAvailableLocker), "{backend}: {refused}");
        let all = RentalFilter::default();
        assert_eq!(k.service.store().list_rentals(&all, Page::default()).await.unwrap().total, 1, "nothing half-made");

        // Once the door has closed, the locker goes to the next renter.
        door_cycle(&mut events, &code).await;
        let next = k.service.check_in(check_in()).await.unwrap();
        assert_eq!(next.locker.code, code, "{backend}");
        let next_id = next.rental.id;
        eventually("active", || async { k.rental(next_id).await.state == RentalState::Active }).await;
        door_cycle(&mut events, &code).await;

        // A relay that cannot fire (controller gone): the check-out is refused and the
        // rental stays active, the things still inside.
        k.service.attach_controller(k.controller.id, Arc::new(DeadLine));
        let failed = k.service.check_out(next_id, k.qr(QrAction::CheckOut, Some(next_id)), None).await.unwrap_err();
        assert_ne!(failed.code(), ErrorCode::Conflict, "{backend}: {failed}");
        assert_eq!(k.rental(next_id).await.state, RentalState::Active, "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_kiosk_refuses_with_no_available_locker_and_expired_qr_is_refused() {
    for db in databases().await {
        let k = kiosk(db, 1, sim_with_person(1), fast_doors()).await;
        let first = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        k.service.check_in(first).await.unwrap();
        let second = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        let err = k.service.check_in(second).await.unwrap_err();
        assert!(matches!(err, Error::NoAvailableLocker), "{err}");

        let past = Utc::now() - TimeDelta::minutes(5);
        let expired = k.service.qr().issue_with(QrAction::CheckIn, k.user.id, None, QrTokenId([7; 12]), past).unwrap();
        let request = CheckInRequest { proof: Proof::Qr(expired.token), user: None, size: None };
        assert_eq!(k.service.check_in(request).await.unwrap_err().code(), ErrorCode::QrExpired);

        let garbage = CheckInRequest { proof: Proof::Qr("not-a-token".into()), user: None, size: None };
        assert_eq!(k.service.check_in(garbage).await.unwrap_err().code(), ErrorCode::TokenInvalid);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jammed_lock_raises_lock_jam_and_takes_the_locker_out_of_service() {
    for db in databases().await {
        let backend = db.backend;
        let mut sim = sim_with_person(2);
        sim.jammed.insert(1);
        let k = kiosk(db, 2, sim, fast_doors()).await;
        let mut events = k.service.subscribe();
        let request = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        let started = k.service.check_in(request).await.unwrap();
        assert_eq!(started.locker.relay_channel, 1, "least recently used, then by code: A01 first");

        let alert = next_event(&mut events, |e| {
            matches!(e, ServiceEvent::SecurityAlert { alert_type: AlertKind::LockJam, .. })
        })
        .await;
        let ServiceEvent::SecurityAlert { severity, locker_code, .. } = alert else { unreachable!() };
        assert_eq!(severity, Severity::High);
        assert_eq!(locker_code.as_deref(), Some("A01"));
        eventually("locker in maintenance", || async {
            k.locker(started.locker.id).await.status == LockerStatus::Maintenance
        })
        .await;
        assert_eq!(k.rental(started.rental.id).await.state, RentalState::Cancelled, "{backend}");
        // The first pulse and one retry, never more.
        let pulses = k.device.lock().unwrap().pulses().iter().filter(|p| p.channel == 1).count();
        assert_eq!(pulses, 2, "{backend}");
        assert_eq!(k.alerts(AlertKind::LockJam).await.len(), 1);
        eventually("one cabinet_maintenance alert", || async {
            k.alerts(AlertKind::CabinetMaintenance).await.len() == 1
        })
        .await;

        // The next customer gets the healthy locker.
        let request = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        assert_eq!(k.service.check_in(request).await.unwrap().locker.code, "A02");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_door_forced_open_is_a_critical_unauthorized_open_alert() {
    for db in databases().await {
        let k = kiosk(db, 2, SimConfig::new(2), fast_doors()).await;
        let mut events = k.service.subscribe();
        k.device.lock().unwrap().open_door(Instant::now(), 2);
        let event = next_event(&mut events, |e| matches!(e, ServiceEvent::SecurityAlert { .. })).await;
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "security_alert");
        assert_eq!(json["data"]["alert_type"], "unauthorized_open");
        assert_eq!(json["data"]["severity"], "critical");
        assert_eq!(json["data"]["locker_code"], "A02");
        eventually("door recorded open", || async { k.locker(k.lockers[1].id).await.door == DoorState::Open }).await;
        // An open door is never allocated.
        k.service.set_status(k.lockers[0].id, LockerStatus::Maintenance, "test", k.user.id).await.unwrap();
        let request = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        assert!(matches!(k.service.check_in(request).await.unwrap_err(), Error::NoAvailableLocker));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_open_and_status_changes_are_logged_and_guarded() {
    for db in databases().await {
        let k = kiosk(db, 2, sim_with_person(2), fast_doors()).await;
        let admin = k.user.id;
        assert_eq!(k.service.force_open(k.lockers[0].id, admin, "  ").await.unwrap_err().code(), ErrorCode::Validation);
        let mut events = k.service.subscribe();
        let opened = k.service.force_open(k.lockers[0].id, admin, "customer forgot the code").await.unwrap();
        assert_eq!(opened.locker.id, k.lockers[0].id);
        let filter = TxLogFilter { action: Some(TxAction::ForceOpen), ..TxLogFilter::default() };
        let rows = k.service.store().list_log(&filter, Page::default()).await.unwrap().items;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].details["reason"], "customer forgot the code");
        assert_eq!(rows[0].actor_id, Some(admin));
        assert!(k.alerts(AlertKind::UnauthorizedOpen).await.is_empty(), "a force-open is not an intrusion");

        let request = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        door_cycle(&mut events, "A01").await;
        let started = k.service.check_in(request).await.unwrap();
        let busy = k.service.set_status(started.locker.id, LockerStatus::Maintenance, "x", admin).await.unwrap_err();
        assert_eq!(busy.code(), ErrorCode::LockerInUse);
        let bad = k.service.set_status(k.lockers[1].id, LockerStatus::InUse, "x", admin).await.unwrap_err();
        assert_eq!(bad.code(), ErrorCode::Validation);
        let other = if started.locker.id == k.lockers[0].id { &k.lockers[1] } else { &k.lockers[0] };
        let locker = k.service.set_status(other.id, LockerStatus::Maintenance, "cleaning", admin).await.unwrap();
        assert_eq!(locker.status, LockerStatus::Maintenance);
        let locker = k.service.set_status(other.id, LockerStatus::Available, "clean", admin).await.unwrap();
        assert_eq!(locker.status, LockerStatus::Available);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locker_without_a_connected_controller_is_not_attached() {
    use locker_core::controller::wire::UartError;
    for db in databases().await {
        let k = kiosk(db, 1, SimConfig::new(1), fast_doors()).await;
        let now = Utc::now();
        // One locker wired to no controller, one wired to a controller this service never got.
        let stray = NewController { name: "SIM_002".into(), station: "S1".into(), api_key_hash: None };
        let stray = k.service.store().create_controller(stray, now).await.unwrap();
        let new = |code: &str, controller_id| NewLocker {
            code: code.into(),
            station: "S1".into(),
            location: "Floor 2".into(),
            size: LockerSize::Small,
            controller_id,
            relay_channel: 1,
            sensor_channel: 1,
            price_per_hour: Money(200),
        };
        let lockers =
            k.service.store().create_lockers(vec![new("B01", None), new("B02", Some(stray.id))], now).await.unwrap();
        for locker in &lockers {
            let err = k.service.force_open(locker.id, k.user.id, "check the wiring").await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::ControllerNotAttached, "{err}");
            assert!(
                matches!(&err, Error::Uart(UartError::NotAttached { locker: code }) if *code == locker.code),
                "{err:?}"
            );
        }
        // The wired locker still opens.
        k.service.force_open(k.lockers[0].id, k.user.id, "still fine").await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_expires_orders_left_unpaid_and_frees_their_lockers() {
    use locker_core::alloc::{AllocationRequest, LockerChoice};
    use locker_core::orders::PAYMENT_WINDOW;
    for db in databases().await {
        let k = kiosk(db, 3, SimConfig::new(3), fast_doors()).await;
        let mut events = k.service.subscribe();
        let order = |paid: bool| NewRental {
            user_id: Some(k.user.id),
            kind: RentalKind::Order,
            state: if paid { RentalState::Reserved } else { RentalState::PendingPayment },
            auth_method: AuthMethod::Password,
            half_hours: 2,
            amount: Money(0),
            started_at: None,
            paid_until: None,
        };
        let made = Utc::now();
        let mut rentals = Vec::new();
        for (locker, paid) in [(&k.lockers[0], false), (&k.lockers[1], true)] {
            let request = AllocationRequest::explicit(LockerChoice::Id(locker.id));
            let log = NewTxLog::new(TxAction::Reserve, made);
            let (rental, _) =
                k.service.store().allocate_and_create_rental(&request, order(paid), log, made).await.unwrap();
            rentals.push(rental);
        }
        let (unpaid, paid) = (&rentals[0], &rentals[1]);

        // Inside the window nothing changes.
        k.service.on_tick(made + PAYMENT_WINDOW - TimeDelta::seconds(1)).await.unwrap();
        assert_eq!(k.rental(unpaid.id).await.state, RentalState::PendingPayment);

        // Past it, the unpaid order expires and its locker is free again; a paid one stays.
        // (`on_tick` runs housekeeping once per `housekeeping_every`: step past it.)
        k.service.on_tick(made + PAYMENT_WINDOW + TimeDelta::minutes(1)).await.unwrap();
        let expired = k.rental(unpaid.id).await;
        assert_eq!(expired.state, RentalState::Expired);
        assert!(expired.ended_at.is_some());
        assert_eq!(k.locker(k.lockers[0].id).await.status, LockerStatus::Available);
        assert_eq!(k.rental(paid.id).await.state, RentalState::Reserved);
        assert_eq!(k.locker(k.lockers[1].id).await.status, LockerStatus::Reserved);
        let event = next_event(&mut events, |e| {
            matches!(e, ServiceEvent::LockerStatusChanged { locker_id, status: LockerStatus::Available, .. } if *locker_id == k.lockers[0].id)
        })
        .await;
        assert!(matches!(event, ServiceEvent::LockerStatusChanged { .. }));
        // The expiry is in the log, by this kiosk.
        let filter =
            TxLogFilter { rental_id: Some(unpaid.id), action: Some(TxAction::Cancel), ..TxLogFilter::default() };
        let logs = k.service.store().list_log(&filter, Page::default()).await.unwrap().items;
        let cancel = logs.first().expect("a cancel row");
        assert_eq!(cancel.device.as_deref(), Some("Pi_01"));
        assert_eq!(cancel.details["reason"], "not paid in time");
        // A second pass finds nothing more to do.
        k.service.on_tick(made + PAYMENT_WINDOW + TimeDelta::minutes(2)).await.unwrap();
        assert_eq!(k.rental(unpaid.id).await.state, RentalState::Expired);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_battery_and_offline_alerts_fire_once() {
    for db in databases().await {
        let k = kiosk(db, 1, SimConfig::new(1), fast_doors()).await;
        let c = k.controller.id;
        let beat = k.service.heartbeat(c, Some(15), Some("1.2.3".into())).await.unwrap();
        assert_eq!(beat.battery_percent, Some(15));
        assert!(beat.is_online(Utc::now()));
        k.service.heartbeat(c, Some(14), None).await.unwrap();
        assert_eq!(k.alerts(AlertKind::LowBattery).await.len(), 1, "one alert per drop below 20%");
        k.service.heartbeat(c, Some(80), None).await.unwrap();
        k.service.heartbeat(c, Some(10), None).await.unwrap();
        assert_eq!(k.alerts(AlertKind::LowBattery).await.len(), 2, "a new drop alerts again");
        assert_eq!(k.service.heartbeat(c, Some(101), None).await.unwrap_err().code(), ErrorCode::Validation);

        // A controller that reports over HTTP (no driver attached, so never pinged) and
        // falls silent is reported offline once.
        let new = NewController { name: "HTTP_002".into(), station: "S1".into(), api_key_hash: None };
        let silent = k.service.store().create_controller(new, Utc::now()).await.unwrap();
        k.service.heartbeat(silent.id, None, None).await.unwrap();
        let later = Utc::now() + TimeDelta::minutes(11);
        k.service.on_tick(later).await.unwrap();
        k.service.on_tick(later + TimeDelta::minutes(1)).await.unwrap();
        let offline: Vec<Alert> = k
            .alerts(AlertKind::DeviceOffline)
            .await
            .into_iter()
            .filter(|a| a.controller_id == Some(silent.id))
            .collect();
        assert_eq!(offline.len(), 1);
        // The attached simulator answers its pings, so its heartbeat is fresh.
        let attached = k.service.store().get_controller(c).await.unwrap();
        assert!(attached.is_online(Utc::now()));
        assert!(k.service.next_deadline().is_some());

        // A controller reports a jam over HTTP: alert, and the locker leaves service.
        let alert =
            k.service.report_error(c, Some(k.lockers[0].id), AlertKind::LockJam, "relay fired, lock stuck").await;
        assert_eq!(alert.unwrap().kind, AlertKind::LockJam);
        assert_eq!(k.locker(k.lockers[0].id).await.status, LockerStatus::Maintenance);
        let stranger = k.service.report_error(Id::now_v7(), Some(k.lockers[0].id), AlertKind::Tamper, "").await;
        assert_eq!(stranger.unwrap_err().code(), ErrorCode::Validation);
    }
}

/// Housekeeping reads every controller and every live rental, not the first page: the
/// silent controller and the overdue rental are the last of `Page::MAX_LIMIT + 1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_reads_past_the_first_page_of_controllers_and_rentals() {
    use locker_core::alloc::{AllocationRequest, LockerChoice};
    let fillers = Page::MAX_LIMIT as usize;
    for db in databases().await {
        let k = kiosk(db, 1, SimConfig::new(1), fast_doors()).await;
        let store = k.service.store();
        let made = Utc::now();
        let later = made + TimeDelta::minutes(11);
        // Listed by name: `C0000`.. first, fresh at `later`; `ZZ_SILENT` last, silent.
        for i in 0..fillers {
            let new = NewController { name: format!("C{i:04}"), station: "S1".into(), api_key_hash: None };
            store.create_controller(new, later).await.unwrap();
        }
        let new = NewController { name: "ZZ_SILENT".into(), station: "S1".into(), api_key_hash: None };
        let silent = store.create_controller(new, made).await.unwrap();
        // Listed newest first: the overdue rental is the oldest, after the fillers.
        let new_lockers = (0..=fillers)
            .map(|i| NewLocker {
                code: format!("F{i:04}"),
                station: "S1".into(),
                location: "Floor 2".into(),
                size: LockerSize::Small,
                controller_id: None,
                relay_channel: 1,
                sensor_channel: 1,
                price_per_hour: Money(200),
            })
            .collect();
        let lockers = store.create_lockers(new_lockers, made).await.unwrap();
        let active = |paid_until| NewRental {
            user_id: Some(k.user.id),
            kind: RentalKind::Order,
            state: RentalState::Active,
            auth_method: AuthMethod::Password,
            half_hours: 2,
            amount: Money(200),
            started_at: Some(made - TimeDelta::hours(1)),
            paid_until: Some(paid_until),
        };
        for (i, locker) in lockers.iter().enumerate() {
            let (created, paid_until) =
                if i == 0 { (made - TimeDelta::hours(1), made) } else { (made, later + TimeDelta::hours(1)) };
            let request = AllocationRequest::explicit(LockerChoice::Id(locker.id));
            let log = NewTxLog::new(TxAction::CheckIn, created);
            store.allocate_and_create_rental(&request, active(paid_until), log, created).await.unwrap();
        }

        k.service.on_tick(later).await.unwrap();
        // (The simulator's heartbeats are in real time, so `later` finds it silent too.)
        let offline: Vec<Option<Id>> = k
            .alerts(AlertKind::DeviceOffline)
            .await
            .into_iter()
            .map(|a| a.controller_id)
            .filter(|c| *c != Some(k.controller.id))
            .collect();
        assert_eq!(offline, vec![Some(silent.id)], "only the silent controller, past the first page");
        let late: Vec<Option<Id>> = k.alerts(AlertKind::OrderOverdue).await.into_iter().map(|a| a.locker_id).collect();
        assert_eq!(late, vec![Some(lockers[0].id)], "only the overdue rental, past the first page");
    }
}

#[cfg(feature = "face")]
use crate::face_support;

#[cfg(feature = "face")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_check_in_and_check_out_match_the_same_person_only() {
    let (Some(engine), Some(faces)) = (face_support::engine(), face_support::faces()) else { return };
    let photo = |p: &str| std::fs::read(faces.join(p)).unwrap();
    let (a1, a2, b1) = (photo("Al_Sharpton/1.jpg"), photo("Al_Sharpton/2.jpg"), photo("Alvaro_Uribe/1.jpg"));
    for db in databases().await {
        let backend = db.backend;
        let k = kiosk_with(db, 2, sim_with_person(2), fast_doors(), Some(engine.clone())).await;
        let request = CheckInRequest { proof: Proof::Face(a1.clone()), user: None, size: None };
        let started = k.service.check_in(request).await.unwrap();
        let id = started.rental.id;
        assert_eq!(started.rental.user_id, None, "a guest");
        assert_eq!(started.rental.auth_method, AuthMethod::FaceId);
        assert!(k.service.stores().faces.get_guest_template(id).await.unwrap().is_some());
        eventually("rental active", || async { k.rental(id).await.state == RentalState::Active }).await;

        let other = k.service.check_out(id, Proof::Face(b1.clone()), None).await.unwrap_err();
        assert_eq!(other.code(), ErrorCode::FaceMismatch, "{backend}: {other}");
        assert_eq!(k.rental(id).await.state, RentalState::Active);
        let unreadable = k.service.check_out(id, Proof::Face(b"not an image".to_vec()), None).await.unwrap_err();
        assert_eq!(unreadable.code(), ErrorCode::ImageUnreadable);

        let done = k.service.check_out(id, Proof::Face(a2.clone()), None).await.unwrap();
        assert_eq!(done.rental.state, RentalState::Completed);
        let score = done.match_score.expect("a face score");
        assert!(score >= engine.config().thresholds.verify, "{score}");
        assert!(k.service.stores().faces.get_guest_template(id).await.unwrap().is_none(), "guest template deleted");
        let filter = TxLogFilter { rental_id: Some(id), action: Some(TxAction::CheckOut), ..TxLogFilter::default() };
        let row = k.service.store().list_log(&filter, Page::default()).await.unwrap().items.remove(0);
        assert!(row.details["confidence_score"].as_f64().is_some());

        // Check-out by face alone finds the rental among the active ones.
        let mut events = k.service.subscribe();
        let again = k.service.check_in(CheckInRequest { proof: Proof::Face(a1.clone()), user: None, size: None });
        let again = again.await.unwrap();
        door_cycle(&mut events, &again.locker.code).await;
        eventually("rental active", || async { k.rental(again.rental.id).await.state == RentalState::Active }).await;
        let stranger = k.service.check_out_by_face(b1.clone()).await.unwrap_err();
        assert_eq!(stranger.code(), ErrorCode::FaceMismatch);
        let found = k.service.check_out_by_face(a2.clone()).await.unwrap();
        assert_eq!(found.rental.id, again.rental.id, "{backend}");
    }
}

/// Enrolment goes through the service: an unreadable photo stores nothing, a registered
/// face is sealed for the user and opens the user's QR-started rental at check-out (the
/// same person only), and deleting it ends that.
#[cfg(feature = "face")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_face_registered_through_the_service_checks_its_user_out() {
    let (Some(engine), Some(faces)) = (face_support::engine(), face_support::faces()) else { return };
    let photo = |p: &str| std::fs::read(faces.join(p)).unwrap();
    let (a1, a2, b1) = (photo("Al_Sharpton/1.jpg"), photo("Al_Sharpton/2.jpg"), photo("Alvaro_Uribe/1.jpg"));
    for db in databases().await {
        let backend = db.backend;
        let k = kiosk_with(db, 2, sim_with_person(2), fast_doors(), Some(engine.clone())).await;
        let templates = k.service.stores().faces.clone();
        let enrolment = k.service.face_enrolment();
        assert!(enrolment.can_register());

        let unreadable = enrolment.register(k.user.id, b"not an image".to_vec()).await.unwrap_err();
        assert_eq!(unreadable.code(), ErrorCode::ImageUnreadable, "{backend}");
        assert!(templates.get_user_template(k.user.id).await.unwrap().is_none(), "nothing stored");
        let before = Utc::now();
        let at = enrolment.register(k.user.id, a1.clone()).await.unwrap();
        assert!(at >= before - TimeDelta::seconds(1));
        assert!(templates.get_user_template(k.user.id).await.unwrap().is_some(), "{backend}");

        let mut events = k.service.subscribe();
        let check_in = CheckInRequest { proof: k.qr(QrAction::CheckIn, None), user: None, size: None };
        let started = k.service.check_in(check_in).await.unwrap();
        let id = started.rental.id;
        door_cycle(&mut events, &started.locker.code).await;
        eventually("rental active", || async { k.rental(id).await.state == RentalState::Active }).await;
        let other = k.service.check_out(id, Proof::Face(b1.clone()), None).await.unwrap_err();
        assert_eq!(other.code(), ErrorCode::FaceMismatch, "{backend}: {other}");
        let done = k.service.check_out(id, Proof::Face(a2.clone()), None).await.unwrap();
        assert_eq!(done.rental.state, RentalState::Completed, "{backend}");

        assert!(enrolment.delete(k.user.id).await.unwrap());
        assert!(!enrolment.delete(k.user.id).await.unwrap(), "gone");
        assert!(templates.get_user_template(k.user.id).await.unwrap().is_none());
    }
}
