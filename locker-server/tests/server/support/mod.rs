//! Test harness shared by the server's integration tests (and the lead's flow tests):
//! [`start`] serves the real router on `127.0.0.1:0` over a fresh SQLite file, or a fresh
//! PostgreSQL database when `LOCKER_TEST_POSTGRES_URL` is set ([`backends`] gives both), and
//! returns the base URL, the [`AppState`] and a `reqwest` client.
//!
//! Declared once in `tests/server/main.rs`; a test module uses it with `use crate::support;`.
//! Every server runs a locker service opened with `LockerService::builder_on` (as `locker
//! serve` opens it); attach the in-process simulator with `server.state.service`.
//! Hooks: [`Options::service`] configures the service, [`Options::customize`] changes the
//! state before serving.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use locker_core::domain::{NewController, NewUser, Role};
use locker_core::face::{FaceConfig, FaceEngine};
use locker_core::service::{LockerService, ServiceConfig, ServiceKeys};
use locker_core::token::jwt::AccessTokens;
use locker_server::{AppState, LimitConfig};
use serde_json::{Value, json};

/// Which database a test server runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in a temp dir.
    Sqlite,
    /// A fresh database on the PostgreSQL server at this admin URL.
    Postgres(String),
}

/// SQLite always; PostgreSQL too when `LOCKER_TEST_POSTGRES_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("LOCKER_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            out.push(Backend::Postgres(url));
        }
    }
    out
}

/// Limits high enough that tests are never throttled unless they mean to be.
pub const GENEROUS: LimitConfig = LimitConfig {
    auth_per_minute: 100_000,
    general_per_minute: 100_000,
    hardware_per_second: 100_000,
    login_failures_per_15_min: 100_000,
    face_per_minute: 100_000,
    face_per_session_per_15_min: 100_000,
    pickup_tries_per_hour: 100_000,
};

/// How to start a server.
pub struct Options {
    /// The database.
    pub backend: Backend,
    /// Rate limits ([`GENEROUS`] by default).
    pub limits: LimitConfig,
    /// Load the face models into the service (skipped, with no engine, when absent unless
    /// `LOCKER_REQUIRE_MODELS=1`).
    pub face: bool,
    /// The service's configuration (kiosk `Pi_01`, the default door timings).
    pub service: ServiceConfig,
    /// Last changes to the state before serving.
    pub customize: Option<Box<dyn FnOnce(AppState) -> AppState + Send>>,
    /// Serve the seed 001-003 surfaces too, as `locker serve` does (false by default).
    pub seeds: bool,
}

impl Options {
    /// Defaults on `backend`.
    pub fn new(backend: Backend) -> Self {
        let service = ServiceConfig { kiosk: "Pi_01".into(), ..ServiceConfig::default() };
        Self { backend, limits: GENEROUS, face: false, service, customize: None, seeds: false }
    }
}

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The listening address.
    pub addr: SocketAddr,
    /// The state the router serves (same service, keys and limits).
    pub state: AppState,
    /// A client with no default headers.
    pub client: reqwest::Client,
    /// The database URL.
    pub db_url: String,
    task: tokio::task::JoinHandle<()>,
    _db: locker_core::testing::TestDb,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `<workspace>/..`, where `shared/` lives.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// The face engine on the real models, or `None` with a message (panics when absent and
/// `LOCKER_REQUIRE_MODELS=1`).
pub fn face_engine() -> Option<FaceEngine> {
    let dir = std::env::var_os("LOCKER_MODELS_DIR").map_or_else(|| shared_dir().join("models"), PathBuf::from);
    match FaceEngine::load(FaceConfig::with_models_dir(dir)) {
        Ok(e) => Some(e),
        Err(e) if std::env::var("LOCKER_REQUIRE_MODELS").is_ok_and(|v| v == "1") => {
            panic!("LOCKER_REQUIRE_MODELS=1 but the face models do not load: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED face parts: models not available ({e})");
            None
        }
    }
}

