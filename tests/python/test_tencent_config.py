"""The Tencent Cloud deployment files declare the three functions as they run.

deploy/tencent/*/serverless.yml (Serverless Framework, a web function each behind API Gateway) and
cloudbaserc.json (CloudBase CLI, an HTTP cloud function each): every variable a function is given is
one it reads (its `--help`), its caller-auth mode is one it knows, secrets are `${env:NAME}` /
`{{env.NAME}}` placeholders filled at deploy time, never values; and the environment each file
gives, its placeholders filled as scripts/tencent-env.py fills them, starts the real binary and
serves a request.

get-user-info's CloudBase identity modes (`cloudbase`, `cloudbase-context`) and their
CUSTOMAUTH_CLOUDBASE_* variables come from another branch of issue 12. While get-user-info's
`--help` mentions none of them, they are the only names allowed beyond `--help`, for get-user-info
alone (and a file that uses such a mode is not started); once its `--help` lists any of them, they
are checked like every other.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache

import pytest
import yaml

from conftest import ROOT, Process, binary, check_ticket, free_port, request, wait_for_port

FUNCTIONS = ("create-ticket", "get-user-info", "get-client-ip")
PATHS = {"create-ticket": "/createTicket", "get-user-info": "/getUserInfo", "get-client-ip": "/getClientIP"}
SERVERLESS = {f: ROOT / "deploy" / "tencent" / f / "serverless.yml" for f in FUNCTIONS}
CLOUDBASERC = ROOT / "cloudbaserc.json"
KEY = ROOT / "tests" / "fixtures" / "keys" / "k2048-pkcs8.pem"

PENDING_VARIABLES = {
    "CUSTOMAUTH_CLOUDBASE_ENV",
    "CUSTOMAUTH_CLOUDBASE_REGION",
    "CUSTOMAUTH_CLOUDBASE_ENDPOINT",
    "CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS",
    "CUSTOMAUTH_CLOUDBASE_CACHE_SECONDS",
    "CUSTOMAUTH_CLOUDBASE_CACHE_ENTRIES",
}
PENDING_MODES = {"cloudbase", "cloudbase-context"}
# Never a value in these files: a key, or what lets a caller have tickets signed with it.
SECRETS = {"TCB_CUSTOM_LOGIN_PRIVATE_KEY", "CUSTOMAUTH_CREDENTIALS", "CUSTOMAUTH_API_KEYS", "CUSTOMAUTH_JWT_SECRET"}
API_KEY = "tencent-cfg-key-0123456789abcdef"


# ---------------------------------------------------------------- what each binary says it reads


@cache
def help_text(function: str) -> str:
    done = subprocess.run([str(binary(function)), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done
    return done.stdout


def help_variables(function: str) -> set[str]:
    return set(re.findall(r"^  ([A-Z][A-Z0-9_]*)$", help_text(function), re.M))


def help_modes(function: str) -> set[str]:
    """The CUSTOMAUTH_CALLER_AUTH values --help gives this function: "gateway, jwt, api-key or none
    (...)", or "gateway, jwt, api-key, none; get-user-info also cloudbase, cloudbase-context (...)"."""
    match = re.search(r"^  CUSTOMAUTH_CALLER_AUTH\n\s+(.*)$", help_text(function), re.M)
    if not match:
        return set()

    def words(listed: str) -> set[str]:
        return {m for m in re.split(r",\s*|\s+or\s+", listed.strip()) if m}

    first, *more = match.group(1).split("(")[0].split(";")
    modes = words(first)
    for part in more:
        only = re.fullmatch(r"\s*([a-z][a-z-]*) also (.*)", part)
        assert only, f"--help's CUSTOMAUTH_CALLER_AUTH line not understood: {match.group(1)}"
        if only.group(1) == function:
            modes |= words(only.group(2))
    return modes


def pending(function: str) -> bool:
    """True for get-user-info while its --help knows nothing of the CloudBase identity modes."""
    if function != "get-user-info":
        return False  # the exemption is get-user-info's alone, and only until the merge
    return not (help_variables(function) & PENDING_VARIABLES) and not (help_modes(function) & PENDING_MODES)


# ---------------------------------------------------------------- what each file declares


def serverless(function: str) -> dict:
    return yaml.safe_load(SERVERLESS[function].read_text())


def cloudbaserc() -> dict:
    return json.loads(CLOUDBASERC.read_text())


