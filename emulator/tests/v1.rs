//! The v1 protocol (`POST /web?env=ENV`) over real HTTP against the real
//! binary: each sign-in rule, each refusal code.

mod common;

use std::time::Duration;

use common::*;
use customauth_core::now_ms;
use serde_json::json;

fn code(v: &serde_json::Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

#[test]
fn custom_sign_in_gives_refresh_token_access_token_and_user_info() {
    let emu = Emulator::start();
    let t = ticket_with(&signer_a(), "user_1234", Some(120_000), None);
    let (refresh, access, expire) = emu.v1_sign_in(ENV_A, &t);
    assert!(!refresh.is_empty());
    assert_eq!(
        expire, 120_000,
        "access_token_expire is the ticket's refresh (ms)"
    );
    let info = emu.v1_user(ENV_A, &access);
    let data = &info["data"];
    assert_eq!(data["customUserId"], "user_1234");
    assert_eq!(data["loginType"], "CUSTOM");
    assert_eq!(data["envId"], ENV_A);
    assert_eq!(data["uid"].as_str().map(str::len), Some(32));
    assert!(info["requestId"].is_string());
}

#[test]
fn same_custom_user_id_keeps_one_uid_per_env() {
    let emu = Emulator::start();
    let uid = |a: &str, env| {
        emu.v1_user(env, a)["data"]["uid"]
            .as_str()
            .expect("uid")
            .to_owned()
    };
    let (_, a1, _) = emu.v1_sign_in(ENV_A, &ticket("user_same"));
    let first = uid(&a1, ENV_A);
    let (_, a2, _) = emu.v1_sign_in(ENV_A, &ticket("user_same"));
    let (_, other, _) = emu.v1_sign_in(ENV_A, &ticket("user_other"));
    let (_, b, _) = emu.v1_sign_in(ENV_B, &ticket_with(&signer_b(), "user_same", None, None));
    assert_eq!(first, uid(&a2, ENV_A));
    assert_ne!(first, uid(&other, ENV_A));
    assert_ne!(first, uid(&b, ENV_B), "uids are per env");
}

#[test]
fn signing_in_again_ends_the_earlier_login_state() {
    let emu = Emulator::start();
    let (r1, a1, _) = emu.v1_sign_in(ENV_A, &ticket("user_again"));
    let (r2, a2, _) = emu.v1_sign_in(ENV_A, &ticket("user_again"));
    let old = emu.v1(
        ENV_A,
        "auth.fetchAccessTokenWithRefreshToken",
        json!({"refresh_token": r1}),
    );
    assert_eq!(code(&old), "INVALID_REFRESH_TOKEN", "{old}");
    assert_eq!(code(&emu.v1_user(ENV_A, &a1)), "ACCESS_TOKEN_EXPIRED");
    assert_eq!(
        emu.v1_user(ENV_A, &a2)["data"]["customUserId"],
        "user_again"
    );
    emu.v1_access_token(ENV_A, &r2);
}

#[test]
fn each_bad_ticket_is_refused_with_its_reason() {
    let emu = Emulator::start();
    let now = now_ms();
    let cases = [
        (
            "TICKET_KEY_UNKNOWN",
            ticket_with(
                &signer("k4096-pkcs8.pem", "kid-unknown", ENV_A),
                "user_1234",
                None,
                None,
            ),
        ),
        (
            "TICKET_SIGNATURE_INVALID",
            ticket_with(
                &signer("k4096-pkcs8.pem", KID_A, ENV_A),
                "user_1234",
                None,
                None,
            ),
        ),
        (
            "TICKET_ENV_MISMATCH",
            ticket_with(&signer_b(), "user_1234", None, None),
        ),
        (
            "TICKET_ENV_MISMATCH",
            raw_ticket(
                "k2048-pkcs1.pem",
                KID_A,
                &payload(ENV_B, "user_1234", 600_000),
            ),
        ),
        (
            "TICKET_EXPIRED",
            customauth_core::TicketSigner::sign(
                &signer_a(),
                &"user_1234".parse().expect("uid"),
                customauth_core::TicketOptions::default(),
                now - 11 * 60_000,
            )
            .expect("signs")
            .into_string(),
        ),
        (
            "TICKET_LIFETIME_INVALID",
            raw_ticket(
                "k2048-pkcs1.pem",
                KID_A,
                &payload(ENV_A, "user_1234", 600_001),
            ),
        ),
        (
            "TICKET_UID_INVALID",
            raw_ticket("k2048-pkcs1.pem", KID_A, &payload(ENV_A, "abc", 600_000)),
        ),
        ("TICKET_MALFORMED", format!("{KID_A}/@@/not.a.jwt")),
    ];
    for (reason, t) in cases {
        let r = emu.v1(
            ENV_A,
            "auth.signInWithTicket",
            json!({"ticket": t, "refresh_token": ""}),
        );
        assert_eq!(
            code(&r),
            "AUTH_INVALID_CUSTOM_LOGIN_TICKET",
            "{reason}: {r}"
        );
        assert_eq!(r["reason"], reason, "{r}");
        assert!(
            r["message"].as_str().is_some_and(|m| m.starts_with(reason)),
            "the message says why: {r}"
        );
        assert!(r.get("refresh_token").is_none());
    }
    // The honest twins of the crafted tickets are accepted.
    for t in [
        raw_ticket(
            "k2048-pkcs1.pem",
            KID_A,
            &payload(ENV_A, "user_1234", 600_000),
        ),
        raw_ticket("k2048-pkcs1.pem", KID_A, &payload(ENV_A, "abcd", 600_000)),
    ] {
        emu.v1_sign_in(ENV_A, &t);
    }
}

#[test]
fn a_ticket_signs_in_once() {
    let emu = Emulator::start();
    let t = ticket("user_once");
    emu.v1_sign_in(ENV_A, &t);
    let again = emu.v1(
        ENV_A,
        "auth.signInWithTicket",
        json!({"ticket": t, "refresh_token": ""}),
    );
    assert_eq!(again["reason"], "TICKET_ALREADY_USED", "{again}");
}

#[test]
fn expired_access_token_is_refused_and_refreshed() {
    let emu = Emulator::start();
    let t = ticket_with(&signer_a(), "user_short", Some(1_000), None);
    let (refresh, access, expire) = emu.v1_sign_in(ENV_A, &t);
    assert_eq!(expire, 1_000);
    // `exp` is in seconds, rounded up: at most 2 s from now.
    std::thread::sleep(Duration::from_millis(2_050));
    assert_eq!(code(&emu.v1_user(ENV_A, &access)), "ACCESS_TOKEN_EXPIRED");
    let (fresh, _) = emu.v1_access_token(ENV_A, &refresh);
    assert_eq!(
        emu.v1_user(ENV_A, &fresh)["data"]["customUserId"],
        "user_short"
    );
}

#[test]
fn refresh_token_expires_with_the_tickets_expire() {
    let emu = Emulator::start();
    let end = now_ms() + 3_000;
    let t = ticket_with(&signer_a(), "user_expire", Some(60_000), Some(end));
    let (refresh, access, expire) = emu.v1_sign_in(ENV_A, &t);
    assert!(
        expire <= 3_000,
        "no access token outlives the login state: {expire}"
    );
    sleep_until(end + 50);
    let r = emu.v1(
        ENV_A,
        "auth.fetchAccessTokenWithRefreshToken",
        json!({"refresh_token": refresh}),
    );
    assert_eq!(code(&r), "REFRESH_TOKEN_EXPIRED", "{r}");
    assert_eq!(code(&emu.v1_user(ENV_A, &access)), "ACCESS_TOKEN_EXPIRED");
}

#[test]
fn logout_ends_the_session() {
    let emu = Emulator::start();
    let (refresh, access, _) = emu.v1_sign_in(ENV_A, &ticket("user_logout"));
    let r = emu.v1(ENV_A, "auth.logout", json!({"refresh_token": refresh}));
    assert!(r.get("code").is_none(), "{r}");
    let after = emu.v1(
        ENV_A,
        "auth.fetchAccessTokenWithRefreshToken",
        json!({"refresh_token": refresh}),
    );
    assert_eq!(code(&after), "INVALID_REFRESH_TOKEN");
    assert_eq!(code(&emu.v1_user(ENV_A, &access)), "ACCESS_TOKEN_EXPIRED");
    let unknown = emu.v1(ENV_A, "auth.logout", json!({"refresh_token": "nope"}));
    assert_eq!(code(&unknown), "INVALID_REFRESH_TOKEN");
}

#[test]
fn anonymous_user_signs_in_again_with_its_uuid() {
    let emu = Emulator::start();
    let r = emu.v1(
        ENV_A,
        "auth.signInAnonymously",
        json!({"anonymous_uuid": "", "refresh_token": ""}),
    );
    let uuid = r["uuid"].as_str().expect("uuid").to_owned();
    let refresh = r["refresh_token"].as_str().expect("refresh").to_owned();
    let (access, expire) = emu.v1_access_token(ENV_A, &refresh);
    assert_eq!(expire, 7_200_000);
    let data = emu.v1_user(ENV_A, &access)["data"].clone();
    assert_eq!(data["uid"], uuid.as_str());
    assert_eq!(data["loginType"], "ANONYMOUS");
    assert_eq!(data["isAnonymous"], true);
    let again = emu.v1(
        ENV_A,
        "auth.signInAnonymously",
        json!({"anonymous_uuid": uuid, "refresh_token": refresh}),
    );
    assert_eq!(again["uuid"], uuid.as_str());
    let other = emu.v1(
        ENV_A,
        "auth.signInAnonymously",
        json!({"anonymous_uuid": "", "refresh_token": ""}),
    );
    assert_ne!(other["uuid"], uuid.as_str());
}

fn anonymous(emu: &Emulator) -> (String, String, String) {
    let r = emu.v1(
        ENV_A,
        "auth.signInAnonymously",
        json!({"anonymous_uuid": "", "refresh_token": ""}),
    );
    let uuid = r["uuid"].as_str().expect("uuid").to_owned();
    let refresh = r["refresh_token"].as_str().expect("refresh").to_owned();
    let (access, _) = emu.v1_access_token(ENV_A, &refresh);
    (uuid, refresh, access)
}

#[test]
fn linking_an_anonymous_user_keeps_its_uid() {
    let emu = Emulator::start();
    let (uuid, refresh, access) = anonymous(&emu);
    let r = emu.v1(
        ENV_A,
        "auth.linkAndRetrieveDataWithTicket",
        json!({"anonymous_uuid": uuid, "refresh_token": refresh, "ticket": ticket("user_linked"), "access_token": access}),
    );
    let linked = r["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let (access, _) = emu.v1_access_token(ENV_A, &linked);
    let data = emu.v1_user(ENV_A, &access)["data"].clone();
    assert_eq!(data["uid"], uuid.as_str());
    assert_eq!(data["customUserId"], "user_linked");
    assert_eq!(data["loginType"], "CUSTOM");
    assert_eq!(data["isAnonymous"], false);
    // The anonymous login state is over; the custom user is the same uid.
    let old = emu.v1(
        ENV_A,
        "auth.fetchAccessTokenWithRefreshToken",
        json!({"refresh_token": refresh}),
    );
    assert_eq!(code(&old), "INVALID_REFRESH_TOKEN");
    let (_, a, _) = emu.v1_sign_in(ENV_A, &ticket("user_linked"));
    assert_eq!(emu.v1_user(ENV_A, &a)["data"]["uid"], uuid.as_str());
}

#[test]
fn linking_a_registered_custom_user_id_is_refused() {
    let emu = Emulator::start();
    emu.v1_sign_in(ENV_A, &ticket("user_taken"));
    let (uuid, refresh, access) = anonymous(&emu);
    let r = emu.v1(
        ENV_A,
        "auth.linkAndRetrieveDataWithTicket",
        json!({"anonymous_uuid": uuid, "refresh_token": refresh, "ticket": ticket("user_taken"), "access_token": access}),
    );
    assert_eq!(code(&r), "AUTH_CUSTOM_USER_ID_HAS_BEEN_BOUND", "{r}");
    let data = emu.v1_user(ENV_A, &access)["data"].clone();
    assert_eq!(data["loginType"], "ANONYMOUS", "still anonymous: {data}");
    let r = emu.v1(
        ENV_A,
        "auth.linkWithTicket",
        json!({"ticket": ticket("user_taken"), "access_token": access}),
    );
    assert_eq!(code(&r), "AUTH_CUSTOM_USER_ID_HAS_BEEN_BOUND", "{r}");
}

#[test]
fn link_with_ticket_binds_a_signed_in_non_custom_user() {
    let emu = Emulator::start();
    let (uuid, refresh, access) = anonymous(&emu);
    let r = emu.v1(
        ENV_A,
        "auth.linkWithTicket",
        json!({"ticket": ticket("user_bound"), "access_token": access}),
    );
    assert!(r.get("code").is_none(), "{r}");
    let (access, _) = emu.v1_access_token(ENV_A, &refresh);
    let data = emu.v1_user(ENV_A, &access)["data"].clone();
    assert_eq!(data["uid"], uuid.as_str());
    assert_eq!(data["customUserId"], "user_bound");
    // A custom user cannot bind a second customUserId.
    let r = emu.v1(
        ENV_A,
        "auth.linkWithTicket",
        json!({"ticket": ticket("user_second"), "access_token": access}),
    );
    assert_eq!(code(&r), "INVALID_OPERATION", "{r}");
    // Without a valid access token there is nobody to link.
    let r = emu.v1(
        ENV_A,
        "auth.linkWithTicket",
        json!({"ticket": ticket("user_third"), "access_token": "x.y.z"}),
    );
    assert_eq!(code(&r), "INVALID_ACCESS_TOKEN", "{r}");
}

#[test]
fn unknown_env_and_action_are_refused() {
    let emu = Emulator::start();
    let r = emu.v1(
        "env-nope",
        "auth.signInWithTicket",
        json!({"ticket": ticket("user_1234")}),
    );
    assert_eq!(code(&r), "INVALID_ENV");
    let r = emu.v1(ENV_A, "auth.somethingElse", json!({}));
    assert_eq!(code(&r), "INVALID_PARAM");
}

#[test]
fn tokens_of_one_env_do_not_work_in_another() {
    let emu = Emulator::start();
    let (refresh, access, _) = emu.v1_sign_in(ENV_A, &ticket("user_cross"));
    assert_eq!(code(&emu.v1_user(ENV_B, &access)), "INVALID_ACCESS_TOKEN");
    let r = emu.v1(
        ENV_B,
        "auth.fetchAccessTokenWithRefreshToken",
        json!({"refresh_token": refresh}),
    );
    assert_eq!(code(&r), "INVALID_REFRESH_TOKEN");
}

#[test]
fn sign_ins_are_logged_without_tokens() {
    let mut emu = Emulator::start();
    let t = ticket("user_logged");
    let (refresh, access, _) = emu.v1_sign_in(ENV_A, &t);
    emu.terminate();
    let logs = emu.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("sign-in with ticket"))
        .unwrap_or_else(|| panic!("no sign-in line: {logs}"));
    assert!(
        line.contains("env=\"env-a\"") || line.contains("env=env-a"),
        "{line}"
    );
    assert!(line.contains("user_logged"), "{line}");
    assert!(line.contains("@cloudbase/js-sdk/1.8.4"), "{line}");
    assert!(line.contains("uid="), "{line}");
    for secret in [&t, &refresh, &access] {
        assert!(!logs.contains(secret.as_str()), "a token reached the log");
    }
    let sig = t.rsplit_once('.').expect("sig").1;
    assert!(!logs.contains(sig));
}

#[test]
fn linking_without_a_refresh_token_names_the_user_by_access_token() {
    // uniCloud's anonymous login has no refresh token: the access token
    // every v1 call carries names the anonymous user.
    let emu = Emulator::start();
    let (uuid, _, access) = anonymous(&emu);
    let r = emu.v1(
        ENV_A,
        "auth.linkAndRetrieveDataWithTicket",
        json!({"ticket": ticket("user_uni_link"), "access_token": access}),
    );
    let linked = r["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let (access, _) = emu.v1_access_token(ENV_A, &linked);
    let data = emu.v1_user(ENV_A, &access)["data"].clone();
    assert_eq!(data["uid"], uuid.as_str());
    assert_eq!(data["customUserId"], "user_uni_link");
    let r = emu.v1(
        ENV_A,
        "auth.linkAndRetrieveDataWithTicket",
        json!({"ticket": ticket("user_uni_link2"), "access_token": "x.y.z"}),
    );
    assert_eq!(code(&r), "INVALID_ACCESS_TOKEN", "{r}");
}
