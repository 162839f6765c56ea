//! Seed 003 (e-mail OTP login, `/apis/auth/request-otp` and `/apis/auth/verify-otp`) over a
//! real TCP socket with a real HTTP client, on a SQLite file and, when
//! `LOCKER_TEST_POSTGRES_URL` is set, a fresh PostgreSQL database: the seed's request
//! examples, the documented response fields, every documented error code, old sessions
//! revoked by a new login (seen on the seed-002 surface), and the OTP e-mail received by a
//! real SMTP server (aiosmtpd) in the requested language.

use crate::seeds_support;
use crate::smtp_support;

use std::sync::Arc;

use locker_core::ports::Clock as _;
use locker_core::ports::Notifier;
use locker_core::token::Pepper;
use locker_core::token::jwt::{AccessTokens, JwtKeys};
use locker_core::token::otp::smtp::{SmtpConfig, SmtpNotifier, SmtpSecurity};
use locker_core::token::otp::{FileOutbox, Otp, OtpLanguage, OtpPolicy};
use locker_core::token::refresh::{RefreshState, hash_token};
use locker_server::seeds::barcodes::{self, BarcodeState};
use locker_server::seeds::otp_login::{self, OtpLoginState};
use seeds_support::{ManualClock, TestDb, backends, client, json_of, keys, serve, service_on, time};
use serde_json::{Value, json};

struct Fixture {
    base: String,
    http: reqwest::Client,
    clock: Arc<ManualClock>,
    outbox: FileOutbox,
    keys: JwtKeys,
    db: TestDb,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(db: TestDb) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let outbox = FileOutbox::new(dir.path().join("outbox.jsonl"));
        Self::with_notifier(db, Arc::new(outbox.clone()), outbox, dir).await
    }

    async fn with_notifier(
        db: TestDb,
        notifier: Arc<dyn Notifier>,
        outbox: FileOutbox,
        dir: tempfile::TempDir,
    ) -> Self {
        let clock = ManualClock::new();
        let (service, keys) = service_on(&db.store, clock.clone()).await;
        let otp = Otp::new(Pepper::generate().unwrap(), OtpPolicy::default());
        let generous = Arc::new(locker_server::state::Limits::new(crate::support::GENEROUS));
        let login = OtpLoginState::new(&service, keys.clone(), otp, notifier).with_limits(generous);
        // The seed-002 surface on the same core, to see which tokens still work.
        let scans = BarcodeState::new(&service, Arc::new(AccessTokens::new(keys.clone())));
        let base = serve(otp_login::router(login).merge(barcodes::router(scans))).await;
        Fixture { base, http: client(), clock, outbox, keys, db, _dir: dir }
    }

    async fn call(&self, path: &str, body: &Value) -> Value {
        let res = self.http.post(format!("{}/apis/auth/{path}", self.base)).json(body).send().await.unwrap();
        let (status, body) = json_of(res).await;
        assert_eq!(status, 200, "seed 003 answers every outcome with HTTP 200: {body}");
        assert_eq!(keys(&body), ["code", "data", "message"], "{body}");
        assert!(body["code"].is_i64() && body["message"].is_string() && body["data"].is_object(), "{body}");
        // Every answer, success or error, is one the OpenAPI document describes.
        let doc = crate::schema_check::document();
        crate::schema_check::assert_answer(doc, "POST", &format!("/apis/auth/{path}"), 200, &body);
        body
    }

    async fn request(&self, email: &str, lang: Option<&str>) -> Value {
        let mut body = json!({ "email": email });
        if let Some(lang) = lang {
            body["lang"] = json!(lang);
        }
        self.call("request-otp", &body).await
    }

    async fn verify(&self, email: &str, code: &str) -> Value {
        self.call("verify-otp", &json!({ "email": email, "otpCode": code })).await
    }

    /// The newest code the outbox holds for `email`, and its language.
    fn last_code(&self, email: &str) -> (String, OtpLanguage) {
        let all = self.outbox.read_all().unwrap();
        let m = all.iter().rev().find(|m| m.address == email).unwrap_or_else(|| panic!("no code sent to {email}"));
        (m.code.clone(), m.lang)
    }

    async fn status_with(&self, access_token: &str) -> u16 {
        let res = self.http.get(format!("{}/api/barcodes", self.base)).bearer_auth(access_token).send().await.unwrap();
        res.status().as_u16()
    }
}

