//! Route templates and request paths, with the meaning API Gateway gives
//! them, and the IAM patterns that stand for them.
//!
//! A template is a list of segments:
//! - a literal matches exactly that segment, case-sensitively;
//! - `{name}` (and, in rules, `*`) matches exactly one non-empty segment;
//! - `{name+}` matches one or more non-empty segments, and is only allowed
//!   last.
//!
//! `/` is the root: a template with no segment, matching only the path `/`.
//!
//! A request path matches segment by segment, split on `/` only. A path that
//! a backend could read in another way than API Gateway does is *ambiguous*
//! ([`Ambiguity`]) and matches no template, so every answer refuses it:
//! - an empty segment (`//`, or a trailing `/` after anything but the root);
//! - a `.` or `..` segment;
//! - an encoded separator or dot (`%2F`, `%5C` or `%2E`, any case), or a raw
//!   `\`, anywhere: `/pets/1%2Fsecrets` is one segment to the policy and two
//!   to a backend that decodes it, and `/files/%2E%2E/admin` is under
//!   `/files` to the policy and `/admin` to a backend that decodes and then
//!   normalises; some backends (IIS, some Node routers) take `\` as `/`;
//! - a `;` or an encoded one (`%3B`, any case) anywhere: Tomcat and Spring
//!   strip `;`-parameters from each segment (`/admin;x` is served as
//!   `/admin`), so with `GET /{page}` open to everyone and `GET /admin` kept
//!   for admins, `/admin;x` would match only the first;
//! - an encoded `%` (`%25`) anywhere: double encoding (`%252F`) is `%2F`
//!   after one decoding and `/` after two.
//!
//! Each class is refused in its raw and its encoded spelling, so the answer
//! is the same whether a path arrives percent-encoded (as REST method ARNs
//! carry it) or decoded once. Other encodings (`%41`) are ordinary text here
//! and are never decoded: a path matches a literal only in the exact
//! spelling written.
//!
//! Case is not folded: a literal matches case-sensitively, as API Gateway
//! routes. A backend that routes case-insensitively would serve `/ADMIN` as
//! `/admin` although only `/{page}` matched it; no IAM policy can deny every
//! case spelling of a literal without denying other paths of the same
//! length, so the backend must route case-sensitively (docs/authorizer.md says so).
//!
//! IAM's `*` matches any text, `/` included, so the IAM pattern of a
//! template ([`Template::iam_pattern`]) matches more than the template: a
//! `{name}` written as `*` also matches `a/b`. [`Template::over_matches`]
//! gives patterns that hold exactly that excess, so a policy can deny it;
//! [`crate::stage_check`] says when that is sound.

use std::fmt;

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Exactly this text (never empty).
    Literal(String),
    /// `{name}` or `*`: exactly one non-empty segment.
    One,
    /// `{name+}`: one or more non-empty segments; only last.
    Greedy,
}

/// A parsed route template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Template {
    segments: Vec<Segment>,
}

/// Why a request path matches no template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambiguity {
    /// `//`, or a trailing `/` after a segment.
    EmptySegment,
    /// A `.` or `..` segment, which a backend may resolve.
    DotSegment,
    /// `%2F`, `%5C` or `%2E` (any case), which a backend may decode to a
    /// separator or a dot and then resolve, or a raw `\`, which some take
    /// for `/`.
    EncodedSeparator,
    /// `;` or `%3B` (any case): a path parameter, which Tomcat and Spring
    /// strip from the segment before routing.
    PathParameter,
    /// `%25`: an encoded `%`, so the path means something else after a
    /// second decoding.
    DoubleEncoding,
}

impl Ambiguity {
    /// A stable code for logs.
    pub fn reason(self) -> &'static str {
        match self {
            Ambiguity::EmptySegment => "ambiguous_path_empty_segment",
            Ambiguity::DotSegment => "ambiguous_path_dot_segment",
            Ambiguity::EncodedSeparator => "ambiguous_path_encoded_separator",
            Ambiguity::PathParameter => "ambiguous_path_parameter",
            Ambiguity::DoubleEncoding => "ambiguous_path_double_encoding",
        }
    }

    /// The ambiguity of the first text of [`AMBIGUOUS_TEXT`] that `text`
    /// holds, if any.
    pub fn of_text(text: &str) -> Option<Self> {
        AMBIGUOUS_TEXT
            .iter()
            .find(|(spelling, _)| text.contains(spelling))
            .map(|&(_, ambiguity)| ambiguity)
    }
}

