//! What deciding and writing an answer costs, and how large answers get.
//!
//! First a table, printed before the timings: the largest stage-wide policy
//! init allows for each rule count (or that it refuses the rules, naming the
//! `route` scope), and the size of real answers, stage-wide and per route,
//! for callers with more and more 100-character groups. Then criterion:
//! - `route/1000_rules`: a caller indexed, 1,000 rules evaluated, the
//!   resource decided and its policy written, the context fitted and the
//!   answer serialised: all the handler does after verification;
//! - `stage/<n>_rules`: the same with the largest stage-wide rule set init
//!   accepts here, the whole stage's policy written;
//! - `http_v2/1000_rules`: the HTTP API 2.0 route decision and answer.
//!
//! No network, no verifier: the claims are built here, as the verifier
//! would hand them over. Run: `cargo bench -p authorizer --bench answer`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark: a failed set-up should stop it, loudly"
)]

use std::hint::black_box;

use authorizer::decide::{Caller, Evaluation};
use authorizer::iam_policy::{route_policy, stage_policy};
use authorizer::response::{fit_policy_answer, fit_simple_answer};
use authorizer::route_rules::RuleSet;
use authorizer::stage_check::{check_stage, resource_prefix_len};
use authorizer::template::Template;
use cognito_auth_core::Claims;
use cognito_auth_core::claims::TokenUse;
use cognito_auth_core::policy::MethodArn;
use criterion::Criterion;

const POOL: &str = "us-east-1_BenchPool";
const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/r7/42";

/// `count` rules of the shapes a real API has: a collection, an item, a
/// nested collection, and an admin area, with group requirements.
fn rules(count: usize) -> RuleSet {
    let json: Vec<String> = (0..count)
        .map(|i| {
            let (method, path) = match i % 4 {
                0 => ("GET", format!("/r{i}")),
                1 => ("GET", format!("/r{i}/{{id}}")),
                2 => ("POST", format!("/r{i}/{{id}}/items")),
                _ => ("*", format!("/admin{i}/{{proxy+}}")),
            };
            format!(
                r#"{{"method":"{method}","path":"{path}","anyGroups":["{}"]}}"#,
                group(i % 300)
            )
        })
        .collect();
    RuleSet::parse(&format!("[{}]", json.join(",")), &[POOL]).expect("bench rules parse")
}

fn group(i: usize) -> String {
    format!("{i:03}-{}", "g".repeat(96))
}

fn claims(groups: usize) -> Claims {
    Claims {
        sub: "0c4f8e2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b".to_owned(),
        username: Some("0c4f8e2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b".to_owned()),
        groups: (0..groups).map(group).collect(),
        scopes: vec![
            "openid".to_owned(),
            "aws.cognito.signin.user.admin".to_owned(),
        ],
        client_id: "4pq8f2ab3cd5ef6gh7ij8kl9mn".to_owned(),
        token_use: TokenUse::Access,
        email: None,
        issuer: format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
        exp: 2_000_000_000,
        iat: 1_900_000_000,
        auth_time: None,
        other: serde_json::Map::new(),
    }
}

/// The whole answer for one call in the `route` scope, serialised.
fn route_answer(set: &RuleSet, claims: &Claims, arn: &MethodArn, resource: &Template) -> usize {
    let caller = Caller::new(claims);
    let evaluation = Evaluation::new(set, &caller);
    let (policy, _) = route_policy(&evaluation, arn, Some(resource));
    let fitted = fit_policy_answer(claims, arn, policy, None).expect("claims fit");
    serde_json::to_vec(&fitted.answer)
        .expect("serialises")
        .len()
}

/// The whole answer for one call in the `stage` scope, serialised.
fn stage_answer(set: &RuleSet, claims: &Claims, arn: &MethodArn) -> (usize, bool) {
    let caller = Caller::new(claims);
    let evaluation = Evaluation::new(set, &caller);
    let policy = stage_policy(&evaluation, arn);
    let fitted = fit_policy_answer(claims, arn, policy, None).expect("claims fit");
    let size = serde_json::to_vec(&fitted.answer)
        .expect("serialises")
        .len();
    (size, fitted.cut.any)
}

