//! The sans-IO link layer to a lock controller: sequence numbers, timeouts, retries,
//! events. [`Link`] speaks v1 to our firmware; [`PolledLink`] drives a polled RS-485
//! board through its [`BoardCodec`]. Both implement [`Engine`], which is all an IO shell
//! (the serial thread, the simulator pair, tests) needs.
//!
//! # Driving order
//!
//! The caller owns the port and the clock and passes `now` into every call:
//!
//! 1. [`Engine::submit`] (or [`Link::send`]) queues a command and returns its [`Seq`].
//! 2. Write out every frame from [`Engine::poll_transmit`] (call until it returns `false`).
//! 3. Feed received bytes to [`Engine::handle_bytes`], in whatever chunks they come.
//! 4. When the clock passes [`Engine::poll_timeout`], call [`Engine::handle_timeout`].
//! 5. Drain [`Engine::poll_event`] after every input; then go back to 2.
//!
//! # Guarantees
//!
//! - One command in flight at a time, and the next one leaves no earlier than
//!   [`LinkConfig::inter_frame_gap`] after the previous answer (one relay at a time).
//! - v1: a request that times out is sent again with the same `seq` (the device answers a
//!   repeated `seq` from its cache without acting twice), up to [`LinkConfig::retries`]
//!   times. Answers whose `seq`/`cmd` do not match the command in flight (late duplicates)
//!   are ignored. Unsolicited events are acknowledged every time they arrive and delivered
//!   once.
//! - Polled boards cannot deduplicate, so an unlock is sent exactly once.
//! - An unlock whose outcome stays unknown after the last try is never pulsed again: the
//!   link asks `STATUS` of that channel and reports [`LinkEvent::Failed`] with
//!   [`UartError::Timeout`] and the door state it learned (`door_after`).
//!
//! ```text
//!            submit            answer              timeout, tries left
//!   Queued ---------> InFlight --------> Completed   InFlight ---> InFlight (same seq)
//!                        | timeout, no tries left
//!                        v
//!              unlock? --yes--> STATUS query --> Failed{Timeout, door_after}
//!                 | no
//!                 v
//!              Failed{Timeout}
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::controller::wire::v1::{self, Decoded, FrameDecoder, Kind, Request, Response, ResponseBody};
use crate::controller::wire::{
    BoardCodec, BoardDecode, Command, ControllerInfo, DeviceEvent, Reply, UartError, check_channel,
};
use crate::domain::DoorState;

/// A command's sequence number (on the v1 wire; a local counter for polled boards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seq(pub u8);

/// Timeouts and retries; all are configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// How long to wait for an answer before retrying.
    pub timeout: Duration,
    /// Retries after the first try (v1 only; polled boards never retry an unlock).
    pub retries: u8,
    /// Quiet time between an answer and the next command.
    pub inter_frame_gap: Duration,
    /// Relay pulse length sent with a v1 unlock.
    pub pulse_ms: u16,
    /// Highest channel; commands beyond it are refused before anything is sent.
    pub channels: u16,
    /// How long the last device event is remembered to drop its repeats.
    pub event_memory: Duration,
    /// Polled boards: how often to read all doors to notice changes (`None`: never).
    pub poll_interval: Option<Duration>,
    /// The first `seq`; shells pick a different one per run
    /// ([`crate::controller::io::fresh_seq_seed`]) so a restarted host does not hit the device's
    /// answer cache with an old `seq`.
    pub first_seq: u8,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(150),
            retries: 3,
            inter_frame_gap: Duration::from_millis(5),
            pulse_ms: 500,
            channels: 255,
            event_memory: Duration::from_secs(5),
            poll_interval: Some(Duration::from_millis(250)),
            first_seq: 0,
        }
    }
}

