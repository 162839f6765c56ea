//! A link and a device wired together in virtual time (quinn's `Pair`).

use std::time::Instant;

use super::{Device, NoisyLine};
use crate::controller::link::{Engine, Link};

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
