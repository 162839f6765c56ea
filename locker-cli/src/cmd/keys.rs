//! `locker keys`: signing keys for QR and access tokens.
//!
//! `locker keys generate` adds a QR key with the next free key id (rotation: the newest key
//! issues, older ones keep verifying until their file is removed) and, if the directory has
//! none yet, the JWT key. Secret files are mode 0600; secrets are never printed.

use std::path::PathBuf;

use anyhow::Context as _;
use locker_core::token::keyfile::{self, KeyAlg, KeyFile, KeyPurpose};

use crate::output::Global;

/// Subcommands of `locker keys`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Generate a new QR signing key (next key id) and, if missing, the JWT key.
    Generate(GenerateArgs),
}

/// Key algorithm on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Alg {
    /// Ed25519 (QR) / EdDSA (JWT): verifiers need only the public key.
    Ed25519,
    /// HMAC-SHA256 (QR: 128-bit tag; JWT: HS256): one shared secret.
    Hmac,
}

impl From<Alg> for KeyAlg {
    fn from(alg: Alg) -> Self {
        match alg {
            Alg::Ed25519 => KeyAlg::Ed25519,
            Alg::Hmac => KeyAlg::HmacSha256,
        }
    }
}

/// Arguments of `locker keys generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Key directory (created if missing).
    #[arg(long, env = "LOCKER_KEYS_DIR", default_value = "keys")]
    pub dir: PathBuf,
    /// Algorithm of the QR key.
    #[arg(long, value_enum, default_value = "ed25519")]
    pub qr_alg: Alg,
    /// Algorithm of the JWT key (only used when the directory has none).
    #[arg(long, value_enum, default_value = "ed25519")]
    pub jwt_alg: Alg,
}

#[derive(serde::Serialize)]
struct Written {
    purpose: KeyPurpose,
    alg: KeyAlg,
    kid: u8,
    path: PathBuf,
    public: Option<String>,
}

/// Runs `locker keys`.
pub fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Generate(args) => generate(global, &args),
    }
}

fn generate(global: &Global, args: &GenerateArgs) -> anyhow::Result<()> {
    let existing_qr = if args.dir.exists() {
        let mut all = keyfile::read_dir(&args.dir, KeyPurpose::Qr, false)?;
        all.extend(keyfile::read_dir(&args.dir, KeyPurpose::Qr, true)?);
        all
    } else {
        Vec::new()
    };
    let kid = match existing_qr.iter().map(|(_, k)| k.kid).max() {
        None => 1,
        Some(max) => max.checked_add(1).context("All 255 QR key ids are used; remove retired key files first")?,
    };
    let mut written = Vec::new();
    let qr = KeyFile::generate(KeyPurpose::Qr, args.qr_alg.into(), kid)?;
    written.extend(write_pair(&args.dir, &qr)?);
    if !args.dir.join("jwt.key").exists() {
        let jwt = KeyFile::generate(KeyPurpose::Jwt, args.jwt_alg.into(), 0)?;
        written.extend(write_pair(&args.dir, &jwt)?);
    }
    if global.json {
        return global.print_json(&written);
    }
    for w in &written {
        let public = w.public.as_deref().map(|p| format!(" public {p}")).unwrap_or_default();
        let purpose = match w.purpose {
            KeyPurpose::Qr => "QR",
            KeyPurpose::Jwt => "JWT",
        };
        let alg = match w.alg {
            KeyAlg::Ed25519 => "ed25519",
            KeyAlg::HmacSha256 => "hmac-sha256",
        };
        println!("wrote {purpose} {alg} key id {} to {}{public}", w.kid, w.path.display());
    }
    println!("QR key id {kid} now issues; older QR keys verify until their files are removed.");
    Ok(())
}

/// Writes the secret file and, for Ed25519, the public file.
fn write_pair(dir: &std::path::Path, key: &KeyFile) -> anyhow::Result<Vec<Written>> {
    let mut out = Vec::new();
    let path = keyfile::write(dir, key)?;
    out.push(Written { purpose: key.purpose, alg: key.alg, kid: key.kid, path, public: None });
    if let Some(public) = key.public_only() {
        let path = keyfile::write(dir, &public)?;
        out.push(Written { purpose: key.purpose, alg: key.alg, kid: key.kid, path, public: public.public.clone() });
    }
    Ok(out)
}
