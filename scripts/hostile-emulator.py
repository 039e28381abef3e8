#!/usr/bin/env python3
"""Hostile clients against cloudbase-emulator, on loopback: the figures.

Usage: scripts/hostile-emulator.py [--bin target/release/cloudbase-emulator] [--idle 1100]
                                   [--fds 1024] [--stalled 500] [--attempts 1000]
                                   [--only takeover idle stalled rebind forge]

Each scenario starts the real binary (in memory, one env from a test fixture key), runs the
attack, and meanwhile sends one legitimate v1 `auth.signInAnonymously` every 100 ms on a new
connection (30 s timeout), timing it. It prints one line per scenario: legitimate requests
answered (of sent), p50 and max latency, the emulator's peak RSS (VmHWM), and what the attacker
got:

- takeover: N `auth.signInAnonymously` calls with the victim's anonymous_uuid and no, a wrong, or
            the attacker's own refresh token; how many came back as the victim, and whether the
            victim's refresh token still works afterwards;
- idle:     the emulator under a file-descriptor limit (--fds, soft and hard), N idle
            connections (more than the limit) held for 25 s; how many the emulator closed, and
            after how long;
- stalled:  N connections that send half a request head and N that announce a 100-byte body and
            send 10 bytes, held 20 s; how many got 408, how many were closed, and when;
- rebind:   N admin requests (GET and DELETE of the users, the page) with a foreign Host, as a
            DNS-rebinding page sends them; how many were answered other than 403, and whether
            the users are still there;
- forge:    N refused calls whose env / client_id carry a newline and an escape sequence; log
            lines that start with the attacker's text, and escape bytes in the log.

A measurement script, not a test: it asserts nothing. Loopback only, bounded in count and time.
"""

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = "env-h"


def credentials(folder):
    with open(os.path.join(ROOT, "tests/fixtures/keys/k2048-pkcs8.pem")) as f:
        pem = f.read()
    path = os.path.join(folder, "credentials.json")
    with open(path, "w") as f:
        json.dump({"private_key_id": "kid-h", "private_key": pem, "env_id": ENV}, f)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    def __init__(self, binary, folder, fds=None):
        self.port = free_port()
        self.log = os.path.join(folder, f"emulator-{self.port}.log")
        args = [binary, "--in-memory", "--port", str(self.port), "--credentials", credentials(folder)]

        def limit():
            if fds:
                resource.setrlimit(resource.RLIMIT_NOFILE, (fds, fds))

        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                args, stdout=out, stderr=out, stdin=subprocess.DEVNULL, preexec_fn=limit, cwd=folder
            )
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        self.proc.kill()
        sys.exit("the emulator did not start")

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def logs(self):
        with open(self.log, "rb") as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def exchange(port, head, body=b"", timeout=30.0):
    """One request on a new connection (Connection: close): (status or None, answer bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        extra = f"Content-Length: {len(body)}\r\n" if body else ""
        s.sendall(f"{head}\r\nConnection: close\r\n{extra}\r\n".encode() + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status = None
    if data.startswith(b"HTTP/1.1 "):
        try:
            status = int(data[9:12])
        except ValueError:
            pass
    return status, data


def v1(port, params, timeout=30.0, query=f"?env={ENV}"):
    body = json.dumps(params).encode()
    status, data = exchange(
        port,
        f"POST /web{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json",
        body,
        timeout,
    )
    if status != 200:
        return None
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


class Legit(threading.Thread):
    """One anonymous sign-in every 100 ms on a new connection, each timed, until stopped."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.sent = 0
        self.latencies = []
        self.stopped = threading.Event()
        self.inflight = []

    def one(self):
        started = time.monotonic()
        try:
            answer = v1(self.port, {"action": "auth.signInAnonymously"})
            if answer and answer.get("uuid"):
                self.latencies.append((time.monotonic() - started) * 1000)
        except OSError:
            pass

    def run(self):
        while not self.stopped.is_set():
            self.sent += 1
            t = threading.Thread(target=self.one, daemon=True)
            t.start()
            self.inflight.append(t)
            time.sleep(0.1)

    def finish(self):
        self.stopped.set()
        self.join()
        for t in self.inflight:
            t.join(35)
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) if lat else float("nan")
        worst = lat[-1] if lat else float("nan")
        return f"legit {len(lat)}/{self.sent} answered, p50 {p50:.1f} ms, max {worst:.1f} ms"


def report(name, emu, legit, got):
    print(f"{name:9} {legit.finish()}, RSS {emu.rss_kib() / 1024:.1f} MB; attacker: {got}", flush=True)


def takeover(binary, folder, n):
    emu = Emulator(binary, folder)
    victim = v1(emu.port, {"action": "auth.signInAnonymously"})
    own = v1(emu.port, {"action": "auth.signInAnonymously"})
    legit = Legit(emu.port)
    legit.start()
    won = 0
    for i in range(n):
        refresh = ["", "0123456789abcdef", own["refresh_token"]][i % 3]
        r = v1(emu.port, {"action": "auth.signInAnonymously", "anonymous_uuid": victim["uuid"],
                          "refresh_token": refresh})
        if r and r.get("uuid") == victim["uuid"]:
            won += 1
    alive = v1(emu.port, {"action": "auth.fetchAccessTokenWithRefreshToken",
                          "refresh_token": victim["refresh_token"]})
    report("takeover", emu, legit,
           f"{won}/{n} sign-ins as the victim; victim's refresh token "
           f"{'still works' if alive and alive.get('access_token') else 'ENDED'}")
    emu.stop()


