//! The caller's IP address, as the SDK's `getClientIP` reports it.
//!
//! Where the address comes from depends on what delivered the request:
//!
//! - API Gateway HTTP API (v2) and Lambda function URLs:
//!   `requestContext.http.sourceIp`, the address the gateway saw;
//! - API Gateway REST API (v1): `requestContext.identity.sourceIp`, likewise.
//!   `X-Forwarded-For` is never read on these two paths: the gateway passes on
//!   whatever the client sent there;
//! - Application Load Balancer: ALB appends the address it saw to
//!   `X-Forwarded-For`, so the last entry is the ALB's peer. From there the
//!   walk goes left while the hop is a [`TrustedProxies`] member;
//! - HTTP mode (no Lambda request context): the TCP peer, which the server
//!   attaches as a [`PeerAddr`] extension. If the peer is trusted, the walk
//!   goes left through `X-Forwarded-For` (every header line, comma lists), or,
//!   without that header, through the RFC 7239 `Forwarded` `for=` parameters.
//!
//! The client is the rightmost hop that is not a trusted proxy. A hop that is
//! not an IP address (`unknown`, `_hidden`, garbage) ends the walk at the last
//! address known: whatever lies left of it was written by someone we cannot
//! vouch for. The walk looks at no more than [`MAX_HOPS`] hops and
//! [`MAX_HEADER_BYTES`] bytes, counted from the right.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};
use lambda_http::http::HeaderMap;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::config::{self, ConfigError};

/// The variable listing the trusted proxies.
pub const VAR_TRUSTED_PROXIES: &str = "CUSTOMAUTH_TRUSTED_PROXIES";

/// Most forwarding hops looked at, counted from the right.
pub const MAX_HOPS: usize = 64;

/// Most bytes of forwarding headers looked at, counted from the right.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Longest text taken for one hop (`"[v6]:port"` with quotes is under 60).
const MAX_HOP_LEN: usize = 100;

/// The TCP peer of a request served in HTTP mode.
///
/// The HTTP server inserts it into the request's extensions; requests that
/// came through the Lambda runtime have a request context instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