/// Checks an error answer: the code, the message and `data: {}`.
fn assert_err(body: &Value, code: i64) {
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["data"], json!({}), "{body}");
    assert!(!body["message"].as_str().unwrap().is_empty());
}

/// A code that is not `code` (same length).
fn wrong(code: &str) -> String {
    let first = (code.as_bytes()[0] - b'0' + 1) % 10;
    format!("{first}{}", &code[1..])
}

#[tokio::test]
async fn request_and_verify_in_the_seed_shape() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let name = f.db.name;

        // The seed's request example.
        let body = f.call("request-otp", &json!({ "email": "user@example.com", "lang": "vi" })).await;
        assert_eq!(body["code"], 0, "{name}: {body}");
        assert_eq!(body["message"], "OTP sent successfully");
        assert_eq!(keys(&body["data"]), ["email", "expireInSeconds"]);
        assert_eq!(body["data"]["email"], "user@example.com");
        assert_eq!(body["data"]["expireInSeconds"], 300);
        let (code, lang) = f.last_code("user@example.com");
        assert_eq!((code.len(), lang), (6, OtpLanguage::Vi));
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        // The account was created by the first request.
        let user = f.db.store.get_user_by_email("user@example.com").await.expect("account created");

        // The seed's verify example, with the code that was sent.
        f.clock.advance(30);
        let body = f.call("verify-otp", &json!({ "email": "user@example.com", "otpCode": code })).await;
        assert_eq!(body["code"], 0, "{name}: {body}");
        assert_eq!(body["message"], "Login successful");
        let d = &body["data"];
        assert_eq!(
            keys(d),
            ["accessToken", "avatarUrl", "email", "expiresAt", "fullName", "refreshToken", "userId"],
            "{d}"
        );
        assert!(d["userId"].as_i64().is_some_and(|n| n >= 1), "{d}");
        // The number leads back to the account (seed 001 looks users up by integer id).
        assert_eq!(f.db.store.user_by_number(d["userId"].as_i64().unwrap()).await.unwrap(), Some(user.id));
        assert_eq!(f.db.store.user_by_number(999_999).await.unwrap(), None);
        let stranger = uuid::Uuid::now_v7();
        assert!(matches!(f.db.store.revoke_user(stranger).await, Err(locker_core::Error::NotFound { .. })));
        assert!(matches!(f.db.store.user_number(stranger).await, Err(locker_core::Error::NotFound { .. })));
        assert_eq!(d["email"], "user@example.com");
        assert!(d["fullName"].is_string());
        assert!(d["avatarUrl"].is_null(), "nullable, and new accounts have none");
        // The access token is a JWT of this user, valid 24 hours.
        let claims =
            AccessTokens::new(f.keys.clone()).verify(d["accessToken"].as_str().unwrap(), f.clock.now()).unwrap();
        assert_eq!(claims.sub, user.id.to_string());
        assert_eq!(claims.exp - claims.iat, 24 * 3600);
        assert_eq!(time(&d["expiresAt"]), f.clock.now() + chrono::TimeDelta::hours(24));
        assert!(d["expiresAt"].as_str().unwrap().ends_with('Z'));
        // The refresh token is stored hashed and lives 30 days.
        let refresh = f.db.store.find_refresh(&hash_token(d["refreshToken"].as_str().unwrap())).await.unwrap().unwrap();
        assert_eq!((refresh.user_id, refresh.state), (user.id, RefreshState::Active));
        assert_eq!(refresh.expires_at - refresh.issued_at, chrono::TimeDelta::days(30));
        // The token works on the other surface of the same core.
        assert_eq!(f.status_with(d["accessToken"].as_str().unwrap()).await, 200);
    }
}

