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
//!   goes left through the one forwarding header chosen with
//!   `CUSTOMAUTH_FORWARDED_HEADER` ([`ForwardedHeader`]): `X-Forwarded-For`
//!   (the default; every header line, comma lists) or the RFC 7239
//!   `Forwarded` `for=` parameters, or `X-Real-IP` (one address, set by the
//!   one proxy in front: nginx's `proxy_set_header X-Real-IP $remote_addr`,
//!   and the header the CloudBase functions framework reads the client's
//!   address from). The other headers are never read, so a
//!   client cannot choose its address by sending the header our proxies do
//!   not write. Behind ALB the walk left of ALB's own entry follows the same
//!   choice.
//!
//! The client is the rightmost hop that is not a trusted proxy. A hop that is
//! not an IP address (`unknown`, `_hidden`, garbage) ends the walk at the last
//! address known: whatever lies left of it was written by someone we cannot
//! vouch for. The walk looks at no more than [`MAX_HOPS`] hops and
//! [`MAX_HEADER_BYTES`] bytes, counted from the right.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use lambda_http::http::{Extensions, HeaderMap, Request};
use lambda_http::request::RequestContext;

use customauth_core::env::Setting;

use customauth_core::config::ConfigError;
use customauth_core::env::var;

/// The variable listing the trusted proxies.
pub const VAR_TRUSTED_PROXIES: &str = "CUSTOMAUTH_TRUSTED_PROXIES";

/// Set to `1` to accept trusted-proxy ranges broader than the bound
/// ([`MAX_V4_PREFIX_BREADTH`], [`MAX_V6_PREFIX_BREADTH`], [`MAX_TRUSTED_RANGES`]).
pub const VAR_ALLOW_BROAD_TRUSTED_PROXIES: &str = "CUSTOMAUTH_ALLOW_BROAD_TRUSTED_PROXIES";

/// The client-IP variables.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        VAR_TRUSTED_PROXIES,
        "CIDRs whose forwarding header is believed (at most /8 or /32 each; never everyone); cloudbase-context: the gateway's",
    ),
    Setting::new(
        VAR_ALLOW_BROAD_TRUSTED_PROXIES,
        "1 to trust ranges broader than a /8 (IPv4) or /32 (IPv6), or more than four of them",
    ),
    Setting::new(
        VAR_FORWARDED_HEADER,
        "the one header they write: x-forwarded-for (default), forwarded or x-real-ip",
    ),
];

/// The broadest IPv4 range trusted without the opt-out: a /8.
pub const MAX_V4_PREFIX_BREADTH: u8 = 8;
/// The broadest IPv6 range trusted without the opt-out: a /32.
pub const MAX_V6_PREFIX_BREADTH: u8 = 32;
/// Without the opt-out, the ranges together may hold no more addresses than
/// this many of the broadest ranges (four /8s of IPv4, four /32s of IPv6).
pub const MAX_TRUSTED_RANGES: u32 = 4;

/// The variable naming the one forwarding header the trusted proxies write:
/// `x-forwarded-for` (the default) or `forwarded`.
pub const VAR_FORWARDED_HEADER: &str = "CUSTOMAUTH_FORWARDED_HEADER";

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

/// The forwarding header the trusted proxies write, from
/// `CUSTOMAUTH_FORWARDED_HEADER`. Only this one is read: there is no
/// fallback to the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ForwardedHeader {
    /// `x-forwarded-for`: comma-separated addresses. The default.
    #[default]
    XForwardedFor,
    /// `forwarded`: RFC 7239 elements, whose `for=` parameters are read.
    Forwarded,
    /// `x-real-ip`: one address, written by the one trusted proxy in front.
    /// Two header lines, or anything but an address, leave the peer.
    XRealIp,
}

impl ForwardedHeader {
    /// The header's name, lower case, as `CUSTOMAUTH_FORWARDED_HEADER` spells
    /// it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
            Self::XRealIp => "x-real-ip",
        }
    }

    /// Reads `CUSTOMAUTH_FORWARDED_HEADER` through `env`; unset or blank is
    /// `x-forwarded-for`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable for any other value.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        var(env, VAR_FORWARDED_HEADER).map_or(Ok(Self::default()), |v| v.parse())
    }
}

impl FromStr for ForwardedHeader {
    type Err = ConfigError;

    /// Parses `x-forwarded-for` or `forwarded` (ASCII case and surrounding
    /// whitespace ignored).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `CUSTOMAUTH_FORWARDED_HEADER` for any
    /// other value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        [Self::XForwardedFor, Self::Forwarded, Self::XRealIp]
            .into_iter()
            .find(|h| h.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ConfigError::Invalid {
                var: VAR_FORWARDED_HEADER,
                reason: format!(
                    "{:?} is not one of x-forwarded-for, forwarded, x-real-ip",
                    truncate(s, 32)
                ),
            })
    }
}

