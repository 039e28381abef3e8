//! The embedded store (SQLite through rusqlite): users, their identities,
//! sessions (login states) and used tickets. A file under the data directory,
//! or in memory for tests.
//!
//! `mod.rs` opens it and holds the schema; `users.rs`, `sessions.rs` and
//! `tickets.rs` hold the SQL of each table; `sign_in.rs` composes them into
//! the sign-in and link transactions; `export.rs` is `--import` and
//! `--export-on-exit`.

mod export;
mod sessions;
mod sign_in;
mod tickets;
mod users;

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;

pub use export::Dump;
pub use sessions::{Lifetimes, Session};
pub use users::User;

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

/// The store.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
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

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (the
        // transaction rolls back on drop), so a poisoned lock is usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
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

/// Every row of a query, through the statement cache.
fn rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare_cached(sql)?.query_map(params, f)?.collect()
}

#[cfg(test)]
mod tests {
    use super::Lifetimes;

    /// Lifetimes of the sessions the unit tests start.
    pub const LIFE: Lifetimes = Lifetimes {
        access_ms: 1000,
        expires_ms: 10_000,
    };
}
