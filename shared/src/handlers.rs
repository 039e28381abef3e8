//! The three HTTP functions: createTicket, getUserInfo and getClientIP.
//!
//! Each has a state built once at cold start (`from_env`) and an infallible
//! `handle(&self, request)`: every outcome, failures included, is a response.
//! The binaries in `functions/` only set up tracing, build the state and
//! serve it.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::client_ip::{TrustedProxies, client_ip};
use crate::config::{ConfigError, var};
use crate::http::{ApiError, check_method, json_body, json_response, present, request_id};
use crate::identity::{AuthError, Caller, CallerAuth, CallerAuthMode, UserInfo, VAR_API_KEYS};
use crate::ticket::{
    DEFAULT_EXPIRE_AFTER_MS, DEFAULT_REFRESH_MS, MAX_SAFE_INTEGER, TicketError, TicketOptions,
    now_ms,
};
use crate::user_id::CustomUserId;

/// Ceiling on `refresh` a caller may ask for.
pub const VAR_MAX_REFRESH_MS: &str = "CUSTOMAUTH_MAX_REFRESH_MS";
/// Ceiling on `expire - now` a caller may ask for.
pub const VAR_MAX_EXPIRE_MS: &str = "CUSTOMAUTH_MAX_EXPIRE_MS";

/// What a caller may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `refresh`, in ms. Defaults to one day (86400000).
    pub max_refresh_ms: u64,
    /// Largest `expire - now`, in ms. Defaults to 30 days (2592000000).
    pub max_expire_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_refresh_ms: 86_400_000,
            max_expire_ms: 30 * 86_400_000,
        }
    }
}

impl Limits {
    /// Reads `CUSTOMAUTH_MAX_REFRESH_MS` and `CUSTOMAUTH_MAX_EXPIRE_MS`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable when it is not a positive
    /// integer of at most 2^53 - 1.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &'static str, default: u64| match var(env, name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=MAX_SAFE_INTEGER).contains(n))
                .ok_or(ConfigError::Invalid {
                    var: name,
                    reason: "must be a positive integer of milliseconds".into(),
                }),
        };
        let d = Self::default();
        Ok(Self {
            max_refresh_ms: read(VAR_MAX_REFRESH_MS, d.max_refresh_ms)?,
            max_expire_ms: read(VAR_MAX_EXPIRE_MS, d.max_expire_ms)?,
        })
    }

    /// The options to sign with at `now`: the caller's values, checked
    /// against the ceilings (never clamped), or the SDK's defaults (one hour,
    /// seven days) lowered to the ceilings when those are lower.
    ///
    /// # Errors
    /// A 400 `INVALID_OPTIONS` naming the field and the ceiling.
    pub fn options(
        &self,
        refresh: Option<u64>,
        expire: Option<u64>,
        now: u64,
    ) -> Result<TicketOptions, ApiError> {
        let invalid = |m: String| ApiError::bad_request("INVALID_OPTIONS", m);
        let refresh = match refresh {
            Some(0) => {
                return Err(invalid(
                    "refresh must be a positive integer of milliseconds".into(),
                ));
            }
            Some(r) if r > self.max_refresh_ms => {
                return Err(invalid(format!(
                    "refresh must be at most {} ms",
                    self.max_refresh_ms
                )));
            }
            Some(r) => r,
            None => DEFAULT_REFRESH_MS.min(self.max_refresh_ms),
        };
        let expire = match expire {
            Some(e) if e <= now => {
                return Err(invalid(format!(
                    "expire must be later than now ({now}), in milliseconds since the epoch"
                )));
            }
            Some(e) if e - now > self.max_expire_ms => {
                return Err(invalid(format!(
                    "expire must be at most {} ms from now",
                    self.max_expire_ms
                )));
            }
            Some(e) => e,
            None => now + DEFAULT_EXPIRE_AFTER_MS.min(self.max_expire_ms),
        };
        Ok(TicketOptions {
            refresh: Some(refresh),
            expire: Some(expire),
        })
    }
}

fn auth_error(e: &AuthError) -> ApiError {
    ApiError::Unauthorized(e.to_string())
}

/// A JSON integer field: present, a non-negative integer within 2^53 - 1.
fn integer_field(value: Option<serde_json::Number>, name: &str) -> Result<Option<u64>, ApiError> {
    match value {
        None => Ok(None),
        Some(n) => n
            .as_u64()
            .filter(|v| *v <= MAX_SAFE_INTEGER)
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_OPTIONS",
                    format!("{name} must be a positive integer of milliseconds, at most 2^53 - 1"),
                )
            }),
    }
}

/// createTicket's request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateTicketRequest {
    #[serde(default, deserialize_with = "present")]
    custom_user_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    refresh: Option<serde_json::Number>,
    #[serde(default, deserialize_with = "present")]
    expire: Option<serde_json::Number>,
}

/// createTicket's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateTicketResponse<'a> {
    ticket: &'a str,
    custom_user_id: &'a str,
    refresh: u64,
    expire: u64,
}

#[cfg(feature = "aws")]
pub use create_ticket::CreateTicket;

