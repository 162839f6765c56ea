//! Harness for the scale-out tests (issue 19): a [`Site`] of several server processes on one
//! PostgreSQL database, each as `locker serve` runs on PostgreSQL — its own connection
//! pools, locker service, timers, shared event relay and timer elections, and the real
//! router on its own port — sharing only the database and the access-token key (as
//! processes behind one load balancer do). Real HTTP with `reqwest`, real WebSockets with
//! `tokio-tungstenite`.
//!
//! Declared once in `tests/server/main.rs`; a module uses it as `crate::scale_out_support`.
//! [`Site::start`] returns `None` (saying so) when `LOCKER_TEST_POSTGRES_URL` is unset.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use locker_core::service::{LockerService, ServiceConfig, ServiceKeys, TimerTask};
use locker_core::store::postgres::{PgEventLog, PgLeadership};
use locker_core::token::jwt::{AccessTokens, JwtKeys};
use locker_server::AppState;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// How often a follower tries to take over a timer task in these tests (`locker serve`: 3 s).
pub const LEADER_RETRY: Duration = Duration::from_millis(200);

/// One server process.
pub struct Process {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The listening address.
    pub addr: SocketAddr,
    /// Its state (service, credentials).
    pub state: AppState,
    /// An HTTP client.
    pub http: reqwest::Client,
    tasks: Vec<JoinHandle<()>>,
}

impl Process {
    /// Starts a process on the database at `url` with the access-token key `jwt`.
    pub async fn start(url: &str, jwt: &JwtKeys, config: ServiceConfig) -> Process {
        let database = locker_core::store::open(url).await.expect("open the database");
        let keys = ServiceKeys { jwt: jwt.clone(), ..ServiceKeys::generate().unwrap() };
        let service = LockerService::builder_on(database).config(config).keys(keys).open().await.unwrap().service;
        // As `locker serve`: events shared and elections on before the timers first run.
        let log = PgEventLog::connect(url).await.expect("the event log");
        let mut tasks = vec![tokio::spawn(service.share_events(Arc::new(log)).await.expect("share events"))];
        tasks.push(tokio::spawn(service.lead_timers(Arc::new(PgLeadership::new(url)), LEADER_RETRY)));
        tasks.push(tokio::spawn(service.clone().run_timers()));
        let state = AppState::new(service, AccessTokens::new(jwt.clone())).with_limits(crate::support::GENEROUS);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = locker_server::app(state.clone());
        tasks.push(tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        }));
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Process { base: format!("http://{addr}"), addr, state, http, tasks }
    }

    /// The process's locker service.
    pub fn service(&self) -> &Arc<LockerService> {
        &self.state.service
    }

    /// Kills the process: its listener, timers, event relay and elections stop, and the
    /// connections holding its leaderships close.
    pub fn kill(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }

    /// Whether it still runs.
    pub fn alive(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// `method path` with an optional bearer token and JSON body: status and JSON body.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        crate::support::call_json(&self.http, method.parse().unwrap(), format!("{}{path}", self.base), token, body)
            .await
    }

    /// Logs `email` in with `password`: the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) =
            self.call("POST", "/api/v1/auth/login", None, Some(json!({ "email": email, "password": password }))).await;
        assert_eq!(status, 200, "login {email}: {body}");
        body["data"]["access_token"].as_str().unwrap().to_owned()
    }

    /// A WebSocket on `/ws`, authenticated with `token`.
    pub async fn ws(&self, token: &str) -> Ws {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", self.addr)).await.unwrap();
        ws.send(Message::Text(token.to_owned().into())).await.unwrap();
        let hello = next_event(&mut ws, Duration::from_secs(5)).await.expect("authenticated in time");
        assert_eq!(hello["event"], "authenticated", "{hello}");
        ws
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client WebSocket.
pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON text message within `wait`, `None` if none came.
pub async fn next_event(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) | Ok(None) => return None,
            Ok(Some(msg)) => {
                if let Message::Text(text) = msg.expect("a WebSocket message") {
                    return Some(serde_json::from_str(text.as_str()).expect("JSON events"));
                }
            }
        }
    }
}

/// Several processes on one fresh PostgreSQL database.
pub struct Site {
    /// The processes, in start order.
    pub processes: Vec<Process>,
    /// The database URL.
    pub url: String,
    /// The shared access-token key.
    pub jwt: JwtKeys,
    _db: locker_core::testing::TestDb,
}

impl Site {
    /// `n` processes with `config`, or `None` (with a note) without PostgreSQL.
    pub async fn start(n: usize, config: ServiceConfig) -> Option<Site> {
        let Some(db) = locker_core::testing::postgres().await else {
            eprintln!("SKIPPED: the scale-out tests need PostgreSQL (set LOCKER_TEST_POSTGRES_URL)");
            return None;
        };
        // Migrated once first, so the processes do not race to create the tables.
        drop(locker_core::store::open(&db.url).await.expect("migrate"));
        let jwt = JwtKeys::generate_ed25519().unwrap();
        let mut processes = Vec::with_capacity(n);
        for _ in 0..n {
            processes.push(Process::start(&db.url, &jwt, config.clone()).await);
        }
        Some(Site { processes, url: db.url.clone(), jwt, _db: db })
    }

    /// An admin account (made in the database) and its access token from process 0.
    pub async fn admin(&self) -> String {
        let first = &self.processes[0];
        let email = crate::support::new_admin(&first.state).await;
        first.login(&email, crate::support::ADMIN_PASSWORD).await
    }

    /// The living processes leading `task`, by index.
    pub fn leaders(&self, task: TimerTask) -> Vec<usize> {
        (0..self.processes.len())
            .filter(|&i| self.processes[i].alive() && self.processes[i].service().leads(task))
            .collect()
    }

    /// Waits up to `within` for exactly one living leader of `task`; its index.
    pub async fn one_leader(&self, task: TimerTask, within: Duration) -> Option<usize> {
        let deadline = Instant::now() + within;
        loop {
            if let [one] = self.leaders(task)[..] {
                return Some(one);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