/// Proxies whose forwarding header is believed, and which header that is.
///
/// Read from `CUSTOMAUTH_TRUSTED_PROXIES`: comma-separated CIDRs or bare
/// addresses, IPv4 or IPv6 (`10.0.0.0/8, 2001:db8::/32, 192.0.2.1`), and
/// `CUSTOMAUTH_FORWARDED_HEADER` ([`ForwardedHeader`]). Defaults to trusting
/// nobody, and to `X-Forwarded-For`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Trusts nobody: forwarding headers are ignored in HTTP mode and ALB's
    /// own peer is the client.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads `CUSTOMAUTH_TRUSTED_PROXIES` (unset or blank trusts nobody),
    /// `CUSTOMAUTH_ALLOW_BROAD_TRUSTED_PROXIES` and
    /// `CUSTOMAUTH_FORWARDED_HEADER` through `env`.
    ///
    /// # Errors
    /// Those of [`TrustedProxies::parse`] (of [`TrustedProxies::parse_broad`]
    /// when `CUSTOMAUTH_ALLOW_BROAD_TRUSTED_PROXIES=1`) and
    /// [`ForwardedHeader::from_env`].
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let header = ForwardedHeader::from_env(env)?;
        let broad = var(env, VAR_ALLOW_BROAD_TRUSTED_PROXIES).is_some_and(|v| v.trim() == "1");
        let proxies = match var(env, VAR_TRUSTED_PROXIES) {
            Some(list) if broad => Self::parse_broad(&list)?,
            Some(list) => Self::parse(&list)?,
            None => Self::none(),
        };
        Ok(proxies.with_header(header))
    }

    /// The same proxies, believed in `header` only.
    #[must_use]
    pub fn with_header(self, header: ForwardedHeader) -> Self {
        Self { header, ..self }
    }

    /// The forwarding header that is read.
    pub fn header(&self) -> ForwardedHeader {
        self.header
    }

    /// Parses a comma-separated list of CIDRs and bare addresses. Blank
    /// entries are skipped; a bare address is a /32 (IPv4) or /128 (IPv6);
    /// host bits of a CIDR are ignored; IPv4-mapped IPv6 ranges
    /// (`::ffff:10.0.0.0/104`) are taken as the IPv4 range they map.
    ///
    /// A proxy fleet is a few networks, so a list that trusts much more is
    /// taken for a mistake that lets clients choose their address with a
    /// forwarding header: refused are a range broader than a /8 (IPv4) or a
    /// /32 (IPv6), and a list whose ranges together hold more addresses than
    /// four of those (after merging overlaps, so that many narrow ranges
    /// cannot add up to most of the Internet either). All of RFC 1918, or a
    /// cloud's few /8s, fit. [`TrustedProxies::parse_broad`] (the
    /// `CUSTOMAUTH_ALLOW_BROAD_TRUSTED_PROXIES=1` opt-out) lifts this bound.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `CUSTOMAUTH_TRUSTED_PROXIES`: as
    /// [`TrustedProxies::parse_broad`], or naming the first range broader
    /// than the bound, or saying that the ranges together are.
    pub fn parse(list: &str) -> Result<Self, ConfigError> {
        let proxies = Self::parse_broad(list)?;
        let broad = |reason: String| ConfigError::Invalid {
            var: VAR_TRUSTED_PROXIES,
            reason: format!(
                "{reason}, so clients there could choose their address with a forwarding \
                 header; list only your proxies' ranges, or set \
                 {VAR_ALLOW_BROAD_TRUSTED_PROXIES}=1 if you mean it"
            ),
        };
        for (i, net) in proxies.nets.iter().enumerate() {
            let bound = match net {
                IpNet::V4(_) => MAX_V4_PREFIX_BREADTH,
                IpNet::V6(_) => MAX_V6_PREFIX_BREADTH,
            };
            if net.prefix_len() < bound {
                return Err(broad(format!(
                    "entry {} ({net}) is broader than a /{bound}",
                    i + 1
                )));
            }
        }
        let (v4, v6) =
            IpNet::aggregate(&proxies.nets)
                .iter()
                .fold((0u64, 0u128), |(v4, v6), net| match net {
                    IpNet::V4(n) => (v4.saturating_add(1u64 << (32 - n.prefix_len())), v6),
                    IpNet::V6(n) => (
                        v4,
                        v6.saturating_add(
                            1u128
                                .checked_shl(128 - u32::from(n.prefix_len()))
                                .unwrap_or(u128::MAX),
                        ),
                    ),
                });
        let n = u64::from(MAX_TRUSTED_RANGES);
        if v4 > n << (32 - MAX_V4_PREFIX_BREADTH) {
            return Err(broad(format!(
                "the IPv4 ranges together hold more addresses than {n} /{MAX_V4_PREFIX_BREADTH}s"
            )));
        }
        if v6 > u128::from(n) << (128 - MAX_V6_PREFIX_BREADTH) {
            return Err(broad(format!(
                "the IPv6 ranges together hold more addresses than {n} /{MAX_V6_PREFIX_BREADTH}s"
            )));
        }
        Ok(proxies)
    }

    /// [`TrustedProxies::parse`] without the bound on breadth: any ranges
    /// but a list that trusts every address of a family (`0.0.0.0/0`,
    /// `::/0`, `::ffff:0.0.0.0/96`, or ranges that together cover all of IPv4
    /// or IPv6, such as `0.0.0.0/1, 128.0.0.0/1`), which is always refused.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `CUSTOMAUTH_TRUSTED_PROXIES` and the
    /// first entry (by position and text) that cannot be parsed, or saying
    /// which entry (or that the entries together) cover everyone.
    pub fn parse_broad(list: &str) -> Result<Self, ConfigError> {
        let mut nets = Vec::new();
        let mut everyone = None;
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
            if net.prefix_len() == 0 && everyone.is_none() {
                everyone = Some(format!("entry {} ({entry}) trusts", i + 1));
            }
            nets.push(net);
        }
        if let Some(family) = family_covered(&nets) {
            let which = everyone.unwrap_or_else(|| "the entries together trust".to_owned());
            return Err(ConfigError::Invalid {
                var: VAR_TRUSTED_PROXIES,
                reason: format!(
                    "{which} every {family} address, so any client could choose its \
                     address with a forwarding header; list only your proxies' ranges"
                ),
            });
        }
        Ok(Self {
            nets,
            header: ForwardedHeader::default(),
        })
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

