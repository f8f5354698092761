//! The committed sample events under `events/<function>/`, read the one way
//! every test file needs: a missing or broken sample fails the test with its
//! path named.
//!
//! It exists because each test file had its own copy of `sample()`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::runtime_api::workspace_root;

/// `events/<function>`.
pub fn events_dir(function: &str) -> PathBuf {
    workspace_root().join("events").join(function)
}

/// `events/<function>/<name>.json`.
pub fn sample(function: &str, name: &str) -> Value {
    read_json(&events_dir(function).join(format!("{name}.json")))
}

/// The JSON document at `path`; panics naming the path.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("parse {}: {err}", path.display()))
}

/// The `*.json` files directly in `dir`, sorted.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// The pre sign-up sample of a Google sign-up, for `user_name` with `email`
/// in `pool_id`.
pub fn federated_sign_up(pool_id: &str, user_name: &str, email: &str) -> Value {
    let mut event = sample("pre-sign-up", "external-provider-google");
    event["userPoolId"] = pool_id.into();
    event["userName"] = user_name.into();
    event["request"]["userAttributes"]["email"] = email.into();
    event
}
