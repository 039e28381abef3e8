//! The v2 protocol (`/auth/v1/...`) over real HTTP against the real binary,
//! the access tokens against the JWKS, and CORS.

mod common;

use std::time::Duration;

use common::*;
use customauth_testkit::request;
use serde_json::{Value, json};

fn sign_in(emu: &Emulator, ticket: &str) -> Value {
    emu.v2_sign_in(ENV_A, ticket)
}

fn refresh(emu: &Emulator, token: &str) -> customauth_testkit::Reply {
    emu.v2(
        "POST",
        &format!("/auth/v1/token?client_id={ENV_A}"),
        None,
        Some(json!({"client_id": ENV_A, "client_secret": "", "grant_type": "refresh_token", "refresh_token": token})),
    )
}

#[test]
fn custom_sign_in_gives_credentials_and_user_me() {
    let emu = Emulator::start();
    let c = sign_in(
        &emu,
        &ticket_with(&signer_a(), "user_v2", Some(600_000), None),
    );
    assert_eq!(c["token_type"], "Bearer");
    assert_eq!(
        c["expires_in"], 600,
        "expires_in is the ticket's refresh, in seconds"
    );
    assert_eq!(c["scope"], "user");
    let me = emu.v2("GET", "/auth/v1/user/me", c["access_token"].as_str(), None);
    assert_eq!(me.status, 200, "{}", me.body);
    let me = me.json();
    assert_eq!(me["sub"], c["sub"]);
    assert_eq!(
        me["providers"],
        json!([{"id": "custom", "provider_user_id": "user_v2"}])
    );
    assert_eq!(me["created_from"], "custom");
}

#[test]
fn refresh_rotates_the_refresh_token() {
    let emu = Emulator::start();
    let c = sign_in(&emu, &ticket("user_rotate"));
    let r = refresh(&emu, c["refresh_token"].as_str().expect("rt"));
    assert_eq!(r.status, 200, "{}", r.body);
    let next = r.json();
    assert_eq!(next["sub"], c["sub"]);
    assert_ne!(next["refresh_token"], c["refresh_token"]);
    let old = refresh(&emu, c["refresh_token"].as_str().expect("rt"));
    assert_eq!(old.status, 400);
    assert_eq!(old.json()["error"], "invalid_grant");
    assert_eq!(
        refresh(&emu, next["refresh_token"].as_str().expect("rt")).status,
        200
    );
}

#[test]
fn expired_access_token_is_unauthenticated() {
    let emu = Emulator::start();
    let c = sign_in(
        &emu,
        &ticket_with(&signer_a(), "user_v2short", Some(1_000), None),
    );
    assert_eq!(c["expires_in"], 1);
    std::thread::sleep(Duration::from_millis(2_050));
    let me = emu.v2("GET", "/auth/v1/user/me", c["access_token"].as_str(), None);
    assert_eq!(me.status, 401);
    assert_eq!(me.json()["error"], "unauthenticated");
    assert_eq!(
        refresh(&emu, c["refresh_token"].as_str().expect("rt")).status,
        200
    );
}

