//! The routes of old lockfiles (`signin/with/provider` of `@cloudbase/oauth`
//! up to 2.5.6-beta.1, `auth.getJwt` of tcb-js-sdk 1.3-1.6) and the JSON
//! answer of unknown routes, over real HTTP against the real binary.

mod common;

use common::*;
use customauth_core::{CustomUserId, TicketOptions, now_ms};
use customauth_testkit::request;
use serde_json::{Value, json};

/// What `@cloudbase/oauth` 2.0-2.5 sends: text/plain, no `client_id`.
fn with_provider(emu: &Emulator, query: &str, body: Value) -> customauth_testkit::Reply {
    emu.v2(
        "POST",
        &format!("/auth/v1/signin/with/provider{query}"),
        None,
        Some(body),
    )
}

#[test]
fn signin_with_provider_custom_answers_as_signin_custom() {
    let emu = Emulator::start();
    let t = ticket_with(&signer_a(), "old_oauth", Some(600_000), None);
    let r = with_provider(
        &emu,
        "",
        json!({"provider_id": "custom", "provider_token": t}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let c = r.json();
    assert_eq!(c["token_type"], "Bearer");
    assert_eq!(c["expires_in"], 600);
    assert_eq!(c["scope"], "user");
    assert!(c["refresh_token"].as_str().is_some_and(|s| !s.is_empty()));
    // The env is the one whose key signed the ticket.
    let me = emu.v2(
        "GET",
        &format!("/auth/v1/user/me?client_id={ENV_A}"),
        c["access_token"].as_str(),
        None,
    );
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        me.json()["providers"],
        json!([{"id": "custom", "provider_user_id": "old_oauth"}])
    );
    // The same user as signin/custom.
    let again = emu.v2_sign_in(ENV_A, &ticket("old_oauth"));
    assert_eq!(again["sub"], c["sub"]);
    // A used ticket is refused like any other refusal.
    let r = with_provider(
        &emu,
        "",
        json!({"provider_id": "custom", "provider_token": t}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["reason"], "TICKET_ALREADY_USED");
    assert!(emu.logs().contains("signin/with/provider"));
}

#[test]
fn signin_with_provider_refusals() {
    let emu = Emulator::start();
    let expired = signer_a()
        .sign(
            &CustomUserId::parse("old_expired").expect("uid"),
            TicketOptions::default(),
            now_ms() - 11 * 60_000,
        )
        .expect("signs")
        .into_string();
    let forged = ticket_with(
        &signer("k4096-pkcs8.pem", KID_A, ENV_A),
        "old_forged",
        None,
        None,
    );
    let unknown_key = ticket_with(
        &signer("k2048-pkcs1.pem", "kid-nope", ENV_A),
        "old_kid",
        None,
        None,
    );
    for (query, ticket, reason) in [
        ("", expired.as_str(), "TICKET_EXPIRED"),
        ("", forged.as_str(), "TICKET_SIGNATURE_INVALID"),
        ("", unknown_key.as_str(), "TICKET_KEY_UNKNOWN"),
    ] {
        let r = with_provider(
            &emu,
            query,
            json!({"provider_id": "custom", "provider_token": ticket}),
        );
        assert_eq!(r.status, 400, "{reason}: {}", r.body);
        let e = r.json();
        assert_eq!(e["error"], "invalid_grant", "{e}");
        assert_eq!(e["reason"], reason, "{e}");
    }
    // A client that names its env (client_id) gets env-b's ticket refused.
    let r = with_provider(
        &emu,
        &format!("?client_id={ENV_A}"),
        json!({"provider_id": "custom", "provider_token": ticket_with(&signer_b(), "old_other", None, None)}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["reason"], "TICKET_ENV_MISMATCH");
    // Only the custom provider.
    let r = with_provider(
        &emu,
        "",
        json!({"provider_id": "wx_open", "provider_token": ticket("old_wx")}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_argument");
    let users = request(
        "GET",
        &emu.url(&format!("/emulator/v1/envs/{ENV_A}/users")),
        &[],
        None,
    );
    assert_eq!(
        users.json()["users"],
        json!([]),
        "no refused ticket made a user"
    );
}

#[test]
fn tcb_js_sdk_get_jwt_is_fetch_access_token() {
    let emu = Emulator::start();
    let t = ticket_with(&signer_a(), "old_tcb", Some(120_000), None);
    let signed = emu.v1(
        ENV_A,
        "auth.signInWithTicket",
        json!({"ticket": t, "refresh_token": ""}),
    );
    let refresh = signed["refresh_token"].as_str().expect("refresh_token");
    let jwt = emu.v1(ENV_A, "auth.getJwt", json!({"refresh_token": refresh}));
    assert!(jwt.get("code").is_none(), "{jwt}");
    assert_eq!(jwt["access_token_expire"], 120_000, "a duration in ms");
    let access = jwt["access_token"].as_str().expect("access_token");
    assert_eq!(
        emu.v1_user(ENV_A, access)["data"]["customUserId"],
        "old_tcb"
    );
    let refused = emu.v1(ENV_A, "auth.getJwt", json!({"refresh_token": "nope"}));
    assert_eq!(refused["code"], "INVALID_REFRESH_TOKEN", "{refused}");
}

#[test]
fn unknown_route_answers_json_naming_the_path_and_the_routes() {
    let emu = Emulator::start();
    let r = request(
        "POST",
        &emu.url("/auth/v1/signin/with/something"),
        &[("content-type", "text/plain;charset=UTF-8")],
        Some(b"{}"),
    );
    assert_eq!(r.status, 404);
    let e = r.json();
    assert_eq!(e["path"], "/auth/v1/signin/with/something");
    assert_eq!(e["method"], "POST");
    assert_eq!(e["error"], "unimplemented");
    assert_eq!(e["code"], "NOT_FOUND");
    let message = e["error_description"].as_str().expect("description");
    assert!(
        message.starts_with("POST /auth/v1/signin/with/something is not a route"),
        "{message}"
    );
    assert!(message.contains("POST /auth/v1/signin/custom"), "{message}");
    assert_eq!(e["message"], e["error_description"]);
    let routes: Vec<String> = e["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|r| r.as_str().expect("string").to_owned())
        .collect();
    assert!(routes.len() >= 12, "{routes:?}");
    // Every route listed is served: none of them gets this answer.
    for route in &routes {
        let (method, path) = route.split_once(' ').expect("METHOD PATH");
        let path = path.replace("{env}", ENV_A);
        let r = request(method, &emu.url(&path), &[], None);
        let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        assert!(
            body.get("routes").is_none(),
            "{route} is listed but answered as unknown: {} {}",
            r.status,
            r.body
        );
    }
}
