//! Credentials from AWS Secrets Manager and SSM Parameter Store, and a signer
//! that follows their rotation ([`load_signer`]: a
//! [`SignerHandle`](crate::signer::SignerHandle) refreshed from them).
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
//! use customauth::CredentialsSource;
//! use customauth::aws::{AwsFetchSettings, load_signer};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let env = |k: &str| std::env::var(k).ok();
//! let source = CredentialsSource::from_env(env)?;
//! let settings = AwsFetchSettings::from_env(&env)?;
//! let signers = load_signer(&source, None, &settings).await?;
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

use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use tracing::warn;
use zeroize::Zeroizing;

/// Static AWS credentials, for [`AwsFetchSettings::credentials`] (tests and
/// local emulators; deployments use the default chain).
pub use aws_sdk_secretsmanager::config::Credentials as AwsCredentials;

use crate::config::ConfigError;
use crate::credentials::{Credentials, CredentialsError, CredentialsSource};
use crate::env::var;
use crate::signer::{CredentialsLoader, SignerHandle};

/// Seconds between two reads of a remote credentials source; `0` disables
/// refreshing.
pub const VAR_CREDENTIALS_TTL: &str = "CUSTOMAUTH_CREDENTIALS_TTL_SECONDS";

/// The refresh interval when [`VAR_CREDENTIALS_TTL`] is unset: 5 minutes.
pub const DEFAULT_CREDENTIALS_TTL: Duration = Duration::from_secs(300);

/// The largest accepted [`VAR_CREDENTIALS_TTL`]: one day.
pub const MAX_CREDENTIALS_TTL: Duration = Duration::from_secs(86_400);

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
    /// Interval between two reads of a remote source by [`SignerHandle`];
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
    let Some(value) = var(env, VAR_CREDENTIALS_TTL) else {
        return Ok(DEFAULT_CREDENTIALS_TTL);
    };
    let invalid = || ConfigError::Invalid {
        var: VAR_CREDENTIALS_TTL,
        reason: format!(
            "expected whole seconds from 0 (no refresh) to {}, got {:?}",
            MAX_CREDENTIALS_TTL.as_secs(),
            value.trim()
        ),
    };
    let seconds: u64 = value.trim().parse().map_err(|_| invalid())?;
    let ttl = Duration::from_secs(seconds);
    if ttl > MAX_CREDENTIALS_TTL {
        return Err(invalid());
    }
    Ok(ttl)
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
    match remote_of(source) {
        Some((service, name)) => {
            let remote = Remote::connect(service, name, settings).await?;
            remote.load(expected_env).await
        }
        None => {
            let credentials = source.load_local()?;
            credentials.check_env(expected_env)?;
            Ok(credentials)
        }
    }
}

/// The signer for `source`: local sources read once
/// ([`SignerHandle::local`]), remote ones through the AWS SDK configured by
/// `settings`, re-read every
/// [`refresh_interval`](AwsFetchSettings::refresh_interval)
/// ([`SignerHandle::refreshing`]).
///
/// # Errors
/// As [`load_credentials_with`]; [`CredentialsError::Key`] naming the source
/// when the private key cannot be used. The wait is bounded by `settings`
/// (about [`operation_timeout`](AwsFetchSettings::operation_timeout)).
pub async fn load_signer(
    source: &CredentialsSource,
    expected_env: Option<&str>,
    settings: &AwsFetchSettings,
) -> Result<SignerHandle, CredentialsError> {
    let Some((service, name)) = remote_of(source) else {
        return SignerHandle::local(source, expected_env);
    };
    let remote = Remote::connect(service, name, settings).await?;
    SignerHandle::refreshing(
        remote,
        expected_env.map(str::to_owned),
        settings.refresh_interval,
    )
    .await
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
    let remote = Remote::connect(Service::SecretsManager, id, settings).await?;
    remote.fetch().await
}

/// Runs `future`, failing after `limit`.
async fn bounded<T>(
    limit: Duration,
    future: impl Future<Output = Result<T, CredentialsError>>,
    on_timeout: impl FnOnce() -> CredentialsError,
) -> Result<T, CredentialsError> {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| Err(on_timeout()))
}

/// The AWS service of a remote source.
#[derive(Clone, Copy)]
enum Service {
    SecretsManager,
    Ssm,
}

