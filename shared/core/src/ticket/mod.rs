//! Custom login tickets, byte-identical to `@cloudbase/node-sdk`'s
//! `app.auth().createTicket`.
//!
//! `ticket = private_key_id + "/@@/" + JWT`, the JWT signed RS256, its header
//! exactly `{"alg":"RS256","typ":"JWT"}` and its payload keys in the SDK's
//! order: `{"alg","env","iat","exp","uid","refresh","expire"}`, every time in
//! milliseconds. `jsonwebtoken::encode` writes the header keys the other way
//! round, so the signing input is built by hand.
//!
//! | module      | what                                                           |
//! |-------------|----------------------------------------------------------------|
//! | `claims`    | the format: separator, header, [`Claims`], [`Ticket`]          |
//! | `options`   | [`TicketOptions`] and the caller [`Limits`]: one check         |
//! | `sign`      | [`TicketSigner`]                                               |
//! | `verify`    | [`TicketVerifier`], strict                                     |

mod claims;
mod options;
mod sign;
mod verify;

pub use claims::{
    Claims, HEADER_B64, HEADER_JSON, KEY_ID_SEPARATOR, MAX_SAFE_INTEGER, TICKET_LIFETIME_MS, Ticket,
};
pub use options::{
    DEFAULT_EXPIRE_AFTER_MS, DEFAULT_REFRESH_MS, InvalidOptions, LIMIT_SETTINGS, Limits,
    TicketOptions, VAR_MAX_EXPIRE_MS, VAR_MAX_REFRESH_MS,
};
pub use sign::{TicketError, TicketSigner};
pub use verify::{DEFAULT_LEEWAY_MS, MAX_TICKET_LEN, TicketVerifier, VerifyError};
