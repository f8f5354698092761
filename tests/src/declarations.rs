//! Every function's declared environment variables, by binary name: what the
//! template drift test (`tests/template/`) holds `template.yaml` to, and
//! what the configuration tables of [`CONFIGURATION_DOC`] are rendered from (by
//! `make config-docs`, and checked by `tests/configuration.rs`). The
//! declarations themselves live beside the code that parses them (see
//! `cognito_auth_core::config`).

use cognito_auth_core::config::{self, Declarations, Declared};

/// The file, relative to the workspace root, that holds every generated
/// configuration table between its markers.
pub const CONFIGURATION_DOC: &str = "docs/configuration.md";

/// `(binary, its declarations)` for every crate under `functions/`. A crate
/// missing here fails `every_function_crate_declares_its_variables`.
pub const FUNCTIONS: &[(&str, Declarations)] = &[
    ("authorizer", authorizer::config::VARIABLES),
    ("pre-sign-up", pre_sign_up::config::VARIABLES),
    ("post-confirmation", post_confirmation::config::VARIABLES),
    (
        "pre-token-generation",
        pre_token_generation::config::VARIABLES,
    ),
    ("custom-message", custom_message::config::VARIABLES),
    (
        "revocation-recorder",
        revocation_recorder::config::VARIABLES,
    ),
    ("sign-out", sign_out::config::VARIABLES),
    ("pre-authentication", pre_authentication::config::VARIABLES),
    (
        "post-authentication",
        post_authentication::config::VARIABLES,
    ),
    ("user-migration", user_migration::config::VARIABLES),
    ("custom-sender", custom_sender::config::VARIABLES),
    ("deploy-keys", deploy_keys::config::VARIABLES),
];

/// The declarations of `binary`.
///
/// # Panics
/// When `binary` is not in [`FUNCTIONS`]: a test names a function that
/// does not exist.
pub fn of(binary: &str) -> Declarations {
    FUNCTIONS
        .iter()
        .find(|(name, _)| *name == binary)
        .map(|(_, declarations)| *declarations)
        .unwrap_or_else(|| panic!("{binary} is not in declarations::FUNCTIONS"))
}

/// Every variable `binary` reads, shared ones included.
pub fn variables(binary: &str) -> Vec<&'static dyn Declared> {
    config::all(of(binary)).collect()
}

/// The variables of `binary` that are not read by every function: the ones
/// its own table lists ([`cognito_auth_core::init::EVERY_FUNCTION`] has a table of its
/// own).
pub fn own_table(binary: &str) -> Vec<&'static dyn Declared> {
    variables(binary)
        .into_iter()
        .filter(|variable| {
            !cognito_auth_core::init::EVERY_FUNCTION
                .iter()
                .any(|common| common.name() == variable.name())
        })
        .collect()
}

/// A configuration table of `variables`: variable, default, example, meaning.
pub fn markdown_table<'a>(variables: impl IntoIterator<Item = &'a dyn Declared>) -> String {
    let mut table = String::from("| variable | default | example | meaning |\n|---|---|---|---|\n");
    for variable in variables {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            variable.name(),
            variable.default_text(),
            variable.example(),
            variable.meaning()
        ));
    }
    table
}

/// Every generated table: `(marker name, the Markdown table)`. Each sits
/// between `<!-- config:NAME -->` and `<!-- /config:NAME -->` in [`CONFIGURATION_DOC`],
/// `NAME` being a function's binary or `every-function`.
pub fn tables() -> Vec<(String, String)> {
    let mut tables = vec![(
        "every-function".to_owned(),
        markdown_table(cognito_auth_core::init::EVERY_FUNCTION.iter().copied()),
    )];
    for (binary, _) in FUNCTIONS {
        tables.push(((*binary).to_owned(), markdown_table(own_table(binary))));
    }
    tables
}

/// `readme` (the text of [`CONFIGURATION_DOC`]) with the text between each pair of markers replaced by its
/// table, or the name of a table whose markers are missing.
pub fn render(readme: &str, tables: &[(String, String)]) -> Result<String, String> {
    let mut out = readme.to_owned();
    for (name, table) in tables {
        let open = format!("<!-- config:{name} -->\n");
        let close = format!("<!-- /config:{name} -->");
        let start = out
            .find(&open)
            .ok_or_else(|| format!("{CONFIGURATION_DOC} has no `{}` marker", open.trim_end()))?
            + open.len();
        let end = out[start..].find(&close).ok_or_else(|| {
            format!("{CONFIGURATION_DOC} has no `{close}` after its opening marker")
        })? + start;
        out.replace_range(start..end, table);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every function crate may log at TRACE: `logging::OWN_TARGETS`
    /// lists its target, or its TRACE lines would be dropped as a
    /// dependency's.
    #[test]
    fn every_function_crate_is_an_own_logging_target() {
        for (binary, _) in FUNCTIONS {
            let target = binary.replace('-', "_");
            assert!(
                cognito_auth_core::logging::OWN_TARGETS.contains(&target.as_str()),
                "{target} is not in logging::OWN_TARGETS"
            );
        }
    }

    /// `EMULATION_BUDGETS` names real variables, at values their functions
    /// accept: a renamed variable would leave the emulated functions on
    /// Lambda's budgets, and a value past a range would fail every launch.
    #[test]
    fn the_emulation_budgets_are_each_variables_documented_maximum() {
        for (name, value) in crate::runtime_api::EMULATION_BUDGETS {
            let declared: Vec<String> = FUNCTIONS
                .iter()
                .flat_map(|(binary, _)| variables(binary))
                .filter(|variable| variable.name() == *name)
                .map(|variable| variable.default_text())
                .collect();
            assert!(!declared.is_empty(), "no function declares {name}");
            for range in declared {
                assert!(
                    range.ends_with(&format!("–{value})")),
                    "{name}={value} is not the maximum of {range}"
                );
            }
        }
    }
}
