//! The project's get-user-info in `cloudbase` mode against the real emulator
//! binary, for access tokens of both protocols: the function asks the
//! emulator who the caller is (`GET /auth/v1/user/me` for a Bearer token,
//! v1 `auth.getUserInfo` for `X-Cloudbase-Credentials`), caches what it
//! learns, and answers 503 in bound when the emulator cannot answer.

mod common;

use std::io::Read as _;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;
use customauth_testkit::{Process, Reply, request};
use serde_json::{Value, json};

/// get-user-info in cloudbase mode asking `endpoint`, with `extra` settings.
fn get_user_info(endpoint: &str, extra: &[(&str, &str)]) -> Process {
    let mut env = vec![
        ("CUSTOMAUTH_CALLER_AUTH", "cloudbase"),
        ("CUSTOMAUTH_CLOUDBASE_ENV", ENV_A),
        ("CUSTOMAUTH_CLOUDBASE_ENDPOINT", endpoint),
    ];
    env.extend_from_slice(extra);
    Process::http(&sibling_bin("get-user-info"), &env).expect("get-user-info starts")
}

fn with_bearer(function: &Process, token: &str) -> Reply {
    let bearer = format!("Bearer {token}");
    request(
        "GET",
        &function.url("/"),
        &[("authorization", &bearer)],
        None,
    )
}

fn with_credentials(function: &Process, access: &str, refresh: &str) -> Reply {
    let credentials = format!("{access}/@@/{refresh}");
    request(
        "GET",
        &function.url("/"),
        &[("x-cloudbase-credentials", &credentials)],
        None,
    )
}

/// v2 sign-in with a ticket: the access token.
fn v2_sign_in(emu: &Emulator, ticket: &str) -> String {
    emu.v2_sign_in(ENV_A, ticket)["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// The emulator's count of identity lookups: (v1, v2).
fn lookups(emu: &Emulator) -> (u64, u64) {
    let stats = request("GET", &emu.url("/emulator/v1/stats"), &[], None).json();
    let n = |p: &str| stats["userInfoLookups"][p].as_u64().expect("count");
    (n("v1"), n("v2"))
}

fn uid_of(emu: &Emulator, access: &str) -> Value {
    emu.v1_user(ENV_A, access)["data"]["uid"].clone()
}

#[test]
fn both_protocols_answer_the_callers_own_identity() {
    let emu = Emulator::start();
    let function = get_user_info(&emu.url(""), &[]);
    // v2: a Bearer access token.
    let access = v2_sign_in(&emu, &ticket("cb_v2_user"));
    let r = with_bearer(&function, &access);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"openId": "", "appId": "", "uid": uid_of(&emu, &access),
               "customUserId": "cb_v2_user", "isAnonymous": false})
    );
    // v1: the HTTP access service's X-Cloudbase-Credentials form.
    let (refresh, access, _) = emu.v1_sign_in(ENV_A, &ticket("cb_v1_user"));
    let r = with_credentials(&function, &access, &refresh);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["customUserId"], "cb_v1_user");
    assert_eq!(r.json()["uid"], uid_of(&emu, &access));
    // An anonymous CloudBase user: a uid, no customUserId.
    let r = emu.v2(
        "POST",
        &format!("/auth/v1/signin/anonymously?client_id={ENV_A}"),
        None,
        Some(json!({})),
    );
    let anonymous = r.json()["access_token"].as_str().expect("token").to_owned();
    let r = with_bearer(&function, &anonymous);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["isAnonymous"], true);
    assert_eq!(r.json()["customUserId"], "");
    assert_eq!(r.json()["uid"], uid_of(&emu, &anonymous));
    // No token reached the function's log.
    assert!(!function.logs().contains(&access), "a token was logged");
}

