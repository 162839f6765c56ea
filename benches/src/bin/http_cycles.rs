//! Load driver for `benches/http.sh`: full QR check-in/check-out cycles against a running
//! `locker serve` with the simulated controller.
//!
//! A cycle, per worker and back to back: issue a check-in QR token
//! (`POST /qr-tokens/generate`), check in with it (`POST /sessions/check-in/qr`: allocation,
//! rental, log row, relay), wait until the simulated customer has opened and shut the door
//! (polling `GET /lockers/{id}` until the session is `active`), issue a check-out token and
//! check out (`POST /sessions/{id}/check-out`). wrk cannot chain dependent requests like
//! this, hence a driver of our own; it reports cycles per second and the p50/p99 latency
//! of the cycle and of the two door-driving requests.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use serde_json::{Value, json};

/// Options.
#[derive(Debug, Parser)]
struct Args {
    /// Base URL of `/api/v1`, e.g. `http://127.0.0.1:3000/api/v1`.
    #[arg(long)]
    api: String,
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
}

/// Latencies of one completed cycle.
struct Cycle {
    total: Duration,
    check_in: Duration,
    check_out: Duration,
}

/// One signed-in HTTP client.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
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
        let qr = self.qr(json!({ "action": "check_in" })).await?;
        let t = Instant::now();
        let session = self.post("/sessions/check-in/qr", json!({ "qr_token": qr })).await?;
        let check_in = t.elapsed();
        let session_id = session["session_id"].as_str().context("no session_id")?.to_owned();
        let locker_id = session["locker"]["id"].as_str().context("no locker id")?.to_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let locker = self.get(&format!("/lockers/{locker_id}")).await?;
            if locker["current_session"]["status"] == json!("active") {
                break;
            }
            if Instant::now() > deadline {
                bail!("session {session_id} not active after 10 s: {locker}");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let qr = self.qr(json!({ "action": "check_out", "session_id": session_id })).await?;
        let t = Instant::now();
        self.post(&format!("/sessions/{session_id}/check-out"), json!({ "qr_token": qr })).await?;
        let check_out = t.elapsed();
        Ok(Cycle { total: start.elapsed(), check_in, check_out })
    }
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
        .post(format!("{}/auth/login", args.api))
        .json(&json!({ "email": args.email, "password": args.password }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["access_token"].as_str().with_context(|| format!("login refused: {login}"))?;
    let api = Api { http, base: args.api.clone(), token: token.to_owned() };

    let run_for = Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let api = api.clone();
        workers.push(tokio::spawn(async move {
            api.cycle().await.context("warm-up cycle")?;
            let mut cycles = Vec::new();
            let start = Instant::now();
            while start.elapsed() < run_for {
                cycles.push(api.cycle().await?);
            }
            anyhow::Ok((cycles, start.elapsed()))
        }));
    }
    let (mut total, mut check_in, mut check_out) = (Vec::new(), Vec::new(), Vec::new());
    let mut elapsed = Duration::ZERO;
    for worker in workers {
        let (cycles, took) = worker.await??;
        elapsed = elapsed.max(took);
        for c in cycles {
            total.push(c.total);
            check_in.push(c.check_in);
            check_out.push(c.check_out);
        }
    }
    for v in [&mut total, &mut check_in, &mut check_out] {
        v.sort();
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
        })
    );
    Ok(())
}
