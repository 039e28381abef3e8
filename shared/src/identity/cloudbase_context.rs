//! `cloudbase-context` mode: the caller as the CloudBase gateway describes it
//! to an HTTP cloud function, in the `X-Cloudbase-Context` request header.
//!
//! The official functions framework (`@cloudbase/functions-framework`,
//! started with `--extendedContextKey=X-Cloudbase-Context`) reads that header
//! as base64, then gzip, then JSON (`TcbExtendedContext`: `envId`, `userId`,
//! `userType`, `authMethod`, `wechatContext`, ...). This mode reads it the
//! same way, with no network call. Anyone can send the header, and whether
//! the gateway strips a client-sent one is not documented, so it is believed
//! only from a TCP peer inside `CUSTOMAUTH_TRUSTED_PROXIES` (the gateway's
//! range): the mode refuses to start without that list, and refuses to start
//! on Lambda (an API Gateway, function URL or ALB event has no gateway
//! peer to check). A request through anything else (another trigger, the
//! container port) is 401.
//!
//! Accepted: a context of the configured environment (`envId` equal to
//! `CUSTOMAUTH_CLOUDBASE_ENV`) for an end user (`userType` `C_SIDE_USER`),
//! with a `userId` or a WeChat caller's `wechatContext.openId`. Refused: no
//! header, an unauthenticated context (`userType` `NONE`, whatever else it
//! carries), an administrator (`B_SIDE_USER`: a console account, not an app
//! user), any other or missing `userType`, another environment, and anything
//! that does not decode. The context carries the uid but not the
//! customUserId, so the caller is [`Caller::CloudBase`] with `customUserId`
//! empty.

use std::io::Read as _;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use customauth_core::config::ConfigError;
use customauth_core::env::var;
use flate2::read::GzDecoder;
use lambda_http::http::{Extensions, HeaderMap};
use lambda_http::request::RequestContext;
use serde::Deserialize;

use super::caller::{AuthError, Caller, UserInfo};
use crate::client_ip::{PeerAddr, TrustedProxies, VAR_TRUSTED_PROXIES};
use crate::server::VAR_RUNTIME_API;

/// The request header the gateway puts the context in.
pub const CLOUDBASE_CONTEXT_HEADER: &str = "x-cloudbase-context";
/// Largest header value looked at, in bytes (base64).
pub const MAX_CONTEXT_HEADER_BYTES: usize = 16 * 1024;
/// Largest context accepted once unzipped, in bytes.
pub const MAX_CONTEXT_JSON_BYTES: usize = 64 * 1024;

/// The fields of the context that say who is calling.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Context {
    #[serde(default)]
    env_id: String,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    user_type: Option<String>,
    #[serde(default)]
    wechat_context: Option<WechatContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WechatContext {
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    open_id: Option<String>,
}

/// The mode's settings: the environment, and the gateway's addresses.
#[derive(Debug)]
pub(super) struct ContextReader {
    env: String,
    gateway: TrustedProxies,
}

