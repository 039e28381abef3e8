//! Strict request bodies: one bounded buffer read within a deadline, JSON
//! only by `Content-Type`, unknown and `null` fields refused.

use customauth_core::json::describe_json_error_in;
use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

use super::ApiError;

/// Largest request body accepted: 16 KiB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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
