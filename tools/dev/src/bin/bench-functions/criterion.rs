//! The criterion benches' results (`cargo bench -p cognito-auth-core
//! --bench verify`, and the authorizer's `answer` and `stages`, run by
//! `make bench` before this tool), read back from `target/criterion` so the
//! report shows them beside the functions: verification in its own table,
//! the `stages/` ids in the warm cost by stage.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;

/// Every criterion result found: `(id, median ns, age)`.
pub fn criterion_results(dir: &Path) -> Vec<(String, f64, Duration)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut results = Vec::new();
    for entry in entries.flatten() {
        let new = entry.path().join("new");
        let read = |name: &str| -> Option<Value> {
            serde_json::from_str(&std::fs::read_to_string(new.join(name)).ok()?).ok()
        };
        let (Some(benchmark), Some(estimates)) = (read("benchmark.json"), read("estimates.json"))
        else {
            continue;
        };
        let (Some(id), Some(median)) = (
            benchmark["full_id"].as_str(),
            estimates["median"]["point_estimate"].as_f64(),
        ) else {
            continue;
        };
        let age = std::fs::metadata(new.join("estimates.json"))
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .unwrap_or_default();
        results.push((id.to_owned(), median, age));
    }
    let order = [
        "verifier/fresh_token",
        "verifier/repeated_token",
        "floor/parsed_key",
        "floor/components_per_call",
        "jsonwebtoken/crypto_verify",
        "jwks/parse",
    ];
    results.sort_by_key(|(id, _, _)| {
        (
            order
                .iter()
                .position(|known| known == id)
                .unwrap_or(order.len()),
            id.clone(),
        )
    });
    results
}
