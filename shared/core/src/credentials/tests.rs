//! The console's JSON, its sources and their errors.

use super::*;

const PEM: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;

use crate::env::from_pairs as env;

fn json() -> String {
    serde_json::json!({"private_key_id": "kid", "private_key": PEM, "env_id": "env-1"}).to_string()
}

#[test]
fn console_json_parses() {
    let c = Credentials::from_json(&json(), "test").expect("parses");
    assert_eq!((c.key_id(), c.env_id()), ("kid", "env-1"));
    assert_eq!(c.private_key_pem(), PEM);
}

#[test]
fn missing_or_mistyped_fields_are_named() {
    for (text, field) in [
        (r#"{"private_key":"x","env_id":"e"}"#, "private_key_id"),
        (
            r#"{"private_key_id":"k","private_key":7,"env_id":"e"}"#,
            "private_key",
        ),
        (
            r#"{"private_key_id":"k","private_key":"x","env_id":""}"#,
            "env_id",
        ),
    ] {
        let err = Credentials::from_json(text, "src").unwrap_err();
        assert!(
            matches!(err, CredentialsError::Field { field: f, .. } if f == field),
            "{err}"
        );
    }
}

#[test]
fn json_errors_never_echo_the_text() {
    let secret = "MIIEsecretkeymaterial";
    for text in [
        format!(r#"{{"private_key":"{secret}" "#),
        format!(r#"["{secret}"]"#),
        format!(r#"{{"private_key":"{secret}\q"}}"#),
    ] {
        let err = Credentials::from_json(&text, "src")
            .unwrap_err()
            .to_string();
        assert!(!err.contains(secret), "{err}");
    }
}

#[test]
fn an_empty_text_is_called_empty_not_bad_json() {
    for text in ["", "  \n\t"] {
        let err = Credentials::from_json(text, "credentials file x.json").unwrap_err();
        assert!(matches!(err, CredentialsError::Empty { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("credentials file x.json is empty: expected the console's JSON"),
            "{err}"
        );
    }
}

#[test]
fn debug_redacts_the_key() {
    let c = Credentials::from_json(&json(), "test").expect("parses");
    let shown = format!("{c:?}");
    assert!(shown.contains("[redacted]"));
    assert!(!shown.contains("PRIVATE KEY"));
    let source = CredentialsSource::Inline(Zeroizing::new(json()));
    assert!(!format!("{source:?}").contains("PRIVATE KEY"));
}

#[test]
fn split_form_with_literal_newlines_loads() {
    let escaped = PEM.replace('\n', "\\n");
    let source = CredentialsSource::from_env(env(&[
        (VAR_SPLIT_KEY_ID, "kid"),
        (VAR_SPLIT_KEY, &escaped),
        (VAR_SPLIT_ENV_ID, "env-1"),
    ]))
    .expect("one source");
    let c = source.load_local().expect("loads");
    assert_eq!(c.private_key_pem(), PEM);
}

#[test]
fn incomplete_split_names_the_missing_variable() {
    let err = CredentialsSource::from_env(env(&[(VAR_SPLIT_KEY_ID, "kid"), (VAR_SPLIT_KEY, PEM)]))
        .unwrap_err();
    assert!(err.to_string().contains(VAR_SPLIT_ENV_ID), "{err}");
}

#[test]
fn no_source_fails() {
    assert!(matches!(
        CredentialsSource::from_env(env(&[])),
        Err(CredentialsError::NoSource)
    ));
}

#[test]
fn empty_variables_count_as_unset() {
    let s = CredentialsSource::from_env(env(&[(VAR_FILE, "/x.json"), (VAR_INLINE, "")]))
        .expect("one source");
    assert!(matches!(s, CredentialsSource::File(_)));
}

#[test]
fn two_sources_fail_naming_both() {
    let err = CredentialsSource::from_env(env(&[(VAR_FILE, "/x.json"), (VAR_SECRET_ID, "s")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(VAR_FILE) && err.contains(VAR_SECRET_ID),
        "{err}"
    );
}

#[test]
fn each_single_source_is_picked() {
    for (var_name, remote) in [
        (VAR_INLINE, false),
        (VAR_SECRET_ID, true),
        (VAR_SSM_PARAMETER, true),
    ] {
        let value = json();
        let s = CredentialsSource::from_env(env(&[(var_name, &value)])).expect("one");
        assert_eq!(s.is_remote(), remote);
    }
}

#[test]
fn file_source_loads_and_missing_file_names_path() {
    let dir = std::env::temp_dir().join(format!("customauth-cred-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("c.json");
    std::fs::write(&path, json()).expect("write");
    let c = Credentials::from_file(&path).expect("loads");
    assert_eq!(c.env_id(), "env-1");
    let err = Credentials::from_file(&dir.join("nope.json"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope.json"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn env_mismatch_fails() {
    let c = Credentials::from_json(&json(), "test").expect("parses");
    assert!(c.check_env(None).is_ok());
    assert!(c.check_env(Some("env-1")).is_ok());
    let err = c.check_env(Some("env-2")).unwrap_err().to_string();
    assert!(err.contains(VAR_ENV), "{err}");
}

#[test]
fn json_escapes_in_the_key_are_unescaped_like_serde_json() {
    let key = "line\\one\n\"two\" \u{e9} \u{1F600} /\t\r";
    let json = serde_json::json!({"private_key_id": "k", "private_key": key, "env_id": "e"});
    let mut text = json.to_string();
    text = text
        .replace('/', "\\/")
        .replace('\u{e9}', "\\u00e9")
        .replace('\u{1F600}', "\\ud83d\\ude00");
    let c = Credentials::from_json(&text, "test").expect("parses");
    assert_eq!(c.private_key_pem(), key);
}

#[test]
fn a_key_of_only_escaped_newlines_is_blank() {
    let err = Credentials::from_parts("k", "\\n\\r\\n ", "e", "src").unwrap_err();
    assert!(
        matches!(
            err,
            CredentialsError::Field {
                field: "private_key",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn literal_crlf_escapes_become_newlines() {
    assert_eq!(normalize_pem("a\\r\\nb\\nc").as_str(), "a\nb\nc");
    assert_eq!(normalize_pem("plain\nkey").as_str(), "plain\nkey");
}

#[test]
fn to_json_round_trips() {
    let c = Credentials::from_json(&json(), "test").expect("parses");
    let again = Credentials::from_json(&c.to_json(), "again").expect("parses");
    assert_eq!(again.private_key_pem(), c.private_key_pem());
}