#[tokio::test]
async fn a_new_login_revokes_the_old_tokens_and_keeps_the_user_id() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let email = "again@example.com";
        assert_eq!(f.request(email, Some("en")).await["code"], 0);
        let first = f.verify(email, &f.last_code(email).0).await;
        assert_eq!(first["code"], 0, "{first}");

        f.clock.advance(61);
        assert_eq!(f.request(email, Some("lo")).await["code"], 0);
        assert_eq!(f.last_code(email).1, OtpLanguage::Lo);
        let second = f.verify(email, &f.last_code(email).0).await;
        assert_eq!(second["code"], 0, "{second}");
        assert_eq!(second["data"]["userId"], first["data"]["userId"], "{}", f.db.name);
        assert_ne!(second["data"]["accessToken"], first["data"]["accessToken"]);

        let old = f.db.store.find_refresh(&hash_token(first["data"]["refreshToken"].as_str().unwrap())).await.unwrap();
        assert_eq!(old.unwrap().state, RefreshState::Revoked, "{}", f.db.name);
        let new = f.db.store.find_refresh(&hash_token(second["data"]["refreshToken"].as_str().unwrap())).await.unwrap();
        assert_eq!(new.unwrap().state, RefreshState::Active);
        assert_eq!(
            f.status_with(first["data"]["accessToken"].as_str().unwrap()).await,
            401,
            "old access token revoked"
        );
        assert_eq!(f.status_with(second["data"]["accessToken"].as_str().unwrap()).await, 200);

        // Another account gets another number.
        assert_eq!(f.request("other@example.com", None).await["code"], 0);
        assert_eq!(f.last_code("other@example.com").1, OtpLanguage::Vi, "lang defaults to vi");
        let other = f.verify("other@example.com", &f.last_code("other@example.com").0).await;
        assert_ne!(other["data"]["userId"], first["data"]["userId"]);
        // The first user's current token is not affected by someone else's login.
        assert_eq!(f.status_with(second["data"]["accessToken"].as_str().unwrap()).await, 200);
    }
}

#[tokio::test]
async fn every_documented_error_code() {
    for db in backends().await {
        let f = Fixture::new(db).await;
        let name = f.db.name;

        // -801 RequiredFieldMissing, -304 InvalidEmail, -1 Error (bad lang, bad body).
        assert_err(&f.call("request-otp", &json!({ "lang": "vi" })).await, -801);
        let body = f.call("request-otp", &json!({ "email": "" })).await;
        assert_err(&body, -801);
        assert_eq!(body["message"], "Email is required");
        assert_err(&f.call("verify-otp", &json!({ "otpCode": "123456" })).await, -801);
        for bad in [json!("not-an-email"), json!("a@b"), json!("two words@example.com"), json!(12)] {
            assert_err(&f.call("request-otp", &json!({ "email": bad })).await, -304);
            assert_err(&f.call("verify-otp", &json!({ "email": bad, "otpCode": "123456" })).await, -304);
        }
        assert_err(&f.call("request-otp", &json!({ "email": "x@example.com", "lang": "fr" })).await, -1);
        assert_err(&f.call("request-otp", &json!({ "email": "x@example.com", "lang": 1 })).await, -1);
        assert_err(&f.call("request-otp", &json!(["x@example.com"])).await, -1);
        for (body, ct) in [("{not json", "application/json"), (r#"{"email":"x@example.com"}"#, "text/plain")] {
            let res = f
                .http
                .post(format!("{}/apis/auth/request-otp", f.base))
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            let (status, body) = json_of(res).await;
            assert_eq!(status, 200);
            assert_err(&body, -1);
        }
        let res = f.http.get(format!("{}/apis/auth/request-otp", f.base)).send().await.unwrap();
        assert_err(&json_of(res).await.1, -1);
        assert!(f.outbox.read_all().unwrap().is_empty(), "{name}: nothing was sent for bad requests");

        // -300 UserNotFound: no account has asked for a code.
        assert_err(&f.verify("nobody@example.com", "123456").await, -300);

        // -206 OtpTooManyRequests: a second send within 60 s.
        let email = "codes@example.com";
        assert_eq!(f.request(email, Some("en")).await["code"], 0);
        assert_err(&f.request(email, Some("en")).await, -206);
        let code = f.last_code(email).0;

        // -200 OtpRequired, -201 OtpInvalid (format or wrong code).
        assert_err(&f.call("verify-otp", &json!({ "email": email })).await, -200);
        assert_err(&f.call("verify-otp", &json!({ "email": email, "otpCode": "" })).await, -200);
        assert_err(&f.verify(email, "12ab56").await, -201);
        assert_err(&f.call("verify-otp", &json!({ "email": email, "otpCode": 123456 })).await, -201);
        let body = f.verify(email, &wrong(&code)).await;
        assert_err(&body, -201);
        assert_eq!(body["message"], "Invalid OTP");

        // The right code still works (one wrong try used), then -203 OtpAlreadyUsed.
        assert_eq!(f.verify(email, &code).await["code"], 0);
        let body = f.verify(email, &code).await;
        assert_err(&body, -203);
        assert_eq!(body["message"], "OTP has already been used");

        // -202 OtpExpired after 5 minutes.
        f.clock.advance(61);
        assert_eq!(f.request(email, None).await["code"], 0);
        let code = f.last_code(email).0;
        f.clock.advance(300);
        let body = f.verify(email, &code).await;
        assert_err(&body, -202);
        assert_eq!(body["message"], "OTP has expired");

        // -204 OtpMaxAttemptsExceeded: five wrong tries spend the code.
        let email = "guess@example.com";
        assert_eq!(f.request(email, None).await["code"], 0);
        let code = f.last_code(email).0;
        for _ in 0..5 {
            assert_err(&f.verify(email, &wrong(&code)).await, -201);
        }
        assert_err(&f.verify(email, &code).await, -204);

        // A new request voids the older code.
        f.clock.advance(61);
        assert_eq!(f.request(email, None).await["code"], 0);
        let newer = f.last_code(email).0;
        if newer != code {
            assert_err(&f.verify(email, &code).await, -201);
        }
        assert_eq!(f.verify(email, &newer).await["code"], 0, "{name}");

        // -206 again: at most 3 sends a day.
        let email = "daily@example.com";
        for _ in 0..3 {
            assert_eq!(f.request(email, None).await["code"], 0);
            f.clock.advance(61);
        }
        assert_err(&f.request(email, None).await, -206);
    }
}

#[tokio::test]
async fn send_and_system_failures_are_reported_not_500() {
    for db in backends().await {
        // -205 OtpSendFailed: the SMTP server refuses connections.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let smtp = SmtpNotifier::new(&SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            credentials: None,
            from: "Locker <no-reply@locker.test>".into(),
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let outbox = FileOutbox::new(dir.path().join("unused.jsonl"));
        let url = db.url.clone();
        let name = db.name;
        let f = Fixture::with_notifier(db, Arc::new(smtp), outbox, dir).await;
        let body = f.request("down@example.com", Some("en")).await;
        assert_err(&body, -205);
        assert_eq!(body["message"], "Failed to send OTP");

        // -6 SystemError: the OTP table is gone; the cause is logged, not returned.
        drop_otp_table(&url).await;
        f.clock.advance(61);
        let body = f.request("down@example.com", None).await;
        assert_err(&body, -6);
        assert!(!body["message"].as_str().unwrap().contains("otp_codes"), "{name}: {body}");
    }
}

async fn drop_otp_table(url: &str) {
    use sqlx::Connection as _;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql("DROP TABLE otp_codes").execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql("DROP TABLE otp_codes").execute(&mut c).await.unwrap();
    }
}

