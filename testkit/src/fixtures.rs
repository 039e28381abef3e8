//! The fixtures under `tests/fixtures`, as constants (embedded at compile
//! time, so a test or fuzz run does no file I/O) and as paths (for processes
//! that read a file). Keys are throwaway test keys: see
//! `tests/fixtures/keys/README.md` for how they were made.

use std::path::{Path, PathBuf};

/// The repository's `tests/fixtures` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// The path of a fixture file, e.g. `keys/k2048-pkcs1.pem`.
pub fn fixture_path(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

/// Reads a fixture file as text.
pub fn fixture(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// A credentials JSON (console format) for a fixture key.
pub fn credentials_json(key_file: &str, key_id: &str, env_id: &str) -> String {
    serde_json::json!({
        "private_key_id": key_id,
        "private_key": fixture(&format!("keys/{key_file}")),
        "env_id": env_id,
    })
    .to_string()
}

/// The official SDK's tickets, made with a frozen clock (`tickets.json`).
pub const TICKETS: &str = include_str!("../../tests/fixtures/tickets.json");
/// customUserIds and whether the SDK accepts them (`custom-user-ids.json`).
pub const CUSTOM_USER_IDS: &str = include_str!("../../tests/fixtures/custom-user-ids.json");

/// Test keys (`keys/`).
pub mod keys {
    /// `k512-pkcs8.pem`: 512-bit RSA, PKCS#8: too small, refused.
    pub const K512_PKCS8: &str = include_str!("../../tests/fixtures/keys/k512-pkcs8.pem");
    /// `k1024-pkcs1.pem`: 1024-bit RSA, PKCS#1: the legacy path.
    pub const K1024_PKCS1: &str = include_str!("../../tests/fixtures/keys/k1024-pkcs1.pem");
    /// `k1024-pkcs8.pem`: another 1024-bit RSA key, PKCS#8.
    pub const K1024_PKCS8: &str = include_str!("../../tests/fixtures/keys/k1024-pkcs8.pem");
    /// `k2048-pkcs1.pem`: 2048-bit RSA, PKCS#1: the SDK vectors' main key.
    pub const K2048_PKCS1: &str = include_str!("../../tests/fixtures/keys/k2048-pkcs1.pem");
    /// `k2048-pkcs8.pem`: 2048-bit RSA, PKCS#8.
    pub const K2048_PKCS8: &str = include_str!("../../tests/fixtures/keys/k2048-pkcs8.pem");
    /// `k2048-public.pem`: the public half of `K2048_PKCS1` (SPKI PEM).
    pub const K2048_PUBLIC: &str = include_str!("../../tests/fixtures/keys/k2048-public.pem");
    /// `k3072-pkcs1.pem`: 3072-bit RSA, PKCS#1.
    pub const K3072_PKCS1: &str = include_str!("../../tests/fixtures/keys/k3072-pkcs1.pem");
    /// `k4096-pkcs8.pem`: 4096-bit RSA, PKCS#8.
    pub const K4096_PKCS8: &str = include_str!("../../tests/fixtures/keys/k4096-pkcs8.pem");
    /// `ec-p256-pkcs8.pem`: an EC P-256 private key: not RSA, refused as a ticket key.
    pub const EC_P256_PKCS8: &str = include_str!("../../tests/fixtures/keys/ec-p256-pkcs8.pem");
    /// `es256-private.pem`: EC P-256 private key that signs ES256 bearer JWTs.
    pub const ES256_PRIVATE: &str = include_str!("../../tests/fixtures/keys/es256-private.pem");
    /// `es256-public.pem`: the public half of `ES256_PRIVATE`.
    pub const ES256_PUBLIC: &str = include_str!("../../tests/fixtures/keys/es256-public.pem");
    /// `jwks.json`: a JWKS with the public keys of `K2048_PKCS1` and `ES256_PRIVATE`.
    pub const JWKS: &str = include_str!("../../tests/fixtures/keys/jwks.json");

    /// A fixture key by its file name.
    ///
    /// # Panics
    /// For a name that is not a fixture key.
    pub fn by_name(file: &str) -> &'static str {
        match file {
            "k512-pkcs8.pem" => K512_PKCS8,
            "k1024-pkcs1.pem" => K1024_PKCS1,
            "k1024-pkcs8.pem" => K1024_PKCS8,
            "k2048-pkcs1.pem" => K2048_PKCS1,
            "k2048-pkcs8.pem" => K2048_PKCS8,
            "k2048-public.pem" => K2048_PUBLIC,
            "k3072-pkcs1.pem" => K3072_PKCS1,
            "k4096-pkcs8.pem" => K4096_PKCS8,
            "ec-p256-pkcs8.pem" => EC_P256_PKCS8,
            "es256-private.pem" => ES256_PRIVATE,
            "es256-public.pem" => ES256_PUBLIC,
            "jwks.json" => JWKS,
            other => panic!("no fixture key {other}"),
        }
    }
}

/// Real API Gateway v1/v2, function URL and ALB event JSON (`events/`).
pub mod events {
    /// `events/alb-create-ticket.json`.
    pub const ALB_CREATE_TICKET: &str =
        include_str!("../../tests/fixtures/events/alb-create-ticket.json");
    /// `events/alb-get-client-ip.json`.
    pub const ALB_GET_CLIENT_IP: &str =
        include_str!("../../tests/fixtures/events/alb-get-client-ip.json");
    /// `events/apigw-v1-create-ticket-cognito.json`.
    pub const APIGW_V1_CREATE_TICKET_COGNITO: &str =
        include_str!("../../tests/fixtures/events/apigw-v1-create-ticket-cognito.json");
    /// `events/apigw-v1-lambda-authorizer.json`.
    pub const APIGW_V1_LAMBDA_AUTHORIZER: &str =
        include_str!("../../tests/fixtures/events/apigw-v1-lambda-authorizer.json");
    /// `events/apigw-v2-create-ticket-api-key.json`.
    pub const APIGW_V2_CREATE_TICKET_API_KEY: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-create-ticket-api-key.json");
    /// `events/apigw-v2-create-ticket-base64.json`.
    pub const APIGW_V2_CREATE_TICKET_BASE64: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-create-ticket-base64.json");
    /// `events/apigw-v2-create-ticket-jwt.json`.
    pub const APIGW_V2_CREATE_TICKET_JWT: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-create-ticket-jwt.json");
    /// `events/apigw-v2-get-client-ip.json`.
    pub const APIGW_V2_GET_CLIENT_IP: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-get-client-ip.json");
    /// `events/apigw-v2-get-user-info.json`.
    pub const APIGW_V2_GET_USER_INFO: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-get-user-info.json");
    /// `events/apigw-v2-lambda-authorizer.json`.
    pub const APIGW_V2_LAMBDA_AUTHORIZER: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-lambda-authorizer.json");
    /// `events/apigw-v2-no-auth.json`.
    pub const APIGW_V2_NO_AUTH: &str =
        include_str!("../../tests/fixtures/events/apigw-v2-no-auth.json");
    /// `events/function-url-create-ticket.json`.
    pub const FUNCTION_URL_CREATE_TICKET: &str =
        include_str!("../../tests/fixtures/events/function-url-create-ticket.json");

    /// Every event fixture, with its file name.
    pub const ALL: &[(&str, &str)] = &[
        ("alb-create-ticket.json", ALB_CREATE_TICKET),
        ("alb-get-client-ip.json", ALB_GET_CLIENT_IP),
        (
            "apigw-v1-create-ticket-cognito.json",
            APIGW_V1_CREATE_TICKET_COGNITO,
        ),
        (
            "apigw-v1-lambda-authorizer.json",
            APIGW_V1_LAMBDA_AUTHORIZER,
        ),
        (
            "apigw-v2-create-ticket-api-key.json",
            APIGW_V2_CREATE_TICKET_API_KEY,
        ),
        (
            "apigw-v2-create-ticket-base64.json",
            APIGW_V2_CREATE_TICKET_BASE64,
        ),
        (
            "apigw-v2-create-ticket-jwt.json",
            APIGW_V2_CREATE_TICKET_JWT,
        ),
        ("apigw-v2-get-client-ip.json", APIGW_V2_GET_CLIENT_IP),
        ("apigw-v2-get-user-info.json", APIGW_V2_GET_USER_INFO),
        (
            "apigw-v2-lambda-authorizer.json",
            APIGW_V2_LAMBDA_AUTHORIZER,
        ),
        ("apigw-v2-no-auth.json", APIGW_V2_NO_AUTH),
        (
            "function-url-create-ticket.json",
            FUNCTION_URL_CREATE_TICKET,
        ),
    ];
}
