//! The documentation's links: README.md, CHANGELOG.md and every `docs/*.md`.
//!
//! A relative link must name a file that exists, and a `#anchor` (alone, or
//! after a Markdown file) one that a heading of that file produces, by
//! GitHub's rule: lowercase, punctuation other than `-` and `_` dropped,
//! spaces turned into `-`, and `-1`, `-2`, … after a repeated heading. Links
//! inside code (fenced blocks and code spans) are not links; links to other
//! sites are not checked (the tests stay on 127.0.0.1).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The workspace root (this crate is `tests/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// README.md, CHANGELOG.md and every Markdown file under `docs/`.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut files = vec![root.join("README.md"), root.join("CHANGELOG.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|entry| entry.expect("a docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    assert!(!docs.is_empty(), "docs/ holds no Markdown file");
    files.extend(docs);
    files
}

/// `text` without fenced code blocks (their lines become empty, so line
/// numbers stay right).
fn without_fences(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return "";
            }
            if fenced { "" } else { line }
        })
        .collect()
}

/// `text` with its code spans (`` `…` ``, any run of backticks, across line
/// ends) blanked out; an unmatched run of backticks stays as text.
fn without_code_spans(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'`' {
            let next = text[at..].find('`').map_or(text.len(), |i| at + i);
            out.push_str(&text[at..next]);
            at = next;
            continue;
        }
        let run = bytes[at..].iter().take_while(|b| **b == b'`').count();
        let fence = "`".repeat(run);
        let mut search = at + run;
        let close = loop {
            match text[search..].find(&fence) {
                None => break None,
                Some(i) => {
                    let start = search + i;
                    let len = bytes[start..].iter().take_while(|b| **b == b'`').count();
                    if len == run {
                        break Some(start);
                    }
                    search = start + len;
                }
            }
        };
        match close {
            Some(close) => {
                // Keep the line ends, blank the rest.
                out.extend(
                    text[at..close + run]
                        .chars()
                        .map(|c| if c == '\n' { '\n' } else { ' ' }),
                );
                at = close + run;
            }
            None => {
                out.push_str(&fence);
                at += run;
            }
        }
    }
    out
}

/// GitHub's anchor of a heading's text.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor the headings of `text` produce.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in without_fences(text) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = anchor(&line[hashes..]);
        let mut candidate = base.clone();
        let mut n = 0;
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        seen.insert(candidate);
    }
    seen
}

/// The targets of the inline links (`[text](target "title")`, images
/// included) and reference definitions (`[name]: target`) of `text`, with
/// their line numbers.
fn links(text: &str) -> Vec<(usize, String)> {
    let prose = without_code_spans(&without_fences(text).join("\n"));
    let mut found = Vec::new();
    for (index, line) in prose.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[')
            && let Some(end) = trimmed.find("]: ")
            && !trimmed[..end].contains('(')
        {
            let target = trimmed[end + 3..].split_whitespace().next().unwrap_or("");
            found.push((index + 1, target.to_owned()));
        }
    }
    // Inline links may wrap, so they are read from the whole text.
    let mut search = 0;
    while let Some(i) = prose[search..].find("](") {
        let start = search + i + 2;
        let mut depth = 1;
        let mut end = start;
        for (offset, c) in prose[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + offset;
                break;
            }
        }
        let inner = prose[start..end].trim();
        let target = inner.split_whitespace().next().unwrap_or("");
        let target = target.trim_start_matches('<').trim_end_matches('>');
        let line = prose[..start].matches('\n').count() + 1;
        found.push((line, target.to_owned()));
        search = end.max(start);
    }
    found
}

/// What is wrong with `target`, a link in `file`, if anything.
fn broken(file: &Path, target: &str) -> Option<String> {
    if target.is_empty() {
        return Some("an empty link".to_owned());
    }
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, fragment) = match target.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (target, None),
    };
    let linked = if path.is_empty() {
        file.to_path_buf()
    } else {
        file.parent().expect("a file's folder").join(path)
    };
    if !linked.exists() {
        return Some(format!("{} does not exist", linked.display()));
    }
    let fragment = fragment?;
    if linked.extension().is_none_or(|ext| ext != "md") {
        return Some("an anchor into a file that is not Markdown".to_owned());
    }
    let text = std::fs::read_to_string(&linked).expect("read the linked file");
    if anchors(&text).contains(fragment) {
        None
    } else {
        Some(format!(
            "no heading of {} makes #{fragment}",
            linked.display()
        ))
    }
}

#[test]
fn every_relative_link_of_the_documentation_resolves() {
    let root = root();
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in documents() {
        let text = std::fs::read_to_string(&file).expect("read a document");
        for (line, target) in links(&text) {
            checked += 1;
            if let Some(why) = broken(&file, &target) {
                let name = file.strip_prefix(&root).unwrap_or(&file).display();
                problems.push(format!("{name}:{line}: ({target}) {why}"));
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: is the parser broken?"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// The README points at every document under `docs/`, so none is orphaned.
#[test]
fn the_readme_links_every_document() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read README.md");
    let targets: BTreeSet<String> = links(&readme)
        .into_iter()
        .map(|(_, target)| target.split('#').next().unwrap_or("").to_owned())
        .collect();
    for file in documents().into_iter().skip(2) {
        let name = format!(
            "docs/{}",
            file.file_name().expect("a name").to_string_lossy()
        );
        assert!(targets.contains(&name), "README.md does not link {name}");
    }
}

#[test]
fn the_checker_catches_what_it_must() {
    assert_eq!(
        anchor("Exact answers and API Gateway's cache"),
        "exact-answers-and-api-gateways-cache"
    );
    assert_eq!(
        anchor("Route rules (`AUTHZ_RULES`)"),
        "route-rules-authz_rules"
    );
    assert_eq!(
        anchor("Seeing the messages: `make preview`"),
        "seeing-the-messages-make-preview"
    );
    let headings = anchors("# A\n## A\n```\n# not a heading\n```\n#nope\n");
    assert_eq!(headings, BTreeSet::from(["a".to_owned(), "a-1".to_owned()]));
    let text = "see [one](a.md#x) and `[code](no.md)` and\n[two\nlines](b.md \"t\")\n\
                ```\n[fenced](c.md)\n```\n[ref]: d.md#y\n";
    let targets: Vec<String> = links(text).into_iter().map(|(_, t)| t).collect();
    assert_eq!(targets, ["d.md#y", "a.md#x", "b.md"]);
    let readme = root().join("README.md");
    assert!(broken(&readme, "docs/nowhere.md").is_some());
    assert!(broken(&readme, "docs/authorizer.md#no-such-heading").is_some());
    assert!(broken(&readme, "#documentation").is_none());
    assert!(broken(&readme, "https://example.com/x#y").is_none());
}