/// What the link tells its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// The command with `seq` was answered.
    Completed {
        /// Which command.
        seq: Seq,
        /// The answer.
        reply: Reply,
    },
    /// The command with `seq` failed: [`UartError::Timeout`] after the last retry, or the
    /// controller's refusal ([`UartError::Fault`]).
    Failed {
        /// Which command.
        seq: Seq,
        /// Why.
        error: UartError,
        /// For an unlock whose outcome is unknown: the door state a STATUS query found
        /// afterwards (`None` if that query failed as well).
        door_after: Option<DoorState>,
    },
    /// Something the controller reported unasked (or polling noticed).
    Device(DeviceEvent),
}

/// Counters for tests, benches and `monitor`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Frames sent, retries included.
    pub frames_sent: u64,
    /// Retransmissions.
    pub retries: u64,
    /// Received frames dropped (CRC, COBS, length, malformed payload).
    pub dropped: u64,
    /// Answers ignored because nothing with that `seq` was in flight.
    pub stale: u64,
    /// Device events seen again and only re-acknowledged.
    pub duplicate_events: u64,
    /// Unlocks resolved by a STATUS query.
    pub unresolved_unlocks: u64,
}

/// The sans-IO interface every link offers its IO shell (see the module docs for the
/// driving order).
pub trait Engine: Send {
    /// Queues `command`; refuses a bad channel before anything is sent.
    fn submit(&mut self, now: Instant, command: Command) -> Result<Seq, UartError>;
    /// Feeds received bytes.
    fn handle_bytes(&mut self, now: Instant, bytes: &[u8]);
    /// Appends the next frame to send to `buf`; `false` when there is none.
    fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> bool;
    /// When [`Engine::handle_timeout`] wants to be called next.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Advances timers to `now`.
    fn handle_timeout(&mut self, now: Instant);
    /// The next event for the driver.
    fn poll_event(&mut self) -> Option<LinkEvent>;
    /// Forgets partial input (after the port was reopened); commands stay queued.
    fn reset(&mut self);
    /// Counters.
    fn stats(&self) -> LinkStats;
}

/// Why a command is in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The caller asked.
    Caller,
    /// Resolving the unknown outcome of the caller's unlock `Seq`.
    Resolve(Seq),
    /// Background poll (polled boards).
    Poll,
}

#[derive(Debug, Clone)]
struct Slot<R> {
    seq: Seq,
    request: R,
    origin: Origin,
    frame: Vec<u8>,
    attempts: u8,
    deadline: Instant,
}

/// What [`Pipeline::expire`] found.
enum Expiry<R> {
    Nothing,
    Retransmit,
    Exhausted(Slot<R>),
}

/// The part both links share: a queue, one command in flight, the retry timer and the
/// inter-frame gap.
#[derive(Debug)]
struct Pipeline<R> {
    config: LinkConfig,
    next_seq: u8,
    queue: VecDeque<(Seq, R, Origin)>,
    in_flight: Option<Slot<R>>,
    quiet_until: Option<Instant>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<LinkEvent>,
    stats: LinkStats,
}

impl<R: Copy> Pipeline<R> {
    fn new(config: LinkConfig) -> Self {
        Self {
            next_seq: config.first_seq,
            config,
            queue: VecDeque::new(),
            in_flight: None,
            quiet_until: None,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            stats: LinkStats::default(),
        }
    }

    fn enqueue(&mut self, request: R, origin: Origin) -> Seq {
        let seq = Seq(self.next_seq);
        self.next_seq = self.next_seq.wrapping_add(1);
        match origin {
            Origin::Resolve(_) => self.queue.push_front((seq, request, origin)),
            _ => self.queue.push_back((seq, request, origin)),
        }
        seq
    }

    fn is_idle(&self) -> bool {
        self.in_flight.is_none() && self.queue.is_empty()
    }

    /// Starts the next queued command if nothing is in flight and the gap has passed.
    fn pump(&mut self, now: Instant, encode: impl Fn(Seq, &R, &mut Vec<u8>)) {
        if self.in_flight.is_some() || self.quiet_until.is_some_and(|t| now < t) {
            return;
        }
        let Some((seq, request, origin)) = self.queue.pop_front() else { return };
        let mut frame = Vec::new();
        encode(seq, &request, &mut frame);
        self.send_frame(frame.clone());
        self.in_flight = Some(Slot { seq, request, origin, frame, attempts: 1, deadline: now + self.config.timeout });
    }

