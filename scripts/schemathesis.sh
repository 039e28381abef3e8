#!/usr/bin/env bash
# Property-based API tests: openapi.yaml against the three function binaries, with schemathesis.
#
# Run from the repo root after `cargo build --workspace --bins` (make test does both):
#   scripts/schemathesis.sh
# Starts target/debug/{create-ticket,get-user-info,get-client-ip} in HTTP mode on free loopback
# ports with a throwaway configuration (test key, random API key, random HS256 secret and a JWT
# minted here), runs `schemathesis run` against each, then once more without credentials, and
# exits non-zero if any run failed. Needs schemathesis (requirements-dev.txt).
#
#   SCHEMATHESIS_EXAMPLES  examples per operation, authenticated runs (default 100)
#   SCHEMATHESIS_SEED      hypothesis seed (default fixed, so failures reproduce; "random" for none)
#   CARGO_TARGET_DIR       where the binaries are (default target)
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${SCHEMATHESIS_EXAMPLES:-100}
SEED=${SCHEMATHESIS_SEED:-20260101}
BIN=${CARGO_TARGET_DIR:-target}/debug
PYTHON=${PYTHON:-python3}
SPEC=$PWD/openapi.yaml

command -v schemathesis >/dev/null || {
  echo "schemathesis.sh: schemathesis not found; pip install -r requirements-dev.txt" >&2
  exit 2
}
for f in create-ticket get-user-info get-client-ip; do
  [[ -x $BIN/$f ]] || { echo "schemathesis.sh: $BIN/$f missing; run cargo build --workspace --bins" >&2; exit 2; }
done

