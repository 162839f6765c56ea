//! `wire/*`: v1 frame encode/decode throughput, board codecs, and the link round trip
//! against the in-process simulator. Baselines in the same run: decoding with the
//! obvious "split on 0x00, `cobs::decode_vec`, parse" approach, and a bitwise CRC.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use locker_core::controller::link::{Engine, Link, LinkConfig, LinkEvent};
use locker_core::controller::sim::{Device, NoisyLine, Pair, SimConfig};
use locker_core::controller::wire::v1::{self, Decoded, Frame, FrameDecoder, Kind, Request, Response, ResponseBody};
use locker_core::controller::wire::{BoardCodec, BoardConfig, BoardDecode, Command, Driver};

/// A stream of `n` unlock requests and status-all responses, as the line carries them.
fn stream(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        Request::Unlock { channel: (i % 16) as u8 + 1, pulse_ms: 500 }.encode(i as u8, &mut out).unwrap();
        let body = Response::Ok(ResponseBody::Doors(vec![locker_core::domain::DoorState::Closed; 16])).payload();
        v1::encode_parts(i as u8, Kind::Response, v1::cmd::STATUS_ALL, &body, &mut out).unwrap();
    }
    out
}

fn bitwise_crc(data: &[u8]) -> u16 {
    let mut crc = 0xFFFFu16;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

fn print_wire_facts() {
    let mut req = Vec::new();
    Request::Unlock { channel: 3, pulse_ms: 500 }.encode(7, &mut req).unwrap();
    let mut resp = Vec::new();
    v1::encode_parts(
        7,
        Kind::Response,
        v1::cmd::UNLOCK,
        &Response::Ok(ResponseBody::Unlocked { channel: 3 }).payload(),
        &mut resp,
    )
    .unwrap();
    let payload = 3 + 2; // unlock: channel + pulse_ms; response: result + channel
    let total = req.len() + resp.len();
    // 8N1: 10 bits per byte.
    let wire_us = total as f64 * 10.0 / 115_200.0 * 1e6;
    eprintln!(
        "wire facts: unlock request {} bytes + response {} bytes = {total} on the line for {payload} payload bytes \
         (v1 overhead {} bytes per unlock round trip); wire time at 115200 8N1 = {wire_us:.0} µs",
        req.len(),
        resp.len(),
        total - payload
    );
}

/// One unlock round trip through link and simulator over clean lines, virtual time.
fn round_trip(pair: &mut Pair, channel: u8) {
    let seq = pair.link.send(pair.now, Request::Unlock { channel, pulse_ms: 500 }).unwrap();
    let limit = pair.now + Duration::from_secs(1);
    let done =
        pair.drive(limit, |p| matches!(p.link.poll_event(), Some(LinkEvent::Completed { seq: s, .. }) if s == seq));
    assert!(done);
}

/// Registers the `wire/*` benches.
pub fn define(c: &mut Criterion) {
    print_wire_facts();
    let mut g = c.benchmark_group("wire/v1");

    let mut frame_bytes = Vec::new();
    Request::Unlock { channel: 3, pulse_ms: 500 }.encode(1, &mut frame_bytes).unwrap();
    g.throughput(Throughput::Bytes(frame_bytes.len() as u64));
    let mut out = Vec::with_capacity(64);
    g.bench_function("encode/unlock", |b| {
        b.iter(|| {
            out.clear();
            let n = Request::Unlock { channel: black_box(3), pulse_ms: 500 }.encode(1, &mut out).unwrap();
            assert_eq!(n, 11);
        })
    });

    let big = stream(1000);
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("decode/stream", |b| {
        b.iter(|| {
            let mut dec = FrameDecoder::new();
            let mut n = 0;
            dec.feed(black_box(&big), |d| n += usize::from(matches!(d, Decoded::Frame(_))));
            assert_eq!(n, 2000);
        })
    });
    g.bench_function("decode/stream_16_byte_chunks", |b| {
        b.iter(|| {
            let mut dec = FrameDecoder::new();
            let mut n = 0;
            for chunk in black_box(&big).chunks(16) {
                dec.feed(chunk, |d| n += usize::from(matches!(d, Decoded::Frame(_))));
            }
            assert_eq!(n, 2000);
        })
    });
    g.bench_function("decode/baseline_split_decode_vec", |b| {
        b.iter(|| {
            let mut n = 0;
            for part in black_box(&big).split(|&b| b == 0).filter(|p| !p.is_empty()) {
                let raw = cobs::decode_vec(part).unwrap();
                n += usize::from(Frame::parse(&raw).is_ok());
            }
            assert_eq!(n, 2000);
        })
    });
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("crc/slice16_crc_crate", |b| b.iter(|| v1::CRC16.checksum(black_box(&big))));
    let one_table = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740);
    g.bench_function("crc/baseline_one_table_crc_crate", |b| b.iter(|| one_table.checksum(black_box(&big))));
    g.bench_function("crc/baseline_bitwise", |b| b.iter(|| bitwise_crc(black_box(&big))));
    g.finish();

    let mut g = c.benchmark_group("wire/boards");
    for driver in Driver::ALL.iter().copied().filter(|d| *d != Driver::V1) {
        let codec: Box<dyn BoardCodec> = driver.board_codec(BoardConfig::new(1, 8)).unwrap().unwrap();
        let mut req = Vec::new();
        codec.encode(Command::Unlock { channel: 3 }, &mut req).unwrap();
        g.throughput(Throughput::Bytes(req.len() as u64));
        g.bench_function(format!("{driver}/encode_unlock"), |b| {
            b.iter(|| {
                req.clear();
                codec.encode(black_box(Command::Unlock { channel: 3 }), &mut req).unwrap();
            })
        });
        // The echo of our own unlock is a valid reply for kerong-cu16, rs485-generic and modbus.
        if !matches!(codec.decode(Command::Unlock { channel: 3 }, &req), BoardDecode::Reply { .. }) {
            continue;
        }
        g.bench_function(format!("{driver}/decode_unlock_reply"), |b| {
            b.iter(|| {
                assert!(matches!(
                    codec.decode(Command::Unlock { channel: 3 }, black_box(&req)),
                    BoardDecode::Reply { .. }
                ))
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("wire/link");
    g.throughput(Throughput::Elements(1));
    let mut pair = Pair::new(
        Link::new(LinkConfig { channels: 16, inter_frame_gap: Duration::ZERO, ..LinkConfig::default() }),
        Device::new(SimConfig::new(16)),
        NoisyLine::clean(),
        NoisyLine::clean(),
        Instant::now(),
    );
    let mut ch = 0u8;
    g.bench_function("unlock_round_trip/in_process_sim", |b| {
        b.iter(|| {
            ch = ch % 16 + 1;
            round_trip(&mut pair, ch);
        })
    });
    g.finish();
}
