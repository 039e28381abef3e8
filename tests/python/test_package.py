"""`make package-tencent` (scripts/package-tencent.sh): the zips, unpacked and run as the platform runs them.

The package is built once per session with PROFILE=dev (a debug build: the same script, target,
glibc and bootstrap as the release, in a fraction of the time) into a temporary folder, never
dist/tencent, which may hold your release package.

Running a package: Tencent's web functions and CloudBase's HTTP functions unpack it into /var/user
and run /var/user/scf_bootstrap, whose paths must be absolute; the bootstrap serves on port 9000.
These tests do exactly that with the real file (no path rewritten), so they need /var/user to
themselves: they run as root only, and only when /var/user is missing or empty (they never
clobber one); otherwise they are skipped and say why. They remove what they unpacked, and
/var/user itself when they made it. Port 9000 is fixed by the platform: when something else holds
it the tests fail, naming the port.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, check_ticket, hs256_token, request

SCRIPT = ROOT / "scripts" / "package-tencent.sh"
CHECK_GLIBC = ROOT / "scripts" / "check-glibc.sh"
FUNCTIONS = ("create-ticket", "get-user-info", "get-client-ip")
CODE_ROOT = Path("/var/user")
PORT = 9000
KEY = (ROOT / "tests" / "fixtures" / "keys" / "k2048-pkcs8.pem").read_text()
API_KEY = "tencent-pkg-key-0123456789abcdef"
JWT_SECRET = "tencent-package-jwt-secret-0123456789abcdef"
ISSUER = "https://issuer.example.com/"


@pytest.fixture(scope="session")
def package(tmp_path_factory) -> Path:
    """The folder scripts/package-tencent.sh wrote (PROFILE=dev)."""
    dist = tmp_path_factory.mktemp("tencent-package")
    env = {**os.environ, "PROFILE": "dev", "DIST_DIR": str(dist)}
    started = time.monotonic()
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, f"package-tencent.sh failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    print(f"package-tencent.sh (PROFILE=dev) took {time.monotonic() - started:.0f} s")
    return dist


def unzip(archive: Path, into: Path) -> None:
    """Info-ZIP's unzip, which restores the modes stored in the zip (Python's zipfile does not)."""
    if not shutil.which("unzip"):
        pytest.fail("unzip not found: make package-tools (Debian: apt-get install unzip)")
    done = subprocess.run(["unzip", "-q", str(archive), "-d", str(into)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- the files


@pytest.mark.parametrize("function", FUNCTIONS)
def test_zip_holds_the_binary_and_the_bootstrap_both_mode_0755(package, function, tmp_path):
    archive = package / f"{function}.zip"
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        assert sorted(i.filename for i in infos) == sorted([function, "scf_bootstrap"])
        for info in infos:
            assert info.create_system == 3, info  # Unix: the mode below is what unzip applies
            assert info.external_attr >> 16 == stat.S_IFREG | 0o755, (info.filename, oct(info.external_attr >> 16))
        in_zip = {i.filename: zf.read(i) for i in infos}

    unzip(archive, tmp_path)
    for name in (function, "scf_bootstrap"):
        mode = (tmp_path / name).stat().st_mode
        assert stat.S_ISREG(mode) and stat.S_IMODE(mode) == 0o755, (name, oct(mode))
        # The unpacked folder (what serverless.yml and cloudbaserc.json deploy) holds the same.
        beside = package / function / name
        assert beside.read_bytes() == in_zip[name]
        assert stat.S_IMODE(beside.stat().st_mode) == 0o755
    elf = in_zip[function]
    assert elf[:4] == b"\x7fELF" and elf[4] == 2 and int.from_bytes(elf[18:20], "little") == 0x3E  # x86-64


@pytest.mark.parametrize("function", FUNCTIONS)
def test_bootstrap_is_bash_with_lf_endings_and_absolute_paths(package, function):
    with zipfile.ZipFile(package / f"{function}.zip") as zf:
        raw = zf.read("scf_bootstrap")
    assert raw.startswith(b"#!/bin/bash\n")
    assert b"\r" not in raw and raw.endswith(b"\n")
    text = raw.decode("ascii")
    commands = [line for line in text.splitlines()[1:] if line.strip() and not line.lstrip().startswith("#")]
    for line in commands:
        for path in re.findall(r"[\w./-]*/[\w./-]*", line):
            assert path.startswith("/"), f"relative path {path!r} in: {line}"
    assert commands[-1] == f"exec {CODE_ROOT}/{function} 2>&1"
    syntax = subprocess.run(["bash", "-n"], input=raw, capture_output=True)
    assert syntax.returncode == 0, syntax.stderr


def _lower(version: str) -> str:
    """A version just below `version` (2.17 -> 2.16, 2.2.5 -> 2.2.4, 2.3 -> 2.2.99)."""
    parts = [int(p) for p in version.split(".")]
    if parts[-1] > 0:
        parts[-1] -= 1
    else:
        parts = parts[:-1]
        parts[-1] -= 1
        parts.append(99)
    return ".".join(map(str, parts))


def test_every_binary_runs_on_glibc_2_17(package, tmp_path):
    binaries = [str(package / f / f) for f in FUNCTIONS]
    done = subprocess.run([str(CHECK_GLIBC), "2.17", *binaries], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    highest = dict(re.findall(r"^(.+): highest GLIBC_([\d.]+) ", done.stdout, re.M))
    assert set(highest) == set(binaries), done.stdout
    print("highest glibc:", {Path(b).name: v for b, v in highest.items()})

    # The check can fail: each binary, held to just below the glibc it needs, is refused by name.
    for binary, version in highest.items():
        below = subprocess.run([str(CHECK_GLIBC), _lower(version), binary], capture_output=True, text=True)
        assert below.returncode == 1, below
        assert f"needs GLIBC_{version}: " in below.stderr and "needs a glibc newer than" in below.stderr

    # And a file with no glibc symbols vouches for nothing.
    not_elf = tmp_path / "not-a-binary"
    not_elf.write_text("#!/bin/sh\n")
    assert subprocess.run([str(CHECK_GLIBC), "2.17", str(not_elf)], capture_output=True).returncode == 1


# ---------------------------------------------------------------- run as the platform runs it


@contextlib.contextmanager
def unpacked_in_var_user(archive: Path):
    """`archive` unpacked into /var/user, as the platform does; everything removed after."""
    if os.geteuid() != 0:
        pytest.skip("running scf_bootstrap needs /var/user (its paths are absolute): run as root")
    made = not CODE_ROOT.exists()
    if not made and (not CODE_ROOT.is_dir() or any(CODE_ROOT.iterdir())):
        pytest.skip(f"{CODE_ROOT} exists and is not empty: not clobbering it to run scf_bootstrap")
    CODE_ROOT.mkdir(mode=0o755, exist_ok=True)
    try:
        unzip(archive, CODE_ROOT)
        yield CODE_ROOT
    finally:
        if made:
            shutil.rmtree(CODE_ROOT, ignore_errors=True)
        else:
            for entry in CODE_ROOT.iterdir():
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def port_9000_is_free() -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", PORT))
        except OSError as e:
            pytest.fail(f"port {PORT} is taken ({e}): scf_bootstrap serves on the platform's port {PORT} "
                        f"and cannot be moved; stop what holds it (ss -ltnp 'sport = :{PORT}')")


def listening_on_all_addresses(port: int) -> bool:
    """A socket in LISTEN on 0.0.0.0:port (not only loopback), from /proc/net/tcp."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return any(r.split()[1] == f"00000000:{port:04X}" and r.split()[3] == "0A" for r in rows)


