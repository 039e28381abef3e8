//! create-ticket as a real process in HTTP mode, called with a real HTTP client.

use customauth::{CustomUserId, SigningKey, TicketSigner};
use customauth_testkit::{Process, credentials_json, fixture, refuses_to_start, request};

const BIN: &str = env!("CARGO_BIN_EXE_create-ticket");
const API_KEY: &str = "test-api-key-0123456789abcdef";
const JWT_SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";
const KID: &str = "kid-e2e";
const ENV_ID: &str = "env-e2e";

fn verifier() -> customauth::TicketVerifier {
    let key = SigningKey::from_pem(&fixture("keys/k2048-pkcs8.pem")).expect("key");
    TicketSigner::new(KID, ENV_ID, key).verifier()
}

fn api_key_process(extra: &[(&str, &str)]) -> Process {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let mut env = vec![
        ("CUSTOMAUTH_CREDENTIALS", creds.as_str()),
        ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
        ("CUSTOMAUTH_API_KEYS", API_KEY),
    ];
    env.extend_from_slice(extra);
    Process::http(BIN, &env).expect("starts")
}

fn post(p: &Process, headers: &[(&str, &str)], body: &str) -> customauth_testkit::Reply {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    request("POST", &p.url("/createTicket"), &h, Some(body.as_bytes()))
}

fn jwt(claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("encodes")
}

fn exp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 600
}

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

#[test]
fn gateway_mode_outside_lambda_refuses_to_start() {
    // No authorizer ever puts an identity in a plain HTTP request: a gateway
    // mode server there could authenticate nobody, so it does not start.
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let (code, out) = refuses_to_start(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS", creds.as_str()),
            ("CUSTOMAUTH_CALLER_AUTH", "gateway"),
        ],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("CUSTOMAUTH_CALLER_AUTH=gateway"), "{out}");
    assert!(out.contains("HTTP mode"), "{out}");
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
fn weak_api_keys_refuse_to_start_naming_the_entry_not_the_key() {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    for weak in [
        "aaaaaaaaaaaaaaaaaaaaaaaa",
        "1234567812345678",
        "0123456789abcde0",
    ] {
        let keys = format!("{API_KEY},{weak}");
        let (code, out) = refuses_to_start(
            BIN,
            &[
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
                ("CUSTOMAUTH_API_KEYS", &keys),
            ],
        );
        assert_eq!(code, Some(2), "{weak}: {out}");
        assert!(out.contains("CUSTOMAUTH_API_KEYS"), "{out}");
        assert!(out.contains("entry 2"), "{out}");
        assert!(!out.contains(weak) && !out.contains(API_KEY), "{out}");
    }
}

