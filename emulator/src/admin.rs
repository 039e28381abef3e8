//! For people and tests: the HTML overview, the users of an environment as
//! JSON (and clearing it), and the JWKS of access tokens.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::{AuthError, Overview, Service};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn time(ms: u64) -> String {
    // RFC 3339 in UTC, without pulling in a date crate.
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

fn env_json(service: &Service, env: &str, now: u64) -> Result<Value, AuthError> {
    let Overview { users, sessions } = service.overview(env, now)?;
    Ok(json!({
        "env": env,
        "users": users.iter().map(|u| json!({
            "uid": u.uid,
            "customUserId": u.custom_user_id,
            "anonymous": u.anonymous,
            "createdAt": u.created_ms,
            "lastSignInAt": u.last_sign_in_ms,
        })).collect::<Vec<_>>(),
        "sessions": sessions.iter().map(|s| json!({
            "id": s.id,
            "uid": s.uid,
            "createdAt": s.created_ms,
            "expiresAt": s.expires_ms,
            "accessTokenLifetimeMs": s.access_lifetime_ms,
        })).collect::<Vec<_>>(),
    }))
}

/// The admin answer of a refusal: 404 for an env that is not configured,
/// else 500 (the store failed; logged).
fn refused(env: &str, e: &AuthError) -> Response {
    match e {
        AuthError::UnknownEnv(_) => (
            StatusCode::NOT_FOUND,
            Json(json!({"code": "INVALID_ENV", "message": format!("env {env} is not configured")})),
        )
            .into_response(),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /emulator/v1/envs/ENV/users`.
pub async fn users(State(service): State<Arc<Service>>, Path(env): Path<String>) -> Response {
    match env_json(&service, &env, customauth_core::now_ms()) {
        Ok(v) => Json(v).into_response(),
        Err(e) => refused(&env, &e),
    }
}

/// `DELETE /emulator/v1/envs/ENV/users`: forgets every user and session.
pub async fn clear(State(service): State<Arc<Service>>, Path(env): Path<String>) -> Response {
    match service.clear(&env) {
        Ok(n) => {
            tracing::info!(env, users = n, "environment cleared");
            Json(json!({"env": env, "deletedUsers": n})).into_response()
        }
        Err(e) => refused(&env, &e),
    }
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(service): State<Arc<Service>>) -> Json<Value> {
    Json(service.tokens.jwks().clone())
}

/// `GET /`: environments, users and live sessions.
pub async fn index(State(service): State<Arc<Service>>) -> Response {
    let now = customauth_core::now_ms();
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>cloudbase-emulator</title>\
         <style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}\
         td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}code{font-size:.9em}</style></head><body>\
         <h1>cloudbase-emulator</h1>",
    );
    let _ = write!(
        html,
        "<p>v1: <code>POST /web?env=ENV</code> · v2: <code>/auth/v1/…</code> · \
         <a href=\"/.well-known/jwks.json\">JWKS</a> (kid <code>{}</code>) · now {}</p>",
        escape(service.tokens.kid()),
        time(now)
    );
    for env in service.envs.ids() {
        let Ok(data) = env_json(&service, env, now) else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let _ = write!(
            html,
            "<h2>env <code>{0}</code></h2><p>private_key_id <code>{1}</code> · \
             <a href=\"/emulator/v1/envs/{0}/users\">as JSON</a></p>\
             <h3>Users</h3><table><tr><th>uid</th><th>customUserId</th><th>anonymous</th>\
             <th>created</th><th>last sign-in</th></tr>",
            escape(env),
            escape(service.envs.get(env).map_or("", |e| e.key_id.as_str())),
        );
        for u in data["users"].as_array().into_iter().flatten() {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(u["uid"].as_str().unwrap_or("")),
                escape(u["customUserId"].as_str().unwrap_or("")),
                if u["anonymous"].as_bool().unwrap_or(false) {
                    "yes"
                } else {
                    "no"
                },
                u["createdAt"].as_u64().map(time).unwrap_or_default(),
                u["lastSignInAt"].as_u64().map(time).unwrap_or_default(),
            );
        }
        html.push_str(
            "</table><h3>Live sessions</h3><table><tr><th>uid</th><th>started</th>\
             <th>login state expires</th><th>access token lifetime</th></tr>",
        );
        for s in data["sessions"].as_array().into_iter().flatten() {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} s</td></tr>",
                escape(s["uid"].as_str().unwrap_or("")),
                s["createdAt"].as_u64().map(time).unwrap_or_default(),
                s["expiresAt"].as_u64().map(time).unwrap_or_default(),
                s["accessTokenLifetimeMs"].as_u64().unwrap_or(0) / 1000,
            );
        }
        html.push_str("</table>");
    }
    html.push_str("</body></html>");
    Html(html).into_response()
}

/// `GET /emulator/v1/stats`: identity lookups answered since start,
/// `{"userInfoLookups": {"v1": N, "v2": M}}`.
pub async fn stats(State(service): State<Arc<Service>>) -> Json<serde_json::Value> {
    use std::sync::atomic::Ordering::Relaxed;
    Json(serde_json::json!({
        "userInfoLookups": {
            "v1": service.lookups.v1.load(Relaxed),
            "v2": service.lookups.v2.load(Relaxed),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats_utc() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(time(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn escape_escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}