impl ContextReader {
    /// Reads `CUSTOMAUTH_CLOUDBASE_ENV` and `CUSTOMAUTH_TRUSTED_PROXIES`.
    ///
    /// # Errors
    /// [`ConfigError::Conflict`] on Lambda (`AWS_LAMBDA_RUNTIME_API` set);
    /// [`ConfigError::Missing`] naming `CUSTOMAUTH_TRUSTED_PROXIES` when it
    /// lists nobody; those of [`super::cloudbase::Settings::env_id`] and
    /// [`TrustedProxies::from_env`].
    pub(super) fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env_id = super::cloudbase::Settings::env_id(env)?;
        if var(env, VAR_RUNTIME_API).is_some() {
            return Err(ConfigError::Conflict(format!(
                "CUSTOMAUTH_CALLER_AUTH=cloudbase-context reads the CloudBase gateway's \
                 X-Cloudbase-Context header, which any client can send through a Lambda \
                 trigger ({VAR_RUNTIME_API} is set): on Lambda use jwt, gateway or cloudbase"
            )));
        }
        let gateway = TrustedProxies::from_env(env)?;
        if gateway.is_empty() {
            return Err(ConfigError::Missing {
                var: VAR_TRUSTED_PROXIES,
                hint: "cloudbase-context believes X-Cloudbase-Context only from the CloudBase \
                       gateway: list the addresses it connects from. To find them, deploy \
                       get-client-ip as the same kind of HTTP function with no \
                       CUSTOMAUTH_TRUSTED_PROXIES and call it through the gateway: it answers \
                       the gateway's address (or ask Tencent Cloud support for the range)",
            });
        }
        Ok(Self {
            env: env_id,
            gateway,
        })
    }

    /// The caller the context in `headers` describes, when the request came
    /// from the gateway (its [`PeerAddr`] in `extensions` is inside
    /// `CUSTOMAUTH_TRUSTED_PROXIES`).
    pub(super) fn read(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Result<Caller, AuthError> {
        let from_gateway = extensions.get::<RequestContext>().is_none()
            && extensions
                .get::<PeerAddr>()
                .is_some_and(|peer| self.gateway.contains(peer.0.ip()));
        if !from_gateway {
            return Err(AuthError::Invalid(
                "X-Cloudbase-Context is believed only from the CloudBase gateway",
            ));
        }
        let mut values = headers.get_all(CLOUDBASE_CONTEXT_HEADER).iter();
        let value = values.next().ok_or(AuthError::Missing)?;
        if values.next().is_some() {
            return Err(AuthError::Invalid(
                "more than one X-Cloudbase-Context header",
            ));
        }
        if value.len() > MAX_CONTEXT_HEADER_BYTES {
            return Err(AuthError::Invalid("X-Cloudbase-Context larger than 16 KiB"));
        }
        let context = decode(value.as_bytes())?;
        if context.env_id != self.env {
            return Err(AuthError::Invalid(
                "the CloudBase context is of another environment",
            ));
        }
        let user_id = context.user_id.filter(|u| !u.is_empty());
        let wechat = context.wechat_context.unwrap_or_default();
        let open_id = wechat.open_id.filter(|o| !o.is_empty());
        match context.user_type.as_deref() {
            Some("C_SIDE_USER") if user_id.is_some() || open_id.is_some() => {}
            Some("C_SIDE_USER" | "NONE") | None => return Err(AuthError::Missing),
            Some("B_SIDE_USER") => {
                return Err(AuthError::Invalid(
                    "the CloudBase context is an administrator's, not an app user's",
                ));
            }
            Some(_) => {
                return Err(AuthError::Invalid(
                    "the CloudBase context is of an unknown user type",
                ));
            }
        }
        Ok(Caller::CloudBase(UserInfo {
            open_id: open_id.unwrap_or_default(),
            app_id: wechat.app_id.unwrap_or_default(),
            uid: user_id.unwrap_or_default(),
            custom_user_id: String::new(),
            is_anonymous: false,
        }))
    }
}

/// base64 (padded or not), then gzip (at most [`MAX_CONTEXT_JSON_BYTES`]
/// out), then JSON.
fn decode(value: &[u8]) -> Result<Context, AuthError> {
    let value = value.trim_ascii();
    let zipped = STANDARD
        .decode(value)
        .or_else(|_| STANDARD_NO_PAD.decode(value))
        .map_err(|_| AuthError::Invalid("X-Cloudbase-Context is not base64"))?;
    let mut json = Vec::new();
    GzDecoder::new(zipped.as_slice())
        .take(MAX_CONTEXT_JSON_BYTES as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|_| AuthError::Invalid("X-Cloudbase-Context is not gzip"))?;
    if json.len() > MAX_CONTEXT_JSON_BYTES {
        return Err(AuthError::Invalid("X-Cloudbase-Context unzips past 64 KiB"));
    }
    serde_json::from_slice(&json)
        .map_err(|_| AuthError::Invalid("X-Cloudbase-Context is not the context JSON"))
}
