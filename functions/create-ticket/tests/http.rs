//! create-ticket as a real process in HTTP mode, called with a real HTTP client:
//! the answers to callers, good and bad, and CORS.

mod common;

use common::*;
use customauth::CustomUserId;
use customauth_testkit::{Process, credentials_json, refuses_to_start, request};

#[test]
fn api_key_caller_gets_a_ticket_that_verifies() {
    let p = api_key_process(&[]);
    for header in [
        ("x-api-key", API_KEY.to_owned()),
        ("authorization", format!("Bearer {API_KEY}")),
    ] {
        let r = post(
            &p,
            &[(header.0, &header.1)],
            r#"{"customUserId":"user_1234","refresh":600000}"#,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        let ticket = v["ticket"].as_str().expect("ticket");
        let claims = verifier()
            .verify(ticket, customauth::now_ms())
            .expect("verifies");
        assert_eq!(claims.uid, CustomUserId::parse("user_1234").expect("valid"));
        assert_eq!(claims.refresh, 600_000);
        assert_eq!(v["customUserId"], "user_1234");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
}

#[test]
fn wrong_or_missing_api_key_is_401_json() {
    let p = api_key_process(&[]);
    for headers in [vec![("x-api-key", "test-api-key-0123456789abcdeX")], vec![]] {
        let r = post(&p, &headers, r#"{"customUserId":"user_1234"}"#);
        assert_eq!(r.status, 401, "{}", r.body);
        let v = r.json();
        assert_eq!(v["code"], "UNAUTHENTICATED");
        assert!(v["requestId"].as_str().is_some_and(|s| !s.is_empty()));
    }
}

type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, String, u16);

#[test]
fn bad_requests_get_clear_4xx_never_5xx() {
    let p = api_key_process(&[]);
    let key = [("x-api-key", API_KEY)];
    // (method, headers, body, expected status)
    let cases: Vec<Case> = vec![
        ("GET", vec![], String::new(), 405),
        (
            "PUT",
            vec![("content-type", "application/json")],
            "{}".into(),
            405,
        ),
        (
            "POST",
            vec![("content-type", "text/plain")],
            r#"{"customUserId":"user_1234"}"#.into(),
            415,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            format!(r#"{{"customUserId":"{}"}}"#, "a".repeat(17 * 1024)),
            413,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            "{not json".into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            "{}".into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            r#"{"customUserId":"no spaces"}"#.into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            r#"{"customUserId":"user_1234","customUserId":"user_9999"}"#.into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            r#"{"customUserId":"user_1234","refresh":86400001}"#.into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            r#"{"customUserId":"user_1234","refresh":1.5}"#.into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            r#"{"customUserId":"user_1234","refresh":-1}"#.into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            r#"{"customUserId":"user_1234","expire":1}"#.into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            r#"{"customUserId":"user_1234","extra":true}"#.into(),
            400,
        ),
        (
            "POST",
            vec![("content-type", "application/json")],
            "[]".into(),
            400,
        ),
    ];
    for (method, mut headers, body, status) in cases {
        headers.extend_from_slice(&key);
        let r = request(
            method,
            &p.url("/createTicket"),
            &headers,
            Some(body.as_bytes()),
        );
        assert_eq!(
            r.status,
            status,
            "{method} {}: {}",
            &body[..body.len().min(80)],
            r.body
        );
        let v = r.json();
        assert!(v["code"].is_string() && v["message"].is_string() && v["requestId"].is_string());
        if status == 405 {
            assert_eq!(r.header("allow"), Some("POST"));
        }
    }
    // Invalid UTF-8.
    let r = request(
        "POST",
        &p.url("/x"),
        &[("content-type", "application/json"), key[0]],
        Some(&[b'{', 0xff, b'}']),
    );
    assert_eq!(r.status, 400);
    // Still alive and well after all that.
    assert_eq!(
        post(&p, &key, r#"{"customUserId":"user_1234"}"#).status,
        200
    );
}

#[test]
fn jwt_caller_gets_own_ticket_and_403_for_another() {
    let p = Process::http(
        BIN,
        &[
            (
                "CUSTOMAUTH_CREDENTIALS",
                &credentials_json("k2048-pkcs8.pem", KID, ENV_ID),
            ),
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", JWT_SECRET),
            ("CUSTOMAUTH_JWT_ISSUER", "https://issuer.example"),
        ],
    )
    .expect("starts");
    let token =
        jwt(serde_json::json!({"sub": "user_777", "iss": "https://issuer.example", "exp": exp()}));
    let bearer = format!("Bearer {token}");
    let r = post(&p, &[("authorization", &bearer)], "");
    assert_eq!(r.status, 200, "{}", r.body);
    let claims = verifier()
        .verify(
            r.json()["ticket"].as_str().expect("ticket"),
            customauth::now_ms(),
        )
        .expect("verifies");
    assert_eq!(claims.uid.as_str(), "user_777");

    let r = post(
        &p,
        &[("authorization", &bearer)],
        r#"{"customUserId":"user_778"}"#,
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post(
        &p,
        &[("authorization", &bearer)],
        r#"{"customUserId":"user_777"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let wrong_iss =
        jwt(serde_json::json!({"sub": "user_777", "iss": "https://evil.example", "exp": exp()}));
    let r = post(&p, &[("authorization", &format!("Bearer {wrong_iss}"))], "");
    assert_eq!(r.status, 401, "{}", r.body);
}

/// A field of the wrong type is named (our name, never the value); an
/// unknown key is refused without being quoted.
#[test]
fn a_mistyped_field_is_named_and_an_unknown_key_is_not_echoed() {
    let p = api_key_process(&[]);
    let key = [("x-api-key", API_KEY)];
    for (body, field, value) in [
        (
            r#"{"customUserId":"user_1234","refresh":"3600000"}"#,
            "refresh",
            "3600000",
        ),
        (
            r#"{"customUserId":"user_1234","expire":[1893456000000]}"#,
            "expire",
            "1893456000000",
        ),
        (r#"{"customUserId":12345678}"#, "customUserId", "12345678"),
        (
            r#"{"customUserId":"user_1234","refresh":null}"#,
            "refresh",
            "null",
        ),
    ] {
        let r = post(&p, &key, body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        let v = r.json();
        assert_eq!(v["code"], "INVALID_REQUEST", "{body}");
        let message = v["message"].as_str().expect("message");
        assert!(
            message.contains(&format!("field \"{field}\" has the wrong type")),
            "{body}: {message}"
        );
        assert!(!message.contains(value), "{body}: {message}");
    }
    let r = post(
        &p,
        &key,
        r#"{"customUserId":"user_1234","unknown-SECRET-0123":1}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json()["message"],
        "unknown field; the allowed fields are customUserId, refresh, expire"
    );
}

#[test]
fn cors_answers_allowed_origins_only_and_is_off_unless_configured() {
    const ALLOWED: &str = "http://127.0.0.1:5173";
    let p = api_key_process(&[("CUSTOMAUTH_CORS_ALLOWED_ORIGINS", ALLOWED)]);
    let preflight = |origin: &str| {
        request(
            "OPTIONS",
            &p.url("/createTicket"),
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "x-api-key,content-type"),
            ],
            None,
        )
    };
    let r = preflight(ALLOWED);
    assert!(r.status < 300, "{} {}", r.status, r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    let r = post(
        &p,
        &[("x-api-key", API_KEY), ("origin", ALLOWED)],
        r#"{"customUserId":"user_1234"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some(ALLOWED));
    assert!(r.header("vary").is_some_and(|v| v.contains("origin")));

    let other = "http://127.0.0.1:5174";
    assert_eq!(preflight(other).header("access-control-allow-origin"), None);
    let r = post(
        &p,
        &[("x-api-key", API_KEY), ("origin", other)],
        r#"{"customUserId":"user_1234"}"#,
    );
    assert_eq!(r.header("access-control-allow-origin"), None);

    let plain = api_key_process(&[]);
    let r = request(
        "OPTIONS",
        &plain.url("/createTicket"),
        &[("origin", ALLOWED)],
        None,
    );
    assert_eq!(r.status, 405, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), None);

    let (code, out) = refuses_to_start(
        BIN,
        &[
            ("CUSTOMAUTH_CORS_ALLOWED_ORIGINS", "*"),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
        ],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("CUSTOMAUTH_CORS_ALLOWED_ORIGINS"), "{out}");
}
