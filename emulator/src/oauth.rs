//! The v2 (OAuth style) protocol of js-sdk 2.x under `/auth/v1/`. Bodies are
//! JSON sent as `text/plain`; an error is `{error, error_code?,
//! error_description}` with a 4xx or 5xx status.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{AuthError, Service, SignedIn};
use crate::envs::TicketRefusal;

/// `?client_id=ENV`.
#[derive(Debug, Deserialize)]
pub struct ClientQuery {
    client_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Body {
    client_id: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
    provider_id: Option<String>,
    ticket: Option<String>,
    provider_token: Option<String>,
    token: Option<String>,
}

/// A v2 error answer.
#[derive(Debug)]
pub struct OAuthError(AuthError);

impl From<AuthError> for OAuthError {
    fn from(e: AuthError) -> Self {
        Self(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let e = &self.0;
        let (status, error, code) = match e {
            AuthError::UnknownEnv(_) => (StatusCode::BAD_REQUEST, "unauthorized_client", None),
            AuthError::BadRequest(_) => (StatusCode::BAD_REQUEST, "invalid_argument", Some(3)),
            // OAuth's error for a grant that is invalid, expired, revoked or
            // issued to another client (RFC 6749 5.2). js-sdk 2.28+ and 3.x
            // file it as INVALID_CREDENTIALS ("credentials check failed");
            // permission_denied would be PROVIDER_NOT_ENABLED, whose help
            // text sends the developer to enable custom login in the console.
            AuthError::Ticket(_) => (StatusCode::BAD_REQUEST, "invalid_grant", None),
            AuthError::AccessTokenInvalid(_)
            | AuthError::AccessTokenExpired
            | AuthError::SessionEnded(_) => (StatusCode::UNAUTHORIZED, "unauthenticated", Some(16)),
            AuthError::RefreshTokenInvalid(_) | AuthError::RefreshTokenExpired(_) => {
                (StatusCode::BAD_REQUEST, "invalid_grant", None)
            }
            AuthError::CustomUserIdTaken(_) => (StatusCode::CONFLICT, "already_exists", Some(6)),
            AuthError::AlreadyCustom | AuthError::NotAnonymous => {
                (StatusCode::BAD_REQUEST, "failed_precondition", Some(9))
            }
            AuthError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", Some(13)),
        };
        let description = match e {
            AuthError::Ticket(r) => format!("{}: {r}", r.reason()),
            e => e.to_string(),
        };
        tracing::warn!(error, %description, "v2 call refused");
        let mut body = json!({"error": error, "error_description": description});
        if let Some(code) = code {
            body["error_code"] = code.into();
        }
        if let AuthError::Ticket(r) = e {
            body["reason"] = r.reason().into();
        }
        (status, Json(body)).into_response()
    }
}

fn parse_body(body: &Bytes) -> Result<Body, AuthError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Body::default());
    }
    serde_json::from_slice(body)
        .map_err(|_| AuthError::BadRequest("the body must be a JSON object".into()))
}

