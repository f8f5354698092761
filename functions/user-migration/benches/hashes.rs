//! How long verifying one legacy hash takes on one core, per kind, at the
//! cost parameters legacy systems commonly use: the figures behind
//! `Kind::nanos_per_unit` and the tables of docs/migration.md.
//!
//! `cargo bench -p user-migration --bench hashes` (the release profile, as
//! deployed). Each case verifies a wrong password against a hash made by
//! the same crates, several times, and prints the median, the time per work
//! unit, and the estimates at 128, 512, 1024 and 1769 MB (Lambda's CPU
//! share scales with memory; one vCPU at 1,769 MB). Nothing here asserts a
//! time.

use std::time::{Duration, Instant};

use user_migration::hash::{DummySpec, StoredHash, check_cost};

/// Common legacy parameters.
const CASES: &[&str] = &[
    // OWASP's argon2id minimum (m=19 MiB, t=2), RFC 9106's second choice
    // (64 MiB, t=3, p=4) and a light one.
    "argon2id:m=4096,t=3,p=1",
    "argon2id:m=19456,t=2,p=1",
    "argon2id:m=65536,t=3,p=4",
    // bcrypt: the long-time defaults 10 and 12, and 14.
    "bcrypt:cost=10",
    "bcrypt:cost=12",
    "bcrypt:cost=14",
    // scrypt: N=2^14 r=8 (the 2009 interactive choice), 2^15, 2^17 (the
    // RustCrypto default, 128 MiB).
    "scrypt:ln=14,r=8,p=1",
    "scrypt:ln=15,r=8,p=1",
    "scrypt:ln=17,r=8,p=1",
    // PBKDF2-SHA256: Django 3 (260,000), Django 5 / OWASP (600,000), and
    // an old 10,000.
    "pbkdf2-sha256:i=10000",
    "pbkdf2-sha256:i=260000",
    "pbkdf2-sha256:i=600000",
];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn main() -> Result<(), String> {
    let filter = std::env::args().nth(1).filter(|arg| !arg.starts_with('-'));
    println!(
        "{:<28} {:>10} {:>12} {:>8} {:>9} {:>9} {:>9} {:>9}  fits 128 MB / 1024 MB (MAX_HASH_MS=1000)",
        "parameters", "1 core ms", "ns per unit", "MiB", "128 MB", "512 MB", "1024 MB", "1769 MB"
    );
    for case in CASES {
        if filter.as_deref().is_some_and(|f| !case.contains(f)) {
            continue;
        }
        let hash: StoredHash = DummySpec::parse(case)
            .and_then(DummySpec::make)
            .map_err(|error| format!("{case}: {error}"))?;
        let cost = hash.cost();
        // A warm-up, then samples until ~3 s or 15 samples, at least 5.
        let _ = hash.verify(b"wrong password");
        let mut samples = Vec::new();
        let started = Instant::now();
        while samples.len() < 5
            || (samples.len() < 15 && started.elapsed() < Duration::from_secs(3))
        {
            let at = Instant::now();
            let ok = hash
                .verify(b"wrong password")
                .map_err(|error| format!("{case}: {error}"))?;
            samples.push(at.elapsed());
            if ok {
                return Err(format!("{case}: a wrong password verified"));
            }
        }
        let one_core = median(samples);
        let ms = one_core.as_secs_f64() * 1000.0;
        let per_unit = one_core.as_nanos() as f64 / cost.work as f64;
        let at = |mb: f64| ms * 1769.0 / mb.min(1769.0);
        let fits = |mb: u64| match check_cost(hash.cost_params(), mb, 1000) {
            Ok(_) => "yes".to_owned(),
            Err(error) => format!(
                "no ({})",
                if error.to_string().contains("needs") {
                    "memory"
                } else {
                    "time"
                }
            ),
        };
        println!(
            "{:<28} {:>10.1} {:>12.1} {:>8.1} {:>9.0} {:>9.0} {:>9.0} {:>9.0}  {} / {}",
            case,
            ms,
            per_unit,
            cost.memory_bytes as f64 / (1 << 20) as f64,
            at(128.0),
            at(512.0),
            at(1024.0),
            at(1769.0),
            fits(128),
            fits(1024),
        );
    }
    enumeration()
}

/// No enumeration, measured: at sign-in an unknown user is verified against
/// the dummy hash (made at init from `LEGACY_HASH_DEFAULT`) and a wrong
/// password against the user's own hash of the same parameters. Both
/// medians are printed with their difference, interleaved so that the
/// machine's load falls on both alike.
fn enumeration() -> Result<(), String> {
    const DEFAULT: &str = "argon2id:m=19456,t=2,p=1";
    let spec = DummySpec::parse(DEFAULT)?;
    let dummy = spec.make()?;
    let real = StoredHash::parse(&spec.hash(b"the user's real password", b"a-user-salt-16by")?)
        .map_err(|error| error.to_string())?;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        for (hash, samples) in [(&dummy, &mut unknown), (&real, &mut wrong)] {
            let at = Instant::now();
            let _ = hash.verify(b"a guess");
            samples.push(at.elapsed());
        }
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    println!(
        "\nno enumeration ({DEFAULT}): unknown user (dummy) {:.1} ms, wrong password {:.1} ms, difference {:.1} ms",
        unknown.as_secs_f64() * 1000.0,
        wrong.as_secs_f64() * 1000.0,
        (unknown.as_secs_f64() - wrong.as_secs_f64()).abs() * 1000.0
    );
    Ok(())
}
