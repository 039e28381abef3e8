//! create-ticket in HTTP mode against hostile clients, on loopback, each
//! attack bounded in count and time, each with the legitimate request that
//! must still succeed while it runs: bodies that trickle or never end,
//! `Expect: 100-continue` without a body, bodies in one-byte chunks, more
//! connections than the cap, and a flood of refused requests while the log
//! sink is stalled. Figures (latency, RSS) come from `scripts/hostile.py`.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{API_KEY, BIN, api_key_env};
use customauth_testkit::{Process, credentials_json, request};

fn start(extra: &[(&str, &str)]) -> Process {
    let creds = credentials_json("k2048-pkcs8.pem", "kid-hostile", "env-hostile");
    let mut env = api_key_env(&creds);
    env.extend_from_slice(extra);
    Process::http(BIN, &env).expect("starts")
}

/// A legitimate createTicket call: 200.
fn legitimate(p: &Process) {
    let r = request(
        "POST",
        &p.url("/createTicket"),
        &[("x-api-key", API_KEY), ("content-type", "application/json")],
        Some(br#"{"customUserId":"user_1234"}"#),
    );
    assert_eq!(r.status, 200, "a legitimate request failed: {}", r.body);
}

/// A raw connection that sends `head` (and no more), bounded by a read
/// timeout.
fn raw(p: &Process, head: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", p.port)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(8)))
        .expect("timeout");
    s.write_all(head.as_bytes()).expect("writes");
    s
}

/// Everything the server sends until it closes the connection (or the read
/// timeout passes).
fn read_until_closed(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn post_head(extra: &str) -> String {
    format!(
        "POST /createTicket HTTP/1.1\r\nHost: t\r\nX-Api-Key: {API_KEY}\r\n\
         Content-Type: application/json\r\n{extra}\r\n"
    )
}

#[test]
fn bodies_that_trickle_or_never_come_are_cut_at_the_deadline_while_others_are_served() {
    let p = start(&[("CUSTOMAUTH_BODY_TIMEOUT_MS", "400")]);
    let mut slow: Vec<TcpStream> = Vec::new();
    for _ in 0..50 {
        // A body one byte at a time (only the first byte ever comes)...
        slow.push(raw(&p, &(post_head("Content-Length: 100\r\n") + "{")));
        // ...a chunked body that never ends...
        slow.push(raw(
            &p,
            &(post_head("Transfer-Encoding: chunked\r\n") + "1\r\n{\r\n"),
        ));
        // ...and a promise of a body that never comes.
        slow.push(raw(
            &p,
            &post_head("Content-Length: 30\r\nExpect: 100-continue\r\n"),
        ));
    }
    let started = Instant::now();
    legitimate(&p);
    for s in &mut slow {
        let answer = read_until_closed(s);
        assert!(
            answer.contains("HTTP/1.1 408") && answer.contains("REQUEST_TIMEOUT"),
            "a slow body was not cut with a 408: {answer:?}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the slow connections were not closed by the deadline"
    );
    legitimate(&p);
}

#[test]
fn a_request_that_will_be_refused_gets_no_100_continue_and_its_body_is_not_read() {
    let p = start(&[]);
    for (head, status) in [
        (
            "POST /createTicket HTTP/1.1\r\nHost: t\r\nX-Api-Key: wrong-key-0123456789\r\n\
             Content-Length: 30\r\nExpect: 100-continue\r\n\r\n",
            "HTTP/1.1 401",
        ),
        (
            "PUT /createTicket HTTP/1.1\r\nHost: t\r\nContent-Length: 30\r\n\
             Expect: 100-continue\r\n\r\n",
            "HTTP/1.1 405",
        ),
        (
            &*post_head("Content-Length: 100000000\r\nExpect: 100-continue\r\n"),
            "HTTP/1.1 413",
        ),
    ] {
        let mut s = raw(&p, head);
        let mut first = [0u8; 12];
        s.read_exact(&mut first)
            .expect("an answer without the body");
        assert_eq!(String::from_utf8_lossy(&first), status, "{head}");
    }
    legitimate(&p);
}

#[test]
fn a_body_in_one_byte_chunks_is_read_up_to_the_cap_and_refused_past_it() {
    let p = start(&[]);
    let chunked = |body: &[u8]| {
        let mut text = post_head("Transfer-Encoding: chunked\r\nConnection: close\r\n");
        for b in body {
            text.push_str("1\r\n");
            text.push(char::from(*b));
            text.push_str("\r\n");
        }
        text.push_str("0\r\n\r\n");
        let mut s = raw(&p, &text);
        read_until_closed(&mut s)
    };
    let ok = chunked(br#"{"customUserId":"user_1234"}"#);
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let padded = format!(r#"{{"customUserId":"user_1234"{}}}"#, " ".repeat(16 * 1024));
    let refused = chunked(padded.as_bytes());
    assert!(refused.starts_with("HTTP/1.1 413"), "{refused}");
}

#[test]
fn past_the_connection_cap_new_connections_wait_and_the_limit_is_logged() {
    let mut p = start(&[
        ("CUSTOMAUTH_MAX_CONNECTIONS", "3"),
        ("CUSTOMAUTH_BODY_TIMEOUT_MS", "1500"),
    ]);
    let mut held: Vec<TcpStream> = (0..3)
        .map(|_| raw(&p, &(post_head("Content-Length: 10\r\n") + "{")))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    legitimate(&p);
    let waited = started.elapsed();
    for s in &mut held {
        assert!(read_until_closed(s).contains("HTTP/1.1 408"));
    }
    assert!(
        waited >= Duration::from_millis(900),
        "the fourth connection was served at once ({waited:?}): no cap"
    );
    let (_, logs) = p.finish();
    assert!(logs.contains("connection limit reached"), "{logs}");
    assert!(logs.contains("CUSTOMAUTH_MAX_CONNECTIONS"), "{logs}");
}

#[test]
fn a_flood_of_refusals_with_a_stalled_log_sink_neither_stalls_requests_nor_loses_audit_lines() {
    const REFUSED: usize = 20_000;
    const LEGITIMATE: usize = 50;
    let creds = credentials_json("k2048-pkcs8.pem", "kid-hostile", "env-hostile");
    let mut p = Process::http_with_stalled_stderr(BIN, &api_key_env(&creds)).expect("starts");
    // Refused requests, pipelined over a few keep-alive connections.
    let refused = "POST /createTicket HTTP/1.1\r\nHost: t\r\nX-Api-Key: not-the-key-0123456789\r\n\
                   Content-Length: 0\r\n\r\n";
    let floods: Vec<_> = (0..4)
        .map(|_| {
            let port = p.port;
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
                s.set_read_timeout(Some(Duration::from_secs(30)))
                    .expect("timeout");
                let mut reader = s.try_clone().expect("clone");
                let counter = std::thread::spawn(move || {
                    const NEEDLE: &[u8] = b"HTTP/1.1 401";
                    let (mut seen, mut carry) = (0usize, Vec::new());
                    let mut buf = vec![0u8; 64 * 1024];
                    while seen < REFUSED / 4 {
                        match reader.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                carry.extend_from_slice(&buf[..n]);
                                seen +=
                                    carry.windows(NEEDLE.len()).filter(|w| *w == NEEDLE).count();
                                let keep = carry.len().saturating_sub(NEEDLE.len() - 1);
                                carry.drain(..keep);
                            }
                        }
                    }
                    seen
                });
                for _ in 0..REFUSED / 4 {
                    s.write_all(refused.as_bytes()).expect("writes");
                }
                counter.join().expect("counter")
            })
        })
        .collect();
    for i in 0..LEGITIMATE {
        legitimate(&p);
        if i == 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let answered: usize = floods.into_iter().map(|t| t.join().expect("flood")).sum();
    assert_eq!(answered, REFUSED, "every refused request got its 401");
    legitimate(&p);

    // The collector comes back: every audit line arrives, the refusals are
    // summarised with a count of what was not logged one by one.
    let mut stderr = p.take_stderr().expect("a pipe");
    let reader = std::thread::spawn(move || {
        let mut logs = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut logs).expect("reads");
        logs
    });
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(p.terminate(), Some(0));
    let logs = reader.join().expect("reader");
    assert_eq!(logs.matches("ticket issued").count(), LEGITIMATE + 1);
    let one_by_one = logs.matches("request refused").count();
    assert!(
        one_by_one < REFUSED / 10,
        "{one_by_one} refusal lines: not rate-limited"
    );
    let not_logged: usize = logs
        .lines()
        .filter(|l| l.contains("not logged one by one"))
        .filter_map(|l| {
            l.split("not_logged=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert_eq!(
        one_by_one + not_logged,
        REFUSED,
        "every refusal is either logged or counted"
    );
}

#[test]
fn a_request_head_over_the_buffer_is_refused_and_others_are_served() {
    let p = start(&[]);
    let big = "x".repeat(20 * 1024);
    let mut s = raw(
        &p,
        &post_head(&format!("X-Padding: {big}\r\nContent-Length: 0\r\n")),
    );
    let answer = read_until_closed(&mut s);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    // An 8 KiB credential, the most the caller checks take, still fits.
    let r = request(
        "POST",
        &p.url("/createTicket"),
        &[
            ("x-api-key", API_KEY),
            ("content-type", "application/json"),
            ("x-padding", &"y".repeat(8 * 1024)),
        ],
        Some(br#"{"customUserId":"user_1234"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A connection whose receive buffer is small (4 KiB asked), so that the
/// server's answers fill it soon.
fn connect_with_small_receive_buffer(port: u16) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stream = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(4096)?;
            socket
                .connect(format!("127.0.0.1:{port}").parse().expect("addr"))
                .await
        })
        .expect("connects");
    let stream = stream.into_std().expect("std stream");
    stream.set_nonblocking(false).expect("blocking");
    stream
}

#[test]
fn clients_that_pipeline_and_never_read_lose_their_connections_at_the_write_deadline() {
    const ATTACKERS: usize = 3;
    const PIPELINED: usize = 20_000;
    let mut p = start(&[
        ("CUSTOMAUTH_MAX_CONNECTIONS", "3"),
        ("CUSTOMAUTH_WRITE_TIMEOUT_MS", "1000"),
    ]);
    // The attackers take every slot, pipeline requests (refused ones: cheap
    // to answer) and never read an answer; they keep their connections.
    let refused = "POST /createTicket HTTP/1.1\r\nHost: t\r\nX-Api-Key: not-the-key-0123456789\r\n\
                   Content-Length: 0\r\n\r\n";
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            let port = p.port;
            std::thread::spawn(move || {
                let mut s = connect_with_small_receive_buffer(port);
                s.set_write_timeout(Some(Duration::from_secs(3)))
                    .expect("timeout");
                let mut sent = 0;
                while sent < PIPELINED && s.write_all(refused.as_bytes()).is_ok() {
                    sent += 1;
                }
                s
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // Without a write deadline this waits until the attackers go away (the
    // client gives up after 20 s).
    let started = Instant::now();
    legitimate(&p);
    let waited = started.elapsed();
    let held: Vec<TcpStream> = attackers
        .into_iter()
        .map(|a| a.join().expect("attacker"))
        .collect();
    drop(held);
    assert!(
        waited < Duration::from_secs(15),
        "a legitimate client waited {waited:?} behind connections that never read"
    );
    let (_, logs) = p.finish();
    assert!(!logs.contains("panicked"), "{logs}");
}

#[test]
fn a_full_audit_queue_answers_503_fast_and_signs_nothing_until_the_sink_drains() {
    const MAX_TICKETS: usize = 5_000;
    let creds = credentials_json("k2048-pkcs8.pem", "kid-hostile", "env-hostile");
    let mut p = Process::http_with_stalled_stderr(
        BIN,
        &[
            ("CUSTOMAUTH_CREDENTIALS", &creds),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
            ("CUSTOMAUTH_LOG_QUEUE_LINES", "500"),
        ],
    )
    .expect("starts");
    let ask = |p: &Process| {
        request(
            "POST",
            &p.url("/createTicket"),
            &[("x-api-key", API_KEY), ("content-type", "application/json")],
            Some(br#"{"customUserId":"user_1234"}"#),
        )
    };
    // The sink is stalled: tickets are issued until the audit queue is full.
    let mut issued = 0;
    let full = loop {
        let r = ask(&p);
        match r.status {
            200 => issued += 1,
            503 => break r,
            other => panic!("{other}: {}", r.body),
        }
        assert!(
            issued < MAX_TICKETS,
            "{issued} tickets signed with the log sink stalled and no 503"
        );
    };
    assert_eq!(full.header("retry-after"), Some("1"));
    assert!(!full.body.contains("ticket\""), "{}", full.body);
    // While it is full: more 503s, never a blocked request, and requests
    // that log nothing to the audit are still answered.
    for _ in 0..20 {
        assert_eq!(ask(&p).status, 503);
    }
    let refused = request("POST", &p.url("/createTicket"), &[], Some(b"{}"));
    assert_eq!(refused.status, 401);
    // The collector comes back: tickets again, and every ticket issued has
    // its audit line.
    let mut stderr = p.take_stderr().expect("a pipe");
    let reader = std::thread::spawn(move || {
        let mut logs = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut logs).expect("reads");
        logs
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = ask(&p);
        if r.status == 200 {
            issued += 1;
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after the sink drained",
            r.status
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(p.terminate(), Some(0));
    let logs = reader.join().expect("reader");
    assert_eq!(logs.matches("ticket issued").count(), issued, "audit lines");
}
