#!/usr/bin/env python3
"""Hostile clients against the functions in HTTP mode, on loopback: the figures.

Usage: scripts/hostile.py [--bin target/release/create-ticket] [--slow 2000] [--chunked 1000]
                          [--refused 100000] [--user-bin target/release/get-user-info]
                          [--ip-bin target/release/get-client-ip] [--pipelining 60]
                          [--audit-queue 5000] [--junk 2500] [--unreachable 20000]
                          [--only SCENARIO[,SCENARIO...]]

Each scenario starts the real binary (api-key mode, a throwaway key), runs the attack, and
meanwhile sends one legitimate createTicket request every 100 ms on a new connection, timing it.
It prints one line per scenario:

- slow:    N connections trickle a body one byte every 0.5 s; legitimate latency (p50, max),
           how many slow connections were closed with 408 and when the last one was;
- chunked: N connections send bodies in one-byte chunks as fast as they can; the server's
           peak RSS (VmHWM) and legitimate latency;
- stalled: stderr is a pipe nobody reads while N refused requests are pipelined; legitimate
           latency, then (after reading the pipe) the audit lines found and the refusals
           summarised as not logged one by one;
- pipelining: with CUSTOMAUTH_MAX_CONNECTIONS=50, N connections pipeline refused requests and
           never read an answer; legitimate latency, and when the last attacker lost its connection;
- audit-full: stderr is a pipe nobody reads and legitimate createTicket calls keep coming (the log
           queue shrunk to --audit-queue lines so that it fills in seconds): how many were signed,
           how fast the 503s came, and after the pipe is read, audit lines against tickets issued;
- unreachable: get-user-info in cloudbase mode with CloudBase unreachable and stderr not read,
           N requests with junk tokens pipelined; whether getUserInfo keeps answering, log lines;
- garbage: get-user-info in cloudbase mode against a CloudBase stand-in that answers in 100 ms;
           N junk-token connections from 127.0.0.1 at once, while a new user (a token never seen)
           asks every 100 ms from 127.0.0.2; the user's latency, the junk's answers, and CloudBase
           calls per junk request;
- forged-context: get-user-info in cloudbase-context mode with the gateway 127.0.0.1; 2000 forged
           C_SIDE_USER contexts from 127.0.0.2 while the gateway's requests are timed;
- fail-open: settings that used to start (broad trusted proxies, plain-http or disguised CloudBase
           endpoints, cloudbase-context without the gateway's range): the exit codes.

A measurement script, not a test: it asserts nothing. Loopback only, bounded in count and time.
"""

import argparse
import asyncio
import base64
import gzip
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


def start(binary, stderr=subprocess.DEVNULL, extra=None, base=None):
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    env.update(base if base is not None else {
        "CUSTOMAUTH_CREDENTIALS": credentials(),
        "CUSTOMAUTH_CALLER_AUTH": "api-key",
        "CUSTOMAUTH_API_KEYS": API_KEY,
    })
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


def ms_summary(prefix, seconds):
    ms = sorted(t * 1000 for t in seconds)
    return {
        f"{prefix}_p50_ms": round(statistics.median(ms), 1) if ms else None,
        f"{prefix}_max_ms": round(ms[-1], 1) if ms else None,
    }


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


async def pipelining(port, n, seconds):
    """n connections pipeline refused requests and never read; when each lost its connection."""
    req = (b"POST /createTicket HTTP/1.1\r\nHost: h\r\nX-Api-Key: not-the-key-0123456789\r\n"
           b"Content-Length: 0\r\n\r\n") * 200
    t0, lost = time.perf_counter(), []

    async def one():
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        try:
            while time.perf_counter() - t0 < seconds:
                w.write(req)
                await asyncio.wait_for(w.drain(), timeout=max(0.1, seconds - (time.perf_counter() - t0)))
        except (OSError, asyncio.TimeoutError):
            if time.perf_counter() - t0 < seconds:
                lost.append(time.perf_counter() - t0)
        finally:
            w.transport.abort()

    await asyncio.gather(*(one() for _ in range(n)))
    return {"attack_connections": n, "attackers_disconnected": len(lost),
            "last_disconnected_after_s": round(max(lost), 2) if lost else None}


