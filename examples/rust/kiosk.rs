//! A kiosk loop on the simulated controller: a customer checks in with a QR token from the
//! app (single use, checked against a SQLite file), a locker opens, the customer opens and
//! shuts its door (the controller's events are printed), and later checks out with a second
//! QR token. With the face models present, the same customer also checks out a second rental
//! by face (1:1 against the template taken at check-in) and a stranger is refused.
//!
//! Run: `cargo run -p locker-examples --bin kiosk` (face part: `LOCKER_MODELS_DIR`,
//! `LOCKER_FACES_DIR`, defaults `../shared/models` and `../shared/faces`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures::StreamExt as _;
use locker_core::domain::Id;
use locker_core::driver::ThreadController;
use locker_core::link::{Link, LinkConfig};
use locker_core::ports::LockController;
use locker_core::sim::{Device, SimConfig, SimIo};
use locker_core::token::qr::{KeyId, QrAction, QrKey, QrKeyring};
use locker_core::token::store::TokenStore;
use locker_core::wire::ControllerEvent;

/// What the kiosk remembers about a live rental.
struct Rental {
    channel: u16,
    face: Option<locker_core::face::Embedding>,
}

struct Kiosk {
    ctrl: ThreadController,
    events: futures::channel::mpsc::UnboundedReceiver<ControllerEvent>,
    device: Arc<std::sync::Mutex<Device>>,
    tokens: Arc<dyn TokenStore>,
    verifier: QrKeyring,
    rentals: HashMap<Id, Rental>,
    free: Vec<u16>,
}

impl Kiosk {
    /// Opens the locker on `channel` and lets the simulated customer use the door.
    async fn open_and_use(&mut self, channel: u16) -> Result<()> {
        let outcome = self.ctrl.unlock(channel).await?;
        println!("  unlock channel {channel}: {outcome:?}");
        for open in [true, false] {
            {
                let mut d = self.device.lock().unwrap_or_else(|e| e.into_inner());
                let now = std::time::Instant::now();
                if open { d.open_door(now, channel as u8) } else { d.close_door(now, channel as u8) }
            }
            let event = tokio::time::timeout(Duration::from_secs(2), self.events.next())
                .await
                .context("No door event within 2 s")?
                .context("Controller stopped")?;
            println!("  event: {}", serde_json_line(&event));
        }
        Ok(())
    }

    /// Check-in by QR: returns the new rental.
    async fn check_in_qr(&mut self, token: &str, face: Option<locker_core::face::Embedding>) -> Result<Id> {
        let now = chrono::Utc::now();
        let claims = self.verifier.verify(token, now)?;
        if claims.action != QrAction::CheckIn {
            bail!("QR token is for {}, not check_in", claims.action);
        }
        self.tokens.mark_qr_used(&claims.token_id, claims.expires_at, now).await?;
        let channel = self.free.pop().context("No free locker")?;
        let rental = uuid::Uuid::now_v7();
        println!("check-in by QR for user {}: rental {rental}, locker {channel}", claims.user_id);
        self.open_and_use(channel).await?;
        self.rentals.insert(rental, Rental { channel, face });
        Ok(rental)
    }

    /// Check-out by QR naming the rental.
    async fn check_out_qr(&mut self, token: &str) -> Result<()> {
        let now = chrono::Utc::now();
        let claims = self.verifier.verify(token, now)?;
        let rental_id = claims.rental_id.context("Check-out token names no rental")?;
        self.tokens.mark_qr_used(&claims.token_id, claims.expires_at, now).await?;
        let rental = self.rentals.remove(&rental_id).context("Unknown rental")?;
        println!("check-out by QR: rental {rental_id}, locker {}", rental.channel);
        self.open_and_use(rental.channel).await?;
        self.free.push(rental.channel);
        Ok(())
    }

    /// Check-out by face: the probe must match the template of the rental (1:1).
    async fn check_out_face(&mut self, engine: &locker_core::face::FaceEngine, rental_id: Id, photo: &[u8]) -> Result<()> {
        let rental = self.rentals.get(&rental_id).context("Unknown rental")?;
        let template = rental.face.as_ref().context("Rental has no face template")?;
        let probe = engine.process(photo, locker_core::face::Pick::Central)?.embedding;
        let score = locker_core::face::gallery::check(&probe, template, engine.config().thresholds.verify)?;
        let channel = rental.channel;
        println!("check-out by face: rental {rental_id}, locker {channel}, score {score:.3}");
        self.open_and_use(channel).await?;
        self.rentals.remove(&rental_id);
        self.free.push(channel);
        Ok(())
    }
}

fn serde_json_line(event: &ControllerEvent) -> String {
    format!("{event:?}")
}

fn shared(var: &str, sub: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared").join(sub))
}

#[tokio::main]
async fn main() -> Result<()> {
    // The server's signing key issues tokens to the app; the kiosk holds only the public half.
    let server = QrKeyring::with_key(KeyId(1), QrKey::generate_ed25519()?);
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:{}", dir.path().join("kiosk.db").display());
    let (_, tokens) = locker_core::store::tokens::open_with_tokens(&url).await?;

    let io = SimIo::new(SimConfig::new(4));
    let device = io.device();
    let ctrl = ThreadController::spawn(Box::new(Link::new(LinkConfig { channels: 4, ..LinkConfig::default() })), Box::new(io))?;
    let events = ctrl.subscribe();
    let mut kiosk = Kiosk { ctrl, events, device, tokens, verifier: server.to_verifier(), rentals: HashMap::new(), free: vec![4, 3, 2, 1] };
    println!("kiosk ready: 4 lockers, doors {:?}", kiosk.ctrl.doors().await?);

    let user = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    let check_in = server.issue(QrAction::CheckIn, user, None, now)?.token;
    let rental = kiosk.check_in_qr(&check_in, None).await?;
    match kiosk.check_in_qr(&check_in, None).await {
        Err(e) => println!("replayed check-in QR refused: {e} ({:?})", e.downcast_ref::<locker_core::Error>().map(|e| e.code())),
        Ok(_) => bail!("A replayed QR token was accepted"),
    }
    let check_out = server.issue(QrAction::CheckOut, user, Some(rental), now)?.token;
    kiosk.check_out_qr(&check_out).await?;

    let models = shared("LOCKER_MODELS_DIR", "models");
    let faces = shared("LOCKER_FACES_DIR", "faces");
    if models.join(locker_core::face::engine::DETECTOR_FILE).exists() && faces.exists() {
        let engine = locker_core::face::FaceEngine::load(locker_core::face::FaceConfig::with_models_dir(&models))?;
        let photo = |p: &str| std::fs::read(faces.join(p)).with_context(|| format!("Reading {p}"));
        let template = engine.process(&photo("Cate_Blanchett/1.jpg")?, locker_core::face::Pick::Central)?.embedding;
        let token = server.issue(QrAction::CheckIn, user, None, chrono::Utc::now())?.token;
        let rental = kiosk.check_in_qr(&token, Some(template)).await?;
        match kiosk.check_out_face(&engine, rental, &photo("Al_Sharpton/1.jpg")?).await {
            Err(e) => println!("stranger refused at check-out: {e}"),
            Ok(()) => bail!("A stranger's face opened the locker"),
        }
        kiosk.check_out_face(&engine, rental, &photo("Cate_Blanchett/2.jpg")?).await?;
    } else {
        println!("face part skipped: no models in {}", models.display());
    }
    println!("kiosk done: {} live rentals, doors {:?}", kiosk.rentals.len(), kiosk.ctrl.doors().await?);
    Ok(())
}
