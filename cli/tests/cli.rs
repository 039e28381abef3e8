//! The `customauth` binary, run as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_customauth");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("customauth-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// A command with none of the credential variables of the calling shell.
fn customauth(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("CUSTOMAUTH_") || k.starts_with("TCB_CUSTOM_LOGIN_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

fn run(args: &[&str]) -> Output {
    customauth(args).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8")
}

#[derive(serde::Deserialize)]
struct Vector {
    key: String,
    kid: String,
    env: String,
    uid: String,
    now: u64,
    #[serde(default)]
    options: serde_json::Map<String, serde_json::Value>,
    ticket: String,
}

/// Writes the console JSON for a vector's key and returns its path.
fn credentials_for(dir: &Path, v: &Vector) -> PathBuf {
    let pem = std::fs::read_to_string(fixtures().join("keys").join(&v.key)).expect("key");
    let path = dir.join(format!("{}-{}.json", v.kid, v.env));
    let json = serde_json::json!({"private_key_id": v.kid, "private_key": pem, "env_id": v.env});
    std::fs::write(&path, json.to_string()).expect("write");
    path
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(fixtures().join("tickets.json")).expect("fixture");
    serde_json::from_str(&text).expect("parses")
}

#[test]
fn mint_reproduces_every_sdk_vector() {
    let dir = tempdir("vectors");
    for v in vectors() {
        let creds = credentials_for(&dir, &v);
        let now = v.now.to_string();
        let mut args = vec![
            "mint",
            "--credentials",
            creds.to_str().expect("utf-8"),
            "--uid",
            &v.uid,
            "--now",
            &now,
        ];
        let opts: Vec<(String, String)> = v
            .options
            .iter()
            .map(|(k, val)| (format!("--{k}"), val.to_string()))
            .collect();
        for (k, val) in &opts {
            args.push(k);
            args.push(val);
        }
        let out = run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), format!("{}\n", v.ticket));
    }
}

