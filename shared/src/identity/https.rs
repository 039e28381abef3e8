//! What the modes that call out over the network share (`cloudbase`, and
//! `jwt` with keys at a URL): which hosts may be reached over plain
//! `http://`, and the HTTPS client.
//!
//! Plain `http://` is for a loopback IP address only (`127.0.0.0/8`, `::1`,
//! `::ffff:127.x.y.z`), never a name, not even `localhost`: the check runs on
//! the configured text once, at start, while the address connected to is
//! decided later by the resolver (`/etc/hosts`, nsswitch, a DNS server that
//! answers for `localhost.`). Only an IP literal makes the two the same.

/// Whether `host` (as a URI spells it: IPv6 in brackets) is a loopback IP
/// address.
pub(super) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// The client both modes use: rustls (aws-lc-rs) with the system's CA
/// roots, HTTP/1.1, idle connections kept 30 s; plain HTTP too, for the
/// loopback addresses [`is_loopback`] lets through (the callers check their
/// URLs). Without CA roots it still builds when `needs_roots` is false (an
/// `http://` loopback URL); with it, that is an error.
///
/// # Errors
/// The reason, when no CA roots could be loaded and they are needed, or TLS
/// cannot be set up.
#[cfg(any(feature = "cloudbase", feature = "jwks-url"))]
pub(super) fn client<B>(
    needs_roots: bool,
) -> Result<
    hyper_util::client::legacy::Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        B,
    >,
    String,
>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    use std::sync::Arc;
    use std::time::Duration;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = match hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(Arc::clone(&provider))
    {
        Ok(builder) => builder,
        Err(e) if needs_roots => {
            return Err(format!("no CA certificates could be loaded: {e}"));
        }
        Err(_) => {
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("{e}"))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
        }
    };
    let connector = builder.https_or_http().enable_http1().build();
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector),
    )
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_means_a_loopback_ip_address_and_never_a_name() {
        for host in [
            "127.0.0.1",
            "127.9.9.9",
            "[::1]",
            "::1",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "localhost",
            "LOCALHOST",
            "app.localhost",
            "10.0.0.1",
            "[::ffff:10.0.0.1]",
            "0.0.0.0",
            "idp.example.com",
            "127.0.0.1.example.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