def audit_full(binary, queue, seconds=20):
    proc, port = start(binary, stderr=subprocess.PIPE, extra={"CUSTOMAUTH_LOG_QUEUE_LINES": str(queue)})
    issued, unavailable, ok_times, refused_times = 0, 0, [], []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds and unavailable < 200:
        t, ok = legit_once(port)
        if ok:
            issued += 1
            ok_times.append(t)
        else:
            unavailable += 1
            refused_times.append(t)
    rss = peak_rss_kb(proc.pid)
    drained = []
    reader = threading.Thread(target=lambda: drained.append(proc.stderr.read()))
    reader.start()
    after = 0
    deadline = time.time() + 10
    while time.time() < deadline and after < 10:
        t, ok = legit_once(port)
        if ok:
            after += 1
        else:
            time.sleep(0.05)
    time.sleep(1.2)
    proc.terminate()
    reader.join()
    proc.wait()
    logs = drained[0].decode(errors="replace") if drained else ""
    return {"log_queue_lines": queue, "signed_while_stalled": issued,
            **ms_summary("signed", ok_times), "answered_503": unavailable,
            **ms_summary("503", refused_times), "signed_after_drain": after,
            "audit_lines": logs.count("ticket issued"), "tickets_issued": issued + after,
            "rss_peak_mb": round(rss / 1024, 1)}


class Upstream:
    """A CloudBase stand-in: answers GET /auth/v1/user/me after `delay`; tokens starting with
    `valid-` are users, anything else is refused. Counts its calls. Runs in its own thread."""

    def __init__(self, delay=0.1):
        self.delay, self.calls, self.port = delay, 0, free_port()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=4096))
        ready.set()
        self.loop.run_forever()
        server.close()

    async def _serve(self, r, w):
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                self.calls += 1
                await asyncio.sleep(self.delay)
                if b"authorization: bearer valid-" in head.lower():
                    body = b'{"sub":"uid-legit","providers":[],"is_anonymous":false}'
                    status = b"200 OK"
                else:
                    body, status = b'{"error":"invalid_token"}', b"401 Unauthorized"
                w.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: "
                        + str(len(body)).encode() + b"\r\n\r\n" + body)
                await w.drain()
        except (asyncio.IncompleteReadError, OSError, asyncio.LimitOverrunError):
            w.close()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


