//! jwt mode: the function verifies `Authorization: Bearer <jwt>` itself.
//!
//! The algorithm is fixed by the configured key, never taken from the token;
//! `exp` is required and at most [`JWT_MAX_LIFETIME_SECS`] ahead, `nbf` is
//! checked, both with [`JWT_LEEWAY_SECS`] of leeway; `iss` and `aud` are
//! required and checked when configured, and an `iss` that is not a JSON
//! string is refused; duplicate claims and `crit` header extensions are
//! refused. Without an issuer or an audience to check, a token minted for
//! any other service with the same key would be accepted: that refuses to
//! start unless `CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE=1`. The keys are read in
//! `keys`; keys at a URL (`CUSTOMAUTH_JWT_JWKS_URL`, or the OpenID discovery
//! of `CUSTOMAUTH_JWT_OIDC_ISSUER`) are fetched and kept fresh by `remote`;
//! one token is checked against one key in `check`.

mod check;
mod keys;
#[cfg(feature = "jwks-url")]
mod remote;

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use zeroize::Zeroizing;

use self::check::{validation, verify_key};
use self::keys::{jwks_keys, pem_public_key};
use super::caller::{AuthError, VerifiedUser};
use crate::config::ConfigError;
use crate::env::var;

/// jwt mode: an HS256 secret, used as raw bytes exactly as given.
pub const VAR_JWT_SECRET: &str = "CUSTOMAUTH_JWT_SECRET";
/// jwt mode: a PEM public key (RSA → RS256, EC P-256 → ES256).
pub const VAR_JWT_PUBLIC_KEY: &str = "CUSTOMAUTH_JWT_PUBLIC_KEY";
/// jwt mode: a JWKS document (`{"keys": [...]}`).
pub const VAR_JWT_JWKS: &str = "CUSTOMAUTH_JWT_JWKS";
/// jwt mode: accepted `iss` values, comma-separated; when set, tokens must
/// carry one of them (as a JSON string).
pub const VAR_JWT_ISSUER: &str = "CUSTOMAUTH_JWT_ISSUER";
/// jwt mode: accepted `aud` values, comma-separated; when set, tokens must
/// carry one of them.
pub const VAR_JWT_AUDIENCE: &str = "CUSTOMAUTH_JWT_AUDIENCE";
/// jwt mode: `1` to start with neither `CUSTOMAUTH_JWT_ISSUER` nor
/// `CUSTOMAUTH_JWT_AUDIENCE`, accepting a token minted for any audience
/// (logged as a warning at start).
pub const VAR_JWT_ALLOW_ANY_AUDIENCE: &str = "CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE";

