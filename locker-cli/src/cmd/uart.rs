//! `locker uart`: the serial line to lock controllers.
//!
//! Every command but `ports` and `simulate` opens the controller on `--port` with
//! `--driver`, runs, and closes it. Channel numbers count from 1.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::channel::mpsc::TryRecvError;
use futures::executor::block_on;
use locker_core::controller::link::LinkConfig;
use locker_core::controller::serial::{SerialSettings, list_ports, open_controller};
use locker_core::controller::sim::{LineFaults, Person, PtySimulator, SimConfig};
use locker_core::controller::wire::{
    ControllerEvent, ControllerInfo, DeviceEvent, Driver, UnlockOutcome, check_channel,
};
use locker_core::domain::DoorState;
use locker_core::ports::LockController;
use serde::Serialize;

use crate::output::{Global, table};

/// Driver names as the command line spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverArg {
    /// Our ESP32 firmware, protocol v1 (115200 baud).
    V1,
    /// Kerong CU16/KU16 (19200 baud).
    KerongCu16,
    /// Kerong CU12/DS12 (19200 baud).
    KerongCu12,
    /// Generic 8–50 channel RS-485 board (9600 baud).
    Rs485Generic,
    /// Modbus RTU relay board (9600 baud).
    ModbusRelay,
}

impl From<DriverArg> for Driver {
    fn from(d: DriverArg) -> Self {
        match d {
            DriverArg::V1 => Driver::V1,
            DriverArg::KerongCu16 => Driver::KerongCu16,
            DriverArg::KerongCu12 => Driver::KerongCu12,
            DriverArg::Rs485Generic => Driver::Rs485Generic,
            DriverArg::ModbusRelay => Driver::ModbusRelay,
        }
    }
}

/// Where the controller is and how to talk to it.
#[derive(Debug, Clone, clap::Args)]
pub struct Conn {
    /// Serial device (`/dev/ttyUSB0`, or the path `locker uart simulate` printed).
    #[arg(long, env = "LOCKER_UART_PORT")]
    port: Option<String>,
    /// Controller family.
    #[arg(long, value_enum, default_value_t = DriverArg::V1)]
    driver: DriverArg,
    /// Baud rate (default: the driver's factory setting).
    #[arg(long)]
    baud: Option<u32>,
    /// Board address on the RS-485 bus (polled boards).
    #[arg(long)]
    address: Option<u8>,
    /// Number of channels wired (polled boards; v1 reports its own).
    #[arg(long)]
    channels: Option<u16>,
    /// Answer timeout per try, in milliseconds.
    #[arg(long, default_value_t = 150)]
    timeout_ms: u64,
    /// Retries after the first try.
    #[arg(long, default_value_t = 3)]
    retries: u8,
}

impl Conn {
    fn settings(&self) -> anyhow::Result<SerialSettings> {
        let Some(port) = &self.port else {
            bail!("No serial port given: pass --port PATH (or set LOCKER_UART_PORT); `locker uart ports` lists them")
        };
        let mut s = SerialSettings::new(port.clone(), self.driver.into());
        s.baud = self.baud;
        if let Some(a) = self.address {
            s.address = a;
        }
        if let Some(c) = self.channels {
            s.channels = c;
        }
        s.link = LinkConfig {
            timeout: Duration::from_millis(self.timeout_ms),
            retries: self.retries,
            ..LinkConfig::default()
        };
        Ok(s)
    }

    /// Opens the controller and learns its channel count (v1 asks the firmware).
    fn open(&self) -> anyhow::Result<(Box<dyn LockController>, ControllerInfo)> {
        let settings = self.settings()?;
        let ctrl = open_controller(&settings).with_context(|| format!("Cannot open {}", settings.path))?;
        let info = block_on(ctrl.info()).context("The controller did not answer INFO")?;
        Ok((Box::new(ctrl), info))
    }
}

