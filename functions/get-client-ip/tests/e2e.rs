//! get-client-ip as a real process: HTTP mode and Lambda mode.

use customauth_testkit::{Process, RuntimeApi, fixture, free_port, lambda_env, request};

const BIN: &str = env!("CARGO_BIN_EXE_get-client-ip");

#[test]
fn http_mode_reports_the_peer_and_believes_only_trusted_proxies() {
    let p = Process::http(BIN, &[]).expect("starts");
    let r = request(
        "GET",
        &p.url("/getClientIP"),
        &[("x-forwarded-for", "6.6.6.6")],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["ip"], "127.0.0.1");
    let r = request("POST", &p.url("/anything"), &[], Some(b""));
    assert_eq!(r.json()["ip"], "127.0.0.1");
    let r = request("DELETE", &p.url("/getClientIP"), &[], None);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, POST"));

    let p = Process::http(BIN, &[("CUSTOMAUTH_TRUSTED_PROXIES", "127.0.0.0/8")]).expect("starts");
    let r = request(
        "GET",
        &p.url("/"),
        &[("x-forwarded-for", "6.6.6.6, 198.51.100.9")],
        None,
    );
    assert_eq!(r.json()["ip"], "198.51.100.9");
}

/// One forwarding header, chosen with CUSTOMAUTH_FORWARDED_HEADER: a client
/// that sends the other one cannot choose its address.
#[test]
fn http_mode_reads_only_the_chosen_forwarding_header() {
    let both = [
        ("x-forwarded-for", "6.6.6.6"),
        ("forwarded", "for=198.51.100.9"),
    ];
    // Default: X-Forwarded-For; a Forwarded header is the client's.
    let p = Process::http(BIN, &[("CUSTOMAUTH_TRUSTED_PROXIES", "127.0.0.1")]).expect("starts");
    let r = request("GET", &p.url("/"), &both, None);
    assert_eq!(r.json()["ip"], "6.6.6.6");
    let r = request("GET", &p.url("/"), &both[1..], None);
    assert_eq!(r.json()["ip"], "127.0.0.1");

    // forwarded: the proxy writes Forwarded and passes the client's
    // X-Forwarded-For through.
    let p = Process::http(
        BIN,
        &[
            ("CUSTOMAUTH_TRUSTED_PROXIES", "127.0.0.1"),
            ("CUSTOMAUTH_FORWARDED_HEADER", "forwarded"),
        ],
    )
    .expect("starts");
    let r = request("GET", &p.url("/"), &both, None);
    assert_eq!(r.json()["ip"], "198.51.100.9");
    let r = request("GET", &p.url("/"), &both[..1], None);
    assert_eq!(r.json()["ip"], "127.0.0.1");
}

#[test]
fn trust_settings_that_fail_open_refuse_to_start() {
    for (var, value) in [
        ("CUSTOMAUTH_FORWARDED_HEADER", "x-client-ip"),
        ("CUSTOMAUTH_TRUSTED_PROXIES", "0.0.0.0/0"),
        ("CUSTOMAUTH_TRUSTED_PROXIES", "10.0.0.0/8, ::/0"),
        ("CUSTOMAUTH_TRUSTED_PROXIES", "::ffff:0.0.0.0/96"),
    ] {
        let (code, out) = customauth_testkit::refuses_to_start(BIN, &[(var, value)]);
        assert_eq!(code, Some(2), "{var}={value}: {out}");
        assert!(out.contains(var), "{var}={value}: {out}");
    }
}

#[test]
fn trusted_proxy_lists_broader_than_the_bound_start_only_when_opted_out() {
    // All of IPv4 but 0.0.0.0/8, as 255 /8s and as ranges that halve; most
    // of IPv6's unicast space.
    let slash8s: String = (1..=255).map(|a| format!("{a}.0.0.0/8,")).collect();
    let halves: String = (1..=8)
        .map(|len| format!("{}.0.0.0/{len},", 256u32 >> len))
        .collect();
    for list in [slash8s.as_str(), halves.as_str(), "2000::/3"] {
        let (code, out) =
            customauth_testkit::refuses_to_start(BIN, &[("CUSTOMAUTH_TRUSTED_PROXIES", list)]);
        assert_eq!(code, Some(2), "{list}: {out}");
        assert!(out.contains("CUSTOMAUTH_TRUSTED_PROXIES"), "{out}");
        assert!(
            out.contains("CUSTOMAUTH_ALLOW_BROAD_TRUSTED_PROXIES"),
            "{out}"
        );
        // With the opt-out the operator owns the choice: it starts, and a
        // peer in the range is believed.
        let p = Process::http(
            BIN,
            &[
                ("CUSTOMAUTH_TRUSTED_PROXIES", list),
                ("CUSTOMAUTH_ALLOW_BROAD_TRUSTED_PROXIES", "1"),
            ],
        )
        .expect("starts with the opt-out");
        let r = request(
            "GET",
            &p.url("/"),
            &[("x-forwarded-for", "198.51.100.9")],
            None,
        );
        assert_eq!(r.status, 200);
    }
}

#[test]
fn lambda_mode_reads_the_gateway_source_ip() {
    let api = RuntimeApi::start();
    let _p = Process::spawn(BIN, &lambda_env(&api, "get-client-ip"), free_port()).expect("starts");
    for (event, ip) in [
        ("events/apigw-v2-get-client-ip.json", "2001:db8::1"),
        ("events/apigw-v2-create-ticket-jwt.json", "203.0.113.7"),
        ("events/alb-get-client-ip.json", "10.0.0.5"),
    ] {
        let resp = api.invoke(&fixture(event)).expect(event);
        assert_eq!(resp["statusCode"], 200, "{event}: {resp}");
        let body: serde_json::Value =
            serde_json::from_str(resp["body"].as_str().expect("body")).expect("json");
        assert_eq!(body["ip"], ip, "{event}");
    }
}

#[test]
fn bad_trusted_proxies_refuse_to_start() {
    let (code, out) =
        customauth_testkit::refuses_to_start(BIN, &[("CUSTOMAUTH_TRUSTED_PROXIES", "not-a-cidr")]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("CUSTOMAUTH_TRUSTED_PROXIES"), "{out}");
}

/// get-client-ip ignores credentials, but at trace level it must not log
/// them either: the gateway forwards every header to it.
#[test]
fn trace_logs_hold_no_credentials() {
    const BEARER: &str = "Bearer a-bearer-token-for-another-service-0123";
    const COOKIE: &str = "session=a-session-cookie-0123456789";
    let mut p = Process::http(BIN, &[("RUST_LOG", "trace")]).expect("starts");
    let r = request(
        "GET",
        &p.url("/getClientIP"),
        &[("authorization", BEARER), ("cookie", COOKIE)],
        None,
    );
    assert_eq!(r.status, 200);
    let (code, logs) = p.finish();
    assert_eq!(code, Some(0), "{logs}");
    assert!(!logs.is_empty());
    for secret in [BEARER, COOKIE, "a-bearer-token", "a-session-cookie"] {
        assert!(!logs.contains(secret), "{secret} in logs:\n{logs}");
    }
}
