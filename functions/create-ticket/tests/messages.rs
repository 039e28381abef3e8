//! What create-ticket says when something is wrong: each message names what
//! to change (a variable, a header), and every answer ends with a newline.

use std::net::TcpListener;

use customauth_testkit::{
    Process, RuntimeApi, credentials_json, fixture, free_port, lambda_env, refuses_to_start,
    request,
};

const BIN: &str = env!("CARGO_BIN_EXE_create-ticket");
const API_KEY: &str = "test-api-key-0123456789abcdef";

fn api_key_env(creds: &str) -> Vec<(&str, &str)> {
    vec![
        ("CUSTOMAUTH_CREDENTIALS", creds),
        ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
        ("CUSTOMAUTH_API_KEYS", API_KEY),
    ]
}

#[test]
fn a_busy_port_exits_2_naming_the_address_and_the_variable() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = taken.local_addr().expect("addr").port().to_string();
    let creds = credentials_json("k2048-pkcs8.pem", "kid", "env-m");
    let mut env = api_key_env(&creds);
    env.extend([("HOST", "127.0.0.1"), ("PORT", port.as_str())]);
    let (code, out) = refuses_to_start(BIN, &env);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{out}"
    );
    assert!(out.contains("set PORT"), "{out}");
}

#[test]
fn the_not_set_message_lists_only_the_modes_create_ticket_takes() {
    let (code, out) = refuses_to_start(BIN, &[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("CUSTOMAUTH_CALLER_AUTH is not set: set it to jwt, gateway, api-key or none"),
        "{out}"
    );
    // The CloudBase modes are get-user-info's; create-ticket refuses them.
    assert!(!out.contains("cloudbase"), "{out}");
}

#[test]
fn a_401_names_the_headers_api_key_mode_expects_and_answers_end_with_a_newline() {
    let creds = credentials_json("k2048-pkcs8.pem", "kid", "env-m");
    let p = Process::http(BIN, &api_key_env(&creds)).expect("starts");
    let json = [("content-type", "application/json")];
    let body = br#"{"customUserId":"user_1234"}"#;
    for headers in [
        vec![],
        vec![("authorization", "Bearer not-the-key-0123456789ab")],
    ] {
        let mut all = json.to_vec();
        all.extend(headers);
        let r = request("POST", &p.url("/"), &all, Some(body));
        assert_eq!(r.status, 401, "{}", r.body);
        let message = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(
            message.ends_with(
                "this function expects X-Api-Key: <API key> or Authorization: Bearer <API key>"
            ),
            "{message}"
        );
        assert!(r.body.ends_with("}\n"), "{:?}", r.body);
    }
    let r = request(
        "POST",
        &p.url("/"),
        &[("content-type", "application/json"), ("x-api-key", API_KEY)],
        Some(body),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.ends_with("}\n"), "{:?}", r.body);
}

#[test]
fn lambda_mode_honours_max_concurrency_without_a_warning() {
    // cargo lambda watch sets AWS_LAMBDA_MAX_CONCURRENCY=1 for every function.
    let api = RuntimeApi::start();
    let mut env = lambda_env(&api, "create-ticket");
    env.extend([
        (
            "CUSTOMAUTH_CREDENTIALS".to_owned(),
            credentials_json("k2048-pkcs1.pem", "kid-l", "env-l"),
        ),
        ("CUSTOMAUTH_CALLER_AUTH".to_owned(), "gateway".to_owned()),
        ("AWS_LAMBDA_MAX_CONCURRENCY".to_owned(), "1".to_owned()),
    ]);
    let mut p = Process::spawn(BIN, &env, free_port()).expect("starts");
    let resp = api
        .invoke(&fixture("events/apigw-v2-create-ticket-jwt.json"))
        .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));
    assert_eq!(resp["statusCode"], 200, "{resp}");
    let (_, logs) = p.finish();
    assert!(!logs.contains("AWS_LAMBDA_MAX_CONCURRENCY"), "{logs}");
}

#[test]
fn an_empty_credentials_file_is_called_empty() {
    let path = std::env::temp_dir().join(format!("customauth-empty-{}.json", std::process::id()));
    std::fs::write(&path, "").expect("writes");
    let file = path.to_string_lossy().into_owned();
    let (code, out) = refuses_to_start(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS_FILE", file.as_str()),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
        ],
    );
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains(&format!("credentials file {file} is empty")),
        "{out}"
    );
    assert!(!out.contains("not valid JSON"), "{out}");
}
