//! getClientIP: `GET` or `POST`, `{"ip": "..."}`, `""` when unknown.

use customauth_core::config::ConfigError;
use customauth_core::env::Setting;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::api::{ApiError, json_response};
use crate::client_ip::{self, TrustedProxies};
use crate::function::Function;
use crate::layer::{ClientIp, IdentityLayer};

/// getClientIP: `GET` or `POST`, `{"ip": "..."}`, `""` when unknown.
#[derive(Debug)]
pub struct GetClientIp {
    identity: IdentityLayer,
}

#[derive(Serialize)]
struct ClientIpResponse {
    ip: String,
}

impl GetClientIp {
    /// The state from the trusted proxies.
    pub fn new(proxies: TrustedProxies) -> Self {
        Self {
            identity: IdentityLayer::client_ip_only(proxies),
        }
    }
}

impl Function for GetClientIp {
    const NAME: &'static str = "get-client-ip";
    const ABOUT: &'static str =
        "getClientIP: GET or POST -> {\"ip\"}, \"\" when unknown (as the SDK's getClientIP)";
    const METHODS: &'static [Method] = &[Method::GET, Method::POST];
    const ALLOW: &'static str = "GET, POST";
    const SETTINGS: &'static [&'static [Setting]] = &[client_ip::SETTINGS];

    /// Reads `CUSTOMAUTH_TRUSTED_PROXIES`, once.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for an entry that is not a CIDR or address.
    async fn from_env(env: &(impl Fn(&str) -> Option<String> + Sync)) -> Result<Self, ConfigError> {
        Ok(Self::new(TrustedProxies::from_env(env)?))
    }

    fn identity(&self) -> IdentityLayer {
        self.identity.clone()
    }

    async fn call(&self, req: Request) -> Result<Response<Body>, ApiError> {
        let ip = ClientIp::text_of(req.extensions());
        Ok(json_response(StatusCode::OK, &ClientIpResponse { ip }))
    }
}
