//! A simulated v1 lock controller, so the CLI, tests and demos run without hardware.
//!
//! [`Device`] is sans-IO like the link: `handle_bytes(now, ..)`, `poll_transmit(now, ..)`,
//! `poll_timeout()`, `handle_timeout(now)`. It models what real cabinets do:
//!
//! - a door stays shut after an unlock until "a person" opens it ([`Device::open_door`],
//!   or automatically with [`SimConfig::person`]);
//! - a jammed channel fires its relay but the door stays shut;
//! - a door opened without an unlock (forced) is reported like any other door change;
//! - a cut sensor reads open forever, and the relay still fires;
//! - answers leave after [`SimConfig::latency`];
//! - the last answers are cached by `seq` (and contents), so a retried unlock is answered
//!   without a second pulse; entries expire after [`SimConfig::seq_cache_ttl`];
//! - events are repeated until acknowledged.
//!
//! [`NoisyLine`] adds seeded line faults (dropped, flipped, duplicated, delayed bytes) and
//! [`Pair`] wires a link and a device together in virtual time (quinn's `Pair`).
//! [`SimIo`] runs a device in-process behind the threaded controller, and with feature
//! `serial`, [`PtySimulator`] serves it on a real pseudo-terminal.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::DoorState;
use crate::driver::ByteIo;
use crate::link::{Engine, Link};
use crate::wire::ControllerEvent;
use crate::wire::v1::{self, Decoded, FrameDecoder, Kind, Request, Response, ResponseBody, ResultCode};

/// A person who opens an unlocked door after `open_after` and shuts it after `hold_open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// Delay between the relay pulse and the door opening.
    pub open_after: Duration,
    /// How long the door stays open.
    pub hold_open: Duration,
}

/// How the simulated controller behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Number of channels (1..=255).
    pub channels: u8,
    /// Channels whose lock is jammed (relay fires, door stays shut).
    pub jammed: BTreeSet<u8>,
    /// Channels whose sensor cable is cut (always reads open).
    pub cut_sensor: BTreeSet<u8>,
    /// Delay before each answer leaves.
    pub latency: Duration,
    /// Someone who opens unlocked doors, or nobody (`None`: tests open doors by hand).
    pub person: Option<Person>,
    /// How long an unlocked latch stays released.
    pub unlatch_window: Duration,
    /// How long answers stay in the `seq` cache.
    pub seq_cache_ttl: Duration,
    /// How many answers the cache holds.
    pub seq_cache_len: usize,
    /// Wait before repeating an unacknowledged event.
    pub event_retry: Duration,
    /// Give up an event after this many sends.
    pub event_tries: u32,
    /// Firmware version reported by INFO.
    pub firmware: String,
}

impl SimConfig {
    /// `channels` healthy channels, no latency, nobody around.
    pub fn new(channels: u8) -> Self {
        Self {
            channels,
            jammed: BTreeSet::new(),
            cut_sensor: BTreeSet::new(),
            latency: Duration::ZERO,
            person: None,
            unlatch_window: Duration::from_secs(5),
            seq_cache_ttl: Duration::from_secs(5),
            seq_cache_len: 32,
            event_retry: Duration::from_millis(200),
            event_tries: 20,
            firmware: "locker-sim 1.0".into(),
        }
    }
}

/// One relay pulse the device fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pulse {
    /// The `seq` of the UNLOCK request.
    pub seq: u8,
    /// The channel.
    pub channel: u8,
}

#[derive(Debug, Clone, Copy, Default)]
struct Channel {
    open: bool,
    unlatched_until: Option<Instant>,
    jammed: bool,
    cut: bool,
}

#[derive(Debug, Clone)]
struct Cached {
    seq: u8,
    cmd: u8,
    payload: Vec<u8>,
    answer: Vec<u8>,
    at: Instant,
}

#[derive(Debug, Clone)]
struct PendingEvent {
    seq: u8,
    cmd: u8,
    payload: Vec<u8>,
    next_send: Instant,
    sends: u32,
}

