//! The real client SDKs against the real emulator binary: js-sdk 1.8.4,
//! tcb-js-sdk 1.10.10, js-sdk 2.32.0, js-sdk 3.7.0 and the uniCloud client, each driven by
//! a Node script of `emulator/sdk-tests/` through its public API, with
//! tickets from the create-ticket binary over HTTP (api-key mode).
//!
//! Plus a headless-browser test (chromium). Needs `node` (20 or later) and `npm`; `npm ci` runs from the committed
//! lockfile when `node_modules` is missing. create-ticket is built when it is
//! not next to the emulator binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use customauth_core::{CustomUserId, TicketOptions, now_ms};
use customauth_testkit::Process;

const API_KEY: &str = "sdk-tests-api-key-0123456789";

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk-tests")
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
            "npm ci (install Node.js 20 or later and npm)",
        );
        assert_eq!(code, Some(0), "npm ci in {} failed:\n{out}", dir.display());
    });
}

fn run_script(script: &str) {
    run_script_with(script, false);
}

fn run_script_with(script: &str, get_user_info: bool) {
    run_node(&[script], get_user_info);
}

/// `node ARGS` (a script and its arguments) against a fresh emulator; with
/// `get_user_info`, also the project's get-user-info in `cloudbase` mode
/// asking that emulator, at `GET_USER_INFO_URL`.
fn run_node(args: &[&str], get_user_info: bool) {
    let script = args.join(" ");
    node_modules();
    let ticket_bin = sibling_bin("create-ticket");
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
    let get_user_info = get_user_info.then(|| {
        let endpoint = emu.url("");
        Process::http(
            &sibling_bin("get-user-info"),
            &[
                ("CUSTOMAUTH_CALLER_AUTH", "cloudbase"),
                ("CUSTOMAUTH_CLOUDBASE_ENV", ENV_A),
                ("CUSTOMAUTH_CLOUDBASE_ENDPOINT", endpoint.as_str()),
            ],
        )
        .expect("get-user-info starts")
    });
    let extra: Vec<(&str, String)> = get_user_info
        .iter()
        .map(|p| ("GET_USER_INFO_URL", p.url("/")))
        .collect();
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
            .args(args)
            .current_dir(sdk_dir())
            .env("EMULATOR_URL", emu.url(""))
            .env("EMULATOR_ENV", ENV_A)
            .env("CREATE_TICKET_URL", create_ticket.url("/"))
            .env("CREATE_TICKET_API_KEY", API_KEY)
            .env("EXPIRED_TICKET", expired)
            .envs(extra),
        Duration::from_secs(120),
        "node (install Node.js 20 or later)",
    );
    assert_eq!(
        code,
        Some(0),
        "{script} failed:\n{out}\n--- emulator log ---\n{}",
        emu.logs()
    );
    assert!(out.contains("done "), "{out}");
    // The steps and the requests the SDK made (`--no-capture` shows them).
    println!("{out}");
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

/// Also the whole loop with the project's getUserInfo in `cloudbase` mode:
/// the SDK's access token, checked by asking the emulator.
#[test]
fn js_sdk_2_signs_in_and_get_user_info_in_cloudbase_mode_knows_it() {
    run_script_with("js-sdk-v2.js", true);
}

/// npm's latest, pointed with `app.registerHost(host, 'http')`; the shims
/// refuse any request to a host other than this machine's.
#[test]
fn js_sdk_3_signs_in() {
    run_script("js-sdk-v3.js");
}

#[test]
fn uni_cloud_signs_in() {
    run_script("uni-cloud.js");
}

/// The client samples docs/clients.md shows (`sdk-tests/samples/*.js`, compared
/// with it by tests/python/test_readme.py), run as printed: each
/// signs in with a create-ticket ticket and reads its user. The 2.x sample
/// also on the earliest OAuth-based 2.x (`@cloudbase/app` 2.0.0-alpha.6), the
/// tcb-js-sdk sample also on 1.3.7 (installed by `make deps`).
#[test]
fn client_samples_run_as_printed() {
    for sample in [
        "js-sdk-1",
        "js-sdk-2",
        "js-sdk-3",
        "tcb-js-sdk",
        "uni-cloud",
    ] {
        run_node(&["samples.js", sample], false);
    }
    for (sample, set) in [
        ("js-sdk-2", "matrix/js-sdk-2.0.1-alpha.0"),
        ("tcb-js-sdk", "matrix/tcb-js-sdk-1.3.7"),
    ] {
        assert!(
            sdk_dir()
                .join(set)
                .join("node_modules/.package-lock.json")
                .exists(),
            "{set} is not installed: make node-deps"
        );
        run_node(&["samples.js", sample, set], false);
    }
}

/// WeChat mini-program runs: the `miniprogram_dist` bundles of js-sdk 1.8.4,
/// 2.32.0 and 3.7.0 in a `vm` context holding only a mini program's globals
/// (`wx` over node http, `App`, `Page`, `getApp`), without and with
/// `@cloudbase/adapter-wx_mp`, pointed with each major's documented recipe.
#[test]
fn mini_program_bundles_sign_in() {
    run_script("mini-program.js");
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
