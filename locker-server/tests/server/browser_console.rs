//! The operator's console (`/`) in a real browser (issue 17 item 4): headless Chromium
//! against the real router on a real port, a SQLite file, the in-process simulated
//! controller `SIM_001` and 24 lockers. Scenarios: the admin signs in and sees 24 lockers
//! (and every screen is photographed), a check-in through the API turns its tile `in_use`
//! within 1 s through `/ws`, force-open from the console reaches the simulated controller,
//! and a controller registered in the console has its key shown once.
//!
//! Screenshots: `$CARGO_TARGET_DIR/screenshots/console-*.png`.

use crate::browser_support::Browser;
use crate::support::{self, Backend, Options, TestServer};

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use locker_core::controller::sim::{self, Device, Person, SimConfig};
use locker_core::domain::{DoorConfig, Id};
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "console-admin@example.com";
const ADMIN_PASSWORD: &str = "consolePassword123";
/// How long a page condition may take (the live-update bound is asserted separately).
const WAIT: Duration = Duration::from_secs(5);

/// The console's server: the simulator attached, 24 lockers `A01..A24` on `SIM_001`, an
/// admin with a known password.
struct Console {
    server: TestServer,
    admin: String,
    device: Arc<Mutex<Device>>,
    lockers: Vec<String>,
}