/// A photo from `shared/faces` (`LOCKER_FACES_DIR` overrides), e.g. `photo("Al_Sharpton/1.jpg")`.
pub fn photo(rel: &str) -> Vec<u8> {
    let dir = std::env::var_os("LOCKER_FACES_DIR").map_or_else(|| shared_dir().join("faces"), PathBuf::from);
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("reading photo {rel}: {e}"))
}

/// A fresh database for `backend` (see `locker_core::testing`), dropped with the server.
async fn database(backend: &Backend) -> locker_core::testing::TestDb {
    match backend {
        Backend::Sqlite => locker_core::testing::sqlite(),
        Backend::Postgres(_) => locker_core::testing::postgres().await.expect("LOCKER_TEST_POSTGRES_URL is set"),
    }
}

/// A state over the database at `url` with fresh keys, its service started (timers
/// running, no controller attached): with the face engine when `face` and the models load.
pub async fn state_for(url: &str, face: bool, config: ServiceConfig) -> AppState {
    state_and_keys(url, face, config).await.0
}

/// The keys the seed surfaces share with the service.
pub struct SeedKeys {
    jwt: locker_core::token::jwt::JwtKeys,
    otp_pepper: locker_core::token::Pepper,
    pickup_pepper: locker_core::token::Pepper,
}

/// [`state_for`], with the keys the seed surfaces need.
pub async fn state_and_keys(url: &str, face: bool, config: ServiceConfig) -> (AppState, SeedKeys) {
    let database = locker_core::store::open(url).await.expect("open the database");
    let keys = ServiceKeys::generate().unwrap();
    let access = AccessTokens::new(keys.jwt.clone());
    let seed_keys = SeedKeys {
        jwt: keys.jwt.clone(),
        otp_pepper: keys.otp_pepper.clone(),
        pickup_pepper: keys.pickup_pepper.clone(),
    };
    let mut builder = LockerService::builder_on(database).config(config).keys(keys);
    if face {
        if let Some(engine) = face_engine() {
            builder = builder.faces(engine);
        }
    }
    let service = builder.open().await.expect("open the service").service;
    tokio::spawn(service.clone().run_timers());
    (AppState::new(service, access), seed_keys)
}

/// Starts a server with `opts`.
pub async fn start_with(opts: Options) -> TestServer {
    let db = database(&opts.backend).await;
    let db_url = db.url.clone();
    let (state, keys) = state_and_keys(&db_url, opts.face, opts.service).await;
    let mut state = state.with_limits(opts.limits);
    if let Some(f) = opts.customize {
        state = f(state);
    }
    let seeds = match opts.seeds {
        true => Some(seed_surfaces(&state, keys).await),
        false => None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut app = locker_server::app(state.clone());
    if let Some(seeds) = seeds {
        app = app.merge(seeds);
    }
    let task = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    TestServer { base: format!("http://{addr}"), addr, state, client: reqwest::Client::new(), db_url, task, _db: db }
}

/// The seed 001-003 surfaces over `state`'s service, sharing its access-token key (the
/// seed-003 codes go to an outbox file in the temp dir).
async fn seed_surfaces(state: &AppState, keys: SeedKeys) -> axum::Router {
    let outbox = std::env::temp_dir().join(format!("locker-outbox-{}.jsonl", uuid::Uuid::new_v4().simple()));
    let parts = locker_server::seeds::SeedParts {
        service: state.service.clone(),
        jwt: keys.jwt,
        otp_pepper: keys.otp_pepper,
        pickup_pepper: keys.pickup_pepper,
        notifier: Arc::new(locker_core::token::otp::FileOutbox::new(outbox)),
        credentials: state.credentials.clone(),
    };
    locker_server::seeds::router(parts).await.expect("the seed surfaces")
}

/// Starts a server on `backend` with the defaults.
pub async fn start(backend: Backend) -> TestServer {
    start_with(Options::new(backend)).await
}

/// An HTTP answer: status, headers and the JSON body (`Null` if not JSON).
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as JSON.
    pub body: Value,
}

