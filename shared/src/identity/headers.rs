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

/// How a CloudBase access token was presented.
#[cfg(feature = "cloudbase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CloudBaseForm {
    /// `Authorization: Bearer ACCESS_TOKEN` (js-sdk 2.x): checked with v2
    /// `GET /auth/v1/user/me`.
    Bearer = 0,
    /// `X-Cloudbase-Credentials: ACCESS_TOKEN/@@/REFRESH_TOKEN` (the HTTP
    /// access service, js-sdk 1.x `getAuthHeader()`): checked with the v1
    /// action `auth.getUserInfo`. The refresh token is never used.
    Credentials = 1,
}

/// The header carrying CloudBase credentials in the HTTP access service's form.
#[cfg(feature = "cloudbase")]
pub(super) const CLOUDBASE_CREDENTIALS: &str = "x-cloudbase-credentials";

/// The CloudBase access token of a request, and the form it came in. Both
/// forms at once are refused: which one to believe is not ours to guess.
#[cfg(feature = "cloudbase")]
pub(super) fn cloudbase_credential(
    headers: &HeaderMap,
) -> Result<(CloudBaseForm, &str), AuthError> {
    if !headers.contains_key(CLOUDBASE_CREDENTIALS) {
        return bearer(headers).map(|token| (CloudBaseForm::Bearer, token));
    }
    if headers.contains_key(AUTHORIZATION) {
        return Err(AuthError::Invalid(
            "both Authorization and X-Cloudbase-Credentials are present",
        ));
    }
    let value = single_header(
        headers,
        CLOUDBASE_CREDENTIALS,
        "more than one X-Cloudbase-Credentials header",
    )?;
    let access = value.split_once("/@@/").map_or(value, |(access, _)| access);
    let token = credential_in(access, "empty X-Cloudbase-Credentials access token")?;
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AuthError::Invalid("the access token contains a space"));
    }
    Ok((CloudBaseForm::Credentials, token))
}
