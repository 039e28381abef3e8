//! Where the keys come from and how they are fetched and kept, read and
//! checked at start: `CUSTOMAUTH_JWT_JWKS_URL` or
//! `CUSTOMAUTH_JWT_OIDC_ISSUER`, and the cache and fetch bounds.

use std::time::Duration;

use lambda_http::http::Uri;

use crate::config::{ConfigError, number};
use crate::identity::https::is_loopback;

/// Where the keys come from, checked at start.
#[derive(Debug, Clone)]
pub(in crate::identity::jwt) enum Location {
    /// `CUSTOMAUTH_JWT_JWKS_URL`.
    Jwks(Uri),
    /// `CUSTOMAUTH_JWT_OIDC_ISSUER`: the issuer as configured, and its
    /// discovery document's URL.
    Issuer { issuer: String, discovery: Uri },
}

/// The fetch and cache settings.
#[derive(Debug, Clone)]
pub(in crate::identity::jwt) struct FetchSettings {
    pub location: Location,
    pub min_refresh: Duration,
    pub cache_min: Duration,
    pub cache_max: Duration,
    pub stale: Duration,
    pub timeout: Duration,
}

impl FetchSettings {
    /// The fetch and cache variables, checked, for keys at `location`.
    pub(in crate::identity::jwt) fn from_env(
        env: &impl Fn(&str) -> Option<String>,
        location: Location,
    ) -> Result<Self, ConfigError> {
        use crate::identity::jwt::{
            DEFAULT_JWKS_CACHE_MAX_SECONDS, DEFAULT_JWKS_CACHE_MIN_SECONDS,
            DEFAULT_JWKS_MIN_REFRESH_SECONDS, DEFAULT_JWKS_STALE_SECONDS, DEFAULT_JWKS_TIMEOUT_MS,
            VAR_JWT_JWKS_CACHE_MAX_SECONDS, VAR_JWT_JWKS_CACHE_MIN_SECONDS,
            VAR_JWT_JWKS_MIN_REFRESH_SECONDS, VAR_JWT_JWKS_STALE_SECONDS, VAR_JWT_JWKS_TIMEOUT_MS,
        };
        const WEEK: u64 = 7 * 24 * 3600;
        let min_refresh = number(
            env,
            VAR_JWT_JWKS_MIN_REFRESH_SECONDS,
            DEFAULT_JWKS_MIN_REFRESH_SECONDS,
            1,
            3600,
        )?;
        let cache_min = number(
            env,
            VAR_JWT_JWKS_CACHE_MIN_SECONDS,
            DEFAULT_JWKS_CACHE_MIN_SECONDS,
            1,
            WEEK,
        )?;
        let cache_max = number(
            env,
            VAR_JWT_JWKS_CACHE_MAX_SECONDS,
            DEFAULT_JWKS_CACHE_MAX_SECONDS,
            1,
            WEEK,
        )?;
        if cache_min > cache_max {
            return Err(ConfigError::Conflict(format!(
                "{VAR_JWT_JWKS_CACHE_MIN_SECONDS} ({cache_min}) is above \
                 {VAR_JWT_JWKS_CACHE_MAX_SECONDS} ({cache_max})"
            )));
        }
        let stale = number(
            env,
            VAR_JWT_JWKS_STALE_SECONDS,
            DEFAULT_JWKS_STALE_SECONDS,
            0,
            WEEK,
        )?;
        let timeout = number(
            env,
            VAR_JWT_JWKS_TIMEOUT_MS,
            DEFAULT_JWKS_TIMEOUT_MS,
            100,
            30_000,
        )?;
        Ok(Self {
            location,
            min_refresh: Duration::from_secs(min_refresh),
            cache_min: Duration::from_secs(cache_min),
            cache_max: Duration::from_secs(cache_max),
            stale: Duration::from_secs(stale),
            timeout: Duration::from_millis(timeout),
        })
    }
}

/// The location of `CUSTOMAUTH_JWT_OIDC_ISSUER`'s discovery document:
/// the issuer without a trailing `/`, then
/// `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0, 4).
pub(in crate::identity::jwt) fn issuer_location(
    var: &'static str,
    issuer: &str,
) -> Result<Location, ConfigError> {
    let issuer = issuer.trim();
    let checked = checked_url(var, issuer)?;
    if checked.query().is_some() {
        return Err(ConfigError::Invalid {
            var,
            reason: "an issuer URL has no query".into(),
        });
    }
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let discovery = checked_url(var, &discovery)?;
    Ok(Location::Issuer {
        issuer: issuer.to_owned(),
        discovery,
    })
}

/// `url` when it may be fetched: `https://`, or `http://` to a loopback IP
/// address; no user name or password.
pub(in crate::identity::jwt) fn checked_url(
    var: &'static str,
    url: &str,
) -> Result<Uri, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        var,
        reason: reason.into(),
    };
    let uri: Uri = url
        .trim()
        .parse()
        .map_err(|_| invalid("not a URL; https://... expected"))?;
    let authority = uri
        .authority()
        .ok_or_else(|| invalid("not a URL with a host; https://... expected"))?;
    if authority.as_str().contains('@') {
        return Err(invalid("the URL must not carry a user name or password"));
    }
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback(authority.host()) => Ok(uri),
        Some("http") => Err(invalid(
            "plain http:// is accepted for loopback addresses only (127.0.0.1, [::1]): keys \
             fetched without TLS could be replaced on the way; use https://",
        )),
        _ => Err(invalid("the URL must start with https://")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_for_loopback_ip_addresses_only() {
        for ok in [
            "https://idp.example.com/jwks",
            "http://127.0.0.1:8080/jwks",
            "http://[::1]:9/k",
        ] {
            assert!(checked_url("V", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example.com/jwks",
            "http://localhost/jwks",
            "http://10.0.0.1/jwks",
            "ftp://127.0.0.1/x",
            "https://user:pw@idp.example.com/jwks",
            "/jwks",
        ] {
            assert!(checked_url("V", bad).is_err(), "{bad}");
        }
    }
}
