//! Secret hygiene: what `Debug` and `Display` print, and what is left in
//! memory after a key is dropped.
//!
//! Part 1: every type that holds a secret, and every error built from a bad
//! secret value, is formatted with `{:?}`, `{:#?}` and (where implemented)
//! `{}`, and the text is searched for the secret: the PEM body lines of the
//! private key, the HS256 secret, the API keys, the ticket (and its
//! signature), the AWS secret key and session token. Not only whole secrets:
//! any 16-byte window of one counts as a leak.
//!
//! Part 2 (Linux): "key material is zeroed on drop", observed without
//! `unsafe`. The test reads its own anonymous memory (heap, stacks) through
//! `/proc/self/mem` and looks for a canary key line. A canary that is still
//! in memory after every owner was dropped means a copy was freed without
//! being wiped. The scan first proves it finds a live copy, so a pass is not
//! a blind spot. Each check uses its own canary and the checks run one at a
//! time (one lock), so parallel tests cannot interfere.

use std::collections::HashMap;
use std::time::Duration;

use customauth::aws::{AwsCredentials, AwsFetchSettings};
use customauth::credentials::{VAR_INLINE, VAR_SPLIT_ENV_ID, VAR_SPLIT_KEY, VAR_SPLIT_KEY_ID};
use customauth::function::Function as _;
use customauth::handlers::CreateTicket;
use customauth::identity::{
    CallerAuth, VAR_ALLOW_INSECURE_NONE, VAR_API_KEYS, VAR_CALLER_AUTH, VAR_JWT_JWKS,
    VAR_JWT_PUBLIC_KEY, VAR_JWT_SECRET,
};
use customauth::signer::SignerHandle;
use customauth::{
    ConfigError, Credentials, CredentialsError, CredentialsSource, CustomUserId, SigningKey,
    TicketOptions, TicketSigner,
};
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request};
use zeroize::Zeroizing;

const KEY_PKCS8: &str = customauth_testkit::fixtures::keys::K2048_PKCS8;
const KEY_PKCS1: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;
const KEY_1024: &str = customauth_testkit::fixtures::keys::K1024_PKCS1;
const EC_PRIVATE: &str = customauth_testkit::fixtures::keys::ES256_PRIVATE;
const RSA_PUBLIC: &str = customauth_testkit::fixtures::keys::K2048_PUBLIC;
const JWKS: &str = customauth_testkit::fixtures::keys::JWKS;

const JWT_SECRET: &str = "hygiene-hs256-secret-0123456789abcdef";
const API_KEY_1: &str = "hygiene-api-key-one-7f3a9c";
const API_KEY_2: &str = "hygiene-api-key-two-51be04";
const AWS_ACCESS_KEY_ID: &str = "AKIAHYGIENETEST0001";
const AWS_SECRET_KEY: &str = "hygieneSecretAccessKey/0123456789abcdefXYZ";
const AWS_SESSION_TOKEN: &str = "hygieneSessionToken+FwoGZXIvYXdzEJr//////////";

// ---------------------------------------------------------------------------
// Helpers

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Sync + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

/// The base64 body lines of a PEM block.
fn pem_body(pem: &str) -> Vec<&str> {
    pem.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect()
}

/// Secrets to look for: each given text, whole.
fn with_pem(pem: &str, extra: &[&str]) -> Vec<String> {
    pem_body(pem)
        .into_iter()
        .chain(extra.iter().copied())
        .map(str::to_owned)
        .collect()
}

/// Fails when `shown` holds any secret, or any 16-byte window of one.
#[track_caller]
fn assert_hides(what: &str, shown: &str, secrets: &[String]) {
    for secret in secrets {
        let bytes = secret.as_bytes();
        let window = bytes.len().min(16);
        for start in 0..=bytes.len() - window {
            let piece = &secret[start..start + window];
            assert!(
                !shown.contains(piece),
                "{what} leaks {piece:?} (part of a secret) in:\n{shown}"
            );
        }
    }
}

/// `{:?}` and `{:#?}` of `value` hide every secret.
#[track_caller]
fn assert_debug_hides(what: &str, value: &impl std::fmt::Debug, secrets: &[String]) {
    assert_hides(what, &format!("{value:?}"), secrets);
    assert_hides(what, &format!("{value:#?}"), secrets);
}

