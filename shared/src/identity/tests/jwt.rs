//! jwt mode with an HS256 secret: the claim rules (exp, nbf, iss, aud, the
//! identity claim) and forged or malformed tokens.

use super::*;

#[test]
fn hs256_valid_token_gives_user() {
    let token = hs256(&json!({
        "sub": "user_1234", "exp": now() + 600, "openid": "op-1", "appId": "app-1"
    }));
    let Ok(Caller::User(user)) = hs256_auth().authenticate(&with_bearer(&token)) else {
        panic!("expected a user");
    };
    assert_eq!(user.user_id.as_str(), "user_1234");
    assert_eq!(user.info.open_id, "op-1");
    assert_eq!(user.info.app_id, "app-1");
    assert_eq!(user.info.uid, "user_1234");
}

#[test]
fn expired_token_is_refused() {
    let token = hs256(&json!({"sub": "user_1234", "exp": now() - 120}));
    assert_eq!(
        invalid(hs256_auth().authenticate(&with_bearer(&token))),
        "token expired"
    );
}

#[test]
fn token_expired_within_leeway_is_accepted() {
    let token = hs256(&json!({"sub": "user_1234", "exp": now() - 10}));
    assert_eq!(
        user_id(hs256_auth().authenticate(&with_bearer(&token))),
        "user_1234"
    );
}

#[test]
fn token_without_exp_is_refused() {
    let token = hs256(&json!({"sub": "user_1234"}));
    assert_eq!(
        invalid(hs256_auth().authenticate(&with_bearer(&token))),
        "the token has no exp claim"
    );
}

#[test]
fn future_nbf_is_refused_and_nbf_within_leeway_accepted() {
    let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "nbf": now() + 120}));
    assert_eq!(
        invalid(hs256_auth().authenticate(&with_bearer(&token))),
        "token not valid yet (nbf)"
    );
    let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "nbf": now() + 10}));
    assert_eq!(
        user_id(hs256_auth().authenticate(&with_bearer(&token))),
        "user_1234"
    );
}

fn checked_auth() -> CallerAuth {
    auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_SECRET, SECRET),
        (VAR_JWT_ISSUER, "https://auth.example.com/"),
        (VAR_JWT_AUDIENCE, "api-a, api-b"),
    ])
}

#[test]
fn issuer_and_audience_match_is_accepted() {
    for aud in [json!("api-b"), json!(["other", "api-a"])] {
        let token = hs256(&json!({
            "sub": "user_1234", "exp": now() + 600,
            "iss": "https://auth.example.com/", "aud": aud
        }));
        assert_eq!(
            user_id(checked_auth().authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }
}

#[test]
fn wrong_or_missing_issuer_is_refused() {
    let token = hs256(&json!({
        "sub": "user_1234", "exp": now() + 600, "iss": "https://evil.example/", "aud": "api-a"
    }));
    assert_eq!(
        invalid(checked_auth().authenticate(&with_bearer(&token))),
        "token issuer not accepted"
    );
    let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "aud": "api-a"}));
    assert_eq!(
        invalid(checked_auth().authenticate(&with_bearer(&token))),
        "the token has no iss claim"
    );
}

#[test]
fn wrong_or_missing_audience_is_refused() {
    let token = hs256(&json!({
        "sub": "user_1234", "exp": now() + 600,
        "iss": "https://auth.example.com/", "aud": "api-c"
    }));
    assert_eq!(
        invalid(checked_auth().authenticate(&with_bearer(&token))),
        "token audience not accepted"
    );
    let token = hs256(&json!({
        "sub": "user_1234", "exp": now() + 600, "iss": "https://auth.example.com/"
    }));
    assert_eq!(
        invalid(checked_auth().authenticate(&with_bearer(&token))),
        "the token has no aud claim"
    );
}

#[test]
fn issuer_list_accepts_each_issuer_and_no_other() {
    let auth = auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_SECRET, SECRET),
        (VAR_JWT_ISSUER, "https://a.example/, https://b.example/"),
    ]);
    for iss in ["https://a.example/", "https://b.example/"] {
        let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "iss": iss}));
        assert_eq!(
            user_id(auth.authenticate(&with_bearer(&token))),
            "user_1234"
        );
    }
    for iss in [
        "https://a.example/, https://b.example/",
        "https://a.example",
        "https://c.example/",
    ] {
        let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "iss": iss}));
        assert_eq!(
            invalid(auth.authenticate(&with_bearer(&token))),
            "token issuer not accepted",
            "{iss}"
        );
    }
}

