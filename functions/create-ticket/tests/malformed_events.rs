//! Malformed Lambda events, each through the real binary and a local Lambda
//! runtime API: every one gets a 4xx JSON answer with the request id (never an
//! invocation error, which API Gateway turns into a bare 502), the process
//! survives them all, and no panic text reaches its output.

use customauth_testkit::fixtures::events;
use customauth_testkit::{Process, RuntimeApi, credentials_json, free_port, lambda_env};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_create-ticket");

/// A valid HTTP API v2 event with `change` applied.
fn v2(change: impl FnOnce(&mut Value)) -> String {
    let mut event: Value =
        serde_json::from_str(events::APIGW_V2_CREATE_TICKET_JWT).expect("fixture");
    change(&mut event);
    event.to_string()
}

/// A valid ALB event with `change` applied.
fn alb(change: impl FnOnce(&mut Value)) -> String {
    let mut event: Value = serde_json::from_str(events::ALB_CREATE_TICKET).expect("fixture");
    change(&mut event);
    event.to_string()
}

/// A valid REST (v1) event with `change` applied.
fn v1(change: impl FnOnce(&mut Value)) -> String {
    let mut event: Value =
        serde_json::from_str(events::APIGW_V1_CREATE_TICKET_COGNITO).expect("fixture");
    change(&mut event);
    event.to_string()
}

fn corpus() -> Vec<(&'static str, String)> {
    vec![
        ("not JSON", "this is not json".into()),
        ("truncated JSON", "{\"version\":\"2.0\",".into()),
        ("empty object", "{}".into()),
        ("null", "null".into()),
        ("a number", "42".into()),
        ("a string", "\"GET /\"".into()),
        ("an array", "[1,2,3]".into()),
        (
            "no requestContext",
            v2(|e| drop(e.as_object_mut().map(|o| o.remove("requestContext")))),
        ),
        (
            "requestContext null",
            v2(|e| e["requestContext"] = Value::Null),
        ),
        (
            "requestContext a string",
            v2(|e| e["requestContext"] = json!("ctx")),
        ),
        (
            "requestContext empty",
            v2(|e| e["requestContext"] = json!({})),
        ),
        (
            "http context missing",
            v2(|e| {
                drop(
                    e["requestContext"]
                        .as_object_mut()
                        .map(|o| o.remove("http")),
                )
            }),
        ),
        (
            "method a number",
            v2(|e| e["requestContext"]["http"]["method"] = json!(7)),
        ),
        (
            "method with a space",
            v2(|e| e["requestContext"]["http"]["method"] = json!("PO ST")),
        ),
        ("headers an array", v2(|e| e["headers"] = json!(["a", "b"]))),
        (
            "header value a number",
            v2(|e| e["headers"]["x-api-key"] = json!(12345)),
        ),
        (
            "header value an object",
            v2(|e| e["headers"]["content-type"] = json!({"a": 1})),
        ),
        (
            "header value with a newline",
            v2(|e| e["headers"]["x-test"] = json!("a\nb")),
        ),
        (
            "header value with a NUL",
            v2(|e| e["headers"]["x-test"] = json!("a\u{0}b")),
        ),
        (
            "header name with a space",
            v2(|e| e["headers"]["bad name"] = json!("v")),
        ),
        ("header name empty", v2(|e| e["headers"][""] = json!("v"))),
        (
            "isBase64Encoded a string",
            v2(|e| e["isBase64Encoded"] = json!("true")),
        ),
        (
            "isBase64Encoded with bad base64",
            v2(|e| {
                e["isBase64Encoded"] = json!(true);
                e["body"] = json!("%%%");
            }),
        ),
        ("body a number", v2(|e| e["body"] = json!(12))),
        (
            "body an object",
            v2(|e| e["body"] = json!({"customUserId": "user_1234"})),
        ),
        ("rawPath a number", v2(|e| e["rawPath"] = json!(3))),
        (
            "rawQueryString with control characters",
            v2(|e| e["rawQueryString"] = json!("a=\u{1}\u{2}")),
        ),
        ("cookies not strings", v2(|e| e["cookies"] = json!([1, 2]))),
        (
            "queryStringParameters an array",
            v2(|e| e["queryStringParameters"] = json!([1])),
        ),
        (
            "ALB host not a URI",
            alb(|e| e["headers"]["host"] = json!("a1b2.example:.com")),
        ),
        (
            "ALB proto garbage",
            alb(|e| e["headers"]["x-forwarded-proto"] = json!("ht tp")),
        ),
        ("ALB path with spaces", alb(|e| e["path"] = json!("/a b"))),
        (
            "ALB query garbage",
            alb(|e| e["queryStringParameters"] = json!({"a b": "c d%"})),
        ),
        (
            "v1 httpMethod missing",
            v1(|e| drop(e.as_object_mut().map(|o| o.remove("httpMethod")))),
        ),
        ("v1 path a number", v1(|e| e["path"] = json!(1))),
        (
            "v1 authorizer claims a string",
            v1(|e| e["requestContext"]["authorizer"]["claims"] = json!("sub")),
        ),
        (
            "an SQS event",
            json!({"Records": [{"eventSource": "aws:sqs", "body": "x"}]}).to_string(),
        ),
        (
            "an S3 event",
            json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]}).to_string(),
        ),
        (
            "a scheduled event",
            json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
                .to_string(),
        ),
    ]
}

