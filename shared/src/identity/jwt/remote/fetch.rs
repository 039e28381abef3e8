//! The fetches themselves: OpenID discovery, the JWKS, one bounded GET
//! each (status 200, at most [`MAX_DOCUMENT_BYTES`], no redirect followed),
//! and the answer's `Cache-Control: max-age`.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use lambda_http::http::header::{ACCEPT, CACHE_CONTROL};
use lambda_http::http::{HeaderMap, Method, Request, StatusCode, Uri};

use super::super::JwtKey;
use super::super::keys::remote_jwks_keys;
use super::Inner;
use super::settings::{Location, checked_url};

/// Largest discovery document or JWKS read.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

impl Inner {
    pub(super) fn location(&self) -> String {
        match &self.settings.location {
            Location::Jwks(uri) => uri.to_string(),
            Location::Issuer { issuer, .. } => issuer.clone(),
        }
    }

    /// The keys, what was skipped, and how long to keep them.
    pub(super) async fn fetch(&self) -> Result<(Vec<JwtKey>, Vec<String>, Duration), String> {
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
}