/// `{}`, `{:?}` and `{:#?}` of an error hide every secret, along its sources.
#[track_caller]
fn assert_error_hides(what: &str, error: &(dyn std::error::Error + 'static), secrets: &[String]) {
    let mut next = Some(error);
    while let Some(e) = next {
        assert_hides(what, &e.to_string(), secrets);
        assert_hides(what, &format!("{e:?}"), secrets);
        assert_hides(what, &format!("{e:#?}"), secrets);
        next = e.source();
    }
}

fn credentials_json(pem: &str) -> String {
    serde_json::json!({"private_key_id": "kid-h", "private_key": pem, "env_id": "env-h"})
        .to_string()
}

fn caller_auth(pairs: &[(&str, &str)]) -> CallerAuth {
    CallerAuth::from_env(&env(pairs)).expect("valid caller-auth configuration")
}

fn config_error(pairs: &[(&str, &str)]) -> ConfigError {
    CallerAuth::from_env(&env(pairs)).expect_err("configuration refused")
}

fn bearer(value: &str) -> Request {
    let mut req = Request::new(Body::Empty);
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {value}")).expect("header"),
    );
    req
}

// ---------------------------------------------------------------------------
// Part 1: Debug and Display

#[test]
fn credentials_debug_hides_the_private_key() {
    let secrets = with_pem(KEY_PKCS8, &[]);
    let from_json = Credentials::from_json(&credentials_json(KEY_PKCS8), "test").expect("parses");
    assert_debug_hides("Credentials (JSON)", &from_json, &secrets);
    assert!(format!("{from_json:?}").contains("[redacted]"));
    let escaped = KEY_PKCS8.replace('\n', "\\n");
    let from_parts = Credentials::from_parts("kid-h", &escaped, "env-h", "test").expect("parts");
    assert_debug_hides("Credentials (parts)", &from_parts, &secrets);
    assert_debug_hides("Credentials (clone)", &from_parts.clone(), &secrets);
}

#[test]
fn credentials_source_debug_hides_inline_and_split_keys() {
    let json = credentials_json(KEY_PKCS8);
    let secrets = with_pem(KEY_PKCS8, &[&json]);
    let inline = CredentialsSource::from_env(env(&[(VAR_INLINE, &json)])).expect("inline");
    assert!(matches!(inline, CredentialsSource::Inline(_)));
    assert_debug_hides("CredentialsSource::Inline", &inline, &secrets);
    let escaped = KEY_PKCS8.replace('\n', "\\n");
    let split = CredentialsSource::from_env(env(&[
        (VAR_SPLIT_KEY_ID, "kid-h"),
        (VAR_SPLIT_KEY, &escaped),
        (VAR_SPLIT_ENV_ID, "env-h"),
    ]))
    .expect("split");
    assert!(matches!(split, CredentialsSource::Split(_)));
    assert_debug_hides(
        "CredentialsSource::Split",
        &split,
        &with_pem(KEY_PKCS8, &[&escaped]),
    );
    for other in [
        CredentialsSource::File("/run/secrets/c.json".into()),
        CredentialsSource::SecretsManager("prod/customauth".into()),
        CredentialsSource::SsmParameter("/prod/customauth".into()),
    ] {
        assert_debug_hides("CredentialsSource", &other, &secrets);
    }
}

#[test]
fn signing_key_debug_hides_key_material() {
    for pem in [KEY_PKCS8, KEY_PKCS1, KEY_1024] {
        let key = SigningKey::from_pem(pem).expect("parses");
        assert_debug_hides("SigningKey", &key, &with_pem(pem, &[]));
        let pkcs8 = key.to_pkcs8_pem().expect("encodes");
        assert_debug_hides("SigningKey", &key, &with_pem(&pkcs8, &[]));
    }
}

#[test]
fn ticket_signer_and_verifier_debug_hide_key_material() {
    let key = SigningKey::from_pem(KEY_PKCS8).expect("parses");
    let signer = TicketSigner::new("kid-h", "env-h", key);
    let secrets = with_pem(KEY_PKCS8, &[]);
    assert_debug_hides("TicketSigner", &signer, &secrets);
    assert_debug_hides("TicketVerifier", &signer.verifier(), &secrets);
    let handle = SignerHandle::fixed(signer);
    assert_debug_hides("SignerHandle", &handle, &secrets);
}