# Each function's environment under `env -i`: only what it reads, as the platform would set it.
ENVIRONMENTS = {
    "create-ticket": {
        "TCB_CUSTOM_LOGIN_PRIVATE_KEY_ID": "pkg-key",
        "TCB_CUSTOM_LOGIN_PRIVATE_KEY": KEY.strip().replace("\n", "\\n"),  # one line, as tencent-env.py writes it
        "TCB_CUSTOM_LOGIN_ENV_ID": "pkg-env",
        "CUSTOMAUTH_CALLER_AUTH": "api-key",
        "CUSTOMAUTH_API_KEYS": API_KEY,
    },
    "get-user-info": {
        "CUSTOMAUTH_CALLER_AUTH": "jwt",
        "CUSTOMAUTH_JWT_SECRET": JWT_SECRET,
        "CUSTOMAUTH_JWT_ISSUER": ISSUER,
    },
    "get-client-ip": {},
}


def exercise(function: str, base: str) -> list[str]:
    """Real requests and their checks; returns the secrets that went over the wire."""
    json_ct = {"Content-Type": "application/json"}
    if function == "create-ticket":
        status, _, answer = request("POST", base + "/createTicket", json_ct, b'{"customUserId":"user_1234"}')
        assert (status, answer["code"]) == (401, "UNAUTHENTICATED"), answer
        status, _, answer = request("POST", base + "/createTicket", {"X-Api-Key": API_KEY, **json_ct},
                                    b'{"customUserId":"user_1234"}')
        assert status == 200, answer
        claims = check_ticket(answer["ticket"], KEY, "pkg-key", "pkg-env", "user_1234")
        assert claims["exp"] - claims["iat"] == 600000
        return [API_KEY, answer["ticket"]]
    if function == "get-user-info":
        status, _, answer = request("GET", base + "/getUserInfo")
        assert (status, answer["code"]) == (401, "UNAUTHENTICATED"), answer
        token = hs256_token(JWT_SECRET, "user_5678", iss=ISSUER)
        status, _, answer = request("GET", base + "/getUserInfo", {"Authorization": f"Bearer {token}"})
        assert (status, answer["customUserId"]) == (200, "user_5678"), answer
        return [JWT_SECRET, token]
    status, _, answer = request("GET", base + "/getClientIP")
    assert (status, answer) == (200, {"ip": "127.0.0.1"}), answer
    return []