impl Service {
    /// How errors name the secret or parameter `name`.
    fn origin(self, name: &str) -> String {
        match self {
            Self::SecretsManager => format!("Secrets Manager secret {name}"),
            Self::Ssm => format!("SSM parameter {name}"),
        }
    }
}

/// The service and secret id or parameter name of a remote `source`.
fn remote_of(source: &CredentialsSource) -> Option<(Service, &str)> {
    match source {
        CredentialsSource::SecretsManager(id) => Some((Service::SecretsManager, id)),
        CredentialsSource::SsmParameter(name) => Some((Service::Ssm, name)),
        _ => None,
    }
}

/// The service client of a remote source, built once and reused by
/// refreshes.
enum Client {
    SecretsManager(aws_sdk_secretsmanager::Client),
    Ssm(aws_sdk_ssm::Client),
}

/// A remote source, ready to be read.
struct Remote {
    client: Client,
    /// The secret id or parameter name.
    name: String,
    origin: String,
    settings: AwsFetchSettings,
}

impl Remote {
    /// Builds the SDK configuration (once) and the client of `service`.
    async fn connect(
        service: Service,
        name: &str,
        settings: &AwsFetchSettings,
    ) -> Result<Self, CredentialsError> {
        let origin = service.origin(name);
        let config = bounded(
            settings.operation_timeout,
            async { Ok(sdk_config(settings).await) },
            || CredentialsError::Remote {
                origin: origin.clone(),
                message: format!(
                    "timed out after {:?} resolving the AWS configuration (set AWS_REGION)",
                    settings.operation_timeout
                ),
            },
        )
        .await?;
        if config.region().is_none() {
            return Err(CredentialsError::Remote {
                origin,
                message: "no AWS region configured: set AWS_REGION".into(),
            });
        }
        let client = match service {
            Service::SecretsManager => {
                Client::SecretsManager(aws_sdk_secretsmanager::Client::new(&config))
            }
            Service::Ssm => Client::Ssm(aws_sdk_ssm::Client::new(&config)),
        };
        Ok(Self {
            client,
            name: name.to_owned(),
            origin,
            settings: settings.clone(),
        })
    }

    /// Fetches the secret string.
    async fn fetch(&self) -> Result<Zeroizing<String>, CredentialsError> {
        // The SDK enforces `operation_timeout`; this is a backstop in case a
        // stage it does not cover (identity resolution) stalls.
        let backstop = self.settings.operation_timeout + self.settings.connect_timeout;
        bounded(backstop, self.fetch_unbounded(), || {
            self.remote_error(format!("timed out ({})", self.settings.limits()))
        })
        .await
    }

    async fn fetch_unbounded(&self) -> Result<Zeroizing<String>, CredentialsError> {
        match &self.client {
            Client::SecretsManager(client) => {
                let output = client
                    .get_secret_value()
                    .secret_id(&self.name)
                    .send()
                    .await
                    .map_err(|e| {
                        self.remote_error(describe(
                            &e,
                            "secretsmanager:GetSecretValue",
                            &self.settings,
                        ))
                    })?;
                match (output.secret_string, output.secret_binary) {
                    (Some(text), _) => Ok(Zeroizing::new(text)),
                    (None, Some(_)) => Err(self.remote_error(
                        "holds a binary value; store the JSON as the secret string".into(),
                    )),
                    (None, None) => Err(self.remote_error("has no value".into())),
                }
            }
            Client::Ssm(client) => {
                let output = client
                    .get_parameter()
                    .name(&self.name)
                    .with_decryption(true)
                    .send()
                    .await
                    .map_err(|e| {
                        self.remote_error(describe(
                            &e,
                            "ssm:GetParameter (and kms:Decrypt)",
                            &self.settings,
                        ))
                    })?;
                let Some(parameter) = output.parameter else {
                    return Err(self.remote_error("has no value".into()));
                };
                if parameter.r#type != Some(aws_sdk_ssm::types::ParameterType::SecureString) {
                    warn!(
                        origin = %self.origin,
                        "credentials parameter is not a SecureString; the private key is stored unencrypted"
                    );
                }
                parameter
                    .value
                    .map(Zeroizing::new)
                    .ok_or_else(|| self.remote_error("has no value".into()))
            }
        }
    }

    fn remote_error(&self, message: String) -> CredentialsError {
        CredentialsError::Remote {
            origin: self.origin.clone(),
            message,
        }
    }
}

