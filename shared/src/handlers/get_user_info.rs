//! getUserInfo: `GET` or `POST`, the verified caller in the SDK's shape.

use customauth_core::config::ConfigError;
use customauth_core::env::Setting;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use crate::api::{ApiError, json_response};
use crate::client_ip::{self, TrustedProxies};
use crate::function::Function;
use crate::identity::{self, Caller, CallerAuth, CallerAuthMode, UserInfo, cloudbase};
use crate::layer::IdentityLayer;

/// getUserInfo: `GET` or `POST`, the verified caller in the SDK's shape.
#[derive(Debug)]
pub struct GetUserInfo {
    identity: IdentityLayer,
}

impl GetUserInfo {
    /// The state from a caller check.
    ///
    /// # Errors
    /// [`ConfigError::Conflict`] for `api-key` mode, which verifies a backend,
    /// not a user.
    pub fn new(auth: CallerAuth, proxies: TrustedProxies) -> Result<Self, ConfigError> {
        if auth.mode() == CallerAuthMode::ApiKey {
            return Err(ConfigError::Conflict(
                "get-user-info needs CUSTOMAUTH_CALLER_AUTH=gateway, jwt, cloudbase or \
                 cloudbase-context: an API key names a backend, not a user"
                    .into(),
            ));
        }
        Ok(Self {
            identity: IdentityLayer::new(auth, proxies),
        })
    }
}

impl Function for GetUserInfo {
    const NAME: &'static str = "get-user-info";
    const ABOUT: &'static str = "getUserInfo: GET or POST -> the verified caller as \
                                 {\"openId\", \"appId\", \"uid\", \"customUserId\", \"isAnonymous\"}";
    const METHODS: &'static [Method] = &[Method::GET, Method::POST];
    const ALLOW: &'static str = "GET, POST";
    const SETTINGS: &'static [&'static [Setting]] =
        &[identity::SETTINGS, cloudbase::SETTINGS, client_ip::SETTINGS];

    /// Reads the caller-auth settings, once.
    ///
    /// # Errors
    /// As [`CallerAuth::from_env`] and [`GetUserInfo::new`].
    async fn from_env(env: &(impl Fn(&str) -> Option<String> + Sync)) -> Result<Self, ConfigError> {
        Self::new(CallerAuth::from_env(env)?, TrustedProxies::from_env(env)?)
    }

    fn identity(&self) -> IdentityLayer {
        self.identity.clone()
    }

    async fn call(&self, req: Request) -> Result<Response<Body>, ApiError> {
        let info = match req.extensions().get::<Caller>() {
            Some(Caller::User(user)) => user.info.clone(),
            Some(Caller::CloudBase(info)) => info.clone(),
            Some(Caller::Anonymous) => UserInfo {
                is_anonymous: true,
                ..UserInfo::default()
            },
            Some(Caller::Backend) | None => {
                return Err(ApiError::Unauthorized("no user identity".into()));
            }
        };
        Ok(json_response(StatusCode::OK, &info))
    }
}
