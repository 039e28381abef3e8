//! The environment, passed in as a function.
//!
//! Every reader of configuration takes the environment as a function
//! (`|k| std::env::var(k).ok()` in binaries, [`from_pairs`] in tests), so
//! nothing calls `std::env::set_var` (unsafe in edition 2024) and tests can
//! run in parallel. Unset and empty variables are the same: deployment
//! templates set optional variables to "".

/// Reads `name` through `env`; unset and blank are both `None`.
pub fn var(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
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
