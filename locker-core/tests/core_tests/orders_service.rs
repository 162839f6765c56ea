//! The order flows of `LockerService` (seed 001) on a real database (SQLite file always,
//! PostgreSQL when `LOCKER_TEST_POSTGRES_URL` is set), with the simulated controller behind
//! the cabinet: create, pay, extend, cancel, expiry of unpaid orders and opening by pickup
//! code, their typed refusals, and the races of the field (payments of one order at once,
//! bookings of a cabinet's last free locker at once, two services on one database).
#![cfg(all(feature = "test-utils", feature = "sqlite"))]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use locker_core::controller::sim::{self, Person, SimConfig};
use locker_core::domain::*;
use locker_core::orders::{PAYMENT_WINDOW, PaymentMethod};
use locker_core::ports::{Clock, Database, Page, PaymentProvider, PaymentRefused, RentalFilter, TxLogFilter};
use locker_core::service::{LockerService, OPEN_BY_CODE, Order, OrderDesk, ServiceConfig, ServiceKeys};
use locker_core::store;
use locker_core::testing::{TestDb, databases};
use locker_core::token::Pepper;
use locker_core::token::pickup::PickupCodes;
use locker_core::{Error, ErrorCode};

/// The system clock moved by a settable offset (to step past the payment window).
#[derive(Default)]
struct ShiftedClock(Mutex<TimeDelta>);

impl ShiftedClock {
    fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        Utc::now() + *self.0.lock().unwrap()
    }
}

/// A provider that takes money once per charge key (as WeChat Pay and Alipay do per
/// `out_trade_no`), taking a while over each call (it answers over the network), counting
/// the calls and the money taken; it declines when told to.
#[derive(Default)]
struct CountingProvider {
    charges: AtomicUsize,
    calls: Mutex<Vec<String>>,
    taken: Mutex<HashSet<String>>,
    decline: bool,
}

