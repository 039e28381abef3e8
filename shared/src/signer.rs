//! The signer of the moment: a fixed [`TicketSigner`], or one that follows
//! the rotation of a remote credentials source.
//!
//! [`from_env`] is how a function gets its signer: it reads the credentials
//! source and `CUSTOMAUTH_ENV`, and is the one place the `aws` feature is
//! switched for them. The walk goes one way: a handler asks the signer, the
//! signer reads a source ([`CredentialsSource`] of the core, or a
//! [`Remote`](crate::aws::Remote) of [`aws`](crate::aws)), the source the core.
//!
//! [`SignerHandle::fixed`] and [`SignerHandle::local`] serve file, inline and
//! split credentials (read once; a new key needs a restart).
//! [`SignerHandle::refreshing`] takes any [`CredentialsLoader`] (the AWS
//! sources are one), re-reads it at an interval and swaps in the new key when
//! the credentials changed; a failed refresh keeps the key it has. Only
//! [`SignerHandle::from_source`] and [`from_env`] with the `aws` feature need
//! the AWS SDK.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use customauth_core::config::ConfigError;
use customauth_core::credentials::{Credentials, CredentialsError, CredentialsSource, VAR_ENV};
use customauth_core::env::var;
use customauth_core::ticket::TicketSigner;
use tokio::task::AbortHandle;
use tokio::time::MissedTickBehavior;
use tracing::{debug, info, warn};

/// The signer the environment configures: exactly one credentials source
/// (file, inline, split; Secrets Manager or SSM with the `aws` feature,
/// re-read every `CUSTOMAUTH_CREDENTIALS_TTL_SECONDS`), its `env_id` checked
/// against `CUSTOMAUTH_ENV` when set.
///
/// # Errors
/// [`ConfigError`] naming the variable at fault, or the credentials error
/// (source down, malformed, env mismatch; a remote source without the `aws`
/// feature).
pub async fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<SignerHandle, ConfigError> {
    #[cfg(feature = "aws")]
    let settings = crate::aws::AwsFetchSettings::from_env(env)?;
    let source = CredentialsSource::from_env(env)?;
    let expected_env = var(env, VAR_ENV);
    #[cfg(feature = "aws")]
    let signer = SignerHandle::from_source(&source, expected_env.as_deref(), &settings).await?;
    #[cfg(not(feature = "aws"))]
    let signer = SignerHandle::local(&source, expected_env.as_deref())?;
    Ok(signer)
}

/// A source of credentials that can be read again: a secret that may be
/// rotated.
pub trait CredentialsLoader: Send + Sync + 'static {
    /// How logs and errors name the source (never its value).
    fn origin(&self) -> &str;

    /// Reads the credentials and checks their `env_id` against
    /// `expected_env`. Implementations bound the wait.
    fn load(
        &self,
        expected_env: Option<&str>,
    ) -> impl Future<Output = Result<Credentials, CredentialsError>> + Send;
}

/// Parses the key of `credentials`, naming `origin` on failure.
///
/// # Errors
/// [`CredentialsError::Key`] naming `origin`.
pub fn signer_from(
    credentials: &Credentials,
    origin: &str,
) -> Result<TicketSigner, CredentialsError> {
    TicketSigner::from_credentials(credentials).map_err(|source| CredentialsError::Key {
        origin: origin.to_owned(),
        source,
    })
}

/// The current [`TicketSigner`], replaced in the background when a
/// refreshing source is rotated. Cheap to clone: clones share the signer and
/// the refresh task, which stops when the last clone is dropped.
#[derive(Clone)]
pub struct SignerHandle {
    inner: Arc<Inner>,
}

struct Inner {
    current: RwLock<Arc<TicketSigner>>,
    refresh: Option<AbortHandle>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = &self.refresh {
            task.abort();
        }
    }
}

impl Inner {
    fn current(&self) -> Arc<TicketSigner> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn replace(&self, signer: TicketSigner) -> Arc<TicketSigner> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *current, Arc::new(signer))
    }
}

impl fmt::Debug for SignerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerHandle")
            .field("key_id", &self.current().key_id())
            .field("refreshing", &self.is_refreshing())
            .finish()
    }
}

impl SignerHandle {
    /// A handle that always returns `signer`.
    pub fn fixed(signer: TicketSigner) -> Self {
        Self {
            inner: Arc::new(Inner {
                current: RwLock::new(Arc::new(signer)),
                refresh: None,
            }),
        }
    }

    /// Reads a local `source` (file, inline, split) once, checks its
    /// `env_id` against `expected_env` and parses the key.
    ///
    /// # Errors
    /// As [`CredentialsSource::load_local`] (which refuses remote sources);
    /// [`CredentialsError::EnvMismatch`]; [`CredentialsError::Key`] naming
    /// the source when the private key cannot be used.
    pub fn local(
        source: &CredentialsSource,
        expected_env: Option<&str>,
    ) -> Result<Self, CredentialsError> {
        let credentials = source.load_local()?;
        credentials.check_env(expected_env)?;
        Ok(Self::fixed(signer_from(&credentials, &source.origin())?))
    }

