//! get-user-info never echoes client-chosen text that could be a secret:
//! each kind of secret, pasted into every input slot, comes back in no
//! response body and no log line (HTTP mode, trace logs).

use customauth::{CustomUserId, SigningKey, TicketOptions, TicketSigner};
use customauth_testkit::Process;
use customauth_testkit::echo::{Slot, assert_never_echoed, needles, slots};
use customauth_testkit::fixtures::keys::K2048_PKCS8;

const BIN: &str = env!("CARGO_BIN_EXE_get-user-info");
const API_KEY: &str = "test-api-key-0123456789abcdef";
const JWT_SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";
const AUDIENCE: &str = "customauth-echo";

/// A valid bearer token.
fn bearer() -> String {
    let exp = customauth::now_ms() / 1000 + 600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"sub": "user_1234", "aud": AUDIENCE, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("encodes")
}

/// A valid ticket (made with a fixture key).
fn ticket() -> String {
    let key = SigningKey::from_pem(K2048_PKCS8).expect("key");
    let uid = CustomUserId::parse("user_1234").expect("uid");
    TicketSigner::new("kid-echo", "env-echo", key)
        .sign_now(&uid, TicketOptions::default())
        .expect("signs")
        .as_str()
        .to_owned()
}

/// For tokens, the token and its signature's end (the first characters are
/// the common, public header); for the rest, the testkit's needles.
fn token_aware_needles(secret: &str) -> Vec<String> {
    if secret.contains('.') {
        vec![secret.to_owned(), secret[secret.len() - 24..].to_owned()]
    } else {
        needles(secret)
    }
}

#[test]
fn jwt_mode_echoes_no_secret_in_any_slot() {
    let mut p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", JWT_SECRET),
            ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
            ("RUST_LOG", "trace"),
        ],
    )
    .expect("starts");
    let (bearer, ticket) = (bearer(), ticket());
    let pem_line = K2048_PKCS8.lines().nth(5).expect("a PEM line").to_owned();
    let secrets = [
        ("API key", API_KEY),
        ("HS256 JWT secret", JWT_SECRET),
        ("private key PEM line", pem_line.as_str()),
        ("bearer token", bearer.as_str()),
        ("ticket", ticket.as_str()),
    ];
    let credentials = [("authorization", format!("Bearer {bearer}"))];
    // getUserInfo reads no body; the body slots are sent all the same.
    let slots_for = |secret: &str| -> Vec<Slot> {
        slots(
            "GET",
            "/getUserInfo",
            &["customUserId"],
            &credentials,
            secret,
        )
    };
    let sent = assert_never_echoed(&mut p, &secrets, slots_for, token_aware_needles);
    assert_eq!(sent, 5 * 9);
}