#[test]
fn none_mode_only_with_explicit_allowance() {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let (code, out) = refuses_to_start(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS", &creds),
            ("CUSTOMAUTH_CALLER_AUTH", "none"),
        ],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("CUSTOMAUTH_ALLOW_INSECURE_NONE"), "{out}");
    let mut p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS", &creds),
            ("CUSTOMAUTH_CALLER_AUTH", "none"),
            ("CUSTOMAUTH_ALLOW_INSECURE_NONE", "1"),
        ],
    )
    .expect("starts");
    assert_eq!(post(&p, &[], r#"{"customUserId":"user_1234"}"#).status, 200);
    let (code, logs) = p.finish();
    assert_eq!(code, Some(0), "{logs}");
    assert!(logs.to_lowercase().contains("insecure"), "{logs}");
}

#[test]
fn every_credentials_source_works() {
    let dir = std::env::temp_dir().join(format!("customauth-e2e-src-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("c.json");
    std::fs::write(&file, credentials_json("k2048-pkcs8.pem", KID, ENV_ID)).expect("write");
    let pem = fixture("keys/k2048-pkcs8.pem").replace('\n', "\\n");
    let sources: Vec<Vec<(&str, String)>> = vec![
        vec![(
            "CUSTOMAUTH_CREDENTIALS_FILE",
            file.to_string_lossy().into_owned(),
        )],
        vec![(
            "CUSTOMAUTH_CREDENTIALS",
            credentials_json("k2048-pkcs8.pem", KID, ENV_ID),
        )],
        vec![
            ("TCB_CUSTOM_LOGIN_PRIVATE_KEY_ID", KID.into()),
            ("TCB_CUSTOM_LOGIN_PRIVATE_KEY", pem),
            ("TCB_CUSTOM_LOGIN_ENV_ID", ENV_ID.into()),
            ("CUSTOMAUTH_ENV", ENV_ID.into()),
        ],
    ];
    for source in sources {
        let mut env: Vec<(&str, &str)> = source.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.extend([
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
        ]);
        let p = Process::http(BIN, &env).expect("starts");
        let r = post(
            &p,
            &[("x-api-key", API_KEY)],
            r#"{"customUserId":"user_1234"}"#,
        );
        assert_eq!(r.status, 200, "{:?}: {}", source.first(), r.body);
        verifier()
            .verify(
                r.json()["ticket"].as_str().expect("ticket"),
                customauth::now_ms(),
            )
            .expect("verifies");
    }
}

#[test]
fn fail_closed_configurations_refuse_to_start_naming_the_variable() {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("CUSTOMAUTH_CREDENTIALS", &creds)],
            "CUSTOMAUTH_CALLER_AUTH",
        ),
        (
            vec![
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_CALLER_AUTH", "open"),
            ],
            "CUSTOMAUTH_CALLER_AUTH",
        ),
        (
            vec![
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ],
            "CUSTOMAUTH_API_KEYS",
        ),
        (
            vec![
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ],
            "CUSTOMAUTH_JWT",
        ),
        (
            vec![
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
                ("CUSTOMAUTH_API_KEYS", API_KEY),
            ],
            "CUSTOMAUTH_CREDENTIALS_FILE",
        ),
        (
            vec![
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_CREDENTIALS_FILE", "/nope.json"),
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
                ("CUSTOMAUTH_API_KEYS", API_KEY),
            ],
            "CUSTOMAUTH_CREDENTIALS_FILE",
        ),
        (
            vec![
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_ENV", "other-env"),
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
                ("CUSTOMAUTH_API_KEYS", API_KEY),
            ],
            "CUSTOMAUTH_ENV",
        ),
        (
            vec![
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
                ("CUSTOMAUTH_API_KEYS", API_KEY),
                ("CUSTOMAUTH_MAX_REFRESH_MS", "soon"),
            ],
            "CUSTOMAUTH_MAX_REFRESH_MS",
        ),
        (
            vec![
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
                ("CUSTOMAUTH_API_KEYS", API_KEY),
                ("CUSTOMAUTH_TRUSTED_PROXIES", "10.0.0.0/33"),
            ],
            "CUSTOMAUTH_TRUSTED_PROXIES",
        ),
        (
            vec![
                ("CUSTOMAUTH_CREDENTIALS", &creds),
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
                ("CUSTOMAUTH_API_KEYS", API_KEY),
                ("PORT", "http"),
            ],
            "PORT",
        ),
        (
            vec![
                (
                    "CUSTOMAUTH_CREDENTIALS",
                    "{\"private_key_id\":\"k\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\",\"env_id\":\"e\"}",
                ),
                ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
                ("CUSTOMAUTH_API_KEYS", API_KEY),
            ],
            "private_key",
        ),
    ];
    for (env, needle) in cases {
        let (code, out) = refuses_to_start(BIN, &env);
        assert_eq!(code, Some(2), "{env:?}: {out}");
        assert!(out.contains(needle), "{needle} not in: {out}");
        assert!(!out.contains("BEGIN PRIVATE KEY"), "key material in: {out}");
    }
}

