//! The lookup itself: checks that cost nothing first, one HTTPS client, a
//! bounded number of lookups in flight and a share of them per client
//! address, one lookup per token however many requests carry it at once,
//! and the caches (of identities, and of refusals) in front.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use lambda_http::http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::http::{Extensions, HeaderMap, HeaderValue, Method, Request, Uri};
use tokio::sync::{OnceCell, Semaphore};

use super::super::caller::{AuthError, Caller};
use super::super::headers::{CloudBaseForm, cloudbase_credential};
use super::cache::{self, Cache, Refusals};
use super::{
    MAX_CONCURRENT_LOOKUPS, MAX_LOOKUPS_PER_CLIENT, MIN_TOKEN_CHARS, REFUSAL_CACHE_ENTRIES,
    REFUSAL_CACHE_TTL, Settings, UnverifiedClaims, answer,
};
use crate::clock::now_ms;
use crate::config::ConfigError;
use crate::layer::ClientIp;

/// Largest answer read from CloudBase.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How far past its own `exp` a JWT access token is still sent to CloudBase
/// (clock skew between this host and CloudBase).
const EXP_LEEWAY_SECS: u64 = 5;

/// The `cloudbase` mode's verifier.
pub(in crate::identity) struct CloudBase {
    settings: Settings,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    cache: Cache,
    refusals: Refusals,
    slots: Semaphore,
    /// Lookups running per client address (IPv6 by /64).
    shares: Mutex<HashMap<Option<IpAddr>, usize>>,
    health: Health,
    /// The lookups under way, by cache key: requests that carry a token
    /// being looked up wait for that lookup instead of making their own.
    inflight: Mutex<HashMap<cache::Key, Arc<Lookup>>>,
    v1: Uri,
    v2: Uri,
}

/// One lookup's answer, shared by every request waiting for it.
type Lookup = OnceCell<Result<Caller, AuthError>>;

impl CloudBase {
    /// The client and the cache for `settings`.
    pub(in crate::identity) fn new(settings: Settings) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            var: super::VAR_CLOUDBASE_ENDPOINT,
            reason,
        };
        let v1: Uri = format!("{}/web?env={}", settings.origin, settings.env)
            .parse()
            .map_err(|e| invalid(format!("{e}")))?;
        let v2: Uri = format!(
            "{}/auth/v1/user/me?client_id={}",
            settings.origin, settings.env
        )
        .parse()
        .map_err(|e| invalid(format!("{e}")))?;
        // Plain HTTP (the emulator on loopback) needs no roots.
        let client = super::super::https::client(settings.origin.starts_with("https:"))
            .map_err(|e| invalid(format!("{e} (to check {})", settings.origin)))?;
        Ok(Self {
            cache: Cache::new(settings.cache_entries, settings.cache_ttl),
            refusals: Refusals::new(REFUSAL_CACHE_ENTRIES, REFUSAL_CACHE_TTL),
            settings,
            client,
            slots: Semaphore::new(MAX_CONCURRENT_LOOKUPS),
            shares: Mutex::new(HashMap::new()),
            health: Health::default(),
            inflight: Mutex::new(HashMap::new()),
            v1,
            v2,
        })
    }

    /// The origin asked.
    pub(in crate::identity) fn origin(&self) -> &str {
        &self.settings.origin
    }

    /// Who presents the CloudBase login in `headers`: refused at once when
    /// the token cannot be one (too short, a JWT expired or of another
    /// environment) or was refused a moment ago; from the cache; or from
    /// CloudBase within the configured time, in a lookup slot that the
    /// client address in `extensions` ([`ClientIp`]) has its share of.
    pub(in crate::identity) async fn verify(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Result<Caller, AuthError> {
        let (form, token) = cloudbase_credential(headers)?;
        if token.len() < MIN_TOKEN_CHARS {
            return Err(AuthError::Invalid(
                "the access token is too short to be one",
            ));
        }
        let claims = UnverifiedClaims::of(token);
        let now_s = now_ms() / 1000;
        if claims
            .exp
            .is_some_and(|exp| exp.saturating_add(EXP_LEEWAY_SECS) <= now_s)
        {
            return Err(AuthError::Invalid("the access token has expired"));
        }
        if claims
            .project_id
            .as_deref()
            .is_some_and(|env| env != self.settings.env)
        {
            return Err(AuthError::Invalid(
                "the access token belongs to another CloudBase environment",
            ));
        }
        let key = cache::key(form as u8, token);
        let now = Instant::now();
        if let Some(caller) = self.cache.get(&key, now) {
            return Ok(caller);
        }
        if let Some(refused) = self.refusals.get(&key, now) {
            return Err(refused);
        }
        let client = extensions.get::<ClientIp>().and_then(|ip| ip.0);
        let lookup = Arc::clone(
            self.inflight()
                .entry(key)
                .or_insert_with(|| Arc::new(OnceCell::new())),
        );
        // Removes the entry when this request is done or dropped (its client
        // went away), so the map holds only lookups someone waits for.
        let _entry = InflightEntry {
            owner: self,
            key,
            lookup: Arc::clone(&lookup),
        };
        // The first request runs the lookup, if its address has a share
        // left; the others wait for its answer. If it is cancelled or has no
        // share, the next waiter runs it.
        lookup
            .get_or_try_init(|| async {
                let Some(_share) = self.share(client) else {
                    return Err(AuthError::Unavailable(
                        "too many identity lookups from this address at once",
                    ));
                };
                let answer = self.bounded_lookup(form, token).await;
                self.health.record(&answer);
                match &answer {
                    Ok(caller) => {
                        let ends = claims
                            .exp
                            .map(|exp| now + Duration::from_secs(exp.saturating_sub(now_s)));
                        self.cache.put(key, caller.clone(), now, ends);
                    }
                    Err(AuthError::Unavailable(_)) => {}
                    Err(refused) => self.refusals.put(key, refused.clone(), now),
                }
                Ok(answer)
            })
            .await?
            .clone()
    }

    /// One of the lookups `client` may run at once, or `None` when its
    /// [`MAX_LOOKUPS_PER_CLIENT`] are running.
    fn share(&self, client: Option<IpAddr>) -> Option<Share<'_>> {
        let client = client.map(|ip| match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let mut bytes = v6.octets();
                bytes[8..].fill(0);
                IpAddr::from(bytes)
            }
            v4 => v4,
        });
        let mut shares = self.shares.lock().unwrap_or_else(|e| e.into_inner());
        let running = shares.entry(client).or_default();
        if *running >= MAX_LOOKUPS_PER_CLIENT {
            return None;
        }
        *running += 1;
        Some(Share {
            owner: self,
            client,
        })
    }

    fn inflight(&self) -> std::sync::MutexGuard<'_, HashMap<cache::Key, Arc<Lookup>>> {
        self.inflight.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many tokens are being looked up.
    #[cfg(test)]
    pub(in crate::identity) fn inflight_len(&self) -> usize {
        self.inflight().len()
    }

    /// [`CloudBase::lookup`] within the configured time.
    async fn bounded_lookup(&self, form: CloudBaseForm, token: &str) -> Result<Caller, AuthError> {
        match tokio::time::timeout(self.settings.timeout, self.lookup(form, token)).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::debug!(
                    timeout_ms = self.settings.timeout.as_millis() as u64,
                    "CloudBase did not answer the identity lookup in time"
                );
                Err(AuthError::Unavailable("CloudBase did not answer in time"))
            }
        }
    }

    async fn lookup(&self, form: CloudBaseForm, token: &str) -> Result<Caller, AuthError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| AuthError::Unavailable("the CloudBase client is shutting down"))?;
        let request = match form {
            CloudBaseForm::Bearer => Request::builder()
                .method(Method::GET)
                .uri(self.v2.clone())
                .header(AUTHORIZATION, bearer_value(token)?)
                .body(Full::new(Bytes::new())),
            CloudBaseForm::Credentials => {
                let body = serde_json::json!({
                    "action": "auth.getUserInfo",
                    "env": self.settings.env,
                    "access_token": token,
                    "dataVersion": "2020-01-10",
                });
                Request::builder()
                    .method(Method::POST)
                    .uri(self.v1.clone())
                    .header(CONTENT_TYPE, "application/json;charset=UTF-8")
                    .body(Full::new(Bytes::from(body.to_string())))
            }
        }
        .map_err(|_| AuthError::Invalid("the access token cannot be sent in a header"))?;
        let response = self.client.request(request).await.map_err(|e| {
            tracing::debug!(error = %e, origin = %self.settings.origin, "CloudBase is unreachable");
            AuthError::Unavailable("CloudBase is unreachable")
        })?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| {
                tracing::debug!(error = %e, "CloudBase's answer could not be read");
                AuthError::Unavailable("CloudBase's answer could not be read")
            })?
            .to_bytes();
        match form {
            CloudBaseForm::Bearer => answer::from_v2(status, &body),
            CloudBaseForm::Credentials => answer::from_v1(status, &body, &self.settings.env),
        }
    }
}

