//! Logging: `tracing` set up once per process, JSON on Lambda's structured
//! format, a background writer in HTTP mode, and a filter that keeps raw
//! Lambda events (which carry credentials) out of every log.

use customauth_core::env::Setting;

use crate::log_queue;
use crate::server::VAR_RUNTIME_API;
use customauth_core::env::var;

/// Keeps the background log writer of HTTP mode running; hold it for the
/// life of the process. Dropping it writes out the lines still queued (the
/// wait is bounded by tracing-appender at one second).
#[must_use = "dropping the guard stops the log writer; hold it until the process exits"]
#[derive(Debug)]
pub struct LogGuard {
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Drop for LogGuard {
    /// The refusals of the last second are summarised before the writer
    /// stops.
    fn drop(&mut self) {
        crate::api::refusals::flush_all();
    }
}

/// The log level's variable.
pub const VAR_RUST_LOG: &str = "RUST_LOG";
/// `JSON` for JSON lines on stdout (set by Lambda's JSON log format).
pub const VAR_LOG_FORMAT: &str = "AWS_LAMBDA_LOG_FORMAT";

/// The logging variables.
pub const SETTINGS: &[Setting] = &[
    Setting::with_default(VAR_RUST_LOG, "log level", "info"),
    Setting::new(VAR_LOG_FORMAT, "JSON for JSON lines on stdout"),
];

/// Sets up `tracing`: JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON` (Lambda's
/// structured logging), text otherwise; level from `RUST_LOG` (default
/// `info`). JSON goes to stdout, text to stderr.
///
/// On Lambda each line is written as it is logged: the sandbox is frozen
/// between invocations, so a line left in a queue could surface an invocation
/// late or be lost with the sandbox. In HTTP mode a background thread does the
/// writing, through a queue of `CUSTOMAUTH_LOG_QUEUE_LINES` lines (default
/// 128,000), so a slow or stalled log sink (a full pipe, a paused collector)
/// never stalls request handling: when the queue is full, createTicket answers
/// 503 instead of signing (audit lines are never dropped), and other lines
/// are dropped and counted ([`log_queue`]).
pub fn init_tracing(env: &impl Fn(&str) -> Option<String>) -> LogGuard {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = var(env, VAR_RUST_LOG)
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let json = var(env, VAR_LOG_FORMAT).is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let on_lambda = var(env, VAR_RUNTIME_API).is_some();
    let (writer, worker) = if on_lambda {
        let direct = if json {
            BoxMakeWriter::new(std::io::stdout)
        } else {
            BoxMakeWriter::new(std::io::stderr)
        };
        (direct, None)
    } else {
        // The worker flushes whenever its queue runs dry, so under load one
        // write(2) carries many lines.
        let sink: Box<dyn std::io::Write + Send> = if json {
            Box::new(std::io::stdout())
        } else {
            Box::new(std::io::stderr())
        };
        // An invalid size stops the start later (HttpLimits::from_env).
        let lines = log_queue::log_queue_lines(env).unwrap_or(log_queue::DEFAULT_LOG_QUEUE_LINES);
        let (queued, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .buffered_lines_limit(lines)
            .thread_name("customauth-log")
            .finish(log_queue::Dequeued(std::io::BufWriter::with_capacity(
                64 * 1024,
                sink,
            )));
        (
            BoxMakeWriter::new(log_queue::Queued::new(queued, lines)),
            Some(worker),
        )
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    if json {
        let subscriber = builder.json().with_current_span(false).finish();
        subscriber.with(never_raw_events()).init();
    } else {
        let subscriber = builder.with_ansi(false).finish();
        subscriber.with(never_raw_events()).init();
    }
    crate::api::refusals::start_summaries(log_queue::report_dropped);
    log_panics();
    LogGuard { _worker: worker }
}

/// A filter no `RUST_LOG` can loosen: at TRACE level lambda_runtime logs
/// every raw event, and an event carries the caller's `Authorization`
/// header, API key and body. Its trace output is never logged.
fn never_raw_events()
-> tracing_subscriber::filter::FilterFn<impl Fn(&tracing::Metadata<'_>) -> bool> {
    tracing_subscriber::filter::filter_fn(|meta| {
        !(*meta.level() == tracing::Level::TRACE && meta.target().starts_with("lambda_runtime"))
    })
}

thread_local! {
    /// Set while [`catch_quietly`] runs code whose panics are expected.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Panics become one log line (JSON on Lambda), not a multi-line trace on
/// stderr; the panics [`catch_quietly`] expects are not logged at all.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        if QUIET.get() {
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, message = %message, "a thread panicked");
    }));
}

/// Runs `f`, catching a panic without logging it: for a library call that
/// is known to panic on some input (lambda_http's event conversion), tried
/// before the real call.
///
/// # Errors
/// The panic's payload when `f` panicked.
pub fn catch_quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    let was = QUIET.replace(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.set(was);
    result
}
