"""template.yaml deploys in every caller-auth mode.

For each mode: the template's Rules are evaluated for the parameters a deployer would give
(everything else left at its default); SAM's own translator (samtranslator, as `sam deploy`
runs it) turns the template into CloudFormation; Conditions, Ref, Fn::If, Fn::Sub, ... and
`{{resolve:secretsmanager:...}}` references are worked out as CloudFormation would, with the
secrets in moto; then each Lambda function that the mode deploys is started from its real
binary with exactly that environment (plus what Lambda adds: the AWS region and credentials,
here moto's, and HOST/PORT or the runtime API) and must answer a real request.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from cfnlint.decode import decode
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from samtranslator.translator.transform import transform

from conftest import ROOT, Process, RuntimeApi, binary, free_port, request, wait_for_port

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # samtranslator's ARN partition lookup

TEMPLATE = ROOT / "template.yaml"
FIXTURES = ROOT / "tests" / "fixtures"
REGION, ACCOUNT = "us-east-1", "123456789012"
NO_VALUE = object()
ISSUER, AUDIENCE = "https://issuer.example.com/", "customauth-api"
ORIGINS = "https://app.example.com,http://localhost:5173"


# ---------------------------------------------------------------- CloudFormation, worked out


class Stack:
    """template.yaml as CloudFormation would deploy it with `parameters`."""

    def __init__(self, parameters: dict[str, str], secrets=None):
        template, matches = decode(str(TEMPLATE))
        assert not matches, matches
        self.sam = json.loads(json.dumps(template))  # plain dicts and strings
        declared = self.sam["Parameters"]
        unknown = set(parameters) - set(declared)
        assert not unknown, f"not parameters of template.yaml: {unknown}"
        missing = [n for n, spec in declared.items() if "Default" not in spec and n not in parameters]
        assert not missing, f"parameters without a default must be given: {missing}"
        self.params = {n: str(spec["Default"]) for n, spec in declared.items() if "Default" in spec}
        self.params.update(parameters)
        self.secrets = secrets

        sam = copy.deepcopy(self.sam)
        for resource in sam["Resources"].values():
            if resource["Type"] == "AWS::Serverless::Function":
                resource["Properties"]["CodeUri"] = "s3://customauth-artifacts/customauth.zip"  # sam package
        self.cfn = transform(sam, dict(self.params), _NoManagedPolicies(), passthrough_metadata=True)
        self.conditions: dict[str, bool] = {}
        for name in self.cfn.get("Conditions", {}):
            self.condition(name)

    # Rules: CloudFormation refuses the stack when an assertion of an applicable rule fails.
    def broken_rules(self) -> list[str]:
        broken = []
        for name, rule in self.sam.get("Rules", {}).items():
            if "RuleCondition" in rule and not self._rule_value(rule["RuleCondition"]):
                continue
            broken += [name for a in rule["Assertions"] if not self._rule_value(a["Assert"])]
        return broken

    def _rule_value(self, node):
        (fn, arg), = node.items()
        if fn == "Ref":
            return self.params[arg]
        if fn == "Fn::Equals":
            return self._rule_value_or_literal(arg[0]) == self._rule_value_or_literal(arg[1])
        if fn == "Fn::Not":
            return not self._rule_value(arg[0])
        if fn == "Fn::And":
            return all(self._rule_value(a) for a in arg)
        if fn == "Fn::Or":
            return any(self._rule_value(a) for a in arg)
        raise AssertionError(f"rule function {fn} not handled by this test")

    def _rule_value_or_literal(self, node):
        return self._rule_value(node) if isinstance(node, dict) else str(node)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = self._cond(self.cfn["Conditions"][name])
        return self.conditions[name]

    def _cond(self, node) -> bool:
        (fn, arg), = node.items()
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::Equals":
            return self.resolve(arg[0]) == self.resolve(arg[1])
        if fn == "Fn::Not":
            return not self._cond(arg[0])
        if fn == "Fn::And":
            return all(self._cond(a) for a in arg)
        if fn == "Fn::Or":
            return any(self._cond(a) for a in arg)
        raise AssertionError(f"condition function {fn} not handled by this test")

    def ref(self, name: str):
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": "customauth-test",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.params[name]
        assert name in self.cfn["Resources"], f"Ref to unknown {name}"
        return f"{name}-physical-id"

    def resolve(self, node):
        """The value CloudFormation would give `node` (NO_VALUE for AWS::NoValue)."""
        if isinstance(node, list):
            return [v for v in (self.resolve(n) for n in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return self._dynamic(node) if isinstance(node, str) else node
        if len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if fn == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

                def sub(m):
                    key = m.group(1)
                    if key.startswith("!"):
                        return "${" + key[1:] + "}"
                    if key in extra:
                        return str(extra[key])
                    if "." in key:
                        return f"{key.replace('.', '-')}-attribute"
                    return str(self.ref(key))

                return self._dynamic(re.sub(r"\$\{([^}]+)\}", sub, text))
            if fn == "Fn::Split":
                return self.resolve(arg[1]).split(arg[0])
            if fn == "Fn::Join":
                return arg[0].join(self.resolve(arg[1]))
            if fn == "Fn::GetAtt":
                return f"{arg[0]}-{arg[1]}-attribute"
            assert not fn.startswith("Fn::"), f"{fn} not handled by this test"
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in node.items()) if v is not NO_VALUE}

    def _dynamic(self, text: str) -> str:
        """CloudFormation's dynamic references, resolved in the final property values."""

        def secret(m):
            assert self.secrets is not None, "a secretsmanager reference needs moto"
            return self.secrets.get_secret_value(SecretId=m.group(1))["SecretString"]

        text = re.sub(r"\{\{resolve:secretsmanager:(.+?):SecretString\}\}", secret, text)
        assert "{{resolve:" not in text, f"dynamic reference not handled by this test: {text}"
        return text

    def functions(self) -> dict[str, dict[str, str]]:
        """binary name -> environment, for each Lambda function this stack deploys."""
        found = {}
        for resource in self.cfn["Resources"].values():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            props = self.resolve(resource["Properties"])
            env = props.get("Environment", {}).get("Variables", {})
            assert all(isinstance(v, str) for v in env.values()), env
            # Lambda's limit on a function's environment.
            assert sum(len(k) + len(v) for k, v in env.items()) <= 4096, env
            if props.get("LoggingConfig", {}).get("LogFormat") == "JSON":
                env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"  # as Lambda sets it
            found[resource["Metadata"]["BuildProperties"]["Binary"]] = env
        return found

    def api_body(self) -> dict:
        (api,) = [r for r in self.cfn["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
        return self.resolve(api["Properties"]["Body"])


class _NoManagedPolicies:
    """The template names no AWS managed policy, so SAM needs none."""

    def load(self):
        return {}


# ---------------------------------------------------------------- keys and tokens


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Idp:
    """A stand-in identity provider: an RSA key, its JWKS and its tokens (RS256)."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        as_bytes = lambda n: n.to_bytes((n.bit_length() + 7) // 8, "big")  # noqa: E731
        self.jwks = json.dumps(
            {
                "keys": [
                    {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "idp-1",
                     "n": b64url(as_bytes(numbers.n)), "e": b64url(as_bytes(numbers.e))}
                ]
            },
            separators=(",", ":"),
        )
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        self.pem_one_line = pem.strip().replace("\n", "\\n")  # as a CloudFormation parameter holds it

    def token(self, sub: str, **claims) -> str:
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "idp-1"}).encode())
        body = b64url(json.dumps({"sub": sub, "exp": int(time.time()) + 600, **claims}).encode())
        sig = self.key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64url(sig)}"


def hs256_token(secret: str, sub: str, **claims) -> str:
    import hashlib
    import hmac

    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": sub, "exp": int(time.time()) + 600, **claims}).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


CREDENTIALS_KEY = (FIXTURES / "keys" / "k2048-pkcs8.pem").read_text()


def check_ticket(ticket: str, uid: str):
    """The ticket is signed by the credentials' key, for uid, in env tpl-env."""
    key_id, jwt = ticket.split("/@@/")
    assert key_id == "tpl-key"
    head, body, sig = jwt.split(".")
    public = serialization.load_pem_private_key(CREDENTIALS_KEY.encode(), None).public_key()
    public.verify(b64url_decode(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    claims = json.loads(b64url_decode(body))
    assert (claims["uid"], claims["env"]) == (uid, "tpl-env")


# ---------------------------------------------------------------- the deployments


@pytest.fixture(scope="module")
def idp():
    """The stand-in provider, also serving its JWKS and OpenID discovery on loopback."""
    import http.server
    import threading

    provider = Idp()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/jwks":
                body = provider.jwks.encode()
            elif self.path == "/.well-known/openid-configuration":
                body = json.dumps({"issuer": provider.issuer_url, "jwks_uri": provider.jwks_url}).encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.issuer_url = f"http://127.0.0.1:{server.server_port}"
    provider.jwks_url = provider.issuer_url + "/jwks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield provider
    server.shutdown()


@pytest.fixture(scope="module")
def secrets(moto):
    """The secrets a deployer stores first (docs/deploy-aws.md), in moto."""
    suffix = str(time.time_ns())
    credentials = json.dumps({"private_key_id": "tpl-key", "private_key": CREDENTIALS_KEY, "env_id": "tpl-env"})
    api_keys = ["backend-key-" + "a" * 20, "backend-key-" + "b" * 20]
    jwt_secret = "s" * 24 + suffix[-16:]
    return {
        "credentials": moto.secret(f"customauth/tcb_custom_login-{suffix}", credentials),
        "api_keys": moto.secret(f"customauth/api-keys-{suffix}", ",".join(api_keys)),
        "jwt_secret": moto.secret(f"customauth/jwt-secret-{suffix}", jwt_secret),
        "api_key_values": api_keys,
        "jwt_secret_value": jwt_secret,
    }


# Per mode: what a deployer passes (besides CredentialsSecretArn), and which functions it deploys.
MODES = {
    "gateway": ({"CallerAuth": "gateway", "JwtIssuer": ISSUER, "JwtAudience": AUDIENCE,
                 "CorsAllowedOrigins": ORIGINS}, {"create-ticket", "get-user-info", "get-client-ip"}),
    "jwt-jwks": ({"CallerAuth": "jwt", "JwtJwks": "<jwks>", "JwtIssuer": ISSUER, "JwtAudience": AUDIENCE},
                 {"create-ticket", "get-user-info", "get-client-ip"}),
    # Keys fetched from the provider (a loopback one here, hence http://).
    "jwt-jwks-url": ({"CallerAuth": "jwt", "JwtJwksUrl": "<jwks_url>", "JwtIssuer": ISSUER, "JwtAudience": AUDIENCE},
                     {"create-ticket", "get-user-info", "get-client-ip"}),
    "jwt-issuer-url": ({"CallerAuth": "jwt", "JwtIssuerUrl": "<issuer_url>", "JwtAudience": AUDIENCE},
                       {"create-ticket", "get-user-info", "get-client-ip"}),
    "jwt-public-key": ({"CallerAuth": "jwt", "JwtPublicKey": "<pem>", "JwtAudience": AUDIENCE},
                       {"create-ticket", "get-user-info", "get-client-ip"}),
    "jwt-secret": ({"CallerAuth": "jwt", "JwtSecretArn": "<jwt_secret>", "JwtIssuer": ISSUER},
                   {"create-ticket", "get-user-info", "get-client-ip"}),
    "api-key": ({"CallerAuth": "api-key", "ApiKeysSecretArn": "<api_keys>", "CorsAllowedOrigins": ORIGINS},
                {"create-ticket", "get-client-ip"}),
    "api-key+jwks": ({"CallerAuth": "api-key", "ApiKeysSecretArn": "<api_keys>", "JwtJwks": "<jwks>",
                      "JwtIssuer": ISSUER, "JwtAudience": AUDIENCE},
                     {"create-ticket", "get-user-info", "get-client-ip"}),
    # getUserInfo for callers signed in to CloudBase: deployed beside any createTicket mode.
    "api-key+cloudbase": ({"CallerAuth": "api-key", "ApiKeysSecretArn": "<api_keys>",
                           "UserInfoCloudBaseEnv": "prod-1a2b", "CorsAllowedOrigins": ORIGINS},
                          {"create-ticket", "get-user-info", "get-client-ip"}),
    "gateway+cloudbase": ({"CallerAuth": "gateway", "JwtIssuer": ISSUER, "JwtAudience": AUDIENCE,
                           "UserInfoCloudBaseEnv": "prod-1a2b", "UserInfoCloudBaseRegion": "ap-guangzhou"},
                          {"create-ticket", "get-user-info", "get-client-ip"}),
}


def parameters(mode: str, idp: Idp, secrets: dict) -> dict[str, str]:
    values = {"<jwks>": idp.jwks, "<jwks_url>": idp.jwks_url, "<issuer_url>": idp.issuer_url, "<pem>": idp.pem_one_line, "<jwt_secret>": secrets["jwt_secret"],
              "<api_keys>": secrets["api_keys"]}
    given = {k: values.get(v, v) for k, v in MODES[mode][0].items()}
    return {"CredentialsSecretArn": secrets["credentials"], **given}


def start_http(name: str, env: dict[str, str], moto) -> tuple[Process, str]:
    port = free_port()
    proc = Process([str(binary(name))], {**env, **moto.env(), "HOST": "127.0.0.1", "PORT": str(port)})
    if not wait_for_port(port, proc.proc):
        out = proc.output()
        proc.close()
        pytest.fail(f"{name} did not start with the template's environment {sorted(env)}:\n{out}")
    return proc, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("mode", MODES)
def test_mode_deploys_and_every_function_answers(mode, idp, secrets, moto):
    stack = Stack(parameters(mode, idp, secrets), moto.secrets)
    assert stack.broken_rules() == []
    functions = stack.functions()
    assert set(functions) == MODES[mode][1]

    caller_auth = stack.params["CallerAuth"]
    ticket_env = functions["create-ticket"]
    assert ticket_env["CUSTOMAUTH_CALLER_AUTH"] == caller_auth
    assert ticket_env["CUSTOMAUTH_CREDENTIALS_SECRET_ID"] == secrets["credentials"]
    assert ("CUSTOMAUTH_API_KEYS_SECRET_ID" in ticket_env) == (caller_auth == "api-key")
    jwt_vars = {"CUSTOMAUTH_JWT_JWKS", "CUSTOMAUTH_JWT_PUBLIC_KEY", "CUSTOMAUTH_JWT_SECRET",
                "CUSTOMAUTH_JWT_JWKS_URL", "CUSTOMAUTH_JWT_OIDC_ISSUER"}
    assert len(jwt_vars & set(ticket_env)) == (1 if caller_auth == "jwt" else 0)
    cloudbase_env = stack.params["UserInfoCloudBaseEnv"]
    if "get-user-info" in functions:
        user_env = functions["get-user-info"]
        if cloudbase_env:
            assert user_env["CUSTOMAUTH_CALLER_AUTH"] == "cloudbase"
            assert user_env["CUSTOMAUTH_CLOUDBASE_ENV"] == cloudbase_env
            assert user_env["CUSTOMAUTH_CLOUDBASE_REGION"] == stack.params["UserInfoCloudBaseRegion"]
            assert not jwt_vars & set(user_env)
        else:
            assert user_env["CUSTOMAUTH_CALLER_AUTH"] == ("gateway" if caller_auth == "gateway" else "jwt")
            assert len(jwt_vars & set(user_env)) == (0 if caller_auth == "gateway" else 1)
            assert not {"CUSTOMAUTH_CLOUDBASE_ENV", "CUSTOMAUTH_CLOUDBASE_REGION"} & set(user_env)
        assert not {"CUSTOMAUTH_API_KEYS_SECRET_ID", "CUSTOMAUTH_CREDENTIALS_SECRET_ID"} & set(user_env)
    cors = stack.params["CorsAllowedOrigins"]
    for env in functions.values():
        assert env.get("CUSTOMAUTH_CORS_ALLOWED_ORIGINS") == (cors or None)

    body = stack.api_body()
    authorizer = body["components"]["securitySchemes"]
    assert bool(authorizer) == (caller_auth == "gateway")
    if authorizer:
        config = authorizer["JwtAuthorizer"]["x-amazon-apigateway-authorizer"]["jwtConfiguration"]
        assert config == {"issuer": ISSUER, "audience": [AUDIENCE]}
    assert ("/getUserInfo" in body["paths"] and bool(body["paths"]["/getUserInfo"])) == ("get-user-info" in functions)
    for path, method in [("/createTicket", "post"), ("/getUserInfo", "get")]:
        if body["paths"].get(path):
            behind = body["paths"][path][method]["security"] == [{"JwtAuthorizer": []}]
            # A CloudBase access token is not the identity provider's JWT: never the authorizer.
            assert behind == (caller_auth == "gateway" and not (path == "/getUserInfo" and cloudbase_env)), path
    if cors:
        assert body["x-amazon-apigateway-cors"]["allowOrigins"] == cors.split(",")
    else:
        assert "x-amazon-apigateway-cors" not in body

    processes = []
    try:
        urls = {}
        for name, env in functions.items():
            if caller_auth == "gateway" and name != "get-client-ip" and not (name == "get-user-info" and cloudbase_env):
                # Only an authorizer on Lambda can vouch for a caller: in HTTP mode a gateway-mode
                # function refuses to start; test_gateway_mode_on_lambda runs it as deployed.
                done = subprocess.run([str(binary(name))], env={**env, **moto.env(), "HOST": "127.0.0.1",
                                      "PORT": str(free_port())}, capture_output=True, text=True, timeout=30)
                assert done.returncode == 2 and "HTTP mode" in done.stdout + done.stderr, done
                continue
            proc, urls[name] = start_http(name, env, moto)
            processes.append(proc)

        status, _, answer = request("GET", urls["get-client-ip"] + "/getClientIP")
        assert (status, answer) == (200, {"ip": "127.0.0.1"})

        if cloudbase_env:
            user_info = urls["get-user-info"] + "/getUserInfo"
            status, _, answer = request("GET", user_info)
            assert (status, answer["code"]) == (401, "UNAUTHENTICATED"), answer  # no CloudBase login
            # With a login it asks CloudBase: the real one is out of reach here, so the same
            # environment pointed at a closed port shows the lookup failing closed, as 503.
            proc, url = start_http("get-user-info", {**functions["get-user-info"],
                                   "CUSTOMAUTH_CLOUDBASE_ENDPOINT": "http://127.0.0.1:9"}, moto)
            processes.append(proc)
            status, headers, answer = request("GET", url + "/getUserInfo", {"Authorization": "Bearer some-access-token"})
            assert (status, answer["code"]) == (503, "UNAVAILABLE"), answer

        if caller_auth == "gateway":
            return
        # The issuer tokens carry: JwtIssuerUrl's, when the keys come from OpenID discovery.
        issuer = stack.params["JwtIssuerUrl"] or ISSUER
        create = urls["create-ticket"] + "/createTicket"
        json_ct = {"Content-Type": "application/json"}
        status, _, answer = request("POST", create, json_ct, b'{"customUserId":"user_1234"}')
        assert (status, answer["code"]) == (401, "UNAUTHENTICATED"), answer  # no credentials: never a ticket

        if caller_auth == "api-key":
            key = secrets["api_key_values"][1]
            for auth in ({"X-Api-Key": key}, {"Authorization": f"Bearer {key}"}):
                status, _, answer = request("POST", create, {**auth, **json_ct}, b'{"customUserId":"user_1234"}')
                assert status == 200, answer
                check_ticket(answer["ticket"], "user_1234")
            status, _, answer = request("POST", create, {"X-Api-Key": "x" * 32, **json_ct}, b'{"customUserId":"user_1234"}')
            assert status == 401, answer
        elif caller_auth == "jwt":
            if "JwtSecretArn" in MODES[mode][0]:
                token = hs256_token(secrets["jwt_secret_value"], "user_1234", iss=ISSUER)
            else:
                token = idp.token("user_1234", iss=issuer, aud=AUDIENCE)
            status, _, answer = request("POST", create, {"Authorization": f"Bearer {token}", **json_ct}, b"{}")
            assert status == 200, answer
            check_ticket(answer["ticket"], "user_1234")
        if "get-user-info" in urls and caller_auth != "gateway" and not cloudbase_env:
            if "JwtSecretArn" in MODES[mode][0]:
                token = hs256_token(secrets["jwt_secret_value"], "user_5678", iss=ISSUER)
            else:
                token = idp.token("user_5678", iss=issuer, aud=AUDIENCE)
            status, _, answer = request("GET", urls["get-user-info"] + "/getUserInfo", {"Authorization": f"Bearer {token}"})
            assert (status, answer.get("customUserId")) == (200, "user_5678"), answer
            if (stack.params["JwtIssuer"] or stack.params["JwtIssuerUrl"]) and "JwtSecretArn" not in MODES[mode][0]:
                wrong = idp.token("user_5678", iss="https://elsewhere.example.com/", aud=AUDIENCE)
                status, _, _ = request("GET", urls["get-user-info"] + "/getUserInfo", {"Authorization": f"Bearer {wrong}"})
                assert status == 401
        elif "get-user-info" in urls and not cloudbase_env:
            status, _, answer = request("GET", urls["get-user-info"] + "/getUserInfo")
            assert (status, answer["code"]) == (401, "UNAUTHENTICATED"), answer
    finally:
        for proc in processes:
            proc.close()


def test_gateway_mode_on_lambda(idp, secrets, moto):
    """gateway mode as deployed: the HTTP API's JWT authorizer hands its claims to the function."""
    stack = Stack(parameters("gateway", idp, secrets), moto.secrets)
    functions = stack.functions()
    events = FIXTURES / "events"
    cases = [
        ("create-ticket", "apigw-v2-create-ticket-jwt.json", "ticket"),
        ("get-user-info", "apigw-v2-get-user-info.json", "customUserId"),
    ]
    for name, event_file, field in cases:
        api = RuntimeApi()
        proc = Process([str(binary(name))], {**functions[name], **moto.env(), **api.env(name)})
        try:
            kind, answer = api.invoke(json.loads((events / event_file).read_text()), proc)
            assert kind == "response", answer
            body = json.loads(answer["body"])
            assert answer["statusCode"] == 200, body
            claims_sub = "user_1234"  # the fixtures' authorizer claims
            if field == "ticket":
                check_ticket(body["ticket"], claims_sub)
            else:
                assert body["customUserId"] == claims_sub
        finally:
            proc.close()
            api.close()


BROKEN = [
    ("gateway without issuer", {"CallerAuth": "gateway", "JwtAudience": AUDIENCE}, "GatewayNeedsAuthorizer"),
    ("gateway without audience", {"CallerAuth": "gateway", "JwtIssuer": ISSUER}, "GatewayNeedsAuthorizer"),
    ("jwt without a key", {"CallerAuth": "jwt", "JwtIssuer": ISSUER}, "JwtNeedsKey"),
    ("jwt without issuer or audience", {"CallerAuth": "jwt", "JwtJwks": "{}"}, "JwtNeedsIssuerOrAudience"),
    ("api-key's getUserInfo key without issuer or audience",
     {"CallerAuth": "api-key", "ApiKeysSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
      "JwtJwks": "{}"}, "JwtNeedsIssuerOrAudience"),
    ("two jwt keys", {"CallerAuth": "jwt", "JwtJwks": "{}", "JwtPublicKey": "pem"}, "AtMostOneJwtKey"),
    ("issuer URL and JWKS URL", {"CallerAuth": "jwt", "JwtIssuerUrl": "https://idp.example.com",
                                 "JwtJwksUrl": "https://idp.example.com/jwks"}, "AtMostOneJwtKey"),
    ("JWKS URL without issuer or audience", {"CallerAuth": "jwt", "JwtJwksUrl": "https://idp.example.com/jwks"},
     "JwtNeedsIssuerOrAudience"),
    ("issuer URL beside JwtIssuer", {"CallerAuth": "jwt", "JwtIssuerUrl": "https://idp.example.com",
                                     "JwtIssuer": ISSUER}, "JwtIssuerUrlIsTheIssuer"),
    ("api-key without its secret", {"CallerAuth": "api-key"}, "ApiKeyNeedsSecret"),
]


@pytest.mark.parametrize("what, given, rule", BROKEN, ids=[b[0] for b in BROKEN])
def test_rules_refuse_a_deployment_that_could_not_start(what, given, rule):
    stack = Stack({"CredentialsSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:c-AbCdEf", **given})
    assert rule in stack.broken_rules()


def test_caller_auth_has_no_default():
    """As CUSTOMAUTH_CALLER_AUTH: the deployer chooses, and every other default passes the rules."""
    template, _ = decode(str(TEMPLATE))
    assert "Default" not in template["Parameters"]["CallerAuth"]
