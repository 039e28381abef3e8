//! The signer from the environment, fixed or refreshed from a rotating
//! source.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use customauth_testkit::fixtures::keys;
use zeroize::Zeroizing;

use super::*;
use customauth_core::credentials::VAR_INLINE;
use customauth_core::env::from_pairs;

fn json(key: &str, key_id: &str, env_id: &str) -> String {
    serde_json::json!({"private_key_id": key_id, "private_key": key, "env_id": env_id}).to_string()
}

fn inline(key: &str, env_id: &str) -> CredentialsSource {
    CredentialsSource::Inline(Zeroizing::new(json(key, "kid-1", env_id)))
}

/// A rotating secret: each read returns the next of `versions` (the
/// last one repeats); `None` is a failed read.
struct Rotating {
    versions: Mutex<Vec<Option<String>>>,
    reads: Arc<AtomicUsize>,
}

impl Rotating {
    fn new(versions: Vec<Option<String>>) -> Self {
        Self {
            versions: Mutex::new(versions),
            reads: Arc::default(),
        }
    }
}

impl CredentialsLoader for Rotating {
    fn origin(&self) -> &str {
        "test secret"
    }

    async fn load(&self, expected_env: Option<&str>) -> Result<Credentials, CredentialsError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let next = {
            let mut versions = self.versions.lock().unwrap();
            if versions.len() > 1 {
                versions.remove(0)
            } else {
                versions[0].clone()
            }
        };
        let text = next.ok_or_else(|| CredentialsError::Remote {
            origin: "test secret".into(),
            message: "unreachable".into(),
        })?;
        let credentials = Credentials::from_json(&text, "test secret")?;
        credentials.check_env(expected_env)?;
        Ok(credentials)
    }
}

async fn wait_for(handle: &SignerHandle, key_id: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if handle.current().key_id() == key_id {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn local_source_gives_a_fixed_handle() {
    let handle = SignerHandle::local(&inline(keys::K2048_PKCS8, "env-1"), None).expect("loads");
    assert_fixed_kid_1(&handle);
}

/// `handle` is fixed, signs with `kid-1`, and its `Debug` shows no key.
fn assert_fixed_kid_1(handle: &SignerHandle) {
    assert!(!handle.is_refreshing());
    assert_eq!(handle.current().key_id(), "kid-1");
    let shown = format!("{handle:?}");
    assert!(
        shown.contains("kid-1") && !shown.contains("PRIVATE KEY"),
        "{shown}"
    );
}

#[tokio::test]
async fn from_env_reads_the_source_and_checks_the_env() {
    let credentials = json(keys::K2048_PKCS8, "kid-1", "env-1");
    let env = from_pairs(&[(VAR_INLINE, &credentials), (VAR_ENV, "env-1")]);
    let handle = from_env(&env).await.expect("loads");
    assert!(!handle.is_refreshing());
    assert_eq!(handle.current().key_id(), "kid-1");

    let env = from_pairs(&[(VAR_INLINE, &credentials), (VAR_ENV, "env-2")]);
    let err = from_env(&env).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Credentials(CredentialsError::EnvMismatch { .. })
        ),
        "{err}"
    );
}

#[test]
fn local_source_env_mismatch_fails() {
    let err = SignerHandle::local(&inline(keys::K2048_PKCS8, "env-1"), Some("env-2")).unwrap_err();
    assert!(matches!(err, CredentialsError::EnvMismatch { .. }), "{err}");
}

#[test]
fn unusable_key_fails_naming_the_source() {
    let source = inline(
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "e",
    );
    let err = SignerHandle::local(&source, None).unwrap_err();
    assert!(
        matches!(&err, CredentialsError::Key { origin, .. } if origin == VAR_INLINE),
        "{err}"
    );
}

#[test]
fn clones_share_the_signer() {
    let credentials = inline(keys::K2048_PKCS8, "env-1")
        .load_local()
        .expect("loads");
    let handle = SignerHandle::fixed(TicketSigner::from_credentials(&credentials).unwrap());
    let clone = handle.clone();
    assert!(Arc::ptr_eq(&handle.current(), &clone.current()));
}

#[tokio::test]
async fn a_failed_read_keeps_the_current_key() {
    let loader = Rotating::new(vec![Some(json(keys::K2048_PKCS1, "old", "env-1")), None]);
    let reads = Arc::clone(&loader.reads);
    let handle = SignerHandle::refreshing(loader, None, Duration::from_millis(10))
        .await
        .expect("first read");
    let deadline = Instant::now() + Duration::from_secs(5);
    while reads.load(Ordering::SeqCst) < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        reads.load(Ordering::SeqCst) >= 4,
        "the source was not re-read"
    );
    assert_eq!(handle.current().key_id(), "old");
}

#[tokio::test]
async fn a_rotated_key_replaces_the_old_one_after_a_failed_read() {
    let loader = Rotating::new(vec![
        Some(json(keys::K2048_PKCS1, "old", "env-1")),
        None,
        Some(json(keys::K2048_PKCS8, "new", "env-1")),
    ]);
    let every = Duration::from_millis(20);
    let handle = SignerHandle::refreshing(loader, Some("env-1".into()), every)
        .await
        .expect("first read");
    assert!(handle.is_refreshing());
    assert_eq!(handle.current().key_id(), "old");
    assert!(
        wait_for(&handle, "new").await,
        "the rotated key was never used"
    );
}

#[tokio::test]
async fn zero_interval_means_no_refresh_task() {
    let loader = Rotating::new(vec![Some(json(keys::K2048_PKCS1, "only", "env-1"))]);
    let handle = SignerHandle::refreshing(loader, None, Duration::ZERO)
        .await
        .expect("reads");
    assert!(!handle.is_refreshing());
    assert_eq!(handle.current().key_id(), "only");
}

#[tokio::test]
async fn a_first_read_that_fails_is_an_error() {
    let loader = Rotating::new(vec![None]);
    let err = SignerHandle::refreshing(loader, None, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Remote { .. }), "{err}");
}

#[cfg(feature = "aws")]
#[tokio::test]
async fn from_source_reads_a_local_source_once() {
    let handle = SignerHandle::from_source(
        &inline(keys::K2048_PKCS8, "env-1"),
        None,
        &crate::aws::AwsFetchSettings::default(),
    )
    .await
    .expect("loads");
    assert_fixed_kid_1(&handle);
}

#[cfg(feature = "aws")]
#[tokio::test]
async fn from_source_names_a_local_source_with_an_unusable_key() {
    let source = inline(
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "e",
    );
    let err = SignerHandle::from_source(&source, None, &crate::aws::AwsFetchSettings::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CredentialsError::Key { origin, .. } if origin == VAR_INLINE),
        "{err}"
    );
}
