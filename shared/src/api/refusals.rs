//! Lines about refused and failed requests, rate-limited so that no stranger
//! can fill the log queue.
//!
//! Audit lines (tickets issued) are logged one by one, losslessly and in
//! order. Failed requests (5xx, at ERROR) are counted as refusals are, in a
//! counter of their own. A refused request (any 4xx) is logged on its own line only
//! while fewer than [`MAX_LINES_PER_SECOND`] have been this second; the rest
//! are counted by reason, and a background thread writes one summary line a
//! second for them ("N requests refused in the last second (by reason: ...);
//! M not logged one by one"). So refusals add at most about
//! `MAX_LINES_PER_SECOND + 1` lines a second to the queue whatever their
//! rate, and a stalled log sink blocks only the summary thread, never a
//! request.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Refusals logged one by one in a second; the rest are summarised.
pub const MAX_LINES_PER_SECOND: u32 = 20;

/// The process's refusal counter.
static REFUSALS: RefusalLog = RefusalLog::new();
/// The process's counter of requests that failed (5xx): a client can make
/// those too (CloudBase unreachable answers every caller 503).
static FAILURES: RefusalLog = RefusalLog::new();

/// Logs a refused request: on its own line while under the rate, else
/// counted for the summary.
pub fn refused(request_id: &str, status: u16, code: &'static str, message: &dyn fmt::Display) {
    if REFUSALS.record(code, second()) {
        tracing::warn!(request_id, status, code, message = %message, "request refused");
    }
}

/// Logs a request that failed (a 5xx) at ERROR: on its own line while under
/// the rate, else counted for the summary, as [`refused`] does.
pub fn failed(request_id: &str, status: u16, code: &'static str) {
    if FAILURES.record(code, second()) {
        tracing::error!(request_id, status, code, "request failed");
    }
}

/// Starts the thread that writes the summary line once a second, then calls
/// `also` (the server's count of dropped log lines).
pub(crate) fn start_summaries(also: fn()) {
    let started = std::thread::Builder::new()
        .name("customauth-refusals".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                flush();
                also();
            }
        });
    if let Err(e) = started {
        tracing::warn!(error = %e, "cannot start the refusal summary thread; refusals past the rate go uncounted in the log");
    }
}

/// Writes the summary of the seconds that have ended, if any refusal in them
/// was not logged on its own line.
pub(crate) fn flush() {
    let now = second();
    if let Some(summary) = REFUSALS.flush(now) {
        summary.log();
    }
    if let Some(summary) = FAILURES.flush(now) {
        summary.log_failures();
    }
}

/// Writes the summary of everything not yet summarised, the current second
/// included: at shutdown.
pub(crate) fn flush_all() {
    if let Some(summary) = REFUSALS.flush(u64::MAX) {
        summary.log();
    }
    if let Some(summary) = FAILURES.flush(u64::MAX) {
        summary.log_failures();
    }
}

/// Seconds since the process started (monotonic).
fn second() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs()
}

/// Counts refusals per second and decides which get a line of their own.
#[derive(Debug, Default)]
pub struct RefusalLog {
    state: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    second: u64,
    logged: u32,
    by_reason: BTreeMap<&'static str, u64>,
    unlogged: u64,
}

/// What was refused in a window whose refusals were not all logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Refusals in the window, logged or not.
    pub refused: u64,
    /// Refusals not logged on their own line.
    pub unlogged: u64,
    /// Refusals by code.
    pub by_reason: BTreeMap<&'static str, u64>,
}