/// The texts that make a path ambiguous wherever they appear, in every case
/// spelling IAM would need a pattern for: encoded separators and dots, a
/// raw backslash, raw and encoded `;`, and an encoded `%`.
pub const AMBIGUOUS_TEXT: [(&str, Ambiguity); 11] = [
    ("%2F", Ambiguity::EncodedSeparator),
    ("%2f", Ambiguity::EncodedSeparator),
    ("%5C", Ambiguity::EncodedSeparator),
    ("%5c", Ambiguity::EncodedSeparator),
    ("%2E", Ambiguity::EncodedSeparator),
    ("%2e", Ambiguity::EncodedSeparator),
    ("\\", Ambiguity::EncodedSeparator),
    (";", Ambiguity::PathParameter),
    ("%3B", Ambiguity::PathParameter),
    ("%3b", Ambiguity::PathParameter),
    ("%25", Ambiguity::DoubleEncoding),
];

/// IAM path patterns (for the `*` verb, so they start right after the verb)
/// that match exactly the ambiguous paths, whatever their verb: the Denies
/// an encoding adds whenever one of its Allows holds a wildcard. Each is
/// exact because the text after the stage is `{VERB}{path}` and a verb holds
/// no `/`, `.`, `%`, `;` or `\`. None holds IAM's `?`, so their meaning
/// does not rest on how API Gateway reads it (AWS documents only `*`).
#[rustfmt::skip]
pub const AMBIGUOUS_PATH_DENIES: [&str; 17] = [
    // An empty segment anywhere but at the end.
    "//*",
    // A trailing `/` after a non-empty segment: `/pets/`. The root `/` has
    // no second `/`, so it is not matched.
    "/*/",
    // Encoded separators and dots, a backslash, `;`-parameters and double
    // encoding, anywhere (the spellings of `AMBIGUOUS_TEXT`).
    "/*%2F*", "/*%2f*", "/*%5C*", "/*%5c*", "/*%2E*", "/*%2e*", "/*\\*",
    "/*;*", "/*%3B*", "/*%3b*", "/*%25*",
    // Dot segments.
    "/./*", "/../*", "/.", "/..",
];

/// A request path split into its segments; `/` has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPath<'a> {
    segments: Vec<&'a str>,
}

impl<'a> RequestPath<'a> {
    /// Splits `path` (which starts with `/`), or says why it is ambiguous.
    /// A path that does not start with `/` is treated as having an empty
    /// first segment.
    pub fn parse(path: &'a str) -> Result<Self, Ambiguity> {
        if let Some(ambiguity) = Ambiguity::of_text(path) {
            return Err(ambiguity);
        }
        let Some(rest) = path.strip_prefix('/') else {
            return Err(Ambiguity::EmptySegment);
        };
        if rest.is_empty() {
            return Ok(Self {
                segments: Vec::new(),
            });
        }
        let mut segments = Vec::with_capacity(8);
        for segment in rest.split('/') {
            match segment {
                "" => return Err(Ambiguity::EmptySegment),
                "." | ".." => return Err(Ambiguity::DotSegment),
                _ => segments.push(segment),
            }
        }
        Ok(Self { segments })
    }

    /// The segments.
    pub fn segments(&self) -> &[&'a str] {
        &self.segments
    }
}

/// A piece of the segment algebra: a template segment, or an IAM `*` that
/// sits between two `/` (one or more segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Literal(&'a str),
    One,
    Many,
}

impl Template {
    /// The root, `/`.
    pub fn root() -> Self {
        Self {
            segments: Vec::new(),
        }
    }

