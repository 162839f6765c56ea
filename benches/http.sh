#!/usr/bin/env bash
# HTTP benchmarks of the reference server (README, Performance), all in one run:
#   1. GET /api/v1/lockers with a JWT, by wrk, against `locker serve --demo` on a SQLite
#      file and on PostgreSQL (when LOCKER_TEST_POSTGRES_URL is set);
#   2. full QR check-in/check-out cycles with the simulated controller (benches' own
#      driver, `http_cycles`: the steps depend on each other, which wrk cannot chain);
#   3. the ceiling: a bare axum handler returning the same JSON (`http_ceiling`), by wrk;
#   4. the SQLite commit-rate limit: criterion's alloc/sqlite_file/bare_insert_commit.
# Needs wrk (apt-get install -y wrk), for PostgreSQL psql, and for --pinned taskset and strace.
# Knobs: BENCH_SECONDS (default 10), WRK_CONNECTIONS (16), CYCLE_WORKERS ("8 24": one cycle
# run per worker count; the demo has 24 lockers). The simulated customer opens the door 200 ms after the unlock and shuts it 200 ms
# later, so a cycle spends at least 800 ms on doors (check-in and check-out each).
#
# Pinned mode (issue 14): `benches/http.sh --pinned [--baseline OLD_LOCKER_BINARY]`. Every
# server runs on core 0 (`taskset -c 0`) and every load generator on core 1, and each case
# reports req/s, p50, p99 and the server's CPU time per request (utime + stime of the server
# process from /proc/PID/stat over the measured run, after a 1 s warm-up), next to the bare
# axum handler pinned the same way:
#   lockers_list/sqlite      GET /api/v1/lockers, `serve --demo` (24 lockers) on a SQLite file;
#   lockers_list/postgres    the same on PostgreSQL (server process CPU only; the database's
#                            own CPU is not counted), when LOCKER_TEST_POSTGRES_URL is set;
#   lockers_page/sqlite_1000 GET /api/v1/lockers?page=3&limit=100 with 1,000 lockers;
#   qr_cycle/sqlite          QR check-in/check-out cycles, PINNED_CYCLE_WORKERS (8) workers;
#   qr_cycle_instant/sqlite  the same with `--sim-instant-doors` (doors open and shut at once),
#                            against the disk's bound: criterion's bare_insert_commit rate
#                            divided by the commits a cycle needs (WAL fsyncs counted by
#                            strace over a short extra run);
#   bare_axum                the ceiling (`http_ceiling`, the demo's JSON from memory).
# With --baseline, every case runs with that `locker` binary (say, built from main) and then
# with this build's, case by case, in one run: before and after from the same run.
# BENCH_ROUNDS (1) repeats the before/after pairs.
set -euo pipefail
cd "$(dirname "$0")/.."
pinned=
baseline=
while [[ $# -gt 0 ]]; do
  case $1 in
    --pinned) pinned=1 ;;
    --baseline) baseline=$(realpath "$2"); shift ;;
    *) echo "usage: benches/http.sh [--pinned [--baseline OLD_LOCKER_BINARY]]" >&2; exit 2 ;;
  esac
  shift
