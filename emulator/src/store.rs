//! The embedded store (SQLite through rusqlite): users, their identities,
//! sessions (login states) and used tickets. A file under the data directory,
//! or in memory for tests.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use crate::tokens::{random_hex, random_token};

/// Store file name inside the data directory.
pub const DB_FILE: &str = "emulator.sqlite3";

/// Connection settings, then the schema. One process owns the store
/// (`locking_mode = EXCLUSIVE`: no file-lock calls per transaction, the WAL
/// index in memory); small pages, because a sign-in writes one leaf of about
/// ten B-trees at random keys and every written page goes to the WAL whole
/// (`page_size` applies to a new store only); checkpoints every 4000 pages.
const SCHEMA: &str = "
PRAGMA page_size = 1024;
PRAGMA locking_mode = EXCLUSIVE;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA wal_autocheckpoint = 4000;
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS users (
    env TEXT NOT NULL,
    uid TEXT NOT NULL,
    custom_user_id TEXT,
    anonymous INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    last_sign_in_ms INTEGER,
    PRIMARY KEY (env, uid)
);
CREATE UNIQUE INDEX IF NOT EXISTS users_custom ON users (env, custom_user_id)
    WHERE custom_user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    env TEXT NOT NULL,
    uid TEXT NOT NULL,
    refresh_token TEXT NOT NULL UNIQUE,
    access_lifetime_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    end_reason TEXT,
    FOREIGN KEY (env, uid) REFERENCES users (env, uid) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (env, uid);
CREATE TABLE IF NOT EXISTS used_tickets (
    signature TEXT PRIMARY KEY,
    exp_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS used_tickets_exp ON used_tickets (exp_ms);
";

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Environment id.
    pub env: String,
    /// The stable CloudBase uid.
    pub uid: String,
    /// The customUserId, once bound.
    pub custom_user_id: Option<String>,
    /// Signed in anonymously and not linked.
    pub anonymous: bool,
    /// Created, ms since the epoch.
    pub created_ms: u64,
    /// Last sign-in, ms since the epoch.
    pub last_sign_in_ms: Option<u64>,
}

/// A login state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Session id (the `sid` claim of its access tokens).
    pub id: String,
    /// Environment id.
    pub env: String,
    /// The user.
    pub uid: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Lifetime of each access token, ms (the ticket's `refresh`).
    pub access_lifetime_ms: u64,
    /// End of the login state, ms since the epoch (the ticket's `expire`).
    pub expires_ms: u64,
    /// Created, ms since the epoch.
    pub created_ms: u64,
    /// Ended (signed out, replaced, linked), ms since the epoch.
    pub ended_ms: Option<u64>,
    /// Why it ended: `signed_out`, `replaced`, `linked`, `rotated`.
    pub end_reason: Option<String>,
}

/// Lifetimes of a new session.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Access token lifetime, ms.
    pub access_ms: u64,
    /// End of the login state, ms since the epoch.
    pub expires_ms: u64,
}

/// Why a store operation was refused (client errors).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The customUserId belongs to another user.
    #[error("customUserId is already bound to another user")]
    CustomUserIdTaken,
    /// The user already has a customUserId.
    #[error("the user already has a customUserId")]
    AlreadyCustom,
    /// The ticket was already used.
    #[error("ticket already used")]
    TicketReused,
    /// No such user.
    #[error("no such user")]
    NoUser,
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The whole store as JSON (`--import`, `--export-on-exit`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dump {
    /// Users.
    pub users: Vec<User>,
    /// Sessions, ended ones included.
    pub sessions: Vec<Session>,
}

/// The store.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

/// `execute` through the statement cache.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// `query_row` through the statement cache.
fn row<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        env: row.get(0)?,
        uid: row.get(1)?,
        custom_user_id: row.get(2)?,
        anonymous: row.get(3)?,
        created_ms: row.get(4)?,
        last_sign_in_ms: row.get(5)?,
    })
}

