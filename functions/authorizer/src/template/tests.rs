use super::*;
use cognito_auth_core::policy::wildcard_match;

fn route(path: &str) -> Template {
    Template::parse_route(path).unwrap_or_else(|| panic!("{path}"))
}

fn path(text: &str) -> RequestPath<'_> {
    RequestPath::parse(text).unwrap_or_else(|err| panic!("{text}: {err:?}"))
}

#[test]
fn parameters_are_one_segment_and_greedy_ones_are_one_or_more() {
    let id = route("/pets/{id}");
    assert!(id.matches(&path("/pets/42")));
    assert!(!id.matches(&path("/pets/42/secrets")));
    assert!(!id.matches(&path("/pets")));
    let greedy = route("/pets/{proxy+}");
    assert!(greedy.matches(&path("/pets/42")));
    assert!(greedy.matches(&path("/pets/42/secrets/x")));
    assert!(!greedy.matches(&path("/pets")));
    let root = route("/");
    assert!(root.matches(&path("/")));
    assert!(!root.matches(&path("/a")));
    assert!(!route("/{proxy+}").matches(&path("/")));
    assert!(
        !route("/Pets").matches(&path("/pets")),
        "literals are case-sensitive"
    );
}

#[test]
fn ambiguous_paths_are_told_apart() {
    for (text, expected) in [
        ("/a//b", Ambiguity::EmptySegment),
        ("//", Ambiguity::EmptySegment),
        ("/a/", Ambiguity::EmptySegment),
        ("a", Ambiguity::EmptySegment),
        ("/./a", Ambiguity::DotSegment),
        ("/a/..", Ambiguity::DotSegment),
        ("/a%2Fb", Ambiguity::EncodedSeparator),
        ("/a%2fb", Ambiguity::EncodedSeparator),
        ("/files/%2E%2E/admin", Ambiguity::EncodedSeparator),
        ("/a%2eb", Ambiguity::EncodedSeparator),
        ("/a%5Cb", Ambiguity::EncodedSeparator),
        ("/a%5cb", Ambiguity::EncodedSeparator),
        ("/a\\b", Ambiguity::EncodedSeparator),
        ("/a/b\\", Ambiguity::EncodedSeparator),
        ("/admin;x", Ambiguity::PathParameter),
        ("/a/;", Ambiguity::PathParameter),
        ("/admin%3Bx", Ambiguity::PathParameter),
        ("/admin%3bx", Ambiguity::PathParameter),
        ("/a%252Fb", Ambiguity::DoubleEncoding),
        ("/a/%25", Ambiguity::DoubleEncoding),
    ] {
        assert_eq!(RequestPath::parse(text), Err(expected), "{text}");
    }
    for fine in [
        "/",
        "/a.b",
        "/.well-known",
        "/a/...",
        "/%41",
        "/a%2",
        "/a%3",
        "/a%5",
        "/a=b,c",
    ] {
        assert!(RequestPath::parse(fine).is_ok(), "{fine}");
    }
}

/// Every ambiguous-path Deny matches exactly the ambiguous paths, for any
/// verb, in a stage: checked on the method ARN text.
#[test]
fn the_ambiguous_path_denies_match_exactly_the_ambiguous_paths() {
    let prefix = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/";
    let denies: Vec<String> = AMBIGUOUS_PATH_DENIES
        .iter()
        .map(|pattern| format!("{prefix}*{pattern}"))
        .collect();
    let parts = [
        "a", "", ".", "..", "b.", "%2F", "x%2f", "%5C", "%5cy", "%2", "...", ".a", "%2E%2E",
        "x%2e", ";", "a;b", "%3B", "x%3b", "%25", "%252F", "\\", "a\\b", "%3", "%5",
    ];
    let mut paths = vec!["/".to_owned()];
    for first in parts {
        paths.push(format!("/{first}"));
        for second in parts {
            paths.push(format!("/{first}/{second}"));
            for third in ["a", "", ".."] {
                paths.push(format!("/{first}/{second}/{third}"));
            }
        }
    }
    let mut ambiguous = 0;
    for path in &paths {
        for verb in ["GET", "DELETE", "OPTIONS"] {
            let arn = format!("{prefix}{verb}{path}");
            let denied = denies.iter().any(|deny| wildcard_match(deny, &arn));
            assert_eq!(denied, RequestPath::parse(path).is_err(), "{arn}");
            // None holds `?`, so reading it literally changes nothing.
            let literally = denies
                .iter()
                .any(|deny| !deny.contains('?') && wildcard_match(deny, &arn));
            assert_eq!(literally, denied, "{arn}");
            ambiguous += usize::from(denied);
        }
    }
    assert!(ambiguous > paths.len(), "{ambiguous}");
}

#[test]
fn route_templates_that_cannot_be_taken_exactly_are_refused() {
    for odd in [
        "pets",
        "/a//b",
        "/a/",
        "/a/{proxy+}/b",
        "/a/{}",
        "/a/x*",
        "/a/x?",
        "/a/{b}c",
        "/{a+b}",
        "/admin;x",
        "/a/%252F",
        "/a\\b",
        "/a%3Bb",
    ] {
        assert_eq!(Template::parse_route(odd), None, "{odd}");
    }
    assert_eq!(route("/").segments(), []);
    assert_eq!(route("/a/{b}/{c+}").to_string(), "/a/{}/{+}");
}

