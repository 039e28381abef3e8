//! HTTP mode: the peer, and the walk of the chosen header from trusted
//! proxies, bounded.

use super::*;

#[test]
fn http_mode_without_peer_is_none() {
    let req = http::Request::builder()
        .body(Body::Empty)
        .expect("request builds");
    assert_eq!(client_ip(&req, &trust_broad(ALL_UNICAST_V4)), None);
}

#[test]
fn http_mode_untrusted_peer_ignores_forwarded_for() {
    let req = http_request("203.0.113.9:51000", &[("x-forwarded-for", "198.51.100.1")]);
    assert_eq!(
        client_ip(&req, &TrustedProxies::none()),
        Some(ip("203.0.113.9"))
    );
    assert_eq!(
        client_ip(&req, &trust("10.0.0.0/8")),
        Some(ip("203.0.113.9"))
    );
}

#[test]
fn http_mode_ipv4_mapped_peer_becomes_ipv4() {
    let req = http_request("[::ffff:203.0.113.9]:51000", &[]);
    assert_eq!(
        client_ip(&req, &TrustedProxies::none()),
        Some(ip("203.0.113.9"))
    );
}

#[test]
fn http_mode_ipv6_peer_is_returned() {
    let req = http_request("[2001:db8::7]:51000", &[]);
    assert_eq!(
        client_ip(&req, &TrustedProxies::none()),
        Some(ip("2001:db8::7"))
    );
}