WORK=$(mktemp -d)
pids=()
current=
cleanup() {
  local pid
  [[ -z $current ]] || kill -TERM "$current" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Throwaway configuration. Secrets stay in the environment of the child processes and in $WORK.
umask 077
CREDENTIALS=$("$PYTHON" -c 'import json, sys
print(json.dumps({"private_key_id": "schemathesis-key", "private_key": open(sys.argv[1]).read(),
                  "env_id": "schemathesis-env"}))' tests/fixtures/keys/k2048-pkcs8.pem)
API_KEY=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(24))')
JWT_SECRET=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')
# HS256, identity claim sub, audience schemathesis, valid for an hour.
JWT=$("$PYTHON" - "$JWT_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = {"sub": "schemathesis_user", "openId": "o-schemathesis", "appId": "a-schemathesis",
          "aud": "schemathesis", "exp": int(time.time()) + 3600}
body = b64(json.dumps(claims).encode())
sig = hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
)
# Three free loopback ports (bound and released at once: a tiny race, checked below).
read -r PORT_CREATE PORT_USER PORT_IP < <("$PYTHON" -c 'import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

start() { # name port env...
  local name=$1 port=$2
  shift 2
  env -i PATH="$PATH" HOST=127.0.0.1 PORT="$port" RUST_LOG=warn "$@" "$BIN/$name" >"$WORK/$name.log" 2>&1 &
  pids+=($!)
}
start create-ticket "$PORT_CREATE" CUSTOMAUTH_CREDENTIALS="$CREDENTIALS" \
  CUSTOMAUTH_CALLER_AUTH=api-key CUSTOMAUTH_API_KEYS="$API_KEY"
start get-user-info "$PORT_USER" CUSTOMAUTH_CALLER_AUTH=jwt CUSTOMAUTH_JWT_SECRET="$JWT_SECRET" \
  CUSTOMAUTH_JWT_AUDIENCE=schemathesis
start get-client-ip "$PORT_IP"

i=0
for port in "$PORT_CREATE" "$PORT_USER" "$PORT_IP"; do
  pid=${pids[$i]}
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if ! kill -0 "$pid" 2>/dev/null || ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "schemathesis.sh: the function on port $port did not start:" >&2
    cat "$WORK"/*.log >&2
    exit 1
  fi
  i=$((i + 1))
done

# Every warning schemathesis shows fails the run: a filter that selects nothing, a pattern it
# cannot generate from, an unresolvable $ref, or (authenticated runs) credentials that do not work,
# which would otherwise turn every answer into a 401 that passes every check.
cat >"$WORK/authenticated.toml" <<'TOML'
[warnings]
fail-on = true
TOML
# Without credentials every answer is meant to be a 401, so missing_auth is the point, not a warning.
cat >"$WORK/unauthenticated.toml" <<'TOML'
[warnings]
display = ["missing_test_data", "base_url_mismatch", "validation_mismatch", "missing_deserializer",
           "unused_openapi_auth", "unsupported_regex", "method_not_allowed", "constants_extraction",
           "unmatched_filter", "unresolvable_reference", "rate_limited", "dictionary_mismatch",
           "timeout_units"]
fail-on = true
TOML

seed=()
[[ $SEED == random ]] || seed=(--seed "$SEED")
failed=()
run() { # label, config (authenticated|unauthenticated), then `schemathesis run` arguments
  local label=$1 config=$2
  shift 2
  echo "=== schemathesis: $label"
  # In $WORK: schemathesis keeps a crash cache in ./.schemathesis, which is not for the repo.
  # In the background and waited for, so that a signal runs the trap (which stops it) at once.
  (cd "$WORK" && exec schemathesis --config-file "$WORK/$config.toml" run "$SPEC" --no-color \
    --generation-database none --request-timeout 10 --max-failures 20 "${seed[@]}" "$@") &
  current=$!
  if ! wait "$current"; then failed+=("$label"); fi
  current=
}

# Authenticated runs: every check. use_after_free, ensure_resource_availability and
# object_level_authorization need resources linked between operations; there are none, so they
# pass without testing anything (kept so that `all` stays all). For createTicket, positive_data_acceptance does not apply:
# whether schema-valid input is accepted depends on the clock (expire must be later than now and
# within CUSTOMAUTH_MAX_EXPIRE_MS of it), the configured ceilings and the caller-auth mode
# (api-key mode requires customUserId), none of which a schema can say; those answers are
# documented 400s, which status_code_conformance and response_schema_conformance still check.
run "createTicket (api-key, X-Api-Key)" authenticated --url "http://127.0.0.1:$PORT_CREATE" \
  --include-path /createTicket -H "X-Api-Key: $API_KEY" -n "$EXAMPLES" \
  --checks all --exclude-checks positive_data_acceptance
run "getUserInfo (jwt)" authenticated --url "http://127.0.0.1:$PORT_USER" \
  --include-path /getUserInfo -H "Authorization: Bearer $JWT" -n "$EXAMPLES" --checks all
run "getClientIP" authenticated --url "http://127.0.0.1:$PORT_IP" \
  --include-path /getClientIP -n "$EXAMPLES" --checks all

# Unauthenticated runs: no credential at all, so every answer must be a conforming 401 (or 405,
# 413...). ignored_auth in the runs above already probes each operation without and with invalid
# credentials, but checks only the status of those probes; these runs check the 401 responses.
run "createTicket without credentials" unauthenticated --url "http://127.0.0.1:$PORT_CREATE" \
  --include-path /createTicket --generation-with-security-parameters false -n 5 --checks all
run "getUserInfo without credentials" unauthenticated --url "http://127.0.0.1:$PORT_USER" \
  --include-path /getUserInfo --generation-with-security-parameters false -n 5 --checks all

# Requests schemathesis does not make: bodies over 16 KiB (413), a non-JSON Content-Type (415),
# each 405's exact Allow, Authorization: Bearer <API key>, and a JSON array instead of an object.
# Each answer is checked against openapi.yaml: status, Content-Type, the documented response
# headers and the body schema.
echo "=== explicit probes"
if ! PORT_CREATE=$PORT_CREATE PORT_USER=$PORT_USER PORT_IP=$PORT_IP API_KEY=$API_KEY JWT=$JWT \
  "$PYTHON" - "$SPEC" <<'PY'; then
import json, os, sys, urllib.error, urllib.request
import jsonschema_rs, yaml  # both come with schemathesis

spec = yaml.safe_load(open(sys.argv[1]))
env = os.environ
key, jwt = {"X-Api-Key": env["API_KEY"]}, {"Authorization": "Bearer " + env["JWT"]}
json_ct = {"Content-Type": "application/json"}
named = b'{"customUserId":"probe_user"}'
big = b'{"customUserId":"probe_user"' + b" " * 16384 + b"}"
create, user, ip = (("/createTicket", env["PORT_CREATE"]), ("/getUserInfo", env["PORT_USER"]),
                    ("/getClientIP", env["PORT_IP"]))
probes = [  # target, method, headers, body, expected status, what
    (create, "POST", {**key, **json_ct}, named, 200, "X-Api-Key"),
    (create, "POST", {"Authorization": "Bearer " + env["API_KEY"], **json_ct}, named, 200,
     "Authorization: Bearer <API key>"),
    (create, "POST", {**key}, None, 400, "no body: customUserId required in api-key mode"),
    (create, "POST", json_ct, named, 401, "no credentials"),
    (create, "DELETE", key, None, 405, "wrong method"),
    (create, "POST", {**key, **json_ct}, big, 413, "body over 16 KiB"),
    (create, "POST", {**key, "Content-Type": "text/plain"}, named, 415, "text/plain"),
    (create, "POST", {**key, **json_ct}, b'{"customUserId":"probe_user","customUserId":"probe_user"}',
     400, "duplicate key"),
    (create, "POST", {**key, **json_ct}, b'["probe_user",null,null]', 400, "a JSON array, not an object"),
    (user, "GET", jwt, None, 200, "JWT"),
    (user, "POST", {**jwt, **json_ct}, big, 413, "body over 16 KiB"),
    (user, "PUT", jwt, None, 405, "wrong method"),
    (user, "GET", {"Authorization": "Bearer not.a.jwt"}, None, 401, "bad JWT"),
    (ip, "GET", {}, None, 200, "no credentials needed"),
    (ip, "POST", json_ct, big, 413, "body over 16 KiB"),
    (ip, "PATCH", {}, None, 405, "wrong method"),
]


def deref(node):
    if isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return deref(target)
    return node


failures = 0
for (path, port), method, headers, body, status, what in probes:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            got, got_headers, text = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        got, got_headers, text = e.code, e.headers, e.read()
    problems = []
    # An undocumented method is answered as the path's documented operations say (same 405).
    operations = spec["paths"][path]
    operation = operations.get(method.lower()) or next(iter(operations.values()))
    response = deref(operation["responses"].get(str(got), {}))
    if got != status:
        problems.append(f"status {got}, expected {status}")
    if not response:
        problems.append(f"status {got} is not documented")
    if got_headers.get("Content-Type") != "application/json":
        problems.append(f"Content-Type {got_headers.get('Content-Type')!r}")
    for name, header in response.get("headers", {}).items():
        header, value = deref(header), got_headers.get(name)
        if value is None:
            if header.get("required"):
                problems.append(f"header {name} missing")
        elif value not in header["schema"].get("enum", [value]):
            problems.append(f"header {name}: {value!r} not in {header['schema']['enum']}")
    if response:
        schema = dict(response["content"]["application/json"]["schema"], components=spec["components"])
        try:
            jsonschema_rs.Draft4Validator(schema, validate_formats=True).validate(json.loads(text))
        except (ValueError, jsonschema_rs.ValidationError) as e:
            problems.append(f"body does not match the schema: {e}")
    failures += bool(problems)
    print(("FAIL " if problems else "ok   ") + f"{method} {path} ({what}): {got}")
    for problem in problems:
        print(f"       {problem}")
    if problems:
        print(f"       response body: {text[:200]!r}")
sys.exit(1 if failures else 0)
PY
  failed+=("explicit probes")
fi

if ((${#failed[@]})); then
  echo "schemathesis.sh: FAILED: ${failed[*]}" >&2
  echo "--- function logs (warnings and errors)" >&2
  cat "$WORK"/*.log >&2
  exit 1
fi
echo "schemathesis.sh: all runs passed"
