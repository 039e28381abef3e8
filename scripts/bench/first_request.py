#!/usr/bin/env python3
"""Time from exec to the first answered request, whole process, for each function binary.

    scripts/bench/first_request.py [--runs 30] [--bin-dir target/release] [--key k2048-pkcs1]
                                   [--only create-ticket]

Each run spawns the binary in HTTP mode on a free port, polls connect() until the
port opens, sends one real request (createTicket with an API key, getUserInfo with a
JWT, getClientIP) and stops the clock when the full 200 response has arrived.
createTicket signs with --key, a key of tests/fixtures/keys (k1024-pkcs1, k1024-pkcs8, k2048-pkcs1...).
"""
import argparse, base64, hashlib, hmac, json, os, socket, statistics, subprocess, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
API_KEY = "bench-api-key-0123456789abcdef"
JWT_SECRET = "bench-hs256-secret-of-at-least-32-bytes"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def dev_jwt():
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "bench_user", "aud": "bench", "exp": int(time.time()) + 3600}).encode())
    sig = hmac.new(JWT_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cases(key):
    with open(os.path.join(ROOT, "tests/fixtures/keys", key + ".pem")) as f:
        pem = f.read()
    creds = json.dumps({"private_key_id": "bench", "private_key": pem, "env_id": "bench-env"})
    body = b'{"customUserId":"bench_user"}'
    yield ("create-ticket",
           {"CUSTOMAUTH_CREDENTIALS": creds, "CUSTOMAUTH_CALLER_AUTH": "api-key", "CUSTOMAUTH_API_KEYS": API_KEY},
           b"POST /createTicket HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + API_KEY.encode()
           + b"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)
    yield ("get-user-info",
           {"CUSTOMAUTH_CALLER_AUTH": "jwt", "CUSTOMAUTH_JWT_SECRET": JWT_SECRET, "CUSTOMAUTH_JWT_AUDIENCE": "bench"},
           b"GET /getUserInfo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + dev_jwt().encode()
           + b"\r\nConnection: close\r\n\r\n")
    yield ("get-client-ip", {}, b"GET /getClientIP HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


def one_run(binary, env, request):
    port = free_port()
    env = dict(env, PORT=str(port), HOST="127.0.0.1", RUST_LOG="warn", PATH=os.environ.get("PATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"{binary} exited with {proc.returncode}")
                if time.perf_counter() - t0 > 10:
                    raise SystemExit(f"{binary}: port never opened")
                time.sleep(0.0001)
        with s:
            s.sendall(request)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        t1 = time.perf_counter()
        assert data.startswith(b"HTTP/1.1 200"), data[:200]
        return (t1 - t0) * 1000
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "target/release"))
    ap.add_argument("--key", default="k2048-pkcs1", help="createTicket's key, in tests/fixtures/keys")
    ap.add_argument("--only", help="this function alone (create-ticket, get-user-info, get-client-ip)")
    args = ap.parse_args()
    print(f"{'function':<14} {'median ms':>9} {'p90 ms':>7} {'min ms':>7} {'max ms':>7}  "
          f"({args.runs} runs, exec to first 200, createTicket key {args.key})")
    for name, env, request in cases(args.key):
        if args.only and name != args.only:
            continue
        binary = os.path.join(args.bin_dir, name)
        times = sorted(one_run(binary, env, request) for _ in range(args.runs))
        p90 = times[int(len(times) * 0.9) - 1]
        print(f"{name:<14} {statistics.median(times):9.2f} {p90:7.2f} {times[0]:7.2f} {times[-1]:7.2f}")


if __name__ == "__main__":
    main()
