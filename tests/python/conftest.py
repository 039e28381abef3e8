"""Helpers for the Python tests: real processes on loopback, moto, a tiny Lambda runtime API.

Run by `make pytest` (part of `make test`) with the project venv's pytest, after
`cargo build --workspace --bins`; the binaries are taken from $CARGO_TARGET_DIR/debug (default
target/debug).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")


def binary(name: str) -> Path:
    path = target_dir() / "debug" / name
    if not path.exists():
        pytest.fail(f"{path} is not built: run `cargo build --workspace --bins` first (make test does)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> bool:
    """True once something accepts on 127.0.0.1:port; False if proc exits first or on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Process:
    """A child process with its output in a temporary file; stopped (TERM, then KILL) on close."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path = ROOT):
        self.log = tempfile.NamedTemporaryFile(prefix="customauth-pytest-", suffix=".log", delete=False)
        self.argv = argv
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        os.unlink(self.log.name)
        return self.proc.returncode


def request(method: str, url: str, headers: dict | None = None, body: bytes | None = None):
    """(status, headers, parsed JSON body or raw bytes)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            status, got_headers, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, got_headers, raw = e.code, e.headers, e.read()
    try:
        return status, got_headers, json.loads(raw)
    except ValueError:
        return status, got_headers, raw


class Moto:
    """moto's server (Secrets Manager and more) on a free loopback port."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = Process(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)], dict(os.environ)
        )
        if not wait_for_port(self.port, self.process.proc):
            out = self.process.output()
            self.process.close()
            pytest.fail(f"moto did not start (pip install -r requirements-dev.txt):\n{out}")
        import boto3

        self.secrets = boto3.client(
            "secretsmanager",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def secret(self, name: str, value: str) -> str:
        """Creates a secret; returns its full ARN."""
        return self.secrets.create_secret(Name=name, SecretString=value)["ARN"]

    def env(self) -> dict[str, str]:
        """What a function needs to reach this moto instead of AWS."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }


@pytest.fixture(scope="session")
def moto():
    server = Moto()
    yield server
    server.process.close()


class RuntimeApi:
    """The Lambda runtime API, enough for one function: hands out queued events, collects answers.

    A binary started with AWS_LAMBDA_RUNTIME_API pointing here runs as on Lambda.
    """

    def __init__(self):
        self.events: list[tuple[str, dict]] = []
        self.answers: dict[str, tuple[str, dict]] = {}
        self.cond = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: bytes = b"{}", headers: dict | None = None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return self._reply(404)
                with api.cond:
                    while not api.events:
                        api.cond.wait()
                    request_id, event = api.events.pop(0)
                self._reply(
                    200,
                    json.dumps(event).encode(),
                    {
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30000),
                        "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:test",
                        "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
                    },
                )

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.strip("/").split("/")
                # /2018-06-01/runtime/invocation/{id}/response|error, /2018-06-01/runtime/init/error
                kind, request_id = parts[-1], (parts[-2] if "invocation" in parts else "init")
                with api.cond:
                    api.answers[request_id] = (kind, json.loads(body or b"{}"))
                    api.cond.notify_all()
                self._reply(202)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self, name: str) -> dict[str, str]:
        """What Lambda itself puts in a function's environment."""
        return {
            "AWS_LAMBDA_RUNTIME_API": self.address,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "test",
            "AWS_LAMBDA_LOG_GROUP_NAME": "test",
        }

    def invoke(self, event: dict, proc: Process, timeout: float = 30.0) -> tuple[str, dict]:
        """Queues event; returns ("response" or "error", payload) once the function answers."""
        request_id = str(uuid.uuid4())
        deadline = time.monotonic() + timeout
        with self.cond:
            self.events.append((request_id, event))
            self.cond.notify_all()
            while request_id not in self.answers and "init" not in self.answers:
                if proc.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{proc.argv[0]} gave no answer:\n{proc.output()}")
                self.cond.wait(0.1)
            return self.answers.get(request_id) or self.answers["init"]

    def close(self):
        with self.cond:
            # Unblock a pending /next so the server can shut down.
            self.events.append(("shutdown", {}))
            self.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()


def b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_ticket(ticket: str, key_pem: str, key_id: str, env: str, uid: str) -> dict:
    """The ticket is `key_id/@@/JWT`, its RS256 signature verifies with key_pem's public key, and it
    is for uid in env; returns its claims."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    got_key_id, jwt = ticket.split("/@@/")
    assert got_key_id == key_id
    head, body, sig = jwt.split(".")
    public = serialization.load_pem_private_key(key_pem.encode(), None).public_key()
    public.verify(b64url_decode(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    claims = json.loads(b64url_decode(body))
    assert (claims["uid"], claims["env"]) == (uid, env), claims
    return claims


def hs256_token(secret: str, sub: str, **claims) -> str:
    """An HS256 JWT for sub, valid for ten minutes."""
    import hashlib
    import hmac

    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": sub, "exp": int(time.time()) + 600, **claims}).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"