const USER_COLUMNS: &str = "env, uid, custom_user_id, anonymous, created_ms, last_sign_in_ms";
const SESSION_COLUMNS: &str =
    "id, env, uid, refresh_token, access_lifetime_ms, expires_ms, created_ms, ended_ms, end_reason";

fn session_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: row.get(0)?,
        env: row.get(1)?,
        uid: row.get(2)?,
        refresh_token: row.get(3)?,
        access_lifetime_ms: row.get(4)?,
        expires_ms: row.get(5)?,
        created_ms: row.get(6)?,
        ended_ms: row.get(7)?,
        end_reason: row.get(8)?,
    })
}

impl Store {
    /// Opens (or creates) the store file in `dir`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn open(dir: &Path) -> Result<Self, rusqlite::Error> {
        Self::with(Connection::open(dir.join(DB_FILE))?)
    }

    /// A store that lives in memory only.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn in_memory() -> Result<Self, rusqlite::Error> {
        Self::with(Connection::open_in_memory()?)
    }

    fn with(conn: Connection) -> Result<Self, rusqlite::Error> {
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (the
        // transaction rolls back on drop), so a poisoned lock is usable.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks a ticket used inside `tx`; refuses one already used. Forgets
    /// tickets whose `exp` has passed (they would be refused as expired).
    fn consume_ticket(
        tx: &rusqlite::Transaction<'_>,
        signature: &str,
        exp_ms: u64,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        exec(
            tx,
            "DELETE FROM used_tickets WHERE exp_ms < ?1",
            params![now_ms.saturating_sub(120_000)],
        )?;
        let inserted = exec(
            tx,
            "INSERT OR IGNORE INTO used_tickets (signature, exp_ms) VALUES (?1, ?2)",
            params![signature, exp_ms],
        )?;
        if inserted == 0 {
            return Err(StoreError::TicketReused);
        }
        Ok(())
    }

    fn new_session(
        tx: &rusqlite::Transaction<'_>,
        env: &str,
        uid: &str,
        lifetimes: Lifetimes,
        now_ms: u64,
    ) -> Result<Session, StoreError> {
        let session = Session {
            id: random_hex(16),
            env: env.to_owned(),
            uid: uid.to_owned(),
            refresh_token: random_token(32),
            access_lifetime_ms: lifetimes.access_ms,
            expires_ms: lifetimes.expires_ms,
            created_ms: now_ms,
            ended_ms: None,
            end_reason: None,
        };
        exec(tx,
            "INSERT INTO sessions (id, env, uid, refresh_token, access_lifetime_ms, expires_ms, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                session.id,
                session.env,
                session.uid,
                session.refresh_token,
                session.access_lifetime_ms,
                session.expires_ms,
                session.created_ms
            ],
        )?;
        Ok(session)
    }

    fn end_user_sessions(
        tx: &rusqlite::Transaction<'_>,
        env: &str,
        uid: &str,
        reason: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        exec(
            tx,
            "UPDATE sessions SET ended_ms = ?3, end_reason = ?4
             WHERE env = ?1 AND uid = ?2 AND ended_ms IS NULL",
            params![env, uid, now_ms, reason],
        )?;
        Ok(())
    }

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
        Self::consume_ticket(&tx, ticket.0, ticket.1, now_ms)?;
        let existing = row(
            &tx,
            &format!("SELECT {USER_COLUMNS} FROM users WHERE env = ?1 AND custom_user_id = ?2"),
            params![env, custom_user_id],
            user_from_row,
        )
        .optional()?;
        let user = match existing {
            Some(user) => user,
            None => {
                let user = User {
                    env: env.to_owned(),
                    uid: random_hex(16),
                    custom_user_id: Some(custom_user_id.to_owned()),
                    anonymous: false,
                    created_ms: now_ms,
                    last_sign_in_ms: None,
                };
                exec(
                    &tx,
                    "INSERT INTO users (env, uid, custom_user_id, anonymous, created_ms) VALUES (?1, ?2, ?3, 0, ?4)",
                    params![user.env, user.uid, user.custom_user_id, user.created_ms],
                )?;
                user
            }
        };
        Self::signed_in(tx, user, lifetimes, now_ms)
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
            Some((uuid, refresh_token)) => row(
                &tx,
                &format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE env = ?1 AND uid = ?2 AND anonymous = 1 \
                     AND EXISTS (SELECT 1 FROM sessions AS s \
                                 WHERE s.env = ?1 AND s.uid = ?2 AND s.refresh_token = ?3)"
                ),
                params![env, uuid, refresh_token],
                user_from_row,
            )
            .optional()?,
            None => None,
        };
        let user = match existing {
            Some(user) => user,
            None => {
                let user = User {
                    env: env.to_owned(),
                    uid: random_hex(16),
                    custom_user_id: None,
                    anonymous: true,
                    created_ms: now_ms,
                    last_sign_in_ms: None,
                };
                exec(
                    &tx,
                    "INSERT INTO users (env, uid, anonymous, created_ms) VALUES (?1, ?2, 1, ?3)",
                    params![user.env, user.uid, user.created_ms],
                )?;
                user
            }
        };
        Self::signed_in(tx, user, lifetimes, now_ms)
    }

    /// Records a sign-in of `user` at `now_ms` in `tx`: its last sign-in,
    /// the end of its earlier sessions (signing in again replaces them), a new
    /// session; then commits.
    ///
    /// # Errors
    /// SQLite's error.
    fn signed_in(
        tx: rusqlite::Transaction<'_>,
        mut user: User,
        lifetimes: Lifetimes,
        now_ms: u64,
    ) -> Result<(User, Session), StoreError> {
        exec(
            &tx,
            "UPDATE users SET last_sign_in_ms = ?3 WHERE env = ?1 AND uid = ?2",
            params![user.env, user.uid, now_ms],
        )?;
        user.last_sign_in_ms = Some(now_ms);
        Self::end_user_sessions(&tx, &user.env, &user.uid, "replaced", now_ms)?;
        let session = Self::new_session(&tx, &user.env, &user.uid, lifetimes, now_ms)?;
        tx.commit()?;
        Ok((user, session))
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
        let mut user = row(
            &tx,
            &format!("SELECT {USER_COLUMNS} FROM users WHERE env = ?1 AND uid = ?2"),
            params![env, uid],
            user_from_row,
        )
        .optional()?
        .ok_or(StoreError::NoUser)?;
        if user.custom_user_id.is_some() {
            return Err(StoreError::AlreadyCustom);
        }
        let taken: Option<String> = row(
            &tx,
            "SELECT uid FROM users WHERE env = ?1 AND custom_user_id = ?2",
            params![env, custom_user_id],
            |r| r.get(0),
        )
        .optional()?;
        if taken.is_some() {
            return Err(StoreError::CustomUserIdTaken);
        }
        Self::consume_ticket(&tx, ticket.0, ticket.1, now_ms)?;
        exec(
            &tx,
            "UPDATE users SET custom_user_id = ?3, anonymous = 0, last_sign_in_ms = ?4 WHERE env = ?1 AND uid = ?2",
            params![env, uid, custom_user_id, now_ms],
        )?;
        user.custom_user_id = Some(custom_user_id.to_owned());
        user.anonymous = false;
        user.last_sign_in_ms = Some(now_ms);
        let session = match lifetimes {
            Some(lifetimes) => {
                Self::end_user_sessions(&tx, env, uid, "linked", now_ms)?;
                Some(Self::new_session(&tx, env, uid, lifetimes, now_ms)?)
            }
            None => None,
        };
        tx.commit()?;
        Ok((user, session))
    }

    /// The session holding `refresh_token`, ended or not.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn session_by_refresh_token(
        &self,
        refresh_token: &str,
    ) -> Result<Option<Session>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE refresh_token = ?1"
            ))?
            .query_row(params![refresh_token], session_from_row)
            .optional()?)
    }

    /// The session `id`, ended or not.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"
            ))?
            .query_row(params![id], session_from_row)
            .optional()?)
    }

    /// The user `uid` of `env`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn user(&self, env: &str, uid: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE env = ?1 AND uid = ?2"
            ))?
            .query_row(params![env, uid], user_from_row)
            .optional()?)
    }

    /// Ends session `id` (no-op when already ended).
    ///
    /// # Errors
    /// SQLite's error.
    pub fn end_session(&self, id: &str, reason: &str, now_ms: u64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE sessions SET ended_ms = ?2, end_reason = ?3 WHERE id = ?1 AND ended_ms IS NULL",
            params![id, now_ms, reason],
        )?;
        Ok(())
    }

    /// Gives session `id` a new refresh token (the old one stops working).
    ///
    /// # Errors
    /// SQLite's error.
    pub fn rotate_refresh_token(&self, id: &str) -> Result<String, StoreError> {
        let token = random_token(32);
        self.conn().execute(
            "UPDATE sessions SET refresh_token = ?2 WHERE id = ?1",
            params![id, token],
        )?;
        Ok(token)
    }

    /// Users of `env`, oldest first.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn users(&self, env: &str) -> Result<Vec<User>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE env = ?1 ORDER BY created_ms, uid"
        ))?;
        let rows = stmt.query_map(params![env], user_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sessions of `env` not ended and not expired at `now_ms`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn live_sessions(&self, env: &str, now_ms: u64) -> Result<Vec<Session>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions
             WHERE env = ?1 AND ended_ms IS NULL AND expires_ms > ?2 ORDER BY created_ms"
        ))?;
        let rows = stmt.query_map(params![env, now_ms], session_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes every user and session of `env`; the number of users deleted.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn clear_env(&self, env: &str) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        exec(&tx, "DELETE FROM sessions WHERE env = ?1", params![env])?;
        let n = exec(&tx, "DELETE FROM users WHERE env = ?1", params![env])?;
        tx.commit()?;
        Ok(n)
    }

    /// Everything, for `--export-on-exit`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn export(&self) -> Result<Dump, StoreError> {
        let conn = self.conn();
        let users = conn
            .prepare(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY env, created_ms, uid"
            ))?
            .query_map([], user_from_row)?
            .collect::<Result<_, _>>()?;
        let sessions = conn
            .prepare(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions ORDER BY env, created_ms, id"
            ))?
            .query_map([], session_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(Dump { users, sessions })
    }

    /// Adds (or replaces, by key) the users and sessions of `dump`.
    ///
    /// # Errors
    /// SQLite's error (for instance a session whose user is missing).
    pub fn import(&self, dump: &Dump) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for u in &dump.users {
            exec(
                &tx,
                &format!(
                    "INSERT OR REPLACE INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                ),
                params![
                    u.env,
                    u.uid,
                    u.custom_user_id,
                    u.anonymous,
                    u.created_ms,
                    u.last_sign_in_ms
                ],
            )?;
        }
        for s in &dump.sessions {
            exec(
                &tx,
                &format!(
                    "INSERT OR REPLACE INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                params![
                    s.id,
                    s.env,
                    s.uid,
                    s.refresh_token,
                    s.access_lifetime_ms,
                    s.expires_ms,
                    s.created_ms,
                    s.ended_ms,
                    s.end_reason
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Lifetimes = Lifetimes {
        access_ms: 1000,
        expires_ms: 10_000,
    };

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

    #[test]
    fn export_import_round_trips() {
        let store = Store::in_memory().expect("store");
        store
            .sign_in_custom("e", "user_1", ("sig1", 5), LIFE, 1)
            .expect("custom");
        store.sign_in_anonymous("e", None, LIFE, 2).expect("anon");
        let dump = store.export().expect("export");
        let other = Store::in_memory().expect("store");
        other.import(&dump).expect("import");
        assert_eq!(other.export().expect("export"), dump);
    }
}
