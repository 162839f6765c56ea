# The pinned mode of benches/http.sh (issue 14), sourced by it: see the header of http.sh for
# the cases. Uses http.sh's helpers (wait_for_line, wrk_json) and variables (bin, work,
# results, seconds, connections, pg_url, baseline, pids, pg_dbs).

rounds=${BENCH_ROUNDS:-1}
pinned_workers=${PINNED_CYCLE_WORKERS:-8}

# cpu_ticks PID: the process's utime + stime so far, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the parenthesised command name).
cpu_ticks() {
  sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# pinned_wrk CASE PID URL [HEADER...]: a 1 s warm-up, then wrk on core 1 for BENCH_SECONDS
# against the server PID on core 0; appends wrk_json with the server's CPU per request.
pinned_wrk() {
  local name=$1 pid=$2 url=$3 before after
  shift 3
  taskset -c 1 wrk -t1 -c"$connections" -d1s "$@" "$url" > /dev/null
  before=$(cpu_ticks "$pid")
  taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" --latency "$@" "$url" > "$work/wrk.txt"
  after=$(cpu_ticks "$pid")
  wrk_json "$name" "$work/wrk.txt" "$((after - before))" | tee -a "$results"
}

# pinned_serve LABEL EXE DB_URL PORT [DOORS...]: `EXE serve --demo` on core 0 over a fresh
# database, the simulated customer's options DOORS (default `--sim-person-ms 200`); sets
# server_pid, api, password and token.
pinned_serve() {
  local label=$1 exe=$2 url=$3 port=$4 dir
  shift 4
  local doors=("$@")
  [[ ${#doors[@]} -gt 0 ]] || doors=(--sim-person-ms 200)
  dir=$(mktemp -d "$work/$label-XXXX")
  taskset -c 0 "$exe" --db "$url" serve --demo --listen "127.0.0.1:$port" --keys "$dir/keys" \
    --models "$dir/no-models" "${doors[@]}" --rate-limit 1000000000 \
    --otp-outbox "$dir/otp.jsonl" > "$dir/server.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  wait_for_line "$dir/server.log" "listening on"
  api=http://127.0.0.1:$port/api/v1
  password=$(sed -n 's/.*password (shown once): //p' "$dir/server.log")
  token=$(curl -sf "$api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"admin@locker.local\",\"password\":\"$password\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
}

pinned_stop() {
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
}

# fresh_pg LABEL: the URL of a new PostgreSQL database (dropped at exit).
fresh_pg() {
  local db=locker_bench_$$_$1_$RANDOM
  psql "$pg_url" -q -c "CREATE DATABASE $db" >/dev/null
  pg_dbs+=("$db")
  echo "${pg_url%/*}/$db"
}

# pinned_binary LABEL EXE: every server case with the `locker` binary EXE.
pinned_binary() {
  local label=$1 exe=$2 db dbs
  export BENCH_LABEL=$label
  # Fresh databases each round (a second round on the same file would find the demo admin
  # already made, and its password not printed again).
  dbs=$(mktemp -d "$work/$label-dbs-XXXX")
  pinned_serve "$label" "$exe" "sqlite:$dbs/list.db" 39111
  curl -sf "$api/lockers" -H "authorization: Bearer $token" > "$work/lockers.json"
  pinned_wrk lockers_list/sqlite "$server_pid" "$api/lockers" -H "authorization: Bearer $token"
  pinned_stop

  if [[ -n $pg_url ]]; then
    pinned_serve "$label" "$exe" "$(fresh_pg "$label")" 39112
    pinned_wrk lockers_list/postgres "$server_pid" "$api/lockers" -H "authorization: Bearer $token"
    pinned_stop
  fi

  # 976 unwired lockers B001..B976 imported before the demo's 24: 1,000 in all.
  db="sqlite:$dbs/1000.db"
  "$exe" --db "$db" lockers import "$work/lockers-976.csv" > /dev/null
  pinned_serve "$label" "$exe" "$db" 39113
  pinned_wrk lockers_page/sqlite_1000 "$server_pid" "$api/lockers?page=3&limit=100" -H "authorization: Bearer $token"
  pinned_stop

  pinned_serve "$label" "$exe" "sqlite:$dbs/cycles.db" 39114
  pinned_cycles "qr_cycle/sqlite/${pinned_workers}_workers" "$label"
  pinned_stop

  # Doors that complete at once: a cycle costs only the service's work (HTTP, tokens,
  # commits). A binary without --sim-instant-doors (older builds, whose door machine also
  # took back-to-back cycles for a flapping sensor) skips this case.
  if "$exe" serve --help | grep -q -- --sim-instant-doors; then
    pinned_serve "$label" "$exe" "sqlite:$dbs/instant.db" 39116 --sim-instant-doors
    pinned_cycles "qr_cycle_instant/sqlite/${pinned_workers}_workers" "$label"
    pinned_stop
  else
    echo "$label: no --sim-instant-doors, instant-door cycles skipped" >&2
  fi
  unset BENCH_LABEL
}

# pinned_cycles CASE LABEL: the cycle driver on core 1 against the running server for
# BENCH_SECONDS; appends its report with the server's CPU per cycle.
pinned_cycles() {
  local before after
  before=$(cpu_ticks "$server_pid")
  LOCKER_BENCH_PASSWORD=$password taskset -c 1 "$bin/http_cycles" --api "$api" --email admin@locker.local \
    --concurrency "$pinned_workers" --seconds "$seconds" > "$work/cycles.json"
  after=$(cpu_ticks "$server_pid")
  python3 - "$work/cycles.json" "$((after - before))" "$(getconf CLK_TCK)" "$2" "$1" <<'PY' | tee -a "$results"
import json, sys
d = json.load(open(sys.argv[1]))
d.update(case=sys.argv[5], binary=sys.argv[4],
         cpu_ms_per_cycle=round(int(sys.argv[2]) * 1000 / int(sys.argv[3]) / max(d["cycles"], 1), 3))
print(json.dumps(d))
PY
}

# pinned_commits: the disk's commit rate (criterion's bare_insert_commit on core 0) and the
# commits one instant-door cycle needs (the WAL fsyncs of the server over a short run,
# counted by strace, divided by its cycles; every commit of a WAL database at
# synchronous=FULL is one fsync of the WAL).
pinned_commits() {
  commit_rate sqlite_commit taskset -c 0 > "$work/commit.json"
  pinned_serve after "$bin/locker" "sqlite:$work/count-commits.db" 39117 --sim-instant-doors
  local tracer
  strace -f -qq -c -e trace=fsync,fdatasync -o "$work/strace.txt" -p "$server_pid" &
  tracer=$!
  sleep 0.5
  LOCKER_BENCH_PASSWORD=$password taskset -c 1 "$bin/http_cycles" --api "$api" --email admin@locker.local \
    --concurrency 2 --seconds 3 > "$work/count-cycles.json"
  kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
  pinned_stop
  python3 - "$work/commit.json" "$work/strace.txt" "$work/count-cycles.json" <<'PY' | tee -a "$results"
import json, re, sys
row = json.load(open(sys.argv[1]))
syncs = sum(int(l.split()[3]) for l in open(sys.argv[2]) if re.search(r"\b(fsync|fdatasync)$", l.strip()))
# warm-up cycles are not in the report's count: one per worker
cycles = json.load(open(sys.argv[3]))["cycles"] + 2
row.update(binary="after", fsyncs=syncs, cycles_counted=cycles, commits_per_cycle=round(syncs / max(cycles, 1), 2))
print(json.dumps(row))
PY
}

# pinned_ceiling: the bare axum handler on core 0 serving the demo's list.
pinned_ceiling() {
  taskset -c 0 "$bin/http_ceiling" 127.0.0.1:39115 "$work/lockers.json" > "$work/ceiling.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_for_line "$work/ceiling.log" "listening on"
  BENCH_LABEL=bare pinned_wrk bare_axum "$pid" "http://127.0.0.1:39115/api/v1/lockers"
  kill "$pid" && wait "$pid" 2>/dev/null || true
}

pinned_main() {
  command -v taskset >/dev/null || { echo "pinned mode needs taskset (util-linux)" >&2; exit 1; }
  [[ $(nproc --all) -ge 2 ]] || { echo "pinned mode needs two cores" >&2; exit 1; }
  python3 - "$work/lockers-976.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("code,station,location,size,controller,relay_channel,sensor_channel,price\n")
    for n in range(1, 977):
        f.write(f"B{n:03},BULK,Tầng 2 - Khu D,{('small', 'medium', 'large')[n % 3]},,0,0,1.00\n")
PY
  echo "== pinned: server on core 0, load on core 1; $(uptime)" >&2
  for _ in $(seq "$rounds"); do
    [[ -n $baseline ]] && pinned_binary before "$baseline"
    pinned_binary after "$bin/locker"
    pinned_ceiling
  done
  pinned_commits
  python3 - "$results" <<'PY'
import json, sys
from collections import defaultdict
rows = defaultdict(list)
for r in map(json.loads, open(sys.argv[1])):
    rows[(r["case"], r["binary"])].append(r)
def mean(rs, key):
    return sum(r[key] for r in rs) / len(rs)
bare = rows[("bare_axum", "bare")]
bare_rps, bare_cpu = mean(bare, "req_per_s"), mean(bare, "cpu_ms_per_req")
print(f"\n{len(bare)} round(s); bare axum: {bare_rps:.0f} req/s, {bare_cpu:.4f} ms CPU/req\n")
print("| case | binary | req/s | p50 ms | p99 ms | server CPU ms/req | req/s of bare | CPU × bare |")
print("|---|---|---|---|---|---|---|---|")
for (case, label), rs in rows.items():
    if case.startswith("qr_cycle") or case == "sqlite_commit":
        continue
    rps, cpu = mean(rs, "req_per_s"), mean(rs, "cpu_ms_per_req")
    print(f"| {case} | {label} | {rps:.0f} | {mean(rs, 'p50_ms'):.2f} | {mean(rs, 'p99_ms'):.2f} | {cpu:.4f} "
          f"| {rps / bare_rps:.3f} | {cpu / bare_cpu:.1f} |")
commit = rows[("sqlite_commit", "after")][-1]
cap = commit["commits_per_s"] / commit["commits_per_cycle"]
print(f"\nSQLite commits: {commit['commits_per_s']:.0f}/s (bare_insert_commit, {commit['commit_ms']} ms); "
      f"an instant-door cycle needs {commit['commits_per_cycle']} ({commit['fsyncs']} WAL fsyncs over "
      f"{commit['cycles_counted']} cycles): at most {cap:.0f} cycles/s on this disk")
print("\n| case | binary | cycles/s | × disk bound | check-in p50 / p99 ms | check-out p50 / p99 ms | cycle p50 ms | failed | not at rest | server CPU ms/cycle |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (case, label), rs in rows.items():
    if not case.startswith("qr_cycle"):
        continue
    print(f"| {case} | {label} | {mean(rs, 'cycles_per_s'):.1f} | {mean(rs, 'cycles_per_s') / cap:.2f} "
          f"| {mean(rs, 'check_in_p50_ms'):.1f} / {mean(rs, 'check_in_p99_ms'):.1f} "
          f"| {mean(rs, 'check_out_p50_ms'):.1f} / {mean(rs, 'check_out_p99_ms'):.1f} | {mean(rs, 'cycle_p50_ms'):.0f} "
          f"| {sum(r['failed_cycles'] for r in rs)} | {sum(r['lockers_not_at_rest_after'] for r in rs)} "
          f"| {mean(rs, 'cpu_ms_per_cycle'):.2f} |")
PY
}