/// Subcommands of `locker uart`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the serial ports of this machine.
    Ports,
    /// Check that the controller answers, and how fast.
    Ping(Conn),
    /// Driver, firmware and channel count.
    Info(Conn),
    /// Fire the relay of one channel once.
    Unlock {
        /// Channel, from 1.
        channel: u16,
        #[command(flatten)]
        conn: Conn,
    },
    /// Door sensor of one channel, or of all.
    Status {
        /// Channel, from 1 (all channels when left out).
        channel: Option<u16>,
        #[command(flatten)]
        conn: Conn,
    },
    /// Print door, fault, tamper and power events until Ctrl-C.
    Monitor(Conn),
    /// Open every channel in turn and check the door opens and closes.
    Selftest {
        #[command(flatten)]
        conn: Conn,
        /// Seconds to wait for the door to open, and again to close.
        #[arg(long, default_value_t = 10.0)]
        wait_secs: f64,
    },
    /// Run the simulated v1 controller on a pseudo-terminal and print its path.
    Simulate(SimArgs),
}

/// Options of `locker uart simulate`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Number of channels.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u8).range(1..))]
    channels: u8,
    /// Jammed channels (relay fires, door stays shut); repeat or comma-separate.
    #[arg(long, value_delimiter = ',')]
    jam: Vec<u8>,
    /// Channels with a cut sensor cable (always read open).
    #[arg(long, value_delimiter = ',')]
    cut_sensor: Vec<u8>,
    /// Answer latency in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// A person opens an unlocked door after this many milliseconds.
    #[arg(long, default_value_t = 300)]
    person_open_ms: u64,
    /// ... and shuts it again after this many.
    #[arg(long, default_value_t = 700)]
    person_hold_ms: u64,
    /// Nobody opens doors (they stay shut after an unlock).
    #[arg(long)]
    no_person: bool,
    /// Line noise: probability per byte of each of drop, flip and duplicate.
    #[arg(long, default_value_t = 0.0)]
    noise: f64,
    /// Seed of the line noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Force this door open (no unlock) once, to try `monitor` and alerts.
    #[arg(long)]
    force_open: Option<u8>,
    /// ... this many milliseconds after start; it is shut again 500 ms later.
    #[arg(long, default_value_t = 1000)]
    force_open_after_ms: u64,
}

/// Runs `locker uart`.
pub fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Ports => ports(global),
        Command::Ping(conn) => ping(global, &conn),
        Command::Info(conn) => {
            let (_, info) = conn.open()?;
            print_info(global, &info)
        }
        Command::Unlock { channel, conn } => unlock(global, &conn, channel),
        Command::Status { channel, conn } => status(global, &conn, channel),
        Command::Monitor(conn) => monitor(global, &conn),
        Command::Selftest { conn, wait_secs } => selftest(global, &conn, Duration::from_secs_f64(wait_secs.max(0.0))),
        Command::Simulate(args) => simulate(global, args),
    }
}

fn ports(global: &Global) -> anyhow::Result<()> {
    let ports = list_ports().context("Cannot list serial ports")?;
    if global.json {
        return global.print_json(&ports);
    }
    if ports.is_empty() {
        println!("no serial ports found");
    }
    for p in ports {
        println!("{p}");
    }
    Ok(())
}

fn ping(global: &Global, conn: &Conn) -> anyhow::Result<()> {
    let settings = conn.settings()?;
    let ctrl = open_controller(&settings).with_context(|| format!("Cannot open {}", settings.path))?;
    let start = Instant::now();
    block_on(ctrl.ping()).context("No answer")?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    if global.json {
        return global
            .print_json(&serde_json::json!({ "port": settings.path, "driver": settings.driver.as_str(), "ms": ms }));
    }
    println!("pong from {} on {} in {ms:.1} ms", settings.driver, settings.path);
    Ok(())
}

fn print_info(global: &Global, info: &ControllerInfo) -> anyhow::Result<()> {
    if global.json {
        return global.print_json(info);
    }
    let mut t = table(&["driver", "firmware", "channels"]);
    t.add_row(vec![
        info.driver.clone(),
        info.firmware.clone().unwrap_or_else(|| "-".into()),
        info.channels.to_string(),
    ]);
    println!("{t}");
    Ok(())
}

