//! The SDK version matrix: each version set of `emulator/sdk-tests/matrix/`
//! (and the pinned SDKs of `emulator/sdk-tests/`) runs
//! `sdk-tests/matrix/driver.js` against a fresh emulator: sign-in, user info,
//! refresh, sign-out and the refusals (used ticket, expired, wrong key,
//! unknown key id, other env). Each test prints its rows of the
//! SDK@version x flow table and fails on any failed cell.
//!
//! The tests of the sets `make deps` installs run in `make test`; the others
//! are ignored there and run by `make sdk-matrix` (which installs them first).
//! A missing `node_modules` fails the test with the command that installs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use customauth_core::{CustomUserId, TicketOptions, now_ms};
use customauth_testkit::Process;

const API_KEY: &str = "sdk-matrix-api-key-0123456789";

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk-tests")
}

fn minted(signer: &customauth_core::TicketSigner, uid: &str, at: u64) -> String {
    signer
        .sign(
            &CustomUserId::parse(uid).expect("uid"),
            TicketOptions::default(),
            at,
        )
        .expect("signs")
        .into_string()
}

/// Runs the driver for `kind` on the set in `set` (relative to sdk-tests),
/// loading `package` (an npm alias) when given; returns its rows.
fn matrix(kind: &str, set: &str, package: Option<&str>) -> String {
    let dir = sdk_dir().join(set);
    assert!(
        dir.join("node_modules/.package-lock.json").exists(),
        "{} is not installed: run `make sdk-matrix-deps` (or `npm ci --prefix {}`)",
        dir.display(),
        dir.display()
    );
    let emu = Emulator::start();
    let credentials = emu.dir.join("env-a.json").display().to_string();
    let create_ticket = Process::http(
        &sibling_bin("create-ticket"),
        &[
            ("CUSTOMAUTH_CREDENTIALS_FILE", credentials.as_str()),
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", API_KEY),
        ],
    )
    .expect("create-ticket starts");
    let expired = minted(&signer_a(), "user_expired", now_ms() - 11 * 60_000);
    let other_env = minted(&signer_b(), "other_env_user", now_ms());
    let mut cmd = Command::new("node");
    cmd.arg("matrix/driver.js")
        .arg(kind)
        .arg(set)
        .args(package)
        .current_dir(sdk_dir())
        .env("EMULATOR_URL", emu.url(""))
        .env("EMULATOR_ENV", ENV_A)
        .env("OTHER_ENV", ENV_B)
        .env("OTHER_ENV_TICKET", other_env)
        .env("CREATE_TICKET_URL", create_ticket.url("/"))
        .env("CREATE_TICKET_API_KEY", API_KEY)
        .env("EXPIRED_TICKET", expired);
    let (code, out) = run_bounded(
        &mut cmd,
        Duration::from_secs(120),
        "node (install Node.js 20 or later)",
    );
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("ROW\t")).collect();
    let table: String = rows
        .iter()
        .map(|r| {
            let cells: Vec<&str> = r.split('\t').skip(1).collect();
            format!("| {} |\n", cells.join(" | "))
        })
        .collect();
    println!("{table}");
    assert_eq!(
        code,
        Some(0),
        "{kind} {set} failed:\n{out}\n--- emulator log ---\n{}",
        emu.logs()
    );
    assert_eq!(rows.len(), 10, "one row per flow:\n{out}");
    assert!(
        rows.iter().all(|r| r.split('\t').nth(3) == Some("ok")),
        "{out}"
    );
    assert!(
        !emu.logs().contains("/@@/"),
        "a ticket reached the emulator log"
    );
    table
}

#[test]
fn matrix_js_sdk_1_8_4() {
    matrix("js-sdk-1", ".", None);
}

#[test]
fn matrix_js_sdk_2_32_0() {
    matrix("js-sdk-2", ".", Some("cloudbase-js-sdk-v2"));
}

#[test]
fn matrix_js_sdk_3_7_0() {
    matrix("js-sdk-3", ".", Some("js-sdk-v3"));
}

#[test]
fn matrix_tcb_js_sdk_1_10_10() {
    matrix("tcb-js-sdk", ".", None);
}

#[test]
fn matrix_uni_cloud_latest() {
    matrix("uni-cloud", ".", None);
}

/// The earliest OAuth-based 2.x with its subpackages as published
/// (`@cloudbase/app` 2.0.0-alpha.6, `@cloudbase/oauth` 2.0.0-beta.0):
/// `signin/with/provider` and the `'http:'` recipe.
#[test]
fn matrix_js_sdk_2_0_1_alpha_0() {
    matrix("js-sdk-2", "matrix/js-sdk-2.0.1-alpha.0", None);
}

/// tcb-js-sdk 1.3.7: `auth.getJwt`.
#[test]
fn matrix_tcb_js_sdk_1_3_7() {
    matrix("tcb-js-sdk", "matrix/tcb-js-sdk-1.3.7", None);
}

#[test]
#[ignore = "make sdk-matrix"]
fn matrix_js_sdk_1_2_4() {
    matrix("js-sdk-1", "matrix/js-sdk-1.2.4", None);
}

#[test]
#[ignore = "make sdk-matrix"]
fn matrix_js_sdk_2_11_0() {
    matrix("js-sdk-2", "matrix/js-sdk-2.11.0", None);
}

#[test]
#[ignore = "make sdk-matrix"]
fn matrix_uni_cloud_3_0_0_3090920231225001() {
    matrix("uni-cloud", "matrix/uni-cloud-3.0.0-3090920231225001", None);
}
