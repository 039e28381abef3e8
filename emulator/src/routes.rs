//! The router: the v1 protocol (`web`), the v2 protocol (`oauth`), the
//! admin and JWKS routes, and the answer to any other route; CORS (`cors`)
//! and the admin routes' `Host` check (`host`) as layers.

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::auth::Service;
use crate::{admin, cors, host, oauth, web};

/// Largest request body: tickets are under 8 KiB.
const MAX_BODY: usize = 64 * 1024;

/// All routes over `service`; `host` is the `--host` the emulator listens
/// on (the admin routes answer that `Host` besides the loopback names).
pub fn router(service: Arc<Service>, host: &str) -> Router {
    Router::new()
        .route("/", get(admin::index))
        .route("/web", post(web::handle))
        .route("/auth/v1/signin/custom", post(oauth::signin_custom))
        .route(
            "/auth/v1/signin/with/provider",
            post(oauth::signin_with_provider),
        )
        .route(
            "/auth/v1/signin/anonymously",
            post(oauth::signin_anonymously),
        )
        .route("/auth/v1/token", post(oauth::token))
        .route("/auth/v1/user/me", get(oauth::user_me))
        .route("/auth/v1/revoke", post(oauth::revoke))
        .route("/.well-known/jwks.json", get(admin::jwks))
        .route("/emulator/v1/stats", get(admin::stats))
        .route(
            "/emulator/v1/envs/{env}/users",
            get(admin::users).delete(admin::clear),
        )
        .fallback(unknown_route)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(cors::cors())
        .layer(middleware::from_fn_with_state(
            Arc::new(host.to_owned()),
            host::admin_host,
        ))
        .with_state(service)
}

/// The routes of [`router`], as `METHOD PATH`: what an unknown route's
/// answer lists (`tests/routes.rs` checks that each one is served).
pub const ROUTES: &[&str] = &[
    "GET /",
    "POST /web",
    "POST /auth/v1/signin/custom",
    "POST /auth/v1/signin/with/provider",
    "POST /auth/v1/signin/anonymously",
    "POST /auth/v1/token",
    "GET /auth/v1/user/me",
    "POST /auth/v1/revoke",
    "GET /.well-known/jwks.json",
    "GET /emulator/v1/stats",
    "GET /emulator/v1/envs/{env}/users",
    "DELETE /emulator/v1/envs/{env}/users",
];

/// Any other path: 404 with a JSON body naming the method, the path and
/// the routes served, in both protocols' error shapes (v1 `code`/`message`,
/// v2 `error`/`error_description`), so that an SDK calling a route the
/// emulator lacks reports that instead of "unreachable". The v2 error is
/// gRPC's `unimplemented` (code 12): js-sdk 2.28+ and 3.x file `not_found`
/// as "user does not exist".
async fn unknown_route(method: Method, uri: axum::http::Uri) -> Response {
    let path: String = uri.path().chars().take(256).collect();
    let message = format!(
        "{method} {path} is not a route of cloudbase-emulator; it serves {}",
        ROUTES.join(", ")
    );
    tracing::warn!(%method, path = %path.escape_debug(), "unknown route");
    let body = serde_json::json!({
        "code": "NOT_FOUND",
        "message": message,
        "error": "unimplemented",
        "error_code": 12,
        "error_description": message,
        "method": method.as_str(),
        "path": path,
        "routes": ROUTES,
    });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}
