//! Who is calling: the types every mode produces, and the claims view that
//! the gateway and jwt modes read an identity from.
//!
//! A leaf module: it imports nothing from its siblings or its parent, so that
//! `gateway`, `jwt` and `headers` can use these types and `identity` can use
//! those modules, without a cycle.

use std::collections::HashMap;

use customauth_core::user_id::{CustomUserId, InvalidUserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What `auth().getUserInfo()` returns in the SDK, field for field:
/// `{"openId","appId","uid","customUserId","isAnonymous"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    /// The `openId` (or `openid`) claim; `""` without one.
    pub open_id: String,
    /// The `appId` (or `appid`) claim; `""` without one.
    pub app_id: String,
    /// The `sub` claim; the customUserId without one.
    pub uid: String,
    /// The customUserId taken from the identity claim.
    pub custom_user_id: String,
    /// `false` for a verified user.
    pub is_anonymous: bool,
}

/// A user whose identity an authorizer or a verified JWT vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedUser {
    /// The identity claim, checked against the customUserId rule.
    pub user_id: CustomUserId,
    /// The SDK-shaped description of the user.
    pub info: UserInfo,
}

/// Who is calling. More kinds of caller may come with more modes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caller {
    /// A verified user (`gateway` and `jwt` modes).
    User(VerifiedUser),
    /// A trusted backend holding a valid API key (`api-key` mode); the
    /// request body names the customUserId.
    Backend,
    /// Anyone (`none` mode, development only).
    Anonymous,
    /// A user signed in to CloudBase without a customUserId that CloudBase
    /// vouches for: an anonymous user or one of another login method
    /// (`cloudbase` mode), or any caller of a CloudBase HTTP function
    /// (`cloudbase-context` mode, whose context carries the uid only).
    CloudBase(UserInfo),
}

/// Why a request has no acceptable caller. Every variant means HTTP 401,
/// except [`AuthError::Unavailable`] (503).
///
/// Messages are fixed texts: they never contain a token, key or claim value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials: no `Authorization` / `X-Api-Key` header, or (gateway
    /// mode) no authorizer identity in the request context.
    #[error("no caller credentials")]
    Missing,
    /// Credentials were presented but are not acceptable.
    #[error("invalid caller credentials: {0}")]
    Invalid(&'static str),
    /// The identity claim is not a valid customUserId.
    #[error("the caller's identity is not a valid customUserId: {0}")]
    InvalidIdentity(InvalidUserId),
    /// The service that vouches for callers (CloudBase, in `cloudbase`
    /// mode) could not say, in time or at all: not the caller's fault.
    #[error("the caller cannot be checked now: {0}")]
    Unavailable(&'static str),
}

// ---------------------------------------------------------------------------
// Claims

/// A read-only view of the claims an identity came with.
pub(super) enum Claims<'a> {
    /// HTTP API JWT authorizer: every claim already a string.
    Strings(&'a HashMap<String, String>),
    /// Authorizer contexts.
    Fields(&'a HashMap<String, Value>),
    /// Cognito claims, and JWT payloads.
    Object(&'a serde_json::Map<String, Value>),
}

enum Claim<'a> {
    Absent,
    Str(&'a str),
    NotString,
}

impl Claims<'_> {
    fn get(&self, name: &str) -> Claim<'_> {
        let value = match self {
            Self::Strings(map) => return map.get(name).map_or(Claim::Absent, |s| Claim::Str(s)),
            Self::Fields(map) => map.get(name),
            Self::Object(map) => map.get(name),
        };
        match value {
            None | Some(Value::Null) => Claim::Absent,
            Some(Value::String(s)) => Claim::Str(s),
            Some(_) => Claim::NotString,
        }
    }

    fn string(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| match self.get(name) {
            Claim::Str(s) => Some(s),
            Claim::Absent | Claim::NotString => None,
        })
    }

    pub(super) fn user(&self, user_id_claim: &str) -> Result<VerifiedUser, AuthError> {
        let user_id = match self.get(user_id_claim) {
            Claim::Str(s) => CustomUserId::parse(s).map_err(AuthError::InvalidIdentity)?,
            Claim::Absent => return Err(AuthError::Invalid("the identity claim is missing")),
            Claim::NotString => {
                return Err(AuthError::Invalid("the identity claim is not a string"));
            }
        };
        let uid = match self.string(&["sub"]) {
            Some(sub) if !sub.is_empty() => sub.to_owned(),
            _ => user_id.as_str().to_owned(),
        };
        let info = UserInfo {
            open_id: self
                .string(&["openId", "openid"])
                .unwrap_or_default()
                .to_owned(),
            app_id: self
                .string(&["appId", "appid"])
                .unwrap_or_default()
                .to_owned(),
            uid,
            custom_user_id: user_id.as_str().to_owned(),
            is_anonymous: false,
        };
        Ok(VerifiedUser { user_id, info })
    }
}
