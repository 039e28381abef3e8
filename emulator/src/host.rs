//! The admin routes (the page and `/emulator/...`) answer only a `Host`
//! that names this machine: a DNS-rebinding page sends its own name.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether `path` is an admin route: the page and `/emulator/...`.
fn is_admin_path(path: &str) -> bool {
    path == "/" || path == "/emulator" || path.starts_with("/emulator/")
}

/// Whether a `Host` (`name[:port]`) names this machine: `localhost`,
/// `*.localhost`, a loopback address (`127.0.0.1`, `[::1]`), or `--host`.
/// A DNS-rebinding page sends its own name, which is none of these.
pub fn is_local_host(host: &str, configured: &str) -> bool {
    let Some(name) = name_of(host) else {
        return false;
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
pub async fn admin_host(
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

/// The name of an authority (`name[:port]`, `[v6][:port]`), brackets
/// and port removed; `None` when the port is not a number or a bracket is
/// unclosed.
pub fn name_of(authority: &str) -> Option<&str> {
    let is_port = |p: &str| p.parse::<u16>().is_ok();
    if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((name, "")) => Some(name),
            Some((name, port)) if port.strip_prefix(':').is_some_and(is_port) => Some(name),
            _ => None,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((name, port)) if is_port(port) => Some(name),
            Some(_) => None,
            None => Some(authority),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
