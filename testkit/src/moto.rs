//! moto's server: a real AWS-compatible endpoint for Secrets Manager and SSM.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::free_port;

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
