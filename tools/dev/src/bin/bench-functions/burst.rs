//! A cold-start burst: N authorizer processes started at once against one
//! JWKS server, as Lambda starts many sandboxes when traffic jumps (up to
//! 1,000 per function every 10 s). Each is sent one token at once; the
//! figures are the JWKS requests the server saw and the slowest first
//! answer, from the moment the burst began. Run with keys handed in
//! (`JWKS`: there must be no request at all) and with `JWKS_URL` (one
//! fetch per process).
//!
//! The processes share this machine's CPUs (one, pinned, under `make
//! bench`), where Lambda gives each sandbox its own: the slowest first
//! answer is the whole burst's init queued on one CPU, and says more about
//! the work each start does than about a sandbox's latency.

use std::time::{Duration, Instant};

use e2e_tests::jwks_server::JwksServer;
use e2e_tests::runtime_api::{Launch, Outcome};
use serde_json::Value;

use crate::cases::{Vars, allowed};

pub struct BurstResult {
    pub label: &'static str,
    pub processes: usize,
    /// Requests the JWKS server saw during the burst.
    pub fetches: usize,
    /// From the start of the burst to each process's first answer, sorted.
    pub answers: Vec<Duration>,
}

/// Starts `processes` authorizers with `env` at once, sends each `event`,
/// and waits for every answer before stopping any.
pub async fn burst(
    label: &'static str,
    env: &Vars,
    processes: usize,
    server: &JwksServer,
    event: &Value,
) -> BurstResult {
    let before = server.requests();
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..processes {
        let launch = Launch::new("authorizer").envs(env.iter().cloned());
        let event = event.clone();
        running.spawn(async move {
            let function = launch.start().await;
            let invoked = function.invoke(event).await;
            let answered = started.elapsed();
            (function, invoked.outcome, answered)
        });
    }
    let mut functions = Vec::with_capacity(processes);
    let mut answers = Vec::with_capacity(processes);
    while let Some(done) = running.join_next().await {
        let (function, outcome, answered) = done.unwrap_or_else(|err| panic!("{label}: {err}"));
        let good = matches!(&outcome, Outcome::Response(answer) if allowed(answer));
        assert!(
            good,
            "{label}: unexpected answer {outcome:?}; its output:\n{}",
            function.logs().join("\n")
        );
        answers.push(answered);
        functions.push(function);
    }
    let fetches = server.requests() - before;
    for function in functions {
        function.stop().await;
    }
    answers.sort();
    BurstResult {
        label,
        processes,
        fetches,
        answers,
    }
}
