use super::*;
use cognito_auth_core::claims::TokenUse;

const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets/1";
const PREFIX: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod";

fn claims(groups: &[&str], scopes: &[&str]) -> Claims {
    Claims {
        sub: "sub-1".to_owned(),
        username: "alice".to_owned(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        client_id: "client".to_owned(),
        token_use: TokenUse::Access,
        email: None,
        issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool".to_owned(),
        exp: 2,
        iat: 1,
        auth_time: None,
        other: serde_json::Map::new(),
    }
}

fn rules(json: &str) -> RuleSet {
    RuleSet::parse(json).unwrap_or_else(|err| panic!("{json}: {err}"))
}

fn error(json: &str) -> String {
    RuleSet::parse(json).unwrap_err().to_string()
}

const PETS: &str = r#"[
    {"method": "GET", "path": "/pets"},
    {"method": "GET", "path": "/pets/{id}"},
    {"method": "POST", "path": "/pets", "allScopes": ["pets/write"]},
    {"method": "*", "path": "/admin/{proxy+}", "anyGroups": ["admins"]},
    {"path": "/pets/{id}/secrets", "anyGroups": ["admins"]}
]"#;

#[test]
fn parses_the_documented_format() {
    let set = rules(PETS);
    let rule = &set.rules()[1];
    assert_eq!(rule.method, Some("GET"));
    assert_eq!(rule.path, "/pets/{id}");
    assert_eq!(rule.pattern, "/pets/*");
    let admin = &set.rules()[3];
    assert_eq!(admin.method, None);
    assert_eq!(admin.pattern, "/admin/*");
    assert_eq!(admin.any_groups, ["admins"]);
    assert_eq!(set.rules()[4].method, None, "method defaults to every verb");
}

#[test]
fn methods_accept_any_casing_and_any() {
    let set = rules(
        r#"[{"method":"get","path":"/"},{"method":"any","path":"/"},{"method":" Delete ","path":"/"}]"#,
    );
    let methods: Vec<_> = set.rules().iter().map(|r| r.method).collect();
    assert_eq!(methods, [Some("GET"), None, Some("DELETE")]);
}

#[test]
fn paths_become_iam_patterns() {
    for (path, pattern) in [
        ("/", "/"),
        ("/pets", "/pets"),
        ("/pets/{id}", "/pets/*"),
        ("/{proxy+}", "/*"),
        ("/pets/{id}/photos/{photoId}", "/pets/*/photos/*"),
        ("/admin/*", "/admin/*"),
        ("/v1/users/me:search", "/v1/users/me:search"),
    ] {
        assert_eq!(path_pattern(path).unwrap(), pattern, "{path}");
    }
}

