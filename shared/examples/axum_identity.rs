//! An axum app behind customauth's identity layer: `GET /me` answers with
//! the verified caller's customUserId and address; without an acceptable
//! caller the layer answers 401 itself.
//!
//! `HOST=127.0.0.1 PORT=3000 CUSTOMAUTH_CALLER_AUTH=jwt CUSTOMAUTH_JWT_SECRET=...
//! CUSTOMAUTH_JWT_AUDIENCE=... cargo run -p customauth --example axum_identity`. Driven over real HTTP by
//! `shared/tests/examples.rs`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use customauth::client_ip::PeerAddr;
use customauth::identity::Caller;
use customauth::layer::{ClientIp, IdentityLayer};

async fn me(
    Extension(caller): Extension<Caller>,
    Extension(ip): Extension<ClientIp>,
) -> Json<serde_json::Value> {
    let who = match caller {
        Caller::User(user) => user.user_id.to_string(),
        _ => String::new(),
    };
    let ip = ip.0.map(|ip| ip.to_string()).unwrap_or_default();
    Json(serde_json::json!({ "customUserId": who, "ip": ip }))
}

/// The identity layer reads the peer address as [`PeerAddr`]; axum keeps it
/// as `ConnectInfo`.
async fn peer_addr(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    req.extensions_mut().insert(PeerAddr(peer));
    next.run(req).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).ok();
    // Once, at start: the caller-auth mode and the trusted proxies.
    let identity = IdentityLayer::from_env(&env)?;
    let app = Router::new()
        .route("/me", get(me))
        .layer(identity)
        .layer(from_fn(peer_addr));
    let host = env("HOST").unwrap_or_else(|| "127.0.0.1".into());
    let port = env("PORT").unwrap_or_else(|| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}")).await?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
