//! jwt mode against a real OpenID provider: node-oidc-provider from npm
//! (`tests/oidc/`), on loopback. getUserInfo and createTicket find its keys by
//! OpenID discovery, verify the JWT access tokens it issues, and follow a key
//! rotation (the provider restarted with a new signing key and without the
//! old one) on the first request that carries a token of the new key.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use customauth_testkit::{Process, binary, credentials_json, free_port, refuses_to_start, request};

const BIN: &str = env!("CARGO_BIN_EXE_get-user-info");
const CLIENT_ID: &str = "oidc_user_1";
const CLIENT_SECRET: &str = "a-client-secret-for-the-loopback-provider";
const AUDIENCE: &str = "customauth-oidc-test";

/// The provider process; killed on drop.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn oidc_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "oidc-provider is not installed: run `npm ci --prefix tests/oidc` (make deps does)"
    );
    dir
}

impl Provider {
    /// Starts the provider on `port`, publishing `kids` (the first signs).
    fn start(port: u16, key_dir: &Path, kids: &str) -> Self {
        let mut child = Command::new("node")
            .arg(oidc_dir().join("provider.mjs"))
            .env("PORT", port.to_string())
            .env("KEY_DIR", key_dir)
            .env("KIDS", kids)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && let Some(issuer) = v["issuer"].as_str()
                {
                    let _ = tx.send(issuer.to_owned());
                }
            }
        });
        let issuer = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the provider says it listens");
        Self { child, issuer }
    }

    /// A JWT access token from the client_credentials grant (sub = the client id).
    fn token(&self) -> String {
        let body = format!(
            "grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&scope=api"
        );
        let r = request(
            "POST",
            &format!("{}/token", self.issuer),
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(body.as_bytes()),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }
}

fn kid_of(token: &str) -> String {
    use base64::Engine as _;
    let head = token.split('.').next().expect("a JWT");
    let head = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head)
        .expect("base64url");
    let head: serde_json::Value = serde_json::from_slice(&head).expect("JSON");
    head["kid"].as_str().expect("a kid").to_owned()
}

fn user_info(p: &Process, token: &str) -> (u16, serde_json::Value) {
    let bearer = format!("Bearer {token}");
    let r = request(
        "GET",
        &p.url("/getUserInfo"),
        &[("authorization", &bearer)],
        None,
    );
    (r.status, r.json())
}

#[test]
fn discovery_verification_and_rotation_against_node_oidc_provider() {
    let keys = std::env::temp_dir().join(format!("customauth-oidc-keys-{}", std::process::id()));
    std::fs::create_dir_all(&keys).expect("key dir");
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let env = [
        ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
        ("CUSTOMAUTH_JWT_OIDC_ISSUER", issuer.as_str()),
        ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
        ("CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS", "1"),
    ];
    // The provider is down at start: the function starts anyway and answers
    // 503 with Retry-After (the caller is not at fault) until the keys arrive.
    let p = Process::http(BIN, &env).expect("starts without its provider");
    let r = request(
        "GET",
        &p.url("/getUserInfo"),
        &[("authorization", "Bearer a.b.c")],
        None,
    );
    let fake = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im9pZGMta2V5LTEifQ.e30.c2ln";
    let r2 = request(
        "GET",
        &p.url("/getUserInfo"),
        &[("authorization", &format!("Bearer {fake}"))],
        None,
    );
    assert_eq!(r.status, 401, "a malformed token needs no keys: {}", r.body);
    assert_eq!(r2.status, 503, "{}", r2.body);
    assert_eq!(r2.json()["code"], "UNAVAILABLE");
    assert!(r2.header("retry-after").is_some(), "{:?}", r2.headers);

    let provider = Provider::start(port, &keys, "oidc-key-1");
    assert_eq!(provider.issuer, issuer);
    // Discovery, then a token the provider issued.
    let token = provider.token();
    assert_eq!(kid_of(&token), "oidc-key-1");
    let mut answer = user_info(&p, &token);
    for _ in 0..50 {
        if answer.0 != 503 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        answer = user_info(&p, &token);
    }
    let (status, body) = answer;
    assert_eq!(status, 200, "recovered once the provider answers: {body}");
    assert_eq!(body["customUserId"], CLIENT_ID);
    assert_eq!(body["uid"], CLIENT_ID);

    // createTicket takes the same settings and signs for the token's subject.
    let creds = credentials_json("k2048-pkcs8.pem", "kid-oidc", "env-oidc");
    let mut ticket_env = env.to_vec();
    ticket_env.push(("CUSTOMAUTH_CREDENTIALS", creds.as_str()));
    let ct = Process::http(&binary("create-ticket"), &ticket_env).expect("create-ticket starts");
    let bearer = format!("Bearer {token}");
    let r = request(
        "POST",
        &ct.url("/createTicket"),
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
        ],
        Some(b"{}"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["customUserId"], CLIENT_ID);

    // The provider rotates: it now signs with oidc-key-2 and no longer
    // publishes oidc-key-1. The first request with a new token is accepted,
    // once the min-refresh interval (1 s here) has passed since the last
    // fetch: an unknown kid refetches at most that often. On a fast machine
    // the recovery fetch above can be under a second old by now.
    std::thread::sleep(Duration::from_millis(1100));
    drop(provider);
    let provider = Provider::start(port, &keys, "oidc-key-2");
    let new_token = provider.token();
    assert_eq!(kid_of(&new_token), "oidc-key-2");
    let (status, body) = user_info(&p, &new_token);
    assert_eq!(status, 200, "the first token of the new key: {body}");
    assert_eq!(body["customUserId"], CLIENT_ID);
    // That refetch brought the set without oidc-key-1: its tokens are refused.
    let (status, body) = user_info(&p, &token);
    assert_eq!(status, 401, "{body}");

    let _ = std::fs::remove_dir_all(&keys);
}

#[test]
fn a_plain_http_provider_that_is_not_loopback_is_refused_at_start() {
    for (var, url) in [
        ("CUSTOMAUTH_JWT_OIDC_ISSUER", "http://idp.example.com"),
        (
            "CUSTOMAUTH_JWT_JWKS_URL",
            "http://idp.example.com/jwks.json",
        ),
    ] {
        let (code, logs) = refuses_to_start(
            BIN,
            &[
                ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
                (var, url),
                ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
                ("HOST", "127.0.0.1"),
                ("PORT", &free_port().to_string()),
            ],
        );
        assert_eq!(code, Some(2), "{logs}");
        assert!(logs.contains(var) && logs.contains("loopback"), "{logs}");
    }
}
