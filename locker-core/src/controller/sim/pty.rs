//! The simulator served on a real pseudo-terminal, for tests and demos of the serial path.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use super::*;

struct Shared {
    path: Mutex<String>,
    replug: AtomicBool,
    stop: AtomicBool,
}

/// The simulator served on a real pseudo-terminal: open [`PtySimulator::path`] like a
/// serial device. Stops when dropped.
pub struct PtySimulator {
    device: Arc<Mutex<Device>>,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for PtySimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PtySimulator").field("path", &self.path()).finish()
    }
}

fn open_pair() -> std::io::Result<(TTYPort, TTYPort, String)> {
    let (mut master, slave) = TTYPort::pair().map_err(std::io::Error::other)?;
    master.set_timeout(Duration::from_millis(5)).map_err(std::io::Error::other)?;
    let path = slave.name().ok_or_else(|| std::io::Error::other("pty has no name"))?;
    Ok((master, slave, path))
}

impl PtySimulator {
    /// Starts a device with `config` on a new pseudo-terminal; `faults` (seeded) apply
    /// to both directions.
    pub fn spawn(config: SimConfig, faults: LineFaults, seed: u64) -> std::io::Result<Self> {
        let device = Arc::new(Mutex::new(Device::new(config)));
        let (master, slave, path) = open_pair()?;
        let shared =
            Arc::new(Shared { path: Mutex::new(path), replug: AtomicBool::new(false), stop: AtomicBool::new(false) });
        let (d, s) = (device.clone(), shared.clone());
        let thread = std::thread::Builder::new()
            .name("locker-sim-pty".into())
            .spawn(move || serve(d, s, master, slave, faults, seed))?;
        Ok(Self { device, shared, thread: Some(thread) })
    }

    /// The pseudo-terminal path (`/dev/pts/N`).
    pub fn path(&self) -> String {
        self.shared.path.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// The simulated device, to open doors and inspect pulses.
    pub fn device(&self) -> Arc<Mutex<Device>> {
        self.device.clone()
    }

    /// Unplugs the "USB adapter": the pseudo-terminal disappears and a new one appears.
    /// Returns its path (possibly the same name again).
    pub fn replug(&self) -> std::io::Result<String> {
        self.shared.replug.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            if !self.shared.replug.load(Ordering::SeqCst) {
                // The kernel may hand out the same /dev/pts number again, as a USB
                // adapter often comes back under the same name.
                return Ok(self.path());
            }
        }
        Err(std::io::Error::other("the simulator did not come back"))
    }
}

impl Drop for PtySimulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    device: Arc<Mutex<Device>>,
    shared: Arc<Shared>,
    master: TTYPort,
    slave: TTYPort,
    faults: LineFaults,
    seed: u64,
) {
    let mut up = NoisyLine::new(faults, seed);
    let mut down = NoisyLine::new(faults, seed ^ 0x5EED);
    let mut buf = [0u8; 512];
    let mut bytes = Vec::new();
    // The simulator keeps its own slave handle open so the master never sees a hang-up
    // between two clients.
    let mut port = Some((master, slave));
    while !shared.stop.load(Ordering::SeqCst) {
        if shared.replug.load(Ordering::SeqCst) {
            // Closing both ends makes the device file vanish; clients see a hang-up.
            port = None;
            std::thread::sleep(Duration::from_millis(20));
            match open_pair() {
                Ok((m, s, path)) => {
                    port = Some((m, s));
                    if let Ok(mut p) = shared.path.lock() {
                        *p = path;
                    }
                    shared.replug.store(false, Ordering::SeqCst);
                }
                Err(_) => continue,
            }
        }
        let Some((master, _)) = port.as_mut() else { continue };
        let now = Instant::now();
        match master.read(&mut buf) {
            Ok(n) => up.push(now, &buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
        let now = Instant::now();
        bytes.clear();
        up.deliver(now, &mut bytes);
        let mut d = lock(&device);
        if !bytes.is_empty() {
            d.handle_bytes(now, &bytes);
        }
        if d.poll_timeout().is_some_and(|t| t <= now) {
            d.handle_timeout(now);
        }
        bytes.clear();
        d.poll_transmit(now, &mut bytes);
        drop(d);
        down.push(now, &bytes);
        bytes.clear();
        down.deliver(now, &mut bytes);
        if !bytes.is_empty() {
            let _ = master.write_all(&bytes);
        }
    }
}
