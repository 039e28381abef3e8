//! Custom login tickets, byte-identical to `@cloudbase/node-sdk`'s
//! `app.auth().createTicket`.
//!
//! `ticket = private_key_id + "/@@/" + JWT`, the JWT signed RS256, its header
//! exactly `{"alg":"RS256","typ":"JWT"}` and its payload keys in the SDK's
//! order: `{"alg","env","iat","exp","uid","refresh","expire"}`, every time in
//! milliseconds. `jsonwebtoken::encode` writes the header keys the other way
//! round, so the signing input is built here.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::credentials::Credentials;
use crate::key::{KeyError, SignError, SigningKey};
use crate::user_id::CustomUserId;
use crate::verify::TicketVerifier;

/// Separator between the key id and the JWT.
pub const KEY_ID_SEPARATOR: &str = "/@@/";
/// The JWT header, exactly as the SDK writes it.
pub const HEADER_JSON: &str = r#"{"alg":"RS256","typ":"JWT"}"#;
/// [`HEADER_JSON`] in base64url.
pub const HEADER_B64: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
/// How long a ticket may be exchanged for a login: `exp = iat + 600000`.
pub const TICKET_LIFETIME_MS: u64 = 600_000;
/// Default `refresh`: the login state is refreshed hourly.
pub const DEFAULT_REFRESH_MS: u64 = 3_600_000;
/// Default login lifetime: `expire = now + 7 days`.
pub const DEFAULT_EXPIRE_AFTER_MS: u64 = 7 * 24 * 3_600_000;
/// Largest integer the client (JavaScript) reads exactly: `2^53 - 1`.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Options of `createTicket`, as the SDK takes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicketOptions {
    /// How often the client refreshes its login state, in ms; positive.
    /// Defaults to [`DEFAULT_REFRESH_MS`] (one hour).
    pub refresh: Option<u64>,
    /// When the login state expires, in ms since the epoch; later than now.
    /// Defaults to now + [`DEFAULT_EXPIRE_AFTER_MS`] (seven days).
    pub expire: Option<u64>,
}

/// Why options cannot be used. Values are never clamped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOptions {
    /// `refresh` is zero.
    #[error("refresh must be a positive number of milliseconds")]
    RefreshNotPositive,
    /// `expire` is not later than now.
    #[error("expire ({expire}) must be later than now ({now}), in milliseconds since the epoch")]
    ExpireNotInFuture {
        /// The requested expiry.
        expire: u64,
        /// The clock.
        now: u64,
    },
    /// A value over 2^53 - 1, which the JavaScript client cannot read exactly.
    #[error("{field} must be at most {MAX_SAFE_INTEGER}")]
    TooLarge {
        /// `refresh`, `expire` or `now`.
        field: &'static str,
    },
}

impl TicketOptions {
    /// The `(refresh, expire)` to sign at `now_ms`, defaults applied.
    ///
    /// # Errors
    /// [`InvalidOptions`] when `refresh` is 0, `expire` is not after `now_ms`,
    /// or a value (or `now_ms + 7 days`) exceeds [`MAX_SAFE_INTEGER`].
    pub fn resolve(&self, now_ms: u64) -> Result<(u64, u64), InvalidOptions> {
        if now_ms.saturating_add(DEFAULT_EXPIRE_AFTER_MS) > MAX_SAFE_INTEGER {
            return Err(InvalidOptions::TooLarge { field: "now" });
        }
        let refresh = self.refresh.unwrap_or(DEFAULT_REFRESH_MS);
        if refresh == 0 {
            return Err(InvalidOptions::RefreshNotPositive);
        }
        if refresh > MAX_SAFE_INTEGER {
            return Err(InvalidOptions::TooLarge { field: "refresh" });
        }
        let expire = self.expire.unwrap_or(now_ms + DEFAULT_EXPIRE_AFTER_MS);
        if expire > MAX_SAFE_INTEGER {
            return Err(InvalidOptions::TooLarge { field: "expire" });
        }
        if expire <= now_ms {
            return Err(InvalidOptions::ExpireNotInFuture {
                expire,
                now: now_ms,
            });
        }
        Ok((refresh, expire))
    }
}

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

