//! What the rules decide for one caller: per call (REST, HTTP API 1.0) and
//! per route (HTTP API 2.0, and the REST per-route mode).
//!
//! The reference semantics, which every answer must equal: a call is
//! allowed when its path is not ambiguous, at least one rule matches it,
//! and the caller satisfies every rule that matches it
//! ([`Evaluation::allows`]).
//!
//! A route answer is reused by API Gateway for every call the route
//! receives, so it may only say yes when the rules allow all of them: some
//! satisfied rule covers every verb and path of the route, and no rule the
//! caller does not satisfy matches any of them ([`Evaluation::allows_route`]).
//! A route that would receive both allowed and refused calls is refused as
//! a whole.

use cognito_auth_core::Claims;
use cognito_auth_core::claims::PrincipalType;
use cognito_auth_core::ids::UserPoolId;
use serde_json::Value;

use crate::event::RouteKey;
use crate::route_rules::{Names, Rule, RuleSet};
use crate::template::{RequestPath, Template};

/// The parts of a verified caller that rules look at.
#[derive(Debug)]
pub struct Caller<'c> {
    /// `None` only for an issuer whose last segment is no pool id, which
    /// the verifier, matching configured pools, never lets through.
    pool: Option<UserPoolId>,
    claims: &'c Claims,
}

impl<'c> Caller<'c> {
    /// The caller of `claims`. The pool is the last path segment of the
    /// issuer, which the verifier has already matched to a configured pool.
    pub fn new(claims: &'c Claims) -> Self {
        Self {
            pool: UserPoolId::from_issuer(&claims.issuer).ok(),
            claims,
        }
    }
}

/// A caller's names as numbers of a rule set's [`Names`], sorted: names no
/// rule mentions are dropped. Built once per call, so each rule then costs
/// a few integer comparisons, whatever the length of the names.
#[derive(Debug)]
struct CallerIds<'c> {
    pool: Option<u32>,
    groups: Vec<u32>,
    scopes: Vec<u32>,
    principal: PrincipalType,
    claims: &'c Claims,
}

impl<'c> CallerIds<'c> {
    fn new(names: &Names, caller: &Caller<'c>) -> Self {
        let ids = |table: &std::collections::HashMap<String, u32>, names: &[String]| {
            let mut ids: Vec<u32> = names
                .iter()
                .filter_map(|name| table.get(name).copied())
                .collect();
            ids.sort_unstable();
            ids
        };
        Self {
            pool: caller
                .pool
                .as_ref()
                .and_then(|pool| names.pools.get(pool.as_str()).copied()),
            groups: ids(&names.groups, &caller.claims.groups),
            scopes: ids(&names.scopes, &caller.claims.scopes),
            principal: caller.claims.principal_type(),
            claims: caller.claims,
        }
    }

    /// Whether the caller meets `rule`'s requirements.
    fn satisfies(&self, rule: &Rule) -> bool {
        let required = &rule.ids;
        (required.pools.is_empty() || self.pool.is_some_and(|pool| required.pools.contains(&pool)))
            && (required.groups.is_empty()
                || required
                    .groups
                    .iter()
                    .any(|id| self.groups.binary_search(id).is_ok()))
            && required
                .scopes
                .iter()
                .all(|id| self.scopes.binary_search(id).is_ok())
            && (rule.principal_types.is_empty() || rule.principal_types.contains(&self.principal))
            && rule
                .claims
                .iter()
                .all(|(name, values)| claim_matches(self.claims.claim(name).as_ref(), values))
    }
}

/// Whether a claim holds one of `values`: a string equal to one, or an array
/// with a string equal to one. Any other type, or no claim, never matches
/// (and never errors: a token is the issuer's to shape).
pub fn claim_matches(claim: Option<&Value>, values: &[String]) -> bool {
    let is_wanted = |value: &Value| {
        value
            .as_str()
            .is_some_and(|text| values.iter().any(|v| v == text))
    };
    match claim {
        Some(Value::Array(items)) => items.iter().any(is_wanted),
        Some(value) => is_wanted(value),
        None => false,
    }
}

/// One caller's standing against every rule.
#[derive(Debug)]
pub struct Evaluation<'a> {
    rules: &'a [Rule],
    satisfied: Vec<bool>,
    /// Whether any `$connect` rule exists and the caller satisfies them all.
    connect: bool,
}

impl<'a> Evaluation<'a> {
    /// Which rules of `set` the caller satisfies.
    pub fn new(set: &'a RuleSet, caller: &Caller<'_>) -> Self {
        let rules = set.rules();
        let ids = CallerIds::new(set.names(), caller);
        let connect_rules = set.connect_rules();
        Self {
            rules,
            satisfied: rules.iter().map(|rule| ids.satisfies(rule)).collect(),
            connect: !connect_rules.is_empty()
                && connect_rules.iter().all(|rule| ids.satisfies(rule)),
        }
    }

