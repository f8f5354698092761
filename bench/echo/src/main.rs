//! `lambda-echo`: the floor a lambda_runtime binary costs, for `make bench`
//! (`tools/dev/src/bin/bench-functions/` compares the authorizer with it).
//!
//! It is what every function here is built from and nothing more: the same
//! lambda_runtime, tokio (current-thread runtime) and serde_json, with the
//! workspace's features and release profile; the event is read as JSON and
//! returned unchanged. So exec → first response and the CPU of a warm
//! invocation measure the process, the runtime, the Runtime API loop and the
//! JSON round trip, which no function can avoid.
//!
//! It does **not** call `cognito_auth_core::logging::init()`. The JSON
//! subscriber is this project's choice, not lambda_runtime's: installing it
//! (the env filter, the JSON formatter) and the line each invocation then
//! writes are work the functions do on top of the floor, so they belong in
//! what the authorizer is measured on, not in the floor it is measured
//! against. (With no subscriber installed, lambda_runtime's own `tracing`
//! spans and events are disabled at their call sites and cost next to
//! nothing.) `bench-functions` times `logging::init` by itself, under "Init
//! pieces", for whoever wants to put it back.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
