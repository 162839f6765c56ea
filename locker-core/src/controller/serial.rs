//! Serial transport (feature `serial`): a [`ByteIo`] on the `serialport` crate that
//! reopens the device after it disappears, and [`open_controller`] to get a
//! [`ThreadController`] for any driver on a port.
//!
//! The port is owned by the controller's IO thread only. After a read or write error the
//! port is closed and reopened every [`SerialSettings::reopen_every`] without restarting
//! the process (an unplugged USB adapter); subscribers see
//! [`ControllerEvent::Disconnected`] and [`ControllerEvent::Reconnected`]. Nothing is
//! re-sent on reconnect except the link's own retry of the command in flight.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serialport::SerialPort;

use crate::cause::Cause;
use crate::controller::io::{ByteIo, ThreadController, fresh_seq_seed};
use crate::controller::link::{Engine, Link, LinkConfig, PolledLink};
use crate::controller::wire::{BoardConfig, ControllerEvent, Driver, UartError};

/// Where and how to reach a controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    /// Device path (`/dev/ttyUSB0`, a pseudo-terminal, a udev symlink).
    pub path: String,
    /// Driver family.
    pub driver: Driver,
    /// Baud rate (`None`: the driver's default).
    pub baud: Option<u32>,
    /// Board address (polled boards) .
    pub address: u8,
    /// Channel count (polled boards; v1 learns it from the configuration).
    pub channels: u16,
    /// Timeouts, retries, gap.
    pub link: LinkConfig,
    /// How often to try reopening a vanished device.
    pub reopen_every: Duration,
}

impl SerialSettings {
    /// Defaults for `driver` on `path`.
    pub fn new(path: impl Into<String>, driver: Driver) -> Self {
        Self {
            path: path.into(),
            driver,
            baud: None,
            address: if matches!(driver, Driver::Rs485Generic | Driver::ModbusRelay) { 1 } else { 0 },
            channels: match driver {
                Driver::V1 | Driver::KerongCu16 | Driver::ModbusRelay => 16,
                Driver::KerongCu12 => 12,
                Driver::Rs485Generic => 24,
            },
            link: LinkConfig::default(),
            reopen_every: Duration::from_millis(200),
        }
    }
}

/// Lists the serial ports the OS knows.
pub fn list_ports() -> Result<Vec<String>, UartError> {
    serialport::available_ports()
        .map(|ps| ps.into_iter().map(|p| p.port_name).collect())
        .map_err(|e| UartError::port("cannot list the serial ports", e))
}

/// A serial port that reopens itself.
pub struct SerialIo {
    path: String,
    baud: u32,
    port: Option<Port>,
    next_attempt: Instant,
    reopen_every: Duration,
    status: VecDeque<ControllerEvent>,
}

impl std::fmt::Debug for SerialIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialIo").field("path", &self.path).field("open", &self.port.is_some()).finish()
    }
}

/// An open port, held exclusively (one process owns the port). On Unix the exclusive
/// flag is cleared again when the port is closed, so the next owner can open it even if
/// another process (such as the simulator) keeps the device itself open.
struct Port {
    #[cfg(unix)]
    inner: serialport::TTYPort,
    #[cfg(not(unix))]
    inner: Box<dyn SerialPort>,
}

#[cfg(unix)]
impl Drop for Port {
    fn drop(&mut self) {
        let _ = self.inner.set_exclusive(false);
    }
}

fn open_port(path: &str, baud: u32) -> Result<Port, UartError> {
    if let Err(e) = std::fs::metadata(path) {
        return Err(match e.kind() {
            std::io::ErrorKind::NotFound => UartError::PortNotFound { path: path.to_owned(), source: Cause::new(e) },
            _ => UartError::port(path, e),
        });
    }
    let builder = serialport::new(path, baud).timeout(Duration::from_millis(5));
    #[cfg(unix)]
    let inner = builder.open_native();
    #[cfg(not(unix))]
    let inner = builder.open();
    inner.map(|inner| Port { inner }).map_err(|e| UartError::port(path, e))
}

impl SerialIo {
    /// Opens `path` at `baud` 8N1; a missing device is [`UartError::PortNotFound`] (its source
    /// is the OS error).
    pub fn open(path: &str, baud: u32, reopen_every: Duration) -> Result<Self, UartError> {
        let port = open_port(path, baud)?;
        Ok(Self {
            path: path.to_owned(),
            baud,
            port: Some(port),
            next_attempt: Instant::now(),
            reopen_every,
            status: VecDeque::new(),
        })
    }

    fn lost(&mut self, reason: String) {
        if self.port.take().is_some() {
            tracing::warn!(path = %self.path, %reason, "serial device lost");
            self.status.push_back(ControllerEvent::Disconnected { reason });
        }
        self.next_attempt = Instant::now() + self.reopen_every;
    }

    fn try_reopen(&mut self) {
        if self.port.is_some() || Instant::now() < self.next_attempt {
            return;
        }
        match open_port(&self.path, self.baud) {
            Ok(p) => {
                tracing::info!(path = %self.path, "serial device reopened");
                self.port = Some(p);
                self.status.push_back(ControllerEvent::Reconnected);
            }
            Err(_) => self.next_attempt = Instant::now() + self.reopen_every,
        }
    }
}

impl ByteIo for SerialIo {
    fn read(&mut self, buf: &mut [u8], wait: Duration) -> std::io::Result<usize> {
        self.try_reopen();
        let Some(Port { inner: port }) = self.port.as_mut() else {
            std::thread::sleep(wait);
            return Ok(0);
        };
        let _ = port.set_timeout(wait.max(Duration::from_millis(1)));
        match port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(0),
            Err(e) => {
                self.lost(e.to_string());
                Ok(0)
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let Some(Port { inner: port }) = self.port.as_mut() else {
            return Err(std::io::Error::other("serial device not open"));
        };
        let result = port.write_all(bytes).and_then(|()| port.flush());
        if let Err(e) = &result {
            self.lost(e.to_string());
        }
        result
    }

    fn poll_status(&mut self) -> Option<ControllerEvent> {
        self.status.pop_front()
    }
}

/// The engine for `settings.driver`.
pub fn engine_for(settings: &SerialSettings) -> Result<Box<dyn Engine>, UartError> {
    let mut link = settings.link;
    link.first_seq = fresh_seq_seed();
    let mut board = BoardConfig::new(settings.address, settings.channels);
    board.pulse_ms = link.pulse_ms;
    Ok(match settings.driver.board_codec(board)? {
        None => {
            link.channels = settings.channels;
            Box::new(Link::new(link))
        }
        Some(codec) => Box::new(PolledLink::new(link, codec)),
    })
}

/// Opens the port and starts a controller for `settings.driver` on it.
pub fn open_controller(settings: &SerialSettings) -> Result<ThreadController, UartError> {
    let engine = engine_for(settings)?;
    let baud = settings.baud.unwrap_or_else(|| settings.driver.default_baud());
    let io = SerialIo::open(&settings.path, baud, settings.reopen_every)?;
    ThreadController::spawn(engine, Box::new(io)).map_err(|e| UartError::port("cannot start the controller thread", e))
}