/// The simulated v1 controller (sans-IO).
#[derive(Debug)]
pub struct Device {
    config: SimConfig,
    channels: Vec<Channel>,
    decoder: FrameDecoder,
    cache: VecDeque<Cached>,
    outbox: VecDeque<(Instant, Vec<u8>)>,
    events: VecDeque<PendingEvent>,
    next_event_seq: u8,
    scheduled: Vec<(Instant, u8, bool)>,
    pulses: Vec<Pulse>,
    /// Frames the device dropped (bad CRC and friends).
    pub dropped: u64,
    /// Requests answered from the cache.
    pub replayed: u64,
    /// Unlocks that fired while the latch was still released by an earlier one and the
    /// door had not been opened since: a second pulse for one opening.
    pub double_pulses: u64,
    /// Unlocks that fired while the door stood open.
    pub pulses_while_open: u64,
}

impl Device {
    /// A device with `config`; every door closed.
    pub fn new(config: SimConfig) -> Self {
        let channels = (1..=config.channels)
            .map(|c| Channel {
                jammed: config.jammed.contains(&c),
                cut: config.cut_sensor.contains(&c),
                ..Channel::default()
            })
            .collect();
        Self {
            config,
            channels,
            decoder: FrameDecoder::new(),
            cache: VecDeque::new(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            next_event_seq: 0,
            scheduled: Vec::new(),
            pulses: Vec::new(),
            dropped: 0,
            replayed: 0,
            double_pulses: 0,
            pulses_while_open: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Every relay pulse fired so far, in order.
    pub fn pulses(&self) -> &[Pulse] {
        &self.pulses
    }

    /// What the sensor of `channel` reads (`Unknown` for a channel that does not exist).
    pub fn sensor(&self, channel: u8) -> DoorState {
        match self.channel(channel) {
            Some(c) if c.cut || c.open => DoorState::Open,
            Some(_) => DoorState::Closed,
            None => DoorState::Unknown,
        }
    }

    fn channel(&self, channel: u8) -> Option<&Channel> {
        self.channels.get(usize::from(channel).checked_sub(1)?)
    }

    fn channel_mut(&mut self, channel: u8) -> Option<&mut Channel> {
        self.channels.get_mut(usize::from(channel).checked_sub(1)?)
    }

    /// A person (or a crowbar) opens the door of `channel`. Without a released latch this
    /// is a forced open; the device reports it the same way, the host judges.
    pub fn open_door(&mut self, now: Instant, channel: u8) {
        let Some(c) = self.channel_mut(channel) else { return };
        if c.open {
            return;
        }
        c.open = true;
        let cut = c.cut;
        if !cut {
            self.emit(now, v1::Event::Door { channel, state: DoorState::Open });
        }
    }

    /// The door of `channel` is pushed shut; the latch engages again.
    pub fn close_door(&mut self, now: Instant, channel: u8) {
        let Some(c) = self.channel_mut(channel) else { return };
        if !c.open {
            return;
        }
        c.open = false;
        c.unlatched_until = None;
        let cut = c.cut;
        if !cut {
            self.emit(now, v1::Event::Door { channel, state: DoorState::Closed });
        }
    }

    /// `true` if the latch of `channel` is released (unlocked and not jammed) at `now`.
    pub fn is_unlatched(&self, now: Instant, channel: u8) -> bool {
        self.channel(channel).and_then(|c| c.unlatched_until).is_some_and(|t| now < t)
    }

    /// The tamper switch trips.
    pub fn tamper(&mut self, now: Instant) {
        self.emit(now, v1::Event::Tamper);
    }

    /// Reports a channel fault.
    pub fn fault(&mut self, now: Instant, channel: u8, code: u8) {
        self.emit(now, v1::Event::Fault { channel, code });
    }

    fn emit(&mut self, now: Instant, event: v1::Event) {
        let (cmd, payload) = event.to_parts();
        let seq = self.next_event_seq;
        self.next_event_seq = self.next_event_seq.wrapping_add(1);
        self.events.push_back(PendingEvent { seq, cmd, payload, next_send: now, sends: 0 });
    }

    /// Feeds bytes from the host.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        let mut frames = Vec::new();
        self.decoder.feed(bytes, |d| frames.push(d));
        for d in frames {
            match d {
                Decoded::Frame(f) => self.on_frame(now, f),
                Decoded::Dropped(_) => self.dropped += 1,
            }
        }
    }

    fn on_frame(&mut self, now: Instant, f: v1::Frame) {
        match f.kind {
            Kind::Request => self.on_request(now, f),
            Kind::Ack => {
                if self.events.front().is_some_and(|e| e.seq == f.seq && e.cmd == f.cmd) {
                    self.events.pop_front();
                }
            }
            Kind::Response | Kind::Event => self.dropped += 1,
        }
    }

    fn on_request(&mut self, now: Instant, f: v1::Frame) {
        let ttl = self.config.seq_cache_ttl;
        self.cache.retain(|c| now.saturating_duration_since(c.at) < ttl);
        if let Some(hit) = self.cache.iter().find(|c| c.seq == f.seq && c.cmd == f.cmd && c.payload == f.payload) {
            let answer = hit.answer.clone();
            self.replayed += 1;
            self.outbox.push_back((now + self.config.latency, answer));
            return;
        }
        let response = match Request::parse(f.cmd, &f.payload) {
            Some(request) => self.execute(now, f.seq, request),
            None => Response::Err(ResultCode::UnknownCmd),
        };
        let mut answer = Vec::new();
        let _ = v1::encode_parts(f.seq, Kind::Response, f.cmd, &response.payload(), &mut answer);
        self.cache.retain(|c| c.seq != f.seq);
        if self.cache.len() >= self.config.seq_cache_len {
            self.cache.pop_front();
        }
        self.cache.push_back(Cached { seq: f.seq, cmd: f.cmd, payload: f.payload, answer: answer.clone(), at: now });
        self.outbox.push_back((now + self.config.latency, answer));
    }

    fn execute(&mut self, now: Instant, seq: u8, request: Request) -> Response {
        let n = self.config.channels;
        let bad = |ch: u8| ch == 0 || ch > n;
        Response::Ok(match request {
            Request::Ping => ResponseBody::Pong,
            Request::Info => ResponseBody::Info { channels: n, firmware: self.config.firmware.clone() },
            Request::Unlock { channel, .. } if bad(channel) => return Response::Err(ResultCode::BadChannel),
            Request::Unlock { channel, .. } => {
                // The relay fires whatever the sensor says (a cut cable must not lock people out).
                self.pulses.push(Pulse { seq, channel });
                let window = self.config.unlatch_window;
                let person = self.config.person;
                let Some(c) = self.channel_mut(channel) else { return Response::Err(ResultCode::BadChannel) };
                let released = c.unlatched_until.is_some_and(|t| now < t);
                let (double, while_open) = (released && !c.open, c.open);
                if !c.jammed {
                    c.unlatched_until = Some(now + window);
                    if let (Some(p), false) = (person, c.open) {
                        self.scheduled.push((now + p.open_after, channel, true));
                        self.scheduled.push((now + p.open_after + p.hold_open, channel, false));
                    }
                }
                self.double_pulses += u64::from(double);
                self.pulses_while_open += u64::from(while_open);
                ResponseBody::Unlocked { channel }
            }
            Request::Status { channel } if bad(channel) => return Response::Err(ResultCode::BadChannel),
            Request::Status { channel } => ResponseBody::Door { channel, state: self.sensor(channel) },
            Request::StatusAll => ResponseBody::Doors((1..=n).map(|c| self.sensor(c)).collect()),
            Request::SetLed { channel, .. } if bad(channel) => return Response::Err(ResultCode::BadChannel),
            Request::SetLed { channel, .. } => ResponseBody::Led { channel },
        })
    }

    /// Appends every frame due at `now` to `buf`; `false` if there was none.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        let start = buf.len();
        while self.outbox.front().is_some_and(|(t, _)| *t <= now) {
            if let Some((_, frame)) = self.outbox.pop_front() {
                buf.extend_from_slice(&frame);
            }
        }
        let retry = self.config.event_retry;
        let tries = self.config.event_tries;
        if let Some(e) = self.events.front_mut()
            && e.next_send <= now
        {
            let _ = v1::encode_parts(e.seq, Kind::Event, e.cmd, &e.payload, buf);
            e.sends += 1;
            e.next_send = now + retry;
            if e.sends >= tries {
                self.events.pop_front();
            }
        }
        buf.len() > start
    }

    /// When the device next has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.outbox.front().map(|(t, _)| *t),
            self.events.front().map(|e| e.next_send),
            self.scheduled.iter().map(|(t, ..)| *t).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the person's scheduled actions due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<_> = self.scheduled.iter().filter(|(t, ..)| *t <= now).copied().collect();
        self.scheduled.retain(|(t, ..)| *t > now);
        for (_, channel, open) in due {
            if open {
                if self.is_unlatched(now, channel) {
                    self.open_door(now, channel);
                }
            } else {
                self.close_door(now, channel);
            }
        }
    }
}

