//! The kiosk tests' browser: Debian's `chromium` driven by its `chromedriver` over WebDriver
//! (fantoccini), headless, with Chromium's fake camera playing a Y4M file made from a photo.
//!
//! One chromedriver per test, on a free port, in its own process group, killed (with the
//! Chromium it started) on drop. Missing binaries skip the test with a message, or fail it
//! when `LOCKER_REQUIRE_BROWSER=1` (CI). Screenshots go to `$CARGO_TARGET_DIR/screenshots/`
//! (or `target/screenshots/`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a condition on the page may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The first of `names` found on `PATH` (or `override_var`'s path when set).
fn find_binary(override_var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(override_var) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

/// `None` (with a message) when the browser is not installed; panics instead under
/// `LOCKER_REQUIRE_BROWSER=1`.
fn binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_binary("LOCKER_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]);
    let driver = find_binary("LOCKER_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        (c, d) => {
            let missing = if c.is_none() { "chromium" } else { "chromedriver" };
            if std::env::var("LOCKER_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!("LOCKER_REQUIRE_BROWSER=1 but {missing} is not installed (found: {c:?}, {d:?})");
            }
            eprintln!("SKIPPED browser test: {missing} is not installed (apt-get install chromium chromium-driver)");
            None
        }
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The build directory (`CARGO_TARGET_DIR`, else the workspace's `target/`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from)
}

/// Writes `photo` (JPEG or PNG) as a one-frame Y4M video (I420, BT.601) to `out`, the
/// format Chromium's `--use-file-for-fake-video-capture` plays in a loop.
pub fn y4m_from_photo(photo: &[u8], out: &Path) {
    let rgb = image::load_from_memory(photo).expect("decode the photo").to_rgb8();
    // 4:2:0 needs even sides.
    let (w, h) = (rgb.width() & !1, rgb.height() & !1);
    let px = |x: u32, y: u32| {
        let p = rgb.get_pixel(x, y).0;
        (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]))
    };
    let clamp = |v: i32| v.clamp(0, 255) as u8;
    let mut luma = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = px(x, y);
            luma.push(clamp(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16));
        }
    }
    let (mut cb, mut cr) = (Vec::new(), Vec::new());
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            let quad = [px(x, y), px(x + 1, y), px(x, y + 1), px(x + 1, y + 1)];
            let (r, g, b) = quad.iter().fold((0, 0, 0), |a, p| (a.0 + p.0, a.1 + p.1, a.2 + p.2));
            let (r, g, b) = (r / 4, g / 4, b / 4);
            cb.push(clamp(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128));
            cr.push(clamp(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128));
        }
    }
    let mut file = format!("YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\nFRAME\n").into_bytes();
    file.extend_from_slice(&luma);
    file.extend_from_slice(&cb);
    file.extend_from_slice(&cr);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(out, file).unwrap();
}

/// A headless Chromium under its own chromedriver.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    shots: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose camera plays `video` (a Y4M file),
    /// or `None` when the browser is not installed (see [`binaries`]).
    pub async fn launch(video: &Path) -> Option<Browser> {
        let (chromium, chromedriver) = binaries()?;
        let port = free_port();
        let mut command = Command::new(chromedriver);
        command.arg(format!("--port={port}")).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // Its own process group, so drop can end it together with the Chromium it starts.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command.spawn().expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,800".to_owned(),
            "--lang=en-US".to_owned(),
            "--use-fake-ui-for-media-stream".to_owned(),
            "--use-fake-device-for-media-stream".to_owned(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ];
        let caps = json!({ "goog:chromeOptions": { "binary": chromium, "args": args } });
        let Value::Object(caps) = caps else { unreachable!() };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + Duration::from_secs(15);
        let client = loop {
            match ClientBuilder::new(connector.clone()).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => break client,
                // chromedriver is still starting.
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("no WebDriver session from chromedriver on {url}: {e}"),
            }
        };
        let shots = target_dir().join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Some(Browser { client, driver, shots })
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script {script:?}: {e}"))
    }

    /// Waits until `script` returns `true`, within [`PATIENCE`]; on time out, saves a
    /// screenshot named `failed-<name>` and fails with what the page shows.
    pub async fn wait_for(&self, name: &str, script: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.js(script).await == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("failed-{name}")).await;
                let shown = self
                    .js("return document.body.dataset.screen + ': ' + document.querySelector('main').innerText")
                    .await;
                panic!("waited {PATIENCE:?} for {name} ({script}); the page shows {shown}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the kiosk shows screen `screen`.
    pub async fn wait_for_screen(&self, screen: &str) {
        self.wait_for(screen, &format!("return document.body.dataset.screen === {screen:?}")).await;
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    }

    /// Types `text` into the element `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        el.send_keys(text).await.unwrap();
    }

    /// The visible text of the element `css`.
    pub async fn text(&self, css: &str) -> String {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
    }

    /// Saves a PNG of the page as `screenshots/<name>.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Ends the WebDriver session (Chromium quits), then chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and any Chromium still running under it.
        let pid = self.driver.id() as i32;
        // SAFETY: kill(2) on our own child's process group; no memory is touched.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = self.driver.wait();
    }
}