#[test]
fn ticket_debug_hides_the_ticket_text() {
    let signer = TicketSigner::new(
        "kid-h",
        "env-h",
        SigningKey::from_pem(KEY_PKCS8).expect("parses"),
    );
    let uid = CustomUserId::parse("user_1234").expect("valid");
    let ticket = signer
        .sign(&uid, TicketOptions::default(), 1_700_000_000_000)
        .expect("signs");
    let text = ticket.as_str().to_owned();
    let (_, jwt) = text.split_once("/@@/").expect("separator");
    let mut parts = jwt.split('.');
    let (_header, payload, signature) = (
        parts.next().expect("header"),
        parts.next().expect("payload"),
        parts.next().expect("signature"),
    );
    // The header is the same in every ticket; the rest is the credential.
    let secrets = vec![text.clone(), payload.to_owned(), signature.to_owned()];
    assert_debug_hides("Ticket", &ticket, &secrets);
    assert_debug_hides("Ticket clone", &ticket.clone(), &secrets);
    assert!(
        format!("{ticket:?}").contains("user_1234"),
        "claims stay visible"
    );
}

#[test]
fn caller_auth_debug_hides_secrets_in_all_four_modes() {
    let secrets: Vec<String> = [JWT_SECRET, API_KEY_1, API_KEY_2]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let keys = format!("{API_KEY_1}, {API_KEY_2}");
    let configurations: Vec<Vec<(&str, &str)>> = vec![
        vec![(VAR_CALLER_AUTH, "gateway")],
        vec![(VAR_CALLER_AUTH, "none"), (VAR_ALLOW_INSECURE_NONE, "1")],
        vec![(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_SECRET, JWT_SECRET)],
        vec![(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, RSA_PUBLIC)],
        vec![(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, JWKS)],
        vec![(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, &keys)],
        // Variables of other modes are set but unused: still never shown.
        vec![
            (VAR_CALLER_AUTH, "gateway"),
            (VAR_JWT_SECRET, JWT_SECRET),
            (VAR_API_KEYS, &keys),
        ],
    ];
    for pairs in configurations {
        let auth = caller_auth(&pairs);
        assert_debug_hides(&format!("CallerAuth {pairs:?}"), &auth, &secrets);
    }
}

#[test]
fn aws_fetch_settings_debug_hides_static_credentials() {
    let settings = AwsFetchSettings {
        endpoint_url: Some("http://127.0.0.1:4566".into()),
        region: Some("us-east-1".into()),
        credentials: Some(AwsCredentials::new(
            AWS_ACCESS_KEY_ID,
            AWS_SECRET_KEY,
            Some(AWS_SESSION_TOKEN.to_owned()),
            None,
            "hygiene",
        )),
        connect_timeout: Duration::from_secs(1),
        ..AwsFetchSettings::default()
    };
    let secrets = vec![AWS_SECRET_KEY.to_owned(), AWS_SESSION_TOKEN.to_owned()];
    assert_debug_hides("AwsFetchSettings", &settings, &secrets);
    assert_debug_hides("AwsFetchSettings clone", &settings.clone(), &secrets);
}