    /// A template from its segments, for tests and generators. A
    /// [`Segment::Greedy`] before the end, or an empty literal, gives
    /// `None`.
    pub fn from_segments(segments: Vec<Segment>) -> Option<Self> {
        let last = segments.len().saturating_sub(1);
        let valid = segments
            .iter()
            .enumerate()
            .all(|(at, segment)| match segment {
                Segment::Greedy => at == last,
                Segment::Literal(text) => !text.is_empty(),
                Segment::One => true,
            });
        valid.then_some(Self { segments })
    }

    /// Reads a rule's path: segments are literals (`literal` decides which
    /// characters they may hold), `{name}`, `{name+}` (last only) or `*`.
    /// The error says what is wrong, without repeating the path.
    pub fn parse_rule(
        path: &str,
        literal: impl Fn(&str) -> Result<(), String>,
    ) -> Result<Self, String> {
        let Some(rest) = path.strip_prefix('/') else {
            return Err("path must start with `/`".to_owned());
        };
        if rest.is_empty() {
            return Ok(Self::root());
        }
        let parts: Vec<&str> = rest.split('/').collect();
        let last = parts.len() - 1;
        let mut segments = Vec::with_capacity(parts.len());
        for (at, part) in parts.iter().enumerate() {
            let position = at + 1;
            if part.is_empty() {
                return Err(if at == last {
                    "path must not end with `/`".to_owned()
                } else {
                    "path has an empty segment (`//`)".to_owned()
                });
            }
            if *part == "*" {
                segments.push(Segment::One);
            } else if let Some(name) = part.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let (name, greedy) = match name.strip_suffix('+') {
                    Some(name) => (name, true),
                    None => (name, false),
                };
                if !is_parameter_name(name) {
                    return Err(format!(
                        "segment {position} is not a valid parameter name (letters, digits, `_`, `-`, `.`)"
                    ));
                }
                if greedy && at != last {
                    return Err(format!(
                        "greedy parameter `{{{name}+}}` must be the last segment"
                    ));
                }
                segments.push(if greedy {
                    Segment::Greedy
                } else {
                    Segment::One
                });
            } else {
                if *part == "." || *part == ".." {
                    return Err(format!(
                        "segment {position} is `{part}`, which matches no request (such paths are refused)"
                    ));
                }
                if Ambiguity::of_text(part).is_some() {
                    return Err(format!(
                        "segment {position} holds an encoded separator or dot (`%2F`, `%5C`, `%2E`), a `\\`, a `;` (or `%3B`) or an encoded `%` (`%25`), which matches no request (such paths are refused)"
                    ));
                }
                literal(part).map_err(|reason| format!("segment {position} {reason}"))?;
                segments.push(Segment::Literal((*part).to_owned()));
            }
        }
        Ok(Self { segments })
    }

    /// Reads an HTTP API route key's path or a REST resource path, as API
    /// Gateway wrote it: `{name}`, `{name+}` (last), literals. `None` for
    /// anything this module cannot take exactly: no leading `/`, an empty
    /// segment, a greedy parameter before the end, or a literal holding a
    /// brace, an IAM wildcard or ambiguous text ([`AMBIGUOUS_TEXT`]: every
    /// path of such a route is refused).
    pub fn parse_route(path: &str) -> Option<Self> {
        let rest = path.strip_prefix('/')?;
        if rest.is_empty() {
            return Some(Self::root());
        }
        let parts: Vec<&str> = rest.split('/').collect();
        let last = parts.len() - 1;
        let mut segments = Vec::with_capacity(parts.len());
        for (at, part) in parts.iter().enumerate() {
            let segment = match part.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(name) if is_parameter_name(name) && at == last => Segment::Greedy,
                    None if is_parameter_name(name) => Segment::One,
                    _ => return None,
                },
                None if part.is_empty()
                    || part.contains(['{', '}', '*', '?'])
                    || Ambiguity::of_text(part).is_some() =>
                {
                    return None;
                }
                None => Segment::Literal((*part).to_owned()),
            };
            segments.push(segment);
        }
        Some(Self { segments })
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether the template is one parameter alone (`/{id}`, `/{proxy+}`),
    /// whose IAM pattern is `/?*`.
    pub fn is_lone_parameter(&self) -> bool {
        matches!(self.segments.as_slice(), [Segment::One | Segment::Greedy])
    }

    /// Whether the template has a parameter (its IAM pattern a wildcard).
    pub fn has_parameter(&self) -> bool {
        self.segments
            .iter()
            .any(|s| !matches!(s, Segment::Literal(_)))
    }

    /// Whether `path` is one the template matches.
    pub fn matches(&self, path: &RequestPath<'_>) -> bool {
        let path = path.segments();
        for (at, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Greedy => return path.len() > at,
                Segment::One => {
                    if at >= path.len() {
                        return false;
                    }
                }
                Segment::Literal(text) => {
                    if path.get(at) != Some(&text.as_str()) {
                        return false;
                    }
                }
            }
        }
        path.len() == self.segments.len()
    }

    /// Whether some path matches both templates. Segment by segment, since
    /// only a last `{name+}` can take more than one: O(segments), no
    /// allocation (it runs for every rule on every HTTP API call).
    pub fn overlaps(&self, other: &Template) -> bool {
        let (a, b) = (&self.segments, &other.segments);
        let mut at = 0;
        loop {
            match (a.get(at), b.get(at)) {
                (None, None) => return true,
                (Some(Segment::Greedy), Some(_)) | (Some(_), Some(Segment::Greedy)) => return true,
                (None, Some(_)) | (Some(_), None) => return false,
                (Some(Segment::Literal(x)), Some(Segment::Literal(y))) if x != y => return false,
                _ => at += 1,
            }
        }
    }

    /// Whether every path `inner` matches, this template matches too.
    pub fn covers(&self, inner: &Template) -> bool {
        for (at, outer) in self.segments.iter().enumerate() {
            let Some(segment) = inner.segments.get(at) else {
                return false;
            };
            match (outer, segment) {
                (Segment::Greedy, _) => return true,
                (Segment::One, Segment::Literal(_) | Segment::One) => {}
                (Segment::Literal(a), Segment::Literal(b)) if a == b => {}
                _ => return false,
            }
        }
        inner.segments.len() == self.segments.len()
    }

    /// The IAM pattern: `/pets/*` for `/pets/{id}`; `/` for the root; `/?*`
    /// for a lone parameter (`/{proxy+}`), which must not match the root.
    pub fn iam_pattern(&self) -> String {
        self.pattern_with(None)
    }

    /// IAM patterns that together match every path the IAM pattern matches
    /// beyond the template, among paths that are not ambiguous: for each
    /// `{name}` whose `*` could take more than one segment, the pattern with
    /// that `*` written `*/*`. A `{name}` followed only by parameters and a
    /// final `{name+}` needs none: any extra segment it takes, the greedy
    /// one could have taken.
    ///
    /// They match nothing else, so that the pattern minus them is exactly
    /// the template, unless they meet the template's own paths
    /// ([`Self::is_exact_in_iam`]), as `/*/*/b/*` (for `/{x}/b/{p+}`) meets
    /// `/a/b/b/c`.
    pub fn over_matches(&self) -> Vec<String> {
        let absorbed_from = self.absorbed_from();
        self.segments
            .iter()
            .enumerate()
            .filter(|&(at, segment)| *segment == Segment::One && at < absorbed_from)
            .map(|(at, _)| self.pattern_with(Some(at)))
            .collect()
    }

    /// The same, as piece lists, for overlap tests.
    fn over_match_pieces(&self) -> Vec<Vec<Piece<'_>>> {
        let absorbed_from = self.absorbed_from();
        let base: Vec<Piece<'_>> = self
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => Piece::Literal(text),
                Segment::One | Segment::Greedy => Piece::Many,
            })
            .collect();
        self.segments
            .iter()
            .enumerate()
            .filter(|&(at, segment)| *segment == Segment::One && at < absorbed_from)
            .map(|(at, _)| {
                let mut pieces = base.clone();
                pieces.insert(at, Piece::Many);
                pieces
            })
            .collect()
    }

    /// Whether a path matched by one of this template's [`over_matches`]
    /// patterns is also matched by `other`: then denying the excess would
    /// deny some of `other`'s paths.
    ///
    /// [`over_matches`]: Self::over_matches
    pub fn over_match_meets(&self, other: &Template) -> bool {
        let other = other.pieces();
        self.over_match_pieces()
            .iter()
            .any(|pieces| pieces_overlap(pieces, &other))
    }

    /// Whether the IAM pattern minus [`Self::over_matches`] is exactly this
    /// template (on unambiguous paths).
    pub fn is_exact_in_iam(&self) -> bool {
        !self.over_match_meets(self)
    }

    /// The first position from which every segment is a parameter and the
    /// last is greedy (`len` when the template does not end that way).
    fn absorbed_from(&self) -> usize {
        if self.segments.last() != Some(&Segment::Greedy) {
            return self.segments.len();
        }
        let literal_before = self
            .segments
            .iter()
            .rposition(|segment| matches!(segment, Segment::Literal(_)));
        literal_before.map_or(0, |at| at + 1)
    }

    fn pattern_with(&self, doubled: Option<usize>) -> String {
        match (self.segments.as_slice(), doubled) {
            ([], _) => return "/".to_owned(),
            // `/*` would also match the root (`*` may be empty); a lone
            // parameter needs at least one character. Elsewhere an empty
            // `*` only gives ambiguous paths (`/a/`, `//a`), denied anyway.
            // The only `?` any answer holds: AWS documents `*` in authorizer
            // policies and is silent on `?`. Read literally, `/?*` would
            // match no request path (a path never holds `?`), so such an
            // Allow could only refuse too much, never allow too much.
            ([Segment::One | Segment::Greedy], None) => return "/?*".to_owned(),
            _ => {}
        }
        let mut pattern = String::new();
        for (at, segment) in self.segments.iter().enumerate() {
            pattern.push('/');
            match segment {
                Segment::Literal(text) => pattern.push_str(text),
                _ if doubled == Some(at) => pattern.push_str("*/*"),
                _ => pattern.push('*'),
            }
        }
        pattern
    }

    fn pieces(&self) -> Vec<Piece<'_>> {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => Piece::Literal(text),
                Segment::One => Piece::One,
                Segment::Greedy => Piece::Many,
            })
            .collect()
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("/");
        }
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => write!(f, "/{text}")?,
                Segment::One => f.write_str("/{}")?,
                Segment::Greedy => f.write_str("/{+}")?,
            }
        }
        Ok(())
    }
}

