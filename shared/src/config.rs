//! Configuration of the functions, read once at cold start.
//!
//! Every reader takes the environment as a function (`|k| std::env::var(k).ok()`
//! in binaries, a map in tests), so nothing calls `std::env::set_var`. Unset
//! and empty variables are the same: deployment templates set optional
//! variables to "". Messages name the variable and never echo a secret value.

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

/// Reads `name` through `env`; unset and blank are both `None`.
pub fn var(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

/// An environment made of `pairs`, for tests (no `std::env::set_var`).
#[cfg(test)]
pub(crate) fn test_env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}
