use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(user_migration::config::VARIABLES)
        .and_then(|env| user_migration::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // The dummy hash (one hash of LEGACY_HASH_DEFAULT's cost) and the SDK
    // client are made once here and reused by every invocation.
    let state = match user_migration::State::new(config).await {
        Ok(state) => state,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    run(service_fn(|event| user_migration::handle(&state, event))).await
}
