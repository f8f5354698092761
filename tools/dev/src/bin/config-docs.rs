//! `config-docs` (`make config-docs`): writes docs/configuration.md's
//! tables from the declarations (`e2e_tests::declarations`), between their
//! `<!-- config:NAME -->` markers. The test
//! `readme_configuration_tables_match_the_declarations` fails until this has
//! been run after a declaration changed; review the diff it leaves.

use std::process::ExitCode;

use e2e_tests::declarations::{CONFIGURATION_DOC, render, tables};
use e2e_tests::runtime_api::workspace_root;

fn main() -> ExitCode {
    let path = workspace_root().join(CONFIGURATION_DOC);
    let result = std::fs::read_to_string(&path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))
        .and_then(|readme| {
            let rendered = render(&readme, &tables())?;
            if rendered == readme {
                println!("{CONFIGURATION_DOC}'s tables are up to date");
                return Ok(());
            }
            std::fs::write(&path, rendered)
                .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
            println!(
                "{CONFIGURATION_DOC}'s tables rewritten; review `git diff {CONFIGURATION_DOC}`"
            );
            Ok(())
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("config-docs: {why}");
            ExitCode::FAILURE
        }
    }
}
