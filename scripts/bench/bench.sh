#!/usr/bin/env bash
# Single-core throughput comparison, run from the repo root (make bench):
#   (a) openssl speed rsaN sign/s                (raw RSA-SHA256-less private-key op ceiling)
#   (b) customauth: target/release/customauth mint --count N   (our public CLI)
#   (c) official @cloudbase/node-sdk createTicket via scripts/bench/sdk-bench.js
# Everything is pinned to one CPU with `taskset -c 0` when available. For each key size, openssl
# and customauth are measured in turn, BENCH_ROUNDS times, and each column is the median of its
# rounds: a shared machine's speed drifts by 10% and more over minutes, and the ratio should
# compare runs made seconds apart, not one column measured minutes after the other.
#
# Knobs (environment):
#   BENCH_SECONDS=5        target wall time per measurement
#   BENCH_ROUNDS=3         openssl/customauth alternations per key size (median reported)
#   BENCH_BITS="1024 2048 3072 4096"   key sizes (fixtures k1024-pkcs1, k2048-pkcs1, k3072-pkcs1, k4096-pkcs8)
#   SKIP_OPENSSL=1 SKIP_RUST=1 SKIP_SDK=1   skip a column
#   CUSTOMAUTH_BIN=path    use this binary instead of building target/release/customauth
#   BENCH_CPU=0            the core everything is pinned to
#   BENCH_CLOCK=wall       wall: customauth and the SDK are timed by the wall clock;
#                          cpu: by the CPU time their process used (user + system), the
#                          way `openssl speed` counts by default (user CPU time). Use cpu on
#                          a machine other processes are using: preemption then costs nothing.
set -euo pipefail

SDK_VERSION="3.18.3"
SDK_PKG="@cloudbase/node-sdk@${SDK_VERSION}"

BENCH_SECONDS="${BENCH_SECONDS:-5}"
BENCH_ROUNDS="${BENCH_ROUNDS:-3}"
[[ "$BENCH_ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: BENCH_ROUNDS is a whole number from 1" >&2; exit 2; }
BENCH_BITS="${BENCH_BITS:-1024 2048 3072 4096}"
SKIP_OPENSSL="${SKIP_OPENSSL:-0}"
SKIP_RUST="${SKIP_RUST:-0}"
SKIP_SDK="${SKIP_SDK:-0}"
BENCH_CLOCK="${BENCH_CLOCK:-wall}"
[[ "$BENCH_CLOCK" == wall || "$BENCH_CLOCK" == cpu ]] || { echo "bench.sh: BENCH_CLOCK is wall or cpu" >&2; exit 2; }
UID_="bench_user"
NOW_MS=1700000000000
KEY_DIR="tests/fixtures/keys"
FIXTURES="tests/fixtures/tickets.json"

[[ -f Cargo.toml && -d "$KEY_DIR" ]] || { echo "bench.sh: run from the repo root" >&2; exit 2; }
REPO_ROOT="$(pwd)"

PIN=()
if command -v taskset >/dev/null 2>&1 && taskset -c "${BENCH_CPU:-0}" true >/dev/null 2>&1; then
  PIN=(taskset -c "${BENCH_CPU:-0}")
else
  echo "bench.sh: taskset unavailable, running unpinned" >&2
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/customauth-bench.XXXXXX")"
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT

log() { echo "[bench] $*" >&2; }
now_ns() { date +%s%N; }

key_file() {
  case "$1" in
    1024) echo "$KEY_DIR/k1024-pkcs1.pem" ;;
    2048) echo "$KEY_DIR/k2048-pkcs1.pem" ;;
    3072) echo "$KEY_DIR/k3072-pkcs1.pem" ;;
    4096) echo "$KEY_DIR/k4096-pkcs8.pem" ;;
    *) echo "bench.sh: no fixture key for $1 bits" >&2; return 1 ;;
  esac
}

# Credentials files, same shape the console hands out / the SDK reads.
for bits in $BENCH_BITS; do
  python3 - "$(key_file "$bits")" "bench-kid-$bits" "bench-env-1a2b3c" > "$TMP/creds-$bits.json" <<'PY'
import json, sys
key, kid, env = sys.argv[1:4]
with open(key) as f:
    pem = f.read()
print(json.dumps({"private_key_id": kid, "private_key": pem, "env_id": env}))
PY
done

declare -A OPENSSL_RATE RUST_RATE SDK_RATE PARITY