impl Summary {
    fn by_reason(&self) -> String {
        self.by_reason
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn log_failures(&self) {
        let by_reason = self.by_reason();
        tracing::error!(
            failed = self.refused,
            not_logged = self.unlogged,
            by_reason = %by_reason,
            "{} requests failed in the last second (by reason: {by_reason}); {} not logged one by one",
            self.refused,
            self.unlogged
        );
    }

    fn log(&self) {
        let by_reason = self.by_reason();
        tracing::warn!(
            refused = self.refused,
            not_logged = self.unlogged,
            by_reason = %by_reason,
            "{} requests refused in the last second (by reason: {by_reason}); {} not logged one by one",
            self.refused,
            self.unlogged
        );
    }
}

impl RefusalLog {
    /// An empty counter.
    pub const fn new() -> Self {
        Self {
            state: Mutex::new(Window {
                second: 0,
                logged: 0,
                by_reason: BTreeMap::new(),
                unlogged: 0,
            }),
        }
    }

    /// Counts a refusal for `code` at `second`; whether it may be logged on
    /// its own line. A refusal in a later second than the window's starts a
    /// new window; the old one's summary is kept for [`RefusalLog::flush`]
    /// only if something in it went unlogged (the thread flushes every
    /// second, so at most one window waits).
    pub fn record(&self, code: &'static str, second: u64) -> bool {
        let mut w = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if w.second != second && w.unlogged == 0 {
            *w = Window {
                second,
                ..Window::default()
            };
        }
        *w.by_reason.entry(code).or_default() += 1;
        if w.second == second && w.logged < MAX_LINES_PER_SECOND {
            w.logged += 1;
            true
        } else {
            w.unlogged += 1;
            false
        }
    }

    /// The summary of the window, when it ended before `second` (any window
    /// for `u64::MAX`) and some of its refusals were not logged; the counter
    /// starts a new window.
    pub fn flush(&self, second: u64) -> Option<Summary> {
        let mut w = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if w.second >= second && second != u64::MAX {
            return None;
        }
        let ended = std::mem::replace(
            &mut *w,
            Window {
                second,
                ..Window::default()
            },
        );
        (ended.unlogged > 0).then(|| Summary {
            refused: ended.by_reason.values().sum(),
            unlogged: ended.unlogged,
            by_reason: ended.by_reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_rate_every_refusal_is_logged_and_nothing_is_summarised() {
        let log = RefusalLog::new();
        for _ in 0..MAX_LINES_PER_SECOND {
            assert!(log.record("UNAUTHENTICATED", 7));
        }
        assert_eq!(log.flush(8), None);
    }

    #[test]
    fn past_the_rate_refusals_are_counted_by_reason_and_summarised_once() {
        let log = RefusalLog::new();
        let mut logged = 0;
        for i in 0..10_000u32 {
            let code = if i % 10 == 0 {
                "METHOD_NOT_ALLOWED"
            } else {
                "UNAUTHENTICATED"
            };
            logged += u32::from(log.record(code, 3));
        }
        assert_eq!(logged, MAX_LINES_PER_SECOND);
        assert_eq!(log.flush(3), None, "the second has not ended");
        let summary = log.flush(4).expect("a summary");
        assert_eq!(summary.refused, 10_000);
        assert_eq!(summary.unlogged, u64::from(10_000 - MAX_LINES_PER_SECOND));
        assert_eq!(summary.by_reason["METHOD_NOT_ALLOWED"], 1_000);
        assert_eq!(summary.by_reason["UNAUTHENTICATED"], 9_000);
        assert_eq!(log.flush(5), None, "summarised once");
        assert!(log.record("UNAUTHENTICATED", 5), "a new second logs again");
    }

    #[test]
    fn a_window_with_unlogged_refusals_is_kept_until_flushed() {
        let log = RefusalLog::new();
        for _ in 0..=MAX_LINES_PER_SECOND {
            log.record("UNAUTHENTICATED", 1);
        }
        // A refusal in a later second before the flush is counted, not lost.
        assert!(!log.record("FORBIDDEN", 2));
        let summary = log.flush(2).expect("a summary");
        assert_eq!(summary.refused, u64::from(MAX_LINES_PER_SECOND) + 2);
        assert_eq!(summary.unlogged, 2);
    }
}