    fn send_frame(&mut self, frame: Vec<u8>) {
        self.stats.frames_sent += 1;
        self.transmit.push_back(frame);
    }

    /// Takes the command in flight (it was answered) and starts the quiet gap.
    fn complete(&mut self, now: Instant) -> Option<Slot<R>> {
        let slot = self.in_flight.take()?;
        self.quiet_until = Some(now + self.config.inter_frame_gap);
        Some(slot)
    }

    fn expire(&mut self, now: Instant, max_attempts: impl Fn(&R) -> u8) -> Expiry<R> {
        let Some(slot) = &mut self.in_flight else { return Expiry::Nothing };
        if now < slot.deadline {
            return Expiry::Nothing;
        }
        if slot.attempts < max_attempts(&slot.request) {
            slot.attempts += 1;
            slot.deadline = now + self.config.timeout;
            let frame = slot.frame.clone();
            self.stats.retries += 1;
            self.send_frame(frame);
            return Expiry::Retransmit;
        }
        self.complete(now).map_or(Expiry::Nothing, Expiry::Exhausted)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match &self.in_flight {
            Some(slot) => Some(slot.deadline),
            None if !self.queue.is_empty() => self.quiet_until,
            None => None,
        }
    }

    /// Reports the end of a command according to why it was sent.
    fn finish(
        &mut self,
        slot: &Slot<R>,
        result: Result<Reply, UartError>,
        channel_of_unlock: Option<u16>,
        resolve: impl FnOnce(u16) -> R,
    ) {
        match (slot.origin, result) {
            (Origin::Caller, Ok(reply)) => self.events.push_back(LinkEvent::Completed { seq: slot.seq, reply }),
            (Origin::Caller, Err(UartError::Timeout)) if channel_of_unlock.is_some() => {
                let channel = channel_of_unlock.unwrap_or_default();
                self.stats.unresolved_unlocks += 1;
                self.enqueue(resolve(channel), Origin::Resolve(slot.seq));
            }
            (Origin::Caller, Err(error)) => {
                self.events.push_back(LinkEvent::Failed { seq: slot.seq, error, door_after: None })
            }
            (Origin::Resolve(unlock), result) => {
                let door_after = match result {
                    Ok(Reply::Door { state, .. }) => Some(state),
                    _ => None,
                };
                self.events.push_back(LinkEvent::Failed { seq: unlock, error: UartError::Timeout, door_after });
            }
            (Origin::Poll, _) => {}
        }
    }
}

/// The v1 link.
///
/// Driving order (quinn-style; the caller owns port and clock):
///
/// ```text
/// send(now, request) -> Seq
/// loop {
///     while poll_transmit(&mut buf) { write buf }
///     read bytes (wait at most until poll_timeout()) -> handle_bytes(now, bytes)
///     if now >= poll_timeout() { handle_timeout(now) }
///     while let Some(event) = poll_event() { ... }
/// }
/// ```
///
/// A request is retried with the same `seq`; an unlock still unanswered after the last
/// retry is followed by a STATUS query, never by another pulse (see the module docs).
#[derive(Debug)]
pub struct Link {
    pipe: Pipeline<Request>,
    decoder: FrameDecoder,
    /// The last event delivered: `seq`, `cmd`, payload and when. The device sends one event
    /// at a time and only moves on once it is acknowledged (or given up), so a repeat can
    /// only be of the last one. Remembering more would drop a new event whose 8-bit `seq`
    /// wrapped round to one seen a few seconds ago (at a busy cabinet, 256 events pass in
    /// seconds): that dropped door events and stranded rentals.
    last_event: Option<(u8, u8, Vec<u8>, Instant)>,
}

