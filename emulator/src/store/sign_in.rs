//! The sign-in rules, each one transaction over the tables: a ticket signs
//! in once, one uid per env and customUserId, an anonymous user is resumed
//! only with a refresh token of its own, signing in again ends the user's
//! earlier sessions, linking keeps the uid. No SQL here: `users`,
//! `sessions` and `tickets` hold it.

use rusqlite::Transaction;

use super::{Lifetimes, Session, Store, StoreError, User, sessions, tickets, users};
use crate::ids::random_hex;

/// `existing`, else a new user of `env` (uids are 32 hex characters),
/// custom when `custom_user_id` is given, else anonymous.
fn existing_or_new(
    tx: &Transaction<'_>,
    existing: Option<User>,
    env: &str,
    custom_user_id: Option<&str>,
    now_ms: u64,
) -> rusqlite::Result<User> {
    if let Some(user) = existing {
        return Ok(user);
    }
    let user = User {
        env: env.to_owned(),
        uid: random_hex(16),
        custom_user_id: custom_user_id.map(str::to_owned),
        anonymous: custom_user_id.is_none(),
        created_ms: now_ms,
        last_sign_in_ms: None,
    };
    users::insert(tx, &user)?;
    Ok(user)
}

impl Store {
    /// Signs in the custom user `custom_user_id` (created on first sign-in,
    /// one uid per env and customUserId), ending the user's earlier sessions.
    ///
    /// # Errors
    /// [`StoreError::TicketReused`], or SQLite's error.
    pub fn sign_in_custom(
        &self,
        env: &str,
        custom_user_id: &str,
        ticket: (&str, u64),
        lifetimes: Lifetimes,
        now_ms: u64,
    ) -> Result<(User, Session), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tickets::consume(&tx, ticket.0, ticket.1, now_ms)?;
        let existing = users::by_custom_user_id(&tx, env, custom_user_id)?;
        let user = existing_or_new(&tx, existing, env, Some(custom_user_id), now_ms)?;
        sign_in(tx, user, lifetimes, now_ms)
    }

    /// Signs in an anonymous user: the one whose uid is `resume.0` when it
    /// is still anonymous and `resume.1` is the refresh token of one of its
    /// sessions (live or ended: proof that the caller is that client), else a
    /// new one. Ends that user's earlier sessions.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn sign_in_anonymous(
        &self,
        env: &str,
        resume: Option<(&str, &str)>,
        lifetimes: Lifetimes,
        now_ms: u64,
    ) -> Result<(User, Session), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let existing = match resume {
            Some((uid, refresh_token)) => {
                users::anonymous_with_refresh_token(&tx, env, uid, refresh_token)?
            }
            None => None,
        };
        let user = existing_or_new(&tx, existing, env, None, now_ms)?;
        sign_in(tx, user, lifetimes, now_ms)
    }

    /// Binds `custom_user_id` to the user `uid` (which keeps its uid and
    /// stops being anonymous). With `lifetimes`, ends the user's sessions and
    /// starts a new one (`linkAndRetrieveDataWithTicket`); without, keeps
    /// the current session (`linkWithTicket`).
    ///
    /// # Errors
    /// [`StoreError::CustomUserIdTaken`], [`StoreError::AlreadyCustom`],
    /// [`StoreError::TicketReused`], [`StoreError::NoUser`], SQLite's error.
    pub fn link(
        &self,
        env: &str,
        uid: &str,
        custom_user_id: &str,
        ticket: (&str, u64),
        lifetimes: Option<Lifetimes>,
        now_ms: u64,
    ) -> Result<(User, Option<Session>), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut user = users::by_uid(&tx, env, uid)?.ok_or(StoreError::NoUser)?;
        if user.custom_user_id.is_some() {
            return Err(StoreError::AlreadyCustom);
        }
        if users::by_custom_user_id(&tx, env, custom_user_id)?.is_some() {
            return Err(StoreError::CustomUserIdTaken);
        }
        tickets::consume(&tx, ticket.0, ticket.1, now_ms)?;
        users::bind_custom_user_id(&tx, &mut user, custom_user_id, now_ms)?;
        let session = match lifetimes {
            Some(lifetimes) => {
                sessions::end_all_of(&tx, env, uid, "linked", now_ms)?;
                Some(sessions::start(&tx, env, uid, lifetimes, now_ms)?)
            }
            None => None,
        };
        tx.commit()?;
        Ok((user, session))
    }
}

/// Signs `user` in at `now_ms` in `tx`: its last sign-in, the end of its
/// earlier sessions (signing in again replaces them), a new session; then
/// commits.
fn sign_in(
    tx: Transaction<'_>,
    mut user: User,
    lifetimes: Lifetimes,
    now_ms: u64,
) -> Result<(User, Session), StoreError> {
    users::touch(&tx, &mut user, now_ms)?;
    sessions::end_all_of(&tx, &user.env, &user.uid, "replaced", now_ms)?;
    let session = sessions::start(&tx, &user.env, &user.uid, lifetimes, now_ms)?;
    tx.commit()?;
    Ok((user, session))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::tests::LIFE;

    #[test]
    fn same_custom_user_keeps_uid_and_replaces_session() {
        let store = Store::in_memory().expect("store");
        let (a, s1) = store
            .sign_in_custom("e", "user_1", ("sig1", 5), LIFE, 1)
            .expect("first");
        let (b, s2) = store
            .sign_in_custom("e", "user_1", ("sig2", 5), LIFE, 2)
            .expect("second");
        assert_eq!(a.uid, b.uid);
        let s1 = store.session(&s1.id).expect("ok").expect("exists");
        assert_eq!(s1.end_reason.as_deref(), Some("replaced"));
        assert!(
            store
                .session(&s2.id)
                .expect("ok")
                .expect("exists")
                .ended_ms
                .is_none()
        );
    }

    #[test]
    fn reused_ticket_fails() {
        let store = Store::in_memory().expect("store");
        store
            .sign_in_custom("e", "user_1", ("sig1", 5), LIFE, 1)
            .expect("first");
        assert!(matches!(
            store.sign_in_custom("e", "user_1", ("sig1", 5), LIFE, 2),
            Err(StoreError::TicketReused)
        ));
    }
}
