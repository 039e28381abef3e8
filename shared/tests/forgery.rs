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
    AuthError, Caller, CallerAuth, MAX_CREDENTIAL_BYTES, VAR_CALLER_AUTH, VAR_JWT_JWKS,
    VAR_JWT_PUBLIC_KEY, VAR_JWT_SECRET, VAR_USER_ID_CLAIM,
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

// ---------------------------------------------------------------------------
// Tickets

const KID: &str = "kid-1";
const ENV: &str = "env-1";
const NOW: u64 = 1_700_000_000_123;
const EXP: u64 = NOW + 600_000;
const EXPIRE: u64 = NOW + 604_800_000;

fn ticket_key() -> SigningKey {
    SigningKey::from_pem(RSA_PRIVATE).expect("fixture key parses")
}

fn verifier() -> TicketVerifier {
    TicketSigner::new(KID, ENV, ticket_key()).verifier()
}

/// The SDK's payload with `exp` and `uid` written as given (JSON text).
fn payload_with(exp: &str, uid: &str) -> String {
    format!(
        r#"{{"alg":"RS256","env":"{ENV}","iat":{NOW},"exp":{exp},"uid":"{uid}","refresh":3600000,"expire":{EXPIRE}}}"#
    )
}

fn honest_payload() -> String {
    payload_with(&EXP.to_string(), "user_1234")
}

fn ticket_of(jwt: &str) -> String {
    format!("{KID}/@@/{jwt}")
}

/// A ticket of these JSON texts, signed RS256 with the ticket key.
fn signed_ticket(header: &str, payload: &str) -> String {
    ticket_of(&jws_json(header, payload, rs256))
}

fn honest_ticket() -> String {
    signed_ticket(HEADER_JSON, &honest_payload())
}

#[track_caller]
fn assert_ticket_accepted(ticket: &str) {
    if let Err(e) = verifier().verify(ticket, NOW) {
        panic!("the honest ticket was refused ({e:?}): {ticket:?}");
    }
}

#[track_caller]
fn ticket_refusal(ticket: &str) -> VerifyError {
    match verifier().verify(ticket, NOW) {
        Ok(claims) => panic!("FORGERY ACCEPTED as {claims:?}: {ticket:?}"),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_ticket_refused(ticket: &str, expected: &VerifyError) {
    assert_eq!(&ticket_refusal(ticket), expected, "{ticket:?}");
}

#[track_caller]
fn assert_ticket_malformed(ticket: &str) {
    let e = ticket_refusal(ticket);
    assert!(matches!(e, VerifyError::Malformed(_)), "{e:?}: {ticket:?}");
}

fn claims_error(message: &str) -> VerifyError {
    VerifyError::Claims(message.to_owned())
}

#[test]
fn honest_ticket_helper_matches_the_signer() {
    let uid = CustomUserId::parse("user_1234").expect("valid");
    let signed = TicketSigner::new(KID, ENV, ticket_key())
        .sign(&uid, TicketOptions::default(), NOW)
        .expect("signs");
    assert_eq!(honest_ticket(), signed.as_str());
    assert_ticket_accepted(&honest_ticket());
}

#[test]
fn ticket_alg_none_with_empty_signature_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    for alg in ["none", "None", "NONE"] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        let forged = ticket_of(&format!("{}.{}.", b64(&header), b64(honest_payload())));
        assert_ticket_refused(&forged, &VerifyError::Algorithm(alg.to_owned()));
        // Without the last dot as well.
        let forged = ticket_of(&format!("{}.{}", b64(&header), b64(honest_payload())));
        ticket_refusal(&forged);
    }
}

#[test]
fn ticket_alg_none_with_garbage_signature_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    for alg in ["none", "None", "NONE"] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        let garbage = ticket_of(&jws_json(&header, &honest_payload(), |_| {
            b"garbage".to_vec()
        }));
        assert_ticket_refused(&garbage, &VerifyError::Algorithm(alg.to_owned()));
        // Even a valid RS256 signature does not save an alg-none header.
        let signed = signed_ticket(&header, &honest_payload());
        assert_ticket_refused(&signed, &VerifyError::Algorithm(alg.to_owned()));
    }
}

#[test]
fn ticket_hs256_keyed_with_the_public_key_pem_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let crlf = RSA_PUBLIC.replace('\n', "\r\n");
    for key in [RSA_PUBLIC, RSA_PUBLIC.trim(), crlf.as_str()] {
        let forged = ticket_of(&jws_json(header, &honest_payload(), |m| {
            hmac_sha256(key.as_bytes(), m)
        }));
        assert_ticket_refused(&forged, &VerifyError::Algorithm("HS256".into()));
    }
}

#[test]
fn ticket_hs256_keyed_with_the_public_key_der_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let spki = pem_der(RSA_PUBLIC);
    let pkcs1 = ticket_key().public_key().as_der().to_vec();
    for key in [spki, pkcs1] {
        let forged = ticket_of(&jws_json(header, &honest_payload(), |m| {
            hmac_sha256(&key, m)
        }));
        assert_ticket_refused(&forged, &VerifyError::Algorithm("HS256".into()));
    }
}

#[test]
fn ticket_rs512_signed_by_the_same_key_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let header = r#"{"alg":"RS512","typ":"JWT"}"#;
    let forged = ticket_of(&jws_json(header, &honest_payload(), rs512));
    assert_ticket_refused(&forged, &VerifyError::Algorithm("RS512".into()));
    // The SDK header over an RS512 signature: the signature does not check.
    let swapped = ticket_of(&jws_json(HEADER_JSON, &honest_payload(), rs512));
    assert_ticket_refused(&swapped, &VerifyError::Signature);
}

#[test]
fn ticket_ps256_signed_by_the_same_key_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let header = r#"{"alg":"PS256","typ":"JWT"}"#;
    let forged = ticket_of(&jws_json(header, &honest_payload(), ps256));
    assert_ticket_refused(&forged, &VerifyError::Algorithm("PS256".into()));
    let swapped = ticket_of(&jws_json(HEADER_JSON, &honest_payload(), ps256));
    assert_ticket_refused(&swapped, &VerifyError::Signature);
}

