//! Algorithm and key confusion: `none`, HS256 keyed with the public key,
//! algorithm swaps, JWKS key ids.

use super::*;
use crate::tickets::ticket_key;

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
