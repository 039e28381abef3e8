//! Why a configuration cannot be used ([`ConfigError`]), and the reader of
//! bounded whole numbers ([`number`]). `ConfigError` is the error of the
//! `from_env` of the service and its parts; the core's own readers that only
//! pick a source ([`CredentialsSource::from_env`](crate::CredentialsSource::from_env))
//! answer their own error, which converts into it. Messages name the variable
//! and never echo a secret value.

use crate::credentials::CredentialsError;
use crate::env::var;

/// Why a function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{var} is not set: {hint}")]
    Missing {
        /// The variable.
        var: &'static str,
        /// What to set it to.
        hint: &'static str,
    },
    /// A variable has a value that cannot be used.
    #[error("{var} is invalid: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Why (never the value of a secret variable).
        reason: String,
    },
    /// Settings that contradict each other.
    #[error("{0}")]
    Conflict(String),
    /// The credentials cannot be loaded.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
}

/// Reads `name` through `env` as a whole number in `min..=max`; `default`
/// when unset or blank.
///
/// # Errors
/// [`ConfigError::Invalid`] naming `name` for anything else (the message
/// gives the range, never the value).
pub fn number(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let Some(raw) = var(env, name) else {
        return Ok(default);
    };
    match raw.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::Invalid {
            var: name,
            reason: format!("a whole number from {min} to {max}"),
        }),
    }
}
