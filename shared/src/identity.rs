//! The caller, verified.
//!
//! [`CallerAuth`] is built once at cold start from the environment
//! ([`CallerAuth::from_env`]) and then answers, per request, who is calling
//! ([`CallerAuth::authenticate`]). It fails closed: a request either carries
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
//!   when `CUSTOMAUTH_JWT_ISSUER` / `CUSTOMAUTH_JWT_AUDIENCE` are set.
//! - `api-key`: a trusted backend presents one of `CUSTOMAUTH_API_KEYS` as
//!   `X-Api-Key: <key>` or `Authorization: Bearer <key>`; the caller is
//!   [`Caller::Backend`] and the request body names the customUserId.
//! - `none`: everyone is [`Caller::Anonymous`]. Refused unless
//!   `CUSTOMAUTH_ALLOW_INSECURE_NONE=1`, and logged as a warning.
//!
//! In `gateway` and `jwt` modes the identity claim must be a string that
//! satisfies the SDK's customUserId rule ([`CustomUserId`]).
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

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ED25519, EcdsaVerificationAlgorithm,
    ParsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use lambda_http::http::HeaderMap;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::request::RequestContext;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::config::ConfigError;
use crate::env::var;
use crate::user_id::{CustomUserId, InvalidUserId};

/// Selects the mode: `gateway`, `jwt`, `api-key` or `none`. Required.
pub const VAR_CALLER_AUTH: &str = "CUSTOMAUTH_CALLER_AUTH";
/// Must be `1` for `CUSTOMAUTH_CALLER_AUTH=none` to be accepted.
pub const VAR_ALLOW_INSECURE_NONE: &str = "CUSTOMAUTH_ALLOW_INSECURE_NONE";
/// The claim that carries the customUserId. Defaults to `sub`.
pub const VAR_USER_ID_CLAIM: &str = "CUSTOMAUTH_USER_ID_CLAIM";
/// jwt mode: an HS256 secret, used as raw bytes exactly as given.
pub const VAR_JWT_SECRET: &str = "CUSTOMAUTH_JWT_SECRET";
/// jwt mode: a PEM public key (RSA → RS256, EC P-256 → ES256).
pub const VAR_JWT_PUBLIC_KEY: &str = "CUSTOMAUTH_JWT_PUBLIC_KEY";
/// jwt mode: a JWKS document (`{"keys": [...]}`).
pub const VAR_JWT_JWKS: &str = "CUSTOMAUTH_JWT_JWKS";
/// jwt mode: the accepted `iss`; when set, tokens must carry it.
pub const VAR_JWT_ISSUER: &str = "CUSTOMAUTH_JWT_ISSUER";
/// jwt mode: accepted `aud` values, comma-separated; when set, tokens must
/// carry one of them.
pub const VAR_JWT_AUDIENCE: &str = "CUSTOMAUTH_JWT_AUDIENCE";
/// api-key mode: the accepted keys, comma-separated.
pub const VAR_API_KEYS: &str = "CUSTOMAUTH_API_KEYS";

/// The claim read when `CUSTOMAUTH_USER_ID_CLAIM` is not set.
pub const DEFAULT_USER_ID_CLAIM: &str = "sub";
/// Largest bearer token or API key looked at, in bytes.
pub const MAX_CREDENTIAL_BYTES: usize = 8 * 1024;
/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const JWT_LEEWAY_SECS: u64 = 30;
/// Longest a bearer token may still be valid for: 24 hours. An `exp`
/// further ahead is refused, which also catches an `exp` written in
/// milliseconds (a token that would never expire).
pub const JWT_MAX_LIFETIME_SECS: u64 = 24 * 3600;
/// Shortest HS256 secret accepted, in bytes.
pub const MIN_HS256_SECRET_BYTES: usize = 32;
/// Shortest API key accepted, in characters.
pub const MIN_API_KEY_CHARS: usize = 16;

/// Smallest RSA modulus accepted for JWT verification, in bits (the
/// verifier refuses smaller ones; better to say so at cold start).
const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus the verifier accepts, in bits.
const MAX_RSA_BITS: usize = 8192;

/// What `auth().getUserInfo()` returns in the SDK, field for field:
/// `{"openId","appId","uid","customUserId","isAnonymous"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    /// The `openId` (or `openid`) claim; `""` without one.
    pub open_id: String,
    /// The `appId` (or `appid`) claim; `""` without one.
    pub app_id: String,
    /// The `sub` claim; the customUserId without one.
    pub uid: String,
    /// The customUserId taken from the identity claim.
    pub custom_user_id: String,
    /// `false` for a verified user.
    pub is_anonymous: bool,
}

/// A user whose identity an authorizer or a verified JWT vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedUser {
    /// The identity claim, checked against the customUserId rule.
    pub user_id: CustomUserId,
    /// The SDK-shaped description of the user.
    pub info: UserInfo,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A verified user (`gateway` and `jwt` modes).
    User(VerifiedUser),
    /// A trusted backend holding a valid API key (`api-key` mode); the
    /// request body names the customUserId.
    Backend,
    /// Anyone (`none` mode, development only).
    Anonymous,
}

/// Why a request has no acceptable caller. Every variant means HTTP 401.
///
/// Messages are fixed texts: they never contain a token, key or claim value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials: no `Authorization` / `X-Api-Key` header, or (gateway
    /// mode) no authorizer identity in the request context.
    #[error("no caller credentials")]
    Missing,
    /// Credentials were presented but are not acceptable.
    #[error("invalid caller credentials: {0}")]
    Invalid(&'static str),
    /// The identity claim is not a valid customUserId.
    #[error("the caller's identity is not a valid customUserId: {0}")]
    InvalidIdentity(InvalidUserId),
}

/// How callers authenticate, from `CUSTOMAUTH_CALLER_AUTH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallerAuthMode {
    /// `gateway`: an API Gateway authorizer already verified the caller.
    Gateway,
    /// `jwt`: the function verifies a bearer JWT.
    Jwt,
    /// `api-key`: a backend presents a shared key.
    ApiKey,
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
            Self::None => "none",
        }
    }

    /// Reads `CUSTOMAUTH_CALLER_AUTH` through `env`. When the mode is `none`
    /// and `CUSTOMAUTH_ALLOW_INSECURE_NONE=1`, logs a warning.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] when unset or blank (there is no default);
    /// [`ConfigError::Invalid`] for a value other than the four modes;
    /// [`ConfigError::Conflict`] for `none` without
    /// `CUSTOMAUTH_ALLOW_INSECURE_NONE=1`.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let raw = var(env, VAR_CALLER_AUTH).ok_or(ConfigError::Missing {
            var: VAR_CALLER_AUTH,
            hint: "set it to gateway, jwt, api-key or none (there is no default)",
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

    /// Parses `gateway`, `jwt`, `api-key` or `none` (ASCII case and
    /// surrounding whitespace ignored). Does not check
    /// `CUSTOMAUTH_ALLOW_INSECURE_NONE`; [`CallerAuthMode::from_env`] does.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `CUSTOMAUTH_CALLER_AUTH` for any
    /// other value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        [Self::Gateway, Self::Jwt, Self::ApiKey, Self::None]
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ConfigError::Invalid {
                var: VAR_CALLER_AUTH,
                reason: format!(
                    "{:?} is not one of gateway, jwt, api-key, none",
                    s.chars().take(32).collect::<String>()
                ),
            })
    }
}

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
    ///   `CUSTOMAUTH_JWT_JWKS` is set, [`ConfigError::Conflict`] when more
    ///   than one is, [`ConfigError::Invalid`] for a secret under 32 bytes, a
    ///   PEM that is not an RSA (≥ 2048-bit) or EC P-256 public key, or a
    ///   JWKS without a usable signing key;
    /// - api-key mode: [`ConfigError::Missing`] without
    ///   `CUSTOMAUTH_API_KEYS`, [`ConfigError::Invalid`] for an empty entry
    ///   or a key shorter than 16 characters (the message gives the entry's
    ///   position, never the key).
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mode = CallerAuthMode::from_env(env)?;
        let user_id_claim = var(env, VAR_USER_ID_CLAIM)
            .map_or_else(|| DEFAULT_USER_ID_CLAIM.to_owned(), |c| c.trim().to_owned());
        let verifier = match mode {
            CallerAuthMode::Gateway => Verifier::Gateway,
            CallerAuthMode::Jwt => Verifier::Jwt(JwtVerifier::from_env(env)?),
            CallerAuthMode::ApiKey => Verifier::ApiKeys(ApiKeys::from_env(env)?),
            CallerAuthMode::None => Verifier::None,
        };
        Ok(Self {
            mode,
            user_id_claim,
            verifier,
        })
    }

    /// The configured mode.
    pub fn mode(&self) -> CallerAuthMode {
        self.mode
    }

    /// The claim that carries the customUserId (gateway and jwt modes).
    pub fn user_id_claim(&self) -> &str {
        &self.user_id_claim
    }

    /// Who is calling.
    ///
    /// # Errors
    /// [`AuthError::Missing`] without credentials (gateway mode: without an
    /// authorizer identity); [`AuthError::Invalid`] for credentials that do
    /// not verify (bad signature, expired, wrong issuer or audience, wrong
    /// algorithm, unknown API key, identity claim absent or not a string,
    /// oversized); [`AuthError::InvalidIdentity`] when the identity claim is
    /// not a valid customUserId.
    pub fn authenticate<B>(
        &self,
        req: &lambda_http::http::Request<B>,
    ) -> Result<Caller, AuthError> {
        self.authenticate_parts(req.headers(), req.extensions())
    }

    /// As [`CallerAuth::authenticate`], from a request's headers and extensions.
    ///
    /// # Errors
    /// As [`CallerAuth::authenticate`].
    pub fn authenticate_parts(
        &self,
        headers: &HeaderMap,
        extensions: &lambda_http::http::Extensions,
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
            Verifier::None => Ok(Caller::Anonymous),
        }
    }
}

