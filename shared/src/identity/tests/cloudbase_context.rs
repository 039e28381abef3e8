//! cloudbase-context mode: the gateway's `X-Cloudbase-Context` header, built
//! as the functions framework reads it (base64 of gzip of JSON).

use std::io::Write as _;

use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;

/// The header value for `context`: gzip, then standard base64.
pub(super) fn context_header(context: &Value) -> String {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(context.to_string().as_bytes()).expect("gzip");
    STANDARD.encode(gz.finish().expect("gzip"))
}

/// The gateway's range in these tests; requests come from 10.0.0.7.
const GATEWAY: &str = "10.0.0.0/8";

fn context_auth() -> CallerAuth {
    CallerAuth::from_env(&env(&[
        ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
        ("CUSTOMAUTH_CLOUDBASE_ENV", "prod-1a2b"),
        ("CUSTOMAUTH_TRUSTED_PROXIES", GATEWAY),
    ]))
    .expect("configured")
}

/// Extensions of an HTTP-mode request from `peer`.
fn from_peer(peer: &str) -> http::Extensions {
    let mut extensions = http::Extensions::new();
    extensions.insert(crate::client_ip::PeerAddr(peer.parse().expect("addr")));
    extensions
}

fn with_context(value: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-cloudbase-context",
        http::HeaderValue::from_str(value).expect("header"),
    );
    headers
}

/// The caller of a request with `headers` from the gateway (10.0.0.7).
fn check(auth: &CallerAuth, headers: &http::HeaderMap) -> Result<Caller, AuthError> {
    auth.authenticate_parts(headers, &from_peer("10.0.0.7:40000"))
}

fn end_user() -> Value {
    json!({
        "envId": "prod-1a2b", "uin": "100012345678", "source": "web",
        "serviceName": "get-user-info", "serviceVersion": "1",
        "authMethod": "TCB_OAUTH2_C", "userType": "C_SIDE_USER",
        "isAdministrator": false, "userId": "9f86d081884c7d659a2feaa0c55ad015",
        "accessToken": "not-read"
    })
}

#[test]
fn an_end_users_context_is_its_uid() {
    let caller = check(&context_auth(), &with_context(&context_header(&end_user())));
    assert_eq!(
        caller,
        Ok(Caller::CloudBase(UserInfo {
            uid: "9f86d081884c7d659a2feaa0c55ad015".into(),
            ..UserInfo::default()
        }))
    );
}

#[test]
fn a_wechat_callers_context_gives_open_id_and_app_id() {
    let mut context = end_user();
    context["source"] = "wx".into();
    context["authMethod"] = "WX_SERVER_AUTH".into();
    context["wechatContext"] = json!({"callId": "c", "source": "wx", "appId": "wx123",
                                      "openId": "o-abc", "unionId": ""});
    let Ok(Caller::CloudBase(info)) =
        check(&context_auth(), &with_context(&context_header(&context)))
    else {
        panic!("accepted");
    };
    assert_eq!(
        (info.open_id.as_str(), info.app_id.as_str()),
        ("o-abc", "wx123")
    );
}

#[test]
fn other_envs_administrators_and_unauthenticated_contexts_are_refused() {
    let auth = context_auth();
    let mut other_env = end_user();
    other_env["envId"] = "other-env".into();
    assert!(matches!(
        check(&auth, &with_context(&context_header(&other_env))),
        Err(AuthError::Invalid(_))
    ));
    let mut admin = end_user();
    admin["userType"] = "B_SIDE_USER".into();
    admin["authMethod"] = "CAM_TC3".into();
    assert!(matches!(
        check(&auth, &with_context(&context_header(&admin))),
        Err(AuthError::Invalid(_))
    ));
    let mut none = end_user();
    none["userType"] = "NONE".into();
    none["authMethod"] = "UNAUTHORIZED".into();
    none.as_object_mut().expect("object").remove("userId");
    assert_eq!(
        check(&auth, &with_context(&context_header(&none))),
        Err(AuthError::Missing)
    );
    assert_eq!(
        check(&auth, &http::HeaderMap::new()),
        Err(AuthError::Missing)
    );
}

#[test]
fn a_context_not_from_the_gateway_is_refused() {
    let auth = context_auth();
    let header = with_context(&context_header(&end_user()));
    assert!(matches!(check(&auth, &header), Ok(Caller::CloudBase(_))));
    for peer in ["127.0.0.1:5000", "192.0.2.9:5000", "[2001:db8::1]:5000"] {
        assert_eq!(
            auth.authenticate_parts(&header, &from_peer(peer)),
            Err(AuthError::Invalid(
                "X-Cloudbase-Context is believed only from the CloudBase gateway"
            )),
            "{peer}"
        );
    }
    // No peer at all, or a Lambda event (a function URL's, whatever its
    // source address): nothing says the gateway sent it.
    assert!(matches!(
        auth.authenticate_parts(&header, &http::Extensions::new()),
        Err(AuthError::Invalid(_))
    ));
    let event = lambda_http::request::from_str(
        customauth_testkit::fixtures::events::FUNCTION_URL_CREATE_TICKET,
    )
    .expect("event");
    let mut extensions = event.extensions().clone();
    extensions.insert(crate::client_ip::PeerAddr(
        "10.0.0.7:1".parse().expect("addr"),
    ));
    assert!(matches!(
        auth.authenticate_parts(&header, &extensions),
        Err(AuthError::Invalid(_))
    ));
}

