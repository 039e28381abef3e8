//! HTTP plumbing shared by the functions: the error model, strict JSON
//! request bodies, request ids and JSON responses.
//!
//! Every expected failure is an `Ok` response with a JSON body
//! `{"code", "message", "requestId"}`: a lambda_http handler that returns
//! `Err` becomes a bare 502 at the gateway. [`ApiError`] is the one place
//! errors become HTTP; the domain errors convert into it with `From`, so
//! handlers use `?`.

use std::sync::atomic::{AtomicU64, Ordering};

use lambda_http::http::{Extensions, HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt as _};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::json::describe_json_error_in;

use crate::identity::AuthError;
use crate::ticket::{InvalidOptions, TicketError};
use crate::user_id::InvalidUserId;

/// Largest request body accepted: 16 KiB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Header the Lambda adapter sets (after removing any client copy) on an
/// event lambda_http cannot take as it is: a body flagged base64 that does not
/// decode (`base64-body`), or a host/path that does not form a URI (`uri`).
/// Such requests get a 400.
pub const INVALID_BODY_MARKER: &str = "x-customauth-invalid-event";

/// A failure the client is told about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or out of range.
    #[error("{message}")]
    BadRequest {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable reason (never a secret, never long input).
        message: String,
    },
    /// 401: no or bad caller credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the caller may not ask for this.
    #[error("{0}")]
    Forbidden(String),
    /// 405: wrong method; `Allow` lists the right ones.
    #[error("method not allowed; use {allow}")]
    MethodNotAllowed {
        /// The `Allow` header value.
        allow: &'static str,
    },
    /// 408: the body did not arrive within the deadline (HTTP mode).
    #[error("request body was not received in time")]
    RequestTimeout,
    /// 413: body over [`MAX_BODY_BYTES`].
    #[error("request body is larger than {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    /// 415: a body that is not JSON.
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// 500: anything unexpected. The body is generic; details go to the log.
    #[error("internal error")]
    Internal,
    /// 503: a service this one depends on (CloudBase) cannot answer now.
    #[error("{0}")]
    Unavailable(String),
}

impl ApiError {
    /// A 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `code` field of the body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Unauthorized(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::Internal => "INTERNAL",
            Self::Unavailable(_) => "UNAVAILABLE",
        }
    }

    /// The JSON error response, logged: client errors at `warn`, server
    /// errors at `error`, both rate-limited ([`refusals`](crate::server::refusals)). The one place errors become HTTP. Any body type
    /// that can be made from a `String` (lambda_http's, axum's, hyper's
    /// `Full`).
    pub fn into_response<B: From<String>>(
        self,
        request_id: &str,
    ) -> lambda_http::http::Response<B> {
        let status = self.status();
        if status.is_server_error() {
            crate::server::refusals::failed(request_id, status.as_u16(), self.code());
        } else {
            crate::server::refusals::refused(request_id, status.as_u16(), self.code(), &self);
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct ErrorBody<'a> {
            code: &'a str,
            message: String,
            request_id: &'a str,
        }
        let mut response = json_response(
            status,
            &ErrorBody {
                code: self.code(),
                message: self.to_string(),
                request_id,
            },
        );
        if let Self::MethodNotAllowed { allow } = self {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if matches!(self, Self::RequestTimeout | Self::PayloadTooLarge) {
            // The rest of the body is not read: the connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A JSON response with `status`, its body ending with a newline (so that a
/// shell prompt after `curl` starts on its own line). Never fails:
/// serialization of our own response types cannot fail, and if it did the
/// body would be `{}`.
pub fn json_response<B: From<String>>(
    status: StatusCode,
    body: &impl Serialize,
) -> lambda_http::http::Response<B> {
    let mut text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    let mut response = lambda_http::http::Response::new(B::from(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unavailable(_) => Self::Unavailable(e.to_string()),
            _ => Self::Unauthorized(e.to_string()),
        }
    }
}

impl From<InvalidUserId> for ApiError {
    fn from(e: InvalidUserId) -> Self {
        Self::bad_request("INVALID_CUSTOM_USER_ID", e.to_string())
    }
}

impl From<InvalidOptions> for ApiError {
    fn from(e: InvalidOptions) -> Self {
        Self::bad_request("INVALID_OPTIONS", e.to_string())
    }
}

impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::InvalidOptions(e) => e.into(),
            TicketError::Sign(e) => {
                tracing::error!(error = %e, "signing failed");
                Self::Internal
            }
        }
    }
}