#[test]
fn http_mode_trusted_peer_gives_rightmost_untrusted_hop() {
    let req = http_request(
        "10.0.0.2:443",
        &[("x-forwarded-for", "1.1.1.1, 198.51.100.1, 10.0.0.9")],
    );
    // 1.1.1.1 is what the client claimed; 198.51.100.1 is the first hop
    // that no trusted proxy vouches past.
    assert_eq!(
        client_ip(&req, &trust("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
}

#[test]
fn http_mode_trusted_peer_without_headers_is_the_peer() {
    let req = http_request("10.0.0.2:443", &[]);
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.2")));
}

#[test]
fn http_mode_walks_all_forwarded_for_lines_in_order() {
    let req = http_request(
        "10.0.0.2:443",
        &[
            ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-for", "10.0.0.8, 10.0.0.9"),
        ],
    );
    assert_eq!(
        client_ip(&req, &trust("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
}

#[test]
fn http_mode_hops_with_ports_and_brackets_parse() {
    let req = http_request(
        "10.0.0.2:443",
        &[("x-forwarded-for", "[2001:db8::5]:1234, 10.0.0.9:80")],
    );
    assert_eq!(
        client_ip(&req, &trust("10.0.0.0/8")),
        Some(ip("2001:db8::5"))
    );
}

#[test]
fn http_mode_unknown_hop_ends_walk_at_last_known_address() {
    let req = http_request(
        "10.0.0.2:443",
        &[("x-forwarded-for", "198.51.100.1, unknown, 10.0.0.9")],
    );
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.9")));
    let req = http_request("10.0.0.2:443", &[("x-forwarded-for", "garbage")]);
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.2")));
    let req = http_request("10.0.0.2:443", &[("x-forwarded-for", "")]);
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.2")));
}

#[test]
fn http_mode_all_trusted_chain_gives_leftmost() {
    let req = http_request("10.0.0.2:443", &[("x-forwarded-for", "10.0.0.7, 10.0.0.8")]);
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.7")));
}

#[test]
fn http_mode_forwarded_header_is_used_without_forwarded_for() {
    let req = http_request(
        "10.0.0.2:443",
        &[(
            "forwarded",
            "for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.9",
        )],
    );
    assert_eq!(
        client_ip(&req, &trust_forwarded("10.0.0.0/8")),
        Some(ip("2001:db8:cafe::17"))
    );
}

#[test]
fn http_mode_forwarded_quoted_ipv4_with_port_parses() {
    let req = http_request("10.0.0.2:443", &[("forwarded", "for=\"192.0.2.43:47011\"")]);
    assert_eq!(
        client_ip(&req, &trust_forwarded("10.0.0.0/8")),
        Some(ip("192.0.2.43"))
    );
}

#[test]
fn http_mode_forwarded_obfuscated_or_missing_for_ends_walk() {
    let req = http_request(
        "10.0.0.2:443",
        &[("forwarded", "for=192.0.2.60, for=\"_hidden\", for=10.0.0.9")],
    );
    assert_eq!(
        client_ip(&req, &trust_forwarded("10.0.0.0/8")),
        Some(ip("10.0.0.9"))
    );
    let req = http_request(
        "10.0.0.2:443",
        &[("forwarded", "for=192.0.2.60, proto=https")],
    );
    assert_eq!(
        client_ip(&req, &trust_forwarded("10.0.0.0/8")),
        Some(ip("10.0.0.2"))
    );
    let req = http_request("10.0.0.2:443", &[("forwarded", "for=unknown")]);
    assert_eq!(
        client_ip(&req, &trust_forwarded("10.0.0.0/8")),
        Some(ip("10.0.0.2"))
    );
}

#[test]
fn http_mode_default_header_ignores_a_forwarded_header() {
    // The proxy writes X-Forwarded-For (the default); a Forwarded header
    // can only be the client's.
    let req = http_request("10.0.0.2:443", &[("forwarded", "for=192.0.2.60")]);
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.2")));
    let req = http_request(
        "10.0.0.2:443",
        &[
            ("forwarded", "for=192.0.2.60"),
            ("x-forwarded-for", "198.51.100.1"),
        ],
    );
    assert_eq!(
        client_ip(&req, &trust("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
}

#[test]
fn http_mode_forwarded_choice_ignores_a_client_sent_forwarded_for() {
    // The proxy writes Forwarded and passes the client's X-Forwarded-For
    // through: the client must not choose its address with it.
    let req = http_request(
        "10.0.0.2:443",
        &[
            ("forwarded", "for=192.0.2.60"),
            ("x-forwarded-for", "198.51.100.1"),
        ],
    );
    assert_eq!(
        client_ip(&req, &trust_forwarded("10.0.0.0/8")),
        Some(ip("192.0.2.60"))
    );
    // Without a Forwarded header the peer is the client, whatever
    // X-Forwarded-For says.
    let req = http_request("10.0.0.2:443", &[("x-forwarded-for", "198.51.100.1")]);
    assert_eq!(
        client_ip(&req, &trust_forwarded("10.0.0.0/8")),
        Some(ip("10.0.0.2"))
    );
}

#[test]
fn http_mode_unbalanced_quote_cannot_swallow_proxy_entries() {
    let req = http_request(
        "10.0.0.2:443",
        &[("forwarded", "for=\"1.1.1.1, for=198.51.100.1")],
    );
    assert_eq!(
        client_ip(&req, &trust_forwarded("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
}

#[test]
fn http_mode_walk_is_bounded_by_hop_count() {
    // 100 trusted hops with a client at the far left: the walk gives up
    // after MAX_HOPS and returns the last address it reached, which is
    // still a trusted proxy, never text.
    let mut list = vec!["198.51.100.1".to_owned()];
    list.extend((0..100).map(|i| format!("10.0.0.{i}")));
    let header = list.join(", ");
    let req = http_request("10.0.0.2:443", &[("x-forwarded-for", &header)]);
    let got = client_ip(&req, &trust("10.0.0.0/8")).expect("an address");
    assert_eq!(
        got,
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, (100 - MAX_HOPS) as u8))
    );
}

#[test]
fn http_mode_walk_is_bounded_by_header_bytes() {
    // 50 trusted hops of 200 bytes each (whitespace is allowed around an
    // entry): the budget runs out after about 40, before the client.
    let hop = format!(",10.0.0.8{}", " ".repeat(191));
    let header = format!("198.51.100.1{}", hop.repeat(50));
    let req = http_request("10.0.0.2:443", &[("x-forwarded-for", &header)]);
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.8")));
}

#[test]
fn http_mode_entry_cut_by_byte_budget_is_not_taken_as_address() {
    // The budget ends two bytes into "198.51.100.123": the fragment
    // "8.51.100.123" must not be read as an address.
    let hop = format!(",10.0.0.8{}", " ".repeat(191));
    let right = hop.repeat(40);
    let left = format!(
        "198.51.100.123{}",
        " ".repeat(MAX_HEADER_BYTES + 2 - right.len() - 14)
    );
    let header = format!("{left}{right}");
    assert_eq!(header.len(), MAX_HEADER_BYTES + 2);
    let req = http_request("10.0.0.2:443", &[("x-forwarded-for", &header)]);
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.8")));
    // Within budget, the same chain reaches the client.
    let header = format!("198.51.100.123{right}");
    let req = http_request("10.0.0.2:443", &[("x-forwarded-for", &header)]);
    assert_eq!(
        client_ip(&req, &trust("10.0.0.0/8")),
        Some(ip("198.51.100.123"))
    );
}

#[test]
fn http_mode_non_ascii_header_ends_walk() {
    let mut req = http_request("10.0.0.2:443", &[]);
    req.headers_mut().insert(
        "x-forwarded-for",
        http::HeaderValue::from_bytes(b"198.51.100.1, \xff").expect("header value"),
    );
    assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.2")));
}

#[test]
fn peer_addr_is_a_request_extension() {
    let peer = PeerAddr(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080)));
    let mut req = http::Request::builder()
        .body(Body::Empty)
        .expect("request builds");
    req.extensions_mut().insert(peer);
    assert_eq!(req.extensions().get::<PeerAddr>(), Some(&peer));
    assert_eq!(
        client_ip(&req, &TrustedProxies::none()),
        Some(ip("127.0.0.1"))
    );
}

#[test]
fn client_ip_parts_reads_headers_and_extensions_whatever_the_body() {
    // Lambda events: the request context travels in the extensions.
    let (parts, _body) = event(V2_JWT).into_parts();
    assert_eq!(
        client_ip_parts(&parts.headers, &parts.extensions, &TrustedProxies::none()),
        Some(ip("203.0.113.7"))
    );
    let (parts, _body) = event(ALB_CLIENT_IP).into_parts();
    let unit_body = http::Request::from_parts(parts, ());
    assert_eq!(
        client_ip(&unit_body, &trust("10.0.0.0/8")),
        Some(ip("198.51.100.9"))
    );

    // HTTP mode: the peer in the extensions, the hops in the headers.
    let mut req = http::Request::builder()
        .header("x-forwarded-for", "198.51.100.1")
        .body(String::new())
        .expect("request builds");
    req.extensions_mut().insert(PeerAddr(
        "10.0.0.2:443".parse().expect("test socket address"),
    ));
    assert_eq!(
        client_ip_parts(req.headers(), req.extensions(), &trust("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
    assert_eq!(
        client_ip(&req, &trust("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
    assert_eq!(
        client_ip_parts(
            &HeaderMap::new(),
            &Extensions::new(),
            &trust_broad(ALL_UNICAST_V4)
        ),
        None
    );
}

/// `X-Real-IP` (nginx, the CloudBase gateway): one address from the one
/// trusted proxy; nothing else is believed.
#[test]
fn http_mode_x_real_ip_is_one_address_from_a_trusted_peer() {
    let trusted = trust("10.0.0.0/8").with_header(ForwardedHeader::XRealIp);
    let ip = |peer: &str, headers: &[(&str, &str)]| {
        client_ip(&http_request(peer, headers), &trusted).map(|ip| ip.to_string())
    };
    let from_proxy = "10.1.2.3:4000";
    assert_eq!(
        ip(from_proxy, &[("x-real-ip", "203.0.113.7")]).as_deref(),
        Some("203.0.113.7")
    );
    // Not trusted: the peer, whatever it sends.
    assert_eq!(
        ip("198.51.100.2:4000", &[("x-real-ip", "203.0.113.7")]).as_deref(),
        Some("198.51.100.2")
    );
    // X-Forwarded-For is not the chosen header: never read.
    assert_eq!(
        ip(from_proxy, &[("x-forwarded-for", "203.0.113.9")]).as_deref(),
        Some("10.1.2.3")
    );
    // Two lines (one a client's), a list, garbage: the proxy itself.
    for headers in [
        &[("x-real-ip", "203.0.113.7"), ("x-real-ip", "192.0.2.1")][..],
        &[("x-real-ip", "192.0.2.1, 203.0.113.7")],
        &[("x-real-ip", "unknown")],
    ] {
        assert_eq!(
            ip(from_proxy, headers).as_deref(),
            Some("10.1.2.3"),
            "{headers:?}"
        );
    }
}
