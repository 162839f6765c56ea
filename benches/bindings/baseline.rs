//! The Rust side of `benches/bindings_overhead.sh`: QR verify and v1 frame decode called
//! directly on locker-core, timed the same way as `bench.c` and `bench.py` (best of 5 runs of
//! N calls, nanoseconds per call). Prints `op rust ns_per_call`.

use std::hint::black_box;
use std::time::Instant;

use locker_core::controller::wire::v1::{Decoded, FrameDecoder, Kind, encode_parts};
use locker_core::token::qr::{KeyId, QrAction, QrKey, QrKeyring, QrTokenId};

/// Best-of-5 nanoseconds per call of `f` over `n` calls.
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(n)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let now = chrono::DateTime::from_timestamp(1_768_730_400, 0).unwrap();
    let user = "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e".parse().unwrap();
    for (name, key) in
        [("qr_verify_hmac", QrKey::hmac(&[5; 32])), ("qr_verify_ed25519", QrKey::ed25519_from_seed(&[1; 32]))]
    {
        let ring = QrKeyring::with_key(KeyId(1), key);
        let token = ring
            .issue_with(QrAction::CheckIn, user, None, QrTokenId([7; 12]), now + chrono::Duration::seconds(300))
            .unwrap()
            .token;
        let calls = if name.ends_with("ed25519") { n / 20 } else { n };
        let ns = time(calls, || {
            let claims = ring.verify(black_box(&token), now).unwrap();
            black_box(claims);
        });
        println!("{name} rust {ns:.1}");
    }
    let mut frame = Vec::new();
    encode_parts(9, Kind::Response, 0x11, &[0, 2, 1], &mut frame).unwrap();
    let mut decoder = FrameDecoder::new();
    let ns = time(n, || {
        let mut got = 0;
        decoder.feed(black_box(&frame), |d| {
            if let Decoded::Frame(f) = d {
                got += f.payload.len();
            }
        });
        assert_eq!(got, 3);
    });
    println!("frame_decode rust {ns:.1}");
}
