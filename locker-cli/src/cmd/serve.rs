//! `locker serve`: the reference server with everything behind it in one command — the
//! database (migrated at start), the key folder (created on first start), the face models
//! (when present), the lock controller (the simulator by default, or a serial port) and the
//! locker service with its timers.
//!
//! `--demo` seeds an admin account (its password printed once), the controller `SIM_001`
//! and 24 lockers in three sizes wired to it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::builder::TypedValueParser as _;
use locker_core::controller::sim::{Person, SimConfig};
use locker_core::domain::{NewUser, Role};
use locker_core::ports::Store;
use locker_core::service::{LockerService, ServiceConfig, ServiceKeys};
use locker_core::token::jwt::AccessTokens;
use locker_core::token::lockout::LockoutPolicy;
use locker_core::token::password::Passwords;
use locker_server::{ConnectionLimits, LimitConfig};

use crate::output::Global;

/// The demo admin's e-mail.
const DEMO_ADMIN: &str = "admin@locker.local";

/// Options of `locker serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Key folder (QR, JWT and face-template keys; created with fresh keys on first start).
    #[arg(long, env = "LOCKER_KEYS_DIR", default_value = "keys")]
    pub keys: PathBuf,
    /// Face models folder; face check-in is off when the models are not there.
    #[arg(long, env = "LOCKER_MODELS_DIR", default_value = "../shared/models")]
    pub models: PathBuf,
    /// Serial port of a real lock controller (default: the built-in simulator).
    #[arg(long)]
    pub port: Option<String>,
    /// Driver for `--port`: v1, kerong-cu16, kerong-cu12, rs485-generic, modbus-relay.
    #[arg(long, default_value = "v1", requires = "port")]
    pub driver: String,
    /// The controller record the lockers are wired to.
    #[arg(long, default_value = crate::cmd::demo::CONTROLLER)]
    pub controller: String,
    /// Channels of the simulated controller.
    #[arg(long, default_value_t = 24, conflicts_with = "port")]
    pub sim_channels: u8,
    /// Milliseconds before the simulated customer opens an unlocked door (and as long
    /// again before closing it); 0 leaves doors to `locker uart` or the tests.
    #[arg(long, default_value_t = 1500, conflicts_with = "port")]
    pub sim_person_ms: u64,
    /// The simulated customer opens and shuts each unlocked door at once (benchmarks: a
    /// door cycle then costs only the service's own work; overrides `--sim-person-ms`).
    #[arg(long, conflicts_with = "port")]
    pub sim_instant_doors: bool,
    /// This kiosk's name in the transaction log.
    #[arg(long, default_value = "kiosk")]
    pub kiosk: String,
    /// How often a door that is mid-cycle (unlocked, or open) is read from its controller,
    /// so a lost sensor event cannot strand a rental.
    #[arg(long, env = "LOCKER_DOOR_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(50..))]
    pub door_poll_ms: u32,
    /// How long a customer who already holds a locker (reopen, check-out, open by code)
    /// waits for its door's running cycle to end before the relay fires for them.
    #[arg(long, env = "LOCKER_HOLDER_WAIT_MS", default_value_t = 3000)]
    pub holder_wait_ms: u32,
    /// File the OTP e-mails of `/apis/auth/request-otp` are written to (one JSON line each)
    /// when no `--smtp-host` is given.
    #[arg(long, default_value = "otp-outbox.jsonl")]
    pub otp_outbox: PathBuf,
    /// SMTP server that sends the OTP e-mails (instead of the outbox file).
    #[arg(long, env = "LOCKER_SMTP_HOST", value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port [default: 587 for starttls, 465 for tls, 25 for none].
    #[arg(long, env = "LOCKER_SMTP_PORT", requires = "smtp_host")]
    pub smtp_port: Option<u16>,
    /// SMTP transport security; `none` only for a relay on this machine.
    #[arg(long, env = "LOCKER_SMTP_SECURITY", value_enum, default_value = "starttls")]
    pub smtp_security: SmtpSecurityArg,
    /// SMTP login; its password is read from LOCKER_SMTP_PASSWORD (never a flag, so it
    /// stays out of the process list and shell history).
    #[arg(long, env = "LOCKER_SMTP_USER", requires = "smtp_host")]
    pub smtp_user: Option<String>,
    /// The `From:` of the OTP e-mails.
    #[arg(long, env = "LOCKER_SMTP_FROM", default_value = "locker <no-reply@locker.local>")]
    pub smtp_from: String,
    /// Seed an admin account, the controller SIM_001 and 24 demo lockers (idempotent), and
    /// take WeChat Pay and Alipay through a SIMULATED provider that moves no money.
    #[arg(long)]
    pub demo: bool,
    /// Serve Prometheus metrics at `/metrics` on this address of their own, with no
    /// authentication (keep it on a private network). Without it, `/metrics` is on the main
    /// listener and needs an admin access token (`Authorization: Bearer ...`).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Requests per minute per client (signed-in user, else IP) on the general routes; the
    /// seed's limit is 100. Raise it behind a proxy that limits on its own, or for load tests.
    #[arg(long, value_name = "PER_MINUTE", default_value_t = LimitConfig::SEED.general_per_minute,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: u32,
    /// Requests per minute per client IP on every sign-in and code route (`/api/v1/auth/*`,
    /// `/api/auth/*`, `/apis/auth/*`, one bucket for all); the seed's limit is 5.
    #[arg(long, value_name = "PER_MINUTE", default_value_t = LimitConfig::SEED.auth_per_minute,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub auth_rate_limit: u32,
    /// Wrong passwords per account within 15 minutes that lock the account.
    #[arg(long, value_name = "COUNT", default_value_t = LimitConfig::SEED.login_failures_per_15_min,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub login_failures: u32,
    /// The first lockout's length in seconds; each further lockout doubles it.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    pub lockout_secs: u32,
    /// The longest lockout, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u32).range(1..))]
    pub lockout_max_secs: u32,
    /// Face attempts per minute per client IP (check-in, reopen, check-out by face).
    #[arg(long, value_name = "PER_MINUTE", default_value_t = LimitConfig::SEED.face_per_minute,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub face_rate_limit: u32,
    /// Face attempts per session within 15 minutes (reopen, check-out).
    #[arg(long, value_name = "COUNT", default_value_t = LimitConfig::SEED.face_per_session_per_15_min,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub face_session_limit: u32,
    /// How many server processes share the load behind one load balancer (one PostgreSQL
    /// database). The per-client request limits (--rate-limit, --auth-rate-limit,
    /// --face-rate-limit, --face-session-limit, the hardware limit) are counted in each
    /// process's memory, so each process enforces its share: the limit divided by N, rounded
    /// up. Failed logins, lockouts and OTP send caps are counted in the database and are not
    /// divided.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub processes: u32,
    #[command(flatten)]
    pub connections: ConnectionArgs,
}

