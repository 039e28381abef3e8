//! The caller, verified.
//!
//! [`CallerAuth`] is built once at cold start from the environment
//! ([`CallerAuth::from_env`]) and then answers, per request, who is calling
//! ([`CallerAuth::authenticate`] on a request with any body, or
//! [`CallerAuth::authenticate_parts`] on its headers and extensions, as a
//! tower layer has them). It fails closed: a request either carries
//! an identity that checks out, or it gets an [`AuthError`] (HTTP 401).
//!
//! `CUSTOMAUTH_CALLER_AUTH` picks the mode ([`CallerAuthMode`]):
//!
//! - `gateway`: the identity an API Gateway authorizer already checked. The
//!   claim named by `CUSTOMAUTH_USER_ID_CLAIM` (default `sub`) is read from
//!   the HTTP API JWT authorizer's claims, the HTTP API Lambda authorizer's
//!   context, the REST API Cognito authorizer's claims, or the REST API Lambda
//!   authorizer's context (where `principalId` is one more key). Requests
//!   without an authorizer identity (no authorizer, IAM authorization, ALB,
//!   HTTP mode) are [`AuthError::Missing`].
//! - `jwt`: the function verifies `Authorization: Bearer <jwt>` itself, with
//!   one key (`CUSTOMAUTH_JWT_SECRET`, HS256; `CUSTOMAUTH_JWT_PUBLIC_KEY`,
//!   RS256 or ES256) or a key set (`CUSTOMAUTH_JWT_JWKS`). The algorithm is
//!   fixed by the key, never taken from the token; `exp` is required, `nbf`
//!   checked, with 30 s of leeway; `iss` and `aud` are required and checked
//!   when `CUSTOMAUTH_JWT_ISSUER` / `CUSTOMAUTH_JWT_AUDIENCE` (comma-separated
//!   lists) are set, and `iss` must be a JSON string. One of the two must be
//!   set unless `CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE=1`.
//! - `api-key`: a trusted backend presents one of `CUSTOMAUTH_API_KEYS` as
//!   `X-Api-Key: <key>` or `Authorization: Bearer <key>`; the caller is
//!   [`Caller::Backend`] and the request body names the customUserId.
//! - `cloudbase`: the caller presents its CloudBase login (`Authorization:
//!   Bearer ACCESS_TOKEN` or `X-Cloudbase-Credentials`) and CloudBase says
//!   who it is, over the network, with a cache in front: see [`cloudbase`].
//!   Check with [`CallerAuth::authenticate_with_lookup`] (async); the synchronous checks answer
//!   [`AuthError::Unavailable`] in this mode.
//! - `cloudbase-context`: a CloudBase HTTP function reachable only through
//!   the CloudBase gateway reads the caller from the gateway's
//!   `X-Cloudbase-Context` header, with no network call: see [`cloudbase_context`].
//! - `none`: everyone is [`Caller::Anonymous`]. Refused unless
//!   `CUSTOMAUTH_ALLOW_INSECURE_NONE=1`, and logged as a warning.
//!
//! In `gateway` and `jwt` modes the identity claim must be a string that
//! satisfies the SDK's customUserId rule ([`CustomUserId`](customauth_core::CustomUserId)).
//!
//! Tokens, API keys and secrets are never logged and never appear in an
//! error: [`AuthError`] carries static reasons only.
//!
//! In any lambda_http handler (or an axum one, with `lambda_http::Request`):
//!
//! ```no_run
//! use customauth::client_ip::{TrustedProxies, client_ip};
//! use customauth::identity::{Caller, CallerAuth};
//!
//! # fn main() -> Result<(), customauth::ConfigError> {
//! // Once, at cold start:
//! let env = |k: &str| std::env::var(k).ok();
//! let auth = CallerAuth::from_env(&env)?;
//! let proxies = TrustedProxies::from_env(&env)?;
//!
//! // Per request:
//! # let req = lambda_http::Request::default();
//! match auth.authenticate(&req) {
//!     Ok(Caller::User(user)) => println!("{} from {:?}", user.user_id, client_ip(&req, &proxies)),
//!     _ => { /* answer 401 */ }
//! }
//! # Ok(())
//! # }
//! ```

// `caller` (the types every mode returns, and the claims view) is a leaf;
// `headers`, `gateway`, `api_key` and `jwt` use it and nothing else of this
// folder; this module uses them all and re-exports their public items.
// `https` (the plain-http rule and the HTTPS client) is a leaf shared by
// `cloudbase` and `jwt`'s keys at a URL.
mod api_key;
mod caller;
pub mod cloudbase;
pub mod cloudbase_context;
mod gateway;
mod headers;
mod https;
mod jwt;
mod mode;
#[cfg(test)]
mod tests;

use std::fmt;