    /// The rules with whether the caller satisfies each.
    pub fn rules(&self) -> impl Iterator<Item = (&'a Rule, bool)> + '_ {
        self.rules.iter().zip(self.satisfied.iter().copied())
    }

    /// Whether the caller may make a call of `verb` on `path`.
    pub fn allows(&self, verb: &str, path: &str) -> bool {
        let Ok(path) = RequestPath::parse(path) else {
            return false;
        };
        let mut matched = false;
        for (rule, satisfied) in self.rules() {
            if rule.takes(verb) && rule.template.matches(&path) {
                if !satisfied {
                    return false;
                }
                matched = true;
            }
        }
        matched
    }

    /// Whether the caller may call every verb (`None`: every verb, `ANY`)
    /// and path of the route `template`.
    pub fn allows_route(&self, verb: Option<&str>, template: &Template) -> bool {
        let mut covered = false;
        for (rule, satisfied) in self.rules() {
            if satisfied {
                covered =
                    covered || (rule.takes_every_verb_of(verb) && rule.template.covers(template));
            } else if rule.shares_a_verb_with(verb) && rule.template.overlaps(template) {
                return false;
            }
        }
        covered
    }

    /// Whether the caller may open a WebSocket connection (`$connect`): some
    /// `$connect` rule exists (every one matches the connection) and the
    /// caller satisfies them all.
    pub fn allows_connect(&self) -> bool {
        self.connect
    }

    /// Whether the caller may call everything: every verb on the root and
    /// on every path. The only answer that holds for any route.
    pub fn allows_everything(&self) -> bool {
        let every_path = Template::parse_route("/{proxy+}");
        every_path.is_some_and(|every_path| self.allows_route(None, &every_path))
            && self.allows_route(None, &Template::root())
    }
}

/// Whether the caller may open a WebSocket connection: with no rules, any
/// verified caller may; with rules, [`Evaluation::allows_connect`].
pub fn connect(evaluation: Option<&Evaluation<'_>>) -> bool {
    evaluation.is_none_or(Evaluation::allows_connect)
}

/// The HTTP API 2.0 decision, and whether it had to assume the route key
/// is not in API Gateway's cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDecision {
    /// Whether the caller is authorized.
    pub allowed: bool,
    /// The identity sources do not prove `$context.routeKey` is in the
    /// cache key, so the answer was one for every route: a configuration
    /// to warn of.
    pub cache_key_unproven: bool,
}