/// Shapes that look off but that lambda_http reads as a usable request (it
/// encodes the path, ignores the domain name, takes a string as a one-value
/// list): they are answered like the request they are.
fn tolerated() -> Vec<(&'static str, String)> {
    vec![
        (
            "rawPath with spaces",
            v2(|e| e["rawPath"] = json!("/a b c")),
        ),
        (
            "domainName not a host",
            v2(|e| e["requestContext"]["domainName"] = json!("a b:c/%")),
        ),
        (
            "v1 multiValueHeaders not arrays",
            v1(|e| e["multiValueHeaders"] = json!({"x": "y"})),
        ),
    ]
}

fn start(api: &RuntimeApi) -> Process {
    let mut env = lambda_env(api, "create-ticket");
    env.push((
        "CUSTOMAUTH_CREDENTIALS".into(),
        credentials_json("k2048-pkcs1.pem", "kid-l", "env-l"),
    ));
    env.push(("CUSTOMAUTH_CALLER_AUTH".into(), "gateway".into()));
    Process::spawn(BIN, &env, free_port()).expect("starts")
}

#[test]
fn tolerated_shapes_are_answered_as_the_requests_they_are() {
    let api = RuntimeApi::start();
    let _p = start(&api);
    for (name, event) in tolerated() {
        let resp = api.invoke(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(resp["statusCode"], 200, "{name}: {resp}");
    }
}

#[test]
fn every_malformed_event_gets_a_4xx_json_answer_and_no_panic_text() {
    let api = RuntimeApi::start();
    let mut p = start(&api);
    let corpus = corpus();
    assert!(corpus.len() >= 30);
    let mut failures = Vec::new();
    for (name, event) in &corpus {
        match api.invoke(event) {
            Ok(resp) => {
                let status = resp["statusCode"].as_u64().unwrap_or(0);
                let body: Option<Value> = resp["body"]
                    .as_str()
                    .and_then(|b| serde_json::from_str(b).ok());
                let ok = (400..500).contains(&status)
                    && body.as_ref().is_some_and(|b| {
                        b["code"].is_string()
                            && b["requestId"].as_str().is_some_and(|id| !id.is_empty())
                    });
                if !ok {
                    failures.push(format!("{name}: {resp}"));
                }
            }
            Err(e) => failures.push(format!("{name}: invocation error {e}")),
        }
    }
    // The process is still there and still answers a good event.
    let good = api
        .invoke(events::APIGW_V2_CREATE_TICKET_JWT)
        .expect("answer");
    assert_eq!(good["statusCode"], 200, "{good}");
    let (_, logs) = p.finish();
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        corpus.len(),
        failures.join("\n")
    );
    assert!(
        !logs.contains("panicked"),
        "panic text in the output:\n{logs}"
    );
}