/// The connection limits of `locker serve` (defaults: [`ConnectionLimits::DEFAULT`]).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Connection limits")]
pub struct ConnectionArgs {
    /// Seconds a client has to send a whole request header, counted from the connection's
    /// start or the end of its previous answer (so it also bounds keep-alive idling).
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::DEFAULT.header_read.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a connection may sit with no request being handled and no byte moving
    /// either way (a keep-alive connection with no next request, a client that stops
    /// reading its answer) before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::DEFAULT.idle.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Seconds a request body may stop arriving before the request is answered 408.
    #[arg(long, value_name = "SECONDS", default_value_t = ConnectionLimits::DEFAULT.body_progress.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Open connections at most; more are answered 503 and closed. Lowered at start, if
    /// needed, to fit the open-file limit.
    #[arg(long, value_name = "N", default_value_t = ConnectionLimits::DEFAULT.max_connections,
          value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    pub max_connections: usize,
    /// Open connections from one client address at most; more are answered 429 and closed.
    /// Raise it when many clients share one address (behind NAT or a proxy).
    #[arg(long, value_name = "N", default_value_t = ConnectionLimits::DEFAULT.max_per_address,
          value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    pub max_connections_per_address: usize,
}

impl ConnectionArgs {
    /// The limits these flags ask for.
    pub fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read: Duration::from_secs(self.header_timeout),
            idle: Duration::from_secs(self.idle_timeout),
            body_progress: Duration::from_secs(self.body_timeout),
            max_connections: self.max_connections,
            max_per_address: self.max_connections_per_address,
            ..ConnectionLimits::DEFAULT
        }
    }
}

impl Args {
    /// The rate limits the flags ask for.
    fn limits(&self) -> LimitConfig {
        LimitConfig {
            general_per_minute: self.rate_limit,
            auth_per_minute: self.auth_rate_limit,
            login_failures_per_15_min: self.login_failures,
            face_per_minute: self.face_rate_limit,
            face_per_session_per_15_min: self.face_session_limit,
            ..LimitConfig::SEED
        }
        .per_process(self.processes)
    }

