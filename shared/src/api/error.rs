//! The error model: every expected failure is an `Ok` response with a JSON
//! body `{"code", "message", "requestId"}` (a lambda_http handler that
//! returns `Err` becomes a bare 502 at the gateway). [`ApiError`] is the one
//! place errors become HTTP; the domain errors convert into it with `From`,
//! so handlers use `?`.

use customauth_core::ticket::{InvalidOptions, TicketError};
use customauth_core::user_id::InvalidUserId;
use lambda_http::http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use super::MAX_BODY_BYTES;
use crate::identity::AuthError;

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
    /// errors at `error`, both rate-limited ([`refusals`](super::refusals)). The one place errors become HTTP. Any body type
    /// that can be made from a `String` (lambda_http's, axum's, hyper's
    /// `Full`).
    pub fn into_response<B: From<String>>(
        self,
        request_id: &str,
    ) -> lambda_http::http::Response<B> {
        let status = self.status();
        if status.is_server_error() {
            super::refusals::failed(request_id, status.as_u16(), self.code());
        } else {
            super::refusals::refused(request_id, status.as_u16(), self.code(), &self);
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
