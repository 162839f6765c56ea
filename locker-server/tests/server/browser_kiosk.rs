//! The kiosk screen (`/kiosk`) in a real browser: headless Chromium whose fake camera plays
//! a photo from `shared/faces`, the real face models, the real router on a real port over a
//! SQLite file, and the simulated controller (v1 protocol) with 24 lockers, its simulated
//! customer opening and shutting each unlocked door.
//!
//! Each screen the tests pass through is saved under `screenshots/` of the build directory.

mod harness;

use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::{Browser, target_dir, y4m_from_photo};
use locker_core::controller::sim::{self, Person, SimConfig};
use locker_core::domain::{AuthMethod, Id, Rental, RentalState};
use locker_core::ports::{Page, RentalFilter};
use support::{Options, TestServer};

use crate::support;

/// The kiosk account's password (`TestServer::customer`).
const KIOSK_PASSWORD: &str = "securePassword123";

/// A server on SQLite with the real face models (`None`, skipping, when they are absent),
/// controller `SIM_001`, 24 lockers wired to it, and the simulator attached: its customer
/// opens an unlocked door after 0.8 s and shuts it 1.2 s later, long enough for a person
/// (and a screenshot) to see each step.
async fn kiosk_server() -> Option<TestServer> {
    support::face_engine()?;
    let mut opts = Options::new(support::Backend::Sqlite);
    opts.face = true;
    let server = support::start_with(opts).await;
    let admin = server.admin().await;
    let (controller, _key) = server.controller("SIM_001").await;
    server.lockers(&admin.access, 24, Some("SIM_001")).await;
    let person = Person { open_after: Duration::from_millis(800), hold_open: Duration::from_millis(1200) };
    let (driver, _device) = sim::spawn_controller(SimConfig { person: Some(person), ..SimConfig::new(24) }).unwrap();
    server.state.service.attach_controller(controller.parse::<Id>().unwrap(), Arc::new(driver));
    Some(server)
}

/// A browser whose camera shows `photo` (a path under `shared/faces`).
async fn browser_seeing(photo: &str) -> Option<Browser> {
    let video = target_dir().join("kiosk-camera").join(format!("{}.y4m", photo.replace('/', "-")));
    y4m_from_photo(&support::photo(photo), &video);
    Browser::launch(&video).await
}

/// Opens `/kiosk` and signs the kiosk in as `email` through its set-up screen; returns
/// once the home screen shows with the door events linked.
async fn sign_in(browser: &Browser, server: &TestServer, email: &str, shot: Option<&str>) {
    browser.client.goto(&server.url("/kiosk")).await.unwrap();
    browser.wait_for_screen("setup").await;
    browser.type_into("#setup-email", email).await;
    browser.type_into("#setup-password", KIOSK_PASSWORD).await;
    if let Some(name) = shot {
        browser.screenshot(name).await;
    }
    browser.click("#setup-submit").await;
    browser.wait_for_screen("home").await;
    // Linked: /ws took the kiosk's token (the "reconnecting" line is gone).
    browser.wait_for("linked", "return document.getElementById('link-state').textContent === ''").await;
}

/// The live rentals.
async fn live_rentals(server: &TestServer) -> Vec<Rental> {
    let filter = RentalFilter { live_only: true, ..RentalFilter::default() };
    server.state.store().list_rentals(&filter, Page::default()).await.unwrap().items
}

/// Waits until rental `id` is active (its door shut after the check-in).
async fn until_active(server: &TestServer, id: Id) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.state.store().get_rental(id).await.unwrap().state != RentalState::Active {
        assert!(Instant::now() < deadline, "rental {id} never became active");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A customer checks in by face on the kiosk: the camera photo goes to
/// `/api/v1/sessions/check-in/face` as a guest's (not the kiosk account's), the screen
/// names the locker and follows its door ("open door A01" -> "close the door" -> done).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_checks_a_customer_in_by_face_and_follows_the_door() {
    let Some(server) = kiosk_server().await else { return };
    let kiosk = server.customer("kiosk@example.com").await;
    let Some(browser) = browser_seeing("Al_Sharpton/1.jpg").await else { return };
    sign_in(&browser, &server, "kiosk@example.com", Some("kiosk-01-setup")).await;
    browser.screenshot("kiosk-02-home").await;

    browser.click("#go-checkin-face").await;
    browser.wait_for_screen("camera").await;
    browser
        .wait_for("the live camera", "const v = document.getElementById('camera-video'); return v.videoWidth > 0")
        .await;
    browser.screenshot("kiosk-03-camera").await;

    browser.wait_for_screen("door").await;
    let phase = |p: &str| format!("return document.getElementById('door-step').dataset.phase === {p:?}");
    browser.wait_for("the door unlocked", &phase("opening")).await;
    let code = browser.text("#door-locker").await;
    assert_eq!(browser.text("#door-step").await, format!("Open door {code}"));
    browser.screenshot("kiosk-04-open-door").await;

    browser.wait_for("the door open", &phase("open")).await;
    assert_eq!(browser.text("#door-step").await, "Close the door");
    browser.screenshot("kiosk-05-close-the-door").await;

    browser.wait_for("the door shut", &phase("done")).await;
    assert_eq!(browser.text("#door-step").await, format!("Done! Your things are safe in {code}."));
    browser.screenshot("kiosk-06-done").await;
    // The words follow the language switcher.
    browser.click("[data-lang=vi]").await;
    assert_eq!(browser.text("#door-step").await, format!("Xong! Đồ của bạn đã an toàn trong tủ {code}."));
    browser.screenshot("kiosk-07-done-vi").await;
    browser.close().await;

    // One live rental: the locker the screen named, by face, a guest's (the kiosk's token is
    // not sent with customer requests), active now that its door shut, with the template
    // that check-out by face will match.
    let live = live_rentals(&server).await;
    assert_eq!(live.len(), 1, "{live:?}");
    let rental = &live[0];
    let locker = server.state.store().get_locker(rental.locker_id).await.unwrap();
    assert_eq!(locker.code, code);
    assert_eq!(rental.auth_method, AuthMethod::FaceId);
    assert_eq!(rental.user_id, None, "a walk-up rental is a guest's, not the kiosk account's ({})", kiosk.id);
    assert_eq!(rental.state, RentalState::Active);
    assert!(server.state.faces().get_guest_template(rental.id).await.unwrap().is_some());
}

