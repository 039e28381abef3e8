#!/usr/bin/env bash
# getUserInfo in `cloudbase` mode against cloudbase-emulator: requests per
# second and p50/p99 with a warm cache (every token already confirmed) versus
# a cold one (CUSTOMAUTH_CLOUDBASE_CACHE_SECONDS=0: every request asks the
# emulator). Not a test: `make bench-cloudbase`.
#
# TOKENS: signed-in users whose access tokens the load rotates through
# (default 2000). CONNECTIONS (default 32), DURATION seconds (default 15).
set -euo pipefail
cd "$(dirname "$0")/../.."

CARGO=${CARGO:-cargo}
TOKENS=${TOKENS:-2000}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
PORT_EMU=${PORT_EMU:-9191}
PORT_FN=${PORT_FN:-9192}
command -v wrk >/dev/null || { echo "bench-cloudbase.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }

$CARGO build -q --release -p cloudbase-emulator --bin cloudbase-emulator --example bench_client
$CARGO build -q --release -p get-user-info
TARGET=$($CARGO metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
EMU=$TARGET/release/cloudbase-emulator
CLIENT=$TARGET/release/examples/bench_client
FN=$TARGET/release/get-user-info

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

python3 - "$WORK/credentials.json" <<'PY'
import json, sys
key = open("tests/fixtures/keys/k2048-pkcs1.pem").read()
json.dump({"private_key_id": "bench-key", "private_key": key, "env_id": "bench-env"}, open(sys.argv[1], "w"))
PY
RUST_LOG=warn "$EMU" --port "$PORT_EMU" --credentials "$WORK/credentials.json" --data-dir "$WORK/data" \
  >"$WORK/emulator.log" 2>&1 &
PIDS+=($!)
wait_port "$PORT_EMU"
BENCH_TOKENS_OUT="$WORK/tokens" "$CLIENT" "http://127.0.0.1:$PORT_EMU" bench-env "$WORK/credentials.json" 8 "$TOKENS" >/dev/null

cat >"$WORK/rotate.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local i = math.random(#tokens)
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", "/", { ["Authorization"] = "Bearer " .. tokens[i] })
end
LUA

lookups() { curl -s "http://127.0.0.1:$PORT_EMU/emulator/v1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["userInfoLookups"]["v2"])'; }

run() { # NAME CACHE_SECONDS
  RUST_LOG=warn CUSTOMAUTH_CALLER_AUTH=cloudbase CUSTOMAUTH_CLOUDBASE_ENV=bench-env \
    CUSTOMAUTH_CLOUDBASE_ENDPOINT="http://127.0.0.1:$PORT_EMU" CUSTOMAUTH_CLOUDBASE_CACHE_SECONDS="$2" \
    HOST=127.0.0.1 PORT=$PORT_FN "$FN" >"$WORK/fn-$1.log" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  wait_port "$PORT_FN"
  # Warm-up: every token is asked once (and, with a cache, kept).
  TOKENS_FILE="$WORK/tokens" wrk -t1 -c"$CONNECTIONS" -d3s -s "$WORK/rotate.lua" "http://127.0.0.1:$PORT_FN/" >/dev/null
  local before; before=$(lookups)
  TOKENS_FILE="$WORK/tokens" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/rotate.lua" \
    "http://127.0.0.1:$PORT_FN/" >"$WORK/wrk-$1.txt"
  local after; after=$(lookups)
  python3 - "$1" "$WORK/wrk-$1.txt" "$before" "$after" <<'PY'
import re, sys
name, path, before, after = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
text = open(path).read()
def ms(label):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % label, text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = int(non2xx.group(1)) if non2xx else 0
print("%-6s %10.0f %9.2f %9.2f %9d %9d %14d" % (name, rate, ms("50"), ms("99"), total, errors, after - before))
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "machine: $(nproc) cores, $(uname -sr); $TOKENS tokens, $CONNECTIONS connections, ${DURATION}s per run (wrk -t1)"
printf '%-6s %10s %9s %9s %9s %9s %14s\n' cache req/s p50_ms p99_ms requests non-2xx emulator_calls
run warm 30
run cold 0
