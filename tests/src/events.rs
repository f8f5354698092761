//! The committed sample events under `events/<function>/`, read the one way
//! every test file needs: a missing or broken sample fails the test with its
//! path named.
//!
//! It exists because each test file had its own copy of `sample()`.

use std::path::PathBuf;

use serde_json::Value;

use crate::runtime_api::workspace_root;
pub use test_kit::{json_files, read_json};

/// `events/<function>`.
pub fn events_dir(function: &str) -> PathBuf {
    workspace_root().join("events").join(function)
}

/// `events/<function>/<name>.json`.
pub fn sample(function: &str, name: &str) -> Value {
    read_json(&events_dir(function).join(format!("{name}.json")))
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
