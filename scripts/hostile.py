#!/usr/bin/env python3
"""Hostile clients against create-ticket in HTTP mode, on loopback: the figures.

Usage: scripts/hostile.py [--bin target/release/create-ticket] [--slow 2000] [--chunked 1000]
                          [--refused 100000]

Each scenario starts the real binary (api-key mode, a throwaway key), runs the attack, and
meanwhile sends one legitimate createTicket request every 100 ms on a new connection, timing it.
It prints one line per scenario:

- slow:    N connections trickle a body one byte every 0.5 s; legitimate latency (p50, max),
           how many slow connections were closed with 408 and when the last one was;
- chunked: N connections send bodies in one-byte chunks as fast as they can; the server's
           peak RSS (VmHWM) and legitimate latency;
- stalled: stderr is a pipe nobody reads while N refused requests are pipelined; legitimate
           latency, then (after reading the pipe) the audit lines found and the refusals
           summarised as not logged one by one.

A measurement script, not a test: it asserts nothing. Loopback only, bounded in count and time.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time

API_KEY = "hostile-api-key-0123456789abcdef"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def credentials():
    with open(os.path.join(ROOT, "tests/fixtures/keys/k2048-pkcs8.pem")) as f:
        pem = f.read()
    return json.dumps({"private_key_id": "kid-h", "private_key": pem, "env_id": "env-h"})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, stderr=subprocess.DEVNULL, extra=None):
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "CUSTOMAUTH_CREDENTIALS": credentials(),
        "CUSTOMAUTH_CALLER_AUTH": "api-key",
        "CUSTOMAUTH_API_KEYS": API_KEY,
    }
    env.update(extra or {})
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.02)
    proc.kill()
    sys.exit("the server did not start")


def legit_once(port):
    body = b'{"customUserId":"user_1234"}'
    req = (
        b"POST /createTicket HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-Api-Key: "
        + API_KEY.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(req)
            data = s.recv(64)
        ok = data.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    return time.perf_counter() - t0, ok


class Prober(threading.Thread):
    """One legitimate request every 100 ms until stopped."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.times, self.failed, self.stop = port, [], 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            t, ok = legit_once(self.port)
            self.times.append(t)
            self.failed += 0 if ok else 1
            self.stop.wait(0.1)

    def summary(self):
        self.stop.set()
        self.join()
        ms = sorted(t * 1000 for t in self.times)
        return {
            "legit_requests": len(ms),
            "legit_failed": self.failed,
            "legit_p50_ms": round(statistics.median(ms), 1) if ms else None,
            "legit_max_ms": round(ms[-1], 1) if ms else None,
        }


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


async def slow(port, n, seconds):
    head = (
        "POST /createTicket HTTP/1.1\r\nHost: h\r\nX-Api-Key: " + API_KEY +
        "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    ).encode()
    closed, t0 = [], time.perf_counter()

    async def one():
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        w.write(head)
        reader = asyncio.ensure_future(r.read(4096))
        try:
            while not reader.done() and time.perf_counter() - t0 < seconds:
                w.write(b"{")
                await w.drain()
                await asyncio.wait([reader], timeout=0.5)
            if reader.done() and reader.result().startswith(b"HTTP/1.1 408"):
                closed.append(time.perf_counter() - t0)
        except OSError:
            pass
        finally:
            reader.cancel()
            w.close()

    await asyncio.gather(*(one() for _ in range(n)))
    return {"slow_connections": n, "closed_with_408": len(closed),
            "last_closed_after_s": round(max(closed), 2) if closed else None}


async def chunked(port, n, seconds):
    head = (
        "POST /createTicket HTTP/1.1\r\nHost: h\r\nX-Api-Key: " + API_KEY +
        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    t0 = time.perf_counter()

    async def one():
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(head)
            while time.perf_counter() - t0 < seconds:
                w.write(b"1\r\n \r\n" * 64)
                await w.drain()
                await asyncio.sleep(0)
        except OSError:
            pass

    await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)


def refused_flood(port, total, conns=8):
    req = (b"POST /createTicket HTTP/1.1\r\nHost: h\r\nX-Api-Key: not-the-key-0123456789\r\n"
           b"Content-Length: 0\r\n\r\n")

    def one(count):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            got = [0]

            def read():
                buf = b""
                while got[0] < count:
                    data = s.recv(65536)
                    if not data:
                        break
                    buf += data
                    got[0] += buf.count(b"HTTP/1.1 401")
                    buf = buf[-11:]
            t = threading.Thread(target=read)
            t.start()
            for _ in range(count // 100):
                s.sendall(req * 100)
            t.join()
            return got[0]

    threads, results = [], []
    for _ in range(conns):
        t = threading.Thread(target=lambda: results.append(one(total // conns)))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return sum(results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/create-ticket"))
    ap.add_argument("--slow", type=int, default=2000)
    ap.add_argument("--chunked", type=int, default=1000)
    ap.add_argument("--refused", type=int, default=100000)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    proc, port = start(args.bin)
    probe = Prober(port)
    probe.start()
    result = asyncio.run(slow(port, args.slow, 12))
    result.update(probe.summary())
    print(json.dumps({"scenario": "slow", **result}), flush=True)
    proc.terminate()
    proc.wait()

    proc, port = start(args.bin)
    idle = peak_rss_kb(proc.pid)
    probe = Prober(port)
    probe.start()
    asyncio.run(chunked(port, args.chunked, 4))
    result = {"connections": args.chunked, "rss_idle_mb": round(idle / 1024, 1),
              "rss_peak_mb": round(peak_rss_kb(proc.pid) / 1024, 1)}
    result.update(probe.summary())
    print(json.dumps({"scenario": "chunked", **result}), flush=True)
    proc.terminate()
    proc.wait()

    proc, port = start(args.bin, stderr=subprocess.PIPE)
    probe = Prober(port)
    probe.start()
    answered = refused_flood(port, args.refused)
    result = {"refused_sent": args.refused, "refused_answered": answered}
    result.update(probe.summary())
    legit = result["legit_requests"] - result["legit_failed"]
    time.sleep(1.2)
    proc.terminate()
    logs = proc.stderr.read().decode(errors="replace")
    proc.wait()
    result["audit_lines"] = logs.count("ticket issued")
    result["legit_answered"] = legit
    result["refusals_logged_one_by_one"] = logs.count("request refused")
    result["refusals_not_logged_counted"] = sum(
        int(m) for m in re.findall(r"not_logged=(\d+)", logs))
    print(json.dumps({"scenario": "stalled", **result}), flush=True)


if __name__ == "__main__":
    main()
