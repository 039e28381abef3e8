//! The real client SDKs against the real emulator binary: js-sdk 1.8.4,
//! tcb-js-sdk 1.10.10, js-sdk 2.32.0 and the uniCloud client, each driven by
//! a Node script of `emulator/sdk-tests/` through its public API, with
//! tickets from the create-ticket binary over HTTP (api-key mode).
//!
//! Plus a headless-browser test (chromium). Needs `node` (20 or later) and `npm`; `npm ci` runs from the committed
//! lockfile when `node_modules` is missing. create-ticket is built when it is
//! not next to the emulator binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use customauth::{CustomUserId, TicketOptions, now_ms};
use customauth_testkit::Process;

const API_KEY: &str = "sdk-tests-api-key-0123456789";

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk-tests")
}

/// Runs `f` while holding a lock shared by the test processes (nextest runs
/// each test in its own process): a directory made atomically.
fn locked<T>(name: &str, f: impl FnOnce() -> T) -> T {
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

fn run_bounded(cmd: &mut Command, within: Duration, what: &str) -> (Option<i32>, String) {
    let dir = temp_dir("cmd");
    let log = dir.join("out.log");
    let out = std::fs::File::create(&log).expect("log");
    let err = out.try_clone().expect("log");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e} (install Node.js 20+ and npm)"));
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

/// `npm ci` from the committed lockfile, once, when `node_modules` is missing.
fn node_modules() {
    locked("npm", || {
        let dir = sdk_dir();
        if dir.join("node_modules/.package-lock.json").exists() {
            return;
        }
        let (code, out) = run_bounded(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
                .current_dir(&dir),
            Duration::from_secs(600),
            "npm ci",
        );
        assert_eq!(code, Some(0), "npm ci in {} failed:\n{out}", dir.display());
    });
}

/// The create-ticket binary next to the emulator's, built when missing.
fn create_ticket_bin() -> String {
    let emulator = Path::new(emulator_bin());
    let dir = emulator.parent().expect("bin dir");
    let bin = dir.join("create-ticket");
    locked("create-ticket", || {
        if bin.exists() {
            return;
        }
        let target_dir = dir.parent().expect("target dir");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "create-ticket", "--target-dir"])
            .arg(target_dir);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let (code, out) = run_bounded(&mut cmd, Duration::from_secs(900), "cargo build");
        assert_eq!(code, Some(0), "building create-ticket failed:\n{out}");
    });
    bin.display().to_string()
}

fn run_script(script: &str) {
    node_modules();
    let ticket_bin = create_ticket_bin();
    let emu = Emulator::start();
    let credentials = emu.dir.join("env-a.json").display().to_string();
    let create_ticket = Process::http(
        &ticket_bin,
        &[
            ("CUSTOMAUTH_CREDENTIALS_FILE", credentials.as_str()),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
        ],
    )
    .expect("create-ticket starts");
    // create-ticket signs at the current time only: the expired ticket is
    // minted here, issued 11 minutes ago.
    let expired = signer_a()
        .sign(
            &CustomUserId::parse("user_expired").expect("uid"),
            TicketOptions::default(),
            now_ms() - 11 * 60_000,
        )
        .expect("signs")
        .into_string();
    let (code, out) = run_bounded(
        Command::new("node")
            .arg(script)
            .current_dir(sdk_dir())
            .env("EMULATOR_URL", emu.url(""))
            .env("EMULATOR_ENV", ENV_A)
            .env("CREATE_TICKET_URL", create_ticket.url("/"))
            .env("CREATE_TICKET_API_KEY", API_KEY)
            .env("EXPIRED_TICKET", expired),
        Duration::from_secs(120),
        "node",
    );
    assert_eq!(
        code,
        Some(0),
        "{script} failed:\n{out}\n--- emulator log ---\n{}",
        emu.logs()
    );
    assert!(out.contains("done "), "{out}");
    // Every sign-in went through the emulator, and no token reached its log.
    let logs = emu.logs();
    assert!(logs.contains("sign-in with ticket"), "{logs}");
    assert!(!logs.contains("/@@/"), "a ticket reached the emulator log");
}

#[test]
fn js_sdk_1_signs_in() {
    run_script("js-sdk-v1.js");
}

#[test]
fn tcb_js_sdk_signs_in() {
    run_script("tcb-js-sdk.js");
}

#[test]
fn js_sdk_2_signs_in() {
    run_script("js-sdk-v2.js");
}

#[test]
fn uni_cloud_signs_in() {
    run_script("uni-cloud.js");
}

/// Headless chromium (`/usr/bin/chromium`, Debian's `chromium`; `CHROMIUM`
/// overrides): a page on another loopback origin loads the js-sdk 1.x and
/// 2.x bundles and signs in, through CORS and preflights.
#[test]
fn browser_page_on_another_origin_signs_in() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: apt-get install chromium (or set CHROMIUM)"
    );
    run_script("browser.js");
}
