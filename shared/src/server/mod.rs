//! One service, two ways to serve it.
//!
//! With `AWS_LAMBDA_RUNTIME_API` set (on Lambda, under `cargo lambda watch`)
//! the service answers the Lambda runtime API through lambda_http
//! ([`lambda`]); otherwise it is a plain HTTP/1.1 server on `HOST:PORT` (a
//! container, a platform whose functions are HTTP servers: [`http`]). Both
//! stop gracefully on SIGTERM or Ctrl-C, letting in-flight requests finish.
//! [`logging`] sets up `tracing` for either.
//!
//! The servers know nothing of the functions: they run any tower service that
//! answers every request with a response (its error type is
//! `Infallible`), so nothing becomes a bare 502 at the gateway.
//! [`function::run`](crate::function::run) picks the server for the mode.

pub mod http;
pub mod lambda;
pub mod logging;

use std::net::SocketAddr;
use std::time::Duration;

use customauth_core::config::ConfigError;
use customauth_core::env::Setting;
use customauth_core::env::var;

pub use self::http::{HttpLimits, serve_http};
pub use self::lambda::{prepare_event, sanitize_event, serve_lambda};
pub use self::logging::{LogGuard, init_tracing};

/// Set by the Lambda runtime (and `cargo lambda watch`).
pub const VAR_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
/// HTTP mode listen host. Defaults to `127.0.0.1`; use `0.0.0.0` in a container.
pub const VAR_HOST: &str = "HOST";
/// HTTP mode listen port. Defaults to `8080`.
pub const VAR_PORT: &str = "PORT";
/// Where HTTP mode listens.
pub const LISTEN_SETTINGS: &[Setting] = &[
    Setting::with_default(VAR_HOST, "HTTP mode listen address", "127.0.0.1"),
    Setting::with_default(VAR_PORT, "HTTP mode listen port", "8080"),
];

/// What makes the function serve the Lambda runtime API.
pub const MODE_SETTINGS: &[Setting] = &[Setting::new(
    VAR_RUNTIME_API,
    "set by Lambda: serve the Lambda runtime API instead",
)];

/// How long a graceful shutdown waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Where the function serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The Lambda runtime API.
    Lambda,
    /// Plain HTTP on this address.
    Http(SocketAddr),
}

impl Mode {
    /// Lambda when `AWS_LAMBDA_RUNTIME_API` is set, else HTTP on `HOST:PORT`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `HOST` or `PORT`.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        if var(env, VAR_RUNTIME_API).is_some() {
            return Ok(Self::Lambda);
        }
        let host = var(env, VAR_HOST).unwrap_or_else(|| "127.0.0.1".to_owned());
        let port: u16 = match var(env, VAR_PORT) {
            None => 8080,
            Some(p) => p.trim().parse().map_err(|_| ConfigError::Invalid {
                var: VAR_PORT,
                reason: "must be a port number (0-65535)".into(),
            })?,
        };
        let ip = host.trim().parse().map_err(|_| ConfigError::Invalid {
            var: VAR_HOST,
            reason: "must be an IP address such as 127.0.0.1, 0.0.0.0 or ::".into(),
        })?;
        Ok(Self::Http(SocketAddr::new(ip, port)))
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal received");
}

#[cfg(test)]
mod tests {
    use super::*;

    use customauth_core::env::from_pairs as env;

    #[test]
    fn mode_is_lambda_with_runtime_api() {
        assert_eq!(
            Mode::from_env(&env(&[(VAR_RUNTIME_API, "127.0.0.1:9001")])).ok(),
            Some(Mode::Lambda)
        );
    }

    #[test]
    fn mode_defaults_to_http_on_loopback_8080() {
        assert_eq!(
            Mode::from_env(&env(&[])).ok(),
            Some(Mode::Http("127.0.0.1:8080".parse().expect("addr")))
        );
        assert_eq!(
            Mode::from_env(&env(&[(VAR_HOST, "::"), (VAR_PORT, "9001")])).ok(),
            Some(Mode::Http("[::]:9001".parse().expect("addr")))
        );
    }

    #[test]
    fn bad_port_or_host_names_the_variable() {
        let e = Mode::from_env(&env(&[(VAR_PORT, "99999")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PORT"), "{e}");
        let e = Mode::from_env(&env(&[(VAR_HOST, "example.com")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("HOST"), "{e}");
    }
}
