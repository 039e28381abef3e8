//! The router: v1, v2, the admin and JWKS routes, and CORS for pages on
//! other loopback origins.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::auth::Service;
use crate::{admin, v1, v2};

/// Largest request body: tickets are under 8 KiB.
const MAX_BODY: usize = 64 * 1024;

/// All routes over `service`.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/", get(admin::index))
        .route("/web", post(v1::handle))
        .route("/auth/v1/signin/custom", post(v2::signin_custom))
        .route(
            "/auth/v1/signin/with/provider",
            post(v2::signin_with_provider),
        )
        .route("/auth/v1/signin/anonymously", post(v2::signin_anonymously))
        .route("/auth/v1/token", post(v2::token))
        .route("/auth/v1/user/me", get(v2::user_me))
        .route("/auth/v1/revoke", post(v2::revoke))
        .route("/.well-known/jwks.json", get(admin::jwks))
        .route("/emulator/v1/stats", get(admin::stats))
        .route(
            "/emulator/v1/envs/{env}/users",
            get(admin::users).delete(admin::clear),
        )
        .fallback(unknown_route)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(cors))
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

/// Whether `origin` is a page served from this machine (`localhost`,
/// `*.localhost`, `127.0.0.1`, `[::1]`, any port, http or https).
pub fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, port)) if port.is_empty() || is_port(port) => return h == "::1",
            _ => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((h, port)) if is_port(port) => h,
            Some(_) => return false,
            None => rest,
        }
    };
    host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1"
}

fn is_port(p: &str) -> bool {
    p.strip_prefix(':').unwrap_or(p).parse::<u16>().is_ok()
}

fn allow_origin(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

async fn cors(request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(is_loopback_origin))
        .cloned();
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    if request.method() == Method::OPTIONS {
        let requested = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned();
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        allow_origin(headers, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
        );
        if let Some(requested) = requested {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
        }
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        return response;
    }
    let mut response = next.run(request).await;
    allow_origin(response.headers_mut(), origin);
    response.headers_mut().insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-tcb-trace, x-request-id"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_pass() {
        for o in [
            "http://localhost:5173",
            "http://127.0.0.1:8080",
            "https://app.localhost",
            "http://[::1]:3000",
            "http://localhost",
        ] {
            assert!(is_loopback_origin(o), "{o}");
        }
    }

    #[test]
    fn other_origins_fail() {
        for o in [
            "http://example.com",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "null",
            "file://",
            "http://[::2]:80",
            "http://localhost:abc",
        ] {
            assert!(!is_loopback_origin(o), "{o}");
        }
    }
}
