//! The API's request and response rules, the same for every function: the
//! error model ([`ApiError`]: every failure a JSON body with a code), strict
//! JSON bodies, the method check, request ids, and the rate-limited log of
//! refused and failed requests ([`refusals`]).
//!
//! The server (Lambda or HTTP) uses these rules; they know nothing of it.

mod body;
mod error;
pub mod refusals;
mod request;
#[cfg(test)]
mod tests;

pub use self::body::{MAX_BODY_BYTES, json_body, present, read_body};
pub use self::error::{ApiError, json_response};
pub use self::request::{
    INVALID_EVENT_MARKER, RequestId, check_method, local_request_id, request_id, request_id_of,
};
