//! `locker qr`: issue, verify and render QR tokens with the keys of `locker keys generate`.

use std::path::PathBuf;

use anyhow::Context as _;
use locker_core::token::keyfile;
use locker_core::token::qr::{IssuedQr, QrAction, QrClaims, render};

use crate::output::Global;

/// Subcommands of `locker qr`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Issue a token for a user (prints it; optionally writes a PNG or SVG QR code).
    Issue(IssueArgs),
    /// Verify a token: prints its claims, or the precise error with a non-zero exit.
    Verify(VerifyArgs),
}

/// Arguments of `locker qr issue`.
#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// The user the token is for (UUID).
    #[arg(long)]
    pub user: uuid::Uuid,
    /// What the token allows: check_in, check_out or update.
    #[arg(long)]
    pub action: QrAction,
    /// The rental it acts on (UUID; needed for check_out and update).
    #[arg(long)]
    pub rental: Option<uuid::Uuid>,
    /// Write the QR code as PNG to this file.
    #[arg(long, conflicts_with = "svg")]
    pub png: Option<PathBuf>,
    /// Write the QR code as SVG to this file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Token lifetime in seconds.
    #[arg(long, default_value_t = locker_core::token::qr::DEFAULT_QR_LIFETIME_SECS)]
    pub lifetime: u32,
    /// Key directory.
    #[arg(long, env = "LOCKER_KEYS_DIR", default_value = "keys")]
    pub keys: PathBuf,
}

/// Arguments of `locker qr verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The token text (base64url).
    pub token: String,
    /// Verify with the public key files only (`qr-*.pub`), as a kiosk does.
    #[arg(long)]
    pub public: bool,
    /// Key directory.
    #[arg(long, env = "LOCKER_KEYS_DIR", default_value = "keys")]
    pub keys: PathBuf,
}

/// Runs `locker qr`.
pub fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Issue(args) => issue(global, &args),
        Command::Verify(args) => verify(global, &args),
    }
}

fn issue(global: &Global, args: &IssueArgs) -> anyhow::Result<()> {
    if matches!(args.action, QrAction::CheckOut | QrAction::Update) && args.rental.is_none() {
        anyhow::bail!("--rental is required for {}", args.action);
    }
    let mut ring = keyfile::load_qr_keyring(&args.keys, false).context("Cannot load the QR keys")?;
    ring.set_lifetime_secs(args.lifetime);
    let issued = ring.issue(args.action, args.user, args.rental, chrono::Utc::now())?;
    if let Some(path) = &args.png {
        std::fs::write(path, render::png(&issued.token)?)
            .with_context(|| format!("Cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, render::svg(&issued.token)?)
            .with_context(|| format!("Cannot write {}", path.display()))?;
    }
    if global.json {
        return global.print_json(&IssueOutput::new(&issued, args.lifetime)?);
    }
    println!("{}", issued.token);
    eprintln!("issued: {}", describe(&issued.claims));
    Ok(())
}

fn verify(global: &Global, args: &VerifyArgs) -> anyhow::Result<()> {
    let ring = keyfile::load_qr_keyring(&args.keys, args.public).context("Cannot load the QR keys")?;
    let claims = ring.verify(args.token.trim(), chrono::Utc::now()).map_err(|e| {
        let code = e.code();
        anyhow::anyhow!("{e} ({code:?}, code {})", code.as_u32())
    })?;
    if global.json {
        return global.print_json(&claims);
    }
    println!("valid: {}", describe(&claims));
    Ok(())
}

fn describe(c: &QrClaims) -> String {
    let rental = c.rental_id.map(|r| r.to_string()).unwrap_or_else(|| "-".into());
    format!(
        "action {} user {} rental {rental} token id {} key id {} expires {}",
        c.action,
        c.user_id,
        c.token_id,
        c.key_id,
        c.expires_at.to_rfc3339()
    )
}

/// The JSON of `qr issue`, shaped like seed 000's `POST /qr-tokens/generate` data.
#[derive(serde::Serialize)]
struct IssueOutput<'a> {
    id: String,
    token: &'a str,
    qr_code_base64: String,
    expires_at: String,
    expires_in_seconds: u32,
    claims: &'a QrClaims,
}

impl<'a> IssueOutput<'a> {
    fn new(issued: &'a IssuedQr, lifetime: u32) -> anyhow::Result<Self> {
        Ok(Self {
            id: issued.claims.token_id.to_hex(),
            token: &issued.token,
            qr_code_base64: render::data_url(&issued.token)?,
            expires_at: issued.claims.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            expires_in_seconds: lifetime,
            claims: &issued.claims,
        })
    }
}