#[test]
fn config_errors_from_bad_secret_values_hide_them() {
    // A JWT secret one byte too short.
    let short = &JWT_SECRET[..31];
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_SECRET, short)]);
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                var: VAR_JWT_SECRET,
                ..
            }
        ),
        "{e:?}"
    );
    assert_error_hides("short JWT secret", &e, &[short.to_owned()]);

    // API keys: one short, one with a space, a stray comma.
    for list in [
        format!("{API_KEY_1},short-key-123"),
        format!("{API_KEY_1},{} x", &API_KEY_2[..20]),
        format!("{API_KEY_1},,{API_KEY_2}"),
        format!("{API_KEY_1},{API_KEY_2}\u{7f}"),
    ] {
        let e = config_error(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, &list)]);
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    var: VAR_API_KEYS,
                    ..
                }
            ),
            "{e:?}"
        );
        let mut secrets: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|k| k.len() >= 8)
            .map(str::to_owned)
            .collect();
        secrets.push("short-key-123".into());
        assert_error_hides("API key list", &e, &secrets);
    }

    // A private key where the public key belongs (RSA PKCS#1, PKCS#8, EC).
    for pem in [KEY_PKCS1, KEY_PKCS8, EC_PRIVATE] {
        for text in [pem.to_owned(), pem.trim().replace('\n', "\\n")] {
            let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, &text)]);
            assert!(matches!(
                e,
                ConfigError::Invalid {
                    var: VAR_JWT_PUBLIC_KEY,
                    ..
                }
            ));
            assert_error_hides("private key as JWT public key", &e, &with_pem(pem, &[]));
        }
    }
    // The HS256 secret put where the PEM or the JWKS belongs.
    for var in [VAR_JWT_PUBLIC_KEY, VAR_JWT_JWKS] {
        let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (var, JWT_SECRET)]);
        assert_error_hides("secret as a key", &e, &[JWT_SECRET.to_owned()]);
    }
    // A symmetric or private JWK in the JWKS.
    let oct = serde_json::json!({"keys": [{"kty": "oct", "kid": "h", "k": "aHlnaWVuZS1vY3Qta2V5LXNlY3JldC12YWx1ZQ"}]});
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &oct.to_string())]);
    assert_error_hides(
        "oct JWK",
        &e,
        &["aHlnaWVuZS1vY3Qta2V5LXNlY3JldC12YWx1ZQ".to_owned()],
    );
    let private_d = "aHlnaWVuZS1wcml2YXRlLWV4cG9uZW50LWQtdmFsdWU";
    let private = serde_json::json!({"keys": [{"kty": "RSA", "kid": "p", "n": "AQAB", "e": "AQAB", "d": private_d}]});
    let e = config_error(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_JWKS, &private.to_string()),
    ]);
    assert_error_hides("private JWK", &e, &[private_d.to_owned()]);
}

/// A JSON *string* in `CUSTOMAUTH_JWT_JWKS` (the HS256 secret, quoted, in
/// the wrong variable; a double-encoded JWKS holding a private parameter):
/// serde_json's "invalid type: string ..." message quotes it, so the error
/// must not carry that message.
#[test]
fn jwks_error_does_not_echo_a_quoted_secret() {
    let quoted = serde_json::json!(JWT_SECRET).to_string();
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &quoted)]);
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                var: VAR_JWT_JWKS,
                ..
            }
        ),
        "{e:?}"
    );
    assert_error_hides("quoted secret as JWKS", &e, &[JWT_SECRET.to_owned()]);
    let private_d = "aHlnaWVuZS1kb3VibGUtZW5jb2RlZC1wcml2YXRlLWQ";
    let jwks =
        serde_json::json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": private_d}]});
    let double = serde_json::json!(jwks.to_string()).to_string();
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &double)]);
    assert_error_hides("double-encoded JWKS", &e, &[private_d.to_owned()]);
    let in_list = serde_json::json!({"keys": [jwks.to_string()]}).to_string();
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &in_list)]);
    assert_error_hides("JWK as a string", &e, &[private_d.to_owned()]);
}