async fn console() -> Console {
    let mut opts = Options::new(Backend::Sqlite);
    opts.seeds = true;
    opts.service.door = DoorConfig { open_window: chrono::TimeDelta::milliseconds(300), ..DoorConfig::default() };
    let server = support::start_with(opts).await;
    support::create_admin(&server.state, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.access;
    let (controller, _key) = server.controller("SIM_001").await;
    let lockers = server.lockers(&admin, 24, Some("SIM_001")).await;
    let person = Person { open_after: Duration::from_millis(30), hold_open: Duration::from_millis(100) };
    let (driver, device) = sim::spawn_controller(SimConfig { person: Some(person), ..SimConfig::new(24) }).unwrap();
    let controller: Id = controller.parse().unwrap();
    server.state.service.attach_controller(controller, Arc::new(driver));
    server.state.service.heartbeat(controller, Some(87), Some("sim-1.0".into())).await.unwrap();
    Console { server, admin, device, lockers }
}

/// Opens the console, signs in through the form and waits for the live grid with its
/// WebSocket up.
async fn sign_in(b: &Browser, c: &Console) {
    b.goto(&c.server.url("/")).await;
    b.wait_for("the sign-in form", "return !document.querySelector('#signin').hidden", WAIT).await;
    b.fill("#signin-form [name=email]", ADMIN_EMAIL).await;
    b.fill("#signin-form [name=password]", ADMIN_PASSWORD).await;
    b.click("#signin-form button[type=submit]").await;
    b.wait_for("24 tiles", "return document.querySelectorAll('#grid .tile').length === 24", WAIT).await;
    b.wait_for("the live link", "return document.body.dataset.live === '1'", WAIT).await;
}

/// Opens the tab `view` and waits until it has loaded.
async fn open_tab(b: &Browser, view: &str) {
    b.click(&format!("#nav button[data-view={view}]")).await;
    let script = format!("return document.body.dataset.loaded === '{view}'");
    b.wait_for(&format!("the {view} tab"), &script, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_and_sees_24_lockers_on_every_screen() {
    let Some(mut b) = Browser::start(1280, 900).await else { return };
    let c = console().await;

    // A customer cannot use the console.
    c.server.customer("not-admin@example.com").await;
    b.goto(&c.server.url("/")).await;
    b.wait_for("the sign-in form", "return !document.querySelector('#signin').hidden", WAIT).await;
    b.fill("#signin-form [name=email]", "not-admin@example.com").await;
    b.fill("#signin-form [name=password]", "securePassword123").await;
    b.click("#signin-form button[type=submit]").await;
    b.wait_for("the refusal", "return document.querySelector('#signin-error').textContent", WAIT).await;
    assert_eq!(b.js("return sessionStorage.length", vec![]).await, json!(0), "no token kept for a customer");

    sign_in(&b, &c).await;
    let tiles = b
        .js("return [...document.querySelectorAll('#grid .tile')].map(t => [t.dataset.code, t.dataset.status, t.dataset.board])", vec![])
        .await;
    let tiles = tiles.as_array().unwrap();
    assert_eq!(tiles.len(), 24);
    assert_eq!(tiles[0], json!(["A01", "available", "online"]));
    assert_eq!(tiles[23][0], "A24");
    let summary = b.js("return document.querySelector('#summary').textContent", vec![]).await;
    assert!(summary.as_str().unwrap().contains("24 available"), "{summary}");
    b.screenshot("console-grid").await;

    // Languages: Vietnamese and Chinese words replace the English ones.
    b.js("const s = document.querySelector('#lang'); s.value = 'vi'; s.dispatchEvent(new Event('change'))", vec![])
        .await;
    b.wait_for(
        "Vietnamese tiles",
        "return document.querySelector('#grid .tile .status').textContent === 'trống'",
        WAIT,
    )
    .await;
    b.screenshot("console-grid-vi").await;
    b.js("const s = document.querySelector('#lang'); s.value = 'zh'; s.dispatchEvent(new Event('change'))", vec![])
        .await;
    b.wait_for("Chinese tiles", "return document.querySelector('#grid .tile .status').textContent === '空闲'", WAIT)
        .await;
    b.js("const s = document.querySelector('#lang'); s.value = 'en'; s.dispatchEvent(new Event('change'))", vec![])
        .await;
    b.wait_for(
        "English tiles",
        "return document.querySelector('#grid .tile .status').textContent === 'available'",
        WAIT,
    )
    .await;

    // Every other screen loads without an error and is photographed.
    let path = format!("/api/v1/lockers/{}/status", c.lockers[4]);
    let m =
        c.server.call("PATCH", &path, Some(&c.admin), Some(json!({ "status": "maintenance", "reason": "seal" }))).await;
    assert_eq!(m.status, 200, "{:?}", m.body);
    for view in ["sessions", "alerts", "controllers", "lockers", "stats"] {
        open_tab(&b, view).await;
        let script = "const t = document.querySelector('#toast'); return !t.hidden && t.classList.contains('error') ? t.textContent : ''";
        let toast = b.js(script, vec![]).await;
        assert_eq!(toast, json!(""), "{view} showed an error");
        b.screenshot(&format!("console-{view}")).await;
    }
    let rows = b.js("return document.querySelectorAll('#lockers-table tbody tr').length", vec![]).await;
    assert_eq!(rows, json!(24));

    // CSV import: the browser reads the file and posts each row; each line is reported
    // (A25 on a board nobody registered is created, the board registered keyless).
    open_tab(&b, "lockers").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lockers.csv");
    let text = "code,station,location,size,controller,relay_channel,sensor_channel,price\n\
                A25,S1,\"Tầng 2, Khu D\",large,ESP32_002,1,1,3.50\n\
                A26,S1,Tầng 2,huge,ESP32_002,2,2,1.00\n";
    std::fs::write(&file, text).unwrap();
    let input = b.client.find(fantoccini::Locator::Css("#csv-file")).await.unwrap();
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    let report =
        b.wait_for("the import report", "return document.querySelector('#csv-report .total')?.textContent", WAIT).await;
    assert_eq!(report, json!("1 imported, 1 refused."));
    let lines = b.js("return [...document.querySelectorAll('#csv-report li')].map(l => l.textContent)", vec![]).await;
    assert!(lines[1].as_str().unwrap().starts_with("line 2: A25 created"), "{lines}");
    assert!(lines[2].as_str().unwrap().starts_with("line 3: VALIDATION_ERROR"), "{lines}");
    b.wait_for("25 rows", "return document.querySelectorAll('#lockers-table tbody tr').length === 25", WAIT).await;
    let boards = c.server.get("/api/v1/controllers", Some(&c.admin)).await;
    assert!(boards.body.to_string().contains("ESP32_002"), "{:?}", boards.body);
    open_tab(&b, "alerts").await;
    let alerts = b.js("return document.querySelectorAll('#alerts-table tbody tr[data-alert-id]').length", vec![]).await;
    assert!(alerts.as_u64().unwrap() >= 1, "the maintenance alert is listed");
    let charts = b.js("return document.querySelectorAll('#view-stats svg.chart').length", vec![]).await;
    assert_eq!(charts, json!(3), "occupancy, check-ins and revenue charts");

    // A phone-sized window: the grid still fits the width.
    open_tab(&b, "grid").await;
    b.resize(390, 844).await;
    let fits = b.js("return document.documentElement.scrollWidth <= window.innerWidth", vec![]).await;
    assert_eq!(fits, json!(true), "no horizontal scrolling on a phone");
    b.screenshot("console-grid-phone").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_through_the_api_turns_its_tile_in_use_within_a_second() {
    let Some(b) = Browser::start(1280, 900).await else { return };
    let c = console().await;
    sign_in(&b, &c).await;
    // A marker that a reload would wipe.
    b.js("window.__noReload = true", vec![]).await;

    let customer = c.server.customer("walkup@example.com").await;
    let qr = c.server.post("/api/v1/qr-tokens/generate", Some(&customer.access), json!({ "action": "check_in" })).await;
    let token = qr.body["data"]["token"].as_str().unwrap().to_owned();
    let a = c.server.post("/api/v1/sessions/check-in/qr", None, json!({ "qr_token": token })).await;
    let answered = Instant::now();
    assert_eq!(a.status, 200, "{:?}", a.body);
    let code = a.body["data"]["locker"]["locker_code"].as_str().unwrap().to_owned();
    let script = format!("return document.querySelector('.tile[data-code=\"{code}\"]').dataset.status === 'in_use'");
    b.wait_for("the tile in use", &script, Duration::from_secs(1)).await;
    let took = answered.elapsed();
    assert!(took <= Duration::from_secs(1), "tile {code} turned in_use after {took:?}");
    assert_eq!(b.js("return window.__noReload === true", vec![]).await, json!(true), "updated without a reload");
    eprintln!("tile {code} in_use {} ms after the check-in answer", took.as_millis());
    b.screenshot("console-grid-live").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_open_from_the_console_reaches_the_simulated_controller() {
    let Some(b) = Browser::start(1280, 900).await else { return };
    let c = console().await;
    sign_in(&b, &c).await;
    let before = c.device.lock().unwrap().pulses().iter().filter(|p| p.channel == 3).count();

    b.click(".tile[data-code=A03]").await;
    b.wait_for("the force-open dialog", "return document.querySelector('#locker-dialog').open", WAIT).await;
    // Without the confirmation nothing is sent.
    b.fill("#force-form [name=reason]", "Khách quên đồ, kiểm tra cùng bảo vệ").await;
    b.click("#force-submit").await;
    assert_eq!(b.js("return document.querySelector('#locker-dialog').open", vec![]).await, json!(true));
    b.screenshot("console-force-open").await;
    b.click("#force-form [name=confirm]").await;
    b.click("#force-submit").await;
    b.wait_for("the dialog closed", "return !document.querySelector('#locker-dialog').open", WAIT).await;

    let deadline = Instant::now() + WAIT;
    loop {
        let pulses = c.device.lock().unwrap().pulses().iter().filter(|p| p.channel == 3).count();
        if pulses > before {
            break;
        }
        assert!(Instant::now() < deadline, "no unlock pulse on channel 3");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The log has the force-open with its reason, by the console's admin.
    let logs = c.server.get("/api/v1/transaction-logs?action_type=force_open", Some(&c.admin)).await;
    let row = &logs.body["data"]["logs"][0];
    assert_eq!(row["locker_code"], "A03", "{:?}", logs.body);
    assert!(row["details"].to_string().contains("Khách quên đồ"), "{row}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_registered_in_the_console_has_its_key_shown_once() {
    let Some(b) = Browser::start(1280, 900).await else { return };
    let c = console().await;
    sign_in(&b, &c).await;
    open_tab(&b, "controllers").await;
    b.fill("#controller-form [name=esp32_id]", "ESP32_777").await;
    b.fill("#controller-form [name=station]", "Tầng 3").await;
    b.click("#controller-form button[type=submit]").await;
    let key = b.wait_for("the key", "return document.querySelector('#key-once-value').textContent", WAIT).await;
    let key = key.as_str().unwrap().to_owned();
    assert!(key.starts_with("lk_"), "{key}");
    b.wait_for("the new row", "return document.querySelector('#controllers-table tr[data-board=ESP32_777]')", WAIT)
        .await;
    b.screenshot("console-controller-key").await;

    // The key shown is the board's real key.
    let res = c
        .server
        .client
        .post(c.server.url("/api/v1/hardware/error"))
        .header("X-API-Key", &key)
        .json(&json!({ "error_type": "tamper", "description": "console test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Done wipes it; a reload (still signed in) never shows it again, nor does the API.
    b.click("#key-once-done").await;
    assert!(!html(&b).await.contains(&key));
    b.client.refresh().await.unwrap();
    b.wait_for("the grid after reload", "return document.querySelectorAll('#grid .tile').length === 24", WAIT).await;
    open_tab(&b, "controllers").await;
    b.wait_for(
        "ESP32_777 listed",
        "return document.querySelector('#controllers-table tr[data-board=ESP32_777]')",
        WAIT,
    )
    .await;
    assert!(!html(&b).await.contains(&key), "the key is shown once");
    let list: Value = c.server.get("/api/v1/controllers", Some(&c.admin)).await.body;
    assert!(!list.to_string().contains(&key));
    b.close().await;
}

/// The page's HTML as it is now.
async fn html(b: &Browser) -> String {
    b.js("return document.documentElement.outerHTML", vec![]).await.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_files_carry_their_type_cache_policy_and_csp() {
    let c = console().await;
    for (path, kind) in
        [("/", "text/html"), ("/console/app.js", "text/javascript"), ("/console/console.css", "text/css")]
    {
        let res = c.server.client.get(c.server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        assert!(h["content-type"].to_str().unwrap().starts_with(kind), "{path}: {:?}", h["content-type"]);
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        for rule in ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"] {
            assert!(csp.contains(rule), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    }
    let missing = c.server.get("/console/nope.js", None).await;
    assert_eq!((missing.status, missing.code()), (404, "NOT_FOUND"), "{:?}", missing.body);
}
