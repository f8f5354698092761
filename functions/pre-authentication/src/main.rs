use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(pre_authentication::config::VARIABLES)
        .and_then(|env| pre_authentication::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // The SDK clients are built once here and reused by every invocation.
    let state = pre_authentication::State::new(config).await;
    run(service_fn(|event| {
        pre_authentication::handle(&state, event)
    }))
    .await
}