#[test]
fn bad_rules_fail_with_their_index_and_what_is_wrong() {
    for (json, expected) in [
        (
            r#"[{"path":"/a"},{"method":"FETCH","path":"/b"}]"#,
            "AUTHZ_RULES: rules[1] (FETCH /b): method `FETCH` is not one of",
        ),
        (
            r#"[{"path":"pets"}]"#,
            "rules[0] (* pets): path must start with `/`",
        ),
        (
            r#"[{"path":"/pets/"}]"#,
            "rules[0] (* /pets/): path must not end with `/`",
        ),
        (r#"[{"path":"/a//b"}]"#, "path has an empty segment"),
        (
            r#"[{"path":"/a/{proxy+}/b"}]"#,
            "greedy parameter `{proxy+}` must be the last segment",
        ),
        (r#"[{"path":"/a/b*"}]"#, "segment 2 has the character '*'"),
        (
            r#"[{"path":"/a/{}"}]"#,
            "segment 2 is not a valid parameter name",
        ),
        (r#"[{"path":"/a/x?"}]"#, "segment 2 has the character '?'"),
        (r#"[{"path":"$default"}]"#, "use `/{proxy+}`"),
        (
            r#"[{"path":"/a","anyGroup":["x"]}]"#,
            "AUTHZ_RULES: rules[0]: unknown field `anyGroup`, expected one of `method`, `path`, `anyGroups`, `allScopes` at line 1 column 24",
        ),
        (
            r#"[{"path":"/a","anyGroups":[]}]"#,
            "anyGroups is empty; leave it out",
        ),
        (
            r#"[{"path":"/a","allScopes":[""]}]"#,
            "allScopes[0] is blank",
        ),
        (
            r#"[{"path":"/a","allScopes":["a b"]}]"#,
            "allScopes[0] contains a space",
        ),
        (
            r#"[{"path":"/a","anyGroups":"admins"}]"#,
            "invalid type: string",
        ),
        (r#"[{"method":"GET"}]"#, "rules[0]: missing field `path`"),
        (
            r#"[{"path":"/a"}, 7]"#,
            "rules[1]: invalid type: integer `7`",
        ),
        (
            r#"[{"path":"/a","anyGroups":["x"]},{"path":"/b","anyGroups":[]}]"#,
            "AUTHZ_RULES: rules[1] (* /b): anyGroups is empty; leave it out to admit every verified caller",
        ),
        (r#"[{"path":"/a","path":"/b"}]"#, "duplicate field `path`"),
        ("[]", "AUTHZ_RULES: has no rules; leave it unset"),
        (
            r#"{"path":"/a"}"#,
            "AUTHZ_RULES: invalid type: map, expected a JSON array of rules",
        ),
        ("[{", "AUTHZ_RULES: rules[0]: EOF while parsing an object"),
        ("", "AUTHZ_RULES: EOF while parsing a value"),
    ] {
        let message = error(json);
        assert!(
            message.contains(expected),
            "{json}\n  gave: {message}\n  want: {expected}"
        );
    }
}

#[test]
fn a_path_too_long_for_an_arn_is_refused() {
    let long = format!(r#"[{{"path":"/{}"}}]"#, "a".repeat(MAX_PATH_LEN));
    assert!(error(&long).contains("at most 300 are allowed"));
    let fits = format!(r#"[{{"path":"/{}"}}]"#, "a".repeat(MAX_PATH_LEN - 1));
    rules(&fits);
}

#[test]
fn ten_thousand_rules_are_refused_quickly() {
    let one = r#"{"path":"/a"},"#;
    let json = format!("[{}{{\"path\":\"/a\"}}]", one.repeat(9_999));
    let started = std::time::Instant::now();
    assert_eq!(
        error(&json),
        "AUTHZ_RULES: has more than 1000 rules; at most 1000 are allowed"
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
    let oversized = format!(
        "[{}]",
        r#"{"path":"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"#.repeat(10_000)
    );
    assert!(error(&oversized).contains("bytes of JSON; at most 262144 are allowed"));
}

#[test]
fn a_thousand_rules_evaluate_fast() {
    let json = format!(
        "[{}]",
        (0..MAX_RULES)
            .map(|i| {
                let group = if i % 3 == 0 { "admins" } else { "users" };
                format!(
                    r#"{{"method":"GET","path":"/r{}/{{id}}/x{}","anyGroups":["{group}"]}}"#,
                    i % 50,
                    i
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    );
    let set = rules(&json);
    let caller = claims(&["users"], &[]);
    let arn = MethodArn::parse(ARN).unwrap();
    let started = std::time::Instant::now();
    let evaluation = set.evaluate(&caller);
    let policy = evaluation.policy(&arn);
    let elapsed = started.elapsed();
    assert!(policy.allows(&format!("{PREFIX}/GET/r1/7/x1")));
    assert!(!policy.allows(&format!("{PREFIX}/GET/r0/7/x0")));
    // HTTP API routes: every unsatisfied rule is compared with the route.
    let started = std::time::Instant::now();
    assert!(evaluation.allows_route(Some("GET"), "/r1/{id}/x1"));
    assert!(!evaluation.allows_route(Some("GET"), "/r1/{proxy+}"));
    assert!(!evaluation.allows_route(None, "/{proxy+}"));
    assert!(!evaluation.allows_route(Some("GET"), "/r0/{a}/{b}/{c}/{proxy+}"));
    let routes_elapsed = started.elapsed();
    assert!(
        routes_elapsed < std::time::Duration::from_millis(200),
        "{routes_elapsed:?}"
    );
    // Generous: it is about 1 ms in a debug build.
    assert!(
        elapsed < std::time::Duration::from_millis(200),
        "{elapsed:?}"
    );
}

#[test]
fn reads_inline_json_or_a_file_and_unset_means_no_rules() {
    assert!(
        RuleSet::from_env(&Env::from_pairs([("OTHER", "x")]))
            .unwrap()
            .is_none()
    );
    let inline = RuleSet::from_env(&Env::from_pairs([(VARIABLE, r#" [{"path":"/"}] "#)]))
        .unwrap()
        .unwrap();
    assert_eq!(inline.rules().len(), 1);

    let dir = std::env::temp_dir().join(format!("authz-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rules.json");
    std::fs::write(&file, PETS).unwrap();
    let from_file = RuleSet::from_env(&Env::from_pairs([(VARIABLE, file.to_str().unwrap())]))
        .unwrap()
        .unwrap();
    assert_eq!(from_file.rules().len(), 5);

    let missing = RuleSet::from_env(&Env::from_pairs([(VARIABLE, "/no/such/rules.json")]))
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("AUTHZ_RULES: is neither inline JSON"),
        "{missing}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_call_needs_a_matching_rule_and_every_matching_rule() {
    let set = rules(PETS);
    let user = claims(&["users"], &[]);
    let writer = claims(&[], &["pets/write"]);
    let admin = claims(&["admins"], &[]);

    let user = set.evaluate(&user);
    assert!(user.allows("GET", "/pets"));
    assert!(user.allows("GET", "/pets/1"));
    assert!(!user.allows("POST", "/pets"), "needs the scope");
    assert!(!user.allows("DELETE", "/pets/1"), "no rule matches");
    assert!(!user.allows("GET", "/admin/users"), "needs the group");
    assert!(
        !user.allows("GET", "/pets/1/secrets"),
        "the secrets rule also matches"
    );
    assert!(!user.allows("GET", "/"), "no rule matches the root");

    let writer = set.evaluate(&writer);
    assert!(writer.allows("POST", "/pets"));
    assert!(writer.allows("GET", "/pets"));

    let admin = set.evaluate(&admin);
    assert!(admin.allows("PUT", "/admin/x/y"));
    assert!(admin.allows("GET", "/pets/1/secrets"));
    assert!(
        admin.allows("GET", "/pets/{id}/secrets"),
        "route templates match too"
    );
}

/// The review's case: a greedy HTTP API route receives `/pets/1/secrets`,
/// which the secrets rule keeps for admins, so the route is refused to
/// everyone else, although the route template itself (`/pets/{proxy+}`)
/// does not match the secrets rule's pattern as text.
#[test]
fn an_http_route_is_refused_when_an_unsatisfied_rule_matches_a_path_it_receives() {
    let set = rules(
        r#"[{"method":"GET","path":"/pets/{id}"},
            {"method":"GET","path":"/pets/{id}/secrets","anyGroups":["admins"]}]"#,
    );
    let user = set.evaluate(&claims(&["users"], &[]));
    let admin = set.evaluate(&claims(&["admins"], &[]));
    let arn = MethodArn::parse(ARN).unwrap();

    // What REST decides for a path the greedy route receives.
    assert!(!user.allows("GET", "/pets/1/secrets"));
    assert!(
        !user
            .policy(&arn)
            .allows(&format!("{PREFIX}/GET/pets/1/secrets"))
    );

    assert!(!user.allows_route(Some("GET"), "/pets/{proxy+}"));
    assert!(admin.allows_route(Some("GET"), "/pets/{proxy+}"));
    // `{id}` is one segment: `GET /pets/{id}` never receives the secrets.
    assert!(user.allows_route(Some("GET"), "/pets/{id}"));
    assert!(!user.allows_route(Some("GET"), "/pets/{id}/secrets"));
    assert!(admin.allows_route(Some("GET"), "/pets/{id}/secrets"));
    // A literal segment where the rule has a parameter is received too.
    assert!(!user.allows_route(Some("GET"), "/pets/7/{proxy+}"));
    assert!(!user.allows_route(Some("GET"), "/pets/{id}/{other}"));
    assert!(user.allows_route(Some("GET"), "/pets/{id}/photos"));
    // The unsatisfied rule is for GET only.
    assert!(
        !user.allows_route(Some("POST"), "/pets/{proxy+}"),
        "no rule"
    );
    // `$default` (`ANY /{proxy+}`): no rule covers every verb and path.
    assert!(!user.allows_route(None, "/{proxy+}"));
    assert!(!admin.allows_route(None, "/{proxy+}"));
}

/// The answer is cached per route key, so an `ANY` route is answered for
/// every verb at once, never for the verb that happened to come first.
#[test]
fn an_any_route_is_answered_for_every_verb() {
    let set = rules(
        r#"[{"method":"GET","path":"/pets/{id}"},
            {"method":"DELETE","path":"/pets/{id}","anyGroups":["admins"]},
            {"path":"/files/{proxy+}"},
            {"method":"PUT","path":"/files/locked","anyGroups":["admins"]}]"#,
    );
    let user = set.evaluate(&claims(&["users"], &[]));
    let admin = set.evaluate(&claims(&["admins"], &[]));
    assert!(user.allows_route(Some("GET"), "/pets/{id}"));
    assert!(!user.allows_route(Some("DELETE"), "/pets/{id}"));
    assert!(admin.allows_route(Some("DELETE"), "/pets/{id}"));
    // Per-verb rules never cover an `ANY` route (it also takes PATCH, …).
    assert!(!user.allows_route(None, "/pets/{id}"));
    assert!(!admin.allows_route(None, "/pets/{id}"));
    // An every-verb rule does, unless some unsatisfied rule of any verb
    // matches a path of the route.
    assert!(!user.allows_route(None, "/files/{proxy+}"));
    assert!(admin.allows_route(None, "/files/{proxy+}"));
    assert!(user.allows_route(None, "/files/{name}/{version}"));
    assert!(!user.allows_route(None, "/files/{name}"));
    assert!(user.allows_route(Some("GET"), "/files/{name}"));
    assert!(!user.allows_route(Some("PUT"), "/files/{name}"));
    assert!(user.allows_route(Some("PUT"), "/files/open"));
}

#[test]
fn odd_route_templates_are_refused_or_taken_broadly() {
    let set =
        rules(r#"[{"path":"/{proxy+}"},{"method":"GET","path":"/a/b","anyGroups":["admins"]}]"#);
    let user = set.evaluate(&claims(&[], &[]));
    assert!(!user.allows_route(Some("GET"), "odd"));
    assert!(!user.allows_route(Some("GET"), ""));
    assert!(user.allows_route(Some("GET"), "/"));
    assert!(
        !user.allows_route(None, "/{proxy+}"),
        "it receives GET /a/b"
    );
    assert!(user.allows_route(None, "/c/{proxy+}"));
    // A brace that is not a whole `{name}` is taken as `{name+}`.
    assert!(!user.allows_route(Some("GET"), "/a/{x}.json"));
    assert!(!user.allows_route(Some("GET"), "/{a}{b}/b"));
    assert!(user.allows_route(Some("GET"), "/{a}/c"));
    assert!(!user.allows_route(Some("GET"), "/{a}/b"));
    assert!(user.allows_route(Some("GET"), "/a/{b}/c"));

    let root = rules(r#"[{"method":"GET","path":"/"},{"path":"/x","anyGroups":["a"]}]"#);
    let user = root.evaluate(&claims(&[], &[]));
    assert!(user.allows_route(Some("GET"), "/"));
    assert!(!user.allows_route(Some("GET"), "/{proxy+}"), "not covered");
}

#[test]
fn route_overlap_examples() {
    let overlap = |pattern: &str, template: &str| {
        segments_overlap(
            &pattern_segments(pattern),
            &route_segments(template).unwrap(),
        )
    };
    assert!(overlap("/pets/*/secrets", "/pets/{proxy+}"));
    assert!(!overlap("/pets/*/secrets", "/pets/{id}"));
    assert!(overlap("/pets/*/secrets", "/pets/{id}/{x}"));
    assert!(overlap("/pets/*/secrets", "/pets/{a}/{b}/{c}"));
    assert!(!overlap("/pets/*/secrets", "/pets/{a}/{b}/other"));
    assert!(overlap("/pets/*/secrets", "/pets/{a}/{b}/secrets"));
    assert!(overlap("/*", "/"));
    assert!(overlap("/", "/{proxy+}"));
    assert!(!overlap("/", "/{id}"));
    assert!(!overlap("/pets", "/pets/{proxy+}"));
    assert!(!overlap("/pets/*", "/pets"));
    assert!(overlap("/*/b", "/{id}/b"));
    assert!(!overlap("/a", "/b"));
}

/// A deterministic pseudo-random generator, so the property test needs no
/// extra crate and fails the same way every time.
struct Lcg(u64);

#[test]
fn a_policy_covers_every_route_of_the_caller_at_once() {
    let set = rules(PETS);
    let arn = MethodArn::parse(ARN).unwrap();
    let user = set.evaluate(&claims(&["users"], &[])).policy(&arn);
    let json = serde_json::to_value(&user).unwrap();
    assert_eq!(json["Version"], "2012-10-17");
    assert_eq!(
        json["Statement"][0]["Resource"],
        serde_json::json!([format!("{PREFIX}/GET/pets"), format!("{PREFIX}/GET/pets/*")])
    );
    // The admin rules overlap `/pets/*` only through the secrets rule.
    let denies: Vec<String> = HTTP_VERBS
        .iter()
        .map(|verb| format!("{PREFIX}/{verb}/pets/*/secrets"))
        .collect();
    assert_eq!(json["Statement"][1]["Effect"], "Deny");
    assert_eq!(json["Statement"][1]["Resource"], serde_json::json!(denies));
    assert!(user.allows(&format!("{PREFIX}/GET/pets/2")));
    assert!(!user.allows(&format!("{PREFIX}/GET/pets/2/secrets")));
    assert!(!user.allows(&format!("{PREFIX}/GET/admin/x")));
}

#[test]
fn nothing_satisfied_is_an_explicit_deny_of_the_stage() {
    let set = rules(r#"[{"path":"/{proxy+}","anyGroups":["staff"]}]"#);
    let arn = MethodArn::parse(ARN).unwrap();
    let policy = set.evaluate(&claims(&["users"], &[])).policy(&arn);
    let json = serde_json::to_value(&policy).unwrap();
    assert_eq!(
        json["Statement"],
        serde_json::json!([{
            "Action": "execute-api:Invoke",
            "Effect": "Deny",
            "Resource": [format!("{PREFIX}/*/*")]
        }])
    );
}

#[test]
fn the_root_is_its_own_route() {
    let set = rules(r#"[{"method":"GET","path":"/"}]"#);
    let arn = MethodArn::parse(ARN).unwrap();
    let evaluation = set.evaluate(&claims(&[], &[]));
    let policy = evaluation.policy(&arn);
    assert_eq!(policy.statements[0].resources, [format!("{PREFIX}/GET/")]);
    assert!(policy.allows(&format!("{PREFIX}/GET/")));
    assert!(!policy.allows(&format!("{PREFIX}/GET/pets")));
    assert!(evaluation.allows("GET", "/"));
    assert!(!evaluation.allows("GET", "/pets"));
}

#[test]
fn deny_selection_skips_rules_that_cannot_overlap() {
    let set = rules(
        r#"[
        {"method":"GET","path":"/pets/{id}"},
        {"method":"GET","path":"/orders/{id}","anyGroups":["staff"]},
        {"method":"POST","path":"/pets/{id}","anyGroups":["staff"]},
        {"method":"GET","path":"/pets","anyGroups":["staff"]},
        {"method":"GET","path":"/pets/{id}/x","anyGroups":["staff"]},
        {"path":"/{proxy+}","anyGroups":["staff"]}
    ]"#,
    );
    let arn = MethodArn::parse(ARN).unwrap();
    let policy = set.evaluate(&claims(&[], &[])).policy(&arn);
    let denies = &policy.statements[1].resources;
    assert!(denies.contains(&format!("{PREFIX}/GET/pets/*/x")));
    assert!(denies.contains(&format!("{PREFIX}/*/*")));
    assert!(
        denies.contains(&format!("{PREFIX}/GET/pets")),
        "conservative: kept"
    );
    assert!(!denies.iter().any(|d| d.contains("orders")));
    assert!(!denies.iter().any(|d| d.contains("/POST/")));
}

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// A random path of up to three segments drawn from `segments`, with a
/// greedy one only last; `/` when empty.
fn random_path(rng: &mut Lcg, segments: &[&str]) -> String {
    let depth = rng.next() % 4;
    let mut path = String::new();
    for at in 0..depth {
        let segment = *rng.pick(segments);
        path.push('/');
        if segment.ends_with("+}") && at + 1 != depth {
            path.push('a');
        } else {
            path.push_str(segment);
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

/// Every path an HTTP API route `template` receives, within a small world:
/// `{name}` takes `a`, `b` or `x`, and `{name+}` one to three segments of
/// `a`, `b`, `x` or nothing. The rules of the tests use only `a` and `b` as
/// literals and have at most three segments, so this finds a path for every
/// way a rule can meet the route.
fn concrete_paths(template: &str) -> Vec<String> {
    let one = ["a", "b", "x"];
    let many_parts = ["a", "b", "x", ""];
    let mut many: Vec<String> = Vec::new();
    for first in many_parts {
        many.push(first.to_owned());
        for second in many_parts {
            many.push(format!("{first}/{second}"));
            for third in many_parts {
                many.push(format!("{first}/{second}/{third}"));
            }
        }
    }
    let mut paths = vec![String::new()];
    let rest = template.strip_prefix('/').unwrap();
    if rest.is_empty() {
        return vec!["/".to_owned()];
    }
    for segment in rest.split('/') {
        let choices: Vec<String> = if segment.ends_with("+}") {
            many.clone()
        } else if segment.starts_with('{') {
            one.iter().map(|s| s.to_string()).collect()
        } else {
            vec![segment.to_owned()]
        };
        paths = paths
            .iter()
            .flat_map(|path| choices.iter().map(move |choice| format!("{path}/{choice}")))
            .collect();
    }
    paths
}

/// The exact overlap test agrees with brute force: a rule pattern and a
/// route template overlap exactly when some path the route receives is
/// matched by the pattern (IAM matching on the text).
#[test]
fn route_overlap_is_exact() {
    let rule_segments = ["a", "b", "*"];
    let route_segments_ = ["a", "b", "{id}", "{proxy+}"];
    let mut rng = Lcg(11);
    let (mut overlapping, mut total) = (0, 0);
    for _ in 0..3000 {
        let pattern = random_path(&mut rng, &rule_segments);
        let template = random_path(&mut rng, &route_segments_);
        let brute = concrete_paths(&template)
            .iter()
            .any(|path| wildcard_match(&pattern, path));
        let exact = segments_overlap(
            &pattern_segments(&pattern),
            &route_segments(&template).unwrap(),
        );
        assert_eq!(exact, brute, "{pattern} vs {template}");
        overlapping += usize::from(exact);
        total += 1;
    }
    assert!(
        overlapping > total / 10 && overlapping < total * 9 / 10,
        "{overlapping}/{total}"
    );
}

/// The REST policy and the rules are the same function: for any rules,
/// caller, verb and path, the policy built for one route allows a second
/// route exactly when the rules allow it. And the HTTP API 2.0 answer, which
/// is for a whole route key, is never more generous: when it authorizes a
/// route, the rules and the REST policy allow every call the route can
/// receive (every verb of an `ANY` route, every path of its template).
#[test]
fn policies_and_http_decisions_agree_everywhere() {
    let segments = ["a", "b", "{id}", "*", "{proxy+}"];
    let route_segments_ = ["a", "b", "{id}", "{proxy+}"];
    let concrete = ["a", "b", "c"];
    let groups = ["g1", "g2", "g3"];
    let methods = ["GET", "POST", "*", "DELETE"];
    let route_verbs = [Some("GET"), Some("POST"), Some("DELETE"), None];
    let mut rng = Lcg(7);
    let arn = MethodArn::parse(ARN).unwrap();
    let mut allowed = 0;
    let mut checked = 0;
    let (mut routes_allowed, mut routes_rest_allows, mut routes) = (0, 0, 0);
    for _ in 0..400 {
        let count = 1 + rng.next() % 6;
        let rules_json: Vec<String> = (0..count)
            .map(|_| {
                let path = random_path(&mut rng, &segments);
                let group = if rng.next().is_multiple_of(2) {
                    format!(r#","anyGroups":["{}"]"#, rng.pick(&groups))
                } else {
                    String::new()
                };
                format!(
                    r#"{{"method":"{}","path":"{path}"{group}}}"#,
                    rng.pick(&methods)
                )
            })
            .collect();
        let set = rules(&format!("[{}]", rules_json.join(",")));
        let caller_groups: Vec<&str> = groups
            .iter()
            .copied()
            .filter(|_| rng.next().is_multiple_of(2))
            .collect();
        let evaluation = set.evaluate(&claims(&caller_groups, &[]));
        let policy = evaluation.policy(&arn);
        for _ in 0..20 {
            let path = random_path(&mut rng, &concrete);
            for verb in ["GET", "POST", "DELETE"] {
                let expected = evaluation.allows(verb, &path);
                let actual = policy.allows(&format!("{PREFIX}/{verb}{path}"));
                assert_eq!(
                    actual,
                    expected,
                    "rules {rules_json:?}, groups {caller_groups:?}, {verb} {path}\npolicy {}",
                    serde_json::to_string_pretty(&policy).unwrap()
                );
                allowed += usize::from(expected);
                checked += 1;
            }
        }
        for _ in 0..6 {
            let template = random_path(&mut rng, &route_segments_);
            let route_verb = *rng.pick(&route_verbs);
            let verbs: Vec<&str> = match route_verb {
                Some(verb) => vec![verb],
                None => vec!["GET", "POST", "DELETE", "PUT", "PROPFIND"],
            };
            let http = evaluation.allows_route(route_verb, &template);
            let mut rest_allows_all = true;
            for path in concrete_paths(&template) {
                for &verb in &verbs {
                    let by_rules = evaluation.allows(verb, &path);
                    let by_policy = policy.allows(&format!("{PREFIX}/{verb}{path}"));
                    let standard = HTTP_VERBS.contains(&verb);
                    assert!(
                        !http || (by_rules && (by_policy || !standard)),
                        "HTTP API authorizes {route_verb:?} {template}, but {verb} {path} \
                         is refused (rules: {by_rules}, policy: {by_policy}); \
                         rules {rules_json:?}, groups {caller_groups:?}"
                    );
                    assert!(standard || !by_policy, "{verb} {path}");
                    rest_allows_all &= by_rules;
                }
            }
            routes_allowed += usize::from(http);
            routes_rest_allows += usize::from(rest_allows_all);
            routes += 1;
        }
    }
    // The generator must exercise both answers.
    assert!(
        allowed > checked / 10 && allowed < checked * 9 / 10,
        "{allowed}/{checked}"
    );
    // The HTTP API answer must not be trivially "no": it authorizes most of
    // the routes whose every call the rules allow (it refuses the others
    // only when no single rule covers the whole route).
    assert!(
        routes_allowed > routes / 10 && routes_allowed * 10 >= routes_rest_allows * 9,
        "HTTP API authorized {routes_allowed} routes, the rules allow every call of \
         {routes_rest_allows}, of {routes}"
    );
}
