//! Forged tickets and forged bearer JWTs, one test per forgery.
//!
//! Every test first builds the honest token with the same helper and checks
//! that it is accepted, then changes one thing and checks the refusal (and,
//! where the code gives one, its reason). So each refusal is for the named
//! forgery and not for a side effect of the helper. Signatures are real:
//! a forgery whose only fault is, say, a duplicate key is signed properly
//! over the exact bytes presented.
//!
//! Keys (tests/fixtures/keys, see the README there): `k2048-pkcs1.pem` signs
//! the tickets and the RS256 JWTs; `k2048-public.pem` is its public half;
//! `k2048-pkcs8.pem` is another RSA key; `es256-*.pem` a P-256 pair;
//! `jwks.json` holds the RSA key as kid `k2048` and the P-256 key as `es256`.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaEncoding, RsaKeyPair};
use aws_lc_rs::{hmac, rsa::KeySize};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use customauth::identity::{
    AuthError, Caller, CallerAuth, MAX_CREDENTIAL_BYTES, VAR_CALLER_AUTH,
    VAR_JWT_ALLOW_ANY_AUDIENCE, VAR_JWT_JWKS, VAR_JWT_PUBLIC_KEY, VAR_JWT_SECRET,
    VAR_USER_ID_CLAIM,
};
use customauth::ticket::HEADER_JSON;
use customauth::ticket::MAX_TICKET_LEN;
use customauth::{
    CustomUserId, SigningKey, TicketOptions, TicketSigner, TicketVerifier, VerifyError,
};
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request};

const RSA_PRIVATE: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;
const RSA_OTHER: &str = customauth_testkit::fixtures::keys::K2048_PKCS8;
const RSA_PUBLIC: &str = customauth_testkit::fixtures::keys::K2048_PUBLIC;
const EC_PRIVATE: &str = customauth_testkit::fixtures::keys::ES256_PRIVATE;
const EC_PUBLIC: &str = customauth_testkit::fixtures::keys::ES256_PUBLIC;
const JWKS: &str = customauth_testkit::fixtures::keys::JWKS;

// ---------------------------------------------------------------------------
// Signing and encoding helpers (shared by tickets and JWTs)

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url or base64 leniently: padding optional, trailing bits
/// ignored. Used to show that a non-canonical segment carries the same bytes.
fn lenient_decode(text: &str) -> Vec<u8> {
    let config = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if text.contains(['+', '/']) {
        &alphabet::STANDARD
    } else {
        &alphabet::URL_SAFE
    };
    GeneralPurpose::new(alphabet, config)
        .decode(text)
        .expect("lenient decode")
}

fn pem_der(pem_text: &str) -> Vec<u8> {
    pem_rfc7468::decode_vec(pem_text.trim().as_bytes())
        .expect("fixture PEM")
        .1
}

fn rsa_sign(pem_text: &str, encoding: &'static dyn RsaEncoding, message: &[u8]) -> Vec<u8> {
    let der = pem_der(pem_text);
    let pair = RsaKeyPair::from_der(&der)
        .or_else(|_| RsaKeyPair::from_pkcs8(&der))
        .expect("fixture RSA key");
    let mut sig = vec![0; pair.public_modulus_len()];
    pair.sign(encoding, &SystemRandom::new(), message, &mut sig)
        .expect("signs");
    sig
}

/// RS256 with the ticket key (`k2048-pkcs1.pem`).
fn rs256(message: &[u8]) -> Vec<u8> {
    rsa_sign(RSA_PRIVATE, &signature::RSA_PKCS1_SHA256, message)
}

/// RS256 with another RSA key (`k2048-pkcs8.pem`).
fn rs256_other_key(message: &[u8]) -> Vec<u8> {
    rsa_sign(RSA_OTHER, &signature::RSA_PKCS1_SHA256, message)
}

/// RS512 with the ticket key.
fn rs512(message: &[u8]) -> Vec<u8> {
    rsa_sign(RSA_PRIVATE, &signature::RSA_PKCS1_SHA512, message)
}

/// PS256 with the ticket key.
fn ps256(message: &[u8]) -> Vec<u8> {
    rsa_sign(RSA_PRIVATE, &signature::RSA_PSS_SHA256, message)
}

/// ES256 (fixed-size r||s, as JWS wants) with `es256-private.pem`.
fn es256(message: &[u8]) -> Vec<u8> {
    let pair = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pem_der(EC_PRIVATE),
    )
    .expect("fixture EC key");
    pair.sign(&SystemRandom::new(), message)
        .expect("signs")
        .as_ref()
        .to_vec()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message)
        .as_ref()
        .to_vec()
}

/// `header.payload.signature` from encoded segments, the signature made by
/// `sign` over exactly `header.payload` as given.
fn jws(header_b64: &str, payload_b64: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{header_b64}.{payload_b64}");
    let sig = sign(input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// A JWS of these JSON texts, canonical base64url, signed by `sign`.
fn jws_json(header: &str, payload: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    jws(&b64(header), &b64(payload), sign)
}

/// Flips an unused low bit of the last character: same bytes, non-canonical.
fn with_trailing_bit(segment: &str) -> String {
    assert_ne!(
        segment.len() % 4,
        0,
        "{segment} has no unused trailing bits"
    );
    const URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (head, last) = segment.split_at(segment.len() - 1);
    let index = URL
        .iter()
        .position(|&c| c == last.as_bytes()[0])
        .expect("base64url character");
    let forged = format!("{head}{}", URL[index ^ 1] as char);
    assert_eq!(lenient_decode(&forged), lenient_decode(segment));
    forged
}

/// The same bytes in the standard alphabet (`+` and `/`).
fn standard_alphabet(segment: &str) -> String {
    let forged = STANDARD_NO_PAD.encode(URL_SAFE_NO_PAD.decode(segment).expect("canonical"));
    assert_ne!(forged, segment, "{segment} has no - or _ to swap");
    assert_eq!(lenient_decode(&forged), lenient_decode(segment));
    forged
}

/// `depth` nested JSON arrays: `[[[...]]]`.
fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

mod bearer;
mod tickets;
