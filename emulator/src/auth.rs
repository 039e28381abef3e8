//! The sign-in semantics, shared by both protocols: tickets, sessions (login
//! states), access tokens, anonymous users and linking.

use crate::envs::{AcceptedTicket, Environments, TicketRefusal};
use crate::store::{Dump, Lifetimes, Session, Store, StoreError, User};
use crate::tokens::{AccessClaims, TokenKey};

/// Access-token lifetime of anonymous sessions: 7200 s, the documented
/// default.
pub const ANONYMOUS_ACCESS_MS: u64 = 7_200_000;
/// Login-state lifetime of anonymous sessions: 30 days, the documented
/// refresh-token lifetime.
pub const ANONYMOUS_SESSION_MS: u64 = 30 * 24 * 3_600_000;

/// Why a call was refused. Each protocol maps these to its own shape.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The env is not configured. The client's value is shown escaped and
    /// cut (messages are logged).
    #[error("env {} is not configured in this emulator", shown(.0))]
    UnknownEnv(String),
    /// A required parameter is missing or mistyped.
    #[error("{0}")]
    BadRequest(String),
    /// The ticket was refused.
    #[error("{0}")]
    Ticket(TicketRefusal),
    /// The access token is not one of ours or is for another env.
    #[error("{0}")]
    AccessTokenInvalid(String),
    /// The access token's `exp` has passed.
    #[error("access token expired")]
    AccessTokenExpired,
    /// The access token's login state has ended (signed out, replaced).
    #[error("the login state of this access token has ended ({0})")]
    SessionEnded(String),
    /// Unknown, rotated or ended refresh token.
    #[error("refresh token is invalid ({0})")]
    RefreshTokenInvalid(String),
    /// The login state's `expire` has passed.
    #[error("refresh token expired: the login state ended at {0} ms")]
    RefreshTokenExpired(u64),
    /// Linking a customUserId that another user already has.
    #[error("customUserId {0} is already bound to another user")]
    CustomUserIdTaken(String),
    /// Linking a user that already has a customUserId.
    #[error("the current user already has a customUserId")]
    AlreadyCustom,
    /// The operation needs an anonymous user.
    #[error("the current user is not anonymous")]
    NotAnonymous,
    /// The store failed (details logged).
    #[error("internal error")]
    Internal,
}

/// A client's value as messages and logs show it: escaped (no newline or
/// escape sequence reaches a log line), at most 64 characters.
pub fn shown(value: &str) -> String {
    value.escape_debug().take(64).collect()
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::TicketReused => Self::Ticket(TicketRefusal::Reused),
            StoreError::AlreadyCustom => Self::AlreadyCustom,
            StoreError::NoUser => Self::SessionEnded("the user was deleted".into()),
            StoreError::CustomUserIdTaken => Self::CustomUserIdTaken(String::new()),
            StoreError::Sqlite(e) => {
                tracing::error!(error = %e, "store failed");
                Self::Internal
            }
        }
    }
}

/// A signed-in user with a session. Access tokens are issued on demand
/// ([`Service::issue`]): v1 sign-ins do not carry one.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user.
    pub user: User,
    /// The session.
    pub session: Session,
}

/// The caller behind an access token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
}

/// Everything the handlers need.
#[derive(Debug)]
pub struct Service {
    /// The environments.
    pub envs: Environments,
    /// The access-token key.
    pub tokens: TokenKey,
    /// The store: only through the methods below, which hold the rules.
    store: Store,
    /// `iss` of access tokens: the emulator's base URL.
    pub issuer: String,
    /// Identity lookups answered: v1 `auth.getUserInfo` and v2
    /// `GET /auth/v1/user/me` (`GET /emulator/v1/stats`).
    pub lookups: Lookups,
}

/// Counts of identity lookups, by protocol: what a backend that checks
/// CloudBase logins (customauth's `cloudbase` mode) costs the service.
#[derive(Debug, Default)]
pub struct Lookups {
    /// v1 `auth.getUserInfo` calls.
    pub v1: std::sync::atomic::AtomicU64,
    /// v2 `GET /auth/v1/user/me` calls.
    pub v2: std::sync::atomic::AtomicU64,
}

/// An environment's users and live sessions, for the admin routes.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Users, oldest first.
    pub users: Vec<User>,
    /// Sessions not ended and not expired, oldest first.
    pub sessions: Vec<Session>,
}