impl Answer {
    /// `error.code` of an error envelope.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// Reads a response into an [`Answer`].
pub async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap();
    Answer { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Login {
    /// User id.
    pub id: String,
    /// Access token.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
}

impl TestServer {
    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `method path` with an optional bearer token and JSON body.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = self.client.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.unwrap()).await
    }

    /// `GET` with a token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call("GET", path, token, None).await
    }

    /// `POST` JSON with a token.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call("POST", path, token, Some(body)).await
    }

    /// Registers and logs in a customer.
    pub async fn customer(&self, email: &str) -> Login {
        let a = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": email, "password": "securePassword123", "full_name": "Nguyễn Văn A" }),
            )
            .await;
        assert_eq!(a.status, 201, "register {email}: {:?}", a.body);
        self.login(email, "securePassword123").await
    }

    /// Logs in.
    pub async fn login(&self, email: &str, password: &str) -> Login {
        let a = self.post("/api/v1/auth/login", None, json!({ "email": email, "password": password })).await;
        assert_eq!(a.status, 200, "login {email}: {:?}", a.body);
        Login {
            id: a.body["data"]["user"]["id"].as_str().unwrap().to_owned(),
            access: a.body["data"]["access_token"].as_str().unwrap().to_owned(),
            refresh: a.body["data"]["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates an admin directly in the store and logs in.
    pub async fn admin(&self) -> Login {
        let email = new_admin(&self.state).await;
        self.login(&email, ADMIN_PASSWORD).await
    }

    /// Registers a controller and returns its name and API key.
    pub async fn controller(&self, name: &str) -> (String, String) {
        let c = self
            .state
            .store()
            .create_controller(
                NewController { name: name.into(), station: "S1".into(), api_key_hash: None },
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let key = locker_core::token::apikey::rotate(self.state.tokens().as_ref(), c.id).await.unwrap();
        (c.id.to_string(), key)
    }

    /// Creates `n` lockers `A01..` through the API as `admin`; returns their ids.
    pub async fn lockers(&self, admin: &str, n: usize, esp32_id: Option<&str>) -> Vec<String> {
        let mut ids = Vec::new();
        for i in 1..=n {
            let a = self
                .post(
                    "/api/v1/lockers",
                    Some(admin),
                    json!({ "locker_code": format!("A{i:02}"), "location": "Tầng 1 - Khu A", "size": "medium",
                            "esp32_id": esp32_id, "relay_pin": i, "sensor_pin": i }),
                )
                .await;
            assert_eq!(a.status, 201, "{:?}", a.body);
            ids.push(a.body["data"]["id"].as_str().unwrap().to_owned());
        }
        ids
    }
}

/// Keeps `Arc` in scope for users of the harness.
pub type Shared<T> = Arc<T>;

/// The password of the admins [`new_admin`] makes.
pub const ADMIN_PASSWORD: &str = "adminPassword123";

/// Makes an admin (a fresh e-mail, [`ADMIN_PASSWORD`]) directly in `state`'s store; its e-mail.
pub async fn new_admin(state: &AppState) -> String {
    let email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
    create_admin(state, &email, ADMIN_PASSWORD).await;
    email
}

/// Makes an admin with `email` and `password` directly in `state`'s store.
pub async fn create_admin(state: &AppState, email: &str, password: &str) {
    let hash = state.credentials.passwords.hash(password.into()).await.unwrap();
    let new = NewUser {
        email: Some(email.to_owned()),
        phone: None,
        username: None,
        full_name: "Admin".into(),
        role: Role::Admin,
        password_hash: hash,
    };
    state.store().create_user(new, chrono::Utc::now()).await.unwrap();
}

/// `method url` with an optional bearer token and JSON body: the status and the JSON body
/// (`null` when there is none).
pub async fn call_json(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = http.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}
