//! `customauth`: make dev credentials, mint and verify CloudBase custom login
//! tickets from the command line.
//!
//! ```text
//! customauth keygen --env ENV [--bits 2048] [--key-id ID] [--out FILE] [--force]
//! customauth mint   [--credentials FILE] --uid UID [--refresh MS] [--expire MS] [--now MS] [--count N]
//! customauth verify [--credentials FILE] [--now MS] TICKET
//! ```
//!
//! Exit codes: 0 success, 1 verification failed, 2 bad input or configuration.
//! Without `--credentials`, the credentials come from the same environment
//! variables as the functions (`CUSTOMAUTH_CREDENTIALS_FILE`, ...).

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use customauth_core::credentials::VAR_ENV;
use customauth_core::{
    Credentials, CredentialsError, CredentialsSource, CustomUserId, SigningKey, TicketOptions,
    TicketSigner, now_ms,
};

/// CloudBase custom login tickets, byte-identical to the official SDK.
#[derive(Debug, Parser)]
#[command(name = "customauth", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an RSA key and write a credentials JSON in the console's format
    /// (file mode 0600).
    Keygen {
        /// The CloudBase env id written as env_id.
        #[arg(long)]
        env: String,
        /// Modulus size: 2048, 3072, 4096 or 8192.
        #[arg(long, default_value_t = 2048)]
        bits: usize,
        /// private_key_id; defaults to a random UUID.
        #[arg(long)]
        key_id: Option<String>,
        /// Where to write the JSON; defaults to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overwrite --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Sign tickets and print them, one a line.
    Mint {
        /// Credentials JSON file; defaults to the functions' environment variables.
        #[arg(long)]
        credentials: Option<PathBuf>,
        /// The customUserId (may start with `-`: `--uid -abc`).
        #[arg(long, allow_hyphen_values = true)]
        uid: String,
        /// Login-state refresh interval in ms (default 3600000).
        #[arg(long, allow_hyphen_values = true)]
        refresh: Option<u64>,
        /// Login-state expiry in ms since the epoch (default now + 7 days).
        #[arg(long, allow_hyphen_values = true)]
        expire: Option<u64>,
        /// Fix the clock (ms since the epoch) for reproducible tickets.
        #[arg(long, allow_hyphen_values = true)]
        now: Option<u64>,
        /// How many tickets to print (for load tests and benchmarks).
        #[arg(long, default_value_t = 1, allow_hyphen_values = true)]
        count: u64,
    },
    /// Check a ticket (key id, signature, env, expiry) and print its claims as JSON.
    Verify {
        /// Credentials JSON file; defaults to the functions' environment variables.
        #[arg(long)]
        credentials: Option<PathBuf>,
        /// The clock (ms since the epoch); defaults to now.
        #[arg(long, allow_hyphen_values = true)]
        now: Option<u64>,
        /// The ticket, or - to read it from standard input.
        ticket: String,
    },
}

/// A failure and its exit code.
enum Failure {
    /// Exit 1: the ticket is not valid.
    Invalid(String),
    /// Exit 2: bad input or configuration.
    Usage(String),
}

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::Usage(e.to_string())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .without_time()
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen {
            env,
            bits,
            key_id,
            out,
            force,
        } => keygen(&env, bits, key_id, out.as_deref(), force),
        Command::Mint {
            credentials,
            uid,
            refresh,
            expire,
            now,
            count,
        } => mint(
            credentials.as_deref(),
            &uid,
            TicketOptions { refresh, expire },
            now,
            count,
        ),
        Command::Verify {
            credentials,
            now,
            ticket,
        } => verify(credentials.as_deref(), now, &ticket),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid(message)) => {
            eprintln!("customauth: invalid ticket: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("customauth: {message}");
            ExitCode::from(2)
        }
    }
}

fn random_key_id() -> Result<String, Failure> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| usage("no randomness available"))?;
    b[6] = (b[6] & 0x0f) | 0x40; // UUID version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

