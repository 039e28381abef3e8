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
mod tests;