#[tokio::test]
async fn otp_email_reaches_a_real_smtp_server_in_the_requested_language() {
    let Some(sink) = smtp_support::Sink::start_or_skip() else { return };
    let smtp = SmtpNotifier::new(&SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: SmtpSecurity::None,
        credentials: None,
        from: "Locker <no-reply@locker.test>".into(),
    })
    .unwrap();
    let db = backends().await.into_iter().next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outbox = FileOutbox::new(dir.path().join("unused.jsonl"));
    let f = Fixture::with_notifier(db, Arc::new(smtp), outbox, dir).await;

    for (lang, email, subject, phrase) in [
        ("vi", "vi@example.com", "Mã xác thực đăng nhập", "Mã xác thực của bạn là"),
        ("en", "en@example.com", "Your locker code", "Your locker code is"),
        ("lo", "lo@example.com", "ລະຫັດຢືນຢັນການເຂົ້າສູ່ລະບົບ", "ລະຫັດຢືນຢັນຂອງທ່ານແມ່ນ"),
    ] {
        let body = f.request(email, Some(lang)).await;
        assert_eq!(body["code"], 0, "{body}");
        let mail = sink.next();
        assert_eq!(mail["rcpt_tos"], json!([email]), "{mail}");
        assert_eq!(mail["mail_from"], "no-reply@locker.test");
        assert_eq!(mail["subject"], subject, "{mail}");
        let text = mail["body"].as_str().unwrap();
        assert!(text.contains(phrase), "{lang}: {text}");
        // The code in the e-mail logs in.
        let code: String = text
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap_or_else(|| panic!("no 6-digit code in {text}"))
            .to_owned();
        assert_eq!(f.verify(email, &code).await["code"], 0, "{lang}");
    }
}
