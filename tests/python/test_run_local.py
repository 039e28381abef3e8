"""`make run` (scripts/run-local.sh): busy ports, functions that do not start, the happy path.

The happy-path and start-failure tests use RUN_PROFILE=debug, whose build `make test` has
already done, so the script's own `cargo build` finds nothing to do.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, free_port, request

SCRIPT = ROOT / "scripts" / "run-local.sh"


def script_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTOMAUTH_", "TCB_", "PORT", "HOST"))}
    ports = {"PORT_CREATE": str(free_port()), "PORT_USER": str(free_port()), "PORT_IP": str(free_port()),
             "PORT_EMULATOR": str(free_port())}
    return {**env, **ports, "DEV_DIR": str(tmp_path / "dev"), **settings}


@pytest.mark.parametrize("variable", ["PORT_CREATE", "PORT_USER", "PORT_IP", "PORT_EMULATOR"])
def test_busy_port_exits_2_naming_the_variable_before_building(variable, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = script_env(tmp_path, **{variable: str(port)})
        done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    assert f"set {variable} to a free port" in done.stderr, done.stderr
    assert str(port) in done.stderr
    assert "building" not in done.stdout + done.stderr  # refused before minutes of compiling


def test_same_port_twice_is_refused(tmp_path):
    env = script_env(tmp_path)
    env["PORT_IP"] = env["PORT_CREATE"]
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "PORT_IP and PORT_CREATE" in done.stderr, done


def start_script(env: dict[str, str], tmp_path: Path):
    out = open(tmp_path / "run-local.out", "w+")
    proc = subprocess.Popen([str(SCRIPT)], env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, out


def read(out) -> str:
    out.flush()
    return Path(out.name).read_text(errors="replace")


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


DEV_SERVER_PORTS = (5173, 3000, 8080, 4200, 5500, 8000)  # scripts/run-local.sh's default CORS_ORIGINS


def free_dev_port() -> int:
    for port in DEV_SERVER_PORTS:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.fail(f"every dev-server port of make run's CORS_ORIGINS is taken: {DEV_SERVER_PORTS}")


def run_snippet(snippet: str, call: str, arg: str, origins: list[str], user_port: str) -> dict:
    """Runs a docs/snippets file in chromium pages on the given origins (tests/browser/snippet.mjs)."""
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "browser" / "snippet.mjs")],
        env={**os.environ, "SNIPPET": str(ROOT / "docs" / "snippets" / snippet), "CALL": call, "ARG": arg,
             "PAGE_ORIGINS": ",".join(origins), "USER_PORT": user_port},
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_runs_answers_and_stops_on_term(tmp_path):
    env = script_env(tmp_path, RUN_PROFILE="debug")
    proc, out = start_script(env, tmp_path)
    try:
        # The build is a no-op after `cargo build --workspace --bins`, but allow for a real one.
        assert wait_until(lambda: "customauth is running" in read(out) or proc.poll() is not None, 900), read(out)
        assert proc.poll() is None, read(out)
        key = (tmp_path / "dev" / "api-key").read_text()
        status, _, answer = request(
            "POST",
            f"http://127.0.0.1:{env['PORT_CREATE']}/createTicket",
            {"X-Api-Key": key, "Content-Type": "application/json"},
            b'{"customUserId":"dev_user_1"}',
        )
        assert status == 200 and answer["ticket"].startswith("dev-key/@@/"), answer
        status, _, answer = request("GET", f"http://127.0.0.1:{env['PORT_IP']}/getClientIP")
        assert (status, answer) == (200, {"ip": "127.0.0.1"})
        status, _, answer = request("GET", f"http://127.0.0.1:{env['PORT_USER']}/getUserInfo")
        assert status == 401, answer

        # The printed walk-through, pasted as printed: createTicket -> sign in at the emulator ->
        # getUserInfo with the emulator's access token answers the same customUserId.
        text = read(out)
        loop = text[text.index("to paste:") + len("to paste:") : text.index("Check a ticket")]
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", loop], capture_output=True, text=True,
                              timeout=60, env=env)
        assert done.returncode == 0, done
        user, _ = json.JSONDecoder().raw_decode(done.stdout)  # getClientIP's answer follows it
        assert user["customUserId"] == "dev_user_1" and user["uid"] and not user["isAnonymous"], done.stdout

        # A page on a local dev server calls getUserInfo with the README's browser snippet
        # (docs/snippets/who-am-i.js) in chromium: make run's default CORS origins let it; a page
        # on an origin not in the list is refused by the browser.
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", loop + '\necho "ACCESS=$ACCESS"'],
                              capture_output=True, text=True, timeout=60, env=env)
        access = done.stdout.rsplit("ACCESS=", 1)[1].strip()
        allowed = f"http://localhost:{free_dev_port()}"
        other = f"http://127.0.0.1:{free_port()}"
        assert allowed in read(out), read(out)  # the origins are printed
        pages = run_snippet("who-am-i.js", "whoAmI", access, [allowed, other], env["PORT_USER"])
        assert pages[allowed]["value"]["customUserId"] == "dev_user_1", pages
        assert "Failed to fetch" in pages[other]["error"], pages

        # One function dies: the script stops the others and exits 1, naming it.
        (victim,) = [c for c in children(proc.pid) if "get-client-ip" in Path(f"/proc/{c}/cmdline").read_text()]
        os.kill(victim, signal.SIGKILL)
        assert proc.wait(timeout=30) == 1, read(out)
        assert "get-client-ip (PORT_IP=" in read(out), read(out)
        for port in (env["PORT_CREATE"], env["PORT_USER"], env["PORT_IP"], env["PORT_EMULATOR"]):
            with socket.socket() as s:
                assert s.connect_ex(("127.0.0.1", int(port))) != 0, f"port {port} still answers"
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        out.close()


def test_sigterm_stops_all_four_and_exits_0(tmp_path):
    env = script_env(tmp_path, RUN_PROFILE="debug")
    proc, out = start_script(env, tmp_path)
    try:
        assert wait_until(lambda: "customauth is running" in read(out) or proc.poll() is not None, 900), read(out)
        pids = children(proc.pid)
        assert len(pids) == 4, pids
        proc.terminate()
        assert proc.wait(timeout=30) == 0, read(out)
        assert wait_until(lambda: not any(Path(f"/proc/{p}").exists() for p in pids), 15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.close()


def test_function_that_cannot_start_exits_1_naming_it(tmp_path):
    # A setting every function refuses at start-up (it reads the environment it is given).
    env = script_env(tmp_path, RUN_PROFILE="debug", CUSTOMAUTH_TRUSTED_PROXIES="not-a-cidr")
    proc, out = start_script(env, tmp_path)
    try:
        assert proc.wait(timeout=900) == 1, read(out)
        text = read(out)
        assert "did not start on 127.0.0.1:" in text and "CUSTOMAUTH_TRUSTED_PROXIES" in text, text
        assert "customauth is running" not in text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.close()
