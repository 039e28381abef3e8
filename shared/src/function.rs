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

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use tower::util::BoxCloneSyncService;
use tower::{Layer as _, ServiceExt as _, service_fn};

use crate::config::ConfigError;
use crate::cors::cors_from_env;
use crate::http::{ApiError, RequestId, check_method, request_id};
use crate::layer::IdentityLayer;
use crate::server::{Mode, init_tracing, serve};

/// A configuration variable and what it does, for `--help`.
pub type Variable = (&'static str, &'static str);

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
    /// The variables it reads, in groups, for `--help`.
    const VARIABLES: &'static [&'static [Variable]];

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
    fn call(&self, req: Request) -> impl Future<Output = Result<Response<Body>, ApiError>> + Send;
}

/// The whole service of a function, the one [`run`] serves: a request id
/// (the invocation's, the gateway's, or a local one), the method check, the
/// function's identity layer, then the function; every error becomes the
/// JSON error response, so the service never fails.
pub fn service<F: Function>(
    function: Arc<F>,
) -> BoxCloneSyncService<Request, Response<Body>, Infallible> {
    let identity = function.identity();
    let answer = service_fn(move |req: Request| {
        let function = Arc::clone(&function);
        async move {
            let id = req.extensions().get::<RequestId>().cloned();
            let response = match function.call(req).await {
                Ok(response) => response,
                Err(e) => e.into_response(id.as_ref().map_or("", |id| id.0.as_str())),
            };
            Ok::<_, Infallible>(response)
        }
    });
    let checked = identity.layer(answer);
    BoxCloneSyncService::new(service_fn(move |mut req: Request| {
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

/// The command line of every function: only `--help` and `--version`.
fn command<F: Function>() -> clap::Command {
    let mut variables =
        String::from("Configuration (environment variables, read once at start):\n");
    for group in F::VARIABLES {
        variables.push('\n');
        for (name, what) in *group {
            let _ = writeln!(variables, "  {name}\n          {what}");
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
        let cors = cors_from_env(&env, F::METHODS)?;
        Ok::<_, ConfigError>((mode, cors, F::from_env(&env).await?))
    };
    let (mode, cors, function) = match started.await {
        Ok(started) => started,
        Err(e) => {
            tracing::error!(error = %e, "{}: cannot start", F::NAME);
            return ExitCode::from(2);
        }
    };
    let service = service(Arc::new(function));
    let service = match cors {
        Some(cors) => BoxCloneSyncService::new(cors.layer(service)),
        None => service,
    };
    match serve(mode, service).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "{}: server failed", F::NAME);
            ExitCode::FAILURE
        }
    }
}
