//! Verification of custom login tickets.
//!
//! Strict on purpose: the only tickets that exist are the SDK's and ours,
//! which share one exact header, so anything else is refused before the
//! signature is looked at. The checks, in order: length, key id, three
//! canonical base64url segments, header exactly `{"alg":"RS256","typ":"JWT"}`
//! (`none`, `HS256` and every other `alg` refused by name), RS256 signature,
//! then the claims: well typed (integers, no unknown or duplicate keys),
//! `alg` RS256, env, `iat <= now + leeway`, `iat < exp <= iat + 600000`,
//! `exp + leeway >= now` (milliseconds), `refresh > 0`, `expire > iat`, and a
//! valid customUserId.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::claims::{
    Claims, HEADER_B64, HEADER_JSON, KEY_ID_SEPARATOR, MAX_SAFE_INTEGER, TICKET_LIFETIME_MS,
};
use crate::json::describe_json_error;
use crate::key::PublicKey;
use crate::user_id::{CustomUserId, InvalidUserId};

/// Clock skew tolerated on `exp` and `iat`: 30 seconds.
pub const DEFAULT_LEEWAY_MS: u64 = 30_000;
/// Longest ticket looked at; a 8192-bit key makes tickets of about 1.9 KB.
pub const MAX_TICKET_LEN: usize = 8 * 1024;