# ---------------------------------------------------------------- (a) openssl
# Parses the human table; works for 3.0 (sign verify sign/s verify/s) and
# 3.2+ (sign verify encrypt decrypt sign/s verify/s encr./s decr./s) layouts.
parse_openssl_sign() {
  python3 -c '
import sys
bits = sys.argv[1]
hdr = None
for line in sys.stdin:
    t = line.split()
    if "sign/s" in t:
        hdr = t
    elif hdr and len(t) > 3 and t[0] == "rsa" and t[1] == bits and t[2] == "bits":
        print(t[3:][hdr.index("sign/s")]); sys.exit(0)
sys.exit("could not parse openssl speed output for rsa%s" % bits)
' "$1"
}

openssl_rate() { # bits
  log "openssl speed -seconds $BENCH_SECONDS rsa$1"
  local out rate
  out="$("${PIN[@]}" openssl speed -seconds "$BENCH_SECONDS" "rsa$1" 2>&1)"
  rate="$(parse_openssl_sign "$1" <<<"$out")"
  log "  openssl rsa$1 sign/s = $rate"
  echo "$rate"
}

# ------------------------------------------------------------- (b) customauth
# Runs `mint --count N` and prints elapsed nanoseconds (process start included;
# negligible at ~BENCH_SECONDS of work).
time_mint() { # bin creds count
  if [[ "$BENCH_CLOCK" == cpu ]]; then
    # The child's user + system CPU time, in nanoseconds.
    python3 - "${PIN[@]}" "$1" mint --credentials "$2" --uid "$UID_" --now "$NOW_MS" --count "$3" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(int((u.ru_utime + u.ru_stime) * 1e9))
PY
    return
  fi
  local t0 t1
  t0="$(now_ns)"
  "${PIN[@]}" "$1" mint --credentials "$2" --uid "$UID_" --now "$NOW_MS" --count "$3" > /dev/null
  t1="$(now_ns)"
  echo $((t1 - t0))
}

CUSTOMAUTH_BIN_DEFAULT="target/release/customauth"
if [[ "$SKIP_RUST" != 1 ]]; then
  if [[ -n "${CUSTOMAUTH_BIN:-}" ]]; then
    BIN="$CUSTOMAUTH_BIN"
    log "using prebuilt $BIN"
  else
    log "cargo build --release -p customauth-cli"
    cargo build --release -p customauth-cli >&2
    BIN="$CUSTOMAUTH_BIN_DEFAULT"
  fi
  [[ -x "$BIN" ]] || { echo "bench.sh: $BIN not executable" >&2; exit 1; }
fi

rust_rate() { # bits
  local creds="$TMP/creds-$1.json" count=32 ns n rate
  # calibrate: grow count until a run takes >= 0.5 s, then size the real run
  while :; do
    ns="$(time_mint "$BIN" "$creds" "$count")"
    (( ns >= 500000000 || count >= 1000000000 )) && break
    count=$((count * 4))
  done
  n="$(python3 -c 'import sys; c,ns,s=map(float,sys.argv[1:]); print(max(100,int(c*s*1e9/ns)))' "$count" "$ns" "$BENCH_SECONDS")"
  log "customauth $1-bit: mint --count $n"
  ns="$(time_mint "$BIN" "$creds" "$n")"
  rate="$(python3 -c 'import sys; n,ns=map(float,sys.argv[1:]); print("%.1f" % (n*1e9/ns))' "$n" "$ns")"
  log "  customauth $1-bit tickets/s = $rate ($n in $(python3 -c "print('%.3f' % ($ns/1e9))") s)"
  echo "$rate"
}

median() { python3 -c 'import statistics, sys; print("%.1f" % statistics.median(map(float, sys.argv[1:])))' "$@"; }

[[ "$SKIP_OPENSSL" == 1 ]] || log "$(openssl version)"
for bits in $BENCH_BITS; do
  o=() r=()
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    log "rsa$bits, round $round of $BENCH_ROUNDS"
    [[ "$SKIP_OPENSSL" == 1 ]] || o+=("$(openssl_rate "$bits")")
    [[ "$SKIP_RUST" == 1 ]] || r+=("$(rust_rate "$bits")")
  done
  if [[ "$SKIP_OPENSSL" != 1 ]]; then OPENSSL_RATE[$bits]="$(median "${o[@]}")"; fi
  if [[ "$SKIP_RUST" != 1 ]]; then RUST_RATE[$bits]="$(median "${r[@]}")"; fi
  if [[ "$SKIP_OPENSSL" != 1 && "$SKIP_RUST" != 1 ]]; then
    log "  rsa$bits customauth/openssl by round: $(python3 -c '
import sys
o, r = sys.argv[1].split(), sys.argv[2].split()
print(" ".join("%.3f" % (float(b) / float(a)) for a, b in zip(o, r)))' "${o[*]}" "${r[*]}")"
  fi
done

