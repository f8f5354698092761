use super::*;

const POOL: &str = "us-east-1_pool";

fn rules(json: &str) -> RuleSet {
    RuleSet::parse(json, &[POOL]).unwrap_or_else(|err| panic!("{json}: {err}"))
}

fn error(json: &str) -> String {
    RuleSet::parse(json, &[POOL]).unwrap_err().to_string()
}

/// docs/authorizer.md's example, with a rule below `/pets/{id}`.
const PETS: &str = test_kit::rules::NESTED_PETS;

#[test]
fn parses_the_documented_format() {
    let set = rules(PETS);
    let rule = &set.rules()[1];
    assert_eq!(rule.method, Some("GET"));
    assert_eq!(rule.path, "/pets/{id}");
    assert_eq!(rule.template.iam_pattern(), "/pets/*");
    let admin = &set.rules()[3];
    assert_eq!(admin.method, None);
    assert_eq!(admin.template.iam_pattern(), "/admin/*");
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
        ("/{proxy+}", "/?*"),
        ("/*", "/?*"),
        ("/pets/{id}/photos/{photoId}", "/pets/*/photos/*"),
        ("/admin/*", "/admin/*"),
        ("/v1/users/me:search", "/v1/users/me:search"),
    ] {
        assert_eq!(
            rules(&format!(r#"[{{"path":"{path}"}}]"#)).rules()[0]
                .template
                .iam_pattern(),
            pattern,
            "{path}"
        );
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
            r#"[{"path":"/a/./b"}]"#,
            "segment 2 is `.`, which matches no request",
        ),
        (r#"[{"path":"/a/.."}]"#, "segment 2 is `..`"),
        (
            r#"[{"path":"/a/x%2Fy"}]"#,
            "segment 2 holds an encoded separator",
        ),
        (
            r#"[{"path":"/a/x%5cy"}]"#,
            "segment 2 holds an encoded separator",
        ),
        (
            r#"[{"path":"/a/%2E%2E"}]"#,
            "segment 2 holds an encoded separator or dot",
        ),
        (
            r#"[{"path":"/admin;x"}]"#,
            "segment 1 holds an encoded separator or dot (`%2F`, `%5C`, `%2E`), a `\\`, a `;` (or `%3B`) or an encoded `%` (`%25`), which matches no request",
        ),
        (r#"[{"path":"/a/x%3By"}]"#, "segment 2 holds an encoded"),
        (r#"[{"path":"/a/x%252F"}]"#, "segment 2 holds an encoded"),
        (r#"[{"path":"/a/x%25"}]"#, "segment 2 holds an encoded"),
        (
            r#"[{"path":"/a/{}"}]"#,
            "segment 2 is not a valid parameter name",
        ),
        (r#"[{"path":"/a/x?"}]"#, "segment 2 has the character '?'"),
        (r#"[{"path":"$default"}]"#, "use `/{proxy+}`"),
        (
            r#"[{"path":"/a","anyGroup":["x"]}]"#,
            "AUTHZ_RULES: rules[0]: unknown field `anyGroup`, expected one of `method`, `path`, `anyGroups`, `allScopes`, `pools`, `claims`, `principalTypes` at line 1 column 24",
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
        (
            r#"[{"path":"/a","pools":["eu-west-1_Other"]}]"#,
            "rules[0] (* /a): pools names `eu-west-1_Other`, which is not in USER_POOL_ID",
        ),
        (r#"[{"path":"/a","pools":[]}]"#, "pools is empty"),
        (
            r#"[{"path":"/a","claims":{}}]"#,
            "rules[0] (* /a): claims is empty",
        ),
        (
            r#"[{"path":"/a","claims":{"custom:plan":["x"],"custom:plan":["y"]}}]"#,
            "rules[0]: claims names `custom:plan` twice",
        ),
        (
            r#"[{"path":"/a","claims":{"custom:plan":"premium"}}]"#,
            "rules[0]: invalid type: string",
        ),
        (
            r#"[{"path":"/a","claims":{"custom:plan":[1]}}]"#,
            "rules[0]: invalid type: integer",
        ),
        (
            r#"[{"path":"/a","claims":{"custom:plan":[]}}]"#,
            "claims.custom:plan is empty",
        ),
        (
            r#"[{"path":"/a","claims":{" x":["y"]}}]"#,
            "claims has a name that is blank, padded",
        ),
        (
            r#"[{"path":"/a","principalTypes":["robot"]}]"#,
            "principalTypes[0] is `robot`; use `user` or `client`",
        ),
        (
            r#"[{"path":"/a","principalTypes":[]}]"#,
            "principalTypes is empty",
        ),
        (
            r#"[{"method":"GET","path":"$connect"}]"#,
            "a `$connect` rule takes no method",
        ),
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
fn ten_thousand_rules_are_refused() {
    let one = r#"{"path":"/a"},"#;
    let json = format!("[{}{{\"path\":\"/a\"}}]", one.repeat(9_999));
    assert_eq!(
        error(&json),
        "AUTHZ_RULES: has more than 1000 rules; at most 1000 are allowed"
    );
    let oversized = format!(
        "[{}]",
        r#"{"path":"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"#.repeat(10_000)
    );
    assert!(error(&oversized).contains("bytes of JSON; at most 262144 are allowed"));
}

#[test]
fn reads_inline_json_or_a_file_and_unset_means_no_rules() {
    assert!(
        RuleSet::from_env(&Env::from_pairs([("OTHER", "x")]), &[POOL])
            .unwrap()
            .is_none()
    );
    let inline = RuleSet::from_env(
        &Env::from_pairs([(AUTHZ_RULES, r#" [{"path":"/"}] "#)]),
        &[POOL],
    )
    .unwrap()
    .unwrap();
    assert_eq!(inline.rules().len(), 1);

    let dir = std::env::temp_dir().join(format!("authz-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rules.json");
    std::fs::write(&file, PETS).unwrap();
    let from_file = RuleSet::from_env(
        &Env::from_pairs([(AUTHZ_RULES, file.to_str().unwrap())]),
        &[POOL],
    )
    .unwrap()
    .unwrap();
    assert_eq!(from_file.rules().len(), 5);

    let missing = RuleSet::from_env(
        &Env::from_pairs([(AUTHZ_RULES, "/no/such/rules.json")]),
        &[POOL],
    )
    .unwrap_err()
    .to_string();
    assert!(
        missing.starts_with("AUTHZ_RULES: is neither inline JSON"),
        "{missing}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// With several pools, a group or scope means nothing without its pool, so
/// a rule that names one must say which pools it trusts.
#[test]
fn with_several_pools_group_and_scope_rules_must_name_their_pools() {
    let pools = ["eu-west-1_Staff", "eu-west-1_Tenant"];
    let error = RuleSet::parse(
        r#"[{"path":"/me"},{"path":"/admin","anyGroups":["admins"]}]"#,
        &pools,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with(
            "AUTHZ_RULES: rules[1] (* /admin): names groups, scopes or claims but no `pools`"
        ),
        "{error}"
    );
    let error = RuleSet::parse(r#"[{"path":"/a","allScopes":["x/y"]}]"#, &pools).unwrap_err();
    assert!(error.to_string().contains("no `pools`"));
    let set = RuleSet::parse(
        r#"[{"path":"/me"},{"path":"/admin","anyGroups":["admins"],"pools":["eu-west-1_Staff"]}]"#,
        &pools,
    )
    .unwrap();
    assert_eq!(set.rules()[1].pools, ["eu-west-1_Staff"]);
    assert!(set.rules()[0].pools.is_empty());
}
