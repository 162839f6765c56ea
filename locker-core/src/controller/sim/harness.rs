//! The simulator in-process, in real time, behind the threaded controller.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Device, LineFaults, LineStats, NoisyLine, SimConfig};
use crate::controller::io::ByteIo;
use crate::controller::link::Link;
use crate::controller::wire::ControllerEvent;

/// The in-process simulator as a byte port for [`crate::controller::io::ThreadController`], in
/// real time. Tests reach the device through [`SimIo::device`].
#[derive(Debug, Clone)]
pub struct SimIo {
    device: Arc<Mutex<Device>>,
    pending: Vec<u8>,
    up: NoisyLine,
    down: NoisyLine,
    scratch: Vec<u8>,
}

impl SimIo {
    /// A port onto a new device with `config`.
    pub fn new(config: SimConfig) -> Self {
        Self::on(Arc::new(Mutex::new(Device::new(config))), LineFaults::default(), 0)
    }

    /// A port onto an existing `device` (a host restarting against the same cabinet) over a
    /// line with `faults` in both directions, replaying from `seed`.
    pub fn on(device: Arc<Mutex<Device>>, faults: LineFaults, seed: u64) -> Self {
        Self {
            device,
            pending: Vec::new(),
            up: NoisyLine::new(faults, seed),
            down: NoisyLine::new(faults, seed ^ 0x5EED),
            scratch: Vec::new(),
        }
    }

    /// What the two directions of the line did: host to device, device to host.
    pub fn line_stats(&self) -> (LineStats, LineStats) {
        (self.up.stats, self.down.stats)
    }

    /// The shared device.
    pub fn device(&self) -> Arc<Mutex<Device>> {
        self.device.clone()
    }
}

/// Starts the in-process simulator with `config` behind a v1 [`crate::controller::io::ThreadController`]
/// (the same driver a serial port gets), and returns it with the device, through which
/// tests and demos open and shut doors by hand.
pub fn spawn_controller(
    config: SimConfig,
) -> std::io::Result<(crate::controller::io::ThreadController, Arc<Mutex<Device>>)> {
    let device = Arc::new(Mutex::new(Device::new(config)));
    let driver = spawn_controller_on(device.clone(), LineFaults::default(), 0)?;
    Ok((driver, device))
}

/// A v1 [`crate::controller::io::ThreadController`] onto an existing simulated `device`, over a
/// line with `faults` (replaying from `seed`): a host that restarts against the same
/// cabinet, or a cabinet on a noisy line.
pub fn spawn_controller_on(
    device: Arc<Mutex<Device>>,
    faults: LineFaults,
    seed: u64,
) -> std::io::Result<crate::controller::io::ThreadController> {
    let channels = u16::from(lock(&device).config().channels);
    let link = Link::new(crate::controller::link::LinkConfig {
        channels,
        first_seq: crate::controller::io::fresh_seq_seed(),
        ..crate::controller::link::LinkConfig::default()
    });
    crate::controller::io::ThreadController::spawn(Box::new(link), Box::new(SimIo::on(device, faults, seed)))
}

/// Locks a device, recovering it if a holder panicked (the state is plain data).
pub(crate) fn lock(device: &Mutex<Device>) -> std::sync::MutexGuard<'_, Device> {
    device.lock().unwrap_or_else(|e| e.into_inner())
}

impl ByteIo for SimIo {
    fn read(&mut self, buf: &mut [u8], wait: Duration) -> std::io::Result<usize> {
        let deadline = Instant::now() + wait;
        loop {
            let now = Instant::now();
            let next = {
                let mut d = lock(&self.device);
                self.scratch.clear();
                self.up.deliver(now, &mut self.scratch);
                if !self.scratch.is_empty() {
                    d.handle_bytes(now, &self.scratch);
                }
                if d.poll_timeout().is_some_and(|t| t <= now) {
                    d.handle_timeout(now);
                }
                self.scratch.clear();
                d.poll_transmit(now, &mut self.scratch);
                d.poll_timeout()
            };
            self.down.push(now, &self.scratch);
            self.down.deliver(now, &mut self.pending);
            let next = [next, self.down.next_arrival(), self.up.next_arrival()].into_iter().flatten().min();
            if !self.pending.is_empty() {
                let n = self.pending.len().min(buf.len());
                buf[..n].copy_from_slice(&self.pending[..n]);
                self.pending.drain(..n);
                return Ok(n);
            }
            if now >= deadline {
                return Ok(0);
            }
            let until = next.map_or(deadline, |t| t.min(deadline)).max(now + Duration::from_millis(1));
            // Parked rather than asleep: a new command unparks the IO thread, and an early
            // return lets it send the command now (see `ByteIo::read`).
            std::thread::park_timeout(until - now);
            if Instant::now() < until {
                return Ok(0);
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let now = Instant::now();
        self.up.push(now, bytes);
        self.scratch.clear();
        self.up.deliver(now, &mut self.scratch);
        lock(&self.device).handle_bytes(now, &self.scratch);
        Ok(())
    }

    fn poll_status(&mut self) -> Option<ControllerEvent> {
        None
    }
}