# ------------------------------------------------------------ (c) official SDK
if [[ "$SKIP_SDK" != 1 ]]; then
  command -v node >/dev/null || { echo "bench.sh: node not found" >&2; exit 1; }
  mkdir -p "$TMP/sdk"
  cp scripts/bench/sdk-bench.js "$TMP/sdk/"
  log "npm install $SDK_PKG (node $(node --version))"
  t0="$(now_ns)"
  (cd "$TMP/sdk" && npm install --no-audit --no-fund --silent "$SDK_PKG" >&2)
  t1="$(now_ns)"
  log "  npm install took $(python3 -c "print('%.1f' % (($t1-$t0)/1e9))") s"
  got_ver="$(cd "$TMP/sdk" && node -p 'require("@cloudbase/node-sdk/package.json").version')"
  [[ "$got_ver" == "$SDK_VERSION" ]] || { echo "bench.sh: installed SDK $got_ver != $SDK_VERSION" >&2; exit 1; }
  SDK_JS="$TMP/sdk/sdk-bench.js" # node_modules sits next to it

  # The harness must reproduce the recorded vectors before its numbers count.
  if [[ -f "$FIXTURES" ]]; then
    node "$SDK_JS" --verify-fixtures "$FIXTURES" "$KEY_DIR" >&2 \
      || { echo "bench.sh: SDK harness does not reproduce $FIXTURES" >&2; exit 1; }
  fi

  for bits in $BENCH_BITS; do
    creds="$TMP/creds-$bits.json"
    cal="$("${PIN[@]}" node "$SDK_JS" "$creds" "$UID_" 200 "$NOW_MS" 2>/dev/null | sed -n 's/^sdk_tickets_per_s=//p')"
    n="$(python3 -c 'import sys; r,s=map(float,sys.argv[1:]); print(max(100,int(r*s)))' "$cal" "$BENCH_SECONDS")"
    log "sdk $bits-bit: createTicket x $n"
    rate_key=sdk_tickets_per_s
    [[ "$BENCH_CLOCK" == cpu ]] && rate_key=sdk_tickets_per_cpu_s
    SDK_RATE[$bits]="$("${PIN[@]}" node "$SDK_JS" "$creds" "$UID_" "$n" "$NOW_MS" | sed -n "s/^${rate_key}=//p")"
    [[ -n "${SDK_RATE[$bits]}" ]] || { echo "bench.sh: sdk-bench produced no rate" >&2; exit 1; }
    log "  sdk $bits-bit tickets/s = ${SDK_RATE[$bits]}"

    # Byte-parity spot check of what we just timed (same creds, uid, clock).
    if [[ "$SKIP_RUST" != 1 ]]; then
      want="$(node "$SDK_JS" --check "$creds" "$UID_" "$NOW_MS")"
      ours="$("$BIN" mint --credentials "$creds" --uid "$UID_" --now "$NOW_MS" --count 1 | head -n 1)"
      if [[ "$ours" == "$want" ]]; then PARITY[$bits]=yes; else
        PARITY[$bits]=NO
        log "  WARNING: customauth $bits-bit ticket differs from SDK ticket"
      fi
    fi
  done
fi

# ------------------------------------------------------------------- (d) table
rows=()
for bits in $BENCH_BITS; do
  rows+=("$bits:${OPENSSL_RATE[$bits]:--}:${RUST_RATE[$bits]:--}:${SDK_RATE[$bits]:--}:${PARITY[$bits]:--}")
done
python3 - "$BENCH_SECONDS" "${PIN[*]:-unpinned}" "$UID_" "$NOW_MS" "$BENCH_CLOCK" "$BENCH_ROUNDS" "${rows[@]}" <<'PY'
import sys
secs, pin, uid, now, clock, rounds = sys.argv[1:7]
data = [r.split(":") for r in sys.argv[7:]]
def f(x): return "-" if x == "-" else "%.1f" % float(x)
def ratio(a, b): return "-" if "-" in (a, b) else "%.3f" % (float(a) / float(b))
hdr = ("bits", "openssl sign/s", "customauth tickets/s", "SDK tickets/s",
       "customauth/openssl", "customauth/SDK", "same bytes")
rows = [hdr] + [(b, f(o), f(r), f(s), ratio(r, o), ratio(r, s), p) for b, o, r, s, p in data]
w = [max(len(row[i]) for row in rows) for i in range(len(hdr))]
print()
print("single core (%s), ~%s s per measurement, median of %s rounds (openssl and customauth in turn), uid %s, frozen now %s, %s clock"
      % (pin, secs, rounds, uid, now, clock))
for i, row in enumerate(rows):
    print("  ".join(c.rjust(w[j]) for j, c in enumerate(row)))
    if i == 0:
        print("  ".join("-" * x for x in w))
print()
for b, o, r, s, p in data:
    print("bench_rsa%s openssl_sign_per_s=%s customauth_tickets_per_s=%s sdk_tickets_per_s=%s" % (b, o, r, s))
PY
