//! The `cloudbase` mode's settings, answers and cache, without a network
//! (the lookups themselves are tested against the emulator in
//! emulator/tests/cloudbase_mode.rs).

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use customauth_core::env::from_pairs as env;
use serde_json::json;

use super::super::caller::{AuthError, Caller, UserInfo};
use super::super::headers::{CloudBaseForm, cloudbase_credential};
use super::answer::{from_v1, from_v2};
use super::cache::{Cache, key};
use super::*;

#[test]
fn the_origin_is_the_environments_own_by_default() {
    let s = Settings::from_env(&env(&[(VAR_CLOUDBASE_ENV, "prod-1a2b")])).expect("ok");
    assert_eq!(
        s.origin,
        "https://prod-1a2b.ap-shanghai.tcb-api.tencentcloudapi.com"
    );
    assert_eq!(s.timeout, Duration::from_millis(3_000));
    assert_eq!(s.cache_ttl, Duration::from_secs(30));
    assert_eq!(s.cache_entries, 10_000);
    let s = Settings::from_env(&env(&[
        (VAR_CLOUDBASE_ENV, "prod-1a2b"),
        (VAR_CLOUDBASE_REGION, "ap-guangzhou"),
    ]))
    .expect("ok");
    assert_eq!(
        s.origin,
        "https://prod-1a2b.ap-guangzhou.tcb-api.tencentcloudapi.com"
    );
    let s = Settings::from_env(&env(&[
        (VAR_CLOUDBASE_ENV, "dev"),
        (VAR_CLOUDBASE_ENDPOINT, "http://127.0.0.1:9100/"),
        (VAR_CLOUDBASE_CACHE_SECONDS, "0"),
    ]))
    .expect("ok");
    assert_eq!(s.origin, "http://127.0.0.1:9100");
    assert_eq!(s.cache_ttl, Duration::ZERO);
}

#[test]
fn bad_settings_name_their_variable() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], VAR_CLOUDBASE_ENV),
        (&[(VAR_CLOUDBASE_ENV, "has space")], VAR_CLOUDBASE_ENV),
        (
            &[(VAR_CLOUDBASE_ENV, "e"), (VAR_CLOUDBASE_REGION, "AP/x")],
            VAR_CLOUDBASE_REGION,
        ),
        (
            &[
                (VAR_CLOUDBASE_ENV, "e"),
                (VAR_CLOUDBASE_ENDPOINT, "ftp://x"),
            ],
            VAR_CLOUDBASE_ENDPOINT,
        ),
        (
            &[
                (VAR_CLOUDBASE_ENV, "e"),
                (VAR_CLOUDBASE_ENDPOINT, "http://h/web"),
            ],
            VAR_CLOUDBASE_ENDPOINT,
        ),
        (
            &[
                (VAR_CLOUDBASE_ENV, "e"),
                (VAR_CLOUDBASE_ENDPOINT, "http://u:p@h"),
            ],
            VAR_CLOUDBASE_ENDPOINT,
        ),
        (
            &[(VAR_CLOUDBASE_ENV, "e"), (VAR_CLOUDBASE_TIMEOUT_MS, "0")],
            VAR_CLOUDBASE_TIMEOUT_MS,
        ),
        (
            &[
                (VAR_CLOUDBASE_ENV, "e"),
                (VAR_CLOUDBASE_TIMEOUT_MS, "60000"),
            ],
            VAR_CLOUDBASE_TIMEOUT_MS,
        ),
        (
            &[
                (VAR_CLOUDBASE_ENV, "e"),
                (VAR_CLOUDBASE_CACHE_SECONDS, "-1"),
            ],
            VAR_CLOUDBASE_CACHE_SECONDS,
        ),
        (
            &[(VAR_CLOUDBASE_ENV, "e"), (VAR_CLOUDBASE_CACHE_ENTRIES, "0")],
            VAR_CLOUDBASE_CACHE_ENTRIES,
        ),
    ];
    for (vars, named) in cases {
        let e = Settings::from_env(&env(vars)).expect_err("refused");
        assert!(e.to_string().contains(named), "{vars:?}: {e}");
    }
}

#[test]
fn endpoints_that_leak_tokens_or_hide_their_host_are_refused() {
    for (endpoint, says) in [
        ("http://evil.example#@127.0.0.1", "user name or password"),
        ("http://127.0.0.1:9100#frag", "fragment"),
        ("https://user:pw@api.example", "user name or password"),
        ("http://192.0.2.7:9100", "clear text"),
        ("http://tcb.example", "clear text"),
        ("http://[2001:db8::1]:80", "clear text"),
        // A name is resolved after the check: loopback IP addresses only.
        ("http://localhost:9100", "clear text"),
    ] {
        let e = Settings::from_env(&env(&[
            (VAR_CLOUDBASE_ENV, "e"),
            (VAR_CLOUDBASE_ENDPOINT, endpoint),
        ]))
        .expect_err(endpoint)
        .to_string();
        assert!(e.contains(VAR_CLOUDBASE_ENDPOINT), "{endpoint}: {e}");
        assert!(e.contains(says), "{endpoint}: {e}");
    }
    for endpoint in [
        "http://127.0.0.1:9100",
        "http://127.9.9.9",
        "http://[::1]:9100",
        "https://api.example",
    ] {
        let s = Settings::from_env(&env(&[
            (VAR_CLOUDBASE_ENV, "e"),
            (VAR_CLOUDBASE_ENDPOINT, endpoint),
        ]))
        .expect(endpoint);
        assert_eq!(s.origin, endpoint);
    }
}

