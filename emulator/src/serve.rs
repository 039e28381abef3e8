//! The HTTP/1.1 server (hyper) with the bounds of the functions' HTTP mode:
//! a deadline for each request head, which is also how long an idle
//! keep-alive connection is kept; a deadline for the rest of a request (its
//! body); a cap on connections below the file-descriptor limit (past it new
//! connections wait in the kernel's queue, so the process never runs out of
//! descriptors); and a graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// How long a client may take to send a request head, and how long an idle
/// keep-alive connection is kept: the functions' value.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may take once its head has arrived (its body): 408
/// after that. The functions' default body deadline.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// The most hyper buffers for one connection, request head included (a
/// larger head is refused with 431).
const READ_BUFFER_BYTES: usize = 16 * 1024;
/// File descriptors kept back from the connection cap for everything else
/// (the listener, the store and its WAL, logs, the runtime).
const RESERVED_FDS: u64 = 32;
/// The connection cap when the file-descriptor limit allows it.
const DEFAULT_MAX_CONNECTIONS: u64 = 8192;
/// How long in-flight requests may finish after SIGINT/SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (as the functions do)
/// and returns the connection cap: 8192, or that limit less 32 when lower.
pub fn max_connections() -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let mut fds = limit.current.unwrap_or(u64::MAX);
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
        fds = hard;
    }
    let cap = DEFAULT_MAX_CONNECTIONS.min(fds.saturating_sub(RESERVED_FDS).max(1));
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// Serves `router` on `listener` until `shutdown` completes, then waits up
/// to 5 s for in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    max_connections: usize,
    shutdown: impl Future<Output = ()>,
) {
    let service = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            BODY_TIMEOUT,
        ))
        .service(router);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(READ_BUFFER_BYTES);
    let slots = Arc::new(Semaphore::new(max_connections));
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
                max_connections,
                "connection limit reached; new connections wait until one closes \
                 (idle ones close after {} s)",
                HEADER_TIMEOUT.as_secs()
            );
        }
        at_capacity = full;
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = service.clone();
        let per_connection =
            hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                service.clone().oneshot(request)
            });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), per_connection));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within the grace period");
    }
}
