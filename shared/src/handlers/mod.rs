//! The three HTTP functions: createTicket, getUserInfo and getClientIP.
//!
//! Each implements [`Function`](crate::function::Function): a state built
//! once at cold start (`from_env`), the identity layer in front of it, and
//! `call`, which answers with a response or an `ApiError`. The binaries in
//! `functions/` only name the function to run. Each names the groups of
//! settings it reads, as the modules that read them declare them; the
//! server's are added by [`function`](crate::function) (handlers never
//! import the server).

mod create_ticket;
mod get_client_ip;
mod get_user_info;

pub use create_ticket::CreateTicket;
pub use get_client_ip::GetClientIp;
pub use get_user_info::GetUserInfo;