#[test]
fn garbage_foreign_and_other_env_tokens_are_401_and_never_cached_as_good() {
    let emu = Emulator::start();
    let function = get_user_info(&emu.url(""), &[]);
    for _ in 0..3 {
        let r = with_bearer(&function, "not-a-cloudbase-token");
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.json()["code"], "UNAUTHENTICATED");
    }
    // A refusal is asked once, then remembered for a few seconds (never as
    // good): junk repeated costs CloudBase nothing more.
    assert_eq!(lookups(&emu).1, 1);
    // A token of env-b (signed in at the same emulator) for an env-a function.
    let other_env =
        emu.v2_sign_in(ENV_B, &ticket_with(&signer_b(), "cb_b", None, None))["access_token"]
            .as_str()
            .expect("token")
            .to_owned();
    assert_eq!(with_bearer(&function, &other_env).status, 401);
    let (refresh, access, _) =
        emu.v1_sign_in(ENV_B, &ticket_with(&signer_b(), "cb_b1", None, None));
    assert_eq!(with_credentials(&function, &access, &refresh).status, 401);
    // A token of another emulator (another signing key).
    let other = Emulator::start();
    let foreign = v2_sign_in(&other, &ticket("cb_foreign"));
    assert_eq!(with_bearer(&function, &foreign).status, 401);
    // No credentials at all; both forms at once.
    assert_eq!(request("GET", &function.url("/"), &[], None).status, 401);
    let valid = v2_sign_in(&emu, &ticket("cb_both"));
    let bearer = format!("Bearer {valid}");
    let creds = format!("{valid}/@@/x");
    let r = request(
        "GET",
        &function.url("/"),
        &[
            ("authorization", &bearer),
            ("x-cloudbase-credentials", &creds),
        ],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.body);
}

#[test]
fn expired_revoked_and_replaced_logins_are_401() {
    let emu = Emulator::start();
    // No cache: each call asks, so revocation shows at once.
    let function = get_user_info(&emu.url(""), &[("CUSTOMAUTH_CLOUDBASE_CACHE_SECONDS", "0")]);
    // Expired: a 1-second access token, used before and after its end.
    let short = v2_sign_in(
        &emu,
        &ticket_with(&signer_a(), "cb_short", Some(1_000), None),
    );
    assert_eq!(with_bearer(&function, &short).status, 200);
    std::thread::sleep(Duration::from_millis(2_100));
    let r = with_bearer(&function, &short);
    assert_eq!(r.status, 401, "{}", r.body);
    // Revoked (v2 signOut).
    let access = v2_sign_in(&emu, &ticket("cb_revoked"));
    assert_eq!(with_bearer(&function, &access).status, 200);
    let r = emu.v2(
        "POST",
        "/auth/v1/revoke",
        Some(&access),
        Some(json!({"token": access})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(with_bearer(&function, &access).status, 401);
    // Logged out (v1 auth.logout).
    let (refresh, access, _) = emu.v1_sign_in(ENV_A, &ticket("cb_logout"));
    assert_eq!(with_credentials(&function, &access, &refresh).status, 200);
    emu.v1(ENV_A, "auth.logout", json!({"refresh_token": refresh}));
    assert_eq!(with_credentials(&function, &access, &refresh).status, 401);
    // The same user signed in again elsewhere: the earlier login ends.
    let first = v2_sign_in(&emu, &ticket("cb_twice"));
    assert_eq!(with_bearer(&function, &first).status, 200);
    let second = v2_sign_in(&emu, &ticket("cb_twice"));
    assert_eq!(with_bearer(&function, &first).status, 401);
    assert_eq!(with_bearer(&function, &second).status, 200);
}

#[test]
fn the_cache_saves_lookups_is_bounded_and_ends_with_the_token() {
    let emu = Emulator::start();
    let function = get_user_info(&emu.url(""), &[("CUSTOMAUTH_CLOUDBASE_CACHE_ENTRIES", "2")]);
    let a = v2_sign_in(&emu, &ticket("cb_cache_a"));
    let before = lookups(&emu).1;
    for _ in 0..5 {
        assert_eq!(with_bearer(&function, &a).status, 200);
    }
    assert_eq!(lookups(&emu).1 - before, 1, "one lookup for five calls");
    // v1 form: its own cache entry, one lookup.
    let (refresh, access, _) = emu.v1_sign_in(ENV_A, &ticket("cb_cache_v1"));
    let v1_before = lookups(&emu).0;
    for _ in 0..3 {
        assert_eq!(with_credentials(&function, &access, &refresh).status, 200);
    }
    assert_eq!(lookups(&emu).0 - v1_before, 1);
    // Bounded: two entries. b and c push a (least recently used) out.
    let b = v2_sign_in(&emu, &ticket("cb_cache_b"));
    let c = v2_sign_in(&emu, &ticket("cb_cache_c"));
    assert_eq!(with_bearer(&function, &b).status, 200);
    assert_eq!(with_bearer(&function, &c).status, 200);
    let before = lookups(&emu).1;
    assert_eq!(with_bearer(&function, &a).status, 200);
    assert_eq!(lookups(&emu).1 - before, 1, "a was evicted, so asked again");
    // The entry ends with the token: a 1-second token, cached, then expired.
    let short = v2_sign_in(
        &emu,
        &ticket_with(&signer_a(), "cb_cache_short", Some(1_000), None),
    );
    assert_eq!(with_bearer(&function, &short).status, 200);
    std::thread::sleep(Duration::from_millis(2_100));
    assert_eq!(
        with_bearer(&function, &short).status,
        401,
        "not served from the cache"
    );
}

#[test]
fn concurrent_requests_with_one_new_token_make_one_lookup() {
    let emu = Emulator::start();
    let function = get_user_info(&emu.url(""), &[]);
    for round in 0..3 {
        let token = v2_sign_in(&emu, &ticket(&format!("cb_burst_{round}")));
        let before = lookups(&emu).1;
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| s.spawn(|| with_bearer(&function, &token).status))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("client"))
                .collect()
        });
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        assert_eq!(
            lookups(&emu).1 - before,
            1,
            "round {round}: 16 requests at once, one lookup"
        );
    }
}