#[test]
fn credentials_errors_hide_the_key() {
    let body = pem_body(KEY_PKCS8);
    let secrets = with_pem(KEY_PKCS8, &[]);
    let json = credentials_json(KEY_PKCS8);

    // Broken JSON around a real key, at several places.
    for broken in [
        json.replacen('{', "[", 1),
        json.replacen("\"env_id\"", "env_id", 1),
        json[..json.len() / 2].to_owned(),
        json.replacen("\\n", "\\q", 1),
        json.replacen("\\n", "\n", 1),
    ] {
        let e = Credentials::from_json(&broken, VAR_INLINE).expect_err("broken JSON");
        assert_error_hides("broken credentials JSON", &e, &secrets);
        let source = CredentialsSource::Inline(Zeroizing::new(broken));
        let e = source.load_local().expect_err("broken JSON");
        assert_error_hides("inline source", &e, &secrets);
    }
    // Right JSON, wrong types: the key as a number array, an object.
    for bad in [
        serde_json::json!({"private_key_id": "k", "private_key": [body[1]], "env_id": "e"}),
        serde_json::json!({"private_key_id": KEY_PKCS8, "private_key": 1, "env_id": "e"}),
        serde_json::json!({"private_key_id": "k", "private_key": KEY_PKCS8, "env_id": ""}),
    ] {
        let e = Credentials::from_json(&bad.to_string(), "src").expect_err("refused");
        assert_error_hides("mistyped credentials", &e, &secrets);
    }
    // A broken key in good JSON: body line corrupted, truncated, no header,
    // a public key, an EC key.
    let corrupted = KEY_PKCS8.replacen(body[0], &body[0].replacen("MII", "MIJ", 1), 1);
    let truncated: String = KEY_PKCS8
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 5)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let headerless = body.join("\n");
    for pem in [
        corrupted.as_str(),
        &truncated,
        &headerless,
        RSA_PUBLIC,
        EC_PRIVATE,
    ] {
        let creds = Credentials::from_json(&credentials_json(pem), "test").expect("JSON parses");
        let e = TicketSigner::from_credentials(&creds).expect_err("key refused");
        let e = CredentialsError::Key {
            origin: "test".into(),
            source: e,
        };
        assert_error_hides("broken key", &e, &with_pem(pem, &[]));
        assert_error_hides("broken key", &e, &secrets);
    }
    // Sources: incomplete split form, two sources.
    let escaped = KEY_PKCS8.replace('\n', "\\n");
    let e = CredentialsSource::from_env(env(&[(VAR_SPLIT_KEY, &escaped)])).expect_err("incomplete");
    assert_error_hides("incomplete split", &e, &secrets);
    let e = CredentialsSource::from_env(env(&[(VAR_SPLIT_KEY, &escaped), (VAR_INLINE, &json)]))
        .expect_err("incomplete");
    assert_error_hides("split and inline", &e, &secrets);
    let e = CredentialsSource::from_env(env(&[
        (VAR_SPLIT_KEY_ID, "k"),
        (VAR_SPLIT_KEY, &escaped),
        (VAR_SPLIT_ENV_ID, "e"),
        (VAR_INLINE, &json),
    ]))
    .expect_err("two sources");
    assert_error_hides("two sources", &e, &secrets);
}

#[tokio::test]
async fn create_ticket_state_and_its_errors_hide_secrets() {
    let json = credentials_json(KEY_PKCS8);
    let keys = format!("{API_KEY_1},{API_KEY_2}");
    let secrets = with_pem(KEY_PKCS8, &[JWT_SECRET, API_KEY_1, API_KEY_2]);
    // A working state.
    let state = CreateTicket::from_env(&env(&[
        (VAR_INLINE, &json),
        (VAR_CALLER_AUTH, "api-key"),
        (VAR_API_KEYS, &keys),
        (VAR_JWT_SECRET, JWT_SECRET),
    ]))
    .await
    .expect("starts");
    assert_debug_hides("CreateTicket", &state, &secrets);
    // Cold-start failures that carry a secret value somewhere in the config.
    let broken_json = json.replacen("\"env_id\"", "env_id", 1);
    let broken_key = credentials_json(&KEY_PKCS8.replacen('M', "*", 1));
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![
            (VAR_INLINE, &broken_json),
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, &keys),
        ],
        vec![
            (VAR_INLINE, &broken_key),
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, &keys),
        ],
        vec![
            (VAR_INLINE, &json),
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, "short"),
        ],
        vec![
            (VAR_INLINE, &json),
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_SECRET, &JWT_SECRET[..20]),
        ],
        vec![
            (VAR_INLINE, &json),
            (VAR_CALLER_AUTH, "wrong"),
            (VAR_API_KEYS, &keys),
        ],
        vec![
            (VAR_INLINE, &json),
            ("CUSTOMAUTH_ENV", "other"),
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, &keys),
        ],
    ];
    for pairs in cases {
        let e = CreateTicket::from_env(&env(&pairs))
            .await
            .expect_err("refused");
        assert_error_hides("CreateTicket::from_env", &e, &secrets);
        assert_error_hides("CreateTicket::from_env", &e, &[JWT_SECRET[..20].to_owned()]);
    }
}

