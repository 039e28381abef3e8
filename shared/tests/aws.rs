//! The AWS loader against a real AWS-compatible server: moto
//! (`pip install 'moto[server]'`), started on a free loopback port per test.
//!
//! Secrets and parameters are created through the real SDK clients; the code
//! under test reaches moto through [`AwsFetchSettings`] overrides, so nothing
//! here reads or writes AWS variables of the process environment. Set
//! `CUSTOMAUTH_TEST_PYTHON` to use another interpreter than `python3`.
#![cfg(feature = "aws")]

use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use customauth::aws::{
    AwsCredentials, AwsFetchSettings, fetch_secret_string, load_credentials_with,
};
use customauth::signer::SignerHandle;
use customauth::{CredentialsError, CredentialsSource, CustomUserId, TicketOptions, now_ms};
use customauth_testkit::{MotoServer, free_port};

const KEY_1: &str = customauth_testkit::fixtures::keys::K2048_PKCS8;
const KEY_2: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;
const REGION: &str = "us-east-1";
/// How long any test waits for something that should take a few seconds
/// before declaring a hang. Not a timing assertion.
const HANG: Duration = Duration::from_secs(60);

/// moto, with the SDK clients the tests set it up through.
struct Moto(MotoServer);

impl Moto {
    fn start() -> Self {
        Self(MotoServer::start())
    }

    /// Settings that reach this server, with short limits and refresh off.
    fn settings(&self) -> AwsFetchSettings {
        settings_for(&self.0.endpoint)
    }

    fn sdk_parts(&self) -> (String, Region, AwsCredentials) {
        (
            self.0.endpoint.clone(),
            Region::new(REGION),
            test_credentials(),
        )
    }

    fn secrets_manager(&self) -> aws_sdk_secretsmanager::Client {
        let (endpoint, region, credentials) = self.sdk_parts();
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(region)
            .credentials_provider(credentials)
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
    }

    fn ssm(&self) -> aws_sdk_ssm::Client {
        let (endpoint, region, credentials) = self.sdk_parts();
        let config = aws_sdk_ssm::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(region)
            .credentials_provider(credentials)
            .build();
        aws_sdk_ssm::Client::from_conf(config)
    }

    async fn create_secret(&self, id: &str, value: &str) {
        self.secrets_manager()
            .create_secret()
            .name(id)
            .secret_string(value)
            .send()
            .await
            .expect("create secret in moto");
    }

    async fn put_secret(&self, id: &str, value: &str) {
        self.secrets_manager()
            .put_secret_value()
            .secret_id(id)
            .secret_string(value)
            .send()
            .await
            .expect("update secret in moto");
    }
}

fn test_credentials() -> AwsCredentials {
    AwsCredentials::new("test", "test", None, None, "customauth-tests")
}

fn settings_for(endpoint: &str) -> AwsFetchSettings {
    AwsFetchSettings {
        connect_timeout: Duration::from_secs(1),
        attempt_timeout: Duration::from_secs(2),
        operation_timeout: Duration::from_secs(5),
        max_attempts: 3,
        refresh_interval: Duration::ZERO,
        endpoint_url: Some(endpoint.to_owned()),
        region: Some(REGION.to_owned()),
        credentials: Some(test_credentials()),
    }
}

fn console_json(key_id: &str, key: &str, env_id: &str) -> String {
    serde_json::json!({"private_key_id": key_id, "private_key": key, "env_id": env_id}).to_string()
}

fn secret(id: &str) -> CredentialsSource {
    CredentialsSource::SecretsManager(id.to_owned())
}

/// Signs a ticket with the handle's current signer and verifies it.
fn signs_and_verifies(handle: &SignerHandle) {
    let signer = handle.current();
    let uid: CustomUserId = "user_1234".parse().expect("valid uid");
    let ticket = signer
        .sign_now(&uid, TicketOptions::default())
        .expect("signs");
    let claims = signer
        .verifier()
        .verify(ticket.as_str(), now_ms())
        .expect("verifies");
    assert_eq!(claims.uid, uid);
}

async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .expect("hung: no result within 60 s")
}