/// One running lookup of a client address: given back on drop.
struct Share<'a> {
    owner: &'a CloudBase,
    client: Option<IpAddr>,
}

impl Drop for Share<'_> {
    fn drop(&mut self) {
        let mut shares = self.owner.shares.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(running) = shares.get_mut(&self.client) {
            *running -= 1;
            if *running == 0 {
                shares.remove(&self.client);
            }
        }
    }
}

/// Whether CloudBase answers, logged once per change: a lookup that fails
/// while it is already failing adds no line (the requests' 503s are counted
/// by the failure summaries).
#[derive(Default)]
struct Health {
    /// Since when, and how many lookups have failed since.
    down: Mutex<Option<(Instant, u64)>>,
}

impl Health {
    fn record(&self, answer: &Result<Caller, AuthError>) {
        let mut down = self.down.lock().unwrap_or_else(|e| e.into_inner());
        match (answer, down.as_mut()) {
            (Err(AuthError::Unavailable(_)), Some((_, failures))) => *failures += 1,
            (Err(AuthError::Unavailable(reason)), None) => {
                *down = Some((Instant::now(), 1));
                tracing::warn!(
                    reason,
                    "CloudBase unavailable ({reason}): identity lookups answer 503 until it \
                     answers again; no line per failed lookup until then"
                );
            }
            (_, Some((since, failures))) => {
                let seconds = since.elapsed().as_secs();
                tracing::warn!(
                    failed_lookups = *failures,
                    seconds,
                    "CloudBase answers again, after {failures} failed lookups in {seconds} s"
                );
                *down = None;
            }
            (_, None) => {}
        }
    }
}

/// A request's hold on an in-flight lookup: dropping it removes the map
/// entry if it is still that lookup's.
struct InflightEntry<'a> {
    owner: &'a CloudBase,
    key: cache::Key,
    lookup: Arc<Lookup>,
}

impl Drop for InflightEntry<'_> {
    fn drop(&mut self) {
        let mut inflight = self.owner.inflight();
        if inflight
            .get(&self.key)
            .is_some_and(|l| Arc::ptr_eq(l, &self.lookup))
        {
            inflight.remove(&self.key);
        }
    }
}

fn bearer_value(token: &str) -> Result<HeaderValue, AuthError> {
    HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| AuthError::Invalid("the access token cannot be sent in a header"))
}
