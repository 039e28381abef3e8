//! jwt mode with keys at a URL (`CUSTOMAUTH_JWT_JWKS_URL`) and OpenID
//! discovery (`CUSTOMAUTH_JWT_OIDC_ISSUER`), against a small identity
//! provider on loopback whose answers each test controls: rotation, an
//! unknown-kid flood, a provider down at start or later, slow, oversized,
//! malformed, redirecting. The provider counts the fetches it serves.

mod idp;

use std::time::{Duration, Instant};

use customauth::ConfigError;
use customauth::identity::{AuthError, Caller, CallerAuth};
use lambda_http::http::{Extensions, HeaderMap, HeaderValue};

use idp::{Answer, Idp, SigningKey};

const AUDIENCE: &str = "customauth-jwks-url-test";

/// jwt mode with keys at `url`, plus `extra` settings.
fn auth(url: &str, extra: &[(&str, &str)]) -> CallerAuth {
    try_auth(url, extra).expect("valid configuration")
}

fn try_auth(url: &str, extra: &[(&str, &str)]) -> Result<CallerAuth, ConfigError> {
    let mut vars: Vec<(String, String)> = vec![
        ("CUSTOMAUTH_CALLER_AUTH".into(), "jwt".into()),
        ("CUSTOMAUTH_JWT_JWKS_URL".into(), url.into()),
        ("CUSTOMAUTH_JWT_AUDIENCE".into(), AUDIENCE.into()),
        ("CUSTOMAUTH_JWT_JWKS_TIMEOUT_MS".into(), "500".into()),
    ];
    for (k, v) in extra {
        vars.retain(|(name, _)| name != k);
        vars.push(((*k).into(), (*v).into()));
    }
    CallerAuth::from_env(&|k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
}

async fn check(auth: &CallerAuth, token: &str) -> Result<Caller, AuthError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    auth.authenticate_with_lookup(&headers, &Extensions::new())
        .await
}

fn user(answer: Result<Caller, AuthError>) -> String {
    match answer {
        Ok(Caller::User(user)) => user.user_id.to_string(),
        other => panic!("expected a verified user, got {other:?}"),
    }
}

fn is_invalid(answer: &Result<Caller, AuthError>) -> bool {
    matches!(answer, Err(AuthError::Invalid(_)))
}

fn is_unavailable(answer: &Result<Caller, AuthError>) -> bool {
    matches!(answer, Err(AuthError::Unavailable(_)))
}

