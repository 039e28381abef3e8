//! The keys of jwt mode: a PEM public key (`CUSTOMAUTH_JWT_PUBLIC_KEY`) or
//! a JWKS document (`CUSTOMAUTH_JWT_JWKS`), checked at cold start.

use std::collections::HashSet;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ED25519, EcdsaVerificationAlgorithm,
    ParsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};

/// Smallest RSA modulus accepted for JWT verification, in bits (the
/// verifier refuses smaller ones; better to say so at cold start).
const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus the verifier accepts, in bits.
const MAX_RSA_BITS: usize = 8192;

/// Parses `CUSTOMAUTH_JWT_PUBLIC_KEY`: RSA (RS256) or EC P-256 (ES256).
pub(super) fn pem_public_key(text: &str) -> Result<(Algorithm, DecodingKey), String> {
    // Environment variables often carry the PEM on one line with literal \n.
    let text = text.replace("\\n", "\n");
    let text = text.trim();
    let (tag, der) = pem_rfc7468::decode_vec(text.as_bytes()).map_err(|_| {
        "not a PEM block; expected -----BEGIN PUBLIC KEY----- (the literal \\n form is accepted)"
            .to_owned()
    })?;
    match tag {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
        tag if tag.contains("PRIVATE KEY") => {
            return Err(format!(
                "is a private key ({tag}); give the public key (openssl pkey -pubout)"
            ));
        }
        tag => return Err(format!("is a {tag:?} PEM block, not a public key")),
    }
    let der = der.as_slice();
    if let Ok(rsa) = aws_lc_rs::rsa::PublicKey::from_der(der) {
        let bits = rsa.modulus_len() * 8;
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(format!(
                "is a {bits}-bit RSA key; RS256 verification needs 2048 to 8192 bits"
            ));
        }
        let key = DecodingKey::from_rsa_pem(text.as_bytes())
            .map_err(|_| "the RSA public key cannot be read".to_owned())?;
        return Ok((Algorithm::RS256, key));
    }
    if ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, der).is_ok() {
        let key = DecodingKey::from_ec_pem(text.as_bytes())
            .map_err(|_| "the EC public key cannot be read".to_owned())?;
        return Ok((Algorithm::ES256, key));
    }
    Err("is neither an RSA public key nor an EC P-256 public key".to_owned())
}

/// A key of a JWKS: its `kid`, algorithm and verification key.
pub(super) type KeyEntry = (Option<String>, Algorithm, DecodingKey);