fn is_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Whether some unambiguous path is matched by both piece lists: a walk over
/// the pairs of positions, each step taking one path segment.
/// O(len(a) × len(b)).
fn pieces_overlap(a: &[Piece<'_>], b: &[Piece<'_>]) -> bool {
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut pending = vec![(0, 0)];
    seen[0] = true;
    while let Some((at_a, at_b)) = pending.pop() {
        if at_a == a.len() && at_b == b.len() {
            return true;
        }
        for (next_a, piece_a) in steps(a, at_a) {
            for (next_b, piece_b) in steps(b, at_b) {
                let next = next_a * width + next_b;
                if !seen[next] && one_segment_fits_both(piece_a, piece_b) {
                    seen[next] = true;
                    pending.push((next_a, next_b));
                }
            }
        }
    }
    false
}

/// The ways to take the next path segment from position `at`: the piece at
/// `at` (moving on) or, just after a [`Piece::Many`], one more segment for
/// it (staying).
fn steps<'a>(
    pieces: &[Piece<'a>],
    at: usize,
) -> impl Iterator<Item = (usize, Piece<'a>)> + use<'a> {
    let next = pieces.get(at).map(|&piece| (at + 1, piece));
    let again = (at > 0 && pieces[at - 1] == Piece::Many).then_some((at, Piece::Many));
    next.into_iter().chain(again)
}

/// Whether one non-empty segment can be taken by both pieces.
fn one_segment_fits_both(a: Piece<'_>, b: Piece<'_>) -> bool {
    match (a, b) {
        (Piece::Literal(a), Piece::Literal(b)) => a == b,
        _ => true,
    }
}

#[cfg(test)]
pub(crate) mod tests;