impl fmt::Debug for CallerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("CallerAuth");
        s.field("mode", &self.mode)
            .field("user_id_claim", &self.user_id_claim);
        match &self.verifier {
            Verifier::Jwt(jwt) => s.field("jwt_keys", &jwt.keys),
            Verifier::ApiKeys(keys) => s.field("api_keys", &keys.digests.len()),
            Verifier::Gateway | Verifier::None => &mut s,
        };
        s.finish()
    }
}

// ---------------------------------------------------------------------------
// Claims

/// A read-only view of the claims an identity came with.
enum Claims<'a> {
    /// HTTP API JWT authorizer: every claim already a string.
    Strings(&'a HashMap<String, String>),
    /// Authorizer contexts.
    Fields(&'a HashMap<String, Value>),
    /// Cognito claims, and JWT payloads.
    Object(&'a serde_json::Map<String, Value>),
}

enum Claim<'a> {
    Absent,
    Str(&'a str),
    NotString,
}

impl Claims<'_> {
    fn get(&self, name: &str) -> Claim<'_> {
        let value = match self {
            Self::Strings(map) => return map.get(name).map_or(Claim::Absent, |s| Claim::Str(s)),
            Self::Fields(map) => map.get(name),
            Self::Object(map) => map.get(name),
        };
        match value {
            None | Some(Value::Null) => Claim::Absent,
            Some(Value::String(s)) => Claim::Str(s),
            Some(_) => Claim::NotString,
        }
    }

    fn string(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| match self.get(name) {
            Claim::Str(s) => Some(s),
            Claim::Absent | Claim::NotString => None,
        })
    }

    fn user(&self, user_id_claim: &str) -> Result<VerifiedUser, AuthError> {
        let user_id = match self.get(user_id_claim) {
            Claim::Str(s) => CustomUserId::parse(s).map_err(AuthError::InvalidIdentity)?,
            Claim::Absent => return Err(AuthError::Invalid("the identity claim is missing")),
            Claim::NotString => {
                return Err(AuthError::Invalid("the identity claim is not a string"));
            }
        };
        let uid = match self.string(&["sub"]) {
            Some(sub) if !sub.is_empty() => sub.to_owned(),
            _ => user_id.as_str().to_owned(),
        };
        let info = UserInfo {
            open_id: self
                .string(&["openId", "openid"])
                .unwrap_or_default()
                .to_owned(),
            app_id: self
                .string(&["appId", "appid"])
                .unwrap_or_default()
                .to_owned(),
            uid,
            custom_user_id: user_id.as_str().to_owned(),
            is_anonymous: false,
        };
        Ok(VerifiedUser { user_id, info })
    }
}

// ---------------------------------------------------------------------------
// gateway mode

fn gateway_user(
    extensions: &lambda_http::http::Extensions,
    user_id_claim: &str,
) -> Result<VerifiedUser, AuthError> {
    match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            let Some(authorizer) = &ctx.authorizer else {
                return Err(AuthError::Missing);
            };
            if let Some(jwt) = &authorizer.jwt
                && !jwt.claims.is_empty()
            {
                return Claims::Strings(&jwt.claims).user(user_id_claim);
            }
            // `fields` is the Lambda authorizer's context (JSON key "lambda").
            if !authorizer.fields.is_empty() {
                return Claims::Fields(&authorizer.fields).user(user_id_claim);
            }
            // IAM authorization names an AWS principal, not a user.
            Err(AuthError::Missing)
        }
        Some(RequestContext::ApiGatewayV1(ctx)) => {
            let fields = &ctx.authorizer.fields;
            if let Some(Value::Object(claims)) = fields.get("claims") {
                // Cognito user pool authorizer. (A Lambda authorizer's context
                // cannot hold objects, so this cannot be one.)
                return Claims::Object(claims).user(user_id_claim);
            }
            if fields.is_empty() {
                return Err(AuthError::Missing);
            }
            Claims::Fields(fields).user(user_id_claim)
        }
        _ => Err(AuthError::Missing),
    }
}

// ---------------------------------------------------------------------------
// Credentials in headers

/// The credential of `Authorization: Bearer <credential>`.
fn bearer(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = single_header(
        headers,
        AUTHORIZATION.as_str(),
        "more than one Authorization header",
    )?;
    let (scheme, credential) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Invalid("the Authorization scheme is not Bearer"));
    }
    credential_in(credential, "empty Bearer credential")
}

/// `X-Api-Key` if present, else the `Authorization: Bearer` credential.
fn presented_api_key(headers: &HeaderMap) -> Result<&str, AuthError> {
    if !headers.contains_key("x-api-key") {
        return bearer(headers);
    }
    let value = single_header(headers, "x-api-key", "more than one X-Api-Key header")?;
    credential_in(value, "empty X-Api-Key header")
}

/// `text` without surrounding blanks, if neither empty nor oversized.
fn credential_in<'a>(text: &'a str, empty: &'static str) -> Result<&'a str, AuthError> {
    let credential = text.trim_matches([' ', '\t']);
    if credential.is_empty() {
        return Err(AuthError::Invalid(empty));
    }
    if credential.len() > MAX_CREDENTIAL_BYTES {
        return Err(AuthError::Invalid("credential larger than 8 KiB"));
    }
    Ok(credential)
}

/// The one value of header `name`.
fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &str,
    duplicated: &'static str,
) -> Result<&'a str, AuthError> {
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(AuthError::Missing)?;
    if values.next().is_some() {
        return Err(AuthError::Invalid(duplicated));
    }
    // Cheap early refusal; the credential itself is measured later.
    if value.len() > MAX_CREDENTIAL_BYTES + 64 {
        return Err(AuthError::Invalid("credential larger than 8 KiB"));
    }
    value
        .to_str()
        .map_err(|_| AuthError::Invalid("credential header is not visible ASCII"))
}

// ---------------------------------------------------------------------------
// api-key mode

