//! Exact at any size (issue 13): generated rule sets, answered by the binary,
//! checked against an oracle written from docs/authorizer.md's description of the
//! rules (not the authorizer's parser) for every probe path and verb.

use super::*;

/// A generated rule, kept structured so that the oracle below reads it
/// directly, not through the authorizer's parser.
#[derive(Debug, Clone)]
struct GenRule {
    method: Option<&'static str>,
    segments: Vec<&'static str>,
    group: Option<&'static str>,
    scope: Option<&'static str>,
    pools: Vec<&'static str>,
}

impl GenRule {
    fn json(&self) -> Value {
        let path = format!("/{}", self.segments.join("/"));
        let mut rule = json!({"method": self.method.unwrap_or("*"), "path": path});
        if let Some(group) = self.group {
            rule["anyGroups"] = json!([group]);
        }
        if let Some(scope) = self.scope {
            rule["allScopes"] = json!([scope]);
        }
        if !self.pools.is_empty() {
            rule["pools"] = json!(self.pools);
        }
        rule
    }
}

/// A caller of the generated tests.
struct GenCaller {
    pool: &'static str,
    groups: &'static [&'static str],
    scopes: &'static [&'static str],
}

const GEN_CALLERS: [GenCaller; 4] = [
    GenCaller {
        pool: POOL,
        groups: &["g1"],
        scopes: &[],
    },
    GenCaller {
        pool: POOL,
        groups: &["g2"],
        scopes: &["s1"],
    },
    GenCaller {
        pool: POOL2,
        groups: &["g1"],
        scopes: &["s1"],
    },
    GenCaller {
        pool: POOL2,
        groups: &[],
        scopes: &[],
    },
];

impl GenCaller {
    fn token(&self) -> String {
        TokenBuilder::access(self.pool, CLIENT)
            .groups(self.groups)
            .scopes(self.scopes)
            .build()
    }

    fn satisfies(&self, rule: &GenRule) -> bool {
        (rule.pools.is_empty() || rule.pools.contains(&self.pool))
            && rule.group.is_none_or(|g| self.groups.contains(&g))
            && rule.scope.is_none_or(|s| self.scopes.contains(&s))
    }
}

/// Whether a template's segments match a path's: literals exactly, `{..}`
/// and `*` one segment, `{..+}` (last) one or more.
fn template_matches(template: &[&str], path: &[&str]) -> bool {
    match (template.split_first(), path.split_first()) {
        (None, None) => true,
        (Some((t, _)), _) if t.ends_with("+}") => !path.is_empty(),
        (Some((t, rest)), Some((p, path_rest))) => {
            (t.starts_with('{') || *t == "*" || t == p) && template_matches(rest, path_rest)
        }
        _ => false,
    }
}

/// A path's segments, or `None` when it is ambiguous (docs/authorizer.md's list).
fn clean_segments(path: &str) -> Option<Vec<&str>> {
    if ["%2F", "%2f", "%5C", "%5c"]
        .iter()
        .any(|sep| path.contains(sep))
    {
        return None;
    }
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let ambiguous = segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..");
    (!ambiguous).then_some(segments)
}

/// The rules' own decision, from docs/authorizer.md: some rule matches, and the
/// caller satisfies every rule that matches.
fn oracle(rules: &[GenRule], caller: &GenCaller, verb: &str, path: &str) -> bool {
    let Some(segments) = clean_segments(path) else {
        return false;
    };
    let matching: Vec<&GenRule> = rules
        .iter()
        .filter(|r| r.method.is_none_or(|m| m == verb) && template_matches(&r.segments, &segments))
        .collect();
    !matching.is_empty() && matching.iter().all(|r| caller.satisfies(r))
}

