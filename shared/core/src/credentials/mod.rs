//! The console's custom-login credentials (`tcb_custom_login.json`) and where
//! to find them.
//!
//! The CloudBase console hands out `{"private_key_id", "private_key",
//! "env_id"}`. Deployments pass it as a file, inline, split into the three
//! `TCB_CUSTOM_LOGIN_*` variables, or (on AWS) by Secrets Manager or SSM
//! reference. Exactly one source may be set. Errors name the source and the
//! field and never contain key material.

mod source;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::key::KeyError;

pub use self::source::{
    CredentialsSource, DEFAULT_CREDENTIALS_TTL, MAX_CREDENTIALS_TTL, SETTINGS, VAR_CREDENTIALS_TTL,
    VAR_ENV, VAR_FILE, VAR_INLINE, VAR_SECRET_ID, VAR_SPLIT_ENV_ID, VAR_SPLIT_KEY,
    VAR_SPLIT_KEY_ID, VAR_SSM_PARAMETER,
};

/// Why credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// No source is configured.
    #[error(
        "no credentials configured: set one of {VAR_FILE}, {VAR_INLINE}, the three \
         TCB_CUSTOM_LOGIN_* variables, {VAR_SECRET_ID} or {VAR_SSM_PARAMETER}"
    )]
    NoSource,
    /// More than one source is configured.
    #[error("more than one credentials source is set ({0}); set exactly one")]
    ConflictingSources(String),
    /// Only part of the split form is set.
    #[error(
        "{missing} is not set but {present} is: the split form needs all three TCB_CUSTOM_LOGIN_* variables"
    )]
    IncompleteSplit {
        /// The variable that is missing.
        missing: &'static str,
        /// One that is set.
        present: &'static str,
    },
    /// The file could not be read.
    #[error("cannot read credentials file {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error (no file contents).
        error: std::io::Error,
    },
    /// The text is empty (or only whitespace).
    #[error(
        "{origin} is empty: expected the console's JSON (tcb_custom_login.json) with \
         private_key_id, private_key and env_id"
    )]
    Empty {
        /// Where the text came from.
        origin: String,
    },
    /// The text is not JSON.
    #[error("{origin}: not valid JSON (line {line}, column {column})")]
    Json {
        /// Where the text came from.
        origin: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The JSON is not an object.
    #[error("{origin}: expected a JSON object with private_key_id, private_key and env_id")]
    NotObject {
        /// Where the text came from.
        origin: String,
    },
    /// A field is missing, empty or not a string.
    #[error("{origin}: {field} must be a non-empty string")]
    Field {
        /// Where the text came from.
        origin: String,
        /// The field (or variable) at fault.
        field: &'static str,
    },
    /// The private key cannot be used.
    #[error("{origin}: private_key: {source}")]
    Key {
        /// Where the key came from.
        origin: String,
        /// Why it was refused.
        source: KeyError,
    },
    /// `env_id` is not the configured environment.
    #[error("credentials env_id {found:?} does not match {VAR_ENV}={expected:?}")]
    EnvMismatch {
        /// The configured env.
        expected: String,
        /// The credentials' env_id.
        found: String,
    },
    /// A remote source (Secrets Manager, SSM) failed.
    #[error("{origin}: {message}")]
    Remote {
        /// The source.
        origin: String,
        /// What went wrong (no secret value).
        message: String,
    },
}

/// The console's credentials. `Debug` prints `[redacted]` for the key, which
/// is zeroed on drop.
#[derive(Clone)]
pub struct Credentials {
    key_id: String,
    private_key: Zeroizing<String>,
    env_id: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("private_key_id", &self.key_id)
            .field("private_key", &"[redacted]")
            .field("env_id", &self.env_id)
            .finish()
    }
}

/// Turns literal `\n` (as environment variables and some secret stores carry
/// PEM keys) into newlines, in one pass into a buffer that is wiped on drop.
/// A PEM block never holds a backslash.
fn normalize_pem(key: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(key.len()));
    let mut parts = key.split("\\n").peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_some() {
            out.push_str(part.strip_suffix("\\r").unwrap_or(part));
            out.push('\n');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Unescapes a JSON string literal (as validated by serde_json) into a buffer
/// that is wiped on drop and never reallocated (the text only shrinks).
/// serde_json's own unescaping goes through a scratch buffer it frees without
/// wiping. `None` when `raw` is not a string.
fn unescape_json_string(raw: &str) -> Option<Zeroizing<String>> {
    fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
        (0..4).try_fold(0, |n, _| Some(n * 16 + chars.next()?.to_digit(16)?))
    }
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Zeroizing::new(String::with_capacity(inner.len()));
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let unescaped = match chars.next()? {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => {
                let high = hex4(&mut chars)?;
                if (0xD800..0xDC00).contains(&high) {
                    let (Some('\\'), Some('u')) = (chars.next(), chars.next()) else {
                        return None;
                    };
                    let low = hex4(&mut chars)?;
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + low.checked_sub(0xDC00)?)?
                } else {
                    char::from_u32(high)?
                }
            }
            other => other, // \" \\ \/
        };
        out.push(unescaped);
    }
    Some(out)
}

