//! jwt mode key sources: RS256 and ES256 PEM public keys, JWKS documents,
//! and their configuration errors.

use super::*;

#[test]
fn rs256_valid_token_gives_user() {
    let token = rs256(&claims("user_1234"), Some("any-kid"));
    assert_eq!(
        user_id(rs256_auth().authenticate(&with_bearer(&token))),
        "user_1234"
    );
}

#[test]
fn rs256_public_key_with_literal_newlines_is_accepted() {
    let one_line = RSA_PUBLIC.trim().replace('\n', "\\n");
    let auth = auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_PUBLIC_KEY, &one_line),
        ANY_AUDIENCE,
    ]);
    let token = rs256(&claims("user_1234"), None);
    assert_eq!(
        user_id(auth.authenticate(&with_bearer(&token))),
        "user_1234"
    );
}

#[test]
fn rs256_expired_and_future_nbf_are_refused() {
    let token = rs256(&json!({"sub": "user_1234", "exp": now() - 120}), None);
    assert_eq!(
        invalid(rs256_auth().authenticate(&with_bearer(&token))),
        "token expired"
    );
    let token = rs256(
        &json!({"sub": "user_1234", "exp": now() + 600, "nbf": now() + 120}),
        None,
    );
    invalid(rs256_auth().authenticate(&with_bearer(&token)));
}

#[test]
fn hs256_signed_with_the_rsa_public_key_as_secret_is_refused() {
    // The classic algorithm-confusion attack.
    for secret in [RSA_PUBLIC, RSA_PUBLIC.trim()] {
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims("user_1234"),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("signs");
        assert_eq!(
            invalid(rs256_auth().authenticate(&with_bearer(&token))),
            "the token's algorithm is not the configured key's"
        );
        invalid(jwks_auth().authenticate(&with_bearer(&token)));
    }
}

#[test]
fn rs256_token_signed_by_another_key_is_refused() {
    let token = encode(
        &Header::new(Algorithm::RS256),
        &claims("user_1234"),
        &EncodingKey::from_rsa_pem(customauth_testkit::fixtures::keys::K4096_PKCS8.as_bytes())
            .expect("key"),
    )
    .expect("signs");
    assert_eq!(
        invalid(rs256_auth().authenticate(&with_bearer(&token))),
        "bad token signature"
    );
}

#[test]
fn es256_valid_token_gives_user_and_rs256_is_refused() {
    let token = es256(&claims("user_1234"), None);
    assert_eq!(
        user_id(es256_auth().authenticate(&with_bearer(&token))),
        "user_1234"
    );
    let token = rs256(&claims("user_1234"), None);
    invalid(es256_auth().authenticate(&with_bearer(&token)));
    let token = es256(&claims("user_1234"), None);
    invalid(rs256_auth().authenticate(&with_bearer(&token)));
}

#[test]
fn es256_expired_token_is_refused() {
    let token = es256(&json!({"sub": "user_1234", "exp": now() - 120}), None);
    assert_eq!(
        invalid(es256_auth().authenticate(&with_bearer(&token))),
        "token expired"
    );
}

#[test]
fn pem_private_key_is_refused() {
    for private in [RSA_PRIVATE, EC_PRIVATE] {
        let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, private)]);
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: VAR_JWT_PUBLIC_KEY,
                ..
            }
        ));
        let msg = err.to_string();
        assert!(msg.contains("private key"), "{msg}");
        assert!(!msg.contains("MII"), "{msg}");
    }
}

#[test]
fn pem_garbage_and_small_rsa_keys_are_refused() {
    // The public half of the 1024-bit fixture key, as PKCS#1.
    let small = customauth_core::SigningKey::from_pem(LEGACY_1024).expect("1024-bit key parses");
    let small = pem_rfc7468::encode_string(
        "RSA PUBLIC KEY",
        pem_rfc7468::LineEnding::LF,
        small.public_key().as_der(),
    )
    .expect("encodes");
    for pem in [
        "garbage",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        &small,
    ] {
        let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, pem)]);
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    var: VAR_JWT_PUBLIC_KEY,
                    ..
                }
            ),
            "{err}"
        );
    }
    let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, &small)]);
    assert!(err.to_string().contains("1024-bit"), "{err}");
}

