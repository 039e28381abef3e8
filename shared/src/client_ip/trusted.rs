//! The proxies whose forwarding header is believed: parsed, and refused when
//! they could let a client choose its address (every address, or ranges
//! broader than the bound without the opt-out).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use customauth_core::config::ConfigError;
use customauth_core::env::var;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{
    ForwardedHeader, MAX_TRUSTED_RANGES, MAX_V4_PREFIX_BREADTH, MAX_V6_PREFIX_BREADTH,
    VAR_ALLOW_BROAD_TRUSTED_PROXIES, VAR_TRUSTED_PROXIES, truncate,
};

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