fn jwt_with(claims: &serde_json::Value) -> String {
    format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[test]
fn the_unverified_exp_of_a_jwt_and_of_anything_else() {
    assert_eq!(
        unverified_exp(&jwt_with(&json!({"exp": 1_700_000_000u64}))),
        Some(1_700_000_000)
    );
    assert_eq!(unverified_exp(&jwt_with(&json!({"exp": "soon"}))), None);
    assert_eq!(unverified_exp(&jwt_with(&json!({"sub": "x"}))), None);
    assert_eq!(unverified_exp("opaque-v1-token"), None);
    assert_eq!(unverified_exp("a.b.c.d"), None);
}

fn v2_me(extra: serde_json::Value) -> Vec<u8> {
    let mut me = json!({"sub": "uid-1", "name": "", "groups": [], "status": "ACTIVE",
                        "providers": [{"id": "custom", "provider_user_id": "alice"}]});
    for (k, v) in extra.as_object().expect("object") {
        me[k] = v.clone();
    }
    me.to_string().into_bytes()
}

#[test]
fn v2_answers_become_callers() {
    let Ok(Caller::User(user)) = from_v2(200, &v2_me(json!({}))) else {
        panic!("a custom user");
    };
    assert_eq!(user.user_id.as_str(), "alice");
    assert_eq!(
        (user.info.uid.as_str(), user.info.is_anonymous),
        ("uid-1", false)
    );
    let anonymous = from_v2(
        200,
        &v2_me(json!({"providers": [], "created_from": "anonymous"})),
    );
    assert_eq!(
        anonymous,
        Ok(Caller::CloudBase(UserInfo {
            uid: "uid-1".into(),
            is_anonymous: true,
            ..UserInfo::default()
        }))
    );
    // The SDK's error shape, whatever the status: refused when 4xx.
    let error = br#"{"error":"unauthenticated","error_description":"token expired"}"#;
    assert!(matches!(from_v2(401, error), Err(AuthError::Invalid(_))));
    assert!(matches!(
        from_v2(200, error),
        Err(AuthError::Unavailable(_))
    ));
    assert!(matches!(
        from_v2(503, error),
        Err(AuthError::Unavailable(_))
    ));
    assert!(matches!(
        from_v2(429, error),
        Err(AuthError::Unavailable(_))
    ));
    // Not the SDK's shapes: CloudBase's trouble, not the caller's.
    for (status, body) in [
        (200, &b"<html>"[..]),
        (200, br#"{"name":"no sub"}"#),
        (502, b""),
        (200, br#"[1]"#),
    ] {
        assert!(
            matches!(from_v2(status, body), Err(AuthError::Unavailable(_))),
            "{status}"
        );
    }
    // A customUserId that breaks the rule is not a user.
    let bad = v2_me(json!({"providers": [{"id": "custom", "provider_user_id": "a b"}]}));
    assert!(matches!(
        from_v2(200, &bad),
        Err(AuthError::InvalidIdentity(_))
    ));
}

#[test]
fn v1_answers_become_callers() {
    let ok = json!({"data": {"uid": "uid-2", "loginType": "CUSTOM", "customUserId": "bob_1",
                             "envId": "e"}, "requestId": "r"});
    let Ok(Caller::User(user)) = from_v1(200, ok.to_string().as_bytes(), "e") else {
        panic!("a custom user");
    };
    assert_eq!(
        (user.user_id.as_str(), user.info.uid.as_str()),
        ("bob_1", "uid-2")
    );
    let anonymous = json!({"data": {"uid": "uid-3", "loginType": "ANONYMOUS", "envId": "e"}});
    assert!(matches!(
        from_v1(200, anonymous.to_string().as_bytes(), "e"),
        Ok(Caller::CloudBase(UserInfo {
            is_anonymous: true,
            ..
        }))
    ));
    assert!(matches!(
        from_v1(200, ok.to_string().as_bytes(), "other"),
        Err(AuthError::Invalid(_))
    ));
    for code in [
        "ACCESS_TOKEN_EXPIRED",
        "INVALID_ACCESS_TOKEN",
        "INVALID_PARAM",
    ] {
        let body = json!({"code": code, "message": "m"}).to_string();
        assert!(
            matches!(
                from_v1(200, body.as_bytes(), "e"),
                Err(AuthError::Invalid(_))
            ),
            "{code}"
        );
    }
    for code in ["SYS_ERR", "INVALID_ENV", "SOMETHING_NEW"] {
        let body = json!({"code": code, "message": "m"}).to_string();
        assert!(
            matches!(
                from_v1(200, body.as_bytes(), "e"),
                Err(AuthError::Unavailable(_))
            ),
            "{code}"
        );
    }
    assert!(matches!(
        from_v1(500, b"{}", "e"),
        Err(AuthError::Unavailable(_))
    ));
    assert!(matches!(
        from_v1(200, b"{}", "e"),
        Err(AuthError::Unavailable(_))
    ));
}

fn caller(uid: &str) -> Caller {
    Caller::CloudBase(UserInfo {
        uid: uid.into(),
        ..UserInfo::default()
    })
}

#[test]
fn the_cache_ends_entries_at_their_time_and_holds_at_most_its_capacity() {
    let cache = Cache::new(2, Duration::from_secs(30));
    let now = Instant::now();
    let (a, b, c) = (key(0, "a"), key(0, "b"), key(0, "c"));
    assert_ne!(key(0, "a"), key(1, "a"), "the form is part of the key");
    cache.put(a, caller("a"), now, None);
    assert_eq!(
        cache.get(&a, now + Duration::from_secs(29)),
        Some(caller("a"))
    );
    assert_eq!(cache.get(&a, now + Duration::from_secs(30)), None, "ended");
    // The token's own end comes first.
    cache.put(b, caller("b"), now, Some(now + Duration::from_secs(5)));
    assert_eq!(
        cache.get(&b, now + Duration::from_secs(4)),
        Some(caller("b"))
    );
    assert_eq!(cache.get(&b, now + Duration::from_secs(5)), None);
    // A token already at its end is not kept.
    cache.put(c, caller("c"), now, Some(now));
    assert_eq!(cache.get(&c, now), None);
    // Bounded: a third entry pushes out the least recently used.
    for (k, name) in [(a, "a"), (b, "b"), (c, "c")] {
        cache.put(k, caller(name), now, None);
    }
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.get(&a, now), None);
    assert_eq!(cache.get(&c, now), Some(caller("c")));
    // A zero lifetime keeps nothing.
    let off = Cache::new(10, Duration::ZERO);
    off.put(a, caller("a"), now, None);
    assert_eq!(off.get(&a, now), None);
}

fn headers(pairs: &[(&str, &str)]) -> lambda_http::http::HeaderMap {
    let mut h = lambda_http::http::HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            lambda_http::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    h
}

#[test]
fn the_two_credential_forms() {
    assert_eq!(
        cloudbase_credential(&headers(&[("authorization", "Bearer tok")])),
        Ok((CloudBaseForm::Bearer, "tok"))
    );
    assert_eq!(
        cloudbase_credential(&headers(&[("x-cloudbase-credentials", "acc/@@/ref")])),
        Ok((CloudBaseForm::Credentials, "acc"))
    );
    assert_eq!(
        cloudbase_credential(&headers(&[("x-cloudbase-credentials", "acc")])),
        Ok((CloudBaseForm::Credentials, "acc"))
    );
    for bad in [
        &[("x-cloudbase-credentials", "/@@/ref")][..],
        &[
            ("x-cloudbase-credentials", "a"),
            ("x-cloudbase-credentials", "b"),
        ],
        &[
            ("x-cloudbase-credentials", "a"),
            ("authorization", "Bearer a"),
        ],
        &[("x-cloudbase-credentials", "a b/@@/r")],
        &[("authorization", "Basic abc")],
    ] {
        assert!(
            matches!(
                cloudbase_credential(&headers(bad)),
                Err(AuthError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    assert_eq!(cloudbase_credential(&headers(&[])), Err(AuthError::Missing));
}

/// A client that sends a token and goes away (the request's future is
/// dropped) while CloudBase is slow leaves no in-flight entry behind: a flood
/// of distinct tokens cannot grow the map past the requests still waiting.
#[tokio::test]
async fn lookups_whose_requests_went_away_leave_nothing_behind() {
    use std::sync::Arc;

    use super::client::CloudBase;

    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", silent.local_addr().expect("addr"));
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let settings = Settings::from_env(&env(&[
        (VAR_CLOUDBASE_ENV, "e"),
        (VAR_CLOUDBASE_ENDPOINT, endpoint.as_str()),
    ]))
    .expect("settings");
    let cloudbase = Arc::new(CloudBase::new(settings).expect("client"));
    let requests: Vec<_> = (0..50u8)
        .map(|i| {
            let cloudbase = Arc::clone(&cloudbase);
            tokio::spawn(async move {
                let h = headers(&[(
                    "authorization",
                    &format!("Bearer token-{i}-0123456789abcdef"),
                )]);
                // Each from its own address, so none is over its share.
                let mut extensions = lambda_http::http::Extensions::new();
                extensions.insert(crate::layer::ClientIp(Some([10, 0, 0, i].into())));
                cloudbase.verify(&h, &extensions).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        cloudbase.inflight_len(),
        50,
        "each token is being looked up"
    );
    for r in &requests {
        r.abort();
    }
    for r in requests {
        assert!(r.await.is_err_and(|e| e.is_cancelled()));
    }
    assert_eq!(cloudbase.inflight_len(), 0);
    holder.abort();
}