/// Every path of up to three segments over `a`, `b`, `x`, some one and two
/// segments deeper than any generated rule, and ambiguous ones.
fn probe_paths() -> Vec<String> {
    let mut paths = vec!["/".to_owned()];
    let mut layer = vec![String::new()];
    for _ in 0..3 {
        layer = layer
            .iter()
            .flat_map(|prefix| ["a", "b", "x"].map(|s| format!("{prefix}/{s}")))
            .collect();
        paths.extend(layer.iter().cloned());
    }
    paths.extend(
        [
            "/a/b/a/b",
            "/a/x/b/a",
            "/b/a/x/x",
            "/x/a/b/a/b",
            "/a/a/a/a/a",
            "/a//b",
            "/a/",
            "/a/b/",
            "//a",
            "/a/x%2Fb",
            "/a%2fb/a",
            "/a%5Cb",
            "/a/./b",
            "/a/..",
            "/A",
            "/a/B",
        ]
        .map(str::to_owned),
    );
    paths
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn generate_rules(rng: &mut Rng) -> Vec<GenRule> {
    (0..1 + rng.next() % 5)
        .map(|_| {
            let depth = rng.next() % 4;
            let segments = (0..depth)
                .map(|at| match rng.pick(&["a", "b", "{id}", "*", "{p+}"]) {
                    "{p+}" if at + 1 != depth => "a",
                    segment => segment,
                })
                .collect();
            let pools = rng.pick(&[&[POOL][..], &[POOL2], &[POOL, POOL2]]).to_vec();
            let (group, scope, pools) = match rng.next() % 4 {
                0 => (None, None, Vec::new()),
                1 => (Some(rng.pick(&["g1", "g2"])), None, pools),
                2 => (None, Some("s1"), pools),
                _ => (None, None, pools),
            };
            GenRule {
                method: rng.pick(&[Some("GET"), Some("POST"), None]),
                segments,
                group,
                scope,
                pools,
            }
        })
        .collect()
}

/// The resources (REST) and route templates (HTTP API) the generated calls
/// are routed to.
const GEN_RESOURCES: [&str; 9] = [
    "/",
    "/a",
    "/a/b",
    "/a/{id}",
    "/{id}",
    "/b/{id}/a",
    "/{proxy+}",
    "/a/{proxy+}",
    "/{x}/{y}",
];

/// The test, through the binary: generated rule sets over literals,
/// `{id}`, `*` and `{p+}`, three methods, groups, scopes and two pools.
/// Each set runs in the `stage` scope when init accepts it (and init must
/// refuse it naming the `route` scope otherwise), then in the `route` scope.
/// For each caller, an answer for one route is evaluated, by this file's
/// IAM evaluator, against every probe path and verb: in the `stage` scope
/// it must equal the rules' decision everywhere; in the `route` scope
/// exactly for its own call and every call to the same resource and verb
/// when it covers them, and never allow what the rules refuse. HTTP API 2.0
/// answers never authorize a route with a refused call. Every answer stays
/// within 8,000 bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_rule_sets_are_answered_exactly_by_the_binary() {
    let probes = probe_paths();
    let mut rng = Rng(2026);
    let (mut stage_sets, mut route_only_sets, mut allowed, mut checked) = (0, 0, 0, 0);
    for _ in 0..16 {
        let rules = generate_rules(&mut rng);
        let json = Value::Array(rules.iter().map(GenRule::json).collect()).to_string();
        let parsed = authorizer::route_rules::RuleSet::parse(&json, &[POOL, POOL2]).unwrap();
        // The region the harness gives the binary (`AWS_REGION`), which
        // sizes its init check.
        let prefix = authorizer::stage_check::resource_prefix_len(Some("us-east-1"));
        let stage_ok = authorizer::stage_check::check_stage(&parsed, prefix).is_ok();
        if stage_ok {
            stage_sets += 1;
            let function = two_pools().env("AUTHZ_RULES", &json).start().await;
            for caller in &GEN_CALLERS {
                let credential = format!("Bearer {}", caller.token());
                let (verb, path) = (rng.pick(&["GET", "POST"]), rng.pick(&["/a", "/b/a", "/"]));
                let answer = ask(
                    &function,
                    Shape::Token,
                    Shape::Token.event(Some(&credential), verb, path, "GET /"),
                )
                .await;
                assert!(answer_size(&answer) <= 8000);
                for probe in &probes {
                    for verb in ["GET", "POST", "DELETE"] {
                        let want = oracle(&rules, caller, verb, probe);
                        assert_eq!(
                            answer.lets_through(verb, probe),
                            want,
                            "stage: {verb} {probe} for {} {:?}; rules {json}",
                            caller.pool,
                            caller.groups
                        );
                        allowed += usize::from(want);
                        checked += 1;
                    }
                }
            }
        } else {
            route_only_sets += 1;
            let mut function = two_pools().env("AUTHZ_RULES", &json).start().await;
            let report = function.init_error().await;
            assert!(
                report.error_message.starts_with("AUTHZ_RULES: ")
                    && report.error_message.contains("AUTHZ_POLICY_SCOPE=route"),
                "{}",
                report.error_message
            );
        }
        let function = two_pools()
            .env("AUTHZ_RULES", &json)
            .env("AUTHZ_POLICY_SCOPE", "route")
            .start()
            .await;
        for caller in &GEN_CALLERS {
            let credential = format!("Bearer {}", caller.token());
            for resource in GEN_RESOURCES {
                let template: Vec<&str> = resource.split('/').filter(|s| !s.is_empty()).collect();
                let domain: Vec<&String> = probes
                    .iter()
                    .filter(|p| clean_segments(p).is_some_and(|s| template_matches(&template, &s)))
                    .collect();
                let verb = rng.pick(&["GET", "POST"]);
                let call = domain[rng.next() as usize % domain.len()];
                let route_key = format!("{verb} {resource}");
                let answer = ask(
                    &function,
                    Shape::Request,
                    Shape::Request.event(Some(&credential), verb, call, &route_key),
                )
                .await;
                assert!(answer_size(&answer) <= 8000);
                let whole = domain.iter().all(|p| oracle(&rules, caller, verb, p));
                assert_eq!(
                    answer.lets_through(verb, call),
                    oracle(&rules, caller, verb, call)
                );
                let exact_for_resource = whole
                    && answer.lets_through(verb, call)
                    && authorizer::template::Template::parse_route(resource)
                        .is_some_and(|t| t.is_exact_in_iam());
                for probe in &probes {
                    for other_verb in ["GET", "POST", "DELETE"] {
                        let want = oracle(&rules, caller, other_verb, probe);
                        let got = answer.lets_through(other_verb, probe);
                        assert!(
                            !got || want,
                            "route: the answer for {verb} {call} ({resource}) lets \
                             {other_verb} {probe} through; rules {json}"
                        );
                        if exact_for_resource && other_verb == verb && domain.contains(&probe) {
                            assert!(got, "route: {verb} {probe} in {resource}; rules {json}");
                        }
                    }
                }
                // HTTP API 2.0, the same route: yes only if every call is.
                let http = ask(
                    &function,
                    Shape::Http2,
                    Shape::Http2.event(Some(&credential), verb, call, &route_key),
                )
                .await;
                assert!(answer_size(&http) <= 8000);
                if http.lets_through(verb, call) {
                    assert!(
                        whole,
                        "HTTP API authorizes {route_key} with a refused call; rules {json}"
                    );
                }
            }
        }
    }
    assert!(
        stage_sets >= 4 && route_only_sets >= 2,
        "{stage_sets} / {route_only_sets}"
    );
    assert!(
        allowed > checked / 50 && allowed < checked / 2,
        "{allowed}/{checked}"
    );
}