fn unlock(global: &Global, conn: &Conn, channel: u16) -> anyhow::Result<()> {
    let (ctrl, info) = conn.open()?;
    check_channel(channel, info.channels)?;
    let outcome = block_on(ctrl.unlock(channel)).with_context(|| format!("Unlock of channel {channel} failed"))?;
    if global.json {
        global.print_json(&serde_json::json!({ "channel": channel, "result": outcome }))?;
    }
    match outcome {
        UnlockOutcome::Pulsed => {
            if !global.json {
                println!("channel {channel}: relay pulsed (only the door sensor tells whether it opened)");
            }
            Ok(())
        }
        UnlockOutcome::Unconfirmed { door } => {
            bail!(
                "Channel {channel}: no confirmation after the last retry (UART timeout); not pulsed again; the door reads {door}"
            )
        }
    }
}

fn status(global: &Global, conn: &Conn, channel: Option<u16>) -> anyhow::Result<()> {
    let (ctrl, info) = conn.open()?;
    let doors: Vec<(u16, DoorState)> = match channel {
        Some(ch) => {
            check_channel(ch, info.channels)?;
            vec![(ch, block_on(ctrl.door(ch)).context("Status failed")?)]
        }
        None => block_on(ctrl.doors())
            .context("Status failed")?
            .into_iter()
            .enumerate()
            .map(|(i, d)| (i as u16 + 1, d))
            .collect(),
    };
    if global.json {
        #[derive(Serialize)]
        struct Row {
            channel: u16,
            door: DoorState,
        }
        let rows: Vec<Row> = doors.into_iter().map(|(channel, door)| Row { channel, door }).collect();
        return global.print_json(&rows);
    }
    let mut t = table(&["channel", "door"]);
    for (ch, d) in doors {
        t.add_row(vec![ch.to_string(), d.to_string()]);
    }
    println!("{t}");
    Ok(())
}

/// A flag set by Ctrl-C.
fn interrupted() -> anyhow::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    ctrlc::set_handler(move || f.store(true, Ordering::SeqCst)).context("Cannot install the Ctrl-C handler")?;
    Ok(flag)
}

fn describe(event: &ControllerEvent) -> String {
    match event {
        ControllerEvent::Device { event: DeviceEvent::Door { channel, state } } => format!("door {channel} {state}"),
        ControllerEvent::Device { event: DeviceEvent::Fault { channel, code } } => {
            format!("fault on channel {channel}: code {code}")
        }
        ControllerEvent::Device { event: DeviceEvent::Tamper } => "tamper switch tripped".into(),
        ControllerEvent::Device { event: DeviceEvent::Power { percent } } => format!("battery {percent}%"),
        ControllerEvent::Disconnected { reason } => format!("serial device lost ({reason}); reopening"),
        ControllerEvent::Reconnected => "serial device reopened".into(),
    }
}

