//! Where the credentials come from: the variables of each source, exactly
//! one of them set ([`CredentialsSource::from_env`]), and how often a remote
//! one is read again.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use super::{Credentials, CredentialsError};
use crate::env::{Setting, var};

/// Path of a credentials JSON file.
pub const VAR_FILE: &str = "CUSTOMAUTH_CREDENTIALS_FILE";
/// The credentials JSON itself.
pub const VAR_INLINE: &str = "CUSTOMAUTH_CREDENTIALS";
/// Split form: the key id.
pub const VAR_SPLIT_KEY_ID: &str = "TCB_CUSTOM_LOGIN_PRIVATE_KEY_ID";
/// Split form: the PEM key (literal `\n` allowed).
pub const VAR_SPLIT_KEY: &str = "TCB_CUSTOM_LOGIN_PRIVATE_KEY";
/// Split form: the env id.
pub const VAR_SPLIT_ENV_ID: &str = "TCB_CUSTOM_LOGIN_ENV_ID";
/// AWS Secrets Manager secret id or ARN holding the JSON.
pub const VAR_SECRET_ID: &str = "CUSTOMAUTH_CREDENTIALS_SECRET_ID";
/// AWS SSM SecureString parameter holding the JSON.
pub const VAR_SSM_PARAMETER: &str = "CUSTOMAUTH_CREDENTIALS_SSM_PARAMETER";
/// The expected env id (optional).
pub const VAR_ENV: &str = "CUSTOMAUTH_ENV";
/// Seconds between two reads of a remote source (Secrets Manager, SSM);
/// `0` disables refreshing.
pub const VAR_CREDENTIALS_TTL: &str = "CUSTOMAUTH_CREDENTIALS_TTL_SECONDS";

/// The refresh interval when [`VAR_CREDENTIALS_TTL`] is unset: 5 minutes.
pub const DEFAULT_CREDENTIALS_TTL: Duration = Duration::from_secs(300);

/// The largest accepted [`VAR_CREDENTIALS_TTL`]: one day.
pub const MAX_CREDENTIALS_TTL: Duration = Duration::from_secs(86_400);

/// The credentials variables (exactly one source), for `--help` and the
/// configuration table.
pub const SETTINGS: &[Setting] = &[
    Setting::new(VAR_FILE, "path to the console's tcb_custom_login.json"),
    Setting::new(VAR_INLINE, "that JSON itself"),
    Setting::new(
        VAR_SPLIT_KEY_ID,
        "split form: private_key_id (with the next two)",
    ),
    Setting::new(
        VAR_SPLIT_KEY,
        "split form: the PEM private key (literal \\n allowed)",
    ),
    Setting::new(VAR_SPLIT_ENV_ID, "split form: env_id"),
    Setting::new(VAR_SECRET_ID, "AWS Secrets Manager secret holding the JSON"),
    Setting::new(
        VAR_SSM_PARAMETER,
        "AWS SSM SecureString parameter holding the JSON",
    ),
    Setting::with_default(
        VAR_CREDENTIALS_TTL,
        "how often an AWS-held key is re-read",
        "300; 0 = never",
    ),
    Setting::new(VAR_ENV, "optional; must equal the credentials' env_id"),
];

/// Where the credentials come from: exactly one of the configured sources.
#[derive(Clone)]
pub enum CredentialsSource {
    /// `CUSTOMAUTH_CREDENTIALS_FILE`.
    File(PathBuf),
    /// `CUSTOMAUTH_CREDENTIALS`.
    Inline(Zeroizing<String>),
    /// The three `TCB_CUSTOM_LOGIN_*` variables.
    Split(Credentials),
    /// `CUSTOMAUTH_CREDENTIALS_SECRET_ID`.
    SecretsManager(String),
    /// `CUSTOMAUTH_CREDENTIALS_SSM_PARAMETER`.
    SsmParameter(String),
}