/// The HTTP API 2.0 decision (with no rules, yes). API Gateway reuses it
/// for every request with the same identity-source values; unless the route
/// key is among them, it is reused for every route, so it may only be yes
/// when the caller may call everything.
pub fn route(
    evaluation: Option<&Evaluation<'_>>,
    route_key: &str,
    identity_source: &[String],
    caller_sent_route_key: bool,
) -> RouteDecision {
    let Some(evaluation) = evaluation else {
        return RouteDecision {
            allowed: true,
            cache_key_unproven: false,
        };
    };
    // A value equal to the route key proves `$context.routeKey` is in the
    // cache key only if the caller did not send that text themselves: with
    // `$request.header.X-Org` as an identity source, `X-Org: GET /public`
    // would otherwise get one route's yes cached for every route.
    if caller_sent_route_key || !identity_source.iter().any(|value| value == route_key) {
        return RouteDecision {
            allowed: evaluation.allows_everything(),
            cache_key_unproven: true,
        };
    }
    // `$default` receives every call no other route takes, the root
    // included.
    let allowed = if route_key == "$default" {
        evaluation.allows_everything()
    } else {
        RouteKey::parse(route_key)
            .and_then(|route| Some((route.verb, Template::parse_route(route.path)?)))
            .is_some_and(|(verb, template)| evaluation.allows_route(verb, &template))
    };
    RouteDecision {
        allowed,
        cache_key_unproven: false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use cognito_auth_core::claims::TokenUse;

    const POOL: &str = "eu-west-1_Staff";

    /// Access-token claims of a user of `pool`, for the tests of this crate.
    pub(crate) fn claims(pool: &str, groups: &[&str], scopes: &[&str]) -> Claims {
        Claims {
            sub: "sub".to_owned(),
            username: Some("user".to_owned()),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            client_id: "client".to_owned(),
            token_use: TokenUse::Access,
            email: None,
            issuer: format!("https://cognito-idp.eu-west-1.amazonaws.com/{pool}"),
            exp: 2,
            iat: 1,
            auth_time: None,
            other: serde_json::Map::new(),
        }
    }

    fn rules(json: &str, pools: &[&str]) -> RuleSet {
        RuleSet::parse(json, pools).unwrap()
    }

    fn route(path: &str) -> Template {
        Template::parse_route(path).unwrap()
    }

    /// The issue's first example: `{id}` is one segment, so a deeper path
    /// that no rule names is refused.
    #[test]
    fn a_parameter_is_one_segment_and_an_unnamed_deeper_path_is_refused() {
        let set = rules(
            r#"[{"method":"GET","path":"/pets"},{"method":"GET","path":"/pets/{id}"}]"#,
            &[POOL],
        );
        let claims = claims(POOL, &[], &[]);
        let caller = Caller::new(&claims);
        let evaluation = Evaluation::new(&set, &caller);
        assert!(evaluation.allows("GET", "/pets"));
        assert!(evaluation.allows("GET", "/pets/42"));
        assert!(!evaluation.allows("GET", "/pets/42/secrets"));
        assert!(!evaluation.allows("GET", "/Pets/42"));
        assert!(!evaluation.allows("POST", "/pets/42"));
        assert!(evaluation.allows_route(Some("GET"), &route("/pets/{id}")));
        assert!(!evaluation.allows_route(Some("GET"), &route("/pets/{proxy+}")));
        assert!(!evaluation.allows_route(None, &route("/pets/{id}")));
    }

    /// A rule the caller fails refuses a whole route only when it shares a
    /// verb with the route and matches one of its paths: a failed rule on
    /// another verb, or on other paths, leaves the route alone.
    #[test]
    fn a_failed_rule_refuses_a_route_only_when_it_shares_a_verb_and_a_path() {
        let set = rules(
            r#"[{"method":"GET","path":"/pets/{id}"},
                {"method":"GET","path":"/admin","anyGroups":["admins"]},
                {"method":"POST","path":"/pets/{id}","anyGroups":["admins"]}]"#,
            &[POOL],
        );
        let claims = claims(POOL, &["users"], &[]);
        let caller = Caller::new(&claims);
        let evaluation = Evaluation::new(&set, &caller);
        // `GET /admin` shares the verb but no path; `POST /pets/{id}` shares
        // the paths but not the verb.
        assert!(evaluation.allows_route(Some("GET"), &route("/pets/{id}")));
        assert!(!evaluation.allows_route(Some("GET"), &route("/admin")));
        assert!(!evaluation.allows_route(Some("POST"), &route("/pets/{id}")));
        assert!(!evaluation.allows_route(None, &route("/pets/{id}")));
        // A satisfied rule that takes the verb but not the paths covers
        // nothing.
        assert!(!evaluation.allows_route(Some("GET"), &route("/pets/{id}/x")));
    }

    #[test]
    fn ambiguous_paths_are_refused_even_under_a_greedy_rule() {
        let set = rules(r#"[{"path":"/{proxy+}"}]"#, &[POOL]);
        let claims = claims(POOL, &[], &[]);
        let caller = Caller::new(&claims);
        let evaluation = Evaluation::new(&set, &caller);
        assert!(evaluation.allows("GET", "/a/b.c/%41"));
        for path in [
            "/a//b", "//a", "/a/", "/a/./b", "/a/..", "/a%2Fb", "/a%2fb", "/a%5Cb", "/a%5cb",
            "/admin;x", "/a%3Bb", "/a%252Fb", "/a\\b",
        ] {
            assert!(!evaluation.allows("GET", path), "{path}");
        }
        assert!(
            !evaluation.allows("GET", "/"),
            "the root is not under {{proxy+}}"
        );
    }

    /// With two pools, a group of the tenant pool never satisfies a rule
    /// that trusts only the staff pool.
    #[test]
    fn a_group_of_another_pool_does_not_satisfy_a_rule() {
        let pools = [POOL, "eu-west-1_Tenant"];
        let set = rules(
            r#"[{"path":"/admin","anyGroups":["admins"],"pools":["eu-west-1_Staff"]},
                {"path":"/me"}]"#,
            &pools,
        );
        let staff = claims(POOL, &["admins"], &[]);
        let tenant = claims("eu-west-1_Tenant", &["admins"], &[]);
        let staff = Caller::new(&staff);
        let tenant = Caller::new(&tenant);
        assert!(Evaluation::new(&set, &staff).allows("GET", "/admin"));
        assert!(!Evaluation::new(&set, &tenant).allows("GET", "/admin"));
        assert!(Evaluation::new(&set, &tenant).allows("GET", "/me"));
    }

    #[test]
    fn everything_means_every_verb_on_every_path_and_the_root() {
        let claims = claims(POOL, &["admins"], &[]);
        let caller = Caller::new(&claims);
        let all = rules(r#"[{"path":"/{proxy+}"},{"path":"/"}]"#, &[POOL]);
        assert!(Evaluation::new(&all, &caller).allows_everything());
        let no_root = rules(r#"[{"path":"/{proxy+}"}]"#, &[POOL]);
        assert!(!Evaluation::new(&no_root, &caller).allows_everything());
        let get_only = rules(
            r#"[{"path":"/{proxy+}","method":"GET"},{"path":"/"}]"#,
            &[POOL],
        );
        assert!(!Evaluation::new(&get_only, &caller).allows_everything());
        let guarded = rules(
            r#"[{"path":"/{proxy+}"},{"path":"/"},{"path":"/x","anyGroups":["ops"]}]"#,
            &[POOL],
        );
        assert!(!Evaluation::new(&guarded, &caller).allows_everything());
    }

    /// The paywall: a claim (from the pre-token-generation trigger, or a
    /// custom attribute) decides, as a string or inside an array, and a
    /// claim of any other type never matches.
    #[test]
    fn claim_rules_match_strings_and_string_arrays_only() {
        use serde_json::json;
        let set = rules(
            r#"[{"method":"GET","path":"/free/{id}"},
                {"method":"GET","path":"/premium/{id}","claims":{"custom:plan":["premium","enterprise"]}}]"#,
            &[POOL],
        );
        let decide = |plan: Option<serde_json::Value>| {
            let mut claims = claims(POOL, &[], &[]);
            if let Some(plan) = plan {
                claims.other.insert("custom:plan".to_owned(), plan);
            }
            let caller = Caller::new(&claims);
            let evaluation = Evaluation::new(&set, &caller);
            assert!(evaluation.allows("GET", "/free/1"));
            evaluation.allows("GET", "/premium/1")
        };
        assert!(decide(Some(json!("premium"))));
        assert!(decide(Some(json!("enterprise"))));
        assert!(decide(Some(json!(["free", "enterprise"]))));
        assert!(!decide(Some(json!("free"))));
        assert!(!decide(Some(json!("Premium"))));
        assert!(!decide(None));
        for confused in [
            json!(1),
            json!(true),
            json!({"plan": "premium"}),
            json!([1, 2]),
            json!([["premium"]]),
            json!(null),
        ] {
            assert!(!decide(Some(confused.clone())), "{confused}");
        }
    }

    /// Machine clients (client-credentials tokens) meet scope rules, never
    /// group rules, and `principalTypes` keeps a route for one kind.
    #[test]
    fn principal_types_and_machine_clients() {
        let set = rules(
            r#"[{"method":"GET","path":"/orders","allScopes":["orders/read"]},
                {"method":"GET","path":"/me","principalTypes":["user"]},
                {"method":"POST","path":"/ingest","principalTypes":["client"]},
                {"method":"GET","path":"/admin","anyGroups":["admins"]}]"#,
            &[POOL],
        );
        let mut machine = claims(POOL, &[], &["orders/read"]);
        machine.username = None;
        let person = claims(POOL, &["admins"], &["orders/read"]);
        let machine_caller = Caller::new(&machine);
        let person_caller = Caller::new(&person);
        let machine = Evaluation::new(&set, &machine_caller);
        let person = Evaluation::new(&set, &person_caller);
        assert!(machine.allows("GET", "/orders") && person.allows("GET", "/orders"));
        assert!(!machine.allows("GET", "/me") && person.allows("GET", "/me"));
        assert!(machine.allows("POST", "/ingest") && !person.allows("POST", "/ingest"));
        assert!(!machine.allows("GET", "/admin") && person.allows("GET", "/admin"));
    }

    #[test]
    fn connect_rules_admit_websocket_connections_apart_from_paths() {
        let claims = claims(POOL, &["users"], &[]);
        let caller = Caller::new(&claims);
        let with = rules(
            r#"[{"path":"/me"},{"path":"$connect","anyGroups":["users"]}]"#,
            &[POOL],
        );
        let evaluation = Evaluation::new(&with, &caller);
        assert!(evaluation.allows_connect());
        assert!(
            !evaluation.allows("GET", "/"),
            "a $connect rule never matches a path"
        );
        let guarded = rules(
            r#"[{"path":"$connect"},{"path":"$connect","anyGroups":["ops"]}]"#,
            &[POOL],
        );
        assert!(!Evaluation::new(&guarded, &caller).allows_connect());
        let none = rules(r#"[{"path":"/me"}]"#, &[POOL]);
        assert!(
            !Evaluation::new(&none, &caller).allows_connect(),
            "no rule names $connect"
        );
    }
}
