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

mod headers;
#[cfg(test)]
mod tests;
mod trusted;

use std::net::{IpAddr, SocketAddr};

use customauth_core::env::Setting;
use lambda_http::http::{Extensions, HeaderMap, Request};
use lambda_http::request::RequestContext;

pub use self::headers::ForwardedHeader;
use self::headers::{forwarded, forwarded_for, parse_hop, real_ip};
pub use self::trusted::TrustedProxies;

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
            match trusted.header() {
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
            match trusted.header() {
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

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}
