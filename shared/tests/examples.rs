//! The two compiled examples of the identity layer, driven as a user would
//! run them: `lambda_identity` through a local Lambda runtime API (gateway
//! mode), `axum_identity` over real HTTP (jwt mode).

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