/// jwt mode: the URL of the identity provider's JWKS (`https://`, or
/// `http://` to a loopback address), fetched and kept fresh.
pub const VAR_JWT_JWKS_URL: &str = "CUSTOMAUTH_JWT_JWKS_URL";
/// jwt mode: the identity provider's issuer (OpenID discovery): its
/// `/.well-known/openid-configuration` gives the JWKS URL, and tokens must
/// carry it as `iss`.
pub const VAR_JWT_OIDC_ISSUER: &str = "CUSTOMAUTH_JWT_OIDC_ISSUER";
/// jwt mode, keys at a URL: least time between two fetches made because a
/// token's `kid` is unknown, in seconds (default 30).
pub const VAR_JWT_JWKS_MIN_REFRESH_SECONDS: &str = "CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS";
/// jwt mode, keys at a URL: shortest time keys are kept, in seconds (default
/// 300); also the lifetime of an answer without `Cache-Control: max-age`.
pub const VAR_JWT_JWKS_CACHE_MIN_SECONDS: &str = "CUSTOMAUTH_JWT_JWKS_CACHE_MIN_SECONDS";
/// jwt mode, keys at a URL: longest time keys are kept, in seconds (default
/// 86400).
pub const VAR_JWT_JWKS_CACHE_MAX_SECONDS: &str = "CUSTOMAUTH_JWT_JWKS_CACHE_MAX_SECONDS";
/// jwt mode, keys at a URL: how long past their lifetime the last good keys
/// serve while the provider cannot be reached, in seconds (default 86400).
pub const VAR_JWT_JWKS_STALE_SECONDS: &str = "CUSTOMAUTH_JWT_JWKS_STALE_SECONDS";
/// jwt mode, keys at a URL: bound on one fetch, in milliseconds (default
/// 5000).
pub const VAR_JWT_JWKS_TIMEOUT_MS: &str = "CUSTOMAUTH_JWT_JWKS_TIMEOUT_MS";
/// Default of `CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS`.
pub const DEFAULT_JWKS_MIN_REFRESH_SECONDS: u64 = 30;
/// Default of `CUSTOMAUTH_JWT_JWKS_CACHE_MIN_SECONDS`.
pub const DEFAULT_JWKS_CACHE_MIN_SECONDS: u64 = 300;
/// Default of `CUSTOMAUTH_JWT_JWKS_CACHE_MAX_SECONDS`.
pub const DEFAULT_JWKS_CACHE_MAX_SECONDS: u64 = 24 * 3600;
/// Default of `CUSTOMAUTH_JWT_JWKS_STALE_SECONDS`.
pub const DEFAULT_JWKS_STALE_SECONDS: u64 = 24 * 3600;
/// Default of `CUSTOMAUTH_JWT_JWKS_TIMEOUT_MS`.
pub const DEFAULT_JWKS_TIMEOUT_MS: u64 = 5_000;

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const JWT_LEEWAY_SECS: u64 = 30;
/// Longest a bearer token may still be valid for: 24 hours. An `exp`
/// further ahead is refused, which also catches an `exp` written in
/// milliseconds (a token that would never expire).
pub const JWT_MAX_LIFETIME_SECS: u64 = 24 * 3600;
/// Shortest HS256 secret accepted, in bytes.
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// The configured keys and the checks each applies.
pub(super) struct JwtVerifier {
    keys: Vec<JwtKey>,
    /// Keys come from a JWKS and are chosen by the token's `kid`.
    by_kid: bool,
    /// Keys fetched from the identity provider (then `keys` is empty).
    #[cfg(feature = "jwks-url")]
    remote: Option<remote::RemoteKeys>,
}