#[test]
fn jwks_rs256_token_selected_by_kid_gives_user() {
    let token = rs256(&claims("user_1234"), Some("k2048"));
    assert_eq!(
        user_id(jwks_auth().authenticate(&with_bearer(&token))),
        "user_1234"
    );
}

#[test]
fn jwks_ec_key_without_alg_takes_es256_from_its_curve() {
    let token = es256(&claims("user_1234"), Some("es256"));
    assert_eq!(
        user_id(jwks_auth().authenticate(&with_bearer(&token))),
        "user_1234"
    );
}

#[test]
fn jwks_token_with_wrong_or_unknown_kid_is_refused() {
    // Signed by the RSA key but naming the EC key: algorithm mismatch.
    let token = rs256(&claims("user_1234"), Some("es256"));
    invalid(jwks_auth().authenticate(&with_bearer(&token)));
    let token = rs256(&claims("user_1234"), Some("k-unknown"));
    assert_eq!(
        invalid(jwks_auth().authenticate(&with_bearer(&token))),
        "the token's kid is not in the key set"
    );
}

#[test]
fn jwks_token_without_kid_needs_a_single_key_set() {
    let token = rs256(&claims("user_1234"), None);
    invalid(jwks_auth().authenticate(&with_bearer(&token)));

    let mut set: Value = serde_json::from_str(JWKS).expect("fixture");
    set["keys"].as_array_mut().expect("keys").truncate(1);
    let one = auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_JWKS, &set.to_string()),
        ANY_AUDIENCE,
    ]);
    assert_eq!(user_id(one.authenticate(&with_bearer(&token))), "user_1234");
}

#[test]
fn jwks_expired_wrong_aud_and_bad_signature_are_refused() {
    let token = rs256(
        &json!({"sub": "user_1234", "exp": now() - 120}),
        Some("k2048"),
    );
    assert_eq!(
        invalid(jwks_auth().authenticate(&with_bearer(&token))),
        "token expired"
    );

    let auth = auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_JWKS, JWKS),
        (VAR_JWT_AUDIENCE, "customauth-api"),
    ]);
    let token = rs256(
        &json!({"sub": "user_1234", "exp": now() + 600, "aud": "other-api"}),
        Some("k2048"),
    );
    assert_eq!(
        invalid(auth.authenticate(&with_bearer(&token))),
        "token audience not accepted"
    );

    let token = rs256(&claims("user_1234"), Some("k2048"));
    let tampered = format!("{}x", &token[..token.len() - 1]);
    invalid(jwks_auth().authenticate(&with_bearer(&tampered)));
}

fn jwks_err(doc: &Value) -> String {
    let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &doc.to_string())]);
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                var: VAR_JWT_JWKS,
                ..
            }
        ),
        "{err}"
    );
    err.to_string()
}

fn fixture_keys() -> Vec<Value> {
    let set: Value = serde_json::from_str(JWKS).expect("fixture");
    set["keys"].as_array().expect("keys").clone()
}

#[test]
fn jwks_invalid_documents_are_refused() {
    let [rsa, ec] = <[Value; 2]>::try_from(fixture_keys()).expect("two keys");
    assert!(jwks_err(&json!("not a set")).contains("not a JWKS"));
    assert!(jwks_err(&json!({"keys": []})).contains("no signature"));
    let msg = jwks_err(&json!({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}));
    assert!(msg.contains("symmetric"), "{msg}");
    let mut dup = ec.clone();
    dup["kid"] = json!("k2048");
    assert!(jwks_err(&json!({"keys": [rsa.clone(), dup]})).contains("twice"));
    let mut no_kid = ec.clone();
    no_kid.as_object_mut().expect("object").remove("kid");
    assert!(jwks_err(&json!({"keys": [rsa.clone(), no_kid]})).contains("kid"));
    let mut wrong_alg = ec.clone();
    wrong_alg["alg"] = json!("RS256");
    assert!(jwks_err(&json!({"keys": [wrong_alg]})).contains("does not fit"));
    let mut off_curve = ec.clone();
    off_curve["y"] = off_curve["x"].clone();
    assert!(jwks_err(&json!({"keys": [off_curve]})).contains("curve"));
    let mut hs = rsa.clone();
    hs["alg"] = json!("HS256");
    assert!(jwks_err(&json!({"keys": [hs]})).contains("symmetric"));
}

