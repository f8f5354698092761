use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(authorizer::config::VARIABLES)
        .and_then(|env| authorizer::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // Builds the verifier once: JWKS_FILE is read here, a JWKS_URL is
    // fetched on first use and then cached for the sandbox's lifetime.
    let state = match authorizer::State::new(config).await {
        Ok(state) => state,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    run(service_fn(|event| authorizer::handle(&state, event))).await
}
