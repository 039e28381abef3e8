//! # customauth
//!
//! Custom login tickets for Tencent CloudBase and uniCloud, as functions:
//! createTicket, getUserInfo and getClientIP on AWS Lambda (lambda_http) or
//! as plain HTTP servers, and the runtime middleware ([`layer`]) that any
//! lambda_http, axum or hyper service can put in front of its own routes.
//! The ticket core (customUserId, keys, tickets, credentials, verification)
//! is [`customauth_core`], re-exported here.
//!
//! ```no_run
//! use customauth::{CredentialsSource, CustomUserId, TicketOptions, TicketSigner};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Read the console's tcb_custom_login.json from the configured source, once.
//! let credentials = CredentialsSource::from_env(|k| std::env::var(k).ok())?.load_local()?;
//! let signer = TicketSigner::from_credentials(&credentials)?;
//!
//! // Per request: a validated customUserId in, a ticket out.
//! let uid: CustomUserId = "user_1234".parse()?;
//! let ticket = signer.sign_now(&uid, TicketOptions::default())?;
//!
//! // Anyone holding the key can check it.
//! let claims = signer.verifier().verify(ticket.as_str(), customauth::now_ms())?;
//! assert_eq!(claims.uid, uid);
//! # Ok(())
//! # }
//! ```
//!
//! | module        | what                                                               |
//! |---------------|--------------------------------------------------------------------|
//! | [`identity`]  | who is calling: the six caller-auth modes                          |
//! | [`client_ip`] | from where: the caller's address, trusted proxies                  |
//! | [`layer`]     | both as a tower layer, into the request's extensions               |
//! | [`cors`]      | the allow-list of browser origins                                  |
//! | [`origin`]    | a URL origin, parsed once for CORS and the CloudBase endpoint      |
//! | [`handlers`]  | the three functions                                                |
//! | [`function`]  | the contract they implement and the one entry point, [`function::run`] |
//! | [`api`]       | the API's rules: error model, strict JSON bodies, request ids, refusals |
//! | [`server`]    | Lambda runtime API or HTTP server; logging                         |
//! | [`log_queue`] | HTTP mode's log queue, and the audit line's room in it             |
//! | [`signer`]    | the signer of the moment, fixed or following a rotated secret      |
//! | [`aws`]       | Secrets Manager and SSM sources (feature `aws`)                    |

#![warn(missing_docs)]

pub mod api;
#[cfg(feature = "aws")]
pub mod aws;
pub mod client_ip;
pub mod cors;
pub mod function;
pub mod handlers;
pub mod identity;
pub mod layer;
pub mod log_queue;
pub mod origin;
pub mod server;
pub mod signer;

pub use customauth_core::{
    Claims, ConfigError, Credentials, CredentialsError, CredentialsSource, CustomUserId,
    InvalidOptions, InvalidUserId, KeyError, Limits, PublicKey, SigningKey, Ticket, TicketError,
    TicketOptions, TicketSigner, TicketVerifier, VerifyError, clock, config, credentials, env,
    json, key, now_ms, ticket, user_id,
};