/// Why a ticket was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Longer than [`MAX_TICKET_LEN`].
    #[error("ticket is longer than {MAX_TICKET_LEN} bytes")]
    TooLong,
    /// Not `key_id/@@/header.payload.signature` with canonical base64url.
    #[error("ticket is malformed: {0}")]
    Malformed(&'static str),
    /// Signed with another key (by its id).
    #[error("ticket was issued with another private_key_id")]
    KeyIdMismatch,
    /// The header names an algorithm other than RS256.
    #[error("ticket algorithm {0} is not allowed; only RS256")]
    Algorithm(String),
    /// The header is not exactly the SDK's.
    #[error("ticket header is not {HEADER_JSON}")]
    Header,
    /// The RS256 signature does not match.
    #[error("ticket signature is invalid")]
    Signature,
    /// A claim is missing, mistyped, unknown, duplicated or inconsistent.
    #[error("ticket claims are invalid: {0}")]
    Claims(String),
    /// Issued for another environment.
    #[error("ticket was issued for another env")]
    EnvMismatch,
    /// `exp` (plus leeway) is in the past.
    #[error("ticket expired at {exp} (now {now}, milliseconds)")]
    Expired {
        /// The ticket's `exp`.
        exp: u64,
        /// The clock.
        now: u64,
    },
    /// `iat` is in the future (beyond leeway).
    #[error("ticket is issued in the future ({iat}, now {now})")]
    IssuedInFuture {
        /// The ticket's `iat`.
        iat: u64,
        /// The clock.
        now: u64,
    },
    /// The `uid` claim is not a valid customUserId.
    #[error("ticket uid is invalid: {0}")]
    UserId(#[from] InvalidUserId),
}

/// Verifies tickets of one key and environment.
#[derive(Clone)]
pub struct TicketVerifier {
    key_id: String,
    env: String,
    public_key: PublicKey,
    leeway_ms: u64,
}

impl fmt::Debug for TicketVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketVerifier")
            .field("key_id", &self.key_id)
            .field("env", &self.env)
            .field("leeway_ms", &self.leeway_ms)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    alg: String,
    #[allow(dead_code)]
    typ: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaims {
    alg: String,
    env: String,
    iat: u64,
    exp: u64,
    uid: String,
    refresh: u64,
    expire: u64,
}

impl TicketVerifier {
    /// A verifier for tickets of `key_id` and `env`, checked with `public_key`.
    /// The leeway defaults to [`DEFAULT_LEEWAY_MS`].
    pub fn new(key_id: impl Into<String>, env: impl Into<String>, public_key: PublicKey) -> Self {
        Self {
            key_id: key_id.into(),
            env: env.into(),
            public_key,
            leeway_ms: DEFAULT_LEEWAY_MS,
        }
    }

    /// The same verifier with another clock-skew leeway.
    #[must_use]
    pub fn with_leeway_ms(mut self, leeway_ms: u64) -> Self {
        self.leeway_ms = leeway_ms;
        self
    }

    /// Verifies `ticket` at the clock `now_ms` and returns its claims.
    ///
    /// # Errors
    /// A [`VerifyError`] naming the first check that failed.
    pub fn verify(&self, ticket: &str, now_ms: u64) -> Result<Claims, VerifyError> {
        if ticket.len() > MAX_TICKET_LEN {
            return Err(VerifyError::TooLong);
        }
        let (key_id, jwt) = ticket
            .split_once(KEY_ID_SEPARATOR)
            .ok_or(VerifyError::Malformed("no private_key_id separator /@@/"))?;
        if key_id != self.key_id {
            return Err(VerifyError::KeyIdMismatch);
        }
        let mut parts = jwt.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed(
                "a JWT has three dot-separated parts",
            ));
        };

        let header = decode_segment(header_b64, "header")?;
        let header: Header = serde_json::from_slice(&header).map_err(|_| VerifyError::Header)?;
        if header.alg != "RS256" {
            return Err(VerifyError::Algorithm(
                header.alg.escape_debug().take(32).collect(),
            ));
        }
        if header_b64 != HEADER_B64 {
            return Err(VerifyError::Header);
        }

        let payload = decode_segment(payload_b64, "payload")?;
        let signature = decode_segment(signature_b64, "signature")?;
        let signed = &jwt[..header_b64.len() + 1 + payload_b64.len()];
        if !self.public_key.verify_rs256(signed.as_bytes(), &signature) {
            return Err(VerifyError::Signature);
        }

        let raw: RawClaims = serde_json::from_slice(&payload)
            .map_err(|e| VerifyError::Claims(describe_json_error(&e)))?;
        self.check_claims(raw, now_ms)
    }

    fn check_claims(&self, raw: RawClaims, now: u64) -> Result<Claims, VerifyError> {
        let bad = |m: &str| Err(VerifyError::Claims(m.to_owned()));
        if raw.alg != "RS256" {
            return bad("alg claim is not RS256");
        }
        if raw.env != self.env {
            return Err(VerifyError::EnvMismatch);
        }
        if [raw.iat, raw.exp, raw.refresh, raw.expire]
            .iter()
            .any(|v| *v > MAX_SAFE_INTEGER)
        {
            return bad("a time exceeds 2^53 - 1");
        }
        if raw.exp <= raw.iat || raw.exp - raw.iat > TICKET_LIFETIME_MS {
            return bad("exp must be after iat by at most 600000 ms (times are in milliseconds)");
        }
        if raw.iat > now.saturating_add(self.leeway_ms) {
            return Err(VerifyError::IssuedInFuture { iat: raw.iat, now });
        }
        if raw.exp.saturating_add(self.leeway_ms) < now {
            return Err(VerifyError::Expired { exp: raw.exp, now });
        }
        if raw.refresh == 0 {
            return bad("refresh must be positive");
        }
        if raw.expire <= raw.iat {
            return bad("expire must be after iat");
        }
        let uid = CustomUserId::try_from(raw.uid)?;
        Ok(Claims {
            alg: "RS256",
            env: raw.env,
            iat: raw.iat,
            exp: raw.exp,
            uid,
            refresh: raw.refresh,
            expire: raw.expire,
        })
    }
}

