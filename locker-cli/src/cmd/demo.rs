//! `locker demo`: a demo database with one station of 24 lockers and a simulated
//! controller `SIM_001`, then the locker table. Running it again changes nothing.
//!
//! With the default `--db` it uses `sqlite:locker-demo.db` in the working directory, so the
//! demo never mixes with a real `locker.db`.

use chrono::Utc;
use locker_core::domain::{LockerSize, Money, NewController, NewLocker};
use locker_core::ports::{LockerFilter, Page, Store};

use crate::output::Global;

/// The database the demo uses when `--db` is left at its default.
const DEMO_DB: &str = "sqlite:locker-demo.db";
/// The `--db` default (see `output::Global`).
const DEFAULT_DB: &str = "sqlite:locker.db";
const STATION: &str = "DEMO";
pub(crate) const CONTROLLER: &str = "SIM_001";

/// Options of `locker demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// The 24 demo lockers: A01-A12 small, A13-A20 medium, A21-A24 large, one relay and
/// sensor channel each.
fn demo_lockers(controller_id: locker_core::domain::Id) -> Vec<NewLocker> {
    (1..=24u16)
        .map(|n| {
            let (size, price, location) = match n {
                1..=12 => (LockerSize::Small, 100, "Tầng 1 - Khu A"),
                13..=20 => (LockerSize::Medium, 200, "Tầng 1 - Khu B"),
                _ => (LockerSize::Large, 300, "Tầng 1 - Khu C"),
            };
            NewLocker {
                code: format!("A{n:02}"),
                station: STATION.into(),
                location: location.into(),
                size,
                controller_id: Some(controller_id),
                relay_channel: n,
                sensor_channel: n,
                price_per_hour: Money(price),
            }
        })
        .collect()
}

/// Creates the demo controller and lockers where missing; returns the controller and how
/// many lockers were created.
pub(crate) async fn seed(store: &dyn Store) -> anyhow::Result<(locker_core::domain::Controller, usize)> {
    let now = Utc::now();
    let controller = match store.get_controller_by_name(CONTROLLER).await {
        Ok(c) => c,
        Err(locker_core::Error::NotFound { .. }) => {
            let new = NewController { name: CONTROLLER.into(), station: STATION.into(), api_key_hash: None };
            store.create_controller(new, now).await?
        }
        Err(e) => return Err(e.into()),
    };
    let mut missing = Vec::new();
    for l in demo_lockers(controller.id) {
        match store.get_locker_by_code(&l.code).await {
            Ok(_) => {}
            Err(locker_core::Error::NotFound { .. }) => missing.push(l),
            Err(e) => return Err(e.into()),
        }
    }
    let n = missing.len();
    if n > 0 {
        store.create_lockers(missing, now).await?;
    }
    Ok((controller, n))
}

/// Runs `locker demo`.
pub fn run(global: &Global, _args: Args) -> anyhow::Result<()> {
    let url = if global.db == DEFAULT_DB { DEMO_DB } else { global.db.as_str() };
    global.block_on(async {
        let store = super::db::open(url).await?;
        let (_, created) = seed(store.as_ref()).await?;
        let filter = LockerFilter { station: Some(STATION.into()), ..Default::default() };
        let page = store.list_lockers(&filter, Page::new(1, 100)?).await?;
        if global.json {
            return global.print_json(&page);
        }
        super::db::say(format!("demo database {url}: {created} lockers created, controller {CONTROLLER}"))?;
        super::lockers::print_lockers(global, store.as_ref(), &page.items).await?;
        super::lockers::print_page_footer(&page)
    })
}
