//! `cloudbase` mode: the caller presents its CloudBase login and CloudBase
//! says who it is.
//!
//! A client signed in with its ticket holds a CloudBase access token. It
//! sends it as `Authorization: Bearer ACCESS_TOKEN` (js-sdk 2.x) or as
//! `X-Cloudbase-Credentials: ACCESS_TOKEN/@@/REFRESH_TOKEN` (the HTTP access
//! service's form, js-sdk 1.x `auth.getAuthHeader()`), and the function asks
//! CloudBase: `GET /auth/v1/user/me` for the first form, the v1 action
//! `auth.getUserInfo` for the second. The origin is
//! `https://ENV.REGION.tcb-api.tencentcloudapi.com`, or
//! `CUSTOMAUTH_CLOUDBASE_ENDPOINT` (the emulator in tests and local runs).
//!
//! - A verified identity is cached by the SHA-256 of the token for
//!   `CUSTOMAUTH_CLOUDBASE_CACHE_SECONDS` (default 30, `0` turns the cache
//!   off), never past the token's own `exp`, in a least-recently-used cache of
//!   `CUSTOMAUTH_CLOUDBASE_CACHE_ENTRIES` (default 10,000). A token signed
//!   out elsewhere stays accepted until its cache entry ends: that is the
//!   bound on revocation. A token CloudBase refused is refused again without
//!   asking for [`REFUSAL_CACHE_TTL`] (10 s; by SHA-256, at most
//!   [`REFUSAL_CACHE_ENTRIES`]); CloudBase failing is never cached.
//! - CloudBase that is unreachable, slow (beyond
//!   `CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS`, default 3000, waiting for a lookup slot
//!   included), answering 5xx or answering something else than the SDK's
//!   shapes gives [`AuthError::Unavailable`] (HTTP 503), never a 401 that
//!   blames the caller. At most [`MAX_CONCURRENT_LOOKUPS`] lookups run at
//!   once, and at most [`MAX_LOOKUPS_PER_CLIENT`] for one client address
//!   (the layer's [`ClientIp`](crate::layer::ClientIp); IPv6 by /64), whose
//!   further requests get 503 at once: a flood of junk tokens from one
//!   address costs CloudBase a bounded number of calls and leaves the other
//!   slots to everyone else. Requests that carry the same token at the same
//!   time share one lookup.
//! - Refused without a lookup: a token shorter than [`MIN_TOKEN_CHARS`], and
//!   a token that is a JWT whose own `exp` has passed or whose `project_id`
//!   names another environment (the claims are not verified, so they can
//!   only refuse, never accept).

// The lookup needs the `cloudbase` feature (an HTTPS client); without it
// only the settings are here, so that the mode can be refused by name.
#[cfg(feature = "cloudbase")]
mod answer;
#[cfg(feature = "cloudbase")]
mod cache;
#[cfg(feature = "cloudbase")]
mod client;
#[cfg(all(test, feature = "cloudbase"))]
mod tests;

use std::time::Duration;

use customauth_core::config::ConfigError;
use customauth_core::config::number;
use customauth_core::env::Setting;
use customauth_core::env::var;

use crate::origin::{NotAnOrigin, Origin};

#[cfg(feature = "cloudbase")]
pub(super) use self::client::CloudBase;

/// The CloudBase environment id the callers signed in to. Required in the
/// `cloudbase` and `cloudbase-context` modes.
pub const VAR_CLOUDBASE_ENV: &str = "CUSTOMAUTH_CLOUDBASE_ENV";
/// The environment's region. Defaults to `ap-shanghai`.
pub const VAR_CLOUDBASE_REGION: &str = "CUSTOMAUTH_CLOUDBASE_REGION";
/// An origin that replaces `https://ENV.REGION.tcb-api.tencentcloudapi.com`,
/// such as `http://127.0.0.1:9100` (the emulator): `https://`, or `http://`
/// to a loopback address; never a user name, password or fragment.
pub const VAR_CLOUDBASE_ENDPOINT: &str = "CUSTOMAUTH_CLOUDBASE_ENDPOINT";
/// How long one identity check may take, in milliseconds (default 3000).
pub const VAR_CLOUDBASE_TIMEOUT_MS: &str = "CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS";
/// How long a verified identity is reused, in seconds (default 30; 0: never).
pub const VAR_CLOUDBASE_CACHE_SECONDS: &str = "CUSTOMAUTH_CLOUDBASE_CACHE_SECONDS";
/// How many verified identities are kept (default 10,000).
pub const VAR_CLOUDBASE_CACHE_ENTRIES: &str = "CUSTOMAUTH_CLOUDBASE_CACHE_ENTRIES";

