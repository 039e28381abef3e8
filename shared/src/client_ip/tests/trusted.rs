//! Parsing hops, the trusted proxies and the forwarding header from the
//! environment.

use customauth_core::config::ConfigError;

use super::*;

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
