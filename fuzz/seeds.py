#!/usr/bin/env python3
"""Writes the seed inputs of each fuzz target into fuzz/corpus/<target>/.

Seeds are valid and near-valid inputs built from the project's fixtures
(tests/fixtures): SDK vector tickets, event JSON, customUserId vectors, the
throwaway test keys. Each file is named by the SHA-1 of its contents, as
libFuzzer names its own, so re-running adds nothing twice. Only needed to
rebuild the seeds: the minimised corpus is committed.

    python3 fuzz/seeds.py            # needs `cryptography` for the JWT seeds

The bearer_jwt seeds carry valid signatures (HS256 with the secret of
customauth::fuzzing, RS256 and ES256 with the fixture keys) on claims that
fail for good (expired, exp more than 24 h ahead, wrong issuer or audience,
invalid customUserId, not valid before 2099): a seed that authenticated would
break the target's invariant.
"""

import base64
import copy
import hashlib
import json
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent
FIXTURES = FUZZ.parent / "tests" / "fixtures"
KEYS = FIXTURES / "keys"

# Must match customauth::fuzzing::HS256_SECRET and its issuer and audience.
HS256_SECRET = b"fuzzing-hs256-secret-not-for-use-0123456789"
ISSUER = "https://issuer.example/"
AUDIENCE = "customauth"
EXPIRED = 1_600_000_000  # 2020
FAR = 4_102_444_800  # 2100
NOT_BEFORE = 4_070_908_800  # 2099


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = FUZZ / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def user_ids():
    for vector in json.loads((FIXTURES / "custom-user-ids.json").read_text()):
        write("user_id", vector["uid"])
    for extra in ["customUserId may only", "a" * 32, "a" * 33, "a" * 9 + "\u3000", "user_1234\n"]:
        write("user_id", extra)