/// The id of the request being answered, as the function entry point
/// assigned it ([`request_id`]), in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Refuses methods other than `allowed`, and (first) an event the Lambda
/// adapter marked malformed ([`INVALID_BODY_MARKER`]). The function entry
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
    if let Some(reason) = req.headers().get(INVALID_BODY_MARKER) {
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

/// Reads a request body into one buffer of at most `limit` bytes, within
/// `deadline`: a `Content-Length` over the limit is refused before anything
/// is read, and each frame is copied into the buffer and dropped, so a body
/// sent in many small chunks costs its bytes, not its frames. An empty body
/// is [`Body::Empty`]. Nothing is read (and no `100 Continue` sent) until this
/// is called.
///
/// # Errors
/// [`ApiError::PayloadTooLarge`] past `limit`; [`ApiError::RequestTimeout`]
/// when the whole body has not arrived within `deadline`; a 400
/// `INVALID_REQUEST` when the body cannot be read (the connection broke).
pub async fn read_body<B>(
    headers: &lambda_http::http::HeaderMap,
    body: B,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<Body, ApiError>
where
    B: http_body::Body,
    B::Data: bytes::Buf,
{
    use bytes::Buf as _;
    use http_body_util::BodyExt as _;

    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    let read = async {
        let mut body = std::pin::pin!(body);
        let mut buffer: Vec<u8> = Vec::with_capacity(declared.map_or(0, |n| n as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| {
                ApiError::bad_request("INVALID_REQUEST", "request body could not be read")
            })?;
            let Ok(mut data) = frame.into_data() else {
                continue;
            };
            if buffer.len() + data.remaining() > limit {
                return Err(ApiError::PayloadTooLarge);
            }
            while data.has_remaining() {
                let chunk = data.chunk();
                buffer.extend_from_slice(chunk);
                let n = chunk.len();
                data.advance(n);
            }
        }
        Ok(buffer)
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(buffer)) if buffer.is_empty() => Ok(Body::Empty),
        Ok(Ok(buffer)) => Ok(Body::Binary(buffer)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ApiError::RequestTimeout),
    }
}

/// Decodes a JSON request body strictly into `T`: at most
/// [`MAX_BODY_BYTES`], `Content-Type` JSON when there is a body, UTF-8, and
/// whatever `T` refuses (use `deny_unknown_fields`: serde refuses duplicate
/// keys of a struct). An empty body decodes as `{}`. `T` is a flat struct
/// (no map fields): a field with the wrong type is then named by its key,
/// which only one of `T`'s own field names can be.
///
/// # Errors
/// [`ApiError::PayloadTooLarge`], [`ApiError::UnsupportedMediaType`] or a
/// 400 `INVALID_REQUEST` whose message quotes nothing of the input but a
/// field name of `T` ([`describe_json_error_in`]).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_str("{}").map_err(|_| ApiError::Internal);
    }
    if !is_json_content_type(req.headers().get(header::CONTENT_TYPE)) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("INVALID_REQUEST", "request body is not valid UTF-8"))?;
    // serde's derived struct decoding also takes a JSON array by position
    // (`["user",1000,null]`): only an object is a request body here.
    if !text.trim_start().starts_with('{') {
        return Err(ApiError::bad_request(
            "INVALID_REQUEST",
            "request body must be a JSON object",
        ));
    }
    let refused = |e: &serde_json::Error, field: Option<&str>| {
        ApiError::bad_request("INVALID_REQUEST", describe_json_error_in(e, field))
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        // A key reached as a value's path passed `T`'s field check (an
        // unknown key fails before its value is read, and is never named).
        let field = match e.path().iter().collect::<Vec<_>>().as_slice() {
            [serde_path_to_error::Segment::Map { key }] => Some(key.as_str()),
            _ => None,
        };
        refused(e.inner(), field)
    })?;
    // As serde_json::from_str: nothing but whitespace after the value.
    de.end().map_err(|e| refused(&e, None))?;
    Ok(value)
}