use customauth_core::config::ConfigError;
use customauth_core::env::Setting;
use customauth_core::env::var;
use lambda_http::http::{Extensions, HeaderMap, Request};

use self::api_key::ApiKeys;
use self::cloudbase::Settings as CloudBaseSettings;
use self::cloudbase_context::ContextReader;
use self::gateway::gateway_user;
use self::headers::{bearer, presented_api_key};
use self::jwt::JwtVerifier;

pub use self::api_key::{
    API_KEY_SETTINGS, MIN_API_KEY_BITS, MIN_API_KEY_CHARS, MIN_API_KEY_DISTINCT_CHARS,
    VAR_API_KEYS, VAR_API_KEYS_SECRET_ID,
};
pub use self::caller::{AuthError, Caller, UserInfo, VerifiedUser};
pub use self::headers::MAX_CREDENTIAL_BYTES;
pub use self::jwt::{
    DEFAULT_JWKS_CACHE_MAX_SECONDS, DEFAULT_JWKS_CACHE_MIN_SECONDS,
    DEFAULT_JWKS_MIN_REFRESH_SECONDS, DEFAULT_JWKS_STALE_SECONDS, DEFAULT_JWKS_TIMEOUT_MS,
    VAR_JWT_JWKS_CACHE_MAX_SECONDS, VAR_JWT_JWKS_CACHE_MIN_SECONDS,
    VAR_JWT_JWKS_MIN_REFRESH_SECONDS, VAR_JWT_JWKS_STALE_SECONDS, VAR_JWT_JWKS_TIMEOUT_MS,
    VAR_JWT_JWKS_URL, VAR_JWT_OIDC_ISSUER,
};
pub use self::jwt::{
    JWT_LEEWAY_SECS, JWT_MAX_LIFETIME_SECS, MIN_HS256_SECRET_BYTES, VAR_JWT_ALLOW_ANY_AUDIENCE,
    VAR_JWT_AUDIENCE, VAR_JWT_ISSUER, VAR_JWT_JWKS, VAR_JWT_PUBLIC_KEY, VAR_JWT_SECRET,
};
pub use self::mode::CallerAuthMode;

/// Selects the mode: `gateway`, `jwt`, `api-key`, `cloudbase`,
/// `cloudbase-context` or `none`. Required.
pub const VAR_CALLER_AUTH: &str = "CUSTOMAUTH_CALLER_AUTH";
/// Must be `1` for `CUSTOMAUTH_CALLER_AUTH=none` to be accepted.
pub const VAR_ALLOW_INSECURE_NONE: &str = "CUSTOMAUTH_ALLOW_INSECURE_NONE";
/// The claim that carries the customUserId. Defaults to `sub`.
pub const VAR_USER_ID_CLAIM: &str = "CUSTOMAUTH_USER_ID_CLAIM";

/// The claim read when `CUSTOMAUTH_USER_ID_CLAIM` is not set.
pub const DEFAULT_USER_ID_CLAIM: &str = "sub";

/// The caller-auth variables, jwt mode's among them (declared here, beside
/// their re-export), for `--help` and the configuration table.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        VAR_CALLER_AUTH,
        "gateway, jwt, api-key, none; get-user-info also cloudbase, cloudbase-context (required)",
    ),
    Setting::new(
        VAR_ALLOW_INSECURE_NONE,
        "1 to allow none (development only)",
    ),
    Setting::with_default(VAR_USER_ID_CLAIM, "claim carrying the customUserId", "sub"),
    Setting::new(VAR_JWT_SECRET, "jwt mode: HS256 secret (32 bytes or more)"),
    Setting::new(
        VAR_JWT_PUBLIC_KEY,
        "jwt mode: PEM public key (RS256 or ES256)",
    ),
    Setting::new(VAR_JWT_JWKS, "jwt mode: JWKS document"),
    Setting::new(
        VAR_JWT_JWKS_URL,
        "jwt mode: JWKS URL (https://), fetched and kept fresh",
    ),
    Setting::new(
        VAR_JWT_OIDC_ISSUER,
        "jwt mode: issuer URL (OpenID discovery); tokens must carry it as iss",
    ),
    Setting::with_default(
        VAR_JWT_JWKS_MIN_REFRESH_SECONDS,
        "jwt mode, keys at a URL: least time between refetches for an unknown kid",
        "30",
    ),
    Setting::with_default(
        VAR_JWT_JWKS_CACHE_MIN_SECONDS,
        "jwt mode, keys at a URL: shortest key lifetime, and without max-age",
        "300",
    ),
    Setting::with_default(
        VAR_JWT_JWKS_CACHE_MAX_SECONDS,
        "jwt mode, keys at a URL: longest key lifetime",
        "86400",
    ),
    Setting::with_default(
        VAR_JWT_JWKS_STALE_SECONDS,
        "jwt mode, keys at a URL: last good keys serve this long while fetches fail",
        "86400",
    ),
    Setting::with_default(
        VAR_JWT_JWKS_TIMEOUT_MS,
        "jwt mode, keys at a URL: bound on one fetch",
        "5000",
    ),
    Setting::new(
        VAR_JWT_ISSUER,
        "jwt mode: accepted issuers (comma-separated)",
    ),
    Setting::new(
        VAR_JWT_AUDIENCE,
        "jwt mode: accepted audiences (comma-separated)",
    ),
    Setting::new(
        VAR_JWT_ALLOW_ANY_AUDIENCE,
        "jwt mode: 1 to start with neither issuer nor audience",
    ),
];

