//! The workspace binaries as real processes: flags, a clean environment, a
//! working directory, a free loopback port, logs captured for assertions,
//! SIGTERM and exit codes.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// How to start a binary besides its path: its flags, its environment (only
/// these variables, plus PATH and HOME) and its working directory (the
/// test's when `None`; its log file goes there too).
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// Command-line arguments.
    pub args: Vec<String>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub dir: Option<PathBuf>,
}

impl Launch {
    /// Adds command-line arguments.
    #[must_use]
    pub fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Adds an environment variable.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs in `dir`.
    #[must_use]
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_owned());
        self
    }
}

/// A running binary; killed on drop. Its stderr and stdout are
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
        let launch = env
            .iter()
            .fold(Launch::default(), |l, (k, v)| l.env(k, v))
            .env("HOST", "127.0.0.1")
            .env("PORT", &port.to_string());
        let mut p = Self::start(bin, &launch, port, pipe_stderr)?;
        p.wait_for_port()?;
        Ok(p)
    }

    /// Starts `bin` as `launch` says and waits until `port`, which its flags
    /// or environment name, accepts connections (or the process exits).
    pub fn serve(bin: &str, launch: &Launch, port: u16) -> Result<Self, String> {
        let mut p = Self::start(bin, launch, port, false)?;
        p.wait_for_port()?;
        Ok(p)
    }

    /// The read end of stderr of [`Process::http_with_stalled_stderr`].
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    /// Starts `bin` with exactly `env` (plus PATH and HOME), not waiting.
    pub fn spawn(bin: &str, env: &[(String, String)], port: u16) -> Result<Self, String> {
        let launch = Launch {
            env: env.to_vec(),
            ..Launch::default()
        };
        Self::start(bin, &launch, port, false)
    }

    fn start(bin: &str, launch: &Launch, port: u16, pipe_stderr: bool) -> Result<Self, String> {
        let name = Path::new(bin)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("bin");
        let log = match &launch.dir {
            Some(dir) => dir.join(format!("{name}-{port}.log")),
            None => std::env::temp_dir().join(format!(
                "customauth-{name}-{}-{port}.log",
                std::process::id()
            )),
        };
        let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.env_clear();
        for k in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(k) {
                cmd.env(k, v);
            }
        }
        if let Some(dir) = &launch.dir {
            cmd.current_dir(dir);
        }
        cmd.args(&launch.args)
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
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
        let deadline = Instant::now() + Duration::from_secs(30);
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

impl Process {
    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
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

/// The path of a workspace example (`examples/NAME.rs`) built next to the
/// running test (`cargo build --examples`, or any `--all-targets` build).
pub fn example(name: &str) -> String {
    let exe = std::env::current_exe().expect("test path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --examples` first",
        path.display()
    );
    path.to_string_lossy().into_owned()
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
