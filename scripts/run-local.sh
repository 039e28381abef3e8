#!/usr/bin/env bash
# make run: the three functions on this machine, in HTTP mode, with dev secrets.
#   createTicket  http://127.0.0.1:9001  (api-key mode: a generated dev key)
#   getUserInfo   http://127.0.0.1:9002  (jwt mode: a generated HS256 dev secret)
#   getClientIP   http://127.0.0.1:9003
# Secrets live in .dev/ (mode 0600, git-ignored). Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=.dev
PORT_CREATE=${PORT_CREATE:-9001}
PORT_USER=${PORT_USER:-9002}
PORT_IP=${PORT_IP:-9003}

cargo build --release -q -p customauth-cli -p create-ticket -p get-user-info -p get-client-ip
BIN=${CARGO_TARGET_DIR:-target}/release

mkdir -p "$DEV" && chmod 700 "$DEV"
[[ -f $DEV/credentials.json ]] || "$BIN/customauth" keygen --env dev-env --key-id dev-key --out "$DEV/credentials.json"
umask 077
[[ -f $DEV/api-key ]] || od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$DEV/api-key"
[[ -f $DEV/jwt-secret ]] || od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$DEV/jwt-secret"
API_KEY=$(cat "$DEV/api-key")
JWT_SECRET=$(cat "$DEV/jwt-secret")

# A dev bearer token for getUserInfo: HS256, sub dev_user_1, aud customauth-dev, valid one hour.
DEV_JWT=$(python3 - "$JWT_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "dev_user_1", "aud": "customauth-dev",
                       "exp": int(time.time()) + 3600}).encode())
sig = hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
)

pids=()
cleanup() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

CUSTOMAUTH_CREDENTIALS_FILE=$DEV/credentials.json CUSTOMAUTH_CALLER_AUTH=api-key \
  CUSTOMAUTH_API_KEYS=$API_KEY PORT=$PORT_CREATE "$BIN/create-ticket" & pids+=($!)
CUSTOMAUTH_CALLER_AUTH=jwt CUSTOMAUTH_JWT_SECRET=$JWT_SECRET CUSTOMAUTH_JWT_AUDIENCE=customauth-dev \
  PORT=$PORT_USER "$BIN/get-user-info" & pids+=($!)
PORT=$PORT_IP "$BIN/get-client-ip" & pids+=($!)

for port in $PORT_CREATE $PORT_USER $PORT_IP; do
  for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
done

cat <<MSG

customauth is running (dev credentials: $DEV/credentials.json, env dev-env). Try:

  curl -s -X POST http://127.0.0.1:$PORT_CREATE/createTicket -H 'X-Api-Key: $API_KEY' -H 'Content-Type: application/json' -d '{"customUserId":"dev_user_1"}'
  curl -s http://127.0.0.1:$PORT_USER/getUserInfo -H 'Authorization: Bearer $DEV_JWT'
  curl -s http://127.0.0.1:$PORT_IP/getClientIP

Check a ticket: $BIN/customauth verify --credentials $DEV/credentials.json TICKET
Ctrl-C stops all three.
MSG
wait
