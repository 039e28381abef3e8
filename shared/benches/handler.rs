//! createTicket in process: its whole service (request id, method check,
//! identity layer, handler) on an HTTP API v2 event (gateway mode, JWT
//! authorizer claims) against bare signing with the same key.
//!
//! `cargo bench -p customauth --bench handler`. The budget: the
//! handler costs at most 1.05x the bare signature.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use customauth::client_ip::TrustedProxies;
use customauth::function::service;
use customauth::handlers::CreateTicket;
use customauth::identity::{CallerAuth, VAR_CALLER_AUTH};
use customauth::server::http::DEFAULT_BODY_TIMEOUT;
use customauth::signer::SignerHandle;
use customauth::{CustomUserId, Limits, SigningKey, TicketOptions, TicketSigner, now_ms};
use tower::ServiceExt as _;

const PEM: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;
const EVENT: &str = customauth_testkit::fixtures::events::APIGW_V2_CREATE_TICKET_JWT;

fn signer() -> TicketSigner {
    TicketSigner::new(
        "kid",
        "demo-env",
        SigningKey::from_pem(PEM).expect("fixture key"),
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("create_ticket_2048");

    let bare = signer();
    let uid = CustomUserId::parse("user_1234").expect("valid");
    group.bench_function("bare_sign", |b| {
        b.iter(|| {
            bare.sign(
                &uid,
                TicketOptions {
                    refresh: Some(600_000),
                    expire: None,
                },
                now_ms(),
            )
        })
    });

    let auth =
        CallerAuth::from_env(&|k: &str| (k == VAR_CALLER_AUTH).then(|| "gateway".to_owned()))
            .expect("gateway mode");
    let state = service(
        Arc::new(CreateTicket::new(
            SignerHandle::fixed(signer()),
            auth,
            Limits::default(),
            TrustedProxies::none(),
        )),
        DEFAULT_BODY_TIMEOUT,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let handle = |req| match rt.block_on(state.clone().oneshot(req)) {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let check = handle(lambda_http::request::from_str(EVENT).expect("event"));
    assert_eq!(check.status(), 200, "the fixture event must get a ticket");

    group.bench_function("handler_v2_event", |b| {
        b.iter_batched(
            || lambda_http::request::from_str(EVENT).expect("event"),
            handle,
            BatchSize::SmallInput,
        )
    });
    group.bench_function("parse_event_and_handle", |b| {
        b.iter(|| handle(lambda_http::request::from_str(EVENT).expect("event")))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
