//! `orders::OrderStore` on a real database (SQLite file always, PostgreSQL when
//! `LOCKER_TEST_POSTGRES_URL` is set): a change of an order with a balance charge is all or
//! nothing, a command is taken once, numbers are stable, device logs come newest first.
#![cfg(all(feature = "test-utils", feature = "sqlite", feature = "postgres"))]

use chrono::{TimeDelta, Utc};
use locker_core::alloc::{AllocationRequest, LockerChoice};
use locker_core::domain::*;
use locker_core::orders::{Charge, DeviceProfile, NewCommand, OrderChange, PaymentMethod, PaymentPurpose};
use locker_core::ports::OrderStore;
use locker_core::ports::{NewRental, Store};
use locker_core::store::postgres::PgStore;
use locker_core::store::sqlite::SqliteStore;
use locker_core::testing::databases;
use locker_core::{Error, ErrorCode};

/// A user with 5.00, a wired locker at 3.00/h and a pending one-hour order on it.
async fn setup(s: &(impl Store + OrderStore)) -> (User, Controller, Rental) {
    let now = Utc::now();
    let controller = s
        .create_controller(NewController { name: "ESP32_001".into(), station: "S1".into(), api_key_hash: None }, now)
        .await
        .unwrap();
    let locker = NewLocker {
        code: "B001".into(),
        station: "S1".into(),
        location: "West".into(),
        size: LockerSize::Medium,
        controller_id: Some(controller.id),
        relay_channel: 1,
        sensor_channel: 1,
        price_per_hour: Money(300),
    };
    s.create_locker(locker, now).await.unwrap();
    let new = NewUser {
        email: None,
        phone: Some("13900139000".into()),
        username: Some("u".into()),
        full_name: "U".into(),
        role: Role::Customer,
        password_hash: String::new(),
    };
    let mut user = s.create_user(new, now).await.unwrap();
    user.balance = Money(500);
    let user = s.update_user(&user).await.unwrap();
    let order = NewRental {
        user_id: Some(user.id),
        kind: RentalKind::Order,
        state: RentalState::PendingPayment,
        auth_method: AuthMethod::Password,
        half_hours: 2,
        amount: Money(0),
        started_at: None,
        paid_until: None,
    };
    let request = AllocationRequest::explicit(LockerChoice::Code("B001".into()));
    let (rental, _) =
        s.allocate_and_create_rental(&request, order, NewTxLog::new(TxAction::Reserve, now), now).await.unwrap();
    (user, controller, rental)
}

/// Paying `rental` with `amount` from `user`'s balance, queueing an unlock.
fn pay(rental: &Rental, user: &User, controller: &Controller, amount: i64) -> OrderChange {
    let (updated, _) = rental.apply(RentalEvent::Pay, Utc::now()).unwrap();
    OrderChange {
        expected: RentalState::PendingPayment,
        updated,
        locker_status: Some(LockerStatus::Reserved),
        log: NewTxLog::new(TxAction::Pay, Utc::now()),
        charge: Some(Charge {
            user_id: user.id,
            method: PaymentMethod::Balance,
            purpose: PaymentPurpose::Pay,
            amount: Money(amount),
        }),
        command: Some(NewCommand {
            controller_id: controller.id,
            locker_code: "B001".into(),
            rental_id: Some(rental.id),
        }),
    }
}

async fn check(s: &(impl Store + OrderStore), backend: &str) {
    let (user, controller, rental) = setup(s).await;
    let window = (Utc::now() - TimeDelta::hours(1), Utc::now() + TimeDelta::hours(1));

    // More than the balance: nothing at all is written.
    let err = s.change_order(pay(&rental, &user, &controller, 600)).await.unwrap_err();
    assert!(matches!(err, Error::InsufficientBalance), "{backend}: {err}");
    assert_eq!(err.code(), ErrorCode::InsufficientBalance);
    assert_eq!(s.get_rental(rental.id).await.unwrap().state, RentalState::PendingPayment, "{backend}");
    assert_eq!(s.get_user(user.id).await.unwrap().balance, Money(500), "{backend}");
    assert!(s.list_payments(window.0, window.1).await.unwrap().is_empty(), "{backend}");
    assert_eq!(s.take_command(controller.id, Utc::now()).await.unwrap(), None, "{backend}");

    // Covered: debit, state, payment and command together.
    let paid = s.change_order(pay(&rental, &user, &controller, 300)).await.unwrap();
    assert_eq!(paid.state, RentalState::Reserved, "{backend}");
    assert_eq!(s.get_user(user.id).await.unwrap().balance, Money(200), "{backend}");
    let payments = s.list_payments(window.0, window.1).await.unwrap();
    assert_eq!(payments.len(), 1, "{backend}");
    assert_eq!(
        (payments[0].amount, payments[0].station.as_str(), payments[0].rental_id),
        (Money(300), "S1", rental.id)
    );

    // The same payment again: a conflict, and nothing taken.
    let err = s.change_order(pay(&rental, &user, &controller, 100)).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{backend}: {err}");
    assert_eq!(s.get_user(user.id).await.unwrap().balance, Money(200), "{backend}");

    // The queued unlock is taken once.
    let cmd = s.take_command(controller.id, Utc::now()).await.unwrap().expect("a command");
    assert_eq!(
        (cmd.command.as_str(), cmd.locker_code.as_str(), cmd.rental_id),
        ("open_cabinet", "B001", Some(rental.id))
    );
    assert!(cmd.delivered_at.is_some());
    assert_eq!(s.take_command(controller.id, Utc::now()).await.unwrap(), None, "{backend}");

    // Numbers: stable, and found again.
    let n = s.order_number(rental.id).await.unwrap();
    assert_eq!(s.order_number(rental.id).await.unwrap(), n);
    assert_eq!(s.order_by_number(n).await.unwrap(), Some(rental.id));
    assert_eq!(s.order_by_number(n + 1000).await.unwrap(), None);
    assert!(matches!(s.order_number(new_id()).await, Err(Error::NotFound { .. })));
    let numbers = s.locker_numbers().await.unwrap();
    assert_eq!(numbers.values().copied().collect::<Vec<_>>(), [1], "{backend}");

    // Device logs newest first; profiles replace.
    for i in 0..3 {
        s.append_device_log(controller.id, "heartbeat", "心跳", &serde_json::json!({ "i": i }), Utc::now())
            .await
            .unwrap();
    }
    let logs = s.device_logs(controller.id, 2).await.unwrap();
    assert_eq!(logs.iter().map(|l| l.data["i"].as_i64().unwrap()).collect::<Vec<_>>(), [2, 1], "{backend}");
    let profile = DeviceProfile { display_name: Some("主柜".into()), location: None };
    s.set_device_profile(controller.id, &profile).await.unwrap();
    let profile = DeviceProfile { location: Some("东侧".into()), ..profile };
    s.set_device_profile(controller.id, &profile).await.unwrap();
    assert_eq!(s.device_profiles().await.unwrap()[&controller.id], profile);
}

#[tokio::test]
async fn order_changes_are_all_or_nothing_on_both_backends() {
    for db in databases().await {
        match db.backend {
            "sqlite" => {
                let store = SqliteStore::connect(&db.url).await.unwrap();
                store.migrate().await.unwrap();
                check(&store, db.backend).await;
            }
            _ => {
                let store = PgStore::connect(&db.url).await.unwrap();
                store.migrate().await.unwrap();
                check(&store, db.backend).await;
            }
        }
    }
}
