//! gateway mode: authorizer identities from real API Gateway, function URL and
//! ALB events.

use super::*;

fn gateway(claim: Option<&str>) -> CallerAuth {
    match claim {
        Some(claim) => auth(&[(VAR_CALLER_AUTH, "gateway"), (VAR_USER_ID_CLAIM, claim)]),
        None => auth(&[(VAR_CALLER_AUTH, "gateway")]),
    }
}

#[test]
fn gateway_v2_jwt_authorizer_gives_user_1234() {
    let auth = gateway(None);
    for json in [V2_JWT, V2_BASE64, V2_USER_INFO] {
        let caller = auth.authenticate(&event(json));
        let Ok(Caller::User(user)) = caller else {
            panic!("expected a user, got {caller:?}");
        };
        assert_eq!(user.user_id.as_str(), "user_1234");
        assert_eq!(
            user.info,
            UserInfo {
                open_id: String::new(),
                app_id: String::new(),
                uid: "user_1234".into(),
                custom_user_id: "user_1234".into(),
                is_anonymous: false,
            }
        );
    }
}

#[test]
fn gateway_v2_custom_claim_keeps_sub_as_uid() {
    let auth = gateway(Some("email"));
    let Ok(Caller::User(user)) = auth.authenticate(&event(V2_JWT)) else {
        panic!("expected a user");
    };
    assert_eq!(user.user_id.as_str(), "alice@example.com");
    assert_eq!(user.info.uid, "user_1234");
    assert_eq!(user.info.custom_user_id, "alice@example.com");
}

#[test]
fn gateway_v2_lambda_authorizer_context_gives_user_with_open_and_app_ids() {
    let Ok(Caller::User(user)) = gateway(Some("customUserId")).authenticate(&event(V2_LAMBDA))
    else {
        panic!("expected a user");
    };
    assert_eq!(user.user_id.as_str(), "user_1234");
    assert_eq!(user.info.open_id, "oPENiD-55");
    assert_eq!(user.info.app_id, "wx-app-1");
    assert_eq!(user.info.uid, "user_1234");
}

#[test]
fn gateway_v1_cognito_claims_give_user_1234() {
    assert_eq!(
        user_id(gateway(None).authenticate(&event(V1_COGNITO))),
        "user_1234"
    );
    assert_eq!(
        user_id(gateway(Some("cognito:username")).authenticate(&event(V1_COGNITO))),
        "alice"
    );
}

#[test]
fn gateway_v1_lambda_authorizer_context_gives_user_1234() {
    for claim in [None, Some("customUserId"), Some("principalId")] {
        assert_eq!(
            user_id(gateway(claim).authenticate(&event(V1_LAMBDA))),
            "user_1234"
        );
    }
}

#[test]
fn gateway_without_authorizer_identity_is_missing() {
    let auth = gateway(None);
    for json in [
        V2_NO_AUTH,
        V2_CLIENT_IP,
        V2_API_KEY,
        FUNCTION_URL,
        ALB_CREATE,
        ALB_CLIENT_IP,
    ] {
        assert_eq!(auth.authenticate(&event(json)), Err(AuthError::Missing));
    }
}

#[test]
fn gateway_in_http_mode_is_missing_even_with_a_bearer_token() {
    let token = hs256(&claims("user_1234"));
    assert_eq!(
        gateway(None).authenticate(&with_bearer(&token)),
        Err(AuthError::Missing)
    );
}

#[test]
fn gateway_claim_absent_is_invalid() {
    let reason = invalid(gateway(Some("customUserId")).authenticate(&event(V2_JWT)));
    assert!(reason.contains("missing"));
    invalid(gateway(Some("nope")).authenticate(&event(V1_COGNITO)));
}

#[test]
fn gateway_claim_not_a_string_is_invalid() {
    let reason = invalid(gateway(Some("integrationLatency")).authenticate(&event(V1_LAMBDA)));
    assert!(reason.contains("not a string"));
}

#[test]
fn gateway_claim_not_a_valid_custom_user_id_is_invalid_identity() {
    let auth = gateway(Some("scope"));
    assert!(matches!(
        auth.authenticate(&event(V2_JWT)),
        Err(AuthError::InvalidIdentity(InvalidUserId::Character { .. }))
    ));
    assert!(matches!(
        gateway(Some("jti")).authenticate(&event(V2_JWT)),
        Err(AuthError::InvalidIdentity(InvalidUserId::Length {
            len: 36
        }))
    ));
}
