//! Why a configuration cannot be used: the one error every `from_env`
//! returns. Messages name the variable and never echo a secret value.

use crate::credentials::CredentialsError;

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
