use cognito_auth_core::{config::Env, init, logging};
use custom_sender::{Config, State};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    // The variables, the templates (custom-message's, checked) and the
    // keyring are read and built here, once: bad config fails the cold start.
    let config = match Env::from_process(custom_sender::config::VARIABLES)
        .and_then(|env| Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    let state = match State::new(config).await {
        Ok(state) => state,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    run(service_fn(|event| custom_sender::handle(&state, event))).await
}
