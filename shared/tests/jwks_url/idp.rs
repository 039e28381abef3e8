//! A controllable identity provider on loopback: `/jwks` answers whatever
//! the test sets (keys, a status, a delay, a redirect, any body), and
//! `/.well-known/openid-configuration` points at it. Counts what it serves.
//! Also used by `shared/tests/examples.rs`, which needs only part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

/// An ES256 key pair and its kid.
pub struct SigningKey {
    kid: String,
    private: EncodingKey,
    x: String,
    y: String,
}

impl SigningKey {
    pub fn new(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("generates");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("reads");
        let point = pair.public_key().as_ref();
        Self {
            kid: kid.to_owned(),
            private: EncodingKey::from_ec_der(pkcs8.as_ref()),
            x: URL_SAFE_NO_PAD.encode(&point[1..33]),
            y: URL_SAFE_NO_PAD.encode(&point[33..65]),
        }
    }

    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "EC", "crv": "P-256", "x": self.x, "y": self.y,
            "kid": self.kid, "alg": "ES256", "use": "sig",
        })
    }

    fn claims(iss: Option<&str>, sub: &str, aud: &str) -> serde_json::Value {
        let now = customauth::now_ms() / 1000;
        let mut claims = serde_json::json!({"sub": sub, "aud": aud, "iat": now, "exp": now + 600});
        if let Some(iss) = iss {
            claims["iss"] = iss.into();
        }
        claims
    }

    fn sign(&self, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.private).expect("signs")
    }

    /// A token for `sub` and `aud`, under this key's kid.
    pub fn token(&self, sub: &str, aud: &str) -> String {
        self.sign(&self.kid, &Self::claims(None, sub, aud))
    }

    /// A token signed by this key under another kid.
    pub fn token_with_kid(&self, sub: &str, aud: &str, kid: &str) -> String {
        self.sign(kid, &Self::claims(None, sub, aud))
    }

    /// A token with `iss`.
    pub fn token_from(&self, iss: &str, sub: &str, aud: &str) -> String {
        self.sign(&self.kid, &Self::claims(Some(iss), sub, aud))
    }

    /// An HS256 token under this key's kid (the algorithm is the token's).
    pub fn hs256_under_kid(&self, sub: &str, aud: &str) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(
            &header,
            &Self::claims(None, sub, aud),
            &EncodingKey::from_secret(self.x.as_bytes()),
        )
        .expect("signs")
    }

    /// A well-formed token under `kid` with a signature of nobody's.
    pub fn unsigned(kid: &str) -> String {
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": kid});
        let claims = Self::claims(None, "user_liar", "any");
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode([7u8; 64]),
        )
    }
}

/// What `/jwks` answers.
#[derive(Debug, Clone)]
pub struct Answer {
    status: u16,
    body: String,
    cache_control: Option<String>,
    delay: Duration,
    location: Option<String>,
}

impl Answer {
    pub fn keys(keys: &[&SigningKey]) -> Self {
        let keys: Vec<_> = keys.iter().map(|k| k.jwk()).collect();
        Self::body(&serde_json::json!({ "keys": keys }).to_string())
    }

    pub fn body(body: &str) -> Self {
        Self {
            status: 200,
            body: body.to_owned(),
            cache_control: None,
            delay: Duration::ZERO,
            location: None,
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            ..Self::body("{\"error\": \"down for maintenance\"}")
        }
    }

    pub fn redirect(to: &str) -> Self {
        Self {
            status: 302,
            location: Some(to.to_owned()),
            ..Self::body("")
        }
    }

    pub fn max_age(mut self, seconds: u64) -> Self {
        self.cache_control = Some(format!("public, max-age={seconds}"));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The same JSON made `bytes` long with an extra member.
    pub fn padded(mut self, bytes: usize) -> Self {
        let mut doc: serde_json::Value = serde_json::from_str(&self.body).expect("JSON");
        let pad = bytes.saturating_sub(self.body.len() + 16);
        doc["padding"] = "x".repeat(pad).into();
        self.body = doc.to_string();
        self
    }

    pub fn text(&self) -> String {
        self.body.clone()
    }
}

struct Shared {
    answer: Mutex<Answer>,
    hits: AtomicU64,
    discoveries: AtomicU64,
    discovery_issuer: Mutex<Option<String>>,
    origin: String,
}

/// The provider; stops when dropped.
pub struct Idp {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Idp {
    pub async fn start(answer: Answer) -> Self {
        Self::start_on(0, answer).await
    }

    pub async fn start_on(port: u16, answer: Answer) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared {
            answer: Mutex::new(answer),
            hits: AtomicU64::new(0),
            discoveries: AtomicU64::new(0),
            discovery_issuer: Mutex::new(None),
            origin: format!("http://127.0.0.1:{port}"),
        });
        let app = Router::new()
            .route("/jwks", get(jwks))
            .route("/.well-known/openid-configuration", get(discovery))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared, task }
    }

    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.shared.origin)
    }

    /// Fetches of `/jwks` served so far.
    pub fn hits(&self) -> u64 {
        self.shared.hits.load(Ordering::SeqCst)
    }

    pub fn discoveries(&self) -> u64 {
        self.shared.discoveries.load(Ordering::SeqCst)
    }

    pub fn answer(&self, answer: Answer) {
        *self.shared.answer.lock().expect("lock") = answer;
    }

    /// The `issuer` the discovery document names (the origin by default).
    pub fn discovery_issuer(&self, issuer: &str) {
        *self.shared.discovery_issuer.lock().expect("lock") = Some(issuer.to_owned());
    }
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.hits.fetch_add(1, Ordering::SeqCst);
    let answer = shared.answer.lock().expect("lock").clone();
    tokio::time::sleep(answer.delay).await;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(cc) = &answer.cache_control {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(cc).expect("value"),
        );
    }
    if let Some(to) = &answer.location {
        headers.insert(header::LOCATION, HeaderValue::from_str(to).expect("value"));
    }
    let status = StatusCode::from_u16(answer.status).expect("status");
    (status, headers, answer.body).into_response()
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.discoveries.fetch_add(1, Ordering::SeqCst);
    let issuer = shared
        .discovery_issuer
        .lock()
        .expect("lock")
        .clone()
        .unwrap_or_else(|| shared.origin.clone());
    let doc = serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{}/jwks", shared.origin),
        "id_token_signing_alg_values_supported": ["ES256"],
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_string(),
    )
        .into_response()
}
