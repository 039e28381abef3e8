//! getUserInfo: `GET` or `POST` (any path) → the verified caller as the
//! SDK's `auth().getUserInfo()` shape `{"openId", "appId", "uid",
//! "customUserId", "isAnonymous"}`; 401 without one.
//!
//! Runs on Lambda or as an HTTP server on `HOST:PORT`. Locally: `make run`, or
//! `CUSTOMAUTH_CALLER_AUTH=jwt CUSTOMAUTH_JWT_SECRET=... PORT=9002 cargo run -p get-user-info`.

use customauth::handlers::GetUserInfo;
use customauth::server::{init_tracing, run_function};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    let _log = init_tracing(&env);
    let state = GetUserInfo::from_env(&env);
    run_function("get-user-info", &env, state, |s, req| async move {
        s.handle(req).await
    })
    .await
}
