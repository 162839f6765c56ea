//! `locker controllers`: register lock-controller boards and manage their device API keys.
//!
//! A controller that talks HTTP (sensor reports, errors, heartbeats) authenticates with an
//! `X-API-Key`. The key is shown once, when it is created or rotated; only its hash is
//! stored, so a lost key is replaced with `rotate-key`, never recovered.

use anyhow::Context as _;
use locker_core::domain::{Controller, NewController};
use locker_core::ports::Page;
use locker_core::token::apikey;

use crate::output::{Global, table};

/// Subcommands of `locker controllers`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Register a controller board and print its API key (shown once).
    Add(AddArgs),
    /// List controllers with their last heartbeat and online state.
    List(ListArgs),
    /// Replace a controller's API key (the old key stops working) and print the new one.
    RotateKey(RotateArgs),
}

/// Arguments of `locker controllers add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Unique name, as the board reports itself (`ESP32_001`).
    pub name: String,
    /// Station (cabinet or site) it serves.
    #[arg(long, default_value = "main")]
    pub station: String,
}

/// Arguments of `locker controllers list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Page number (from 1).
    #[arg(long, default_value_t = 1)]
    pub page: u32,
    /// Controllers per page.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

/// Arguments of `locker controllers rotate-key`.
#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// The controller's name (or id).
    pub controller: String,
}

#[derive(serde::Serialize)]
struct WithKey<'a> {
    controller: &'a Controller,
    /// Shown once; send as `X-API-Key`.
    api_key: &'a str,
}

/// Runs `locker controllers`.
pub fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Add(args) => add(global, args),
        Command::List(args) => list(global, &args),
        Command::RotateKey(args) => rotate(global, &args),
    }
}

fn add(global: &Global, args: AddArgs) -> anyhow::Result<()> {
    let (controller, key) = global.block_on(async {
        let db = locker_core::store::open(&global.db).await.context("Cannot open the database")?;
        let (key, hash) = apikey::generate()?;
        let new = NewController {
            name: args.name.trim().to_owned(),
            station: args.station,
            api_key_hash: Some(hash.0.to_vec()),
        };
        new.validate()?;
        let controller = db.create_controller(new, chrono::Utc::now()).await?;
        anyhow::Ok((controller, key))
    })?;
    show_key(global, &controller, &key, "registered")
}

fn rotate(global: &Global, args: &RotateArgs) -> anyhow::Result<()> {
    let (controller, key) = global.block_on(async {
        let db = locker_core::store::open(&global.db).await.context("Cannot open the database")?;
        let controller = match args.controller.parse::<uuid::Uuid>() {
            Ok(id) => db.get_controller(id).await?,
            Err(_) => db.get_controller_by_name(&args.controller).await?,
        };
        let key = apikey::rotate(db.as_ref(), controller.id).await?;
        anyhow::Ok((controller, key))
    })?;
    show_key(global, &controller, &key, "new key for")
}

fn show_key(global: &Global, controller: &Controller, key: &str, what: &str) -> anyhow::Result<()> {
    if global.json {
        return global.print_json(&WithKey { controller, api_key: key });
    }
    println!("{what} controller {} ({})", controller.name, controller.id);
    println!("API key (shown once; send it as X-API-Key): {key}");
    Ok(())
}

fn list(global: &Global, args: &ListArgs) -> anyhow::Result<()> {
    let page = Page::new(args.page, args.limit)?;
    let controllers = global.block_on(async {
        let store = locker_core::store::open(&global.db).await.context("Cannot open the database")?;
        anyhow::Ok(store.list_controllers(page).await?)
    })?;
    if global.json {
        return global.print_json(&controllers);
    }
    let now = chrono::Utc::now();
    let mut t = table(&["name", "station", "online", "last heartbeat", "battery", "firmware", "active", "id"]);
    for c in &controllers.items {
        t.add_row([
            c.name.clone(),
            c.station.clone(),
            if c.is_online(now) { "yes" } else { "no" }.into(),
            c.last_heartbeat_at.map_or_else(|| "never".into(), |t| t.to_rfc3339()),
            c.battery_percent.map_or_else(|| "-".into(), |b| format!("{b}%")),
            c.firmware.clone().unwrap_or_else(|| "-".into()),
            c.active.to_string(),
            c.id.to_string(),
        ]);
    }
    println!("{t}");
    println!("{} of {} controllers", controllers.items.len(), controllers.total);
    Ok(())
}
