//! A URL origin (`scheme://host[:port]`), parsed once for the settings that
//! take one: the CORS allow-list ([`cors`](crate::cors)) and the CloudBase
//! endpoint ([`identity::cloudbase`](crate::identity::cloudbase)). Each says
//! in its own words what is wrong, and adds its own rules.

use lambda_http::http::Uri;
use lambda_http::http::uri::Authority;

/// An `http` or `https` URL with a host, as [`parse`] found it.
#[derive(Debug)]
pub struct Origin {
    /// `http` or `https` (any case was accepted).
    pub scheme: &'static str,
    /// The host and port, as written.
    pub authority: Authority,
    /// Whether nothing follows the authority but an optional `/`: no path,
    /// no query.
    pub bare: bool,
}

/// Why a text is not an `http(s)` URL with a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnOrigin {
    /// Not a URL at all.
    NotUrl,
    /// A scheme other than `http` or `https`, or none.
    Scheme,
    /// No host.
    NoHost,
}

/// Parses `text` as an `http(s)` URL with a host.
///
/// # Errors
/// [`NotAnOrigin`], checked in its order.
pub fn parse(text: &str) -> Result<Origin, NotAnOrigin> {
    let uri: Uri = text.parse().map_err(|_| NotAnOrigin::NotUrl)?;
    let scheme = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => "http",
        Some(s) if s.eq_ignore_ascii_case("https") => "https",
        _ => return Err(NotAnOrigin::Scheme),
    };
    let authority = uri.authority().cloned().ok_or(NotAnOrigin::NoHost)?;
    let bare = matches!(uri.path(), "" | "/") && uri.query().is_none();
    Ok(Origin {
        scheme,
        authority,
        bare,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_a_scheme_and_a_host() {
        let origin = parse("HTTPS://App.Example.com:8443/").expect("origin");
        assert_eq!(origin.scheme, "https");
        assert_eq!(origin.authority.as_str(), "App.Example.com:8443");
        assert!(origin.bare);
        assert!(!parse("http://a.example/x").expect("url").bare);
        assert!(!parse("http://a.example?q").expect("url").bare);
    }

    #[test]
    fn what_is_not_an_origin_says_why() {
        assert_eq!(parse("not a url").unwrap_err(), NotAnOrigin::NotUrl);
        assert_eq!(parse("ftp://a.example").unwrap_err(), NotAnOrigin::Scheme);
        assert_eq!(parse("a.example").unwrap_err(), NotAnOrigin::Scheme);
        assert_eq!(parse("/path").unwrap_err(), NotAnOrigin::Scheme);
    }
}
