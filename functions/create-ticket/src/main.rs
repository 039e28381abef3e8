//! createTicket: `POST` (any path; the gateway routes) with JSON
//! `{"customUserId"?, "refresh"?, "expire"?}` → `{"ticket", ...}` for the
//! verified caller. On Lambda (`AWS_LAMBDA_RUNTIME_API` set) or as an HTTP
//! server on `HOST:PORT`; locally `make run`. `create-ticket --help` lists
//! the configuration; the README explains it.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    customauth::function::run::<customauth::handlers::CreateTicket>().await
}
