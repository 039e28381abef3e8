//! get-user-info against hostile clients and fail-open settings, as a real
//! process on loopback, each attack bounded in count and time: a forged
//! `X-Cloudbase-Context` from outside the gateway (HTTP and Lambda), contexts
//! that are not an authenticated end user, CloudBase endpoints that would
//! leak tokens or hide their host; in `cloudbase` mode, CloudBase unreachable
//! under a flood (no log line per request) and a flood of junk tokens against
//! a slow CloudBase (a new user is still answered).

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use customauth_testkit::{Process, RuntimeApi, free_port, lambda_env, refuses_to_start, request};

const BIN: &str = env!("CARGO_BIN_EXE_get-user-info");
const ENV: &str = "prod-1a2b";
const VICTIM: &str = "9f86d081884c7d659a2feaa0c55ad015";

/// The `X-Cloudbase-Context` header: base64 of gzip of the context JSON.
fn cloudbase_context(context: &serde_json::Value) -> String {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(context.to_string().as_bytes()).expect("gzip");
    base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"))
}

/// A context that names the victim as a signed-in end user.
fn forged(user_type: &str, wechat: bool) -> String {
    let mut context = serde_json::json!({
        "envId": ENV, "source": "web", "authMethod": "TCB_OAUTH2_C",
        "userType": user_type, "userId": VICTIM,
    });
    if wechat {
        context["wechatContext"] = serde_json::json!({"appId": "wx1", "openId": "o-victim"});
    }
    cloudbase_context(&context)
}

fn context_mode(gateway: &str) -> Process {
    Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
            ("CUSTOMAUTH_CLOUDBASE_ENV", ENV),
            ("CUSTOMAUTH_TRUSTED_PROXIES", gateway),
        ],
    )
    .expect("starts")
}

fn status_with_context(p: &Process, context: &str) -> u16 {
    request(
        "GET",
        &p.url("/getUserInfo"),
        &[("x-cloudbase-context", context)],
        None,
    )
    .status
}

#[test]
fn a_forged_cloudbase_context_from_outside_the_gateway_is_401() {
    // The gateway is 10.0.0.0/8; this client (127.0.0.1) is not it.
    let p = context_mode("10.0.0.0/8");
    for context in [forged("C_SIDE_USER", false), forged("C_SIDE_USER", true)] {
        let r = request(
            "GET",
            &p.url("/getUserInfo"),
            &[("x-cloudbase-context", &context)],
            None,
        );
        assert_eq!(r.status, 401, "a forged context was believed: {}", r.body);
        assert!(!r.body.contains(VICTIM), "{}", r.body);
    }
    // The honest twin: the same header from the gateway's address.
    let gateway = context_mode("127.0.0.1");
    let r = request(
        "GET",
        &gateway.url("/getUserInfo"),
        &[("x-cloudbase-context", &forged("C_SIDE_USER", false))],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["uid"], VICTIM);
}

#[test]
fn unauthenticated_administrator_and_unknown_contexts_are_401() {
    let p = context_mode("127.0.0.1");
    for user_type in ["NONE", "B_SIDE_USER", "ANONYMOUS_SERVICE"] {
        assert_eq!(
            status_with_context(&p, &forged(user_type, true)),
            401,
            "userType {user_type} with a WeChat openId was accepted"
        );
    }
    assert_eq!(status_with_context(&p, &forged("C_SIDE_USER", true)), 200);
}

#[test]
fn cloudbase_context_mode_refuses_to_start_without_the_gateways_range() {
    let (code, out) = refuses_to_start(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
            ("CUSTOMAUTH_CLOUDBASE_ENV", ENV),
        ],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("CUSTOMAUTH_TRUSTED_PROXIES"), "{out}");
    assert!(
        out.contains("get-client-ip"),
        "no hint how to find the range: {out}"
    );
}

#[test]
fn cloudbase_context_mode_refuses_to_start_on_lambda() {
    let api = RuntimeApi::start();
    let mut env = lambda_env(&api, "get-user-info");
    for (k, v) in [
        ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
        ("CUSTOMAUTH_CLOUDBASE_ENV", ENV),
        ("CUSTOMAUTH_TRUSTED_PROXIES", "10.0.0.0/8"),
    ] {
        env.push((k.into(), v.into()));
    }
    let mut p = Process::spawn(BIN, &env, free_port()).expect("spawns");
    let code = p.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(2), "it serves Lambda events: {}", p.logs());
    assert!(p.logs().contains("Lambda"), "{}", p.logs());
}

