use super::*;
use crate::config::{AUTHZ_POLICY_SCOPE, PolicyScope};
use crate::decide::Caller;
use crate::decide::tests::claims;
use crate::limits::POLICY_BUDGET;
use crate::stage_check::{ASSUMED_STAGE_LEN, check_stage, resource_prefix_len};
use crate::template::tests::{Lcg, random_template, world};
use crate::template::{RequestPath, Template};
use cognito_auth_core::Claims;
use cognito_auth_core::config::Env;
use cognito_auth_core::policy::Effect;

const POOL_A: &str = "eu-west-1_A";
const POOL_B: &str = "eu-west-1_B";
const PREFIX: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod";

fn arn(verb: &str, path: &str) -> MethodArn {
    MethodArn::parse(&format!("{PREFIX}/{verb}{path}")).unwrap()
}

/// Whether IAM lets `arn` through the policy: no Deny matches, an Allow does.
fn iam_allows(policy: &PolicyDocument, arn: &str) -> bool {
    iam_allows_with(policy, arn, test_kit::iam::matches)
}

/// [`iam_allows`], reading `?` literally.
fn iam_allows_reading_question_mark_literally(policy: &PolicyDocument, arn: &str) -> bool {
    iam_allows_with(
        policy,
        arn,
        test_kit::iam::matches_reading_question_mark_literally,
    )
}

fn iam_allows_with(policy: &PolicyDocument, arn: &str, matches: fn(&[u8], &[u8]) -> bool) -> bool {
    let statements = policy.statements.iter().flat_map(|statement| {
        let effect = match statement.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        statement
            .resources
            .iter()
            .map(move |resource| (effect, resource.as_str()))
    });
    test_kit::iam::allows(statements, arn, matches)
}