/// Why a ticket was not made.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// The options are out of range.
    #[error(transparent)]
    InvalidOptions(#[from] InvalidOptions),
    /// The RSA operation failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// A signed ticket. `Debug` shows the claims but not the ticket: a ticket is
/// a credential and must not reach a log.
#[derive(Clone)]
pub struct Ticket {
    token: String,
    claims: Claims,
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

/// Signs tickets for one environment with one key, parsed once.
pub struct TicketSigner {
    key_id: String,
    env: String,
    key: SigningKey,
}

impl fmt::Debug for TicketSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketSigner")
            .field("key_id", &self.key_id)
            .field("env", &self.env)
            .field("key", &self.key)
            .finish()
    }
}

#[derive(Serialize)]
struct Payload<'a> {
    alg: &'static str,
    env: &'a str,
    iat: u64,
    exp: u64,
    uid: &'a str,
    refresh: u64,
    expire: u64,
}

impl TicketSigner {
    /// A signer for `env` with `key`, whose console id is `key_id`.
    pub fn new(key_id: impl Into<String>, env: impl Into<String>, key: SigningKey) -> Self {
        Self {
            key_id: key_id.into(),
            env: env.into(),
            key,
        }
    }

    /// Parses the key of `credentials`.
    ///
    /// # Errors
    /// [`KeyError`] when the private key cannot be used.
    pub fn from_credentials(credentials: &Credentials) -> Result<Self, KeyError> {
        let key = SigningKey::from_pem(credentials.private_key_pem())?;
        Ok(Self::new(credentials.key_id(), credentials.env_id(), key))
    }

    /// The console's `private_key_id`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The environment id written into every ticket.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// A verifier for this signer's tickets.
    pub fn verifier(&self) -> TicketVerifier {
        TicketVerifier::new(&self.key_id, &self.env, self.key.public_key())
    }