/// Polls `what` every 50 ms until it holds, for at most `within`.
async fn eventually(within: Duration, mut what: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if what().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_token_signed_with_a_published_key_is_accepted_and_others_are_not() {
    let a = SigningKey::new("key-a");
    let idp = Idp::start(Answer::keys(&[&a])).await;
    let auth = auth(&idp.jwks_url(), &[]);
    assert_eq!(
        user(check(&auth, &a.token("user_1234", AUDIENCE)).await),
        "user_1234"
    );
    // Another audience, and a key of the same kid that is not the published one.
    assert!(is_invalid(
        &check(&auth, &a.token("user_1234", "another-service")).await
    ));
    let impostor = SigningKey::new("key-a");
    assert!(is_invalid(
        &check(&auth, &impostor.token("user_1234", AUDIENCE)).await
    ));
    assert_eq!(idp.hits(), 1, "one fetch at start serves them all");
}

#[tokio::test]
async fn rotation_a_new_key_is_accepted_on_first_sight_and_a_removed_one_ends_with_the_cache() {
    let (a, b) = (SigningKey::new("key-a"), SigningKey::new("key-b"));
    let idp = Idp::start(Answer::keys(&[&a]).max_age(2)).await;
    let auth = auth(
        &idp.jwks_url(),
        &[
            ("CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS", "1"),
            ("CUSTOMAUTH_JWT_JWKS_CACHE_MIN_SECONDS", "1"),
        ],
    );
    assert_eq!(
        user(check(&auth, &a.token("user_a", AUDIENCE)).await),
        "user_a"
    );
    // The provider rotates: key-b is published and signs at once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    idp.answer(Answer::keys(&[&b, &a]).max_age(2));
    let before = idp.hits();
    assert_eq!(
        user(check(&auth, &b.token("user_b", AUDIENCE)).await),
        "user_b",
        "the first request with the new key is accepted"
    );
    assert_eq!(idp.hits(), before + 1, "one refetch for the unknown kid");
    // key-a is removed: its tokens stay accepted until the cache ends (2 s).
    idp.answer(Answer::keys(&[&b]).max_age(2));
    assert_eq!(
        user(check(&auth, &a.token("user_a", AUDIENCE)).await),
        "user_a"
    );
    let refused = eventually(Duration::from_secs(4), async || {
        is_invalid(&check(&auth, &a.token("user_a", AUDIENCE)).await)
    })
    .await;
    assert!(
        refused,
        "a removed key's tokens are refused once the keys are refreshed"
    );
    assert_eq!(
        user(check(&auth, &b.token("user_b", AUDIENCE)).await),
        "user_b"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_made_up_kids_fetches_at_most_once_per_min_refresh() {
    let a = SigningKey::new("key-a");
    let idp = Idp::start(Answer::keys(&[&a])).await;
    let auth = std::sync::Arc::new(auth(
        &idp.jwks_url(),
        &[("CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS", "1")],
    ));
    assert_eq!(
        user(check(&auth, &a.token("user_a", AUDIENCE)).await),
        "user_a"
    );
    let before = idp.hits();
    let started = Instant::now();
    let flood = Duration::from_millis(2500);
    let mut tasks = Vec::new();
    // A few sequential streams: with many concurrent waiters the single
    // flight alone would absorb most refetches, hiding the interval rule.
    for worker in 0..4 {
        let auth = std::sync::Arc::clone(&auth);
        tasks.push(tokio::spawn(async move {
            let mut sent = 0u32;
            while started.elapsed() < flood {
                let liar = SigningKey::unsigned(&format!("made-up-{worker}-{sent}"));
                assert!(is_invalid(&check(&auth, &liar).await));
                sent += 1;
            }
            sent
        }));
    }
    let mut sent = 0;
    for t in tasks {
        sent += t.await.expect("flood task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let hits = idp.hits() - before;
    // 1 + elapsed / min-refresh, rounded up for the fetch under way at the end.
    let allowed = 1 + elapsed.ceil() as u64;
    eprintln!("{sent} tokens with made-up kids in {elapsed:.1} s: {hits} provider hits");
    assert!(sent > 100, "the flood ran ({sent})");
    assert!(
        hits <= allowed,
        "{hits} provider hits during the flood, at most {allowed}"
    );
    // The real key still works throughout.
    assert_eq!(
        user(check(&auth, &a.token("user_a", AUDIENCE)).await),
        "user_a"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_for_a_new_kid_during_its_refetch_share_that_one_fetch() {
    let (a, b) = (SigningKey::new("key-a"), SigningKey::new("key-b"));
    let idp = Idp::start(Answer::keys(&[&a])).await;
    let auth = std::sync::Arc::new(auth(
        &idp.jwks_url(),
        &[
            ("CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS", "1"),
            ("CUSTOMAUTH_JWT_JWKS_TIMEOUT_MS", "3000"),
        ],
    ));
    assert_eq!(
        user(check(&auth, &a.token("user_a", AUDIENCE)).await),
        "user_a"
    );
    // Past the minimum interval, the provider rotates and answers slowly:
    // every request for key-b arrives while the first one's fetch runs.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    idp.answer(Answer::keys(&[&b, &a]).delay(Duration::from_millis(400)));
    let before = idp.hits();
    let token = b.token("user_b", AUDIENCE);
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let (auth, token) = (std::sync::Arc::clone(&auth), token.clone());
            tokio::spawn(async move { check(&auth, &token).await })
        })
        .collect();
    for request in requests {
        let answer = request.await.expect("request task");
        assert_eq!(user(answer), "user_b", "each waits for the fetch under way");
    }
    assert_eq!(idp.hits(), before + 1, "one fetch for all eight");
}

#[tokio::test]
async fn a_keys_algorithm_is_the_one_its_jwk_names_never_the_tokens() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    // The fixture JWKS: its RSA key (kid k2048) says alg RS256.
    let idp = Idp::start(Answer::body(customauth_testkit::fixtures::keys::JWKS)).await;
    let auth = auth(&idp.jwks_url(), &[]);
    let private =
        EncodingKey::from_rsa_pem(customauth_testkit::fixtures::keys::K2048_PKCS1.as_bytes())
            .expect("fixture key");
    let now = customauth::now_ms() / 1000;
    let claims = serde_json::json!({"sub": "user_rsa", "aud": AUDIENCE, "exp": now + 600});
    let signed = |alg| {
        let mut header = Header::new(alg);
        header.kid = Some("k2048".into());
        jsonwebtoken::encode(&header, &claims, &private).expect("signs")
    };
    assert_eq!(
        user(check(&auth, &signed(Algorithm::RS256)).await),
        "user_rsa"
    );
    // Signed by the same private key, with another algorithm of the family
    // the token names: refused, the key is for RS256 only.
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let answer = check(&auth, &signed(alg)).await;
        assert!(is_invalid(&answer), "{alg:?}: {answer:?}");
    }
}

#[tokio::test]
async fn a_provider_down_at_start_gives_503_until_its_keys_arrive() {
    let a = SigningKey::new("key-a");
    let port = idp::free_port();
    let url = format!("http://127.0.0.1:{port}/jwks");
    let auth = auth(&url, &[("CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS", "1")]);
    let token = a.token("user_a", AUDIENCE);
    assert!(
        is_unavailable(&check(&auth, &token).await),
        "503 while no keys"
    );
    let _idp = Idp::start_on(port, Answer::keys(&[&a])).await;
    let recovered = eventually(Duration::from_secs(5), async || {
        check(&auth, &token).await.is_ok()
    })
    .await;
    assert!(recovered, "accepted once the provider answers");
}

#[tokio::test]
async fn a_provider_down_later_leaves_the_last_good_keys_serving_for_the_stale_allowance() {
    let a = SigningKey::new("key-a");
    let idp = Idp::start(Answer::keys(&[&a]).max_age(1)).await;
    let auth = auth(
        &idp.jwks_url(),
        &[
            ("CUSTOMAUTH_JWT_JWKS_CACHE_MIN_SECONDS", "1"),
            ("CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS", "1"),
            ("CUSTOMAUTH_JWT_JWKS_STALE_SECONDS", "3"),
        ],
    );
    let token = a.token("user_a", AUDIENCE);
    assert_eq!(user(check(&auth, &token).await), "user_a");
    idp.answer(Answer::status(503));
    // Past the keys' lifetime (1 s), within the stale allowance (3 s more).
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(idp.hits() >= 2, "refreshes were tried");
    assert_eq!(
        user(check(&auth, &token).await),
        "user_a",
        "stale keys serve"
    );
    // Past the allowance: no keys, 503 (never a 401 that blames the caller).
    let ended = eventually(Duration::from_secs(4), async || {
        is_unavailable(&check(&auth, &token).await)
    })
    .await;
    assert!(ended, "stale keys are bounded");
}

#[tokio::test]
async fn a_slow_provider_costs_a_request_at_most_the_fetch_timeout() {
    let a = SigningKey::new("key-a");
    let idp = Idp::start(Answer::keys(&[&a]).delay(Duration::from_secs(10))).await;
    let auth = auth(
        &idp.jwks_url(),
        &[("CUSTOMAUTH_JWT_JWKS_TIMEOUT_MS", "300")],
    );
    let started = Instant::now();
    let answer = check(&auth, &a.token("user_a", AUDIENCE)).await;
    let took = started.elapsed();
    assert!(is_unavailable(&answer), "{answer:?}");
    assert!(
        took < Duration::from_secs(3),
        "bounded by the timeout: {took:?}"
    );
}

#[tokio::test]
async fn oversized_and_malformed_sets_are_refused_and_the_last_good_keys_stay() {
    let (a, b) = (SigningKey::new("key-a"), SigningKey::new("key-b"));
    let too_many: Vec<SigningKey> = (0..65).map(|i| SigningKey::new(&format!("k{i}"))).collect();
    let bad = [
        ("oversized", Answer::keys(&[&b]).padded(70 * 1024)),
        ("not JSON", Answer::body("<html>maintenance</html>")),
        ("keys not a list", Answer::body(r#"{"keys": "key-b"}"#)),
        (
            "no usable key",
            Answer::body(r#"{"keys": [{"kty": "oct", "kid": "key-b", "k": "c2VjcmV0"}]}"#),
        ),
        (
            "65 keys",
            Answer::keys(&too_many.iter().collect::<Vec<_>>()),
        ),
    ];
    // At start: no keys, 503.
    for (what, answer) in &bad {
        let idp = Idp::start(answer.clone()).await;
        let auth = auth(&idp.jwks_url(), &[]);
        let answer = check(&auth, &b.token("user_b", AUDIENCE)).await;
        assert!(is_unavailable(&answer), "{what}: {answer:?}");
    }
    // Later: the refetch for key-b fails, key-a keeps working.
    for (what, answer) in bad {
        let idp = Idp::start(Answer::keys(&[&a])).await;
        let auth = auth(
            &idp.jwks_url(),
            &[("CUSTOMAUTH_JWT_JWKS_MIN_REFRESH_SECONDS", "1")],
        );
        assert_eq!(
            user(check(&auth, &a.token("user_a", AUDIENCE)).await),
            "user_a"
        );
        tokio::time::sleep(Duration::from_millis(1050)).await;
        idp.answer(answer);
        let answer = check(&auth, &b.token("user_b", AUDIENCE)).await;
        assert!(is_invalid(&answer), "{what}: {answer:?}");
        assert_eq!(idp.hits(), 2, "{what}: the refetch was made");
        assert_eq!(
            user(check(&auth, &a.token("user_a", AUDIENCE)).await),
            "user_a",
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let a = SigningKey::new("key-a");
    let idp = Idp::start(Answer::keys(&[&a])).await;
    let redirecting = Idp::start(Answer::redirect(&idp.jwks_url())).await;
    let auth = auth(&redirecting.jwks_url(), &[]);
    let answer = check(&auth, &a.token("user_a", AUDIENCE)).await;
    assert!(is_unavailable(&answer), "{answer:?}");
    assert_eq!(redirecting.hits(), 1);
    assert_eq!(idp.hits(), 0, "the redirect's target was never asked");
}

#[tokio::test]
async fn encryption_symmetric_and_unknown_keys_are_skipped_and_algorithms_are_the_keys() {
    let a = SigningKey::new("key-a");
    let mut set: serde_json::Value = serde_json::from_str(&Answer::keys(&[&a]).text()).unwrap();
    let keys = set["keys"].as_array_mut().unwrap();
    let mut enc = keys[0].clone();
    enc["kid"] = "key-enc".into();
    enc["use"] = "enc".into();
    enc.as_object_mut().unwrap().remove("alg");
    keys.insert(0, enc);
    keys.insert(0, serde_json::json!({"kty": "oct", "kid": "key-oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}));
    keys.insert(
        0,
        serde_json::json!({"kty": "XYZ", "kid": "key-xyz", "q": "1"}),
    );
    keys.insert(0, serde_json::json!({"kty": "EC", "kid": "key-alg", "alg": "ES999", "crv": "P-256", "x": "x", "y": "y"}));
    // A key whose common parameters do not parse at all.
    keys.insert(
        0,
        serde_json::json!({"kty": "EC", "kid": "key-odd", "use": 42, "crv": "P-256"}),
    );
    let idp = Idp::start(Answer::body(&set.to_string())).await;
    let auth = auth(&idp.jwks_url(), &[]);
    assert_eq!(
        user(check(&auth, &a.token("user_a", AUDIENCE)).await),
        "user_a"
    );
    // The encryption key's kid, and an HS256 token under the ES256 key's kid.
    let enc = a.token_with_kid("user_a", AUDIENCE, "key-enc");
    assert!(is_invalid(&check(&auth, &enc).await));
    let hs = a.hs256_under_kid("user_a", AUDIENCE);
    assert!(is_invalid(&check(&auth, &hs).await));
}

#[tokio::test]
async fn discovery_reads_the_jwks_uri_and_the_issuer_must_match() {
    let a = SigningKey::new("key-a");
    let idp = Idp::start(Answer::keys(&[&a])).await;
    let issuer = idp.origin();
    let discovered = |issuer: &str| {
        let vars: Vec<(&str, String)> = vec![
            ("CUSTOMAUTH_CALLER_AUTH", "jwt".into()),
            ("CUSTOMAUTH_JWT_OIDC_ISSUER", issuer.to_owned()),
            ("CUSTOMAUTH_JWT_JWKS_TIMEOUT_MS", "500".into()),
        ];
        CallerAuth::from_env(&|k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .expect("the issuer alone is enough: it is checked in tokens")
    };
    let auth = discovered(&issuer);
    let token = a.token_from(&issuer, "user_a", "any-audience");
    assert_eq!(user(check(&auth, &token).await), "user_a");
    let other = a.token_from("https://someone-else.example", "user_a", "any-audience");
    assert!(
        is_invalid(&check(&auth, &other).await),
        "another iss is refused"
    );
    assert_eq!(idp.discoveries(), 1);

    // A discovery document that names another issuer: no keys are taken.
    let idp2 = Idp::start(Answer::keys(&[&a])).await;
    idp2.discovery_issuer("https://someone-else.example");
    let auth = discovered(&idp2.origin());
    let token = a.token_from(&idp2.origin(), "user_a", "any-audience");
    assert!(is_unavailable(&check(&auth, &token).await));
    assert_eq!(
        idp2.hits(),
        0,
        "the JWKS of an unconfirmed issuer is not fetched"
    );
}

#[test]
fn http_to_a_non_loopback_host_is_refused_at_start() {
    for url in [
        "http://idp.example.com/.well-known/jwks.json",
        "http://10.1.2.3/jwks",
    ] {
        let err = try_auth(url, &[]).expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("CUSTOMAUTH_JWT_JWKS_URL") && text.contains("loopback"),
            "{text}"
        );
    }
    let vars = [
        ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
        ("CUSTOMAUTH_JWT_OIDC_ISSUER", "http://idp.example.com"),
    ];
    let err = CallerAuth::from_env(&|k: &str| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect_err("refused");
    assert!(
        err.to_string().contains("CUSTOMAUTH_JWT_OIDC_ISSUER"),
        "{err}"
    );
}

#[test]
fn exactly_one_key_source() {
    let err = try_auth(
        "https://idp.example.com/jwks",
        &[("CUSTOMAUTH_JWT_OIDC_ISSUER", "https://idp.example.com")],
    )
    .expect_err("two sources");
    assert!(err.to_string().contains("exactly one key source"), "{err}");
}