fn keygen(
    env: &str,
    bits: usize,
    key_id: Option<String>,
    out: Option<&Path>,
    force: bool,
) -> Result<(), Failure> {
    if ![2048, 3072, 4096, 8192].contains(&bits) {
        return Err(usage(format!(
            "--bits must be 2048, 3072, 4096 or 8192, got {bits}"
        )));
    }
    let key_id = match key_id {
        Some(id) => id,
        None => random_key_id()?,
    };
    let key = SigningKey::generate(bits).map_err(usage)?;
    let pem = key.to_pkcs8_pem().map_err(usage)?;
    let credentials = Credentials::from_parts(&key_id, &pem, env, "keygen").map_err(usage)?;
    let json = credentials.to_json();
    match out {
        None => io::stdout()
            .write_all(json.as_bytes())
            .map_err(|e| usage(format!("cannot write to standard output: {e}"))),
        Some(path) => write_private_file(path, json.as_bytes(), force),
    }
}

/// Writes `bytes` to `path` with mode 0600, refusing to overwrite unless `force`.
fn write_private_file(path: &Path, bytes: &[u8], force: bool) -> Result<(), Failure> {
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            usage(format!(
                "{} exists; pass --force to overwrite it",
                path.display()
            ))
        } else {
            usage(format!("cannot write {}: {e}", path.display()))
        }
    })?;
    // An existing file keeps its mode on truncate: tighten it too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| usage(format!("cannot chmod {}: {e}", path.display())))?;
    }
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))
}

/// What the CLI says when it finds no credentials: what it can load.
const NO_CREDENTIALS: &str = "no credentials: pass --credentials FILE (the console's \
     tcb_custom_login.json), or set CUSTOMAUTH_CREDENTIALS_FILE, CUSTOMAUTH_CREDENTIALS (the JSON \
     itself) or the three TCB_CUSTOM_LOGIN_* variables";

fn load_signer(path: Option<&Path>) -> Result<TicketSigner, Failure> {
    let credentials = match path {
        Some(path) => Credentials::from_file(path),
        None => CredentialsSource::from_env(|k| std::env::var(k).ok())
            .and_then(|source| source.load_local()),
    }
    .map_err(|e| match e {
        // The library's message lists the AWS sources too, which the CLI
        // cannot load; name what it can.
        CredentialsError::NoSource => usage(NO_CREDENTIALS),
        e => usage(e),
    })?;
    let expected = std::env::var(VAR_ENV).ok().filter(|v| !v.is_empty());
    credentials.check_env(expected.as_deref()).map_err(usage)?;
    TicketSigner::from_credentials(&credentials)
        .map_err(|e| usage(format!("credentials private_key: {e}")))
}

fn mint(
    credentials: Option<&Path>,
    uid: &str,
    options: TicketOptions,
    now: Option<u64>,
    count: u64,
) -> Result<(), Failure> {
    let uid = CustomUserId::parse(uid).map_err(usage)?;
    let signer = load_signer(credentials)?;
    let mut out = BufWriter::new(io::stdout().lock());
    for _ in 0..count {
        let ticket = signer
            .sign(&uid, options, now.unwrap_or_else(now_ms))
            .map_err(usage)?;
        let written = out
            .write_all(ticket.as_str().as_bytes())
            .and_then(|()| out.write_all(b"\n"));
        if let Err(e) = written {
            return write_failed(&e);
        }
    }
    out.flush().or_else(|e| write_failed(&e))
}

/// A closed pipe (`customauth mint --count 1000000 | head`) is a normal end.
fn write_failed(e: &io::Error) -> Result<(), Failure> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(usage(format!("cannot write to standard output: {e}")))
    }
}

fn verify(credentials: Option<&Path>, now: Option<u64>, ticket: &str) -> Result<(), Failure> {
    let mut input = String::new();
    let ticket = if ticket == "-" {
        io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut input)
            .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
        input.trim()
    } else {
        ticket.trim()
    };
    let signer = load_signer(credentials)?;
    let claims = signer
        .verifier()
        .verify(ticket, now.unwrap_or_else(now_ms))
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    let json = serde_json::to_string_pretty(&claims).map_err(usage)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{json}")
        .and_then(|()| out.flush())
        .or_else(|e| write_failed(&e))
}
