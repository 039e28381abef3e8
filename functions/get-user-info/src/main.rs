//! getUserInfo: `GET` or `POST` (any path) → the verified caller in the
//! SDK's `auth().getUserInfo()` shape `{"openId", "appId", "uid",
//! "customUserId", "isAnonymous"}`; 401 without one. On Lambda or as an HTTP
//! server on `HOST:PORT`; locally `make run`. `get-user-info --help` lists
//! the configuration.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    customauth::function::run::<customauth::handlers::GetUserInfo>().await
}
