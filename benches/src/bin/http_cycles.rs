//! Load driver for `benches/http.sh`: full QR check-in/check-out cycles against a running
//! `locker serve` with the simulated controller.
//!
//! A cycle, per worker and back to back: issue a check-in QR token
//! (`POST /qr-tokens/generate`), check in with it (`POST /sessions/check-in/qr`: allocation,
//! rental, log row, relay), then issue a check-out token and check out
//! (`POST /sessions/{id}/check-out`), again with the same token every 2 ms while the
//! simulated customer has not shut the door yet (409 `INVALID_STATE` or `CONFLICT`;
//! counted as `early_check_outs`). With `--wait ws` (the default) a worker first waits for
//! its session's `session_updated` event on `/ws`, as a kiosk app would, so the server is
//! not also serving a retry every 2 ms per waiting customer. wrk cannot chain dependent
//! requests like this, hence a driver of our own; it reports cycles per second and the
//! p50/p99 latency of the cycle and of the two door-driving requests.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use anyhow::{Context as _, bail};
use clap::Parser;
use serde_json::{Value, json};

/// How a worker learns that its customer has shut the door after check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Wait {
    /// The `session_updated` event of `/ws` (as a kiosk app does); check-out is tried
    /// when it arrives, then polled as below if refused.
    Ws,
    /// Check-out is tried every 2 ms until accepted (load of its own on the server).
    Poll,
}

/// Options.
#[derive(Debug, Parser)]
struct Args {
    /// Base URL of `/api/v1`, e.g. `http://127.0.0.1:3000/api/v1`. Repeat it for several
    /// server processes on one database (sharing their keys, `benches/scale_out.sh`): worker
    /// `i` talks to the `i mod n`-th, as behind a round-robin load balancer.
    #[arg(long, required = true)]
    api: Vec<String>,
    /// Account to sign in with (the demo admin).
    #[arg(long)]
    email: String,
    /// Its password.
    #[arg(long, env = "LOCKER_BENCH_PASSWORD")]
    password: String,
    /// Concurrent workers (at most the number of free lockers).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds to run (after one warm-up cycle per worker).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// How to wait for the door to shut before checking out.
    #[arg(long, value_enum, default_value_t = Wait::Ws)]
    wait: Wait,
}

/// Latencies of one completed cycle.
struct Cycle {
    total: Duration,
    check_in: Duration,
    check_out: Duration,
    /// Check-outs refused because the door cycle had not finished yet.
    waits: u32,
    /// Check-ins refused with CONFLICT (the allocated locker's door cycle still running).
    busy: u32,
}

/// One signed-in HTTP client.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    /// The door events of `base`'s `/ws`, with `--wait ws`.
    doors: Option<Arc<DoorEvents>>,
}

/// Sessions whose door has shut after check-in, from one server's `/ws`.
#[derive(Default)]
struct DoorEvents {
    state: Mutex<Doors>,
}

/// Workers waiting for a door, and shut doors nobody waited for yet.
#[derive(Default)]
struct Doors {
    waiting: HashMap<String, oneshot::Sender<()>>,
    shut: HashSet<String>,
}

impl DoorEvents {
    /// Connects to `base`'s `/ws` with `token` and routes its events to waiting workers.
    async fn listen(base: &str, token: &str) -> anyhow::Result<Arc<Self>> {
        // `/ws` sits at the server's root, beside `/api/v1`.
        let root = base.trim_end_matches('/').trim_end_matches("/api/v1");
        let url = format!("{}/ws", root.replacen("http", "ws", 1));
        let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str()).await.context("connecting to /ws")?;
        socket.send(Message::Text(token.to_owned().into())).await?;
        let events = Arc::new(Self::default());
        let routed = events.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(text))) = socket.next().await {
                let Ok(event) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                // The door of a checked-in session shut: the rental is active.
                if event["event"] == "session_updated"
                    && event["data"]["action"] == "sensor_trigger"
                    && let Some(id) = event["data"]["session_id"].as_str()
                {
                    routed.shut(id);
                }
            }
        });
        Ok(events)
    }

    fn shut(&self, session: &str) {
        let mut doors = self.state.lock().unwrap();
        match doors.waiting.remove(session) {
            Some(waiter) => drop(waiter.send(())),
            None => drop(doors.shut.insert(session.to_owned())),
        }
    }

    /// Until `session`'s door has shut (at most `limit`).
    async fn wait_shut(&self, session: &str, limit: Duration) {
        let rx = {
            let mut doors = self.state.lock().unwrap();
            if doors.shut.remove(session) {
                return;
            }
            let (tx, rx) = oneshot::channel();
            doors.waiting.insert(session.to_owned(), tx);
            rx
        };
        let _ = tokio::time::timeout(limit, rx).await;
        self.state.lock().unwrap().waiting.remove(session);
    }
}