    /// The account lockout the flags ask for.
    fn lockout(&self) -> LockoutPolicy {
        LockoutPolicy {
            threshold: self.login_failures,
            first_lockout: chrono::TimeDelta::seconds(i64::from(self.lockout_secs)),
            max_lockout: chrono::TimeDelta::seconds(i64::from(self.lockout_max_secs.max(self.lockout_secs))),
            ..LockoutPolicy::default()
        }
    }
}

/// `--smtp-security`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpSecurityArg {
    /// STARTTLS after connecting (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain text: a relay on this machine, or tests.
    None,
}

/// Runs `locker serve`.
pub fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    global.block_on(serve(global, args))
}

async fn serve(global: &Global, args: Args) -> anyhow::Result<()> {
    // Held for the server's life: a second server on one SQLite file is refused.
    let _serve_lock = sqlite_serve_lock(&global.db)?;
    let database = locker_core::store::open(&global.db)
        .await
        .with_context(|| format!("Cannot open database {}", locker_core::store::redact(&global.db)))?;
    let (keys, created) = ServiceKeys::load_or_create(&args.keys)
        .with_context(|| format!("Cannot load the keys in {}", args.keys.display()))?;
    for file in created {
        super::db::say(format!("created key {file}"))?;
    }
    let passwords = Passwords::new()?;
    if args.demo {
        seed_demo(database.as_ref(), &passwords).await?;
    }
    // The HTTP surfaces keep what only they use: the access-token key and the peppers of
    // the seed codes. Face enrolment is the service's (its engine and template keys).
    let jwt = keys.jwt.clone();
    let seed_keys = (keys.otp_pepper.clone(), keys.pickup_pepper.clone());

    let config = ServiceConfig {
        kiosk: args.kiosk.clone(),
        door_poll_every: chrono::TimeDelta::milliseconds(i64::from(args.door_poll_ms)),
        holder_wait: Duration::from_millis(u64::from(args.holder_wait_ms)),
        ..ServiceConfig::default()
    };
    let mut builder = LockerService::builder_on(database).config(config).keys(keys).passwords(passwords);
    match locker_core::face::FaceEngine::load(locker_core::face::FaceConfig::with_models_dir(&args.models)) {
        Ok(engine) => builder = builder.faces(engine),
        Err(e) => eprintln!("warning: face check-in is off: {}", locker_core::error::report(&e)),
    }
    // Before serving: settle every rental and door a previous run left mid-cycle; a board
    // on a serial port may still hold door events from that run, read as history.
    let driver = lock_controller(&args)?;
    builder = match args.port {
        Some(_) => builder.controller(&args.controller, driver),
        None => builder.fresh_controller(&args.controller, driver),
    };
    let opened = builder.open().await.context("Cannot start the locker service")?;
    let (service, settled) = (opened.service, opened.reconciled);
    let controller = opened.controllers.into_iter().next().context("no controller record")?;
    if settled != locker_core::service::Reconciled::default() {
        super::db::say(format!(
            "reconciled with the controller: {} rentals finished, {} doors still open, {} doors read, {} unreachable",
            settled.activated, settled.adopted, settled.doors_read, settled.unreachable
        ))?;
    }
    share_with_other_processes(&global.db, &service).await?;
    tokio::spawn(service.clone().run_timers());
    let relay = command_relay(&global.db, &service, controller.id).await?;

    let state = locker_server::AppState::new(service.clone(), AccessTokens::new(jwt.clone()))
        .with_limits(args.limits())
        .with_lockout(args.lockout());
    let seeds = seed_routers(&args, jwt, seed_keys, service.clone(), state.credentials.clone()).await?;
    // Said before "listening": scripts (and the tests) may stop reading at that line.
    let limits = connection_limits(&args.connections)?;
    let metrics = locker_server::metrics::Metrics::global();
    metrics.spawn_upkeep();
    let mut app = locker_server::app(state.clone()).merge(seeds);
    match args.metrics_listen {
        None => app = app.merge(locker_server::metrics::admin_route(state)),
        Some(addr) => serve_metrics(addr, service.clone(), limits).await?,
    }
    let app = locker_server::metrics::instrument(app);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("Cannot listen on {}", args.listen))?;
    let bound = listener.local_addr().context("Cannot read the listening address")?;
    super::db::say(format!("locker-server listening on http://{bound} (controller {})", controller.name))?;
    locker_server::serve(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("The server stopped")?;
    if let Some(relay) = relay {
        relay.detach_all().await.context("Cannot detach the controller from the database")?;
    }
    Ok(())
}

