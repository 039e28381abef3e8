//! What a request must be before its body is read: an allowed method, and a
//! request id (the invocation's, the gateway's, or a local one); and the mark
//! the Lambda adapter puts on an event lambda_http cannot take as it is.

use std::sync::atomic::{AtomicU64, Ordering};

use lambda_http::RequestExt as _;
use lambda_http::http::{Extensions, Method};

use super::ApiError;

/// Header the Lambda adapter sets (after removing any client copy) on an
/// event lambda_http cannot take as it is: a body flagged base64 that does not
/// decode (`base64-body`), or a host/path that does not form a URI (`uri`).
/// Such requests get a 400.
pub const INVALID_EVENT_MARKER: &str = "x-customauth-invalid-event";

/// The id of the request being answered, as the function entry point
/// assigned it ([`request_id`]), in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Refuses methods other than `allowed`, and (first) an event the Lambda
/// adapter marked malformed ([`INVALID_EVENT_MARKER`]). The function entry
/// point calls this before anything else.
///
/// # Errors
/// [`ApiError::MethodNotAllowed`] with `allow` as the `Allow` header; a 400
/// `INVALID_REQUEST` for a marked event.
pub fn check_method<B>(
    req: &lambda_http::http::Request<B>,
    allowed: &[Method],
    allow: &'static str,
) -> Result<(), ApiError> {
    if let Some(reason) = req.headers().get(INVALID_EVENT_MARKER) {
        let message = if reason == "base64-body" {
            "request body is flagged base64 but is not valid base64"
        } else {
            "request host, path or query is malformed"
        };
        return Err(ApiError::bad_request("INVALID_REQUEST", message));
    }
    if allowed.contains(req.method()) {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}

/// The request id: the Lambda invocation's, else the gateway's, else one made
/// here (HTTP mode). Client-sent ids are not trusted.
pub fn request_id<B>(req: &lambda_http::http::Request<B>) -> String {
    request_id_of(req.extensions())
}

/// As [`request_id`], from a request's extensions.
pub fn request_id_of(extensions: &Extensions) -> String {
    if let Some(ctx) = extensions.lambda_context_ref()
        && !ctx.request_id.is_empty()
    {
        return ctx.request_id.clone();
    }
    use lambda_http::request::RequestContext;
    let gateway = match extensions.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.request_id.clone(),
        _ => None,
    };
    gateway.unwrap_or_else(local_request_id)
}

/// A request id made here: a random per-process prefix and a counter.
pub fn local_request_id() -> String {
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut b = [0u8; 4];
        aws_lc_rs::rand::fill(&mut b).ok();
        u32::from_le_bytes(b)
    });
    format!(
        "{prefix:08x}-{:012x}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