#[test]
fn ticket_es256_header_swap_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let header = r#"{"alg":"ES256","typ":"JWT"}"#;
    let forged = ticket_of(&jws_json(header, &honest_payload(), es256));
    assert_ticket_refused(&forged, &VerifyError::Algorithm("ES256".into()));
    let swapped = ticket_of(&jws_json(HEADER_JSON, &honest_payload(), es256));
    assert_ticket_refused(&swapped, &VerifyError::Signature);
}

#[test]
fn ticket_key_id_of_another_key_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    // A genuine ticket of another key, under that key's own id...
    let other_key = SigningKey::from_pem(RSA_OTHER).expect("parses");
    let other = TicketSigner::new("kid-2", ENV, other_key);
    let uid = CustomUserId::parse("user_1234").expect("valid");
    let genuine = other
        .sign(&uid, TicketOptions::default(), NOW)
        .expect("signs");
    assert!(other.verifier().verify(genuine.as_str(), NOW).is_ok());
    assert_ticket_refused(genuine.as_str(), &VerifyError::KeyIdMismatch);
    // ...and relabelled with our key id.
    let relabelled = genuine.as_str().replacen("kid-2/@@/", "kid-1/@@/", 1);
    assert_ticket_refused(&relabelled, &VerifyError::Signature);
    let built = ticket_of(&jws_json(HEADER_JSON, &honest_payload(), rs256_other_key));
    assert_eq!(built, relabelled);
}

#[test]
fn ticket_key_id_with_path_or_sql_junk_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let jwt = jws_json(HEADER_JSON, &honest_payload(), rs256);
    for kid in [
        "",
        " kid-1",
        "kid-1 ",
        "KID-1",
        "kid-1\0",
        "../kid-1",
        "kid-1/../kid-1",
        "./kid-1",
        "/etc/passwd",
        "kid-1%2F..%2F",
        "kid-1' OR '1'='1",
        "kid-1\"; DROP TABLE keys;--",
        "kid-1;--",
        "*",
        "%",
    ] {
        assert_ticket_refused(&format!("{kid}/@@/{jwt}"), &VerifyError::KeyIdMismatch);
    }
    // The separator twice: the JWT part then starts with junk.
    assert_ticket_malformed(&format!("{KID}/@@/{KID}/@@/{jwt}"));
    // A JWT-level kid (pointing anywhere) is not the SDK header.
    for kid in ["kid-1", "../../dev/null", "x' OR 1=1--"] {
        let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{kid}"}}"#);
        assert_ticket_refused(
            &signed_ticket(&header, &honest_payload()),
            &VerifyError::Header,
        );
    }
}

#[test]
fn ticket_padding_is_refused() {
    let payload = honest_payload();
    assert_ne!(payload.len() % 3, 0, "the payload needs padding to test");
    let h = b64(HEADER_JSON);
    let p = b64(&payload);
    assert_ticket_accepted(&ticket_of(&jws(&h, &p, rs256)));
    let padded_payload = URL_SAFE.encode(&payload);
    assert!(padded_payload.ends_with('='));
    for (header, payload) in [
        (format!("{h}="), p.clone()),
        (format!("{h}=="), p.clone()),
        (h.clone(), padded_payload),
        (h.clone(), format!("{p}===")),
    ] {
        // Signed over the padded text: the padding is the only fault.
        assert_ticket_malformed(&ticket_of(&jws(&header, &payload, rs256)));
    }
    let honest = honest_ticket();
    let sig = honest.rsplit('.').next().expect("signature");
    assert_ne!(sig.len() % 4, 0);
    for pad in ["=", "==", "==="] {
        assert_ticket_malformed(&format!("{honest}{pad}"));
    }
}

#[test]
fn ticket_whitespace_is_refused() {
    let h = b64(HEADER_JSON);
    let p = b64(honest_payload());
    assert_ticket_accepted(&ticket_of(&jws(&h, &p, rs256)));
    let mid = |s: &str, ws: &str| format!("{}{ws}{}", &s[..s.len() / 2], &s[s.len() / 2..]);
    for ws in [" ", "\t", "\n", "\r\n", "\u{a0}", "\u{2028}"] {
        // Inside or around the signed segments, re-signed over that text.
        for (header, payload) in [
            (mid(&h, ws), p.clone()),
            (h.clone(), mid(&p, ws)),
            (format!("{h}{ws}"), p.clone()),
            (h.clone(), format!("{ws}{p}")),
            (h.clone(), format!("{p}{ws}")),
            (format!("{ws}{h}"), p.clone()),
        ] {
            assert_ticket_malformed(&ticket_of(&jws(&header, &payload, rs256)));
        }
        // In or around the signature.
        let honest = honest_ticket();
        let (signed, sig) = honest.rsplit_once('.').expect("three parts");
        for forged in [
            format!("{signed}.{}", mid(sig, ws)),
            format!("{signed}.{ws}{sig}"),
            format!("{honest}{ws}"),
        ] {
            assert_ticket_malformed(&forged);
        }
        // Around the key id.
        assert_ticket_refused(&format!("{ws}{honest}"), &VerifyError::KeyIdMismatch);
        assert_ticket_refused(
            &honest.replacen("/@@/", &format!("{ws}/@@/"), 1),
            &VerifyError::KeyIdMismatch,
        );
        assert_ticket_malformed(&honest.replacen("/@@/", &format!("/@@/{ws}"), 1));
    }
}

#[test]
fn ticket_non_canonical_trailing_bits_are_refused() {
    let uid = "user~~~~";
    let payload = payload_with(&EXP.to_string(), uid);
    let h = b64(HEADER_JSON);
    let p = b64(&payload);
    let honest = ticket_of(&jws(&h, &p, rs256));
    assert_ticket_accepted(&honest);
    // Payload: the same bytes with a trailing bit set, signed over that text.
    assert_ticket_malformed(&ticket_of(&jws(&h, &with_trailing_bit(&p), rs256)));
    // Signature: the same signature bytes, one unused bit set.
    let (signed, sig) = honest.rsplit_once('.').expect("three parts");
    assert_ticket_malformed(&format!("{signed}.{}", with_trailing_bit(sig)));
}

