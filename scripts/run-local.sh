#!/usr/bin/env bash
# make run: the whole login loop on this machine: the three functions in HTTP mode with dev
# secrets, and the local CloudBase sign-in emulator.
#   createTicket  http://$HOST:$PORT_CREATE    (default 9001; api-key mode: a generated dev key)
#   getUserInfo   http://$HOST:$PORT_USER      (default 9002; jwt mode: the emulator's access tokens,
#                                               checked with its JWKS, issuer and audience)
#   getClientIP   http://$HOST:$PORT_IP        (default 9003)
#   emulator      http://$HOST:$PORT_EMULATOR  (default 9100; env dev-env, state in $DEV_DIR)
# HOST defaults to 127.0.0.1. RUN_PROFILE=debug uses a debug build (faster to build, slower to
# sign) instead of release. Other CUSTOMAUTH_* variables in the environment reach the functions
# (e.g. CUSTOMAUTH_TRUSTED_PROXIES). CORS_ORIGINS: the pages allowed to call the three functions
# from a browser (default: common local dev-server origins; CUSTOMAUTH_CORS_ALLOWED_ORIGINS wins).
# Only make run sets it: a deployment allows no origin unless it names one.
# Secrets live in $DEV_DIR (default .dev/, mode 0700, git-ignored). Ctrl-C stops all four.
# Exit status: 0 after Ctrl-C; 2 when a port is taken or a setting is wrong (before anything is
# built or started); 1 when a function does not start or stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=${DEV_DIR:-.dev}
HOST=${HOST:-127.0.0.1}
PORT_CREATE=${PORT_CREATE:-9001}
PORT_USER=${PORT_USER:-9002}
PORT_IP=${PORT_IP:-9003}
PORT_EMULATOR=${PORT_EMULATOR:-9100}
RUN_PROFILE=${RUN_PROFILE:-release}
# Vite, create-react-app/Next.js, vue-cli/webpack, Angular, VS Code Live Server, python -m http.server.
DEV_ORIGINS=
for port in 5173 3000 8080 4200 5500 8000; do DEV_ORIGINS+=http://localhost:$port,http://127.0.0.1:$port,; done
CORS_ORIGINS=${CORS_ORIGINS:-${DEV_ORIGINS%,}}
CORS_ORIGINS=${CUSTOMAUTH_CORS_ALLOWED_ORIGINS:-$CORS_ORIGINS}
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
for var in PORT_CREATE PORT_USER PORT_IP PORT_EMULATOR; do
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
API_KEY=$(cat "$DEV/api-key")
names=() vars=() ports=() pids=()
cleanup() {
  trap - EXIT INT TERM
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

start() { # name, port variable, then VAR=value settings (or, for the emulator, its flags)
  local name=$1 var=$2
  shift 2
  if [[ $name == cloudbase-emulator ]]; then
    "$BIN/$name" "$@" &
  else
    env "$@" HOST="$HOST" PORT="${!var}" "$BIN/$name" &
  fi
  names+=("$name") vars+=("$var") ports+=("${!var}") pids+=($!)
}
wait_for() { # index into the arrays: it must answer on its port within 10 s
  local i=$1 up= status=running
  for _ in $(seq 200); do
    kill -0 "${pids[$i]}" 2>/dev/null || break
    if (exec 3<>"/dev/tcp/$HOST/${ports[$i]}") 2>/dev/null; then up=1; break; fi
    sleep 0.05
  done
  [[ -n $up ]] && return 0
  kill -0 "${pids[$i]}" 2>/dev/null || { wait "${pids[$i]}" && status=0 || status=$?; }
  echo "run-local.sh: ${names[$i]} did not start on $HOST:${ports[$i]} (${vars[$i]}; exit status: $status); its message is above" >&2
  cleanup
  exit 1
}

EMULATOR=http://$HOST:$PORT_EMULATOR
start cloudbase-emulator PORT_EMULATOR --credentials "$DEV/credentials.json" --host "$HOST" \
  --port "$PORT_EMULATOR" --data-dir "$DEV/cloudbase-emulator"
wait_for 0
# getUserInfo trusts the emulator's access tokens: its JWKS, its issuer, the env as audience.
JWKS=$("$PYTHON" -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
  "$EMULATOR/.well-known/jwks.json")
start create-ticket PORT_CREATE CUSTOMAUTH_CORS_ALLOWED_ORIGINS="$CORS_ORIGINS" CUSTOMAUTH_CREDENTIALS_FILE="$DEV/credentials.json" \
  CUSTOMAUTH_CALLER_AUTH=api-key CUSTOMAUTH_API_KEYS="$API_KEY"
start get-user-info PORT_USER CUSTOMAUTH_CORS_ALLOWED_ORIGINS="$CORS_ORIGINS" CUSTOMAUTH_CALLER_AUTH=jwt CUSTOMAUTH_JWT_JWKS="$JWKS" \
  CUSTOMAUTH_JWT_ISSUER="$EMULATOR" CUSTOMAUTH_JWT_AUDIENCE=dev-env CUSTOMAUTH_USER_ID_CLAIM=custom_user_id
start get-client-ip PORT_IP CUSTOMAUTH_CORS_ALLOWED_ORIGINS="$CORS_ORIGINS"
for i in 1 2 3; do wait_for "$i"; done

J='import json, sys; print(json.load(sys.stdin)[sys.argv[1]])'
cat <<MSG

customauth is running, with the CloudBase sign-in emulator (dev credentials: $DEV/credentials.json,
env dev-env; the emulator's users and sessions: $EMULATOR/). The whole login loop, to paste:

  # 1. Your backend asks createTicket for a ticket (api-key mode).
  TICKET=\$(curl -s -X POST http://$HOST:$PORT_CREATE/createTicket -H 'X-Api-Key: $API_KEY' -H 'Content-Type: application/json' -d '{"customUserId":"dev_user_1"}' | $PYTHON -c '$J' ticket)
  # 2. The app signs in with it at CloudBase (here the emulator, as js-sdk 1.x does), then gets an access token.
  REFRESH=\$(curl -s -X POST '$EMULATOR/web?env=dev-env' -H 'Content-Type: application/json' -d "{\\"action\\":\\"auth.signInWithTicket\\",\\"env\\":\\"dev-env\\",\\"ticket\\":\\"\$TICKET\\",\\"refresh_token\\":\\"\\"}" | $PYTHON -c '$J' refresh_token)
  ACCESS=\$(curl -s -X POST '$EMULATOR/web?env=dev-env' -H 'Content-Type: application/json' -d "{\\"action\\":\\"auth.fetchAccessTokenWithRefreshToken\\",\\"env\\":\\"dev-env\\",\\"refresh_token\\":\\"\$REFRESH\\"}" | $PYTHON -c '$J' access_token)
  # 3. Any backend learns who is calling from that access token: getUserInfo (jwt mode, the emulator's JWKS).
  curl -s http://$HOST:$PORT_USER/getUserInfo -H "Authorization: Bearer \$ACCESS"
  curl -s http://$HOST:$PORT_IP/getClientIP

Check a ticket: $BIN/customauth verify --credentials $DEV/credentials.json "\$TICKET"
Browser pages may call the three functions from: ${CORS_ORIGINS//,/ } (CORS_ORIGINS changes it).
Ctrl-C stops all four.
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