/// Strict base64url: no padding, no whitespace, canonical trailing bits.
fn decode_segment(segment: &str, what: &'static str) -> Result<Vec<u8>, VerifyError> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| {
        VerifyError::Malformed(match what {
            "header" => "header is not canonical base64url",
            "payload" => "payload is not canonical base64url",
            _ => "signature is not canonical base64url",
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use customauth_testkit::fixtures::keys;

    use crate::key::SigningKey;
    use crate::ticket::{TicketOptions, TicketSigner};

    const NOW: u64 = 1_700_000_000_123;

    fn signer() -> TicketSigner {
        let key = SigningKey::from_pem(keys::K2048_PKCS1).expect("parses");
        TicketSigner::new("kid-1", "env-1", key)
    }

    fn uid() -> CustomUserId {
        CustomUserId::parse("user_1234").expect("valid")
    }

    fn ticket() -> String {
        signer()
            .sign(&uid(), TicketOptions::default(), NOW)
            .expect("signs")
            .into_string()
    }

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    /// A ticket with this header and payload, signed properly with the key.
    fn signed_with(header: &str, payload: &str) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let sig = signer().key().sign_rs256(input.as_bytes()).expect("signs");
        format!("kid-1/@@/{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn payload(exp: &str) -> String {
        format!(
            r#"{{"alg":"RS256","env":"env-1","iat":{NOW},"exp":{exp},"uid":"user_1234","refresh":3600000,"expire":{}}}"#,
            NOW + 604_800_000
        )
    }

    #[test]
    fn own_ticket_verifies() {
        let claims = signer().verifier().verify(&ticket(), NOW).expect("valid");
        assert_eq!(claims.uid, uid());
        assert_eq!(claims.exp, NOW + 600_000);
    }

    #[test]
    fn hand_built_canonical_ticket_verifies() {
        // Guards the helpers below: the forgeries fail for their reason only.
        let t = signed_with(HEADER_JSON, &payload(&(NOW + 600_000).to_string()));
        assert_eq!(t, ticket());
        assert!(signer().verifier().verify(&t, NOW).is_ok());
    }

    #[test]
    fn tampered_payload_fails() {
        let t = ticket();
        let parts: Vec<&str> = t.split('.').collect();
        let forged_payload =
            b64(&payload(&(NOW + 600_000).to_string()).replace("user_1234", "admin_001"));
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            signer().verifier().verify(&forged, NOW),
            Err(VerifyError::Signature)
        );
    }

    #[test]
    fn tampered_signature_fails() {
        let mut t = ticket().into_bytes();
        let i = t.len() - 10;
        t[i] = if t[i] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(t).expect("ascii");
        assert_eq!(
            signer().verifier().verify(&t, NOW),
            Err(VerifyError::Signature)
        );
    }

    #[test]
    fn alg_none_fails() {
        let p = payload(&(NOW + 600_000).to_string());
        let t = format!(
            "kid-1/@@/{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&p)
        );
        assert_eq!(
            signer().verifier().verify(&t, NOW),
            Err(VerifyError::Algorithm("none".into()))
        );
    }

    #[test]
    fn hs256_keyed_with_the_public_key_fails() {
        use aws_lc_rs::hmac;
        let p = payload(&(NOW + 600_000).to_string());
        let input = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64(&p));
        let mac_key = hmac::Key::new(hmac::HMAC_SHA256, signer().key().public_key().as_der());
        let tag = hmac::sign(&mac_key, input.as_bytes());
        let t = format!("kid-1/@@/{input}.{}", URL_SAFE_NO_PAD.encode(tag));
        assert_eq!(
            signer().verifier().verify(&t, NOW),
            Err(VerifyError::Algorithm("HS256".into()))
        );
    }

    #[test]
    fn another_key_id_fails() {
        let t = ticket().replacen("kid-1", "kid-2", 1);
        assert_eq!(
            signer().verifier().verify(&t, NOW),
            Err(VerifyError::KeyIdMismatch)
        );
    }

    #[test]
    fn another_env_fails() {
        let other = TicketSigner::new(
            "kid-1",
            "env-2",
            SigningKey::from_pem(keys::K2048_PKCS1).expect("parses"),
        );
        let t = other
            .sign(&uid(), TicketOptions::default(), NOW)
            .expect("signs");
        assert_eq!(
            signer().verifier().verify(t.as_str(), NOW),
            Err(VerifyError::EnvMismatch)
        );
    }

    #[test]
    fn expired_ticket_fails_and_leeway_is_honoured() {
        let t = ticket();
        let v = signer().verifier();
        let exp = NOW + 600_000;
        assert!(v.verify(&t, exp + DEFAULT_LEEWAY_MS).is_ok());
        assert_eq!(
            v.verify(&t, exp + DEFAULT_LEEWAY_MS + 1),
            Err(VerifyError::Expired {
                exp,
                now: exp + DEFAULT_LEEWAY_MS + 1
            })
        );
    }

    #[test]
    fn exp_in_seconds_fails() {
        let t = signed_with(HEADER_JSON, &payload(&((NOW + 600_000) / 1000).to_string()));
        assert!(matches!(
            signer().verifier().verify(&t, NOW),
            Err(VerifyError::Claims(_))
        ));
    }

    #[test]
    fn exp_as_string_or_float_fails() {
        for exp in [
            format!("\"{}\"", NOW + 600_000),
            format!("{}.0", NOW + 600_000),
        ] {
            let t = signed_with(HEADER_JSON, &payload(&exp));
            assert!(matches!(
                signer().verifier().verify(&t, NOW),
                Err(VerifyError::Claims(_))
            ));
        }
    }

    #[test]
    fn duplicate_claim_fails() {
        let p = payload(&(NOW + 600_000).to_string()).replace(
            r#""uid":"user_1234","#,
            r#""uid":"user_1234","uid":"admin_001","#,
        );
        let t = signed_with(HEADER_JSON, &p);
        assert_eq!(
            signer().verifier().verify(&t, NOW),
            Err(VerifyError::Claims("duplicate field \"uid\"".into()))
        );
    }

    #[test]
    fn issued_in_future_fails() {
        let t = ticket();
        assert!(matches!(
            signer().verifier().verify(&t, NOW - DEFAULT_LEEWAY_MS - 1),
            Err(VerifyError::IssuedInFuture { .. })
        ));
    }

    #[test]
    fn header_variants_fail_even_when_signed() {
        let p = payload(&(NOW + 600_000).to_string());
        for h in [
            r#"{"typ":"JWT","alg":"RS256"}"#,
            r#"{"alg":"RS256"}"#,
            r#"{ "alg":"RS256","typ":"JWT"}"#,
        ] {
            assert_eq!(
                signer().verifier().verify(&signed_with(h, &p), NOW),
                Err(VerifyError::Header),
                "{h}"
            );
        }
        let crit = r#"{"alg":"RS256","typ":"JWT","crit":["exp"]}"#;
        assert_eq!(
            signer().verifier().verify(&signed_with(crit, &p), NOW),
            Err(VerifyError::Header)
        );
    }

    #[test]
    fn padded_or_non_canonical_base64_fails() {
        let t = ticket();
        let padded = format!("{t}==");
        assert!(matches!(
            signer().verifier().verify(&padded, NOW),
            Err(VerifyError::Malformed(_))
        ));
        let spaced = t.replacen('.', ". ", 1);
        assert!(matches!(
            signer().verifier().verify(&spaced, NOW),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn oversized_and_garbage_fail_without_panicking() {
        let v = signer().verifier();
        assert_eq!(
            v.verify(&"a".repeat(MAX_TICKET_LEN + 1), NOW),
            Err(VerifyError::TooLong)
        );
        for junk in [
            "",
            "/@@/",
            "kid-1/@@/",
            "kid-1/@@/a.b",
            "kid-1/@@/a.b.c.d",
            "kid-1/@@/..",
            "kid-1/@@/é.é.é",
        ] {
            assert!(v.verify(junk, NOW).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn one_thousand_twenty_four_bit_tickets_verify() {
        let key = SigningKey::from_pem(keys::K1024_PKCS1).expect("parses");
        let s = TicketSigner::new("legacy", "env", key);
        let t = s
            .sign(&uid(), TicketOptions::default(), NOW)
            .expect("signs");
        assert!(s.verifier().verify(t.as_str(), NOW).is_ok());
    }
}
