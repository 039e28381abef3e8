//! Keys fetched from the identity provider: `CUSTOMAUTH_JWT_JWKS_URL`, or
//! the `jwks_uri` of `CUSTOMAUTH_JWT_OIDC_ISSUER`'s OpenID discovery
//! document.
//!
//! - Fetched at start in the background; until keys arrive, a request waits
//!   for a fetch under way (within the fetch timeout) and otherwise gets
//!   [`AuthError::Unavailable`](crate::identity::AuthError) (503 with
//!   `Retry-After`), never a 401.
//! - Kept for the answer's `Cache-Control: max-age`, within
//!   `CUSTOMAUTH_JWT_JWKS_CACHE_MIN_SECONDS` ..
//!   `CUSTOMAUTH_JWT_JWKS_CACHE_MAX_SECONDS` (the minimum without one), and
//!   refreshed in the background when three quarters of that have passed.
//! - A token whose `kid` is not in the set makes one refetch, at most once
//!   per `CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS`: requests that arrive
//!   while a fetch is under way wait for it instead of starting their own,
//!   so made-up kids cannot make the function hammer the provider.
//! - A failed refresh keeps the last good keys for up to
//!   `CUSTOMAUTH_JWT_JWKS_STALE_SECONDS` past their lifetime, logged once
//!   per streak of failures.
//! - Bounded: [`MAX_DOCUMENT_BYTES`](fetch::MAX_DOCUMENT_BYTES) per answer, 64 keys per set,
//!   `CUSTOMAUTH_JWT_JWKS_TIMEOUT_MS` per fetch (discovery included);
//!   redirects are not followed; keys that cannot verify signatures are
//!   skipped with one log line. Each key's algorithm is pinned by the key.
//!
//! A request whose token's `kid` is among the keys held costs what a static
//! JWKS costs, plus reading the clock and one lock-free load of the current
//! set ([`arc_swap`]: no lock, no reference count touched, nothing written
//! that another core reads).
//!
//! | module     | what                                                       |
//! |------------|------------------------------------------------------------|
//! | `settings` | the URL rules and the cache and fetch settings, at start   |
//! | `fetch`    | discovery and the JWKS: one bounded GET each               |
//! | this one   | the set held, the single flight, the background refresh    |

mod fetch;
mod settings;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http_body_util::Empty;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use lambda_http::http::Uri;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::JwtKey;
use crate::config::ConfigError;

pub(super) use self::settings::{FetchSettings, Location, checked_url, issuer_location};

/// Longest wait between fetch attempts while there are no keys at all.
const NO_KEYS_RETRY: Duration = Duration::from_secs(5);

/// A set of keys fetched.
pub(super) struct KeySet {
    pub keys: Vec<JwtKey>,
    fetched_at: Instant,
    /// The end of the answer's lifetime (then refreshed).
    fresh_until: Instant,
    /// The end of the stale-if-error allowance: no keys after that.
    usable_until: Instant,
}

/// The keys of a provider, kept fresh by a background task that ends with
/// this value.
pub(super) struct RemoteKeys {
    inner: Arc<Inner>,
    started: AtomicBool,
    task: Mutex<Option<AbortHandle>>,
}

struct Inner {
    settings: FetchSettings,
    /// Builds each key's checks (issuer, audience).
    make_validation: Box<dyn Fn(jsonwebtoken::Algorithm) -> jsonwebtoken::Validation + Send + Sync>,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    /// The keys held: replaced whole by a fetch, read without a lock.
    keys: ArcSwapOption<KeySet>,
    /// The fetch under way, if any: it says `true` when done. Requests
    /// that need keys meanwhile wait for it (the single flight) without
    /// holding anything, so waiters never delay the next fetch.
    in_flight: Mutex<Option<watch::Receiver<bool>>>,
    /// Milliseconds from `epoch` to the start of the last attempt, plus one
    /// (0: never).
    last_attempt: AtomicU64,
    epoch: Instant,
    /// The discovered `jwks_uri`, once known.
    jwks_uri: Mutex<Option<Uri>>,
    log: Mutex<LogState>,
}

#[derive(Default)]
struct LogState {
    /// A failure was logged and no success has come since.
    failing: bool,
    /// The skipped-keys line last logged, not repeated.
    skipped: Vec<String>,
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<(Option<String>, jsonwebtoken::Algorithm)> = self
            .inner
            .current(Instant::now())
            .map(|set| set.keys().iter().map(|k| (k.kid.clone(), k.alg)).collect())
            .unwrap_or_default();
        f.debug_struct("RemoteKeys")
            .field("location", &self.inner.settings.location)
            .field("keys", &kids)
            .finish_non_exhaustive()
    }
}