impl fmt::Debug for CredentialsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            Self::Inline(_) => f.write_str("Inline([redacted])"),
            Self::Split(c) => f.debug_tuple("Split").field(c).finish(),
            Self::SecretsManager(id) => f.debug_tuple("SecretsManager").field(id).finish(),
            Self::SsmParameter(name) => f.debug_tuple("SsmParameter").field(name).finish(),
        }
    }
}

impl CredentialsSource {
    /// Picks the one configured source from the environment, read through
    /// `env` (pass `|k| std::env::var(k).ok()`; tests pass a map).
    ///
    /// # Errors
    /// [`CredentialsError::NoSource`], [`CredentialsError::ConflictingSources`]
    /// or [`CredentialsError::IncompleteSplit`].
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, CredentialsError> {
        let split = [VAR_SPLIT_KEY_ID, VAR_SPLIT_KEY, VAR_SPLIT_ENV_ID].map(|n| (n, var(&env, n)));
        let split_set = split.iter().any(|(_, v)| v.is_some());
        let mut found: Vec<(&'static str, Self)> = Vec::new();
        if let Some(path) = var(&env, VAR_FILE) {
            found.push((VAR_FILE, Self::File(PathBuf::from(path))));
        }
        if let Some(json) = var(&env, VAR_INLINE) {
            found.push((VAR_INLINE, Self::Inline(Zeroizing::new(json))));
        }
        if let Some(id) = var(&env, VAR_SECRET_ID) {
            found.push((VAR_SECRET_ID, Self::SecretsManager(id)));
        }
        if let Some(name) = var(&env, VAR_SSM_PARAMETER) {
            found.push((VAR_SSM_PARAMETER, Self::SsmParameter(name)));
        }
        if split_set {
            let present = split
                .iter()
                .find(|(_, v)| v.is_some())
                .map_or("", |(n, _)| n);
            let [(_, Some(key_id)), (_, Some(key)), (_, Some(env_id))] = &split else {
                let missing = split
                    .iter()
                    .find(|(_, v)| v.is_none())
                    .map_or("", |(n, _)| n);
                return Err(CredentialsError::IncompleteSplit { missing, present });
            };
            let key = Zeroizing::new(key.clone());
            let creds = Credentials::from_parts(key_id, &key, env_id, "TCB_CUSTOM_LOGIN_*")?;
            found.push(("TCB_CUSTOM_LOGIN_*", Self::Split(creds)));
        }
        match found.len() {
            0 => Err(CredentialsError::NoSource),
            1 => Ok(found.remove(0).1),
            _ => Err(CredentialsError::ConflictingSources(
                found.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            )),
        }
    }

    /// How errors and logs name this source: the file's path, the variable,
    /// or the secret or parameter's name (never a value).
    pub fn origin(&self) -> String {
        match self {
            Self::File(path) => format!("credentials file {}", path.display()),
            Self::Inline(_) => VAR_INLINE.to_owned(),
            Self::Split(_) => "TCB_CUSTOM_LOGIN_*".to_owned(),
            Self::SecretsManager(id) => format!("Secrets Manager secret {id}"),
            Self::SsmParameter(name) => format!("SSM parameter {name}"),
        }
    }

    /// Whether loading needs AWS (Secrets Manager or SSM).
    pub fn is_remote(&self) -> bool {
        matches!(self, Self::SecretsManager(_) | Self::SsmParameter(_))
    }

    /// Loads a local source (file, inline, split).
    ///
    /// # Errors
    /// As the source's parser; [`CredentialsError::Remote`] for an AWS
    /// source, which needs the `aws` loader.
    pub fn load_local(&self) -> Result<Credentials, CredentialsError> {
        match self {
            Self::File(path) => Credentials::from_file(path),
            Self::Inline(json) => Credentials::from_json(json, VAR_INLINE),
            Self::Split(creds) => Ok(creds.clone()),
            Self::SecretsManager(_) | Self::SsmParameter(_) => Err(CredentialsError::Remote {
                origin: self.origin(),
                message: "needs the AWS loader (the `aws` feature of customauth)".into(),
            }),
        }
    }
}
