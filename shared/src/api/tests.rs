//! The error model, strict bodies and request ids.

use super::*;
use lambda_http::http;
use lambda_http::http::{HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};

#[derive(Debug, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Sample {
    #[serde(default, deserialize_with = "present")]
    a: Option<u64>,
}

fn post(content_type: Option<&str>, body: Body) -> Request {
    let mut b = http::Request::builder().method("POST").uri("/x");
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body).expect("request")
}

#[test]
fn empty_body_is_an_empty_object() {
    let r: Sample = json_body(&post(None, Body::Empty)).expect("ok");
    assert_eq!(r, Sample { a: None });
}

#[test]
fn json_with_charset_and_plus_json_accepted() {
    for ct in [
        "application/json; charset=utf-8",
        "application/vnd.x+json",
        "Application/JSON",
    ] {
        let r: Sample = json_body(&post(Some(ct), Body::from(r#"{"a":1}"#))).expect(ct);
        assert_eq!(r.a, Some(1));
    }
}

#[test]
fn non_json_content_type_is_415() {
    let err = json_body::<Sample>(&post(Some("text/plain"), Body::from("{}"))).unwrap_err();
    assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let err = json_body::<Sample>(&post(None, Body::from("{}"))).unwrap_err();
    assert_eq!(err, ApiError::UnsupportedMediaType);
}

#[test]
fn oversized_body_is_413() {
    let big = format!(r#"{{"a":1{}}}"#, " ".repeat(MAX_BODY_BYTES));
    let err = json_body::<Sample>(&post(Some("application/json"), Body::from(big))).unwrap_err();
    assert_eq!(err, ApiError::PayloadTooLarge);
}

#[test]
fn duplicate_unknown_and_mistyped_fields_are_400_without_echo() {
    for (body, expect) in [
        (r#"{"a":1,"a":2}"#, "duplicate field \"a\""),
        (
            r#"{"SECRETVALUE":1}"#,
            "unknown field; the allowed fields are a",
        ),
        (r#"{"a":"SECRETVALUE"}"#, "field \"a\" has the wrong type"),
        (r#"{"a":1.5}"#, "wrong type"),
        (r#"{"a":-1}"#, "wrong type"),
        (r#"{"a":99999999999999999999999}"#, "wrong type"),
        (r#"{"a":1"#, "ends early"),
        (r#"{"a":null}"#, "wrong type"),
        ("[1]", "must be a JSON object"),
        ("[]", "must be a JSON object"),
        ("1", "must be a JSON object"),
        ("null", "must be a JSON object"),
        ("[1,2", "JSON"),
        (r#"{"a":1} x"#, "not valid JSON"),
        (r#"{"a":1}{}"#, "not valid JSON"),
    ] {
        let err =
            json_body::<Sample>(&post(Some("application/json"), Body::from(body))).unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{body}");
        let text = err.to_string();
        assert!(text.contains(expect), "{body}: {text}");
        assert!(!text.contains("SECRETVALUE"));
    }
}

#[test]
fn invalid_utf8_is_400() {
    let err = json_body::<Sample>(&post(
        Some("application/json"),
        Body::Binary(vec![b'{', 0xff, b'}']),
    ))
    .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn marked_events_are_400_before_the_method_check() {
    for reason in ["base64-body", "uri"] {
        let mut r = post(Some("application/json"), Body::Empty);
        r.headers_mut()
            .insert(INVALID_EVENT_MARKER, HeaderValue::from_static(reason));
        let err = check_method(&r, &[Method::GET], "GET").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{reason}");
    }
}

#[test]
fn error_response_has_code_message_request_id_and_allow() {
    let resp: Response<Body> = ApiError::MethodNotAllowed { allow: "POST" }.into_response("req-1");
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "POST");
    let Body::Text(text) = resp.body() else {
        panic!("text body")
    };
    let v: serde_json::Value = serde_json::from_str(text).expect("json");
    assert_eq!(v["code"], "METHOD_NOT_ALLOWED");
    assert_eq!(v["requestId"], "req-1");
    assert!(v["message"].is_string());
}

#[test]
fn internal_error_body_is_generic() {
    let resp: Response<Body> = ApiError::Internal.into_response("r");
    let Body::Text(text) = resp.body() else {
        panic!("text body")
    };
    assert_eq!(
        text,
        "{\"code\":\"INTERNAL\",\"message\":\"internal error\",\"requestId\":\"r\"}\n"
    );
}

#[test]
fn local_request_ids_are_unique() {
    let r = post(None, Body::Empty);
    assert_ne!(request_id(&r), request_id(&r));
}