impl Api {
    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let req = self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.token).json(&body);
        Self::data(req.send().await?).await
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        Self::data(self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?).await
    }

    /// The `data` of a success envelope, or the error envelope as the error.
    async fn data(res: reqwest::Response) -> anyhow::Result<Value> {
        let status = res.status();
        let body: Value = res.json().await.context("answer is not JSON")?;
        if !status.is_success() || body["success"] != json!(true) {
            bail!("{status}: {body}");
        }
        Ok(body["data"].clone())
    }

    async fn qr(&self, body: Value) -> anyhow::Result<String> {
        let data = self.post("/qr-tokens/generate", body).await?;
        data["token"].as_str().map(str::to_owned).context("no token in the answer")
    }

    async fn cycle(&self) -> anyhow::Result<Cycle> {
        let start = Instant::now();
        let mut qr = self.qr(json!({ "action": "check_in" })).await?;
        let mut t = Instant::now();
        let mut busy = 0;
        let session = loop {
            match self.post("/sessions/check-in/qr", json!({ "qr_token": qr })).await {
                Ok(session) => break session,
                // Every free locker's door still cycling (or all taken, at 24 workers on 24
                // lockers): refused, nothing kept; try again.
                Err(e) if is_cabinet_busy(&e) && busy < 5000 => {
                    busy += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    qr = self.qr(json!({ "action": "check_in" })).await?;
                    t = Instant::now();
                }
                Err(e) => return Err(e.context("check-in")),
            }
        };
        let check_in = t.elapsed();
        let session_id = session["session_id"].as_str().context("no session_id")?.to_owned();
        // The session turns active when the simulated customer has shut the door again;
        // until then check-out answers 409 INVALID_STATE (a kiosk app would wait for the
        // `/ws` event; polling with a fresh token each time is the simplest equivalent).
        // A refused check-out leaves the token unspent, so the kiosk retries with the same
        // code; a server that spends it anyway (older builds) answers QR_USED, and then each
        // retry takes a fresh token.
        let deadline = Instant::now() + Duration::from_secs(10);
        if let Some(doors) = &self.doors {
            doors.wait_shut(&session_id, Duration::from_secs(10)).await;
        }
        let mut waits = 0;
        let check_out_qr = json!({ "action": "check_out", "session_id": session_id });
        let mut qr = self.qr(check_out_qr.clone()).await?;
        let check_out = loop {
            let t = Instant::now();
            match self.post(&format!("/sessions/{session_id}/check-out"), json!({ "qr_token": qr })).await {
                Ok(_) => break t.elapsed(),
                // INVALID_STATE: the door has not shut yet; CONFLICT: its door cycle is
                // still settling.
                Err(e) if is_not_ready(&e) && Instant::now() < deadline => {
                    waits += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Err(e) if e.to_string().contains("\"QR_USED\"") && Instant::now() < deadline => {
                    qr = self.qr(check_out_qr.clone()).await?;
                }
                Err(e) => return Err(e.context(format!("check-out of {session_id}"))),
            }
        };
        Ok(Cycle { total: start.elapsed(), check_in, check_out, waits, busy })
    }
}

