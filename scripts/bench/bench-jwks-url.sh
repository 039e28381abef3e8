#!/usr/bin/env bash
# jwt mode with keys at a URL, measured (issue 19): get-user-info (release) on loopback with
#  1. a 10-second flood of requests carrying tokens with random kids (10,000 distinct ones,
#     cycled by wrk): how many times the provider was asked for its keys;
#  2. throughput with the key from a URL (CUSTOMAUTH_JWT_JWKS_URL) versus the same key given
#     as a document (CUSTOMAUTH_JWT_JWKS), one wrk run each, alternated, ROUNDS times;
#  3. a rotation: the provider publishes a new key; requests until the first token signed
#     with it is accepted.
# The provider is a small Python HTTP server that counts its /jwks answers. Needs wrk (Debian:
# apt-get install wrk), python3 with cryptography, and `cargo build --release -p get-user-info`.
# Usage: scripts/bench/bench-jwks-url.sh [DURATION_S=10] [ROUNDS=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
ROUNDS=${2:-2}
BIN=target/release/get-user-info
[ -x "$BIN" ] || { echo "build it first: cargo build --release -p get-user-info" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Keys, tokens, the provider. provider.py serves $WORK/jwks.json at /jwks (max-age 300) and
# the number of /jwks answers at /hits.
python3 - "$WORK" <<'EOF'
import base64, json, os, sys, time, uuid
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
work = sys.argv[1]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def key(kid):
    k = ec.generate_private_key(ec.SECP256R1())
    n = k.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
           "x": b64(n.x.to_bytes(32, "big")), "y": b64(n.y.to_bytes(32, "big"))}
    return k, jwk
def token(k, kid, sub):
    head = b64(json.dumps({"alg": "ES256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps({"sub": sub, "aud": "bench", "exp": int(time.time()) + 3600}).encode())
    r, s = utils.decode_dss_signature(k.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{head}.{body}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
old, old_jwk = key("bench-old")
new, new_jwk = key("bench-new")
liar, _ = key("liar")
json.dump({"keys": [old_jwk]}, open(f"{work}/jwks.json", "w"))
json.dump({"keys": [old_jwk]}, open(f"{work}/jwks-old.json", "w"))
json.dump({"keys": [new_jwk, old_jwk]}, open(f"{work}/jwks-rotated.json", "w"))
open(f"{work}/token-old", "w").write(token(old, "bench-old", "bench_user_1"))
open(f"{work}/token-new", "w").write(token(new, "bench-new", "bench_user_1"))
with open(f"{work}/random-kids.txt", "w") as f:
    for _ in range(10_000):
        f.write(token(liar, uuid.uuid4().hex, "bench_liar") + "\n")
EOF
cat > "$WORK/provider.py" <<'EOF'
import http.server, sys, threading
work, port = sys.argv[1], int(sys.argv[2])
hits = 0
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global hits
        if self.path == "/hits":
            body = str(hits).encode()
        else:
            with lock:
                hits += 1
            body = open(f"{work}/jwks.json", "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "public, max-age=300")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
cat > "$WORK/kids.lua" <<EOF
local tokens = {}
for line in io.lines("$WORK/random-kids.txt") do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", "/getUserInfo", { ["Authorization"] = "Bearer " .. tokens[i] })
end
EOF
IDP_PORT=$(free_port)
python3 "$WORK/provider.py" "$WORK" "$IDP_PORT" & PIDS+=($!)
sleep 0.5
hits() { curl -s "http://127.0.0.1:$IDP_PORT/hits"; }

start() { # start PORT NAME VAR VALUE: get-user-info with the key source VAR=VALUE
  env -i PATH="$PATH" HOST=127.0.0.1 PORT="$1" RUST_LOG=warn CUSTOMAUTH_CALLER_AUTH=jwt \
    CUSTOMAUTH_JWT_AUDIENCE=bench "$3=$4" "$BIN" >"$WORK/$2.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$1/" && break; sleep 0.05; done
}
URL_PORT=$(free_port)
start "$URL_PORT" url CUSTOMAUTH_JWT_JWKS_URL "http://127.0.0.1:$IDP_PORT/jwks"
STATIC_PORT=$(free_port)
start "$STATIC_PORT" static CUSTOMAUTH_JWT_JWKS "$(cat "$WORK/jwks-old.json")"
TOKEN=$(cat "$WORK/token-old")
for port in "$URL_PORT" "$STATIC_PORT"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/getUserInfo")
  [ "$code" = 200 ] || { echo "port $port answered $code"; cat "$WORK"/*.log; exit 1; }
done

echo "== 1. flood of random kids for ${DURATION}s (10,000 distinct tokens; min-refresh 30 s)"
before=$(hits)
wrk -t2 -c32 -d"${DURATION}s" -s "$WORK/kids.lua" "http://127.0.0.1:$URL_PORT" | grep -E 'requests in|Requests/sec|Non-2xx'
after=$(hits)
echo "provider hits during the flood: $((after - before)) (target <= $((1 + DURATION / 30)))"

echo "== 2. throughput, same ES256 key: URL vs document, ${DURATION}s each, alternated, load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" > "$WORK/token.lua"
for round in $(seq "$ROUNDS"); do
  for which in static url; do
    port=$([ "$which" = url ] && echo "$URL_PORT" || echo "$STATIC_PORT")
    rps=$(wrk -t2 -c32 -d"${DURATION}s" -s "$WORK/token.lua" "http://127.0.0.1:$port/getUserInfo" | awk '/Requests\/sec/ {print $2}')
    echo "round $round $which: $rps req/s (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done

echo "== 3. rotation: the provider publishes bench-new (and keeps bench-old)"
cp "$WORK/jwks-rotated.json" "$WORK/jwks.json"
NEW=$(cat "$WORK/token-new")
for n in $(seq 5); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $NEW" "http://127.0.0.1:$URL_PORT/getUserInfo")
  echo "request $n with the new key's token: $code"
  [ "$code" = 200 ] && break
done