done
[[ -z $baseline || -n $pinned ]] || { echo "--baseline needs --pinned" >&2; exit 2; }
root=$(pwd)
source scripts/phase.sh
target=$(phase_target_dir)
mkdir -p "$target"
seconds=${BENCH_SECONDS:-10}
connections=${WRK_CONNECTIONS:-16}
workers_list=${CYCLE_WORKERS:-8 24}
pg_url=${LOCKER_TEST_POSTGRES_URL:-}
command -v wrk >/dev/null || { echo "benches/http.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }

echo "== building (release): locker, the HTTP helpers and the criterion bench" >&2
cargo build --release -p locker-cli -p locker-benches --bins --benches --message-format=json-render-diagnostics \
  > "$target/http-bench-build.jsonl"
bench_exe=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "locker" and "bench" in m["target"]["kind"]:
        print(m["executable"])' "$target/http-bench-build.jsonl")
bin=$target/release

work=$(mktemp -d)
pids=()
pg_dbs=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for db in "${pg_dbs[@]}"; do psql "$pg_url" -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
  [[ -n ${LOCKER_BENCH_KEEP:-} ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# wait_for_line FILE PATTERN: until the server's log shows PATTERN (10 s at most).
wait_for_line() {
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

# wrk_json NAME WRK_OUTPUT [SERVER_CPU_TICKS]: one JSON line with req/s, p50 and p99 in ms,
# and the server's CPU ms per request when its CPU ticks over the run are given; a
# `binary` field when BENCH_LABEL is set (pinned mode).
wrk_json() {
  python3 - "$1" "$2" "${3:-}" "$(getconf CLK_TCK)" "${BENCH_LABEL:-}" <<'PY'
import json, re, sys
name, text, ticks, hz, label = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], int(sys.argv[4]), sys.argv[5]
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
def pct(p):
    m = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return round(float(m.group(1)) * unit[m.group(2)], 3)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if bad:
    sys.exit(f"{name}: {bad.group(1)} requests failed:\n{text}")
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
row = {"case": name, "req_per_s": rps, "p50_ms": pct(50), "p99_ms": pct(99)}
if label:
    row["binary"] = label
if ticks:
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    row["requests"] = requests
    row["cpu_ms_per_req"] = round(int(ticks) * 1000 / hz / requests, 4)
print(json.dumps(row))
PY
}

# wrk_summary NAME URL [HEADER]: wrk_json of one wrk run.
wrk_summary() {
  local name=$1 url=$2; shift 2
  wrk -t1 -c"$connections" -d"${seconds}s" --latency "$@" "$url" > "$work/wrk.txt"
  wrk_json "$name" "$work/wrk.txt"
}

# bench_backend NAME DATABASE_URL PORT: the two server measurements on one database.
bench_backend() {
  local name=$1 url=$2 port=$3 log=$work/$1.log
  "$bin/locker" --db "$url" serve --demo --listen "127.0.0.1:$port" --keys "$work/keys-$name" \
    --models "$work/no-models" --sim-person-ms 200 --rate-limit 1000000000 \
    --otp-outbox "$work/otp-$name.jsonl" > "$log" 2>&1 &
  local server=$!
  pids+=("$server")
  wait_for_line "$log" "listening on"
  local password token api=http://127.0.0.1:$port/api/v1
  password=$(sed -n 's/.*password (shown once): //p' "$log")
  token=$(curl -sf "$api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"admin@locker.local\",\"password\":\"$password\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
  curl -sf "$api/lockers" -H "authorization: Bearer $token" > "$work/lockers.json"
  wrk_summary "lockers_list/$name" "$api/lockers" -H "authorization: Bearer $token" | tee -a "$results"
  for workers in $workers_list; do
    LOCKER_BENCH_PASSWORD=$password "$bin/http_cycles" --api "$api" --email admin@locker.local \
      --concurrency "$workers" --seconds "$seconds" \
      | python3 -c "import json,sys; d=json.load(sys.stdin); d['case']='qr_cycle/$name/${workers}_workers'; print(json.dumps(d))" \
      | tee -a "$results"
  done
  kill "$server" && wait "$server" 2>/dev/null || true
}

# commit_rate CASE [PREFIX...]: criterion's alloc/sqlite_file/bare_insert_commit, run under
# PREFIX (say `taskset -c 0`), as one JSON line: case, commit_ms, commits_per_s.
commit_rate() {
  local name=$1
  shift
  "$@" "$bench_exe" --bench alloc/sqlite_file/bare_insert_commit --noplot > "$work/criterion.txt" 2>&1
  python3 - "$work/criterion.txt" "$name" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
m = re.search(r"time:\s+\[([\d.]+) (\w+) ([\d.]+) (\w+) ([\d.]+) (\w+)\]", text)
unit = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}
ms = float(m.group(3)) * unit[m.group(4)]
print(json.dumps({"case": sys.argv[2], "commit_ms": round(ms, 3), "commits_per_s": round(1000 / ms, 1)}))
PY
}

results=$work/results.jsonl
if [[ -n $pinned ]]; then
  source benches/http_pinned.sh
  pinned_main
  exit 0
fi
bench_backend sqlite "sqlite:$work/bench.db" 39101
if [[ -n $pg_url ]]; then
  db=locker_bench_$$
  psql "$pg_url" -q -c "CREATE DATABASE $db" >/dev/null
  pg_dbs+=("$db")
  bench_backend postgres "${pg_url%/*}/$db" 39102
else
  echo "PostgreSQL skipped: LOCKER_TEST_POSTGRES_URL is not set" >&2
fi

"$bin/http_ceiling" 127.0.0.1:39103 "$work/lockers.json" > "$work/ceiling.log" 2>&1 &
pids+=($!)
wait_for_line "$work/ceiling.log" "listening on"
wrk_summary "lockers_list/bare_axum" "http://127.0.0.1:39103/api/v1/lockers" | tee -a "$results"

commit_rate sqlite_commit/bare_insert_commit | tee -a "$results"

python3 - "$work/results.jsonl" <<'PY'
import json, sys
rows = {r["case"]: r for r in map(json.loads, open(sys.argv[1]))}
ceiling = rows["lockers_list/bare_axum"]["req_per_s"]
commits = rows["sqlite_commit/bare_insert_commit"]["commits_per_s"]
print("\n| case | req/s or cycles/s | p50 ms | p99 ms | ratio |\n|---|---|---|---|---|")
for name, r in rows.items():
    if name.startswith("lockers_list/"):
        print(f"| {name} | {r['req_per_s']:.0f} req/s | {r['p50_ms']} | {r['p99_ms']} | {r['req_per_s'] / ceiling:.2f} of the bare handler |")
    elif name.startswith("qr_cycle/"):
        print(f"| {name} | {r['cycles_per_s']:.1f} cycles/s ({r['cycles']} cycles, {r['failed_cycles']} failed, {r['lockers_not_at_rest_after']} lockers not at rest after) | {r['cycle_p50_ms']:.1f} (check-in {r['check_in_p50_ms']:.1f}, check-out {r['check_out_p50_ms']:.1f}) | {r['cycle_p99_ms']:.1f} (check-in {r['check_in_p99_ms']:.1f}, check-out {r['check_out_p99_ms']:.1f}) | {r['cycles_per_s'] / commits:.3f} of the commit rate |")
    else:
        print(f"| {name} | {r['commits_per_s']:.0f} commits/s | {r['commit_ms']} | | |")
PY
