use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(sign_out::config::VARIABLES)
        .and_then(|env| sign_out::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // The verifier (and its key cache) and the SDK clients are built once
    // here and reused by every invocation.
    let state = match sign_out::State::new(config).await {
        Ok(state) => state,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    run(service_fn(|event| sign_out::handle(&state, event))).await
}
