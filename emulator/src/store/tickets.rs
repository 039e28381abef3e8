//! The `used_tickets` table: each ticket signs in once.

use rusqlite::{Connection, params};

use super::{StoreError, exec};

/// How long past its `exp` a used ticket is remembered: longer than the
/// verifier's clock-skew leeway, so it would be refused as expired.
const KEEP_PAST_EXP_MS: u64 = 120_000;

/// Marks a ticket used; refuses one already used. Forgets tickets whose
/// `exp` has passed (they would be refused as expired).
pub(super) fn consume(
    conn: &Connection,
    signature: &str,
    exp_ms: u64,
    now_ms: u64,
) -> Result<(), StoreError> {
    exec(
        conn,
        "DELETE FROM used_tickets WHERE exp_ms < ?1",
        params![now_ms.saturating_sub(KEEP_PAST_EXP_MS)],
    )?;
    let inserted = exec(
        conn,
        "INSERT OR IGNORE INTO used_tickets (signature, exp_ms) VALUES (?1, ?2)",
        params![signature, exp_ms],
    )?;
    if inserted == 0 {
        return Err(StoreError::TicketReused);
    }
    Ok(())
}