def idle(binary, folder, n, fds):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    emu = Emulator(binary, folder, fds=fds)
    conns = []
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", emu.port), timeout=2)
            s.setblocking(False)
            conns.append((s, time.monotonic()))
        except OSError:
            pass
    legit = Legit(emu.port)
    legit.start()
    closed_after = []
    deadline = time.monotonic() + 25
    open_ = list(conns)
    while time.monotonic() < deadline and open_:
        still = []
        for s, t0 in open_:
            try:
                if s.recv(1) == b"":
                    closed_after.append(time.monotonic() - t0)
                    s.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed_after.append(time.monotonic() - t0)
                s.close()
                continue
            still.append((s, t0))
        open_ = still
        time.sleep(0.2)
    for s, _ in open_:
        s.close()
    first = f"{min(closed_after):.1f}" if closed_after else "-"
    got = (f"{len(conns)} idle connections opened under a {fds}-descriptor limit, "
           f"{len(closed_after)} closed by the emulator within 25 s (first after {first} s)")
    report("idle", emu, legit, got)
    emu.stop()


def stalled(binary, folder, n):
    emu = Emulator(binary, folder)
    conns = []
    for i in range(2 * n):
        try:
            s = socket.create_connection(("127.0.0.1", emu.port), timeout=2)
            if i % 2 == 0:
                s.sendall(f"POST /web?env={ENV} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
            else:
                s.sendall(f"POST /web?env={ENV} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                          '{"action":'.encode())
            s.setblocking(False)
            conns.append((s, time.monotonic(), b""))
        except OSError:
            pass
    legit = Legit(emu.port)
    legit.start()
    got408, closed, last = 0, 0, 0.0
    deadline = time.monotonic() + 20
    open_ = list(conns)
    while time.monotonic() < deadline and open_:
        still = []
        for s, t0, buf in open_:
            try:
                chunk = s.recv(4096)
                if chunk:
                    still.append((s, t0, buf + chunk))
                    continue
            except BlockingIOError:
                still.append((s, t0, buf))
                continue
            except OSError:
                pass
            closed += 1
            last = max(last, time.monotonic() - t0)
            if buf.startswith(b"HTTP/1.1 408"):
                got408 += 1
            s.close()
        open_ = still
        time.sleep(0.2)
    for s, _, _ in open_:
        s.close()
    report("stalled", emu, legit,
           f"{len(conns)} stalled connections ({n} heads, {n} bodies): {got408} got 408, "
           f"{closed} closed within 20 s (the last after {last:.1f} s), {len(open_)} still open")
    emu.stop()


def rebind(binary, folder, n):
    emu = Emulator(binary, folder)
    v1(emu.port, {"action": "auth.signInAnonymously"})
    legit = Legit(emu.port)
    legit.start()
    answered = 0
    routes = [("GET", f"/emulator/v1/envs/{ENV}/users"), ("DELETE", f"/emulator/v1/envs/{ENV}/users"),
              ("GET", "/")]
    for i in range(n):
        method, path = routes[i % len(routes)]
        status, _ = exchange(emu.port, f"{method} {path} HTTP/1.1\r\nHost: rebind.example:{emu.port}")
        if status != 403:
            answered += 1
    _, data = exchange(emu.port, f"GET /emulator/v1/envs/{ENV}/users HTTP/1.1\r\nHost: 127.0.0.1:{emu.port}")
    users = json.loads(data.split(b"\r\n\r\n", 1)[1])["users"]
    report("rebind", emu, legit,
           f"{answered}/{n} admin requests with a foreign Host answered (not 403); "
           f"users still listed: {len(users)}")
    emu.stop()


def forge(binary, folder, n):
    emu = Emulator(binary, folder)
    legit = Legit(emu.port)
    legit.start()
    for i in range(n):
        text = f"x\nFORGED-{i} INFO cloudbase_emulator: sign-in with ticket custom_user_id=admin\x1b[2J"
        if i % 2 == 0:
            v1(emu.port, {"action": "auth.getUserInfo", "env": text, "access_token": "t"}, query="")
        else:
            body = json.dumps({"client_id": text, "grant_type": "refresh_token", "refresh_token": "r"})
            exchange(emu.port, f"POST /auth/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain",
                     body.encode())
    time.sleep(0.3)
    logs = emu.logs()
    forged = sum(1 for line in logs.split(b"\n") if line.startswith(b"FORGED"))
    escapes = logs.count(b"\x1b")
    report("forge", emu, legit,
           f"{n} refused calls with a newline in env/client_id: {forged} forged log lines, "
           f"{escapes} escape bytes in the log")
    emu.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.path.join(ROOT, "target/release/cloudbase-emulator"))
    parser.add_argument("--idle", type=int, default=1100)
    parser.add_argument("--fds", type=int, default=1024)
    parser.add_argument("--stalled", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--only", nargs="*", help="scenarios to run (default: all)")
    args = parser.parse_args()
    run = lambda name: not args.only or name in args.only
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} is missing: cargo build --release -p cloudbase-emulator")
    with tempfile.TemporaryDirectory(prefix="hostile-emulator-") as folder:
        if run("takeover"):
            takeover(args.bin, folder, args.attempts)
        if run("idle"):
            idle(args.bin, folder, args.idle, args.fds)
        if run("stalled"):
            stalled(args.bin, folder, args.stalled)
        if run("rebind"):
            rebind(args.bin, folder, args.attempts)
        if run("forge"):
            forge(args.bin, folder, args.attempts)


if __name__ == "__main__":
    main()
