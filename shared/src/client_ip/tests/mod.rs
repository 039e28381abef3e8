//! Where the client's address comes from, per kind of request, and the
//! bounds on the forwarding-header walk.

mod events;
mod http_mode;
mod trusted;

use super::headers::parse_hop;
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
