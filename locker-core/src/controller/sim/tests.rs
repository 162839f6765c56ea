//! Link + simulator in virtual time (quinn-style `Pair`), with seeded line faults.

use std::time::{Duration, Instant};

use super::*;
use crate::controller::link::{Engine, Link, LinkConfig, LinkEvent, Seq};
use crate::controller::wire::v1::Request;
use crate::controller::wire::{DeviceEvent, Reply, UartError};
use crate::domain::DoorState;

fn pair(config: SimConfig, link: LinkConfig, up: NoisyLine, down: NoisyLine) -> Pair {
    Pair::new(Link::new(link), Device::new(config), up, down, Instant::now())
}

/// Sends `request` and drives until it ends; returns its end and the device events seen.
fn run(p: &mut Pair, request: Request) -> (LinkEvent, Vec<DeviceEvent>) {
    let seq = p.link.send(p.now, request).unwrap();
    let mut end = None;
    let mut events = Vec::new();
    let limit = p.now + Duration::from_secs(60);
    let finished = p.drive(limit, |p| {
        while let Some(ev) = p.link.poll_event() {
            match ev {
                LinkEvent::Device(e) => events.push(e),
                LinkEvent::Completed { seq: s, .. } | LinkEvent::Failed { seq: s, .. } => {
                    assert_eq!(s, seq, "an end for a command that is not in flight: {ev:?}");
                    end = Some(ev);
                }
            }
        }
        end.is_some()
    });
    assert!(finished, "command never ended");
    (end.unwrap_or(LinkEvent::Failed { seq: Seq(0), error: UartError::Timeout, door_after: None }), events)
}

/// Drives for `span` of virtual time, collecting device events.
fn idle(p: &mut Pair, span: Duration) -> Vec<DeviceEvent> {
    let mut events = Vec::new();
    let limit = p.now + span;
    p.drive(limit, |p| {
        while let Some(ev) = p.link.poll_event() {
            if let LinkEvent::Device(e) = ev {
                events.push(e);
            }
        }
        false
    });
    p.now = p.now.max(limit);
    events
}

#[test]
fn ten_thousand_unlocks_over_a_noisy_line() {
    let faults = LineFaults { drop: 0.01, flip: 0.01, duplicate: 0.01, ..LineFaults::default() };
    let link = LinkConfig { timeout: Duration::from_millis(40), retries: 4, channels: 16, ..LinkConfig::default() };
    let sim = SimConfig { latency: Duration::from_millis(2), ..SimConfig::new(16) };
    let mut p = pair(sim, link, NoisyLine::new(faults, 0xA11CE), NoisyLine::new(faults, 0xB0B));
    let mut rng = SplitMix::new(42);
    let (mut completed, mut timeouts, mut unconfirmed, mut wrong, mut double) = (0u32, 0u32, 0u32, 0u32, 0u32);
    const N: u32 = 10_000;
    for _ in 0..N {
        let channel = (rng.next_u64() % 16 + 1) as u8;
        let before = p.device.pulses().len();
        let (end, _) = run(&mut p, Request::Unlock { channel, pulse_ms: 300 });
        let fired = &p.device.pulses()[before..];
        if fired.len() > 1 {
            double += 1;
        }
        if fired.iter().any(|pulse| pulse.channel != channel) {
            wrong += 1;
        }
        match end {
            LinkEvent::Completed { reply: Reply::Unlocked { channel: c }, .. } => {
                assert_eq!(c, u16::from(channel));
                assert_eq!(fired.len(), 1, "a confirmed unlock fired exactly once");
                completed += 1;
            }
            LinkEvent::Failed { error: UartError::Timeout, door_after, .. } => {
                timeouts += 1;
                if door_after.is_some() {
                    unconfirmed += 1;
                }
            }
            other => panic!("unexpected end {other:?}"),
        }
    }
    let s = p.link.stats();
    println!(
        "10,000 unlocks, 1% drop/flip/dup per byte: completed {completed} ({:.2}%), UART_TIMEOUT {timeouts} \
         (of which resolved by STATUS {unconfirmed}); pulses {}, wrong {wrong}, double {double}; \
         link retries {}, frames dropped {}, stale answers {}; device replays from seq cache {}; \
         line up {:?}, down {:?}",
        100.0 * f64::from(completed) / f64::from(N),
        p.device.pulses().len(),
        s.retries,
        s.dropped,
        s.stale,
        p.device.replayed,
        p.up.stats,
        p.down.stats,
    );
    assert_eq!(wrong, 0, "a wrong command was executed");
    assert_eq!(double, 0, "a command was pulsed twice");
    assert_eq!(completed + timeouts, N, "every command completed or timed out");
    assert!(p.device.replayed > 0, "the fault mix must exercise the seq cache");
    assert!(s.dropped > 0 && s.retries > 0, "the fault mix must exercise CRC drops and retries");
    assert!(completed > N * 9 / 10, "completion rate too low: {completed}");
}

