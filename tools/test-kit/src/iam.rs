//! IAM's resource matching, written independently of
//! `cognito_auth_core::policy::wildcard_match`, so that a test can hold the
//! authorizer's policies to what IAM will allow rather than to the code
//! that built them.

/// Whether `pattern` matches `text` as IAM reads a resource: `*` any run of
/// characters (`/` included, or none), `?` exactly one, the rest literally.
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && matches(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && matches(rest, &text[1..]),
    }
}

/// [`matches`] with `?` read as a literal character: AWS documents `*` in
/// authorizer policies and is silent on `?`, so no answer may allow more
/// when `?` is read this way.
pub fn matches_reading_question_mark_literally(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len())
            .any(|skip| matches_reading_question_mark_literally(rest, &text[skip..])),
        Some((c, rest)) => {
            text.first() == Some(c) && matches_reading_question_mark_literally(rest, &text[1..])
        }
    }
}

/// Whether IAM lets `arn` through statements given as `(effect, resource)`
/// pairs, `matches` being the wildcard reading: an explicit Deny wins, then
/// any Allow; nothing matching is a refusal.
pub fn allows<'a>(
    statements: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    arn: &str,
    matches: fn(&[u8], &[u8]) -> bool,
) -> bool {
    let any = |effect: &str| {
        statements
            .clone()
            .into_iter()
            .any(|(e, resource)| e == effect && matches(resource.as_bytes(), arn.as_bytes()))
    };
    !any("Deny") && any("Allow")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_spans_slashes_and_question_mark_is_one_character() {
        assert!(matches(b"arn:*/GET/pets/*", b"arn:x/GET/pets/1/secrets"));
        assert!(matches(b"a*", b"a"));
        assert!(matches(b"/pets/?", b"/pets/1"));
        assert!(!matches(b"/pets/?", b"/pets/"));
        assert!(!matches(b"/pets/?", b"/pets/12"));
        assert!(!matches_reading_question_mark_literally(
            b"/pets/?", b"/pets/1"
        ));
        assert!(matches_reading_question_mark_literally(
            b"/pets/?*",
            b"/pets/?1"
        ));
    }

    #[test]
    fn deny_wins_and_nothing_matching_refuses() {
        let policy = [("Allow", "arn/*"), ("Deny", "arn/GET/admin/*")];
        assert!(allows(policy, "arn/GET/pets", matches));
        assert!(!allows(policy, "arn/GET/admin/x", matches));
        assert!(!allows(policy, "other/GET/pets", matches));
    }
}
