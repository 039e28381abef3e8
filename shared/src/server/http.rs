//! HTTP mode: a plain HTTP/1.1 server (hyper) with header and keep-alive
//! timeouts, a body cap, and a graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use lambda_http::{Body, Request, Response};
use tokio::net::TcpListener;
use tower::Service;
use tower::ServiceExt as _;

use crate::client_ip::PeerAddr;
use crate::http::{ApiError, MAX_BODY_BYTES};
use crate::server::SHUTDOWN_GRACE;

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then waits up to
/// [`SHUTDOWN_GRACE`] for in-flight requests.
///
/// # Errors
/// Never in practice; accept errors are logged and retried.
pub async fn serve_http<S>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()>,
) -> Result<(), lambda_http::Error>
where
    S: Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
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
                let service = service.clone();
                let per_connection = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let service = service.clone();
                    async move { Ok::<_, Infallible>(handle_http(req, peer, service).await) }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), per_connection);
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

async fn handle_http<S>(
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    service: S,
) -> hyper::Response<Full<Bytes>>
where
    S: Service<Request, Response = Response<Body>, Error = Infallible>,
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
            match service.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
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
