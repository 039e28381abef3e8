//! `cloudbase-emulator`: a local CloudBase sign-in service. The unmodified
//! client SDKs (js-sdk 1.x and 2.x, tcb-js-sdk, uniCloud) sign in against it
//! with customauth tickets; it checks them with the public key of each
//! console credentials file, keeps users and sessions in SQLite and issues
//! RS256 access tokens published at `/.well-known/jwks.json`.
//!
//! Routes: `POST /web?env=ENV` (v1), `/auth/v1/...` (v2), `GET /`,
//! `GET`/`DELETE /emulator/v1/envs/ENV/users`, `GET /.well-known/jwks.json`.
//! Locally: `make emulator`, or
//! `cargo run -p cloudbase-emulator -- --credentials .dev/credentials.json`.
//! See `emulator/README.md`.

mod admin;
mod app;
mod auth;
mod envs;
mod store;
mod tokens;
mod v1;
mod v2;

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
        if let Err(e) = create_private_dir(&dir) {
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
    if let Some(dir) = &args.import {
        match read_dump(dir).and_then(|d| store.import(&d).map_err(|e| e.to_string())) {
            Ok(()) => tracing::info!(from = %dir.display(), "imported users and sessions"),
            Err(e) => return fail(format!("--import {}: {e}", dir.display())),
        }
    }
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
    let issuer = format!("http://{}:{port}", args.host);
    let service = Arc::new(Service {
        envs,
        tokens,
        store,
        issuer: issuer.clone(),
        lookups: Default::default(),
    });
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
    let served = axum::serve(listener, app::router(Arc::clone(&service)))
        .with_graceful_shutdown(shutdown())
        .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "server failed");
        return ExitCode::FAILURE;
    }
    if let Some(dir) = &args.export_on_exit {
        match service
            .store
            .export()
            .map_err(|e| e.to_string())
            .and_then(|d| write_dump(dir, &d))
        {
            Ok(()) => tracing::info!(to = %dir.display(), "exported users and sessions"),
            Err(e) => {
                tracing::error!(to = %dir.display(), error = %e, "export failed");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
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

fn write_dump(dir: &Path, dump: &Dump) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let write = |name: &str, value: String| -> Result<(), String> {
        std::fs::write(dir.join(name), value + "\n").map_err(|e| format!("{name}: {e}"))
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