/// One verification key; `Debug` shows its `kid` and algorithm only.
pub(super) struct JwtKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// Reads the key source, issuer and audience of jwt mode.
    pub(super) fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secret = var(env, VAR_JWT_SECRET).map(Zeroizing::new);
        let pem = var(env, VAR_JWT_PUBLIC_KEY);
        let jwks = var(env, VAR_JWT_JWKS);
        let jwks_url = var(env, VAR_JWT_JWKS_URL);
        let oidc_issuer = var(env, VAR_JWT_OIDC_ISSUER);
        let set: Vec<&str> = [
            (VAR_JWT_SECRET, secret.is_some()),
            (VAR_JWT_PUBLIC_KEY, pem.is_some()),
            (VAR_JWT_JWKS, jwks.is_some()),
            (VAR_JWT_JWKS_URL, jwks_url.is_some()),
            (VAR_JWT_OIDC_ISSUER, oidc_issuer.is_some()),
        ]
        .into_iter()
        .filter_map(|(var, is_set)| is_set.then_some(var))
        .collect();
        if set.len() > 1 {
            // The mode variable is spelled out, as in the hint below: taking
            // it from the parent module would make the two import each other.
            return Err(ConfigError::Conflict(format!(
                "CUSTOMAUTH_CALLER_AUTH=jwt takes exactly one key source, but {} are set",
                set.join(" and ")
            )));
        }

        let issuer = match (var(env, VAR_JWT_ISSUER), &oidc_issuer) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Conflict(format!(
                    "{VAR_JWT_OIDC_ISSUER} is the issuer tokens must carry; do not also set \
                     {VAR_JWT_ISSUER}"
                )));
            }
            (Some(list), None) => Some(parse_list(VAR_JWT_ISSUER, "issuer", &list)?),
            (None, Some(oidc)) => Some(vec![oidc.trim().to_owned()]),
            (None, None) => None,
        };
        let audience = match var(env, VAR_JWT_AUDIENCE) {
            Some(list) => Some(parse_list(VAR_JWT_AUDIENCE, "audience", &list)?),
            None => None,
        };
        let validation = |alg| validation(alg, issuer.as_deref(), audience.as_deref());
        #[cfg(feature = "jwks-url")]
        let mut remote = None;

        let (keys, by_kid) = if let Some(secret) = secret {
            if secret.len() < MIN_HS256_SECRET_BYTES {
                return Err(ConfigError::Invalid {
                    var: VAR_JWT_SECRET,
                    reason: format!(
                        "an HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes long"
                    ),
                });
            }
            let key = JwtKey {
                kid: None,
                alg: Algorithm::HS256,
                key: DecodingKey::from_secret(secret.as_bytes()),
                validation: validation(Algorithm::HS256),
            };
            (vec![key], false)
        } else if let Some(pem) = pem {
            let (alg, key) = pem_public_key(&pem).map_err(|reason| ConfigError::Invalid {
                var: VAR_JWT_PUBLIC_KEY,
                reason,
            })?;
            let key = JwtKey {
                kid: None,
                alg,
                key,
                validation: validation(alg),
            };
            (vec![key], false)
        } else if let Some(jwks) = jwks {
            let keys = jwks_keys(&jwks).map_err(|reason| ConfigError::Invalid {
                var: VAR_JWT_JWKS,
                reason,
            })?;
            let keys = keys
                .into_iter()
                .map(|(kid, alg, key)| JwtKey {
                    kid,
                    alg,
                    key,
                    validation: validation(alg),
                })
                .collect();
            (keys, true)
        } else if jwks_url.is_some() || oidc_issuer.is_some() {
            let var = if jwks_url.is_some() {
                VAR_JWT_JWKS_URL
            } else {
                VAR_JWT_OIDC_ISSUER
            };
            #[cfg(feature = "jwks-url")]
            {
                let location = match (&jwks_url, &oidc_issuer) {
                    (Some(url), _) => remote::Location::Jwks(remote::checked_url(var, url)?),
                    (None, Some(issuer)) => remote::issuer_location(var, issuer)?,
                    (None, None) => unreachable!("one of the two is set"),
                };
                let settings = remote::FetchSettings::from_env(env, location)?;
                let (issuer, audience) = (issuer.clone(), audience.clone());
                let make = Box::new(move |alg| {
                    self::validation(alg, issuer.as_deref(), audience.as_deref())
                });
                remote = Some(remote::RemoteKeys::new(settings, make, var)?);
            }
            #[cfg(not(feature = "jwks-url"))]
            return Err(ConfigError::Invalid {
                var,
                reason: "this build cannot fetch keys (the `jwks-url` feature of customauth): \
                         use a build with it, or CUSTOMAUTH_JWT_JWKS"
                    .into(),
            });
            #[cfg(feature = "jwks-url")]
            (Vec::new(), true)
        } else {
            return Err(ConfigError::Missing {
                var: VAR_JWT_SECRET,
                hint: "CUSTOMAUTH_CALLER_AUTH=jwt needs one of CUSTOMAUTH_JWT_SECRET (HS256 \
                       secret), CUSTOMAUTH_JWT_PUBLIC_KEY (PEM public key), \
                       CUSTOMAUTH_JWT_JWKS (JWKS document), CUSTOMAUTH_JWT_JWKS_URL (its URL) \
                       or CUSTOMAUTH_JWT_OIDC_ISSUER (OpenID discovery)",
            });
        };
        if issuer.is_none() && audience.is_none() {
            let allowed = var(env, VAR_JWT_ALLOW_ANY_AUDIENCE).is_some_and(|v| v.trim() == "1");
            if !allowed {
                return Err(ConfigError::Missing {
                    var: VAR_JWT_AUDIENCE,
                    hint: "CUSTOMAUTH_CALLER_AUTH=jwt with neither CUSTOMAUTH_JWT_AUDIENCE nor \
                           CUSTOMAUTH_JWT_ISSUER accepts a token minted with the same key for \
                           any other service; set the accepted audiences (and issuers), or \
                           CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE=1 to accept that",
                });
            }
            tracing::warn!(
                caller_auth = "jwt",
                "{VAR_JWT_ALLOW_ANY_AUDIENCE}=1 and neither {VAR_JWT_AUDIENCE} nor \
                 {VAR_JWT_ISSUER} is set: a token minted with the same key for any service \
                 is accepted"
            );
        }
        Ok(Self {
            keys,
            by_kid,
            #[cfg(feature = "jwks-url")]
            remote,
        })
    }

    /// Whether the keys are fetched, so that a check may wait for the
    /// network ([`JwtVerifier::verify_fetching`]).
    pub(super) fn fetches_keys(&self) -> bool {
        #[cfg(feature = "jwks-url")]
        if self.remote.is_some() {
            return true;
        }
        false
    }

    /// The key for a token whose header says `kid`.
    fn select<'k>(
        keys: &'k [JwtKey],
        by_kid: bool,
        kid: Option<&str>,
    ) -> Result<&'k JwtKey, AuthError> {
        let only = match keys {
            [only] => Some(only),
            _ => None,
        };
        if !by_kid {
            return only.ok_or(AuthError::Invalid("no key configured"));
        }
        match kid {
            Some(kid) => keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                // A set of one key without a kid: the signature decides.
                .or(only.filter(|k| k.kid.is_none()))
                .ok_or(AuthError::Invalid("the token's kid is not in the key set")),
            None => only.ok_or(AuthError::Invalid(
                "the token has no kid and the key set has several keys",
            )),
        }
    }

    /// Verifies `token` and reads the user from its claims. With keys at a
    /// URL, only the keys held now are used (an unknown `kid` starts a
    /// refetch in the background).
    pub(super) fn verify(
        &self,
        token: &str,
        user_id_claim: &str,
    ) -> Result<VerifiedUser, AuthError> {
        let header = header(token)?;
        #[cfg(feature = "jwks-url")]
        if let Some(remote) = &self.remote {
            let held = remote.keys_now(header.kid.as_deref()).ok_or(NO_KEYS)?;
            return verify_with(held.keys(), true, &header, token, user_id_claim);
        }
        verify_with(&self.keys, self.by_kid, &header, token, user_id_claim)
    }

    /// [`JwtVerifier::verify`], which with keys at a URL may first wait for
    /// a fetch: while there are no keys, or (at most once per the minimum
    /// refresh interval) when the token's `kid` is unknown.
    pub(super) async fn verify_fetching(
        &self,
        token: &str,
        user_id_claim: &str,
    ) -> Result<VerifiedUser, AuthError> {
        #[cfg(feature = "jwks-url")]
        if let Some(remote) = &self.remote {
            let header = header(token)?;
            let kid = header.kid.as_deref();
            let had_keys = match remote.held() {
                // The common case, as cheap as a static JWKS: the keys held
                // name the token's kid (or it has none); no fetch, no wait.
                Some(held) => {
                    let selected = Self::select(held.keys(), true, kid);
                    match selected {
                        Ok(key) if kid.is_none() || key.kid.as_deref() == kid => {
                            return verify_key(key, &header, token, user_id_claim);
                        }
                        Err(refused) if kid.is_none() => return Err(refused),
                        _ => true,
                    }
                }
                None => false,
            };
            let held = remote.refetch(had_keys).await.ok_or(NO_KEYS)?;
            return verify_with(held.keys(), true, &header, token, user_id_claim);
        }
        self.verify(token, user_id_claim)
    }
}