impl Drop for RemoteKeys {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
    }
}

impl RemoteKeys {
    /// The client and the background task (started now when a tokio runtime
    /// is running, else at the first [`RemoteKeys::held`]).
    pub(super) fn new(
        settings: FetchSettings,
        make_validation: Box<
            dyn Fn(jsonwebtoken::Algorithm) -> jsonwebtoken::Validation + Send + Sync,
        >,
        var: &'static str,
    ) -> Result<Self, ConfigError> {
        let needs_roots = match &settings.location {
            Location::Jwks(uri) => uri.scheme_str() == Some("https"),
            // The jwks_uri may be https even for an http issuer.
            Location::Issuer { .. } => true,
        };
        let client = crate::identity::https::client(needs_roots)
            .map_err(|reason| ConfigError::Invalid { var, reason })?;
        let this = Self {
            inner: Arc::new(Inner {
                settings,
                make_validation,
                client,
                keys: ArcSwapOption::empty(),
                in_flight: Mutex::new(None),
                last_attempt: AtomicU64::new(0),
                epoch: Instant::now(),
                jwks_uri: Mutex::new(None),
                log: Mutex::new(LogState::default()),
            }),
            started: AtomicBool::new(false),
            task: Mutex::new(None),
        };
        this.start();
        Ok(this)
    }

    /// Starts the background task once, when a runtime is there to run it.
    fn start(&self) {
        // Read first: a write on every request would bounce the cache line
        // between cores.
        if self.started.load(Ordering::Acquire) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let task = handle.spawn(keep_fresh(Arc::downgrade(&self.inner)));
        *self.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task.abort_handle());
    }

    /// The keys held now, if any are still usable: one lock-free load.
    pub(super) fn held(&self) -> Option<Held> {
        self.start();
        self.inner.current(Instant::now())
    }

    /// One refetch for a request that found no keys (`had_keys` false) or
    /// not its token's `kid`, unless one started less than the minimum
    /// interval ago; joins the fetch under way, if any (the single flight),
    /// within the fetch timeout. Then [`RemoteKeys::held`] again.
    pub(super) async fn refetch(&self, had_keys: bool) -> Option<Held> {
        self.start();
        let gap = if had_keys {
            self.inner.settings.min_refresh
        } else {
            self.inner.settings.min_refresh.min(NO_KEYS_RETRY)
        };
        self.inner.refetch(gap).await;
        self.held()
    }

    /// [`RemoteKeys::held`], for a caller that cannot wait: a missing `kid`
    /// (or no keys) starts the refetch in the background instead.
    pub(super) fn keys_now(&self, kid: Option<&str>) -> Option<Held> {
        let held = self.held();
        let missing = match &held {
            None => true,
            Some(held) => kid.is_some_and(|kid| !held.has(kid)),
        };
        if missing && let Ok(handle) = tokio::runtime::Handle::try_current() {
            let inner = Arc::clone(&self.inner);
            let gap = inner.settings.min_refresh;
            handle.spawn(async move { inner.refetch(gap).await });
        }
        held
    }
}

/// The set of keys held at one moment: a guard of the lock-free load, good
/// for one request (a fetch meanwhile replaces the set for the next ones).
pub(super) struct Held(arc_swap::Guard<Option<Arc<KeySet>>>);

impl Held {
    /// The keys.
    pub(super) fn keys(&self) -> &[JwtKey] {
        self.0.as_deref().map_or(&[], |set| &set.keys)
    }

