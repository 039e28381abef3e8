//! The configured environments: one per console credentials file, each
//! checking tickets with the public key derived from its private key.

use std::collections::HashMap;
use std::path::Path;

use customauth_core::{Credentials, TicketSigner, TicketVerifier, VerifyError};

/// One CloudBase environment.
#[derive(Debug)]
pub struct Environment {
    /// `private_key_id`.
    pub key_id: String,
    verifier: TicketVerifier,
}

/// All environments, by id and by key id.
#[derive(Debug, Default)]
pub struct Environments {
    by_id: HashMap<String, Environment>,
    env_of_key: HashMap<String, String>,
    order: Vec<String>,
}

/// Why the emulator cannot start with these files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file is not a usable credentials JSON.
    #[error("credentials file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Two files name the same env.
    #[error("credentials file {path}: env {env} is already configured by {first}")]
    DuplicateEnv {
        /// The second file.
        path: String,
        /// The env.
        env: String,
        /// The first file.
        first: String,
    },
    /// Two files share a key id, so a ticket could not name its env.
    #[error("credentials file {path}: private_key_id {key_id} is already used by {first}")]
    DuplicateKeyId {
        /// The second file.
        path: String,
        /// The key id.
        key_id: String,
        /// The first file.
        first: String,
    },
    /// No file given.
    #[error("at least one --credentials FILE is required")]
    None,
}

/// Why a ticket was refused; [`TicketRefusal::reason`] is the code the
/// error answers carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketRefusal {
    /// The key id before `/@@/` names no configured environment.
    #[error("the ticket's private_key_id names no configured environment")]
    UnknownKey,
    /// Signed with a configured key for another env than the request's.
    #[error("the ticket was issued for env {ticket_env}, not {env}")]
    WrongEnv {
        /// The env the ticket names.
        ticket_env: String,
        /// The env of the request.
        env: String,
    },
    /// The library's verifier refused it.
    #[error("{0}")]
    Verify(VerifyError),
    /// Already exchanged once (the emulator's single-use rule).
    #[error("the ticket was already used to sign in; tickets are single use")]
    Reused,
}

impl TicketRefusal {
    /// A stable code saying why.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownKey => "TICKET_KEY_UNKNOWN",
            Self::WrongEnv { .. } => "TICKET_ENV_MISMATCH",
            Self::Reused => "TICKET_ALREADY_USED",
            Self::Verify(e) => match e {
                VerifyError::TooLong | VerifyError::Malformed(_) | VerifyError::Header => {
                    "TICKET_MALFORMED"
                }
                VerifyError::KeyIdMismatch => "TICKET_KEY_UNKNOWN",
                VerifyError::Algorithm(_) => "TICKET_ALGORITHM",
                VerifyError::Signature => "TICKET_SIGNATURE_INVALID",
                VerifyError::EnvMismatch => "TICKET_ENV_MISMATCH",
                VerifyError::Expired { .. } => "TICKET_EXPIRED",
                VerifyError::IssuedInFuture { .. } => "TICKET_ISSUED_IN_FUTURE",
                VerifyError::UserId(_) => "TICKET_UID_INVALID",
                VerifyError::Claims(m) if m.starts_with("exp must be after iat") => {
                    "TICKET_LIFETIME_INVALID"
                }
                VerifyError::Claims(_) => "TICKET_CLAIMS_INVALID",
            },
        }
    }
}

/// The claims of an accepted ticket, as the emulator uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedTicket {
    /// The customUserId.
    pub custom_user_id: String,
    /// Access-token lifetime, ms.
    pub refresh_ms: u64,
    /// End of the login state, ms since the epoch.
    pub expire_ms: u64,
    /// `exp` of the ticket, ms (how long its single-use mark is kept).
    pub exp_ms: u64,
    /// The signature segment, which identifies the ticket.
    pub signature: String,
}

impl Environments {
    /// Loads each file; refuses bad files, duplicate envs and duplicate key ids.
    ///
    /// # Errors
    /// [`LoadError`] naming the file and the problem.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<Self, LoadError> {
        if paths.is_empty() {
            return Err(LoadError::None);
        }
        let mut envs = Self::default();
        let mut files: HashMap<String, String> = HashMap::new();
        for path in paths {
            let path = path.as_ref();
            let shown = path.display().to_string();
            let file_error = |message: String| LoadError::File {
                path: shown.clone(),
                message,
            };
            let credentials =
                Credentials::from_file(path).map_err(|e| file_error(e.to_string()))?;
            let signer = TicketSigner::from_credentials(&credentials)
                .map_err(|e| file_error(e.to_string()))?;
            let env = credentials.env_id().to_owned();
            let key_id = credentials.key_id().to_owned();
            if let Some(first) = files.get(&format!("env:{env}")) {
                return Err(LoadError::DuplicateEnv {
                    path: shown,
                    env,
                    first: first.clone(),
                });
            }
            if let Some(first) = files.get(&format!("key:{key_id}")) {
                return Err(LoadError::DuplicateKeyId {
                    path: shown,
                    key_id,
                    first: first.clone(),
                });
            }
            files.insert(format!("env:{env}"), shown.clone());
            files.insert(format!("key:{key_id}"), shown);
            envs.env_of_key.insert(key_id.clone(), env.clone());
            envs.order.push(env.clone());
            envs.by_id.insert(
                env,
                Environment {
                    key_id,
                    verifier: signer.verifier(),
                },
            );
        }
        Ok(envs)
    }

    /// The environment `id`, if configured.
    pub fn get(&self, id: &str) -> Option<&Environment> {
        self.by_id.get(id)
    }

    /// Environment ids in the order of the flags.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str)
    }

    /// The env whose key the ticket names (its `private_key_id` before
    /// `/@@/`), unverified: for clients that name no env (the
    /// `signin/with/provider` of old js-sdk 2.x), before the ticket is checked
    /// for that env.
    pub fn env_of_ticket(&self, ticket: &str) -> Option<&str> {
        let (key_id, _) = ticket.split_once("/@@/")?;
        self.env_of_key.get(key_id).map(String::as_str)
    }

    /// Checks `ticket` for a sign-in to `env` at `now_ms`.
    ///
    /// # Errors
    /// [`TicketRefusal`] saying why.
    pub fn check_ticket(
        &self,
        env: &str,
        ticket: &str,
        now_ms: u64,
    ) -> Result<AcceptedTicket, TicketRefusal> {
        let key_id = ticket
            .split_once("/@@/")
            .map(|(k, _)| k)
            .ok_or(TicketRefusal::Verify(VerifyError::Malformed(
                "no private_key_id separator /@@/",
            )))?;
        let ticket_env = self
            .env_of_key
            .get(key_id)
            .ok_or(TicketRefusal::UnknownKey)?;
        let environment = self
            .by_id
            .get(ticket_env)
            .ok_or(TicketRefusal::UnknownKey)?;
        let claims = environment
            .verifier
            .verify(ticket, now_ms)
            .map_err(TicketRefusal::Verify)?;
        if claims.env != env {
            return Err(TicketRefusal::WrongEnv {
                ticket_env: claims.env,
                env: env.to_owned(),
            });
        }
        let signature = ticket.rsplit_once('.').map(|(_, s)| s).unwrap_or_default();
        Ok(AcceptedTicket {
            custom_user_id: claims.uid.as_str().to_owned(),
            refresh_ms: claims.refresh,
            expire_ms: claims.expire,
            exp_ms: claims.exp,
            signature: signature.to_owned(),
        })
    }
}
