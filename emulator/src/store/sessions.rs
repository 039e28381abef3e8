//! The `sessions` table: login states, each with its refresh token.

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, exec, row, rows};
use crate::ids::{random_hex, random_token};

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

/// The columns of [`Session`], in the order of [`from_row`].
pub(super) const COLUMNS: &str =
    "id, env, uid, refresh_token, access_lifetime_ms, expires_ms, created_ms, ended_ms, end_reason";

pub(super) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
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

/// Starts a session of the user `uid` of `env`: a new id and refresh token.
pub(super) fn start(
    conn: &Connection,
    env: &str,
    uid: &str,
    lifetimes: Lifetimes,
    now_ms: u64,
) -> rusqlite::Result<Session> {
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
    write(conn, "INSERT", &session)?;
    Ok(session)
}

/// Ends every live session of the user `uid` of `env`.
pub(super) fn end_all_of(
    conn: &Connection,
    env: &str,
    uid: &str,
    reason: &str,
    now_ms: u64,
) -> rusqlite::Result<()> {
    exec(
        conn,
        "UPDATE sessions SET ended_ms = ?3, end_reason = ?4
         WHERE env = ?1 AND uid = ?2 AND ended_ms IS NULL",
        params![env, uid, now_ms, reason],
    )?;
    Ok(())
}

/// Adds or replaces (by key) `session` as it is.
pub(super) fn put(conn: &Connection, session: &Session) -> rusqlite::Result<()> {
    write(conn, "INSERT OR REPLACE", session)
}

/// `verb` (`INSERT`, `INSERT OR REPLACE`) of every column of `session`.
fn write(conn: &Connection, verb: &str, session: &Session) -> rusqlite::Result<()> {
    exec(
        conn,
        &format!("{verb} INTO sessions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            session.id,
            session.env,
            session.uid,
            session.refresh_token,
            session.access_lifetime_ms,
            session.expires_ms,
            session.created_ms,
            session.ended_ms,
            session.end_reason
        ],
    )?;
    Ok(())
}

impl Store {
    /// The session holding `refresh_token`, ended or not.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn session_by_refresh_token(
        &self,
        refresh_token: &str,
    ) -> Result<Option<Session>, StoreError> {
        Ok(row(
            &self.conn(),
            &format!("SELECT {COLUMNS} FROM sessions WHERE refresh_token = ?1"),
            params![refresh_token],
            from_row,
        )
        .optional()?)
    }

    /// The session `id`, ended or not.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        Ok(row(
            &self.conn(),
            &format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"),
            params![id],
            from_row,
        )
        .optional()?)
    }

    /// Ends session `id` (no-op when already ended).
    ///
    /// # Errors
    /// SQLite's error.
    pub fn end_session(&self, id: &str, reason: &str, now_ms: u64) -> Result<(), StoreError> {
        exec(
            &self.conn(),
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
        exec(
            &self.conn(),
            "UPDATE sessions SET refresh_token = ?2 WHERE id = ?1",
            params![id, token],
        )?;
        Ok(token)
    }

    /// Sessions of `env` not ended and not expired at `now_ms`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn live_sessions(&self, env: &str, now_ms: u64) -> Result<Vec<Session>, StoreError> {
        Ok(rows(
            &self.conn(),
            &format!(
                "SELECT {COLUMNS} FROM sessions
                 WHERE env = ?1 AND ended_ms IS NULL AND expires_ms > ?2 ORDER BY created_ms"
            ),
            params![env, now_ms],
            from_row,
        )?)
    }
}