fn monitor(global: &Global, conn: &Conn) -> anyhow::Result<()> {
    let (ctrl, info) = conn.open()?;
    let stop = interrupted()?;
    let mut events = ctrl.subscribe();
    if !global.json {
        eprintln!("watching {} channels on {}; Ctrl-C to stop", info.channels, conn.port.as_deref().unwrap_or("-"));
    }
    while !stop.load(Ordering::SeqCst) {
        match events.try_recv() {
            Ok(ev) => {
                let at = chrono::Utc::now().format("%H:%M:%S%.3f");
                if global.json {
                    println!("{}", serde_json::json!({ "at": at.to_string(), "event": ev }));
                } else {
                    println!("{at}  {}", describe(&ev));
                }
            }
            Err(TryRecvError::Closed) => bail!("The controller stopped"),
            Err(TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    Ok(())
}

/// One channel's self-test verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Verdict {
    /// Opened and closed again.
    Good,
    /// Relay acknowledged, door never opened.
    Jammed,
    /// The sensor read open before the unlock (cut cable or missing magnet).
    NoSensor,
    /// Opened but was not closed within the wait.
    LeftOpen,
    /// The controller did not confirm the pulse.
    NoAnswer,
}

fn wait_door(
    events: &mut futures::channel::mpsc::UnboundedReceiver<ControllerEvent>,
    channel: u16,
    state: DoorState,
    wait: Duration,
) -> bool {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        match events.try_recv() {
            Ok(ControllerEvent::Device { event: DeviceEvent::Door { channel: c, state: s } })
                if c == channel && s == state =>
            {
                return true;
            }
            Ok(_) => {}
            Err(TryRecvError::Closed) => return false,
            Err(TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    false
}

fn selftest(global: &Global, conn: &Conn, wait: Duration) -> anyhow::Result<()> {
    let (ctrl, info) = conn.open()?;
    let mut events = ctrl.subscribe();
    let before = block_on(ctrl.doors()).context("Cannot read the doors")?;
    let bar =
        if global.json { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(info.channels.into()) };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} channel {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut results = Vec::new();
    for channel in 1..=info.channels {
        bar.set_message(channel.to_string());
        let open_before = before.get(usize::from(channel) - 1) == Some(&DoorState::Open);
        // Fire even when the sensor reads open: a cut cable must not hide a working lock.
        let verdict = match block_on(ctrl.unlock(channel)) {
            Err(_) | Ok(UnlockOutcome::Unconfirmed { .. }) => Verdict::NoAnswer,
            Ok(UnlockOutcome::Pulsed) if open_before => Verdict::NoSensor,
            Ok(UnlockOutcome::Pulsed) => {
                if !wait_door(&mut events, channel, DoorState::Open, wait) {
                    Verdict::Jammed
                } else if wait_door(&mut events, channel, DoorState::Closed, wait) {
                    Verdict::Good
                } else {
                    Verdict::LeftOpen
                }
            }
        };
        results.push((channel, verdict));
        bar.inc(1);
    }
    bar.finish_and_clear();
    if global.json {
        #[derive(Serialize)]
        struct Row {
            channel: u16,
            result: Verdict,
        }
        let rows: Vec<Row> = results.iter().map(|&(channel, result)| Row { channel, result }).collect();
        return global.print_json(&rows);
    }
    let mut t = table(&["channel", "result"]);
    for (ch, v) in &results {
        let text = match v {
            Verdict::Good => "good",
            Verdict::Jammed => "jammed",
            Verdict::NoSensor => "no sensor",
            Verdict::LeftOpen => "left open",
            Verdict::NoAnswer => "no answer",
        };
        t.add_row(vec![ch.to_string(), text.to_owned()]);
    }
    println!("{t}");
    let good = results.iter().filter(|(_, v)| *v == Verdict::Good).count();
    println!("{good} of {} channels good", results.len());
    Ok(())
}

fn simulate(global: &Global, args: SimArgs) -> anyhow::Result<()> {
    let mut config = SimConfig::new(args.channels);
    for &ch in args.jam.iter().chain(&args.cut_sensor).chain(&args.force_open) {
        check_channel(ch.into(), args.channels.into())?;
    }
    config.jammed = args.jam.iter().copied().collect();
    config.cut_sensor = args.cut_sensor.iter().copied().collect();
    config.latency = Duration::from_millis(args.latency_ms);
    if !args.no_person {
        config.person = Some(Person {
            open_after: Duration::from_millis(args.person_open_ms),
            hold_open: Duration::from_millis(args.person_hold_ms),
        });
    }
    if !(0.0..=1.0).contains(&args.noise) {
        bail!("--noise must be between 0 and 1");
    }
    let faults = LineFaults { drop: args.noise, flip: args.noise, duplicate: args.noise, ..LineFaults::default() };
    let stop = interrupted()?;
    let sim = PtySimulator::spawn(config, faults, args.seed).context("Cannot create a pseudo-terminal")?;
    if global.json {
        global.print_json(&serde_json::json!({ "path": sim.path(), "channels": args.channels }))?;
    } else {
        println!("{}", sim.path());
        eprintln!("simulated v1 controller with {} channels on {}; Ctrl-C to stop", args.channels, sim.path());
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    if let Some(channel) = args.force_open {
        let device = sim.device();
        let after = Duration::from_millis(args.force_open_after_ms);
        std::thread::spawn(move || {
            std::thread::sleep(after);
            device.lock().unwrap_or_else(|e| e.into_inner()).open_door(Instant::now(), channel);
            std::thread::sleep(Duration::from_millis(500));
            device.lock().unwrap_or_else(|e| e.into_inner()).close_door(Instant::now(), channel);
        });
    }
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
