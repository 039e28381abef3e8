//! create-ticket's logs in HTTP mode: no secret at the trace level, and a
//! stalled log sink stalls no request and loses no audit line.

mod common;

use common::*;
use customauth_testkit::{Process, credentials_json, fixture};

#[test]
fn trace_logs_hold_no_secret() {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let mut p = Process::http(
        BIN,
        &[api_key_env(&creds), vec![("RUST_LOG", "trace")]].concat(),
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

/// A log sink that stops reading (a full pipe, a paused log collector) must
/// not stall request handling, and no audit line may be lost meanwhile. Linux
/// pipes hold 64 KiB, about 250 audit lines: a server that wrote its logs
/// in the request path would hang on the 250th request.
#[test]
fn a_stalled_log_sink_neither_stalls_requests_nor_loses_audit_lines() {
    const REQUESTS: usize = 1000;
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let mut p = Process::http_with_stalled_stderr(BIN, &api_key_env(&creds)).expect("starts");
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
