//! The console's custom-login credentials (`tcb_custom_login.json`) and where
//! to find them.
//!
//! The CloudBase console hands out `{"private_key_id", "private_key",
//! "env_id"}`. Deployments pass it as a file, inline, split into the three
//! `TCB_CUSTOM_LOGIN_*` variables, or (on AWS) by Secrets Manager or SSM
//! reference. Exactly one source may be set. Errors name the source and the
//! field and never contain key material.

use std::fmt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::env::var;
use crate::key::KeyError;

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

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;

    use crate::env::from_pairs as env;

    fn json() -> String {
        serde_json::json!({"private_key_id": "kid", "private_key": PEM, "env_id": "env-1"})
            .to_string()
    }

    #[test]
    fn console_json_parses() {
        let c = Credentials::from_json(&json(), "test").expect("parses");
        assert_eq!((c.key_id(), c.env_id()), ("kid", "env-1"));
        assert_eq!(c.private_key_pem(), PEM);
    }

    #[test]
    fn missing_or_mistyped_fields_are_named() {
        for (text, field) in [
            (r#"{"private_key":"x","env_id":"e"}"#, "private_key_id"),
            (
                r#"{"private_key_id":"k","private_key":7,"env_id":"e"}"#,
                "private_key",
            ),
            (
                r#"{"private_key_id":"k","private_key":"x","env_id":""}"#,
                "env_id",
            ),
        ] {
            let err = Credentials::from_json(text, "src").unwrap_err();
            assert!(
                matches!(err, CredentialsError::Field { field: f, .. } if f == field),
                "{err}"
            );
        }
    }

    #[test]
    fn json_errors_never_echo_the_text() {
        let secret = "MIIEsecretkeymaterial";
        for text in [
            format!(r#"{{"private_key":"{secret}" "#),
            format!(r#"["{secret}"]"#),
            format!(r#"{{"private_key":"{secret}\q"}}"#),
        ] {
            let err = Credentials::from_json(&text, "src")
                .unwrap_err()
                .to_string();
            assert!(!err.contains(secret), "{err}");
        }
    }

    #[test]
    fn an_empty_text_is_called_empty_not_bad_json() {
        for text in ["", "  \n\t"] {
            let err = Credentials::from_json(text, "credentials file x.json").unwrap_err();
            assert!(matches!(err, CredentialsError::Empty { .. }), "{err}");
            assert!(
                err.to_string()
                    .starts_with("credentials file x.json is empty: expected the console's JSON"),
                "{err}"
            );
        }
    }

    #[test]
    fn debug_redacts_the_key() {
        let c = Credentials::from_json(&json(), "test").expect("parses");
        let shown = format!("{c:?}");
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains("PRIVATE KEY"));
        let source = CredentialsSource::Inline(Zeroizing::new(json()));
        assert!(!format!("{source:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn split_form_with_literal_newlines_loads() {
        let escaped = PEM.replace('\n', "\\n");
        let source = CredentialsSource::from_env(env(&[
            (VAR_SPLIT_KEY_ID, "kid"),
            (VAR_SPLIT_KEY, &escaped),
            (VAR_SPLIT_ENV_ID, "env-1"),
        ]))
        .expect("one source");
        let c = source.load_local().expect("loads");
        assert_eq!(c.private_key_pem(), PEM);
    }

    #[test]
    fn incomplete_split_names_the_missing_variable() {
        let err =
            CredentialsSource::from_env(env(&[(VAR_SPLIT_KEY_ID, "kid"), (VAR_SPLIT_KEY, PEM)]))
                .unwrap_err();
        assert!(err.to_string().contains(VAR_SPLIT_ENV_ID), "{err}");
    }

    #[test]
    fn no_source_fails() {
        assert!(matches!(
            CredentialsSource::from_env(env(&[])),
            Err(CredentialsError::NoSource)
        ));
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let s = CredentialsSource::from_env(env(&[(VAR_FILE, "/x.json"), (VAR_INLINE, "")]))
            .expect("one source");
        assert!(matches!(s, CredentialsSource::File(_)));
    }

    #[test]
    fn two_sources_fail_naming_both() {
        let err = CredentialsSource::from_env(env(&[(VAR_FILE, "/x.json"), (VAR_SECRET_ID, "s")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(VAR_FILE) && err.contains(VAR_SECRET_ID),
            "{err}"
        );
    }

    #[test]
    fn each_single_source_is_picked() {
        for (var_name, remote) in [
            (VAR_INLINE, false),
            (VAR_SECRET_ID, true),
            (VAR_SSM_PARAMETER, true),
        ] {
            let value = json();
            let s = CredentialsSource::from_env(env(&[(var_name, &value)])).expect("one");
            assert_eq!(s.is_remote(), remote);
        }
    }

    #[test]
    fn file_source_loads_and_missing_file_names_path() {
        let dir = std::env::temp_dir().join(format!("customauth-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("c.json");
        std::fs::write(&path, json()).expect("write");
        let c = Credentials::from_file(&path).expect("loads");
        assert_eq!(c.env_id(), "env-1");
        let err = Credentials::from_file(&dir.join("nope.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope.json"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn env_mismatch_fails() {
        let c = Credentials::from_json(&json(), "test").expect("parses");
        assert!(c.check_env(None).is_ok());
        assert!(c.check_env(Some("env-1")).is_ok());
        let err = c.check_env(Some("env-2")).unwrap_err().to_string();
        assert!(err.contains(VAR_ENV), "{err}");
    }

    #[test]
    fn json_escapes_in_the_key_are_unescaped_like_serde_json() {
        let key = "line\\one\n\"two\" \u{e9} \u{1F600} /\t\r";
        let json = serde_json::json!({"private_key_id": "k", "private_key": key, "env_id": "e"});
        let mut text = json.to_string();
        text = text
            .replace('/', "\\/")
            .replace('\u{e9}', "\\u00e9")
            .replace('\u{1F600}', "\\ud83d\\ude00");
        let c = Credentials::from_json(&text, "test").expect("parses");
        assert_eq!(c.private_key_pem(), key);
    }

    #[test]
    fn a_key_of_only_escaped_newlines_is_blank() {
        let err = Credentials::from_parts("k", "\\n\\r\\n ", "e", "src").unwrap_err();
        assert!(
            matches!(
                err,
                CredentialsError::Field {
                    field: "private_key",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn literal_crlf_escapes_become_newlines() {
        assert_eq!(normalize_pem("a\\r\\nb\\nc").as_str(), "a\nb\nc");
        assert_eq!(normalize_pem("plain\nkey").as_str(), "plain\nkey");
    }

    #[test]
    fn to_json_round_trips() {
        let c = Credentials::from_json(&json(), "test").expect("parses");
        let again = Credentials::from_json(&c.to_json(), "again").expect("parses");
        assert_eq!(again.private_key_pem(), c.private_key_pem());
    }
}
