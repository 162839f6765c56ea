//! Seed-001 devices that poll over HTTP are lock controllers of the locker service
//! (`CommandQueueBoard`), on SQLite and (when configured) PostgreSQL, over real HTTP:
//! - an order opened by code is an unlock queued for the board; the board polls it, reports
//!   the door open then closed, and the service's door machine finishes the rental;
//! - a door reported open with no unlock raises `unauthorized_open`;
//! - two customers opening by code at once on one board each get their own door;
//! - the door machine's retry while the first command still waits queues no second one.

use crate::seed001_support;
use crate::seeds_support;

use futures::future::join;
use locker_core::domain::{AlertKind, Id, Locker, RentalState};
use locker_core::ports::Clock as _;
use locker_core::ports::{AlertFilter, Page};
use seed001_support::{Auth, Fx, ok};
use seeds_support::backends;
use serde_json::{Value, json};

/// `POST /api/devices/status/` as `ESP32_001` with `cabinet_status`, a second after the
/// last thing that happened (a board reports every few seconds; changes closer than the
/// bounce interval would count as a flapping sensor); must be accepted.
async fn report(fx: &Fx, cabinet_status: Value) {
    fx.clock.advance(1);
    let got =
        fx.post("/api/devices/status/", Auth::Key(&fx.device_key), json!({ "cabinet_status": cabinet_status })).await;
    assert_eq!(got, (200, json!({ "code": 0, "message": "状态更新成功" })), "report {cabinet_status}");
}

/// A user with a balance, an order on `cabinet` paid; (token, order id, pickup code).
async fn paid_order(fx: &Fx, user: &str, phone: &str, cabinet: &str) -> (String, i64, String) {
    let token = fx.register(user, phone).await;
    fx.set_balance(phone, 10_000).await;
    let id = fx.order(&token, cabinet, 1.0).await;
    let code = fx.pay(&token, id).await;
    (token, id, code)
}

async fn locker(fx: &Fx, code: &str) -> Locker {
    fx.db.store.get_locker_by_code(code).await.unwrap()
}

async fn rental_state(fx: &Fx, order: i64) -> (Id, RentalState) {
    let id = fx.db.store.order_by_number(order).await.unwrap().unwrap();
    (id, fx.db.store.get_rental(id).await.unwrap().state)
}