#[test]
fn auth_errors_hide_the_presented_credentials() {
    let hs = caller_auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_SECRET, JWT_SECRET)]);
    let api = caller_auth(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, API_KEY_1)]);
    let gateway = caller_auth(&[(VAR_CALLER_AUTH, "gateway")]);
    let near_miss = format!("{}X", &API_KEY_1[..API_KEY_1.len() - 1]);
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"sub": "not a valid id", "exp": 4_000_000_000_u64}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("signs");
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"sub": "user_1234", "exp": 1}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("signs");
    let secrets = vec![
        JWT_SECRET.to_owned(),
        API_KEY_1.to_owned(),
        near_miss.clone(),
        token.clone(),
        expired.clone(),
    ];
    for (auth, presented) in [
        (&hs, token.as_str()),
        (&hs, expired.as_str()),
        (&hs, near_miss.as_str()),
        (&api, near_miss.as_str()),
        (&api, token.as_str()),
        (&gateway, token.as_str()),
    ] {
        let e = auth.authenticate(&bearer(presented)).expect_err("refused");
        assert_error_hides("AuthError", &e, &secrets);
    }
}

#[test]
fn verify_errors_do_not_echo_the_ticket() {
    let signer = TicketSigner::new(
        "kid-h",
        "env-h",
        SigningKey::from_pem(KEY_PKCS8).expect("parses"),
    );
    let uid = CustomUserId::parse("user_1234").expect("valid");
    let ticket = signer
        .sign(&uid, TicketOptions::default(), 1_700_000_000_000)
        .expect("signs")
        .into_string();
    let signature = ticket.rsplit('.').next().expect("signature").to_owned();
    let secrets = vec![ticket.clone(), signature.clone()];
    let v = signer.verifier();
    for forged in [
        ticket.replacen("kid-h", "kid-x", 1),
        format!("{ticket}="),
        ticket.replacen(&signature, &signature.chars().rev().collect::<String>(), 1),
        ticket.clone(),
    ] {
        // The last one is valid but expired at this clock.
        let e = v.verify(&forged, 1_800_000_000_000).expect_err("refused");
        assert_error_hides("VerifyError", &e, &secrets);
    }
}

// ---------------------------------------------------------------------------
// Part 2: key material is zeroed (observed through /proc/self/mem)

/// Types that own secrets keep them in `Zeroizing`: checked by the compiler.
#[test]
fn secret_holders_are_zeroizing_by_type() {
    fn inline(json: Zeroizing<String>) -> CredentialsSource {
        CredentialsSource::Inline(json)
    }
    let _ = inline;
    let key = SigningKey::from_pem(KEY_PKCS8).expect("parses");
    let pem: Zeroizing<String> = key.to_pkcs8_pem().expect("encodes");
    let creds = Credentials::from_json(&credentials_json(KEY_PKCS8), "t").expect("parses");
    let json: Zeroizing<String> = creds.to_json();
    assert!(!pem.is_empty() && !json.is_empty());
    fn zeroizing_output<F>(_: F)
    where
        F: std::future::Future<Output = Result<Zeroizing<String>, CredentialsError>>,
    {
    }
    zeroizing_output(customauth::aws::fetch_secret_string(
        "never-polled",
        &AwsFetchSettings::default(),
    ));
}

#[cfg(target_os = "linux")]
mod memory {
    use std::fs::File;
    use std::io::Read as _;
    use std::os::unix::fs::FileExt as _;
    use std::path::Path;
    use std::sync::Mutex;

    use customauth::{Credentials, CredentialsSource, SigningKey};
    use zeroize::Zeroizing;

    /// The scans run one at a time.
    static SCAN: Mutex<()> = Mutex::new(());

    /// XOR mask: the needle is never held in the clear, so the scan cannot
    /// find its own copy.
    const MASK: u8 = 0x5A;