/// Parses `CUSTOMAUTH_JWT_JWKS` into the keys usable for signatures.
pub(super) fn jwks_keys(text: &str) -> Result<Vec<KeyEntry>, String> {
    // Not serde_json's message: it quotes mistyped string values (a secret
    // pasted here, a double-encoded JWKS with private parameters).
    let set: JwkSet = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a JWKS document (expected {{\"keys\": [...]}}; error at line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let mut keys = Vec::new();
    let mut kids = HashSet::new();
    for (i, jwk) in set.keys.iter().enumerate() {
        let n = i + 1;
        let Some((alg, key)) = jwk_key(jwk).map_err(|reason| format!("key {n}: {reason}"))? else {
            continue;
        };
        let kid = jwk.common.key_id.clone();
        if let Some(kid) = &kid
            && !kids.insert(kid.clone())
        {
            return Err(format!("key {n}: kid {kid:?} appears twice"));
        }
        keys.push((kid, alg, key));
    }
    if keys.is_empty() {
        return Err("has no signature verification key".to_owned());
    }
    if keys.len() > 1 && keys.iter().any(|(kid, _, _)| kid.is_none()) {
        return Err("every key needs a kid when the set has more than one".to_owned());
    }
    Ok(keys)
}

#[cfg_attr(not(feature = "jwks-url"), allow(dead_code))]
/// Most entries a JWKS fetched from a URL may hold; a longer set is refused
/// whole (the last good keys stay).
pub(super) const MAX_REMOTE_KEYS: usize = 64;

/// Parses a JWKS fetched from the identity provider. Unlike
/// [`jwks_keys`], a key that cannot be used (`use: enc`, an unknown `kty`,
/// `alg` or curve, a symmetric key, a duplicate `kid`) is skipped, and
/// described in the second list, so that one odd key does not lock every user
/// out; a set with no usable key, or more than [`MAX_REMOTE_KEYS`] entries,
/// is an error.
#[cfg_attr(not(feature = "jwks-url"), allow(dead_code))]
pub(super) fn remote_jwks_keys(text: &[u8]) -> Result<(Vec<KeyEntry>, Vec<String>), String> {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_slice(text).map_err(|e| {
        format!(
            "not a JWKS document (expected {{\"keys\": [...]}}; error at line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    if set.keys.len() > MAX_REMOTE_KEYS {
        return Err(format!(
            "has {} keys; at most {MAX_REMOTE_KEYS} are read",
            set.keys.len()
        ));
    }
    let mut keys: Vec<KeyEntry> = Vec::new();
    let mut skipped = Vec::new();
    for (i, value) in set.keys.into_iter().enumerate() {
        let kid = value
            .get("kid")
            .and_then(serde_json::Value::as_str)
            .map(|k| k.chars().take(64).collect::<String>());
        let name = match &kid {
            Some(kid) => format!("key {} (kid {kid:?})", i + 1),
            None => format!("key {}", i + 1),
        };
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(jwk) => jwk,
            Err(_) => {
                skipped.push(format!("{name}: unsupported kty, alg or parameters"));
                continue;
            }
        };
        match jwk_key(&jwk) {
            Ok(Some((alg, key))) => keys.push((jwk.common.key_id.clone(), alg, key)),
            Ok(None) => skipped.push(format!("{name}: an encryption key")),
            Err(reason) => skipped.push(format!("{name}: {reason}")),
        }
    }
    // A kid that names two keys names neither.
    let mut seen = HashSet::new();
    let twice: HashSet<String> = keys
        .iter()
        .filter_map(|(kid, _, _)| kid.clone())
        .filter(|kid| !seen.insert(kid.clone()))
        .collect();
    if !twice.is_empty() {
        keys.retain(|(kid, _, _)| kid.as_ref().is_none_or(|k| !twice.contains(k)));
        skipped.extend(
            twice
                .iter()
                .map(|kid| format!("kid {kid:?}: appears twice")),
        );
    }
    if keys.len() > 1 && keys.iter().any(|(kid, _, _)| kid.is_none()) {
        keys.retain(|(kid, _, _)| kid.is_some());
        skipped.push("keys without a kid in a set of several".to_owned());
    }
    if keys.is_empty() {
        return Err("has no usable signature verification key".to_owned());
    }
    Ok((keys, skipped))
}

/// The algorithm and key of one JWK; `None` for an encryption key.
fn jwk_key(jwk: &Jwk) -> Result<Option<(Algorithm, DecodingKey)>, String> {
    if jwk.common.public_key_use == Some(PublicKeyUse::Encryption)
        || jwk
            .common
            .key_operations
            .as_ref()
            .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return Ok(None);
    }
    let alg = match jwk.common.key_algorithm {
        Some(KeyAlgorithm::RSA1_5 | KeyAlgorithm::RSA_OAEP | KeyAlgorithm::RSA_OAEP_256) => {
            return Ok(None);
        }
        Some(alg) => Algorithm::try_from(alg).map_err(|_| "unsupported alg".to_owned())?,
        None => match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                EllipticCurve::P256 => Algorithm::ES256,
                EllipticCurve::P384 => Algorithm::ES384,
                _ => return Err("unsupported curve (P-256 or P-384 expected)".to_owned()),
            },
            AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
            AlgorithmParameters::OctetKey(_) => return Err(symmetric_jwk()),
            _ => return Err("unsupported key type (RSA, EC or OKP expected)".to_owned()),
        },
    };
    let mismatch = || format!("alg {alg:?} does not fit the key type or curve");
    let key = match (alg.family(), &jwk.algorithm) {
        (AlgorithmFamily::Hmac, _) | (_, AlgorithmParameters::OctetKey(_)) => {
            return Err(symmetric_jwk());
        }
        (AlgorithmFamily::Rsa, AlgorithmParameters::RSA(rsa)) => {
            let modulus = b64url(&rsa.n).ok_or("n is not base64url")?;
            let bits = unsigned_bits(&modulus);
            if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                return Err(format!("{bits}-bit RSA key; 2048 to 8192 bits are needed"));
            }
            let exponent = b64url(&rsa.e).ok_or("e is not base64url")?;
            if unsigned_bits(&exponent) == 0 {
                return Err("e is zero".to_owned());
            }
            DecodingKey::from_rsa_raw_components(&modulus, &exponent)
        }
        (AlgorithmFamily::Ec, AlgorithmParameters::EllipticCurve(ec)) => {
            let verification: &'static EcdsaVerificationAlgorithm = match (alg, &ec.curve) {
                (Algorithm::ES256, EllipticCurve::P256) => &ECDSA_P256_SHA256_FIXED,
                (Algorithm::ES384, EllipticCurve::P384) => &ECDSA_P384_SHA384_FIXED,
                _ => return Err(mismatch()),
            };
            let x = b64url(&ec.x).ok_or("x is not base64url")?;
            let y = b64url(&ec.y).ok_or("y is not base64url")?;
            let point = [&[0x04][..], &x, &y].concat();
            ParsedPublicKey::new(verification, &point)
                .map_err(|_| "x, y is not a point on the curve".to_owned())?;
            DecodingKey::from_ec_components(&ec.x, &ec.y)
                .map_err(|_| "x or y is not base64url".to_owned())?
        }
        (AlgorithmFamily::Ed, AlgorithmParameters::OctetKeyPair(okp)) => {
            if okp.curve != EllipticCurve::Ed25519 {
                return Err(mismatch());
            }
            let x = b64url(&okp.x).ok_or("x is not base64url")?;
            ParsedPublicKey::new(&ED25519, &x)
                .map_err(|_| "x is not an Ed25519 public key".to_owned())?;
            DecodingKey::from_ed_components(&okp.x).map_err(|_| "x is not base64url".to_owned())?
        }
        _ => return Err(mismatch()),
    };
    Ok(Some((alg, key)))
}

fn symmetric_jwk() -> String {
    "symmetric (oct / HS*) keys are not taken from a JWKS; put an HS256 secret in \
     CUSTOMAUTH_JWT_SECRET instead"
        .to_owned()
}

fn b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// Bit length of a big-endian unsigned integer.
fn unsigned_bits(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        Some(i) => (bytes.len() - i) * 8 - bytes[i].leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_bits_counts_from_the_first_set_bit() {
        assert_eq!(unsigned_bits(&[]), 0);
        assert_eq!(unsigned_bits(&[0, 0]), 0);
        assert_eq!(unsigned_bits(&[0, 1]), 1);
        assert_eq!(unsigned_bits(&[0x80, 0]), 16);
        assert_eq!(unsigned_bits(&[0, 0x7f, 0xff]), 15);
    }
}
