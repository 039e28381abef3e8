//! The caller-auth mode, from `CUSTOMAUTH_CALLER_AUTH`: the six names, and
//! `none` refused unless `CUSTOMAUTH_ALLOW_INSECURE_NONE=1`.

use std::fmt;
use std::str::FromStr;

use customauth_core::config::ConfigError;
use customauth_core::env::var;

use super::{VAR_ALLOW_INSECURE_NONE, VAR_CALLER_AUTH};

/// How callers authenticate, from `CUSTOMAUTH_CALLER_AUTH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallerAuthMode {
    /// `gateway`: an API Gateway authorizer already verified the caller.
    Gateway,
    /// `jwt`: the function verifies a bearer JWT.
    Jwt,
    /// `api-key`: a backend presents a shared key.
    ApiKey,
    /// `cloudbase`: CloudBase checks the caller's access token.
    CloudBase,
    /// `cloudbase-context`: the CloudBase gateway's `X-Cloudbase-Context`.
    CloudBaseContext,
    /// `none`: no authentication (development only).
    None,
}

impl CallerAuthMode {
    /// The value of `CUSTOMAUTH_CALLER_AUTH` for this mode.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Gateway => "gateway",
            Self::Jwt => "jwt",
            Self::ApiKey => "api-key",
            Self::CloudBase => "cloudbase",
            Self::CloudBaseContext => "cloudbase-context",
            Self::None => "none",
        }
    }

    /// What a caller must send in this mode, for 401 messages: the header
    /// (or, in gateway mode, the authorizer) a request without an acceptable
    /// caller was expected to carry.
    pub const fn expected_credentials(self) -> &'static str {
        match self {
            Self::Gateway => {
                "the identity of an API Gateway authorizer (JWT, Cognito or Lambda) on this route"
            }
            Self::Jwt => "Authorization: Bearer <JWT from your identity provider>",
            Self::ApiKey => "X-Api-Key: <API key> or Authorization: Bearer <API key>",
            Self::CloudBase => {
                "Authorization: Bearer <CloudBase access token> or X-Cloudbase-Credentials"
            }
            Self::CloudBaseContext => "the CloudBase gateway's X-Cloudbase-Context header",
            Self::None => "nothing",
        }
    }

    /// Reads `CUSTOMAUTH_CALLER_AUTH` through `env`. When the mode is `none`
    /// and `CUSTOMAUTH_ALLOW_INSECURE_NONE=1`, logs a warning.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] when unset or blank (there is no default);
    /// [`ConfigError::Invalid`] for a value other than the six modes;
    /// [`ConfigError::Conflict`] for `none` without
    /// `CUSTOMAUTH_ALLOW_INSECURE_NONE=1`.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let raw = var(env, VAR_CALLER_AUTH).ok_or(ConfigError::Missing {
            var: VAR_CALLER_AUTH,
            hint: "set it to gateway, jwt, api-key, cloudbase, cloudbase-context or none (there is no default)",
        })?;
        let mode: Self = raw.parse()?;
        if mode == Self::None {
            let allowed = var(env, VAR_ALLOW_INSECURE_NONE).is_some_and(|v| v.trim() == "1");
            if !allowed {
                return Err(ConfigError::Conflict(format!(
                    "{VAR_CALLER_AUTH}=none accepts every caller without authentication; it is \
                     refused unless {VAR_ALLOW_INSECURE_NONE}=1 is also set (development only)"
                )));
            }
            tracing::warn!(
                caller_auth = "none",
                "INSECURE: {VAR_CALLER_AUTH}=none and {VAR_ALLOW_INSECURE_NONE}=1: every caller \
                 is accepted without authentication; never deploy this"
            );
        }
        Ok(mode)
    }
}

impl fmt::Display for CallerAuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CallerAuthMode {
    type Err = ConfigError;

    /// Parses `gateway`, `jwt`, `api-key`, `cloudbase`, `cloudbase-context` or `none` (ASCII case and
    /// surrounding whitespace ignored). Does not check
    /// `CUSTOMAUTH_ALLOW_INSECURE_NONE`; [`CallerAuthMode::from_env`] does.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `CUSTOMAUTH_CALLER_AUTH` for any
    /// other value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        [
            Self::Gateway,
            Self::Jwt,
            Self::ApiKey,
            Self::CloudBase,
            Self::CloudBaseContext,
            Self::None,
        ]
        .into_iter()
        .find(|mode| mode.as_str().eq_ignore_ascii_case(s))
        .ok_or_else(|| ConfigError::Invalid {
            var: VAR_CALLER_AUTH,
            reason: format!(
                "{:?} is not one of gateway, jwt, api-key, cloudbase, cloudbase-context, none",
                s.chars().take(32).collect::<String>()
            ),
        })
    }
}
