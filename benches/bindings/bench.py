"""The Python side of benches/bindings_overhead.sh: the same calls as baseline.rs through
the `locker` wheel (best of 5 runs of N calls, ns per call). Prints `op python ns_per_call`."""

import sys
import time

import locker

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
NOW = 1768730400
USER = "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e"


def best_of_5(n, fn):
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter_ns()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter_ns() - t) / n)
    return best


for name, add in [("qr_verify_hmac", lambda r: r.add_hmac(1, bytes([5]) * 32)),
                  ("qr_verify_ed25519", lambda r: r.add_ed25519(1, bytes([1]) * 32))]:
    ring = locker.QrKeyring()
    add(ring)
    token = ring.issue("check_in", USER, now=NOW)
    calls = N if name.endswith("hmac") else N // 20
    print(f"{name} python {best_of_5(calls, lambda: ring.verify(token, now=NOW)):.1f}")

frame = locker.encode_frame(9, "response", 0x11, bytes([0, 2, 1]))
dec = locker.FrameDecoder()


def decode():
    (f,) = dec.feed(frame)
    assert len(f.payload) == 3


print(f"frame_decode python {best_of_5(N, decode):.1f}")