/// Proxies whose forwarding headers are believed.
///
/// Read from `CUSTOMAUTH_TRUSTED_PROXIES`: comma-separated CIDRs or bare
/// addresses, IPv4 or IPv6 (`10.0.0.0/8, 2001:db8::/32, 192.0.2.1`).
/// Defaults to trusting nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// Trusts nobody: forwarding headers are ignored in HTTP mode and ALB's
    /// own peer is the client.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads `CUSTOMAUTH_TRUSTED_PROXIES` through `env`; unset or blank
    /// trusts nobody.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable and the first entry that
    /// is neither an IP address nor a CIDR.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match config::var(env, VAR_TRUSTED_PROXIES) {
            Some(list) => Self::parse(&list),
            None => Ok(Self::none()),
        }
    }

    /// Parses a comma-separated list of CIDRs and bare addresses. Blank
    /// entries are skipped; a bare address is a /32 (IPv4) or /128 (IPv6);
    /// host bits of a CIDR are ignored; IPv4-mapped IPv6 ranges
    /// (`::ffff:10.0.0.0/104`) are taken as the IPv4 range they map.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `CUSTOMAUTH_TRUSTED_PROXIES` and the
    /// first entry (by position and text) that cannot be parsed.
    pub fn parse(list: &str) -> Result<Self, ConfigError> {
        let mut nets = Vec::new();
        for (i, entry) in list.split(',').enumerate() {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let net = parse_net(entry).ok_or_else(|| ConfigError::Invalid {
                var: VAR_TRUSTED_PROXIES,
                reason: format!(
                    "entry {} ({:?}) is not an IP address or CIDR such as 10.0.0.0/8",
                    i + 1,
                    truncate(entry, 64),
                ),
            })?;
            nets.push(net);
        }
        Ok(Self { nets })
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` (IPv4-mapped IPv6 counts as IPv4) is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

fn parse_net(entry: &str) -> Option<IpNet> {
    let net = match IpNet::from_str(entry) {
        Ok(net) => net,
        Err(_) => IpNet::from(IpAddr::from_str(entry).ok()?),
    };
    let net = net.trunc();
    // Requests from IPv4 peers are compared as IPv4, so a mapped range is
    // rewritten to the IPv4 range it stands for.
    if let IpNet::V6(v6) = net
        && v6.prefix_len() >= 96
        && let Some(v4) = v6.network().to_ipv4_mapped()
    {
        return Ipv4Net::new(v4, v6.prefix_len() - 96).ok().map(IpNet::V4);
    }
    Some(net)
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// The caller's address, or `None` when nothing is known (the HTTP response
/// then says `""`, as the SDK does).
///
/// See the [module documentation](self) for where the address is taken from
/// for each kind of request. Never fails: unparseable or missing data gives
/// the last address known, or `None`.
pub fn client_ip(req: &Request, trusted: &TrustedProxies) -> Option<IpAddr> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.as_deref().and_then(parse_hop)
        }
        Some(RequestContext::ApiGatewayV1(ctx)) => {
            ctx.identity.source_ip.as_deref().and_then(parse_hop)
        }
        Some(RequestContext::Alb(_)) => {
            let mut hops = forwarded_for(req.headers());
            // ALB appends the address it saw: the last entry is its peer.
            let peer = hops.next().and_then(parse_hop)?;
            Some(walk(peer, hops, trusted))
        }
        Some(_) => None,
        None => {
            let peer = req.extensions().get::<PeerAddr>()?.0.ip().to_canonical();
            if !trusted.contains(peer) {
                return Some(peer);
            }
            let headers = req.headers();
            if headers.contains_key("x-forwarded-for") {
                Some(walk(peer, forwarded_for(headers), trusted))
            } else {
                Some(walk(peer, forwarded(headers), trusted))
            }
        }
    }
}

/// Walks left from `current` while the current hop is trusted.
fn walk<'a>(
    mut current: IpAddr,
    hops: impl Iterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> IpAddr {
    for hop in hops {
        if !trusted.contains(current) {
            break;
        }
        match parse_hop(hop) {
            Some(ip) => current = ip,
            None => break,
        }
    }
    current
}

/// The entries of every header line called `name`, right to left, bounded by
/// [`MAX_HOPS`] and [`MAX_HEADER_BYTES`].
///
/// A line that is not visible ASCII yields one empty (unparseable) hop, which
/// ends a walk. When the byte budget runs out inside a line, the entry it cuts
/// through is replaced by an empty hop too, so that a fragment such as
/// `8.51.100.9` (cut from `198.51.100.9`) is never taken for an address.
fn hops_from_right<'a>(headers: &'a HeaderMap, name: &str) -> std::vec::IntoIter<&'a str> {
    let mut hops = Vec::new();
    let mut budget = MAX_HEADER_BYTES;
    for value in headers.get_all(name).iter().rev() {
        let Ok(line) = value.to_str() else {
            hops.push("");
            break;
        };
        let cut = line.len() > budget;
        let line = if cut {
            // Visible ASCII: every byte offset is a character boundary.
            let tail = line.get(line.len() - budget..).unwrap_or("");
            tail.split_once(',').map_or("", |(_fragment, rest)| rest)
        } else {
            line
        };
        budget = budget.saturating_sub(line.len() + 1);
        for hop in line.rsplit(',') {
            if hops.len() == MAX_HOPS {
                return hops.into_iter();
            }
            hops.push(hop);
        }
        if cut || budget == 0 {
            hops.push("");
            break;
        }
    }
    hops.into_iter()
}

/// `X-Forwarded-For` entries, right to left.
fn forwarded_for(headers: &HeaderMap) -> std::vec::IntoIter<&str> {
    hops_from_right(headers, "x-forwarded-for")
}

/// The `for=` value of each RFC 7239 `Forwarded` element, right to left; an
/// element without `for=` yields an empty (unparseable) hop.
///
/// Elements are split at every comma and parameters at every semicolon, even
/// inside quotes: `for=` values never contain either, and a quote-aware split
/// would let a client's unbalanced quote swallow the entries our proxies
/// appended to its right.
fn forwarded(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    hops_from_right(headers, "forwarded").map(|element| {
        element
            .split(';')
            .find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim().eq_ignore_ascii_case("for").then_some(value)
            })
            .unwrap_or("")
    })
}

/// Parses one hop: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:443`, optionally in double quotes.
/// IPv4-mapped IPv6 becomes IPv4. Anything else (`unknown`, `_hidden`, zone
/// ids, garbage) is `None`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim_matches([' ', '\t']);
    if hop.len() > MAX_HOP_LEN {
        return None;
    }
    let hop = match hop.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"')?,
        None => hop,
    };
    let ip = if let Some(rest) = hop.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port_ok = after.is_empty()
            || after
                .strip_prefix(':')
                .is_some_and(|port| port.parse::<u16>().is_ok());
        if !port_ok {
            return None;
        }
        IpAddr::V6(Ipv6Addr::from_str(inside).ok()?)
    } else if let Ok(ip) = IpAddr::from_str(hop) {
        ip
    } else {
        SocketAddr::from_str(hop).ok()?.ip()
    };
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;
    use lambda_http::http;
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

    const V2_CLIENT_IP: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-get-client-ip.json");
    const V2_JWT: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-create-ticket-jwt.json");
    const V1_COGNITO: &str =
        include_str!("../../tests/fixtures/events/apigw-v1-create-ticket-cognito.json");
    const FUNCTION_URL: &str =
        include_str!("../../tests/fixtures/events/function-url-create-ticket.json");
    const ALB_CLIENT_IP: &str = include_str!("../../tests/fixtures/events/alb-get-client-ip.json");
    const ALB_CREATE: &str = include_str!("../../tests/fixtures/events/alb-create-ticket.json");

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
    fn trusted_proxies_from_env_bad_entry_is_invalid() {
        let err = TrustedProxies::from_env(&|_: &str| Some("10.0.0.0/8,nope".into()))
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
            client_ip(&event(&json), &trust("0.0.0.0/0")),
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
            client_ip(&event(&json), &trust("0.0.0.0/0")),
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
    fn alb_event_walk_stops_at_leftmost_when_all_trusted() {
        assert_eq!(
            client_ip(&event(ALB_CLIENT_IP), &trust("0.0.0.0/0")),
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
        assert_eq!(client_ip(&event(&json), &trust("0.0.0.0/0")), None);
    }

    // ---- HTTP mode ----

    #[test]
    fn http_mode_without_peer_is_none() {
        let req = http::Request::builder()
            .body(Body::Empty)
            .expect("request builds");
        assert_eq!(client_ip(&req, &trust("0.0.0.0/0")), None);
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
            client_ip(&req, &trust("10.0.0.0/8")),
            Some(ip("2001:db8:cafe::17"))
        );
    }

    #[test]
    fn http_mode_forwarded_quoted_ipv4_with_port_parses() {
        let req = http_request("10.0.0.2:443", &[("forwarded", "for=\"192.0.2.43:47011\"")]);
        assert_eq!(
            client_ip(&req, &trust("10.0.0.0/8")),
            Some(ip("192.0.2.43"))
        );
    }

    #[test]
    fn http_mode_forwarded_obfuscated_or_missing_for_ends_walk() {
        let req = http_request(
            "10.0.0.2:443",
            &[("forwarded", "for=192.0.2.60, for=\"_hidden\", for=10.0.0.9")],
        );
        assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.9")));
        let req = http_request(
            "10.0.0.2:443",
            &[("forwarded", "for=192.0.2.60, proto=https")],
        );
        assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.2")));
        let req = http_request("10.0.0.2:443", &[("forwarded", "for=unknown")]);
        assert_eq!(client_ip(&req, &trust("10.0.0.0/8")), Some(ip("10.0.0.2")));
    }

    #[test]
    fn http_mode_forwarded_for_wins_over_forwarded() {
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
    fn http_mode_unbalanced_quote_cannot_swallow_proxy_entries() {
        let req = http_request(
            "10.0.0.2:443",
            &[("forwarded", "for=\"1.1.1.1, for=198.51.100.1")],
        );
        assert_eq!(
            client_ip(&req, &trust("10.0.0.0/8")),
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
}
