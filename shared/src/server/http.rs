//! HTTP mode: a plain HTTP/1.1 server (hyper) whose cost per connection and
//! in total is bounded: a deadline for the request head (and for an idle
//! keep-alive connection), a deadline for the whole body (in the function's
//! service, [`read_body`](crate::api::read_body)), a deadline for writing an
//! answer (a client that does not read its answers loses the connection), a
//! cap on concurrent connections below the file-descriptor limit, and a
//! graceful shutdown. Pipelined requests are answered one at a time, and no
//! more of them than fit in one read buffer ([`READ_BUFFER_BYTES`]) are read
//! ahead: the rest wait in the client's socket.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use customauth_core::config::ConfigError;
use customauth_core::config::number;
use customauth_core::env::Setting;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use lambda_http::http::Request;
use lambda_http::{Body, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tower::Service;
use tower::ServiceExt as _;

use crate::client_ip::PeerAddr;
use crate::server::SHUTDOWN_GRACE;

/// How long a client may take to send a whole request body, in ms.
pub const VAR_BODY_TIMEOUT_MS: &str = "CUSTOMAUTH_BODY_TIMEOUT_MS";
/// How many connections are served at once; more wait to be accepted.
pub const VAR_MAX_CONNECTIONS: &str = "CUSTOMAUTH_MAX_CONNECTIONS";
/// How long an answer may wait for the client to read it, in ms.
pub const VAR_WRITE_TIMEOUT_MS: &str = "CUSTOMAUTH_WRITE_TIMEOUT_MS";
/// HTTP mode's bounds on a connection.
pub const SETTINGS: &[Setting] = &[
    Setting::with_default(
        VAR_BODY_TIMEOUT_MS,
        "HTTP mode: time to send a whole body, then 408",
        "5000",
    ),
    Setting::with_default(
        VAR_MAX_CONNECTIONS,
        "HTTP mode: connections served at once",
        "8192",
    ),
    Setting::with_default(
        VAR_WRITE_TIMEOUT_MS,
        "HTTP mode: time a client has to read an answer, then the connection closes",
        "5000",
    ),
];

/// The default deadline for writing an answer.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client may take to send the request head, and how long an idle
/// keep-alive connection is kept.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The most hyper buffers for one connection, request head included: a head
/// larger than this is refused (431), and a client that sends faster than the
/// body is read holds no more than this in the server.
pub const READ_BUFFER_BYTES: usize = 16 * 1024;
/// The default deadline for a whole request body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// File descriptors kept back from the connection cap for everything else
/// (the listener, logs, credentials fetches).
const RESERVED_FDS: u64 = 64;
/// The default connection cap when the file-descriptor limit allows it.
const DEFAULT_MAX_CONNECTIONS: u64 = 8192;

/// The bounds of HTTP mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Deadline for a whole request body. Defaults to 5 seconds.
    pub body_timeout: Duration,
    /// Connections served at once. Defaults to 8192, or the process's
    /// file-descriptor limit less 64 when that is lower.
    pub max_connections: usize,
    /// How long a write of an answer may wait for the client to read
    /// (the socket to take bytes); past it the connection is closed. Defaults
    /// to 5 seconds.
    pub write_timeout: Duration,
}

impl HttpLimits {
    /// Reads `CUSTOMAUTH_BODY_TIMEOUT_MS`, `CUSTOMAUTH_MAX_CONNECTIONS`,
    /// `CUSTOMAUTH_WRITE_TIMEOUT_MS` and `CUSTOMAUTH_LOG_QUEUE_LINES`.
    /// First raises the soft file-descriptor limit to the hard one (as Go's
    /// runtime does), so that the cap, not the kernel, decides.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable for a value that is not a
    /// whole number in range (body and write timeouts 100 ms to 60 s;
    /// connections 1 to the file-descriptor limit less 64; log queue lines
    /// as [`log_queue_lines`](crate::log_queue::log_queue_lines)).
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let fds = raise_fd_limit();
        let ceiling = fds.saturating_sub(RESERVED_FDS).max(1);
        let millis = |name, default: Duration| {
            number(env, name, millis_of(default), 100, 60_000).map(Duration::from_millis)
        };
        let body_timeout = millis(VAR_BODY_TIMEOUT_MS, DEFAULT_BODY_TIMEOUT)?;
        let max_connections = number(
            env,
            VAR_MAX_CONNECTIONS,
            DEFAULT_MAX_CONNECTIONS.min(ceiling),
            1,
            ceiling,
        )
        .map_err(|e| match e {
            ConfigError::Invalid { var, reason } => ConfigError::Invalid {
                var,
                reason: format!("{reason} (the file-descriptor limit less {RESERVED_FDS})"),
            },
            other => other,
        })?;
        let write_timeout = millis(VAR_WRITE_TIMEOUT_MS, DEFAULT_WRITE_TIMEOUT)?;
        crate::log_queue::log_queue_lines(env)?;
        Ok(Self {
            body_timeout,
            max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            write_timeout,
        })
    }
}

