use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(deploy_keys::config::VARIABLES)
        .and_then(|env| deploy_keys::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    let state = match deploy_keys::State::new(config) {
        Ok(state) => state,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    run(service_fn(|event| deploy_keys::handle(&state, event))).await
}