async def get_user_info(port, token, source="127.0.0.1", timeout=20, context=None):
    t0 = time.perf_counter()
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), timeout)
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        ctx = f"X-Cloudbase-Context: {context}\r\n" if context else ""
        w.write(f"GET /getUserInfo HTTP/1.1\r\nHost: h\r\n{auth}{ctx}Connection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(r.read(), timeout)
        w.close()
        status = int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else 0
    except (OSError, asyncio.TimeoutError, ValueError):
        status = 0
    return status, time.perf_counter() - t0


async def garbage(port, upstream, junk):
    statuses, user = {}, []

    async def one(i):
        status, _ = await get_user_info(port, f"junk-{i:06d}-0123456789abcdef")
        statuses[status] = statuses.get(status, 0) + 1

    async def new_users():
        await asyncio.sleep(0.3)
        i = 0
        while not flood.done():
            user.append(await get_user_info(port, f"valid-user-{i}-0123456789", source="127.0.0.2"))
            i += 1
            await asyncio.sleep(0.1)

    calls_before = upstream.calls
    flood = asyncio.ensure_future(asyncio.gather(*(one(i) for i in range(junk))))
    await asyncio.gather(flood, new_users())
    junk_calls = upstream.calls - calls_before - len(user)
    answered = [t for status, t in user if status == 200]
    return {"junk_connections": junk, "junk_answers": {str(k): v for k, v in sorted(statuses.items())},
            "upstream_calls_per_junk_request": round(junk_calls / junk, 3),
            "new_users": len(user), "new_users_answered_200": len(answered),
            "new_user_statuses": sorted({s for s, _ in user}), **ms_summary("new_user", answered)}


def context_header(context):
    return base64.b64encode(gzip.compress(json.dumps(context).encode())).decode()


async def forged_context(port, n):
    forged = context_header({"envId": "env-h", "userType": "C_SIDE_USER", "userId": "victim-uid",
                             "wechatContext": {"openId": "o-victim"}})
    statuses, gateway = {}, []

    async def one():
        status, _ = await get_user_info(port, None, source="127.0.0.2", context=forged)
        statuses[status] = statuses.get(status, 0) + 1

    async def from_gateway():
        while not flood.done():
            gateway.append(await get_user_info(port, None, context=forged))
            await asyncio.sleep(0.1)

    flood = asyncio.ensure_future(asyncio.gather(*(one() for _ in range(n))))
    await asyncio.gather(flood, from_gateway())
    ok = [t for status, t in gateway if status == 200]
    return {"forged_requests": n, "attacker_got": {str(k): v for k, v in sorted(statuses.items())},
            "gateway_requests": len(gateway), "gateway_answered_200": len(ok), **ms_summary("gateway", ok)}


def exit_code(binary, env):
    proc = subprocess.Popen([binary], env={"PATH": os.environ.get("PATH", ""), "PORT": str(free_port()), **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return "still running after 10 s"


def fail_open(user_bin, ip_bin):
    broad = ",".join(f"{a}.0.0.0/8" for a in range(1, 256))
    cloudbase = {"CUSTOMAUTH_CALLER_AUTH": "cloudbase", "CUSTOMAUTH_CLOUDBASE_ENV": "env-h"}
    return {
        "trusted_255_slash8s": exit_code(ip_bin, {"CUSTOMAUTH_TRUSTED_PROXIES": broad}),
        "trusted_2000::/3": exit_code(ip_bin, {"CUSTOMAUTH_TRUSTED_PROXIES": "2000::/3"}),
        "endpoint_plain_http": exit_code(user_bin, {**cloudbase, "CUSTOMAUTH_CLOUDBASE_ENDPOINT": "http://192.0.2.1:9100"}),
        "endpoint_fragment": exit_code(user_bin, {**cloudbase, "CUSTOMAUTH_CLOUDBASE_ENDPOINT": "http://evil.example#@127.0.0.1"}),
        "context_without_gateway": exit_code(user_bin, {"CUSTOMAUTH_CALLER_AUTH": "cloudbase-context",
                                                        "CUSTOMAUTH_CLOUDBASE_ENV": "env-h"}),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/create-ticket"))
    ap.add_argument("--user-bin", default=os.path.join(ROOT, "target/release/get-user-info"))
    ap.add_argument("--ip-bin", default=os.path.join(ROOT, "target/release/get-client-ip"))
    ap.add_argument("--slow", type=int, default=2000)
    ap.add_argument("--chunked", type=int, default=1000)
    ap.add_argument("--refused", type=int, default=100000)
    ap.add_argument("--pipelining", type=int, default=60)
    ap.add_argument("--audit-queue", type=int, default=5000)
    ap.add_argument("--junk", type=int, default=2500)
    ap.add_argument("--unreachable", type=int, default=20000)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    run = lambda name: not only or name in only  # noqa: E731
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    if run("slow"):
        proc, port = start(args.bin)
        probe = Prober(port)
        probe.start()
        result = asyncio.run(slow(port, args.slow, 12))
        result.update(probe.summary())
        print(json.dumps({"scenario": "slow", **result}), flush=True)
        proc.terminate()
        proc.wait()

    if run("chunked"):
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

    if run("stalled"):
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

    if run("pipelining"):
        proc, port = start(args.bin, extra={"CUSTOMAUTH_MAX_CONNECTIONS": "50"})
        probe = Prober(port)
        probe.start()
        result = asyncio.run(pipelining(port, args.pipelining, 15))
        result["rss_peak_mb"] = round(peak_rss_kb(proc.pid) / 1024, 1)
        result.update(probe.summary())
        print(json.dumps({"scenario": "pipelining", **result}), flush=True)
        proc.terminate()
        proc.wait()

    if run("audit-full"):
        print(json.dumps({"scenario": "audit-full", **audit_full(args.bin, args.audit_queue)}), flush=True)

    if run("unreachable"):
        base = {"CUSTOMAUTH_CALLER_AUTH": "cloudbase", "CUSTOMAUTH_CLOUDBASE_ENV": "env-h",
                "CUSTOMAUTH_CLOUDBASE_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
        proc, port = start(args.user_bin, stderr=subprocess.PIPE, base=base)
        req = ("GET /getUserInfo HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer junk-0123456789abcdef\r\n\r\n")
        counts, t0 = [], time.perf_counter()

        def flood(n):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                got, buf = 0, b""
                reader_done = threading.Event()

                def read():
                    nonlocal got, buf
                    try:
                        while got < n:
                            data = s.recv(65536)
                            if not data:
                                break
                            buf += data
                            got += buf.count(b"HTTP/1.1 503")
                            buf = buf[-11:]
                    except OSError:
                        pass
                    reader_done.set()
                t = threading.Thread(target=read)
                t.start()
                try:
                    for _ in range(n // 100):
                        s.sendall((req * 100).encode())
                except OSError:
                    pass
                t.join(timeout=60)
                counts.append(got)
        threads = [threading.Thread(target=flood, args=(args.unreachable // 8,)) for _ in range(8)]
        for t in threads:
            t.start()
        probe_times = []
        while any(t.is_alive() for t in threads) and time.perf_counter() - t0 < 60:
            status, t = asyncio.run(get_user_info(port, "another-junk-token-0123456789", timeout=10))
            probe_times.append((status, t))
            time.sleep(0.1)
        for t in threads:
            t.join()
        rss = peak_rss_kb(proc.pid)
        time.sleep(1.2)
        proc.terminate()
        logs = proc.stderr.read().decode(errors="replace")
        proc.wait()
        answered = [t for status, t in probe_times if status == 503]
        print(json.dumps({"scenario": "unreachable", "junk_sent": args.unreachable,
                          "junk_answered_503": sum(counts), "probes": len(probe_times),
                          "probes_answered": len(answered), **ms_summary("probe", answered),
                          "rss_peak_mb": round(rss / 1024, 1),
                          "lines_about_cloudbase": sum(1 for l in logs.splitlines() if "CloudBase" in l),
                          "failures_logged_one_by_one": logs.count("request failed"),
                          "log_lines": len(logs.splitlines())}), flush=True)

    if run("garbage"):
        upstream = Upstream(0.1)
        base = {"CUSTOMAUTH_CALLER_AUTH": "cloudbase", "CUSTOMAUTH_CLOUDBASE_ENV": "env-h",
                "CUSTOMAUTH_CLOUDBASE_ENDPOINT": f"http://127.0.0.1:{upstream.port}"}
        proc, port = start(args.user_bin, base=base)
        result = asyncio.run(garbage(port, upstream, args.junk))
        result["rss_peak_mb"] = round(peak_rss_kb(proc.pid) / 1024, 1)
        print(json.dumps({"scenario": "garbage", **result}), flush=True)
        proc.terminate()
        proc.wait()
        upstream.stop()

    if run("forged-context"):
        base = {"CUSTOMAUTH_CALLER_AUTH": "cloudbase-context", "CUSTOMAUTH_CLOUDBASE_ENV": "env-h",
                "CUSTOMAUTH_TRUSTED_PROXIES": "127.0.0.1"}
        proc, port = start(args.user_bin, base=base)
        result = asyncio.run(forged_context(port, 2000))
        result["rss_peak_mb"] = round(peak_rss_kb(proc.pid) / 1024, 1)
        print(json.dumps({"scenario": "forged-context", **result}), flush=True)
        proc.terminate()
        proc.wait()

    if run("fail-open"):
        print(json.dumps({"scenario": "fail-open", **fail_open(args.user_bin, args.ip_bin)}), flush=True)


if __name__ == "__main__":
    main()