#[cfg(feature = "aws")]
mod create_ticket {
    use super::*;
    use crate::aws::{AwsFetchSettings, SignerHandle, fetch_secret_string};
    use crate::credentials::{CredentialsSource, VAR_ENV};

    /// Secrets Manager secret holding the API keys (comma-separated), an
    /// alternative to `CUSTOMAUTH_API_KEYS` that keeps them out of the
    /// function's configuration.
    pub const VAR_API_KEYS_SECRET_ID: &str = "CUSTOMAUTH_API_KEYS_SECRET_ID";

    /// The caller check, with API keys fetched from Secrets Manager when
    /// `CUSTOMAUTH_API_KEYS_SECRET_ID` names them.
    async fn caller_auth_from_env(
        env: &(impl Fn(&str) -> Option<String> + Sync),
        settings: &AwsFetchSettings,
    ) -> Result<CallerAuth, ConfigError> {
        let Some(secret_id) = var(env, VAR_API_KEYS_SECRET_ID) else {
            return CallerAuth::from_env(env);
        };
        if var(env, VAR_API_KEYS).is_some() {
            return Err(ConfigError::Conflict(format!(
                "{VAR_API_KEYS} and {VAR_API_KEYS_SECRET_ID} are both set; set one"
            )));
        }
        let keys = fetch_secret_string(&secret_id, settings).await?;
        let with_keys = |k: &str| {
            if k == VAR_API_KEYS {
                Some(keys.to_string())
            } else {
                env(k)
            }
        };
        CallerAuth::from_env(&with_keys)
    }

    /// createTicket: `POST`, signs a ticket for the verified caller.
    #[derive(Debug)]
    pub struct CreateTicket {
        signer: SignerHandle,
        auth: CallerAuth,
        limits: Limits,
        proxies: TrustedProxies,
    }

    impl CreateTicket {
        /// The state from its parts.
        pub fn new(
            signer: SignerHandle,
            auth: CallerAuth,
            limits: Limits,
            proxies: TrustedProxies,
        ) -> Self {
            Self {
                signer,
                auth,
                limits,
                proxies,
            }
        }

        /// Reads the configuration and loads the key, once.
        ///
        /// # Errors
        /// [`ConfigError`] naming the variable at fault, or the credentials
        /// error (source down, malformed, env mismatch).
        pub async fn from_env(
            env: &(impl Fn(&str) -> Option<String> + Sync),
        ) -> Result<Self, ConfigError> {
            let settings = AwsFetchSettings::from_env(env)?;
            let auth = caller_auth_from_env(env, &settings).await?;
            let limits = Limits::from_env(env)?;
            let proxies = TrustedProxies::from_env(env)?;
            let source = CredentialsSource::from_env(env)?;
            let expected_env = var(env, VAR_ENV);
            let signer = SignerHandle::load(&source, expected_env.as_deref(), &settings).await?;
            Ok(Self::new(signer, auth, limits, proxies))
        }

        /// Answers one request.
        pub async fn handle(&self, req: Request) -> Response<Body> {
            let request_id = request_id(&req);
            match self.create(&req, &request_id) {
                Ok(response) => response,
                Err(e) => e.into_response(&request_id),
            }
        }

        fn create(&self, req: &Request, request_id: &str) -> Result<Response<Body>, ApiError> {
            check_method(req, &[Method::POST], "POST")?;
            let caller = self.auth.authenticate(req).map_err(|e| auth_error(&e))?;
            let body: CreateTicketRequest = json_body(req)?;
            let named = body
                .custom_user_id
                .as_deref()
                .map(|s| {
                    CustomUserId::parse(s)
                        .map_err(|e| ApiError::bad_request("INVALID_CUSTOM_USER_ID", e.to_string()))
                })
                .transpose()?;
            let uid = match caller {
                Caller::User(user) => match named {
                    Some(named) if named != user.user_id => {
                        return Err(ApiError::Forbidden(
                            "customUserId must be the caller's own identity".into(),
                        ));
                    }
                    _ => user.user_id,
                },
                Caller::Backend | Caller::Anonymous => named.ok_or_else(|| {
                    ApiError::bad_request(
                        "INVALID_CUSTOM_USER_ID",
                        "customUserId is required in this caller-auth mode",
                    )
                })?,
            };
            let now = now_ms();
            let options = self.limits.options(
                integer_field(body.refresh, "refresh")?,
                integer_field(body.expire, "expire")?,
                now,
            )?;
            let signer = self.signer.current();
            let ticket = signer.sign(&uid, options, now).map_err(|e| match e {
                TicketError::InvalidOptions(e) => {
                    ApiError::bad_request("INVALID_OPTIONS", e.to_string())
                }
                TicketError::Sign(e) => {
                    tracing::error!(request_id, error = %e, "signing failed");
                    ApiError::Internal
                }
            })?;
            let claims = ticket.claims();
            let ip = client_ip(req, &self.proxies)
                .map(|ip| ip.to_string())
                .unwrap_or_default();
            tracing::info!(
                target: "customauth::audit",
                event = "ticket_issued",
                request_id,
                custom_user_id = %uid,
                client_ip = %ip,
                key_id = signer.key_id(),
                expire = claims.expire,
                refresh = claims.refresh,
                exp = claims.exp,
                "ticket issued"
            );
            Ok(json_response(
                StatusCode::OK,
                &CreateTicketResponse {
                    ticket: ticket.as_str(),
                    custom_user_id: uid.as_str(),
                    refresh: claims.refresh,
                    expire: claims.expire,
                },
            ))
        }
    }
}