    /// Signs a ticket for `uid` at the clock `now_ms` (ms since the epoch).
    ///
    /// # Errors
    /// [`TicketError::InvalidOptions`] for out-of-range options;
    /// [`TicketError::Sign`] if the RSA operation fails.
    pub fn sign(
        &self,
        uid: &CustomUserId,
        options: TicketOptions,
        now_ms: u64,
    ) -> Result<Ticket, TicketError> {
        let (refresh, expire) = options.resolve(now_ms)?;
        let claims = Claims {
            alg: "RS256",
            env: self.env.clone(),
            iat: now_ms,
            exp: now_ms + TICKET_LIFETIME_MS,
            uid: uid.clone(),
            refresh,
            expire,
        };
        let payload = serde_json::to_vec(&Payload {
            alg: claims.alg,
            env: &claims.env,
            iat: claims.iat,
            exp: claims.exp,
            uid: claims.uid.as_str(),
            refresh,
            expire,
        })
        .map_err(|_| SignError)?;

        let mut token = String::with_capacity(
            self.key_id.len() + 5 + HEADER_B64.len() + payload.len() * 4 / 3 + 4 + 700,
        );
        token.push_str(&self.key_id);
        token.push_str(KEY_ID_SEPARATOR);
        let jwt_start = token.len();
        token.push_str(HEADER_B64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signature = self.key.sign_rs256(&token.as_bytes()[jwt_start..])?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(Ticket { token, claims })
    }

    /// Signs a ticket for `uid` at the system clock.
    ///
    /// # Errors
    /// As [`TicketSigner::sign`].
    pub fn sign_now(
        &self,
        uid: &CustomUserId,
        options: TicketOptions,
    ) -> Result<Ticket, TicketError> {
        self.sign(uid, options, now_ms())
    }
}

/// The system clock in milliseconds since the epoch (0 before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        key: String,
        kid: String,
        env: String,
        uid: String,
        now: u64,
        #[serde(default)]
        options: VectorOptions,
        ticket: String,
    }

    #[derive(serde::Deserialize, Default)]
    struct VectorOptions {
        refresh: Option<u64>,
        expire: Option<u64>,
    }

    fn key(name: &str) -> SigningKey {
        let pem = match name {
            "k1024-pkcs1.pem" => include_str!("../../tests/fixtures/keys/k1024-pkcs1.pem"),
            "k2048-pkcs1.pem" => include_str!("../../tests/fixtures/keys/k2048-pkcs1.pem"),
            "k2048-pkcs8.pem" => include_str!("../../tests/fixtures/keys/k2048-pkcs8.pem"),
            "k4096-pkcs8.pem" => include_str!("../../tests/fixtures/keys/k4096-pkcs8.pem"),
            other => panic!("no fixture key {other}"),
        };
        SigningKey::from_pem(pem).expect("fixture key parses")
    }

    fn vectors() -> Vec<Vector> {
        serde_json::from_str(include_str!("../../tests/fixtures/tickets.json")).expect("parses")
    }

    #[test]
    fn header_constant_is_the_sdk_header() {
        assert_eq!(URL_SAFE_NO_PAD.encode(HEADER_JSON), HEADER_B64);
    }

    #[test]
    fn every_sdk_vector_is_byte_identical_and_verifies() {
        let vectors = vectors();
        assert!(vectors.len() >= 9);
        for v in vectors {
            let signer = TicketSigner::new(&v.kid, &v.env, key(&v.key));
            let uid = CustomUserId::parse(&v.uid).expect("vector uid valid");
            let options = TicketOptions {
                refresh: v.options.refresh,
                expire: v.options.expire,
            };
            let ticket = signer.sign(&uid, options, v.now).expect("signs");
            assert_eq!(ticket.as_str(), v.ticket, "vector {} at {}", v.uid, v.now);
            let claims = signer
                .verifier()
                .verify(&v.ticket, v.now)
                .expect("verifies");
            assert_eq!(&claims, ticket.claims());
        }
    }

    #[test]
    fn defaults_are_one_hour_and_seven_days() {
        let signer = TicketSigner::new("kid", "env", key("k2048-pkcs1.pem"));
        let uid = CustomUserId::parse("user_1234").expect("valid");
        let t = signer
            .sign(&uid, TicketOptions::default(), 1_000)
            .expect("signs");
        assert_eq!(t.claims().refresh, 3_600_000);
        assert_eq!(t.claims().expire, 1_000 + 604_800_000);
        assert_eq!(t.claims().exp, 601_000);
    }

    #[test]
    fn zero_refresh_fails() {
        let o = TicketOptions {
            refresh: Some(0),
            expire: None,
        };
        assert_eq!(o.resolve(10), Err(InvalidOptions::RefreshNotPositive));
    }

    #[test]
    fn expire_not_after_now_fails() {
        for expire in [0, 9, 10] {
            let o = TicketOptions {
                refresh: None,
                expire: Some(expire),
            };
            assert!(matches!(
                o.resolve(10),
                Err(InvalidOptions::ExpireNotInFuture { .. })
            ));
        }
        let o = TicketOptions {
            refresh: None,
            expire: Some(11),
        };
        assert_eq!(o.resolve(10), Ok((DEFAULT_REFRESH_MS, 11)));
    }

    #[test]
    fn values_beyond_javascript_precision_fail() {
        let o = TicketOptions {
            refresh: Some(MAX_SAFE_INTEGER + 1),
            expire: None,
        };
        assert_eq!(
            o.resolve(1),
            Err(InvalidOptions::TooLarge { field: "refresh" })
        );
        let o = TicketOptions {
            refresh: None,
            expire: Some(u64::MAX),
        };
        assert_eq!(
            o.resolve(1),
            Err(InvalidOptions::TooLarge { field: "expire" })
        );
        assert_eq!(
            TicketOptions::default().resolve(u64::MAX),
            Err(InvalidOptions::TooLarge { field: "now" })
        );
    }

    #[test]
    fn env_with_json_specials_is_escaped_and_still_verifies() {
        let signer = TicketSigner::new("kid", "we\"ird\\env", key("k2048-pkcs8.pem"));
        let uid = CustomUserId::parse("abcd").expect("valid");
        let t = signer
            .sign(&uid, TicketOptions::default(), 5)
            .expect("signs");
        let claims = signer.verifier().verify(t.as_str(), 5).expect("verifies");
        assert_eq!(claims.env, "we\"ird\\env");
    }

    #[test]
    fn debug_of_ticket_hides_the_token() {
        let signer = TicketSigner::new("kid", "env", key("k2048-pkcs8.pem"));
        let uid = CustomUserId::parse("abcd").expect("valid");
        let t = signer
            .sign(&uid, TicketOptions::default(), 5)
            .expect("signs");
        let shown = format!("{t:?}");
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains(HEADER_B64));
    }
}
