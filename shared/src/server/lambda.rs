//! Lambda mode: the runtime API through lambda_http, with every event made
//! safe for lambda_http's conversion first (it panics on some malformed
//! events). An event that is not an HTTP request at all (not JSON, another
//! shape, or one lambda_http cannot convert) gets a 400 JSON answer with the
//! request id, never an invocation error, which API Gateway would turn into a
//! bare 502.

use std::convert::Infallible;

use base64::Engine as _;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, LambdaEvent, Request, Response, Service, service_fn};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::api::INVALID_EVENT_MARKER;
use crate::api::refusals::refused;
use crate::server::logging::catch_quietly;

/// An event as the runtime hands it over: JSON, or bytes that are not.
#[derive(Debug)]
pub enum Event {
    /// Any JSON document.
    Json(Value),
    /// Not JSON.
    NotJson,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Value::deserialize(deserializer).map_or(Self::NotJson, Self::Json))
    }
}

/// Why an event gets the generic 400 instead of reaching the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the event is not an HTTP request from API Gateway, a function URL or an ALB")]
pub struct NotAnHttpEvent;

/// Serves `service` on the Lambda runtime API for the life of the sandbox.
/// Each event goes through [`prepare_event`] first.
///
/// # Errors
/// When the Lambda runtime fails.
pub async fn serve_lambda<S>(service: S) -> Result<(), lambda_http::Error>
where
    S: Service<Request, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let adapter = lambda_http::Adapter::from(service);
    lambda_http::lambda_runtime::run_concurrent(service_fn(move |event: LambdaEvent<Event>| {
        let mut adapter = adapter.clone();
        async move {
            let LambdaEvent { payload, context } = event;
            let (prepared, alb) = match payload {
                Event::Json(value) => {
                    let alb = value.pointer("/requestContext/elb").is_some();
                    (prepare_event(value), alb)
                }
                Event::NotJson => (Err(NotAnHttpEvent), false),
            };
            let request = match prepared {
                Ok(request) => request,
                Err(e) => return Ok(not_an_http_event(&context.request_id, &e, alb)),
            };
            let response = match adapter.call(LambdaEvent::new(request, context)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            serde_json::to_value(response).map_err(lambda_http::Error::from)
        }
    }))
    .await
}

/// The 400 for an event that is not an HTTP request, in the response shape
/// every HTTP integration reads (`statusDescription` only for an ALB, whose
/// events say so; API Gateway refuses unknown keys).
fn not_an_http_event(request_id: &str, e: &NotAnHttpEvent, alb: bool) -> Value {
    refused(request_id, 400, "INVALID_REQUEST", e);
    let body =
        json!({"code": "INVALID_REQUEST", "message": e.to_string(), "requestId": request_id});
    let mut response = json!({
        "statusCode": 400,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": format!("{body}\n"),
        "isBase64Encoded": false,
    });
    if alb {
        response["statusDescription"] = json!("400 Bad Request");
    }
    response
}

/// Makes an event safe for lambda_http, which panics on a body flagged base64
/// that does not decode: such a body is dropped and the request marked with
/// [`INVALID_EVENT_MARKER`], which the handler answers with a 400. Any client
/// copy of the marker header is removed first.
pub fn sanitize_event(event: &mut Value) {
    let Some(obj) = event.as_object_mut() else {
        return;
    };
    for key in ["headers", "multiValueHeaders"] {
        if let Some(headers) = obj.get_mut(key).and_then(|h| h.as_object_mut()) {
            headers.retain(|name, _| !name.eq_ignore_ascii_case(INVALID_EVENT_MARKER));
        }
    }
    let flagged = obj.get("isBase64Encoded").and_then(Value::as_bool) == Some(true);
    let decodes = match obj.get("body") {
        Some(Value::String(b)) => base64::engine::general_purpose::STANDARD.decode(b).is_ok(),
        _ => true,
    };
    if flagged && !decodes {
        obj.insert("body".into(), Value::Null);
        obj.insert("isBase64Encoded".into(), Value::Bool(false));
        mark_invalid(obj, "base64-body");
    }
}