#[test]
fn verify_prints_claims_and_exits_0() {
    let dir = tempdir("verify");
    let v = &vectors()[0];
    let creds = credentials_for(&dir, v);
    let now = v.now.to_string();
    let out = run(&[
        "verify",
        "--credentials",
        creds.to_str().expect("utf-8"),
        "--now",
        &now,
        &v.ticket,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let claims: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(claims["uid"], v.uid.as_str());
    assert_eq!(claims["iat"], v.now);
}

#[test]
fn verify_of_expired_ticket_exits_1() {
    let dir = tempdir("expired");
    let v = &vectors()[0];
    let creds = credentials_for(&dir, v);
    let late = (v.now + 3_600_000).to_string();
    let out = run(&[
        "verify",
        "--credentials",
        creds.to_str().expect("utf-8"),
        "--now",
        &late,
        &v.ticket,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("expired"));
}

#[test]
fn bad_uid_exits_2_with_a_message() {
    let dir = tempdir("baduid");
    let creds = credentials_for(&dir, &vectors()[0]);
    let out = run(&[
        "mint",
        "--credentials",
        creds.to_str().expect("utf-8"),
        "--uid",
        "a b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("customUserId"));
}

/// Option values that start with `-` are values, not flags: a customUserId
/// may start with `-`, and a negative number is a bad value (exit 2), not an
/// unknown flag.
#[test]
fn values_starting_with_a_hyphen_are_values() {
    let dir = tempdir("hyphen");
    let v = &vectors()[0];
    let creds = credentials_for(&dir, v);
    let creds = creds.to_str().expect("utf-8");
    let now = v.now.to_string();
    let out = run(&[
        "mint",
        "--credentials",
        creds,
        "--now",
        &now,
        "--uid",
        "-abc",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ticket = stdout(&out);
    let out = run(&[
        "verify",
        "--credentials",
        creds,
        "--now",
        &now,
        ticket.trim(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let claims: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(claims["uid"], "-abc");

    for (flag, value) in [
        ("--refresh", "-1"),
        ("--expire", "-1"),
        ("--now", "-5"),
        ("--count", "-1"),
    ] {
        let out = run(&[
            "mint",
            "--credentials",
            creds,
            "--uid",
            "user_1234",
            flag,
            value,
        ]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(err.contains(&format!("invalid value '{value}'")), "{err}");
        assert!(err.contains(flag), "{err}");
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn missing_credentials_exit_2_naming_the_variables() {
    let out = run(&["mint", "--uid", "user_1234"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("CUSTOMAUTH_CREDENTIALS_FILE"), "{err}");
    // The flag first, and no AWS source the CLI cannot load.
    assert!(err.contains("--credentials FILE"), "{err}");
    assert!(!err.contains("SECRET_ID") && !err.contains("SSM"), "{err}");
}

#[test]
fn an_empty_credentials_file_is_called_empty() {
    let dir = tempdir("empty");
    let path = dir.join("empty.json");
    std::fs::write(&path, "").expect("write");
    let out = run(&[
        "mint",
        "--credentials",
        path.to_str().expect("utf-8"),
        "--uid",
        "user_1234",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("empty.json is empty"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn keygen_writes_0600_refuses_overwrite_and_mints() {
    let dir = tempdir("keygen");
    let path = dir.join("creds.json");
    let _ = std::fs::remove_file(&path);
    let p = path.to_str().expect("utf-8");
    let out = run(&[
        "keygen", "--env", "dev-env", "--key-id", "dev-key", "--out", p,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = run(&["keygen", "--env", "dev-env", "--out", p]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));
    assert!(
        run(&["keygen", "--env", "dev-env", "--out", p, "--force"])
            .status
            .success()
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    assert_eq!(json["env_id"], "dev-env");
    let minted = run(&["mint", "--credentials", p, "--uid", "user_1234"]);
    assert!(minted.status.success(), "{}", stderr(&minted));
    let ticket = stdout(&minted);
    let checked = run(&["verify", "--credentials", p, ticket.trim()]);
    assert!(checked.status.success(), "{}", stderr(&checked));
}

#[test]
fn keygen_refuses_insecure_sizes() {
    let out = run(&["keygen", "--env", "e", "--bits", "1024"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn mint_reads_the_functions_environment_and_counts() {
    let pem = std::fs::read_to_string(fixtures().join("keys/k2048-pkcs8.pem")).expect("key");
    let out = customauth(&[
        "mint",
        "--uid",
        "user_1234",
        "--count",
        "3",
        "--now",
        "1700000000000",
    ])
    .env("TCB_CUSTOM_LOGIN_PRIVATE_KEY_ID", "kid")
    .env("TCB_CUSTOM_LOGIN_PRIVATE_KEY", pem.replace('\n', "\\n"))
    .env("TCB_CUSTOM_LOGIN_ENV_ID", "env-1")
    .output()
    .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l == &lines[0] && l.starts_with("kid/@@/"))
    );
}

#[test]
fn env_mismatch_exits_2() {
    let dir = tempdir("envmismatch");
    let creds = credentials_for(&dir, &vectors()[0]);
    let out = customauth(&[
        "mint",
        "--credentials",
        creds.to_str().expect("utf-8"),
        "--uid",
        "user_1234",
    ])
    .env("CUSTOMAUTH_ENV", "another-env")
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("CUSTOMAUTH_ENV"));
}

#[test]
fn one_thousand_twenty_four_bit_key_warns_once_and_signs() {
    let dir = tempdir("legacy");
    let v = vectors()
        .into_iter()
        .find(|v| v.key.starts_with("k1024"))
        .expect("vector");
    let creds = credentials_for(&dir, &v);
    let out = run(&[
        "mint",
        "--credentials",
        creds.to_str().expect("utf-8"),
        "--uid",
        "user_1234",
        "--count",
        "5",
    ]);
    assert!(out.status.success());
    assert_eq!(
        stderr(&out).matches("a weak key").count(),
        1,
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out).lines().count(), 5);
}

#[test]
fn verify_reads_the_ticket_from_stdin() {
    use std::io::Write as _;
    let dir = tempdir("stdin");
    let v = &vectors()[0];
    let creds = credentials_for(&dir, v);
    let now = v.now.to_string();
    let mut child = customauth(&[
        "verify",
        "--credentials",
        creds.to_str().expect("utf-8"),
        "--now",
        &now,
        "-",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{}\n", v.ticket).as_bytes())
        .expect("writes");
    let out = child.wait_with_output().expect("waits");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn closed_stdout_is_not_a_crash() {
    let dir = tempdir("pipe");
    let v = &vectors()[0];
    let creds = credentials_for(&dir, v);
    let now = v.now.to_string();
    for args in [
        vec![
            "verify",
            "--credentials",
            creds.to_str().expect("utf-8"),
            "--now",
            &now,
            &v.ticket,
        ],
        vec![
            "mint",
            "--credentials",
            creds.to_str().expect("utf-8"),
            "--uid",
            "user_1234",
            "--count",
            "100000",
        ],
    ] {
        let mut child = customauth(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        drop(child.stdout.take()); // the reader goes away at once
        let out = child.wait_with_output().expect("waits");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}
