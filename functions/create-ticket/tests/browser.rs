//! createTicket called from a web page on another origin, in a real headless
//! browser (Debian's chromium, driven by playwright-core from npm:
//! `tests/browser/`). The allowed origin gets a ticket that verifies; the
//! browser blocks the other one.

use std::path::Path;
use std::process::Command;

use customauth::{SigningKey, TicketSigner};
use customauth_testkit::{Process, credentials_json, fixture, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_create-ticket");
const API_KEY: &str = "test-api-key-0123456789abcdef";

#[test]
fn a_page_on_an_allowed_origin_gets_a_ticket_and_another_origin_is_blocked() {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `npm ci --prefix tests/browser` (make deps does)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "chromium is not installed: apt-get install chromium (.ci/run does)"
    );
    let (allowed, other) = (free_port(), free_port());
    let allowed_origin = format!("http://127.0.0.1:{allowed}");
    let creds = credentials_json("k2048-pkcs8.pem", "kid-browser", "env-browser");
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS", creds.as_str()),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
            ("CUSTOMAUTH_CORS_ALLOWED_ORIGINS", &allowed_origin),
        ],
    )
    .expect("starts");

    let out = Command::new("node")
        .arg(browser_dir.join("cors.mjs"))
        .env("CREATE_TICKET_URL", p.url("/createTicket"))
        .env("API_KEY", API_KEY)
        .env("PAGE_PORTS", format!("{allowed},{other}"))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");

    let ok = &results[&allowed_origin];
    assert_eq!(ok["status"], 200, "{results}");
    let ticket = ok["ticket"].as_str().expect("a ticket");
    let key = SigningKey::from_pem(&fixture("keys/k2048-pkcs8.pem")).expect("key");
    let claims = TicketSigner::new("kid-browser", "env-browser", key)
        .verifier()
        .verify(ticket, customauth::now_ms())
        .expect("the ticket verifies");
    assert_eq!(claims.uid.as_str(), "browser_user_1");

    let blocked = &results[&format!("http://127.0.0.1:{other}")];
    assert!(
        blocked["error"]
            .as_str()
            .is_some_and(|e| e.contains("Failed to fetch")),
        "the browser must block the other origin: {results}"
    );
    assert!(blocked.get("ticket").is_none(), "{results}");
}
