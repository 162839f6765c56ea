#!/usr/bin/env bash
# Overhead of the C and Python bindings against the same call in Rust: QR verify (HMAC and
# Ed25519) and v1 frame decode, each timed as best of 5 runs of N calls. Prints ns per call
# and the ratios binding / Rust as a Markdown table (README, Performance).
#
# Builds with the workspace flags and the dev profile, with the workspace's own crates at
# opt-level 2 (CARGO_PROFILE_DEV_OPT_LEVEL; dependencies are at opt-level 2 in the dev profile
# already), so dependencies are shared with `cargo test` instead of a release build from
# scratch. Usage: bash benches/bindings_overhead.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
n="${1:-200000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export CARGO_PROFILE_DEV_OPT_LEVEL=2

cargo build -q --workspace --all-features --lib --bin bindings-baseline
gcc -std=gnu11 -O2 -I locker-ffi/include benches/bindings/bench.c -L target/debug -llocker \
  -Wl,-rpath,"$root/target/debug" -o "$out/bench_c"

venv="$root/target/bench-venv"
if [ ! -x "$venv/bin/maturin" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "maturin>=1.9.4,<2"
fi
"$venv/bin/maturin" build --quiet --manifest-path locker-py/Cargo.toml --interpreter "$venv/bin/python" --out "$out/wheels"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-index "$out"/wheels/locker-*.whl

{
  target/debug/bindings-baseline "$n"
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
