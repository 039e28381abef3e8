//! A local Lambda runtime API, to drive a function's Lambda mode as the
//! Lambda service (or `cargo lambda watch`) would.

use std::collections::VecDeque;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A local Lambda runtime API: hands queued events to a function started
/// with `AWS_LAMBDA_RUNTIME_API` pointing at it and collects its answers.
#[allow(missing_debug_implementations)]
pub struct RuntimeApi {
    /// `127.0.0.1:PORT`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    state: Arc<Mutex<RuntimeState>>,
}

#[derive(Default)]
struct RuntimeState {
    queue: VecDeque<(String, String)>,
    results: Vec<(String, Result<serde_json::Value, String>)>,
}

/// The environment a Lambda function gets, pointed at `api`.
pub fn lambda_env(api: &RuntimeApi, name: &str) -> Vec<(String, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), api.address.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), name.into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME".into(), "test".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME".into(), "test".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
    ]
}

impl RuntimeApi {
    /// Starts the runtime API on a free loopback port.
    pub fn start() -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("binds");
        let address = server
            .server_addr()
            .to_ip()
            .map(|a| a.to_string())
            .expect("ip address");
        let state = Arc::new(Mutex::new(RuntimeState::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for mut rq in server.incoming_requests() {
                let url = rq.url().to_owned();
                if url.ends_with("/runtime/invocation/next") {
                    // Long-poll: wait for an event.
                    let next = loop {
                        if let Some(ev) = shared
                            .lock()
                            .map(|mut s| s.queue.pop_front())
                            .ok()
                            .flatten()
                        {
                            break ev;
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    };
                    let (id, body) = next;
                    let deadline = (std::time::SystemTime::now() + Duration::from_secs(30))
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis())
                        .unwrap_or(0);
                    let headers = [
                        ("Lambda-Runtime-Aws-Request-Id", id.clone()),
                        ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
                        ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:test".into()),
                        ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into()),
                        ("Content-Type", "application/json".into()),
                    ];
                    let mut resp = tiny_http::Response::from_string(body);
                    for (k, v) in headers {
                        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                            resp.add_header(h);
                        }
                    }
                    let _ = rq.respond(resp);
                } else {
                    let mut body = String::new();
                    let _ = rq.as_reader().read_to_string(&mut body);
                    let parts: Vec<&str> = url.split('/').collect();
                    // /2018-06-01/runtime/invocation/{id}/response|error
                    let id = parts.get(4).map(|s| (*s).to_owned()).unwrap_or_default();
                    let result = if url.ends_with("/response") {
                        Ok(serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)))
                    } else {
                        Err(body)
                    };
                    if url.contains("/invocation/")
                        && let Ok(mut s) = shared.lock()
                    {
                        s.results.push((id, result));
                    }
                    let _ = rq.respond(tiny_http::Response::empty(202));
                }
            }
        });
        Self { address, state }
    }

    /// Queues `event` and waits (bounded) for the function's answer:
    /// `Ok(response JSON)` or `Err(error report)`.
    pub fn invoke(&self, event: &str) -> Result<serde_json::Value, String> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = format!(
            "req-{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        self.state
            .lock()
            .expect("lock")
            .queue
            .push_back((id.clone(), event.to_owned()));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            {
                let mut state = self.state.lock().expect("lock");
                if let Some(pos) = state.results.iter().position(|(i, _)| *i == id) {
                    return state.results.remove(pos).1;
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Err("no answer within 30 s".into())
    }
}
