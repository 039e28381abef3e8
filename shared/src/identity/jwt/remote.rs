//! Keys fetched from the identity provider: `CUSTOMAUTH_JWT_JWKS_URL`, or
//! the `jwks_uri` of `CUSTOMAUTH_JWT_OIDC_ISSUER`'s OpenID discovery
//! document.
//!
//! - Fetched at start in the background; until keys arrive, a request waits
//!   for a fetch under way (within the fetch timeout) and otherwise gets
//!   [`AuthError::Unavailable`] (503 with `Retry-After`), never a 401.
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
//! - Bounded: [`MAX_DOCUMENT_BYTES`] per answer, 64 keys per set,
//!   `CUSTOMAUTH_JWT_JWKS_TIMEOUT_MS` per fetch (discovery included);
//!   redirects are not followed; keys that cannot verify signatures are
//!   skipped with one log line. Each key's algorithm is pinned by the key.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lambda_http::http::header::{ACCEPT, CACHE_CONTROL};
use lambda_http::http::{HeaderMap, Method, Request, StatusCode, Uri};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::JwtKey;
use super::keys::remote_jwks_keys;
use crate::config::ConfigError;
use crate::config::number;

/// Largest discovery document or JWKS read.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Longest wait between fetch attempts while there are no keys at all.
const NO_KEYS_RETRY: Duration = Duration::from_secs(5);

/// Where the keys come from, checked at start.
#[derive(Debug, Clone)]
pub(super) enum Location {
    /// `CUSTOMAUTH_JWT_JWKS_URL`.
    Jwks(Uri),
    /// `CUSTOMAUTH_JWT_OIDC_ISSUER`: the issuer as configured, and its
    /// discovery document's URL.
    Issuer { issuer: String, discovery: Uri },
}

/// The fetch and cache settings.
#[derive(Debug, Clone)]
pub(super) struct FetchSettings {
    pub location: Location,
    pub min_refresh: Duration,
    pub cache_min: Duration,
    pub cache_max: Duration,
    pub stale: Duration,
    pub timeout: Duration,
}

impl FetchSettings {
    /// The fetch and cache variables, checked, for keys at `location`.
    pub(super) fn from_env(
        env: &impl Fn(&str) -> Option<String>,
        location: Location,
    ) -> Result<Self, ConfigError> {
        use super::{
            DEFAULT_JWKS_CACHE_MAX_SECONDS, DEFAULT_JWKS_CACHE_MIN_SECONDS,
            DEFAULT_JWKS_MIN_REFRESH_SECONDS, DEFAULT_JWKS_STALE_SECONDS, DEFAULT_JWKS_TIMEOUT_MS,
            VAR_JWT_JWKS_CACHE_MAX_SECONDS, VAR_JWT_JWKS_CACHE_MIN_SECONDS,
            VAR_JWT_JWKS_MIN_REFRESH_SECONDS, VAR_JWT_JWKS_STALE_SECONDS, VAR_JWT_JWKS_TIMEOUT_MS,
        };
        const WEEK: u64 = 7 * 24 * 3600;
        let min_refresh = number(
            env,
            VAR_JWT_JWKS_MIN_REFRESH_SECONDS,
            DEFAULT_JWKS_MIN_REFRESH_SECONDS,
            1,
            3600,
        )?;
        let cache_min = number(
            env,
            VAR_JWT_JWKS_CACHE_MIN_SECONDS,
            DEFAULT_JWKS_CACHE_MIN_SECONDS,
            1,
            WEEK,
        )?;
        let cache_max = number(
            env,
            VAR_JWT_JWKS_CACHE_MAX_SECONDS,
            DEFAULT_JWKS_CACHE_MAX_SECONDS,
            1,
            WEEK,
        )?;
        if cache_min > cache_max {
            return Err(ConfigError::Conflict(format!(
                "{VAR_JWT_JWKS_CACHE_MIN_SECONDS} ({cache_min}) is above \
                 {VAR_JWT_JWKS_CACHE_MAX_SECONDS} ({cache_max})"
            )));
        }
        let stale = number(
            env,
            VAR_JWT_JWKS_STALE_SECONDS,
            DEFAULT_JWKS_STALE_SECONDS,
            0,
            WEEK,
        )?;
        let timeout = number(
            env,
            VAR_JWT_JWKS_TIMEOUT_MS,
            DEFAULT_JWKS_TIMEOUT_MS,
            100,
            30_000,
        )?;
        Ok(Self {
            location,
            min_refresh: Duration::from_secs(min_refresh),
            cache_min: Duration::from_secs(cache_min),
            cache_max: Duration::from_secs(cache_max),
            stale: Duration::from_secs(stale),
            timeout: Duration::from_millis(timeout),
        })
    }
}

