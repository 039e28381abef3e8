//! One remote source: the AWS client of a Secrets Manager secret or an SSM
//! parameter, every call bounded by [`AwsFetchSettings`].

use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use customauth_core::credentials::{Credentials, CredentialsError, CredentialsSource};
use tracing::warn;
use zeroize::Zeroizing;

use super::AwsFetchSettings;
use super::words::describe;

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

/// A remote source (a Secrets Manager secret or an SSM parameter), its
/// client built once, ready to be read again.
pub struct Remote {
    client: Client,
    /// The secret id or parameter name.
    name: String,
    origin: String,
    settings: AwsFetchSettings,
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// The remote source of `source`, connected with `settings`; `None` for
    /// a local source (file, inline, split).
    ///
    /// # Errors
    /// [`CredentialsError::Remote`] when the AWS configuration cannot be
    /// resolved (no region, timed out).
    pub async fn of(
        source: &CredentialsSource,
        settings: &AwsFetchSettings,
    ) -> Result<Option<Self>, CredentialsError> {
        match remote_of(source) {
            Some((service, name)) => Ok(Some(Self::connect(service, name, settings).await?)),
            None => Ok(None),
        }
    }

    /// The Secrets Manager secret `id`, connected with `settings`.
    pub(super) async fn secret(
        id: &str,
        settings: &AwsFetchSettings,
    ) -> Result<Self, CredentialsError> {
        Self::connect(Service::SecretsManager, id, settings).await
    }

    /// How logs and errors name the source: the service and the secret's
    /// name, never its value.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// How often [`SignerHandle`](crate::signer::SignerHandle) re-reads it:
    /// [`AwsFetchSettings::refresh_interval`].
    pub fn refresh_interval(&self) -> Duration {
        self.settings.refresh_interval
    }

    /// Fetches and parses the credentials, and checks their `env_id`
    /// against `expected_env`.
    ///
    /// # Errors
    /// [`CredentialsError::Remote`] when AWS cannot be reached or refuses;
    /// the console JSON's errors naming the source;
    /// [`CredentialsError::EnvMismatch`].
    pub async fn load(&self, expected_env: Option<&str>) -> Result<Credentials, CredentialsError> {
        let text = self.fetch().await?;
        let credentials = Credentials::from_json(&text, &self.origin)?;
        credentials.check_env(expected_env)?;
        Ok(credentials)
    }

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
    pub(super) async fn fetch(&self) -> Result<Zeroizing<String>, CredentialsError> {
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
