//! The mode setting, the SDK shape of `UserInfo`, and what `Debug` shows.

use super::*;

#[test]
fn user_info_serializes_as_the_sdk() {
    let info = UserInfo {
        open_id: "o".into(),
        app_id: "a".into(),
        uid: "u".into(),
        custom_user_id: "user_1234".into(),
        is_anonymous: false,
    };
    assert_eq!(
        serde_json::to_string(&info).expect("serializes"),
        r#"{"openId":"o","appId":"a","uid":"u","customUserId":"user_1234","isAnonymous":false}"#
    );
}

#[test]
fn mode_parses_the_four_values_case_insensitively() {
    for (text, mode) in [
        ("gateway", CallerAuthMode::Gateway),
        ("JWT", CallerAuthMode::Jwt),
        (" api-key ", CallerAuthMode::ApiKey),
        ("none", CallerAuthMode::None),
    ] {
        assert_eq!(text.parse::<CallerAuthMode>().expect("parses"), mode);
        assert_eq!(
            mode.as_str().parse::<CallerAuthMode>().expect("round trip"),
            mode
        );
    }
    assert_eq!(CallerAuthMode::ApiKey.to_string(), "api-key");
}

#[test]
fn missing_mode_names_the_variable_and_the_values() {
    let err = config_err(&[]);
    assert!(matches!(
        err,
        ConfigError::Missing {
            var: VAR_CALLER_AUTH,
            ..
        }
    ));
    let msg = err.to_string();
    for word in [
        "CUSTOMAUTH_CALLER_AUTH",
        "gateway",
        "jwt",
        "api-key",
        "none",
    ] {
        assert!(msg.contains(word), "{msg}");
    }
    let blank = config_err(&[(VAR_CALLER_AUTH, "  ")]);
    assert!(matches!(
        blank,
        ConfigError::Missing {
            var: VAR_CALLER_AUTH,
            ..
        }
    ));
}

#[test]
fn unknown_mode_is_invalid() {
    let err = config_err(&[(VAR_CALLER_AUTH, "oauth")]);
    assert!(matches!(
        err,
        ConfigError::Invalid {
            var: VAR_CALLER_AUTH,
            ..
        }
    ));
    assert!(err.to_string().contains("oauth"));
    assert!(matches!(
        config_err(&[(VAR_CALLER_AUTH, "api_key")]),
        ConfigError::Invalid { .. }
    ));
}

#[test]
fn none_without_allowance_is_refused_naming_both_variables() {
    for allow in [None, Some("0"), Some("true"), Some("")] {
        let mut pairs = vec![(VAR_CALLER_AUTH, "none")];
        if let Some(allow) = allow {
            pairs.push((VAR_ALLOW_INSECURE_NONE, allow));
        }
        let err = config_err(&pairs);
        assert!(matches!(err, ConfigError::Conflict(_)), "{allow:?}");
        let msg = err.to_string();
        assert!(
            msg.contains(VAR_CALLER_AUTH) && msg.contains(VAR_ALLOW_INSECURE_NONE),
            "{msg}"
        );
    }
}

#[test]
fn none_with_allowance_makes_everyone_anonymous() {
    let auth = auth(&[(VAR_CALLER_AUTH, "none"), (VAR_ALLOW_INSECURE_NONE, "1")]);
    assert_eq!(auth.mode(), CallerAuthMode::None);
    assert_eq!(auth.authenticate(&request(&[])), Ok(Caller::Anonymous));
    assert_eq!(auth.authenticate(&event(V2_JWT)), Ok(Caller::Anonymous));
}

#[test]
fn variables_of_another_mode_are_not_an_error() {
    let auth = auth(&[
        (VAR_CALLER_AUTH, "gateway"),
        (VAR_JWT_SECRET, "short"),
        (VAR_JWT_PUBLIC_KEY, "garbage"),
        (VAR_API_KEYS, "x,,y"),
    ]);
    assert_eq!(auth.mode(), CallerAuthMode::Gateway);
    assert_eq!(auth.user_id_claim(), "sub");
}

#[test]
fn debug_never_shows_secrets() {
    let text = format!("{:?}", hs256_auth());
    assert!(!text.contains(SECRET) && text.contains("HS256"), "{text}");
    let keys = auth(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, API_KEY)]);
    let text = format!("{keys:?}");
    assert!(!text.contains(API_KEY), "{text}");
    let text = format!("{:?}", jwks_auth());
    assert!(text.contains("k2048") && text.contains("ES256"), "{text}");
}

#[test]
fn authenticate_parts_reads_headers_and_extensions_whatever_the_body() {
    // gateway mode: the authorizer identity travels in the extensions.
    let gateway = auth(&[(VAR_CALLER_AUTH, "gateway")]);
    let (parts, _body) = event(V2_JWT).into_parts();
    assert_eq!(
        user_id(gateway.authenticate_parts(&parts.headers, &parts.extensions)),
        "user_1234"
    );
    let unit_body = http::Request::from_parts(parts, ());
    assert_eq!(user_id(gateway.authenticate(&unit_body)), "user_1234");
    assert_eq!(
        gateway.authenticate_parts(&HeaderMap::new(), &Extensions::new()),
        Err(AuthError::Missing)
    );

    // jwt and api-key modes: the credential travels in the headers.
    let token = hs256(&claims("user_1234"));
    let req = http::Request::builder()
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .expect("request builds");
    assert_eq!(user_id(hs256_auth().authenticate(&req)), "user_1234");
    let keys = auth(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, API_KEY)]);
    let req = http::Request::builder()
        .header("x-api-key", API_KEY)
        .body(())
        .expect("request builds");
    assert_eq!(
        keys.authenticate_parts(req.headers(), req.extensions()),
        Ok(Caller::Backend)
    );
}
