//! create-ticket as a real process when things go wrong: its credentials
//! source down, silent or holding garbage at cold start, and SIGTERM while a
//! request is half sent.
//!
//! The AWS cases reach a loopback address only: a closed port, a listener of
//! this test that never answers, or moto (`pip install 'moto[server]'`, see
//! requirements-dev.txt) on a free port. The process gets static AWS
//! credentials and `AWS_ENDPOINT_URL`, so the SDK's default chain never looks
//! further. Elapsed times are printed (`--nocapture`) and only bounded: a
//! cold start that hangs fails the test, a slow one does not.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use customauth::{SigningKey, TicketSigner};
use customauth_testkit::{
    MOTO_INSTALL, MotoServer, Process, credentials_json, fixture, free_port, python, request,
};

const BIN: &str = env!("CARGO_BIN_EXE_create-ticket");
const API_KEY: &str = "faults-api-key-0123456789abcdef";
const KID: &str = "kid-faults";
const ENV_ID: &str = "env-faults";
const SECRET_ID: &str = "customauth/faults/credentials";
const AWS_ACCESS_KEY_ID: &str = "AKIAFAULTSTEST000001";
const AWS_SECRET_ACCESS_KEY: &str = "faultsSecretAccessKey/0123456789abcdefXYZ";
const REGION: &str = "us-east-1";
/// Longest a failing cold start may take before it counts as a hang. The
/// loader's own limits (2 s connect, 3 s per attempt, 10 s per call, 3
/// attempts) put the expected worst case near 12 s.
const BOUND: Duration = Duration::from_secs(60);

/// The environment of a create-ticket whose credentials are the Secrets
/// Manager secret [`SECRET_ID`] behind `endpoint`.
fn remote_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("CUSTOMAUTH_CREDENTIALS_SECRET_ID", SECRET_ID),
        ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
        ("CUSTOMAUTH_API_KEYS", API_KEY),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET_ACCESS_KEY),
        // Keep the SDK away from the developer's own AWS files and from IMDS.
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("HOST", "127.0.0.1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// Runs create-ticket with `env` until it exits by itself (at most
/// [`BOUND`]): its exit code, how long it took, and its output.
fn cold_start(env: &[(String, String)]) -> (Option<i32>, Duration, String) {
    let port = free_port();
    let mut env = env.to_vec();
    env.push(("PORT".into(), port.to_string()));
    let started = Instant::now();
    let mut p = Process::spawn(BIN, &env, port).expect("spawns");
    let code = p.wait_exit(BOUND);
    (code, started.elapsed(), p.logs())
}

/// The output holds none of the secrets the process was given.
#[track_caller]
fn assert_no_secret(out: &str, extra: &[&str]) {
    for secret in [AWS_SECRET_ACCESS_KEY, API_KEY].iter().chain(extra) {
        assert!(!out.contains(secret), "secret {secret:?} in: {out}");
    }
}

fn pem_body_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn source_down_at_cold_start_exits_2_naming_the_secret() {
    // A port that was free a moment ago: nothing listens, connects are refused.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let (code, elapsed, out) = cold_start(&remote_env(&endpoint));
    println!(
        "source down: exit {code:?} after {elapsed:?}: {}",
        out.trim()
    );
    assert!(elapsed < BOUND, "no exit within {BOUND:?}: {out}");
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains(SECRET_ID), "the secret is not named: {out}");
    assert!(
        out.contains("Secrets Manager"),
        "the source is not named: {out}"
    );
    let lower = out.to_lowercase();
    assert!(
        lower.contains("cannot reach") || lower.contains("unreachable"),
        "does not say the source is unreachable: {out}"
    );
    assert_no_secret(&out, &[]);
}

/// A TCP listener that accepts and never answers; stops with the guard.
struct Silent {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Silent {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            let deadline = Instant::now() + BOUND + Duration::from_secs(10);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            held.len()
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops accepting; how many connections were held.
    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok()).unwrap_or(0)
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn silent_source_at_cold_start_fails_within_the_bound() {
    let silent = Silent::start();
    let (code, elapsed, out) = cold_start(&remote_env(&format!("http://{}", silent.addr)));
    let connections = silent.finish();
    println!(
        "silent source: exit {code:?} after {elapsed:?}, {connections} connections: {}",
        out.trim()
    );
    assert!(elapsed < BOUND, "no exit within {BOUND:?}: {out}");
    assert!(connections >= 1, "the process never connected: {out}");
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains(SECRET_ID), "the secret is not named: {out}");
    assert!(
        out.contains("timed out"),
        "does not say it timed out: {out}"
    );
    assert_no_secret(&out, &[]);
}