/// SHA-256 digests of the accepted keys; the keys themselves are not kept.
struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl ApiKeys {
    fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
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
            digests.push(sha256(key.as_bytes()));
        }
        Ok(Self { digests })
    }

    /// Compares the digest of `key` with every accepted digest, in constant
    /// time and without stopping at a match.
    fn accepts(&self, key: &str) -> bool {
        let presented = sha256(key.as_bytes());
        let mut found = Choice::from(0);
        for digest in &self.digests {
            found |= digest[..].ct_eq(&presented[..]);
        }
        found.into()
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

// ---------------------------------------------------------------------------
// jwt mode

struct JwtVerifier {
    keys: Vec<JwtKey>,
    /// Keys come from a JWKS and are chosen by the token's `kid`.
    by_kid: bool,
}

struct JwtKey {
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
    fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secret = var(env, VAR_JWT_SECRET).map(Zeroizing::new);
        let pem = var(env, VAR_JWT_PUBLIC_KEY);
        let jwks = var(env, VAR_JWT_JWKS);
        let set: Vec<&str> = [
            (VAR_JWT_SECRET, secret.is_some()),
            (VAR_JWT_PUBLIC_KEY, pem.is_some()),
            (VAR_JWT_JWKS, jwks.is_some()),
        ]
        .into_iter()
        .filter_map(|(var, is_set)| is_set.then_some(var))
        .collect();
        if set.len() > 1 {
            return Err(ConfigError::Conflict(format!(
                "{VAR_CALLER_AUTH}=jwt takes exactly one key source, but {} are set",
                set.join(" and ")
            )));
        }

        let issuer = var(env, VAR_JWT_ISSUER).map(|iss| iss.trim().to_owned());
        let audience = match var(env, VAR_JWT_AUDIENCE) {
            Some(list) => Some(parse_audience(&list)?),
            None => None,
        };
        let validation = |alg| validation(alg, issuer.as_deref(), audience.as_deref());

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
        } else {
            return Err(ConfigError::Missing {
                var: VAR_JWT_SECRET,
                hint: "CUSTOMAUTH_CALLER_AUTH=jwt needs one of CUSTOMAUTH_JWT_SECRET (HS256 \
                       secret), CUSTOMAUTH_JWT_PUBLIC_KEY (PEM public key) or \
                       CUSTOMAUTH_JWT_JWKS (JWKS document)",
            });
        };
        Ok(Self { keys, by_kid })
    }

    /// The key for a token whose header says `kid`.
    fn select(&self, kid: Option<&str>) -> Result<&JwtKey, AuthError> {
        let only = match self.keys.as_slice() {
            [only] => Some(only),
            _ => None,
        };
        if !self.by_kid {
            return only.ok_or(AuthError::Invalid("no key configured"));
        }
        match kid {
            Some(kid) => self
                .keys
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

    fn verify(&self, token: &str, user_id_claim: &str) -> Result<VerifiedUser, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::Invalid("malformed token or unsupported algorithm"))?;
        let key = self.select(header.kid.as_deref())?;
        if header.alg != key.alg {
            return Err(AuthError::Invalid(
                "the token's algorithm is not the configured key's",
            ));
        }
        if header.crit.is_some() {
            return Err(AuthError::Invalid(
                "the token has critical header extensions (crit), none of which are supported",
            ));
        }
        let data = jsonwebtoken::decode::<UniqueClaims>(token, &key.key, &key.validation)
            .map_err(|e| AuthError::Invalid(jwt_error_reason(e.kind())))?;
        let now = crate::now_ms() / 1000;
        let latest = now + JWT_MAX_LIFETIME_SECS + JWT_LEEWAY_SECS;
        if data
            .claims
            .0
            .get("exp")
            .and_then(Value::as_f64)
            .is_none_or(|exp| exp > latest as f64)
        {
            return Err(AuthError::Invalid(
                "token exp is more than 24 hours ahead (times are in seconds)",
            ));
        }
        Claims::Object(&data.claims.0).user(user_id_claim)
    }
}

/// The claims of a bearer token, refusing duplicate names: with two `sub`
/// (or two of the identity claim) another parser could read the other one.
struct UniqueClaims(serde_json::Map<String, Value>);

impl<'de> serde::Deserialize<'de> for UniqueClaims {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueClaims;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of claims")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UniqueClaims, A::Error> {
                let mut claims = serde_json::Map::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    if claims.contains_key(&name) {
                        return Err(serde::de::Error::custom("duplicate claim"));
                    }
                    claims.insert(name, value);
                }
                Ok(UniqueClaims(claims))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

fn jwt_error_reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "bad token signature",
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not valid yet (nbf)",
        ErrorKind::InvalidIssuer => "token issuer not accepted",
        ErrorKind::InvalidAudience => "token audience not accepted",
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not the configured key's",
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "the token has no exp claim",
            "iss" => "the token has no iss claim",
            "aud" => "the token has no aud claim",
            _ => "the token lacks a required claim",
        },
        ErrorKind::InvalidClaimFormat(_) => "the token's exp or nbf is not a number",
        _ => "malformed token",
    }
}

fn parse_audience(list: &str) -> Result<Vec<String>, ConfigError> {
    let audience: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    if audience.is_empty() {
        return Err(ConfigError::Invalid {
            var: VAR_JWT_AUDIENCE,
            reason: "no audience in the list".to_owned(),
        });
    }
    Ok(audience)
}

fn validation(alg: Algorithm, issuer: Option<&str>, audience: Option<&[String]>) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = JWT_LEEWAY_SECS;
    v.validate_exp = true;
    v.validate_nbf = true;
    let mut required = vec!["exp"];
    if let Some(issuer) = issuer {
        v.set_issuer(&[issuer]);
        required.push("iss");
    }
    match audience {
        Some(audience) => {
            v.set_audience(audience);
            required.push("aud");
        }
        // Unconfigured means unchecked (jsonwebtoken would otherwise refuse
        // every token that carries an aud).
        None => v.validate_aud = false,
    }
    v.set_required_spec_claims(&required);
    v
}

/// Parses `CUSTOMAUTH_JWT_PUBLIC_KEY`: RSA (RS256) or EC P-256 (ES256).
fn pem_public_key(text: &str) -> Result<(Algorithm, DecodingKey), String> {
    // Environment variables often carry the PEM on one line with literal \n.
    let text = text.replace("\\n", "\n");
    let text = text.trim();
    let (tag, der) = pem_rfc7468::decode_vec(text.as_bytes()).map_err(|_| {
        "not a PEM block; expected -----BEGIN PUBLIC KEY----- (the literal \\n form is accepted)"
            .to_owned()
    })?;
    match tag {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
        tag if tag.contains("PRIVATE KEY") => {
            return Err(format!(
                "is a private key ({tag}); give the public key (openssl pkey -pubout)"
            ));
        }
        tag => return Err(format!("is a {tag:?} PEM block, not a public key")),
    }
    let der = der.as_slice();
    if let Ok(rsa) = aws_lc_rs::rsa::PublicKey::from_der(der) {
        let bits = rsa.modulus_len() * 8;
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(format!(
                "is a {bits}-bit RSA key; RS256 verification needs 2048 to 8192 bits"
            ));
        }
        let key = DecodingKey::from_rsa_pem(text.as_bytes())
            .map_err(|_| "the RSA public key cannot be read".to_owned())?;
        return Ok((Algorithm::RS256, key));
    }
    if ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, der).is_ok() {
        let key = DecodingKey::from_ec_pem(text.as_bytes())
            .map_err(|_| "the EC public key cannot be read".to_owned())?;
        return Ok((Algorithm::ES256, key));
    }
    Err("is neither an RSA public key nor an EC P-256 public key".to_owned())
}

type KeyEntry = (Option<String>, Algorithm, DecodingKey);