#[test]
fn ticket_standard_base64_alphabet_is_refused() {
    // "~~~~" makes a '-' in the payload's base64url.
    let payload = payload_with(&EXP.to_string(), "user~~~~");
    let h = b64(HEADER_JSON);
    let p = b64(&payload);
    let honest = ticket_of(&jws(&h, &p, rs256));
    assert_ticket_accepted(&honest);
    assert_ticket_malformed(&ticket_of(&jws(&h, &standard_alphabet(&p), rs256)));
    let (signed, sig) = honest.rsplit_once('.').expect("three parts");
    assert_ticket_malformed(&format!("{signed}.{}", standard_alphabet(sig)));
}

#[test]
fn ticket_duplicate_alg_in_header_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    for header in [
        r#"{"alg":"RS256","alg":"RS256","typ":"JWT"}"#,
        r#"{"alg":"HS256","typ":"JWT","alg":"RS256"}"#,
        r#"{"alg":"RS256","typ":"JWT","alg":"none"}"#,
        r#"{"alg":"RS256","typ":"JWT","typ":"JWT"}"#,
    ] {
        assert_ticket_refused(
            &signed_ticket(header, &honest_payload()),
            &VerifyError::Header,
        );
    }
}

#[test]
fn ticket_duplicate_uid_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    for uid in [
        r#"user_1234","uid":"admin_0001"#,
        r#"admin_0001","uid":"user_1234"#,
        r#"user_1234","uid":"user_1234"#,
    ] {
        assert_ticket_refused(
            &signed_ticket(HEADER_JSON, &payload_with(&EXP.to_string(), uid)),
            &claims_error("duplicate field \"uid\""),
        );
    }
}

#[test]
fn ticket_duplicate_exp_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    for exp in [
        format!("{EXP},\"exp\":{}", EXP + 86_400_000),
        format!("{},\"exp\":{EXP}", NOW - 1),
        format!("{EXP},\"exp\":{EXP}"),
    ] {
        assert_ticket_refused(
            &signed_ticket(HEADER_JSON, &payload_with(&exp, "user_1234")),
            &claims_error("duplicate field \"exp\""),
        );
    }
}

#[test]
fn ticket_duplicate_alg_claim_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let payload =
        honest_payload().replacen(r#""alg":"RS256","#, r#""alg":"none","alg":"RS256","#, 1);
    assert_ticket_refused(
        &signed_ticket(HEADER_JSON, &payload),
        &claims_error("duplicate field \"alg\""),
    );
}

#[test]
fn ticket_exp_as_string_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    for exp in [
        format!("\"{EXP}\""),
        format!("\"{}\"", EXP / 1000),
        "\"\"".into(),
    ] {
        let e = ticket_refusal(&signed_ticket(
            HEADER_JSON,
            &payload_with(&exp, "user_1234"),
        ));
        assert!(matches!(e, VerifyError::Claims(_)), "{exp}: {e:?}");
    }
}

#[test]
fn ticket_exp_as_float_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    for exp in [
        "1.7e12".to_owned(),
        format!("{EXP}.0"),
        "1.700000600123e12".to_owned(),
        format!("{EXP}e0"),
    ] {
        let e = ticket_refusal(&signed_ticket(
            HEADER_JSON,
            &payload_with(&exp, "user_1234"),
        ));
        assert!(matches!(e, VerifyError::Claims(_)), "{exp}: {e:?}");
    }
}

#[test]
fn ticket_exp_in_seconds_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let forged = signed_ticket(
        HEADER_JSON,
        &payload_with(&(EXP / 1000).to_string(), "user_1234"),
    );
    assert_ticket_refused(
        &forged,
        &claims_error("exp must be after iat by at most 600000 ms (times are in milliseconds)"),
    );
}

#[test]
fn ticket_nbf_claim_is_refused_as_unknown() {
    assert_ticket_accepted(&honest_ticket());
    for nbf in [NOW, NOW + 3_600_000] {
        let payload = honest_payload().replacen('}', &format!(",\"nbf\":{nbf}}}"), 1);
        assert_ticket_refused(
            &signed_ticket(HEADER_JSON, &payload),
            &claims_error("unknown field \"nbf\""),
        );
    }
}

#[test]
fn ticket_crit_header_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    for header in [
        r#"{"alg":"RS256","typ":"JWT","crit":["exp"]}"#,
        r#"{"alg":"RS256","typ":"JWT","crit":["b64"],"b64":false}"#,
        r#"{"alg":"RS256","typ":"JWT","crit":[]}"#,
    ] {
        assert_ticket_refused(
            &signed_ticket(header, &honest_payload()),
            &VerifyError::Header,
        );
    }
}

#[test]
fn ticket_over_8_kib_is_refused() {
    // Genuine tickets whose key id makes them exactly 8 KiB, then one byte more.
    let uid = CustomUserId::parse("user_1234").expect("valid");
    let short = honest_ticket().len() - KID.len();
    let at_limit = "k".repeat(MAX_TICKET_LEN - short);
    let over = "k".repeat(MAX_TICKET_LEN - short + 1);
    let sign = |kid: &str| {
        let signer = TicketSigner::new(kid, ENV, ticket_key());
        let ticket = signer
            .sign(&uid, TicketOptions::default(), NOW)
            .expect("signs");
        (signer.verifier(), ticket.into_string())
    };
    let (v, ticket) = sign(&at_limit);
    assert_eq!(ticket.len(), MAX_TICKET_LEN);
    assert!(
        v.verify(&ticket, NOW).is_ok(),
        "an 8 KiB ticket is accepted"
    );
    let (v, ticket) = sign(&over);
    assert_eq!(ticket.len(), MAX_TICKET_LEN + 1);
    assert_eq!(v.verify(&ticket, NOW), Err(VerifyError::TooLong));
    // And a huge one is refused before any parsing.
    let huge = format!("{}{}", honest_ticket(), "A".repeat(1 << 20));
    assert_ticket_refused(&huge, &VerifyError::TooLong);
}