impl Link {
    /// A link with `config`.
    pub fn new(config: LinkConfig) -> Self {
        Self { pipe: Pipeline::new(config), decoder: FrameDecoder::new(), last_event: None }
    }

    /// The configuration.
    pub fn config(&self) -> &LinkConfig {
        &self.pipe.config
    }

    /// Queues a v1 request and returns its `seq`. A channel outside
    /// `1..=config.channels` is refused with [`UartError::BadChannel`].
    pub fn send(&mut self, now: Instant, request: Request) -> Result<Seq, UartError> {
        if let Request::Unlock { channel, .. } | Request::Status { channel } | Request::SetLed { channel, .. } = request
        {
            check_channel(channel.into(), self.pipe.config.channels.min(255))?;
        }
        let seq = self.pipe.enqueue(request, Origin::Caller);
        self.pump(now);
        Ok(seq)
    }

    /// `true` when nothing is queued or in flight.
    pub fn is_idle(&self) -> bool {
        self.pipe.is_idle()
    }

    fn pump(&mut self, now: Instant) {
        self.pipe.pump(now, |seq, request, out| {
            // Requests are built from checked fields; their payloads are at most 3 bytes.
            let _ = request.encode(seq.0, out);
        });
    }

    fn on_frame(&mut self, now: Instant, frame: v1::Frame) {
        match frame.kind {
            Kind::Response => self.on_response(now, frame),
            Kind::Event => self.on_event(now, frame),
            Kind::Request | Kind::Ack => self.pipe.stats.stale += 1,
        }
    }

    fn on_response(&mut self, now: Instant, frame: v1::Frame) {
        let matches =
            self.pipe.in_flight.as_ref().is_some_and(|s| s.seq.0 == frame.seq && s.request.cmd() == frame.cmd);
        if !matches {
            self.pipe.stats.stale += 1;
            return;
        }
        let Some(response) = Response::parse(frame.cmd, &frame.payload) else {
            self.pipe.stats.dropped += 1;
            return;
        };
        let Some(slot) = self.pipe.complete(now) else { return };
        if let Response::Ok(ResponseBody::Info { channels, .. }) = &response {
            // The firmware knows its channel count better than any configuration.
            self.pipe.config.channels = (*channels).into();
        }
        let result = match response {
            Response::Ok(body) => Ok(reply_from_body(body)),
            Response::Err(code) => Err(UartError::Fault(code.as_str().to_owned())),
        };
        self.pipe.finish(&slot, result, None, |channel| Request::Status { channel: channel as u8 });
        self.pump(now);
    }

    fn on_event(&mut self, now: Instant, frame: v1::Frame) {
        let Some(event) = v1::Event::parse(frame.cmd, &frame.payload) else {
            self.pipe.stats.dropped += 1;
            return;
        };
        let mut ack = Vec::new();
        let _ = v1::encode_parts(frame.seq, Kind::Ack, frame.cmd, &[], &mut ack);
        self.pipe.send_frame(ack);
        let memory = self.pipe.config.event_memory;
        let repeat = self.last_event.as_ref().is_some_and(|(seq, cmd, payload, at)| {
            *seq == frame.seq
                && *cmd == frame.cmd
                && *payload == frame.payload
                && now.saturating_duration_since(*at) < memory
        });
        if repeat {
            self.pipe.stats.duplicate_events += 1;
            return;
        }
        self.last_event = Some((frame.seq, frame.cmd, frame.payload.clone(), now));
        self.pipe.events.push_back(LinkEvent::Device(event.to_device_event()));
    }
}

/// A v1 response body in driver-neutral form.
fn reply_from_body(body: ResponseBody) -> Reply {
    match body {
        ResponseBody::Pong | ResponseBody::Led { .. } => Reply::Pong,
        ResponseBody::Info { channels, firmware } => {
            Reply::Info(ControllerInfo { driver: "v1".into(), firmware: Some(firmware), channels: channels.into() })
        }
        ResponseBody::Unlocked { channel } => Reply::Unlocked { channel: channel.into() },
        ResponseBody::Door { channel, state } => Reply::Door { channel: channel.into(), state },
        ResponseBody::Doors(doors) => Reply::Doors(doors),
    }
}