/// Fault rates of a simulated line, each per byte.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LineFaults {
    /// Probability a byte is lost.
    pub drop: f64,
    /// Probability a byte is corrupted.
    pub flip: f64,
    /// Probability a byte arrives twice.
    pub duplicate: f64,
    /// Probability a byte (and everything behind it) is held back.
    pub delay: f64,
    /// Longest hold-back.
    pub max_delay: Duration,
}

/// Counters of what a [`NoisyLine`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Bytes offered.
    pub bytes: u64,
    /// Bytes lost.
    pub dropped: u64,
    /// Bytes corrupted.
    pub flipped: u64,
    /// Bytes doubled.
    pub duplicated: u64,
    /// Bytes held back.
    pub delayed: u64,
}

/// A deterministic pseudo-random generator (SplitMix64), so faults replay from a seed.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One direction of a serial line with seeded faults; bytes stay in order.
#[derive(Debug, Clone)]
pub struct NoisyLine {
    faults: LineFaults,
    rng: SplitMix,
    in_transit: VecDeque<(Instant, u8)>,
    /// What the line did so far.
    pub stats: LineStats,
}

impl NoisyLine {
    /// A line with `faults`, replaying from `seed`.
    pub fn new(faults: LineFaults, seed: u64) -> Self {
        Self { faults, rng: SplitMix::new(seed), in_transit: VecDeque::new(), stats: LineStats::default() }
    }

