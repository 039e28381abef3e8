//! # customauth-core
//!
//! Custom login tickets for Tencent CloudBase and uniCloud, byte-identical
//! to the official `@cloudbase/node-sdk` (`app.auth().createTicket`), signed
//! at the hardware limit with a key parsed once. No async runtime, no HTTP,
//! no AWS SDK: the command line builds on this crate alone, the functions on
//! `customauth`, which re-exports it.
//!
//! ```no_run
//! use customauth_core::{CredentialsSource, CustomUserId, TicketOptions, TicketSigner};
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
//! let claims = signer.verifier().verify(ticket.as_str(), customauth_core::now_ms())?;
//! assert_eq!(claims.uid, uid);
//! # Ok(())
//! # }
//! ```
//!
//! | module          | what                                                              |
//! |-----------------|-------------------------------------------------------------------|
//! | [`user_id`]     | the SDK's customUserId rule                                       |
//! | [`key`]         | RSA keys; sub-2048-bit keys take a legacy path                    |
//! | [`credentials`] | the console's JSON and its sources (file, inline, split, remote)  |
//! | [`ticket`]      | format, options and limits, signing, verification                 |
//! | [`config`]      | [`ConfigError`], the error of every `from_env`                    |
//! | [`env`]         | the environment as a function; [`clock`], [`json`]: small helpers |

#![warn(missing_docs)]

pub mod clock;
pub mod config;
pub mod credentials;
pub mod env;
pub mod json;
pub mod key;
pub mod ticket;
pub mod user_id;

pub use clock::now_ms;
pub use config::ConfigError;
pub use credentials::{Credentials, CredentialsError, CredentialsSource};
pub use key::{KeyError, PublicKey, SigningKey};
pub use ticket::{
    Claims, InvalidOptions, Limits, Ticket, TicketError, TicketOptions, TicketSigner,
    TicketVerifier, VerifyError,
};
pub use user_id::{CustomUserId, InvalidUserId};
