//! CORS, for web apps and uni-app H5 pages that call the functions from the
//! browser: an allow-list of exact origins.
//!
//! `CUSTOMAUTH_CORS_ALLOWED_ORIGINS` lists origins (`https://app.example.com`,
//! `http://localhost:5173`), comma-separated. A request from one of them gets
//! `Access-Control-Allow-Origin` naming it, and a preflight (`OPTIONS` with
//! `Access-Control-Request-Method`) is answered with the function's methods
//! and the headers a caller sends (`Authorization`, `Content-Type`,
//! `X-Api-Key`). Any other origin gets no CORS header, so the browser blocks
//! the answer. Every answer says `Vary: Origin`. Credentials (cookies) are
//! never allowed: callers authenticate with headers. Unset, nothing changes:
//! no CORS headers, `OPTIONS` is a 405 like any other method.

use std::time::Duration;

use customauth_core::config::ConfigError;
use customauth_core::env::Setting;
use customauth_core::env::var;
use lambda_http::http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::origin::{self, NotAnOrigin, Origin};

/// Comma-separated origins allowed to call from a browser.
pub const VAR_CORS_ALLOWED_ORIGINS: &str = "CUSTOMAUTH_CORS_ALLOWED_ORIGINS";

/// The CORS variable.
pub const SETTINGS: &[Setting] = &[Setting::new(
    VAR_CORS_ALLOWED_ORIGINS,
    "browser origins allowed to call (comma-separated, exact)",
)];

/// How long a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS layer for a function answering `methods`, or `None` when
/// `CUSTOMAUTH_CORS_ALLOWED_ORIGINS` is unset.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the variable for an entry that is not an
/// origin: `*` or `null`, no `http`/`https` scheme, a path, query or user
/// info, or an empty entry.
pub fn cors_from_env(
    env: &impl Fn(&str) -> Option<String>,
    methods: &[Method],
) -> Result<Option<CorsLayer>, ConfigError> {
    let Some(list) = var(env, VAR_CORS_ALLOWED_ORIGINS) else {
        return Ok(None);
    };
    let origins = list
        .split(',')
        .enumerate()
        .map(|(i, entry)| origin(entry.trim(), i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(methods.to_vec())
            .allow_headers([
                AUTHORIZATION,
                CONTENT_TYPE,
                HeaderName::from_static("x-api-key"),
                // js-sdk 1.x's getAuthHeader(), for getUserInfo in cloudbase mode.
                HeaderName::from_static("x-cloudbase-credentials"),
            ])
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}

/// One entry as the browser writes its `Origin` header: lower-case scheme
/// and host, no trailing slash.
fn origin(entry: &str, position: usize) -> Result<HeaderValue, ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid {
        var: VAR_CORS_ALLOWED_ORIGINS,
        reason: format!(
            "entry {position} {why}; expected an origin such as https://app.example.com"
        ),
    };
    if entry == "*" || entry.eq_ignore_ascii_case("null") {
        return Err(invalid("is a wildcard; list each origin"));
    }
    let Origin {
        scheme,
        authority,
        bare,
    } = origin::parse(entry).map_err(|e| {
        invalid(match e {
            NotAnOrigin::NotUrl => "is not a URL origin",
            NotAnOrigin::Scheme => "does not start with http:// or https://",
            NotAnOrigin::NoHost => "has no host",
        })
    })?;
    if authority.as_str().contains('@') {
        return Err(invalid("has user info"));
    }
    if !bare {
        return Err(invalid(
            "has a path or query (an origin is scheme://host[:port])",
        ));
    }
    let text = format!("{scheme}://{}", authority.as_str().to_ascii_lowercase());
    HeaderValue::from_str(&text).map_err(|_| invalid("is not a valid header value"))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use lambda_http::http::{Request, Response, StatusCode};
    use tower::{Layer as _, ServiceExt as _, service_fn};

    use super::*;
    use customauth_core::env::from_pairs as env;

    fn layer(origins: &str) -> CorsLayer {
        cors_from_env(
            &env(&[(VAR_CORS_ALLOWED_ORIGINS, origins)]),
            &[Method::POST],
        )
        .expect("valid")
        .expect("configured")
    }

    async fn answer(layer: CorsLayer, req: Request<String>) -> Response<String> {
        let inner = service_fn(|req: Request<String>| async move {
            let status = if req.method() == Method::POST {
                StatusCode::OK
            } else {
                StatusCode::METHOD_NOT_ALLOWED
            };
            let mut r = Response::new("inner".to_owned());
            *r.status_mut() = status;
            Ok::<_, Infallible>(r)
        });
        match layer.layer(inner).oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        }
    }

    fn preflight(origin: &str) -> Request<String> {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/createTicket")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .body(String::new())
            .expect("request")
    }

    #[test]
    fn unset_means_no_cors() {
        assert!(
            cors_from_env(&env(&[]), &[Method::POST])
                .expect("ok")
                .is_none()
        );
    }

    #[test]
    fn wildcards_paths_and_non_http_schemes_are_refused_naming_the_variable() {
        for bad in [
            "*",
            "null",
            "app.example.com",
            "ftp://a.example",
            "https://a.example/app",
            "https://a.example?x=1",
            "https://u:p@a.example",
            "https://a.example,,",
        ] {
            let e = cors_from_env(&env(&[(VAR_CORS_ALLOWED_ORIGINS, bad)]), &[Method::POST])
                .expect_err(bad)
                .to_string();
            assert!(e.contains(VAR_CORS_ALLOWED_ORIGINS), "{bad}: {e}");
        }
    }

    #[tokio::test]
    async fn an_allowed_origin_gets_its_preflight_and_its_answer() {
        let cors = layer("https://App.Example.com/, http://localhost:5173");
        let r = answer(cors.clone(), preflight("https://app.example.com")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
        assert_eq!(h["access-control-allow-methods"], "POST");
        let allowed = h["access-control-allow-headers"].to_str().expect("ascii");
        for name in [
            "authorization",
            "content-type",
            "x-api-key",
            "x-cloudbase-credentials",
        ] {
            assert!(allowed.contains(name), "{allowed}");
        }
        assert!(h.get("access-control-allow-credentials").is_none());
        assert!(h["vary"].to_str().expect("ascii").contains("origin"));

        let post = Request::builder()
            .method(Method::POST)
            .header("origin", "http://localhost:5173")
            .body(String::new())
            .expect("request");
        let r = answer(cors, post).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "http://localhost:5173"
        );
    }

    #[tokio::test]
    async fn another_origin_gets_no_cors_header() {
        let cors = layer("https://app.example.com");
        for origin in [
            "https://evil.example",
            "https://app.example.com.evil.example",
            "http://app.example.com",
        ] {
            let r = answer(cors.clone(), preflight(origin)).await;
            assert!(
                r.headers().get("access-control-allow-origin").is_none(),
                "{origin}"
            );
            let post = Request::builder()
                .method(Method::POST)
                .header("origin", origin)
                .body(String::new())
                .expect("request");
            let r = answer(cors.clone(), post).await;
            assert!(
                r.headers().get("access-control-allow-origin").is_none(),
                "{origin}"
            );
            assert!(
                r.headers()["vary"]
                    .to_str()
                    .expect("ascii")
                    .contains("origin")
            );
        }
    }
}
