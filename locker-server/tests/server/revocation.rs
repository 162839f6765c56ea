//! One revocation mechanism for every surface and every server process (issue 15 item 3,
//! issue 19 item 1): a login ended anywhere is refused everywhere. Each test serves the
//! `/api/v1` app merged with the seed surfaces (as `locker serve` mounts them) over real
//! HTTP, on a SQLite file and, when `LOCKER_TEST_POSTGRES_URL` is set, on PostgreSQL.
//! Two "processes" are two routers with their own `AppState`s and connection pools on one
//! database, sharing only the JWT key (as servers behind one load balancer would).

use crate::seeds_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use locker_core::token::Pepper;
use locker_core::token::jwt::{AccessTokens, JwtKeys};
use locker_core::token::otp::FileOutbox;
use locker_server::AppState;
use locker_server::seeds::{SeedParts, router};
use seeds_support::{TestDb, backends, client, serve};
use serde_json::{Value, json};

/// One server process: `/api/v1` and the seed surfaces over its own pools on `url`.
struct Process {
    base: String,
    http: reqwest::Client,
    outbox: FileOutbox,
    _dir: tempfile::TempDir,
}

impl Process {
    async fn start(url: &str, jwt: &JwtKeys) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let outbox_path = dir.path().join("outbox.jsonl");
        let store = locker_core::store::open(url).await.unwrap();
        let clock = Arc::new(locker_core::ports::SystemClock);
        let service = seeds_support::service_signing_with(store, clock, jwt).await;
        let state =
            AppState::new(service.clone(), AccessTokens::new(jwt.clone())).with_limits(crate::support::GENEROUS);
        let parts = SeedParts {
            service: service.clone(),
            jwt: jwt.clone(),
            otp_pepper: Pepper::new([7; 32]),
            pickup_pepper: Pepper::new([8; 32]),
            notifier: Arc::new(FileOutbox::new(outbox_path.clone())),
            credentials: state.credentials.clone(),
        };
        let app = locker_server::app(state).merge(router(parts).await.unwrap());
        Self { base: serve(app).await, http: client(), outbox: FileOutbox::new(outbox_path), _dir: dir }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        crate::support::call_json(&self.http, method, format!("{}{path}", self.base), token, body).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, Some(body)).await
    }

    /// Registers `email` on `/api/v1`.
    async fn register(&self, email: &str) {
        let body = json!({ "email": email, "password": "securePassword123", "full_name": "Test User" });
        let (status, body) = self.post("/api/v1/auth/register", None, body).await;
        assert_eq!(status, 201, "{body}");
    }

    /// Logs in on `/api/v1`: (access, refresh).
    async fn login(&self, email: &str) -> (String, String) {
        let body = json!({ "email": email, "password": "securePassword123" });
        let (status, body) = self.post("/api/v1/auth/login", None, body).await;
        assert_eq!(status, 200, "{body}");
        let d = &body["data"];
        (d["access_token"].as_str().unwrap().to_owned(), d["refresh_token"].as_str().unwrap().to_owned())
    }

    /// Whether each surface honours `token`: (`/api/v1`, seed 001, seed 002).
    async fn honoured(&self, token: &str) -> (bool, bool, bool) {
        let (v1, _) = self.send(reqwest::Method::GET, "/api/v1/users/me", Some(token), None).await;
        let (s1, _) = self.send(reqwest::Method::GET, "/api/auth/me/", Some(token), None).await;
        let (s2, _) = self.send(reqwest::Method::GET, "/api/barcodes", Some(token), None).await;
        for (surface, status) in [("v1", v1), ("seed001", s1), ("seed002", s2)] {
            assert!(status == 200 || status == 401, "{surface} answered {status}");
        }
        (v1 == 200, s1 == 200, s2 == 200)
    }
}

const EVERYWHERE: (bool, bool, bool) = (true, true, true);
const NOWHERE: (bool, bool, bool) = (false, false, false);