#[test]
fn cloudbase_endpoints_that_leak_tokens_or_hide_their_host_refuse_to_start() {
    for endpoint in [
        "http://evil.example#@127.0.0.1",
        "http://127.0.0.1:9#@192.0.2.1",
        "https://user:secret@tcb.example",
        "http://192.0.2.10:9100",
    ] {
        let (code, out) = refuses_to_start(
            BIN,
            &[
                ("CUSTOMAUTH_CALLER_AUTH", "cloudbase"),
                ("CUSTOMAUTH_CLOUDBASE_ENV", ENV),
                ("CUSTOMAUTH_CLOUDBASE_ENDPOINT", endpoint),
            ],
        );
        assert_eq!(code, Some(2), "{endpoint} was accepted: {out}");
        assert!(out.contains("CUSTOMAUTH_CLOUDBASE_ENDPOINT"), "{out}");
        assert!(!out.contains("secret"), "{out}");
    }
    // The emulator on loopback still starts.
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "cloudbase"),
            ("CUSTOMAUTH_CLOUDBASE_ENV", ENV),
            ("CUSTOMAUTH_CLOUDBASE_ENDPOINT", "http://[::1]:9"),
        ],
    );
    assert!(p.is_ok(), "{p:?}");
}

// ---- cloudbase mode: an upstream that cannot answer, and one that is slow

/// A connection to get-user-info from `source` (a loopback address such as
/// 127.0.0.2: another client than the attacker's 127.0.0.1).
fn connect_from(source: &str, port: u16) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stream = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(format!("{source}:0").parse().expect("addr"))?;
            socket
                .connect(format!("127.0.0.1:{port}").parse().expect("addr"))
                .await
        })
        .expect("connects");
    let stream = stream.into_std().expect("std stream");
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream
}

/// One `GET /getUserInfo` with `token` on `s`; the status and the body.
fn get_with(s: &mut TcpStream, token: &str) -> (u16, String) {
    write!(
        s,
        "GET /getUserInfo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("writes");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

/// The statuses of every answer in `text` (pipelined answers).
fn statuses(text: &str) -> Vec<u16> {
    text.match_indices("HTTP/1.1 ")
        .filter_map(|(at, _)| text.get(at + 9..at + 12)?.parse().ok())
        .collect()
}

/// The sum of `field=N` over the log lines that contain `marker`.
fn summed(logs: &str, marker: &str, field: &str) -> usize {
    logs.lines()
        .filter(|l| l.contains(marker))
        .filter_map(|l| {
            l.split(&format!("{field}="))
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum()
}

#[test]
fn with_cloudbase_unreachable_a_flood_of_lookups_adds_no_line_per_request() {
    const FLOOD: usize = 2_000;
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mut p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "cloudbase"),
            ("CUSTOMAUTH_CLOUDBASE_ENV", ENV),
            ("CUSTOMAUTH_CLOUDBASE_ENDPOINT", &closed),
        ],
    )
    .expect("starts");
    let floods: Vec<_> = (0..4)
        .map(|t| {
            let port = p.port;
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
                s.set_read_timeout(Some(Duration::from_secs(30)))
                    .expect("timeout");
                let mut pipelined = String::new();
                for i in 0..FLOOD / 4 {
                    pipelined.push_str(&format!(
                        "GET /getUserInfo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer junk-token-{t}-{i}-0123456789\r\n\r\n"
                    ));
                }
                pipelined.push_str("GET /getUserInfo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                s.write_all(pipelined.as_bytes()).expect("writes");
                let mut answers = String::new();
                let _ = s.read_to_string(&mut answers);
                statuses(&answers)
            })
        })
        .collect();
    let mut unavailable = 0;
    for flood in floods {
        let got = flood.join().expect("flood");
        assert_eq!(got.len(), FLOOD / 4 + 1, "every request was answered");
        unavailable += got.iter().filter(|s| **s == 503).count();
    }
    assert_eq!(unavailable, FLOOD, "CloudBase unreachable is 503");
    std::thread::sleep(Duration::from_millis(1100));
    let (_, logs) = p.finish();
    // Lines about CloudBase's state; a 401's refusal line names the header
    // this mode expects (a CloudBase access token), and is counted below.
    let warned = logs
        .lines()
        .filter(|l| l.contains("CloudBase") && !l.contains("request refused"))
        .count();
    assert!(
        warned <= 3,
        "{warned} lines about CloudBase for {FLOOD} lookups"
    );
    let one_by_one = logs.matches("request failed").count();
    assert!(
        one_by_one < FLOOD / 10,
        "{one_by_one} 'request failed' lines: not rate-limited"
    );
    let counted = summed(&logs, "failed in the last second", "not_logged");
    assert_eq!(
        one_by_one + counted,
        FLOOD,
        "every failure logged or counted:\n{logs}"
    );
}

