//! The environment, passed in as a function.
//!
//! Every reader of configuration takes the environment as a function
//! (`|k| std::env::var(k).ok()` in binaries, [`from_pairs`] in tests), so
//! nothing calls `std::env::set_var` (unsafe in edition 2024) and tests can
//! run in parallel. Unset and empty variables are the same: deployment
//! templates set optional variables to "".

use crate::config::ConfigError;

/// Reads `name` through `env`; unset and blank are both `None`.
pub fn var(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
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

/// An environment made of `pairs` (for tests and examples).
pub fn from_pairs(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + use<> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_unset() {
        let env = from_pairs(&[("A", "x"), ("B", "  "), ("C", "")]);
        assert_eq!(var(&env, "A").as_deref(), Some("x"));
        assert_eq!(var(&env, "B"), None);
        assert_eq!(var(&env, "C"), None);
        assert_eq!(var(&env, "D"), None);
    }
}