/// Parses `CUSTOMAUTH_JWT_JWKS` into the keys usable for signatures.
fn jwks_keys(text: &str) -> Result<Vec<KeyEntry>, String> {
    // Not serde_json's message: it quotes mistyped string values (a secret
    // pasted here, a double-encoded JWKS with private parameters).
    let set: JwkSet = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a JWKS document (expected {{\"keys\": [...]}}; error at line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let mut keys = Vec::new();
    let mut kids = HashSet::new();
    for (i, jwk) in set.keys.iter().enumerate() {
        let n = i + 1;
        let Some((alg, key)) = jwk_key(jwk).map_err(|reason| format!("key {n}: {reason}"))? else {
            continue;
        };
        let kid = jwk.common.key_id.clone();
        if let Some(kid) = &kid
            && !kids.insert(kid.clone())
        {
            return Err(format!("key {n}: kid {kid:?} appears twice"));
        }
        keys.push((kid, alg, key));
    }
    if keys.is_empty() {
        return Err("has no signature verification key".to_owned());
    }
    if keys.len() > 1 && keys.iter().any(|(kid, _, _)| kid.is_none()) {
        return Err("every key needs a kid when the set has more than one".to_owned());
    }
    Ok(keys)
}

/// The algorithm and key of one JWK; `None` for an encryption key.
fn jwk_key(jwk: &Jwk) -> Result<Option<(Algorithm, DecodingKey)>, String> {
    if jwk.common.public_key_use == Some(PublicKeyUse::Encryption)
        || jwk
            .common
            .key_operations
            .as_ref()
            .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return Ok(None);
    }
    let alg = match jwk.common.key_algorithm {
        Some(KeyAlgorithm::RSA1_5 | KeyAlgorithm::RSA_OAEP | KeyAlgorithm::RSA_OAEP_256) => {
            return Ok(None);
        }
        Some(alg) => Algorithm::try_from(alg).map_err(|_| "unsupported alg".to_owned())?,
        None => match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                EllipticCurve::P256 => Algorithm::ES256,
                EllipticCurve::P384 => Algorithm::ES384,
                _ => return Err("unsupported curve (P-256 or P-384 expected)".to_owned()),
            },
            AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
            AlgorithmParameters::OctetKey(_) => return Err(symmetric_jwk()),
            _ => return Err("unsupported key type (RSA, EC or OKP expected)".to_owned()),
        },
    };
    let mismatch = || format!("alg {alg:?} does not fit the key type or curve");
    let key = match (alg.family(), &jwk.algorithm) {
        (AlgorithmFamily::Hmac, _) | (_, AlgorithmParameters::OctetKey(_)) => {
            return Err(symmetric_jwk());
        }
        (AlgorithmFamily::Rsa, AlgorithmParameters::RSA(rsa)) => {
            let modulus = b64url(&rsa.n).ok_or("n is not base64url")?;
            let bits = unsigned_bits(&modulus);
            if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                return Err(format!("{bits}-bit RSA key; 2048 to 8192 bits are needed"));
            }
            let exponent = b64url(&rsa.e).ok_or("e is not base64url")?;
            if unsigned_bits(&exponent) == 0 {
                return Err("e is zero".to_owned());
            }
            DecodingKey::from_rsa_raw_components(&modulus, &exponent)
        }
        (AlgorithmFamily::Ec, AlgorithmParameters::EllipticCurve(ec)) => {
            let verification: &'static EcdsaVerificationAlgorithm = match (alg, &ec.curve) {
                (Algorithm::ES256, EllipticCurve::P256) => &ECDSA_P256_SHA256_FIXED,
                (Algorithm::ES384, EllipticCurve::P384) => &ECDSA_P384_SHA384_FIXED,
                _ => return Err(mismatch()),
            };
            let x = b64url(&ec.x).ok_or("x is not base64url")?;
            let y = b64url(&ec.y).ok_or("y is not base64url")?;
            let point = [&[0x04][..], &x, &y].concat();
            ParsedPublicKey::new(verification, &point)
                .map_err(|_| "x, y is not a point on the curve".to_owned())?;
            DecodingKey::from_ec_components(&ec.x, &ec.y)
                .map_err(|_| "x or y is not base64url".to_owned())?
        }
        (AlgorithmFamily::Ed, AlgorithmParameters::OctetKeyPair(okp)) => {
            if okp.curve != EllipticCurve::Ed25519 {
                return Err(mismatch());
            }
            let x = b64url(&okp.x).ok_or("x is not base64url")?;
            ParsedPublicKey::new(&ED25519, &x)
                .map_err(|_| "x is not an Ed25519 public key".to_owned())?;
            DecodingKey::from_ed_components(&okp.x).map_err(|_| "x is not base64url".to_owned())?
        }
        _ => return Err(mismatch()),
    };
    Ok(Some((alg, key)))
}

fn symmetric_jwk() -> String {
    "symmetric (oct / HS*) keys are not taken from a JWKS; put an HS256 secret in \
     CUSTOMAUTH_JWT_SECRET instead"
        .to_owned()
}

