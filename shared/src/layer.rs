//! The runtime middleware, as a tower layer: who is calling and from where.
//!
//! [`IdentityLayer`] authenticates each request once with the configured
//! caller-auth mode ([`CallerAuth`]) and resolves its client IP
//! ([`client_ip`](crate::client_ip)), and puts both in the request's
//! extensions: a [`Caller`](crate::identity::Caller) (or, when the caller is optional, the
//! [`AuthError`] saying why there is none) and a [`ClientIp`]. When the route
//! requires a caller, the layer answers 401 itself (the JSON error body of
//! [`ApiError`], with `WWW-Authenticate: Bearer`) and the service behind it
//! is not called.
//!
//! In `cloudbase` mode the check may ask CloudBase, and in `jwt` mode with
//! keys at a URL it may wait for the provider's keys, so the layer's future
//! waits for it (boxed); every other mode is checked before the inner
//! service is called, with no allocation.
//!
//! The layer is generic over the request and response bodies, so the same
//! value works in `lambda_http::run`, in an axum `Router::layer` and around
//! any hyper service. It is what the Rust counterpart of the SDK's
//! `auth().getUserInfo()` and `auth().getClientIP()` looks like:
//!
//! ```no_run
//! use customauth::identity::Caller;
//! use customauth::layer::{ClientIp, IdentityLayer};
//! use lambda_http::{Body, Error, Request, Response, service_fn, tower::ServiceBuilder};
//!
//! # async fn run() -> Result<(), Error> {
//! // Once, at cold start: CUSTOMAUTH_CALLER_AUTH and its mode's variables,
//! // CUSTOMAUTH_TRUSTED_PROXIES and CUSTOMAUTH_FORWARDED_HEADER.
//! let identity = IdentityLayer::from_env(&|k: &str| std::env::var(k).ok())?;
//! let handler = service_fn(|req: Request| async move {
//!     // Only reached with a verified caller: the layer answered 401 otherwise.
//!     let Some(Caller::User(user)) = req.extensions().get::<Caller>() else {
//!         return Ok::<_, Error>(Response::new(Body::from("a backend or anonymous caller")));
//!     };
//!     let ip = req.extensions().get::<ClientIp>().and_then(|ip| ip.0);
//!     Ok(Response::new(Body::from(format!("{} from {ip:?}", user.user_id))))
//! });
//! lambda_http::run(ServiceBuilder::new().layer(identity).service(handler)).await
//! # }
//! ```

use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use customauth_core::config::ConfigError;
use futures_util::future::{BoxFuture, Either, Ready, ready};
use lambda_http::http::{Extensions, Request, Response};
use tower::{Layer, Service};

use crate::api::{ApiError, RequestId, request_id_of};
use crate::client_ip::{TrustedProxies, client_ip_parts};
use crate::identity::{AuthError, Caller, CallerAuth};

/// The caller's address as the layer resolved it; `None` when nothing is
/// known (getClientIP then answers `""`, as the SDK does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address the layer put in `extensions`, as getClientIP and the
    /// audit line write it: `""` when unknown (or the layer did not run).
    pub fn text_of(extensions: &Extensions) -> String {
        match extensions.get::<Self>() {
            Some(Self(Some(ip))) => ip.to_string(),
            _ => String::new(),
        }
    }
}

/// The layer: cheap to clone (the settings are shared).
#[derive(Debug, Clone)]
pub struct IdentityLayer {
    auth: Option<Arc<CallerAuth>>,
    proxies: Arc<TrustedProxies>,
    require_caller: bool,
}

impl IdentityLayer {
    /// Authenticates every request with `auth` and resolves its client IP
    /// through `proxies`; a request without an acceptable caller gets 401.
    pub fn new(auth: CallerAuth, proxies: TrustedProxies) -> Self {
        Self {
            auth: Some(Arc::new(auth)),
            proxies: Arc::new(proxies),
            require_caller: true,
        }
    }

    /// Resolves the client IP only: no caller is looked for.
    pub fn client_ip_only(proxies: TrustedProxies) -> Self {
        Self {
            auth: None,
            proxies: Arc::new(proxies),
            require_caller: false,
        }
    }

