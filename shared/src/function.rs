//! One function contract, one entry point.
//!
//! A function ([`Function`]) says its name, its methods and its
//! configuration variables, builds its state once from the environment, names
//! the [`IdentityLayer`] that stands in front of it, and answers a request
//! with a response or an [`ApiError`]. [`run`] does everything else, the same
//! way for every function: `--help`/`--version`, tracing, the state (exit 2
//! naming the variable when the configuration is wrong), CORS when allowed
//! origins are configured, request ids, the method check, the identity
//! layer, every error as the JSON error response, and serving Lambda or HTTP.
//!
//! A binary is then:
//!
//! ```no_run
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     customauth::function::run::<customauth::handlers::GetClientIp>().await
//! }
//! ```

use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Buf;
use customauth_core::config::ConfigError;
use customauth_core::env::Setting;
use http_body::Body as HttpBody;
use hyper::body::Incoming;
use lambda_http::http::{Method, Request};
use lambda_http::{Body, Response};
use tokio::net::TcpListener;
use tower::util::BoxCloneSyncService;
use tower::{Layer as _, ServiceExt as _, service_fn};
use tower_http::cors::CorsLayer;

use crate::api::{ApiError, MAX_BODY_BYTES, RequestId, check_method, read_body, request_id};
use crate::cors::{self, cors_from_env};
use crate::identity::{CallerAuthMode, VAR_CALLER_AUTH};
use crate::layer::IdentityLayer;
use crate::log_queue;
use crate::server::http::{HttpLimits, serve_http};
use crate::server::{self, Mode, init_tracing, serve_lambda, shutdown_signal};

/// The settings of serving, every function's: where and how it listens and
/// logs, and which browsers may call it. `--help` shows them last.
pub const SERVER_SETTINGS: &[&[Setting]] = &[
    server::LISTEN_SETTINGS,
    server::http::SETTINGS,
    log_queue::SETTINGS,
    server::MODE_SETTINGS,
    server::logging::SETTINGS,
    cors::SETTINGS,
];

/// Every setting function `F` reads: its own groups, then the server's.
pub fn settings<F: Function>() -> impl Iterator<Item = &'static Setting> {
    F::SETTINGS
        .iter()
        .chain(SERVER_SETTINGS)
        .flat_map(|group| group.iter())
}

/// What each function is.
pub trait Function: Sized + Send + Sync + 'static {
    /// The binary's name, kebab-case: `create-ticket`.
    const NAME: &'static str;
    /// What it does, one line, for `--help`.
    const ABOUT: &'static str;
    /// The methods it answers; any other gets 405.
    const METHODS: &'static [Method];
    /// The `Allow` header of a 405: [`Function::METHODS`], comma-separated.
    const ALLOW: &'static str;
    /// The settings it reads, in groups, as the modules that read them
    /// declare them; `--help` lists them, then [`SERVER_SETTINGS`].
    const SETTINGS: &'static [&'static [Setting]];

    /// Reads the configuration and builds the state, once, at cold start.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable at fault.
    fn from_env(
        env: &(impl Fn(&str) -> Option<String> + Sync),
    ) -> impl Future<Output = Result<Self, ConfigError>> + Send;

    /// The layer in front of [`Function::call`]: the caller it requires and
    /// the client IP, in the request's extensions.
    fn identity(&self) -> IdentityLayer;

    /// Answers a request that passed the method check and the identity
    /// layer. The request id is in its extensions ([`RequestId`]).
    ///
    /// # Errors
    /// The [`ApiError`] to answer with; never a panic.
    fn call(
        &self,
        req: lambda_http::Request,
    ) -> impl Future<Output = Result<Response<Body>, ApiError>> + Send;
}

/// The whole service of a function, the one [`run`] serves, for requests
/// whose body is `B` (hyper's in HTTP mode, lambda_http's on Lambda): a
/// request id (the invocation's, the gateway's, or a local one), the method
/// check, the function's identity layer, then the body, read into one
/// bounded buffer within `body_timeout` ([`read_body`]), then the function.
/// A request refused for its method or its caller is answered before its
/// body is read. Every error becomes the JSON error response, so the service
/// never fails. It runs on a Tokio runtime with timers enabled (the body
/// deadline).
pub fn service<F, B>(
    function: Arc<F>,
    body_timeout: Duration,
) -> BoxCloneSyncService<Request<B>, Response<Body>, Infallible>
where
    F: Function,
    B: HttpBody + Send + 'static,
    B::Data: Buf + Send,
{
    let identity = function.identity();
    let answer = service_fn(move |req: Request<B>| {
        let function = Arc::clone(&function);
        async move {
            let id = req.extensions().get::<RequestId>().cloned();
            let (parts, body) = req.into_parts();
            let read = read_body(&parts.headers, body, MAX_BODY_BYTES, body_timeout).await;
            let answered = match read {
                Ok(body) => function.call(Request::from_parts(parts, body)).await,
                Err(e) => Err(e),
            };
            let response = answered
                .unwrap_or_else(|e| e.into_response(id.as_ref().map_or("", |id| id.0.as_str())));
            Ok::<_, Infallible>(response)
        }
    });
    let checked = identity.layer(answer);
    BoxCloneSyncService::new(service_fn(move |mut req: Request<B>| {
        let id = request_id(&req);
        let allowed = check_method(&req, F::METHODS, F::ALLOW);
        req.extensions_mut().insert(RequestId(id.clone()));
        let checked = checked.clone();
        async move {
            match allowed {
                Ok(()) => checked.oneshot(req).await,
                Err(e) => Ok(e.into_response(&id)),
            }
        }
    }))
}