def declared(kind: str, function: str) -> dict[str, str]:
    if kind == "serverless.yml":
        return serverless(function)["inputs"]["environment"]["variables"]
    (entry,) = [f for f in cloudbaserc()["functions"] if f["name"] == function]
    return entry["envVariables"]


PLACEHOLDER = {"serverless.yml": r"\$\{env:([A-Z][A-Z0-9_]*)\}", "cloudbaserc.json": r"\{\{env\.([A-Z][A-Z0-9_]*)\}\}"}
CASES = [(kind, f) for kind in PLACEHOLDER for f in FUNCTIONS]
IDS = [f"{kind}-{f}" for kind, f in CASES]


def test_serverless_yml_is_one_web_function_per_folder_behind_api_gateway():
    """The scf component's multi-instance layout: deploy/tencent/<function>/serverless.yml, one app."""
    assert {p.name for p in (ROOT / "deploy" / "tencent").iterdir() if p.is_dir()} == set(FUNCTIONS)
    apps = set()
    for function in FUNCTIONS:
        config = serverless(function)
        assert config["component"] == "scf" and config["name"] == function
        apps.add(config["app"])
        inputs = config["inputs"]
        assert inputs["type"] == "web"
        # src is what scripts/package-tencent.sh writes: the binary and its scf_bootstrap.
        assert (SERVERLESS[function].parent / inputs["src"]).resolve() == ROOT / "dist" / "tencent" / function
        assert inputs["runtime"] == "Go1"  # CentOS 7, glibc 2.17: what the package is linked for
        (event,) = inputs["events"]
        (endpoint,) = event["apigw"]["parameters"]["endpoints"]
        assert endpoint["path"] == PATHS[function]
        assert event["apigw"]["parameters"]["protocols"] == ["https"]  # mini programs call HTTPS only
    assert len(apps) == 1  # `sls deploy` in deploy/tencent deploys the three as one app


def test_cloudbaserc_declares_three_http_functions_where_the_package_is():
    config = cloudbaserc()
    assert config["version"] == "2.0"  # {{env.NAME}} placeholders need it
    assert re.fullmatch(PLACEHOLDER["cloudbaserc.json"], config["envId"])
    assert [f["name"] for f in config["functions"]] == list(FUNCTIONS)
    # `tcb fn deploy NAME --httpFn` deploys functionRoot/NAME: what scripts/package-tencent.sh writes.
    assert (ROOT / config["functionRoot"]).resolve() == ROOT / "dist" / "tencent"
    for entry in config["functions"]:
        assert entry["type"] == "HTTP" and entry["runtime"] == "Go1"
        assert "dir" not in entry and "handler" not in entry


@pytest.mark.parametrize("kind, function", CASES, ids=IDS)
def test_every_declared_variable_is_one_the_function_reads(kind, function):
    env = declared(kind, function)
    unknown = set(env) - help_variables(function)
    if pending(function):
        unknown -= PENDING_VARIABLES
    assert not unknown, f"{kind} gives {function} variables it does not read: {sorted(unknown)}"
    assert not {"HOST", "PORT"} & set(env)  # scf_bootstrap sets them: the platform's 0.0.0.0:9000


@pytest.mark.parametrize("kind, function", CASES, ids=IDS)
def test_caller_auth_is_a_mode_the_function_knows(kind, function):
    env = declared(kind, function)
    if function == "get-client-ip":
        assert "CUSTOMAUTH_CALLER_AUTH" not in env  # it has no caller
        return
    mode = env["CUSTOMAUTH_CALLER_AUTH"]
    known = help_modes(function) | (PENDING_MODES if pending(function) else set())
    assert mode in known, f"{kind}: {function} does not know CUSTOMAUTH_CALLER_AUTH={mode}"
    # The chosen defaults: a backend with an API key asks for tickets; getUserInfo checks the
    # caller's CloudBase token itself behind API Gateway, and trusts the CloudBase gateway's
    # X-Cloudbase-Context when deployed as a CloudBase HTTP function (reachable only through it).
    expected = {
        ("serverless.yml", "create-ticket"): "api-key",
        ("cloudbaserc.json", "create-ticket"): "api-key",
        ("serverless.yml", "get-user-info"): "cloudbase",
        ("cloudbaserc.json", "get-user-info"): "cloudbase-context",
    }
    assert mode == expected[(kind, function)]


