//! One handler, two ways to serve it.
//!
//! With `AWS_LAMBDA_RUNTIME_API` set (on Lambda, under `cargo lambda watch`)
//! the handler serves the Lambda runtime API through lambda_http; otherwise it
//! is a plain HTTP/1.1 server on `HOST:PORT` (a container, a platform whose
//! functions are HTTP servers). Both stop gracefully on SIGTERM or Ctrl-C,
//! letting in-flight requests finish.
//!
//! The handler is infallible: it returns a response for every request, so
//! nothing becomes a bare 502 at the gateway.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, LambdaEvent, Request, Response, Service as _, service_fn};
use tokio::net::TcpListener;

use crate::client_ip::PeerAddr;
use crate::config::{ConfigError, var};
use crate::http::{ApiError, INVALID_BODY_MARKER, MAX_BODY_BYTES};

/// Set by the Lambda runtime (and `cargo lambda watch`).
pub const VAR_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
/// HTTP mode listen host. Defaults to `127.0.0.1`; use `0.0.0.0` in a container.
pub const VAR_HOST: &str = "HOST";
/// HTTP mode listen port. Defaults to `8080`.
pub const VAR_PORT: &str = "PORT";
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

/// Keeps the background log writer of HTTP mode running; hold it for the
/// life of the process. Dropping it writes out the lines still queued (the
/// wait is bounded by tracing-appender at one second).
#[must_use = "dropping the guard stops the log writer; hold it until the process exits"]
#[derive(Debug)]
pub struct LogGuard {
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Sets up `tracing`: JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON` (Lambda's
/// structured logging), text otherwise; level from `RUST_LOG` (default
/// `info`). JSON goes to stdout, text to stderr.
///
/// On Lambda each line is written as it is logged: the sandbox is frozen
/// between invocations, so a line left in a queue could surface an invocation
/// late or be lost with the sandbox. In HTTP mode a background thread does the
/// writing, so a slow or stalled log sink (a full pipe, a paused collector)
/// never stalls request handling. The queue is lossless: past 128 000 queued
/// lines logging waits for the writer instead of dropping audit lines.
pub fn init_tracing(env: &impl Fn(&str) -> Option<String>) -> LogGuard {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = var(env, "RUST_LOG")
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let json = var(env, "AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let on_lambda = var(env, VAR_RUNTIME_API).is_some();
    let (writer, worker) = if on_lambda {
        let direct = if json {
            BoxMakeWriter::new(std::io::stdout)
        } else {
            BoxMakeWriter::new(std::io::stderr)
        };
        (direct, None)
    } else {
        // The worker flushes whenever its queue runs dry, so under load one
        // write(2) carries many lines.
        let sink: Box<dyn std::io::Write + Send> = if json {
            Box::new(std::io::stdout())
        } else {
            Box::new(std::io::stderr())
        };
        let (queued, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .thread_name("customauth-log")
            .finish(std::io::BufWriter::with_capacity(64 * 1024, sink));
        (BoxMakeWriter::new(queued), Some(worker))
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    if json {
        let subscriber = builder.json().with_current_span(false).finish();
        subscriber.with(never_raw_events()).init();
    } else {
        let subscriber = builder.with_ansi(false).finish();
        subscriber.with(never_raw_events()).init();
    }
    LogGuard { _worker: worker }
}

/// A filter no `RUST_LOG` can loosen: at TRACE level lambda_runtime logs
/// every raw event, and an event carries the caller's `Authorization`
/// header, API key and body. Its trace output is never logged.
fn never_raw_events()
-> tracing_subscriber::filter::FilterFn<impl Fn(&tracing::Metadata<'_>) -> bool> {
    tracing_subscriber::filter::filter_fn(|meta| {
        !(*meta.level() == tracing::Level::TRACE && meta.target().starts_with("lambda_runtime"))
    })
}

/// Serves a function's state: exits 2 with the message (naming the
/// variable) when the configuration failed, else serves `handle` in the mode
/// the environment says until shutdown.
pub async fn run_function<S, H, F>(
    name: &str,
    env: &impl Fn(&str) -> Option<String>,
    state: Result<S, ConfigError>,
    handle: H,
) -> std::process::ExitCode
where
    S: Send + Sync + 'static,
    H: Fn(Arc<S>, Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let started = Mode::from_env(env).and_then(|mode| Ok((mode, state?)));
    let (mode, state) = match started {
        Ok(started) => started,
        Err(e) => {
            tracing::error!(error = %e, "{name}: cannot start");
            eprintln!("{name}: cannot start: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let state = Arc::new(state);
    let served = serve(mode, move |req| handle(Arc::clone(&state), req)).await;
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "{name}: server failed");
            eprintln!("{name}: server failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Serves `handler` in `mode` until SIGTERM/Ctrl-C (HTTP) or for the life of
/// the Lambda sandbox.
///
/// # Errors
/// When the listener cannot bind or the Lambda runtime fails.
pub async fn serve<H, F>(mode: Mode, handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let handler = Arc::new(handler);
    match mode {
        Mode::Lambda => serve_lambda(handler).await,
        Mode::Http(addr) => {
            let listener = TcpListener::bind(addr).await?;
            serve_http(listener, handler, shutdown_signal()).await
        }
    }
}

async fn serve_lambda<H, F>(handler: Arc<H>) -> Result<(), lambda_http::Error>
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let inner = service_fn(move |req: Request| {
        let handler = Arc::clone(&handler);
        async move { Ok::<_, Infallible>(handler(req).await) }
    });
    let adapter = lambda_http::Adapter::from(inner);
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let mut adapter = adapter.clone();
        async move {
            let LambdaEvent { payload, context } = event;
            let request = prepare_event(payload)?;
            adapter
                .call(LambdaEvent::new(request, context))
                .await
                .map_err(|never: Infallible| -> lambda_http::Error { match never {} })
        }
    }))
    .await
}

/// Makes an event safe for lambda_http, which panics on a body flagged base64
/// that does not decode: such a body is dropped and the request marked with
/// [`INVALID_BODY_MARKER`], which the handler answers with a 400. Any client
/// copy of the marker header is removed first.
pub fn sanitize_event(event: &mut serde_json::Value) {
    let Some(obj) = event.as_object_mut() else {
        return;
    };
    for key in ["headers", "multiValueHeaders"] {
        if let Some(headers) = obj.get_mut(key).and_then(|h| h.as_object_mut()) {
            headers.retain(|name, _| !name.eq_ignore_ascii_case(INVALID_BODY_MARKER));
        }
    }
    let flagged = obj
        .get("isBase64Encoded")
        .and_then(serde_json::Value::as_bool)
        == Some(true);
    let decodes = match obj.get("body") {
        Some(serde_json::Value::String(b)) => {
            base64::engine::general_purpose::STANDARD.decode(b).is_ok()
        }
        _ => true,
    };
    if flagged && !decodes {
        obj.insert("body".into(), serde_json::Value::Null);
        obj.insert("isBase64Encoded".into(), serde_json::Value::Bool(false));
        mark_invalid(obj, "base64-body");
    }
}

/// Turns a Lambda event into the request lambda_http will convert, so that
/// the conversion cannot panic: [`sanitize_event`] first, then a trial
/// conversion. lambda_http builds the URI from the client-controlled `Host`
/// header (ALB) and path and `unwrap`s the parse; when that would panic, the
/// fields the URI is built from are replaced and the request is marked with
/// [`INVALID_BODY_MARKER`] (`uri`), which the handler answers with a 400.
///
/// # Errors
/// When the event is not an API Gateway, function URL or ALB request at all
/// (there is no HTTP response shape to answer it with).
pub fn prepare_event(mut payload: serde_json::Value) -> Result<LambdaRequest, lambda_http::Error> {
    sanitize_event(&mut payload);
    let parse = |value: serde_json::Value| {
        serde_json::from_value::<LambdaRequest>(value).map_err(|e| {
            tracing::error!(error = %e, "event is not an API Gateway, function URL or ALB request");
            lambda_http::Error::from("unsupported event")
        })
    };
    let trial = parse(payload.clone())?;
    let converts = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(Request::from(trial));
    }))
    .is_ok();
    if !converts {
        tracing::warn!("event has a host, path or query that does not form a URI; answering 400");
        neutralize_uri(&mut payload);
    }
    parse(payload)
}

/// Replaces what lambda_http builds the URI from with harmless values and
/// marks the event invalid.
fn neutralize_uri(event: &mut serde_json::Value) {
    let Some(obj) = event.as_object_mut() else {
        return;
    };
    for key in ["headers", "multiValueHeaders"] {
        if let Some(headers) = obj.get_mut(key).and_then(|h| h.as_object_mut()) {
            headers.retain(|name, _| {
                !name.eq_ignore_ascii_case("host")
                    && !name.eq_ignore_ascii_case("x-forwarded-proto")
            });
        }
    }
    for (key, value) in [
        ("rawPath", serde_json::json!("/")),
        ("path", serde_json::json!("/")),
        ("rawQueryString", serde_json::json!("")),
        ("queryStringParameters", serde_json::json!({})),
        ("multiValueQueryStringParameters", serde_json::json!({})),
    ] {
        if obj.contains_key(key) {
            obj.insert(key.into(), value);
        }
    }
    if let Some(ctx) = obj
        .get_mut("requestContext")
        .and_then(|c| c.as_object_mut())
    {
        ctx.remove("domainName");
        ctx.insert("stage".into(), serde_json::json!("$default"));
    }
    mark_invalid(obj, "uri");
}

fn mark_invalid(obj: &mut serde_json::Map<String, serde_json::Value>, reason: &str) {
    let headers = obj
        .entry("headers")
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if !headers.is_object() {
        *headers = serde_json::Value::Object(serde_json::Map::new());
    }
    if let Some(h) = headers.as_object_mut() {
        h.insert(INVALID_BODY_MARKER.into(), reason.into());
    }
    if let Some(mv) = obj
        .get_mut("multiValueHeaders")
        .and_then(|h| h.as_object_mut())
    {
        mv.insert(INVALID_BODY_MARKER.into(), serde_json::json!([reason]));
    }
}

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then waits up to
/// [`SHUTDOWN_GRACE`] for in-flight requests.
///
/// # Errors
/// Never in practice; accept errors are logged and retried.
pub async fn serve_http<H, F>(
    listener: TcpListener,
    handler: Arc<H>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), lambda_http::Error>
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .max_buf_size(64 * 1024);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "listening");
    }
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let handler = Arc::clone(&handler);
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let handler = Arc::clone(&handler);
                    async move { Ok::<_, Infallible>(handle_http(req, peer, handler).await) }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down; waiting for in-flight requests");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within the grace period");
    }
    Ok(())
}

async fn handle_http<H, F>(
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    handler: Arc<H>,
) -> hyper::Response<Full<Bytes>>
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let (parts, body) = req.into_parts();
    let response = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            let body = if bytes.is_empty() {
                Body::Empty
            } else {
                Body::Binary(bytes.to_vec())
            };
            let mut request = Request::from_parts(parts, body);
            request.extensions_mut().insert(PeerAddr(peer));
            handler(request).await
        }
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let request_id = crate::http::local_request_id();
            if too_large {
                ApiError::PayloadTooLarge.into_response(&request_id)
            } else {
                ApiError::bad_request("INVALID_REQUEST", "request body could not be read")
                    .into_response(&request_id)
            }
        }
    };
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
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

    use crate::config::test_env as env;

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

    #[test]
    fn sanitize_marks_bad_base64_and_strips_client_marker() {
        let mut ev = serde_json::json!({
            "isBase64Encoded": true,
            "body": "%%%not base64%%%",
            "headers": {"X-Customauth-Invalid-Event": "spoof"}
        });
        sanitize_event(&mut ev);
        assert_eq!(ev["body"], serde_json::Value::Null);
        assert_eq!(ev["isBase64Encoded"], false);
        assert_eq!(ev["headers"][INVALID_BODY_MARKER], "base64-body");
        assert!(ev["headers"].get("X-Customauth-Invalid-Event").is_none());
    }

    #[test]
    fn a_host_that_is_not_a_uri_becomes_a_marked_request_not_a_panic() {
        let fixture = include_str!("../../tests/fixtures/events/alb-create-ticket.json");
        let mut ev: serde_json::Value = serde_json::from_str(fixture).expect("fixture");
        ev["headers"]["host"] = "a1b2.example:.com".into();
        let req = Request::from(prepare_event(ev).expect("an ALB event"));
        assert_eq!(req.headers()[INVALID_BODY_MARKER], "uri");
        let mut ok: serde_json::Value = serde_json::from_str(fixture).expect("fixture");
        ok["headers"][INVALID_BODY_MARKER] = "spoofed".into();
        let req = Request::from(prepare_event(ok).expect("an ALB event"));
        assert!(!req.headers().contains_key(INVALID_BODY_MARKER));
    }

    #[test]
    fn sanitize_leaves_good_base64_and_removes_spoofed_marker() {
        let mut ev = serde_json::json!({
            "isBase64Encoded": true,
            "body": "e30=",
            "headers": {INVALID_BODY_MARKER: "1"},
            "multiValueHeaders": {INVALID_BODY_MARKER: ["1"]}
        });
        sanitize_event(&mut ev);
        assert_eq!(ev["body"], "e30=");
        assert!(ev["headers"].get(INVALID_BODY_MARKER).is_none());
        assert!(ev["multiValueHeaders"].get(INVALID_BODY_MARKER).is_none());
    }
}