/// `service`, behind the CORS layer when allowed origins are configured.
fn with_cors<F, B>(
    function: Arc<F>,
    body_timeout: Duration,
    cors: Option<CorsLayer>,
) -> BoxCloneSyncService<Request<B>, Response<Body>, Infallible>
where
    F: Function,
    B: HttpBody + Send + 'static,
    B::Data: Buf + Send,
{
    let service = service(function, body_timeout);
    match cors {
        Some(cors) => BoxCloneSyncService::new(cors.layer(service)),
        None => service,
    }
}

/// The command line of every function: only `--help` and `--version`.
fn command<F: Function>() -> clap::Command {
    let mut variables =
        String::from("Configuration (environment variables, read once at start):\n");
    let server = SERVER_SETTINGS.iter().flat_map(|slice| slice.iter());
    let groups = F::SETTINGS
        .iter()
        .map(|group| Box::new(group.iter()) as Box<dyn Iterator<Item = &Setting>>)
        .chain(std::iter::once(
            Box::new(server) as Box<dyn Iterator<Item = &Setting>>
        ));
    for group in groups {
        variables.push('\n');
        for setting in group {
            let _ = writeln!(
                variables,
                "  {}\n          {}",
                setting.name,
                setting.help()
            );
        }
    }
    clap::Command::new(F::NAME)
        .version(env!("CARGO_PKG_VERSION"))
        .about(F::ABOUT)
        .after_help(variables)
}

/// Runs function `F` as a process: `--help`/`--version`, then tracing, the
/// state from the environment, and [`serve`] in the mode the environment says
/// until shutdown. Exit code 0 after a clean shutdown, 2 when the
/// configuration (or the command line) is wrong, 1 when the server fails.
pub async fn run<F: Function>() -> ExitCode {
    if let Err(e) = command::<F>().try_get_matches() {
        let code = if e.use_stderr() { 2 } else { 0 };
        let _ = e.print();
        return ExitCode::from(code);
    }
    let env = |k: &str| std::env::var(k).ok();
    let _log = init_tracing(&env);
    let started = async {
        let mode = Mode::from_env(&env)?;
        let limits = HttpLimits::from_env(&env)?;
        let cors = cors_from_env(&env, F::METHODS)?;
        let function = F::from_env(&env).await?;
        let gateway = function
            .identity()
            .caller_auth()
            .is_some_and(|auth| auth.mode() == CallerAuthMode::Gateway);
        if gateway && matches!(mode, Mode::Http(_)) {
            return Err(ConfigError::Conflict(format!(
                "{VAR_CALLER_AUTH}=gateway trusts the identity an API Gateway authorizer puts in a \
                 Lambda event; in HTTP mode there is none, so no caller could ever authenticate: \
                 use jwt or api-key here, or run on Lambda"
            )));
        }
        Ok::<_, ConfigError>((mode, limits, cors, function))
    };
    let (mode, limits, cors, function) = match started.await {
        Ok(started) => started,
        Err(e) => {
            tracing::error!(error = %e, "{}: cannot start", F::NAME);
            return ExitCode::from(2);
        }
    };
    let function = Arc::new(function);
    let served = match mode {
        Mode::Lambda => {
            serve_lambda(with_cors::<F, Body>(function, limits.body_timeout, cors)).await
        }
        Mode::Http(addr) => match TcpListener::bind(addr).await {
            Ok(listener) => {
                let service = with_cors::<F, Incoming>(function, limits.body_timeout, cors);
                serve_http(listener, service, limits, shutdown_signal()).await
            }
            // A start-up failure like any other (exit 2), naming what to change.
            Err(e) => {
                tracing::error!(
                    error = %e,
                    "{}: cannot listen on {addr}: set PORT (or HOST) to a free address",
                    F::NAME
                );
                return ExitCode::from(2);
            }
        },
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "{}: server failed", F::NAME);
            ExitCode::FAILURE
        }
    }
}
