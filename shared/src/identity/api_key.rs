//! api-key mode: a trusted backend presents one of the configured keys.
//!
//! Only SHA-256 digests of the keys are kept, and a presented key is compared
//! with every digest in constant time.
//!
//! Keys that are obviously weak are refused at start: shorter than
//! [`MIN_API_KEY_CHARS`], made of fewer than [`MIN_API_KEY_DISTINCT_CHARS`]
//! different characters, or under [`MIN_API_KEY_BITS`] by the estimate
//! length × log2(number of different characters). The estimate is an upper
//! bound for a random key and says nothing good about a chosen one
//! (`correct-horse-battery-staple` passes): generate keys, for example 32
//! random hex digits (`openssl rand -hex 16`, 128 bits).

use aws_lc_rs::digest;
use customauth_core::config::ConfigError;
use customauth_core::env::Setting;
use customauth_core::env::var;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

/// api-key mode: the accepted keys, comma-separated.
pub const VAR_API_KEYS: &str = "CUSTOMAUTH_API_KEYS";
/// api-key mode: a Secrets Manager secret holding the keys (comma-separated),
/// an alternative to [`VAR_API_KEYS`] that keeps them out of the function's
/// configuration (createTicket, the `aws` feature).
pub const VAR_API_KEYS_SECRET_ID: &str = "CUSTOMAUTH_API_KEYS_SECRET_ID";
/// The API-key variables (createTicket only: an API key names a backend).
pub const API_KEY_SETTINGS: &[Setting] = &[
    Setting::new(
        VAR_API_KEYS,
        "api-key mode: comma-separated keys (16+ characters, 8+ different, 64+ bits)",
    ),
    Setting::new(
        VAR_API_KEYS_SECRET_ID,
        "api-key mode: a Secrets Manager secret holding them",
    ),
];

/// Shortest API key accepted, in characters.
pub const MIN_API_KEY_CHARS: usize = 16;
/// Fewest different characters an API key may be made of.
pub const MIN_API_KEY_DISTINCT_CHARS: usize = 8;
/// Least estimated strength of an API key, in bits: length × log2(number of
/// different characters). 16 random hex digits reach it only when all 16
/// digits occur, so most fall short; 32 are about 128.
pub const MIN_API_KEY_BITS: f64 = 64.0;

/// The keys held by the secret [`VAR_API_KEYS_SECRET_ID`] names, `None` when
/// it is unset.
///
/// # Errors
/// [`ConfigError::Conflict`] when [`VAR_API_KEYS`] is set too, or when the
/// build has no `aws` feature; the credentials error when the secret cannot
/// be read.
pub(super) async fn keys_from_secret(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Zeroizing<String>>, ConfigError> {
    let Some(secret_id) = var(env, VAR_API_KEYS_SECRET_ID) else {
        return Ok(None);
    };
    #[cfg(not(feature = "aws"))]
    {
        drop(secret_id);
        Err(ConfigError::Conflict(format!(
            "{VAR_API_KEYS_SECRET_ID} needs AWS support, which this build does not have \
             (the `aws` feature); set {VAR_API_KEYS} instead"
        )))
    }
    #[cfg(feature = "aws")]
    {
        if var(env, VAR_API_KEYS).is_some() {
            return Err(ConfigError::Conflict(format!(
                "{VAR_API_KEYS} and {VAR_API_KEYS_SECRET_ID} are both set; set one"
            )));
        }
        let settings = crate::aws::AwsFetchSettings::from_env(env)?;
        Ok(Some(
            crate::aws::fetch_secret_string(&secret_id, &settings).await?,
        ))
    }
}

/// SHA-256 digests of the accepted keys; the keys themselves are not kept.
pub(super) struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl ApiKeys {
    /// Reads and checks the keys of api-key mode.
    pub(super) fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let list = Zeroizing::new(var(env, VAR_API_KEYS).ok_or(ConfigError::Missing {
            var: VAR_API_KEYS,
            hint: "CUSTOMAUTH_CALLER_AUTH=api-key needs the accepted keys, comma-separated, \
                   each at least 16 characters",
        })?);
        let mut digests = Vec::new();
        for (i, entry) in list.split(',').enumerate() {
            let key = entry.trim();
            let invalid = |what: &str| ConfigError::Invalid {
                var: VAR_API_KEYS,
                reason: format!("entry {} {what}", i + 1),
            };
            if key.is_empty() {
                return Err(invalid("is empty (a stray comma?)"));
            }
            if key.chars().count() < MIN_API_KEY_CHARS {
                return Err(invalid("is shorter than 16 characters"));
            }
            if !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(invalid(
                    "contains a space or a character that cannot be sent in an HTTP header",
                ));
            }
            if is_weak(key) {
                return Err(invalid(
                    "is too predictable: a key needs at least 8 different characters and 64 bits \
                     estimated as length × log2(different characters); generate one, e.g. 32 \
                     random hex digits",
                ));
            }
            digests.push(sha256(key.as_bytes()));
        }
        Ok(Self { digests })
    }

    /// Compares the digest of `key` with every accepted digest, in constant
    /// time and without stopping at a match.
    pub(super) fn accepts(&self, key: &str) -> bool {
        let presented = sha256(key.as_bytes());
        let mut found = Choice::from(0);
        for digest in &self.digests {
            found |= digest[..].ct_eq(&presented[..]);
        }
        found.into()
    }

    /// How many keys are accepted.
    pub(super) fn count(&self) -> usize {
        self.digests.len()
    }
}

/// Whether `key` (visible ASCII) is under [`MIN_API_KEY_DISTINCT_CHARS`]
/// different characters or [`MIN_API_KEY_BITS`] estimated bits.
fn is_weak(key: &str) -> bool {
    let mut seen = [false; 128];
    for b in key.bytes() {
        seen[usize::from(b & 0x7f)] = true;
    }
    let distinct = seen.iter().filter(|s| **s).count();
    let bits = key.len() as f64 * (distinct as f64).log2();
    distinct < MIN_API_KEY_DISTINCT_CHARS || bits < MIN_API_KEY_BITS
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}
