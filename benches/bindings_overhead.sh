#!/usr/bin/env bash
# Overhead of the C and Python bindings against the same call in Rust: QR verify (HMAC and
# Ed25519) and v1 frame decode, each timed as best of 5 runs of N calls. Prints ns per call
# and the ratios binding / Rust as a Markdown table (README, Performance).
#
# All three sides use the artifacts of the test build (`cargo test --workspace
# --all-features --no-run`, and the wheel scripts/test-python packs from the same build):
# dependencies at opt-level 2, the workspace's crates at opt-level 0, the same for Rust, C
# and Python. No release build of the whole tree is needed.
# Usage: bash benches/bindings_overhead.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
source scripts/phase.sh
target="$(phase_target_dir)"
n="${1:-200000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

cargo test -q --workspace --all-features --no-run 2>/dev/null
lib="$target/debug/deps"
gcc -std=gnu11 -O2 -I locker-ffi/include benches/bindings/bench.c -L "$lib" -llocker \
  -Wl,-rpath,"$lib" -o "$out/bench_c"

venv="${LOCKER_PY_VENV:-$target/py-venv}"
if ! "$venv/bin/python" -c 'import locker' 2>/dev/null; then
  bash scripts/test-python >/dev/null
fi

{
  "$target/debug/bindings-baseline" "$n"
  "$out/bench_c" "$n"
  (cd "$out" && "$venv/bin/python" "$root/benches/bindings/bench.py" "$n")
} | tee "$out/results.txt"

python3 - "$out/results.txt" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    op, lang, ns = line.split()
    rows.setdefault(op, {})[lang] = float(ns)
print()
print("| call | Rust ns | C ns | Python ns | C / Rust | Python / Rust |")
print("|---|---|---|---|---|---|")
for op, r in rows.items():
    print(f"| {op} | {r['rust']:.0f} | {r['c']:.0f} | {r['python']:.0f} | {r['c'] / r['rust']:.2f}x | {r['python'] / r['rust']:.2f}x |")
PY