    // Canary "keys": random base64 that appears nowhere else. Credentials do
    // not parse the PEM, so these stand in for real keys where only the text
    // is at stake. Each check has its own.
    const CANARY_PARTS: &str = "-----BEGIN PRIVATE KEY-----\n\
        Hpsz0W9rXo5KfL8nqdlztE95rWbn1uU8SKF81YVQ2S2WeVtTgUTgtOd8iDboN81m\n\
        2emrc+lD53Ewc8UF2vSbBqZ3+sCzzM2eY5r9ctmlkprFoCf5CZ7Sy3pXW2xycBdl\n\
        -----END PRIVATE KEY-----\n";
    const CANARY_INLINE: &str = "-----BEGIN PRIVATE KEY-----\n\
        I/+w5rpg9LyfA0vbMPFcxAjdXCOxzhpe0l3fmK7gFMiubtMA58tFthvXdFXQQ7TT\n\
        7IccVto6OS87KrqvG9xRyUsygWyefD95w+JUOrJ1S2RBptfrO4k4baJExwlWSdA7\n\
        -----END PRIVATE KEY-----\n";
    const CANARY_FILE: &str = "-----BEGIN PRIVATE KEY-----\n\
        F3+wrWTEx9xqoHiNQHUdaa4lquMN4in9OcCJfJjKmnzIjclAYVNKOKXZkpIU5uLj\n\
        FOSrt+dAIMtK37y9CHS0htEHo2b6OF86+94PYyz++9HxXEjXeLfhR8WlCna7UfUO\n\
        -----END PRIVATE KEY-----\n";
    const CANARY_SPLIT: &str = "-----BEGIN PRIVATE KEY-----\\n\
        uDrmWLKOPWZEu/5FXkyHVTaDF/fTgq6RbCxCxzVzv4ftjpsPSlx0YWqI43nvrIlk\\n\
        Titlc7fvHvynOW0b8nzAt6ap5brOdMd2W3GQo+nYO+mscmbfRnj5EofND9KxTXza\\n\
        -----END PRIVATE KEY-----\\n";
    /// A real key no other test of this binary loads.
    const REAL_KEY: &str = customauth_testkit::fixtures::keys::K4096_PKCS8;

    struct Needle(Vec<u8>);

    impl Needle {
        /// Line `n` (0-based) of `text`, masked.
        fn line(text: &str, n: usize) -> Self {
            let line = text
                .split(['\n'])
                .flat_map(|l| l.split("\\n"))
                .nth(n)
                .expect("line");
            assert!(line.len() >= 32, "needle too short");
            Self(line.bytes().map(|b| b ^ MASK).collect())
        }
    }

