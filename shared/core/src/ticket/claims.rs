//! The ticket format: `private_key_id + "/@@/" + JWT`, the JWT's exact header,
//! and its claims in the SDK's key order, every time in milliseconds.

use std::fmt;

use serde::Serialize;

use crate::user_id::CustomUserId;

/// Separator between the key id and the JWT.
pub const KEY_ID_SEPARATOR: &str = "/@@/";
/// The JWT header, exactly as the SDK writes it.
pub const HEADER_JSON: &str = r#"{"alg":"RS256","typ":"JWT"}"#;
/// [`HEADER_JSON`] in base64url.
pub const HEADER_B64: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
/// How long a ticket may be exchanged for a login: `exp = iat + 600000`.
pub const TICKET_LIFETIME_MS: u64 = 600_000;
/// Largest integer the client (JavaScript) reads exactly: `2^53 - 1`.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The claims of a ticket, all times in milliseconds. Serializes in the
/// SDK's key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// Always `RS256`.
    pub alg: &'static str,
    /// The CloudBase environment id.
    pub env: String,
    /// Issued at.
    pub iat: u64,
    /// The ticket must be exchanged before this: `iat + 600000`.
    pub exp: u64,
    /// The customUserId the ticket signs in.
    pub uid: CustomUserId,
    /// Login-state refresh interval.
    pub refresh: u64,
    /// When the login state expires.
    pub expire: u64,
}

/// A signed ticket. `Debug` shows the claims but not the ticket: a ticket is
/// a credential and must not reach a log.
#[derive(Clone)]
pub struct Ticket {
    pub(super) token: String,
    pub(super) claims: Claims,
}

impl Ticket {
    /// The ticket text to hand to `signInWithTicket`.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The ticket text.
    pub fn into_string(self) -> String {
        self.token
    }

    /// What was signed.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("token", &"[redacted]")
            .field("claims", &self.claims)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn header_constant_is_the_sdk_header() {
        assert_eq!(URL_SAFE_NO_PAD.encode(HEADER_JSON), HEADER_B64);
    }
}