/// getUserInfo: `GET` or `POST`, the verified caller in the SDK's shape.
#[derive(Debug)]
pub struct GetUserInfo {
    auth: CallerAuth,
}

impl GetUserInfo {
    /// The state from a caller check.
    ///
    /// # Errors
    /// [`ConfigError::Conflict`] for `api-key` mode, which verifies a backend,
    /// not a user.
    pub fn new(auth: CallerAuth) -> Result<Self, ConfigError> {
        if auth.mode() == CallerAuthMode::ApiKey {
            return Err(ConfigError::Conflict(
                "get-user-info needs CUSTOMAUTH_CALLER_AUTH=gateway or jwt: an API key names a backend, not a user".into(),
            ));
        }
        Ok(Self { auth })
    }

    /// Reads the caller-auth settings, once.
    ///
    /// # Errors
    /// As [`CallerAuth::from_env`] and [`GetUserInfo::new`].
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::new(CallerAuth::from_env(env)?)
    }

    /// Answers one request.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let request_id = request_id(&req);
        let result = check_method(&req, &[Method::GET, Method::POST], "GET, POST")
            .and_then(|()| self.auth.authenticate(&req).map_err(|e| auth_error(&e)))
            .and_then(|caller| match caller {
                Caller::User(user) => Ok(user.info),
                Caller::Anonymous => Ok(UserInfo {
                    open_id: String::new(),
                    app_id: String::new(),
                    uid: String::new(),
                    custom_user_id: String::new(),
                    is_anonymous: true,
                }),
                Caller::Backend => Err(ApiError::Unauthorized("no user identity".into())),
            });
        match result {
            Ok(info) => json_response(StatusCode::OK, &info),
            Err(e) => e.into_response(&request_id),
        }
    }
}

/// getClientIP: `GET` or `POST`, `{"ip": "..."}`, `""` when unknown.
#[derive(Debug)]
pub struct GetClientIp {
    proxies: TrustedProxies,
}

#[derive(Serialize)]
struct ClientIpResponse {
    ip: String,
}

impl GetClientIp {
    /// The state from the trusted proxies.
    pub fn new(proxies: TrustedProxies) -> Self {
        Self { proxies }
    }

    /// Reads `CUSTOMAUTH_TRUSTED_PROXIES`, once.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for an entry that is not a CIDR or address.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self::new(TrustedProxies::from_env(env)?))
    }

    /// Answers one request.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let request_id = request_id(&req);
        match check_method(&req, &[Method::GET, Method::POST], "GET, POST") {
            Ok(()) => {
                let ip = client_ip(&req, &self.proxies)
                    .map(|ip| ip.to_string())
                    .unwrap_or_default();
                json_response(StatusCode::OK, &ClientIpResponse { ip })
            }
            Err(e) => e.into_response(&request_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_to_one_day_and_thirty_days() {
        let l = Limits::from_env(&|_| None).expect("defaults");
        assert_eq!(l, Limits::default());
        assert_eq!(l.max_refresh_ms, 86_400_000);
        assert_eq!(l.max_expire_ms, 2_592_000_000);
    }

    #[test]
    fn limits_refuse_garbage_naming_the_variable() {
        for v in ["0", "-5", "abc", "1.5", "9007199254740992"] {
            let env = move |k: &str| (k == VAR_MAX_EXPIRE_MS).then(|| v.to_owned());
            let e = Limits::from_env(&env).unwrap_err().to_string();
            assert!(e.contains(VAR_MAX_EXPIRE_MS), "{v}: {e}");
        }
    }

    #[test]
    fn options_above_ceilings_are_refused_not_clamped() {
        let l = Limits {
            max_refresh_ms: 1000,
            max_expire_ms: 5000,
        };
        assert!(l.options(Some(1001), None, 10).is_err());
        assert!(l.options(None, Some(10 + 5001), 10).is_err());
        assert!(l.options(None, Some(10), 10).is_err());
        assert!(l.options(Some(0), None, 10).is_err());
        let ok = l
            .options(Some(1000), Some(5010), 10)
            .expect("at the ceilings");
        assert_eq!((ok.refresh, ok.expire), (Some(1000), Some(5010)));
    }

    #[test]
    fn defaults_are_the_sdks_unless_ceilings_are_lower() {
        let o = Limits::default().options(None, None, 10).expect("defaults");
        assert_eq!(
            (o.refresh, o.expire),
            (Some(3_600_000), Some(10 + 604_800_000))
        );
        let low = Limits {
            max_refresh_ms: 60_000,
            max_expire_ms: 86_400_000,
        };
        let o = low.options(None, None, 10).expect("defaults");
        assert_eq!((o.refresh, o.expire), (Some(60_000), Some(10 + 86_400_000)));
    }
}