#[test]
fn ticket_header_with_10k_nested_arrays_is_refused() {
    assert_ticket_accepted(&honest_ticket());
    let deep = signed_ticket(&nested_arrays(10_000), &honest_payload());
    assert_ticket_refused(&deep, &VerifyError::TooLong);
    // Within 8 KiB: 2000 levels still reach the JSON parser, which stops.
    let deep = signed_ticket(&nested_arrays(2_000), &honest_payload());
    assert!(deep.len() <= MAX_TICKET_LEN);
    assert_ticket_refused(&deep, &VerifyError::Header);
    let payload = honest_payload().replacen(
        r#""alg":"RS256""#,
        &format!(r#""alg":{}"#, nested_arrays(2_000)),
        1,
    );
    let deep = signed_ticket(HEADER_JSON, &payload);
    assert!(deep.len() <= MAX_TICKET_LEN);
    assert!(matches!(ticket_refusal(&deep), VerifyError::Claims(_)));
}

// ---------------------------------------------------------------------------
// Bearer JWTs (CUSTOMAUTH_CALLER_AUTH=jwt)

const SECRET: &str = "0123456789abcdef0123456789abcdef-forgery";

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

fn jwt_auth(extra: &[(&str, &str)]) -> CallerAuth {
    let mut pairs = vec![(VAR_CALLER_AUTH, "jwt")];
    pairs.extend_from_slice(extra);
    CallerAuth::from_env(&env(&pairs)).expect("valid jwt configuration")
}

fn hs_auth() -> CallerAuth {
    jwt_auth(&[(VAR_JWT_SECRET, SECRET)])
}

fn rs_auth() -> CallerAuth {
    jwt_auth(&[(VAR_JWT_PUBLIC_KEY, RSA_PUBLIC)])
}

fn es_auth() -> CallerAuth {
    jwt_auth(&[(VAR_JWT_PUBLIC_KEY, EC_PUBLIC)])
}

fn jwks_auth() -> CallerAuth {
    jwt_auth(&[(VAR_JWT_JWKS, JWKS)])
}

fn hs256(message: &[u8]) -> Vec<u8> {
    hmac_sha256(SECRET.as_bytes(), message)
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Claims with `sub` and `exp` written as given (JSON text).
fn jwt_claims_with(sub: &str, exp: &str) -> String {
    format!(r#"{{"sub":"{sub}","iat":{},"exp":{exp}}}"#, now_s())
}

fn jwt_claims() -> String {
    jwt_claims_with("user_1234", &(now_s() + 600).to_string())
}

fn header(alg: &str) -> String {
    format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)
}

/// An HS256 header whose base64url has unused trailing bits (35 bytes).
const HS256_HEADER_WITH_PAD: &str = r#"{"alg":"HS256","typ":"JWT","x":"1"}"#;

fn header_kid(alg: &str, kid: &str) -> String {
    format!(
        r#"{{"alg":"{alg}","typ":"JWT","kid":{}}}"#,
        serde_json::json!(kid)
    )
}

fn request_with_authorization(value: HeaderValue) -> Request {
    let mut req = Request::new(Body::Empty);
    req.headers_mut().insert("authorization", value);
    req
}

fn present(auth: &CallerAuth, token: &str) -> Result<Caller, AuthError> {
    let value = HeaderValue::from_str(&format!("Bearer {token}"))
        .unwrap_or_else(|e| panic!("{token:?} cannot be sent as a header: {e}"));
    auth.authenticate(&request_with_authorization(value))
}

#[track_caller]
fn assert_jwt_accepted(auth: &CallerAuth, token: &str) {
    match present(auth, token) {
        Ok(Caller::User(user)) => assert_eq!(user.user_id.as_str(), "user_1234"),
        other => panic!("the honest token was refused ({other:?}): {token}"),
    }
}

#[track_caller]
fn jwt_refusal(auth: &CallerAuth, token: &str) -> AuthError {
    match present(auth, token) {
        Ok(caller) => panic!("FORGERY ACCEPTED as {caller:?}: {token}"),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_jwt_refused(auth: &CallerAuth, token: &str, reason: &'static str) {
    assert_eq!(
        jwt_refusal(auth, token),
        AuthError::Invalid(reason),
        "{token}"
    );
}

const MALFORMED: &str = "malformed token";
const UNSUPPORTED: &str = "malformed token or unsupported algorithm";
const WRONG_ALG: &str = "the token's algorithm is not the configured key's";
const BAD_SIGNATURE: &str = "bad token signature";
const UNKNOWN_KID: &str = "the token's kid is not in the key set";
const TOO_LARGE: &str = "credential larger than 8 KiB";

/// Each jwt-mode configuration with its honest token for `claims`.
fn configurations(claims: &str) -> Vec<(&'static str, CallerAuth, String)> {
    vec![
        (
            "HS256 secret",
            hs_auth(),
            jws_json(&header("HS256"), claims, hs256),
        ),
        (
            "RS256 PEM",
            rs_auth(),
            jws_json(&header("RS256"), claims, rs256),
        ),
        (
            "ES256 PEM",
            es_auth(),
            jws_json(&header("ES256"), claims, es256),
        ),
        (
            "JWKS",
            jwks_auth(),
            jws_json(&header_kid("RS256", "k2048"), claims, rs256),
        ),
    ]
}

#[test]
fn jwt_alg_none_with_empty_signature_is_refused() {
    for (name, auth, honest) in configurations(&jwt_claims()) {
        assert_jwt_accepted(&auth, &honest);
        for alg in ["none", "None", "NONE"] {
            let h = b64(header(alg));
            let p = b64(jwt_claims());
            for forged in [format!("{h}.{p}."), format!("{h}.{p}")] {
                let e = jwt_refusal(&auth, &forged);
                assert!(matches!(e, AuthError::Invalid(_)), "{name}: {e:?}");
            }
            assert_jwt_refused(&auth, &format!("{h}.{p}."), UNSUPPORTED);
        }
    }
}

#[test]
fn jwt_alg_none_with_garbage_signature_is_refused() {
    for (name, auth, honest) in configurations(&jwt_claims()) {
        assert_jwt_accepted(&auth, &honest);
        let real_signature = honest.rsplit('.').next().expect("signature").to_owned();
        for alg in ["none", "None", "NONE"] {
            let h = b64(header(alg));
            let p = b64(jwt_claims());
            for sig in ["Z2FyYmFnZQ", "AAAA", real_signature.as_str()] {
                let forged = format!("{h}.{p}.{sig}");
                assert_eq!(
                    jwt_refusal(&auth, &forged),
                    AuthError::Invalid(UNSUPPORTED),
                    "{name}: {forged}"
                );
            }
        }
    }
}

#[test]
fn jwt_hs256_keyed_with_the_public_key_pem_is_refused() {
    let claims = jwt_claims();
    assert_jwt_accepted(&rs_auth(), &jws_json(&header("RS256"), &claims, rs256));
    assert_jwt_accepted(&es_auth(), &jws_json(&header("ES256"), &claims, es256));
    let crlf = RSA_PUBLIC.replace('\n', "\r\n");
    let one_line = RSA_PUBLIC.trim().replace('\n', "\\n");
    for key in [RSA_PUBLIC, RSA_PUBLIC.trim(), &crlf, &one_line] {
        let forged = jws_json(&header("HS256"), &claims, |m| {
            hmac_sha256(key.as_bytes(), m)
        });
        assert_jwt_refused(&rs_auth(), &forged, WRONG_ALG);
        let with_kid = jws_json(&header_kid("HS256", "k2048"), &claims, |m| {
            hmac_sha256(key.as_bytes(), m)
        });
        assert_jwt_refused(&jwks_auth(), &with_kid, WRONG_ALG);
    }
    for key in [EC_PUBLIC, EC_PUBLIC.trim()] {
        let forged = jws_json(&header("HS256"), &claims, |m| {
            hmac_sha256(key.as_bytes(), m)
        });
        assert_jwt_refused(&es_auth(), &forged, WRONG_ALG);
    }
}

#[test]
fn jwt_hs256_keyed_with_the_public_key_der_is_refused() {
    let claims = jwt_claims();
    assert_jwt_accepted(&rs_auth(), &jws_json(&header("RS256"), &claims, rs256));
    let spki = pem_der(RSA_PUBLIC);
    let pkcs1 = ticket_key().public_key().as_der().to_vec();
    for key in [spki, pkcs1] {
        let forged = jws_json(&header("HS256"), &claims, |m| hmac_sha256(&key, m));
        assert_jwt_refused(&rs_auth(), &forged, WRONG_ALG);
        let with_kid = jws_json(&header_kid("HS256", "k2048"), &claims, |m| {
            hmac_sha256(&key, m)
        });
        assert_jwt_refused(&jwks_auth(), &with_kid, WRONG_ALG);
    }
    let ec_spki = pem_der(EC_PUBLIC);
    let forged = jws_json(&header("HS256"), &claims, |m| hmac_sha256(&ec_spki, m));
    assert_jwt_refused(&es_auth(), &forged, WRONG_ALG);
}

#[test]
fn jwt_es256_token_presented_to_an_rs256_configuration_is_refused() {
    let claims = jwt_claims();
    let es = jws_json(&header("ES256"), &claims, es256);
    assert_jwt_accepted(&es_auth(), &es);
    assert_jwt_accepted(&rs_auth(), &jws_json(&header("RS256"), &claims, rs256));
    assert_jwt_refused(&rs_auth(), &es, WRONG_ALG);
    // The ES256 signature under an RS256 header.
    let swapped = jws_json(&header("RS256"), &claims, es256);
    assert_jwt_refused(&rs_auth(), &swapped, BAD_SIGNATURE);
}

#[test]
fn jwt_rs256_token_presented_to_an_es256_or_hs256_configuration_is_refused() {
    let claims = jwt_claims();
    let rs = jws_json(&header("RS256"), &claims, rs256);
    assert_jwt_accepted(&rs_auth(), &rs);
    assert_jwt_refused(&es_auth(), &rs, WRONG_ALG);
    assert_jwt_refused(&hs_auth(), &rs, WRONG_ALG);
    let swapped = jws_json(&header("ES256"), &claims, rs256);
    assert!(matches!(
        jwt_refusal(&es_auth(), &swapped),
        AuthError::Invalid(_)
    ));
}

#[test]
fn jwt_rs512_signed_by_the_same_key_is_refused() {
    let claims = jwt_claims();
    assert_jwt_accepted(&rs_auth(), &jws_json(&header("RS256"), &claims, rs256));
    let forged = jws_json(&header("RS512"), &claims, rs512);
    assert_jwt_refused(&rs_auth(), &forged, WRONG_ALG);
    let forged = jws_json(&header_kid("RS512", "k2048"), &claims, rs512);
    assert_jwt_refused(&jwks_auth(), &forged, WRONG_ALG);
    let swapped = jws_json(&header("RS256"), &claims, rs512);
    assert_jwt_refused(&rs_auth(), &swapped, BAD_SIGNATURE);
}

#[test]
fn jwt_ps256_signed_by_the_same_key_is_refused() {
    let claims = jwt_claims();
    assert_jwt_accepted(&rs_auth(), &jws_json(&header("RS256"), &claims, rs256));
    let forged = jws_json(&header("PS256"), &claims, ps256);
    assert_jwt_refused(&rs_auth(), &forged, WRONG_ALG);
    let forged = jws_json(&header_kid("PS256", "k2048"), &claims, ps256);
    assert_jwt_refused(&jwks_auth(), &forged, WRONG_ALG);
    let swapped = jws_json(&header("RS256"), &claims, ps256);
    assert_jwt_refused(&rs_auth(), &swapped, BAD_SIGNATURE);
}

#[test]
fn jwt_jwks_kid_pointing_at_another_key_is_refused() {
    let claims = jwt_claims();
    let auth = jwks_auth();
    assert_jwt_accepted(
        &auth,
        &jws_json(&header_kid("RS256", "k2048"), &claims, rs256),
    );
    assert_jwt_accepted(
        &auth,
        &jws_json(&header_kid("ES256", "es256"), &claims, es256),
    );
    // An ES256 token naming the RSA key, an RS256 token naming the EC key.
    let forged = jws_json(&header_kid("ES256", "k2048"), &claims, es256);
    assert_jwt_refused(&auth, &forged, WRONG_ALG);
    let forged = jws_json(&header_kid("RS256", "es256"), &claims, rs256);
    assert_jwt_refused(&auth, &forged, WRONG_ALG);
    // Another RSA key's token naming ours.
    let forged = jws_json(&header_kid("RS256", "k2048"), &claims, rs256_other_key);
    assert_jwt_refused(&auth, &forged, BAD_SIGNATURE);
    // And a fresh RSA key, never configured anywhere.
    let fresh = aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048).expect("generates");
    let forged = jws_json(&header_kid("RS256", "k2048"), &claims, |m| {
        let mut sig = vec![0; fresh.public_modulus_len()];
        fresh
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                m,
                &mut sig,
            )
            .expect("signs");
        sig
    });
    assert_jwt_refused(&auth, &forged, BAD_SIGNATURE);
}

#[test]
fn jwt_jwks_kid_with_path_or_sql_junk_is_refused() {
    let claims = jwt_claims();
    let auth = jwks_auth();
    assert_jwt_accepted(
        &auth,
        &jws_json(&header_kid("RS256", "k2048"), &claims, rs256),
    );
    for kid in [
        "",
        " k2048",
        "k2048 ",
        "K2048",
        "k2048\0",
        "../k2048",
        "k2048/../k2048",
        "../../../../dev/null",
        "/etc/passwd",
        "file:///etc/passwd",
        "http://127.0.0.1/jwks.json",
        "k2048' OR '1'='1",
        "k2048\"; DROP TABLE keys;--",
        "*",
        "%",
        "es256,k2048",
    ] {
        let forged = jws_json(&header_kid("RS256", kid), &claims, rs256);
        assert_jwt_refused(&auth, &forged, UNKNOWN_KID);
    }
    // A kid that is not a string does not parse as a header.
    for kid in ["1", "null", "[\"k2048\"]", "{\"$ne\":null}"] {
        let h = format!(r#"{{"alg":"RS256","typ":"JWT","kid":{kid}}}"#);
        let forged = jws_json(&h, &claims, rs256);
        assert!(
            matches!(jwt_refusal(&auth, &forged), AuthError::Invalid(_)),
            "{kid}"
        );
    }
}

#[test]
fn jwt_padding_is_refused() {
    let claims = jwt_claims();
    let auth = hs_auth();
    let h = b64(HS256_HEADER_WITH_PAD);
    let mut claims = claims;
    // Make the payload need padding.
    if claims.len().is_multiple_of(3) {
        claims.insert(1, ' ');
    }
    let p = b64(&claims);
    assert_jwt_accepted(&auth, &jws(&h, &p, hs256));
    assert_ne!(h.len() % 4, 0, "the header needs padding to test");
    let padded_header = URL_SAFE.encode(HS256_HEADER_WITH_PAD);
    let padded_payload = URL_SAFE.encode(&claims);
    for (header, payload) in [
        (padded_header, p.clone()),
        (format!("{h}="), p.clone()),
        (h.clone(), padded_payload),
        (h.clone(), format!("{p}=")),
    ] {
        let forged = jws(&header, &payload, hs256);
        assert!(
            matches!(jwt_refusal(&auth, &forged), AuthError::Invalid(_)),
            "{forged}"
        );
    }
    let honest = jws(&h, &p, hs256);
    let sig = honest.rsplit('.').next().expect("signature");
    assert_ne!(sig.len() % 4, 0);
    for pad in ["=", "=="] {
        assert_jwt_refused(&auth, &format!("{honest}{pad}"), MALFORMED);
    }
}

#[test]
fn jwt_whitespace_is_refused() {
    let auth = hs_auth();
    let h = b64(header("HS256"));
    let p = b64(jwt_claims());
    let honest = jws(&h, &p, hs256);
    assert_jwt_accepted(&auth, &honest);
    let mid = |s: &str, ws: &str| format!("{}{ws}{}", &s[..s.len() / 2], &s[s.len() / 2..]);
    // Spaces and tabs can be sent in a header value.
    for ws in [" ", "\t", "  "] {
        for (header, payload) in [
            (mid(&h, ws), p.clone()),
            (h.clone(), mid(&p, ws)),
            (format!("{h}{ws}"), p.clone()),
            (h.clone(), format!("{ws}{p}")),
            (h.clone(), format!("{p}{ws}")),
        ] {
            let forged = jws(&header, &payload, hs256);
            assert!(
                matches!(jwt_refusal(&auth, &forged), AuthError::Invalid(_)),
                "{forged:?}"
            );
        }
        let (signed, sig) = honest.rsplit_once('.').expect("three parts");
        for forged in [
            format!("{signed}.{}", mid(sig, ws)),
            format!("{signed}.{ws}{sig}"),
        ] {
            assert!(
                matches!(jwt_refusal(&auth, &forged), AuthError::Invalid(_)),
                "{forged:?}"
            );
        }
    }
    // Newlines cannot even be sent: HTTP refuses them in a header value.
    for ws in ["\n", "\r", "\r\n"] {
        for forged in [
            jws(&mid(&h, ws), &p, hs256),
            jws(&h, &format!("{p}{ws}"), hs256),
            format!("{honest}{ws}"),
        ] {
            assert!(HeaderValue::from_str(&format!("Bearer {forged}")).is_err());
        }
    }
    // Blanks around the whole credential are HTTP's optional whitespace, not
    // part of the token: trimmed, and the signature still covers every byte.
    let padded = HeaderValue::from_str(&format!("Bearer \t {honest} \t")).expect("header");
    assert!(
        auth.authenticate(&request_with_authorization(padded))
            .is_ok()
    );
}

#[test]
fn jwt_non_canonical_trailing_bits_are_refused() {
    let claims = jwt_claims();
    for (name, auth, honest) in configurations(&claims) {
        assert_jwt_accepted(&auth, &honest);
        let (signed, sig) = honest.rsplit_once('.').expect("three parts");
        let forged = format!("{signed}.{}", with_trailing_bit(sig));
        assert_eq!(
            jwt_refusal(&auth, &forged),
            AuthError::Invalid(MALFORMED),
            "{name}"
        );
    }
    // Payload (and header) with a trailing bit set, signed over that text.
    let auth = hs_auth();
    let mut claims = claims;
    if claims.len().is_multiple_of(3) {
        claims.insert(1, ' ');
    }
    let h = b64(HS256_HEADER_WITH_PAD);
    let p = b64(&claims);
    assert_jwt_accepted(&auth, &jws(&h, &p, hs256));
    let forged = jws(&h, &with_trailing_bit(&p), hs256);
    assert_jwt_refused(&auth, &forged, MALFORMED);
    let forged = jws(&with_trailing_bit(&h), &p, hs256);
    assert!(matches!(jwt_refusal(&auth, &forged), AuthError::Invalid(_)));
}

#[test]
fn jwt_standard_base64_alphabet_is_refused() {
    let auth = hs_auth();
    // A claim of '~' in some alignment puts a '-' into the base64url payload.
    let claims = (0..3)
        .map(|n| {
            format!(
                r#"{{"sub":"user_1234","x":"{}~~~~~~","exp":{}}}"#,
                "a".repeat(n),
                now_s() + 600
            )
        })
        .find(|c| b64(c).contains(['-', '_']))
        .expect("a claim text with - or _ in its base64url");
    let h = b64(header("HS256"));
    let p = b64(&claims);
    let honest = jws(&h, &p, hs256);
    assert_jwt_accepted(&auth, &honest);
    assert_jwt_refused(&auth, &jws(&h, &standard_alphabet(&p), hs256), MALFORMED);
    // A signature with - or _ (RS256: 342 characters), in +/ form.
    let rs = jws(&b64(header("RS256")), &p, rs256);
    assert_jwt_accepted(&rs_auth(), &rs);
    let (signed, sig) = rs.rsplit_once('.').expect("three parts");
    assert_jwt_refused(
        &rs_auth(),
        &format!("{signed}.{}", standard_alphabet(sig)),
        MALFORMED,
    );
}

#[test]
fn jwt_duplicate_alg_in_header_is_refused() {
    let claims = jwt_claims();
    let auth = hs_auth();
    assert_jwt_accepted(&auth, &jws_json(&header("HS256"), &claims, hs256));
    for h in [
        r#"{"alg":"HS256","alg":"HS256","typ":"JWT"}"#,
        r#"{"alg":"none","typ":"JWT","alg":"HS256"}"#,
        r#"{"alg":"HS256","typ":"JWT","alg":"RS256"}"#,
    ] {
        assert_jwt_refused(&auth, &jws_json(h, &claims, hs256), UNSUPPORTED);
    }
}

#[test]
fn jwt_duplicate_sub_is_refused() {
    let auth = hs_auth();
    let exp = (now_s() + 600).to_string();
    assert_jwt_accepted(
        &auth,
        &jws_json(&header("HS256"), &jwt_claims_with("user_1234", &exp), hs256),
    );
    for sub in [
        r#"admin_0001","sub":"user_1234"#,
        r#"user_1234","sub":"admin_0001"#,
        r#"user_1234","sub":"user_1234"#,
    ] {
        let forged = jws_json(&header("HS256"), &jwt_claims_with(sub, &exp), hs256);
        assert_jwt_refused(&auth, &forged, MALFORMED);
    }
}

/// With `CUSTOMAUTH_USER_ID_CLAIM` naming a claim that jsonwebtoken does not
/// itself read, a duplicate is decided by serde_json's map: the last wins.
#[test]
fn jwt_duplicate_custom_identity_claim_is_refused() {
    let auth = jwt_auth(&[
        (VAR_JWT_SECRET, SECRET),
        (VAR_USER_ID_CLAIM, "customUserId"),
    ]);
    let exp = now_s() + 600;
    let honest = format!(r#"{{"sub":"auth0|1","customUserId":"user_1234","exp":{exp}}}"#);
    assert_jwt_accepted(&auth, &jws_json(&header("HS256"), &honest, hs256));
    for twice in [
        r#""customUserId":"admin_0001","customUserId":"user_1234""#,
        r#""customUserId":"user_1234","customUserId":"admin_0001""#,
    ] {
        let claims = format!(r#"{{"sub":"auth0|1",{twice},"exp":{exp}}}"#);
        let forged = jws_json(&header("HS256"), &claims, hs256);
        jwt_refusal(&auth, &forged);
    }
}

#[test]
fn jwt_duplicate_exp_is_refused() {
    let auth = hs_auth();
    let past = now_s() - 3_600;
    let future = now_s() + 600;
    assert_jwt_accepted(
        &auth,
        &jws_json(
            &header("HS256"),
            &jwt_claims_with("user_1234", &future.to_string()),
            hs256,
        ),
    );
    for exp in [
        format!("{past},\"exp\":{future}"),
        format!("{future},\"exp\":{past}"),
        format!("{future},\"exp\":{future}"),
    ] {
        let forged = jws_json(&header("HS256"), &jwt_claims_with("user_1234", &exp), hs256);
        assert_jwt_refused(&auth, &forged, MALFORMED);
    }
}

#[test]
fn jwt_exp_as_string_is_refused() {
    let auth = hs_auth();
    let future = now_s() + 600;
    assert_jwt_accepted(
        &auth,
        &jws_json(
            &header("HS256"),
            &jwt_claims_with("user_1234", &future.to_string()),
            hs256,
        ),
    );
    for exp in [
        format!("\"{future}\""),
        "\"\"".to_owned(),
        "\"never\"".to_owned(),
    ] {
        let forged = jws_json(&header("HS256"), &jwt_claims_with("user_1234", &exp), hs256);
        // An unparsable exp counts as no exp (jsonwebtoken checks that first).
        let e = jwt_refusal(&auth, &forged);
        assert!(
            e == AuthError::Invalid("the token has no exp claim")
                || e == AuthError::Invalid("the token's exp or nbf is not a number"),
            "{exp}: {e:?}"
        );
    }
}

/// `exp` in milliseconds (`1.7e12`, or an integer) reads as a date some
/// 50,000 years ahead: such a token never expires.
#[test]
fn jwt_exp_in_milliseconds_is_refused() {
    let auth = hs_auth();
    let future = now_s() + 600;
    assert_jwt_accepted(
        &auth,
        &jws_json(
            &header("HS256"),
            &jwt_claims_with("user_1234", &future.to_string()),
            hs256,
        ),
    );
    for exp in [
        "1.7e12".to_owned(),
        format!("{}", future * 1000),
        format!("{}.0", future * 1000),
    ] {
        let forged = jws_json(&header("HS256"), &jwt_claims_with("user_1234", &exp), hs256);
        jwt_refusal(&auth, &forged);
    }
}

#[test]
fn jwt_exp_as_float_in_the_past_is_refused() {
    // RFC 7519 allows a fractional NumericDate; a past one still expires.
    let auth = hs_auth();
    let future = now_s() + 600;
    assert_jwt_accepted(
        &auth,
        &jws_json(
            &header("HS256"),
            &jwt_claims_with("user_1234", &format!("{future}.5")),
            hs256,
        ),
    );
    for exp in [
        "1.7e9".to_owned(),
        format!("{}.5", now_s() - 3_600),
        "-1.0".to_owned(),
        "1e400".to_owned(),
    ] {
        let forged = jws_json(&header("HS256"), &jwt_claims_with("user_1234", &exp), hs256);
        assert!(
            matches!(jwt_refusal(&auth, &forged), AuthError::Invalid(_)),
            "{exp}"
        );
    }
}

#[test]
fn jwt_without_exp_is_refused() {
    let auth = hs_auth();
    let future = now_s() + 600;
    assert_jwt_accepted(
        &auth,
        &jws_json(
            &header("HS256"),
            &jwt_claims_with("user_1234", &future.to_string()),
            hs256,
        ),
    );
    for claims in [
        r#"{"sub":"user_1234"}"#.to_owned(),
        format!(r#"{{"sub":"user_1234","iat":{}}}"#, now_s()),
        r#"{"sub":"user_1234","exp":null}"#.to_owned(),
        format!(r#"{{"sub":"user_1234","EXP":{future}}}"#),
    ] {
        let forged = jws_json(&header("HS256"), &claims, hs256);
        let e = jwt_refusal(&auth, &forged);
        assert!(matches!(e, AuthError::Invalid(_)), "{claims}: {e:?}");
    }
    let forged = jws_json(&header("HS256"), r#"{"sub":"user_1234"}"#, hs256);
    assert_eq!(
        jwt_refusal(&auth, &forged),
        AuthError::Invalid("the token has no exp claim")
    );
}

#[test]
fn jwt_future_nbf_is_refused() {
    let exp = now_s() + 3_600;
    for (name, auth, honest) in configurations(&format!(
        r#"{{"sub":"user_1234","exp":{exp},"nbf":{}}}"#,
        now_s() - 5
    )) {
        assert_jwt_accepted(&auth, &honest);
        let future = format!(
            r#"{{"sub":"user_1234","exp":{exp},"nbf":{}}}"#,
            now_s() + 120
        );
        let (_, _, forged) = configurations(&future)
            .into_iter()
            .find(|(n, _, _)| *n == name)
            .expect("same configuration");
        assert_eq!(
            jwt_refusal(&auth, &forged),
            AuthError::Invalid("token not valid yet (nbf)"),
            "{name}"
        );
    }
}

/// RFC 7515 §4.1.11: a `crit` header names extensions the recipient must
/// understand, or reject the token. jsonwebtoken parses `crit` and ignores it.
#[test]
fn jwt_crit_header_is_refused() {
    let claims = jwt_claims();
    let auth = hs_auth();
    assert_jwt_accepted(&auth, &jws_json(&header("HS256"), &claims, hs256));
    for h in [
        r#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#,
        r#"{"alg":"HS256","typ":"JWT","crit":["b64"],"b64":false}"#,
        r#"{"alg":"HS256","typ":"JWT","crit":["https://example.com/must-understand"]}"#,
    ] {
        jwt_refusal(&auth, &jws_json(h, &claims, hs256));
    }
}

#[test]
fn jwt_over_8_kib_is_refused() {
    let auth = hs_auth();
    let exp = now_s() + 600;
    let token_with_pad = |pad: usize| {
        let claims = format!(
            r#"{{"sub":"user_1234","exp":{exp},"pad":"{}"}}"#,
            "p".repeat(pad)
        );
        jws_json(&header("HS256"), &claims, hs256)
    };
    // Grow the padding claim until the token is exactly 8 KiB.
    let mut pad = 0;
    while token_with_pad(pad + 1).len() <= MAX_CREDENTIAL_BYTES {
        pad += 1;
    }
    let at_limit = token_with_pad(pad);
    assert!(at_limit.len() <= MAX_CREDENTIAL_BYTES && at_limit.len() > MAX_CREDENTIAL_BYTES - 4);
    assert_jwt_accepted(&auth, &at_limit);
    let over = token_with_pad(pad + 1);
    assert!(over.len() > MAX_CREDENTIAL_BYTES);
    assert_jwt_refused(&auth, &over, TOO_LARGE);
    let huge = token_with_pad(1 << 20);
    assert_jwt_refused(&auth, &huge, TOO_LARGE);
}

#[test]
fn jwt_header_with_10k_nested_arrays_is_refused() {
    let claims = jwt_claims();
    let auth = hs_auth();
    assert_jwt_accepted(&auth, &jws_json(&header("HS256"), &claims, hs256));
    let deep = jws_json(&nested_arrays(10_000), &claims, hs256);
    assert_jwt_refused(&auth, &deep, TOO_LARGE);
    // Within 8 KiB, the JSON parser's depth limit stops it.
    let deep = jws_json(&nested_arrays(2_000), &claims, hs256);
    assert!(deep.len() <= MAX_CREDENTIAL_BYTES);
    assert_jwt_refused(&auth, &deep, UNSUPPORTED);
    let nested_alg = format!(r#"{{"alg":{},"typ":"JWT"}}"#, nested_arrays(2_000));
    assert_jwt_refused(&auth, &jws_json(&nested_alg, &claims, hs256), UNSUPPORTED);
    let nested_claims = format!(
        r#"{{"sub":"user_1234","exp":{},"x":{}}}"#,
        now_s() + 600,
        nested_arrays(2_000)
    );
    assert_jwt_refused(
        &auth,
        &jws_json(&header("HS256"), &nested_claims, hs256),
        MALFORMED,
    );
}
