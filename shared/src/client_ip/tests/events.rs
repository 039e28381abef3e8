//! Lambda events: the source IP the gateway saw, ALB's walk.

use super::*;

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
