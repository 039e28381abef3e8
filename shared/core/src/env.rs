//! The environment, passed in as a function.
//!
//! Every reader of configuration takes the environment as a function
//! (`|k| std::env::var(k).ok()` in binaries, [`from_pairs`] in tests), so
//! nothing calls `std::env::set_var` (unsafe in edition 2024) and tests can
//! run in parallel. Unset and empty variables are the same: deployment
//! templates set optional variables to "".
//!
//! Each module that reads variables declares them ([`Setting`]: name,
//! meaning, default) beside their constants.

/// A configuration variable, declared once, beside the constants of the
/// module that reads it: `--help` is built from these declarations, and a
/// test checks the table of `docs/configuration.md` against them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The variable's name.
    pub name: &'static str,
    /// What it does, one line.
    pub meaning: &'static str,
    /// Its default, in words, when it has one worth saying.
    pub default: Option<&'static str>,
}

impl Setting {
    /// A variable without a default worth saying (or with the default in
    /// `meaning`).
    pub const fn new(name: &'static str, meaning: &'static str) -> Self {
        Self {
            name,
            meaning,
            default: None,
        }
    }

    /// A variable and its default.
    pub const fn with_default(
        name: &'static str,
        meaning: &'static str,
        default: &'static str,
    ) -> Self {
        Self {
            name,
            meaning,
            default: Some(default),
        }
    }

    /// Its line of `--help`: the meaning, then `(default ...)`.
    pub fn help(&self) -> String {
        match self.default {
            Some(default) => format!("{} (default {default})", self.meaning),
            None => self.meaning.to_owned(),
        }
    }
}

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