/// Parameter names take letters, digits, `_`, `-` and `.`, as API Gateway
/// writes them (`{pet_id}`), in rules and in routes alike.
#[test]
fn parameter_names_take_underscores_hyphens_and_dots() {
    let any = |_: &str| Ok(());
    for name in ["pet_id", "pet-id", "pet.id", "_", "PetId2"] {
        for (path, pattern) in [
            (format!("/pets/{{{name}}}"), "/pets/*"),
            (format!("/files/{{{name}+}}"), "/files/*"),
        ] {
            let rule =
                Template::parse_rule(&path, any).unwrap_or_else(|err| panic!("{path}: {err}"));
            assert_eq!(rule, route(&path), "{path}");
            assert_eq!(rule.iam_pattern(), pattern, "{path}");
        }
    }
    for bad in ["pet id", "pet:id", "pet{id", "pet+id", ""] {
        let path = format!("/pets/{{{bad}}}");
        assert!(Template::parse_rule(&path, any).is_err(), "{path}");
        assert_eq!(Template::parse_route(&path), None, "{path}");
    }
}

#[test]
fn over_matches_of_examples() {
    assert_eq!(route("/pets/{id}").over_matches(), ["/pets/*/*"]);
    assert_eq!(
        route("/a/{x}/b/{y}").over_matches(),
        ["/a/*/*/b/*", "/a/*/b/*/*"]
    );
    assert!(route("/a/{x}/{p+}").over_matches().is_empty());
    assert!(route("/{x}/{y}/{p+}").over_matches().is_empty());
    // Here the over-match also meets the template's own paths
    // (`/a/b/b/c`): IAM cannot allow exactly this template.
    assert_eq!(route("/{x}/b/{p+}").over_matches(), ["/*/*/b/*"]);
    assert!(route("/{x}/b/{p+}").over_match_meets(&route("/{x}/b/{p+}")));
    assert!(!route("/a/{x}/b/{y}").over_match_meets(&route("/a/{x}/b/{y}")));
    assert!(route("/pets").over_matches().is_empty());
    assert_eq!(route("/{proxy+}").iam_pattern(), "/?*");
    assert_eq!(route("/{id}").iam_pattern(), "/?*");
    assert_eq!(route("/{id}").over_matches(), ["/*/*"]);
    assert!(route("/").over_matches().is_empty());
}

/// A small random generator, so the property tests need no dependency.
pub(crate) struct Lcg(pub u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// A random template of up to `max` segments over the literals `a` and
/// `b`, `{id}` and, last only, `{p+}`.
pub(crate) fn random_template(rng: &mut Lcg, max: u64) -> Template {
    let depth = rng.next() % (max + 1);
    let segments = (0..depth)
        .map(|at| match rng.next() % 5 {
            0 => Segment::Literal("a".to_owned()),
            1 => Segment::Literal("b".to_owned()),
            2 | 3 => Segment::One,
            _ if at + 1 == depth => Segment::Greedy,
            _ => Segment::One,
        })
        .collect();
    Template::from_segments(segments).unwrap()
}

/// Every path of up to `depth` segments over `a`, `b` and `x` (a text no
/// template names).
pub(crate) fn world(depth: usize) -> Vec<String> {
    let mut all = vec!["/".to_owned()];
    let mut layer = vec![String::new()];
    for _ in 0..depth {
        layer = layer
            .iter()
            .flat_map(|prefix| ["a", "b", "x"].map(|s| format!("{prefix}/{s}")))
            .collect();
        all.extend(layer.iter().cloned());
    }
    all
}

/// The algebra agrees with brute force over every path of up to six
/// segments (two more than any generated template can need): matching,
/// overlap, cover, and the over-match lemma the encoder relies on:
/// `over_matches` holds exactly the paths the IAM pattern matches beyond
/// the template.
#[test]
fn the_segment_algebra_equals_brute_force() {
    let world = world(6);
    let mut rng = Lcg(3);
    let (mut overlaps, mut covers, mut over_meets, mut excess) = (0, 0, 0, 0);
    for _ in 0..400 {
        let a = random_template(&mut rng, 4);
        let b = random_template(&mut rng, 4);
        let pattern = a.iam_pattern();
        let over = a.over_matches();
        let (mut any_both, mut all_b_in_a, mut over_meets_b) = (false, true, false);
        for text in &world {
            let p = path(text);
            let (in_a, in_b) = (a.matches(&p), b.matches(&p));
            any_both |= in_a && in_b;
            all_b_in_a &= !in_b || in_a;
            let in_over = over.iter().any(|o| wildcard_match(o, text));
            let beyond = wildcard_match(&pattern, text) && !in_a;
            // The excess is always covered; exactly so unless the
            // over-matches meet the template itself.
            assert!(
                !beyond || in_over,
                "over-matches of {a} miss {text}: {over:?}"
            );
            if !a.over_match_meets(&a) {
                assert_eq!(in_over, beyond, "over-matches of {a} at {text}: {over:?}");
            }
            excess += usize::from(in_over);
            over_meets_b |= in_over && in_b;
        }
        assert_eq!(a.overlaps(&b), any_both, "{a} overlaps {b}");
        assert_eq!(a.covers(&b), all_b_in_a, "{a} covers {b}");
        assert_eq!(
            a.over_match_meets(&b),
            over_meets_b,
            "over-matches of {a} meet {b}"
        );
        overlaps += usize::from(any_both);
        covers += usize::from(all_b_in_a);
        over_meets += usize::from(over_meets_b);
    }
    // The generator reaches both answers of each question.
    for (name, count) in [
        ("overlaps", overlaps),
        ("covers", covers),
        ("over_meets", over_meets),
    ] {
        assert!(count > 10 && count < 390, "{name}: {count}");
    }
    assert!(excess > 0);
}