/// The CloudBase modes' variables (getUserInfo only).
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        VAR_CLOUDBASE_ENV,
        "cloudbase, cloudbase-context: the environment id (required)",
    ),
    Setting::with_default(VAR_CLOUDBASE_REGION, "cloudbase: region", "ap-shanghai"),
    Setting::new(
        VAR_CLOUDBASE_ENDPOINT,
        "cloudbase: origin to ask instead of CloudBase (the emulator)",
    ),
    Setting::with_default(
        VAR_CLOUDBASE_TIMEOUT_MS,
        "cloudbase: bound on a lookup, then 503",
        "3000",
    ),
    Setting::with_default(
        VAR_CLOUDBASE_CACHE_SECONDS,
        "cloudbase: reuse of a verified token",
        "30; 0 = off",
    ),
    Setting::with_default(
        VAR_CLOUDBASE_CACHE_ENTRIES,
        "cloudbase: tokens cached at most",
        "10000",
    ),
];

/// The region when `CUSTOMAUTH_CLOUDBASE_REGION` is not set.
pub const DEFAULT_CLOUDBASE_REGION: &str = "ap-shanghai";
/// The identity check's time bound when `CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS` is not set.
pub const DEFAULT_CLOUDBASE_TIMEOUT_MS: u64 = 3_000;
/// Longest accepted `CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS`.
pub const MAX_CLOUDBASE_TIMEOUT_MS: u64 = 30_000;
/// The cache lifetime when `CUSTOMAUTH_CLOUDBASE_CACHE_SECONDS` is not set.
pub const DEFAULT_CLOUDBASE_CACHE_SECONDS: u64 = 30;
/// Longest accepted `CUSTOMAUTH_CLOUDBASE_CACHE_SECONDS`.
pub const MAX_CLOUDBASE_CACHE_SECONDS: u64 = 3_600;
/// The cache size when `CUSTOMAUTH_CLOUDBASE_CACHE_ENTRIES` is not set.
pub const DEFAULT_CLOUDBASE_CACHE_ENTRIES: usize = 10_000;
/// Largest accepted `CUSTOMAUTH_CLOUDBASE_CACHE_ENTRIES`.
pub const MAX_CLOUDBASE_CACHE_ENTRIES: usize = 1_000_000;
/// Identity lookups in flight at once, per process.
pub const MAX_CONCURRENT_LOOKUPS: usize = 64;
/// Identity lookups one client address (an IPv6 /64) runs at once; its
/// requests past that get 503 at once, so that one address never holds
/// every slot.
pub const MAX_LOOKUPS_PER_CLIENT: usize = 8;
/// Shortest access token sent to CloudBase; shorter ones are refused.
pub const MIN_TOKEN_CHARS: usize = 16;
/// How long a token CloudBase refused is refused without asking again.
pub const REFUSAL_CACHE_TTL: Duration = Duration::from_secs(10);
/// How many refused tokens are remembered (least recently used out first).
pub const REFUSAL_CACHE_ENTRIES: usize = 10_000;

/// The settings of the two CloudBase modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Settings {
    /// The environment id.
    pub env: String,
    /// `scheme://host[:port]`, no trailing slash.
    pub origin: String,
    pub timeout: Duration,
    pub cache_ttl: Duration,
    pub cache_entries: usize,
}

