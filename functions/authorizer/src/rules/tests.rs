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

/// A deterministic pseudo-random generator, so the property test needs no
/// extra crate and fails the same way every time.
struct Lcg(u64);

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

/// The REST policy and the HTTP API decision are the same function: for any
/// rules, caller, verb and path, the policy built for one route allows a
/// second route exactly when the rules allow it.
#[test]
fn policies_and_http_decisions_agree_everywhere() {
    let segments = ["a", "b", "{id}", "*", "{proxy+}"];
    let concrete = ["a", "b", "c"];
    let groups = ["g1", "g2", "g3"];
    let methods = ["GET", "POST", "*", "DELETE"];
    let mut rng = Lcg(7);
    let arn = MethodArn::parse(ARN).unwrap();
    let mut allowed = 0;
    let mut checked = 0;
    for _ in 0..400 {
        let count = 1 + rng.next() % 6;
        let rules_json: Vec<String> = (0..count)
            .map(|_| {
                let depth = rng.next() % 4;
                let mut path = String::new();
                for at in 0..depth {
                    let segment = *rng.pick(&segments);
                    if segment == "{proxy+}" && at + 1 != depth {
                        path.push_str("/a");
                    } else {
                        path.push('/');
                        path.push_str(segment);
                    }
                }
                if path.is_empty() {
                    path.push('/');
                }
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
            let depth = rng.next() % 4;
            let mut path = String::new();
            for _ in 0..depth {
                path.push('/');
                let segment = rng.pick(&concrete);
                path.push_str(segment);
            }
            if path.is_empty() {
                path.push('/');
            }
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
    }
    // The generator must exercise both answers.
    assert!(
        allowed > checked / 10 && allowed < checked * 9 / 10,
        "{allowed}/{checked}"
    );
}
