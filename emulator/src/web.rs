//! The v1 protocol of js-sdk 1.x, tcb-js-sdk and uniCloud: `POST
//! /web?env=ENV` with a JSON body `{action, ...params, seqId}`. Every answer
//! is HTTP 200; an error is a body with `code` and `message`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{AuthError, Service};
use crate::store::User;

/// `?env=ENV`.
#[derive(Debug, Deserialize)]
pub struct EnvQuery {
    env: Option<String>,
}

/// The parameters any action may carry.
#[derive(Debug, Default, Deserialize)]
struct Params {
    action: Option<String>,
    env: Option<String>,
    #[serde(rename = "seqId")]
    seq_id: Option<String>,
    ticket: Option<String>,
    refresh_token: Option<String>,
    access_token: Option<String>,
    anonymous_uuid: Option<String>,
}

/// The v1 error code and message of `e`.
pub fn error_code(e: &AuthError) -> (&'static str, String) {
    let code = match e {
        AuthError::UnknownEnv(_) => "INVALID_ENV",
        AuthError::BadRequest(_) => "INVALID_PARAM",
        AuthError::Ticket(_) => "AUTH_INVALID_CUSTOM_LOGIN_TICKET",
        AuthError::AccessTokenInvalid(_) => "INVALID_ACCESS_TOKEN",
        // The SDK answers ACCESS_TOKEN_EXPIRED with one refresh, which then
        // fails with INVALID_REFRESH_TOKEN and ends the client's login state.
        AuthError::AccessTokenExpired | AuthError::SessionEnded(_) => "ACCESS_TOKEN_EXPIRED",
        AuthError::RefreshTokenInvalid(_) => "INVALID_REFRESH_TOKEN",
        AuthError::RefreshTokenExpired(_) => "REFRESH_TOKEN_EXPIRED",
        AuthError::CustomUserIdTaken(_) => "AUTH_CUSTOM_USER_ID_HAS_BEEN_BOUND",
        AuthError::AlreadyCustom | AuthError::NotAnonymous => "INVALID_OPERATION",
        AuthError::Internal => "SYS_ERR",
    };
    let message = match e {
        AuthError::Ticket(r) => format!("{}: {r}", r.reason()),
        e => e.to_string(),
    };
    (code, message)
}

/// The `data` of `auth.getUserInfo`.
pub fn user_info(user: &User) -> Value {
    json!({
        "uid": user.uid,
        "loginType": if user.custom_user_id.is_some() { "CUSTOM" } else { "ANONYMOUS" },
        "customUserId": user.custom_user_id.clone().unwrap_or_default(),
        "isAnonymous": user.anonymous,
        "nickName": "",
        "gender": "",
        "avatarUrl": "",
        "location": {"country": "", "province": "", "city": ""},
        "envId": user.env,
        "openid": "",
        "wxOpenId": "",
        "wxPublicId": "",
        "unionId": "",
        "hasPassword": false,
    })
}

/// `POST /web`.
pub async fn handle(
    State(service): State<Arc<Service>>,
    Query(query): Query<EnvQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params: Params = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(_) => {
            return axum::Json(json!({
                "code": "INVALID_PARAM",
                "message": "the body must be a JSON object",
                "requestId": crate::ids::random_hex(8),
            }))
            .into_response();
        }
    };
    let request_id = params
        .seq_id
        .clone()
        .unwrap_or_else(|| crate::ids::random_hex(8));
    let env = query
        .env
        .clone()
        .or_else(|| params.env.clone())
        .unwrap_or_default();
    let action = params.action.clone().unwrap_or_default();
    let sdk = headers
        .get("x-sdk-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .to_owned();
    let now = customauth_core::now_ms();
    let answer = dispatch(&service, &env, &action, &params, &sdk, now);
    let mut body = match answer {
        Ok(Value::Object(map)) => map,
        Ok(_) => serde_json::Map::new(),
        Err(e) => {
            let (code, message) = error_code(&e);
            tracing::warn!(env, action, code, message = ?message, sdk, "v1 call refused");
            let mut map = serde_json::Map::new();
            map.insert("code".into(), code.into());
            map.insert("message".into(), message.into());
            if let AuthError::Ticket(r) = &e {
                map.insert("reason".into(), r.reason().into());
            }
            map
        }
    };
    body.insert("requestId".into(), request_id.into());
    axum::Json(Value::Object(body)).into_response()
}

fn dispatch(
    service: &Service,
    env: &str,
    action: &str,
    p: &Params,
    sdk: &str,
    now: u64,
) -> Result<Value, AuthError> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    service.check_env(env)?;
    match action {
        "auth.signInWithTicket" => {
            let signed = service.sign_in_with_ticket(env, &s(&p.ticket), now)?;
            tracing::info!(
                env,
                custom_user_id = signed.user.custom_user_id.as_deref().unwrap_or(""),
                uid = %signed.user.uid,
                sdk,
                protocol = "v1",
                "sign-in with ticket"
            );
            Ok(json!({"refresh_token": signed.session.refresh_token}))
        }
        // tcb-js-sdk 1.3-1.6 call it auth.getJwt; same parameters and answer.
        "auth.fetchAccessTokenWithRefreshToken" | "auth.getJwt" => {
            let signed = service.refresh(Some(env), &s(&p.refresh_token), false, now)?;
            let (token, life) = service.issue(&signed.user, &signed.session, now);
            Ok(json!({"access_token": token, "access_token_expire": life}))
        }
        "auth.getUserInfo" => {
            service
                .lookups
                .v1
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let caller = service.authenticate(Some(env), &s(&p.access_token), now)?;
            Ok(json!({"data": user_info(&caller.user)}))
        }
        "auth.signInAnonymously" => {
            let signed = service.sign_in_anonymously(
                env,
                p.anonymous_uuid.as_deref().zip(p.refresh_token.as_deref()),
                now,
            )?;
            tracing::info!(env, uid = %signed.user.uid, sdk, protocol = "v1", "anonymous sign-in");
            Ok(json!({"uuid": signed.user.uid, "refresh_token": signed.session.refresh_token}))
        }
        "auth.linkAndRetrieveDataWithTicket" => {
            let signed = service.link_anonymous(
                env,
                &s(&p.anonymous_uuid),
                &s(&p.refresh_token),
                &s(&p.access_token),
                &s(&p.ticket),
                now,
            )?;
            tracing::info!(
                env,
                custom_user_id = signed.user.custom_user_id.as_deref().unwrap_or(""),
                uid = %signed.user.uid,
                sdk,
                protocol = "v1",
                "anonymous user linked with ticket"
            );
            Ok(json!({"refresh_token": signed.session.refresh_token}))
        }
        "auth.linkWithTicket" => {
            let user = service.link_with_ticket(env, &s(&p.access_token), &s(&p.ticket), now)?;
            tracing::info!(
                env,
                custom_user_id = user.custom_user_id.as_deref().unwrap_or(""),
                uid = %user.uid,
                sdk,
                protocol = "v1",
                "user linked with ticket"
            );
            Ok(json!({}))
        }
        "auth.logout" => {
            service.logout(env, &s(&p.refresh_token), now)?;
            Ok(json!({}))
        }
        "" => Err(AuthError::BadRequest("action is required".into())),
        other => Err(AuthError::BadRequest(format!(
            "action {} is not supported by the emulator",
            other.escape_debug().take(64).collect::<String>()
        ))),
    }
}
