//! CORS for pages on other loopback origins (tower-http's `CorsLayer`):
//! credentials, GET and POST, the SDK headers; other origins get none.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::host::name_of;

/// Whether `origin` is a page served from this machine (`localhost`,
/// `*.localhost`, `127.0.0.1`, `[::1]`, any port, http or https).
pub fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let bracketed = rest.starts_with('[');
    let Some(host) = name_of(rest) else {
        return false;
    };
    if bracketed {
        return host == "::1";
    }
    host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1"
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
pub fn cors() -> CorsLayer {
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
