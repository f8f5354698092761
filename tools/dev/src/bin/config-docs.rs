//! `config-docs` (`make config-docs`): writes README.md's configuration
//! tables from the declarations (`e2e_tests::declarations`), between their
//! `<!-- config:NAME -->` markers. The test
//! `readme_configuration_tables_match_the_declarations` fails until this has
//! been run after a declaration changed; review the diff it leaves.

use std::process::ExitCode;

use e2e_tests::declarations::{render, tables};
use e2e_tests::runtime_api::workspace_root;

fn main() -> ExitCode {
    let path = workspace_root().join("README.md");
    let result = std::fs::read_to_string(&path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))
        .and_then(|readme| {
            let rendered = render(&readme, &tables())?;
            if rendered == readme {
                println!("README.md's configuration tables are up to date");
                return Ok(());
            }
            std::fs::write(&path, rendered)
                .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
            println!("README.md's configuration tables rewritten; review `git diff README.md`");
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
