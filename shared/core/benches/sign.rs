//! Ticket signing through the public API, per key size.
//!
//! `cargo bench -p customauth-core --bench sign`; `make bench` puts these beside
//! `openssl speed` and the official SDK.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customauth_core::{CustomUserId, SigningKey, TicketOptions, TicketSigner};

const KEYS: [(&str, &str); 4] = [
    ("rsa1024", customauth_testkit::fixtures::keys::K1024_PKCS1),
    ("rsa2048", customauth_testkit::fixtures::keys::K2048_PKCS1),
    ("rsa3072", customauth_testkit::fixtures::keys::K3072_PKCS1),
    ("rsa4096", customauth_testkit::fixtures::keys::K4096_PKCS8),
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
