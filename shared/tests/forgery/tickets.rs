//! Forged tickets (`private_key_id/@@/JWT`), each beside its honest twin.

use super::*;

const KID: &str = "kid-1";
const ENV: &str = "env-1";
const NOW: u64 = 1_700_000_000_123;
const EXP: u64 = NOW + 600_000;
const EXPIRE: u64 = NOW + 604_800_000;

pub(crate) fn ticket_key() -> SigningKey {
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
            &claims_error(
                "unknown field; the allowed fields are alg, env, iat, exp, uid, refresh, expire",
            ),
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
