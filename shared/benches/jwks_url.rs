//! jwt mode: what one verification costs with the keys from a JWKS URL
//! (`CUSTOMAUTH_JWT_JWKS_URL`) against the same JWKS given as a document
//! (`CUSTOMAUTH_JWT_JWKS`), in process: `CallerAuth::verify` on the same ES256
//! token, the URL's keys already fetched (from a one-answer server on
//! loopback). Rounds of each in turn, timed by the thread's CPU clock, so
//! other processes on the machine do not count.
//!
//! `cargo bench -p customauth --bench jwks_url [-- ROUNDS PER_ROUND]`
//! (default 21 rounds of 20,000); pin it with `taskset -c 1` for steadier
//! figures. Prints the median and spread of the per-verification time of each
//! and their ratio. Not a test: it asserts only that both verify the token.

use std::time::Duration;

use customauth::identity::{Caller, CallerAuth};
use lambda_http::http::{Extensions, HeaderMap, HeaderValue};

const JWKS: &str = customauth_testkit::fixtures::keys::JWKS;
const ES256_PRIVATE: &str = customauth_testkit::fixtures::keys::ES256_PRIVATE;
const AUDIENCE: &str = "bench";

fn auth(source: (&str, String)) -> CallerAuth {
    let vars = [
        ("CUSTOMAUTH_CALLER_AUTH", "jwt".to_owned()),
        ("CUSTOMAUTH_JWT_AUDIENCE", AUDIENCE.to_owned()),
        (source.0, source.1),
    ];
    CallerAuth::from_env(&|k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .expect("valid configuration")
}

/// Answers every connection with the fixture JWKS, for an hour of caching
/// (a thread of its own, for the few fetches the bench makes).
fn serve_jwks() -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/jwks", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 cache-control: max-age=3600\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{JWKS}",
                JWKS.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    url
}

fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    // Only under `cargo bench` (`--bench`): a listing or test run of all
    // targets must not run the measurement.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let rounds = numbers.first().copied().unwrap_or(21);
    let per = numbers.get(1).copied().unwrap_or(20_000);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = serve_jwks();
        let from_url = auth(("CUSTOMAUTH_JWT_JWKS_URL", url));
        let from_document = auth(("CUSTOMAUTH_JWT_JWKS", JWKS.to_owned()));
        let key = jsonwebtoken::EncodingKey::from_ec_pem(ES256_PRIVATE.as_bytes()).expect("key");
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("es256".into());
        let exp = customauth::now_ms() / 1000 + 3600;
        let claims = serde_json::json!({"sub": "bench_user", "aud": AUDIENCE, "exp": exp});
        let token = jsonwebtoken::encode(&header, &claims, &key).expect("signs");
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        let extensions = Extensions::new();
        for auth in [&from_url, &from_document] {
            // The first call waits for the fetch; then both must verify.
            let caller = auth.authenticate_with_lookup(&headers, &extensions).await;
            assert!(matches!(caller, Ok(Caller::User(_))), "{caller:?}");
        }
        let (mut url_us, mut doc_us, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let one = async |auth: &CallerAuth| {
                let start = thread_cpu();
                for _ in 0..per {
                    let caller = auth.authenticate_with_lookup(&headers, &extensions).await;
                    std::hint::black_box(caller.is_ok());
                }
                (thread_cpu() - start).as_secs_f64() * 1e6 / per as f64
            };
            let doc = one(&from_document).await;
            let url = one(&from_url).await;
            doc_us.push(doc);
            url_us.push(url);
            ratio.push(url / doc);
        }
        println!(
            "jwt ES256 verification, {rounds} rounds of {per}; us per verification \
             (thread CPU time): min / median / max"
        );
        let show = |what: &str, v: Vec<f64>| {
            let (lo, mid, hi) = median(v);
            println!("{what:<22} {lo:8.3} {mid:8.3} {hi:8.3}");
        };
        show("JWKS document", doc_us);
        show("JWKS URL", url_us);
        show("URL / document", ratio);
    });
}
