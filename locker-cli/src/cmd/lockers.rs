//! `locker lockers`: add, import from CSV, list and set the status of lockers.
//!
//! An import is all or nothing: every row is checked first (errors name the CSV line and
//! the field), then all lockers are written in one transaction.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::Utc;
use locker_core::domain::{Id, Locker, LockerSize, LockerStatus, Money, NewLocker, NewTxLog};
use locker_core::ports::{LockerFilter, Page, Paged, Store, all_pages};

use crate::output::Global;

/// Subcommands of `locker lockers`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add one locker.
    Add(AddArgs),
    /// Import lockers from a CSV file with the header
    /// `code,station,location,size,controller,relay_channel,sensor_channel,price`.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// List lockers.
    List(ListArgs),
    /// Set a locker's status (`available`, `reserved`, `in_use`, `maintenance`).
    SetStatus {
        /// The locker code.
        code: String,
        /// The new status.
        status: LockerStatus,
    },
}

/// Options of `locker lockers add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Unique code (`A01`).
    #[arg(long)]
    code: String,
    /// Station (cabinet or site).
    #[arg(long)]
    station: String,
    /// Location in words.
    #[arg(long, default_value = "")]
    location: String,
    /// Size: small, medium or large.
    #[arg(long)]
    size: LockerSize,
    /// Controller name (`SIM_001`), if wired.
    #[arg(long)]
    controller: Option<String>,
    /// Relay channel on the controller.
    #[arg(long, default_value_t = 0)]
    relay_channel: u16,
    /// Door-sensor channel on the controller.
    #[arg(long, default_value_t = 0)]
    sensor_channel: u16,
    /// Price per hour, like `2.00`.
    #[arg(long, allow_hyphen_values = true)]
    price: Money,
}

/// Options of `locker lockers list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this status.
    #[arg(long)]
    status: Option<LockerStatus>,
    /// Only this size.
    #[arg(long)]
    size: Option<LockerSize>,
    /// Only this station.
    #[arg(long)]
    station: Option<String>,
    /// Only this location.
    #[arg(long)]
    location: Option<String>,
    /// Page number, from 1.
    #[arg(long, default_value_t = 1)]
    page: u32,
    /// Lockers per page.
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

/// Runs `locker lockers`.
pub fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    global.block_on(async {
        let store = super::db::open(&global.db).await?;
        let store = store.as_ref();
        match command {
            Command::Add(a) => {
                let controller_id = controller_id(store, a.controller.as_deref()).await?;
                let new = NewLocker {
                    code: a.code,
                    station: a.station,
                    location: a.location,
                    size: a.size,
                    controller_id,
                    relay_channel: a.relay_channel,
                    sensor_channel: a.sensor_channel,
                    price_per_hour: a.price,
                };
                let locker = store.create_locker(new, Utc::now()).await?;
                print_lockers(global, store, &[locker]).await
            }
            Command::Import { file } => {
                let text = std::fs::read_to_string(&file).with_context(|| format!("Cannot read {}", file.display()))?;
                let rows = parse_csv(store, &text).await?;
                let n = rows.len();
                let lines: Vec<(u64, String)> = rows.iter().map(|(line, l)| (*line, l.code.clone())).collect();
                let created = store.create_lockers(rows.into_iter().map(|(_, l)| l).collect(), Utc::now()).await;
                let created = created.map_err(|e| match &e {
                    locker_core::Error::AlreadyExists { value, .. } => match lines.iter().find(|(_, c)| c == value) {
                        Some((line, _)) => anyhow::anyhow!("line {line}: {e}; nothing imported"),
                        None => anyhow::anyhow!("{e}; nothing imported"),
                    },
                    _ => anyhow::anyhow!("{e}; nothing imported"),
                })?;
                if global.json {
                    return global.print_json(&created);
                }
                super::db::say(format!("imported {n} lockers from {}", file.display()))
            }
            Command::List(a) => {
                let filter = LockerFilter { status: a.status, size: a.size, station: a.station, location: a.location };
                let page = store.list_lockers(&filter, Page::new(a.page, a.limit)?).await?;
                if global.json {
                    return global.print_json(&page);
                }
                print_lockers(global, store, &page.items).await?;
                print_page_footer(&page)
            }
            Command::SetStatus { code, status } => {
                let locker = store.get_locker_by_code(&code).await?;
                let now = Utc::now();
                let log = NewTxLog {
                    device: Some("cli".to_owned()),
                    ..NewTxLog::status_change(&locker, status, "locker lockers set-status", now)
                };
                let locker = store.set_locker_status(locker.id, status, log, now).await?;
                print_lockers(global, store, &[locker]).await
            }
        }
    })
}

