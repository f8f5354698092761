use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(pre_sign_up::config::VARIABLES)
        .and_then(|env| pre_sign_up::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // Loads the disposable-mail list and builds the Cognito client, once.
    let state = pre_sign_up::State::new(config).await;
    run(service_fn(|event| pre_sign_up::handle(&state, event))).await
}
