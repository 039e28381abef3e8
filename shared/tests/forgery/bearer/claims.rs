//! Claim tricks: duplicates, mistyped or missing `exp`, `nbf`, `crit`,
//! oversized and deeply nested tokens.

use super::*;

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
