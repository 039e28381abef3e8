//! Encoding tricks: padding, whitespace, non-canonical bits, the standard
//! base64 alphabet.

use super::*;

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