@pytest.mark.parametrize("kind", PLACEHOLDER)
def test_secrets_are_placeholders_never_values(kind):
    files = [CLOUDBASERC] if kind == "cloudbaserc.json" else list(SERVERLESS.values())
    for path in files:
        assert "PRIVATE KEY" not in path.read_text(), path
    for function in FUNCTIONS:
        for name, value in declared(kind, function).items():
            if name in SECRETS:
                assert re.fullmatch(PLACEHOLDER[kind], value), f"{kind}: {function}'s {name} must be a placeholder"


# ---------------------------------------------------------------- the environment starts the function


@pytest.fixture(scope="module")
def deploy_values(tmp_path_factory) -> dict[str, str]:
    """What a deployer puts in .env.local: scripts/tencent-env.py's output, as bash reads it."""
    credentials = tmp_path_factory.mktemp("tencent") / "tcb_custom_login.json"
    credentials.write_text(json.dumps({"private_key_id": "cfg-key", "private_key": KEY.read_text(), "env_id": "cfg-env"}))
    done = subprocess.run([str(ROOT / "scripts" / "tencent-env.py"), str(credentials)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "BEGIN PRIVATE KEY" in done.stdout and done.stdout.count("\n") == 3  # one line each
    # bash, exactly as README's `set -a; . ./.env.local` reads it.
    dump = subprocess.run(["bash", "-c", 'set -a; eval "$1"; env -0', "bash", done.stdout], capture_output=True,
                          timeout=30, env={"PATH": "/usr/bin:/bin"})
    read = dict(item.split("=", 1) for item in dump.stdout.decode().split("\0") if "=" in item)
    values = {k: v for k, v in read.items() if k.startswith("TCB_CUSTOM_LOGIN_")}
    assert values["TCB_CUSTOM_LOGIN_PRIVATE_KEY"].startswith("-----BEGIN PRIVATE KEY-----\\n")  # literal \n
    return {**values, "CUSTOMAUTH_API_KEYS": API_KEY, "CUSTOMAUTH_TRUSTED_PROXIES": "10.0.0.0/8",
            "CUSTOMAUTH_FORWARDED_HEADER": "x-forwarded-for"}


def filled(kind: str, function: str, values: dict[str, str]) -> dict[str, str]:
    env = {}
    for name, value in declared(kind, function).items():
        value = str(value)
        for placeholder in re.findall(PLACEHOLDER[kind], value):
            assert placeholder in values, f"{kind}: no test value for the placeholder {placeholder}"
        env[name] = re.sub(PLACEHOLDER[kind], lambda m: values[m.group(1)], value)
    return env


def test_tencent_env_refuses_a_file_that_is_not_the_console_json(tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"private_key_id": "k", "env_id": "e"}))
    done = subprocess.run([str(ROOT / "scripts" / "tencent-env.py"), str(wrong)], capture_output=True, text=True)
    assert done.returncode == 2 and "private_key" in done.stderr and not done.stdout


@pytest.mark.parametrize("kind, function", CASES, ids=IDS)
def test_the_declared_environment_starts_the_function(kind, function, deploy_values):
    env = filled(kind, function, deploy_values)
    # SCF's limit on a function's environment (4 KB), here with a 2048-bit key.
    assert sum(len(k) + len(v) for k, v in env.items()) <= 4096
    if env.get("CUSTOMAUTH_CALLER_AUTH") in PENDING_MODES and pending(function):
        pytest.skip(f"{function} does not know CUSTOMAUTH_CALLER_AUTH={env['CUSTOMAUTH_CALLER_AUTH']} yet")
    port = free_port()
    proc = Process([str(binary(function))], {**env, "HOST": "127.0.0.1", "PORT": str(port)})
    try:
        assert wait_for_port(port, proc.proc), f"{function} did not start with {kind}'s environment:\n{proc.output()}"
        url = f"http://127.0.0.1:{port}{PATHS[function]}"
        if function == "create-ticket":
            status, _, answer = request("POST", url, {"X-Api-Key": API_KEY, "Content-Type": "application/json"},
                                        b'{"customUserId":"user_1234"}')
            assert status == 200, answer
            check_ticket(answer["ticket"], KEY.read_text(), "cfg-key", "cfg-env", "user_1234")
        elif function == "get-user-info":
            status, _, answer = request("GET", url)
            assert (status, answer["code"]) == (401, "UNAUTHENTICATED"), answer
        else:
            status, _, answer = request("GET", url)
            assert (status, answer) == (200, {"ip": "127.0.0.1"}), answer
    finally:
        proc.close()
