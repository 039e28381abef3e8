//! Where the client's address comes from, per kind of request, and the
//! bounds on the forwarding-header walk.

use super::*;
use lambda_http::http;
use lambda_http::{Body, Request};
use std::net::{Ipv4Addr, SocketAddrV4};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn event(json: &str) -> Request {
    lambda_http::request::from_str(json).expect("fixture parses")
}

fn trust(list: &str) -> TrustedProxies {
    TrustedProxies::parse(list).expect("valid list")
}

/// Trusts `list` with the opt-out for broad ranges.
fn trust_broad(list: &str) -> TrustedProxies {
    TrustedProxies::parse_broad(list).expect("valid list")
}

/// Every IPv4 unicast address (all but 224.0.0.0/3): as wide as a trusted
/// list can be with the opt-out, since one covering every address is refused.
const ALL_UNICAST_V4: &str = "0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/3";

/// Trusts `list`, whose proxies write `Forwarded`.
fn trust_forwarded(list: &str) -> TrustedProxies {
    trust(list).with_header(ForwardedHeader::Forwarded)
}

/// An HTTP-mode request from `peer` with the given headers.
fn http_request(peer: &str, headers: &[(&str, &str)]) -> Request {
    let mut builder = http::Request::builder().uri("/getClientIP");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut req = builder.body(Body::Empty).expect("request builds");
    req.extensions_mut()
        .insert(PeerAddr(peer.parse().expect("test socket address")));
    req
}

const V2_CLIENT_IP: &str = customauth_testkit::fixtures::events::APIGW_V2_GET_CLIENT_IP;
const V2_JWT: &str = customauth_testkit::fixtures::events::APIGW_V2_CREATE_TICKET_JWT;
const V1_COGNITO: &str = customauth_testkit::fixtures::events::APIGW_V1_CREATE_TICKET_COGNITO;
const FUNCTION_URL: &str = customauth_testkit::fixtures::events::FUNCTION_URL_CREATE_TICKET;
const ALB_CLIENT_IP: &str = customauth_testkit::fixtures::events::ALB_GET_CLIENT_IP;
const ALB_CREATE: &str = customauth_testkit::fixtures::events::ALB_CREATE_TICKET;

// ---- parsing hops ----

#[test]
fn hop_forms_all_parse() {
    assert_eq!(parse_hop("1.2.3.4"), Some(ip("1.2.3.4")));
    assert_eq!(parse_hop(" 1.2.3.4 "), Some(ip("1.2.3.4")));
    assert_eq!(parse_hop("1.2.3.4:5678"), Some(ip("1.2.3.4")));
    assert_eq!(parse_hop("2001:db8::1"), Some(ip("2001:db8::1")));
    assert_eq!(parse_hop("[2001:db8::1]"), Some(ip("2001:db8::1")));
    assert_eq!(parse_hop("[2001:db8::1]:443"), Some(ip("2001:db8::1")));
    assert_eq!(parse_hop("\"[2001:db8::1]:443\""), Some(ip("2001:db8::1")));
    assert_eq!(parse_hop("\"192.0.2.43:47011\""), Some(ip("192.0.2.43")));
}

#[test]
fn ipv4_mapped_ipv6_hop_becomes_ipv4() {
    assert_eq!(parse_hop("::ffff:192.0.2.1"), Some(ip("192.0.2.1")));
    assert_eq!(parse_hop("[::ffff:192.0.2.1]:80"), Some(ip("192.0.2.1")));
}

#[test]
fn non_ip_hops_are_none() {
    for hop in [
        "",
        "unknown",
        "_hidden",
        "\"_hidden\"",
        "example.com",
        "1.2.3",
        "1.2.3.4:99999",
        "[2001:db8::1",
        "[2001:db8::1]x",
        "[2001:db8::1]:port",
        "[1.2.3.4]",
        "\"1.2.3.4",
        "fe80::1%eth0",
        "1.2.3.4 5.6.7.8",
    ] {
        assert_eq!(parse_hop(hop), None, "{hop:?}");
    }
    assert_eq!(parse_hop(&"1".repeat(1000)), None);
}

// ---- trusted proxies ----