/// Turns a Lambda event into the request lambda_http will convert, so that
/// the conversion cannot panic: [`sanitize_event`] first, then a trial
/// conversion. lambda_http builds the URI from the client-controlled `Host`
/// header (ALB) and path and `unwrap`s the parse; when that would panic, the
/// fields the URI is built from are replaced and the request is marked with
/// [`INVALID_EVENT_MARKER`] (`uri`), which the handler answers with a 400.
/// The trial panics are caught quietly: no panic text reaches the log.
///
/// # Errors
/// [`NotAnHttpEvent`] when the event is not an API Gateway, function URL or
/// ALB request, or lambda_http cannot convert it even with a neutral URI.
pub fn prepare_event(mut payload: Value) -> Result<LambdaRequest, NotAnHttpEvent> {
    sanitize_event(&mut payload);
    let parse =
        |value: Value| serde_json::from_value::<LambdaRequest>(value).map_err(|_| NotAnHttpEvent);
    let converts = |request: LambdaRequest| catch_quietly(|| drop(Request::from(request))).is_ok();
    if converts(parse(payload.clone())?) {
        return parse(payload);
    }
    tracing::debug!("event has a host, path or query that does not form a URI; answering 400");
    neutralize_uri(&mut payload);
    if converts(parse(payload.clone())?) {
        parse(payload)
    } else {
        Err(NotAnHttpEvent)
    }
}

/// Replaces what lambda_http builds the URI from with harmless values and
/// marks the event invalid.
fn neutralize_uri(event: &mut Value) {
    let Some(obj) = event.as_object_mut() else {
        return;
    };
    for key in ["headers", "multiValueHeaders"] {
        if let Some(headers) = obj.get_mut(key).and_then(|h| h.as_object_mut()) {
            headers.retain(|name, _| {
                !name.eq_ignore_ascii_case("host")
                    && !name.eq_ignore_ascii_case("x-forwarded-proto")
            });
        }
    }
    for (key, value) in [
        ("rawPath", serde_json::json!("/")),
        ("path", serde_json::json!("/")),
        ("rawQueryString", serde_json::json!("")),
        ("queryStringParameters", serde_json::json!({})),
        ("multiValueQueryStringParameters", serde_json::json!({})),
    ] {
        if obj.contains_key(key) {
            obj.insert(key.into(), value);
        }
    }
    if let Some(ctx) = obj
        .get_mut("requestContext")
        .and_then(|c| c.as_object_mut())
    {
        ctx.remove("domainName");
        ctx.insert("stage".into(), serde_json::json!("$default"));
    }
    mark_invalid(obj, "uri");
}

fn mark_invalid(obj: &mut serde_json::Map<String, Value>, reason: &str) {
    let headers = obj
        .entry("headers")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    if !headers.is_object() {
        *headers = Value::Object(serde_json::Map::new());
    }
    if let Some(h) = headers.as_object_mut() {
        h.insert(INVALID_EVENT_MARKER.into(), reason.into());
    }
    if let Some(mv) = obj
        .get_mut("multiValueHeaders")
        .and_then(|h| h.as_object_mut())
    {
        mv.insert(INVALID_EVENT_MARKER.into(), serde_json::json!([reason]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_marks_bad_base64_and_strips_client_marker() {
        let mut ev = serde_json::json!({
            "isBase64Encoded": true,
            "body": "%%%not base64%%%",
            "headers": {"X-Customauth-Invalid-Event": "spoof"}
        });
        sanitize_event(&mut ev);
        assert_eq!(ev["body"], Value::Null);
        assert_eq!(ev["isBase64Encoded"], false);
        assert_eq!(ev["headers"][INVALID_EVENT_MARKER], "base64-body");
        assert!(ev["headers"].get("X-Customauth-Invalid-Event").is_none());
    }

    #[test]
    fn a_host_that_is_not_a_uri_becomes_a_marked_request_not_a_panic() {
        let fixture = customauth_testkit::fixtures::events::ALB_CREATE_TICKET;
        let mut ev: Value = serde_json::from_str(fixture).expect("fixture");
        ev["headers"]["host"] = "a1b2.example:.com".into();
        let req = Request::from(prepare_event(ev).expect("an ALB event"));
        assert_eq!(req.headers()[INVALID_EVENT_MARKER], "uri");
        let mut ok: Value = serde_json::from_str(fixture).expect("fixture");
        ok["headers"][INVALID_EVENT_MARKER] = "spoofed".into();
        let req = Request::from(prepare_event(ok).expect("an ALB event"));
        assert!(!req.headers().contains_key(INVALID_EVENT_MARKER));
    }

    #[test]
    fn sanitize_leaves_good_base64_and_removes_spoofed_marker() {
        let mut ev = serde_json::json!({
            "isBase64Encoded": true,
            "body": "e30=",
            "headers": {INVALID_EVENT_MARKER: "1"},
            "multiValueHeaders": {INVALID_EVENT_MARKER: ["1"]}
        });
        sanitize_event(&mut ev);
        assert_eq!(ev["body"], "e30=");
        assert!(ev["headers"].get(INVALID_EVENT_MARKER).is_none());
        assert!(ev["multiValueHeaders"].get(INVALID_EVENT_MARKER).is_none());
    }
}
