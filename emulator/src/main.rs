//! `cloudbase-emulator`: a local CloudBase sign-in service. The unmodified
//! client SDKs (js-sdk 1.x, 2.x and 3.x, tcb-js-sdk, uniCloud) sign in against it
//! with customauth tickets; it checks them with the public key of each
//! console credentials file, keeps users and sessions in SQLite and issues
//! RS256 access tokens published at `/.well-known/jwks.json`.
//!
//! Routes: `POST /web?env=ENV` (v1), `/auth/v1/...` (v2), `GET /`,
//! `GET`/`DELETE /emulator/v1/envs/ENV/users`, `GET /emulator/v1/stats`,
//! `GET /.well-known/jwks.json`.
//! Locally: `make emulator`, or
//! `cargo run -p cloudbase-emulator -- --credentials .dev/credentials.json`.
//! See `emulator/README.md`.

mod admin;
mod auth;
mod cors;
mod envs;
mod host;
mod ids;
mod oauth;
mod routes;
mod serve;
mod store;
mod tokens;
mod web;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::auth::Service;
use crate::envs::Environments;
use crate::store::{Dump, Store};
use crate::tokens::TokenKey;

/// A local CloudBase sign-in emulator for customauth tickets.
#[derive(Debug, Parser)]
#[command(name = "cloudbase-emulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 9100)]
    port: u16,
    /// A console credentials JSON (`private_key_id`, `private_key`,
    /// `env_id`): one environment each. Repeat for more environments.
    #[arg(long = "credentials", value_name = "FILE", required = true)]
    credentials: Vec<PathBuf>,
    /// Where users, sessions and the access-token key are kept.
    #[arg(long, value_name = "DIR", conflicts_with = "in_memory")]
    data_dir: Option<PathBuf>,
    /// Keep nothing on disk (a new access-token key at each start).
    #[arg(long)]
    in_memory: bool,
    /// Load users and sessions from an export folder at start.
    #[arg(long, value_name = "DIR")]
    import: Option<PathBuf>,
    /// Write users and sessions to this folder on SIGINT/SIGTERM.
    #[arg(long, value_name = "DIR")]
    export_on_exit: Option<PathBuf>,
}

