//! Credentials from AWS Secrets Manager and SSM Parameter Store: a source,
//! below the signer. [`Remote`] is one secret or parameter, ready to be read
//! again; [`SignerHandle::from_source`](crate::signer::SignerHandle::from_source)
//! follows its rotation.
//!
//! [`load_credentials`] reads any [`CredentialsSource`]: local ones through
//! [`CredentialsSource::load_local`], remote ones with the AWS SDK's default
//! configuration chain (`AWS_REGION`, `AWS_ENDPOINT_URL`, the function role's
//! credentials...). Every AWS call is bounded by the timeouts and retries of
//! [`AwsFetchSettings`], so a cold start against an unreachable source fails
//! with a clear message instead of hanging.
//!
//! For a remote source the handle re-reads the secret every
//! `CUSTOMAUTH_CREDENTIALS_TTL_SECONDS` and swaps in the new key when the
//! secret was rotated; a failed refresh keeps the key it has. On Lambda the
//! refresh only runs while the execution environment is thawed (during and
//! right after invocations).
//!
//! ```no_run
//! use customauth_core::CredentialsSource;
//! use customauth::aws::AwsFetchSettings;
//! use customauth::signer::SignerHandle;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let env = |k: &str| std::env::var(k).ok();
//! let source = CredentialsSource::from_env(env)?;
//! let settings = AwsFetchSettings::from_env(&env)?;
//! let signers = SignerHandle::from_source(&source, None, &settings).await?;
//! // Per request: the signer of the moment.
//! let signer = signers.current();
//! # let _ = signer;
//! # Ok(())
//! # }
//! ```
//!
//! Errors are [`CredentialsError::Remote`] naming the secret or parameter and
//! what failed (not found, access denied, timed out, unreachable); they never
//! carry the secret's value nor the AWS response body.

mod remote;
mod words;

use std::time::Duration;

use zeroize::Zeroizing;

/// Static AWS credentials, for [`AwsFetchSettings::credentials`] (tests and
/// local emulators; deployments use the default chain).
pub use aws_sdk_secretsmanager::config::Credentials as AwsCredentials;
use customauth_core::config::{ConfigError, number};
use customauth_core::credentials::{
    Credentials, CredentialsError, CredentialsSource, DEFAULT_CREDENTIALS_TTL, MAX_CREDENTIALS_TTL,
    VAR_CREDENTIALS_TTL,
};
pub use remote::Remote;

/// How AWS is called: time limits, retries, refresh interval, and overrides
/// of the SDK's default configuration chain (for tests and local emulators).
///
/// Deployments leave the overrides at `None`, so the SDK reads `AWS_REGION`,
/// `AWS_ENDPOINT_URL` and the function role's credentials itself. The worst
/// case of one fetch is about [`operation_timeout`](Self::operation_timeout).
#[derive(Clone, Debug)]
pub struct AwsFetchSettings {
    /// Limit on opening a TCP/TLS connection. Defaults to 2 seconds.
    pub connect_timeout: Duration,
    /// Limit on one attempt (connect, send, read the whole response).
    /// Defaults to 3 seconds.
    pub attempt_timeout: Duration,
    /// Limit on the whole call, all attempts and back-off included.
    /// Defaults to 10 seconds.
    pub operation_timeout: Duration,
    /// Attempts per call with the SDK's standard retry strategy (transient
    /// errors, throttling and timeouts are retried; "not found" and "access
    /// denied" are not). Values below 1 count as 1. Defaults to 3.
    pub max_attempts: u32,
    /// Interval between two reads of a remote source by [`SignerHandle`](crate::signer::SignerHandle);
    /// zero disables refreshing. Defaults to [`DEFAULT_CREDENTIALS_TTL`]
    /// (5 minutes); [`AwsFetchSettings::from_env`] reads
    /// [`VAR_CREDENTIALS_TTL`].
    pub refresh_interval: Duration,
    /// Endpoint of both services, e.g. a local emulator. Defaults to `None`:
    /// the SDK's resolution (`AWS_ENDPOINT_URL`, then the regional endpoint).
    pub endpoint_url: Option<String>,
    /// Region. Defaults to `None`: the SDK's chain (`AWS_REGION`, profile,
    /// instance metadata).
    pub region: Option<String>,
    /// Static credentials. Defaults to `None`: the SDK's chain (environment,
    /// profile, web identity, container or instance role).
    pub credentials: Option<AwsCredentials>,
}

