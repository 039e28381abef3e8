//! Tests of caller authentication, one file per mode; the fixtures and
//! helpers they share are here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use customauth_core::env::from_pairs as env;
use customauth_core::user_id::InvalidUserId;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use lambda_http::{Body, Request, http};
use serde_json::{Value, json};

use super::*;

mod api_key;
mod cloudbase_context;
mod gateway;
mod headers;
mod jwt;
mod jwt_keys;
mod mode;

// Test keys (tests/fixtures/keys):
// - k2048-pkcs1.pem: the RSA key the ticket tests use; k2048-public.pem
//   was derived from it with
//   `openssl rsa -in k2048-pkcs1.pem -pubout -out k2048-public.pem`.
// - es256-private.pem / es256-public.pem: a P-256 pair made with
//   `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out es256-private.pem`
//   and `openssl pkey -in es256-private.pem -pubout -out es256-public.pem`.
// - jwks.json: the RSA key's n/e (kid "k2048", alg RS256) and the P-256
//   key's x/y (kid "es256", no alg), base64url of `openssl rsa -pubin
//   -modulus` and of the last 64 bytes of the EC public key's DER.
const RSA_PRIVATE: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;

const RSA_PUBLIC: &str = customauth_testkit::fixtures::keys::K2048_PUBLIC;

const EC_PRIVATE: &str = customauth_testkit::fixtures::keys::ES256_PRIVATE;

const EC_PUBLIC: &str = customauth_testkit::fixtures::keys::ES256_PUBLIC;

const JWKS: &str = customauth_testkit::fixtures::keys::JWKS;

const LEGACY_1024: &str = customauth_testkit::fixtures::keys::K1024_PKCS1;

const SECRET: &str = "0123456789abcdef0123456789abcdef-hs256";

const API_KEY: &str = "dev-key-3f9c1a7e5b2d4086";

const V2_JWT: &str = customauth_testkit::fixtures::events::APIGW_V2_CREATE_TICKET_JWT;

const V2_BASE64: &str = customauth_testkit::fixtures::events::APIGW_V2_CREATE_TICKET_BASE64;

const V2_USER_INFO: &str = customauth_testkit::fixtures::events::APIGW_V2_GET_USER_INFO;

const V2_CLIENT_IP: &str = customauth_testkit::fixtures::events::APIGW_V2_GET_CLIENT_IP;

const V2_NO_AUTH: &str = customauth_testkit::fixtures::events::APIGW_V2_NO_AUTH;

const V2_API_KEY: &str = customauth_testkit::fixtures::events::APIGW_V2_CREATE_TICKET_API_KEY;

const V2_LAMBDA: &str = customauth_testkit::fixtures::events::APIGW_V2_LAMBDA_AUTHORIZER;

const FUNCTION_URL: &str = customauth_testkit::fixtures::events::FUNCTION_URL_CREATE_TICKET;

const V1_COGNITO: &str = customauth_testkit::fixtures::events::APIGW_V1_CREATE_TICKET_COGNITO;

const V1_LAMBDA: &str = customauth_testkit::fixtures::events::APIGW_V1_LAMBDA_AUTHORIZER;

const ALB_CREATE: &str = customauth_testkit::fixtures::events::ALB_CREATE_TICKET;

const ALB_CLIENT_IP: &str = customauth_testkit::fixtures::events::ALB_GET_CLIENT_IP;

fn auth(pairs: &[(&str, &str)]) -> CallerAuth {
    CallerAuth::from_env(&env(pairs)).expect("valid configuration")
}

fn config_err(pairs: &[(&str, &str)]) -> ConfigError {
    CallerAuth::from_env(&env(pairs)).expect_err("configuration refused")
}

fn event(json: &str) -> Request {
    lambda_http::request::from_str(json).expect("fixture parses")
}

fn request(headers: &[(&str, &str)]) -> Request {
    let mut builder = http::Request::builder().method("POST").uri("/createTicket");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::Empty).expect("request builds")
}

fn with_bearer(token: &str) -> Request {
    request(&[("authorization", &format!("Bearer {token}"))])
}

fn now() -> i64 {
    i64::try_from(get_current_timestamp()).expect("time fits")
}

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "iat": now(), "exp": now() + 600})
}

fn hs256(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("signs")
}

fn rs256(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("key"),
    )
    .expect("signs")
}

fn es256(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = kid.map(str::to_owned);
    encode(
        &header,
        claims,
        &EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("key"),
    )
    .expect("signs")
}

/// jwt mode with neither issuer nor audience must say so. The tests of
/// keys, signatures and claims other than `iss`/`aud` use it, so that their
/// tokens need no `aud`; `checked_auth` (jwt.rs) checks both.
const ANY_AUDIENCE: (&str, &str) = (VAR_JWT_ALLOW_ANY_AUDIENCE, "1");

fn hs256_auth() -> CallerAuth {
    auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_SECRET, SECRET),
        ANY_AUDIENCE,
    ])
}

fn rs256_auth() -> CallerAuth {
    auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_PUBLIC_KEY, RSA_PUBLIC),
        ANY_AUDIENCE,
    ])
}

fn es256_auth() -> CallerAuth {
    auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_PUBLIC_KEY, EC_PUBLIC),
        ANY_AUDIENCE,
    ])
}

fn jwks_auth() -> CallerAuth {
    auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, JWKS), ANY_AUDIENCE])
}

fn user_id(caller: Result<Caller, AuthError>) -> String {
    match caller {
        Ok(Caller::User(user)) => user.user_id.as_str().to_owned(),
        other => panic!("expected a user, got {other:?}"),
    }
}

fn invalid(result: Result<Caller, AuthError>) -> &'static str {
    match result {
        Err(AuthError::Invalid(reason)) => reason,
        other => panic!("expected AuthError::Invalid, got {other:?}"),
    }
}

fn b64(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}
