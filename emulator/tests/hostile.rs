//! Hostile clients against the real emulator binary (issue 17, item 6): each
//! test reproduces one attack, on loopback, bounded in count and time, and
//! checks that it no longer works while a legitimate client is answered.

mod common;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use customauth_testkit::{Launch, Process, free_port, request};
use serde_json::{Value, json};

/// One HTTP/1.1 exchange on a new connection: writes `head` (the request
/// line and headers, without the blank line, `Connection: close` added) and
/// `body`, reads until the server closes or `within` passes. The status
/// (`None` when no answer came) and the whole answer.
fn raw(port: u16, head: &str, body: &[u8], within: Duration) -> (Option<u16>, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(within)).expect("timeout");
    let mut request = format!("{head}\r\nConnection: close\r\n");
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    stream.write_all(body).expect("write");
    read_answer(&mut stream)
}

/// Reads an answer until EOF or the stream's read timeout.
fn read_answer(stream: &mut TcpStream) -> (Option<u16>, String) {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok());
    (status, text)
}

/// The value of header `name` in a raw answer (lower-cased), if present.
fn header(answer: &str, name: &str) -> Option<String> {
    let head = answer.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_ascii_lowercase())
    })
}

fn anonymous(emu: &Emulator, uuid: &str, refresh: &str) -> (String, String) {
    let r = emu.v1(
        ENV_A,
        "auth.signInAnonymously",
        json!({"anonymous_uuid": uuid, "refresh_token": refresh}),
    );
    (
        r["uuid"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_owned(),
        r["refresh_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_owned(),
    )
}

fn users(emu: &Emulator) -> Value {
    request("GET", &emu.url("/emulator/v1/envs/env-a/users"), &[], None).json()
}

/// Attack: the victim's `anonymous_uuid` (it is the uid, shown to anyone
/// the victim's data is shared with) is enough to sign in as that anonymous
/// user, end the victim's login state, and bind the victim's uid to a
/// customUserId of the attacker's.
#[test]
fn an_anonymous_uuid_alone_does_not_take_over_the_anonymous_user() {
    let emu = Emulator::start();
    let (victim, victim_refresh) = anonymous(&emu, "", "");
    let (_, attacker_refresh) = anonymous(&emu, "", "");
    // The uuid alone, with no refresh token, and with the attacker's own.
    for refresh in ["", attacker_refresh.as_str(), "0123456789abcdef"] {
        let (uid, _) = anonymous(&emu, &victim, refresh);
        assert_ne!(
            uid, victim,
            "signed in as the victim with refresh_token {refresh:?}"
        );
    }
    // The attacker then links "its" anonymous user: not the victim.
    let (stolen, stolen_refresh) = anonymous(&emu, &victim, "");
    let (stolen_access, _) = emu.v1_access_token(ENV_A, &stolen_refresh);
    let r = emu.v1(
        ENV_A,
        "auth.linkAndRetrieveDataWithTicket",
        json!({"anonymous_uuid": stolen, "refresh_token": stolen_refresh,
               "ticket": ticket("attacker_id"), "access_token": stolen_access}),
    );
    assert!(r["refresh_token"].is_string(), "{r}");
    let list = users(&emu);
    let victim_row = list["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["uid"] == victim.as_str()))
        .unwrap_or_else(|| panic!("victim gone: {list}"))
        .clone();
    assert_eq!(victim_row["anonymous"], true, "{victim_row}");
    assert_eq!(victim_row["customUserId"], Value::Null, "{victim_row}");
    // The victim's login state was not replaced by the attempts.
    let (access, _) = emu.v1_access_token(ENV_A, &victim_refresh);
    assert_eq!(emu.v1_user(ENV_A, &access)["data"]["uid"], victim.as_str());
    // The SDK's own re-sign-in (its uuid and its refresh token) keeps the
    // user; so does the retry with the token the service then refuses.
    let (again, _) = anonymous(&emu, &victim, &victim_refresh);
    assert_eq!(again, victim);
    let (after_refusal, _) = anonymous(&emu, &victim, &victim_refresh);
    assert_eq!(after_refusal, victim);
}

/// The emulator under a file-descriptor limit of `fds` (soft and hard, set
/// by `sh`'s `ulimit -n`), in memory, on a free port.
fn start_with_fd_limit(dir: &Path, fds: u32) -> Process {
    let (a, _) = credentials_files(dir);
    let port = free_port();
    let launch = Launch::default()
        .args([
            "-c",
            &format!("ulimit -n {fds} && exec \"$0\" \"$@\""),
            emulator_bin(),
        ])
        .args(["--in-memory", "--port", &port.to_string(), "--credentials"])
        .args([a.display().to_string()])
        .dir(dir);
    Process::serve("sh", &launch, port).expect("the emulator starts")
}

/// Attack: more idle connections than the emulator has file descriptors
/// (160 under a limit of 128, as 1,100 under 1,024) and nobody else gets in.
/// The idle connections are held until the legitimate request is answered
/// or 40 s have passed.
#[test]
fn idle_connections_under_a_low_fd_limit_do_not_lock_out_a_client() {
    let dir = temp_dir("fds");
    let emulator = start_with_fd_limit(&dir, 128);
    let port = emulator.port;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let idle: Vec<TcpStream> = (0..160)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok())
        .collect();
    assert!(idle.len() >= 128, "only {} idle connections", idle.len());
    let started = Instant::now();
    let (status, answer) = raw(
        port,
        "GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1",
        b"",
        Duration::from_secs(40),
    );
    let waited = started.elapsed();
    drop(idle);
    let logs = emulator.logs();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        status,
        Some(200),
        "no answer after {waited:?}: {answer}\n{logs}"
    );
    assert!(answer.contains("\"keys\""), "{answer}");
}

/// Attack: a request head that never ends, and a body that never ends, each
/// hold a connection (and a task) for as long as the client wants.
#[test]
fn a_stalled_head_and_a_stalled_body_are_cut() {
    let emu = Emulator::start();
    // Half a head: the connection is closed (no answer is owed).
    let mut head = TcpStream::connect(("127.0.0.1", emu.port)).expect("connect");
    head.set_read_timeout(Some(Duration::from_secs(25)))
        .expect("timeout");
    head.write_all(b"POST /web?env=env-a HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .expect("write");
    let started = Instant::now();
    let mut buf = [0u8; 64];
    // EOF or a reset: closed; the read timeout (WouldBlock/TimedOut): still open.
    let closed = !matches!(head.read(&mut buf),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
    let waited = started.elapsed();
    assert!(
        closed && waited < Duration::from_secs(20),
        "half a head held the connection for {waited:?}"
    );
    // A body announced as 100 bytes, 10 sent: 408 within the body deadline.
    let mut body = TcpStream::connect(("127.0.0.1", emu.port)).expect("connect");
    body.set_read_timeout(Some(Duration::from_secs(25)))
        .expect("timeout");
    body.write_all(
        b"POST /web?env=env-a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"action\":",
    )
    .expect("write");
    let started = Instant::now();
    let (status, answer) = read_answer(&mut body);
    let waited = started.elapsed();
    assert_eq!(status, Some(408), "after {waited:?}: {answer}");
    assert!(waited < Duration::from_secs(15), "{waited:?}");
    // Meanwhile and after, the emulator answers.
    let r = emu.v1(ENV_A, "auth.signInAnonymously", json!({}));
    assert!(r["uuid"].is_string(), "{r}");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn args_for(dir: &Path, extra: &[&str]) -> Vec<String> {
    let (a, _) = credentials_files(dir);
    let mut args = vec![
        "--port".to_owned(),
        free_port().to_string(),
        "--credentials".to_owned(),
        a.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

/// Attack: `--data-dir /tmp` chmods /tmp to 0700 (its sticky bit and the
/// other users' access gone); a data directory others can write lets them
/// replace the store or the access-token key.
#[cfg(unix)]
#[test]
fn data_dir_keeps_the_mode_of_an_existing_directory_and_refuses_a_shared_one() {
    let dir = temp_dir("datadir");
    // A directory others can write (as /tmp): refused, left as it was.
    for shared_mode in [0o1777, 0o777, 0o775] {
        let shared = dir.join(format!("shared-{shared_mode:o}"));
        std::fs::create_dir(&shared).expect("mkdir");
        set_mode(&shared, shared_mode);
        let flag = shared.display().to_string();
        let (code, out) = run_to_exit(&args_for(&dir, &["--data-dir", &flag]));
        assert_eq!(
            mode(&shared),
            shared_mode,
            "the mode of {flag} was changed: {out}"
        );
        assert_eq!(code, Some(2), "{shared_mode:o}: {out}");
        assert!(
            out.contains(&flag) && out.contains("others can write"),
            "{out}"
        );
        assert!(!shared.join("emulator.sqlite3").exists());
    }
    // An existing private directory: used, its mode kept, files 0600.
    let mine = dir.join("mine");
    std::fs::create_dir(&mine).expect("mkdir");
    set_mode(&mine, 0o755);
    let flag = mine.display().to_string();
    let mut emu = Emulator::start_in(temp_dir("run"), &["--data-dir", &flag]);
    let _ = emu.v1_sign_in(ENV_A, &ticket("user_files"));
    assert_eq!(emu.terminate(), Some(0));
    assert_eq!(mode(&mine), 0o755, "the data directory's mode was changed");
    for file in std::fs::read_dir(&mine).expect("list").flatten() {
        assert_eq!(
            mode(&file.path()),
            0o600,
            "{} is readable by others",
            file.path().display()
        );
    }
    // A new one: made 0700.
    let fresh = dir.join("fresh/data");
    let flag = fresh.display().to_string();
    let mut emu = Emulator::start_in(temp_dir("run"), &["--data-dir", &flag]);
    assert_eq!(emu.terminate(), Some(0));
    assert_eq!(mode(&fresh), 0o700);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Attack: `--export-on-exit` leaves `sessions.json` (live refresh tokens)
/// readable by every local user.
#[cfg(unix)]
#[test]
fn exports_are_private() {
    let dir = temp_dir("exportmode");
    let out = dir.join("export");
    let flag = out.display().to_string();
    let mut emu = Emulator::start_in(temp_dir("run"), &["--in-memory", "--export-on-exit", &flag]);
    let _ = emu.v1_sign_in(ENV_A, &ticket("user_exported"));
    assert_eq!(emu.terminate(), Some(0));
    assert_eq!(mode(&out), 0o700, "the export folder");
    for name in ["users.json", "sessions.json"] {
        assert_eq!(mode(&out.join(name)), 0o600, "{name}");
    }
    // Over an existing export that was readable: tightened.
    set_mode(&out.join("sessions.json"), 0o644);
    let mut emu = Emulator::start_in(temp_dir("run"), &["--in-memory", "--export-on-exit", &flag]);
    assert_eq!(emu.terminate(), Some(0));
    assert_eq!(mode(&out.join("sessions.json")), 0o600);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Attack: DNS rebinding. A page on `http://evil.example:PORT`, whose name
/// then resolves to 127.0.0.1, is same-origin with the emulator: it reads
/// the users and sessions and deletes them. The browser sends
/// `Host: evil.example:PORT`.
#[test]
fn admin_routes_answer_only_a_loopback_host() {
    let emu = Emulator::start();
    let _ = emu.v1_sign_in(ENV_A, &ticket("user_rebind"));
    let port = emu.port;
    let within = Duration::from_secs(10);
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("10.0.0.1:{port}"),
    ] {
        for (method, path) in [
            ("GET", "/"),
            ("GET", "/emulator/v1/envs/env-a/users"),
            ("GET", "/emulator/v1/stats"),
            ("DELETE", "/emulator/v1/envs/env-a/users"),
        ] {
            let (status, answer) = raw(
                port,
                &format!("{method} {path} HTTP/1.1\r\nHost: {host}"),
                b"",
                within,
            );
            assert_eq!(status, Some(403), "{method} {path} Host {host}: {answer}");
            assert!(!answer.contains("user_rebind"), "{answer}");
        }
    }
    // No Host at all (HTTP/1.0): refused too.
    let (status, _) = raw(
        port,
        "GET /emulator/v1/envs/env-a/users HTTP/1.0",
        b"",
        within,
    );
    assert_ne!(status, Some(200));
    assert_eq!(users(&emu)["users"].as_array().map(Vec::len), Some(1));
    // Loopback names answer, with or without the port.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("app.localhost:{port}"),
        "localhost".to_owned(),
    ] {
        let (status, answer) = raw(
            port,
            &format!("GET /emulator/v1/envs/env-a/users HTTP/1.1\r\nHost: {host}"),
            b"",
            within,
        );
        assert_eq!(status, Some(200), "Host {host}: {answer}");
        assert!(answer.contains("user_rebind"), "{answer}");
    }
    // The sign-in routes answer any Host (the SDKs, proxies and shims).
    let (status, _) = raw(
        port,
        "GET /.well-known/jwks.json HTTP/1.1\r\nHost: evil.example",
        b"",
        within,
    );
    assert_eq!(status, Some(200));
}

/// Attack: any `*.localhost` page (any local dev server) gets credentialed
/// CORS for `DELETE /emulator/v1/...`, and preflights echo whatever headers
/// they are asked for.
#[test]
fn cors_allows_no_admin_delete_and_only_the_sdk_headers() {
    let emu = Emulator::start();
    let port = emu.port;
    let within = Duration::from_secs(10);
    let preflight = |path: &str, origin: &str, method: &str, headers: &str| {
        raw(
            port,
            &format!(
                "OPTIONS {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\n\
                 Access-Control-Request-Method: {method}\r\nAccess-Control-Request-Headers: {headers}"
            ),
            b"",
            within,
        )
        .1
    };
    let allowed = |answer: &str, name: &str, item: &str| {
        header(answer, name).is_some_and(|v| v.split(',').any(|x| x.trim() == item))
    };
    // DELETE of the users, preflighted from a *.localhost page: not allowed.
    let answer = preflight(
        "/emulator/v1/envs/env-a/users",
        "http://app.localhost:5173",
        "DELETE",
        "content-type",
    );
    assert!(
        header(&answer, "access-control-allow-origin").is_none()
            || !allowed(&answer, "access-control-allow-methods", "delete"),
        "DELETE preflight allowed: {answer}"
    );
    // Any requested header is not echoed back.
    let answer = preflight(
        "/web",
        "http://localhost:5173",
        "POST",
        "content-type,x-evil-header",
    );
    assert!(
        !allowed(&answer, "access-control-allow-headers", "x-evil-header"),
        "{answer}"
    );
    // The SDKs' own headers are allowed, for the SDK routes.
    let sdk_headers = "authorization,content-type,x-request-id,x-sdk-version,x-seqid,x-tcb-trace";
    for (path, method) in [("/web", "POST"), ("/auth/v1/user/me", "GET")] {
        let answer = preflight(path, "http://localhost:5173", method, sdk_headers);
        assert_eq!(
            header(&answer, "access-control-allow-origin").as_deref(),
            Some("http://localhost:5173"),
            "{answer}"
        );
        assert!(
            allowed(
                &answer,
                "access-control-allow-methods",
                &method.to_ascii_lowercase()
            ),
            "{answer}"
        );
        for h in sdk_headers.split(',') {
            assert!(
                allowed(&answer, "access-control-allow-headers", h),
                "{h}: {answer}"
            );
        }
    }
    // Other origins get no CORS; a loopback page may read the admin GETs.
    let answer = preflight("/web", "http://evil.example", "POST", "content-type");
    assert!(
        header(&answer, "access-control-allow-origin").is_none(),
        "{answer}"
    );
    let (status, answer) = raw(
        port,
        &format!(
            "GET /emulator/v1/envs/env-a/users HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://localhost:5173"
        ),
        b"",
        within,
    );
    assert_eq!(status, Some(200), "{answer}");
    assert_eq!(
        header(&answer, "access-control-allow-origin").as_deref(),
        Some("http://localhost:5173")
    );
}

/// `--host 0.0.0.0` opens the emulator (tokens, users, DELETE) to the
/// network: it says so. (Bound for well under a second, on a free port.)
#[test]
fn a_non_loopback_address_gets_a_warning() {
    let loopback = Emulator::start();
    assert!(
        !loopback.logs().contains("not a loopback address"),
        "{}",
        loopback.logs()
    );
    drop(loopback);
    let mut open = Emulator::start_with(&["--in-memory", "--host", "0.0.0.0"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !open.logs().contains("listening") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = open.terminate();
    let logs = open.logs();
    let warning = logs
        .lines()
        .find(|l| l.contains("not a loopback address"))
        .unwrap_or_else(|| panic!("no warning: {logs}"));
    assert!(
        warning.contains("WARN") && warning.contains("0.0.0.0"),
        "{warning}"
    );
}

/// Attack: a newline (or an escape sequence) in `env` or `client_id` writes
/// a line of the attacker's choosing into the log.
#[test]
fn client_values_are_not_written_raw_into_the_log() {
    let emu = Emulator::start();
    let forged = |tag: &str| {
        format!(
            "x\n{tag} INFO cloudbase_emulator: sign-in with ticket custom_user_id=admin\u{1b}[2J"
        )
    };
    let body =
        json!({"action": "auth.getUserInfo", "env": forged("FORGED-V1"), "access_token": "t"})
            .to_string();
    let (status, answer) = raw(
        emu.port,
        "POST /web HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json",
        body.as_bytes(),
        Duration::from_secs(10),
    );
    assert_eq!(status, Some(200), "{answer}");
    let r = emu.v2(
        "POST",
        "/auth/v1/signin/anonymously?client_id=y%0AFORGED-V2Q%1B%5B2J",
        None,
        Some(json!({})),
    );
    assert!(r.status >= 400, "{}", r.body);
    let r = emu.v2(
        "POST",
        "/auth/v1/token",
        None,
        Some(json!({"client_id": forged("FORGED-V2B"), "grant_type": "refresh_token", "refresh_token": "r"})),
    );
    assert!(r.status >= 400, "{}", r.body);
    // Let the log lines reach the file.
    std::thread::sleep(Duration::from_millis(200));
    let logs = emu.logs();
    for tag in ["FORGED-V1", "FORGED-V2Q", "FORGED-V2B"] {
        assert!(
            logs.contains(tag),
            "the refusal with {tag} was not logged: {logs}"
        );
    }
    for line in logs.lines() {
        assert!(!line.starts_with("FORGED"), "a forged line: {logs}");
    }
    assert!(
        !logs.contains('\u{1b}'),
        "an escape sequence reached the log"
    );
}
