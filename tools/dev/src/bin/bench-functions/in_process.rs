//! Init pieces timed inside this process rather than through a cold start:
//! a tokio runtime, `Verifier::new` with a file and with a URL, the SDK's
//! config, clients and first call, the metrics per invocation, and the
//! logging set-up. They say where a cold start's milliseconds go, which the
//! cold starts alone cannot.

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use cognito_auth_core::config::Env;
use cognito_auth_core::{Verifier, VerifierConfig};
use e2e_tests::jwks_server::JwksServer;
use e2e_tests::moto::free_port;
use tokio::runtime::Builder;

use crate::cases::dev_jwks_file;
use crate::stats::median;
use crate::{CLIENT_ID, POOL_ID};

/// Repetitions of each in-process measurement.
pub const REPEATS: usize = 30;

/// One in-process figure.
pub struct Piece {
    pub what: &'static str,
    pub time: Duration,
    pub note: &'static str,
}

fn median_of<F: FnMut() -> Duration>(mut measure: F) -> Duration {
    let times: Vec<Duration> = (0..REPEATS).map(|_| measure()).collect();
    median(&times)
}

/// A tokio runtime from `builder`, built, run on an empty future and
/// dropped: the median of `REPEATS`.
fn runtime_build(builder: fn() -> Builder) -> Duration {
    median_of(|| {
        let started = Instant::now();
        let runtime = builder().enable_all().build().expect("runtime");
        runtime.block_on(async {});
        drop(runtime);
        started.elapsed()
    })
}

pub fn measure_runtime_builds() -> Vec<Piece> {
    vec![
        Piece {
            what: "tokio current_thread runtime: build, run, drop",
            time: runtime_build(Builder::new_current_thread),
            note: "what every function uses",
        },
        Piece {
            what: "tokio multi_thread runtime (2 workers)",
            time: runtime_build(|| {
                let mut builder = Builder::new_multi_thread();
                builder.worker_threads(2);
                builder
            }),
            note: "for comparison: spawns and joins 2 threads",
        },
    ]
}

fn verifier_env(source: (&str, &str)) -> Env {
    Env::from_pairs([
        ("USER_POOL_ID", POOL_ID),
        ("APP_CLIENT_IDS", CLIENT_ID),
        source,
    ])
}

/// `Verifier::new` on `env`: the median of `REPEATS`.
async fn new_verifier(what: &'static str, env: &Env, note: &'static str) -> Piece {
    let mut times = Vec::new();
    for _ in 0..REPEATS {
        let started = Instant::now();
        let config = VerifierConfig::from_env(env).expect("verifier config");
        let verifier = Verifier::new(config).await.expect("verifier");
        times.push(started.elapsed());
        drop(verifier);
    }
    Piece {
        what,
        time: median(&times),
        note,
    }
}

async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "bench",
        ))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(500))
                .operation_timeout(Duration::from_secs(2))
                .build(),
        )
        .load()
        .await
}

/// One DynamoDB call that fails at connect (nothing listens there).
async fn refused_call(client: &aws_sdk_dynamodb::Client) -> Duration {
    let started = Instant::now();
    let result = client.list_tables().send().await;
    assert!(result.is_err(), "nothing listens on the endpoint");
    started.elapsed()
}