    /// A perfect line.
    pub fn clean() -> Self {
        Self::new(LineFaults::default(), 0)
    }

    /// Puts `bytes` on the line at `now`.
    pub fn push(&mut self, now: Instant, bytes: &[u8]) {
        for &b in bytes {
            self.stats.bytes += 1;
            if self.rng.next_f64() < self.faults.drop {
                self.stats.dropped += 1;
                continue;
            }
            let mut b = b;
            if self.rng.next_f64() < self.faults.flip {
                self.stats.flipped += 1;
                b ^= (self.rng.next_u64() % 255 + 1) as u8;
            }
            let mut at = self.in_transit.back().map_or(now, |(t, _)| (*t).max(now));
            if self.rng.next_f64() < self.faults.delay {
                self.stats.delayed += 1;
                let max = self.faults.max_delay.as_micros().max(1) as u64;
                at += Duration::from_micros(self.rng.next_u64() % max);
            }
            self.in_transit.push_back((at, b));
            if self.rng.next_f64() < self.faults.duplicate {
                self.stats.duplicated += 1;
                self.in_transit.push_back((at, b));
            }
        }
    }

    /// Moves every byte that has arrived by `now` into `out`.
    pub fn deliver(&mut self, now: Instant, out: &mut Vec<u8>) {
        while let Some(&(t, b)) = self.in_transit.front() {
            if t > now {
                break;
            }
            out.push(b);
            self.in_transit.pop_front();
        }
    }

    /// When the next byte arrives.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.in_transit.front().map(|(t, _)| *t)
    }
}