fn sdk(headers: &HeaderMap) -> String {
    headers
        .get("x-sdk-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .to_owned()
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn credentials(service: &Service, signed: &SignedIn, now: u64) -> Value {
    let (token, life) = service.issue(&signed.user, &signed.session, now);
    json!({
        "token_type": "Bearer",
        "access_token": token,
        "refresh_token": signed.session.refresh_token,
        "expires_in": life / 1000,
        "scope": if signed.user.anonymous { "anonymous" } else { "user" },
        "sub": signed.user.uid,
        "groups": [],
    })
}

/// The env of a call: `?client_id=`, else the body's `client_id`, else the
/// first label of the host the client meant (`ENV.ap-shanghai.tcb-api...`,
/// which the uniCloud client calls without a `client_id`; `X-Forwarded-Host`
/// when a proxy or shim rewrote the host, or `ENV.localhost`) when it names a
/// configured env.
fn env_of(
    service: &Service,
    query: &ClientQuery,
    body: &Body,
    headers: &HeaderMap,
) -> Result<String, AuthError> {
    if let Some(id) = query
        .client_id
        .clone()
        .or_else(|| body.client_id.clone())
        .filter(|c| !c.is_empty())
    {
        return Ok(id);
    }
    ["x-forwarded-host", "host"]
        .iter()
        .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .filter_map(|host| host.split_once('.').map(|(label, _)| label))
        .find(|label| service.envs.get(label).is_some())
        .map(str::to_owned)
        .ok_or_else(|| AuthError::BadRequest("client_id is required".into()))
}

/// `POST /auth/v1/signin/custom`.
pub async fn signin_custom(
    State(service): State<Arc<Service>>,
    Query(query): Query<ClientQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, OAuthError> {
    let body = parse_body(&body)?;
    let env = env_of(&service, &query, &body, &headers)?;
    if body.provider_id.as_deref().is_some_and(|p| p != "custom") {
        return Err(AuthError::BadRequest("provider_id must be custom".into()).into());
    }
    let ticket = body.ticket.as_deref().unwrap_or("");
    sign_in_with_ticket(&service, &env, ticket, &headers, "signin/custom")
}

/// `POST /auth/v1/signin/with/provider` `{"provider_id":"custom",
/// "provider_token":TICKET}`: how `@cloudbase/oauth` up to 2.5.6-beta.1
/// (js-sdk 2.0-2.5 from old lockfiles) signs in with a ticket; answered as
/// `signin/custom`, since the SDK stores the answer as its credentials.
///
/// Those clients send no `client_id`: the env is then the one whose key the
/// ticket names (the real service's per-env origin names it instead).
pub async fn signin_with_provider(
    State(service): State<Arc<Service>>,
    Query(query): Query<ClientQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, OAuthError> {
    let body = parse_body(&body)?;
    if body.provider_id.as_deref() != Some("custom") {
        return Err(AuthError::BadRequest(
            "provider_id must be custom: the emulator signs in with customauth tickets only".into(),
        )
        .into());
    }
    let ticket = body.provider_token.as_deref().unwrap_or("");
    if ticket.is_empty() {
        return Err(AuthError::BadRequest("provider_token is required".into()).into());
    }
    let env = match env_of(&service, &query, &body, &headers) {
        Ok(env) => env,
        Err(_) => match service.envs.env_of_ticket(ticket) {
            Some(env) => env.to_owned(),
            // No env named and none of ours signed it: the refusal
            // (TICKET_KEY_UNKNOWN, TICKET_MALFORMED) says why.
            None => {
                let refusal = service
                    .envs
                    .check_ticket("", ticket, customauth_core::now_ms())
                    .err()
                    .unwrap_or(TicketRefusal::UnknownKey);
                return Err(AuthError::Ticket(refusal).into());
            }
        },
    };
    sign_in_with_ticket(&service, &env, ticket, &headers, "signin/with/provider")
}

fn sign_in_with_ticket(
    service: &Service,
    env: &str,
    ticket: &str,
    headers: &HeaderMap,
    route: &'static str,
) -> Result<Json<Value>, OAuthError> {
    let now = customauth_core::now_ms();
    let signed = service.sign_in_with_ticket(env, ticket, now)?;
    tracing::info!(
        env,
        custom_user_id = signed.user.custom_user_id.as_deref().unwrap_or(""),
        uid = %signed.user.uid,
        sdk = sdk(headers),
        protocol = "v2",
        route,
        "sign-in with ticket"
    );
    Ok(Json(credentials(service, &signed, now)))
}

/// `POST /auth/v1/signin/anonymously`.
pub async fn signin_anonymously(
    State(service): State<Arc<Service>>,
    Query(query): Query<ClientQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, OAuthError> {
    let body = parse_body(&body)?;
    let env = env_of(&service, &query, &body, &headers)?;
    let now = customauth_core::now_ms();
    let signed = service.sign_in_anonymously(&env, None, now)?;
    tracing::info!(env, uid = %signed.user.uid, sdk = sdk(&headers), protocol = "v2", "anonymous sign-in");
    Ok(Json(credentials(&service, &signed, now)))
}

/// `POST /auth/v1/token` (`grant_type=refresh_token`): new credentials; the
/// refresh token is rotated.
pub async fn token(
    State(service): State<Arc<Service>>,
    Query(query): Query<ClientQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, OAuthError> {
    let body = parse_body(&body)?;
    // @cloudbase/oauth 2.0-2.5 name no env: the refresh token's session
    // has one.
    let env = env_of(&service, &query, &body, &headers).ok();
    if let Some(env) = &env {
        service.check_env(env)?;
    }
    if body.grant_type.as_deref() != Some("refresh_token") {
        return Err(AuthError::BadRequest("grant_type must be refresh_token".into()).into());
    }
    let now = customauth_core::now_ms();
    let signed = service.refresh(
        env.as_deref(),
        body.refresh_token.as_deref().unwrap_or(""),
        true,
        now,
    )?;
    Ok(Json(credentials(&service, &signed, now)))
}

/// `GET /auth/v1/user/me`.
///
/// With `?client_id=ENV`, a token of another env is refused, as the real
/// service's per-env origin (`ENV.REGION.tcb-api...`) would.
pub async fn user_me(
    State(service): State<Arc<Service>>,
    Query(query): Query<ClientQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, OAuthError> {
    service
        .lookups
        .v2
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = customauth_core::now_ms();
    let env = query.client_id.filter(|c| !c.is_empty());
    let caller = service.authenticate(env.as_deref(), &bearer(&headers), now)?;
    let user = &caller.user;
    let providers: Vec<Value> = user
        .custom_user_id
        .iter()
        .map(|c| json!({"id": "custom", "provider_user_id": c}))
        .collect();
    Ok(Json(json!({
        "sub": user.uid,
        "name": "",
        "picture": "",
        "username": "",
        "gender": "",
        "locale": "",
        "email": "",
        "phone_number": "",
        "groups": [],
        "providers": providers,
        "created_from": if user.anonymous { "anonymous" } else { "custom" },
        "status": "ACTIVE",
        "is_anonymous": user.anonymous,
        "created_at": user.created_ms,
    })))
}

/// `POST /auth/v1/revoke` `{"token"}`: ends the session of that token.
pub async fn revoke(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, OAuthError> {
    let body = parse_body(&body)?;
    let token = body
        .token
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| bearer(&headers));
    service.revoke(&token, customauth_core::now_ms())?;
    Ok(Json(json!({})))
}