#[test]
fn expired_login_state_is_invalid_grant() {
    let emu = Emulator::start();
    let end = customauth_core::now_ms() + 3_000;
    let t = ticket_with(&signer_a(), "user_v2exp", Some(60_000), Some(end));
    let c = sign_in(&emu, &t);
    let rotated = refresh(&emu, c["refresh_token"].as_str().expect("rt"));
    assert_eq!(rotated.status, 200, "live before the end: {}", rotated.body);
    sleep_until(end + 50);
    let r = refresh(&emu, rotated.json()["refresh_token"].as_str().expect("rt"));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[test]
fn revoke_ends_the_session() {
    let emu = Emulator::start();
    let c = sign_in(&emu, &ticket("user_revoke"));
    let at = c["access_token"].as_str().expect("at");
    let r = emu.v2(
        "POST",
        &format!("/auth/v1/revoke?client_id={ENV_A}"),
        None,
        Some(json!({"token": at})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        emu.v2("GET", "/auth/v1/user/me", Some(at), None).status,
        401
    );
    let r = refresh(&emu, c["refresh_token"].as_str().expect("rt"));
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[test]
fn anonymous_sign_in_has_anonymous_scope() {
    let emu = Emulator::start();
    let r = emu.v2(
        "POST",
        &format!("/auth/v1/signin/anonymously?client_id={ENV_A}"),
        None,
        Some(json!({})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let c = r.json();
    assert_eq!(c["scope"], "anonymous");
    assert_eq!(c["expires_in"], 7200);
    let me = emu
        .v2("GET", "/auth/v1/user/me", c["access_token"].as_str(), None)
        .json();
    assert_eq!(me["created_from"], "anonymous");
    assert_eq!(me["providers"], json!([]));
}

/// A ticket refusal is OAuth's `invalid_grant` (400), which js-sdk 2.28+
/// and 3.x file as bad credentials, not `permission_denied`, which they file
/// as a login method not enabled in the console.
#[test]
fn forged_ticket_is_invalid_grant_with_reason() {
    let emu = Emulator::start();
    let forged = ticket_with(
        &signer("k4096-pkcs8.pem", KID_A, ENV_A),
        "user_1234",
        None,
        None,
    );
    let r = emu.v2(
        "POST",
        &format!("/auth/v1/signin/custom?client_id={ENV_A}"),
        None,
        Some(json!({"provider_id": "custom", "ticket": forged})),
    );
    assert_eq!(r.status, 400);
    let e = r.json();
    assert_eq!(e["error"], "invalid_grant");
    assert!(e.get("error_code").is_none(), "{e}");
    assert_eq!(e["reason"], "TICKET_SIGNATURE_INVALID");
    assert!(
        e["error_description"]
            .as_str()
            .is_some_and(|d| d.starts_with("TICKET_SIGNATURE_INVALID"))
    );
    let r = emu.v2(
        "POST",
        "/auth/v1/signin/custom?client_id=env-nope",
        None,
        Some(json!({"ticket": ticket("user_1234")})),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "unauthorized_client");
}

#[test]
fn one_uid_across_protocols() {
    let emu = Emulator::start();
    let c = sign_in(&emu, &ticket("user_both"));
    let (_, access, _) = emu.v1_sign_in(ENV_A, &ticket("user_both"));
    assert_eq!(emu.v1_user(ENV_A, &access)["data"]["uid"], c["sub"]);
}

#[test]
fn access_tokens_verify_with_the_jwks() {
    let emu = Emulator::start();
    let c = sign_in(
        &emu,
        &ticket_with(&signer_a(), "user_jwks", Some(300_000), None),
    );
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(&request("GET", &emu.url("/.well-known/jwks.json"), &[], None).body)
            .expect("jwks");
    let token = c["access_token"].as_str().expect("at");
    let header = jsonwebtoken::decode_header(token).expect("header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwk = jwks
        .find(header.kid.as_deref().expect("kid"))
        .expect("key of kid");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[ENV_A]);
    validation.set_issuer(&[emu.url("")]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("verifies")
        .claims;
    assert_eq!(claims["sub"], c["sub"]);
    let (iat, exp) = (
        claims["iat"].as_u64().expect("iat"),
        claims["exp"].as_u64().expect("exp"),
    );
    assert!((300..=301).contains(&(exp - iat)), "{claims}");
    assert_eq!(claims["scope"], "user");
    // A token signed by another key is refused by the same check.
    let other = Emulator::start();
    let foreign = sign_in(&other, &ticket("user_jwks2"));
    assert!(
        jsonwebtoken::decode::<Value>(
            foreign["access_token"].as_str().expect("at"),
            &key,
            &validation
        )
        .is_err()
    );
}

#[test]
fn cors_answers_loopback_origins_only() {
    let emu = Emulator::start();
    let pre = request(
        "OPTIONS",
        &emu.url("/auth/v1/user/me"),
        &[
            ("origin", "http://localhost:5173"),
            ("access-control-request-method", "GET"),
            (
                "access-control-request-headers",
                "authorization,x-request-id,x-device-id,x-sdk-version",
            ),
        ],
        None,
    );
    assert_eq!(pre.status, 200, "tower-http answers preflights 200");
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert!(
        pre.header("access-control-allow-headers")
            .is_some_and(|h| h.contains("authorization"))
    );
    assert!(
        pre.header("access-control-allow-methods")
            .is_some_and(|h| h.contains("POST"))
    );
    let r = request(
        "POST",
        &emu.url(&format!("/web?env={ENV_A}")),
        &[
            ("origin", "http://127.0.0.1:8080"),
            ("content-type", "application/json"),
        ],
        Some(br#"{"action":"auth.signInAnonymously"}"#),
    );
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://127.0.0.1:8080")
    );
    let foreign = request(
        "OPTIONS",
        &emu.url("/auth/v1/user/me"),
        &[
            ("origin", "http://evil.example"),
            ("access-control-request-method", "GET"),
        ],
        None,
    );
    assert_eq!(foreign.header("access-control-allow-origin"), None);
}

#[test]
fn env_comes_from_the_meant_host_without_client_id() {
    let emu = Emulator::start();
    // uniCloud calls https://ENV.ap-shanghai.tcb-api.tencentcloudapi.com/auth/v1/signin/anonymously
    // without a client_id; a shim or proxy keeps that host in X-Forwarded-Host.
    let r = request(
        "POST",
        &emu.url("/auth/v1/signin/anonymously"),
        &[(
            "x-forwarded-host",
            "env-b.ap-shanghai.tcb-api.tencentcloudapi.com",
        )],
        Some(b"{}"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let at = r.json()["access_token"].as_str().expect("at").to_owned();
    assert_eq!(emu.v1_user(ENV_B, &at)["data"]["envId"], ENV_B);
    let r = request(
        "POST",
        &emu.url("/auth/v1/signin/anonymously"),
        &[(
            "x-forwarded-host",
            "env-nope.ap-shanghai.tcb-api.tencentcloudapi.com",
        )],
        Some(b"{}"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_argument");
}