    /// Reads `CUSTOMAUTH_CALLER_AUTH` (with its mode's variables),
    /// `CUSTOMAUTH_TRUSTED_PROXIES` and `CUSTOMAUTH_FORWARDED_HEADER`, once;
    /// requires a caller.
    ///
    /// # Errors
    /// As [`CallerAuth::from_env`] and [`TrustedProxies::from_env`].
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self::new(
            CallerAuth::from_env(env)?,
            TrustedProxies::from_env(env)?,
        ))
    }

    /// Lets requests without an acceptable caller through, with the
    /// [`AuthError`] in their extensions instead of a
    /// [`Caller`](crate::identity::Caller): for routes
    /// that serve anonymous callers too.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.require_caller = false;
        self
    }

    /// The caller check, when there is one.
    pub fn caller_auth(&self) -> Option<&CallerAuth> {
        self.auth.as_deref()
    }

    /// Authenticates (when configured) and resolves the client IP of a
    /// request, putting both in its extensions.
    ///
    /// # Errors
    /// The [`AuthError`] when a caller is required and there is none.
    fn identify<B>(&self, req: &mut Request<B>) -> Result<(), AuthError> {
        self.resolve_ip(req);
        let Some(auth) = &self.auth else {
            return Ok(());
        };
        let checked = auth.authenticate_parts(req.headers(), req.extensions());
        self.record(req, checked)
    }

    /// [`IdentityLayer::identify`] for a mode that may ask the network.
    async fn identify_remote<B>(&self, req: &mut Request<B>) -> Result<(), AuthError> {
        self.resolve_ip(req);
        let Some(auth) = &self.auth else {
            return Ok(());
        };
        let checked = auth
            .authenticate_with_lookup(req.headers(), req.extensions())
            .await;
        self.record(req, checked)
    }

    fn needs_lookup(&self) -> bool {
        self.auth.as_deref().is_some_and(CallerAuth::needs_lookup)
    }

    fn resolve_ip<B>(&self, req: &mut Request<B>) {
        let ip = client_ip_parts(req.headers(), req.extensions(), &self.proxies);
        req.extensions_mut().insert(ClientIp(ip));
    }

    /// Puts the caller (or, when optional, the reason there is none) in the
    /// extensions. A check that could not be made (503) is never optional.
    fn record<B>(
        &self,
        req: &mut Request<B>,
        checked: Result<Caller, AuthError>,
    ) -> Result<(), AuthError> {
        match checked {
            Ok(caller) => {
                req.extensions_mut().insert(caller);
                Ok(())
            }
            Err(e) if self.require_caller || matches!(e, AuthError::Unavailable(_)) => Err(e),
            Err(e) => {
                req.extensions_mut().insert(e);
                Ok(())
            }
        }
    }
}

impl<S> Layer<S> for IdentityLayer {
    type Service = Identity<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Identity {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`IdentityLayer`] wraps around another.
#[derive(Debug, Clone)]
pub struct Identity<S> {
    inner: S,
    layer: IdentityLayer,
}

/// The future of [`Identity`]: the inner service's, an immediate refusal, or
/// (`cloudbase` mode, `jwt` mode with keys at a URL) a check that may wait
/// for the network, followed by either.
pub type IdentityFuture<F, R, E> =
    Either<Either<F, Ready<Result<R, E>>>, BoxFuture<'static, Result<R, E>>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Identity<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = IdentityFuture<S::Future, Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        if self.layer.needs_lookup() {
            // The service made ready by poll_ready goes into the future; a
            // clone stays for the next call.
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            let layer = self.layer.clone();
            return Either::Right(Box::pin(async move {
                match layer.identify_remote(&mut req).await {
                    Ok(()) => inner.call(req).await,
                    Err(e) => Ok(refusal(&req, e, layer.caller_auth())),
                }
            }));
        }
        match self.layer.identify(&mut req) {
            Ok(()) => Either::Left(Either::Left(self.inner.call(req))),
            Err(e) => Either::Left(Either::Right(ready(Ok(refusal(
                &req,
                e,
                self.layer.caller_auth(),
            ))))),
        }
    }
}