impl Settings {
    /// `CUSTOMAUTH_CLOUDBASE_ENV` alone, checked (the `cloudbase-context` mode).
    pub(super) fn env_id(env: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
        let id = var(env, VAR_CLOUDBASE_ENV).ok_or(ConfigError::Missing {
            var: VAR_CLOUDBASE_ENV,
            hint: "the CloudBase environment id the callers sign in to, as in the console",
        })?;
        let id = id.trim();
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(ConfigError::Invalid {
                var: VAR_CLOUDBASE_ENV,
                reason: "an environment id is 1 to 64 letters, digits, '-' or '_'".into(),
            });
        }
        Ok(id.to_owned())
    }

    /// Every `CUSTOMAUTH_CLOUDBASE_*` variable, checked (the `cloudbase` mode).
    pub(super) fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env_id = Self::env_id(env)?;
        let origin = match var(env, VAR_CLOUDBASE_ENDPOINT) {
            Some(endpoint) => origin(endpoint.trim())?,
            None => {
                let region = var(env, VAR_CLOUDBASE_REGION).map_or_else(
                    || DEFAULT_CLOUDBASE_REGION.to_owned(),
                    |r| r.trim().to_owned(),
                );
                let ok = !region.is_empty()
                    && region.len() <= 32
                    && region
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !ok {
                    return Err(ConfigError::Invalid {
                        var: VAR_CLOUDBASE_REGION,
                        reason: "a region such as ap-shanghai or ap-guangzhou".into(),
                    });
                }
                format!("https://{env_id}.{region}.tcb-api.tencentcloudapi.com")
            }
        };
        let timeout_ms = number(
            env,
            VAR_CLOUDBASE_TIMEOUT_MS,
            DEFAULT_CLOUDBASE_TIMEOUT_MS,
            1,
            MAX_CLOUDBASE_TIMEOUT_MS,
        )?;
        let cache_seconds = number(
            env,
            VAR_CLOUDBASE_CACHE_SECONDS,
            DEFAULT_CLOUDBASE_CACHE_SECONDS,
            0,
            MAX_CLOUDBASE_CACHE_SECONDS,
        )?;
        let cache_entries = number(
            env,
            VAR_CLOUDBASE_CACHE_ENTRIES,
            DEFAULT_CLOUDBASE_CACHE_ENTRIES as u64,
            1,
            MAX_CLOUDBASE_CACHE_ENTRIES as u64,
        )?;
        Ok(Self {
            env: env_id,
            origin,
            timeout: Duration::from_millis(timeout_ms),
            cache_ttl: Duration::from_secs(cache_seconds),
            cache_entries: usize::try_from(cache_entries).unwrap_or(MAX_CLOUDBASE_CACHE_ENTRIES),
        })
    }
}

/// `endpoint` as `scheme://authority`, when it is an http(s) origin.
fn origin(endpoint: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        var: VAR_CLOUDBASE_ENDPOINT,
        reason: reason.into(),
    };
    // Checked on the text before any parser reads it: with `#` or `@` in
    // it, the host a reader sees and the one a URL parser calls can differ
    // (`http://evil.example#@127.0.0.1`).
    if endpoint.contains('@') {
        return Err(invalid("the origin must not carry a user name or password"));
    }
    if endpoint.contains('#') {
        return Err(invalid("the origin must not carry a fragment (#)"));
    }
    let Origin {
        scheme,
        authority,
        bare,
    } = crate::origin::parse(endpoint).map_err(|e| {
        invalid(match e {
            NotAnOrigin::NotUrl => "not a URL; an origin such as http://127.0.0.1:9100",
            NotAnOrigin::Scheme => "the origin must start with http:// or https://",
            NotAnOrigin::NoHost => "the origin has no host",
        })
    })?;
    if scheme == "http" && !super::https::is_loopback(authority.host()) {
        return Err(invalid(
            "plain http:// would send access tokens in clear text: use https://, or http:// \
             to a loopback IP address only (127.0.0.1, [::1]: the emulator; not a name such as \
             localhost, which the resolver could send elsewhere)",
        ));
    }
    if !bare {
        return Err(invalid(
            "an origin only (scheme, host, port): the paths are CloudBase's",
        ));
    }
    Ok(format!("{scheme}://{authority}"))
}

/// What a token that is a JWT says of itself, unverified: good only for
/// refusing early (expired, another environment) and for shortening a cache
/// entry, never for accepting.
#[cfg(feature = "cloudbase")]
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct UnverifiedClaims {
    /// `exp`, in seconds.
    pub exp: Option<u64>,
    /// `project_id`: the environment, in CloudBase's access tokens.
    pub project_id: Option<String>,
}

#[cfg(feature = "cloudbase")]
impl UnverifiedClaims {
    /// The claims of `token` when it is a JWT with a JSON object payload;
    /// none otherwise.
    pub(super) fn of(token: &str) -> Self {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;

        #[derive(serde::Deserialize)]
        struct Claims {
            exp: Option<serde_json::Value>,
            project_id: Option<serde_json::Value>,
        }
        let mut parts = token.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Self::default();
        };
        if payload.len() > 8 * 1024 {
            return Self::default();
        }
        let Some(claims) = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Claims>(&bytes).ok())
        else {
            return Self::default();
        };
        Self {
            exp: claims.exp.and_then(|e| e.as_u64()),
            project_id: claims
                .project_id
                .and_then(|p| p.as_str().map(str::to_owned)),
        }
    }
}

/// The `exp` claim (seconds) of a token that is a JWT, unverified.
#[cfg(all(test, feature = "cloudbase"))]
pub(super) fn unverified_exp(token: &str) -> Option<u64> {
    UnverifiedClaims::of(token).exp
}
