#!/usr/bin/env bash
# Overhead of the C and Python bindings against the same call in Rust: QR verify (HMAC and
# Ed25519) and v1 frame decode. Builds in release, runs each harness, prints a table of
# ns per call and the ratios binding / Rust. Usage: bash benches/bindings_overhead.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
n="${1:-200000}"
out="$(mktemp -d)"

cargo build --release -q -p locker-ffi -p locker-benches --bin bindings-baseline
gcc -std=gnu11 -O2 -I locker-ffi/include benches/bindings/bench.c -L target/release -llocker \
  -Wl,-rpath,"$root/target/release" -o "$out/bench_c"

venv="$root/target/bench-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet "maturin>=1.9.4,<2"
fi
"$venv/bin/maturin" build --release --quiet --manifest-path locker-py/Cargo.toml --interpreter "$venv/bin/python" --out "$out/wheels"
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-index "$out"/wheels/locker-*.whl

{
  target/release/bindings-baseline "$n"
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
rm -rf "$out"
