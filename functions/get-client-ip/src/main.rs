//! getClientIP: `GET` or `POST` (any path) → `{"ip": "..."}`, `""` when
//! unknown (as the SDK's `auth().getClientIP()`).
//!
//! Runs on Lambda or as an HTTP server on `HOST:PORT`; needs no secrets.
//! Locally: `make run`, or `PORT=9003 cargo run -p get-client-ip`.
//! `CUSTOMAUTH_TRUSTED_PROXIES` lists the proxies whose `X-Forwarded-For` is believed.

use customauth::handlers::GetClientIp;
use customauth::server::{init_tracing, run_function};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    let _log = init_tracing(&env);
    let state = GetClientIp::from_env(&env);
    run_function("get-client-ip", &env, state, |s, req| async move {
        s.handle(req).await
    })
    .await
}
