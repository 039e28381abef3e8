//! create-ticket never echoes client-chosen text that could be a secret: each
//! kind of secret, pasted into every input slot, comes back in no response
//! body and no log line (HTTP mode, trace logs).

use customauth::{CustomUserId, SigningKey, TicketOptions, TicketSigner};
use customauth_testkit::echo::{Slot, assert_never_echoed, needles, slots};
use customauth_testkit::fixtures::keys::K2048_PKCS8;
use customauth_testkit::{Process, credentials_json};

const BIN: &str = env!("CARGO_BIN_EXE_create-ticket");
const API_KEY: &str = "test-api-key-0123456789abcdef";
const JWT_SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";
const AUDIENCE: &str = "customauth-echo";
const KID: &str = "kid-echo";
const ENV_ID: &str = "env-echo";
const FIELDS: &[&str] = &["customUserId", "refresh", "expire"];

/// A valid bearer token for jwt mode.
fn bearer() -> String {
    let exp = customauth::now_ms() / 1000 + 600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"sub": "user_1234", "aud": AUDIENCE, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("encodes")
}

/// A valid ticket of the deployment under test.
fn ticket() -> String {
    let key = SigningKey::from_pem(K2048_PKCS8).expect("key");
    let uid = CustomUserId::parse("user_1234").expect("uid");
    TicketSigner::new(KID, ENV_ID, key)
        .sign_now(&uid, TicketOptions::default())
        .expect("signs")
        .as_str()
        .to_owned()
}

/// A line of the private key's PEM body, as someone might paste it.
fn pem_line() -> String {
    K2048_PKCS8.lines().nth(5).expect("a PEM line").to_owned()
}

/// The texts that must not come back. A token's first characters are its
/// (public, common) header, which a fresh ticket shares: for tokens, the
/// token and its signature's end.
fn token_aware_needles(secret: &str) -> Vec<String> {
    if secret.contains('.') {
        vec![secret.to_owned(), secret[secret.len() - 24..].to_owned()]
    } else {
        needles(secret)
    }
}

/// Sends every secret in every slot to create-ticket in `mode`, with
/// `credentials` beside the slots that carry none; `backend` when the caller
/// is a backend, which names the user in the body.
fn check(mode: &[(&str, &str)], credentials: &[(&'static str, String)], backend: bool) -> usize {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let mut env = vec![
        ("CUSTOMAUTH_CREDENTIALS", creds.as_str()),
        ("RUST_LOG", "trace"),
    ];
    env.extend_from_slice(mode);
    let mut p = Process::http(BIN, &env).expect("starts");
    let (bearer, ticket, pem_line) = (bearer(), ticket(), pem_line());
    let secrets = [
        ("API key", API_KEY),
        ("HS256 JWT secret", JWT_SECRET),
        ("private key PEM line", pem_line.as_str()),
        ("bearer token", bearer.as_str()),
        ("ticket", ticket.as_str()),
    ];
    let slots_for = |secret: &str| -> Vec<Slot> {
        let mut slots = slots("POST", "/createTicket", FIELDS, credentials, secret);
        // A backend that sends a valid customUserId (the API key happens to
        // be one) names the ticket's user: it is answered and audited by
        // contract. Every other slot still holds it, and in jwt mode (403,
        // not the caller's own id) this one too.
        if backend && CustomUserId::parse(secret).is_ok() {
            slots.retain(|s| s.what != "the JSON value of customUserId");
        }
        slots
    };
    assert_never_echoed(&mut p, &secrets, slots_for, token_aware_needles)
}

#[test]
fn api_key_mode_echoes_no_secret_in_any_slot() {
    let sent = check(
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
        ],
        &[("x-api-key", API_KEY.to_owned())],
        true,
    );
    // 11 slots for each of 5 secrets, less customUserId for the API key.
    assert_eq!(sent, 5 * 11 - 1);
}

#[test]
fn jwt_mode_echoes_no_secret_in_any_slot() {
    let sent = check(
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", JWT_SECRET),
            ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
        ],
        &[("authorization", format!("Bearer {}", bearer()))],
        false,
    );
    assert_eq!(sent, 5 * 11);
}
