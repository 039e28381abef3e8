//! The whole store as plain data: `--import` and `--export-on-exit`.

use serde::{Deserialize, Serialize};

use super::{Session, Store, StoreError, User, rows, sessions, users};

/// The whole store as JSON (`--import`, `--export-on-exit`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dump {
    /// Users.
    pub users: Vec<User>,
    /// Sessions, ended ones included.
    pub sessions: Vec<Session>,
}

impl Store {
    /// Everything, for `--export-on-exit`.
    ///
    /// # Errors
    /// SQLite's error.
    pub fn export(&self) -> Result<Dump, StoreError> {
        let conn = self.conn();
        let users = rows(
            &conn,
            &format!(
                "SELECT {} FROM users ORDER BY env, created_ms, uid",
                users::COLUMNS
            ),
            [],
            users::from_row,
        )?;
        let sessions = rows(
            &conn,
            &format!(
                "SELECT {} FROM sessions ORDER BY env, created_ms, id",
                sessions::COLUMNS
            ),
            [],
            sessions::from_row,
        )?;
        Ok(Dump { users, sessions })
    }

    /// Adds (or replaces, by key) the users and sessions of `dump`.
    ///
    /// # Errors
    /// SQLite's error (for instance a session whose user is missing).
    pub fn import(&self, dump: &Dump) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for user in &dump.users {
            users::put(&tx, user)?;
        }
        for session in &dump.sessions {
            sessions::put(&tx, session)?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::LIFE;

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
