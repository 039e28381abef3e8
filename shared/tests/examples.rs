//! The two compiled examples of the identity layer, driven as a user would
//! run them: `lambda_identity` through a local Lambda runtime API (gateway
//! mode), `axum_identity` over real HTTP (jwt mode).

#[path = "jwks_url/idp.rs"]
mod idp;

use customauth_testkit::fixtures::events;
use customauth_testkit::{Process, RuntimeApi, example, free_port, lambda_env, request};

const SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";
const AUDIENCE: &str = "customauth-examples";

fn token(sub: &str) -> String {
    let exp = customauth::now_ms() / 1000 + 600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"sub": sub, "aud": AUDIENCE, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encodes")
}

fn body_of(resp: &serde_json::Value) -> serde_json::Value {
    serde_json::from_str(resp["body"].as_str().expect("a body")).expect("a JSON body")
}

#[test]
fn lambda_example_sees_the_authorizer_identity_and_the_layer_answers_401() {
    let api = RuntimeApi::start();
    let mut env = lambda_env(&api, "lambda-identity");
    env.push(("CUSTOMAUTH_CALLER_AUTH".into(), "gateway".into()));
    let _p = Process::spawn(&example("lambda_identity"), &env, free_port()).expect("starts");

    let resp = api
        .invoke(events::APIGW_V2_GET_USER_INFO)
        .expect("an answer");
    assert_eq!(resp["statusCode"], 200, "{resp}");
    let body = body_of(&resp);
    assert_eq!(body["customUserId"], "user_1234", "{body}");
    let fixture: serde_json::Value =
        serde_json::from_str(events::APIGW_V2_GET_USER_INFO).expect("fixture");
    assert_eq!(
        body["ip"], fixture["requestContext"]["http"]["sourceIp"],
        "the client IP from the request context"
    );

    let resp = api.invoke(events::APIGW_V2_NO_AUTH).expect("an answer");
    assert_eq!(resp["statusCode"], 401, "{resp}");
    let body = body_of(&resp);
    assert_eq!(body["code"], "UNAUTHENTICATED", "{body}");
    assert!(body["requestId"].as_str().is_some_and(|id| !id.is_empty()));
}

#[test]
fn axum_example_sees_the_bearer_identity_and_the_layer_answers_401() {
    let p = Process::http(
        &example("axum_identity"),
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_SECRET", SECRET),
            ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
        ],
    )
    .expect("starts");
    let bearer = format!("Bearer {}", token("user_42_x"));
    let r = request("GET", &p.url("/me"), &[("authorization", &bearer)], None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["customUserId"], "user_42_x");
    assert_eq!(r.json()["ip"], "127.0.0.1");

    for auth in ["", "Bearer not.a.jwt"] {
        let r = request("GET", &p.url("/me"), &[("authorization", auth)], None);
        assert_eq!(r.status, 401, "{auth}: {}", r.body);
        assert_eq!(r.json()["code"], "UNAUTHENTICATED");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
}

#[test]
fn axum_example_takes_the_providers_keys_and_follows_a_rotation() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (a, b) = (idp::SigningKey::new("key-a"), idp::SigningKey::new("key-b"));
    let provider = rt.block_on(idp::Idp::start(idp::Answer::keys(&[&a])));
    let p = Process::http(
        &example("axum_identity"),
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_JWKS_URL", &provider.jwks_url()),
            ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE),
            ("CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS", "1"),
        ],
    )
    .expect("starts");
    let me = |token: &str| {
        let bearer = format!("Bearer {token}");
        request("GET", &p.url("/me"), &[("authorization", &bearer)], None)
    };
    let r = me(&a.token("user_a_1", AUDIENCE));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["customUserId"], "user_a_1");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    provider.answer(idp::Answer::keys(&[&b, &a]));
    let r = me(&b.token("user_b_1", AUDIENCE));
    assert_eq!(r.status, 200, "the new key's first token: {}", r.body);
    assert_eq!(r.json()["customUserId"], "user_b_1");
    let r = me(&idp::SigningKey::unsigned("made-up"));
    assert_eq!(r.status, 401, "{}", r.body);
}
