#!/usr/bin/env bash
# make load: create-ticket in HTTP mode under wrk, 64 connections for 60 s.
# Reports throughput, p50/p99 latency, errors and RSS over the run, against
# cores x the single-core signing rate, and where the CPU went. A script, not a test.
#   DURATION=60 CONNECTIONS=64 WRK_SCHED=normal scripts/bench/load.sh
#
# wrk shares the machine's cores with the server and, by default, is
# scheduled like any other process: each of its wake-ups preempts a worker,
# often mid-signature. WRK_SCHED=batch runs it under SCHED_BATCH (chrt --batch
# 0) instead: it then waits for its fair share, reads many responses per
# wake-up and costs about half the CPU (0.09 of a core instead of 0.16 here),
# closer to a load generator on another machine. Latency as wrk sees it then
# includes wrk's own wait.
#
# The signing rates are measured on every core just before and just after the
# load, through the public API (`customauth mint --count`), and averaged: this
# machine's speed drifts by 10-20% over a minute, so one measurement taken
# before a 65 s run can be off by that much. The all-core rate (one signer per
# core at once) is what the machine can sign with nothing else running.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-9101}
WRK_SCHED=${WRK_SCHED:-normal}
command -v wrk >/dev/null || { echo "load.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
case $WRK_SCHED in
  batch) WRK=(chrt --batch 0 wrk) ;;
  normal) WRK=(wrk) ;;
  *) echo "load.sh: WRK_SCHED must be batch or normal" >&2; exit 2 ;;
esac

cargo build --release -q -p customauth-cli -p create-ticket
BIN=${CARGO_TARGET_DIR:-target}/release
TMP=$(mktemp -d); trap 'kill $SERVER 2>/dev/null || true; rm -rf "$TMP"' EXIT
SERVER=
python3 -c "import json;print(json.dumps({'private_key_id':'load','private_key':open('tests/fixtures/keys/k2048-pkcs1.pem').read(),'env_id':'load-env'}))" > "$TMP/creds.json"
API_KEY=load-test-api-key-0123456789abcdef
CORES=$(nproc)

# mint N tickets pinned to core $1; prints tickets/s.
mint_rate() {
  local n=6000 t0 t1
  t0=$(date +%s%N)
  taskset -c "$1" "$BIN/customauth" mint --credentials "$TMP/creds.json" --uid load_user --count $n > /dev/null
  t1=$(date +%s%N)
  python3 -c "print(round($n / (($t1 - $t0) / 1e9), 1))"
}
# one signer per core at once; prints the total tickets/s.
all_core_rate() {
  local n=6000 t0 t1 c
  t0=$(date +%s%N)
  for c in $(seq 0 $((CORES - 1))); do
    taskset -c "$c" "$BIN/customauth" mint --credentials "$TMP/creds.json" --uid load_user --count $n > /dev/null &
  done
  wait
  t1=$(date +%s%N)
  python3 -c "print(round($CORES * $n / (($t1 - $t0) / 1e9), 1))"
}
rates() {
  for c in $(seq 0 $((CORES - 1))); do echo "single $(mint_rate "$c")"; done
  echo "all $(all_core_rate)"
}
rates > "$TMP/rates"

CUSTOMAUTH_CREDENTIALS_FILE=$TMP/creds.json CUSTOMAUTH_CALLER_AUTH=api-key CUSTOMAUTH_API_KEYS=$API_KEY \
  PORT=$PORT "$BIN/create-ticket" 2> "$TMP/server.log" & SERVER=$!
for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.05; done

cat > "$TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"customUserId":"load_user"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "$API_KEY"
LUA

rss() { awk '/VmRSS/ {print $2}' /proc/$SERVER/status; }
server_ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
# all CPUs: busy and total jiffies
machine_ticks() { awk 'NR == 1 {t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
# Warm up (allocator arenas, connection buffers), then measure.
"${WRK[@]}" -t1 -c"$CONNECTIONS" -d5s -s "$TMP/post.lua" "http://127.0.0.1:$PORT/createTicket" > /dev/null
RSS_START=$(rss)
( while sleep 1; do rss >> "$TMP/rss" 2>/dev/null || break; done ) & SAMPLER=$!
S0=$(server_ticks); read -r B0 T0 < <(machine_ticks)
"${WRK[@]}" -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$TMP/post.lua" "http://127.0.0.1:$PORT/createTicket" | tee "$TMP/wrk.txt"
S1=$(server_ticks); read -r B1 T1 < <(machine_ticks)
kill $SAMPLER 2>/dev/null || true
RSS_END=$(rss)
RSS_MAX=$(sort -n "$TMP/rss" | tail -1)
kill $SERVER; wait $SERVER 2>/dev/null || true
AUDIT=$(grep -c "ticket issued" "$TMP/server.log" || true)

rates >> "$TMP/rates"

python3 - "$TMP/wrk.txt" "$TMP/rates" "$CORES" "$RSS_START" "$RSS_END" "$RSS_MAX" "$CONNECTIONS" "$DURATION" \
  "$((S1 - S0))" "$((B1 - B0))" "$((T1 - T0))" "$AUDIT" "$WRK_SCHED" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
rates = [line.split() for line in open(sys.argv[2])]
singles = [float(v) for k, v in rates if k == "single"]
alls = [float(v) for k, v in rates if k == "all"]
cores = int(sys.argv[3])
rss_start, rss_end, rss_max = (int(x) for x in sys.argv[4:7])
server_ticks, busy_ticks, total_ticks, audit = (int(x) for x in sys.argv[9:13])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)
p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)
non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
sock = re.search(r"Socket errors: (.*)", text)
errors = non2xx + (sum(int(x) for x in re.findall(r"\d+", sock.group(1))) if sock else 0)
single = statistics.mean(singles)
all_core = statistics.mean(alls)
target = cores * single
# jiffies of all CPUs over the run -> cores busy on average
seconds = total_ticks / cores / 100
server_cores = server_ticks / 100 / seconds
other_cores = (busy_ticks - server_ticks) / 100 / seconds
print()
print(f"load: {sys.argv[7]} connections, {sys.argv[8]} s, create-ticket, 2048-bit key, wrk scheduled {sys.argv[13]}")
print(f"  throughput   {rps:.1f} tickets/s = {rps / target:.2f} x (cores {cores} x single-core {single:.1f}/s)")
print(f"               = {rps / all_core:.2f} x the all-core signing rate {all_core:.1f}/s")
print(f"  rates        single-core before/after, per core: {' '.join(f'{s:.0f}' for s in singles)}; "
      f"all-core before/after: {' '.join(f'{a:.0f}' for a in alls)}")
print(f"  CPU          server {server_cores:.2f} cores ({server_cores * 1e6 / rps:.0f} us a request; "
      f"a bare signature {1e6 / single:.0f} us), wrk and the rest {other_cores:.2f} cores")
print(f"  latency      p50 {p50}, p99 {p99}")
print(f"  errors       {errors} (non-2xx {non2xx}{', socket: ' + sock.group(1) if sock else ''})")
print(f"  audit lines  {audit} logged for {total} measured requests (plus the warm-up's)")
print(f"  RSS          {rss_start} kB after warm-up, {rss_end} kB at the end, max {rss_max} kB: growth {100 * (rss_end - rss_start) / rss_start:+.1f}%")
PY
