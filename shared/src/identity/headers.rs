//! Credentials in headers: `Authorization: Bearer <credential>` and
//! `X-Api-Key`, each present at most once and at most
//! [`MAX_CREDENTIAL_BYTES`] long.

use lambda_http::http::HeaderMap;
use lambda_http::http::header::AUTHORIZATION;

use super::caller::AuthError;

/// Largest bearer token or API key looked at, in bytes.
pub const MAX_CREDENTIAL_BYTES: usize = 8 * 1024;

/// The credential of `Authorization: Bearer <credential>`.
pub(super) fn bearer(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = single_header(
        headers,
        AUTHORIZATION.as_str(),
        "more than one Authorization header",
    )?;
    let (scheme, credential) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Invalid("the Authorization scheme is not Bearer"));
    }
    credential_in(credential, "empty Bearer credential")
}

/// `X-Api-Key` if present, else the `Authorization: Bearer` credential.
pub(super) fn presented_api_key(headers: &HeaderMap) -> Result<&str, AuthError> {
    if !headers.contains_key("x-api-key") {
        return bearer(headers);
    }
    let value = single_header(headers, "x-api-key", "more than one X-Api-Key header")?;
    credential_in(value, "empty X-Api-Key header")
}

/// `text` without surrounding blanks, if neither empty nor oversized.
fn credential_in<'a>(text: &'a str, empty: &'static str) -> Result<&'a str, AuthError> {
    let credential = text.trim_matches([' ', '\t']);
    if credential.is_empty() {
        return Err(AuthError::Invalid(empty));
    }
    if credential.len() > MAX_CREDENTIAL_BYTES {
        return Err(AuthError::Invalid("credential larger than 8 KiB"));
    }
    Ok(credential)
}

/// The one value of header `name`.
fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &str,
    duplicated: &'static str,
) -> Result<&'a str, AuthError> {
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(AuthError::Missing)?;
    if values.next().is_some() {
        return Err(AuthError::Invalid(duplicated));
    }
    // Cheap early refusal; the credential itself is measured later.
    if value.len() > MAX_CREDENTIAL_BYTES + 64 {
        return Err(AuthError::Invalid("credential larger than 8 KiB"));
    }
    value
        .to_str()
        .map_err(|_| AuthError::Invalid("credential header is not visible ASCII"))
}
