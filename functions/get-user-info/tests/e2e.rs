//! get-user-info as a real process: HTTP mode (jwt) and Lambda mode (gateway).

use customauth_testkit::{
    Process, RuntimeApi, fixture, free_port, lambda_env, refuses_to_start, request,
};

const BIN: &str = env!("CARGO_BIN_EXE_get-user-info");
const SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";
const AUDIENCE: &str = "customauth-e2e";

fn token(sub: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"sub": sub, "aud": AUDIENCE, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encodes")
}

#[test]
fn jwt_caller_gets_the_sdk_shape_and_others_401() {
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", SECRET),
            ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
        ],
    )
    .expect("starts");
    let bearer = format!("Bearer {}", token("user_42_x"));
    let r = request(
        "GET",
        &p.url("/getUserInfo"),
        &[("authorization", &bearer)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5);
    for k in ["openId", "appId", "uid", "customUserId", "isAnonymous"] {
        assert!(v.get(k).is_some(), "{k} missing: {v}");
    }
    assert_eq!(v["customUserId"], "user_42_x");
    assert_eq!(v["isAnonymous"], false);

    for auth in ["", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz"] {
        let r = request(
            "GET",
            &p.url("/getUserInfo"),
            &[("authorization", auth)],
            None,
        );
        assert_eq!(r.status, 401, "{auth}: {}", r.body);
        assert_eq!(r.json()["code"], "UNAUTHENTICATED");
    }
    // An API key (createTicket's backend credential) here: the 401 names the
    // header jwt mode expects.
    let r = request(
        "GET",
        &p.url("/getUserInfo"),
        &[("x-api-key", "test-api-key-0123456789abcdef")],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.body);
    let message = r.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains("expects Authorization: Bearer <JWT"),
        "{message}"
    );
    let r = request("PATCH", &p.url("/"), &[], None);
    assert_eq!(r.status, 405);
}

fn token_with(claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encodes")
}

/// Without an issuer or an audience to check, any token minted with the key
/// for any service would do: refused unless allowed, and then a warning.
#[test]
fn jwt_mode_without_issuer_or_audience_starts_only_when_allowed() {
    let jwt = [
        ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
        ("CUSTOMAUTH_JWT_SECRET", SECRET),
    ];
    for allow in [None, Some("0"), Some("true")] {
        let mut env = jwt.to_vec();
        env.extend(allow.map(|a| ("CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE", a)));
        let (code, out) = refuses_to_start(BIN, &env);
        assert_eq!(code, Some(2), "{allow:?}: {out}");
        for var in [
            "CUSTOMAUTH_JWT_AUDIENCE",
            "CUSTOMAUTH_JWT_ISSUER",
            "CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE",
        ] {
            assert!(out.contains(var), "{allow:?}: {out}");
        }
        assert!(!out.contains(SECRET), "{out}");
    }

    let mut env = jwt.to_vec();
    env.push(("CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE", "1"));
    let mut p = Process::http(BIN, &env).expect("starts");
    let bearer = format!("Bearer {}", token("user_42_x"));
    let r = request("GET", &p.url("/"), &[("authorization", &bearer)], None);
    assert_eq!(r.status, 200, "{}", r.body);
    let (code, logs) = p.finish();
    assert_eq!(code, Some(0), "{logs}");
    let warning = logs
        .lines()
        .find(|l| l.contains("CUSTOMAUTH_JWT_ALLOW_ANY_AUDIENCE=1"))
        .unwrap_or_else(|| panic!("no warning: {logs}"));
    assert!(warning.contains("WARN"), "{warning}");
}

/// CUSTOMAUTH_JWT_ISSUER is a comma-separated list, and `iss` counts only as
/// a JSON string.
#[test]
fn issuer_list_and_string_only_iss() {
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", SECRET),
            (
                "CUSTOMAUTH_JWT_ISSUER",
                "https://a.example/, https://b.example/",
            ),
        ],
    )
    .expect("starts");
    let exp = customauth::now_ms() / 1000 + 600;
    let get = |iss: serde_json::Value| {
        let token = token_with(serde_json::json!({"sub": "user_42_x", "iss": iss, "exp": exp}));
        let bearer = format!("Bearer {token}");
        request("GET", &p.url("/"), &[("authorization", &bearer)], None)
    };
    for iss in ["https://a.example/", "https://b.example/"] {
        let r = get(serde_json::json!(iss));
        assert_eq!(r.status, 200, "{iss}: {}", r.body);
    }
    for iss in [
        serde_json::json!("https://c.example/"),
        serde_json::json!("https://a.example/, https://b.example/"),
        serde_json::json!(["https://a.example/"]),
        serde_json::json!(["https://a.example/", "https://b.example/"]),
    ] {
        let r = get(iss.clone());
        assert_eq!(r.status, 401, "{iss}: {}", r.body);
    }
}

#[test]
fn api_key_mode_is_refused_at_start() {
    let (code, out) = refuses_to_start(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", "test-api-key-0123456789abcdef"),
        ],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("CUSTOMAUTH_CALLER_AUTH"), "{out}");
    let (code, out) = refuses_to_start(BIN, &[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("CUSTOMAUTH_CALLER_AUTH"), "{out}");
}