/// The SDK configuration: the default chain, bounded, with the overrides of
/// `settings`.
impl CredentialsLoader for Remote {
    fn origin(&self) -> &str {
        &self.origin
    }

    /// Fetches and parses the credentials, and checks their env.
    async fn load(&self, expected_env: Option<&str>) -> Result<Credentials, CredentialsError> {
        let text = self.fetch().await?;
        let credentials = Credentials::from_json(&text, &self.origin)?;
        credentials.check_env(expected_env)?;
        Ok(credentials)
    }
}

async fn sdk_config(settings: &AwsFetchSettings) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(settings.connect_timeout)
        .operation_attempt_timeout(settings.attempt_timeout)
        .operation_timeout(settings.operation_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts.max(1)));
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(credentials) = &settings.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    loader.load().await
}

/// What went wrong with an AWS call, in words: never the response body, nor
/// `Debug` of the SDK error.
fn describe<E, R>(error: &SdkError<E, R>, permission: &str, settings: &AwsFetchSettings) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("unknown error");
            match code {
                "ResourceNotFoundException" | "ParameterNotFound" | "ParameterVersionNotFound" => {
                    "not found (check the name and the region)".to_owned()
                }
                "AccessDeniedException" | "AccessDenied" => {
                    format!("access denied ({code}): the function's role needs {permission}")
                }
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException"
                | "InvalidClientTokenId" => {
                    format!("AWS rejected the caller's credentials ({code})")
                }
                "DecryptionFailure" | "InvalidKeyId" | "KMSAccessDeniedException" => format!(
                    "cannot be decrypted ({code}): the role needs kms:Decrypt on its KMS key"
                ),
                "ThrottlingException" | "ThrottledException" => {
                    format!(
                        "throttled by AWS after {} attempts",
                        settings.max_attempts.max(1)
                    )
                }
                _ => {
                    // AWS error messages name resources and actions, never
                    // secret values; keep them short anyway.
                    let message: String = err.message().unwrap_or("").chars().take(200).collect();
                    format!("AWS refused the request ({code}): {message}")
                }
            }
        }
        SdkError::TimeoutError(_) => format!("timed out ({})", settings.limits()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            format!("timed out ({})", settings.limits())
        }
        SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
            Some(cause) => format!("cannot reach AWS: {}", causes(cause)),
            None => "cannot reach AWS".to_owned(),
        },
        SdkError::ConstructionFailure(_) => match std::error::Error::source(error) {
            Some(cause) => format!(
                "the request could not be made (AWS credentials or configuration): {}",
                causes(cause)
            ),
            None => "the request could not be made (AWS credentials or configuration)".to_owned(),
        },
        SdkError::ResponseError(_) => {
            "the response from AWS could not be read (cut off or not the expected format)"
                .to_owned()
        }
        _ => "the AWS call failed".to_owned(),
    }
}

/// `error` and its sources, `Display` only (`DisplayErrorContext` appends a
/// `Debug` dump).
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let shown = cause.to_string();
        if !text.ends_with(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    use zeroize::Zeroizing;

    use crate::credentials::VAR_INLINE;

    const PEM: &str = customauth_testkit::fixtures::keys::K2048_PKCS8;

    use crate::env::from_pairs as env;

    fn inline(key: &str, env_id: &str) -> CredentialsSource {
        let json =
            serde_json::json!({"private_key_id": "kid-1", "private_key": key, "env_id": env_id});
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

    #[tokio::test]
    async fn local_source_gives_a_fixed_handle() {
        let handle = load_signer(&inline(PEM, "env-1"), None, &AwsFetchSettings::default())
            .await
            .expect("loads");
        assert!(!handle.is_refreshing());
        assert_eq!(handle.current().key_id(), "kid-1");
        let shown = format!("{handle:?}");
        assert!(
            shown.contains("kid-1") && !shown.contains("PRIVATE KEY"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn unusable_key_fails_naming_the_source() {
        let source = inline(
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "e",
        );
        let err = load_signer(&source, None, &AwsFetchSettings::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CredentialsError::Key { origin, .. } if origin == VAR_INLINE),
            "{err}"
        );
    }
}
