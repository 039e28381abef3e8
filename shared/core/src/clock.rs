//! The clock: milliseconds since the epoch, as tickets count time.

use std::time::{SystemTime, UNIX_EPOCH};

/// The system clock in milliseconds since the epoch (0 before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