/// Whether a check-in was refused because every free locker's door is still cycling (or
/// all are taken): the customer tries again.
fn is_cabinet_busy(e: &anyhow::Error) -> bool {
    let text = e.to_string();
    text.contains("\"CONFLICT\"") || text.contains("\"NO_AVAILABLE_LOCKER\"")
}

/// Whether the check-out was refused only because the door cycle has not finished.
fn is_not_ready(e: &anyhow::Error) -> bool {
    let text = e.to_string();
    text.contains("\"INVALID_STATE\"") || text.contains("\"CONFLICT\"")
}

/// `p` (0..=100) percentile of sorted samples, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let login: Value = http
        .post(format!("{}/auth/login", args.api[0]))
        .json(&json!({ "email": args.email, "password": args.password }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["access_token"].as_str().with_context(|| format!("login refused: {login}"))?;
    let api = Api { http, base: args.api[0].clone(), token: token.to_owned(), doors: None };
    let mut doors = Vec::new();
    for base in &args.api {
        doors.push(match args.wait {
            Wait::Ws => Some(DoorEvents::listen(base, token).await?),
            Wait::Poll => None,
        });
    }

    let run_for = Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let server = worker % args.api.len();
        let api = Api { base: args.api[server].clone(), doors: doors[server].clone(), ..api.clone() };
        workers.push(tokio::spawn(async move {
            let _ = api.cycle().await; // warm-up
            let (mut cycles, mut failures) = (Vec::new(), Vec::new());
            let start = Instant::now();
            while start.elapsed() < run_for {
                match api.cycle().await {
                    Ok(cycle) => cycles.push(cycle),
                    Err(e) => {
                        failures.push(format!("{e:#}"));
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            anyhow::Ok((cycles, failures, start.elapsed()))
        }));
    }
    let (mut total, mut check_in, mut check_out) = (Vec::new(), Vec::new(), Vec::new());
    let (mut waits, mut busy) = (0u64, 0u64);
    let mut failures = Vec::new();
    let mut elapsed = Duration::ZERO;
    for worker in workers {
        let (cycles, mut failed, took) = worker.await??;
        failures.append(&mut failed);
        elapsed = elapsed.max(took);
        for c in cycles {
            total.push(c.total);
            check_in.push(c.check_in);
            check_out.push(c.check_out);
            waits += u64::from(c.waits);
            busy += u64::from(c.busy);
        }
    }
    for v in [&mut total, &mut check_in, &mut check_out] {
        v.sort();
    }
    for failure in failures.iter().take(3) {
        eprintln!("failed cycle: {failure}");
    }
    if failures.len() > total.len() {
        bail!("more cycles failed ({}) than succeeded ({})", failures.len(), total.len());
    }
    // After the run every door must come to rest and every rental end: count the lockers
    // that do not (a stranded rental keeps its locker `in_use`) after a settling wait.
    let mut not_at_rest = u64::MAX;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let lockers = api.get("/lockers?limit=100").await?;
        let items = lockers["lockers"].as_array().context("no lockers in the answer")?;
        not_at_rest =
            items.iter().filter(|l| l["status"] != json!("available") || l["door_state"] != json!("closed")).count()
                as u64;
        if not_at_rest == 0 {
            break;
        }
    }
    let rate = total.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{}",
        json!({
            "cycles": total.len(),
            "seconds": elapsed.as_secs_f64(),
            "cycles_per_s": rate,
            "cycle_p50_ms": percentile_ms(&total, 50.0),
            "cycle_p99_ms": percentile_ms(&total, 99.0),
            "check_in_p50_ms": percentile_ms(&check_in, 50.0),
            "check_in_p99_ms": percentile_ms(&check_in, 99.0),
            "check_out_p50_ms": percentile_ms(&check_out, 50.0),
            "check_out_p99_ms": percentile_ms(&check_out, 99.0),
            "early_check_outs": waits,
            "check_ins_refused_busy": busy,
            "failed_cycles": failures.len(),
            "lockers_not_at_rest_after": not_at_rest,
        })
    );
    Ok(())
}
