//! Test support: the emulator binary as a real process on a free loopback
//! port, credentials files made from the fixture keys, tickets minted in
//! process, and v1/v2 calls over real HTTP.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use customauth_core::{Credentials, CustomUserId, TicketOptions, TicketSigner, now_ms};
use customauth_testkit::{Launch, Process, Reply, credentials_json, free_port, request};
use serde_json::{Value, json};

pub const ENV_A: &str = "env-a";
pub const ENV_B: &str = "env-b";
pub const KID_A: &str = "kid-a";
pub const KID_B: &str = "kid-b";

/// The emulator binary built for this test run.
pub fn emulator_bin() -> &'static str {
    env!("CARGO_BIN_EXE_cloudbase-emulator")
}

/// A fresh temporary folder.
pub fn temp_dir(tag: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cloudbase-emulator-test-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Credentials files for env-a (k2048-pkcs1, kid-a) and env-b (k2048-pkcs8,
/// kid-b) in `dir`.
pub fn credentials_files(dir: &Path) -> (PathBuf, PathBuf) {
    let a = dir.join("env-a.json");
    let b = dir.join("env-b.json");
    std::fs::write(&a, credentials_json("k2048-pkcs1.pem", KID_A, ENV_A)).expect("write");
    std::fs::write(&b, credentials_json("k2048-pkcs8.pem", KID_B, ENV_B)).expect("write");
    (a, b)
}

/// A ticket signer for a fixture key, key id and env.
pub fn signer(key_file: &str, key_id: &str, env: &str) -> TicketSigner {
    let credentials =
        Credentials::from_json(&credentials_json(key_file, key_id, env), "test").expect("creds");
    TicketSigner::from_credentials(&credentials).expect("signer")
}

/// The signer of env-a.
pub fn signer_a() -> TicketSigner {
    signer("k2048-pkcs1.pem", KID_A, ENV_A)
}

/// The signer of env-b.
pub fn signer_b() -> TicketSigner {
    signer("k2048-pkcs8.pem", KID_B, ENV_B)
}

/// A ticket for `uid` with `refresh` ms access tokens and `expire` ms
/// since the epoch (defaults when `None`).
pub fn ticket_with(
    signer: &TicketSigner,
    uid: &str,
    refresh: Option<u64>,
    expire: Option<u64>,
) -> String {
    let uid = CustomUserId::parse(uid).expect("valid uid");
    signer
        .sign_now(&uid, TicketOptions { refresh, expire })
        .expect("signs")
        .into_string()
}

/// A default ticket of env-a for `uid`.
pub fn ticket(uid: &str) -> String {
    ticket_with(&signer_a(), uid, None, None)
}

/// A ticket with any payload, signed RS256 with a fixture key: for claims
/// the library refuses to sign (lifetime over 10 minutes, a bad uid).
pub fn raw_ticket(key_file: &str, key_id: &str, payload: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signed = format!("{header}.{body}");
    let pem = customauth_testkit::fixture(&format!("keys/{key_file}"));
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).expect("key");
    let sig = jsonwebtoken::crypto::sign(signed.as_bytes(), &key, jsonwebtoken::Algorithm::RS256)
        .expect("sign");
    format!("{key_id}/@@/{signed}.{sig}")
}

/// The SDK's payload for `uid` in `env` at now, with `exp - iat` = `life`.
pub fn payload(env: &str, uid: &str, life: u64) -> Value {
    let now = now_ms();
    json!({"alg": "RS256", "env": env, "iat": now, "exp": now + life, "uid": uid,
           "refresh": 3_600_000u64, "expire": now + 7 * 86_400_000u64})
}

/// A running emulator (the test kit's [`Process`] with its flags, in its
/// own folder); killed on drop, its folder removed.
#[derive(Debug)]
pub struct Emulator {
    process: Process,
    pub port: u16,
    pub dir: PathBuf,
}

impl Emulator {
    /// Env-a and env-b, in memory.
    pub fn start() -> Self {
        Self::start_with(&["--in-memory"])
    }

    /// Env-a and env-b with extra flags.
    pub fn start_with(extra: &[&str]) -> Self {
        let dir = temp_dir("emu");
        Self::start_in(dir, extra)
    }

    /// Env-a and env-b with extra flags; credentials files kept in `dir`.
    pub fn start_in(dir: PathBuf, extra: &[&str]) -> Self {
        let (a, b) = credentials_files(&dir);
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let launch = Launch::default()
                .args(["--port", &port.to_string()])
                .args(["--credentials", &a.display().to_string()])
                .args(["--credentials", &b.display().to_string()])
                .args(extra)
                .env("RUST_LOG", "info")
                .dir(&dir);
            match Process::serve(emulator_bin(), &launch, port) {
                Ok(process) => {
                    return Self { process, port, dir };
                }
                Err(e) => last = e,
            }
        }
        panic!("emulator did not start: {last}");
    }

    pub fn url(&self, path: &str) -> String {
        self.process.url(path)
    }

    pub fn logs(&self) -> String {
        self.process.logs()
    }

    /// SIGTERM, then waits (bounded); the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        self.process.terminate()
    }

    /// A v1 call: `POST /web?env=ENV` with `{action, ...params}`.
    pub fn v1(&self, env: &str, action: &str, params: Value) -> Value {
        let mut body = params;
        body["action"] = action.into();
        body["env"] = env.into();
        body["dataVersion"] = "2020-01-10".into();
        let reply = request(
            "POST",
            &self.url(&format!("/web?env={env}")),
            &[
                ("content-type", "application/json;charset=UTF-8"),
                ("x-sdk-version", "@cloudbase/js-sdk/1.8.4"),
            ],
            Some(body.to_string().as_bytes()),
        );
        assert_eq!(reply.status, 200, "v1 answers are HTTP 200: {}", reply.body);
        reply.json()
    }

    /// v1 sign-in with `ticket` then an access token: (refresh, access, expire ms).
    pub fn v1_sign_in(&self, env: &str, ticket: &str) -> (String, String, u64) {
        let r = self.v1(
            env,
            "auth.signInWithTicket",
            json!({"ticket": ticket, "refresh_token": ""}),
        );
        let refresh = r["refresh_token"]
            .as_str()
            .unwrap_or_else(|| panic!("signed in: {r}"))
            .to_owned();
        let (access, expire) = self.v1_access_token(env, &refresh);
        (refresh, access, expire)
    }

    /// v1 `fetchAccessTokenWithRefreshToken`.
    pub fn v1_access_token(&self, env: &str, refresh: &str) -> (String, u64) {
        let r = self.v1(
            env,
            "auth.fetchAccessTokenWithRefreshToken",
            json!({"refresh_token": refresh}),
        );
        (
            r["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("access token: {r}"))
                .to_owned(),
            r["access_token_expire"].as_u64().expect("expire"),
        )
    }

    /// v1 `getUserInfo` answer.
    pub fn v1_user(&self, env: &str, access: &str) -> Value {
        self.v1(env, "auth.getUserInfo", json!({"access_token": access}))
    }

    /// v2 custom sign-in of `env` with `ticket`: the credentials.
    pub fn v2_sign_in(&self, env: &str, ticket: &str) -> Value {
        let r = self.v2(
            "POST",
            &format!("/auth/v1/signin/custom?client_id={env}"),
            None,
            Some(json!({"provider_id": "custom", "ticket": ticket})),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// A v2 call with a text/plain JSON body (as the SDK sends it).
    pub fn v2(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<Value>) -> Reply {
        let auth = bearer.map(|b| format!("Bearer {b}"));
        let mut headers = vec![
            ("content-type", "text/plain;charset=UTF-8"),
            ("x-sdk-version", "@cloudbase/js-sdk/2.32.0"),
        ];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        let body = body.map(|b| b.to_string());
        request(
            method,
            &self.url(path),
            &headers,
            body.as_deref().map(str::as_bytes),
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.process.kill();
        // Credentials, data directory and log: failures print the log.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the binary with `args` and expects it to exit by itself: (code, output).
pub fn run_to_exit(args: &[String]) -> (Option<i32>, String) {
    let dir = temp_dir("exit");
    let ran = run_bounded(
        Command::new(emulator_bin()).args(args).current_dir(&dir),
        Duration::from_secs(30),
        "the emulator",
    );
    let _ = std::fs::remove_dir_all(&dir);
    ran
}

/// Sleeps until the clock reads `ms` (ms since the epoch).
pub fn sleep_until(ms: u64) {
    let now = now_ms();
    if ms > now {
        std::thread::sleep(Duration::from_millis(ms - now));
    }
}

/// Runs `f` while holding a lock shared by the test processes (nextest runs
/// each test in its own process): a directory made atomically.
pub fn locked<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let lock = std::env::temp_dir().join(format!("cloudbase-emulator-{name}.lock"));
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        match std::fs::create_dir(&lock) {
            Ok(()) => break,
            Err(_) if Instant::now() < deadline => {
                // A lock older than 10 minutes was left by a killed run.
                if std::fs::metadata(&lock)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(600))
                {
                    let _ = std::fs::remove_dir(&lock);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("lock {}: {e}", lock.display()),
        }
    }
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let _ = std::fs::remove_dir(&lock);
    out.unwrap_or_else(|e| std::panic::resume_unwind(e))
}

pub fn run_bounded(cmd: &mut Command, within: Duration, what: &str) -> (Option<i32>, String) {
    let dir = temp_dir("cmd");
    let log = dir.join("out.log");
    let out = std::fs::File::create(&log).expect("log");
    let err = out.try_clone().expect("log");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let deadline = Instant::now() + within;
    let code = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    (code, out)
}

/// A workspace binary next to the emulator's (`create-ticket`,
/// `get-user-info`), built when missing.
pub fn sibling_bin(name: &str) -> String {
    let emulator = Path::new(emulator_bin());
    let dir = emulator.parent().expect("bin dir");
    let bin = dir.join(name);
    locked(name, || {
        if bin.exists() {
            return;
        }
        let target_dir = dir.parent().expect("target dir");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", name, "--target-dir"])
            .arg(target_dir);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let (code, out) = run_bounded(&mut cmd, Duration::from_secs(900), "cargo build");
        assert_eq!(code, Some(0), "building {name} failed:\n{out}");
    });
    bin.display().to_string()
}
