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
    CallerAuth, VAR_ALLOW_INSECURE_NONE, VAR_API_KEYS, VAR_CALLER_AUTH, VAR_JWT_ALLOW_ANY_AUDIENCE,
    VAR_JWT_JWKS, VAR_JWT_PUBLIC_KEY, VAR_JWT_SECRET,
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
/// jwt mode without an issuer or audience must allow any audience explicitly.
const ANY_AUDIENCE: (&str, &str) = (VAR_JWT_ALLOW_ANY_AUDIENCE, "1");
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

mod debug;
mod memory;
