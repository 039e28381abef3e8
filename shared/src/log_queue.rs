//! The log queue of HTTP mode: bounded, never blocking a request, and
//! lossless for audit lines.
//!
//! Lines are written by a background thread (tracing-appender), through a
//! queue of `CUSTOMAUTH_LOG_QUEUE_LINES` lines (default 128,000). This module
//! counts what is in it, so that nothing ever waits for a stalled sink:
//! - an audit line (target [`AUDIT_TARGET`]) is written only by a request
//!   that first took an [`AuditSlot`]; when the queue has no room left,
//!   [`audit_slot`] says so and createTicket answers 503 without signing, so
//!   every ticket issued has its line and none waits for one;
//! - any other line finding the queue full is dropped and counted, and once
//!   the queue has room again one line says how many were dropped.
//!
//! On Lambda lines are written as they are logged (no queue): every
//! [`audit_slot`] is granted.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use customauth_core::config::ConfigError;
use customauth_core::config::number;
use customauth_core::env::Setting;
use tracing_subscriber::fmt::MakeWriter;

/// How many log lines HTTP mode queues for a slow sink.
pub const VAR_LOG_QUEUE_LINES: &str = "CUSTOMAUTH_LOG_QUEUE_LINES";
/// The log queue's variable.
pub const SETTINGS: &[Setting] = &[Setting::new(
    VAR_LOG_QUEUE_LINES,
    "HTTP mode: log lines queued for a slow sink (default 128000); when full createTicket answers 503",
)];

/// The queue's size when `CUSTOMAUTH_LOG_QUEUE_LINES` is not set.
pub const DEFAULT_LOG_QUEUE_LINES: usize = 128_000;
/// The smallest accepted `CUSTOMAUTH_LOG_QUEUE_LINES`.
pub const MIN_LOG_QUEUE_LINES: usize = 200;
/// The largest accepted `CUSTOMAUTH_LOG_QUEUE_LINES`.
pub const MAX_LOG_QUEUE_LINES: usize = 10_000_000;
/// The target of audit lines (tickets issued).
pub const AUDIT_TARGET: &str = "customauth::audit";

/// Lines kept free below the queue's size for lines being written at the
/// instant it fills (one per thread at most).
const HEADROOM: usize = 64;

/// Lines in the queue (sent, not yet taken by the writer thread).
static QUEUED: AtomicUsize = AtomicUsize::new(0);
/// Audit slots granted and not yet given back.
static RESERVED: AtomicUsize = AtomicUsize::new(0);
/// The most lines queued and reserved together; 0 when there is no queue.
static LIMIT: AtomicUsize = AtomicUsize::new(0);
/// Lines dropped because the queue was full, not yet reported.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// `CUSTOMAUTH_LOG_QUEUE_LINES`, checked.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the variable for a value that is not a
/// whole number from 200 to 10,000,000.
pub fn log_queue_lines(env: &impl Fn(&str) -> Option<String>) -> Result<usize, ConfigError> {
    let lines = number(
        env,
        VAR_LOG_QUEUE_LINES,
        DEFAULT_LOG_QUEUE_LINES as u64,
        MIN_LOG_QUEUE_LINES as u64,
        MAX_LOG_QUEUE_LINES as u64,
    )?;
    Ok(usize::try_from(lines).unwrap_or(MAX_LOG_QUEUE_LINES))
}

/// Room in the queue for one audit line, held from before the ticket is
/// signed until its line is logged; given back on drop.
#[must_use = "hold the slot until the audit line is logged"]
#[derive(Debug)]
pub struct AuditSlot(());

impl Drop for AuditSlot {
    fn drop(&mut self) {
        RESERVED.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A slot for one audit line, or `None` when the queue is full (the sink is
/// not keeping up): then sign nothing and answer 503.
pub fn audit_slot() -> Option<AuditSlot> {
    let reserved = RESERVED.fetch_add(1, Ordering::AcqRel) + 1;
    let slot = AuditSlot(());
    let limit = LIMIT.load(Ordering::Acquire);
    if limit != 0 && QUEUED.load(Ordering::Acquire) + reserved > limit {
        return None;
    }
    Some(slot)
}

/// Writes the count of dropped lines, once the queue has room again.
pub(crate) fn report_dropped() {
    let limit = LIMIT.load(Ordering::Acquire);
    if limit == 0 || QUEUED.load(Ordering::Acquire) > limit / 2 {
        return;
    }
    let dropped = DROPPED.swap(0, Ordering::AcqRel);
    if dropped > 0 {
        tracing::warn!(
            dropped,
            "{dropped} log lines (not audit lines) were dropped while the log sink was not keeping up"
        );
    }
}

/// The writer side: counts lines into the queue, and drops any but an
/// audit line when it is full.
#[derive(Debug)]
pub(crate) struct Queued<W> {
    inner: W,
}

impl<W> Queued<W> {
    /// Lines for `inner`, a queue of `lines` lines.
    pub(crate) fn new(inner: W, lines: usize) -> Self {
        LIMIT.store(lines.saturating_sub(HEADROOM).max(1), Ordering::Release);
        Self { inner }
    }
}

/// One line for the queue.
#[derive(Debug)]
pub(crate) struct QueuedLine<W> {
    inner: W,
    audit: bool,
}

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for Queued<W> {
    type Writer = QueuedLine<W::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        QueuedLine {
            inner: self.inner.make_writer(),
            audit: false,
        }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        QueuedLine {
            inner: self.inner.make_writer_for(meta),
            audit: meta.target() == AUDIT_TARGET,
        }
    }
}

impl<W: Write> Write for QueuedLine<W> {
    /// One call is one line (the formatter writes each event at once).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let queued = QUEUED.fetch_add(1, Ordering::AcqRel) + 1;
        let full = queued + RESERVED.load(Ordering::Acquire) > LIMIT.load(Ordering::Acquire);
        if full && !self.audit {
            QUEUED.fetch_sub(1, Ordering::AcqRel);
            DROPPED.fetch_add(1, Ordering::AcqRel);
            return Ok(buf.len());
        }
        self.inner.write(buf).inspect_err(|_| {
            QUEUED.fetch_sub(1, Ordering::AcqRel);
        })
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write(buf).map(|_| ())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The writer thread's side: each line it takes leaves the queue.
#[derive(Debug)]
pub(crate) struct Dequeued<W>(pub(crate) W);

impl<W: Write> Write for Dequeued<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    /// The writer thread writes each line with one `write_all`.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        QUEUED.fetch_sub(1, Ordering::AcqRel);
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use customauth_core::env::from_pairs as env;

    #[test]
    fn the_queue_size_is_checked() {
        assert_eq!(log_queue_lines(&env(&[])).ok(), Some(128_000));
        assert_eq!(
            log_queue_lines(&env(&[(VAR_LOG_QUEUE_LINES, "500")])).ok(),
            Some(500)
        );
        for bad in ["0", "199", "lots", "10000001"] {
            let e = log_queue_lines(&env(&[(VAR_LOG_QUEUE_LINES, bad)]))
                .expect_err(bad)
                .to_string();
            assert!(e.contains(VAR_LOG_QUEUE_LINES), "{e}");
        }
    }
}
