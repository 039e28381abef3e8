//! CloudBase's answers to an identity lookup, read into a [`Caller`].
//!
//! Pure functions of the status and body, so every shape is tested without
//! a network. The fields read are the ones the SDKs read
//! (../shared/CLOUDBASE.md §1 and §2):
//! - v2 `GET /auth/v1/user/me`: `sub` (the uid), `providers`
//!   (`[{"id": "custom", "provider_user_id": CUSTOM_USER_ID}]`), and
//!   `is_anonymous` or `created_from: "anonymous"`; an error is a JSON
//!   object with `error`, whatever the status.
//! - v1 `auth.getUserInfo`: HTTP 200 with `data` (`uid`, `customUserId`,
//!   `loginType`, `envId`), or with `code` and `message` for an error.

use customauth_core::user_id::CustomUserId;
use serde_json::Value;

use super::super::caller::{AuthError, Caller, UserInfo, VerifiedUser};

/// Reads the answer to `GET /auth/v1/user/me`.
pub(super) fn from_v2(status: u16, body: &[u8]) -> Result<Caller, AuthError> {
    let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(body) else {
        return Err(unexpected(status));
    };
    if let Some(error) = json.get("error") {
        tracing::debug!(status, error = %short(error), "CloudBase refused the access token");
        return if (400..500).contains(&status) && status != 429 {
            Err(AuthError::Invalid(
                "CloudBase did not accept the access token",
            ))
        } else {
            Err(unexpected(status))
        };
    }
    if status != 200 {
        return Err(unexpected(status));
    }
    let Some(uid) = json
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Err(unexpected(status));
    };
    let custom = json
        .get("providers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|p| p.get("id").and_then(Value::as_str) == Some("custom"))
        .and_then(|p| p.get("provider_user_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let anonymous = json.get("is_anonymous").and_then(Value::as_bool) == Some(true)
        || json.get("created_from").and_then(Value::as_str) == Some("anonymous");
    caller(uid, custom, anonymous)
}

/// Reads the answer to the v1 action `auth.getUserInfo` for `env`.
pub(super) fn from_v1(status: u16, body: &[u8], env: &str) -> Result<Caller, AuthError> {
    if status != 200 {
        return Err(unexpected(status));
    }
    let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(body) else {
        return Err(unexpected(status));
    };
    if let Some(code) = json.get("code").filter(|c| !c.is_null()) {
        tracing::debug!(code = %short(code), "CloudBase refused the access token");
        let code = code.as_str().unwrap_or_default();
        // The codes of a token CloudBase does not accept; anything else
        // (SYS_ERR, a quota, an unknown code) is CloudBase's trouble.
        return if code.contains("TOKEN")
            || code.contains("CREDENTIALS")
            || code.contains("SIGN_PARAM")
            || code.contains("PERMISSION")
            || code.contains("INVALID_PARAM")
        {
            Err(AuthError::Invalid(
                "CloudBase did not accept the access token",
            ))
        } else {
            Err(unexpected(status))
        };
    }
    let Some(data) = json.get("data").and_then(Value::as_object) else {
        return Err(unexpected(status));
    };
    if let Some(answered) = data.get("envId").and_then(Value::as_str)
        && !answered.is_empty()
        && answered != env
    {
        return Err(AuthError::Invalid(
            "the access token belongs to another CloudBase environment",
        ));
    }
    let Some(uid) = data
        .get("uid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Err(unexpected(status));
    };
    let custom = data
        .get("customUserId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let anonymous = data.get("loginType").and_then(Value::as_str) == Some("ANONYMOUS");
    caller(uid, custom, anonymous)
}

/// A custom user becomes [`Caller::User`]; anyone else signed in (anonymous,
/// another login method) [`Caller::CloudBase`].
fn caller(uid: &str, custom: Option<&str>, anonymous: bool) -> Result<Caller, AuthError> {
    let mut info = UserInfo {
        uid: uid.to_owned(),
        is_anonymous: anonymous,
        ..UserInfo::default()
    };
    match custom {
        Some(custom) if !anonymous => {
            let user_id = CustomUserId::parse(custom).map_err(AuthError::InvalidIdentity)?;
            info.custom_user_id = user_id.as_str().to_owned();
            Ok(Caller::User(VerifiedUser { user_id, info }))
        }
        _ => Ok(Caller::CloudBase(info)),
    }
}

fn unexpected(status: u16) -> AuthError {
    tracing::debug!(
        status,
        "CloudBase answered the identity lookup unexpectedly"
    );
    AuthError::Unavailable("CloudBase gave no usable answer")
}

/// At most 64 characters of a JSON value, for a debug log line.
fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.chars().take(64).collect()
}
