//! createTicket: `POST`, signs a ticket for the verified caller.

use customauth_core::config::ConfigError;
use customauth_core::credentials;
use customauth_core::env::Setting;
use customauth_core::env::var;
use customauth_core::ticket::LIMIT_SETTINGS;
use customauth_core::ticket::{Limits, MAX_SAFE_INTEGER, TicketOptions};
use customauth_core::user_id::CustomUserId;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, RequestId, json_body, json_response, present};
use crate::client_ip::{self, TrustedProxies};
use crate::function::Function;
use crate::identity::{self, Caller, CallerAuth, CallerAuthMode, VAR_CALLER_AUTH};
use crate::layer::{ClientIp, IdentityLayer};
use crate::log_queue::{AUDIT_TARGET, audit_slot};
use crate::signer::{self, SignerHandle};

/// createTicket: `POST`, signs a ticket for the verified caller.
#[derive(Debug)]
pub struct CreateTicket {
    signer: SignerHandle,
    limits: Limits,
    identity: IdentityLayer,
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
            limits,
            identity: IdentityLayer::new(auth, proxies),
        }
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

impl Function for CreateTicket {
    const NAME: &'static str = "create-ticket";
    const ABOUT: &'static str = "createTicket: POST {\"customUserId\"?, \"refresh\"?, \"expire\"?} -> \
                                 {\"ticket\", ...} for the verified caller";
    const METHODS: &'static [Method] = &[Method::POST];
    const ALLOW: &'static str = "POST";
    const SETTINGS: &'static [&'static [Setting]] = &[
        credentials::SETTINGS,
        identity::SETTINGS,
        identity::API_KEY_SETTINGS,
        LIMIT_SETTINGS,
        client_ip::SETTINGS,
    ];

    /// Reads the configuration and loads the key, once.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable at fault, or the credentials
    /// error (source down, malformed, env mismatch).
    async fn from_env(env: &(impl Fn(&str) -> Option<String> + Sync)) -> Result<Self, ConfigError> {
        let Some(mode) = var(env, VAR_CALLER_AUTH) else {
            // CallerAuthMode's own hint lists the two CloudBase modes, which
            // only get-user-info takes.
            return Err(ConfigError::Missing {
                var: VAR_CALLER_AUTH,
                hint: "set it to jwt, gateway, api-key or none (there is no default)",
            });
        };
        if let Ok(mode @ (CallerAuthMode::CloudBase | CallerAuthMode::CloudBaseContext)) =
            mode.parse()
        {
            return Err(ConfigError::Conflict(format!(
                "create-ticket does not take CUSTOMAUTH_CALLER_AUTH={mode}: a caller signed in to \
                 CloudBase already holds its login, and a ticket must name a customUserId your \
                 backend proved; use jwt, gateway or api-key"
            )));
        }
        let auth = CallerAuth::from_env_and_secret(env).await?;
        let limits = Limits::from_env(env)?;
        let proxies = TrustedProxies::from_env(env)?;
        let signer = signer::from_env(env).await?;
        Ok(Self::new(signer, auth, limits, proxies))
    }

    fn identity(&self) -> IdentityLayer {
        self.identity.clone()
    }

    async fn call(&self, req: Request) -> Result<Response<Body>, ApiError> {
        let caller = req
            .extensions()
            .get::<Caller>()
            .ok_or_else(|| ApiError::Unauthorized("no caller credentials".into()))?;
        let body: CreateTicketRequest = json_body(&req)?;
        let named = body
            .custom_user_id
            .as_deref()
            .map(CustomUserId::parse)
            .transpose()?;
        let uid = match caller {
            Caller::User(user) => match named {
                Some(named) if named != user.user_id => {
                    return Err(ApiError::Forbidden(
                        "customUserId must be the caller's own identity".into(),
                    ));
                }
                _ => user.user_id.clone(),
            },
            Caller::CloudBase(_) => {
                return Err(ApiError::Forbidden(
                    "a CloudBase login without a customUserId cannot ask for a ticket".into(),
                ));
            }
            Caller::Backend | Caller::Anonymous => named.ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_CUSTOM_USER_ID",
                    "customUserId is required in this caller-auth mode",
                )
            })?,
        };
        let options = TicketOptions {
            refresh: integer_field(body.refresh, "refresh")?,
            expire: integer_field(body.expire, "expire")?,
        };
        // Room for the audit line first: a ticket is never signed without
        // one, nor made to wait for a stalled log sink.
        let Some(_audit) = audit_slot() else {
            return Err(ApiError::Unavailable(
                "the audit log is not keeping up; try again shortly".into(),
            ));
        };
        let signer = self.signer.current();
        let ticket = signer.sign_within(&uid, options, &self.limits, customauth_core::now_ms())?;
        let claims = ticket.claims();
        let ip = ClientIp::text_of(req.extensions());
        let request_id = req.extensions().get::<RequestId>().map_or("", |id| &id.0);
        tracing::info!(
            target: AUDIT_TARGET,
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