/// A random rule set as JSON: up to `count` rules over `a`, `b`, `{id}`,
/// `*`, `{p+}`, three methods, and group, scope and pool requirements.
fn random_rules(rng: &mut Lcg, count: u64) -> String {
    let rules: Vec<String> = (0..1 + rng.next() % count)
        .map(|_| {
            let depth = rng.next() % 4;
            let mut path = String::new();
            for at in 0..depth {
                let segment = *rng.pick(&["a", "b", "{id}", "*", "{p+}"]);
                let segment = if segment == "{p+}" && at + 1 != depth {
                    "a"
                } else {
                    segment
                };
                path.push('/');
                path.push_str(segment);
            }
            if path.is_empty() {
                path.push('/');
            }
            let pools = *rng.pick(&[
                r#""pools":["eu-west-1_A"]"#,
                r#""pools":["eu-west-1_B"]"#,
                r#""pools":["eu-west-1_A","eu-west-1_B"]"#,
            ]);
            let requirement = match rng.next() % 4 {
                0 => String::new(),
                1 => format!(r#","anyGroups":["{}"],{pools}"#, rng.pick(&["g1", "g2"])),
                2 => format!(r#","allScopes":["s1"],{pools}"#),
                _ => format!(r#",{pools}"#),
            };
            format!(
                r#"{{"method":"{}","path":"{path}"{requirement}}}"#,
                rng.pick(&["GET", "POST", "*"])
            )
        })
        .collect();
    format!("[{}]", rules.join(","))
}

fn random_caller(rng: &mut Lcg) -> Claims {
    let pool = *rng.pick(&[POOL_A, POOL_B]);
    let groups: Vec<&str> = ["g1", "g2"]
        .into_iter()
        .filter(|_| rng.next().is_multiple_of(2))
        .collect();
    let scopes: &[&str] = if rng.next().is_multiple_of(2) {
        &["s1"]
    } else {
        &[]
    };
    claims(pool, &groups, scopes)
}

/// Every path of up to five segments (two deeper than any generated rule),
/// and ambiguous paths that a wildcard could otherwise reach.
fn probe_paths() -> Vec<String> {
    let mut paths = world(5);
    paths.extend(
        [
            "/a//b", "//a", "/a/", "/a/b/", "/a/./b", "/a/..", "/.", "/a%2Fb", "/a/b%2fa",
            "/a%5Cb", "/x%5cy/a", "/A", "/a/B", "/a;x", "/a/b;", "/;/a", "/a%3Bx", "/a%3bx",
            "/a%252Fb", "/a/%25", "/a\\b", "/a/b\\",
        ]
        .map(str::to_owned),
    );
    paths
}

/// The issue's property, unit-sized: for generated rule sets that `stage`
/// mode accepts, every caller's one policy, evaluated by an IAM evaluator
/// of our own against every probe path and verb, equals the rules' own
/// decision, and fits the budget the init check promised.
#[test]
fn stage_policies_equal_the_rules_for_every_caller_path_and_verb() {
    let paths = probe_paths();
    let prefix_len = resource_prefix_len(Some("eu-west-1"));
    let mut rng = Lcg(17);
    let (mut accepted, mut refused, mut allowed, mut checked) = (0, 0, 0, 0);
    for _ in 0..300 {
        let json = random_rules(&mut rng, 5);
        let set = crate::route_rules::RuleSet::parse(&json, &[POOL_A, POOL_B])
            .unwrap_or_else(|err| panic!("{json}: {err}"));
        let Ok(bound) = check_stage(&set, prefix_len) else {
            refused += 1;
            continue;
        };
        accepted += 1;
        for _ in 0..3 {
            let claims = random_caller(&mut rng);
            let caller = Caller::new(&claims);
            let evaluation = Evaluation::new(&set, &caller);
            let policy = stage_policy(&evaluation, &arn("GET", "/a"));
            let size = serde_json::to_vec(&policy).unwrap().len();
            assert!(
                size <= bound && bound <= POLICY_BUDGET,
                "{size} > {bound}: {json}"
            );
            for path in &paths {
                for verb in ["GET", "POST", "DELETE"] {
                    let expected = evaluation.allows(verb, path);
                    let arn = format!("{PREFIX}/{verb}{path}");
                    let actual = iam_allows(&policy, &arn);
                    assert!(
                        expected || !iam_allows_reading_question_mark_literally(&policy, &arn),
                        "with `?` read literally, {verb} {path} is allowed; rules {json}"
                    );
                    assert_eq!(
                        actual,
                        expected,
                        "rules {json}\ncaller {:?} {:?} {:?}\n{verb} {path}\npolicy {}",
                        claims.issuer,
                        claims.groups,
                        claims.scopes,
                        serde_json::to_string_pretty(&policy).unwrap()
                    );
                    allowed += usize::from(expected);
                    checked += 1;
                }
            }
        }
    }
    // Both answers of every question are exercised.
    assert!(
        accepted > 50 && refused > 20,
        "accepted {accepted}, refused {refused}"
    );
    assert!(
        allowed > checked / 50 && allowed < checked / 2,
        "{allowed}/{checked}"
    );
}

/// `route` mode, for any rule set (the init check does not apply): the
/// answer for one call to a resource is exact for every call of that verb
/// to that resource when it covers the whole resource, and never allows a
/// call the rules refuse anywhere, whatever API Gateway reuses it for.
#[test]
fn route_answers_are_exact_for_their_resource_and_never_too_generous() {
    let paths = probe_paths();
    let mut rng = Lcg(29);
    let mut seen = std::collections::HashMap::new();
    for _ in 0..250 {
        let json = random_rules(&mut rng, 6);
        let set = crate::route_rules::RuleSet::parse(&json, &[POOL_A, POOL_B]).unwrap();
        let claims = random_caller(&mut rng);
        let caller = Caller::new(&claims);
        let evaluation = Evaluation::new(&set, &caller);
        for _ in 0..4 {
            let resource = random_template(&mut rng, 3);
            let verb = *rng.pick(&["GET", "POST"]);
            let domain: Vec<&String> = paths
                .iter()
                .filter(|p| RequestPath::parse(p).is_ok_and(|rp| resource.matches(&rp)))
                .collect();
            let Some(&call) = domain.get(rng.next() as usize % domain.len().max(1)) else {
                continue;
            };
            let (policy, covers) = route_policy(&evaluation, &arn(verb, call), Some(&resource));
            *seen.entry(covers).or_insert(0) += 1;
            assert_eq!(
                iam_allows(&policy, &format!("{PREFIX}/{verb}{call}")),
                evaluation.allows(verb, call),
                "the call itself: {verb} {call} on {resource}, rules {json}"
            );
            for path in &paths {
                for other_verb in ["GET", "POST", "DELETE"] {
                    let arn = format!("{PREFIX}/{other_verb}{path}");
                    let by_policy = iam_allows(&policy, &arn);
                    let by_rules = evaluation.allows(other_verb, path);
                    assert!(
                        by_rules || !iam_allows_reading_question_mark_literally(&policy, &arn),
                        "with `?` read literally, {other_verb} {path} is allowed; rules {json}"
                    );
                    assert!(
                        !by_policy || by_rules,
                        "{covers:?} answer for {verb} {call} on {resource} allows \
                         {other_verb} {path}; rules {json}"
                    );
                    if covers == RouteAnswer::WholeResource
                        && other_verb == verb
                        && domain.contains(&path)
                    {
                        assert!(by_policy, "{verb} {path} on {resource}, rules {json}");
                    }
                }
            }
        }
    }
    for answer in [
        RouteAnswer::WholeResource,
        RouteAnswer::ThisCall,
        RouteAnswer::Refused,
    ] {
        assert!(seen.get(&answer).copied().unwrap_or(0) > 20, "{seen:?}");
    }
}

fn set(json: &str) -> crate::route_rules::RuleSet {
    crate::route_rules::RuleSet::parse(json, &[POOL_A]).unwrap()
}

/// The issue's first example, end to end in this module: the one policy
/// allows `/pets` and `/pets/42`, and not `/pets/42/secrets`.
#[test]
fn an_id_parameter_does_not_open_deeper_paths() {
    let rules = set(r#"[{"method":"GET","path":"/pets"},{"method":"GET","path":"/pets/{id}"}]"#);
    check_stage(&rules, resource_prefix_len(None)).unwrap();
    let claims = claims(POOL_A, &[], &[]);
    let caller = Caller::new(&claims);
    let policy = stage_policy(&Evaluation::new(&rules, &caller), &arn("GET", "/pets"));
    for (path, expected) in [
        ("/pets", true),
        ("/pets/42", true),
        ("/pets/42/secrets", false),
        ("/pets/42/secrets/more", false),
        ("/pets/", false),
        ("/pets/1%2Fsecrets", false),
        ("/pets/1%2fsecrets", false),
        ("/pets//secrets", false),
        ("/pets/./42", false),
        ("/PETS/42", false),
    ] {
        assert_eq!(
            iam_allows(&policy, &format!("{PREFIX}/GET{path}")),
            expected,
            "{path}"
        );
    }
}

#[test]
fn rules_that_no_stage_wide_policy_can_express_fail_init_naming_them_and_the_mode() {
    let rules = set(
        r#"[{"method":"GET","path":"/pets/{id}"},{"method":"GET","path":"/pets/{id}/photos"}]"#,
    );
    let error = check_stage(&rules, resource_prefix_len(None))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "AUTHZ_RULES: rules[0] (GET /pets/{id}) and rules[1] (GET /pets/{id}/photos) cannot share one stage-wide policy"
        ),
        "{error}"
    );
    assert!(error.contains("AUTHZ_POLICY_SCOPE=route"), "{error}");
    // Different verbs never meet.
    let rules = set(
        r#"[{"method":"GET","path":"/pets/{id}"},{"method":"POST","path":"/pets/{id}/photos"}]"#,
    );
    check_stage(&rules, resource_prefix_len(None)).unwrap();
}

/// A rule whose own over-matches meet its own paths is named once, with
/// what is wrong with it, not as a conflict with itself.
#[test]
fn a_rule_no_stage_wide_policy_can_express_alone_is_named_once() {
    let rules = set(r#"[{"path":"/a"},{"method":"GET","path":"/{x}/b/{p+}"}]"#);
    let error = check_stage(&rules, resource_prefix_len(None))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "AUTHZ_RULES: rules[1] (GET /{x}/b/{p+}) cannot be expressed by a stage-wide policy"
        ),
        "{error}"
    );
    assert_eq!(error.matches("rules[").count(), 1, "{error}");
    assert!(error.contains("AUTHZ_POLICY_SCOPE=route"), "{error}");
}

/// 1,000 rules cannot fit one stage-wide answer: init says how large it
/// could get and which mode to use.
#[test]
fn too_many_rules_for_one_answer_fail_init_naming_the_mode() {
    let json = format!(
        "[{}]",
        (0..1000)
            .map(|i| format!(r#"{{"method":"GET","path":"/r{i}/{{id}}"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let error = check_stage(&set(&json), resource_prefix_len(Some("us-east-1")))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("AUTHZ_RULES: can produce a stage-wide policy of"),
        "{error}"
    );
    assert!(error.contains("set AUTHZ_POLICY_SCOPE=route"), "{error}");
}

/// The bound is tight where it matters: a caller that satisfies every rule
/// gets a policy as large as the bound says (less the JSON skeleton's
/// Deny statement when there is none), with a stage of the assumed length.
#[test]
fn the_size_bound_is_reached_by_a_caller_allowed_everything() {
    let rules = set(
        r#"[{"method":"GET","path":"/pets/{id}"},{"path":"/admin/{p+}"},{"method":"POST","path":"/orders"}]"#,
    );
    let prefix_len = resource_prefix_len(Some("us-east-1"));
    let bound = check_stage(&rules, prefix_len).unwrap();
    let stage = "s".repeat(ASSUMED_STAGE_LEN);
    let arn = MethodArn::parse(&format!(
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/{stage}/GET/pets/1"
    ))
    .unwrap();
    assert_eq!(arn.stage_prefix().len(), prefix_len);
    let claims = claims(POOL_A, &[], &[]);
    let caller = Caller::new(&claims);
    let policy = stage_policy(&Evaluation::new(&rules, &caller), &arn);
    let size = serde_json::to_vec(&policy).unwrap().len();
    assert!(size <= bound && bound - size < 100, "{size} vs {bound}");
}

#[test]
fn route_answers_for_a_resource() {
    let rules = set(
        r#"[{"method":"GET","path":"/pets/{id}"},{"method":"GET","path":"/pets/{id}/photos"},
            {"path":"/{p+}","anyGroups":["admins"],"pools":["eu-west-1_A"]}]"#,
    );
    let user = claims(POOL_A, &[], &[]);
    let user = Caller::new(&user);
    let user = Evaluation::new(&rules, &user);
    let resource = Template::parse_route("/pets/{id}").unwrap();
    // Every path of `/pets/{id}` also matches the admins' `/{p+}`, which a
    // user does not satisfy: refused.
    let (policy, covers) = route_policy(&user, &arn("GET", "/pets/1"), Some(&resource));
    assert_eq!(covers, RouteAnswer::Refused);
    assert!(!policy.allows(&format!("{PREFIX}/GET/pets/1")));

    let admin = claims(POOL_A, &["admins"], &[]);
    let admin = Caller::new(&admin);
    let admin = Evaluation::new(&rules, &admin);
    let (policy, covers) = route_policy(&admin, &arn("GET", "/pets/1"), Some(&resource));
    assert_eq!(covers, RouteAnswer::WholeResource);
    assert!(policy.allows(&format!("{PREFIX}/GET/pets/2")));
    assert!(
        !policy.allows(&format!("{PREFIX}/GET/pets/2/photos")),
        "another resource"
    );
    assert!(
        !policy.allows(&format!("{PREFIX}/POST/pets/2")),
        "another verb"
    );

    // A resource the rules split gets an answer for its one call.
    let rules = set(
        r#"[{"path":"/{p+}"},{"path":"/admin/{p+}","anyGroups":["admins"],"pools":["eu-west-1_A"]}]"#,
    );
    let user = claims(POOL_A, &[], &[]);
    let user = Caller::new(&user);
    let user = Evaluation::new(&rules, &user);
    let proxy = Template::parse_route("/{proxy+}").unwrap();
    let (policy, covers) = route_policy(&user, &arn("GET", "/pets/1"), Some(&proxy));
    assert_eq!(covers, RouteAnswer::ThisCall);
    assert_eq!(
        policy.statements[0].resources,
        [format!("{PREFIX}/GET/pets/1")]
    );
    // A path with an IAM wildcard in it is never written as a pattern.
    let (_, covers) = route_policy(&user, &arn("GET", "/pets/*"), Some(&proxy));
    assert_eq!(covers, RouteAnswer::Refused);
}

#[test]
fn the_scope_is_read_from_the_environment() {
    let read = |value: Option<&str>| {
        let pairs: Vec<(&str, &str)> = value
            .map(|v| (AUTHZ_POLICY_SCOPE.name, v))
            .into_iter()
            .collect();
        Env::from_pairs(pairs).get(&AUTHZ_POLICY_SCOPE)
    };
    assert_eq!(read(None).unwrap(), PolicyScope::Stage);
    assert_eq!(read(Some("route")).unwrap(), PolicyScope::Route);
    assert_eq!(
        read(Some("method")).unwrap_err().to_string(),
        "AUTHZ_POLICY_SCOPE: must be `stage` or `route`"
    );
}

#[test]
fn resource_prefixes_follow_the_partition() {
    let stage = ASSUMED_STAGE_LEN;
    assert_eq!(
        resource_prefix_len(Some("us-east-1")),
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234//".len() + stage
    );
    assert_eq!(
        resource_prefix_len(Some("cn-north-1")),
        "arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234//".len() + stage
    );
    assert!(resource_prefix_len(None) >= resource_prefix_len(Some("us-gov-west-1")));
}
