//! The three HTTP functions: createTicket, getUserInfo and getClientIP.
//!
//! Each implements [`Function`](crate::function::Function): a state built
//! once at cold start (`from_env`), the identity layer in front of it, and
//! `call`, which answers with a response or an `ApiError`. The binaries in
//! `functions/` only name the function to run.

mod create_ticket;
mod get_client_ip;
mod get_user_info;

pub use create_ticket::CreateTicket;
pub use get_client_ip::GetClientIp;
pub use get_user_info::GetUserInfo;

use crate::client_ip::{
    VAR_ALLOW_BROAD_TRUSTED_PROXIES, VAR_FORWARDED_HEADER, VAR_TRUSTED_PROXIES,
};
use crate::cors::VAR_CORS_ALLOWED_ORIGINS;
use crate::credentials::{
    VAR_ENV, VAR_FILE, VAR_INLINE, VAR_SECRET_ID, VAR_SPLIT_ENV_ID, VAR_SPLIT_KEY,
    VAR_SPLIT_KEY_ID, VAR_SSM_PARAMETER,
};
use crate::function::Variable;
use crate::identity::cloudbase::{
    VAR_CLOUDBASE_CACHE_ENTRIES, VAR_CLOUDBASE_CACHE_SECONDS, VAR_CLOUDBASE_ENDPOINT,
    VAR_CLOUDBASE_ENV, VAR_CLOUDBASE_REGION, VAR_CLOUDBASE_TIMEOUT_MS,
};
use crate::identity::{
    VAR_ALLOW_INSECURE_NONE, VAR_API_KEYS, VAR_API_KEYS_SECRET_ID, VAR_CALLER_AUTH,
    VAR_JWT_ALLOW_ANY_AUDIENCE, VAR_JWT_AUDIENCE, VAR_JWT_ISSUER, VAR_JWT_JWKS,
    VAR_JWT_JWKS_CACHE_MAX_SECONDS, VAR_JWT_JWKS_CACHE_MIN_SECONDS,
    VAR_JWT_JWKS_MIN_REFRESH_SECONDS, VAR_JWT_JWKS_STALE_SECONDS, VAR_JWT_JWKS_TIMEOUT_MS,
    VAR_JWT_JWKS_URL, VAR_JWT_OIDC_ISSUER, VAR_JWT_PUBLIC_KEY, VAR_JWT_SECRET, VAR_USER_ID_CLAIM,
};
use crate::server::http::{VAR_BODY_TIMEOUT_MS, VAR_MAX_CONNECTIONS, VAR_WRITE_TIMEOUT_MS};
use crate::server::log_queue::VAR_LOG_QUEUE_LINES;
use crate::server::{VAR_HOST, VAR_PORT, VAR_RUNTIME_API};
use crate::ticket::{VAR_MAX_EXPIRE_MS, VAR_MAX_REFRESH_MS};

/// The credentials variables (exactly one source).
const CREDENTIALS: &[Variable] = &[
    (VAR_FILE, "path to the console's tcb_custom_login.json"),
    (VAR_INLINE, "that JSON itself"),
    (
        VAR_SPLIT_KEY_ID,
        "split form: private_key_id (with the next two)",
    ),
    (
        VAR_SPLIT_KEY,
        "split form: the PEM private key (literal \\n allowed)",
    ),
    (VAR_SPLIT_ENV_ID, "split form: env_id"),
    (VAR_SECRET_ID, "AWS Secrets Manager secret holding the JSON"),
    (
        VAR_SSM_PARAMETER,
        "AWS SSM SecureString parameter holding the JSON",
    ),
    (
        "CUSTOMAUTH_CREDENTIALS_TTL_SECONDS",
        "how often an AWS-held key is re-read (default 300; 0 = never)",
    ),
    (VAR_ENV, "optional; must equal the credentials' env_id"),
];