impl Engine for Link {
    fn submit(&mut self, now: Instant, command: Command) -> Result<Seq, UartError> {
        let narrow = |channel: u16| check_channel(channel, self.pipe.config.channels.min(255)).map(|()| channel as u8);
        let request = match command {
            Command::Ping => Request::Ping,
            Command::Info => Request::Info,
            Command::Unlock { channel } => {
                Request::Unlock { channel: narrow(channel)?, pulse_ms: self.pipe.config.pulse_ms }
            }
            Command::Status { channel } => Request::Status { channel: narrow(channel)? },
            Command::StatusAll => Request::StatusAll,
        };
        self.send(now, request)
    }

    fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        let mut frames = Vec::new();
        let mut dropped = 0;
        self.decoder.feed(bytes, |d| match d {
            Decoded::Frame(f) => frames.push(f),
            Decoded::Dropped(reason) => {
                dropped += 1;
                tracing::debug!(%reason, "v1 frame dropped");
            }
        });
        self.pipe.stats.dropped += dropped;
        for frame in frames {
            self.on_frame(now, frame);
        }
    }

    fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> bool {
        self.pipe.transmit.pop_front().map(|f| buf.extend_from_slice(&f)).is_some()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.pipe.poll_timeout()
    }

    fn handle_timeout(&mut self, now: Instant) {
        let tries = 1 + self.pipe.config.retries;
        if let Expiry::Exhausted(slot) = self.pipe.expire(now, |_| tries) {
            let unlock = match slot.request {
                Request::Unlock { channel, .. } => Some(u16::from(channel)),
                _ => None,
            };
            self.pipe
                .finish(&slot, Err(UartError::Timeout), unlock, |channel| Request::Status { channel: channel as u8 });
        }
        self.pump(now);
    }

    fn poll_event(&mut self) -> Option<LinkEvent> {
        self.pipe.events.pop_front()
    }

    fn reset(&mut self) {
        self.decoder.reset();
    }

    fn stats(&self) -> LinkStats {
        self.pipe.stats
    }
}

/// The link to a polled RS-485 board (see the module docs for the driving order).
///
/// `Ping` is a read of all doors; `Info` is answered from the configuration. When
/// [`LinkConfig::poll_interval`] is set, the link reads all doors while idle and reports
/// changes as [`DeviceEvent::Door`] events.
pub struct PolledLink {
    pipe: Pipeline<(Command, Command)>,
    codec: Box<dyn BoardCodec>,
    rx: Vec<u8>,
    last_doors: Option<Vec<DoorState>>,
    next_poll: Option<Instant>,
}

impl std::fmt::Debug for PolledLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolledLink").field("driver", &self.codec.driver()).field("pipe", &self.pipe).finish()
    }
}

impl PolledLink {
    /// A link to the board behind `codec`. The channel count comes from the codec.
    pub fn new(mut config: LinkConfig, codec: Box<dyn BoardCodec>) -> Self {
        config.channels = codec.config().channels;
        Self { pipe: Pipeline::new(config), codec, rx: Vec::new(), last_doors: None, next_poll: None }
    }

    fn pump(&mut self, now: Instant) {
        if self.pipe.is_idle()
            && let Some(interval) = self.pipe.config.poll_interval
        {
            match self.next_poll {
                Some(t) if now < t => {}
                Some(_) => {
                    self.pipe.enqueue((Command::StatusAll, Command::StatusAll), Origin::Poll);
                    self.next_poll = Some(now + interval);
                }
                None => self.next_poll = Some(now + interval),
            }
        }
        let codec = &self.codec;
        self.pipe.pump(now, |_, (_, wire), out| {
            // Commands were checked by `submit`.
            let _ = codec.encode(*wire, out);
        });
    }