impl Default for AwsFetchSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            attempt_timeout: Duration::from_secs(3),
            operation_timeout: Duration::from_secs(10),
            max_attempts: 3,
            refresh_interval: DEFAULT_CREDENTIALS_TTL,
            endpoint_url: None,
            region: None,
            credentials: None,
        }
    }
}

impl AwsFetchSettings {
    /// The defaults, with [`refresh_interval`](Self::refresh_interval) read
    /// from [`VAR_CREDENTIALS_TTL`] through `env`.
    ///
    /// # Errors
    /// As [`ttl_from_env`].
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            refresh_interval: ttl_from_env(env)?,
            ..Self::default()
        })
    }

    fn limits(&self) -> String {
        format!(
            "connect {:?}, per attempt {:?}, total {:?}, {} attempts",
            self.connect_timeout,
            self.attempt_timeout,
            self.operation_timeout,
            self.max_attempts.max(1)
        )
    }
}

/// Reads [`VAR_CREDENTIALS_TTL`] through `env`: whole seconds, unset or blank
/// means [`DEFAULT_CREDENTIALS_TTL`], `0` disables refreshing.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the variable when the value is not a whole
/// number of seconds or exceeds [`MAX_CREDENTIALS_TTL`].
pub fn ttl_from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    let seconds = number(
        env,
        VAR_CREDENTIALS_TTL,
        DEFAULT_CREDENTIALS_TTL.as_secs(),
        0,
        MAX_CREDENTIALS_TTL.as_secs(),
    )?;
    Ok(Duration::from_secs(seconds))
}

/// Loads the credentials from `source` with the default
/// [`AwsFetchSettings`], and checks their `env_id` against `expected_env`.
///
/// # Errors
/// As [`load_credentials_with`].
pub async fn load_credentials(
    source: &CredentialsSource,
    expected_env: Option<&str>,
) -> Result<Credentials, CredentialsError> {
    load_credentials_with(source, expected_env, &AwsFetchSettings::default()).await
}

/// Loads the credentials from `source` (local sources through
/// [`CredentialsSource::load_local`], Secrets Manager and SSM through the AWS
/// SDK configured by `settings`), and checks their `env_id` against
/// `expected_env`.
///
/// # Errors
/// [`CredentialsError::Remote`] when AWS cannot be reached or refuses;
/// [`CredentialsError::Json`], [`CredentialsError::NotObject`] or
/// [`CredentialsError::Field`] naming the source when the value is not the
/// console's JSON; [`CredentialsError::EnvMismatch`]; for local sources, as
/// [`CredentialsSource::load_local`].
pub async fn load_credentials_with(
    source: &CredentialsSource,
    expected_env: Option<&str>,
    settings: &AwsFetchSettings,
) -> Result<Credentials, CredentialsError> {
    match Remote::of(source, settings).await? {
        Some(remote) => remote.load(expected_env).await,
        None => {
            let credentials = source.load_local()?;
            credentials.check_env(expected_env)?;
            Ok(credentials)
        }
    }
}

/// Reads the string value of the Secrets Manager secret `id` (name or ARN),
/// e.g. the comma-separated API keys of `CUSTOMAUTH_API_KEYS_SECRET_ID`.
///
/// # Errors
/// [`CredentialsError::Remote`] naming the secret when it cannot be read,
/// does not exist, or holds binary data instead of a string.
pub async fn fetch_secret_string(
    id: &str,
    settings: &AwsFetchSettings,
) -> Result<Zeroizing<String>, CredentialsError> {
    Remote::secret(id, settings).await?.fetch().await
}

#[cfg(test)]
mod tests;