/// The location of `CUSTOMAUTH_JWT_OIDC_ISSUER`'s discovery document:
/// the issuer without a trailing `/`, then
/// `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0, 4).
pub(super) fn issuer_location(var: &'static str, issuer: &str) -> Result<Location, ConfigError> {
    let issuer = issuer.trim();
    let checked = checked_url(var, issuer)?;
    if checked.query().is_some() {
        return Err(ConfigError::Invalid {
            var,
            reason: "an issuer URL has no query".into(),
        });
    }
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let discovery = checked_url(var, &discovery)?;
    Ok(Location::Issuer {
        issuer: issuer.to_owned(),
        discovery,
    })
}

/// `url` when it may be fetched: `https://`, or `http://` to a loopback IP
/// address; no user name or password.
pub(super) fn checked_url(var: &'static str, url: &str) -> Result<Uri, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        var,
        reason: reason.into(),
    };
    let uri: Uri = url
        .trim()
        .parse()
        .map_err(|_| invalid("not a URL; https://... expected"))?;
    let authority = uri
        .authority()
        .ok_or_else(|| invalid("not a URL with a host; https://... expected"))?;
    if authority.as_str().contains('@') {
        return Err(invalid("the URL must not carry a user name or password"));
    }
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback(authority.host()) => Ok(uri),
        Some("http") => Err(invalid(
            "plain http:// is accepted for loopback addresses only (127.0.0.1, [::1]): keys \
             fetched without TLS could be replaced on the way; use https://",
        )),
        _ => Err(invalid("the URL must start with https://")),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The keys currently held.
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
    keys: RwLock<Option<Arc<KeySet>>>,
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
            .map(|set| set.keys.iter().map(|k| (k.kid.clone(), k.alg)).collect())
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
    /// is running, else at the first [`RemoteKeys::verify_keys`]).
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
        let client =
            https_client(needs_roots).map_err(|reason| ConfigError::Invalid { var, reason })?;
        let this = Self {
            inner: Arc::new(Inner {
                settings,
                make_validation,
                client,
                keys: RwLock::new(None),
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

    /// The keys to check a token with `kid` against: the current set, after
    /// one refetch when there are none or `kid` is not among them (rate
    /// limited and shared, see the module). `None` when no keys could be
    /// had.
    pub(super) async fn verify_keys(&self, kid: Option<&str>) -> Option<Arc<KeySet>> {
        self.start();
        let now = Instant::now();
        let set = self.inner.current(now);
        let gap = match &set {
            None => self.inner.settings.min_refresh.min(NO_KEYS_RETRY),
            Some(set) if kid.is_some_and(|kid| !set.has(kid)) => self.inner.settings.min_refresh,
            Some(_) => return set,
        };
        self.inner.refetch(gap).await;
        self.inner.current(Instant::now())
    }

    /// The current keys, without waiting; a missing `kid` starts a refetch
    /// in the background (rate limited as in [`RemoteKeys::verify_keys`]).
    pub(super) fn keys_now(&self, kid: Option<&str>) -> Option<Arc<KeySet>> {
        self.start();
        let set = self.inner.current(Instant::now());
        let missing = match &set {
            None => true,
            Some(set) => kid.is_some_and(|kid| !set.has(kid)),
        };
        if missing && let Ok(handle) = tokio::runtime::Handle::try_current() {
            let inner = Arc::clone(&self.inner);
            let gap = inner.settings.min_refresh;
            handle.spawn(async move { inner.refetch(gap).await });
        }
        set
    }
}

impl KeySet {
    fn has(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
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
    fn current(&self, now: Instant) -> Option<Arc<KeySet>> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.as_ref().filter(|set| set.usable_until > now).cloned()
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
            Some(set) => {
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
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(set));
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

    fn location(&self) -> String {
        match &self.settings.location {
            Location::Jwks(uri) => uri.to_string(),
            Location::Issuer { issuer, .. } => issuer.clone(),
        }
    }

    /// The keys, what was skipped, and how long to keep them.
    async fn fetch(&self) -> Result<(Vec<JwtKey>, Vec<String>, Duration), String> {
        let jwks_uri = match &self.settings.location {
            Location::Jwks(uri) => uri.clone(),
            Location::Issuer { issuer, discovery } => {
                let known = self
                    .jwks_uri
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                match known {
                    Some(uri) => uri,
                    None => {
                        let uri = self.discover(issuer, discovery).await?;
                        *self.jwks_uri.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(uri.clone());
                        uri
                    }
                }
            }
        };
        let (headers, body) = self.get(&jwks_uri).await?;
        let (entries, skipped) =
            remote_jwks_keys(&body).map_err(|reason| format!("the JWKS {reason}"))?;
        let keys = entries
            .into_iter()
            .map(|(kid, alg, key)| JwtKey {
                kid,
                alg,
                key,
                validation: (self.make_validation)(alg),
            })
            .collect();
        let lifetime = max_age(&headers)
            .unwrap_or(self.settings.cache_min)
            .clamp(self.settings.cache_min, self.settings.cache_max);
        Ok((keys, skipped, lifetime))
    }

    /// The `jwks_uri` of the discovery document, whose `issuer` must be the
    /// configured one.
    async fn discover(&self, issuer: &str, discovery: &Uri) -> Result<Uri, String> {
        #[derive(serde::Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let (_, body) = self.get(discovery).await?;
        let doc: Discovery = serde_json::from_slice(&body).map_err(|_| {
            "the discovery document is not JSON with the strings issuer and jwks_uri".to_owned()
        })?;
        if doc.issuer != issuer {
            return Err(format!(
                "the discovery document names the issuer {:?}, not the configured one",
                doc.issuer.chars().take(200).collect::<String>()
            ));
        }
        checked_url("jwks_uri", &doc.jwks_uri).map_err(|e| format!("{e}"))
    }

    /// One GET: status 200, at most [`MAX_DOCUMENT_BYTES`].
    async fn get(&self, uri: &Uri) -> Result<(HeaderMap, Bytes), String> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(uri.clone())
            .header(ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|e| format!("{e}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("{uri} is unreachable: {e}"))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(format!(
                "{uri} answered {status}: redirects are not followed; configure the final URL"
            ));
        }
        if status != StatusCode::OK {
            return Err(format!("{uri} answered {status}"));
        }
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_DOCUMENT_BYTES)
            .collect()
            .await
            .map_err(|e| format!("the answer of {uri} could not be read: {e}"))?
            .to_bytes();
        Ok((parts.headers, body))
    }
}

