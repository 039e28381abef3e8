//! Timing check of 1024-bit signing (a benchmark, not a test): does the time
//! to sign a ticket depend on the customUserId, which the caller chooses and
//! which is part of the signed message?
//!
//! `make bench-timing`, i.e. `cargo bench -p customauth-core --bench timing`.
//! Knobs (environment): `TIMING_SAMPLES` (per class, default 10000),
//! `TIMING_KEY` (`1024`, the default, or `2048`).
//!
//! Two classes, as in dudect's fixed-vs-random test: "fixed" signs the
//! customUserId `00000000000000000000000000000000` every time (the same
//! message), "random" signs a fresh 32-character high-entropy customUserId
//! each time. The classes are interleaved in a random order, so drift in the
//! machine's speed lands on both. Each signature is timed twice: by the
//! thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`, which leaves out the time
//! the thread was preempted, so other processes on a shared machine disturb
//! it far less) and by the wall clock (what a remote caller sees, noise
//! included). Prints each class's median, p99, mean and standard deviation
//! (µs) and Welch's t statistic, over all samples and over the samples under
//! the pooled 90th percentile (cropping the scheduler's outliers). |t| above
//! about 4.5 is the usual threshold for "the timings differ"; on a busy
//! machine a large |t| can also come from noise, so run it on a quiet, pinned
//! core (`make bench-timing` pins to `BENCH_CPU`, default 0).

use std::hint::black_box;
use std::time::Instant;

use rustix::time::{ClockId, clock_gettime};

use customauth_core::{CustomUserId, SigningKey, TicketOptions, TicketSigner};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0; n];
    aws_lc_rs::rand::fill(&mut b).expect("randomness");
    b
}

fn random_uid() -> CustomUserId {
    let s: String = random_bytes(32)
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    CustomUserId::parse(&s).expect("valid uid")
}

struct Stats {
    n: usize,
    median: f64,
    p99: f64,
    mean: f64,
    var: f64,
}

fn stats(samples: &[f64]) -> Stats {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let at = |q: f64| s[((n as f64 - 1.0) * q).round() as usize];
    let mean = s.iter().sum::<f64>() / n as f64;
    let var = s.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    Stats {
        n,
        median: at(0.5),
        p99: at(0.99),
        mean,
        var,
    }
}

fn welch_t(a: &Stats, b: &Stats) -> f64 {
    (a.mean - b.mean) / (a.var / a.n as f64 + b.var / b.n as f64).sqrt()
}

/// This thread's CPU time, in µs.
fn cpu_us() -> f64 {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    t.tv_sec as f64 * 1e6 + t.tv_nsec as f64 / 1e3
}

fn report(label: &str, fixed: &[f64], random: &[f64]) {
    let (f, r) = (stats(fixed), stats(random));
    println!("{label}:");
    for (name, s) in [("fixed", &f), ("random", &r)] {
        println!(
            "  {name:<6} n={:>6}  median {:>8.2} µs  p99 {:>8.2} µs  mean {:>8.2} µs  sd {:>7.2} µs",
            s.n,
            s.median,
            s.p99,
            s.mean,
            s.var.sqrt()
        );
    }
    println!("  Welch t = {:.2}", welch_t(&f, &r));
}

fn main() {
    // A measurement, not a test: only `cargo bench` (which passes --bench)
    // runs it. A test runner's `--list` (nextest over --all-targets) finds
    // no test in it.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let samples: usize = std::env::var("TIMING_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let (bits, pem) = match std::env::var("TIMING_KEY").as_deref() {
        Ok("2048") => (2048, customauth_testkit::fixtures::keys::K2048_PKCS1),
        _ => (1024, customauth_testkit::fixtures::keys::K1024_PKCS1),
    };
    let signer = TicketSigner::new(
        "kid",
        "demo-env",
        SigningKey::from_pem(pem).expect("fixture key"),
    );
    let fixed_uid = CustomUserId::parse("00000000000000000000000000000000").expect("valid");
    // Random uids are made before timing, so making them is not measured. The
    // fixed class reads its own copy a sample too: both classes then read a
    // uid that is not in the cache (about a microsecond that is not the
    // signature's, and that one reused value would only charge to the other).
    let random_uids: Vec<CustomUserId> = (0..samples).map(|_| random_uid()).collect();
    let fixed_uids: Vec<CustomUserId> = (0..samples).map(|_| fixed_uid.clone()).collect();
    // The order of the 2 x samples measurements: a random interleaving.
    let mut order: Vec<bool> = (0..2 * samples).map(|i| i < samples).collect();
    let coins = random_bytes(order.len() * 4);
    for i in (1..order.len()).rev() {
        let c = u32::from_le_bytes(coins[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
        order.swap(i, c as usize % (i + 1));
    }
    // Warm-up: first-use costs (Montgomery contexts, blinding cache) are not measured.
    for _ in 0..200 {
        black_box(signer.sign(&fixed_uid, TicketOptions::default(), 1_700_000_000_000)).ok();
    }
    // (CPU µs, wall µs) a sample.
    let (mut fixed, mut random) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    let (mut next_fixed, mut next_random) = (fixed_uids.iter(), random_uids.iter());
    for is_fixed in order {
        let uid = if is_fixed {
            next_fixed.next().expect("one uid a sample")
        } else {
            next_random.next().expect("one uid a sample")
        };
        let (c0, t0) = (cpu_us(), Instant::now());
        let ticket = signer.sign(black_box(uid), TicketOptions::default(), 1_700_000_000_000);
        let (wall, cpu) = (t0.elapsed().as_nanos() as f64 / 1000.0, cpu_us() - c0);
        black_box(ticket).expect("signs");
        if is_fixed { &mut fixed } else { &mut random }.push((cpu, wall));
    }
    println!("timing check: {bits}-bit key, {samples} tickets a class, interleaved at random");
    for (clock, pick) in [
        (
            "thread CPU time",
            (|s: &(f64, f64)| s.0) as fn(&(f64, f64)) -> f64,
        ),
        ("wall time", |s: &(f64, f64)| s.1),
    ] {
        let fixed: Vec<f64> = fixed.iter().map(pick).collect();
        let random: Vec<f64> = random.iter().map(pick).collect();
        report(&format!("{clock}, all samples"), &fixed, &random);
        let mut pooled: Vec<f64> = fixed.iter().chain(&random).copied().collect();
        pooled.sort_by(f64::total_cmp);
        let cut = pooled[(pooled.len() - 1) * 9 / 10];
        let crop = |v: &[f64]| v.iter().copied().filter(|x| *x <= cut).collect::<Vec<_>>();
        report(
            &format!("{clock}, under the pooled p90 ({cut:.2} µs)"),
            &crop(&fixed),
            &crop(&random),
        );
    }
}