#[test]
fn trusted_proxies_parse_cidrs_and_bare_addresses() {
    let t = trust(" 10.0.0.0/8 , 192.0.2.1,2001:db8::/32,::1,");
    assert!(t.contains(ip("10.1.2.3")));
    assert!(t.contains(ip("192.0.2.1")));
    assert!(!t.contains(ip("192.0.2.2")));
    assert!(t.contains(ip("2001:db8:ffff::5")));
    assert!(t.contains(ip("::1")));
    assert!(!t.contains(ip("2001:db9::1")));
    assert!(!t.contains(ip("11.0.0.1")));
}

#[test]
fn trusted_proxies_match_ipv4_mapped_peer_as_ipv4() {
    let t = trust("10.0.0.0/8");
    assert!(t.contains(ip("::ffff:10.0.0.5")));
}

#[test]
fn trusted_proxies_mapped_range_is_taken_as_ipv4() {
    let t = trust("::ffff:10.0.0.0/104");
    assert!(t.contains(ip("10.9.9.9")));
    assert!(!t.contains(ip("11.0.0.1")));
}

#[test]
fn trusted_proxies_host_bits_are_ignored() {
    let t = trust("10.0.0.5/8");
    assert!(t.contains(ip("10.200.0.1")));
}

#[test]
fn trusted_proxies_bad_entry_names_variable_and_entry() {
    let err = TrustedProxies::parse("10.0.0.0/8, 10.0.0.0/33").expect_err("invalid");
    let msg = err.to_string();
    assert!(msg.contains("CUSTOMAUTH_TRUSTED_PROXIES"), "{msg}");
    assert!(msg.contains("entry 2"), "{msg}");
    assert!(msg.contains("10.0.0.0/33"), "{msg}");
    assert!(TrustedProxies::parse("garbage").is_err());
    assert!(TrustedProxies::parse("10.0.0.0/8/8").is_err());
}

#[test]
fn trusted_proxies_from_env_unset_or_blank_trusts_nobody() {
    let unset = TrustedProxies::from_env(&|_: &str| None).expect("ok");
    assert!(unset.is_empty());
    let blank = TrustedProxies::from_env(&|_: &str| Some("  ".into())).expect("ok");
    assert!(blank.is_empty());
    let set = TrustedProxies::from_env(&|k: &str| {
        (k == VAR_TRUSTED_PROXIES).then(|| "10.0.0.0/8".to_owned())
    })
    .expect("ok");
    assert!(set.contains(ip("10.0.0.1")));
}

#[test]
fn trusted_proxies_covering_everyone_are_refused() {
    for (list, family, which) in [
        ("0.0.0.0/0", "IPv4", "entry 1 (0.0.0.0/0)"),
        ("10.0.0.0/8, ::/0", "IPv6", "entry 2 (::/0)"),
        ("::ffff:0.0.0.0/96", "IPv4", "entry 1 (::ffff:0.0.0.0/96)"),
        ("1.2.3.4/0", "IPv4", "entry 1"),
        ("0.0.0.0/1, 128.0.0.0/1", "IPv4", "the entries together"),
        ("::/1, 8000::/1", "IPv6", "the entries together"),
    ] {
        let msg = TrustedProxies::parse(list).expect_err(list).to_string();
        assert!(msg.contains(VAR_TRUSTED_PROXIES), "{list}: {msg}");
        assert!(
            msg.contains(&format!("every {family} address")),
            "{list}: {msg}"
        );
        assert!(msg.contains(which), "{list}: {msg}");
    }
    // Large but not everyone: accepted with the opt-out only.
    for list in ["0.0.0.0/1", "10.0.0.0/8, 2000::/3", "::/1"] {
        assert!(TrustedProxies::parse_broad(list).is_ok(), "{list}");
        assert!(TrustedProxies::parse(list).is_err(), "{list}");
    }
    // The opt-out never trusts everyone.
    assert!(TrustedProxies::parse_broad("0.0.0.0/1, 128.0.0.0/1").is_err());
}

