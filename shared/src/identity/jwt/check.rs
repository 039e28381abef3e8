//! One token checked with one key: the key's algorithm (never the
//! token's), no `crit`, the signature and the claims jsonwebtoken checks,
//! duplicate claims refused, `iss` a string, `exp` at most
//! [`JWT_MAX_LIFETIME_SECS`] ahead; and the checks each key is built with.

use std::fmt;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use super::{JWT_LEEWAY_SECS, JWT_MAX_LIFETIME_SECS, JwtKey};
use crate::identity::caller::{AuthError, Claims, VerifiedUser};

/// Verifies `token` (whose header is `header`) with `key`, its algorithm
/// the key's.
pub(super) fn verify_key(
    key: &JwtKey,
    header: &jsonwebtoken::Header,
    token: &str,
    user_id_claim: &str,
) -> Result<VerifiedUser, AuthError> {
    if header.alg != key.alg {
        return Err(AuthError::Invalid(
            "the token's algorithm is not the configured key's",
        ));
    }
    if header.crit.is_some() {
        return Err(AuthError::Invalid(
            "the token has critical header extensions (crit), none of which are supported",
        ));
    }
    let data = jsonwebtoken::decode::<UniqueClaims>(token, &key.key, &key.validation)
        .map_err(|e| AuthError::Invalid(jwt_error_reason(e.kind())))?;
    // RFC 7519 makes `iss` one string; jsonwebtoken also takes an array
    // that contains an accepted issuer.
    if data.claims.0.get("iss").is_some_and(|iss| !iss.is_string()) {
        return Err(AuthError::Invalid("the token's iss is not a string"));
    }
    let now = crate::now_ms() / 1000;
    let latest = now + JWT_MAX_LIFETIME_SECS + JWT_LEEWAY_SECS;
    if data
        .claims
        .0
        .get("exp")
        .and_then(Value::as_f64)
        .is_none_or(|exp| exp > latest as f64)
    {
        return Err(AuthError::Invalid(
            "token exp is more than 24 hours ahead (times are in seconds)",
        ));
    }
    Claims::Object(&data.claims.0).user(user_id_claim)
}

/// The claims of a bearer token, refusing duplicate names: with two `sub`
/// (or two of the identity claim) another parser could read the other one.
struct UniqueClaims(serde_json::Map<String, Value>);

impl<'de> serde::Deserialize<'de> for UniqueClaims {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueClaims;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of claims")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UniqueClaims, A::Error> {
                let mut claims = serde_json::Map::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    if claims.contains_key(&name) {
                        return Err(serde::de::Error::custom("duplicate claim"));
                    }
                    claims.insert(name, value);
                }
                Ok(UniqueClaims(claims))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

fn jwt_error_reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "bad token signature",
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not valid yet (nbf)",
        ErrorKind::InvalidIssuer => "token issuer not accepted",
        ErrorKind::InvalidAudience => "token audience not accepted",
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not the configured key's",
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "the token has no exp claim",
            "iss" => "the token has no iss claim",
            "aud" => "the token has no aud claim",
            _ => "the token lacks a required claim",
        },
        ErrorKind::InvalidClaimFormat(_) => "the token's exp or nbf is not a number",
        _ => "malformed token",
    }
}

pub(super) fn validation(
    alg: Algorithm,
    issuer: Option<&[String]>,
    audience: Option<&[String]>,
) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = JWT_LEEWAY_SECS;
    v.validate_exp = true;
    v.validate_nbf = true;
    let mut required = vec!["exp"];
    if let Some(issuer) = issuer {
        v.set_issuer(issuer);
        required.push("iss");
    }
    match audience {
        Some(audience) => {
            v.set_audience(audience);
            required.push("aud");
        }
        // Unconfigured means unchecked (jsonwebtoken would otherwise refuse
        // every token that carries an aud).
        None => v.validate_aud = false,
    }
    v.set_required_spec_claims(&required);
    v
}