/// A CloudBase stand-in that answers `GET /auth/v1/user/me` after `delay`:
/// the user for `valid`, an error for any other token. Counts its calls.
struct SlowUpstream {
    port: u16,
    calls: Arc<AtomicUsize>,
}

impl SlowUpstream {
    fn start(delay: Duration, valid: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let calls = Arc::clone(&counted);
                std::thread::spawn(move || serve_slowly(conn, delay, valid, &calls));
            }
        });
        Self { port, calls }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Keep-alive: one answer per request head, each after `delay`.
fn serve_slowly(mut conn: TcpStream, delay: Duration, valid: &str, calls: &AtomicUsize) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            pending.drain(..end + 4);
            calls.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            let ok = head
                .lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {valid}")));
            let (status, body) = if ok {
                (
                    "200 OK",
                    r#"{"sub":"uid-legit","providers":[],"is_anonymous":false}"#,
                )
            } else {
                ("401 Unauthorized", r#"{"error":"invalid_token"}"#)
            };
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            if conn.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn a_junk_token_flood_from_one_address_does_not_starve_a_new_user() {
    const ATTACKERS: usize = 400;
    const VALID: &str = "valid-access-token-of-a-new-user-0123456789";
    // Some 300 lookups waiting at a time for 64 slots at 300 ms each: a
    // request queued behind them would wait past the 800 ms bound.
    let upstream = SlowUpstream::start(Duration::from_millis(300), VALID);
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "cloudbase"),
            ("CUSTOMAUTH_CLOUDBASE_ENV", ENV),
            ("CUSTOMAUTH_CLOUDBASE_ENDPOINT", &upstream.endpoint()),
            ("CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS", "800"),
        ],
    )
    .expect("starts");
    // 400 keep-alive connections from 127.0.0.1, each asking again with a
    // token never seen as soon as it has its answer, for 3 seconds.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|a| {
            let (port, stop) = (p.port, Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
                let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
                    return by_status;
                };
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buf = [0u8; 4096];
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let sent = write!(
                        s,
                        "GET /getUserInfo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer junk-{a}-{i}-0123456789abcdef\r\n\r\n"
                    );
                    // One answer (a small one: it arrives in one read).
                    match (sent, s.read(&mut buf)) {
                        (Ok(()), Ok(n)) if n > 12 => {
                            let status = statuses(&String::from_utf8_lossy(&buf[..n]));
                            *by_status.entry(status.first().copied().unwrap_or(0)).or_default() += 1;
                        }
                        _ => break,
                    }
                    // Refused at once or not, ask again a moment later
                    // (a flood, not a busy loop that only measures the CPU).
                    std::thread::sleep(Duration::from_millis(250));
                }
                by_status
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // A new user from another address, while the flood runs.
    let mut user = connect_from("127.0.0.2", p.port);
    let (status, answer) = get_with(&mut user, VALID);
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::SeqCst);
    let mut junk = std::collections::BTreeMap::<u16, usize>::new();
    for a in attackers {
        for (status, n) in a.join().expect("attacker") {
            *junk.entry(status).or_default() += n;
        }
    }
    assert_eq!(status, 200, "the new user was starved: {answer}");
    assert!(answer.contains("uid-legit"), "{answer}");
    assert!(!junk.contains_key(&200), "junk tokens accepted: {junk:?}");
    // The same junk again: refused from the negative cache, without a new
    // CloudBase call each.
    let before = upstream.calls();
    for _ in 0..50 {
        let mut s = TcpStream::connect(("127.0.0.1", p.port)).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let (status, _) = get_with(&mut s, "junk-0-0-0123456789abcdef");
        assert!(status == 401 || status == 503, "{status}");
    }
    assert!(
        upstream.calls() - before <= 1,
        "a refused token was looked up {} times",
        upstream.calls() - before
    );
}

#[test]
fn a_jwt_for_another_environment_or_a_token_too_short_costs_no_lookup() {
    use base64::Engine as _;
    let upstream = SlowUpstream::start(Duration::from_millis(1), "unused");
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "cloudbase"),
            ("CUSTOMAUTH_CLOUDBASE_ENV", ENV),
            ("CUSTOMAUTH_CLOUDBASE_ENDPOINT", &upstream.endpoint()),
        ],
    )
    .expect("starts");
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 600;
    let claims = serde_json::json!({"sub": "u", "exp": exp, "project_id": "another-env"});
    let other_env = format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.c2lnbmF0dXJl",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    for token in [other_env.as_str(), "x", "short-token"] {
        let r = request(
            "GET",
            &p.url("/getUserInfo"),
            &[("authorization", &format!("Bearer {token}"))],
            None,
        );
        assert_eq!(r.status, 401, "{token}: {}", r.body);
    }
    assert_eq!(upstream.calls(), 0, "CloudBase was asked");
}
