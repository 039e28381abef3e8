//! What the HTTP-mode tests share: create-ticket's binary, the test
//! credentials and caller secrets, a process in api-key mode, a POST, a JWT.
#![allow(dead_code)]

use customauth::{SigningKey, TicketSigner};
use customauth_testkit::{Process, credentials_json, fixture, request};

pub const BIN: &str = env!("CARGO_BIN_EXE_create-ticket");
pub const API_KEY: &str = "test-api-key-0123456789abcdef";
pub const JWT_SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";
pub const KID: &str = "kid-e2e";
pub const ENV_ID: &str = "env-e2e";

pub fn verifier() -> customauth::TicketVerifier {
    let key = SigningKey::from_pem(&fixture("keys/k2048-pkcs8.pem")).expect("key");
    TicketSigner::new(KID, ENV_ID, key).verifier()
}

/// The environment of api-key mode with `creds` and [`API_KEY`].
pub fn api_key_env(creds: &str) -> Vec<(&str, &str)> {
    vec![
        ("CUSTOMAUTH_CREDENTIALS", creds),
        ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
        ("CUSTOMAUTH_API_KEYS", API_KEY),
    ]
}

/// create-ticket in api-key mode with the test credentials and `extra`.
pub fn api_key_process(extra: &[(&str, &str)]) -> Process {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let mut env = api_key_env(&creds);
    env.extend_from_slice(extra);
    Process::http(BIN, &env).expect("starts")
}

pub fn post(p: &Process, headers: &[(&str, &str)], body: &str) -> customauth_testkit::Reply {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    request("POST", &p.url("/createTicket"), &h, Some(body.as_bytes()))
}

pub fn jwt(claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("encodes")
}

pub fn exp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 600
}
