//! The sans-IO simulated v1 device: doors, relays, sensors, people and the answer cache.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::controller::wire::v1::{self, Decoded, FrameDecoder, Kind, Request, Response, ResponseBody, ResultCode};
use crate::domain::DoorState;

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