#[test]
fn issuer_given_as_an_array_or_other_non_string_is_refused() {
    let iss = "https://auth.example.com/";
    for bad in [
        json!([iss]),
        json!([iss, "https://other.example/"]),
        json!({"iss": iss}),
    ] {
        let token =
            hs256(&json!({"sub": "user_1234", "exp": now() + 600, "iss": bad, "aud": "api-a"}));
        invalid(checked_auth().authenticate(&with_bearer(&token)));
    }
    let token =
        hs256(&json!({"sub": "user_1234", "exp": now() + 600, "iss": [iss], "aud": "api-a"}));
    assert_eq!(
        invalid(checked_auth().authenticate(&with_bearer(&token))),
        "the token's iss is not a string"
    );
    // Unchecked issuers must still be strings.
    for bad in [json!([iss]), json!(1), json!(null)] {
        let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "iss": bad}));
        assert_eq!(
            invalid(hs256_auth().authenticate(&with_bearer(&token))),
            "the token's iss is not a string",
            "{bad}"
        );
    }
}

#[test]
fn audience_unconfigured_accepts_any_aud() {
    let token = hs256(&json!({"sub": "user_1234", "exp": now() + 600, "aud": "whatever"}));
    assert_eq!(
        user_id(hs256_auth().authenticate(&with_bearer(&token))),
        "user_1234"
    );
}

#[test]
fn alg_none_token_is_refused() {
    let header = b64(&json!({"alg": "none", "typ": "JWT"}));
    let payload = b64(&claims("user_1234"));
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        invalid(hs256_auth().authenticate(&with_bearer(&token)));
        invalid(rs256_auth().authenticate(&with_bearer(&token)));
        invalid(jwks_auth().authenticate(&with_bearer(&token)));
    }
}

#[test]
fn bad_signature_is_refused() {
    let token = hs256(&claims("user_1234"));
    let other = encode(
        &Header::new(Algorithm::HS256),
        &claims("user_1234"),
        &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!"),
    )
    .expect("signs");
    assert_eq!(
        invalid(hs256_auth().authenticate(&with_bearer(&other))),
        "bad token signature"
    );
    // Payload swapped under the original signature.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = b64(&claims("admin_0001"));
    parts[1] = &forged;
    assert_eq!(
        invalid(hs256_auth().authenticate(&with_bearer(&parts.join(".")))),
        "bad token signature"
    );
}

#[test]
fn rs256_token_presented_to_hs256_config_is_refused() {
    let token = rs256(&claims("user_1234"), None);
    assert_eq!(
        invalid(hs256_auth().authenticate(&with_bearer(&token))),
        "the token's algorithm is not the configured key's"
    );
}

#[test]
fn identity_claim_missing_in_token_is_invalid() {
    let token = hs256(&json!({"exp": now() + 600, "email": "a@b.example"}));
    assert!(invalid(hs256_auth().authenticate(&with_bearer(&token))).contains("missing"));
    let token = hs256(&json!({"sub": null, "exp": now() + 600}));
    assert!(invalid(hs256_auth().authenticate(&with_bearer(&token))).contains("missing"));
}

#[test]
fn identity_claim_not_a_string_is_invalid() {
    let token = hs256(&json!({"sub": 12345678, "exp": now() + 600}));
    assert!(invalid(hs256_auth().authenticate(&with_bearer(&token))).contains("not a string"));
}

#[test]
fn identity_claim_not_a_valid_custom_user_id_is_invalid_identity() {
    let token = hs256(&claims("user 1234"));
    let err = hs256_auth()
        .authenticate(&with_bearer(&token))
        .expect_err("refused");
    assert!(matches!(
        err,
        AuthError::InvalidIdentity(InvalidUserId::Character { .. })
    ));
    assert!(!err.to_string().contains("user 1234"));
    let token = hs256(&claims("abc"));
    assert!(matches!(
        hs256_auth().authenticate(&with_bearer(&token)),
        Err(AuthError::InvalidIdentity(InvalidUserId::Length { len: 3 }))
    ));
}

#[test]
fn custom_identity_claim_is_read_from_the_token() {
    let auth = auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_SECRET, SECRET),
        (VAR_USER_ID_CLAIM, "customUserId"),
        ANY_AUDIENCE,
    ]);
    let token = hs256(&json!({"sub": "auth0|99", "customUserId": "user_77", "exp": now() + 600}));
    let Ok(Caller::User(user)) = auth.authenticate(&with_bearer(&token)) else {
        panic!("expected a user");
    };
    assert_eq!(user.user_id.as_str(), "user_77");
    assert_eq!(user.info.uid, "auth0|99");
}

#[test]
fn garbage_token_is_malformed() {
    for token in ["abc", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30"] {
        let err = hs256_auth()
            .authenticate(&with_bearer(token))
            .expect_err("refused");
        assert!(matches!(err, AuthError::Invalid(_)), "{token}");
    }
}
