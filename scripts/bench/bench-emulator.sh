#!/usr/bin/env bash
# Complete v1 sign-ins per second against cloudbase-emulator with its
# persistent store (SQLite in a fresh --data-dir): signInWithTicket +
# fetchAccessTokenWithRefreshToken + getUserInfo, at 1, 8 and 64 concurrent
# keep-alive clients, p50/p99 per sign-in, and the emulator's RSS at idle and
# after the load. Not a test: `make bench-emulator`.
#
# COUNT_1, COUNT_8, COUNT_64: sign-ins per level (defaults 2000, 6000, 6000).
set -euo pipefail
cd "$(dirname "$0")/../.."

CARGO=${CARGO:-cargo}
PORT=${PORT:-9190}
COUNT_1=${COUNT_1:-2000}
COUNT_8=${COUNT_8:-6000}
COUNT_64=${COUNT_64:-6000}

$CARGO build -q --release -p cloudbase-emulator --bin cloudbase-emulator --example bench_client
TARGET=$($CARGO metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BIN=$TARGET/release/cloudbase-emulator
CLIENT=$TARGET/release/examples/bench_client

WORK=$(mktemp -d)
cleanup() {
  if [[ -n "${EMU_PID:-}" ]]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Credentials of the console's format, from the fixture key (tests/fixtures/keys).
python3 - "$WORK/credentials.json" <<'PY'
import json, sys
key = open("tests/fixtures/keys/k2048-pkcs1.pem").read()
json.dump({"private_key_id": "bench-key", "private_key": key, "env_id": "bench-env"}, open(sys.argv[1], "w"))
PY

RUST_LOG=warn "$BIN" --port "$PORT" --credentials "$WORK/credentials.json" --data-dir "$WORK/data" \
  >"$WORK/emulator.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.05
done
rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$EMU_PID/status"; }
# The emulator's CPU time (user + system), ms: the machine is shared, so the
# rate is also given per CPU-second the emulator used.
TICK=$(getconf CLK_TCK)
cpu_ms() { awk -v t="$TICK" '{print ($14 + $15) * 1000 / t}' "/proc/$EMU_PID/stat"; }
sleep 1
echo "machine: $(nproc) cores, $(uname -sr); store: SQLite (WAL) in --data-dir"
echo "emulator RSS at idle: $(rss)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%8s %8s %8s %10s %9s %9s %16s\n' clients sign-ins errors rate/s p50_ms p99_ms emu_cpu_ms/signin
for level in "1 $COUNT_1" "8 $COUNT_8" "64 $COUNT_64"; do
  set -- $level
  before=$(cpu_ms)
  result=$("$CLIENT" "http://127.0.0.1:$PORT" bench-env "$WORK/credentials.json" "$1" "$2")
  after=$(cpu_ms)
  python3 -c '
import json, sys
r = json.loads(sys.argv[1]); cpu = float(sys.argv[3]) - float(sys.argv[2])
print("%8d %8d %8d %10.0f %9.2f %9.2f %16.3f" % (r["clients"], r["count"], r["errors"], r["rate"], r["p50_ms"], r["p99_ms"], cpu / max(r["count"], 1)))' "$result" "$before" "$after"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "emulator RSS after the load: $(rss)"
sleep 2
echo "emulator RSS idle again: $(rss)"
