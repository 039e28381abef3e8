//! The settings from the environment and local sources without AWS.

use super::*;

use customauth_core::env::from_pairs as env;
use zeroize::Zeroizing;

const PEM: &str = customauth_testkit::fixtures::keys::K2048_PKCS8;

fn inline(key: &str, env_id: &str) -> CredentialsSource {
    let json = serde_json::json!({"private_key_id": "kid-1", "private_key": key, "env_id": env_id});
    CredentialsSource::Inline(Zeroizing::new(json.to_string()))
}

#[test]
fn ttl_defaults_to_five_minutes() {
    assert_eq!(ttl_from_env(&env(&[])).unwrap(), DEFAULT_CREDENTIALS_TTL);
    assert_eq!(
        ttl_from_env(&env(&[(VAR_CREDENTIALS_TTL, " ")])).unwrap(),
        DEFAULT_CREDENTIALS_TTL
    );
}

#[test]
fn ttl_zero_disables_refresh() {
    let ttl = ttl_from_env(&env(&[(VAR_CREDENTIALS_TTL, "0")])).unwrap();
    assert!(ttl.is_zero());
}

#[test]
fn ttl_reads_seconds() {
    let ttl = ttl_from_env(&env(&[(VAR_CREDENTIALS_TTL, " 60 ")])).unwrap();
    assert_eq!(ttl, Duration::from_secs(60));
}

#[test]
fn invalid_ttl_fails_naming_the_variable() {
    for value in ["-1", "1.5", "5m", "86401", "99999999999999999999999"] {
        let err = ttl_from_env(&env(&[(VAR_CREDENTIALS_TTL, value)])).unwrap_err();
        assert!(
            matches!(err, ConfigError::Invalid { var, .. } if var == VAR_CREDENTIALS_TTL),
            "{value}: {err}"
        );
        assert!(err.to_string().contains(VAR_CREDENTIALS_TTL), "{err}");
    }
}

#[test]
fn settings_from_env_keep_the_other_defaults() {
    let settings = AwsFetchSettings::from_env(&env(&[(VAR_CREDENTIALS_TTL, "1")])).unwrap();
    assert_eq!(settings.refresh_interval, Duration::from_secs(1));
    assert_eq!(settings.operation_timeout, Duration::from_secs(10));
    assert_eq!(settings.attempt_timeout, Duration::from_secs(3));
    assert_eq!(settings.connect_timeout, Duration::from_secs(2));
    assert_eq!(settings.max_attempts, 3);
    assert!(settings.endpoint_url.is_none() && settings.region.is_none());
    assert!(settings.credentials.is_none());
}

#[test]
fn settings_debug_redacts_static_credentials() {
    let settings = AwsFetchSettings {
        credentials: Some(AwsCredentials::new(
            "AKIDEXAMPLE",
            "s3cr3t-value",
            None,
            None,
            "t",
        )),
        ..AwsFetchSettings::default()
    };
    assert!(!format!("{settings:?}").contains("s3cr3t-value"));
}

#[tokio::test]
async fn local_source_loads_without_aws() {
    let credentials = load_credentials(&inline(PEM, "env-1"), Some("env-1"))
        .await
        .expect("loads");
    assert_eq!(credentials.key_id(), "kid-1");
}

#[tokio::test]
async fn local_source_env_mismatch_fails() {
    let err = load_credentials(&inline(PEM, "env-1"), Some("env-2"))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::EnvMismatch { .. }), "{err}");
}
