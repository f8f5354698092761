//! Embeds every file under `templates/<locale>/` in the binary.
//!
//! The list is generated rather than written by hand so that adding a
//! language is a matter of adding a folder of files: no code changes. The
//! files are only listed here; `templates::tests` checks that each one is a
//! known template name and renders within Cognito's rules.
//!
//! A build script reports failure by panicking and reads cargo's
//! `OUT_DIR` from its environment: that is cargo's protocol, not the
//! functions' configuration, so the workspace's lints against both are
//! lifted here.
#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "a build script fails by panicking, and cargo hands it OUT_DIR in the environment"
)]

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    println!("cargo:rerun-if-changed={}", root.display());

    let mut files = Vec::new();
    for locale in sorted_entries(&root) {
        if !locale.is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", locale.display());
        for file in sorted_entries(&locale) {
            if file.is_file() {
                files.push(file);
            }
        }
    }

    let mut out = String::from("/// Every built-in template: `(\"<locale>/<file>\", source)`.\n");
    out.push_str("pub(crate) const BUILT_IN: &[(&str, &str)] = &[\n");
    for file in &files {
        let name = file
            .strip_prefix(&root)
            .expect("listed under templates/")
            .to_str()
            .expect("template paths are UTF-8")
            .replace('\\', "/");
        let path = file.to_str().expect("template paths are UTF-8");
        writeln!(out, "    ({name:?}, include_str!({path:?})),").expect("write to a String");
    }
    out.push_str("];\n");

    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo")).join("built_in.rs");
    std::fs::write(dest, out).expect("write built_in.rs");
}

/// Entries of `dir`, sorted for a reproducible build, without hidden files.
fn sorted_entries(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
        .map(|entry| entry.expect("read a directory entry").path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| !name.starts_with('.'))
        })
        .collect();
    entries.sort();
    entries
}