async fn one(db: &TestDb) -> (Process, JwtKeys) {
    let jwt = JwtKeys::generate_ed25519().unwrap();
    (Process::start(&db.url, &jwt).await, jwt)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_on_v1_ends_that_login_on_every_surface_and_only_that_login() {
    for db in backends().await {
        let (p, _) = one(&db).await;
        p.register("a@example.com").await;
        let (phone, phone_refresh) = p.login("a@example.com").await;
        let (laptop, _) = p.login("a@example.com").await;
        assert_eq!(p.honoured(&phone).await, EVERYWHERE, "{}", db.name);

        let (status, body) = p.post("/api/v1/auth/logout", Some(&phone), json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(p.honoured(&phone).await, NOWHERE, "{}: the logged-out token", db.name);
        // The seed surfaces answer in their own envelopes.
        let (_, s2) = p.send(reqwest::Method::GET, "/api/barcodes", Some(&phone), None).await;
        assert_eq!(s2["error"]["code"], "UNAUTHORIZED", "{s2}");
        let (_, v1) = p.send(reqwest::Method::GET, "/api/v1/users/me", Some(&phone), None).await;
        assert_eq!(v1["error"]["details"]["reason"], "revoked", "{v1}");
        // Its refresh token is dead too; the other login is untouched.
        let (status, _) = p.post("/api/v1/auth/refresh", None, json!({ "refresh_token": phone_refresh })).await;
        assert_eq!(status, 401);
        assert_eq!(p.honoured(&laptop).await, EVERYWHERE, "{}: another login of the same user", db.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_out_everywhere_ends_every_login_on_every_surface() {
    for db in backends().await {
        let (p, _) = one(&db).await;
        p.register("b@example.com").await;
        p.register("other@example.com").await;
        let (first, _) = p.login("b@example.com").await;
        let (second, second_refresh) = p.login("b@example.com").await;
        let (other, _) = p.login("other@example.com").await;

        let (status, body) = p.post("/api/v1/auth/logout", Some(&first), json!({ "everywhere": true })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(p.honoured(&first).await, NOWHERE, "{}", db.name);
        assert_eq!(p.honoured(&second).await, NOWHERE, "{}: the user's other login", db.name);
        let (status, _) = p.post("/api/v1/auth/refresh", None, json!({ "refresh_token": second_refresh })).await;
        assert_eq!(status, 401);
        assert_eq!(p.honoured(&other).await, EVERYWHERE, "{}: another user", db.name);
        // A new login works again at once (no whole-second cut-off).
        let (fresh, _) = p.login("b@example.com").await;
        assert_eq!(p.honoured(&fresh).await, EVERYWHERE, "{}", db.name);
        // A bad logout body gets the envelope, not a 500.
        let (status, body) = p.post("/api/v1/auth/logout", Some(&fresh), json!({ "everywhere": "yes" })).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_003_login_ends_the_users_v1_logins() {
    for db in backends().await {
        let (p, _) = one(&db).await;
        p.register("c@example.com").await;
        let (v1_token, _) = p.login("c@example.com").await;
        assert_eq!(p.honoured(&v1_token).await, EVERYWHERE);
        let (_, body) = p.post("/apis/auth/request-otp", None, json!({ "email": "c@example.com" })).await;
        assert_eq!(body["code"], 0, "{body}");
        let code = p.outbox.read_all().unwrap().into_iter().rev().find(|m| m.address == "c@example.com").unwrap().code;
        let (_, body) =
            p.post("/apis/auth/verify-otp", None, json!({ "email": "c@example.com", "otpCode": code })).await;
        assert_eq!(body["code"], 0, "{body}");
        let seed3_token = body["data"]["accessToken"].as_str().unwrap().to_owned();
        assert_eq!(p.honoured(&v1_token).await, NOWHERE, "{}: the older login", db.name);
        assert_eq!(p.honoured(&seed3_token).await, EVERYWHERE, "{}: the new login", db.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_users_tokens_are_refused_everywhere() {
    for db in backends().await {
        let (p, _) = one(&db).await;
        p.register("d@example.com").await;
        let (token, _) = p.login("d@example.com").await;
        assert_eq!(p.honoured(&token).await, EVERYWHERE);
        let mut user = db.store.get_user_by_email("d@example.com").await.unwrap();
        user.active = false;
        db.store.update_user(&user).await.unwrap();
        assert_eq!(p.honoured(&token).await, NOWHERE, "{}", db.name);
        let (_, v1) = p.send(reqwest::Method::GET, "/api/v1/users/me", Some(&token), None).await;
        assert_eq!(v1["error"]["details"]["reason"], "inactive", "{v1}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_ends_its_login_everywhere() {
    for db in backends().await {
        let (p, _) = one(&db).await;
        p.register("e@example.com").await;
        let (access, stolen) = p.login("e@example.com").await;
        let (untouched, _) = p.login("e@example.com").await;
        let (status, body) = p.post("/api/v1/auth/refresh", None, json!({ "refresh_token": stolen })).await;
        assert_eq!(status, 200, "{body}");
        let rotated_access = body["data"]["access_token"].as_str().unwrap().to_owned();
        assert_eq!(p.honoured(&rotated_access).await, EVERYWHERE);
        // The rotated token comes back: the whole family is revoked, access tokens included.
        let (status, body) = p.post("/api/v1/auth/refresh", None, json!({ "refresh_token": stolen })).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(p.honoured(&access).await, NOWHERE, "{}: the login's first access token", db.name);
        assert_eq!(p.honoured(&rotated_access).await, NOWHERE, "{}: the rotated access token", db.name);
        assert_eq!(p.honoured(&untouched).await, EVERYWHERE, "{}: another login", db.name);
    }
}

/// Polls `check` until it is true or `within` has passed; returns how long it took.
async fn within<F, Fut>(within: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return Some(start.elapsed());
        }
        if start.elapsed() > within {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_one_process_is_refused_by_another_within_a_second() {
    for db in backends().await {
        let jwt = JwtKeys::generate_ed25519().unwrap();
        let (a, b) = (Process::start(&db.url, &jwt).await, Process::start(&db.url, &jwt).await);
        a.register("f@example.com").await;
        let (token, _) = a.login("f@example.com").await;
        let (kept, _) = b.login("f@example.com").await;
        assert_eq!(b.honoured(&token).await, EVERYWHERE, "{}: process B honours A's login", db.name);
        let (status, _) = a.post("/api/v1/auth/logout", Some(&token), json!({})).await;
        assert_eq!(status, 200);
        let took = within(Duration::from_secs(1), || async { b.honoured(&token).await == NOWHERE }).await;
        assert!(took.is_some(), "{}: process B still honours a token logged out on A after 1 s", db.name);
        // And the other way round, for every login of the user.
        let (status, _) = b.post("/api/v1/auth/logout", Some(&kept), json!({ "everywhere": true })).await;
        assert_eq!(status, 200);
        let took = within(Duration::from_secs(1), || async { a.honoured(&kept).await == NOWHERE }).await;
        assert!(took.is_some(), "{}: process A still honours a token logged out on B after 1 s", db.name);
    }
}

/// Issue 14: a process keeps the tokens it verified in a cache; the login's standing is
/// still read from the database on every request, so the very next request after a logout
/// on another process is refused, cached or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_another_process_has_cached_is_refused_at_its_next_request_after_logout() {
    for db in backends().await {
        let jwt = JwtKeys::generate_ed25519().unwrap();
        let (a, b) = (Process::start(&db.url, &jwt).await, Process::start(&db.url, &jwt).await);
        a.register("g@example.com").await;
        let (token, _) = a.login("g@example.com").await;
        for _ in 0..3 {
            assert_eq!(b.honoured(&token).await, EVERYWHERE, "{}: process B honours A's login", db.name);
        }
        let (status, _) = a.post("/api/v1/auth/logout", Some(&token), json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(b.honoured(&token).await, NOWHERE, "{}: B's next request after the logout", db.name);
    }
}
