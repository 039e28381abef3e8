//! Forged bearer JWTs presented to `CUSTOMAUTH_CALLER_AUTH=jwt`, each
//! beside its honest twin: the shared helpers, and the forgeries by kind.

mod algorithms;
mod claims;
mod encoding;

use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef-forgery";

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

/// jwt mode with `extra`. The forgeries here are about signatures, algorithms,
/// encodings and claims other than `aud`, whose honest twins carry no `aud`:
/// any audience is allowed unless `extra` sets one.
fn jwt_auth(extra: &[(&str, &str)]) -> CallerAuth {
    let mut pairs = vec![(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_ALLOW_ANY_AUDIENCE, "1")];
    pairs.extend_from_slice(extra);
    CallerAuth::from_env(&env(&pairs)).expect("valid jwt configuration")
}

fn hs_auth() -> CallerAuth {
    jwt_auth(&[(VAR_JWT_SECRET, SECRET)])
}

fn rs_auth() -> CallerAuth {
    jwt_auth(&[(VAR_JWT_PUBLIC_KEY, RSA_PUBLIC)])
}

fn es_auth() -> CallerAuth {
    jwt_auth(&[(VAR_JWT_PUBLIC_KEY, EC_PUBLIC)])
}

fn jwks_auth() -> CallerAuth {
    jwt_auth(&[(VAR_JWT_JWKS, JWKS)])
}

fn hs256(message: &[u8]) -> Vec<u8> {
    hmac_sha256(SECRET.as_bytes(), message)
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Claims with `sub` and `exp` written as given (JSON text).
fn jwt_claims_with(sub: &str, exp: &str) -> String {
    format!(r#"{{"sub":"{sub}","iat":{},"exp":{exp}}}"#, now_s())
}

fn jwt_claims() -> String {
    jwt_claims_with("user_1234", &(now_s() + 600).to_string())
}

fn header(alg: &str) -> String {
    format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)
}

/// An HS256 header whose base64url has unused trailing bits (35 bytes).
const HS256_HEADER_WITH_PAD: &str = r#"{"alg":"HS256","typ":"JWT","x":"1"}"#;

fn header_kid(alg: &str, kid: &str) -> String {
    format!(
        r#"{{"alg":"{alg}","typ":"JWT","kid":{}}}"#,
        serde_json::json!(kid)
    )
}

fn request_with_authorization(value: HeaderValue) -> Request {
    let mut req = Request::new(Body::Empty);
    req.headers_mut().insert("authorization", value);
    req
}

fn present(auth: &CallerAuth, token: &str) -> Result<Caller, AuthError> {
    let value = HeaderValue::from_str(&format!("Bearer {token}"))
        .unwrap_or_else(|e| panic!("{token:?} cannot be sent as a header: {e}"));
    auth.authenticate(&request_with_authorization(value))
}

#[track_caller]
fn assert_jwt_accepted(auth: &CallerAuth, token: &str) {
    match present(auth, token) {
        Ok(Caller::User(user)) => assert_eq!(user.user_id.as_str(), "user_1234"),
        other => panic!("the honest token was refused ({other:?}): {token}"),
    }
}

#[track_caller]
fn jwt_refusal(auth: &CallerAuth, token: &str) -> AuthError {
    match present(auth, token) {
        Ok(caller) => panic!("FORGERY ACCEPTED as {caller:?}: {token}"),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_jwt_refused(auth: &CallerAuth, token: &str, reason: &'static str) {
    assert_eq!(
        jwt_refusal(auth, token),
        AuthError::Invalid(reason),
        "{token}"
    );
}

const MALFORMED: &str = "malformed token";
const UNSUPPORTED: &str = "malformed token or unsupported algorithm";
const WRONG_ALG: &str = "the token's algorithm is not the configured key's";
const BAD_SIGNATURE: &str = "bad token signature";
const UNKNOWN_KID: &str = "the token's kid is not in the key set";
const TOO_LARGE: &str = "credential larger than 8 KiB";

/// Each jwt-mode configuration with its honest token for `claims`.
fn configurations(claims: &str) -> Vec<(&'static str, CallerAuth, String)> {
    vec![
        (
            "HS256 secret",
            hs_auth(),
            jws_json(&header("HS256"), claims, hs256),
        ),
        (
            "RS256 PEM",
            rs_auth(),
            jws_json(&header("RS256"), claims, rs256),
        ),
        (
            "ES256 PEM",
            es_auth(),
            jws_json(&header("ES256"), claims, es256),
        ),
        (
            "JWKS",
            jwks_auth(),
            jws_json(&header_kid("RS256", "k2048"), claims, rs256),
        ),
    ]
}
