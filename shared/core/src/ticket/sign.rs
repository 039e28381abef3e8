//! Signing: [`TicketSigner`] builds the signing input by hand (the SDK's
//! header and claim order) and signs it RS256 with a key parsed once.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::claims::{Claims, HEADER_B64, KEY_ID_SEPARATOR, TICKET_LIFETIME_MS, Ticket};
use super::options::{InvalidOptions, Limits, TicketOptions};
use super::verify::TicketVerifier;
use crate::clock::now_ms;
use crate::credentials::Credentials;
use crate::key::{KeyError, SignError, SigningKey};
use crate::user_id::CustomUserId;

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

    /// Signs a ticket for `uid` at the clock `now_ms` (ms since the epoch),
    /// with no ceilings but JavaScript's (as the SDK).
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
        self.sign_within(uid, options, &Limits::UNLIMITED, now_ms)
    }

    /// Signs a ticket for `uid` at the clock `now_ms`, with options checked
    /// against the ceilings `limits` (what createTicket does for callers).
    ///
    /// # Errors
    /// [`TicketError::InvalidOptions`] for options out of range or above a
    /// ceiling; [`TicketError::Sign`] if the RSA operation fails.
    pub fn sign_within(
        &self,
        uid: &CustomUserId,
        options: TicketOptions,
        limits: &Limits,
        now_ms: u64,
    ) -> Result<Ticket, TicketError> {
        let (refresh, expire) = options.resolve(now_ms, limits)?;
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

#[cfg(test)]
mod tests {
    use customauth_testkit::fixtures::{TICKETS, keys};

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
        SigningKey::from_pem(keys::by_name(name)).expect("fixture key parses")
    }

    fn vectors() -> Vec<Vector> {
        serde_json::from_str(TICKETS).expect("parses")
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

    #[test]
    fn ceilings_apply_only_when_asked_for() {
        let signer = TicketSigner::new("kid", "env", key("k2048-pkcs1.pem"));
        let uid = CustomUserId::parse("user_1234").expect("valid");
        let long = TicketOptions {
            refresh: Some(30 * 86_400_000),
            expire: None,
        };
        assert!(signer.sign(&uid, long, 1_000).is_ok());
        let refused = signer.sign_within(&uid, long, &Limits::default(), 1_000);
        assert!(matches!(
            refused,
            Err(TicketError::InvalidOptions(
                InvalidOptions::RefreshAboveLimit { .. }
            ))
        ));
    }
}
