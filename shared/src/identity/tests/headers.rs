//! Credentials in headers: the Bearer scheme, duplicates, empty and oversized
//! values.

use super::*;

#[test]
fn bearer_scheme_is_case_insensitive() {
    let token = hs256(&claims("user_1234"));
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let req = request(&[("authorization", &format!("{scheme}  {token} "))]);
        assert_eq!(user_id(hs256_auth().authenticate(&req)), "user_1234");
    }
}

#[test]
fn jwt_without_authorization_is_missing() {
    assert_eq!(
        hs256_auth().authenticate(&request(&[])),
        Err(AuthError::Missing)
    );
}

#[test]
fn jwt_with_other_scheme_or_empty_credential_is_invalid() {
    let token = hs256(&claims("user_1234"));
    invalid(hs256_auth().authenticate(&request(&[("authorization", &token)])));
    invalid(hs256_auth().authenticate(&request(&[("authorization", "Basic dXNlcjpwYXNz")])));
    invalid(hs256_auth().authenticate(&request(&[("authorization", "Bearer")])));
    invalid(hs256_auth().authenticate(&request(&[("authorization", "Bearer   ")])));
}

#[test]
fn jwt_with_two_authorization_headers_is_invalid() {
    let token = hs256(&claims("user_1234"));
    let bearer = format!("Bearer {token}");
    let req = request(&[("authorization", &bearer), ("authorization", &bearer)]);
    invalid(hs256_auth().authenticate(&req));
}

#[test]
fn oversized_token_is_refused_without_echo() {
    let token = "a".repeat(MAX_CREDENTIAL_BYTES + 1);
    let err = hs256_auth()
        .authenticate(&with_bearer(&token))
        .expect_err("refused");
    assert_eq!(err, AuthError::Invalid("credential larger than 8 KiB"));
    let huge = "a".repeat(100 * 1024);
    invalid(hs256_auth().authenticate(&with_bearer(&huge)));
}