// ---------------------------------------------------------------------------
// moto

/// moto, set up through boto3 (which moto depends on).
struct Moto(MotoServer);

impl Moto {
    fn start() -> Self {
        Self(MotoServer::start())
    }

    fn endpoint(&self) -> &str {
        &self.0.endpoint
    }

    /// Creates secret `id` holding `value` through moto's HTTP API (boto3,
    /// which moto depends on). The value goes through stdin, not argv.
    fn create_secret(&self, id: &str, value: &str) {
        const SCRIPT: &str = "import sys, boto3\n\
            c = boto3.client('secretsmanager', endpoint_url=sys.argv[1], region_name=sys.argv[2],\n\
                             aws_access_key_id='test', aws_secret_access_key='test')\n\
            c.create_secret(Name=sys.argv[3], SecretString=sys.stdin.read())\n";
        let mut child = Command::new(python())
            .args(["-c", SCRIPT, self.endpoint(), REGION, id])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}; {MOTO_INSTALL}", python()));
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(value.as_bytes())
            .expect("write the secret value");
        let out = child.wait_with_output().expect("boto3 finishes");
        assert!(
            out.status.success(),
            "boto3 create_secret failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn malformed_credentials_in_secrets_manager_exit_2_naming_the_source() {
    let moto = Moto::start();
    let pem = fixture("keys/k2048-pkcs8.pem");
    let good = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let broken_key = credentials_json("k2048-pkcs8.pem", KID, ENV_ID).replacen("MII", "MIJ", 1);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "truncated JSON",
            good[..good.len() / 2].to_owned(),
            "not valid JSON",
        ),
        ("not JSON", format!("private_key={pem}"), "not valid JSON"),
        (
            "a JSON array",
            format!("[{}]", serde_json::json!(pem)),
            "expected a JSON object",
        ),
        (
            "no private_key",
            serde_json::json!({"private_key_id": KID, "env_id": ENV_ID, "key": pem}).to_string(),
            "private_key",
        ),
        ("a broken key", broken_key, "private_key"),
    ];
    let mut secrets = pem_body_lines(&pem);
    secrets.push(good.clone());
    for (i, (what, value, says)) in cases.iter().enumerate() {
        let id = format!("{SECRET_ID}-{i}");
        moto.create_secret(&id, value);
        let mut env = remote_env(moto.endpoint());
        env.retain(|(k, _)| k != "CUSTOMAUTH_CREDENTIALS_SECRET_ID");
        env.push(("CUSTOMAUTH_CREDENTIALS_SECRET_ID".into(), id.clone()));
        let (code, elapsed, out) = cold_start(&env);
        println!("{what}: exit {code:?} after {elapsed:?}: {}", out.trim());
        assert_eq!(code, Some(2), "{what}: {out}");
        assert!(
            out.contains(&format!("Secrets Manager secret {id}")),
            "{what}: the source is not named: {out}"
        );
        assert!(out.contains(says), "{what}: {says:?} not in: {out}");
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        assert_no_secret(&out, &refs);
        assert!(
            !out.contains(value.as_str()),
            "{what}: the secret value is echoed: {out}"
        );
    }
    // The same secret, well formed, starts: the failures above were the value's.
    let id = format!("{SECRET_ID}-good");
    moto.create_secret(&id, &good);
    let mut env = remote_env(moto.endpoint());
    env.retain(|(k, _)| k != "CUSTOMAUTH_CREDENTIALS_SECRET_ID" && k != "HOST");
    env.push(("CUSTOMAUTH_CREDENTIALS_SECRET_ID".into(), id));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p = Process::http(BIN, &pairs).expect("starts with the well-formed secret");
    drop(p);
}