/// The console's JSON, with the key left as raw JSON text for
/// [`unescape_json_string`]. Unknown fields are ignored.
#[derive(serde::Deserialize)]
struct ConsoleJson<'a> {
    private_key_id: Option<serde_json::Value>,
    #[serde(borrow)]
    private_key: Option<&'a serde_json::value::RawValue>,
    env_id: Option<serde_json::Value>,
}

impl Credentials {
    /// Credentials from their three parts; `origin` names the source in errors.
    ///
    /// # Errors
    /// [`CredentialsError::Field`] when a part is empty.
    pub fn from_parts(
        key_id: &str,
        private_key: &str,
        env_id: &str,
        origin: &str,
    ) -> Result<Self, CredentialsError> {
        let field = |field| CredentialsError::Field {
            origin: origin.to_owned(),
            field,
        };
        if key_id.trim().is_empty() {
            return Err(field("private_key_id"));
        }
        if env_id.trim().is_empty() {
            return Err(field("env_id"));
        }
        // Blank after the literal `\n` are turned into newlines counts too.
        let private_key = normalize_pem(private_key);
        if private_key.trim().is_empty() {
            return Err(field("private_key"));
        }
        Ok(Self {
            key_id: key_id.trim().to_owned(),
            private_key,
            env_id: env_id.trim().to_owned(),
        })
    }

    /// Parses the console's JSON; `origin` names the source in errors.
    /// Unknown fields are ignored.
    ///
    /// # Errors
    /// [`CredentialsError::Empty`], [`CredentialsError::Json`],
    /// [`CredentialsError::NotObject`] or [`CredentialsError::Field`]; never
    /// with any of the text in them.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, CredentialsError> {
        if text.trim().is_empty() {
            return Err(CredentialsError::Empty {
                origin: origin.to_owned(),
            });
        }
        if !text.trim_start().starts_with('{') {
            // Valid JSON of another type, or not JSON at all.
            return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => CredentialsError::NotObject {
                    origin: origin.to_owned(),
                },
                Err(e) => CredentialsError::Json {
                    origin: origin.to_owned(),
                    line: e.line(),
                    column: e.column(),
                },
            });
        }
        let raw: ConsoleJson<'_> =
            serde_json::from_str(text).map_err(|e| CredentialsError::Json {
                origin: origin.to_owned(),
                line: e.line(),
                column: e.column(),
            })?;
        let field = |field| CredentialsError::Field {
            origin: origin.to_owned(),
            field,
        };
        let key_id = raw
            .private_key_id
            .as_ref()
            .and_then(serde_json::Value::as_str);
        let key_id = key_id.ok_or_else(|| field("private_key_id"))?;
        let env_id = raw.env_id.as_ref().and_then(serde_json::Value::as_str);
        let env_id = env_id.ok_or_else(|| field("env_id"))?;
        let key = raw
            .private_key
            .and_then(|key| unescape_json_string(key.get()))
            .ok_or_else(|| field("private_key"))?;
        Self::from_parts(key_id, &key, env_id, origin)
    }

    /// Reads the console's JSON file.
    ///
    /// # Errors
    /// [`CredentialsError::Read`] when the file cannot be read, otherwise as
    /// [`Credentials::from_json`].
    pub fn from_file(path: &Path) -> Result<Self, CredentialsError> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| {
            CredentialsError::Read {
                path: path.to_owned(),
                error,
            }
        })?);
        Self::from_json(&text, &format!("credentials file {}", path.display()))
    }

    /// The console's `private_key_id`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The PEM private key.
    pub fn private_key_pem(&self) -> &str {
        &self.private_key
    }

    /// The CloudBase environment id.
    pub fn env_id(&self) -> &str {
        &self.env_id
    }

    /// The credentials as the console's JSON (for `keygen`).
    pub fn to_json(&self) -> Zeroizing<String> {
        let value = serde_json::json!({
            "private_key_id": self.key_id,
            "private_key": self.private_key.as_str(),
            "env_id": self.env_id,
        });
        Zeroizing::new(serde_json::to_string_pretty(&value).unwrap_or_default() + "\n")
    }

    /// Checks `env_id` against the configured env, if one is.
    ///
    /// # Errors
    /// [`CredentialsError::EnvMismatch`] when they differ.
    pub fn check_env(&self, expected: Option<&str>) -> Result<(), CredentialsError> {
        match expected {
            Some(expected) if expected != self.env_id => Err(CredentialsError::EnvMismatch {
                expected: expected.to_owned(),
                found: self.env_id.clone(),
            }),
            _ => Ok(()),
        }
    }
}