impl CountingProvider {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl PaymentProvider for CountingProvider {
    async fn charge(&self, _: PaymentMethod, order_no: &str, key: &str, _: Money) -> Result<(), PaymentRefused> {
        assert!(key.starts_with(order_no), "{key} names the order {order_no}");
        tokio::time::sleep(Duration::from_millis(30)).await;
        if self.decline {
            return Err(PaymentRefused::Declined("card blocked".into()));
        }
        self.calls.lock().unwrap().push(key.to_owned());
        if self.taken.lock().unwrap().insert(key.to_owned()) {
            self.charges.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// A service over a simulated cabinet of small lockers `A01`.. at 2.00/h, a customer with
/// 10.00, another customer and an admin.
struct Shop {
    service: Arc<LockerService>,
    database: Arc<dyn Database>,
    clock: Arc<ShiftedClock>,
    desk: OrderDesk,
    provider: Arc<CountingProvider>,
    customer: User,
    other: User,
    admin: User,
    lockers: Vec<Locker>,
    _db: TestDb,
}

/// A person who opens an unlocked door after 30 ms and shuts it 600 ms later (time enough
/// to try the code again while the door is open).
fn sim_with_person(channels: u8) -> SimConfig {
    SimConfig {
        person: Some(Person { open_after: Duration::from_millis(30), hold_open: Duration::from_millis(600) }),
        ..SimConfig::new(channels)
    }
}

async fn user(database: &dyn Database, name: &str, role: Role, balance: i64) -> User {
    let new = NewUser {
        email: Some(format!("{name}@example.com")),
        phone: None,
        username: Some(name.into()),
        full_name: name.into(),
        role,
        password_hash: String::new(),
    };
    let mut user = database.create_user(new, Utc::now()).await.unwrap();
    user.balance = Money(balance);
    database.update_user(&user).await.unwrap()
}

async fn shop(db: TestDb, lockers: u16) -> Shop {
    let database = store::open(&db.url).await.expect("open the database");
    let (controller, lockers) = crate::cabinet::sim_cabinet(database.as_ref(), lockers).await;
    let customer = user(database.as_ref(), "customer", Role::Customer, 1_000).await;
    let other = user(database.as_ref(), "other", Role::Customer, 1_000).await;
    let admin = user(database.as_ref(), "admin", Role::Admin, 0).await;
    let clock = Arc::new(ShiftedClock::default());
    let (driver, _device) = sim::spawn_controller(sim_with_person(lockers.len() as u8)).expect("the simulator");
    let service = LockerService::builder_on(database.clone())
        .config(ServiceConfig { kiosk: "Pi_01".into(), ..ServiceConfig::default() })
        .keys(ServiceKeys::generate().expect("keys"))
        .clock(clock.clone())
        .fresh_controller(controller.name.clone(), Arc::new(driver))
        .open()
        .await
        .expect("open the service")
        .service;
    let provider = Arc::new(CountingProvider::default());
    let desk =
        OrderDesk { payments: provider.clone(), pickup: Arc::new(PickupCodes::new(Pepper::generate().unwrap())) };
    Shop { service, database, clock, desk, provider, customer, other, admin, lockers, _db: db }
}

impl Shop {
    async fn balance(&self, user: &User) -> i64 {
        self.database.get_user(user.id).await.unwrap().balance.minor()
    }

    async fn rental(&self, order: &Order) -> Rental {
        self.database.get_rental(order.rental.id).await.unwrap()
    }

    async fn status(&self, locker: &Locker) -> LockerStatus {
        self.database.get_locker(locker.id).await.unwrap().status
    }

    async fn payments(&self) -> usize {
        let now = Utc::now();
        self.database.list_payments(now - TimeDelta::days(1), now + TimeDelta::days(2)).await.unwrap().len()
    }

    /// A one-hour order of `A01` by the customer.
    async fn book(&self) -> Order {
        self.service.create_order(self.customer.id, "A01", HalfHours(2)).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_booked_paid_extended_and_opened_by_its_pickup_code() {
    for db in databases().await {
        let s = shop(db, 2).await;
        let backend = s._db.backend;
        let order = s.book().await;
        assert_eq!(
            (order.rental.state, order.rental.kind, order.locker.code.as_str()),
            (RentalState::PendingPayment, RentalKind::Order, "A01"),
            "{backend}"
        );
        assert_eq!(s.status(&s.lockers[0]).await, LockerStatus::Reserved);
        assert_eq!(s.service.order_for(order.number, &s.customer).await.unwrap().rental.id, order.rental.id);
        assert!(s.service.pickup_code(&s.desk, &order).await.unwrap().is_none(), "no code before payment");

        let paid = s.service.pay_order(&s.desk, &order, s.customer.id, PaymentMethod::Balance).await.unwrap();
        assert_eq!(paid.order.rental.state, RentalState::Reserved);
        assert!(paid.pickup_code.len() == 6 && paid.pickup_code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(s.balance(&s.customer).await, 1_000 - 200, "{backend}: one hour at 2.00");
        assert_eq!(s.service.pickup_code(&s.desk, &paid.order).await.unwrap(), Some(paid.pickup_code.clone()));
        assert_eq!(s.provider.charges.load(Ordering::SeqCst), 0, "the balance needs no provider");

        let extended =
            s.service.extend_order(&s.desk, &paid.order, s.customer.id, HalfHours(2), PaymentMethod::Wechat).await;
        let extended = extended.unwrap();
        assert_eq!(extended.rental.half_hours, 4);
        assert_eq!(extended.rental.paid_until.unwrap() - paid.order.rental.paid_until.unwrap(), TimeDelta::hours(1));
        assert_eq!(s.provider.charges.load(Ordering::SeqCst), 1, "{backend}: the added hour through the provider");
        let no = locker_core::orders::order_no(&order.rental);
        assert_eq!(s.provider.calls(), [format!("{no}/extend/2+2")], "{backend}: the charge names its step");
        assert_eq!(s.balance(&s.customer).await, 800, "the provider's money is not the balance");
        assert_eq!(s.payments().await, 2);

        // A wrong code is refused, and leaves the right one usable.
        let wrong = if paid.pickup_code == "000000" { "111111" } else { "000000" };
        let err = s.service.open_order_by_code(&s.desk, "A01", wrong, s.other.id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::PickupCodeInvalid, "{backend}: {err}");
        // Anyone holding the code opens the cabinet.
        let opened = s.service.open_order_by_code(&s.desk, "A01", &paid.pickup_code, s.other.id).await.unwrap();
        assert_eq!((opened.number, opened.rental.state), (order.number, RentalState::Opening), "{backend}");
        assert_eq!(s.status(&s.lockers[0]).await, LockerStatus::InUse);
        // Opening again before the door has shut is refused for the state, and the code kept.
        let err = s.service.open_order_by_code(&s.desk, "A01", &paid.pickup_code, s.other.id).await.unwrap_err();
        match &err {
            Error::Transition(t) => assert_eq!((t.event.as_str(), t.state.as_str()), (OPEN_BY_CODE, "opening")),
            other => panic!("{backend}: {other}"),
        }
        // The simulated person shuts the door: the order is in use; the code ends it.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while s.rental(&order).await.state != RentalState::Active {
            assert!(tokio::time::Instant::now() < deadline, "{backend}: the door cycle never ended");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let done = s.service.open_order_by_code(&s.desk, "A01", &paid.pickup_code, s.customer.id).await.unwrap();
        assert_eq!(done.rental.state, RentalState::Completed, "{backend}");
        let err = s.service.open_order_by_code(&s.desk, "A01", &paid.pickup_code, s.customer.id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::PickupCodeInvalid, "{backend}: a completed order's code is spent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_typed_and_change_nothing() {
    for db in databases().await {
        let s = shop(db, 2).await;
        let backend = s._db.backend;
        let order = s.book().await;

        // Someone else's order is not found; an admin sees it.
        let err = s.service.order_for(order.number, &s.other).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { entity: "order", .. }), "{backend}: {err}");
        assert_eq!(s.service.order_for(order.number, &s.admin).await.unwrap().rental.id, order.rental.id);
        assert_eq!(s.service.order_for(987_654, &s.admin).await.unwrap_err().code(), ErrorCode::NotFound);
        // The cabinet is taken; an unknown one is not found.
        let err = s.service.create_order(s.other.id, "A01", HalfHours(2)).await.unwrap_err();
        assert!(matches!(err.code(), ErrorCode::Conflict | ErrorCode::NoAvailableLocker), "{backend}: {err}");
        let err = s.service.create_order(s.other.id, "Z99", HalfHours(2)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);

        // A provider that is not configured, or declines: nothing taken, still pending.
        let none: Arc<dyn PaymentProvider> = Arc::new(Unconfigured);
        let unconfigured = OrderDesk { payments: none, ..s.desk.clone() };
        let err = s.service.pay_order(&unconfigured, &order, s.customer.id, PaymentMethod::Alipay).await.unwrap_err();
        assert!(matches!(err, Error::Payment(PaymentRefused::NotConfigured(PaymentMethod::Alipay))), "{err}");
        assert_eq!(err.code(), ErrorCode::PaymentNotConfigured);
        let declining = OrderDesk {
            payments: Arc::new(CountingProvider { decline: true, ..Default::default() }),
            ..s.desk.clone()
        };
        let err = s.service.pay_order(&declining, &order, s.customer.id, PaymentMethod::Wechat).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::PaymentDeclined, "{backend}: {err}");
        // Too little balance.
        let mut poor = s.database.get_user(s.customer.id).await.unwrap();
        poor.balance = Money(199);
        s.database.update_user(&poor).await.unwrap();
        let err = s.service.pay_order(&s.desk, &order, s.customer.id, PaymentMethod::Balance).await.unwrap_err();
        assert!(matches!(err, Error::InsufficientBalance), "{backend}: {err}");
        assert_eq!(s.balance(&s.customer).await, 199);
        assert_eq!(s.rental(&order).await.state, RentalState::PendingPayment);
        assert_eq!(s.payments().await, 0, "{backend}: no payment recorded");

        // A pending order cannot be extended; a paid one cannot be paid again or cancelled.
        let err = s.service.extend_order(&s.desk, &order, s.customer.id, HalfHours(1), PaymentMethod::Balance).await;
        match err.unwrap_err() {
            Error::Transition(t) => assert_eq!((t.event.as_str(), t.state.as_str()), ("extend", "pending_payment")),
            other => panic!("{backend}: {other}"),
        }
        poor.balance = Money(1_000);
        s.database.update_user(&poor).await.unwrap();
        let paid = s.service.pay_order(&s.desk, &order, s.customer.id, PaymentMethod::Balance).await.unwrap();
        let err = s.service.pay_order(&s.desk, &order, s.customer.id, PaymentMethod::Balance).await.unwrap_err();
        assert!(matches!(&err, Error::Conflict(why) if why.contains("paid")), "{backend}: {err}");
        let err = s.service.cancel_order(&paid.order, s.customer.id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict);
        assert_eq!(s.balance(&s.customer).await, 800, "{backend}: charged once");

        // A pending order is cancelled and frees its cabinet; cancelling again is refused.
        let second = s.service.create_order(s.other.id, "A02", HalfHours(1)).await.unwrap();
        let cancelled = s.service.cancel_order(&second, s.other.id).await.unwrap();
        assert_eq!(cancelled.rental.state, RentalState::Cancelled);
        assert_eq!(s.status(&s.lockers[1]).await, LockerStatus::Available);
        let err = s.service.cancel_order(&second, s.other.id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{backend}: {err}");
    }
}

/// Seed 001's money safety (issue 17): a cabinet nothing can open is not sold, and money is
/// never taken for it, by balance or by provider; the refusal comes before anything moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cabinet_nobody_can_open_is_refused_before_any_money_moves() {
    for db in databases().await {
        let s = shop(db, 2).await;
        let backend = s._db.backend;
        // A cabinet made with no device: no order, the cabinet stays free.
        let bare = NewLocker {
            code: "N01".into(),
            station: "S1".into(),
            location: "Floor 1".into(),
            size: LockerSize::Small,
            controller_id: None,
            relay_channel: 1,
            sensor_channel: 1,
            price_per_hour: Money(200),
        };
        let bare = s.database.create_locker(bare, Utc::now()).await.unwrap();
        let err = s.service.create_order(s.customer.id, "N01", HalfHours(2)).await.unwrap_err();
        assert!(
            matches!(&err, Error::NotOpenable(why) if why.contains("N01") && why.contains("no device")),
            "{backend}: {err}"
        );
        assert_eq!(err.code(), ErrorCode::Config);
        assert_eq!(s.status(&bare).await, LockerStatus::Available, "{backend}");

        // An order booked while its device worked, the device deactivated before payment:
        // neither the balance nor the provider is charged, the order stays pending.
        let order = s.book().await;
        let mut device = s.database.get_controller(s.lockers[0].controller_id.unwrap()).await.unwrap();
        device.active = false;
        s.database.update_controller(&device).await.unwrap();
        for method in [PaymentMethod::Balance, PaymentMethod::Wechat] {
            let err = s.service.pay_order(&s.desk, &order, s.customer.id, method).await.unwrap_err();
            assert!(
                matches!(&err, Error::NotOpenable(why) if why.contains("deactivated")),
                "{backend} {method}: {err}"
            );
        }
        assert_eq!(s.balance(&s.customer).await, 1_000, "{backend}: the balance is untouched");
        assert!(s.provider.calls().is_empty(), "{backend}: the provider was not called");
        assert_eq!(s.payments().await, 0, "{backend}: no payment recorded");
        assert_eq!(s.rental(&order).await.state, RentalState::PendingPayment, "{backend}");

        // Reactivated, the same order is paid, once.
        device.active = true;
        s.database.update_controller(&device).await.unwrap();
        let paid = s.service.pay_order(&s.desk, &order, s.customer.id, PaymentMethod::Balance).await.unwrap();
        assert_eq!(s.balance(&s.customer).await, 1_000 - paid.order.rental.amount.minor(), "{backend}");
        assert_eq!(s.payments().await, 1, "{backend}");
    }
}

/// No provider: every charge refused as not configured.
struct Unconfigured;

#[async_trait::async_trait]
impl PaymentProvider for Unconfigured {
    async fn charge(&self, method: PaymentMethod, _: &str, _: &str, _: Money) -> Result<(), PaymentRefused> {
        Err(PaymentRefused::NotConfigured(method))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_left_unpaid_expires_for_every_reader_and_frees_its_cabinet() {
    for db in databases().await {
        let s = shop(db, 1).await;
        let backend = s._db.backend;
        let order = s.book().await;
        s.clock.advance(PAYMENT_WINDOW - TimeDelta::minutes(1));
        let err = s.service.create_order(s.other.id, "A01", HalfHours(2)).await.unwrap_err();
        assert!(matches!(err.code(), ErrorCode::Conflict | ErrorCode::NoAvailableLocker), "{backend}: {err}");
        assert_eq!(
            s.service.order_for(order.number, &s.customer).await.unwrap().rental.state,
            RentalState::PendingPayment
        );

        s.clock.advance(TimeDelta::minutes(1));
        // Reading it expires it, logged as done online.
        let seen = s.service.order_for(order.number, &s.customer).await.unwrap();
        assert_eq!(seen.rental.state, RentalState::Expired, "{backend}");
        assert_eq!(s.status(&s.lockers[0]).await, LockerStatus::Available);
        let filter =
            TxLogFilter { rental_id: Some(order.rental.id), action: Some(TxAction::Cancel), ..TxLogFilter::default() };
        let logs = s.database.list_log(&filter, Page::default()).await.unwrap().items;
        assert_eq!(logs.len(), 1, "{backend}: expired once");
        assert_eq!(logs[0].device.as_deref(), Some(locker_core::service::ONLINE));
        // Paying it now is refused and takes nothing; the cabinet goes to the next customer.
        let err = s.service.pay_order(&s.desk, &order, s.customer.id, PaymentMethod::Balance).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{backend}: {err}");
        assert_eq!(s.balance(&s.customer).await, 1_000);
        let next = s.service.create_order(s.other.id, "A01", HalfHours(2)).await.unwrap();
        assert_eq!(next.rental.state, RentalState::PendingPayment);
        // The expiry is exact for a stale order another reader holds, too.
        s.clock.advance(PAYMENT_WINDOW);
        let stale = s.service.expire_if_unpaid(next.rental.clone()).await.unwrap();
        assert_eq!(stale.state, RentalState::Expired, "{backend}");
        let again = s.service.expire_if_unpaid(next.rental).await.unwrap();
        assert_eq!(again.state, RentalState::Expired, "{backend}: a second expiry reads it as it is");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payments_of_one_order_charge_once() {
    const PAYERS: usize = 8;
    for db in databases().await {
        let s = Arc::new(shop(db, 2).await);
        let backend = s._db.backend;
        for method in [PaymentMethod::Wechat, PaymentMethod::Balance] {
            let cabinet = if method == PaymentMethod::Wechat { "A01" } else { "A02" };
            let order = s.service.create_order(s.customer.id, cabinet, HalfHours(2)).await.unwrap();
            let before = (s.balance(&s.customer).await, s.provider.charges.load(Ordering::SeqCst));
            let calls_before = s.provider.calls().len();
            let tasks: Vec<_> = (0..PAYERS)
                .map(|_| {
                    let (s, order) = (s.clone(), order.clone());
                    tokio::spawn(async move { s.service.pay_order(&s.desk, &order, s.customer.id, method).await })
                })
                .collect();
            let mut paid = Vec::new();
            for task in tasks {
                match task.await.unwrap() {
                    Ok(p) => paid.push(p),
                    Err(Error::Conflict(_)) => {}
                    Err(other) => panic!("{backend} {method}: {other}"),
                }
            }
            assert_eq!(paid.len(), 1, "{backend} {method}: exactly one payment succeeds");
            let after = (s.balance(&s.customer).await, s.provider.charges.load(Ordering::SeqCst));
            match method {
                PaymentMethod::Balance => assert_eq!(after, (before.0 - 200, before.1), "{backend}: debited once"),
                _ => assert_eq!(after, (before.0, before.1 + 1), "{backend}: the provider charged once"),
            }
            let calls = if method == PaymentMethod::Balance { 0 } else { 1 };
            assert_eq!(s.provider.calls().len() - calls_before, calls, "{backend}: serialised, one call reaches it");
            assert_eq!(s.rental(&order).await.state, RentalState::Reserved);
        }
        assert_eq!(s.payments().await, 2, "{backend}: one payment row per order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_services_on_one_database_take_the_money_once() {
    for db in databases().await {
        let s = shop(db, 2).await;
        let backend = s._db.backend;
        // A second server process: its own pool and service on the same database.
        let database = store::open(&s._db.url).await.unwrap();
        let second = LockerService::builder_on(database).keys(ServiceKeys::generate().unwrap()).open().await.unwrap();
        for (cabinet, method) in [("A01", PaymentMethod::Balance), ("A02", PaymentMethod::Wechat)] {
            let order = s.service.create_order(s.customer.id, cabinet, HalfHours(2)).await.unwrap();
            let pays = [&s.service, &second.service].map(|service| {
                let (service, desk, order, payer) = (service.clone(), s.desk.clone(), order.clone(), s.customer.id);
                tokio::spawn(async move { service.pay_order(&desk, &order, payer, method).await })
            });
            let mut outcomes = Vec::new();
            for pay in pays {
                outcomes.push(pay.await.unwrap());
            }
            assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{backend} {method}: {outcomes:?}");
            for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
                assert_eq!(refused.code(), ErrorCode::Conflict, "{backend} {method}: {refused}");
            }
        }
        assert_eq!(s.balance(&s.customer).await, 800, "{backend}: the balance debited once");
        assert_eq!(s.provider.charges.load(Ordering::SeqCst), 1, "{backend}: the provider took the money once");
        let calls = s.provider.calls();
        assert!(calls.iter().all(|k| *k == calls[0]), "{backend}: racing processes pass one key: {calls:?}");
        assert_eq!(s.payments().await, 2, "{backend}: one payment row per order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_bookings_of_the_last_free_locker_give_one_order() {
    const CUSTOMERS: usize = 6;
    for db in databases().await {
        let s = shop(db, 2).await;
        let backend = s._db.backend;
        // A02 is taken: A01 is the cabinet's last free locker.
        s.service.create_order(s.admin.id, "A02", HalfHours(1)).await.unwrap();
        let mut customers = Vec::new();
        for i in 0..CUSTOMERS {
            customers.push(user(s.database.as_ref(), &format!("c{i}"), Role::Customer, 0).await);
        }
        // Half of them through a second service on the same database (another process).
        let database = store::open(&s._db.url).await.unwrap();
        let second = LockerService::builder_on(database).keys(ServiceKeys::generate().unwrap()).open().await.unwrap();
        let tasks: Vec<_> = customers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let service = if i % 2 == 0 { s.service.clone() } else { second.service.clone() };
                let id = c.id;
                tokio::spawn(async move { service.create_order(id, "A01", HalfHours(2)).await })
            })
            .collect();
        let mut orders = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(order) => orders.push(order),
                Err(e) => assert!(
                    matches!(e.code(), ErrorCode::Conflict | ErrorCode::NoAvailableLocker | ErrorCode::LockerInUse),
                    "{backend}: a clear refusal, not {e:?}"
                ),
            }
        }
        assert_eq!(orders.len(), 1, "{backend}: exactly one booking");
        let filter = RentalFilter { locker_id: Some(s.lockers[0].id), live_only: true, ..Default::default() };
        let live = s.database.list_rentals(&filter, Page::default()).await.unwrap();
        assert_eq!(live.total, 1, "{backend}: one live rental holds the locker");
        assert_eq!(live.items[0].id, orders[0].rental.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_registered_after_the_start_is_opened_through_its_command_queue() {
    for db in databases().await {
        let s = shop(db, 1).await;
        let backend = s._db.backend;
        let boards = locker_core::service::HttpBoards::new(s.service.clone(), s.database.clone());
        // Registered by another process once the service runs: no driver is attached for it.
        let now = Utc::now();
        let new = NewController { name: "ESP32_002".into(), station: "S1".into(), api_key_hash: None };
        let board = s.database.create_controller(new, now).await.unwrap();
        let locker = NewLocker {
            code: "H01".into(),
            station: "S1".into(),
            location: "Hall".into(),
            size: LockerSize::Small,
            controller_id: Some(board.id),
            relay_channel: 1,
            sensor_channel: 1,
            price_per_hour: Money(200),
        };
        s.database.create_locker(locker, now).await.unwrap();
        assert!(!s.service.drives(board.id));
        let order = s.service.create_order(s.customer.id, "H01", HalfHours(2)).await.unwrap();
        let paid = s.service.pay_order(&s.desk, &order, s.customer.id, PaymentMethod::Balance).await.unwrap();

        let opened = s.service.open_order_by_code(&s.desk, "H01", &paid.pickup_code, s.customer.id).await.unwrap();
        assert_eq!(opened.rental.state, RentalState::Opening, "{backend}");
        assert!(s.service.drives(board.id), "{backend}: its board was attached when it was first needed");
        let command = s.database.take_command(board.id, Utc::now()).await.unwrap().expect("a queued unlock");
        assert_eq!(command.locker_code, "H01");
        assert!(s.database.take_command(board.id, Utc::now()).await.unwrap().is_none(), "{backend}: one pulse");
        drop(boards);
    }
}
