//! A real browser for the console tests: Debian's `chromium` driven through `chromedriver`
//! (WebDriver) with `fantoccini`, headless. Each [`Browser`] runs its own chromedriver on a
//! free port, in its own process group, killed with everything it started when dropped.
//!
//! Without chromium or chromedriver [`Browser::start`] gives `None` and says the test is
//! skipped, unless `LOCKER_REQUIRE_BROWSER=1` (`.ci/run` sets it): then it panics. Paths:
//! `LOCKER_CHROMIUM` and `LOCKER_CHROMEDRIVER`, else `chromium` and `chromedriver` on `PATH`.
//! Screenshots go to `$CARGO_TARGET_DIR/screenshots/` (or `target/screenshots/`).

#![allow(dead_code)]

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// A headless Chromium under its own chromedriver.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    _driver: Driver,
}

/// A chromedriver process, leading its own process group (which holds the browser it
/// starts): the whole group is killed on drop.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = self.0.id() as i32;
        // SAFETY: kill(2) on the process group we created; no memory is touched.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// `name` found on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The program named by `env`, else `name` on `PATH`.
fn program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    names.iter().find_map(|n| on_path(n))
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where screenshots go.
pub fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), |d| workspace.join(d));
    target.join("screenshots")
}

impl Browser {
    /// A browser with a `width` x `height` window, or `None` (skipped) without chromium.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let chromium = program("LOCKER_CHROMIUM", &["chromium", "chromium-browser"]);
        let driver = program("LOCKER_CHROMEDRIVER", &["chromedriver"]);
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            assert!(
                std::env::var("LOCKER_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "LOCKER_REQUIRE_BROWSER=1 but chromium or chromedriver is missing (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "SKIPPED: chromium and chromedriver are needed for the browser tests (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = free_port();
        let child = Driver(
            Command::new(&driver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display())),
        );
        let url = format!("http://127.0.0.1:{port}");
        wait_ready(&url).await;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}"), "--lang=en-US", "--no-first-run"],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("a Chromium session through {}: {e}", driver.display()));
        let mut browser = Browser { client, _driver: child };
        browser.resize(width, height).await;
        Some(browser)
    }

    /// Sets the window size.
    pub async fn resize(&mut self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// Polls `script` until it returns something truthy (within `timeout`), and returns it;
    /// panics naming `what` otherwise.
    pub async fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.js(script, vec![]).await;
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Types `text` into the element matching `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        el.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Writes a PNG of the window to `screenshots/NAME.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Ends the session (the browser quits); the driver is killed on drop.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Waits until the driver at `url` answers `/status` ready (10 s at most).
async fn wait_ready(url: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(res) = client.get(format!("{url}/status")).send().await
            && let Ok(v) = res.json::<Value>().await
            && v["value"]["ready"] == true
        {
            return;
        }
        assert!(Instant::now() < deadline, "chromedriver at {url} did not get ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
