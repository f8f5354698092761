//! A measurement, not a check: warm invocations per second and the cold
//! start, ignored by default.

use super::*;

/// Prints warm invocations per second and the time from exec to the first
/// response (with `JWKS_FILE`), through this harness. Ignored by default;
/// run against release binaries:
///
/// ```sh
/// cargo build --release -p authorizer
/// E2E_BIN_DIR=$PWD/target/release cargo test -p e2e-tests --test e2e \
///     -- --ignored --nocapture authorizer::measure
/// ```
///
/// (`E2E_BIN_DIR` must be absolute: tests run in `tests/`.) The harness
/// itself is a debug build, so the warm figure is a lower bound dominated by
/// the harness's HTTP round trips, not the authorizer's own work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check; run on demand"]
async fn measure_warm_invocations_and_cold_start() {
    const COLD_RUNS: usize = 20;
    const WARM_CALLS: usize = 5_000;
    let token = access(&["users"]);
    let credential = format!("Bearer {}", token.build());

    let mut cold = Vec::with_capacity(COLD_RUNS);
    for _ in 0..COLD_RUNS {
        let started = std::time::Instant::now();
        let function = with_rules(PET_RULES).start().await;
        let answer = ask_route(&function, Shape::Token, &credential, LIST_PETS).await;
        cold.push(started.elapsed());
        assert!(answer.lets_through("GET", "/pets"));
        function.stop().await;
    }
    cold.sort();

    let function = with_rules(PET_RULES).start().await;
    for shape in ALL_SHAPES {
        let event = shape.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
        assert!(
            ask(&function, shape, event.clone())
                .await
                .lets_through("GET", "/pets/1")
        );
        let started = std::time::Instant::now();
        for _ in 0..WARM_CALLS {
            function.invoke(event.clone()).await;
        }
        let elapsed = started.elapsed();
        println!(
            "warm {shape:?}: {WARM_CALLS} sequential invocations in {elapsed:?}: {:.0}/s, {:?} each",
            WARM_CALLS as f64 / elapsed.as_secs_f64(),
            elapsed / WARM_CALLS as u32
        );
    }
    println!(
        "exec to first response (JWKS_FILE, {COLD_RUNS} runs): min {:?}, median {:?}, max {:?}",
        cold[0],
        cold[COLD_RUNS / 2],
        cold[COLD_RUNS - 1]
    );
}