/// The address family (`"IPv4"` or `"IPv6"`) that `nets` cover entirely,
/// if any.
fn family_covered(nets: &[IpNet]) -> Option<&'static str> {
    let all_v4 = IpNet::V4(Ipv4Net::new(Ipv4Addr::UNSPECIFIED, 0).ok()?);
    let all_v6 = IpNet::V6(Ipv6Net::new(Ipv6Addr::UNSPECIFIED, 0).ok()?);
    let merged = IpNet::aggregate(&nets.to_vec());
    [("IPv4", all_v4), ("IPv6", all_v6)]
        .into_iter()
        .find(|(_, all)| merged.contains(all))
        .map(|(family, _)| family)
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
/// the last address known, or `None`. Takes a `lambda_http::Request` as well
/// as an `http::Request` with any other body; [`client_ip_parts`] on the
/// request's headers and extensions.
pub fn client_ip<B>(req: &Request<B>, trusted: &TrustedProxies) -> Option<IpAddr> {
    client_ip_parts(req.headers(), req.extensions(), trusted)
}

/// [`client_ip`] from the parts of a request it reads: the headers
/// (`X-Forwarded-For`, `Forwarded`) and the extensions (the lambda_http
/// [`RequestContext`], or in HTTP mode the [`PeerAddr`]). The body is never
/// read, so a tower layer can call this on a request of any body type.
///
/// Never fails: unparseable or missing data gives the last address known,
/// or `None`.
pub fn client_ip_parts(
    headers: &HeaderMap,
    extensions: &Extensions,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.as_deref().and_then(parse_hop)
        }
        Some(RequestContext::ApiGatewayV1(ctx)) => {
            ctx.identity.source_ip.as_deref().and_then(parse_hop)
        }
        Some(RequestContext::Alb(_)) => {
            let mut hops = forwarded_for(headers);
            // ALB appends the address it saw: the last entry is its peer.
            let peer = hops.next().and_then(parse_hop)?;
            match trusted.header {
                ForwardedHeader::XForwardedFor => Some(walk(peer, hops, trusted)),
                // The proxies in front of ALB write `Forwarded`: what they
                // saw is there, and the rest of X-Forwarded-For is the
                // client's.
                ForwardedHeader::Forwarded => Some(walk(peer, forwarded(headers), trusted)),
                ForwardedHeader::XRealIp => Some(walk(peer, real_ip(headers), trusted)),
            }
        }
        Some(_) => None,
        None => {
            let peer = extensions.get::<PeerAddr>()?.0.ip().to_canonical();
            if !trusted.contains(peer) {
                return Some(peer);
            }
            // One header, never a fallback: a client could send the one
            // our proxies do not write.
            match trusted.header {
                ForwardedHeader::XForwardedFor => Some(walk(peer, forwarded_for(headers), trusted)),
                ForwardedHeader::Forwarded => Some(walk(peer, forwarded(headers), trusted)),
                ForwardedHeader::XRealIp => Some(walk(peer, real_ip(headers), trusted)),
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

/// The one `X-Real-IP` value as a single hop; two lines give an empty
/// (unparseable) hop, so the walk stays at the peer.
fn real_ip(headers: &HeaderMap) -> std::option::IntoIter<&str> {
    let mut lines = headers.get_all("x-real-ip").iter();
    match (lines.next(), lines.next()) {
        (None, _) => None,
        (Some(one), None) if one.len() <= MAX_HEADER_BYTES => Some(one.to_str().unwrap_or("")),
        (Some(_), _) => Some(""),
    }
    .into_iter()
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
mod tests;
