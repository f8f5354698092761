//! Cold starts: from just before the harness spawns a binary to its first
//! response (or its report on `/init/error`), with the memory it peaked at.
//! The cases take turns, one start each per round, so that a burst of load
//! elsewhere on the machine hits all of them alike.

use std::time::{Duration, Instant};

use crate::cases::{Case, Cold};
use crate::procfs::{Memory, memory};

#[derive(Default)]
pub struct ColdResult {
    pub times: Vec<Duration>,
    pub memory: Vec<Memory>,
}

/// `starts` cold starts of every case that has one, taking turns.
pub async fn cold_starts(cases: &[Case], starts: usize) -> Vec<ColdResult> {
    let mut results: Vec<ColdResult> = cases.iter().map(|_| ColdResult::default()).collect();
    for round in 0..starts {
        for (case, result) in cases.iter().zip(&mut results) {
            if case.cold == Cold::Skip {
                continue;
            }
            let launch = case.launch();
            let started = Instant::now();
            let mut function = launch.start().await;
            if case.cold == Cold::InitError {
                let report = function.init_error().await;
                result.times.push(started.elapsed());
                assert_eq!(report.error_type, "ConfigError", "{}", case.label);
            } else {
                let event = case.cold_event(round);
                let invoked = function.invoke(event.clone()).await;
                result.times.push(started.elapsed());
                result.memory.push(memory(function.pid()));
                case.expect(event, &invoked.outcome, &function.logs());
            }
            function.stop().await;
        }
    }
    results
}