/// The answer while the identity provider's keys cannot be had.
#[cfg(feature = "jwks-url")]
const NO_KEYS: AuthError =
    AuthError::Unavailable("the identity provider's signing keys are not available yet");

fn header(token: &str) -> Result<jsonwebtoken::Header, AuthError> {
    jsonwebtoken::decode_header(token)
        .map_err(|_| AuthError::Invalid("malformed token or unsupported algorithm"))
}

/// Verifies `token` (whose header is `header`) with one of `keys`.
fn verify_with(
    keys: &[JwtKey],
    by_kid: bool,
    header: &jsonwebtoken::Header,
    token: &str,
    user_id_claim: &str,
) -> Result<VerifiedUser, AuthError> {
    let key = JwtVerifier::select(keys, by_kid, header.kid.as_deref())?;
    verify_key(key, header, token, user_id_claim)
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(feature = "jwks-url")]
        if let Some(remote) = &self.remote {
            return fmt::Debug::fmt(remote, f);
        }
        fmt::Debug::fmt(&self.keys, f)
    }
}

/// A comma-separated list of accepted values (issuers or audiences).
fn parse_list(var: &'static str, what: &str, list: &str) -> Result<Vec<String>, ConfigError> {
    let values: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    if values.is_empty() {
        return Err(ConfigError::Invalid {
            var,
            reason: format!("no {what} in the list"),
        });
    }
    Ok(values)
}