#[test]
fn retried_unlock_is_answered_from_cache_not_fired_again() {
    let lossy = NoisyLine::new(LineFaults { drop: 1.0, ..LineFaults::default() }, 1);
    let mut p = pair(SimConfig::new(8), LinkConfig::default(), NoisyLine::clean(), lossy);
    let seq = p.link.send(p.now, Request::Unlock { channel: 2, pulse_ms: 500 }).unwrap();
    let limit = p.now + Duration::from_millis(200);
    p.drive(limit, |p| p.link.stats().retries >= 1);
    p.down = NoisyLine::clean();
    let mut end = None;
    let limit = p.now + Duration::from_secs(5);
    p.drive(limit, |p| {
        end = p.link.poll_event();
        end.is_some()
    });
    assert_eq!(end, Some(LinkEvent::Completed { seq, reply: Reply::Unlocked { channel: 2 } }));
    assert_eq!(p.device.pulses(), [Pulse { seq: seq.0, channel: 2 }]);
    assert!(p.device.replayed >= 1);
}

#[test]
fn dead_line_unlock_times_out_without_a_second_pulse() {
    let dead_down = NoisyLine::new(LineFaults { drop: 1.0, ..LineFaults::default() }, 3);
    let mut p = pair(SimConfig::new(8), LinkConfig::default(), NoisyLine::clean(), dead_down);
    let (end, _) = run(&mut p, Request::Unlock { channel: 1, pulse_ms: 500 });
    assert!(matches!(end, LinkEvent::Failed { error: UartError::Timeout, door_after: None, .. }));
    assert_eq!(p.device.pulses().len(), 1, "retries hit the cache; the STATUS query pulses nothing");
}

#[test]
fn person_opens_and_closes_an_unlocked_door() {
    let person = Person { open_after: Duration::from_millis(300), hold_open: Duration::from_secs(2) };
    let mut p = pair(
        SimConfig { person: Some(person), ..SimConfig::new(8) },
        LinkConfig::default(),
        NoisyLine::clean(),
        NoisyLine::clean(),
    );
    let before = idle(&mut p, Duration::from_secs(1));
    assert!(before.is_empty(), "nothing opens by itself");
    let (end, _) = run(&mut p, Request::Unlock { channel: 3, pulse_ms: 500 });
    assert!(matches!(end, LinkEvent::Completed { reply: Reply::Unlocked { channel: 3 }, .. }));
    let events = idle(&mut p, Duration::from_secs(3));
    assert_eq!(
        events,
        [
            DeviceEvent::Door { channel: 3, state: DoorState::Open },
            DeviceEvent::Door { channel: 3, state: DoorState::Closed }
        ]
    );
}