#[test]
fn trace_logs_hold_no_secret() {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let mut p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS", &creds),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
            ("RUST_LOG", "trace"),
        ],
    )
    .expect("starts");
    let r = post(
        &p,
        &[("authorization", &format!("Bearer {API_KEY}"))],
        r#"{"customUserId":"user_1234"}"#,
    );
    assert_eq!(r.status, 200);
    let ticket = r.json()["ticket"].as_str().expect("ticket").to_owned();
    let _ = post(
        &p,
        &[("x-api-key", "wrong-key-but-long-enough-0000")],
        r#"{"customUserId":"user_1234"}"#,
    );
    let (code, logs) = p.finish();
    assert_eq!(code, Some(0), "{logs}");
    assert!(
        logs.contains("ticket issued"),
        "audit event missing: {logs}"
    );
    assert!(logs.contains("user_1234"));
    let pem_body_line = fixture("keys/k2048-pkcs8.pem")
        .lines()
        .nth(1)
        .expect("a key line")
        .to_owned();
    let jwt_sig = ticket.rsplit('.').next().expect("signature").to_owned();
    for secret in [
        API_KEY,
        "wrong-key-but-long-enough-0000",
        &ticket,
        &jwt_sig,
        &pem_body_line,
    ] {
        assert!(!logs.contains(secret), "secret in logs: {secret}");
    }
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut p = api_key_process(&[]);
    assert_eq!(
        post(
            &p,
            &[("x-api-key", API_KEY)],
            r#"{"customUserId":"user_1234"}"#
        )
        .status,
        200
    );
    assert_eq!(p.terminate(), Some(0), "{}", p.logs());
}

/// A log sink that stops reading (a full pipe, a paused log collector) must
/// not stall request handling, and no audit line may be lost meanwhile. Linux
/// pipes hold 64 KiB, about 250 audit lines: a server that wrote its logs
/// in the request path would hang on the 250th request.
#[test]
fn a_stalled_log_sink_neither_stalls_requests_nor_loses_audit_lines() {
    const REQUESTS: usize = 1000;
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let mut p = Process::http_with_stalled_stderr(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS", &creds),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
        ],
    )
    .expect("starts");
    for i in 0..REQUESTS {
        let r = post(
            &p,
            &[("x-api-key", API_KEY)],
            r#"{"customUserId":"user_1234"}"#,
        );
        assert_eq!(r.status, 200, "request {i}: {}", r.body);
    }
    // The collector comes back: everything queued reaches it.
    let mut stderr = p.take_stderr().expect("a pipe");
    let reader = std::thread::spawn(move || {
        let mut logs = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut logs).expect("reads");
        logs
    });
    assert_eq!(p.terminate(), Some(0));
    let logs = reader.join().expect("reader");
    assert_eq!(logs.matches("ticket issued").count(), REQUESTS);
}

#[test]
fn help_and_version_print_and_exit_without_serving() {
    let run = |arg: &str| {
        std::process::Command::new(BIN)
            .arg(arg)
            .env_clear()
            .output()
            .expect("runs")
    };
    let help = run("--help");
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for var in [
        "CUSTOMAUTH_CALLER_AUTH",
        "CUSTOMAUTH_CREDENTIALS_FILE",
        "TCB_CUSTOM_LOGIN_PRIVATE_KEY",
        "CUSTOMAUTH_API_KEYS_SECRET_ID",
        "CUSTOMAUTH_MAX_REFRESH_MS",
        "CUSTOMAUTH_TRUSTED_PROXIES",
        "CUSTOMAUTH_FORWARDED_HEADER",
        "CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE",
        "PORT",
    ] {
        assert!(text.contains(var), "--help does not list {var}: {text}");
    }
    let version = run("--version");
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("create-ticket {}", env!("CARGO_PKG_VERSION"))
    );
    let unknown = run("--port=1");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--port"));
}

#[test]
fn a_startup_error_is_printed_once_and_without_colour() {
    let (code, out) = refuses_to_start(BIN, &[]);
    assert_eq!(code, Some(2), "{out}");
    assert_eq!(
        out.matches("CUSTOMAUTH_CALLER_AUTH is not set").count(),
        1,
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "ANSI escapes in a log file: {out:?}"
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
