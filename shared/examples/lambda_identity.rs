//! Your own lambda_http function behind customauth's identity layer: the
//! caller (verified by the configured `CUSTOMAUTH_CALLER_AUTH` mode) and the
//! client IP arrive in the request's extensions; a request without an
//! acceptable caller is answered 401 by the layer and never reaches the
//! handler.
//!
//! `cargo run -p customauth --example lambda_identity` under `cargo lambda
//! watch` (or deployed as a Lambda) with, for example,
//! `CUSTOMAUTH_CALLER_AUTH=gateway` behind an API Gateway JWT authorizer.
//! Driven by `shared/tests/examples.rs` through a local runtime API.

use customauth::identity::Caller;
use customauth::layer::{ClientIp, IdentityLayer};
use lambda_http::tower::ServiceBuilder;
use lambda_http::{Body, Error, Request, Response, service_fn};

async fn hello(req: Request) -> Result<Response<Body>, Error> {
    let who = match req.extensions().get::<Caller>() {
        Some(Caller::User(user)) => user.user_id.to_string(),
        // A backend, anyone (none mode), a CloudBase user without a customUserId.
        _ => String::new(),
    };
    let ip = match req.extensions().get::<ClientIp>() {
        Some(ClientIp(Some(ip))) => ip.to_string(),
        _ => String::new(),
    };
    let body = serde_json::json!({ "customUserId": who, "ip": ip }).to_string();
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(body))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once, at cold start: the caller-auth mode and the trusted proxies.
    let identity = IdentityLayer::from_env(&|k: &str| std::env::var(k).ok())?;
    lambda_http::run(
        ServiceBuilder::new()
            .layer(identity)
            .service(service_fn(hello)),
    )
    .await
}