/// The caller-auth variables.
const CALLER_AUTH: &[Variable] = &[
    (
        VAR_CALLER_AUTH,
        "gateway, jwt, api-key, none; get-user-info also cloudbase, cloudbase-context (required)",
    ),
    (
        VAR_ALLOW_INSECURE_NONE,
        "1 to allow none (development only)",
    ),
    (
        VAR_USER_ID_CLAIM,
        "claim carrying the customUserId (default sub)",
    ),
    (VAR_JWT_SECRET, "jwt mode: HS256 secret (32 bytes or more)"),
    (
        VAR_JWT_PUBLIC_KEY,
        "jwt mode: PEM public key (RS256 or ES256)",
    ),
    (VAR_JWT_JWKS, "jwt mode: JWKS document"),
    (
        VAR_JWT_JWKS_URL,
        "jwt mode: JWKS URL (https://), fetched and kept fresh",
    ),
    (
        VAR_JWT_OIDC_ISSUER,
        "jwt mode: issuer URL (OpenID discovery); tokens must carry it as iss",
    ),
    (
        VAR_JWT_JWKS_MIN_REFRESH_SECONDS,
        "jwt mode, keys at a URL: least time between refetches for an unknown kid (default 30)",
    ),
    (
        VAR_JWT_JWKS_CACHE_MIN_SECONDS,
        "jwt mode, keys at a URL: shortest key lifetime, and without max-age (default 300)",
    ),
    (
        VAR_JWT_JWKS_CACHE_MAX_SECONDS,
        "jwt mode, keys at a URL: longest key lifetime (default 86400)",
    ),
    (
        VAR_JWT_JWKS_STALE_SECONDS,
        "jwt mode, keys at a URL: last good keys serve this long while fetches fail (default 86400)",
    ),
    (
        VAR_JWT_JWKS_TIMEOUT_MS,
        "jwt mode, keys at a URL: bound on one fetch (default 5000)",
    ),
    (
        VAR_JWT_ISSUER,
        "jwt mode: accepted issuers (comma-separated)",
    ),
    (
        VAR_JWT_AUDIENCE,
        "jwt mode: accepted audiences (comma-separated)",
    ),
    (
        VAR_JWT_ALLOW_ANY_AUDIENCE,
        "jwt mode: 1 to start with neither issuer nor audience",
    ),
];

/// The CloudBase modes' variables (getUserInfo only).
const CLOUDBASE: &[Variable] = &[
    (
        VAR_CLOUDBASE_ENV,
        "cloudbase, cloudbase-context: the environment id (required)",
    ),
    (
        VAR_CLOUDBASE_REGION,
        "cloudbase: region (default ap-shanghai)",
    ),
    (
        VAR_CLOUDBASE_ENDPOINT,
        "cloudbase: origin to ask instead of CloudBase (the emulator)",
    ),
    (
        VAR_CLOUDBASE_TIMEOUT_MS,
        "cloudbase: bound on a lookup, then 503 (default 3000)",
    ),
    (
        VAR_CLOUDBASE_CACHE_SECONDS,
        "cloudbase: reuse of a verified token (default 30; 0 = off)",
    ),
    (
        VAR_CLOUDBASE_CACHE_ENTRIES,
        "cloudbase: tokens cached at most (default 10000)",
    ),
];

/// The API-key variables (createTicket only: an API key names a backend).
const API_KEYS: &[Variable] = &[
    (
        VAR_API_KEYS,
        "api-key mode: comma-separated keys (16+ characters, 8+ different, 64+ bits)",
    ),
    (
        VAR_API_KEYS_SECRET_ID,
        "api-key mode: a Secrets Manager secret holding them",
    ),
];

/// The ceilings on what a caller may ask for.
const LIMITS: &[Variable] = &[
    (VAR_MAX_REFRESH_MS, "ceiling on refresh (default one day)"),
    (
        VAR_MAX_EXPIRE_MS,
        "ceiling on expire - now (default 30 days)",
    ),
];

/// The client-IP variables.
const CLIENT_IP: &[Variable] = &[
    (
        VAR_TRUSTED_PROXIES,
        "CIDRs whose forwarding header is believed (at most /8 or /32 each; never everyone); cloudbase-context: the gateway's",
    ),
    (
        VAR_ALLOW_BROAD_TRUSTED_PROXIES,
        "1 to trust ranges broader than a /8 (IPv4) or /32 (IPv6), or more than four of them",
    ),
    (
        VAR_FORWARDED_HEADER,
        "the one header they write: x-forwarded-for (default), forwarded or x-real-ip",
    ),
];

/// How and where the function serves and logs.
const SERVER: &[Variable] = &[
    (VAR_HOST, "HTTP mode listen address (default 127.0.0.1)"),
    (VAR_PORT, "HTTP mode listen port (default 8080)"),
    (
        VAR_BODY_TIMEOUT_MS,
        "HTTP mode: time to send a whole body, then 408 (default 5000)",
    ),
    (
        VAR_MAX_CONNECTIONS,
        "HTTP mode: connections served at once (default 8192)",
    ),
    (
        VAR_WRITE_TIMEOUT_MS,
        "HTTP mode: time a client has to read an answer, then the connection closes (default 5000)",
    ),
    (
        VAR_LOG_QUEUE_LINES,
        "HTTP mode: log lines queued for a slow sink (default 128000); when full createTicket answers 503",
    ),
    (
        VAR_RUNTIME_API,
        "set by Lambda: serve the Lambda runtime API instead",
    ),
    ("RUST_LOG", "log level (default info)"),
    ("AWS_LAMBDA_LOG_FORMAT", "JSON for JSON lines on stdout"),
    (
        VAR_CORS_ALLOWED_ORIGINS,
        "browser origins allowed to call (comma-separated, exact)",
    ),
];
