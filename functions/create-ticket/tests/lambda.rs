//! create-ticket in Lambda mode: the real binary against a local Lambda
//! runtime API, fed the gateway event fixtures.

use base64::Engine as _;
use customauth::{SigningKey, TicketSigner};
use customauth_testkit::{Process, RuntimeApi, credentials_json, fixture, free_port, lambda_env};

const BIN: &str = env!("CARGO_BIN_EXE_create-ticket");

fn start(api: &RuntimeApi, auth: &[(&str, &str)]) -> Process {
    let mut env = lambda_env(api, "create-ticket");
    env.push((
        "CUSTOMAUTH_CREDENTIALS".into(),
        credentials_json("k2048-pkcs1.pem", "kid-l", "env-l"),
    ));
    env.extend(auth.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    Process::spawn(BIN, &env, free_port()).expect("starts")
}

fn body(resp: &serde_json::Value) -> serde_json::Value {
    let text = resp["body"].as_str().expect("body");
    let text = if resp["isBase64Encoded"] == true {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("b64"),
        )
        .expect("utf-8")
    } else {
        text.to_owned()
    };
    serde_json::from_str(&text).expect("JSON body")
}

#[test]
fn gateway_events_get_tickets_for_the_authorizer_identity() {
    let api = RuntimeApi::start();
    let p = start(&api, &[("CUSTOMAUTH_CALLER_AUTH", "gateway")]);
    let verifier = TicketSigner::new(
        "kid-l",
        "env-l",
        SigningKey::from_pem(&fixture("keys/k2048-pkcs1.pem")).expect("key"),
    )
    .verifier();
    for (event, uid) in [
        ("events/apigw-v2-create-ticket-jwt.json", "user_1234"),
        ("events/apigw-v2-create-ticket-base64.json", "user_1234"),
        ("events/apigw-v1-create-ticket-cognito.json", ""),
        ("events/apigw-v1-lambda-authorizer.json", ""),
    ] {
        let resp = api
            .invoke(&fixture(event))
            .unwrap_or_else(|e| panic!("{event}: {e}\n{}", p.logs()));
        assert_eq!(resp["statusCode"], 200, "{event}: {resp}");
        let b = body(&resp);
        let claims = verifier
            .verify(b["ticket"].as_str().expect("ticket"), customauth::now_ms())
            .expect("verifies");
        if !uid.is_empty() {
            assert_eq!(claims.uid.as_str(), uid);
        }
        assert_eq!(b["customUserId"], claims.uid.as_str());
    }
}

#[test]
fn events_without_identity_get_401_not_5xx() {
    let api = RuntimeApi::start();
    let _p = start(&api, &[("CUSTOMAUTH_CALLER_AUTH", "gateway")]);
    for event in [
        "events/apigw-v2-no-auth.json",
        "events/alb-create-ticket.json",
        "events/function-url-create-ticket.json",
    ] {
        let resp = api.invoke(&fixture(event)).expect(event);
        assert_eq!(resp["statusCode"], 401, "{event}: {resp}");
        assert_eq!(body(&resp)["code"], "UNAUTHENTICATED");
    }
}

#[test]
fn malformed_events_get_4xx_and_the_function_survives() {
    let api = RuntimeApi::start();
    let p = start(&api, &[("CUSTOMAUTH_CALLER_AUTH", "gateway")]);
    let mut bad_b64: serde_json::Value =
        serde_json::from_str(&fixture("events/apigw-v2-create-ticket-base64.json")).expect("json");
    bad_b64["body"] = "!!!not base64!!!".into();
    let resp = api.invoke(&bad_b64.to_string()).expect("answer");
    assert_eq!(resp["statusCode"], 400, "{resp}");

    let mut not_json: serde_json::Value =
        serde_json::from_str(&fixture("events/apigw-v2-create-ticket-jwt.json")).expect("json");
    not_json["body"] = "{\"refresh\":".into();
    let resp = api.invoke(&not_json.to_string()).expect("answer");
    assert_eq!(resp["statusCode"], 400, "{resp}");

    let mut get: serde_json::Value =
        serde_json::from_str(&fixture("events/apigw-v2-create-ticket-jwt.json")).expect("json");
    get["requestContext"]["http"]["method"] = "GET".into();
    let resp = api.invoke(&get.to_string()).expect("answer");
    assert_eq!(resp["statusCode"], 405, "{resp}");

    // And it still signs afterwards.
    let resp = api
        .invoke(&fixture("events/apigw-v2-create-ticket-jwt.json"))
        .expect("answer");
    assert_eq!(resp["statusCode"], 200, "{resp}\n{}", p.logs());
}

#[test]
fn api_key_mode_in_lambda() {
    let api = RuntimeApi::start();
    let _p = start(
        &api,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", "dev-key-3f9c1a7e5b2d4086"),
        ],
    );
    let resp = api
        .invoke(&fixture("events/apigw-v2-create-ticket-api-key.json"))
        .expect("answer");
    assert_eq!(resp["statusCode"], 200, "{resp}");
    assert_eq!(body(&resp)["customUserId"], "user_1234");
}

/// At trace level the Lambda runtime would log every raw event: the API key
/// in its Authorization header must not reach the logs, nor the ticket.
#[test]
fn trace_logs_hold_no_api_key_or_ticket() {
    const KEY: &str = "dev-key-3f9c1a7e5b2d4086";
    let api = RuntimeApi::start();
    let mut p = start(
        &api,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "api-key"),
            ("CUSTOMAUTH_API_KEYS", KEY),
            ("RUST_LOG", "trace"),
        ],
    );
    let event = fixture("events/apigw-v2-create-ticket-api-key.json");
    assert!(event.contains(KEY), "the fixture carries the key");
    let resp = api.invoke(&event).expect("answer");
    assert_eq!(resp["statusCode"], 200, "{resp}");
    let ticket = body(&resp)["ticket"].as_str().expect("ticket").to_owned();
    let (_, logs) = p.finish();
    assert!(logs.contains("TRACE"), "not logging at trace level: {logs}");
    assert!(logs.contains("ticket issued"), "{logs}");
    for secret in [KEY, &ticket, ticket.rsplit('.').next().expect("signature")] {
        assert!(!logs.contains(secret), "{secret} in logs:\n{logs}");
    }
}