#[test]
fn an_unreachable_or_silent_cloudbase_is_503_within_the_bound() {
    let mut emu = Emulator::start();
    let access = v2_sign_in(&emu, &ticket("cb_down"));
    let function = get_user_info(&emu.url(""), &[("CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS", "800")]);
    assert_eq!(emu.terminate(), Some(0));
    let started = Instant::now();
    let r = with_bearer(&function, &access);
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["code"], "UNAVAILABLE");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // A server that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", silent.local_addr().expect("addr"));
    let hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().take(1) {
            let mut stream = stream.expect("accept");
            let mut buf = [0; 4096];
            let _ = stream.read(&mut buf);
            held.push(stream);
            std::thread::sleep(Duration::from_secs(3));
        }
    });
    let function = get_user_info(&endpoint, &[("CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS", "800")]);
    let started = Instant::now();
    let r = with_bearer(&function, &access);
    let took = started.elapsed();
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.headers
            .iter()
            .any(|(k, v)| k == "retry-after" && v == "1")
    );
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_millis(2_000),
        "503 after the 800 ms bound, took {took:?}"
    );
    hold.join().expect("holder");
}

#[test]
fn create_ticket_refuses_the_cloudbase_modes() {
    for mode in ["cloudbase", "cloudbase-context"] {
        let (code, out) = customauth_testkit::refuses_to_start(
            &sibling_bin("create-ticket"),
            &[
                ("CUSTOMAUTH_CALLER_AUTH", mode),
                ("CUSTOMAUTH_CLOUDBASE_ENV", ENV_A),
            ],
        );
        assert_eq!(code, Some(2), "{out}");
        assert!(out.contains("create-ticket does not take"), "{out}");
    }
}