/// The default data directory, relative to the working directory.
const DEFAULT_DATA_DIR: &str = ".dev/cloudbase-emulator";

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("cloudbase-emulator: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let shutdown = shutdown();
    let envs = match Environments::load(&args.credentials) {
        Ok(envs) => envs,
        Err(e) => return fail(e),
    };
    let address = format!("{}:{}", args.host, args.port);
    // Bind before the slow parts, so a busy port is reported at once.
    let listener = match std::net::TcpListener::bind(&address) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return fail(format!("cannot listen on {address}: the port is in use"));
        }
        Err(e) => return fail(format!("cannot listen on {address}: {e}")),
    };
    let (store, tokens) = if args.in_memory {
        (Store::in_memory(), TokenKey::generate())
    } else {
        let dir = args
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        if let Err(e) = private_dir(&dir).and_then(|()| private_store_files(&dir)) {
            return fail(format!("data directory {}: {e}", dir.display()));
        }
        (Store::open(&dir), TokenKey::load_or_create(&dir))
    };
    let store = match store {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot open the store: {e}")),
    };
    let tokens = match tokens {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
    let issuer = format!("http://{}:{port}", args.host);
    let service = Arc::new(Service::new(envs, tokens, store, issuer.clone()));
    if let Some(dir) = args.export_on_exit.as_deref().filter(|d| d.exists())
        && let Err(e) = check_private_dir(dir)
    {
        return fail(format!("--export-on-exit {}: {e}", dir.display()));
    }
    if let Some(dir) = &args.import {
        match read_dump(dir).and_then(|d| service.import(&d)) {
            Ok(()) => tracing::info!(from = %dir.display(), "imported users and sessions"),
            Err(e) => return fail(format!("--import {}: {e}", dir.display())),
        }
    }
    if let Err(e) = listener.set_nonblocking(true) {
        return fail(format!("cannot listen on {address}: {e}"));
    }
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot listen on {address}: {e}")),
    };
    let storage = if args.in_memory {
        "memory".to_owned()
    } else {
        args.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
            .display()
            .to_string()
    };
    tracing::info!(
        url = %issuer,
        envs = ?service.envs.ids().collect::<Vec<_>>(),
        storage,
        jwks = %format!("{issuer}/.well-known/jwks.json"),
        "cloudbase-emulator listening"
    );
    if let Ok(local) = listener.local_addr()
        && !local.ip().is_loopback()
    {
        tracing::warn!(
            address = %local,
            "listening on {local}, which is not a loopback address: anyone who can reach it can \
             sign in, list and delete users (the admin routes check Host, not who asks); \
             use --host 127.0.0.1 unless other machines must reach the emulator"
        );
    }
    let connections = serve::max_connections();
    serve::serve(
        listener,
        routes::router(Arc::clone(&service), &args.host),
        connections,
        shutdown,
    )
    .await;
    if let Some(dir) = &args.export_on_exit {
        match service.export().and_then(|d| write_dump(dir, &d)) {
            Ok(()) => tracing::info!(to = %dir.display(), "exported users and sessions"),
            Err(e) => {
                tracing::error!(to = %dir.display(), error = %e, "export failed");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is
/// called (before the port opens), so a signal sent as soon as the port
/// answers is handled (the export is written) instead of killing the process.
fn shutdown() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?)))
    };
    async move {
        #[cfg(unix)]
        match signals {
            Ok((mut interrupt, mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}

/// The data directory: an existing one is used as it is (its mode is
/// never changed) when only its owner, the current user, can write it; a
/// missing one is made 0700 (with any missing parents).
fn private_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        return check_private_dir(dir);
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| e.to_string())
}

/// Refuses a directory that others can write (they could replace the store,
/// the access-token key or an export) or that belongs to another user.
fn check_private_dir(dir: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(dir).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Err("not a directory".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(format!(
                "others can write this directory (mode {mode:o}); the emulator keeps tokens \
                 there, and never changes the mode of a directory it did not make: name a \
                 directory only you can write, or a new one (made 0700)"
            ));
        }
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(format!(
                "the directory belongs to uid {}, not to this user (uid {me}): name a \
                 directory of your own, or a new one (made 0700)",
                meta.uid()
            ));
        }
    }
    Ok(())
}

/// The store files (`emulator.sqlite3`, its WAL and shared-memory files):
/// 0600, made so when missing (SQLite gives its WAL the mode of the store),
/// and tightened when an older emulator left them readable.
fn private_store_files(dir: &Path) -> Result<(), String> {
    let db = dir.join(store::DB_FILE);
    private_file(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    for suffix in ["-wal", "-shm"] {
        let path = dir.join(format!("{}{suffix}", store::DB_FILE));
        if path.exists() {
            private_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Opens (or creates) `path` mode 0600, without truncating, and makes its
/// mode 0600: the handle for writing it.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// The export folder: `users.json` and `sessions.json`, each an array.
fn read_dump(dir: &Path) -> Result<Dump, String> {
    let read = |name: &str| -> Result<String, String> {
        std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))
    };
    let users =
        serde_json::from_str(&read("users.json")?).map_err(|e| format!("users.json: {e}"))?;
    let sessions =
        serde_json::from_str(&read("sessions.json")?).map_err(|e| format!("sessions.json: {e}"))?;
    Ok(Dump { users, sessions })
}

/// Writes the export: the folder as [`private_dir`], each file 0600 (it
/// holds live refresh tokens).
fn write_dump(dir: &Path, dump: &Dump) -> Result<(), String> {
    private_dir(dir)?;
    let write = |name: &str, value: String| -> Result<(), String> {
        use std::io::Write as _;
        let mut file = private_file(&dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        file.set_len(0)
            .and_then(|()| file.write_all((value + "\n").as_bytes()))
            .map_err(|e| format!("{name}: {e}"))
    };
    write(
        "users.json",
        serde_json::to_string_pretty(&dump.users).map_err(|e| e.to_string())?,
    )?;
    write(
        "sessions.json",
        serde_json::to_string_pretty(&dump.sessions).map_err(|e| e.to_string())?,
    )
}
