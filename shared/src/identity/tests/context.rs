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

fn context_auth() -> CallerAuth {
    CallerAuth::from_env(&env(&[
        ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
        ("CUSTOMAUTH_CLOUDBASE_ENV", "prod-1a2b"),
    ]))
    .expect("configured")
}

fn with_context(value: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-cloudbase-context",
        http::HeaderValue::from_str(value).expect("header"),
    );
    headers
}

fn check(auth: &CallerAuth, headers: &http::HeaderMap) -> Result<Caller, AuthError> {
    auth.authenticate_parts(headers, &http::Extensions::new())
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
    assert!(bomb.len() < crate::identity::context::MAX_CONTEXT_HEADER_BYTES);
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
