//! Ticket signing through the public API, per key size.
//!
//! `cargo bench -p customauth --bench sign`; `make bench` puts these beside
//! `openssl speed` and the official SDK.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customauth::{CustomUserId, SigningKey, TicketOptions, TicketSigner};

const KEYS: [(&str, &str); 3] = [
    (
        "rsa1024",
        include_str!("../../tests/fixtures/keys/k1024-pkcs1.pem"),
    ),
    (
        "rsa2048",
        include_str!("../../tests/fixtures/keys/k2048-pkcs1.pem"),
    ),
    (
        "rsa4096",
        include_str!("../../tests/fixtures/keys/k4096-pkcs8.pem"),
    ),
];

fn sign(c: &mut Criterion) {
    let uid = CustomUserId::parse("user_1234").expect("valid");
    let mut group = c.benchmark_group("sign_ticket");
    group.throughput(Throughput::Elements(1));
    for (name, pem) in KEYS {
        let signer = TicketSigner::new(
            "kid",
            "demo-env",
            SigningKey::from_pem(pem).expect("fixture key"),
        );
        group.bench_function(name, |b| {
            b.iter(|| signer.sign(&uid, TicketOptions::default(), 1_700_000_000_000))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("parse_key");
    for (name, pem) in KEYS {
        group.bench_function(name, |b| b.iter(|| SigningKey::from_pem(pem)));
    }
    group.finish();
}

criterion_group!(benches, sign);
criterion_main!(benches);