/// A link and a device wired by two noisy lines, in virtual time.
#[derive(Debug)]
pub struct Pair {
    /// The host side.
    pub link: Link,
    /// The simulated controller.
    pub device: Device,
    /// Host -> device.
    pub up: NoisyLine,
    /// Device -> host.
    pub down: NoisyLine,
    /// Virtual now.
    pub now: Instant,
    buf: Vec<u8>,
}

impl Pair {
    /// Wires `link` and `device` with the two lines, starting at `now`.
    pub fn new(link: Link, device: Device, up: NoisyLine, down: NoisyLine, now: Instant) -> Self {
        Self { link, device, up, down, now, buf: Vec::new() }
    }

    /// Moves bytes one hop each way at the current time; `true` if anything moved.
    pub fn step(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        self.buf.clear();
        while self.link.poll_transmit(&mut self.buf) {}
        if !self.buf.is_empty() {
            self.up.push(now, &self.buf);
            moved = true;
        }
        self.buf.clear();
        self.up.deliver(now, &mut self.buf);
        if !self.buf.is_empty() {
            self.device.handle_bytes(now, &self.buf);
            moved = true;
        }
        self.buf.clear();
        if self.device.poll_transmit(now, &mut self.buf) {
            self.down.push(now, &self.buf);
            moved = true;
        }
        self.buf.clear();
        self.down.deliver(now, &mut self.buf);
        if !self.buf.is_empty() {
            self.link.handle_bytes(now, &self.buf);
            moved = true;
        }
        moved
    }

    /// The next moment anything is scheduled.
    pub fn next_deadline(&self) -> Option<Instant> {
        [self.link.poll_timeout(), self.device.poll_timeout(), self.up.next_arrival(), self.down.next_arrival()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Steps and advances virtual time until `done` holds or nothing is scheduled before
    /// `limit`; returns whether `done` held.
    pub fn drive(&mut self, limit: Instant, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        loop {
            while self.step() {}
            if done(self) {
                return true;
            }
            let Some(next) = self.next_deadline() else { return false };
            if next > limit {
                return false;
            }
            self.now = self.now.max(next);
            let now = self.now;
            if self.link.poll_timeout().is_some_and(|t| t <= now) {
                self.link.handle_timeout(now);
            }
            if self.device.poll_timeout().is_some_and(|t| t <= now) {
                self.device.handle_timeout(now);
            }
        }
    }
}

/// The in-process simulator as a byte port for [`crate::driver::ThreadController`], in
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

/// Starts the in-process simulator with `config` behind a v1 [`crate::driver::ThreadController`]
/// (the same driver a serial port gets), and returns it with the device, through which
/// tests and demos open and shut doors by hand.
pub fn spawn_controller(config: SimConfig) -> std::io::Result<(crate::driver::ThreadController, Arc<Mutex<Device>>)> {
    let device = Arc::new(Mutex::new(Device::new(config)));
    let driver = spawn_controller_on(device.clone(), LineFaults::default(), 0)?;
    Ok((driver, device))
}

/// A v1 [`crate::driver::ThreadController`] onto an existing simulated `device`, over a
/// line with `faults` (replaying from `seed`): a host that restarts against the same
/// cabinet, or a cabinet on a noisy line.
pub fn spawn_controller_on(
    device: Arc<Mutex<Device>>,
    faults: LineFaults,
    seed: u64,
) -> std::io::Result<crate::driver::ThreadController> {
    let channels = u16::from(lock(&device).config().channels);
    let link = Link::new(crate::link::LinkConfig {
        channels,
        first_seq: crate::driver::fresh_seq_seed(),
        ..crate::link::LinkConfig::default()
    });
    crate::driver::ThreadController::spawn(Box::new(link), Box::new(SimIo::on(device, faults, seed)))
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
            std::thread::sleep(until - now);
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

#[cfg(feature = "serial")]
pub use pty::PtySimulator;

#[cfg(feature = "serial")]
mod pty {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};

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
            let shared = Arc::new(Shared {
                path: Mutex::new(path),
                replug: AtomicBool::new(false),
                stop: AtomicBool::new(false),
            });
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
}

#[cfg(test)]
#[path = "sim_tests.rs"]
mod tests;
