#!/usr/bin/env bash
# make run: the three functions on this machine, in HTTP mode, with dev secrets.
#   createTicket  http://$HOST:$PORT_CREATE  (default 9001; api-key mode: a generated dev key)
#   getUserInfo   http://$HOST:$PORT_USER    (default 9002; jwt mode: a generated HS256 dev secret)
#   getClientIP   http://$HOST:$PORT_IP      (default 9003)
# HOST defaults to 127.0.0.1. RUN_PROFILE=debug uses a debug build (faster to build, slower to
# sign) instead of release. Other CUSTOMAUTH_* variables in the environment reach the functions
# (e.g. CUSTOMAUTH_TRUSTED_PROXIES).
# Secrets live in $DEV_DIR (default .dev/, mode 0700, git-ignored). Ctrl-C stops all three.
# Exit status: 0 after Ctrl-C; 2 when a port is taken or a setting is wrong (before anything is
# built or started); 1 when a function does not start or stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=${DEV_DIR:-.dev}
HOST=${HOST:-127.0.0.1}
PORT_CREATE=${PORT_CREATE:-9001}
PORT_USER=${PORT_USER:-9002}
PORT_IP=${PORT_IP:-9003}
RUN_PROFILE=${RUN_PROFILE:-release}
PYTHON=${PYTHON:-python3}

fail() { echo "run-local.sh: $*" >&2; exit 2; }

case $RUN_PROFILE in
  release) profile=(--release) ;;
  debug) profile=() ;;
  *) fail "RUN_PROFILE=$RUN_PROFILE: use release or debug" ;;
esac
command -v "$PYTHON" >/dev/null || fail "$PYTHON not found (it makes the dev token and checks the ports)"

# Ports first, before minutes of building: each must be a number, distinct, and free on HOST.
declare -A seen=()
for var in PORT_CREATE PORT_USER PORT_IP; do
  port=${!var}
  [[ $port =~ ^[0-9]+$ ]] && ((port >= 1 && port <= 65535)) || fail "$var=$port is not a port number"
  [[ -z ${seen[$port]:-} ]] || fail "$var and ${seen[$port]} are both $port; give each function its own port"
  seen[$port]=$var
  # Bound as the functions bind (SO_REUSEADDR, as Rust's TcpListener), then released.
  if ! why=$("$PYTHON" - "$HOST" "$port" 2>&1 <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
with socket.socket(family, socket.SOCK_STREAM) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError as e:
        sys.exit(e.strerror or str(e))
PY
  ); then
    fail "port $port on $HOST is not free ($why): set $var to a free port, e.g. $var=$((port + 100)) make run"
  fi
done

echo "run-local.sh: building the $RUN_PROFILE binaries (the first release build takes several minutes; RUN_PROFILE=debug is quicker)"
# The same build as `make test` (`--workspace --bins`), so that one build serves both.
cargo build "${profile[@]}" --workspace --bins
BIN=${CARGO_TARGET_DIR:-target}/$RUN_PROFILE

mkdir -p "$DEV" && chmod 700 "$DEV"
[[ -f $DEV/credentials.json ]] || "$BIN/customauth" keygen --env dev-env --key-id dev-key --out "$DEV/credentials.json"
umask 077
[[ -f $DEV/api-key ]] || od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$DEV/api-key"
[[ -f $DEV/jwt-secret ]] || od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$DEV/jwt-secret"
API_KEY=$(cat "$DEV/api-key")
JWT_SECRET=$(cat "$DEV/jwt-secret")

# A dev bearer token for getUserInfo: HS256, sub dev_user_1, valid one hour.
DEV_JWT=$("$PYTHON" - "$JWT_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "dev_user_1", "exp": int(time.time()) + 3600}).encode())
sig = hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
)

names=() vars=() ports=() pids=()
cleanup() {
  trap - EXIT INT TERM
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

start() { # name, port variable, then VAR=value settings
  local name=$1 var=$2
  shift 2
  env "$@" HOST="$HOST" PORT="${!var}" "$BIN/$name" &
  names+=("$name") vars+=("$var") ports+=("${!var}") pids+=($!)
}
start create-ticket PORT_CREATE CUSTOMAUTH_CREDENTIALS_FILE="$DEV/credentials.json" \
  CUSTOMAUTH_CALLER_AUTH=api-key CUSTOMAUTH_API_KEYS="$API_KEY"
start get-user-info PORT_USER CUSTOMAUTH_CALLER_AUTH=jwt CUSTOMAUTH_JWT_SECRET="$JWT_SECRET"
start get-client-ip PORT_IP

# Each must answer on its port within 10 s; one that exits or stays silent stops the others.
for i in "${!pids[@]}"; do
  up=
  for _ in $(seq 200); do
    kill -0 "${pids[$i]}" 2>/dev/null || break
    if (exec 3<>"/dev/tcp/$HOST/${ports[$i]}") 2>/dev/null; then up=1; break; fi
    sleep 0.05
  done
  if [[ -z $up ]]; then
    status=running
    kill -0 "${pids[$i]}" 2>/dev/null || { wait "${pids[$i]}" && status=0 || status=$?; }
    echo "run-local.sh: ${names[$i]} did not start on $HOST:${ports[$i]} (${vars[$i]}; exit status: $status); its message is above" >&2
    cleanup
    exit 1
  fi
done

cat <<MSG

customauth is running (dev credentials: $DEV/credentials.json, env dev-env). Try:

  curl -s -X POST http://$HOST:$PORT_CREATE/createTicket -H 'X-Api-Key: $API_KEY' -H 'Content-Type: application/json' -d '{"customUserId":"dev_user_1"}'
  curl -s http://$HOST:$PORT_USER/getUserInfo -H 'Authorization: Bearer $DEV_JWT'
  curl -s http://$HOST:$PORT_IP/getClientIP

Check a ticket: $BIN/customauth verify --credentials $DEV/credentials.json TICKET
Ctrl-C stops all three.
MSG

# Until Ctrl-C, or until one of them stops by itself (then the others are stopped too).
set +e
wait -n "${pids[@]}"
status=$?
for i in "${!pids[@]}"; do
  kill -0 "${pids[$i]}" 2>/dev/null && continue
  echo "run-local.sh: ${names[$i]} (${vars[$i]}=${ports[$i]}) stopped with status $status; stopping the others" >&2
done
cleanup
exit 1