/// On PostgreSQL, several `locker serve` processes may share the database (issue 19): the
/// command relay queues unlocks for controllers driven by another process and carries out
/// this process's (its controller registered, the relay running on this runtime). `None` on
/// SQLite (one process). A controller another live process already drives is not taken
/// over (warned): unlocks asked here still fire on this process's own driver.
async fn command_relay(
    url: &str,
    service: &Arc<LockerService>,
    controller: locker_core::domain::Id,
) -> anyhow::Result<Option<Arc<locker_core::service::CommandRelay>>> {
    if !matches!(locker_core::store::Backend::from_url(url)?, locker_core::store::Backend::Postgres) {
        return Ok(None);
    }
    let queue = locker_core::store::postgres::PgCommands::connect(url, 4)
        .await
        .context("Cannot open the controller command queue")?;
    let relay = locker_core::service::CommandRelay::new(service, Arc::new(queue), Default::default());
    if let Err(e) = relay.attach(controller).await {
        eprintln!("warning: {}", locker_core::error::report(&e));
    }
    tokio::spawn(relay.clone().run());
    Ok(Some(relay))
}

/// Serves `/metrics` alone on `addr`, with no authentication, beside the main listener.
async fn serve_metrics(addr: SocketAddr, service: Arc<LockerService>, limits: ConnectionLimits) -> anyhow::Result<()> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("Cannot listen for metrics on {addr}"))?;
    let bound = listener.local_addr().context("Cannot read the metrics address")?;
    super::db::say(format!("metrics on http://{bound}/metrics (no authentication: keep it on a private network)"))?;
    let router = locker_server::metrics::open_router(service);
    tokio::spawn(async move {
        if let Err(e) = locker_server::serve(listener, router, limits, std::future::pending()).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// Raises the open-file limit to the hard limit (saying so) and fits the connection limits
/// of the flags into it.
fn connection_limits(args: &ConnectionArgs) -> anyhow::Result<ConnectionLimits> {
    let wanted = args.limits();
    let files = match locker_server::serve::raise_open_files_limit() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("warning: cannot raise the open-file limit: {e}");
            return Ok(wanted);
        }
    };
    tracing::info!(before = files.before, soft = files.soft, hard = files.hard, "open-file limit raised");
    super::db::say(format!("open-file limit: {} (was {}, hard limit {})", files.soft, files.before, files.hard))?;
    let limits = wanted.fit_descriptors(files.soft);
    if limits.max_connections < wanted.max_connections {
        super::db::say(format!(
            "--max-connections lowered from {} to {} to fit the open-file limit",
            wanted.max_connections, limits.max_connections
        ))?;
    }
    Ok(limits)
}

/// The seed-001 (`/api/…/` cabinets, orders, devices), seed-002 (`/api/barcodes`) and
/// seed-003 (`/apis/auth/*`) surfaces on the same database and keys. Seed-001 cabinets wired
/// to the attached controller open through `service`.
async fn seed_routers(
    args: &Args,
    jwt: locker_core::token::jwt::JwtKeys,
    (otp_pepper, pickup_pepper): (locker_core::token::Pepper, locker_core::token::Pepper),
    service: Arc<LockerService>,
    credentials: locker_server::credentials::Credentials,
) -> anyhow::Result<axum::Router> {
    use locker_server::seeds::cabinets::payment::{NoProvider, PaymentProvider, SimulatedPayments};
    use locker_server::seeds::{SeedParts, router_paying};
    let parts = SeedParts { service, jwt, otp_pepper, pickup_pepper, notifier: otp_notifier(args)?, credentials };
    let payments: Arc<dyn PaymentProvider> = if args.demo {
        super::db::say("payments: WeChat Pay and Alipay go through a SIMULATED provider (demo): no money moves")?;
        tracing::warn!("SIMULATED payment provider in use (--demo): WeChat Pay and Alipay move no money");
        Arc::new(SimulatedPayments::new())
    } else {
        Arc::new(NoProvider)
    };
    Ok(router_paying(parts, payments).await?)
}

