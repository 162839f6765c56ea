//! Seeded line faults between host and device: dropped, flipped, duplicated and delayed bytes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

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
