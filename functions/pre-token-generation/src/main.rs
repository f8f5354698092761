use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(pre_token_generation::config::VARIABLES)
        .and_then(|env| pre_token_generation::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // The DynamoDB client (when profile claims are configured) is built once
    // here and reused by every invocation.
    let state = pre_token_generation::State::new(config).await;
    run(service_fn(|event| {
        pre_token_generation::handle(&state, event)
    }))
    .await
}
