//! The forwarding headers: which one the trusted proxies write
//! ([`ForwardedHeader`]), and their hops read from the right, bounded in
//! count and bytes, each parsed as an address or nothing.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use customauth_core::config::ConfigError;
use customauth_core::env::var;
use lambda_http::http::HeaderMap;

use super::{MAX_HEADER_BYTES, MAX_HOP_LEN, MAX_HOPS, VAR_FORWARDED_HEADER, truncate};

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
pub(super) fn real_ip(headers: &HeaderMap) -> std::option::IntoIter<&str> {
    let mut lines = headers.get_all("x-real-ip").iter();
    match (lines.next(), lines.next()) {
        (None, _) => None,
        (Some(one), None) if one.len() <= MAX_HEADER_BYTES => Some(one.to_str().unwrap_or("")),
        (Some(_), _) => Some(""),
    }
    .into_iter()
}

/// `X-Forwarded-For` entries, right to left.
pub(super) fn forwarded_for(headers: &HeaderMap) -> std::vec::IntoIter<&str> {
    hops_from_right(headers, "x-forwarded-for")
}

/// The `for=` value of each RFC 7239 `Forwarded` element, right to left; an
/// element without `for=` yields an empty (unparseable) hop.
///
/// Elements are split at every comma and parameters at every semicolon, even
/// inside quotes: `for=` values never contain either, and a quote-aware split
/// would let a client's unbalanced quote swallow the entries our proxies
/// appended to its right.
pub(super) fn forwarded(headers: &HeaderMap) -> impl Iterator<Item = &str> {
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
pub(super) fn parse_hop(hop: &str) -> Option<IpAddr> {
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