    /// Anonymous read-write mappings: heap, thread stacks, mmap'd arenas.
    fn anonymous_regions() -> Vec<(u64, u64)> {
        let mut maps = String::new();
        File::open("/proc/self/maps")
            .and_then(|mut f| f.read_to_string(&mut maps))
            .expect("read /proc/self/maps");
        maps.lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let range = fields.next()?;
                let perms = fields.next()?;
                let _offset = fields.next()?;
                let _dev = fields.next()?;
                let inode = fields.next()?;
                let path = fields.next().unwrap_or("");
                let anonymous = inode == "0"
                    && (path.is_empty()
                        || path == "[heap]"
                        || path == "[stack]"
                        || path.starts_with("[anon"));
                if !perms.starts_with("rw") || !anonymous {
                    return None;
                }
                let (start, end) = range.split_once('-')?;
                Some((
                    u64::from_str_radix(start, 16).ok()?,
                    u64::from_str_radix(end, 16).ok()?,
                ))
            })
            .collect()
    }

    /// How many copies of `needle` the process's anonymous memory holds.
    fn copies(needle: &Needle) -> usize {
        const CHUNK: usize = 1 << 20;
        let n = needle.0.len();
        let mem = File::open(Path::new("/proc/self/mem")).expect("open /proc/self/mem");
        let mut buf = Zeroizing::new(vec![0_u8; CHUNK + n]);
        // The buffer itself lies in a scanned region: reading it into itself
        // would smear copies around, so its range is left out.
        let own = buf.as_ptr() as u64;
        let own = (own, own + (CHUNK + n) as u64);
        let mut ranges = Vec::new();
        for (start, end) in anonymous_regions() {
            if start < own.1 && own.0 < end {
                ranges.push((start, own.0.max(start)));
                ranges.push((own.1.min(end), end));
            } else {
                ranges.push((start, end));
            }
        }
        let first = needle.0[0] ^ MASK;
        let mut found = 0;
        for (start, end) in ranges {
            let mut at = start;
            while at + n as u64 <= end {
                let want = usize::try_from((end - at).min((CHUNK + n) as u64)).expect("fits");
                buf.iter_mut().for_each(|b| *b = 0);
                let Ok(got) = mem.read_at(&mut buf[..want], at) else {
                    break; // unreadable (a guard page): skip the rest of the region
                };
                if got < n {
                    break;
                }
                let hay = &buf[..got];
                let mut i = 0;
                while i + n <= got {
                    let Some(p) = hay[i..=got - n].iter().position(|&b| b == first) else {
                        break;
                    };
                    let s = i + p;
                    if hay[s..s + n]
                        .iter()
                        .zip(&needle.0)
                        .all(|(&h, &m)| h ^ MASK == m)
                    {
                        found += 1;
                    }
                    i = s + 1;
                }
                at += (got - (n - 1)) as u64;
            }
        }
        found
    }

    /// Checks that `make` puts the canary in memory (the scan sees it) and
    /// that once `make`'s value is dropped, no copy is left.
    fn assert_wiped_after<T>(needle: &Needle, make: impl FnOnce() -> T) {
        let _serial = SCAN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        assert_eq!(
            copies(needle),
            0,
            "precondition: the canary is not in memory yet"
        );
        let value = make();
        let live = copies(needle);
        assert!(
            live >= 1,
            "the scan does not see the live key: the check would be blind"
        );
        drop(value);
        let left = copies(needle);
        assert_eq!(
            left, 0,
            "{left} copies of a key line are still in memory after every owner was dropped \
             (a buffer was freed without being wiped; {live} while alive)"
        );
    }

    #[test]
    fn credentials_and_their_clones_are_wiped_on_drop() {
        let needle = Needle::line(CANARY_PARTS, 1);
        assert_wiped_after(&needle, || {
            let creds = Credentials::from_parts("kid", CANARY_PARTS, "env", "test").expect("parts");
            let clone = creds.clone();
            drop(creds);
            clone
        });
    }

    #[test]
    fn inline_source_is_wiped_on_drop() {
        let needle = Needle::line(CANARY_INLINE, 1);
        assert_wiped_after(&needle, || {
            let mut json = Zeroizing::new(String::with_capacity(1024));
            json.push_str(r#"{"private_key_id":"k","env_id":"e","private_key":""#);
            for line in CANARY_INLINE.lines() {
                json.push_str(line);
                json.push_str("\\n");
            }
            json.push_str("\"}");
            let source = CredentialsSource::Inline(json);
            let clone = source.clone();
            drop(source);
            clone
        });
    }

    /// The console's JSON file, loaded: serde_json unescapes the `\n` of the
    /// key into a scratch buffer that it frees without wiping.
    #[test]
    fn credentials_file_leaves_no_copy_after_drop() {
        let needle = Needle::line(CANARY_FILE, 1);
        let dir = std::env::temp_dir().join(format!("customauth-hygiene-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("c.json");
        {
            let mut json = Zeroizing::new(String::with_capacity(1024));
            json.push_str(r#"{"private_key_id":"k","env_id":"e","private_key":""#);
            for line in CANARY_FILE.lines() {
                json.push_str(line);
                json.push_str("\\n");
            }
            json.push_str("\"}");
            std::fs::write(&path, json.as_bytes()).expect("write");
        }
        assert_wiped_after(&needle, || Credentials::from_file(&path).expect("loads"));
        std::fs::remove_dir_all(&dir).ok();
    }

    /// The split form's literal `\n`: `normalize_pem` makes an intermediate
    /// `String` (`key.replace(..).replace(..)`) that is freed without wiping.
    #[test]
    fn split_form_with_literal_newlines_leaves_no_copy() {
        let needle = Needle::line(CANARY_SPLIT, 1);
        assert_wiped_after(&needle, || {
            Credentials::from_parts("kid", CANARY_SPLIT, "env", "test").expect("parts")
        });
    }

    /// A real key through `SigningKey::from_pem`: the pem crate copies the
    /// base64 body into a `String` it frees without wiping.
    #[test]
    fn signing_key_from_pem_leaves_no_copy() {
        let needle = Needle::line(REAL_KEY, 3);
        // The parsed key holds no text, so the scan is first shown a live copy.
        assert_wiped_after(&needle, || Zeroizing::new(REAL_KEY.to_owned()));
        let _serial = SCAN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = SigningKey::from_pem(REAL_KEY).expect("parses");
        drop(key);
        let left = copies(&needle);
        assert_eq!(
            left, 0,
            "{left} copies of a key line are in memory after the key was dropped"
        );
    }
}