#[test]
fn trusted_proxies_broader_than_the_bound_are_refused_unless_opted_out() {
    // All of IPv4 but 0.0.0.0/8, in ranges that halve: the first, a /1, is
    // past the /8 bound.
    let halves: String = (1..=8)
        .map(|len| format!("{}.0.0.0/{len}", 256u32 >> len))
        .collect::<Vec<_>>()
        .join(", ");
    // All of IPv4 but 0.0.0.0/8, in 255 /8s: each within the bound,
    // together far past four /8s.
    let slash8s: String = (1..=255)
        .map(|a| format!("{a}.0.0.0/8"))
        .collect::<Vec<_>>()
        .join(",");
    for (list, says) in [
        ("2000::/3", "entry 1 (2000::/3) is broader than a /32"),
        (
            "10.0.0.0/8, 11.0.0.0/7",
            "entry 2 (10.0.0.0/7) is broader than a /8",
        ),
        (
            halves.as_str(),
            "entry 1 (128.0.0.0/1) is broader than a /8",
        ),
        (
            slash8s.as_str(),
            "the IPv4 ranges together hold more addresses than 4 /8s",
        ),
        (
            "2001:db8::/32, 2001:db9::/32, 2001:dba::/32, 2001:dbb::/32, 2001:dbc::/32",
            "the IPv6 ranges together hold more addresses than 4 /32s",
        ),
        (
            "::ffff:0.0.0.0/100",
            "entry 1 (0.0.0.0/4) is broader than a /8",
        ),
    ] {
        let msg = TrustedProxies::parse(list).expect_err(list).to_string();
        assert!(msg.contains(VAR_TRUSTED_PROXIES), "{msg}");
        assert!(msg.contains(says), "{list}: {msg}");
        assert!(msg.contains(VAR_ALLOW_BROAD_TRUSTED_PROXIES), "{msg}");
        let env = customauth_core::env::from_pairs(&[
            (VAR_TRUSTED_PROXIES, list),
            (VAR_ALLOW_BROAD_TRUSTED_PROXIES, "1"),
        ]);
        assert!(
            TrustedProxies::from_env(&env).is_ok(),
            "{list} with the opt-out"
        );
        let env = customauth_core::env::from_pairs(&[(VAR_TRUSTED_PROXIES, list)]);
        assert!(TrustedProxies::from_env(&env).is_err(), "{list} without it");
    }
    // Within the bound: every private range, four /8s, a /32 of IPv6,
    // overlapping ranges counted once.
    for list in [
        "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/32",
        "9.0.0.0/8, 10.0.0.0/8, 11.0.0.0/8, 30.0.0.0/8",
        "10.0.0.0/8, 10.1.0.0/16, 10.0.0.0/9, 2001:db8::/32, 2001:db8:1::/48",
    ] {
        assert!(TrustedProxies::parse(list).is_ok(), "{list}");
    }
}

#[test]
fn forwarded_header_from_env_defaults_to_x_forwarded_for() {
    let header = |value: Option<&str>| {
        let value = value.map(str::to_owned);
        TrustedProxies::from_env(&move |k: &str| match k {
            VAR_TRUSTED_PROXIES => Some("10.0.0.0/8".to_owned()),
            VAR_FORWARDED_HEADER => value.clone(),
            _ => None,
        })
        .map(|t| t.header())
    };
    assert_eq!(header(None).expect("ok"), ForwardedHeader::XForwardedFor);
    assert_eq!(
        header(Some(" ")).expect("ok"),
        ForwardedHeader::XForwardedFor
    );
    assert_eq!(
        header(Some("X-Forwarded-For")).expect("ok"),
        ForwardedHeader::XForwardedFor
    );
    assert_eq!(
        header(Some(" forwarded ")).expect("ok"),
        ForwardedHeader::Forwarded
    );
    assert_eq!(
        header(Some("X-Real-IP")).expect("ok"),
        ForwardedHeader::XRealIp
    );
    for bad in ["real-ip", "both", "forwarded,x-forwarded-for"] {
        let err = header(Some(bad)).expect_err(bad);
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    var: VAR_FORWARDED_HEADER,
                    ..
                }
            ),
            "{bad}: {err}"
        );
    }
}

#[test]
fn trusted_proxies_from_env_bad_entry_is_invalid() {
    let err = TrustedProxies::from_env(&|k: &str| {
        (k == VAR_TRUSTED_PROXIES).then(|| "10.0.0.0/8,nope".to_owned())
    })
    .expect_err("invalid");
    assert!(matches!(
        err,
        ConfigError::Invalid {
            var: VAR_TRUSTED_PROXIES,
            ..
        }
    ));
}

// ---- Lambda events ----

#[test]
fn v2_event_gives_source_ip() {
    assert_eq!(
        client_ip(&event(V2_JWT), &TrustedProxies::none()),
        Some(ip("203.0.113.7"))
    );
}