#[test]
fn jammed_lock_fires_but_the_door_stays_shut() {
    let person = Person { open_after: Duration::from_millis(100), hold_open: Duration::from_secs(1) };
    let sim = SimConfig { person: Some(person), jammed: [4].into(), ..SimConfig::new(8) };
    let mut p = pair(sim, LinkConfig::default(), NoisyLine::clean(), NoisyLine::clean());
    let (end, _) = run(&mut p, Request::Unlock { channel: 4, pulse_ms: 500 });
    assert!(matches!(end, LinkEvent::Completed { .. }));
    assert_eq!(p.device.pulses().len(), 1);
    assert!(idle(&mut p, Duration::from_secs(3)).is_empty());
    let (end, _) = run(&mut p, Request::Status { channel: 4 });
    assert_eq!(end, LinkEvent::Completed { seq: Seq(1), reply: Reply::Door { channel: 4, state: DoorState::Closed } });
}

#[test]
fn cut_sensor_reads_open_and_the_relay_still_fires() {
    let sim = SimConfig { cut_sensor: [5].into(), ..SimConfig::new(8) };
    let mut p = pair(sim, LinkConfig::default(), NoisyLine::clean(), NoisyLine::clean());
    let (end, _) = run(&mut p, Request::Status { channel: 5 });
    assert!(matches!(end, LinkEvent::Completed { reply: Reply::Door { state: DoorState::Open, .. }, .. }));
    let (end, _) = run(&mut p, Request::Unlock { channel: 5, pulse_ms: 500 });
    assert!(matches!(end, LinkEvent::Completed { reply: Reply::Unlocked { channel: 5 }, .. }));
    assert_eq!(p.device.pulses()[0].channel, 5);
}

#[test]
fn forced_open_is_delivered_once_although_acks_are_lost() {
    // Acks get lost on the way up, so the device repeats its events; the host delivers
    // each once and acknowledges every copy.
    let lossy_up = LineFaults { drop: 0.3, ..LineFaults::default() };
    let dup_down = LineFaults { duplicate: 0.03, ..LineFaults::default() };
    let mut p =
        pair(SimConfig::new(8), LinkConfig::default(), NoisyLine::new(lossy_up, 5), NoisyLine::new(dup_down, 6));
    let now = p.now;
    p.device.open_door(now, 6);
    p.device.tamper(now);
    let events = idle(&mut p, Duration::from_secs(10));
    assert_eq!(events, [DeviceEvent::Door { channel: 6, state: DoorState::Open }, DeviceEvent::Tamper]);
    assert!(p.link.stats().duplicate_events > 0, "the repeats must have been seen: {:?}", p.link.stats());
}

#[test]
fn bad_channel_gets_a_typed_error_from_link_and_device() {
    let mut p = pair(
        SimConfig::new(8),
        LinkConfig { channels: 8, ..LinkConfig::default() },
        NoisyLine::clean(),
        NoisyLine::clean(),
    );
    assert_eq!(
        p.link.send(p.now, Request::Unlock { channel: 9, pulse_ms: 1 }),
        Err(UartError::BadChannel { channel: 9, max: 8 })
    );
    // A link configured for more channels than the device has: the device refuses.
    let mut p = pair(SimConfig::new(8), LinkConfig::default(), NoisyLine::clean(), NoisyLine::clean());
    let (end, _) = run(&mut p, Request::Unlock { channel: 9, pulse_ms: 1 });
    assert!(matches!(end, LinkEvent::Failed { error: UartError::Fault(ref m), .. } if m == "BAD_CHANNEL"));
    assert!(p.device.pulses().is_empty());
}

#[test]
fn delayed_bytes_still_complete() {
    let slow = LineFaults { delay: 0.05, max_delay: Duration::from_millis(30), ..LineFaults::default() };
    let mut p = pair(SimConfig::new(8), LinkConfig::default(), NoisyLine::new(slow, 8), NoisyLine::new(slow, 9));
    for ch in 1..=8 {
        let (end, _) = run(&mut p, Request::Unlock { channel: ch, pulse_ms: 100 });
        assert!(matches!(end, LinkEvent::Completed { .. }), "{end:?}");
    }
    assert_eq!(p.device.pulses().len(), 8);
}
