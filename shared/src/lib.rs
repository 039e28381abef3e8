//! # customauth
//!
//! Custom login tickets for Tencent CloudBase and uniCloud, byte-identical
//! to the official `@cloudbase/node-sdk` (`app.auth().createTicket`), signed
//! at the hardware limit with a key parsed once.
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
//! Modules: [`ticket`] (format, options, signing), [`verify`], [`user_id`]
//! (the SDK's customUserId rule), [`key`] (RSA keys; sub-2048-bit keys take a
//! legacy path), [`credentials`] (the console's JSON and its sources).

#![warn(missing_docs)]

#[cfg(feature = "aws")]
pub mod aws;
pub mod client_ip;
pub mod config;
pub mod credentials;
#[doc(hidden)]
pub mod fuzzing;
pub mod handlers;
pub mod http;
pub mod identity;
pub mod key;
pub mod server;
pub mod ticket;
pub mod user_id;
pub mod verify;

pub use config::ConfigError;
pub use credentials::{Credentials, CredentialsError, CredentialsSource};
pub use key::{KeyError, PublicKey, SigningKey};
pub use ticket::{
    Claims, InvalidOptions, Ticket, TicketError, TicketOptions, TicketSigner, now_ms,
};
pub use user_id::{CustomUserId, InvalidUserId};
pub use verify::{TicketVerifier, VerifyError};