/// A customer shows the app's check-in QR code to the kiosk camera: the page decodes it
/// (vendored jsQR), checks it, checks in with it, and follows the door to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_checks_a_customer_in_by_qr_code() {
    let Some(server) = kiosk_server().await else { return };
    server.customer("kiosk@example.com").await;
    let customer = server.customer("app-user@example.com").await;
    let issued = server
        .post("/api/v1/qr-tokens/generate", Some(&customer.access), serde_json::json!({ "action": "check_in" }))
        .await;
    assert_eq!(issued.status, 200, "{:?}", issued.body);
    let token = issued.body["data"]["token"].as_str().unwrap();
    let video = target_dir().join("kiosk-camera").join("check-in-qr.y4m");
    y4m_from_photo(&locker_core::token::qr::render::png(token).unwrap(), &video);
    let Some(browser) = Browser::launch(&video).await else { return };
    sign_in(&browser, &server, "kiosk@example.com", None).await;

    browser.click("#go-checkin-qr").await;
    browser.wait_for_screen("camera").await;
    browser.screenshot("kiosk-09-scan-qr").await;
    browser.wait_for_screen("door").await;
    let code = browser.text("#door-locker").await;
    browser.wait_for("the door cycled", "return document.getElementById('door-step').dataset.phase === 'done'").await;
    browser.close().await;

    // The QR token named the customer: the rental is theirs, by QR, on the locker shown.
    let live = live_rentals(&server).await;
    assert_eq!(live.len(), 1, "{live:?}");
    let locker = server.state.store().get_locker(live[0].locker_id).await.unwrap();
    assert_eq!(locker.code, code);
    assert_eq!(live[0].auth_method, AuthMethod::QrCode);
    assert_eq!(live[0].user_id.map(|id| id.to_string()), Some(customer.id));
}

/// Someone else than the renter tries to check out by face: the kiosk says, in a
/// customer's words, that it does not recognise them, and no door opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_refuses_a_stranger_at_check_out_by_face() {
    let Some(server) = kiosk_server().await else { return };
    server.customer("kiosk@example.com").await;
    // A guest checked in by face (over HTTP, as another kiosk would), door cycled.
    let part = reqwest::multipart::Part::bytes(support::photo("Al_Sharpton/1.jpg")).file_name("face.jpg");
    let form = reqwest::multipart::Form::new().part("face_image", part);
    let res = server.client.post(server.url("/api/v1/sessions/check-in/face")).multipart(form).send().await.unwrap();
    let a = support::answer(res).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let session: Id = a.body["data"]["session_id"].as_str().unwrap().parse().unwrap();
    until_active(&server, session).await;

    let Some(browser) = browser_seeing("Alvaro_Uribe/1.jpg").await else { return };
    sign_in(&browser, &server, "kiosk@example.com", None).await;
    browser.click("#go-checkout-face").await;
    browser.wait_for_screen("error").await;
    let reason = browser.js("return document.getElementById('error-text').dataset.reason").await;
    assert_eq!(reason, "error.notRecognised");
    assert_eq!(browser.text("#error-text").await, "We do not recognise you. Try again, or use your QR code.");
    browser.screenshot("kiosk-08-not-recognised").await;
    browser.close().await;

    // Nothing opened: the guest's rental is still active, its door shut.
    let rental = server.state.store().get_rental(session).await.unwrap();
    assert_eq!(rental.state, RentalState::Active);
    let locker = server.state.store().get_locker(rental.locker_id).await.unwrap();
    assert_eq!(locker.door, locker_core::domain::DoorState::Closed);
}

/// The page and its modules come from the binary with their type, caching and a CSP that
/// forbids inline script; the vendored QR decoder ships its licence; unknown files are 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_files_are_served_with_their_headers() {
    let server = support::start(support::Backend::Sqlite).await;
    for (path, mime) in [
        ("/kiosk", "text/html; charset=utf-8"),
        ("/kiosk/app.js", "text/javascript; charset=utf-8"),
        ("/kiosk/kiosk.css", "text/css; charset=utf-8"),
        ("/kiosk/vendor/jsQR.js", "text/javascript; charset=utf-8"),
    ] {
        let res = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        assert_eq!(h["content-type"], mime, "{path}");
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
    let licence = server.client.get(server.url("/kiosk/vendor/jsQR.LICENSE")).send().await.unwrap();
    assert!(licence.text().await.unwrap().contains("Apache License"));
    let missing = support::answer(server.client.get(server.url("/kiosk/nope.js")).send().await.unwrap()).await;
    assert_eq!((missing.status, missing.code()), (404, "NOT_FOUND"));
}
