//! getClientIP: `GET` or `POST` (any path) → `{"ip": "..."}`, `""` when
//! unknown (as the SDK's `auth().getClientIP()`). Needs no secrets;
//! `CUSTOMAUTH_TRUSTED_PROXIES` lists the proxies whose `X-Forwarded-For` is
//! believed. On Lambda or as an HTTP server on `HOST:PORT`; locally
//! `make run`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    customauth::function::run::<customauth::handlers::GetClientIp>().await
}
