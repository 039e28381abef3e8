#!/usr/bin/env bash
# make load: create-ticket in HTTP mode under wrk, 64 connections for 60 s.
# Reports throughput, p50/p99 latency, errors and RSS over the run, against
# cores x the single-core signing rate measured here first. A script, not a test.
#   DURATION=60 CONNECTIONS=64 scripts/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-9101}
command -v wrk >/dev/null || { echo "load.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }

cargo build --release -q -p customauth-cli -p create-ticket
BIN=${CARGO_TARGET_DIR:-target}/release
TMP=$(mktemp -d); trap 'kill $SERVER 2>/dev/null || true; rm -rf "$TMP"' EXIT
python3 -c "import json;print(json.dumps({'private_key_id':'load','private_key':open('tests/fixtures/keys/k2048-pkcs1.pem').read(),'env_id':'load-env'}))" > "$TMP/creds.json"
API_KEY=load-test-api-key-0123456789abcdef
CORES=$(nproc)

# Single-core signing rate through the public API (customauth mint --count), pinned to one core.
N=8000
t0=$(date +%s%N); taskset -c 0 "$BIN/customauth" mint --credentials "$TMP/creds.json" --uid load_user --count $N > /dev/null; t1=$(date +%s%N)
SINGLE=$(python3 -c "print(round($N / (($t1 - $t0) / 1e9), 1))")

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
# Warm up (allocator arenas, connection buffers), then measure.
wrk -t1 -c"$CONNECTIONS" -d5s -s "$TMP/post.lua" "http://127.0.0.1:$PORT/createTicket" > /dev/null
RSS_START=$(rss)
( while sleep 1; do rss >> "$TMP/rss" 2>/dev/null || break; done ) & SAMPLER=$!
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$TMP/post.lua" "http://127.0.0.1:$PORT/createTicket" | tee "$TMP/wrk.txt"
kill $SAMPLER 2>/dev/null || true
RSS_END=$(rss)
RSS_MAX=$(sort -n "$TMP/rss" | tail -1)

python3 - "$TMP/wrk.txt" "$SINGLE" "$CORES" "$RSS_START" "$RSS_END" "$RSS_MAX" "$CONNECTIONS" "$DURATION" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
single, cores = float(sys.argv[2]), int(sys.argv[3])
rss_start, rss_end, rss_max = (int(x) for x in sys.argv[4:7])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = re.search(r"50%\s+(\S+)", text).group(1)
p99 = re.search(r"99%\s+(\S+)", text).group(1)
non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
sock = re.search(r"Socket errors: (.*)", text)
errors = non2xx + (sum(int(x) for x in re.findall(r"\d+", sock.group(1))) if sock else 0)
target = cores * single
print()
print(f"load: {sys.argv[7]} connections, {sys.argv[8]} s, create-ticket, 2048-bit key")
print(f"  throughput   {rps:.1f} tickets/s = {rps / target:.2f} x (cores {cores} x single-core {single:.1f}/s)")
print(f"  latency      p50 {p50}, p99 {p99}")
print(f"  errors       {errors} (non-2xx {non2xx}{', socket: ' + sock.group(1) if sock else ''})")
print(f"  RSS          {rss_start} kB after warm-up, {rss_end} kB at the end, max {rss_max} kB: growth {100 * (rss_end - rss_start) / rss_start:+.1f}%")
PY
