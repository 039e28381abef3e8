//! The fuzz corpora replayed without a fuzzer, on stable Rust: every file of
//! `fuzz/corpus/<target>/` and of `fuzz/artifacts/<target>/` (crashes the
//! fuzzer kept, if any) through the same entry point the fuzz target calls:
//! the bodies live with the harness (`fuzz/src/lib.rs`, outside the
//! workspace) and are included here as a module. See `fuzz/README.md` for
//! running the fuzzers.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code, unreachable_pub)]
mod fuzzing;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; `None` when it does not exist.
fn files_in(dir: &Path) -> Option<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// Runs `target` on every corpus and artifact file of `name`; fails naming
/// each file that panics, or when the corpus is missing or empty.
fn replay(name: &str, target: fn(&[u8])) {
    let corpus = fuzz_dir().join("corpus").join(name);
    let mut files = files_in(&corpus)
        .unwrap_or_else(|| panic!("{} is missing: the corpus is committed", corpus.display()));
    assert!(
        !files.is_empty(),
        "{} is empty: the corpus is committed",
        corpus.display()
    );
    files.extend(files_in(&fuzz_dir().join("artifacts").join(name)).unwrap_or_default());

    let failed: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let data = std::fs::read(file).expect("corpus file reads");
            catch_unwind(AssertUnwindSafe(|| target(&data)))
                .is_err()
                .then(|| file.display().to_string())
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{name}: {} of {} inputs failed (messages above):\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}

#[test]
fn user_id_corpus_replays() {
    replay("user_id", fuzzing::user_id);
}

#[test]
fn credentials_json_corpus_replays() {
    replay("credentials_json", fuzzing::credentials_json);
}

#[test]
fn verify_ticket_corpus_replays() {
    replay("verify_ticket", fuzzing::verify_ticket);
}

#[test]
fn bearer_jwt_corpus_replays() {
    replay("bearer_jwt", fuzzing::bearer_jwt);
}

#[test]
fn request_corpus_replays() {
    replay("request", fuzzing::request);
}