#[test]
fn lambda_gateway_mode_reads_authorizer_claims() {
    let api = RuntimeApi::start();
    let mut env = lambda_env(&api, "get-user-info");
    env.push(("CUSTOMAUTH_CALLER_AUTH".into(), "gateway".into()));
    let _p = Process::spawn(BIN, &env, free_port()).expect("starts");
    let resp = api
        .invoke(&fixture("events/apigw-v2-get-user-info.json"))
        .expect("answer");
    assert_eq!(resp["statusCode"], 200, "{resp}");
    let body: serde_json::Value =
        serde_json::from_str(resp["body"].as_str().expect("body")).expect("json");
    assert_eq!(body["customUserId"], "user_1234");
    let resp = api
        .invoke(&fixture("events/apigw-v2-no-auth.json"))
        .expect("answer");
    assert_eq!(resp["statusCode"], 401, "{resp}");
}

/// At trace level, neither the HTTP server nor the Lambda runtime may log a
/// bearer token (accepted or refused), its signature or the JWT secret.
#[test]
fn trace_logs_hold_no_bearer_token_or_secret() {
    let mut p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", SECRET),
            ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
            ("RUST_LOG", "trace"),
        ],
    )
    .expect("starts");
    let good = token("user_42_x");
    let (signed_part, _) = good.rsplit_once('.').expect("header.payload.signature");
    let forged = format!("{signed_part}.c2lnbmF0dXJlLW9mLWFub3RoZXIta2V5");
    for (bearer, status) in [(&good, 200), (&forged, 401)] {
        let r = request(
            "GET",
            &p.url("/getUserInfo"),
            &[("authorization", &format!("Bearer {bearer}"))],
            None,
        );
        assert_eq!(r.status, status, "{}", r.body);
    }
    let (code, http_logs) = p.finish();
    assert_eq!(code, Some(0), "{http_logs}");
    assert!(http_logs.contains("request refused"), "{http_logs}");

    let api = RuntimeApi::start();
    let mut env = lambda_env(&api, "get-user-info");
    env.push(("CUSTOMAUTH_CALLER_AUTH".into(), "gateway".into()));
    env.push(("RUST_LOG".into(), "trace".into()));
    let mut lambda = Process::spawn(BIN, &env, free_port()).expect("starts");
    let event = fixture("events/apigw-v2-get-user-info.json");
    let resp = api.invoke(&event).expect("answer");
    assert_eq!(resp["statusCode"], 200, "{resp}");
    let (_, lambda_logs) = lambda.finish();
    assert!(lambda_logs.contains("TRACE"), "{lambda_logs}");
    let event: serde_json::Value = serde_json::from_str(&event).expect("json");
    let event_bearer = event["headers"]["authorization"]
        .as_str()
        .and_then(|h| h.strip_prefix("Bearer "))
        .expect("the fixture carries a bearer token");

    let signature = |jwt: &str| jwt.rsplit('.').next().expect("signature").to_owned();
    for (logs, secrets) in [
        (
            &http_logs,
            vec![
                good.clone(),
                forged.clone(),
                signature(&good),
                SECRET.into(),
            ],
        ),
        (
            &lambda_logs,
            vec![event_bearer.to_owned(), signature(event_bearer)],
        ),
    ] {
        for secret in secrets {
            assert!(!logs.contains(&secret), "{secret} in logs:\n{logs}");
        }
    }
}

/// The `X-Cloudbase-Context` header as the CloudBase gateway sends it and
/// the functions framework reads it: base64 of gzip of the context JSON.
fn cloudbase_context(context: &serde_json::Value) -> String {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(context.to_string().as_bytes()).expect("gzip");
    base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"))
}

#[test]
fn cloudbase_context_mode_reads_the_gateways_header_and_other_modes_ignore_it() {
    let context = cloudbase_context(&serde_json::json!({
        "envId": "prod-1a2b", "uin": "100012345678", "source": "web",
        "serviceName": "get-user-info", "serviceVersion": "1",
        "authMethod": "TCB_OAUTH2_C", "userType": "C_SIDE_USER",
        "userId": "9f86d081884c7d659a2feaa0c55ad015"
    }));
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
            ("CUSTOMAUTH_CLOUDBASE_ENV", "prod-1a2b"),
            ("CUSTOMAUTH_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .expect("starts");
    let r = request(
        "GET",
        &p.url("/"),
        &[("x-cloudbase-context", &context)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        serde_json::json!({"openId": "", "appId": "",
                           "uid": "9f86d081884c7d659a2feaa0c55ad015",
                           "customUserId": "", "isAnonymous": false})
    );
    assert_eq!(request("GET", &p.url("/"), &[], None).status, 401);
    // Another environment's function refuses it.
    let other = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "cloudbase-context"),
            ("CUSTOMAUTH_CLOUDBASE_ENV", "other-env"),
            ("CUSTOMAUTH_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .expect("starts");
    let r = request(
        "GET",
        &other.url("/"),
        &[("x-cloudbase-context", &context)],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.body);
    // Undeclared, the header is nobody: jwt mode answers 401.
    let jwt = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", SECRET),
            ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
        ],
    )
    .expect("starts");
    let r = request(
        "GET",
        &jwt.url("/"),
        &[("x-cloudbase-context", &context)],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.body);
}