    /// The signer for `source`: local sources read once
    /// ([`SignerHandle::local`]), remote ones through the AWS SDK configured
    /// by `settings`, re-read every
    /// [`refresh_interval`](crate::aws::AwsFetchSettings::refresh_interval)
    /// ([`SignerHandle::refreshing`]).
    ///
    /// # Errors
    /// As [`load_credentials_with`](crate::aws::load_credentials_with);
    /// [`CredentialsError::Key`] naming the source when the private key
    /// cannot be used. The wait is bounded by `settings` (about
    /// [`operation_timeout`](crate::aws::AwsFetchSettings::operation_timeout)).
    #[cfg(feature = "aws")]
    pub async fn from_source(
        source: &CredentialsSource,
        expected_env: Option<&str>,
        settings: &crate::aws::AwsFetchSettings,
    ) -> Result<Self, CredentialsError> {
        match crate::aws::Remote::of(source, settings).await? {
            Some(remote) => {
                let every = remote.refresh_interval();
                Self::refreshing(remote, expected_env.map(str::to_owned), every).await
            }
            None => Self::local(source, expected_env),
        }
    }

    /// Loads the credentials from `loader` once and parses the key. With a
    /// non-zero `every`, spawns a task on the current Tokio runtime that
    /// re-reads the source at that interval: a new key replaces the current
    /// one (logged with its key id only); a failure keeps the current key and
    /// logs a warning.
    ///
    /// # Errors
    /// Those of the first [`CredentialsLoader::load`];
    /// [`CredentialsError::Key`] naming the source when the private key
    /// cannot be used.
    pub async fn refreshing<L: CredentialsLoader>(
        loader: L,
        expected_env: Option<String>,
        every: Duration,
    ) -> Result<Self, CredentialsError> {
        let credentials = loader.load(expected_env.as_deref()).await?;
        let signer = signer_from(&credentials, loader.origin())?;
        info!(origin = %loader.origin(), key_id = %signer.key_id(), "credentials loaded");
        if every.is_zero() {
            return Ok(Self::fixed(signer));
        }
        // The task first upgrades `weak` one interval from now, long after
        // `Inner` is built.
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let task = tokio::spawn(refresh(
                weak.clone(),
                loader,
                credentials,
                expected_env,
                every,
            ));
            Inner {
                current: RwLock::new(Arc::new(signer)),
                refresh: Some(task.abort_handle()),
            }
        });
        Ok(Self { inner })
    }

    /// The signer to use now. Keep it for one request, not longer: it may be
    /// replaced by a rotation.
    pub fn current(&self) -> Arc<TicketSigner> {
        self.inner.current()
    }

    /// Whether a background task refreshes the signer.
    pub fn is_refreshing(&self) -> bool {
        self.inner.refresh.is_some()
    }
}

/// An AWS secret or parameter is read again through its own client.
#[cfg(feature = "aws")]
impl CredentialsLoader for crate::aws::Remote {
    fn origin(&self) -> &str {
        Self::origin(self)
    }

    async fn load(&self, expected_env: Option<&str>) -> Result<Credentials, CredentialsError> {
        Self::load(self, expected_env).await
    }
}

/// Re-reads `loader` every `every`, swapping in a new signer when the
/// credentials changed. Ends when the handle is gone.
async fn refresh<L: CredentialsLoader>(
    handle: Weak<Inner>,
    loader: L,
    mut last: Credentials,
    expected_env: Option<String>,
    every: Duration,
) {
    let origin = loader.origin();
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let loaded = loader
            .load(expected_env.as_deref())
            .await
            .and_then(|credentials| {
                let unchanged = credentials.key_id() == last.key_id()
                    && credentials.env_id() == last.env_id()
                    && credentials.private_key_pem() == last.private_key_pem();
                if unchanged {
                    return Ok(None);
                }
                let signer = signer_from(&credentials, origin)?;
                Ok(Some((credentials, signer)))
            });
        let Some(inner) = handle.upgrade() else {
            return;
        };
        match loaded {
            Ok(None) => debug!(origin = %origin, "credentials unchanged"),
            Ok(Some((credentials, signer))) => {
                let key_id = signer.key_id().to_owned();
                let previous = inner.replace(signer);
                info!(
                    origin = %origin,
                    key_id = %key_id,
                    previous_key_id = %previous.key_id(),
                    "credentials rotated; new tickets use the new key"
                );
                last = credentials;
            }
            Err(error) => warn!(
                origin = %origin,
                error = %error,
                "credentials refresh failed; keeping the current key"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use customauth_testkit::fixtures::keys;
    use zeroize::Zeroizing;

    use super::*;
    use customauth_core::credentials::VAR_INLINE;
    use customauth_core::env::from_pairs;

    fn json(key: &str, key_id: &str, env_id: &str) -> String {
        serde_json::json!({"private_key_id": key_id, "private_key": key, "env_id": env_id})
            .to_string()
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
        let err =
            SignerHandle::local(&inline(keys::K2048_PKCS8, "env-1"), Some("env-2")).unwrap_err();
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
        let err =
            SignerHandle::from_source(&source, None, &crate::aws::AwsFetchSettings::default())
                .await
                .unwrap_err();
        assert!(
            matches!(&err, CredentialsError::Key { origin, .. } if origin == VAR_INLINE),
            "{err}"
        );
    }
}