#[test]
fn v2_event_ipv6_source_ip_is_returned() {
    assert_eq!(
        client_ip(&event(V2_CLIENT_IP), &TrustedProxies::none()),
        Some(ip("2001:db8::1"))
    );
}

#[test]
fn v2_event_ignores_forwarded_for_even_when_source_is_trusted() {
    let json = V2_JWT.replace(
        "\"x-forwarded-for\": \"203.0.113.7\"",
        "\"x-forwarded-for\": \"198.51.100.1, 203.0.113.7\"",
    );
    assert_eq!(
        client_ip(&event(&json), &trust_broad(ALL_UNICAST_V4)),
        Some(ip("203.0.113.7"))
    );
}

#[test]
fn v2_event_without_usable_source_ip_is_none() {
    let json = V2_JWT.replace(
        "\"sourceIp\": \"203.0.113.7\"",
        "\"sourceIp\": \"test-invoke-source-ip\"",
    );
    assert_eq!(client_ip(&event(&json), &TrustedProxies::none()), None);
}

#[test]
fn function_url_event_gives_source_ip() {
    assert_eq!(
        client_ip(&event(FUNCTION_URL), &TrustedProxies::none()),
        Some(ip("203.0.113.7"))
    );
}

#[test]
fn v1_event_gives_identity_source_ip_not_forwarded_for() {
    // X-Forwarded-For is "203.0.113.7, 130.176.98.12"; the gateway saw
    // 203.0.113.7. Change the header so the two cannot be confused.
    let json = V1_COGNITO.replace("203.0.113.7, 130.176.98.12", "198.51.100.66, 130.176.98.12");
    assert_eq!(
        client_ip(&event(&json), &trust_broad(ALL_UNICAST_V4)),
        Some(ip("203.0.113.7"))
    );
}

#[test]
fn alb_event_without_trust_gives_last_forwarded_for_entry() {
    for json in [ALB_CLIENT_IP, ALB_CREATE] {
        assert_eq!(
            client_ip(&event(json), &TrustedProxies::none()),
            Some(ip("10.0.0.5"))
        );
    }
}

#[test]
fn alb_event_with_trusted_peer_walks_left() {
    assert_eq!(
        client_ip(&event(ALB_CLIENT_IP), &trust("10.0.0.0/8")),
        Some(ip("198.51.100.9"))
    );
}

#[test]
fn alb_event_with_forwarded_choice_walks_forwarded_left_of_albs_entry() {
    // ALB's own entry (the last of X-Forwarded-For) is still its peer; left
    // of it, the proxies in front write Forwarded, and the rest of
    // X-Forwarded-For (198.51.100.9) is whatever the client sent.
    let json = ALB_CLIENT_IP.replace(
        "\"x-forwarded-for\":",
        "\"forwarded\": \"for=192.0.2.60\", \"x-forwarded-for\":",
    );
    assert_eq!(
        client_ip(&event(&json), &trust_forwarded("10.0.0.0/8")),
        Some(ip("192.0.2.60"))
    );
    assert_eq!(
        client_ip(&event(ALB_CLIENT_IP), &trust_forwarded("10.0.0.0/8")),
        Some(ip("10.0.0.5"))
    );
    assert_eq!(
        client_ip(&event(&json), &trust("10.0.0.0/8")),
        Some(ip("198.51.100.9"))
    );
}

#[test]
fn alb_event_walk_stops_at_leftmost_when_all_trusted() {
    assert_eq!(
        client_ip(&event(ALB_CLIENT_IP), &trust_broad(ALL_UNICAST_V4)),
        Some(ip("198.51.100.9"))
    );
}

#[test]
fn alb_event_without_forwarded_for_is_none() {
    let json = ALB_CLIENT_IP.replace("\"x-forwarded-for\": \"198.51.100.9, 10.0.0.5\",", "");
    assert_eq!(client_ip(&event(&json), &TrustedProxies::none()), None);
}

#[test]
fn alb_event_with_garbage_last_entry_is_none() {
    let json = ALB_CLIENT_IP.replace("198.51.100.9, 10.0.0.5", "198.51.100.9, unknown");
    assert_eq!(client_ip(&event(&json), &trust_broad(ALL_UNICAST_V4)), None);
}

// ---- HTTP mode ----

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