@pytest.mark.parametrize("function", FUNCTIONS)
def test_scf_bootstrap_serves_on_9000_from_var_user(package, function):
    with unpacked_in_var_user(package / f"{function}.zip") as code_root:
        port_9000_is_free()
        env = ENVIRONMENTS[function]  # and nothing else: env -i
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen([str(code_root / "scf_bootstrap")], env=env, cwd="/", stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err)
            def output() -> str:
                out.seek(0)
                err.seek(0)
                return f"stdout:\n{out.read().decode(errors='replace')}\nstderr:\n{err.read().decode(errors='replace')}"

            try:
                deadline = time.monotonic() + 30
                while not listening_on_all_addresses(PORT):
                    assert proc.poll() is None, f"scf_bootstrap exited {proc.returncode}\n{output()}"
                    assert time.monotonic() < deadline, f"nothing listens on 0.0.0.0:{PORT} after 30 s\n{output()}"
                    time.sleep(0.05)
                # exec: the binary replaced bash, so the platform's SIGTERM reaches the server itself.
                assert os.readlink(f"/proc/{proc.pid}/exe") == str(code_root / function)
                secrets = exercise(function, f"http://127.0.0.1:{PORT}")
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=15) == 0  # a graceful shutdown
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            out.seek(0)
            err.seek(0)
            logged, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    # 2>&1: the log is on stdout, which the platform collects; nothing is left on stderr.
    assert stderr == "", stderr
    assert re.search(r"listening addr=0\.0\.0\.0:9000 ", logged), logged
    if function == "create-ticket":
        assert re.search(r"event=\"?ticket_issued.*custom_user_id=user_1234", logged), logged  # the audit line
    for secret in secrets + [KEY.splitlines()[1]]:
        assert secret not in logged