/// `Cache-Control: max-age` of an answer; `no-store` / `no-cache` count as
/// none.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut age = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let lower = directive.to_ascii_lowercase();
            if lower == "no-store" || lower == "no-cache" {
                return None;
            }
            if let Some(n) = lower.strip_prefix("max-age=") {
                age = n
                    .trim_matches('"')
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs);
            }
        }
    }
    age
}

/// The HTTPS client: rustls with the system's CA roots, as the cloudbase
/// mode's; plain HTTP for the loopback addresses [`checked_url`] lets
/// through.
fn https_client(
    needs_roots: bool,
) -> Result<Client<HttpsConnector<HttpConnector>, Empty<Bytes>>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = match hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(Arc::clone(&provider))
    {
        Ok(builder) => builder,
        Err(e) if needs_roots => {
            return Err(format!("no CA certificates could be loaded: {e}"));
        }
        Err(_) => {
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("{e}"))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
        }
    };
    let connector = builder.https_or_http().enable_http1().build();
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_and_no_store_means_none() {
        let mut h = HeaderMap::new();
        assert_eq!(max_age(&h), None);
        h.insert(
            CACHE_CONTROL,
            "public, max-age=3600, must-revalidate".parse().unwrap(),
        );
        assert_eq!(max_age(&h), Some(Duration::from_secs(3600)));
        h.insert(CACHE_CONTROL, "no-store, max-age=60".parse().unwrap());
        assert_eq!(max_age(&h), None);
    }

    #[test]
    fn http_is_for_loopback_only() {
        for ok in [
            "https://idp.example.com/jwks",
            "http://127.0.0.1:8080/jwks",
            "http://[::1]:9/k",
        ] {
            assert!(checked_url("V", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example.com/jwks",
            "http://localhost/jwks",
            "http://10.0.0.1/jwks",
            "ftp://127.0.0.1/x",
            "https://user:pw@idp.example.com/jwks",
            "/jwks",
        ] {
            assert!(checked_url("V", bad).is_err(), "{bad}");
        }
    }
}