#[tokio::test]
async fn secrets_manager_json_loads_and_signs() {
    let moto = Moto::start();
    moto.create_secret("customauth/creds", &console_json("kid-1", KEY_1, "env-1"))
        .await;
    let source = secret("customauth/creds");

    let credentials = within(load_credentials_with(
        &source,
        Some("env-1"),
        &moto.settings(),
    ))
    .await
    .expect("loads");
    assert_eq!(
        (credentials.key_id(), credentials.env_id()),
        ("kid-1", "env-1")
    );

    let handle = within(SignerHandle::from_source(
        &source,
        Some("env-1"),
        &moto.settings(),
    ))
    .await
    .expect("loads");
    assert!(
        !handle.is_refreshing(),
        "refresh_interval 0 disables refresh"
    );
    assert_eq!(handle.current().key_id(), "kid-1");
    signs_and_verifies(&handle);
}

#[tokio::test]
async fn ssm_secure_string_loads() {
    let moto = Moto::start();
    moto.ssm()
        .put_parameter()
        .name("/customauth/creds")
        .value(console_json("kid-ssm", KEY_2, "env-1"))
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("put parameter in moto");
    let source = CredentialsSource::SsmParameter("/customauth/creds".to_owned());

    let handle = within(SignerHandle::from_source(&source, None, &moto.settings()))
        .await
        .expect("loads");
    assert_eq!(handle.current().key_id(), "kid-ssm");
    signs_and_verifies(&handle);
}

#[tokio::test]
async fn missing_secret_fails_naming_the_secret() {
    let moto = Moto::start();
    let err = within(load_credentials_with(
        &secret("customauth/absent"),
        None,
        &moto.settings(),
    ))
    .await
    .unwrap_err();
    let text = err.to_string();
    println!("{text}");
    assert!(matches!(err, CredentialsError::Remote { .. }), "{text}");
    assert!(
        text.contains("Secrets Manager secret customauth/absent"),
        "{text}"
    );
    assert!(text.contains("not found"), "{text}");
}

#[tokio::test]
async fn missing_parameter_fails_naming_the_parameter() {
    let moto = Moto::start();
    let source = CredentialsSource::SsmParameter("/customauth/absent".to_owned());
    let err = within(load_credentials_with(&source, None, &moto.settings()))
        .await
        .unwrap_err();
    let text = err.to_string();
    println!("{text}");
    assert!(matches!(err, CredentialsError::Remote { .. }), "{text}");
    assert!(text.contains("SSM parameter /customauth/absent"), "{text}");
    assert!(text.contains("not found"), "{text}");
}