#[test]
fn jwks_encryption_keys_are_skipped() {
    let [rsa, ec] = <[Value; 2]>::try_from(fixture_keys()).expect("two keys");
    let mut enc = rsa.clone();
    enc["use"] = json!("enc");
    enc["kid"] = json!("enc-1");
    let mut oaep = rsa;
    oaep["alg"] = json!("RSA-OAEP");
    oaep["kid"] = json!("enc-2");
    oaep.as_object_mut().expect("object").remove("use");
    let doc = json!({"keys": [enc, oaep, ec]}).to_string();
    let auth = auth(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &doc), ANY_AUDIENCE]);
    let token = rs256(&claims("user_1234"), Some("enc-1"));
    invalid(auth.authenticate(&with_bearer(&token)));
    // One usable key left: a kid-less token may use it.
    let token = es256(&claims("user_1234"), None);
    assert_eq!(
        user_id(auth.authenticate(&with_bearer(&token))),
        "user_1234"
    );
}

#[test]
fn jwt_without_key_is_missing_naming_the_three_variables() {
    let err = config_err(&[(VAR_CALLER_AUTH, "jwt")]);
    assert!(matches!(err, ConfigError::Missing { .. }));
    let msg = err.to_string();
    for var in [VAR_JWT_SECRET, VAR_JWT_PUBLIC_KEY, VAR_JWT_JWKS] {
        assert!(msg.contains(var), "{msg}");
    }
}

#[test]
fn jwt_with_two_keys_is_a_conflict() {
    let err = config_err(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_SECRET, SECRET),
        (VAR_JWT_JWKS, JWKS),
    ]);
    let ConfigError::Conflict(msg) = &err else {
        panic!("expected a conflict, got {err:?}");
    };
    assert!(
        msg.contains(VAR_JWT_SECRET) && msg.contains(VAR_JWT_JWKS),
        "{msg}"
    );
    assert!(!msg.contains(SECRET), "{msg}");
}

#[test]
fn short_hs256_secret_is_refused_without_echo() {
    let short = "only-31-bytes-long-secret-12345";
    assert_eq!(short.len(), 31);
    let err = config_err(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_SECRET, short)]);
    assert!(matches!(
        err,
        ConfigError::Invalid {
            var: VAR_JWT_SECRET,
            ..
        }
    ));
    assert!(!err.to_string().contains(short));
}

#[test]
fn blank_audience_list_is_refused() {
    let err = config_err(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_SECRET, SECRET),
        (VAR_JWT_AUDIENCE, " , "),
    ]);
    assert!(matches!(
        err,
        ConfigError::Invalid {
            var: VAR_JWT_AUDIENCE,
            ..
        }
    ));
}

#[test]
fn blank_issuer_list_is_refused() {
    let err = config_err(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_SECRET, SECRET),
        (VAR_JWT_ISSUER, " , "),
    ]);
    assert!(matches!(
        err,
        ConfigError::Invalid {
            var: VAR_JWT_ISSUER,
            ..
        }
    ));
}

#[test]
fn jwt_without_issuer_or_audience_refuses_to_start_unless_allowed() {
    for source in [
        (VAR_JWT_SECRET, SECRET),
        (VAR_JWT_PUBLIC_KEY, RSA_PUBLIC),
        (VAR_JWT_JWKS, JWKS),
    ] {
        for allow in [None, Some("0"), Some("yes"), Some(" ")] {
            let mut pairs = vec![(VAR_CALLER_AUTH, "jwt"), source];
            if let Some(allow) = allow {
                pairs.push((VAR_JWT_ALLOW_ANY_AUDIENCE, allow));
            }
            let err = config_err(&pairs);
            assert!(
                matches!(
                    err,
                    ConfigError::Missing {
                        var: VAR_JWT_AUDIENCE,
                        ..
                    }
                ),
                "{allow:?}: {err:?}"
            );
            let msg = err.to_string();
            for var in [VAR_JWT_AUDIENCE, VAR_JWT_ISSUER, VAR_JWT_ALLOW_ANY_AUDIENCE] {
                assert!(msg.contains(var), "{msg}");
            }
        }
        // Either check, or the explicit allowance, starts.
        for extra in [
            (VAR_JWT_AUDIENCE, "customauth-api"),
            (VAR_JWT_ISSUER, "https://auth.example.com/"),
            ANY_AUDIENCE,
        ] {
            auth(&[(VAR_CALLER_AUTH, "jwt"), source, extra]);
        }
    }
}