impl Service {
    /// The service over `store`, issuing access tokens with `tokens` as
    /// `issuer`.
    pub fn new(envs: Environments, tokens: TokenKey, store: Store, issuer: String) -> Self {
        Self {
            envs,
            tokens,
            store,
            issuer,
            lookups: Lookups::default(),
        }
    }

    /// Checks that `env` is configured.
    ///
    /// # Errors
    /// [`AuthError::UnknownEnv`].
    pub fn check_env(&self, env: &str) -> Result<(), AuthError> {
        self.envs
            .get(env)
            .map(|_| ())
            .ok_or_else(|| AuthError::UnknownEnv(env.to_owned()))
    }

    fn ticket(&self, env: &str, ticket: &str, now_ms: u64) -> Result<AcceptedTicket, AuthError> {
        self.check_env(env)?;
        if ticket.is_empty() {
            return Err(AuthError::BadRequest("ticket is required".into()));
        }
        self.envs
            .check_ticket(env, ticket, now_ms)
            .map_err(AuthError::Ticket)
    }

    /// A fresh access token for `session`: it lives the session's access
    /// lifetime, never past the end of the login state.
    pub fn issue(&self, user: &User, session: &Session, now_ms: u64) -> (String, u64) {
        let life = session
            .access_lifetime_ms
            .min(session.expires_ms.saturating_sub(now_ms));
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub: user.uid.clone(),
            aud: user.env.clone(),
            iat: now_ms / 1000,
            // Rounded up: the server never refuses a token before the
            // client's own clock (now + lifetime) says it has expired.
            exp: (now_ms + life).div_ceil(1000),
            sid: session.id.clone(),
            scope: if user.anonymous { "anonymous" } else { "user" }.into(),
            project_id: user.env.clone(),
            custom_user_id: user.custom_user_id.clone(),
        };
        (self.tokens.issue(&claims), life)
    }

    /// `signInWithTicket`: verifies the ticket, signs its customUserId in
    /// (one uid per env and customUserId), ends the user's earlier sessions.
    ///
    /// # Errors
    /// [`AuthError::Ticket`] and the env and store errors.
    pub fn sign_in_with_ticket(
        &self,
        env: &str,
        ticket: &str,
        now_ms: u64,
    ) -> Result<SignedIn, AuthError> {
        let t = self.ticket(env, ticket, now_ms)?;
        let (user, session) = self.store.sign_in_custom(
            env,
            &t.custom_user_id,
            (&t.signature, t.exp_ms),
            Lifetimes {
                access_ms: t.refresh_ms,
                expires_ms: t.expire_ms,
            },
            now_ms,
        )?;
        Ok(SignedIn { user, session })
    }

    /// `signInAnonymously`: with `resume` = (uuid, refresh token), the
    /// anonymous user `uuid` again when it still is one and the refresh token
    /// is that of one of its sessions (the SDKs send both: the stored uuid
    /// and the stored refresh token, also one the service has just refused);
    /// else a new anonymous user. The uuid alone proves nothing: it is the
    /// uid, which others may see.
    ///
    /// # Errors
    /// Env and store errors.
    pub fn sign_in_anonymously(
        &self,
        env: &str,
        resume: Option<(&str, &str)>,
        now_ms: u64,
    ) -> Result<SignedIn, AuthError> {
        self.check_env(env)?;
        let (user, session) = self.store.sign_in_anonymous(
            env,
            resume.filter(|(uuid, refresh)| !uuid.is_empty() && !refresh.is_empty()),
            Lifetimes {
                access_ms: ANONYMOUS_ACCESS_MS,
                expires_ms: now_ms + ANONYMOUS_SESSION_MS,
            },
            now_ms,
        )?;
        Ok(SignedIn { user, session })
    }

    /// The live session of `refresh_token` (in `env` when given).
    ///
    /// # Errors
    /// [`AuthError::RefreshTokenInvalid`], [`AuthError::RefreshTokenExpired`].
    pub fn session_of_refresh_token(
        &self,
        env: Option<&str>,
        refresh_token: &str,
        now_ms: u64,
    ) -> Result<(User, Session), AuthError> {
        if refresh_token.is_empty() {
            return Err(AuthError::BadRequest("refresh_token is required".into()));
        }
        let session = self
            .store
            .session_by_refresh_token(refresh_token)?
            .ok_or_else(|| AuthError::RefreshTokenInvalid("unknown refresh token".into()))?;
        if env.is_some_and(|e| e != session.env) {
            return Err(AuthError::RefreshTokenInvalid(
                "issued for another env".into(),
            ));
        }
        if let Some(reason) = &session.end_reason {
            return Err(AuthError::RefreshTokenInvalid(format!(
                "the login state has ended: {reason}"
            )));
        }
        if session.expires_ms <= now_ms {
            return Err(AuthError::RefreshTokenExpired(session.expires_ms));
        }
        let user = self
            .store
            .user(&session.env, &session.uid)?
            .ok_or_else(|| AuthError::RefreshTokenInvalid("the user was deleted".into()))?;
        Ok((user, session))
    }

    /// `fetchAccessTokenWithRefreshToken` / `grant_type=refresh_token`: a new
    /// access token for the session; with `rotate`, a new refresh token too.
    ///
    /// # Errors
    /// As [`Service::session_of_refresh_token`].
    pub fn refresh(
        &self,
        env: Option<&str>,
        refresh_token: &str,
        rotate: bool,
        now_ms: u64,
    ) -> Result<SignedIn, AuthError> {
        let (user, mut session) = self.session_of_refresh_token(env, refresh_token, now_ms)?;
        if rotate {
            session.refresh_token = self.store.rotate_refresh_token(&session.id)?;
        }
        Ok(SignedIn { user, session })
    }

    /// The caller behind `access_token` (of `env` when given), whose login
    /// state is live.
    ///
    /// # Errors
    /// [`AuthError::AccessTokenInvalid`], [`AuthError::AccessTokenExpired`],
    /// [`AuthError::SessionEnded`].
    pub fn authenticate(
        &self,
        env: Option<&str>,
        access_token: &str,
        now_ms: u64,
    ) -> Result<Caller, AuthError> {
        if access_token.is_empty() {
            return Err(AuthError::AccessTokenInvalid(
                "access_token is required".into(),
            ));
        }
        let claims = self
            .tokens
            .decode(access_token)
            .map_err(|e| AuthError::AccessTokenInvalid(e.to_string()))?;
        if env.is_some_and(|e| e != claims.aud) {
            return Err(AuthError::AccessTokenInvalid(
                "access token was issued for another env".into(),
            ));
        }
        if claims.exp.saturating_mul(1000) <= now_ms {
            return Err(AuthError::AccessTokenExpired);
        }
        let session = self
            .store
            .session(&claims.sid)?
            .ok_or_else(|| AuthError::SessionEnded("unknown session".into()))?;
        if let Some(reason) = session.end_reason {
            return Err(AuthError::SessionEnded(reason));
        }
        if session.expires_ms <= now_ms {
            return Err(AuthError::AccessTokenExpired);
        }
        let user = self
            .store
            .user(&session.env, &session.uid)?
            .ok_or_else(|| AuthError::SessionEnded("the user was deleted".into()))?;
        Ok(Caller { user })
    }

    /// `linkAndRetrieveDataWithTicket`: the anonymous user of the live
    /// session `refresh_token` (else of `access_token`) becomes the ticket's custom user, keeping its
    /// uid; refused when the customUserId is already registered. Starts a new
    /// session with the ticket's lifetimes.
    ///
    /// # Errors
    /// Ticket, refresh-token, [`AuthError::NotAnonymous`],
    /// [`AuthError::CustomUserIdTaken`] and store errors.
    pub fn link_anonymous(
        &self,
        env: &str,
        anonymous_uuid: &str,
        refresh_token: &str,
        access_token: &str,
        ticket: &str,
        now_ms: u64,
    ) -> Result<SignedIn, AuthError> {
        let t = self.ticket(env, ticket, now_ms)?;
        // js-sdk 1.x and tcb-js-sdk name the anonymous session by its
        // refresh token; uniCloud's anonymous login has none, only the access
        // token every v1 call carries.
        let user = if refresh_token.is_empty() {
            self.authenticate(Some(env), access_token, now_ms)?.user
        } else {
            self.session_of_refresh_token(Some(env), refresh_token, now_ms)?
                .0
        };
        if !user.anonymous || (!anonymous_uuid.is_empty() && anonymous_uuid != user.uid) {
            return Err(AuthError::NotAnonymous);
        }
        let (user, session) = self
            .store
            .link(
                env,
                &user.uid,
                &t.custom_user_id,
                (&t.signature, t.exp_ms),
                Some(Lifetimes {
                    access_ms: t.refresh_ms,
                    expires_ms: t.expire_ms,
                }),
                now_ms,
            )
            .map_err(|e| self.link_error(e, &t))?;
        let session = session.ok_or(AuthError::Internal)?;
        Ok(SignedIn { user, session })
    }

    /// `linkWithTicket`: binds the ticket's customUserId to the signed-in
    /// user (who has none), keeping its uid and session.
    ///
    /// # Errors
    /// Ticket, access-token, [`AuthError::AlreadyCustom`],
    /// [`AuthError::CustomUserIdTaken`] and store errors.
    pub fn link_with_ticket(
        &self,
        env: &str,
        access_token: &str,
        ticket: &str,
        now_ms: u64,
    ) -> Result<User, AuthError> {
        let t = self.ticket(env, ticket, now_ms)?;
        let caller = self.authenticate(Some(env), access_token, now_ms)?;
        let (user, _) = self
            .store
            .link(
                env,
                &caller.user.uid,
                &t.custom_user_id,
                (&t.signature, t.exp_ms),
                None,
                now_ms,
            )
            .map_err(|e| self.link_error(e, &t))?;
        Ok(user)
    }

    fn link_error(&self, e: StoreError, t: &AcceptedTicket) -> AuthError {
        match e {
            StoreError::CustomUserIdTaken => AuthError::CustomUserIdTaken(t.custom_user_id.clone()),
            e => e.into(),
        }
    }

    /// `logout`: ends the session of `refresh_token`. Ending an ended session
    /// is not an error; an unknown token is.
    ///
    /// # Errors
    /// [`AuthError::RefreshTokenInvalid`] and store errors.
    pub fn logout(&self, env: &str, refresh_token: &str, now_ms: u64) -> Result<(), AuthError> {
        self.check_env(env)?;
        let session = self
            .store
            .session_by_refresh_token(refresh_token)?
            .filter(|s| s.env == env)
            .ok_or_else(|| AuthError::RefreshTokenInvalid("unknown refresh token".into()))?;
        self.store.end_session(&session.id, "signed_out", now_ms)?;
        Ok(())
    }

    /// `/auth/v1/revoke`: ends the session of an access token (expired ones
    /// too) or of a refresh token.
    ///
    /// # Errors
    /// [`AuthError::AccessTokenInvalid`] when the token is neither, store
    /// errors.
    pub fn revoke(&self, token: &str, now_ms: u64) -> Result<(), AuthError> {
        let sid = match self.tokens.decode(token) {
            Ok(claims) => claims.sid,
            Err(e) => match self.store.session_by_refresh_token(token)? {
                Some(session) => session.id,
                None => return Err(AuthError::AccessTokenInvalid(e.to_string())),
            },
        };
        self.store.end_session(&sid, "signed_out", now_ms)?;
        Ok(())
    }

    /// The users and live sessions of `env` at `now_ms`.
    ///
    /// # Errors
    /// [`AuthError::UnknownEnv`], store errors.
    pub fn overview(&self, env: &str, now_ms: u64) -> Result<Overview, AuthError> {
        self.check_env(env)?;
        Ok(Overview {
            users: self.store.users(env)?,
            sessions: self.store.live_sessions(env, now_ms)?,
        })
    }

    /// Forgets every user and session of `env`; the number of users.
    ///
    /// # Errors
    /// [`AuthError::UnknownEnv`], store errors.
    pub fn clear(&self, env: &str) -> Result<usize, AuthError> {
        self.check_env(env)?;
        Ok(self.store.clear_env(env)?)
    }

    /// Adds (or replaces, by key) the users and sessions of `dump`
    /// (`--import`).
    ///
    /// # Errors
    /// Store errors, as their message.
    pub fn import(&self, dump: &Dump) -> Result<(), String> {
        self.store.import(dump).map_err(|e| e.to_string())
    }

    /// Every user and session (`--export-on-exit`).
    ///
    /// # Errors
    /// Store errors, as their message.
    pub fn export(&self) -> Result<Dump, String> {
        self.store.export().map_err(|e| e.to_string())
    }
}