async fn alerts(fx: &Fx, kind: AlertKind) -> Vec<Option<Id>> {
    let filter = AlertFilter { kind: Some(kind), ..Default::default() };
    fx.db.store.list_alerts(&filter, Page::default()).await.unwrap().items.iter().map(|a| a.locker_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_opened_by_code_is_polled_and_its_close_finishes_the_rental() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        report(&fx, json!({ "A001": true })).await;
        let (token, id, code) = paid_order(&fx, "testuser", "13900139000", "A001").await;
        let a001 = locker(&fx, "A001").await;

        ok(&fx.open(&token, "A001", &code).await, 200, "开柜成功");
        // The service runs the door's cycle: the unlock is in flight until the door opens.
        assert_eq!(fx.service.busy_doors(), vec![a001.id], "on {}", fx.db.name);
        assert_eq!(rental_state(&fx, id).await.1, RentalState::Opening);
        assert_eq!(fx.poll().await.as_deref(), Some("A001"));
        assert_eq!(fx.poll().await, None, "one command per unlock");

        report(&fx, json!({ "A001": false })).await;
        assert_eq!(locker(&fx, "A001").await.door, locker_core::domain::DoorState::Open);
        assert_eq!(fx.service.busy_doors(), vec![a001.id]);
        assert_eq!(rental_state(&fx, id).await.1, RentalState::Opening, "open is not the end of the cycle");

        report(&fx, json!({ "A001": true })).await;
        assert_eq!(rental_state(&fx, id).await.1, RentalState::Active, "on {}", fx.db.name);
        assert!(fx.service.busy_doors().is_empty());
        assert_eq!(fx.get(&format!("/api/orders/{id}/"), Auth::Bearer(&token)).await.1["data"]["status"], "in_use");
        assert!(alerts(&fx, AlertKind::UnauthorizedOpen).await.is_empty(), "our own unlock is authorized");

        // The second opening ends the order: one more command, the cabinet is free.
        ok(&fx.open(&token, "A001", &code).await, 200, "开柜成功");
        assert_eq!(rental_state(&fx, id).await.1, RentalState::Completed);
        assert_eq!(fx.poll().await.as_deref(), Some("A001"));
        report(&fx, json!({ "A001": false })).await;
        report(&fx, json!({ "A001": true })).await;
        assert_eq!(fx.get("/api/cabinets/A001/status/", Auth::None).await.1["data"]["status"], "available");
        assert!(fx.service.busy_doors().is_empty());
        assert!(alerts(&fx, AlertKind::UnauthorizedOpen).await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_door_reported_open_with_no_command_raises_unauthorized_open() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        report(&fx, json!({ "A002": true, "B001": true })).await;
        assert!(alerts(&fx, AlertKind::UnauthorizedOpen).await.is_empty());
        // Nobody opened A002 by code, nothing was queued: the door was forced.
        report(&fx, json!({ "A002": false })).await;
        let a002 = locker(&fx, "A002").await;
        assert_eq!(alerts(&fx, AlertKind::UnauthorizedOpen).await, vec![Some(a002.id)], "on {}", fx.db.name);
        assert_eq!(a002.door, locker_core::domain::DoorState::Open);
        assert_eq!(fx.poll().await, None);
        // Reported again (the board repeats its map): still one alert.
        report(&fx, json!({ "A002": false, "B001": true })).await;
        assert_eq!(alerts(&fx, AlertKind::UnauthorizedOpen).await.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_customers_opening_by_code_at_once_on_one_board_get_their_own_doors() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        report(&fx, json!({ "A001": true, "A002": true })).await;
        let (alice, alice_order, alice_code) = paid_order(&fx, "alice", "13900139001", "A001").await;
        let (bob, bob_order, bob_code) = paid_order(&fx, "bob", "13900139002", "A002").await;

        let (a, b) = join(fx.open(&alice, "A001", &alice_code), fx.open(&bob, "A002", &bob_code)).await;
        assert_eq!(ok(&a, 200, "开柜成功")["cabinet_id"], "A001");
        assert_eq!(ok(&b, 200, "开柜成功")["cabinet_id"], "A002");
        let mut polled = vec![fx.poll().await.unwrap(), fx.poll().await.unwrap()];
        polled.sort();
        assert_eq!(polled, ["A001", "A002"], "on {}", fx.db.name);
        assert_eq!(fx.poll().await, None);

        // Both doors open at once; Bob shuts his first, in separate reports sent together.
        report(&fx, json!({ "A001": false, "A002": false })).await;
        let (alice_rental, _) = rental_state(&fx, alice_order).await;
        let (bob_rental, _) = rental_state(&fx, bob_order).await;
        join(report(&fx, json!({ "A002": true })), report(&fx, json!({ "A001": false }))).await;
        assert_eq!(rental_state(&fx, bob_order).await.1, RentalState::Active, "Bob's close ends Bob's rental");
        assert_eq!(rental_state(&fx, alice_order).await.1, RentalState::Opening, "not Alice's");
        report(&fx, json!({ "A001": true })).await;
        assert_eq!(rental_state(&fx, alice_order).await.1, RentalState::Active);
        for (rental, cabinet) in [(alice_rental, "A001"), (bob_rental, "A002")] {
            let rental = fx.db.store.get_rental(rental).await.unwrap();
            assert_eq!(rental.locker_id, locker(&fx, cabinet).await.id, "each in their own cabinet");
        }
        assert!(alerts(&fx, AlertKind::UnauthorizedOpen).await.is_empty());
        assert!(fx.service.busy_doors().is_empty());
    }
}

#[tokio::test]
async fn a_retry_while_the_command_still_waits_queues_no_second_one() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        report(&fx, json!({ "B001": true })).await;
        let (token, id, code) = paid_order(&fx, "testuser", "13900139000", "B001").await;
        ok(&fx.open(&token, "B001", &code).await, 200, "开柜成功");
        // The board has not polled when the unlock window passes: the door machine retries.
        fx.clock.advance(11);
        fx.service.on_tick(fx.clock.now()).await.unwrap();
        assert_eq!(fx.poll().await.as_deref(), Some("B001"));
        assert_eq!(fx.poll().await, None, "the retry found the first command waiting on {}", fx.db.name);
        // The customer opens and shuts the door: the cycle still finishes their rental.
        report(&fx, json!({ "B001": false })).await;
        report(&fx, json!({ "B001": true })).await;
        assert_eq!(rental_state(&fx, id).await.1, RentalState::Active);
    }
}