/// Caller authentication, configured once at cold start.
///
/// `Debug` shows the mode, the claim and the key algorithms, never a secret.
pub struct CallerAuth {
    mode: CallerAuthMode,
    user_id_claim: String,
    verifier: Verifier,
}

enum Verifier {
    Gateway,
    Jwt(JwtVerifier),
    ApiKeys(ApiKeys),
    #[cfg(feature = "cloudbase")]
    CloudBase(Box<cloudbase::CloudBase>),
    Context(ContextReader),
    None,
}

impl CallerAuth {
    /// Reads the caller-auth settings through `env` and prepares the keys.
    ///
    /// Reads `CUSTOMAUTH_CALLER_AUTH`, `CUSTOMAUTH_USER_ID_CLAIM`, and the
    /// variables of the chosen mode only: variables of another mode being
    /// set is not an error.
    ///
    /// # Errors
    /// Those of [`CallerAuthMode::from_env`], and:
    /// - jwt mode: [`ConfigError::Missing`] when none of
    ///   `CUSTOMAUTH_JWT_SECRET`, `CUSTOMAUTH_JWT_PUBLIC_KEY`,
    ///   `CUSTOMAUTH_JWT_JWKS` is set, or (naming `CUSTOMAUTH_JWT_AUDIENCE`)
    ///   when neither an audience nor an issuer is and
    ///   `CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE` is not `1`;
    ///   [`ConfigError::Conflict`] when more
    ///   than one is, [`ConfigError::Invalid`] for a secret under 32 bytes, a
    ///   PEM that is not an RSA (≥ 2048-bit) or EC P-256 public key, or a
    ///   JWKS without a usable signing key;
    /// - api-key mode: [`ConfigError::Missing`] without
    ///   `CUSTOMAUTH_API_KEYS`, [`ConfigError::Invalid`] for an empty entry,
    ///   a key shorter than 16 characters, or a weak one (fewer than 8
    ///   different characters, or under 64 bits estimated as length ×
    ///   log2(different characters)); the message gives the entry's
    ///   position, never the key.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mode = CallerAuthMode::from_env(env)?;
        let user_id_claim = var(env, VAR_USER_ID_CLAIM)
            .map_or_else(|| DEFAULT_USER_ID_CLAIM.to_owned(), |c| c.trim().to_owned());
        let verifier = match mode {
            CallerAuthMode::Gateway => Verifier::Gateway,
            CallerAuthMode::Jwt => Verifier::Jwt(JwtVerifier::from_env(env)?),
            CallerAuthMode::ApiKey => Verifier::ApiKeys(ApiKeys::from_env(env)?),
            #[cfg(feature = "cloudbase")]
            CallerAuthMode::CloudBase => Verifier::CloudBase(Box::new(cloudbase::CloudBase::new(
                CloudBaseSettings::from_env(env)?,
            )?)),
            #[cfg(not(feature = "cloudbase"))]
            CallerAuthMode::CloudBase => {
                CloudBaseSettings::from_env(env)?;
                return Err(ConfigError::Invalid {
                    var: VAR_CALLER_AUTH,
                    reason: "this build has no CloudBase client (the `cloudbase` feature of \
                             customauth): use a build with it, or cloudbase-context"
                        .into(),
                });
            }
            CallerAuthMode::CloudBaseContext => Verifier::Context(ContextReader::from_env(env)?),
            CallerAuthMode::None => Verifier::None,
        };
        Ok(Self {
            mode,
            user_id_claim,
            verifier,
        })
    }

    /// As [`CallerAuth::from_env`], with the API keys read from the Secrets
    /// Manager secret `CUSTOMAUTH_API_KEYS_SECRET_ID` names, when it names
    /// one (createTicket; the `aws` feature).
    ///
    /// # Errors
    /// Those of [`CallerAuth::from_env`]; [`ConfigError::Conflict`] when
    /// both `CUSTOMAUTH_API_KEYS` and the secret are set, or the build has no
    /// `aws` feature; the credentials error when the secret cannot be read.
    pub async fn from_env_and_secret(
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let Some(keys) = api_key::keys_from_secret(env).await? else {
            return Self::from_env(env);
        };
        let with_keys = |k: &str| {
            if k == VAR_API_KEYS {
                Some(keys.to_string())
            } else {
                env(k)
            }
        };
        Self::from_env(&with_keys)
    }

    /// The configured mode.
    pub fn mode(&self) -> CallerAuthMode {
        self.mode
    }

    /// The claim that carries the customUserId (gateway and jwt modes).
    pub fn user_id_claim(&self) -> &str {
        &self.user_id_claim
    }

    /// Who is calling, from the parts of a request that carry credentials:
    /// the headers (`Authorization`, `X-Api-Key`) and the extensions (the
    /// lambda_http [`RequestContext`](lambda_http::request::RequestContext)
    /// with the authorizer's identity, in gateway mode). The body is never
    /// read, so a tower layer can call this on a request of any body type.
    ///
    /// # Errors
    /// [`AuthError::Missing`] without credentials (gateway mode: without an
    /// authorizer identity); [`AuthError::Invalid`] for credentials that do
    /// not verify (bad signature, expired, wrong issuer or audience, wrong
    /// algorithm, unknown API key, identity claim absent or not a string,
    /// oversized); [`AuthError::InvalidIdentity`] when the identity claim is
    /// not a valid customUserId.
    pub fn authenticate_parts(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Result<Caller, AuthError> {
        match &self.verifier {
            Verifier::Gateway => gateway_user(extensions, &self.user_id_claim).map(Caller::User),
            Verifier::Jwt(jwt) => {
                let token = bearer(headers)?;
                jwt.verify(token, &self.user_id_claim).map(Caller::User)
            }
            Verifier::ApiKeys(keys) => {
                let key = presented_api_key(headers)?;
                if keys.accepts(key) {
                    Ok(Caller::Backend)
                } else {
                    Err(AuthError::Invalid("API key not accepted"))
                }
            }
            #[cfg(feature = "cloudbase")]
            Verifier::CloudBase(_) => Err(AuthError::Unavailable(
                "cloudbase mode checks callers over the network: use CallerAuth::authenticate_with_lookup",
            )),
            Verifier::Context(reader) => reader.read(headers, extensions),
            Verifier::None => Ok(Caller::Anonymous),
        }
    }

    /// Whether checking a caller may need the network (`cloudbase` mode,
    /// and `jwt` mode with keys at a URL): then use [`CallerAuth::authenticate_with_lookup`].
    pub fn needs_lookup(&self) -> bool {
        match &self.verifier {
            #[cfg(feature = "cloudbase")]
            Verifier::CloudBase(_) => true,
            Verifier::Jwt(jwt) => jwt.fetches_keys(),
            _ => false,
        }
    }

    /// Who is calling, in every mode: [`CallerAuth::authenticate_parts`],
    /// or in `cloudbase` mode the cache or a lookup at CloudBase, within
    /// `CUSTOMAUTH_CLOUDBASE_TIMEOUT_MS`.
    ///
    /// # Errors
    /// Those of [`CallerAuth::authenticate_parts`]; in `cloudbase` mode
    /// [`AuthError::Invalid`] for a token CloudBase refuses and
    /// [`AuthError::Unavailable`] when CloudBase cannot answer in time.
    pub async fn authenticate_with_lookup(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Result<Caller, AuthError> {
        match &self.verifier {
            #[cfg(feature = "cloudbase")]
            Verifier::CloudBase(cloudbase) => cloudbase.verify(headers, extensions).await,
            Verifier::Jwt(jwt) if jwt.fetches_keys() => {
                let token = bearer(headers)?;
                jwt.verify_fetching(token, &self.user_id_claim)
                    .await
                    .map(Caller::User)
            }
            _ => self.authenticate_parts(headers, extensions),
        }
    }

    /// Who is calling: [`CallerAuth::authenticate_parts`] on the request's
    /// headers and extensions. Takes a `lambda_http::Request` as well as an
    /// `http::Request` with any other body.
    ///
    /// # Errors
    /// Those of [`CallerAuth::authenticate_parts`].
    pub fn authenticate<B>(&self, req: &Request<B>) -> Result<Caller, AuthError> {
        self.authenticate_parts(req.headers(), req.extensions())
    }
}

impl fmt::Debug for CallerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("CallerAuth");
        s.field("mode", &self.mode)
            .field("user_id_claim", &self.user_id_claim);
        match &self.verifier {
            Verifier::Jwt(jwt) => s.field("jwt_keys", jwt),
            Verifier::ApiKeys(keys) => s.field("api_keys", &keys.count()),
            #[cfg(feature = "cloudbase")]
            Verifier::CloudBase(cloudbase) => s.field("cloudbase", &cloudbase.origin()),
            Verifier::Context(reader) => s.field("cloudbase_context", reader),
            Verifier::Gateway | Verifier::None => &mut s,
        };
        s.finish()
    }
}