#[tokio::test]
async fn malformed_secret_fails_naming_the_source_without_its_text() {
    let moto = Moto::start();
    let leaked = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ";
    moto.create_secret(
        "customauth/broken",
        &format!(r#"{{"private_key": "{leaked}"#),
    )
    .await;
    moto.create_secret("customauth/array", &format!(r#"["{leaked}"]"#))
        .await;
    for id in ["customauth/broken", "customauth/array"] {
        let err = within(load_credentials_with(&secret(id), None, &moto.settings()))
            .await
            .unwrap_err();
        let (text, debug) = (err.to_string(), format!("{err:?}"));
        println!("{text}");
        assert!(
            text.contains(&format!("Secrets Manager secret {id}")),
            "{text}"
        );
        assert!(!text.contains(leaked) && !debug.contains(leaked), "{debug}");
    }
}

#[tokio::test]
async fn unusable_key_in_secret_fails_naming_the_source() {
    let moto = Moto::start();
    let not_a_key = "-----BEGIN CERTIFICATE-----\nMIIBsecret\n-----END CERTIFICATE-----\n";
    moto.create_secret(
        "customauth/cert",
        &console_json("kid-1", not_a_key, "env-1"),
    )
    .await;
    let err = within(SignerHandle::from_source(
        &secret("customauth/cert"),
        None,
        &moto.settings(),
    ))
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, CredentialsError::Key { origin, .. } if origin.contains("customauth/cert")),
        "{text}"
    );
    assert!(!text.contains("MIIBsecret"), "{text}");
}

#[tokio::test]
async fn env_mismatch_fails() {
    let moto = Moto::start();
    moto.create_secret("customauth/creds", &console_json("kid-1", KEY_1, "env-1"))
        .await;
    let err = within(SignerHandle::from_source(
        &secret("customauth/creds"),
        Some("env-2"),
        &moto.settings(),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, CredentialsError::EnvMismatch { .. }), "{err}");
}

#[tokio::test]
async fn api_keys_secret_is_returned_as_is() {
    let moto = Moto::start();
    moto.create_secret("customauth/api-keys", "key-one,key-two")
        .await;
    let keys = within(fetch_secret_string("customauth/api-keys", &moto.settings()))
        .await
        .expect("reads");
    assert_eq!(keys.as_str(), "key-one,key-two");

    let err = within(fetch_secret_string("customauth/none", &moto.settings()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("customauth/none"), "{err}");
}

/// Polls `handle` until its key id is `key_id`, failing after [`HANG`].
async fn wait_for_key(handle: &SignerHandle, key_id: &str) -> Duration {
    let start = Instant::now();
    while handle.current().key_id() != key_id {
        assert!(
            start.elapsed() < HANG,
            "still on key {} after {:?}",
            handle.current().key_id(),
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_switches_to_the_new_key_and_survives_bad_updates() {
    let moto = Moto::start();
    moto.create_secret("customauth/creds", &console_json("kid-1", KEY_1, "env-1"))
        .await;
    let settings = AwsFetchSettings {
        refresh_interval: Duration::from_secs(1),
        ..moto.settings()
    };
    let handle = within(SignerHandle::from_source(
        &secret("customauth/creds"),
        Some("env-1"),
        &settings,
    ))
    .await
    .expect("loads");
    assert!(handle.is_refreshing());
    let before = handle.current();

    // A broken value, then one for another env: refreshes fail, the key stays.
    moto.put_secret("customauth/creds", "{not json").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(handle.current().key_id(), "kid-1");
    moto.put_secret("customauth/creds", &console_json("kid-x", KEY_2, "env-2"))
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(handle.current().key_id(), "kid-1");
    signs_and_verifies(&handle);

    moto.put_secret("customauth/creds", &console_json("kid-2", KEY_2, "env-1"))
        .await;
    let waited = wait_for_key(&handle, "kid-2").await;
    println!("switched to kid-2 after {waited:?}");
    signs_and_verifies(&handle);
    // A signer taken before the rotation still works for its request.
    assert_eq!(before.key_id(), "kid-1");
    assert_ne!(
        before.key().public_key().as_der(),
        handle.current().key().public_key().as_der()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_down_after_start_keeps_the_current_key() {
    let moto = Moto::start();
    moto.create_secret("customauth/creds", &console_json("kid-1", KEY_1, "env-1"))
        .await;
    let settings = AwsFetchSettings {
        refresh_interval: Duration::from_secs(1),
        ..moto.settings()
    };
    let source = secret("customauth/creds");
    let handle = within(SignerHandle::from_source(&source, None, &settings))
        .await
        .expect("loads");
    drop(moto);

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(handle.current().key_id(), "kid-1");
    signs_and_verifies(&handle);

    // A cold start now fails, bounded.
    let start = Instant::now();
    let err = within(SignerHandle::from_source(&source, None, &settings))
        .await
        .unwrap_err();
    println!("moto stopped: failed after {:?}: {err}", start.elapsed());
    assert!(matches!(err, CredentialsError::Remote { .. }), "{err}");
    assert!(err.to_string().contains("customauth/creds"), "{err}");
}

#[tokio::test]
async fn nothing_listening_fails_bounded() {
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let start = Instant::now();
    let err = within(load_credentials_with(
        &secret("customauth/creds"),
        None,
        &settings_for(&endpoint),
    ))
    .await
    .unwrap_err();
    println!(
        "nothing listening: failed after {:?}: {err}",
        start.elapsed()
    );
    assert!(matches!(err, CredentialsError::Remote { .. }), "{err}");
    assert!(err.to_string().contains("customauth/creds"), "{err}");
}

#[tokio::test]
async fn silent_server_fails_bounded() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let start = Instant::now();
    let err = within(SignerHandle::from_source(
        &CredentialsSource::SsmParameter("/customauth/creds".to_owned()),
        None,
        &settings_for(&endpoint),
    ))
    .await
    .unwrap_err();
    println!("silent server: failed after {:?}: {err}", start.elapsed());
    assert!(matches!(err, CredentialsError::Remote { .. }), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    holder.abort();
}
