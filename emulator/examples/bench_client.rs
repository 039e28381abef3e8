//! Load client of `scripts/bench/bench-emulator.sh` (not a test): complete v1
//! sign-ins (signInWithTicket + fetchAccessTokenWithRefreshToken +
//! getUserInfo) against a running emulator, by N keep-alive clients.
//!
//! `bench_client URL ENV CREDENTIALS_FILE CLIENTS COUNT` prints one JSON
//! line: clients, count, errors, seconds, rate (sign-ins/s), p50/p99 (ms).
//! Tickets are minted before the clock starts, one user each. With
//! `BENCH_TOKENS_OUT=FILE`, the access tokens of the sign-ins are written
//! there, one a line (for `scripts/bench/bench-cloudbase.sh`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use customauth_core::{Credentials, CustomUserId, TicketOptions, TicketSigner};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl Conn {
    async fn post(&mut self, path: &str, body: &str) -> std::io::Result<serde_json::Value> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\nx-sdk-version: bench\r\ncontent-length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body.as_bytes()).await?;
        self.buf.clear();
        let mut chunk = [0u8; 8192];
        let (header_end, length) = loop {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(pos) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..pos]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .ok_or_else(|| std::io::Error::other("no content-length"))?;
                break (pos + 4, length);
            }
        };
        while self.buf.len() < header_end + length {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        serde_json::from_slice(&self.buf[header_end..header_end + length])
            .map_err(std::io::Error::other)
    }
}

async fn sign_in(conn: &mut Conn, env: &str, ticket: &str) -> Result<String, String> {
    let path = format!("/web?env={env}");
    let r = conn
        .post(
            &path,
            &serde_json::json!({"action": "auth.signInWithTicket", "env": env, "ticket": ticket, "refresh_token": ""})
                .to_string(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let refresh = r["refresh_token"].as_str().ok_or_else(|| r.to_string())?;
    let r = conn
        .post(
            &path,
            &serde_json::json!({"action": "auth.fetchAccessTokenWithRefreshToken", "env": env, "refresh_token": refresh})
                .to_string(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let access = r["access_token"]
        .as_str()
        .ok_or_else(|| r.to_string())?
        .to_owned();
    let r = conn
        .post(
            &path,
            &serde_json::json!({"action": "auth.getUserInfo", "env": env, "access_token": &access})
                .to_string(),
        )
        .await
        .map_err(|e| e.to_string())?;
    r["data"]["uid"]
        .as_str()
        .map(|_| access)
        .ok_or_else(|| r.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, env, credentials, clients, count] = args.as_slice() else {
        eprintln!("usage: bench_client URL ENV CREDENTIALS_FILE CLIENTS COUNT");
        std::process::exit(2);
    };
    let host = url
        .strip_prefix("http://")
        .unwrap_or(url)
        .trim_end_matches('/')
        .to_owned();
    let clients: usize = clients.parse().expect("CLIENTS");
    let count: usize = count.parse().expect("COUNT");
    let credentials =
        Credentials::from_file(std::path::Path::new(credentials)).expect("credentials");
    let signer = TicketSigner::from_credentials(&credentials).expect("key");

    // Mint the tickets first, on every core.
    let run_id = std::process::id();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let tickets: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let signer = &signer;
                s.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| {
                            let uid = CustomUserId::parse(&format!("b{run_id}_{clients}_{i}"))
                                .expect("uid");
                            (
                                i,
                                signer
                                    .sign_now(&uid, TicketOptions::default())
                                    .expect("signs")
                                    .into_string(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, String)> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("minted"))
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, t)| t).collect()
    });
    let tickets = Arc::new(tickets);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (latencies, tokens, errors, elapsed) = runtime.block_on(async move {
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (next, tickets, host, env) = (
                Arc::clone(&next),
                Arc::clone(&tickets),
                host.clone(),
                env.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let stream = TcpStream::connect(&host).await.expect("connects");
                stream.set_nodelay(true).ok();
                let mut conn = Conn {
                    stream,
                    host,
                    buf: Vec::with_capacity(4096),
                };
                let mut latencies = Vec::new();
                let mut tokens = Vec::new();
                let mut errors = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(ticket) = tickets.get(i) else { break };
                    let t = Instant::now();
                    match sign_in(&mut conn, &env, ticket).await {
                        Ok(token) => {
                            latencies.push(t.elapsed());
                            tokens.push(token);
                        }
                        Err(e) => {
                            if errors == 0 {
                                eprintln!("error: {e}");
                            }
                            errors += 1;
                        }
                    }
                }
                (latencies, tokens, errors)
            }));
        }
        let mut all = Vec::new();
        let mut tokens = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, k, e) = t.await.expect("client");
            all.extend(l);
            tokens.extend(k);
            errors += e;
        }
        (all, tokens, errors, started.elapsed())
    });
    if let Some(out) = std::env::var_os("BENCH_TOKENS_OUT") {
        std::fs::write(out, tokens.join("\n") + "\n").expect("write tokens");
    }
    let mut latencies = latencies;
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Duration::ZERO)
            .as_secs_f64()
            * 1000.0
    };
    println!(
        "{}",
        serde_json::json!({
            "clients": clients,
            "count": latencies.len(),
            "errors": errors,
            "seconds": elapsed.as_secs_f64(),
            "rate": latencies.len() as f64 / elapsed.as_secs_f64(),
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
        })
    );
}