/// The JSON error response for a request without an acceptable caller; a
/// 401 names what the configured mode expected.
fn refusal<B, ResBody: From<String>>(
    req: &Request<B>,
    e: AuthError,
    auth: Option<&CallerAuth>,
) -> Response<ResBody> {
    let request_id = match req.extensions().get::<RequestId>() {
        Some(id) => id.0.clone(),
        None => request_id_of(req.extensions()),
    };
    let mut error = ApiError::from(e);
    if let (ApiError::Unauthorized(message), Some(auth)) = (&mut error, auth) {
        message.push_str("; this function expects ");
        message.push_str(auth.mode().expected_credentials());
    }
    error.into_response(&request_id)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::net::SocketAddr;

    use lambda_http::http::{HeaderValue, StatusCode};
    use tower::{ServiceExt as _, service_fn};

    use super::*;
    use crate::client_ip::PeerAddr;
    use crate::identity::Caller;
    use customauth_core::env::from_pairs as env;

    const SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";
    const AUDIENCE: &str = "customauth-layer-test";

    fn jwt_layer() -> IdentityLayer {
        IdentityLayer::from_env(&env(&[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", SECRET),
            ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
        ]))
        .expect("jwt mode")
    }

    fn bearer(sub: &str) -> HeaderValue {
        let exp = customauth_core::now_ms() / 1000 + 600;
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &serde_json::json!({"sub": sub, "aud": AUDIENCE, "exp": exp}),
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("encodes");
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header value")
    }

    /// A request with a `()` body from `peer`, and the answer of a service
    /// with `String` bodies that echoes what the layer put in the extensions.
    async fn through(layer: IdentityLayer, authorization: Option<HeaderValue>) -> Response<String> {
        let echo = service_fn(|req: Request<()>| async move {
            let caller = match req.extensions().get::<Caller>() {
                Some(Caller::User(user)) => user.user_id.to_string(),
                Some(other) => format!("{other:?}"),
                None => match req.extensions().get::<AuthError>() {
                    Some(e) => format!("refused: {e}"),
                    None => "no caller looked for".to_owned(),
                },
            };
            let ip = req.extensions().get::<ClientIp>().copied();
            Ok::<_, Infallible>(Response::new(format!("{caller} {ip:?}")))
        });
        let mut req = Request::new(());
        let peer: SocketAddr = "192.0.2.9:4000".parse().expect("addr");
        req.extensions_mut().insert(PeerAddr(peer));
        if let Some(value) = authorization {
            req.headers_mut().insert("authorization", value);
        }
        match layer.layer(echo).oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    #[tokio::test]
    async fn a_verified_caller_and_the_client_ip_reach_the_service() {
        let r = through(jwt_layer(), Some(bearer("user_1234"))).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.body(), "user_1234 Some(ClientIp(Some(192.0.2.9)))");
    }

    #[tokio::test]
    async fn a_required_caller_missing_or_forged_gets_401_from_the_layer() {
        for authorization in [None, Some(HeaderValue::from_static("Bearer a.b.c"))] {
            let r = through(jwt_layer(), authorization).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(r.headers()["www-authenticate"], "Bearer");
            let body: serde_json::Value = serde_json::from_str(r.body()).expect("JSON");
            assert_eq!(body["code"], "UNAUTHENTICATED");
            assert!(body["requestId"].as_str().is_some_and(|id| !id.is_empty()));
        }
    }

    #[tokio::test]
    async fn an_optional_caller_passes_with_the_reason_it_is_missing() {
        let r = through(jwt_layer().optional(), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.body().starts_with("refused: no caller credentials"),
            "{}",
            r.body()
        );
    }

    #[tokio::test]
    async fn client_ip_only_looks_for_no_caller() {
        let r = through(IdentityLayer::client_ip_only(TrustedProxies::none()), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.body(),
            "no caller looked for Some(ClientIp(Some(192.0.2.9)))"
        );
    }

    #[tokio::test]
    async fn the_request_id_the_entry_point_assigned_is_the_one_in_a_401() {
        let echo = service_fn(|_req: Request<()>| async move {
            Ok::<_, Infallible>(Response::new(String::new()))
        });
        let mut req = Request::new(());
        req.extensions_mut().insert(RequestId("req-42".into()));
        let r = match jwt_layer().layer(echo).oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let body: serde_json::Value = serde_json::from_str(r.body()).expect("JSON");
        assert_eq!(body["requestId"], "req-42");
    }
}
