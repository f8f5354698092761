//! Configuration as the functions read it, through their declarations
//! (`cognito_auth_core::config::Variable`).
//!
//! A function reads only the variables it declares, from the real process
//! environment: a declared variable that is not UTF-8 fails init naming it,
//! and any other variable, whatever its bytes, is none of its business.
//!
//! The README's configuration tables are rendered from the declarations, so
//! a variable is documented exactly as it is parsed: name, default, range,
//! example.
//!
//! Each table sits between `<!-- config:NAME -->` and `<!-- /config:NAME -->`
//! in README.md, `NAME` being a function's binary or `every-function`. When
//! a declaration changes, regenerate them with `make config-docs` (this file's
//! README test with `UPDATE_README=1`), and review the diff.

use std::os::unix::ffi::OsStringExt;

use e2e_tests::declarations::{self, FUNCTIONS};
use e2e_tests::events::sample;
use e2e_tests::runtime_api::{Launch, workspace_root};

/// `a`, a byte that is not UTF-8, `b`.
fn not_utf8() -> std::ffi::OsString {
    std::ffi::OsString::from_vec(vec![b'a', 0xff, b'b'])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_variable_that_is_not_utf8_fails_init_naming_it() {
    let mut function = Launch::new("pre-sign-up")
        .env_os("AUTO_CONFIRM", not_utf8())
        .start()
        .await;
    let report = function.init_error().await;
    assert_eq!(report.error_type, "ConfigError");
    assert_eq!(report.error_message, "AUTO_CONFIRM: is not valid UTF-8");
    function.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_nobody_declares_is_ignored_whatever_its_bytes() {
    let function = Launch::new("pre-sign-up")
        .env_os("SOMEONE_ELSES_SETTING", not_utf8())
        .start()
        .await;
    let event = sample("pre-sign-up", "sign-up");
    let response = function.respond(event.clone()).await;
    assert_eq!(response["userName"], event["userName"]);
    assert_eq!(response["response"]["autoConfirmUser"], false);
    function.assert_no_panic();
    function.stop().await;
}

/// Every generated table: `(marker name, the Markdown table)`.
fn tables() -> Vec<(String, String)> {
    let mut tables = vec![(
        "every-function".to_owned(),
        declarations::markdown_table(cognito_auth_core::config::EVERY_FUNCTION),
    )];
    for (binary, _) in FUNCTIONS {
        tables.push((
            (*binary).to_owned(),
            declarations::markdown_table(declarations::own_table(binary)),
        ));
    }
    tables
}

/// `readme` with the text between each pair of markers replaced by its
/// table, or the name of a table whose markers are missing.
fn render(readme: &str, tables: &[(String, String)]) -> Result<String, String> {
    let mut out = readme.to_owned();
    for (name, table) in tables {
        let open = format!("<!-- config:{name} -->\n");
        let close = format!("<!-- /config:{name} -->");
        let start = out
            .find(&open)
            .ok_or_else(|| format!("README.md has no `{}` marker", open.trim_end()))?
            + open.len();
        let end = out[start..]
            .find(&close)
            .ok_or_else(|| format!("README.md has no `{close}` after its opening marker"))?
            + start;
        out.replace_range(start..end, table);
    }
    Ok(out)
}

#[test]
fn readme_configuration_tables_match_the_declarations() {
    let path = workspace_root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let rendered = render(&readme, &tables()).unwrap_or_else(|why| panic!("{why}"));
    if rendered == readme {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, rendered).expect("write README.md");
        return;
    }
    let first_difference = readme
        .lines()
        .zip(rendered.lines())
        .position(|(was, now)| was != now)
        .map(|index| {
            format!(
                "line {}:\n  README: {}\n  declared: {}",
                index + 1,
                readme.lines().nth(index).unwrap_or(""),
                rendered.lines().nth(index).unwrap_or("")
            )
        })
        .unwrap_or_else(|| "a table's length differs".to_owned());
    panic!(
        "README.md's configuration tables differ from the declarations; run \
         `make config-docs` and review the diff. First difference at {first_difference}"
    );
}

/// The renderer replaces only what lies between the markers, and refuses a
/// README without them: otherwise a deleted marker would pass silently.
#[test]
fn rendering_replaces_only_the_marked_tables() {
    let tables = vec![("f".to_owned(), "| new |\n".to_owned())];
    let readme = "intro\n<!-- config:f -->\n| old |\n<!-- /config:f -->\nafter\n";
    assert_eq!(
        render(readme, &tables).unwrap(),
        "intro\n<!-- config:f -->\n| new |\n<!-- /config:f -->\nafter\n"
    );
    assert!(
        render("no markers\n", &tables)
            .unwrap_err()
            .contains("config:f")
    );
    assert!(
        render("<!-- config:f -->\nunclosed\n", &tables)
            .unwrap_err()
            .contains("/config:f")
    );
}

/// Every function's table lists something, and every variable a function
/// reads appears in exactly one table it is documented by.
#[test]
fn every_declared_variable_is_in_a_table() {
    let tables = tables();
    for (binary, _) in FUNCTIONS {
        for variable in declarations::variables(binary) {
            let row = format!("| `{}` |", variable.name);
            let in_own = tables
                .iter()
                .any(|(name, table)| name == binary && table.contains(&row));
            let in_common = tables
                .iter()
                .any(|(name, table)| name == "every-function" && table.contains(&row));
            assert!(
                in_own != in_common,
                "{binary}'s {} must be in exactly one of its tables",
                variable.name
            );
        }
    }
}