/// Where OTP e-mails go: the SMTP server of `--smtp-host`, else the `--otp-outbox` file.
fn otp_notifier(args: &Args) -> anyhow::Result<Arc<dyn locker_core::ports::Notifier>> {
    use locker_core::token::otp::smtp::{SmtpConfig, SmtpNotifier, SmtpSecurity};
    let Some(host) = &args.smtp_host else {
        return Ok(Arc::new(locker_core::token::otp::FileOutbox::new(&args.otp_outbox)));
    };
    let (security, default_port) = match args.smtp_security {
        SmtpSecurityArg::Starttls => (SmtpSecurity::Starttls, 587),
        SmtpSecurityArg::Tls => (SmtpSecurity::Tls, 465),
        SmtpSecurityArg::None => (SmtpSecurity::None, 25),
    };
    let credentials = match &args.smtp_user {
        None => None,
        Some(user) => {
            let password = std::env::var("LOCKER_SMTP_PASSWORD")
                .context("--smtp-user is set: put the SMTP password in LOCKER_SMTP_PASSWORD")?;
            Some((user.clone(), password))
        }
    };
    let config = SmtpConfig {
        host: host.clone(),
        port: args.smtp_port.unwrap_or(default_port),
        security,
        credentials,
        from: args.smtp_from.clone(),
    };
    let notifier = SmtpNotifier::new(&config).context("Cannot set up SMTP for the OTP e-mails")?;
    super::db::say(format!("OTP e-mails go to SMTP {}:{} ({:?})", config.host, config.port, config.security))?;
    Ok(Arc::new(notifier))
}

fn lock_controller(args: &Args) -> anyhow::Result<Arc<dyn locker_core::ports::LockController>> {
    if let Some(port) = &args.port {
        let driver: locker_core::controller::wire::Driver = args.driver.parse()?;
        let settings = locker_core::controller::serial::SerialSettings::new(port.clone(), driver);
        let controller = locker_core::controller::serial::open_controller(&settings)?;
        return Ok(Arc::new(controller));
    }
    let mut config = SimConfig::new(args.sim_channels);
    if args.sim_instant_doors {
        config.person = Some(Person { open_after: Duration::ZERO, hold_open: Duration::ZERO });
    } else if args.sim_person_ms > 0 {
        let delay = Duration::from_millis(args.sim_person_ms);
        config.person = Some(Person { open_after: delay, hold_open: delay });
    }
    let (controller, _device) =
        locker_core::controller::sim::spawn_controller(config).context("Cannot start the simulator")?;
    Ok(Arc::new(controller))
}

/// The demo admin (password printed once, when created), controller and lockers.
async fn seed_demo(store: &dyn Store, passwords: &Passwords) -> anyhow::Result<()> {
    match store.get_user_by_email(DEMO_ADMIN).await {
        Ok(_) => {
            super::db::say(format!("demo admin {DEMO_ADMIN} already exists (password shown when it was created)"))?
        }
        Err(locker_core::Error::NotFound { .. }) => {
            let password: String =
                locker_core::token::random_bytes::<10>()?.iter().map(|b| format!("{b:02x}")).collect();
            let new = NewUser {
                email: Some(DEMO_ADMIN.into()),
                phone: None,
                username: Some("admin".into()),
                full_name: "Demo Admin".into(),
                role: Role::Admin,
                password_hash: passwords.hash(&password)?,
            };
            store.create_user(new, chrono::Utc::now()).await?;
            super::db::say(format!("demo admin {DEMO_ADMIN} created; password (shown once): {password}"))?;
        }
        Err(e) => return Err(e.into()),
    }
    let (_, created) = super::demo::seed(store).await?;
    super::db::say(format!("demo lockers: {created} created (24 in all), controller {}", super::demo::CONTROLLER))?;
    Ok(())
}

/// On SQLite: the lock that makes this the file's one server (see
/// [`locker_core::store::sqlite::ServeLock`]); `None` for other databases.
fn sqlite_serve_lock(url: &str) -> anyhow::Result<Option<locker_core::store::sqlite::ServeLock>> {
    if locker_core::store::Backend::from_url(url)? != locker_core::store::Backend::Sqlite {
        return Ok(None);
    }
    Ok(locker_core::store::sqlite::ServeLock::acquire(url)?)
}

/// On PostgreSQL, where several server processes may share the database: the service's
/// events go through the database to every process's `/ws` subscribers, and the site-wide
/// timer tasks run in one elected process (README "Scaling out").
async fn share_with_other_processes(url: &str, service: &Arc<LockerService>) -> anyhow::Result<()> {
    use locker_core::store::postgres::{PgEventLog, PgLeadership};
    if locker_core::store::Backend::from_url(url)? != locker_core::store::Backend::Postgres {
        return Ok(());
    }
    let log = PgEventLog::connect(url).await.context("Cannot open the shared event log")?;
    let relay = service.share_events(Arc::new(log)).await.context("Cannot share events with other processes")?;
    tokio::spawn(relay);
    tokio::spawn(service.lead_timers(Arc::new(PgLeadership::new(url)), LEADER_RETRY));
    Ok(())
}

/// How often a follower tries to take over a timer task, and a leader checks its lease.
const LEADER_RETRY: Duration = Duration::from_secs(3);