fn is_json_content_type(value: Option<&HeaderValue>) -> bool {
    let Some(mime) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// For `#[serde(default, deserialize_with = "present")]` on an `Option`
/// field: absent is `None`, but an explicit `null` is refused as a wrong
/// type (a field is either given a value of its type or left out).
///
/// # Errors
/// The deserializer's error for `null` or a value of another type.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Response;
    use lambda_http::http;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[serde(default, deserialize_with = "present")]
        a: Option<u64>,
    }

    fn post(content_type: Option<&str>, body: Body) -> Request {
        let mut b = http::Request::builder().method("POST").uri("/x");
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        b.body(body).expect("request")
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        let r: Sample = json_body(&post(None, Body::Empty)).expect("ok");
        assert_eq!(r, Sample { a: None });
    }

    #[test]
    fn json_with_charset_and_plus_json_accepted() {
        for ct in [
            "application/json; charset=utf-8",
            "application/vnd.x+json",
            "Application/JSON",
        ] {
            let r: Sample = json_body(&post(Some(ct), Body::from(r#"{"a":1}"#))).expect(ct);
            assert_eq!(r.a, Some(1));
        }
    }

    #[test]
    fn non_json_content_type_is_415() {
        let err = json_body::<Sample>(&post(Some("text/plain"), Body::from("{}"))).unwrap_err();
        assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let err = json_body::<Sample>(&post(None, Body::from("{}"))).unwrap_err();
        assert_eq!(err, ApiError::UnsupportedMediaType);
    }

    #[test]
    fn oversized_body_is_413() {
        let big = format!(r#"{{"a":1{}}}"#, " ".repeat(MAX_BODY_BYTES));
        let err =
            json_body::<Sample>(&post(Some("application/json"), Body::from(big))).unwrap_err();
        assert_eq!(err, ApiError::PayloadTooLarge);
    }

    #[test]
    fn duplicate_unknown_and_mistyped_fields_are_400_without_echo() {
        for (body, expect) in [
            (r#"{"a":1,"a":2}"#, "duplicate field \"a\""),
            (
                r#"{"SECRETVALUE":1}"#,
                "unknown field; the allowed fields are a",
            ),
            (r#"{"a":"SECRETVALUE"}"#, "field \"a\" has the wrong type"),
            (r#"{"a":1.5}"#, "wrong type"),
            (r#"{"a":-1}"#, "wrong type"),
            (r#"{"a":99999999999999999999999}"#, "wrong type"),
            (r#"{"a":1"#, "ends early"),
            (r#"{"a":null}"#, "wrong type"),
            ("[1]", "must be a JSON object"),
            ("[]", "must be a JSON object"),
            ("1", "must be a JSON object"),
            ("null", "must be a JSON object"),
            ("[1,2", "JSON"),
            (r#"{"a":1} x"#, "not valid JSON"),
            (r#"{"a":1}{}"#, "not valid JSON"),
        ] {
            let err =
                json_body::<Sample>(&post(Some("application/json"), Body::from(body))).unwrap_err();
            assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{body}");
            let text = err.to_string();
            assert!(text.contains(expect), "{body}: {text}");
            assert!(!text.contains("SECRETVALUE"));
        }
    }

    #[test]
    fn invalid_utf8_is_400() {
        let err = json_body::<Sample>(&post(
            Some("application/json"),
            Body::Binary(vec![b'{', 0xff, b'}']),
        ))
        .unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn marked_events_are_400_before_the_method_check() {
        for reason in ["base64-body", "uri"] {
            let mut r = post(Some("application/json"), Body::Empty);
            r.headers_mut()
                .insert(INVALID_BODY_MARKER, HeaderValue::from_static(reason));
            let err = check_method(&r, &[Method::GET], "GET").unwrap_err();
            assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{reason}");
        }
    }

    #[test]
    fn error_response_has_code_message_request_id_and_allow() {
        let resp: Response<Body> =
            ApiError::MethodNotAllowed { allow: "POST" }.into_response("req-1");
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(resp.headers()["allow"], "POST");
        let Body::Text(text) = resp.body() else {
            panic!("text body")
        };
        let v: serde_json::Value = serde_json::from_str(text).expect("json");
        assert_eq!(v["code"], "METHOD_NOT_ALLOWED");
        assert_eq!(v["requestId"], "req-1");
        assert!(v["message"].is_string());
    }

    #[test]
    fn internal_error_body_is_generic() {
        let resp: Response<Body> = ApiError::Internal.into_response("r");
        let Body::Text(text) = resp.body() else {
            panic!("text body")
        };
        assert_eq!(
            text,
            "{\"code\":\"INTERNAL\",\"message\":\"internal error\",\"requestId\":\"r\"}\n"
        );
    }

    #[test]
    fn local_request_ids_are_unique() {
        let r = post(None, Body::Empty);
        assert_ne!(request_id(&r), request_id(&r));
    }
}
