//! Warm runs: one process, sequential invocations, timed one by one, with
//! the process's own CPU time over the run. Each invocation is two loopback
//! HTTP exchanges with the harness plus the harness's own work, which is
//! why the report compares the rows with a floor row.

use std::time::{Duration, Instant};

use e2e_tests::runtime_api::Outcome;
use serde_json::Value;

use crate::cases::Case;
use crate::procfs::{Cpu, Memory, cpu, memory};
use crate::stats::percentile;

/// Invocations before a warm run is timed.
pub const WARM_UP: usize = 50;

pub struct WarmResult {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub memory: Memory,
    /// The function's own CPU per timed invocation.
    pub cpu: Cpu,
}

/// One process, `WARM_UP` invocations, then `invocations` timed ones.
/// Every answer is checked, the timed ones after the clock has stopped.
pub async fn warm_run(case: &Case, invocations: usize) -> WarmResult {
    let function = case.launch().start().await;
    for event in case.warm_events(0) {
        let invoked = function.invoke(event.clone()).await;
        case.expect(event, &invoked.outcome, &function.logs());
    }
    // The events are cloned before the clock starts, as the harness takes
    // them by value. The timed run goes on where the warm-up stopped, so a
    // list of fresh tokens (one per invocation, warm-up included) gives no
    // timed invocation a token the warm-up already verified.
    let sent: Vec<Value> = case
        .warm_events(invocations)
        .skip(WARM_UP)
        .cloned()
        .collect();
    let events = sent.clone();
    let mut each = Vec::with_capacity(invocations);
    let mut outcomes = Vec::with_capacity(invocations);
    let cpu_before = cpu(function.pid());
    let started = Instant::now();
    for event in events {
        let call = Instant::now();
        let invoked = function.invoke(event).await;
        each.push(call.elapsed());
        // An error ends the run: the check below reports it with its event.
        let failed = !matches!(invoked.outcome, Outcome::Response(_));
        outcomes.push(invoked.outcome);
        if failed {
            break;
        }
    }
    let elapsed = started.elapsed();
    let cpu_after = cpu(function.pid());
    let memory = memory(function.pid());
    // The logs are read only for a wrong answer: they grow with the run.
    if let Some((event, outcome)) = sent
        .iter()
        .zip(&outcomes)
        .find(|(event, outcome)| !case.is_right(event, outcome))
    {
        case.expect(event, outcome, &function.logs());
    }
    function.stop().await;
    each.sort();
    WarmResult {
        per_second: invocations as f64 / elapsed.as_secs_f64(),
        p50: percentile(&each, 50),
        p99: percentile(&each, 99),
        memory,
        cpu: Cpu {
            sched: cpu_after.sched.saturating_sub(cpu_before.sched) / invocations as u32,
            stat: cpu_after.stat.saturating_sub(cpu_before.stat) / invocations as u32,
        },
    }
}
