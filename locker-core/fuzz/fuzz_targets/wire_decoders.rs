//! Feeds arbitrary bytes to the v1 frame decoder, the v1 link and every board codec:
//! none may panic. Run with `cargo fuzz run wire_decoders` from `locker-core/`.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use locker_core::controller::link::{Engine, Link, LinkConfig, PolledLink};
use locker_core::controller::wire::v1::{Decoded, Event, FrameDecoder, Request, Response};
use locker_core::controller::wire::{BoardConfig, BoardDecode, Command, Driver};

fuzz_target!(|data: &[u8]| {
    // The first byte picks a chunk size, so the streaming paths see every split.
    let Some((&chunk, bytes)) = data.split_first() else { return };
    let chunk = usize::from(chunk).max(1);

    let mut decoder = FrameDecoder::new();
    for part in bytes.chunks(chunk) {
        decoder.feed(part, |d| {
            if let Decoded::Frame(f) = d {
                let _ = Request::parse(f.cmd, &f.payload);
                let _ = Response::parse(f.cmd, &f.payload);
                let _ = Event::parse(f.cmd, &f.payload);
            }
        });
    }

    let now = Instant::now();
    let mut link = Link::new(LinkConfig::default());
    let _ = link.send(now, Request::Unlock { channel: 1, pulse_ms: 100 });
    for part in bytes.chunks(chunk) {
        link.handle_bytes(now, part);
        while link.poll_event().is_some() {}
    }

    for driver in Driver::ALL {
        let Ok(Some(codec)) = driver.board_codec(BoardConfig::new(1, 8)) else { continue };
        for command in [Command::Unlock { channel: 3 }, Command::Status { channel: 3 }, Command::StatusAll] {
            let mut rest = bytes;
            while let BoardDecode::Garbage { skip: used }
            | BoardDecode::Reply { used, .. }
            | BoardDecode::Failed { used, .. } = codec.decode(command, rest)
            {
                assert!(used > 0 && used <= rest.len());
                rest = &rest[used..];
            }
        }
        let Ok(Some(codec)) = driver.board_codec(BoardConfig::new(1, 8)) else { continue };
        let mut polled = PolledLink::new(LinkConfig::default(), codec);
        let _ = polled.submit(now, Command::StatusAll);
        for part in bytes.chunks(chunk) {
            polled.handle_bytes(now, part);
            while polled.poll_event().is_some() {}
        }
    }
});
