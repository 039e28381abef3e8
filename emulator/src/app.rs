//! The router: v1, v2, the admin and JWKS routes; CORS for pages on other
//! loopback origins; the admin routes only for a loopback `Host`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::Service;
use crate::{admin, v1, v2};

/// Largest request body: tickets are under 8 KiB.
const MAX_BODY: usize = 64 * 1024;

/// All routes over `service`; `host` is the `--host` the emulator listens
/// on (the admin routes answer that `Host` besides the loopback names).
pub fn router(service: Arc<Service>, host: &str) -> Router {
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
        .layer(cors())
        .layer(middleware::from_fn_with_state(
            Arc::new(host.to_owned()),
            admin_host,
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

/// The request headers a page may send, as the SDKs do (js-sdk 1.x and
/// 2.x, tcb-js-sdk, uniCloud): a preflight allows these and no others.
pub const SDK_HEADERS: [&str; 10] = [
    "authorization",
    "content-type",
    "x-sdk-version",
    "x-seqid",
    "x-request-id",
    "x-device-id",
    "x-tcb-trace",
    "x-tcb-region",
    "x-tcb-app-source",
    "x-cloudbase-credentials",
];

/// CORS for pages on loopback origins, credentials included: GET and POST
/// (the SDK routes and reading the admin routes; no browser needs DELETE),
/// the SDK headers, `x-tcb-trace` and `x-request-id` readable.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(|origin: &HeaderValue, _| {
            origin.to_str().is_ok_and(is_loopback_origin)
        }))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(SDK_HEADERS.map(HeaderName::from_static))
        .expose_headers([
            HeaderName::from_static("x-tcb-trace"),
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(600))
}

/// Whether `path` is an admin route: the page and `/emulator/...`.
fn is_admin_path(path: &str) -> bool {
    path == "/" || path == "/emulator" || path.starts_with("/emulator/")
}

/// Whether a `Host` (`name[:port]`) names this machine: `localhost`,
/// `*.localhost`, a loopback address (`127.0.0.1`, `[::1]`), or `--host`.
/// A DNS-rebinding page sends its own name, which is none of these.
pub fn is_local_host(host: &str, configured: &str) -> bool {
    let name = if let Some(v6) = host.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, port)) if port.is_empty() || is_port(port) => h,
            _ => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((h, port)) if is_port(port) => h,
            Some(_) => return false,
            None => host,
        }
    };
    let name = name.to_ascii_lowercase();
    let configured = configured.trim_start_matches('[').trim_end_matches(']');
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
        || (!name.is_empty() && name.eq_ignore_ascii_case(configured))
}

/// The admin routes answer only a request whose `Host` (and authority, in
/// absolute form) names this machine: 403 otherwise.
async fn admin_host(
    State(configured): State<Arc<String>>,
    request: Request,
    next: Next,
) -> Response {
    if is_admin_path(request.uri().path()) {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let authority = request.uri().authority().map(|a| a.as_str());
        let local = host.is_some_and(|h| is_local_host(h, &configured))
            && authority.is_none_or(|a| is_local_host(a, &configured));
        if !local {
            return (
                StatusCode::FORBIDDEN,
                axum::Json(serde_json::json!({
                    "code": "FORBIDDEN_HOST",
                    "message": "the admin routes answer only Host localhost, *.localhost, \
                                127.0.0.1, [::1] or the --host address",
                })),
            )
                .into_response();
        }
    }
    next.run(request).await
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
    fn local_hosts_pass_and_rebinding_names_fail() {
        for h in [
            "localhost",
            "localhost:9100",
            "LocalHost:9100",
            "app.localhost:5173",
            "127.0.0.1:9100",
            "127.0.0.2",
            "[::1]:9100",
            "[::1]",
        ] {
            assert!(is_local_host(h, "127.0.0.1"), "{h}");
        }
        for h in [
            "",
            "evil.example:9100",
            "localhost.evil.example",
            "127.0.0.1.nip.io:9100",
            "10.0.0.1:9100",
            "[::2]:9100",
            "localhost:abc",
            "localhost:",
            "[::1",
        ] {
            assert!(!is_local_host(h, "127.0.0.1"), "{h}");
        }
        assert!(is_local_host("192.168.1.5:9100", "192.168.1.5"));
        assert!(is_local_host("0.0.0.0:9100", "0.0.0.0"));
        assert!(is_local_host("[fd00::5]:9100", "fd00::5"));
        assert!(!is_local_host(":9100", ""));
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
