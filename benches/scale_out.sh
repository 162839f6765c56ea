#!/usr/bin/env bash
# Issue 19 benchmark: QR check-in/check-out cycles per second with 1, 2 and 3 `locker serve`
# processes on one PostgreSQL, in one run (README, "Scaling out" > "Benchmark").
#
# For each N in $SCALE_PROCESSES (default "1 2 3"), on a fresh database: N real `locker serve`
# processes sharing one keys folder (an access token or QR token of one is valid at all).
# Process 1 seeds the demo (24 lockers on controller SIM_001) and drives SIM_001, the
# simulated cabinet whose customer opens each door $SIM_PERSON_MS after the unlock and shuts
# it as long after; processes 2..N drive controllers of their own with no lockers, so every
# check-in and check-out they serve crosses to process 1 through the database's command
# queue (`controller_commands`, LISTEN/NOTIFY). The driver (`http_cycles`, one `--api` per
# process) runs $CYCLE_WORKERS workers, worker i on process i mod N (a round-robin balancer).
#
# Besides cycles/s and latencies, each case records where the time goes: the CPU seconds of
# the server processes and of PostgreSQL's backends over the run (utime+stime from /proc),
# the database's commits (pg_stat_database.xact_commit) per cycle, and how often its backends
# wait on a row lock (pg_stat_activity.wait_event_type = 'Lock', sampled every 200 ms).
#
# Needs psql and a build of `locker` and `http_cycles` in $LOCKER_BIN_DIR (default
# $CARGO_TARGET_DIR/debug: `cargo build --workspace --all-features --bins`; a release build
# gives higher absolute numbers). Knobs: BENCH_SECONDS (10), CYCLE_WORKERS (24),
# SIM_PERSON_MS (200), BASE_PORT (3710).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/phase.sh
pg_url=${LOCKER_TEST_POSTGRES_URL:?set LOCKER_TEST_POSTGRES_URL to a PostgreSQL admin URL}
bin=${LOCKER_BIN_DIR:-$(phase_target_dir)/debug}
seconds=${BENCH_SECONDS:-10}
workers=${CYCLE_WORKERS:-24}
person_ms=${SIM_PERSON_MS:-200}
base_port=${BASE_PORT:-3710}
processes_list=${SCALE_PROCESSES:-1 2 3}
for exe in locker http_cycles; do
  [[ -x $bin/$exe ]] || { echo "no $bin/$exe: cargo build --workspace --all-features --bins" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
dbs=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for db in "${dbs[@]}"; do psql "$pg_url" -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
  [[ -n ${LOCKER_BENCH_KEEP:-} ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

wait_for_line() {
  for _ in $(seq 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

# cpu_ticks PID...: utime + stime of the processes, in clock ticks.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

# pg_backends DB: the PIDs of PostgreSQL's backends serving DB (readable when the server
# runs on this machine, as in CI).
pg_backends() {
  psql "$pg_url" -Atq -c "SELECT pid FROM pg_stat_activity WHERE datname = '$1'"
}

commits() {
  psql "$pg_url" -Atq -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'"
}

hz=$(getconf CLK_TCK)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); binaries: $bin" >&2
for n in $processes_list; do
  db=locker_scale_$$_$n
  psql "$pg_url" -q -c "CREATE DATABASE $db"
  dbs+=("$db")
  url=${pg_url%/*}/$db
  keys=$work/keys-$n
  apis=()
  servers=()
  for k in $(seq 1 "$n"); do
    port=$((base_port + k))
    log=$work/serve-$n-$k.log
    extra=(--controller "SIM_00$k")
    [[ $k == 1 ]] && extra+=(--demo)
    "$bin/locker" --db "$url" serve "${extra[@]}" --listen "127.0.0.1:$port" --keys "$keys" \
      --models "$work/no-models" --sim-person-ms "$person_ms" --rate-limit 1000000000 \
      --auth-rate-limit 1000000000 --otp-outbox "$work/otp-$n-$k.jsonl" > "$log" 2>&1 &
    pids+=($!)
    servers+=($!)
    wait_for_line "$log" "listening on"
    apis+=(--api "http://127.0.0.1:$port/api/v1")
  done
  password=$(sed -n 's/.*password (shown once): //p' "$work/serve-$n-1.log")
  mapfile -t backends < <(pg_backends "$db")
  cpu_servers=$(cpu_ticks "${servers[@]}")
  cpu_pg=$(cpu_ticks "${backends[@]}")
  commits_before=$(commits "$db")
  # Row-lock waits: every 200 ms, how many of the database's backends wait on a lock.
  # One line per sample: the number of waiting backends, then the statements they wait in.
  ( while :; do
      psql "$pg_url" -Atq -F '|' -c "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), string_agg(left(regexp_replace(query, '\s+', ' ', 'g'), 70), '|') FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity WHERE datname = '$db'"
      sleep 0.2
    done > "$work/locks-$n.txt" 2>/dev/null ) &
  sampler=$!
  pids+=("$sampler")
  out=$(LOCKER_BENCH_PASSWORD=$password "$bin/http_cycles" "${apis[@]}" --email admin@locker.local \
    --concurrency "$workers" --seconds "$seconds")
  kill "$sampler" 2>/dev/null || true
  mapfile -t backends_after < <(pg_backends "$db")
  cpu_servers=$(( $(cpu_ticks "${servers[@]}") - cpu_servers ))
  # Backends opened during the run count from zero.
  cpu_pg=$(( $(cpu_ticks "${backends_after[@]}") - cpu_pg ))
  commits_run=$(( $(commits "$db") - commits_before ))
  remote=$(psql "${url}" -Atq -c "SELECT count(*) FROM controller_commands WHERE command = 'unlock' AND outcome = 'fired'")
  python3 - "$out" "$work/locks-$n.txt" "$n" "$cpu_servers" "$cpu_pg" "$hz" "$commits_run" "$remote" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
import collections
samples = [line.split("|") for line in open(sys.argv[2]).read().splitlines() if line[:1].isdigit()]
waits = [int(s[0]) for s in samples]
waiting_in = collections.Counter(q for s in samples for q in s[1:] if q)
n, cpu_s, cpu_pg, hz, commits, remote = (int(x) for x in sys.argv[3:])
cycles = max(d["cycles"], 1)
d.update({
    "case": f"scale_out/{n}_processes",
    "server_cpu_s": cpu_s / hz,
    "postgres_cpu_s": cpu_pg / hz,
    "server_cpu_ms_per_cycle": 1e3 * cpu_s / hz / cycles,
    "postgres_cpu_ms_per_cycle": 1e3 * cpu_pg / hz / cycles,
    "commits_per_cycle": commits / cycles,
    "commits_per_s": commits / d["seconds"],
    "unlocks_relayed": remote,
    "lock_samples": len(waits),
    "share_of_samples_with_a_lock_wait": sum(1 for w in waits if w) / max(len(waits), 1),
    "mean_backends_waiting_on_locks": sum(waits) / max(len(waits), 1),
    "statements_waiting_on_locks": waiting_in.most_common(3),
})
print(json.dumps(d))
EOF
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${servers[@]}" 2>/dev/null || true
done
