//! What every function of this project is, so that its `main.rs` is one
//! line and its tests build it the way Lambda does.
//!
//! A function reads its configuration once at init (a bad value fails the
//! cold start through `/init/error`, naming the variable, instead of a
//! user's request), builds what every invocation shares once (SDK clients,
//! key caches, templates), and then answers one event at a time.

use std::fmt::Debug;
use std::future::Future;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use crate::config::{ConfigError, FromEnv};
use crate::{init, logging};

/// A Lambda function: its configuration, what it builds once per sandbox,
/// and its handler. Implemented by each function's `State`.
pub trait Function: Sized {
    /// Everything the function reads from its environment.
    type Config: FromEnv;
    /// Why an invocation failed. Turned into the runtime's error answer in
    /// one place per function (its `From<_> for Diagnostic`), which holds
    /// the short, safe text the caller sees.
    type Error: Into<Diagnostic> + Debug;

    /// Builds the shared state from a checked configuration; an error (a
    /// template that does not parse, a key file that cannot be read) fails
    /// the init like a bad variable. Nothing here should touch the network:
    /// credentials and endpoints resolve on the first call, so a cold start
    /// stays fast and cannot fail on a network blip.
    fn start(config: Self::Config) -> impl Future<Output = Result<Self, ConfigError>>;

    /// Answers one event.
    fn handle(&self, event: LambdaEvent<Value>)
    -> impl Future<Output = Result<Value, Self::Error>>;
}

/// Runs `F` as Lambda does: logging first (so that init itself is logged),
/// then its configuration and state, each failure reported to the Runtime
/// API's `/init/error` as a `ConfigError`, then the invocation loop.
pub async fn run<F: Function>() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let config = match F::Config::from_process() {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    let state = match F::start(config).await {
        Ok(state) => state,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // Boxed once per sandbox: the loop's future nests the handler's, and
    // unboxed it overflows rustc's layout-query depth in the deeper
    // handlers (pre-sign-up's linker, post-confirmation's provisioning).
    Box::pin(lambda_runtime::run(service_fn(|event| state.handle(event)))).await
}