#[test]
fn only_an_end_user_with_a_user_id_or_open_id_is_a_caller() {
    let auth = context_auth();
    let wechat = json!({"appId": "wx123", "openId": "o-abc"});
    let refused = |context: &Value| check(&auth, &with_context(&context_header(context)));
    let with = |user_type: Option<&str>, user_id: bool, open_id: bool| {
        let mut context = end_user();
        let object = context.as_object_mut().expect("object");
        match user_type {
            Some(t) => object.insert("userType".into(), t.into()),
            None => object.remove("userType"),
        };
        if !user_id {
            object.remove("userId");
        }
        if open_id {
            object.insert("wechatContext".into(), wechat.clone());
        }
        context
    };
    // An unauthenticated context with a WeChat openId is still nobody.
    assert_eq!(
        refused(&with(Some("NONE"), false, true)),
        Err(AuthError::Missing)
    );
    assert_eq!(
        refused(&with(Some("NONE"), true, true)),
        Err(AuthError::Missing)
    );
    assert_eq!(refused(&with(None, false, true)), Err(AuthError::Missing));
    assert_eq!(
        refused(&with(Some("C_SIDE_USER"), false, false)),
        Err(AuthError::Missing)
    );
    assert!(matches!(
        refused(&with(Some("B_SIDE_USER"), true, true)),
        Err(AuthError::Invalid(_))
    ));
    assert!(matches!(
        refused(&with(Some("SERVICE"), true, true)),
        Err(AuthError::Invalid(_))
    ));
    let Ok(Caller::CloudBase(info)) = refused(&with(Some("C_SIDE_USER"), false, true)) else {
        panic!("an end user's WeChat context is accepted");
    };
    assert_eq!((info.open_id.as_str(), info.uid.as_str()), ("o-abc", ""));
}

#[test]
fn the_mode_needs_the_gateways_range_and_refuses_lambda() {
    let e = CallerAuth::from_env(&env(&[
        ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
        ("CUSTOMAUTH_CLOUDBASE_ENV", "prod-1a2b"),
    ]))
    .expect_err("refused")
    .to_string();
    assert!(e.contains("CUSTOMAUTH_TRUSTED_PROXIES"), "{e}");
    assert!(e.contains("get-client-ip"), "{e}");
    let e = CallerAuth::from_env(&env(&[
        ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
        ("CUSTOMAUTH_CLOUDBASE_ENV", "prod-1a2b"),
        ("CUSTOMAUTH_TRUSTED_PROXIES", GATEWAY),
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
    ]))
    .expect_err("refused")
    .to_string();
    assert!(e.contains("Lambda"), "{e}");
}

#[test]
fn bytes_that_are_not_base64_gzip_json_are_refused() {
    let auth = context_auth();
    let not_gzip = STANDARD.encode(end_user().to_string());
    let not_json = {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(b"{not json").expect("gzip");
        STANDARD.encode(gz.finish().expect("gzip"))
    };
    for value in ["%%%", not_gzip.as_str(), not_json.as_str()] {
        assert!(
            matches!(
                check(&auth, &with_context(value)),
                Err(AuthError::Invalid(_))
            ),
            "{value}"
        );
    }
    // A gzip bomb: 10 MB of spaces zips to ~10 KB; refused at 64 KiB out.
    let mut bomb = GzEncoder::new(Vec::new(), Compression::best());
    bomb.write_all(b"{\"envId\":\"prod-1a2b\",\"x\":\"")
        .expect("gzip");
    bomb.write_all(&vec![b' '; 10_000_000]).expect("gzip");
    let bomb = STANDARD.encode(bomb.finish().expect("gzip"));
    assert!(bomb.len() < crate::identity::cloudbase_context::MAX_CONTEXT_HEADER_BYTES);
    assert_eq!(
        check(&auth, &with_context(&bomb)),
        Err(AuthError::Invalid("X-Cloudbase-Context unzips past 64 KiB"))
    );
}

#[test]
fn the_header_is_ignored_unless_the_mode_is_declared() {
    let header = with_context(&context_header(&end_user()));
    let jwt = CallerAuth::from_env(&env(&[
        ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
        ("CUSTOMAUTH_JWT_SECRET", SECRET),
        ("CUSTOMAUTH_JWT_AUDIENCE", "aud"),
    ]))
    .expect("jwt");
    assert_eq!(check(&jwt, &header), Err(AuthError::Missing));
    let gateway = CallerAuth::from_env(&env(&[("CUSTOMAUTH_CALLER_AUTH", "gateway")])).expect("gw");
    assert_eq!(check(&gateway, &header), Err(AuthError::Missing));
}

#[test]
fn the_mode_needs_the_env() {
    let e = CallerAuth::from_env(&env(&[("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context")]))
        .expect_err("refused");
    assert!(e.to_string().contains("CUSTOMAUTH_CLOUDBASE_ENV"), "{e}");
}