/// At trace level the AWS SDK logs its requests and responses; the secret's
/// value (the private key) and the AWS credentials must not be among them.
#[test]
fn trace_logs_of_a_secrets_manager_cold_start_hold_no_secret() {
    let moto = Moto::start();
    let pem = fixture("keys/k2048-pkcs8.pem");
    let value = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    moto.create_secret(SECRET_ID, &value);
    let mut env = remote_env(moto.endpoint());
    env.retain(|(k, _)| k != "HOST");
    env.push(("RUST_LOG".into(), "trace".into()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut p = Process::http(BIN, &pairs).expect("starts");
    let r = request(
        "POST",
        &p.url("/createTicket"),
        &[("x-api-key", API_KEY), ("content-type", "application/json")],
        Some(br#"{"customUserId":"user_1234"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let (code, out) = p.finish();
    assert_eq!(code, Some(0), "{out}");
    // The SDK did log at trace level: the check below is not vacuous.
    assert!(out.contains("GetSecretValue"), "no SDK trace: {out}");
    assert!(out.contains("credentials loaded"), "{out}");
    let mut secrets = pem_body_lines(&pem);
    secrets.push(value);
    let ticket = r.json()["ticket"].as_str().expect("ticket").to_owned();
    secrets.push(ticket);
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(&out, &refs);
}

// ---------------------------------------------------------------------------
// SIGTERM with a request in flight

fn verifier() -> customauth::TicketVerifier {
    let key = SigningKey::from_pem(&fixture("keys/k2048-pkcs8.pem")).expect("key");
    TicketSigner::new(KID, ENV_ID, key).verifier()
}

/// Waits (bounded) until the log file at `log` contains `line`.
fn wait_for_log(log: &Path, line: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(line) {
            return text;
        }
        assert!(Instant::now() < deadline, "{line:?} never logged: {text}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_lets_a_half_sent_request_finish_and_refuses_new_connections() {
    let creds = credentials_json("k2048-pkcs8.pem", KID, ENV_ID);
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS", &creds),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
        ],
    )
    .expect("starts");
    let port = p.port;
    let log = p.log.clone();

    // Headers and half the body.
    let body = br#"{"customUserId":"user_1234","refresh":600000}"#;
    let (first, rest) = body.split_at(body.len() / 2);
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let head = format!(
        "POST /createTicket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nX-Api-Key: {API_KEY}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).expect("headers");
    conn.write_all(first).expect("half the body");
    conn.flush().expect("flush");
    // Let the server read the headers: the request is then in flight.
    std::thread::sleep(Duration::from_millis(500));

    // SIGTERM; the testkit waits for the exit in the background.
    let started = Instant::now();
    let mut p = p;
    let exit = std::thread::spawn(move || {
        let code = p.terminate();
        (code, p.logs())
    });
    wait_for_log(&log, "shutdown signal received");
    wait_for_log(&log, "shutting down");

    // The listener is closed: a new connection is refused.
    let refused = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    );
    assert!(
        refused.is_err(),
        "a new connection was accepted after SIGTERM"
    );

    // The rest of the body: the request in flight completes.
    conn.write_all(rest).expect("the rest of the body");
    conn.flush().expect("flush");
    let mut response = String::new();
    conn.read_to_string(&mut response)
        .expect("a complete response");
    let (status_and_headers, json) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header/body split: {response:?}"));
    assert!(
        status_and_headers.starts_with("HTTP/1.1 200"),
        "{status_and_headers}"
    );
    let length: usize = status_and_headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().expect("a length"))
        })
        .expect("content-length");
    assert_eq!(json.len(), length, "the body is cut: {json}");
    let value: serde_json::Value = serde_json::from_str(json).expect("JSON body");
    let ticket = value["ticket"].as_str().expect("a ticket");
    let claims = verifier()
        .verify(ticket, customauth::now_ms())
        .expect("the ticket verifies");
    assert_eq!(claims.uid.as_str(), "user_1234");
    assert_eq!(claims.refresh, 600_000);

    let (code, logs) = exit.join().expect("terminate thread");
    println!(
        "SIGTERM with a request in flight: exit {code:?} {:?} after the signal",
        started.elapsed()
    );
    assert_eq!(code, Some(0), "{logs}");
    assert!(!logs.contains(ticket), "the ticket is in the log");
}