def credentials():
    pem = lambda name: (KEYS / name).read_text()
    key = pem("k2048-pkcs1.pem")
    base = {"private_key_id": "kid-1", "private_key": key, "env_id": "env-1"}
    write("credentials_json", json.dumps(base, indent=2))
    # The literal \n form, as environment variables and secret stores carry it.
    write("credentials_json", json.dumps(base).replace("\\n", "\\\\n"))
    for name in ["k2048-pkcs8.pem", "k1024-pkcs1.pem", "k512-pkcs8.pem",
                 "ec-p256-pkcs8.pem", "k2048-public.pem", "es256-public.pem"]:
        write("credentials_json", json.dumps(dict(base, private_key=pem(name))))
    write("credentials_json", json.dumps(dict(base, extra="ignored")))
    for field in base:
        write("credentials_json", json.dumps({k: v for k, v in base.items() if k != field}))
        write("credentials_json", json.dumps(dict(base, **{field: "  "})))
        write("credentials_json", json.dumps(dict(base, **{field: 7})))
    truncated = key[: len(key) // 2] + key[-40:]
    write("credentials_json", json.dumps(dict(base, private_key=truncated)))
    write("credentials_json", json.dumps(dict(base, private_key="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")))
    for text in ["[]", "\"text\"", "{", "{\"private_key\": \"MIIsecret-material-here\"}", ""]:
        write("credentials_json", text)


def tickets():
    vectors = json.loads((FIXTURES / "tickets.json").read_text())
    for vector in vectors:
        write("verify_ticket", vector["ticket"])
    ticket = vectors[0]["ticket"]
    kid, jwt = ticket.split("/@@/")
    header, payload, signature = jwt.split(".")
    none, hs256, reordered = (
        b64url('{"alg":"none","typ":"JWT"}'),
        b64url('{"alg":"HS256","typ":"JWT"}'),
        b64url('{"typ":"JWT","alg":"RS256"}'),
    )
    write("verify_ticket", f"{kid}/@@/{none}.{payload}.")
    write("verify_ticket", f"{kid}/@@/{hs256}.{payload}.{signature}")
    write("verify_ticket", f"{kid}/@@/{reordered}.{payload}.{signature}")
    write("verify_ticket", f"other-kid/@@/{jwt}")
    write("verify_ticket", jwt)
    write("verify_ticket", f"{kid}/@@/{header}.{payload}")
    write("verify_ticket", f"{kid}/@@/{header}.{payload}.{signature}.x")
    write("verify_ticket", f"{kid}/@@/{header}=.{payload}.{signature}")
    write("verify_ticket", f"{kid}/@@/{header}.{payload[:-2]}.{signature}")


def jwts():
    from cryptography.hazmat.primitives import hashes, hmac, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    def load(name):
        return serialization.load_pem_private_key((KEYS / name).read_bytes(), password=None)

    rsa_key, ec_key = load("k2048-pkcs1.pem"), load("es256-private.pem")

    def token(header, claims, alg):
        signing_input = f"{b64url(json.dumps(header))}.{b64url(json.dumps(claims))}".encode()
        if alg == "HS256":
            mac = hmac.HMAC(HS256_SECRET, hashes.SHA256())
            mac.update(signing_input)
            sig = mac.finalize()
        elif alg == "RS256":
            sig = rsa_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256":
            r, s = decode_dss_signature(ec_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            sig = b""
        return f"{signing_input.decode()}.{b64url(sig)}"

    ok = {"sub": "user_1234", "iss": ISSUER, "aud": AUDIENCE, "exp": FAR, "openId": "o-1"}
    hs = {"alg": "HS256", "typ": "JWT"}
    seeds = [
        token(hs, dict(ok, exp=EXPIRED), "HS256"),
        token(hs, dict(ok, iss="https://other.example/"), "HS256"),
        token(hs, dict(ok, aud="someone-else"), "HS256"),
        token(hs, dict(ok, sub="not a user id"), "HS256"),
        token(hs, dict(ok, nbf=NOT_BEFORE), "HS256"),
        token(hs, {k: v for k, v in ok.items() if k != "exp"}, "HS256"),
        token(hs, dict(ok, exp="tomorrow", sub=17), "HS256"),
        token({"alg": "none", "typ": "JWT"}, ok, "none"),
        token({"alg": "RS256", "kid": "k2048"}, dict(ok, exp=EXPIRED), "RS256"),
        token({"alg": "RS256"}, dict(ok, sub="not a user id"), "RS256"),
        token({"alg": "RS256", "kid": "k2048"}, {k: v for k, v in ok.items() if k != "sub"}, "RS256"),
        token({"alg": "ES256", "kid": "es256"}, dict(ok, exp=EXPIRED), "ES256"),
        token({"alg": "ES256", "kid": "es256"}, dict(ok, sub=["user_1234"]), "ES256"),
        token({"alg": "HS256", "kid": "k2048"}, dict(ok, exp=EXPIRED), "HS256"),
        token({"alg": "RS256", "kid": "unknown"}, ok, "none"),
    ]
    for seed in seeds:
        write("bearer_jwt", seed)
    write("bearer_jwt", "not-a-jwt")
    write("bearer_jwt", "a.b.c")


def events():
    folder = FIXTURES / "events"
    for path in sorted(folder.glob("*.json")):
        write("request", path.read_bytes())
    v2 = json.loads((folder / "apigw-v2-create-ticket-jwt.json").read_text())
    variants = {
        "someone else": {"body": json.dumps({"customUserId": "someone_else"})},
        "zero refresh": {"body": json.dumps({"refresh": 0, "expire": 1})},
        "unknown field": {"body": json.dumps({"ttl": 5})},
        "bad base64": {"body": "not base64!", "isBase64Encoded": True},
        "spoofed marker": {"headers": dict(v2["headers"], **{"x-customauth-invalid-base64-body": "1"})},
        "text body": {"headers": dict(v2["headers"], **{"content-type": "text/plain"})},
    }
    for change in variants.values():
        event = copy.deepcopy(v2)
        event.update(change)
        write("request", json.dumps(event))
    get = copy.deepcopy(v2)
    get["requestContext"]["http"]["method"] = "GET"
    write("request", json.dumps(get))


if __name__ == "__main__":
    user_ids()
    credentials()
    tickets()
    jwts()
    events()
