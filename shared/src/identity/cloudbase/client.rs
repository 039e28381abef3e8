//! The lookup itself: one HTTPS client, a bounded number of lookups in
//! flight, one lookup per token however many requests carry it at once, and
//! the cache in front.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lambda_http::http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::http::{HeaderMap, HeaderValue, Method, Request, Uri};
use tokio::sync::{OnceCell, Semaphore};

use super::super::caller::{AuthError, Caller};
use super::super::headers::{CloudBaseForm, cloudbase_credential};
use super::cache::{self, Cache};
use super::{MAX_CONCURRENT_LOOKUPS, Settings, answer, unverified_exp};
use crate::clock::now_ms;
use crate::config::ConfigError;

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
    slots: Semaphore,
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
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = match hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(Arc::clone(&provider))
        {
            Ok(builder) => builder,
            Err(e) if settings.origin.starts_with("https:") => {
                return Err(invalid(format!(
                    "no CA certificates could be loaded to check {}: {e}",
                    settings.origin
                )));
            }
            // Plain HTTP (the emulator) needs no roots.
            Err(_) => {
                let tls = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| invalid(format!("{e}")))?
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
            }
        };
        let connector = builder.https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Self {
            cache: Cache::new(settings.cache_entries, settings.cache_ttl),
            settings,
            client,
            slots: Semaphore::new(MAX_CONCURRENT_LOOKUPS),
            inflight: Mutex::new(HashMap::new()),
            v1,
            v2,
        })
    }

    /// The origin asked.
    pub(in crate::identity) fn origin(&self) -> &str {
        &self.settings.origin
    }

    /// Who presents the CloudBase login in `headers`: from the cache, or
    /// from CloudBase within the configured time.
    pub(in crate::identity) async fn verify(
        &self,
        headers: &HeaderMap,
    ) -> Result<Caller, AuthError> {
        let (form, token) = cloudbase_credential(headers)?;
        let exp = unverified_exp(token);
        let now_s = now_ms() / 1000;
        if exp.is_some_and(|exp| exp.saturating_add(EXP_LEEWAY_SECS) <= now_s) {
            return Err(AuthError::Invalid("the access token has expired"));
        }
        let key = cache::key(form as u8, token);
        let now = Instant::now();
        if let Some(caller) = self.cache.get(&key, now) {
            return Ok(caller);
        }
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
        // The first request runs the lookup; the others wait for its answer.
        // If it is cancelled, the next waiter runs it.
        lookup
            .get_or_init(|| async {
                let answer = self.bounded_lookup(form, token).await;
                if let Ok(caller) = &answer {
                    let ends = exp.map(|exp| now + Duration::from_secs(exp.saturating_sub(now_s)));
                    self.cache.put(key, caller.clone(), now, ends);
                }
                answer
            })
            .await
            .clone()
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
                tracing::warn!(
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
            tracing::warn!(error = %e, origin = %self.settings.origin, "CloudBase is unreachable");
            AuthError::Unavailable("CloudBase is unreachable")
        })?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "CloudBase's answer could not be read");
                AuthError::Unavailable("CloudBase's answer could not be read")
            })?
            .to_bytes();
        match form {
            CloudBaseForm::Bearer => answer::from_v2(status, &body),
            CloudBaseForm::Credentials => answer::from_v1(status, &body, &self.settings.env),
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