pub async fn init_pieces(server: &JwksServer) -> Vec<Piece> {
    let file = verifier_env(("JWKS_FILE", &dev_jwks_file()));
    let url = verifier_env(("JWKS_URL", &server.url_template()));
    let mut pieces = vec![
        new_verifier(
            "Verifier::new with JWKS_FILE",
            &file,
            "file read, JWKS parsed, RSA key checked; no HTTP client",
        )
        .await,
        new_verifier(
            "Verifier::new with JWKS_URL (http, 127.0.0.1)",
            &url,
            "+ reqwest client (bundled webpki roots) + 1 fetch",
        )
        .await,
    ];

    // The SDK: config, clients, and what the first call adds. `https` so
    // that the TLS set-up is the real one; nothing listens, so a call fails
    // at connect. The SDK's default HTTPS client builds a connector (rustls
    // config over the native roots) in `Client::new`, to check it, and
    // drops it; the first call builds the one it keeps. The roots are read
    // from disk once per process, and parsed for each connector.
    let endpoint = format!("https://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let config = sdk_config(&endpoint).await;
    pieces.push(Piece {
        what: "aws_config load (first in process)",
        time: started.elapsed(),
        note: "one sample; region and credentials given, as Lambda's variables give them",
    });
    let mut times = Vec::new();
    for _ in 0..REPEATS {
        let started = Instant::now();
        let again = sdk_config(&endpoint).await;
        times.push(started.elapsed());
        drop(again);
    }
    pieces.push(Piece {
        what: "aws_config load (again)",
        time: median(&times),
        note: "",
    });
    let started = Instant::now();
    let client = aws_sdk_dynamodb::Client::new(&config);
    pieces.push(Piece {
        what: "DynamoDB Client::new (first in process)",
        time: started.elapsed(),
        note: "one sample; reads and parses the native roots, builds a connector",
    });
    pieces.push(Piece {
        what: "DynamoDB Client::new (again)",
        time: median_of(|| {
            let started = Instant::now();
            let client = aws_sdk_dynamodb::Client::new(&config);
            let elapsed = started.elapsed();
            drop(client);
            elapsed
        }),
        note: "roots read already: parses them, builds a connector",
    });
    times.clear();
    let mut again = Vec::new();
    for _ in 0..REPEATS {
        let client = aws_sdk_dynamodb::Client::new(&config);
        times.push(refused_call(&client).await);
        again.push(refused_call(&client).await);
    }
    drop(client);
    pieces.push(Piece {
        what: "SDK first call on a client, refused at connect",
        time: median(&times),
        note: "builds the connector it keeps (roots parsed again)",
    });
    pieces.push(Piece {
        what: "SDK second call, refused at connect",
        time: median(&again),
        note: "connector cached: the call and the refusal only",
    });
    pieces
}

/// The metrics' cost per invocation: an authorizer's typical recorder (a
/// decision with its outcome and reason, the answer's size) built and
/// formatted into its EMF line, as `Recorder::flush` does before its one
/// write to stdout. The median over `REPEATS` batches, per invocation.
pub fn measure_metrics() -> Piece {
    use cognito_auth_core::metrics::{self, Metrics, Namespace};
    const BATCH: u32 = 1000;
    let namespace = Namespace::from_env(&Env::from_pairs::<&str, &str>([]))
        .unwrap_or_else(|err| panic!("{err}"));
    let sink = Metrics::new(namespace, "authorizer");
    let mut bytes = 0;
    let batch = median_of(|| {
        let started = Instant::now();
        for _ in 0..BATCH {
            let mut recorder = sink.recorder(
                "8f2e0b1c-3d4a-4b5c-9d6e-7f8091a2b3c4",
                Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
            );
            recorder.count(
                metrics::DECISIONS,
                &[
                    (metrics::OUTCOME, "unauthorized"),
                    (metrics::REASON, "token_expired"),
                ],
                1,
            );
            recorder.count(metrics::VERIFIED_CACHE_HITS, &[], 1);
            bytes = recorder
                .lines()
                .iter()
                .map(|line| line.len() + 1)
                .sum::<usize>();
        }
        started.elapsed()
    });
    std::hint::black_box(bytes);
    Piece {
        what: "metrics per invocation (2 EMF lines: a decision with 2 dimensions, a cache hit)",
        time: batch / BATCH,
        note: "build + format, median of batches of 1000; then one write to stdout",
    }
}

/// Times the functions' logging set-up once: it installs the global
/// subscriber, so it runs last, when nothing more is measured.
pub fn measure_logging() -> Piece {
    let started = Instant::now();
    cognito_auth_core::logging::init();
    Piece {
        what: "logging::init (JSON subscriber, env filter)",
        time: started.elapsed(),
        note: "one sample",
    }
}
