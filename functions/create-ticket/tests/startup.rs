//! create-ticket starting and stopping in HTTP mode: each configuration it
//! refuses (naming the variable, never the secret), each credentials source,
//! `--help`/`--version`, SIGTERM.

mod common;

use common::*;
use customauth_testkit::{Process, credentials_json, fixture, refuses_to_start};

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