    fn has(&self, kid: &str) -> bool {
        self.keys().iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

/// What a request needing keys does.
enum Flight {
    /// A fetch started less than the interval ago: nothing.
    Recent,
    /// It started this fetch.
    Started(tokio::task::JoinHandle<()>),
    /// It waits for the fetch under way.
    Joined(watch::Receiver<bool>),
}

/// Refreshes the keys before they end, and retries while there are none or
/// the refresh fails; ends when the keys' owner is dropped.
async fn keep_fresh(inner: Weak<Inner>) {
    loop {
        let wait = match inner.upgrade() {
            Some(inner) => inner.next_fetch_in(Instant::now()),
            None => return,
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
            continue;
        }
        match inner.upgrade() {
            Some(inner) => inner.refetch(Duration::ZERO).await,
            None => return,
        }
    }
}

impl Inner {
    fn current(&self, now: Instant) -> Option<Held> {
        let held = self.keys.load();
        held.as_ref()
            .is_some_and(|set| set.usable_until > now)
            .then_some(Held(held))
    }

    /// How long since the last attempt started; `None` before the first.
    fn since_last_attempt(&self, now: Instant) -> Option<Duration> {
        match self.last_attempt.load(Ordering::Acquire) {
            0 => None,
            at => {
                let at = Duration::from_millis(at - 1);
                Some(now.saturating_duration_since(self.epoch).saturating_sub(at))
            }
        }
    }

    /// When the background task should fetch next.
    fn next_fetch_in(&self, now: Instant) -> Duration {
        let Some(since) = self.since_last_attempt(now) else {
            return Duration::ZERO;
        };
        let failing = self.log.lock().unwrap_or_else(|e| e.into_inner()).failing;
        let retry = |gap: Duration| gap.saturating_sub(since);
        match self.current(now) {
            None => retry(self.settings.min_refresh.min(NO_KEYS_RETRY)),
            Some(_) if failing => retry(self.settings.min_refresh),
            Some(held) => {
                let Some(set) = held.0.as_deref() else {
                    return Duration::ZERO;
                };
                // Three quarters into the lifetime; never sooner than the
                // minimum between refetches.
                let lifetime = set.fresh_until.saturating_duration_since(set.fetched_at);
                let refresh_at = set.fetched_at + lifetime * 3 / 4;
                refresh_at
                    .saturating_duration_since(now)
                    .max(retry(self.settings.min_refresh.min(lifetime / 4)))
            }
        }
    }

    /// One fetch, unless one started less than `gap` ago; a request that
    /// finds a fetch under way waits for it (within the timeout) instead.
    async fn refetch(self: &Arc<Self>, gap: Duration) {
        match self.join_or_start(gap) {
            Flight::Recent => {}
            Flight::Started(task) => {
                let _ = task.await;
            }
            Flight::Joined(mut done) => {
                let wait = async {
                    while !*done.borrow_and_update() {
                        if done.changed().await.is_err() {
                            break;
                        }
                    }
                };
                let _ = tokio::time::timeout(self.settings.timeout, wait).await;
            }
        }
    }

    /// The fetch under way, or a new one unless one started less than
    /// `gap` ago.
    fn join_or_start(self: &Arc<Self>, gap: Duration) -> Flight {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = in_flight.as_ref() {
            return Flight::Joined(done.clone());
        }
        let now = Instant::now();
        if !gap.is_zero()
            && self
                .since_last_attempt(now)
                .is_some_and(|since| since < gap)
        {
            return Flight::Recent;
        }
        let at = now.saturating_duration_since(self.epoch).as_millis() as u64 + 1;
        self.last_attempt.store(at, Ordering::Release);
        let (tx, rx) = watch::channel(false);
        *in_flight = Some(rx);
        // The fetch runs on its own: a request that goes away does not
        // cancel it for the others waiting.
        let inner = Arc::clone(self);
        Flight::Started(tokio::spawn(async move {
            inner.fetch_and_store().await;
            *inner.in_flight.lock().unwrap_or_else(|e| e.into_inner()) = None;
            let _ = tx.send(true);
        }))
    }

    async fn fetch_and_store(&self) {
        let fetched = tokio::time::timeout(self.settings.timeout, self.fetch()).await;
        let result = match fetched {
            Ok(result) => result,
            Err(_) => Err(format!(
                "no answer within {} ms",
                self.settings.timeout.as_millis()
            )),
        };
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok((keys, skipped, lifetime)) => {
                let now = Instant::now();
                let set = KeySet {
                    keys,
                    fetched_at: now,
                    fresh_until: now + lifetime,
                    usable_until: now + lifetime + self.settings.stale,
                };
                let kids: Vec<&str> = set.keys.iter().filter_map(|k| k.kid.as_deref()).collect();
                if log.failing {
                    tracing::info!(location = %self.location(), ?kids, "jwt mode: the identity provider's keys are fetched again");
                }
                tracing::debug!(location = %self.location(), ?kids, lifetime_s = lifetime.as_secs(), "jwt mode: keys fetched");
                if !skipped.is_empty() && skipped != log.skipped {
                    tracing::warn!(location = %self.location(), skipped = %skipped.join("; "), "jwt mode: keys skipped (they cannot verify token signatures here)");
                }
                log.skipped = skipped;
                log.failing = false;
                self.keys.store(Some(Arc::new(set)));
            }
            Err(reason) => {
                if !log.failing {
                    let held = self.current(Instant::now()).is_some();
                    tracing::warn!(
                        location = %self.location(),
                        reason = %reason,
                        keeping_last_keys = held,
                        "jwt mode: the identity provider's keys could not be fetched; retrying \
                         (logged once until a fetch succeeds)"
                    );
                }
                log.failing = true;
            }
        }
    }
}
