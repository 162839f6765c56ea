//! A kiosk loop on the locker service with the simulated controller (the same story as the
//! C and Python kiosks in `examples/c` and `examples/python`):
//!
//! 1. the service opens on a fresh SQLite file and key folder, with four lockers wired to the
//!    in-process simulator, whose simulated customer opens and shuts each unlocked door;
//! 2. a customer checks in with a QR token from the app; a replay of the token is refused;
//! 3. the door cycle arrives as service events (the rental becomes active), printed;
//! 4. the customer checks out with a second QR token naming the rental;
//! 5. with the face models present: a walk-up guest checks in by face, a stranger is refused
//!    at check-out, and the guest checks out by face alone.
//!
//! Run: `cargo run -p locker-examples --bin kiosk` (face part: `LOCKER_MODELS_DIR`,
//! `LOCKER_FACES_DIR`, defaults `../shared/models` and `../shared/faces`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use locker_core::kiosk::{ControllerChoice, Service, ServiceOptions};
use locker_core::service::{Proof, ServiceEvent};

fn shared(var: &str, sub: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared").join(sub))
}

/// Prints service events until one satisfies `until` (within 5 s).
fn print_events_until(kiosk: &Service, until: impl Fn(&ServiceEvent) -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(event) = kiosk.next_event(Duration::from_millis(200))? {
            println!("  event: {}", serde_json::to_string(&event)?);
            if until(&event) {
                return Ok(());
            }
        }
    }
    bail!("The awaited event did not come within 5 s")
}

/// Prints events until the rental `id` became active (its door opened and shut).
fn until_active(kiosk: &Service, id: &str) -> Result<()> {
    print_events_until(kiosk, |e| {
        matches!(e, ServiceEvent::SessionUpdated { session_id, action, .. }
            if session_id.to_string() == id && action.as_str() == "sensor_trigger")
    })
}

/// Prints events until the door of locker `code` has been opened and shut again.
fn until_door_cycled(kiosk: &Service, code: &str) -> Result<()> {
    for wanted in ["open", "closed"] {
        print_events_until(kiosk, |e| {
            matches!(e, ServiceEvent::LockerStatusChanged { locker_code, door_state, .. }
                if locker_code == code && door_state.as_str() == wanted)
        })?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let models = shared("LOCKER_MODELS_DIR", "models");
    let faces = shared("LOCKER_FACES_DIR", "faces");
    let with_faces = models.join(locker_core::face::engine::DETECTOR_FILE).exists() && faces.exists();
    let options = ServiceOptions {
        models_dir: with_faces.then(|| models.clone()),
        controller: ControllerChoice::Simulator { channels: 4, person: Some(Duration::from_millis(100)) },
        kiosk: "Pi_rust".into(),
        ..ServiceOptions::simulated(
            format!("sqlite:{}", dir.path().join("kiosk.db").display()),
            dir.path().join("keys"),
            4,
        )
    };
    let kiosk = Service::open(options).context("Cannot open the locker service")?;
    for n in 1..=4u16 {
        kiosk.add_locker(&format!("A0{n}"), "small", n)?;
    }
    let user = kiosk.add_user("Nguyen Van Lan", "lan@example.com")?.id.to_string();
    println!("kiosk ready: {} lockers, faces {}", kiosk.lockers()?.len(), if kiosk.has_faces() { "on" } else { "off" });

    // QR check-in; the app's token is single use.
    let token = kiosk.issue_qr("check_in", &user, None)?;
    let done = kiosk.check_in_qr(&token, None)?;
    let rental = done.rental.id.to_string();
    println!("check-in by QR: rental {rental}, locker {}", done.locker.code);
    match kiosk.check_in_qr(&token, None) {
        Err(e) => println!("replayed check-in QR refused: {:?}", e.code()),
        Ok(_) => bail!("A replayed QR token was accepted"),
    }
    until_active(&kiosk, &rental)?;

    // QR check-out with a token naming the rental.
    let token = kiosk.issue_qr("check_out", &user, Some(&rental))?;
    let out = kiosk.check_out(&rental, Proof::Qr(token))?;
    println!("check-out by QR: rental {rental}, locker {}", out.locker.code);
    until_door_cycled(&kiosk, &out.locker.code)?;

    if with_faces {
        let photo = |p: &str| std::fs::read(faces.join(p)).with_context(|| format!("Reading {p}"));
        let done = kiosk.check_in_face(&photo("Cate_Blanchett/1.jpg")?, None, None)?;
        let rental = done.rental.id.to_string();
        println!("check-in by face: rental {rental}, locker {}", done.locker.code);
        until_active(&kiosk, &rental)?;
        match kiosk.check_out_by_face(&photo("Al_Sharpton/1.jpg")?) {
            Err(e) => println!("stranger refused at check-out: {:?}", e.code()),
            Ok(_) => bail!("A stranger's face opened the locker"),
        }
        let out = kiosk.check_out_by_face(&photo("Cate_Blanchett/2.jpg")?)?;
        let score = out.match_score.unwrap_or_default();
        println!("check-out by face: rental {}, locker {}, score {score:.3}", out.rental.id, out.locker.code);
        until_door_cycled(&kiosk, &out.locker.code)?;
    } else {
        println!("face part skipped: no models in {}", models.display());
    }
    let lockers = kiosk.lockers()?;
    let free = lockers.iter().filter(|l| l.status.as_str() == "available").count();
    println!("kiosk done: {free} of {} lockers available", lockers.len());
    Ok(())
}
