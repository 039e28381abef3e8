//! Start-up: refusals (exit 2, naming the problem), restart with a data
//! directory, export and import.

mod common;

use common::*;
use customauth_testkit::{free_port, request};
use serde_json::json;

fn args(files: &[&std::path::Path], extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        "--port".to_owned(),
        free_port().to_string(),
        "--in-memory".into(),
    ];
    for f in files {
        a.push("--credentials".into());
        a.push(f.display().to_string());
    }
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a
}

#[test]
fn bad_credentials_file_is_refused_by_name() {
    let dir = temp_dir("bad");
    let bad = dir.join("broken.json");
    std::fs::write(&bad, "{\"private_key_id\": 1}").expect("write");
    let (code, out) = run_to_exit(&args(&[&bad], &[]));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("broken.json"), "{out}");
    let missing = dir.join("missing.json");
    let (code, out) = run_to_exit(&args(&[&missing], &[]));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("missing.json"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn duplicate_env_is_refused() {
    let dir = temp_dir("dup");
    let (a, _) = credentials_files(&dir);
    let twin = dir.join("twin.json");
    std::fs::write(
        &twin,
        customauth_testkit::credentials_json("k2048-pkcs8.pem", "kid-twin", ENV_A),
    )
    .expect("write");
    let (code, out) = run_to_exit(&args(&[&a, &twin], &[]));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("env env-a is already configured"), "{out}");
    let same_key = dir.join("same-key.json");
    std::fs::write(
        &same_key,
        customauth_testkit::credentials_json("k2048-pkcs8.pem", KID_A, "env-c"),
    )
    .expect("write");
    let (code, out) = run_to_exit(&args(&[&a, &same_key], &[]));
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("private_key_id kid-a is already used"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_credentials_flag_is_refused() {
    let (code, out) = run_to_exit(&["--in-memory".to_owned()]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("--credentials"), "{out}");
}

#[test]
fn busy_port_is_refused() {
    let dir = temp_dir("busy");
    let (a, _) = credentials_files(&dir);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let (code, out) = run_to_exit(&[
        "--port".into(),
        port.clone(),
        "--in-memory".into(),
        "--credentials".into(),
        a.display().to_string(),
    ]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains(&format!("127.0.0.1:{port}")) && out.contains("in use"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn state_survives_a_restart_with_a_data_dir() {
    let dir = temp_dir("restart");
    let data = dir.join("data");
    let data_flag = data.display().to_string();
    let mut emu = Emulator::start_in(dir.clone(), &["--data-dir", &data_flag]);
    let (refresh, access, _) = emu.v1_sign_in(ENV_A, &ticket("user_persist"));
    let uid = emu.v1_user(ENV_A, &access)["data"]["uid"].clone();
    assert_eq!(emu.terminate(), Some(0));
    let emu = Emulator::start_in(dir, &["--data-dir", &data_flag]);
    // Same key: the old access token still verifies; same session and user.
    assert_eq!(emu.v1_user(ENV_A, &access)["data"]["uid"], uid);
    let (fresh, _) = emu.v1_access_token(ENV_A, &refresh);
    assert_eq!(emu.v1_user(ENV_A, &fresh)["data"]["uid"], uid);
    let (_, again, _) = emu.v1_sign_in(ENV_A, &ticket("user_persist"));
    assert_eq!(emu.v1_user(ENV_A, &again)["data"]["uid"], uid);
}

#[test]
fn export_on_exit_then_import_round_trips() {
    let dir = temp_dir("export");
    let out = dir.join("export");
    let out_flag = out.display().to_string();
    let mut emu = Emulator::start_in(dir.clone(), &["--in-memory", "--export-on-exit", &out_flag]);
    let (refresh, _, _) = emu.v1_sign_in(ENV_A, &ticket("user_export"));
    let anon = emu.v1(ENV_A, "auth.signInAnonymously", json!({}));
    let before = request("GET", &emu.url("/emulator/v1/envs/env-a/users"), &[], None).json();
    assert_eq!(emu.terminate(), Some(0));
    assert!(out.join("users.json").exists() && out.join("sessions.json").exists());

    let emu = Emulator::start_in(dir, &["--in-memory", "--import", &out_flag]);
    let after = request("GET", &emu.url("/emulator/v1/envs/env-a/users"), &[], None).json();
    assert_eq!(after["users"], before["users"]);
    assert_eq!(after["sessions"], before["sessions"]);
    // Sessions carry over: the refresh tokens work in the new process.
    let (access, _) = emu.v1_access_token(ENV_A, &refresh);
    assert_eq!(
        emu.v1_user(ENV_A, &access)["data"]["customUserId"],
        "user_export"
    );
    let (a2, _) = emu.v1_access_token(ENV_A, anon["refresh_token"].as_str().expect("rt"));
    assert_eq!(emu.v1_user(ENV_A, &a2)["data"]["uid"], anon["uuid"]);
}

#[test]
fn admin_page_lists_users_and_delete_clears_an_env() {
    let emu = Emulator::start();
    let (refresh, access, _) = emu.v1_sign_in(ENV_A, &ticket("user_admin"));
    let uid = emu.v1_user(ENV_A, &access)["data"]["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let page = request("GET", &emu.url("/"), &[], None);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    for needle in [ENV_A, ENV_B, "user_admin", uid.as_str(), "Live sessions"] {
        assert!(page.body.contains(needle), "{needle} missing from the page");
    }
    let users = request("GET", &emu.url("/emulator/v1/envs/env-a/users"), &[], None).json();
    assert_eq!(users["users"][0]["uid"], uid.as_str());
    assert_eq!(users["users"][0]["customUserId"], "user_admin");
    assert_eq!(users["users"][0]["anonymous"], false);
    assert_eq!(users["sessions"].as_array().map(Vec::len), Some(1));
    let cleared = request(
        "DELETE",
        &emu.url("/emulator/v1/envs/env-a/users"),
        &[],
        None,
    );
    assert_eq!(cleared.json()["deletedUsers"], 1);
    let users = request("GET", &emu.url("/emulator/v1/envs/env-a/users"), &[], None).json();
    assert_eq!(users["users"], json!([]));
    let r = emu.v1(
        ENV_A,
        "auth.fetchAccessTokenWithRefreshToken",
        json!({"refresh_token": refresh}),
    );
    assert_eq!(r["code"], "INVALID_REFRESH_TOKEN");
    assert_eq!(
        request("GET", &emu.url("/emulator/v1/envs/nope/users"), &[], None).status,
        404
    );
}

#[test]
fn unreadable_import_and_conflicting_flags_are_refused() {
    let dir = temp_dir("flags");
    let (a, _) = credentials_files(&dir);
    let missing = dir.join("no-such-export").display().to_string();
    let (code, out) = run_to_exit(&args(&[&a], &["--import", &missing]));
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("--import") && out.contains("users.json"),
        "{out}"
    );
    let data = dir.join("data").display().to_string();
    let (code, out) = run_to_exit(&args(&[&a], &["--data-dir", &data]));
    assert_eq!(code, Some(2), "--data-dir with --in-memory: {out}");
    let _ = std::fs::remove_dir_all(&dir);
}