/// `duration` in whole milliseconds (the defaults are far below `u64::MAX`).
fn millis_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft
/// limit in force afterwards.
fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let (Some(current), Some(hard)) = (limit.current, limit.maximum)
        && current < hard
        && setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(hard),
                maximum: Some(hard),
            },
        )
        .is_ok()
    {
        return hard;
    }
    limit.current.unwrap_or(u64::MAX)
}

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then waits up to
/// [`SHUTDOWN_GRACE`] for in-flight requests. At most
/// [`HttpLimits::max_connections`] connections are served at once; past that
/// the listener stops accepting (the kernel queues the rest) and says so once.
/// Each request reaches `service` with its peer address ([`PeerAddr`]) and
/// its body unread.
///
/// # Errors
/// Never in practice; accept errors are logged and retried.
pub async fn serve_http<S>(
    listener: TcpListener,
    service: S,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> Result<(), lambda_http::Error>
where
    S: Service<Request<Incoming>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(READ_BUFFER_BYTES);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            %addr,
            max_connections = limits.max_connections,
            body_timeout_ms = limits.body_timeout.as_millis(),
            write_timeout_ms = limits.write_timeout.as_millis(),
            "listening"
        );
    }
    let mut at_capacity = false;
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let full = slots.available_permits() == 0;
        if full && !at_capacity {
            tracing::warn!(
                max_connections = limits.max_connections,
                "connection limit reached; new connections wait until one closes ({VAR_MAX_CONNECTIONS})"
            );
        }
        at_capacity = full;
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = service.clone();
        let per_connection = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(PeerAddr(peer));
            let service = service.clone();
            async move {
                let response = match service.oneshot(req).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(full_body(response))
            }
        });
        let stream = WriteDeadline::new(stream, limits.write_timeout);
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), per_connection));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
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

/// A connection whose writes fail (and so end the connection) once one has
/// waited [`HttpLimits::write_timeout`] for the socket to take bytes: the
/// client is not reading its answers. The clock starts when a write or flush
/// cannot go on, and stops when one does.
struct WriteDeadline<T> {
    inner: T,
    timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteDeadline<T> {
    fn new(inner: T, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// `poll` of the inner write, with the deadline.
    fn deadline<R>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>>
    where
        T: Unpin,
    {
        if let Poll::Ready(done) = poll(Pin::new(&mut self.inner), cx) {
            self.stalled = None;
            return Poll::Ready(done);
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(stalled.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client did not read its answer in time",
        )))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .deadline(cx, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .deadline(cx, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().deadline(cx, AsyncWrite::poll_flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().deadline(cx, AsyncWrite::poll_shutdown)
    }
}

/// A lambda_http response as hyper sends it.
fn full_body(response: Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use customauth_core::env::from_pairs as env;

    #[test]
    fn defaults_are_five_seconds_and_a_cap_below_the_fd_limit() {
        let limits = HttpLimits::from_env(&env(&[])).expect("defaults");
        assert_eq!(limits.body_timeout, Duration::from_secs(5));
        assert_eq!(limits.write_timeout, Duration::from_secs(5));
        let fds = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(u64::MAX);
        assert!(limits.max_connections as u64 <= fds.saturating_sub(RESERVED_FDS));
        assert!(limits.max_connections as u64 <= DEFAULT_MAX_CONNECTIONS);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            (VAR_BODY_TIMEOUT_MS, "0"),
            (VAR_BODY_TIMEOUT_MS, "99"),
            (VAR_BODY_TIMEOUT_MS, "60001"),
            (VAR_BODY_TIMEOUT_MS, "5s"),
            (VAR_MAX_CONNECTIONS, "0"),
            (VAR_MAX_CONNECTIONS, "-1"),
            (VAR_MAX_CONNECTIONS, "99999999999999"),
            (VAR_WRITE_TIMEOUT_MS, "99"),
            (VAR_WRITE_TIMEOUT_MS, "never"),
            ("CUSTOMAUTH_LOG_QUEUE_LINES", "10"),
        ] {
            let e = HttpLimits::from_env(&env(&[(name, value)]))
                .expect_err(value)
                .to_string();
            assert!(e.contains(name), "{name}={value}: {e}");
        }
        let ok = HttpLimits::from_env(&env(&[
            (VAR_BODY_TIMEOUT_MS, "250"),
            (VAR_MAX_CONNECTIONS, "3"),
        ]))
        .expect("valid");
        assert_eq!(
            (ok.body_timeout, ok.max_connections),
            (Duration::from_millis(250), 3)
        );
    }
}
