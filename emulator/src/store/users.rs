//! The `users` table: one row per (env, uid), with the customUserId once
//! bound.

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, exec, row, rows};

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

/// The columns of [`User`], in the order of [`from_row`].
pub(super) const COLUMNS: &str = "env, uid, custom_user_id, anonymous, created_ms, last_sign_in_ms";

pub(super) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        env: row.get(0)?,
        uid: row.get(1)?,
        custom_user_id: row.get(2)?,
        anonymous: row.get(3)?,
        created_ms: row.get(4)?,
        last_sign_in_ms: row.get(5)?,
    })
}

/// The user `uid` of `env`.
pub(super) fn by_uid(conn: &Connection, env: &str, uid: &str) -> rusqlite::Result<Option<User>> {
    row(
        conn,
        &format!("SELECT {COLUMNS} FROM users WHERE env = ?1 AND uid = ?2"),
        params![env, uid],
        from_row,
    )
    .optional()
}

/// The user of `env` bound to `custom_user_id`.
pub(super) fn by_custom_user_id(
    conn: &Connection,
    env: &str,
    custom_user_id: &str,
) -> rusqlite::Result<Option<User>> {
    row(
        conn,
        &format!("SELECT {COLUMNS} FROM users WHERE env = ?1 AND custom_user_id = ?2"),
        params![env, custom_user_id],
        from_row,
    )
    .optional()
}

/// The anonymous user `uid` of `env`, when `refresh_token` is the refresh
/// token of one of its sessions (live or ended).
pub(super) fn anonymous_with_refresh_token(
    conn: &Connection,
    env: &str,
    uid: &str,
    refresh_token: &str,
) -> rusqlite::Result<Option<User>> {
    row(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM users WHERE env = ?1 AND uid = ?2 AND anonymous = 1 \
             AND EXISTS (SELECT 1 FROM sessions AS s \
                         WHERE s.env = ?1 AND s.uid = ?2 AND s.refresh_token = ?3)"
        ),
        params![env, uid, refresh_token],
        from_row,
    )
    .optional()
}

/// Adds `user` (a new uid).
pub(super) fn insert(conn: &Connection, user: &User) -> rusqlite::Result<()> {
    write(conn, "INSERT", user)
}

/// Records a sign-in of `user` at `now_ms`.
pub(super) fn touch(conn: &Connection, user: &mut User, now_ms: u64) -> rusqlite::Result<()> {
    exec(
        conn,
        "UPDATE users SET last_sign_in_ms = ?3 WHERE env = ?1 AND uid = ?2",
        params![user.env, user.uid, now_ms],
    )?;
    user.last_sign_in_ms = Some(now_ms);
    Ok(())
}

/// Binds `custom_user_id` to `user`, which stops being anonymous, at a
/// sign-in at `now_ms`.
pub(super) fn bind_custom_user_id(
    conn: &Connection,
    user: &mut User,
    custom_user_id: &str,
    now_ms: u64,
) -> rusqlite::Result<()> {
    exec(
        conn,
        "UPDATE users SET custom_user_id = ?3, anonymous = 0, last_sign_in_ms = ?4 WHERE env = ?1 AND uid = ?2",
        params![user.env, user.uid, custom_user_id, now_ms],
    )?;
    user.custom_user_id = Some(custom_user_id.to_owned());
    user.anonymous = false;
    user.last_sign_in_ms = Some(now_ms);
    Ok(())
}

/// Adds or replaces (by key) `user` as it is.
pub(super) fn put(conn: &Connection, user: &User) -> rusqlite::Result<()> {
    write(conn, "INSERT OR REPLACE", user)
}

/// `verb` (`INSERT`, `INSERT OR REPLACE`) of every column of `user`.
fn write(conn: &Connection, verb: &str, user: &User) -> rusqlite::Result<()> {
    exec(
        conn,
        &format!("{verb} INTO users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            user.env,
            user.uid,
            user.custom_user_id,
            user.anonymous,
            user.created_ms,
            user.last_sign_in_ms
        ],
    )?;
    Ok(())
}

impl Store {
    /// The user `uid` of `env`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn user(&self, env: &str, uid: &str) -> Result<Option<User>, StoreError> {
        Ok(by_uid(&self.conn(), env, uid)?)
    }

    /// Users of `env`, oldest first.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn users(&self, env: &str) -> Result<Vec<User>, StoreError> {
        Ok(rows(
            &self.conn(),
            &format!("SELECT {COLUMNS} FROM users WHERE env = ?1 ORDER BY created_ms, uid"),
            params![env],
            from_row,
        )?)
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
}
