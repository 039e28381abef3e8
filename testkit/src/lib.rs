//! Test support for customauth: the fixtures, the function binaries as real
//! processes, a real HTTP client, a local Lambda runtime API, moto's server
//! for Secrets Manager and SSM. It depends on nothing of ours (the fuzz
//! target bodies live with the harness, in `fuzz/src/lib.rs`), so the core's
//! tests build without the service.
//!
//! | module          | what                                                          |
//! |-----------------|---------------------------------------------------------------|
//! | [`fixtures`]    | SDK vectors, test keys, API Gateway/ALB events, as constants  |
//! | [`process`]     | [`Process`]: a binary with a clean environment on a free port |
//! | [`client`]      | [`request`]: one real HTTP request, every status returned     |
//! | [`echo`]        | a secret in every input slot, echoed in no body and no log    |
//! | [`runtime_api`] | [`RuntimeApi`]: drive a function's Lambda mode                 |
//! | [`moto`]        | [`MotoServer`]: a real AWS-compatible endpoint                |

pub mod client;
pub mod echo;
pub mod fixtures;
pub mod moto;
pub mod process;
pub mod runtime_api;

pub use client::{Reply, request};
pub use fixtures::{credentials_json, fixture, fixture_path, fixtures};
pub use moto::{MOTO_INSTALL, MotoServer, python};
pub use process::{Launch, Process, binary, example, free_port, refuses_to_start};
pub use runtime_api::{RuntimeApi, lambda_env};
