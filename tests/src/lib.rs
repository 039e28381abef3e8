//! Test support for the function binaries: run them as real processes with a
//! clean environment, wait for their port, call them with a real HTTP client,
//! and drive their Lambda mode through a local Lambda runtime API.

use std::collections::VecDeque;
use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The repository's `tests/fixtures` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Reads a fixture file as text.
pub fn fixture(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// A credentials JSON (console format) for a fixture key.
pub fn credentials_json(key_file: &str, key_id: &str, env_id: &str) -> String {
    serde_json::json!({
        "private_key_id": key_id,
        "private_key": fixture(&format!("keys/{key_file}")),
        "env_id": env_id,
    })
    .to_string()
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running function binary; killed on drop. Its stderr and stdout are
/// captured to files for log assertions.
#[derive(Debug)]
pub struct Process {
    child: Child,
    /// The port it serves HTTP on (HTTP mode).
    pub port: u16,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    started: Instant,
}

impl Process {
    /// Starts `bin` with only `env` (plus PATH and HOME) in HTTP mode on a
    /// free port, and waits until it accepts connections (or exits).
    pub fn http(bin: &str, env: &[(&str, &str)]) -> Result<Self, String> {
        Self::http_started(bin, env, false)
    }

    /// As [`Process::http`], but stderr goes to a pipe that nobody reads
    /// until [`Process::take_stderr`]: a log sink that has stalled.
    pub fn http_with_stalled_stderr(bin: &str, env: &[(&str, &str)]) -> Result<Self, String> {
        Self::http_started(bin, env, true)
    }

    fn http_started(bin: &str, env: &[(&str, &str)], pipe_stderr: bool) -> Result<Self, String> {
        let port = free_port();
        let mut all: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        all.push(("HOST".into(), "127.0.0.1".into()));
        all.push(("PORT".into(), port.to_string()));
        let mut p = Self::start(bin, &all, port, pipe_stderr)?;
        p.wait_for_port()?;
        Ok(p)
    }

    /// The read end of stderr of [`Process::http_with_stalled_stderr`].
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    /// Starts `bin` with exactly `env` (plus PATH and HOME), not waiting.
    pub fn spawn(bin: &str, env: &[(String, String)], port: u16) -> Result<Self, String> {
        Self::start(bin, env, port, false)
    }

    fn start(
        bin: &str,
        env: &[(String, String)],
        port: u16,
        pipe_stderr: bool,
    ) -> Result<Self, String> {
        let log = std::env::temp_dir().join(format!(
            "customauth-{}-{}-{port}.log",
            Path::new(bin)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("bin"),
            std::process::id()
        ));
        let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.env_clear();
        for k in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(k) {
                cmd.env(k, v);
            }
        }
        cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(if pipe_stderr {
                Stdio::piped()
            } else {
                Stdio::from(err)
            });
        let started = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {bin}: {e}"))?;
        Ok(Self {
            child,
            port,
            log,
            started,
        })
    }

    fn wait_for_port(&mut self) -> Result<Duration, String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited early with {status}: {}", self.logs()));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(self.started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Err(format!("port {} never opened: {}", self.port, self.logs()))
    }

    /// Base URL, e.g. `http://127.0.0.1:PORT`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything the process printed so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit (bounded); returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Stops the process with SIGTERM and returns everything it printed. In
    /// HTTP mode log lines are written by a background thread, so a running
    /// server's log file may lag its responses; assert on logs after this.
    pub fn finish(&mut self) -> (Option<i32>, String) {
        let code = self.terminate();
        (code, self.logs())
    }

    /// Waits for the process to exit by itself (bounded); its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `bin` with `env` and expects it to refuse to start: returns its exit
/// code and output.
pub fn refuses_to_start(bin: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    let mut p = Process::spawn(bin, &env, free_port()).expect("spawns");
    let code = p.wait_exit(Duration::from_secs(20));
    (code, p.logs())
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request with a real HTTP client and returns the answer, 4xx and
/// 5xx included.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(body.map(<[u8]>::to_vec).unwrap_or_default())
        .expect("request");
    let mut resp = agent
        .run(req)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let mut body = String::new();
    resp.body_mut()
        .as_reader()
        .read_to_string(&mut body)
        .expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

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

/// The path of a workspace binary built next to the running test.
pub fn binary(name: &str) -> String {
    let exe = std::env::current_exe().expect("test path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --bins` first",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// How to install what [`MotoServer`] needs.
pub const MOTO_INSTALL: &str = "this test needs moto's server: pip install 'moto[server]' \
                                (python3 -m moto.server must start; see requirements-dev.txt)";

/// The Python that runs moto and boto3: `CUSTOMAUTH_TEST_PYTHON`, else
/// `python3`.
pub fn python() -> String {
    std::env::var("CUSTOMAUTH_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// moto's server, a real AWS-compatible endpoint (Secrets Manager, SSM), on a
/// free loopback port; killed on drop. Starting panics, with the install
/// hint, when moto cannot start: a missing moto fails the run, never skips
/// the test.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL` or an SDK client.
    pub endpoint: String,
    log: PathBuf,
}

impl MotoServer {
    /// Starts moto and waits (bounded) until its port answers.
    pub fn start() -> Self {
        let python = python();
        let mut last_error = String::new();
        // A free port can be taken between the probe and moto's bind: retry.
        for _ in 0..3 {
            let port = free_port();
            let log = std::env::temp_dir()
                .join(format!("customauth-moto-{}-{port}.log", std::process::id()));
            let log_file = std::fs::File::create(&log).expect("create moto log file");
            let spawned = Command::new(&python)
                .args([
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("clone log file"))
                .stderr(log_file)
                .spawn();
            let mut child = match spawned {
                Ok(child) => child,
                Err(e) => {
                    std::fs::remove_file(&log).ok();
                    panic!("cannot run {python}: {e}; {MOTO_INSTALL}")
                }
            };
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!(
                        "moto exited with {status}: {}",
                        std::fs::read_to_string(&log).unwrap_or_default().trim()
                    );
                    std::fs::remove_file(&log).ok();
                    break;
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return Self {
                        child,
                        endpoint: format!("http://{addr}"),
                        log,
                    };
                }
                if Instant::now() > deadline {
                    child.kill().ok();
                    child.wait().ok();
                    panic!("moto did not answer on {addr} within 30 s; {MOTO_INSTALL}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("{last_error}\n{MOTO_INSTALL}");
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_file(&self.log).ok();
    }
}
