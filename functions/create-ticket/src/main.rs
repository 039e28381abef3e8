//! createTicket: `POST` (any path; the gateway routes) with JSON
//! `{"customUserId"?, "refresh"?, "expire"?}` → `{"ticket", ...}` for the
//! verified caller.
//!
//! Runs on Lambda (`AWS_LAMBDA_RUNTIME_API` set, or `cargo lambda watch`) or
//! as an HTTP server on `HOST:PORT`. Locally: `make run`, or
//! `CUSTOMAUTH_CREDENTIALS_FILE=.dev/credentials.json CUSTOMAUTH_CALLER_AUTH=api-key
//! CUSTOMAUTH_API_KEYS=... PORT=9001 cargo run -p create-ticket`.
//! Configuration: see the README.

use customauth::handlers::CreateTicket;
use customauth::server::{init_tracing, run_function};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    let _log = init_tracing(&env);
    let state = CreateTicket::from_env(&env).await;
    run_function("create-ticket", &env, state, |s, req| async move {
        s.handle(req).await
    })
    .await
}