fn print_size_table(prefix_len: usize, arn: &MethodArn, resource: &Template) {
    println!(
        "Answer size, bytes of JSON (API Gateway's 8 KB read as 8,000), us-east-1, stage `prod`.\n\
         Rules cycle through GET /rN, GET /rN/{{id}}, POST /rN/{{id}}/items and * /adminN/{{proxy+}}, each\n\
         for one group. `stage bound`: the largest policy init allows (assuming a 32-character stage).\n\
         `stage answer`: a caller in every rule's group plus 0 / 20 / 60 more 100-character groups;\n\
         `(cut)`: the group list was cut to fit, and said so. `route answer`: the same extra groups."
    );
    println!(
        "rules | stage bound | stage answer (+0 / +20 / +60 groups) | route answer (0 / 20 / 60 groups)"
    );
    println!("---|---|---|---");
    for count in [4, 8, 16, 24, 32, 40, 48, 100, 1000] {
        let set = rules(count);
        let bound = match check_stage(&set, prefix_len) {
            Ok(bound) => bound.to_string(),
            Err(_) => "refused: use route".to_owned(),
        };
        let stage: Vec<String> = [0, 20, 60]
            .map(|groups| {
                // A caller in every group the rules name (all rules
                // satisfied: the largest policy), plus more groups.
                let mut caller = claims(groups);
                caller.groups.extend((0..count.min(300)).map(group));
                match check_stage(&set, prefix_len) {
                    Ok(_) => {
                        let (size, cut) = stage_answer(&set, &caller, arn);
                        format!("{size}{}", if cut { " (cut)" } else { "" })
                    }
                    Err(_) => "-".to_owned(),
                }
            })
            .to_vec();
        let route: Vec<String> = [0, 20, 60]
            .map(|groups| route_answer(&set, &claims(groups), arn, resource).to_string())
            .to_vec();
        println!(
            "{count} | {bound} | {} | {}",
            stage.join(" / "),
            route.join(" / ")
        );
    }
    println!();
}

fn main() {
    let arn = MethodArn::parse(ARN).expect("bench ARN parses");
    let resource = Template::parse_route("/r7/{id}").expect("bench resource parses");
    let prefix_len = resource_prefix_len(Some("us-east-1"));
    print_size_table(prefix_len, &arn, &resource);

    let mut criterion = Criterion::default().configure_from_args();
    let thousand = rules(1000);
    let caller = claims(20);
    criterion.bench_function("route/1000_rules", |b| {
        b.iter(|| route_answer(black_box(&thousand), black_box(&caller), &arn, &resource))
    });
    let largest_stage = (1..=200)
        .rev()
        .find(|count| check_stage(&rules(*count), prefix_len).is_ok())
        .unwrap_or(1);
    let stage_rules = rules(largest_stage);
    let mut everyone = claims(0);
    everyone.groups.extend((0..largest_stage).map(group));
    criterion.bench_function(&format!("stage/{largest_stage}_rules"), |b| {
        b.iter(|| stage_answer(black_box(&stage_rules), black_box(&everyone), &arn))
    });
    let route_key = Template::parse_route("/r7/{id}").expect("route parses");
    criterion.bench_function("http_v2/1000_rules", |b| {
        b.iter(|| {
            let claims = black_box(&caller);
            let indexed = Caller::new(claims);
            let evaluation = Evaluation::new(&thousand, &indexed);
            let allowed = evaluation.allows_route(Some("GET"), &route_key);
            let (answer, _) = fit_simple_answer(claims, allowed).expect("claims fit");
            serde_json::to_vec(&answer).expect("serialises").len()
        })
    });
    criterion.final_summary();
}