async fn controller_id(store: &dyn Store, name: Option<&str>) -> anyhow::Result<Option<Id>> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(name) => Ok(Some(store.get_controller_by_name(name).await?.id)),
    }
}

/// The columns an import file must have, in order.
const CSV_HEADER: [&str; 8] =
    ["code", "station", "location", "size", "controller", "relay_channel", "sensor_channel", "price"];

/// Parses and checks every row; errors name the line and the field, all bad rows at once.
async fn parse_csv(store: &dyn Store, text: &str) -> anyhow::Result<Vec<(u64, NewLocker)>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> =
        reader.headers().context("Cannot read the CSV header")?.iter().map(str::to_owned).collect();
    if header != CSV_HEADER {
        bail!("line 1: the header must be `{}`, found `{}`", CSV_HEADER.join(","), header.join(","));
    }
    let mut controllers: HashMap<String, Option<Id>> = HashMap::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let controller = record[4].to_owned();
        let controller_id = match controllers.get(&controller) {
            Some(id) => Ok(*id),
            None => match controller_id(store, Some(&controller)).await {
                Ok(id) => {
                    controllers.insert(controller.clone(), id);
                    Ok(id)
                }
                Err(e) => Err(format!("invalid controller: {e}")),
            },
        };
        match row(&record, controller_id) {
            Ok(new) => match seen.insert(new.code.clone(), line) {
                Some(first) => errors.push(format!("line {line}: invalid code: {:?} repeats line {first}", new.code)),
                None => rows.push((line, new)),
            },
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if !errors.is_empty() {
        bail!("{}; nothing imported", errors.join("\n"));
    }
    Ok(rows)
}

/// One CSV record as a checked [`NewLocker`]; the error names the field.
fn row(r: &csv::StringRecord, controller_id: Result<Option<Id>, String>) -> Result<NewLocker, String> {
    let channel = |i: usize, field: &str| {
        r[i].parse::<u16>().map_err(|_| format!("invalid {field}: {:?} is not a channel number 0-65535", &r[i]))
    };
    let size = r[3].parse().map_err(|e: locker_core::Error| e.to_string())?;
    let controller_id = controller_id?;
    let relay_channel = channel(5, "relay_channel")?;
    let sensor_channel = channel(6, "sensor_channel")?;
    let price: Money = r[7].parse().map_err(|e: locker_core::Error| e.to_string())?;
    if price.minor() < 0 {
        return Err("invalid price: must not be negative".into());
    }
    let new = NewLocker {
        code: r[0].to_owned(),
        station: r[1].to_owned(),
        location: r[2].to_owned(),
        size,
        controller_id,
        relay_channel,
        sensor_channel,
        price_per_hour: price,
    };
    new.validate().map_err(|e| e.to_string())?;
    Ok(new)
}

/// Prints lockers as a table (or JSON), with controller names.
pub async fn print_lockers(global: &Global, store: &dyn Store, lockers: &[Locker]) -> anyhow::Result<()> {
    if global.json {
        return global.print_json(&lockers);
    }
    let controllers = all_pages(|page| store.list_controllers(page)).await?;
    let name = |id: Option<Id>| {
        id.and_then(|id| controllers.iter().find(|c| c.id == id)).map_or(String::new(), |c| c.name.clone())
    };
    let mut t = crate::output::table(&[
        "code",
        "station",
        "location",
        "size",
        "status",
        "door",
        "controller",
        "relay",
        "sensor",
        "price/h",
        "last used",
    ]);
    for l in lockers {
        t.add_row(vec![
            l.code.clone(),
            l.station.clone(),
            l.location.clone(),
            l.size.to_string(),
            l.status.to_string(),
            l.door.to_string(),
            name(l.controller_id),
            l.relay_channel.to_string(),
            l.sensor_channel.to_string(),
            l.price_per_hour.to_string(),
            l.last_used_at.map_or(String::new(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
        ]);
    }
    super::db::say(t)
}

/// `page P of N (T lockers)` under a table.
pub fn print_page_footer<T>(page: &Paged<T>) -> anyhow::Result<()> {
    let pages = page.total.div_ceil(u64::from(page.page.limit)).max(1);
    super::db::say(format!("page {} of {pages} ({} lockers)", page.page.page, page.total))
}
