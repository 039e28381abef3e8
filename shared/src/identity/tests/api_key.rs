//! api-key mode: keys as Bearer or X-Api-Key, refusals, configuration.

use super::*;

fn api_key_auth() -> CallerAuth {
    auth(&[
        (VAR_CALLER_AUTH, "api-key"),
        (VAR_API_KEYS, &format!(" other-key-7d1e40b95c , {API_KEY} ")),
    ])
}

#[test]
fn api_key_as_bearer_is_backend() {
    let auth = api_key_auth();
    assert_eq!(
        auth.authenticate(&with_bearer(API_KEY)),
        Ok(Caller::Backend)
    );
    assert_eq!(auth.authenticate(&event(V2_API_KEY)), Ok(Caller::Backend));
    assert_eq!(auth.authenticate(&event(ALB_CREATE)), Ok(Caller::Backend));
    assert_eq!(
        auth.authenticate(&with_bearer("other-key-7d1e40b95c")),
        Ok(Caller::Backend)
    );
}

#[test]
fn api_key_as_x_api_key_is_backend() {
    let req = request(&[("x-api-key", API_KEY)]);
    assert_eq!(api_key_auth().authenticate(&req), Ok(Caller::Backend));
    // X-Api-Key is read first: an Authorization header for someone else
    // does not matter.
    let req = request(&[("x-api-key", API_KEY), ("authorization", "Bearer user-jwt")]);
    assert_eq!(api_key_auth().authenticate(&req), Ok(Caller::Backend));
}

#[test]
fn wrong_api_key_is_refused() {
    let auth = api_key_auth();
    for key in ["dev-key-3f9c1a7e5b2d4087", "dev-key-3f9c1a7e5b2d408", "x"] {
        assert_eq!(
            auth.authenticate(&with_bearer(key)),
            Err(AuthError::Invalid("API key not accepted"))
        );
        invalid(auth.authenticate(&request(&[("x-api-key", key)])));
    }
    // A wrong X-Api-Key is not rescued by a right Bearer key.
    let req = request(&[
        ("x-api-key", "wrong-key-000000000"),
        ("authorization", &format!("Bearer {API_KEY}")),
    ]);
    invalid(auth.authenticate(&req));
}

#[test]
fn api_key_missing_or_empty_is_refused() {
    let auth = api_key_auth();
    assert_eq!(auth.authenticate(&request(&[])), Err(AuthError::Missing));
    assert_eq!(
        auth.authenticate(&event(V2_NO_AUTH)),
        Err(AuthError::Missing)
    );
    invalid(auth.authenticate(&request(&[("x-api-key", " ")])));
    invalid(auth.authenticate(&request(&[("x-api-key", API_KEY), ("x-api-key", API_KEY)])));
    // The REST fixture's opaque session token is not a key.
    invalid(auth.authenticate(&event(V1_LAMBDA)));
}

#[test]
fn api_key_mode_ignores_gateway_identity() {
    assert_eq!(
        api_key_auth().authenticate(&event(V2_JWT)),
        Err(AuthError::Invalid("API key not accepted"))
    );
}

#[test]
fn short_api_key_is_refused_at_config_without_echo() {
    let err = config_err(&[
        (VAR_CALLER_AUTH, "api-key"),
        (VAR_API_KEYS, &format!("{API_KEY},short-key-123")),
    ]);
    assert!(matches!(
        err,
        ConfigError::Invalid {
            var: VAR_API_KEYS,
            ..
        }
    ));
    let msg = err.to_string();
    assert!(msg.contains("entry 2") && msg.contains("16"), "{msg}");
    assert!(
        !msg.contains("short-key-123") && !msg.contains(API_KEY),
        "{msg}"
    );
}

#[test]
fn empty_or_unsendable_api_key_entries_are_refused() {
    for list in [
        format!("{API_KEY},"),
        format!(",{API_KEY}"),
        format!("{API_KEY}, ,{API_KEY}"),
        "key with spaces in it!".to_owned(),
        "ключ-ключ-ключ-ключ".to_owned(),
    ] {
        let err = config_err(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, &list)]);
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    var: VAR_API_KEYS,
                    ..
                }
            ),
            "{list}"
        );
    }
}

#[test]
fn api_key_mode_without_keys_is_missing() {
    let err = config_err(&[(VAR_CALLER_AUTH, "api-key")]);
    assert!(matches!(
        err,
        ConfigError::Missing {
            var: VAR_API_KEYS,
            ..
        }
    ));
}

#[test]
fn auth_errors_never_contain_the_credential() {
    let token = hs256(&json!({"sub": "user_1234", "exp": now() - 120}));
    let err = hs256_auth()
        .authenticate(&with_bearer(&token))
        .expect_err("expired");
    assert!(!err.to_string().contains(&token));
    let err = api_key_auth()
        .authenticate(&with_bearer("wrong-key-000000000"))
        .expect_err("wrong");
    assert!(!err.to_string().contains("wrong-key"));
}

#[test]
fn weak_api_keys_are_refused_naming_the_position_never_the_key() {
    for weak in [
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // 1 different character
        "abababababababababababababababab", // 2
        "abcdefgabcdefgabcdefgabcdefgabcd", // 7 different, 89 bits
        "0123456789abcde0",                 // 15 different: 62.5 bits, 16 hex digits
        "passwordpassword",                 // 7 different
        "1234567812345678",                 // 8 different, 48 bits
    ] {
        let list = format!("{API_KEY}, {weak}");
        let err = config_err(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, &list)]);
        let msg = err.to_string();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    var: VAR_API_KEYS,
                    ..
                }
            ),
            "{weak}: {msg}"
        );
        assert!(msg.contains("entry 2"), "{weak}: {msg}");
        assert!(msg.contains("predictable"), "{weak}: {msg}");
        assert!(!msg.contains(weak), "{msg}");
    }
}

#[test]
fn generated_and_test_style_api_keys_are_accepted() {
    for key in [
        "test-api-key-0123456789abcdef",
        "dev-key-3f9c1a7e5b2d4086",
        "0123456789abcdef", // 16 × log2(16) = 64 bits: the floor itself
        "3f9c1a7e5b2d40863f9c1a7e5b2d4086",
        "kJ8s_2xQ-vN4pL7r",
        "correct-horse-battery-staple",
    ] {
        let auth = auth(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, key)]);
        assert!(auth.authenticate(&with_bearer(key)).is_ok(), "{key}");
    }
}