    fn noticed(&mut self, doors: &[DoorState]) {
        if let Some(before) = &self.last_doors {
            for (i, (old, new)) in before.iter().zip(doors).enumerate() {
                if old != new {
                    let channel = i as u16 + 1;
                    self.pipe.events.push_back(LinkEvent::Device(DeviceEvent::Door { channel, state: *new }));
                }
            }
        }
        self.last_doors = Some(doors.to_vec());
    }

    fn on_answer(&mut self, now: Instant, result: Result<Reply, UartError>) {
        let Some(slot) = self.pipe.complete(now) else { return };
        let (asked, _) = slot.request;
        let result = result.map(|reply| match (asked, reply) {
            (Command::Ping, _) => Reply::Pong,
            (_, reply) => reply,
        });
        if let Ok(Reply::Doors(doors)) = &result {
            let doors = doors.clone();
            self.noticed(&doors);
        }
        self.pipe.finish(&slot, result, None, |channel| (Command::Status { channel }, Command::Status { channel }));
        self.pump(now);
    }
}

impl Engine for PolledLink {
    fn submit(&mut self, now: Instant, command: Command) -> Result<Seq, UartError> {
        let wire = match command {
            Command::Info => {
                let seq = self.pipe.enqueue((command, command), Origin::Caller);
                self.pipe.queue.retain(|(s, ..)| *s != seq);
                let c = self.codec.config();
                let info = ControllerInfo {
                    driver: self.codec.driver().as_str().into(),
                    firmware: None,
                    channels: c.channels,
                };
                self.pipe.events.push_back(LinkEvent::Completed { seq, reply: Reply::Info(info) });
                return Ok(seq);
            }
            Command::Ping => Command::StatusAll,
            other => other,
        };
        // Validate by encoding once; the bytes are built again when the command is sent.
        self.codec.encode(wire, &mut Vec::new())?;
        let seq = self.pipe.enqueue((command, wire), Origin::Caller);
        self.pump(now);
        Ok(seq)
    }

    fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        let Some(slot) = &self.pipe.in_flight else {
            // Polled boards never talk unasked: anything now is line noise.
            self.pipe.stats.stale += 1;
            return;
        };
        let (asked, wire) = slot.request;
        self.rx.extend_from_slice(bytes);
        loop {
            match self.codec.decode(wire, &self.rx) {
                BoardDecode::NeedMore => return,
                BoardDecode::Garbage { skip } => {
                    self.pipe.stats.dropped += 1;
                    self.rx.drain(..skip.min(self.rx.len()));
                }
                BoardDecode::Failed { error, used } => {
                    self.rx.clear();
                    let _ = used;
                    return self.on_answer(now, Err(error));
                }
                BoardDecode::Reply { reply, used } => {
                    let _ = used;
                    self.rx.clear();
                    let reply = match (asked, reply) {
                        (Command::Status { channel }, Reply::Doors(doors)) => {
                            let state =
                                doors.get(usize::from(channel).wrapping_sub(1)).copied().unwrap_or(DoorState::Unknown);
                            Reply::Door { channel, state }
                        }
                        (_, reply) => reply,
                    };
                    return self.on_answer(now, Ok(reply));
                }
            }
        }
    }

    fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> bool {
        self.pipe.transmit.pop_front().map(|f| buf.extend_from_slice(&f)).is_some()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match (self.pipe.poll_timeout(), self.next_poll) {
            (Some(a), Some(b)) if self.pipe.is_idle() => Some(a.min(b)),
            (None, Some(b)) if self.pipe.is_idle() => Some(b),
            (a, _) => a,
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let retries = self.pipe.config.retries;
        let expiry = self.pipe.expire(now, |(_, wire)| match wire {
            Command::Unlock { .. } => 1,
            _ => 1 + retries,
        });
        if let Expiry::Exhausted(slot) = expiry {
            self.rx.clear();
            let unlock = match slot.request.1 {
                Command::Unlock { channel } => Some(channel),
                _ => None,
            };
            self.pipe.finish(&slot, Err(UartError::Timeout), unlock, |channel| {
                (Command::Status { channel }, Command::Status { channel })
            });
        }
        self.pump(now);
    }

    fn poll_event(&mut self) -> Option<LinkEvent> {
        self.pipe.events.pop_front()
    }

    fn reset(&mut self) {
        self.rx.clear();
    }

    fn stats(&self) -> LinkStats {
        self.pipe.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::wire::{BoardConfig, Driver};

    fn t0() -> Instant {
        Instant::now()
    }

    fn drain_tx(e: &mut dyn Engine) -> Vec<u8> {
        let mut out = Vec::new();
        while e.poll_transmit(&mut out) {}
        out
    }

    #[test]
    fn v1_retries_with_the_same_seq_then_resolves_unlock_by_status() {
        let now = t0();
        let cfg = LinkConfig { retries: 2, ..LinkConfig::default() };
        let mut link = Link::new(cfg);
        let seq = link.send(now, Request::Unlock { channel: 3, pulse_ms: 500 }).unwrap();
        let first = drain_tx(&mut link);
        let mut t;
        for _ in 0..2 {
            t = link.poll_timeout().unwrap();
            link.handle_timeout(t);
            assert_eq!(drain_tx(&mut link), first, "a retry is the same frame, same seq");
        }
        t = link.poll_timeout().unwrap();
        link.handle_timeout(t);
        assert_eq!(link.poll_event(), None);
        // Not a fourth pulse: a STATUS query for channel 3 after the gap.
        let mut tx = drain_tx(&mut link);
        if tx.is_empty() {
            t = link.poll_timeout().unwrap();
            link.handle_timeout(t);
            tx = drain_tx(&mut link);
        }
        let mut frames = Vec::new();
        FrameDecoder::new().feed(&tx, |d| frames.push(d));
        let Decoded::Frame(status) = &frames[0] else { panic!() };
        assert_eq!(Request::parse(status.cmd, &status.payload), Some(Request::Status { channel: 3 }));
        // The device answers: the unlock is reported as a timeout with the door state.
        let mut answer = Vec::new();
        let body = Response::Ok(ResponseBody::Door { channel: 3, state: DoorState::Open }).payload();
        v1::encode_parts(status.seq, Kind::Response, status.cmd, &body, &mut answer).unwrap();
        link.handle_bytes(t, &answer);
        assert_eq!(
            link.poll_event(),
            Some(LinkEvent::Failed { seq, error: UartError::Timeout, door_after: Some(DoorState::Open) })
        );
        assert_eq!(link.stats().unresolved_unlocks, 1);
    }

    #[test]
    fn duplicate_answers_and_events_are_ignored_but_events_reacked() {
        let now = t0();
        let mut link = Link::new(LinkConfig::default());
        let seq = link.send(now, Request::Ping).unwrap();
        drain_tx(&mut link);
        let mut pong = Vec::new();
        v1::encode_parts(seq.0, Kind::Response, v1::cmd::PING, &[0], &mut pong).unwrap();
        link.handle_bytes(now, &pong);
        link.handle_bytes(now, &pong);
        assert_eq!(link.poll_event(), Some(LinkEvent::Completed { seq, reply: Reply::Pong }));
        assert_eq!(link.poll_event(), None);
        assert_eq!(link.stats().stale, 1);
        let mut ev = Vec::new();
        let (c, p) = v1::Event::Tamper.to_parts();
        v1::encode_parts(42, Kind::Event, c, &p, &mut ev).unwrap();
        link.handle_bytes(now, &ev);
        link.handle_bytes(now, &ev);
        assert_eq!(link.poll_event(), Some(LinkEvent::Device(DeviceEvent::Tamper)));
        assert_eq!(link.poll_event(), None);
        let mut ack = Vec::new();
        v1::encode_parts(42, Kind::Ack, c, &[], &mut ack).unwrap();
        assert_eq!(drain_tx(&mut link), [ack.clone(), ack].concat(), "every copy is acknowledged");
    }

    /// The stranded-rental defect of issue 13: at a busy cabinet the device's 8-bit event
    /// `seq` wraps within seconds; a new door event that reuses a `seq` seen earlier must
    /// still be delivered.
    #[test]
    fn a_new_event_whose_seq_wrapped_round_is_delivered() {
        let now = t0();
        let mut link = Link::new(LinkConfig::default());
        let door = |seq: u8, channel: u8, state: DoorState, link: &mut Link| {
            let (c, p) = v1::Event::Door { channel, state }.to_parts();
            let mut ev = Vec::new();
            v1::encode_parts(seq, Kind::Event, c, &p, &mut ev).unwrap();
            link.handle_bytes(now, &ev);
        };
        let mut delivered = 0;
        for i in 0..600u32 {
            let state = if i % 2 == 0 { DoorState::Open } else { DoorState::Closed };
            door(i as u8, (i % 24) as u8 + 1, state, &mut link);
            while let Some(LinkEvent::Device(_)) = link.poll_event() {
                delivered += 1;
            }
        }
        assert_eq!(
            delivered,
            600,
            "every distinct event is delivered once (duplicates seen: {})",
            link.stats().duplicate_events
        );
        // A true repeat (the ack was lost) is still dropped.
        door(599u32 as u8, (599 % 24) as u8 + 1, DoorState::Closed, &mut link);
        assert_eq!(link.poll_event(), None);
    }

    #[test]
    fn bad_channel_is_refused_before_sending() {
        let mut link = Link::new(LinkConfig { channels: 16, ..LinkConfig::default() });
        assert_eq!(
            link.submit(t0(), Command::Unlock { channel: 17 }),
            Err(UartError::BadChannel { channel: 17, max: 16 })
        );
        assert!(drain_tx(&mut link).is_empty());
    }

    #[test]
    fn polled_unlock_is_sent_once_and_changes_become_events() {
        let now = t0();
        let codec = Driver::KerongCu16.board_codec(BoardConfig::new(0, 16)).unwrap().unwrap();
        let cfg = LinkConfig { poll_interval: Some(Duration::from_millis(100)), ..LinkConfig::default() };
        let mut link = PolledLink::new(cfg, codec);
        let seq = link.submit(now, Command::Unlock { channel: 1 }).unwrap();
        assert_eq!(drain_tx(&mut link), [0x02, 0x00, 0x31, 0x03, 0x36]);
        let t = link.poll_timeout().unwrap();
        link.handle_timeout(t);
        // No second pulse: the next frame is a status query of lock 1.
        let mut tx = drain_tx(&mut link);
        if tx.is_empty() {
            link.handle_timeout(link.poll_timeout().unwrap());
            tx = drain_tx(&mut link);
        }
        assert_eq!(tx, [0x02, 0x00, 0x30, 0x03, 0x35]);
        link.handle_bytes(t, &[0x02, 0x00, 0x30, 0x01, 0x03, 0x36]);
        assert_eq!(
            link.poll_event(),
            Some(LinkEvent::Failed { seq, error: UartError::Timeout, door_after: Some(DoorState::Open) })
        );
        // Idle polling reports a change.
        let all = |d0: u8| {
            let mut f = vec![0x02, 0xF0, 0x32, d0, 0x00, 0x03];
            f.push(crate::controller::wire::sum8(&f));
            f
        };
        let mut t = t;
        for d0 in [0b00, 0b10] {
            while drain_tx(&mut link).is_empty() {
                t = link.poll_timeout().unwrap();
                link.handle_timeout(t);
            }
            link.handle_bytes(t, &all(d0));
        }
        assert_eq!(
            link.poll_event(),
            Some(LinkEvent::Device(DeviceEvent::Door { channel: 2, state: DoorState::Open }))
        );
    }
}