fn b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// Bit length of a big-endian unsigned integer.
fn unsigned_bits(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        Some(i) => (bytes.len() - i) * 8 - bytes[i].leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode, get_current_timestamp};
    use lambda_http::Body;
    use lambda_http::Request;
    use lambda_http::http;
    use serde_json::json;

    // Test keys (tests/fixtures/keys):
    // - k2048-pkcs1.pem: the RSA key the ticket tests use; k2048-public.pem
    //   was derived from it with
    //   `openssl rsa -in k2048-pkcs1.pem -pubout -out k2048-public.pem`.
    // - es256-private.pem / es256-public.pem: a P-256 pair made with
    //   `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out es256-private.pem`
    //   and `openssl pkey -in es256-private.pem -pubout -out es256-public.pem`.
    // - jwks.json: the RSA key's n/e (kid "k2048", alg RS256) and the P-256
    //   key's x/y (kid "es256", no alg), base64url of `openssl rsa -pubin
    //   -modulus` and of the last 64 bytes of the EC public key's DER.
    const RSA_PRIVATE: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;
    const RSA_PUBLIC: &str = customauth_testkit::fixtures::keys::K2048_PUBLIC;
    const EC_PRIVATE: &str = customauth_testkit::fixtures::keys::ES256_PRIVATE;
    const EC_PUBLIC: &str = customauth_testkit::fixtures::keys::ES256_PUBLIC;
    const JWKS: &str = customauth_testkit::fixtures::keys::JWKS;
    const LEGACY_1024: &str = customauth_testkit::fixtures::keys::K1024_PKCS1;

    const SECRET: &str = "0123456789abcdef0123456789abcdef-hs256";
    const API_KEY: &str = "dev-key-3f9c1a7e5b2d4086";

    const V2_JWT: &str = customauth_testkit::fixtures::events::APIGW_V2_CREATE_TICKET_JWT;
    const V2_BASE64: &str = customauth_testkit::fixtures::events::APIGW_V2_CREATE_TICKET_BASE64;
    const V2_USER_INFO: &str = customauth_testkit::fixtures::events::APIGW_V2_GET_USER_INFO;
    const V2_CLIENT_IP: &str = customauth_testkit::fixtures::events::APIGW_V2_GET_CLIENT_IP;
    const V2_NO_AUTH: &str = customauth_testkit::fixtures::events::APIGW_V2_NO_AUTH;
    const V2_API_KEY: &str = customauth_testkit::fixtures::events::APIGW_V2_CREATE_TICKET_API_KEY;
    const V2_LAMBDA: &str = customauth_testkit::fixtures::events::APIGW_V2_LAMBDA_AUTHORIZER;
    const FUNCTION_URL: &str = customauth_testkit::fixtures::events::FUNCTION_URL_CREATE_TICKET;
    const V1_COGNITO: &str = customauth_testkit::fixtures::events::APIGW_V1_CREATE_TICKET_COGNITO;
    const V1_LAMBDA: &str = customauth_testkit::fixtures::events::APIGW_V1_LAMBDA_AUTHORIZER;
    const ALB_CREATE: &str = customauth_testkit::fixtures::events::ALB_CREATE_TICKET;
    const ALB_CLIENT_IP: &str = customauth_testkit::fixtures::events::ALB_GET_CLIENT_IP;

    // ---- helpers ----

    use crate::env::from_pairs as env;

    fn auth(pairs: &[(&str, &str)]) -> CallerAuth {
        CallerAuth::from_env(&env(pairs)).expect("valid configuration")
    }

    fn config_err(pairs: &[(&str, &str)]) -> ConfigError {
        CallerAuth::from_env(&env(pairs)).expect_err("configuration refused")
    }

    fn event(json: &str) -> Request {
        lambda_http::request::from_str(json).expect("fixture parses")
    }

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/createTicket");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::Empty).expect("request builds")
    }

    fn with_bearer(token: &str) -> Request {
        request(&[("authorization", &format!("Bearer {token}"))])
    }

    fn now() -> i64 {
        i64::try_from(get_current_timestamp()).expect("time fits")
    }

    fn claims(sub: &str) -> Value {
        json!({"sub": sub, "iat": now(), "exp": now() + 600})
    }

    fn hs256(claims: &Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("signs")
    }

    fn rs256(claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        encode(
            &header,
            claims,
            &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("key"),
        )
        .expect("signs")
    }

    fn es256(claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_owned);
        encode(
            &header,
            claims,
            &EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("key"),
        )
        .expect("signs")
    }

    fn hs256_auth() -> CallerAuth {
        auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_SECRET, SECRET)])
    }

    fn rs256_auth() -> CallerAuth {
        auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, RSA_PUBLIC)])
    }

    fn es256_auth() -> CallerAuth {
        auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, EC_PUBLIC)])
    }

    fn jwks_auth() -> CallerAuth {
        auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, JWKS)])
    }

    fn user_id(caller: Result<Caller, AuthError>) -> String {
        match caller {
            Ok(Caller::User(user)) => user.user_id.as_str().to_owned(),
            other => panic!("expected a user, got {other:?}"),
        }
    }

    fn invalid(result: Result<Caller, AuthError>) -> &'static str {
        match result {
            Err(AuthError::Invalid(reason)) => reason,
            other => panic!("expected AuthError::Invalid, got {other:?}"),
        }
    }

    fn b64(json: &Value) -> String {
        URL_SAFE_NO_PAD.encode(json.to_string())
    }

    // ---- UserInfo ----

    #[test]
    fn user_info_serializes_as_the_sdk() {
        let info = UserInfo {
            open_id: "o".into(),
            app_id: "a".into(),
            uid: "u".into(),
            custom_user_id: "user_1234".into(),
            is_anonymous: false,
        };
        assert_eq!(
            serde_json::to_string(&info).expect("serializes"),
            r#"{"openId":"o","appId":"a","uid":"u","customUserId":"user_1234","isAnonymous":false}"#
        );
    }

    // ---- mode ----

    #[test]
    fn mode_parses_the_four_values_case_insensitively() {
        for (text, mode) in [
            ("gateway", CallerAuthMode::Gateway),
            ("JWT", CallerAuthMode::Jwt),
            (" api-key ", CallerAuthMode::ApiKey),
            ("none", CallerAuthMode::None),
        ] {
            assert_eq!(text.parse::<CallerAuthMode>().expect("parses"), mode);
            assert_eq!(
                mode.as_str().parse::<CallerAuthMode>().expect("round trip"),
                mode
            );
        }
        assert_eq!(CallerAuthMode::ApiKey.to_string(), "api-key");
    }

    #[test]
    fn missing_mode_names_the_variable_and_the_values() {
        let err = config_err(&[]);
        assert!(matches!(
            err,
            ConfigError::Missing {
                var: VAR_CALLER_AUTH,
                ..
            }
        ));
        let msg = err.to_string();
        for word in [
            "CUSTOMAUTH_CALLER_AUTH",
            "gateway",
            "jwt",
            "api-key",
            "none",
        ] {
            assert!(msg.contains(word), "{msg}");
        }
        let blank = config_err(&[(VAR_CALLER_AUTH, "  ")]);
        assert!(matches!(
            blank,
            ConfigError::Missing {
                var: VAR_CALLER_AUTH,
                ..
            }
        ));
    }

    #[test]
    fn unknown_mode_is_invalid() {
        let err = config_err(&[(VAR_CALLER_AUTH, "oauth")]);
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: VAR_CALLER_AUTH,
                ..
            }
        ));
        assert!(err.to_string().contains("oauth"));
        assert!(matches!(
            config_err(&[(VAR_CALLER_AUTH, "api_key")]),
            ConfigError::Invalid { .. }
        ));
    }

    #[test]
    fn none_without_allowance_is_refused_naming_both_variables() {
        for allow in [None, Some("0"), Some("true"), Some("")] {
            let mut pairs = vec![(VAR_CALLER_AUTH, "none")];
            if let Some(allow) = allow {
                pairs.push((VAR_ALLOW_INSECURE_NONE, allow));
            }
            let err = config_err(&pairs);
            assert!(matches!(err, ConfigError::Conflict(_)), "{allow:?}");
            let msg = err.to_string();
            assert!(
                msg.contains(VAR_CALLER_AUTH) && msg.contains(VAR_ALLOW_INSECURE_NONE),
                "{msg}"
            );
        }
    }

    #[test]
    fn none_with_allowance_makes_everyone_anonymous() {
        let auth = auth(&[(VAR_CALLER_AUTH, "none"), (VAR_ALLOW_INSECURE_NONE, "1")]);
        assert_eq!(auth.mode(), CallerAuthMode::None);
        assert_eq!(auth.authenticate(&request(&[])), Ok(Caller::Anonymous));
        assert_eq!(auth.authenticate(&event(V2_JWT)), Ok(Caller::Anonymous));
    }

    #[test]
    fn variables_of_another_mode_are_not_an_error() {
        let auth = auth(&[
            (VAR_CALLER_AUTH, "gateway"),
            (VAR_JWT_SECRET, "short"),
            (VAR_JWT_PUBLIC_KEY, "garbage"),
            (VAR_API_KEYS, "x,,y"),
        ]);
        assert_eq!(auth.mode(), CallerAuthMode::Gateway);
        assert_eq!(auth.user_id_claim(), "sub");
    }

    // ---- gateway mode ----

    fn gateway(claim: Option<&str>) -> CallerAuth {
        match claim {
            Some(claim) => auth(&[(VAR_CALLER_AUTH, "gateway"), (VAR_USER_ID_CLAIM, claim)]),
            None => auth(&[(VAR_CALLER_AUTH, "gateway")]),
        }
    }

    #[test]
    fn gateway_v2_jwt_authorizer_gives_user_1234() {
        let auth = gateway(None);
        for json in [V2_JWT, V2_BASE64, V2_USER_INFO] {
            let caller = auth.authenticate(&event(json));
            let Ok(Caller::User(user)) = caller else {
                panic!("expected a user, got {caller:?}");
            };
            assert_eq!(user.user_id.as_str(), "user_1234");
            assert_eq!(
                user.info,
                UserInfo {
                    open_id: String::new(),
                    app_id: String::new(),
                    uid: "user_1234".into(),
                    custom_user_id: "user_1234".into(),
                    is_anonymous: false,
                }
            );
        }
    }

    #[test]
    fn gateway_v2_custom_claim_keeps_sub_as_uid() {
        let auth = gateway(Some("email"));
        let Ok(Caller::User(user)) = auth.authenticate(&event(V2_JWT)) else {
            panic!("expected a user");
        };
        assert_eq!(user.user_id.as_str(), "alice@example.com");
        assert_eq!(user.info.uid, "user_1234");
        assert_eq!(user.info.custom_user_id, "alice@example.com");
    }

    #[test]
    fn gateway_v2_lambda_authorizer_context_gives_user_with_open_and_app_ids() {
        let Ok(Caller::User(user)) = gateway(Some("customUserId")).authenticate(&event(V2_LAMBDA))
        else {
            panic!("expected a user");
        };
        assert_eq!(user.user_id.as_str(), "user_1234");
        assert_eq!(user.info.open_id, "oPENiD-55");
        assert_eq!(user.info.app_id, "wx-app-1");
        assert_eq!(user.info.uid, "user_1234");
    }

    #[test]
    fn gateway_v1_cognito_claims_give_user_1234() {
        assert_eq!(
            user_id(gateway(None).authenticate(&event(V1_COGNITO))),
            "user_1234"
        );
        assert_eq!(
            user_id(gateway(Some("cognito:username")).authenticate(&event(V1_COGNITO))),
            "alice"
        );
    }

    #[test]
    fn gateway_v1_lambda_authorizer_context_gives_user_1234() {
        for claim in [None, Some("customUserId"), Some("principalId")] {
            assert_eq!(
                user_id(gateway(claim).authenticate(&event(V1_LAMBDA))),
                "user_1234"
            );
        }
    }

    #[test]
    fn gateway_without_authorizer_identity_is_missing() {
        let auth = gateway(None);
        for json in [
            V2_NO_AUTH,
            V2_CLIENT_IP,
            V2_API_KEY,
            FUNCTION_URL,
            ALB_CREATE,
            ALB_CLIENT_IP,
        ] {
            assert_eq!(auth.authenticate(&event(json)), Err(AuthError::Missing));
        }
    }

    #[test]
    fn gateway_in_http_mode_is_missing_even_with_a_bearer_token() {
        let token = hs256(&claims("user_1234"));
        assert_eq!(
            gateway(None).authenticate(&with_bearer(&token)),
            Err(AuthError::Missing)
        );
    }

    #[test]
    fn gateway_claim_absent_is_invalid() {
        let reason = invalid(gateway(Some("customUserId")).authenticate(&event(V2_JWT)));
        assert!(reason.contains("missing"));
        invalid(gateway(Some("nope")).authenticate(&event(V1_COGNITO)));
    }

    #[test]
    fn gateway_claim_not_a_string_is_invalid() {
        let reason = invalid(gateway(Some("integrationLatency")).authenticate(&event(V1_LAMBDA)));
        assert!(reason.contains("not a string"));
    }

    #[test]
    fn gateway_claim_not_a_valid_custom_user_id_is_invalid_identity() {
        let auth = gateway(Some("scope"));
        assert!(matches!(
            auth.authenticate(&event(V2_JWT)),
            Err(AuthError::InvalidIdentity(InvalidUserId::Character { .. }))
        ));
        assert!(matches!(
            gateway(Some("jti")).authenticate(&event(V2_JWT)),
            Err(AuthError::InvalidIdentity(InvalidUserId::Length {
                len: 36
            }))
        ));
    }

    // ---- jwt mode: HS256 ----

    #[test]
    fn hs256_valid_token_gives_user() {
        let token = hs256(&json!({
            "sub": "user_1234", "exp": now() + 600, "openid": "op-1", "appId": "app-1"
        }));
        let Ok(Caller::User(user)) = hs256_auth().authenticate(&with_bearer(&token)) else {
            panic!("expected a user");
        };
        assert_eq!(user.user_id.as_str(), "user_1234");
        assert_eq!(user.info.open_id, "op-1");
        assert_eq!(user.info.app_id, "app-1");
        assert_eq!(user.info.uid, "user_1234");
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let token = hs256(&claims("user_1234"));
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let req = request(&[("authorization", &format!("{scheme}  {token} "))]);
            assert_eq!(user_id(hs256_auth().authenticate(&req)), "user_1234");
        }
    }

    #[test]
    fn jwt_without_authorization_is_missing() {
        assert_eq!(
            hs256_auth().authenticate(&request(&[])),
            Err(AuthError::Missing)
        );
    }

    #[test]
    fn jwt_with_other_scheme_or_empty_credential_is_invalid() {
        let token = hs256(&claims("user_1234"));
        invalid(hs256_auth().authenticate(&request(&[("authorization", &token)])));
        invalid(hs256_auth().authenticate(&request(&[("authorization", "Basic dXNlcjpwYXNz")])));
        invalid(hs256_auth().authenticate(&request(&[("authorization", "Bearer")])));
        invalid(hs256_auth().authenticate(&request(&[("authorization", "Bearer   ")])));
    }

    #[test]
    fn jwt_with_two_authorization_headers_is_invalid() {
        let token = hs256(&claims("user_1234"));
        let bearer = format!("Bearer {token}");
        let req = request(&[("authorization", &bearer), ("authorization", &bearer)]);
        invalid(hs256_auth().authenticate(&req));
    }

    #[test]
    fn expired_token_is_refused() {
        let token = hs256(&json!({"sub": "user_1234", "exp": now() - 120}));
        assert_eq!(
            invalid(hs256_auth().authenticate(&with_bearer(&token))),
            "token expired"
        );
    }

    #[test]
    fn token_expired_within_leeway_is_accepted() {
        let token = hs256(&json!({"sub": "user_1234", "exp": now() - 10}));
        assert_eq!(
            user_id(hs256_auth().authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }

    #[test]
    fn token_without_exp_is_refused() {
        let token = hs256(&json!({"sub": "user_1234"}));
        assert_eq!(
            invalid(hs256_auth().authenticate(&with_bearer(&token))),
            "the token has no exp claim"
        );
    }

    #[test]
    fn future_nbf_is_refused_and_nbf_within_leeway_accepted() {
        let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "nbf": now() + 120}));
        assert_eq!(
            invalid(hs256_auth().authenticate(&with_bearer(&token))),
            "token not valid yet (nbf)"
        );
        let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "nbf": now() + 10}));
        assert_eq!(
            user_id(hs256_auth().authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }

    fn checked_auth() -> CallerAuth {
        auth(&[
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_SECRET, SECRET),
            (VAR_JWT_ISSUER, "https://auth.example.com/"),
            (VAR_JWT_AUDIENCE, "api-a, api-b"),
        ])
    }

    #[test]
    fn issuer_and_audience_match_is_accepted() {
        for aud in [json!("api-b"), json!(["other", "api-a"])] {
            let token = hs256(&json!({
                "sub": "user_1234", "exp": now() + 600,
                "iss": "https://auth.example.com/", "aud": aud
            }));
            assert_eq!(
                user_id(checked_auth().authenticate(&with_bearer(&token))),
                "user_1234"
            );
        }
    }

    #[test]
    fn wrong_or_missing_issuer_is_refused() {
        let token = hs256(&json!({
            "sub": "user_1234", "exp": now() + 600, "iss": "https://evil.example/", "aud": "api-a"
        }));
        assert_eq!(
            invalid(checked_auth().authenticate(&with_bearer(&token))),
            "token issuer not accepted"
        );
        let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "aud": "api-a"}));
        assert_eq!(
            invalid(checked_auth().authenticate(&with_bearer(&token))),
            "the token has no iss claim"
        );
    }

    #[test]
    fn wrong_or_missing_audience_is_refused() {
        let token = hs256(&json!({
            "sub": "user_1234", "exp": now() + 600,
            "iss": "https://auth.example.com/", "aud": "api-c"
        }));
        assert_eq!(
            invalid(checked_auth().authenticate(&with_bearer(&token))),
            "token audience not accepted"
        );
        let token = hs256(&json!({
            "sub": "user_1234", "exp": now() + 600, "iss": "https://auth.example.com/"
        }));
        assert_eq!(
            invalid(checked_auth().authenticate(&with_bearer(&token))),
            "the token has no aud claim"
        );
    }

    #[test]
    fn audience_unconfigured_accepts_any_aud() {
        let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "aud": "whatever"}));
        assert_eq!(
            user_id(hs256_auth().authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }

    #[test]
    fn alg_none_token_is_refused() {
        let header = b64(&json!({"alg": "none", "typ": "JWT"}));
        let payload = b64(&claims("user_1234"));
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            invalid(hs256_auth().authenticate(&with_bearer(&token)));
            invalid(rs256_auth().authenticate(&with_bearer(&token)));
            invalid(jwks_auth().authenticate(&with_bearer(&token)));
        }
    }

    #[test]
    fn bad_signature_is_refused() {
        let token = hs256(&claims("user_1234"));
        let other = encode(
            &Header::new(Algorithm::HS256),
            &claims("user_1234"),
            &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!"),
        )
        .expect("signs");
        assert_eq!(
            invalid(hs256_auth().authenticate(&with_bearer(&other))),
            "bad token signature"
        );
        // Payload swapped under the original signature.
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = b64(&claims("admin_0001"));
        parts[1] = &forged;
        assert_eq!(
            invalid(hs256_auth().authenticate(&with_bearer(&parts.join(".")))),
            "bad token signature"
        );
    }

    #[test]
    fn rs256_token_presented_to_hs256_config_is_refused() {
        let token = rs256(&claims("user_1234"), None);
        assert_eq!(
            invalid(hs256_auth().authenticate(&with_bearer(&token))),
            "the token's algorithm is not the configured key's"
        );
    }

    #[test]
    fn identity_claim_missing_in_token_is_invalid() {
        let token = hs256(&json!({"exp": now() + 600, "email": "a@b.example"}));
        assert!(invalid(hs256_auth().authenticate(&with_bearer(&token))).contains("missing"));
        let token = hs256(&json!({"sub": null, "exp": now() + 600}));
        assert!(invalid(hs256_auth().authenticate(&with_bearer(&token))).contains("missing"));
    }

    #[test]
    fn identity_claim_not_a_string_is_invalid() {
        let token = hs256(&json!({"sub": 12345678, "exp": now() + 600}));
        assert!(invalid(hs256_auth().authenticate(&with_bearer(&token))).contains("not a string"));
    }

    #[test]
    fn identity_claim_not_a_valid_custom_user_id_is_invalid_identity() {
        let token = hs256(&claims("user 1234"));
        let err = hs256_auth()
            .authenticate(&with_bearer(&token))
            .expect_err("refused");
        assert!(matches!(
            err,
            AuthError::InvalidIdentity(InvalidUserId::Character { .. })
        ));
        assert!(!err.to_string().contains("user 1234"));
        let token = hs256(&claims("abc"));
        assert!(matches!(
            hs256_auth().authenticate(&with_bearer(&token)),
            Err(AuthError::InvalidIdentity(InvalidUserId::Length { len: 3 }))
        ));
    }

    #[test]
    fn custom_identity_claim_is_read_from_the_token() {
        let auth = auth(&[
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_SECRET, SECRET),
            (VAR_USER_ID_CLAIM, "customUserId"),
        ]);
        let token =
            hs256(&json!({"sub": "auth0|99", "customUserId": "user_77", "exp": now() + 600}));
        let Ok(Caller::User(user)) = auth.authenticate(&with_bearer(&token)) else {
            panic!("expected a user");
        };
        assert_eq!(user.user_id.as_str(), "user_77");
        assert_eq!(user.info.uid, "auth0|99");
    }

    #[test]
    fn oversized_token_is_refused_without_echo() {
        let token = "a".repeat(MAX_CREDENTIAL_BYTES + 1);
        let err = hs256_auth()
            .authenticate(&with_bearer(&token))
            .expect_err("refused");
        assert_eq!(err, AuthError::Invalid("credential larger than 8 KiB"));
        let huge = "a".repeat(100 * 1024);
        invalid(hs256_auth().authenticate(&with_bearer(&huge)));
    }

    #[test]
    fn garbage_token_is_malformed() {
        for token in ["abc", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30"] {
            let err = hs256_auth()
                .authenticate(&with_bearer(token))
                .expect_err("refused");
            assert!(matches!(err, AuthError::Invalid(_)), "{token}");
        }
    }

    // ---- jwt mode: RS256 / ES256 PEM ----

    #[test]
    fn rs256_valid_token_gives_user() {
        let token = rs256(&claims("user_1234"), Some("any-kid"));
        assert_eq!(
            user_id(rs256_auth().authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }

    #[test]
    fn rs256_public_key_with_literal_newlines_is_accepted() {
        let one_line = RSA_PUBLIC.trim().replace('\n', "\\n");
        let auth = auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, &one_line)]);
        let token = rs256(&claims("user_1234"), None);
        assert_eq!(
            user_id(auth.authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }

    #[test]
    fn rs256_expired_and_future_nbf_are_refused() {
        let token = rs256(&json!({"sub": "user_1234", "exp": now() - 120}), None);
        assert_eq!(
            invalid(rs256_auth().authenticate(&with_bearer(&token))),
            "token expired"
        );
        let token = rs256(
            &json!({"sub": "user_1234", "exp": now() + 600, "nbf": now() + 120}),
            None,
        );
        invalid(rs256_auth().authenticate(&with_bearer(&token)));
    }

    #[test]
    fn hs256_signed_with_the_rsa_public_key_as_secret_is_refused() {
        // The classic algorithm-confusion attack.
        for secret in [RSA_PUBLIC, RSA_PUBLIC.trim()] {
            let token = encode(
                &Header::new(Algorithm::HS256),
                &claims("user_1234"),
                &EncodingKey::from_secret(secret.as_bytes()),
            )
            .expect("signs");
            assert_eq!(
                invalid(rs256_auth().authenticate(&with_bearer(&token))),
                "the token's algorithm is not the configured key's"
            );
            invalid(jwks_auth().authenticate(&with_bearer(&token)));
        }
    }

    #[test]
    fn rs256_token_signed_by_another_key_is_refused() {
        let token = encode(
            &Header::new(Algorithm::RS256),
            &claims("user_1234"),
            &EncodingKey::from_rsa_pem(customauth_testkit::fixtures::keys::K4096_PKCS8.as_bytes())
                .expect("key"),
        )
        .expect("signs");
        assert_eq!(
            invalid(rs256_auth().authenticate(&with_bearer(&token))),
            "bad token signature"
        );
    }

    #[test]
    fn es256_valid_token_gives_user_and_rs256_is_refused() {
        let token = es256(&claims("user_1234"), None);
        assert_eq!(
            user_id(es256_auth().authenticate(&with_bearer(&token))),
            "user_1234"
        );
        let token = rs256(&claims("user_1234"), None);
        invalid(es256_auth().authenticate(&with_bearer(&token)));
        let token = es256(&claims("user_1234"), None);
        invalid(rs256_auth().authenticate(&with_bearer(&token)));
    }

    #[test]
    fn es256_expired_token_is_refused() {
        let token = es256(&json!({"sub": "user_1234", "exp": now() - 120}), None);
        assert_eq!(
            invalid(es256_auth().authenticate(&with_bearer(&token))),
            "token expired"
        );
    }

    #[test]
    fn pem_private_key_is_refused() {
        for private in [RSA_PRIVATE, EC_PRIVATE] {
            let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, private)]);
            assert!(matches!(
                err,
                ConfigError::Invalid {
                    var: VAR_JWT_PUBLIC_KEY,
                    ..
                }
            ));
            let msg = err.to_string();
            assert!(msg.contains("private key"), "{msg}");
            assert!(!msg.contains("MII"), "{msg}");
        }
    }

    #[test]
    fn pem_garbage_and_small_rsa_keys_are_refused() {
        // The public half of the 1024-bit fixture key, as PKCS#1.
        let small = crate::SigningKey::from_pem(LEGACY_1024).expect("1024-bit key parses");
        let small = pem_rfc7468::encode_string(
            "RSA PUBLIC KEY",
            pem_rfc7468::LineEnding::LF,
            small.public_key().as_der(),
        )
        .expect("encodes");
        for pem in [
            "garbage",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            &small,
        ] {
            let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, pem)]);
            assert!(
                matches!(
                    err,
                    ConfigError::Invalid {
                        var: VAR_JWT_PUBLIC_KEY,
                        ..
                    }
                ),
                "{err}"
            );
        }
        let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, &small)]);
        assert!(err.to_string().contains("1024-bit"), "{err}");
    }

    // ---- jwt mode: JWKS ----

    #[test]
    fn jwks_rs256_token_selected_by_kid_gives_user() {
        let token = rs256(&claims("user_1234"), Some("k2048"));
        assert_eq!(
            user_id(jwks_auth().authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }

    #[test]
    fn jwks_ec_key_without_alg_takes_es256_from_its_curve() {
        let token = es256(&claims("user_1234"), Some("es256"));
        assert_eq!(
            user_id(jwks_auth().authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }

    #[test]
    fn jwks_token_with_wrong_or_unknown_kid_is_refused() {
        // Signed by the RSA key but naming the EC key: algorithm mismatch.
        let token = rs256(&claims("user_1234"), Some("es256"));
        invalid(jwks_auth().authenticate(&with_bearer(&token)));
        let token = rs256(&claims("user_1234"), Some("k-unknown"));
        assert_eq!(
            invalid(jwks_auth().authenticate(&with_bearer(&token))),
            "the token's kid is not in the key set"
        );
    }

    #[test]
    fn jwks_token_without_kid_needs_a_single_key_set() {
        let token = rs256(&claims("user_1234"), None);
        invalid(jwks_auth().authenticate(&with_bearer(&token)));

        let mut set: Value = serde_json::from_str(JWKS).expect("fixture");
        set["keys"].as_array_mut().expect("keys").truncate(1);
        let one = auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &set.to_string())]);
        assert_eq!(user_id(one.authenticate(&with_bearer(&token))), "user_1234");
    }

    #[test]
    fn jwks_expired_wrong_aud_and_bad_signature_are_refused() {
        let token = rs256(
            &json!({"sub": "user_1234", "exp": now() - 120}),
            Some("k2048"),
        );
        assert_eq!(
            invalid(jwks_auth().authenticate(&with_bearer(&token))),
            "token expired"
        );

        let auth = auth(&[
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_JWKS, JWKS),
            (VAR_JWT_AUDIENCE, "customauth-api"),
        ]);
        let token = rs256(
            &json!({"sub": "user_1234", "exp": now() + 600, "aud": "other-api"}),
            Some("k2048"),
        );
        assert_eq!(
            invalid(auth.authenticate(&with_bearer(&token))),
            "token audience not accepted"
        );

        let token = rs256(&claims("user_1234"), Some("k2048"));
        let tampered = format!("{}x", &token[..token.len() - 1]);
        invalid(jwks_auth().authenticate(&with_bearer(&tampered)));
    }

    fn jwks_err(doc: &Value) -> String {
        let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &doc.to_string())]);
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    var: VAR_JWT_JWKS,
                    ..
                }
            ),
            "{err}"
        );
        err.to_string()
    }

    fn fixture_keys() -> Vec<Value> {
        let set: Value = serde_json::from_str(JWKS).expect("fixture");
        set["keys"].as_array().expect("keys").clone()
    }

    #[test]
    fn jwks_invalid_documents_are_refused() {
        let [rsa, ec] = <[Value; 2]>::try_from(fixture_keys()).expect("two keys");
        assert!(jwks_err(&json!("not a set")).contains("not a JWKS"));
        assert!(jwks_err(&json!({"keys": []})).contains("no signature"));
        let msg = jwks_err(&json!({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}));
        assert!(msg.contains("symmetric"), "{msg}");
        let mut dup = ec.clone();
        dup["kid"] = json!("k2048");
        assert!(jwks_err(&json!({"keys": [rsa.clone(), dup]})).contains("twice"));
        let mut no_kid = ec.clone();
        no_kid.as_object_mut().expect("object").remove("kid");
        assert!(jwks_err(&json!({"keys": [rsa.clone(), no_kid]})).contains("kid"));
        let mut wrong_alg = ec.clone();
        wrong_alg["alg"] = json!("RS256");
        assert!(jwks_err(&json!({"keys": [wrong_alg]})).contains("does not fit"));
        let mut off_curve = ec.clone();
        off_curve["y"] = off_curve["x"].clone();
        assert!(jwks_err(&json!({"keys": [off_curve]})).contains("curve"));
        let mut hs = rsa.clone();
        hs["alg"] = json!("HS256");
        assert!(jwks_err(&json!({"keys": [hs]})).contains("symmetric"));
    }

    #[test]
    fn jwks_encryption_keys_are_skipped() {
        let [rsa, ec] = <[Value; 2]>::try_from(fixture_keys()).expect("two keys");
        let mut enc = rsa.clone();
        enc["use"] = json!("enc");
        enc["kid"] = json!("enc-1");
        let mut oaep = rsa;
        oaep["alg"] = json!("RSA-OAEP");
        oaep["kid"] = json!("enc-2");
        oaep.as_object_mut().expect("object").remove("use");
        let doc = json!({"keys": [enc, oaep, ec]}).to_string();
        let auth = auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &doc)]);
        let token = rs256(&claims("user_1234"), Some("enc-1"));
        invalid(auth.authenticate(&with_bearer(&token)));
        // One usable key left: a kid-less token may use it.
        let token = es256(&claims("user_1234"), None);
        assert_eq!(
            user_id(auth.authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }

    // ---- jwt mode: configuration ----

    #[test]
    fn jwt_without_key_is_missing_naming_the_three_variables() {
        let err = config_err(&[(VAR_CALLER_AUTH, "jwt")]);
        assert!(matches!(err, ConfigError::Missing { .. }));
        let msg = err.to_string();
        for var in [VAR_JWT_SECRET, VAR_JWT_PUBLIC_KEY, VAR_JWT_JWKS] {
            assert!(msg.contains(var), "{msg}");
        }
    }

    #[test]
    fn jwt_with_two_keys_is_a_conflict() {
        let err = config_err(&[
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_SECRET, SECRET),
            (VAR_JWT_JWKS, JWKS),
        ]);
        let ConfigError::Conflict(msg) = &err else {
            panic!("expected a conflict, got {err:?}");
        };
        assert!(
            msg.contains(VAR_JWT_SECRET) && msg.contains(VAR_JWT_JWKS),
            "{msg}"
        );
        assert!(!msg.contains(SECRET), "{msg}");
    }

    #[test]
    fn short_hs256_secret_is_refused_without_echo() {
        let short = "only-31-bytes-long-secret-12345";
        assert_eq!(short.len(), 31);
        let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_SECRET, short)]);
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: VAR_JWT_SECRET,
                ..
            }
        ));
        assert!(!err.to_string().contains(short));
    }

    #[test]
    fn blank_audience_list_is_refused() {
        let err = config_err(&[
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_SECRET, SECRET),
            (VAR_JWT_AUDIENCE, " , "),
        ]);
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: VAR_JWT_AUDIENCE,
                ..
            }
        ));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let text = format!("{:?}", hs256_auth());
        assert!(!text.contains(SECRET) && text.contains("HS256"), "{text}");
        let keys = auth(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, API_KEY)]);
        let text = format!("{keys:?}");
        assert!(!text.contains(API_KEY), "{text}");
        let text = format!("{:?}", jwks_auth());
        assert!(text.contains("k2048") && text.contains("ES256"), "{text}");
    }

    // ---- api-key mode ----

    fn api_key_auth() -> CallerAuth {
        auth(&[
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, &format!(" other-key-0000000000 , {API_KEY} ")),
        ])
    }

    #[test]
    fn api_key_as_bearer_is_backend() {
        let auth = api_key_auth();
        assert_eq!(
            auth.authenticate(&with_bearer(API_KEY)),
            Ok(Caller::Backend)
        );
        assert_eq!(auth.authenticate(&event(V2_API_KEY)), Ok(Caller::Backend));
        assert_eq!(auth.authenticate(&event(ALB_CREATE)), Ok(Caller::Backend));
        assert_eq!(
            auth.authenticate(&with_bearer("other-key-0000000000")),
            Ok(Caller::Backend)
        );
    }

    #[test]
    fn api_key_as_x_api_key_is_backend() {
        let req = request(&[("x-api-key", API_KEY)]);
        assert_eq!(api_key_auth().authenticate(&req), Ok(Caller::Backend));
        // X-Api-Key is read first: an Authorization header for someone else
        // does not matter.
        let req = request(&[("x-api-key", API_KEY), ("authorization", "Bearer user-jwt")]);
        assert_eq!(api_key_auth().authenticate(&req), Ok(Caller::Backend));
    }

    #[test]
    fn wrong_api_key_is_refused() {
        let auth = api_key_auth();
        for key in ["dev-key-3f9c1a7e5b2d4087", "dev-key-3f9c1a7e5b2d408", "x"] {
            assert_eq!(
                auth.authenticate(&with_bearer(key)),
                Err(AuthError::Invalid("API key not accepted"))
            );
            invalid(auth.authenticate(&request(&[("x-api-key", key)])));
        }
        // A wrong X-Api-Key is not rescued by a right Bearer key.
        let req = request(&[
            ("x-api-key", "wrong-key-000000000"),
            ("authorization", &format!("Bearer {API_KEY}")),
        ]);
        invalid(auth.authenticate(&req));
    }

    #[test]
    fn api_key_missing_or_empty_is_refused() {
        let auth = api_key_auth();
        assert_eq!(auth.authenticate(&request(&[])), Err(AuthError::Missing));
        assert_eq!(
            auth.authenticate(&event(V2_NO_AUTH)),
            Err(AuthError::Missing)
        );
        invalid(auth.authenticate(&request(&[("x-api-key", " ")])));
        invalid(auth.authenticate(&request(&[("x-api-key", API_KEY), ("x-api-key", API_KEY)])));
        // The REST fixture's opaque session token is not a key.
        invalid(auth.authenticate(&event(V1_LAMBDA)));
    }

    #[test]
    fn api_key_mode_ignores_gateway_identity() {
        assert_eq!(
            api_key_auth().authenticate(&event(V2_JWT)),
            Err(AuthError::Invalid("API key not accepted"))
        );
    }

    #[test]
    fn short_api_key_is_refused_at_config_without_echo() {
        let err = config_err(&[
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, &format!("{API_KEY},short-key-123")),
        ]);
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: VAR_API_KEYS,
                ..
            }
        ));
        let msg = err.to_string();
        assert!(msg.contains("entry 2") && msg.contains("16"), "{msg}");
        assert!(
            !msg.contains("short-key-123") && !msg.contains(API_KEY),
            "{msg}"
        );
    }

    #[test]
    fn empty_or_unsendable_api_key_entries_are_refused() {
        for list in [
            format!("{API_KEY},"),
            format!(",{API_KEY}"),
            format!("{API_KEY}, ,{API_KEY}"),
            "key with spaces in it!".to_owned(),
            "ключ-ключ-ключ-ключ".to_owned(),
        ] {
            let err = config_err(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, &list)]);
            assert!(
                matches!(
                    err,
                    ConfigError::Invalid {
                        var: VAR_API_KEYS,
                        ..
                    }
                ),
                "{list}"
            );
        }
    }

    #[test]
    fn api_key_mode_without_keys_is_missing() {
        let err = config_err(&[(VAR_CALLER_AUTH, "api-key")]);
        assert!(matches!(
            err,
            ConfigError::Missing {
                var: VAR_API_KEYS,
                ..
            }
        ));
    }

    #[test]
    fn auth_errors_never_contain_the_credential() {
        let token = hs256(&json!({"sub": "user_1234", "exp": now() - 120}));
        let err = hs256_auth()
            .authenticate(&with_bearer(&token))
            .expect_err("expired");
        assert!(!err.to_string().contains(&token));
        let err = api_key_auth()
            .authenticate(&with_bearer("wrong-key-000000000"))
            .expect_err("wrong");
        assert!(!err.to_string().contains("wrong-key"));
    }

    #[test]
    fn unsigned_bits_counts_from_the_first_set_bit() {
        assert_eq!(unsigned_bits(&[]), 0);
        assert_eq!(unsigned_bits(&[0, 0]), 0);
        assert_eq!(unsigned_bits(&[0, 1]), 1);
        assert_eq!(unsigned_bits(&[0x80, 0]), 16);
        assert_eq!(unsigned_bits(&[0, 0x7f, 0xff]), 15);
    }
}
