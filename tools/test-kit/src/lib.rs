//! What the unit tests of the function crates and the end-to-end tests
//! share, written once: a configuration or a function's state read from a
//! few `(name, value)` pairs through the same code as production, one
//! invocation, the sample-event files, an IAM wildcard evaluator written
//! independently of the one under test, and the route-rules fixture of
//! docs/authorizer.md.
//!
//! It depends on no function crate: each function implements
//! [`Function`] and [`FromEnv`], and the helpers here are generic over them.
//! Test code only, so its helpers panic with the path or the variable at
//! fault instead of returning errors.
#![deny(missing_docs)]

pub mod iam;
pub mod rules;

use std::path::{Path, PathBuf};

use cognito_auth_core::config::{ConfigError, Env, FromEnv};
use cognito_auth_core::function::Function;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

/// `C` read from `pairs`, as a process environment holding only them.
pub fn config<C: FromEnv>(pairs: &[(&str, &str)]) -> Result<C, ConfigError> {
    C::from_env(&Env::from_pairs(pairs.iter().copied()))
}

/// The variable that `pairs` get wrong, for a configuration they do.
///
/// # Panics
/// When `pairs` are a valid configuration.
pub fn variable_at_fault<C: FromEnv>(pairs: &[(&str, &str)]) -> String {
    match config::<C>(pairs) {
        Ok(_) => panic!("{pairs:?} is a valid configuration"),
        Err(error) => error.variable,
    }
}

/// `F` started from `pairs` as Lambda starts it at init.
///
/// # Panics
/// When `pairs` are not a valid configuration, naming the variable.
pub async fn state<F: Function>(pairs: &[(&str, &str)]) -> F {
    let config = config::<F::Config>(pairs).unwrap_or_else(|error| panic!("{error}"));
    F::start(config)
        .await
        .unwrap_or_else(|error| panic!("{error}"))
}

/// One invocation of `function` with `payload` and an empty context.
pub async fn call<F: Function>(function: &F, payload: Value) -> Result<Value, F::Error> {
    function.handle(lambda_event(payload)).await
}

/// `payload` as the runtime hands it over, with an empty context.
pub fn lambda_event(payload: Value) -> LambdaEvent<Value> {
    LambdaEvent::new(payload, Context::default())
}

/// The `*.json` files directly in `dir`, sorted.
///
/// # Panics
/// When `dir` cannot be read.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
        .map(|entry| {
            entry
                .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
                .path()
        })
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// The JSON document at `path`.
///
/// # Panics
/// When it cannot be read or parsed, naming the file.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("parse {}: {err}", path.display()))
}
